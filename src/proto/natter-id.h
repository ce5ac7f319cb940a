/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define NATTER_ID_MAX_CHARS 32
/* 32 characters of at most 4 bytes each */
#define NATTER_ID_MAX_BYTES (NATTER_ID_MAX_CHARS * 4)

#define NATTER_ID_ERROR (natter_id_error_quark ())

typedef enum
{
  NATTER_ID_ERROR_EMPTY,
  NATTER_ID_ERROR_TOO_LONG,
  NATTER_ID_ERROR_ENCODING,
  NATTER_ID_ERROR_CHARACTER,
} NatterIdError;

GQuark    natter_id_error_quark (void);
gboolean  natter_id_validate    (const char *id,
                                 gssize      len,
                                 GError    **error);
/* The key under which IDs are unique: case-folded NFC. */
char     *natter_id_key         (const char *id);

G_END_DECLS
