/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Escapes text and turns http(s):// and www. links into <a> markup. */
char *natter_markup_with_links (const char *text);

G_END_DECLS
