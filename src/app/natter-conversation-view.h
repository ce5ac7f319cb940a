/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "natter-client.h"

G_BEGIN_DECLS

/* A conversation: a header with the peer's name, presence and path in
 * words, the messages as bubbles in a GtkListView, and the composer. */
#define NATTER_TYPE_CONVERSATION_VIEW (natter_conversation_view_get_type ())
G_DECLARE_FINAL_TYPE (NatterConversationView, natter_conversation_view, NATTER,
                      CONVERSATION_VIEW, GtkWidget)

GtkWidget  *natter_conversation_view_new      (void);
void        natter_conversation_view_set_peer (NatterConversationView *self,
                                               NatterClient           *client,
                                               NatterPeer             *peer);
NatterPeer *natter_conversation_view_get_peer (NatterConversationView *self);
/* Puts the keyboard focus in the composer. */
void        natter_conversation_view_focus_composer (NatterConversationView *self);
/* "Direct · 198.18.0.12:10081", "Same network", "Relayed through the server" … */
char       *natter_describe_path              (NatterPeer             *peer);

G_END_DECLS
