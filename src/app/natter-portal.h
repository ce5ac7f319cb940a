/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* Follows the desktop's light/dark preference, read from the Settings
 * portal over D-Bus (org.freedesktop.appearance color-scheme); light when
 * there is no portal. */
void natter_portal_follow_color_scheme (GtkSettings *settings);

G_END_DECLS
