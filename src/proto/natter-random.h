/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Bytes from the kernel's CSPRNG, for tokens, keys and cookie secrets. */
void natter_random_bytes (guint8 *out,
                          gsize   len);

/* Compares secrets in time independent of where they differ. */
gboolean natter_secret_equal (const guint8 *a,
                              const guint8 *b,
                              gsize         len);

G_END_DECLS
