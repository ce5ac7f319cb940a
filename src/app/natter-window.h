/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "natter-application.h"

G_BEGIN_DECLS

#define NATTER_TYPE_WINDOW (natter_window_get_type ())
G_DECLARE_FINAL_TYPE (NatterWindow, natter_window, NATTER, WINDOW, GtkApplicationWindow)

NatterWindow *natter_window_new              (NatterApplication *app);
/* Shows the engine (NULL: the welcome page). */
void          natter_window_set_client       (NatterWindow      *self,
                                              NatterClient      *client);
/* Opens the conversation with peer_id, if that peer is known. */
gboolean      natter_window_open_conversation (NatterWindow     *self,
                                               const char       *peer_id);
/* The peer whose conversation is in view, or NULL. */
NatterPeer   *natter_window_get_current_peer (NatterWindow      *self);

G_END_DECLS
