/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "natter-client.h"

G_BEGIN_DECLS

#define NATTER_TYPE_APPLICATION (natter_application_get_type ())
G_DECLARE_FINAL_TYPE (NatterApplication, natter_application, NATTER, APPLICATION, GtkApplication)

/* profile: NULL or "" for the default identity */
NatterApplication *natter_application_new          (const char        *profile);
/* the engine, or NULL before a name and server are known */
NatterClient      *natter_application_get_client   (NatterApplication *self);
GSettings         *natter_application_get_settings (NatterApplication *self);
const char        *natter_application_get_profile  (NatterApplication *self);
/* Why the message history could not be opened, or NULL. */
const GError      *natter_application_get_history_error (NatterApplication *self);
/* Remembers a new identity (the welcome page) and connects once with it. */
void               natter_application_configure    (NatterApplication *self,
                                                    const char        *id,
                                                    const char        *server,
                                                    gboolean           classic);
/* (Re)connects with the settings (and the command line's overrides). */
void               natter_application_connect      (NatterApplication *self);
/* The window's current conversation changed: clears its notification. */
void               natter_application_conversation_shown (NatterApplication *self,
                                                          NatterPeer        *peer);

G_END_DECLS
