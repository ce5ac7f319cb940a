/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "natter-conversation-search.h"
#include "natter-conversation-view-private.h"

/* A conversation's history in the view: older pages as the user scrolls
 * up, the new-messages line, search results, and clearing. */

static gboolean
load_older (gpointer data)
{
  NatterConversationView *self = data;

  self->older_idle = 0;
  if (self->peer != NULL)
    natter_peer_load_older (self->peer, OLDER_PAGE);
  return G_SOURCE_REMOVE;
}

/* Older messages come in before the user reaches the oldest one shown, or
 * at once while what is shown does not fill the view. Never from inside
 * the list's own allocation or scrolling: from an idle. */
void
natter_conversation_view_maybe_load_older (NatterConversationView *self,
                                           GtkAdjustment          *adjustment)
{
  if (self->peer == NULL || self->older_idle != 0 || self->scroll_pending ||
      !natter_peer_get_has_older (self->peer))
    return;
  if (gtk_adjustment_get_value (adjustment) < gtk_adjustment_get_page_size (adjustment))
    self->older_idle = g_idle_add (load_older, self);
}

void
natter_conversation_view_mark_row (NatterConversationView *self,
                                   NatterMessageRow       *row,
                                   NatterMessage          *message)
{
  natter_message_row_set_marks (row,
                                self->marker != 0 &&
                                natter_message_get_id (message) == self->marker &&
                                natter_message_get_direction (message) == NATTER_MESSAGE_INCOMING,
                                self->found_seq != 0 && natter_message_get_seq (message) == self->found_seq);
}

void
natter_conversation_view_mark_rows (NatterConversationView *self)
{
  GHashTableIter iter;
  gpointer message, row;

  g_hash_table_iter_init (&iter, self->rows);
  while (g_hash_table_iter_next (&iter, &message, &row))
    natter_conversation_view_mark_row (self, row, message);
}

/* Shows the message at seq of the history, loading what is between it and
 * the messages shown, and outlines it. */
static void
jump_to (NatterConversationView *self,
         gint64                  seq)
{
  GListModel *conversation = natter_peer_get_conversation (self->peer);
  guint n, position = GTK_INVALID_LIST_POSITION;

  for (;;)
    {
      g_autoptr(NatterMessage) first = g_list_model_get_item (conversation, 0);

      if (first == NULL || natter_message_get_seq (first) <= seq ||
          natter_peer_load_older (self->peer, JUMP_PAGE) == 0)
        break;
    }
  n = g_list_model_get_n_items (conversation);
  for (guint i = 0; i < n && position == GTK_INVALID_LIST_POSITION; i++)
    {
      g_autoptr(NatterMessage) message = g_list_model_get_item (conversation, i);

      if (natter_message_get_seq (message) == seq)
        position = i;
    }
  if (position == GTK_INVALID_LIST_POSITION)
    {
      gtk_widget_error_bell (GTK_WIDGET (self));
      return;
    }
  self->found_seq = seq;
  self->sticky = FALSE;
  self->scroll_pending = FALSE;
  natter_conversation_view_mark_rows (self);
  gtk_widget_activate_action (self->list_view, "list.scroll-to-item", "u", position);
}

void
natter_conversation_view_search_activated (GtkWidget  *widget,
                                           const char *action_name G_GNUC_UNUSED,
                                           GVariant   *parameter G_GNUC_UNUSED)
{
  NatterConversationView *self = NATTER_CONVERSATION_VIEW (widget);

  if (self->peer == NULL)
    return;
  self->searching = TRUE;
  natter_conversation_view_update_empty (self);
  natter_conversation_search_start (NATTER_CONVERSATION_SEARCH (self->search), self->peer);
}

static void
stop_search (NatterConversationView *self)
{
  if (!self->searching)
    return;
  self->searching = FALSE;
  natter_conversation_view_update_empty (self);
}

void
natter_conversation_view_search_stopped (NatterConversationView *self)
{
  stop_search (self);
  gtk_widget_grab_focus (self->text_view);
}

void
natter_conversation_view_search_result (NatterConversationView *self,
                                        NatterMessage          *message)
{
  stop_search (self);
  if (self->peer != NULL)
    jump_to (self, natter_message_get_seq (message));
}

static void
on_clear_response (GtkDialog              *dialog,
                   int                     response,
                   NatterConversationView *self)
{
  g_autoptr(GError) error = NULL;

  gtk_window_destroy (GTK_WINDOW (dialog));
  if (response != GTK_RESPONSE_ACCEPT || self->peer == NULL)
    return;
  if (!natter_peer_clear_history (self->peer, &error))
    {
      GtkWidget *alert = gtk_message_dialog_new (GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (self))),
                                                 GTK_DIALOG_MODAL | GTK_DIALOG_DESTROY_WITH_PARENT,
                                                 GTK_MESSAGE_ERROR, GTK_BUTTONS_CLOSE,
                                                 _("The conversation could not be cleared"));

      gtk_message_dialog_format_secondary_text (GTK_MESSAGE_DIALOG (alert), "%s", error->message);
      g_signal_connect (alert, "response", G_CALLBACK (gtk_window_destroy), NULL);
      gtk_window_present (GTK_WINDOW (alert));
    }
  self->found_seq = 0;
  self->marker = 0;
}

void
natter_conversation_view_clear_activated (GtkWidget  *widget,
                                          const char *action_name G_GNUC_UNUSED,
                                          GVariant   *parameter G_GNUC_UNUSED)
{
  NatterConversationView *self = NATTER_CONVERSATION_VIEW (widget);
  GtkWidget *dialog;
  GtkWidget *button;

  if (self->peer == NULL)
    return;
  dialog = gtk_message_dialog_new (GTK_WINDOW (gtk_widget_get_root (widget)),
                                   GTK_DIALOG_MODAL | GTK_DIALOG_DESTROY_WITH_PARENT,
                                   GTK_MESSAGE_QUESTION, GTK_BUTTONS_NONE,
                                   _("Clear the conversation with %s?"),
                                   natter_peer_get_id (self->peer));
  gtk_message_dialog_format_secondary_text (GTK_MESSAGE_DIALOG (dialog), "%s",
    _("Every message in it is deleted from this computer, and messages not sent yet are "
      "not sent. This cannot be undone."));
  gtk_dialog_add_button (GTK_DIALOG (dialog), _("_Cancel"), GTK_RESPONSE_CANCEL);
  button = gtk_dialog_add_button (GTK_DIALOG (dialog), _("C_lear"), GTK_RESPONSE_ACCEPT);
  gtk_widget_add_css_class (button, "destructive-action");
  gtk_dialog_set_default_response (GTK_DIALOG (dialog), GTK_RESPONSE_CANCEL);
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_clear_response), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}
