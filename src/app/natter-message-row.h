/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "natter-message.h"

G_BEGIN_DECLS

/* One message bubble: mine on the right, theirs on the left, selectable
 * text with clickable links, the time, and on mine the delivery state (with
 * a Retry button when it failed). A row can open a day separator above it
 * and can be marked as continuing the previous message from the same side
 * (grouped: tighter spacing, no repeated time). Emits "retry" when the user
 * asks to send a failed message again. */
#define NATTER_TYPE_MESSAGE_ROW (natter_message_row_get_type ())
G_DECLARE_FINAL_TYPE (NatterMessageRow, natter_message_row, NATTER, MESSAGE_ROW, GtkWidget)

GtkWidget     *natter_message_row_new         (void);
/* previous: the message above it in the conversation, or NULL */
void           natter_message_row_set_message (NatterMessageRow *self,
                                               NatterMessage    *message,
                                               NatterMessage    *previous);
/* first_new: the "New messages" line above it; found: a search result */
void           natter_message_row_set_marks   (NatterMessageRow *self,
                                               gboolean          first_new,
                                               gboolean          found);
NatterMessage *natter_message_row_get_message (NatterMessageRow *self);

/* Shared by the row and its tests */
gboolean       natter_message_same_day        (gint64            a_ms,
                                               gint64            b_ms);

G_END_DECLS
