/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "natter-client.h"

G_BEGIN_DECLS

/* Search in one conversation's whole history: an entry and the messages
 * that have every word typed, newest first. Emits "result-activated" with
 * the message chosen, and "stopped" when the user leaves (Escape). */
#define NATTER_TYPE_CONVERSATION_SEARCH (natter_conversation_search_get_type ())
G_DECLARE_FINAL_TYPE (NatterConversationSearch, natter_conversation_search, NATTER,
                      CONVERSATION_SEARCH, GtkWidget)

/* Most results listed */
#define NATTER_SEARCH_LIMIT 200

void natter_conversation_search_start (NatterConversationSearch *self,
                                       NatterPeer               *peer);

G_END_DECLS
