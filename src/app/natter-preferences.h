/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* Preferences: name, server, classic switch and notifications, bound to
 * the profile's GSettings; the application reconnects when the name,
 * server or classic setting changes. */
#define NATTER_TYPE_PREFERENCES (natter_preferences_get_type ())
G_DECLARE_FINAL_TYPE (NatterPreferences, natter_preferences, NATTER, PREFERENCES, GtkWindow)

GtkWidget *natter_preferences_new (GtkWindow *parent,
                                   GSettings *settings);

G_END_DECLS
