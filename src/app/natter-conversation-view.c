/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "natter-conversation-search.h"
#include "natter-conversation-view-private.h"

G_DEFINE_FINAL_TYPE (NatterConversationView, natter_conversation_view, GTK_TYPE_WIDGET)

char *
natter_describe_path (NatterPeer *peer)
{
  const char *endpoint;

  g_return_val_if_fail (NATTER_IS_PEER (peer), NULL);

  endpoint = natter_peer_get_endpoint (peer);
  if (endpoint != NULL && *endpoint == '\0')
    endpoint = NULL;

  switch (natter_peer_get_path (peer))
    {
    case NATTER_PATH_LAN:
      return g_strdup (_("Same network"));
    case NATTER_PATH_DIRECT:
      if (endpoint == NULL)
        return g_strdup (_("Direct"));
      /* Translators: a direct peer-to-peer path and the peer's address,
       * e.g. "Direct · 198.18.0.12:10081" */
      return g_strdup_printf (_("Direct · %s"), endpoint);
    case NATTER_PATH_RELAY:
      return g_strdup (_("Relayed through the server"));
    case NATTER_PATH_CLASSIC:
      if (endpoint == NULL)
        return g_strdup (_("Classic client"));
      /* Translators: the peer runs a classic (plain UDP) client, and its
       * address, e.g. "Classic client · 198.18.0.12:10081" */
      return g_strdup_printf (_("Classic client · %s"), endpoint);
    case NATTER_PATH_PUNCHING:
      return g_strdup (_("Connecting…"));
    case NATTER_PATH_NONE:
    default:
      return g_strdup (natter_peer_get_online (peer) ? _("Online") : _("Offline"));
    }
}

static gboolean
at_bottom (GtkAdjustment *adjustment)
{
  return gtk_adjustment_get_value (adjustment) + gtk_adjustment_get_page_size (adjustment) >=
         gtk_adjustment_get_upper (adjustment) - BOTTOM_SLACK_PX;
}

/* Runs once the window has allocated its widgets, before they are drawn
 * (connected after the window's own handler). The list configures its
 * adjustment while it is being allocated and ignores changes made
 * meanwhile, so this is the first moment the end is known and can be
 * scrolled to; the frame clock then lays out again before painting, and a
 * conversation just opened never shows its beginning first. */
static void
on_frame_layout (GdkFrameClock          *frame_clock G_GNUC_UNUSED,
                 NatterConversationView *self)
{
  GtkAdjustment *adjustment;
  double bottom;

  if (!self->scroll_pending)
    return;
  self->scroll_pending = FALSE;

  adjustment = gtk_scrolled_window_get_vadjustment (GTK_SCROLLED_WINDOW (self->scroller));
  bottom = gtk_adjustment_get_upper (adjustment) - gtk_adjustment_get_page_size (adjustment);
  /* at the very end the list anchors its last row to the bottom edge, so
   * rows it has only estimated so far grow upwards once measured */
  if (gtk_adjustment_get_value (adjustment) < bottom)
    gtk_adjustment_set_value (adjustment, bottom);
}

void
natter_conversation_view_scroll_to_bottom (NatterConversationView *self)
{
  if (self->peer == NULL)
    return;
  self->scroll_pending = TRUE;
  gtk_widget_queue_allocate (self->list_view);
}

static void
on_scroll_value_changed (GtkAdjustment          *adjustment,
                         NatterConversationView *self)
{
  /* until the pending move is made, where the list happens to be (the top
   * of a conversation just opened) says nothing about what the user wants */
  if (!self->scroll_pending)
    self->sticky = at_bottom (adjustment);
  natter_conversation_view_maybe_load_older (self, adjustment);
}

/* Called from within the list's allocation: only marks the move, which
 * on_frame_layout () makes once the allocation is over. */
static void
on_scroll_bounds_changed (NatterConversationView *self)
{
  GtkAdjustment *adjustment = gtk_scrolled_window_get_vadjustment (GTK_SCROLLED_WINDOW (self->scroller));

  if (self->sticky && self->peer != NULL)
    self->scroll_pending = TRUE;
  if (gtk_adjustment_get_upper (adjustment) <= gtk_adjustment_get_page_size (adjustment))
    natter_conversation_view_maybe_load_older (self, adjustment);
}

static void
update_status (NatterConversationView *self)
{
  g_autofree char *path = NULL;
  g_autofree char *status = NULL;

  if (self->peer == NULL)
    {
      gtk_label_set_text (GTK_LABEL (self->status_label), "");
      return;
    }

  if (!natter_peer_get_online (self->peer))
    status = g_strdup (_("Offline"));
  else if (natter_peer_get_path (self->peer) == NATTER_PATH_NONE)
    status = g_strdup (_("Online"));
  else
    {
      path = natter_describe_path (self->peer);
      /* Translators: presence and how messages travel, e.g.
       * "Online · Direct · 198.18.0.12:10081" */
      status = g_strdup_printf (_("Online · %s"), path);
    }
  gtk_label_set_text (GTK_LABEL (self->status_label), status);
}

static void
update_header (NatterConversationView *self)
{
  const char *id = self->peer != NULL ? natter_peer_get_id (self->peer) : NULL;
  g_autofree char *hello = NULL;
  g_autofree char *placeholder = NULL;

  gtk_label_set_text (GTK_LABEL (self->peer_label), id != NULL ? id : "");
  if (id != NULL)
    {
      /* Translators: shown in a conversation without messages */
      hello = g_strdup_printf (_("Say hello to %s"), id);
      /* Translators: the hint in the empty message box */
      placeholder = g_strdup_printf (_("Message %s"), id);
    }
  gtk_label_set_text (GTK_LABEL (self->empty_title), hello != NULL ? hello : "");
  gtk_label_set_text (GTK_LABEL (self->placeholder), placeholder != NULL ? placeholder : "");
  update_status (self);
}

void
natter_conversation_view_update_empty (NatterConversationView *self)
{
  gboolean empty = g_list_model_get_n_items (G_LIST_MODEL (self->selection)) == 0;

  if (self->searching)
    gtk_stack_set_visible_child_name (self->stack, "search");
  else
    gtk_stack_set_visible_child_name (self->stack, empty ? "empty" : "messages");
}

static void
on_peer_notify (NatterPeer             *peer G_GNUC_UNUSED,
                GParamSpec             *pspec,
                NatterConversationView *self)
{
  const char *name = g_param_spec_get_name (pspec);

  if (strcmp (name, "online") == 0 || strcmp (name, "path") == 0 ||
      strcmp (name, "endpoint") == 0)
    update_status (self);
  else if (strcmp (name, "id") == 0)
    update_header (self);
  else if (strcmp (name, "marker") == 0 && natter_peer_get_marker (self->peer) != 0)
    {
      /* messages came while the window was in the background */
      self->marker = natter_peer_get_marker (self->peer);
      natter_conversation_view_mark_rows (self);
    }
}

static void
on_items_changed (GListModel             *model,
                  guint                   position,
                  guint                   removed,
                  guint                   added,
                  NatterConversationView *self)
{
  guint n = g_list_model_get_n_items (model);

  natter_conversation_view_update_empty (self);
  /* older messages came in above: the one that was first has one above it
   * now, which may join it into a group or end a day */
  if (position == 0 && removed == 0 && added > 0 && added < n)
    {
      g_autoptr(NatterMessage) former = g_list_model_get_item (model, added);
      g_autoptr(NatterMessage) above = g_list_model_get_item (model, added - 1);
      NatterMessageRow *row = g_hash_table_lookup (self->rows, former);

      if (row != NULL)
        natter_message_row_set_message (row, former, above);
      return;
    }
  if (added > 0 && self->sticky)
    natter_conversation_view_scroll_to_bottom (self);
}

static void
on_row_retry (NatterMessageRow       *row,
              NatterConversationView *self)
{
  NatterMessage *message = natter_message_row_get_message (row);

  if (self->client == NULL || self->peer == NULL || message == NULL)
    return;
  if (!natter_client_retry_message (self->client, self->peer, message))
    gtk_widget_error_bell (GTK_WIDGET (self));
}

static void
setup_row (GtkSignalListItemFactory *factory G_GNUC_UNUSED,
           GtkListItem              *item,
           NatterConversationView   *self)
{
  GtkWidget *row = natter_message_row_new ();

  /* a message is read, selected as text or retried; the row itself does
   * nothing when clicked and should not light up under the pointer */
  gtk_list_item_set_activatable (item, FALSE);
  gtk_list_item_set_selectable (item, FALSE);
  g_signal_connect_object (row, "retry", G_CALLBACK (on_row_retry), self, 0);
  gtk_list_item_set_child (item, row);
}

static void
bind_row (GtkSignalListItemFactory *factory G_GNUC_UNUSED,
          GtkListItem              *item,
          NatterConversationView   *self)
{
  NatterMessageRow *row = NATTER_MESSAGE_ROW (gtk_list_item_get_child (item));
  guint position = gtk_list_item_get_position (item);
  g_autoptr(NatterMessage) previous = NULL;

  /* new messages come at the end, older ones at the start (and then
   * on_items_changed () tells the first row of its new neighbour) */
  if (position != GTK_INVALID_LIST_POSITION && position > 0)
    previous = g_list_model_get_item (G_LIST_MODEL (self->selection), position - 1);
  natter_message_row_set_message (row, gtk_list_item_get_item (item), previous);
  natter_conversation_view_mark_row (self, row, gtk_list_item_get_item (item));
  g_hash_table_insert (self->rows, gtk_list_item_get_item (item), row);
}

static void
unbind_row (GtkSignalListItemFactory *factory G_GNUC_UNUSED,
            GtkListItem              *item,
            NatterConversationView   *self)
{
  NatterMessageRow *row = NATTER_MESSAGE_ROW (gtk_list_item_get_child (item));
  NatterMessage *message = natter_message_row_get_message (row);

  if (message != NULL && g_hash_table_lookup (self->rows, message) == row)
    g_hash_table_remove (self->rows, message);
  /* The row keeps its message until it is bound to another one: the list
   * unbinds and binds again every row it has when older messages come in
   * above, most of them to the message they had, and a row that still has
   * it has nothing to lay out anew. */
}

static void
natter_conversation_view_dispose (GObject *object)
{
  NatterConversationView *self = NATTER_CONVERSATION_VIEW (object);
  GtkWidget *child;

  if (self->frame_clock != NULL)
    g_clear_signal_handler (&self->layout_id, self->frame_clock);
  g_clear_object (&self->frame_clock);
  /* what the template is built of may outlive this dispose a little (the
   * list holds the selection model, the scrolled window its adjustment)
   * and must not call back into a half-disposed view */
  if (self->selection != NULL)
    g_signal_handlers_disconnect_by_data (self->selection, self);
  if (self->scroller != NULL)
    g_signal_handlers_disconnect_by_data (
      gtk_scrolled_window_get_vadjustment (GTK_SCROLLED_WINDOW (self->scroller)), self);
  if (self->composer_scroller != NULL)
    g_signal_handlers_disconnect_by_data (
      gtk_scrolled_window_get_vadjustment (GTK_SCROLLED_WINDOW (self->composer_scroller)), self);
  if (self->text_view != NULL)
    {
      g_signal_handlers_disconnect_by_data (
        gtk_text_view_get_buffer (GTK_TEXT_VIEW (self->text_view)), self);
      g_signal_handlers_disconnect_by_data (self->text_view, self);
    }
  if (self->peer != NULL)
    g_clear_signal_handler (&self->peer_notify_id, self->peer);
  g_clear_object (&self->peer);
  g_clear_object (&self->client);
  g_clear_pointer (&self->drafts, g_hash_table_unref);
  g_clear_pointer (&self->rows, g_hash_table_unref);
  g_clear_handle_id (&self->older_idle, g_source_remove);
  g_clear_pointer (&self->send_error, g_free);
  gtk_widget_dispose_template (GTK_WIDGET (self), NATTER_TYPE_CONVERSATION_VIEW);
  /* dispose_template () lets go of bound children only */
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);
  G_OBJECT_CLASS (natter_conversation_view_parent_class)->dispose (object);
}

static void
natter_conversation_view_map (GtkWidget *widget)
{
  NatterConversationView *self = NATTER_CONVERSATION_VIEW (widget);

  GTK_WIDGET_CLASS (natter_conversation_view_parent_class)->map (widget);

  /* after: the window connects its handler, which allocates, for each
   * layout anew, so only "after" is sure to come second */
  self->frame_clock = g_object_ref (gtk_widget_get_frame_clock (widget));
  self->layout_id = g_signal_connect_after (self->frame_clock, "layout",
                                            G_CALLBACK (on_frame_layout), self);
}

static void
natter_conversation_view_unmap (GtkWidget *widget)
{
  NatterConversationView *self = NATTER_CONVERSATION_VIEW (widget);

  if (self->frame_clock != NULL)
    g_clear_signal_handler (&self->layout_id, self->frame_clock);
  g_clear_object (&self->frame_clock);

  GTK_WIDGET_CLASS (natter_conversation_view_parent_class)->unmap (widget);
}

static void
natter_conversation_view_class_init (NatterConversationViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = natter_conversation_view_dispose;
  widget_class->map = natter_conversation_view_map;
  widget_class->unmap = natter_conversation_view_unmap;

  g_type_ensure (NATTER_TYPE_MESSAGE_ROW);
  g_type_ensure (NATTER_TYPE_CONVERSATION_SEARCH);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/natter/Natter/natter-conversation-view.ui");
  gtk_widget_class_bind_template_child (widget_class, NatterConversationView, peer_label);
  gtk_widget_class_bind_template_child (widget_class, NatterConversationView, status_label);
  gtk_widget_class_bind_template_child (widget_class, NatterConversationView, stack);
  gtk_widget_class_bind_template_child (widget_class, NatterConversationView, empty_title);
  gtk_widget_class_bind_template_child (widget_class, NatterConversationView, scroller);
  gtk_widget_class_bind_template_child (widget_class, NatterConversationView, list_view);
  gtk_widget_class_bind_template_child (widget_class, NatterConversationView, selection);
  gtk_widget_class_bind_template_child (widget_class, NatterConversationView, limit_label);
  gtk_widget_class_bind_template_child (widget_class, NatterConversationView, composer_scroller);
  gtk_widget_class_bind_template_child (widget_class, NatterConversationView, text_view);
  gtk_widget_class_bind_template_child (widget_class, NatterConversationView, placeholder);
  gtk_widget_class_bind_template_child (widget_class, NatterConversationView, send_button);
  gtk_widget_class_bind_template_child (widget_class, NatterConversationView, search);
  gtk_widget_class_bind_template_callback (widget_class, setup_row);
  gtk_widget_class_bind_template_callback (widget_class, bind_row);
  gtk_widget_class_bind_template_callback (widget_class, unbind_row);
  gtk_widget_class_bind_template_callback_full (widget_class, "on_search_result",
                                                G_CALLBACK (natter_conversation_view_search_result));
  gtk_widget_class_bind_template_callback_full (widget_class, "on_search_stopped",
                                                G_CALLBACK (natter_conversation_view_search_stopped));

  gtk_widget_class_install_action (widget_class, "conversation.send", NULL, natter_conversation_view_send_activated);
  gtk_widget_class_install_action (widget_class, "conversation.search", NULL, natter_conversation_view_search_activated);
  gtk_widget_class_install_action (widget_class, "conversation.clear", NULL, natter_conversation_view_clear_activated);
  /* inside a conversation, Ctrl+F searches it rather than the people */
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_f, GDK_CONTROL_MASK,
                                       "conversation.search", NULL);

  gtk_widget_class_set_css_name (widget_class, "conversation");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_GROUP);
}

static void
natter_conversation_view_init (NatterConversationView *self)
{
  GtkEventController *keys;
  GtkAdjustment *adjustment;

  gtk_widget_init_template (GTK_WIDGET (self));

  self->drafts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->rows = g_hash_table_new (NULL, NULL);
  self->sticky = TRUE;

  /* capture: the text view would otherwise insert the newline first */
  keys = gtk_event_controller_key_new ();
  gtk_event_controller_set_propagation_phase (keys, GTK_PHASE_CAPTURE);
  g_signal_connect (keys, "key-pressed", G_CALLBACK (natter_conversation_view_composer_key_pressed), self);
  gtk_widget_add_controller (self->text_view, keys);

  g_signal_connect_object (gtk_text_view_get_buffer (GTK_TEXT_VIEW (self->text_view)), "changed",
                           G_CALLBACK (natter_conversation_view_buffer_changed), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->text_view, "map", G_CALLBACK (natter_conversation_view_update_composer_height), self,
                           G_CONNECT_SWAPPED);

  adjustment = gtk_scrolled_window_get_vadjustment (GTK_SCROLLED_WINDOW (self->scroller));
  g_signal_connect_object (adjustment, "value-changed",
                           G_CALLBACK (on_scroll_value_changed), self, 0);
  g_signal_connect_object (adjustment, "notify::upper",
                           G_CALLBACK (on_scroll_bounds_changed), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (adjustment, "notify::page-size",
                           G_CALLBACK (on_scroll_bounds_changed), self, G_CONNECT_SWAPPED);
  adjustment = gtk_scrolled_window_get_vadjustment (GTK_SCROLLED_WINDOW (self->composer_scroller));
  g_signal_connect_object (adjustment, "value-changed",
                           G_CALLBACK (natter_conversation_view_composer_scrolled), self, 0);

  g_signal_connect_object (self->selection, "items-changed",
                           G_CALLBACK (on_items_changed), self, 0);

  update_header (self);
  natter_conversation_view_update_empty (self);
  natter_conversation_view_update_composer (self);
  gtk_widget_set_sensitive (GTK_WIDGET (self), FALSE);
}

GtkWidget *
natter_conversation_view_new (void)
{
  return g_object_new (NATTER_TYPE_CONVERSATION_VIEW, NULL);
}

void
natter_conversation_view_set_peer (NatterConversationView *self,
                                   NatterClient           *client,
                                   NatterPeer             *peer)
{
  g_return_if_fail (NATTER_IS_CONVERSATION_VIEW (self));
  g_return_if_fail (client == NULL || NATTER_IS_CLIENT (client));
  g_return_if_fail (peer == NULL || NATTER_IS_PEER (peer));

  if (self->peer == peer && self->client == client)
    return;

  natter_conversation_view_save_draft (self);
  if (self->peer != NULL)
    g_clear_signal_handler (&self->peer_notify_id, self->peer);
  g_set_object (&self->client, client);
  g_set_object (&self->peer, peer);
  if (peer != NULL)
    self->peer_notify_id = g_signal_connect_object (peer, "notify", G_CALLBACK (on_peer_notify),
                                                    self, 0);

  /* a conversation opens on its newest messages, below the line where
   * those not read yet start */
  self->sticky = TRUE;
  self->searching = FALSE;
  self->found_seq = 0;
  self->marker = peer != NULL ? natter_peer_get_marker (peer) : 0;
  g_clear_handle_id (&self->older_idle, g_source_remove);
  /* the engine keeps only the newest message of a conversation not open */
  if (peer != NULL)
    {
      guint shown = g_list_model_get_n_items (natter_peer_get_conversation (peer));

      if (shown < OLDER_PAGE)
        natter_peer_load_older (peer, OLDER_PAGE - shown);
    }
  gtk_no_selection_set_model (self->selection,
                              peer != NULL ? natter_peer_get_conversation (peer) : NULL);
  natter_conversation_view_scroll_to_bottom (self);

  g_clear_pointer (&self->send_error, g_free);
  natter_conversation_view_set_composer_text (self, peer != NULL ? g_hash_table_lookup (self->drafts,
                                                               natter_peer_get_id (peer))
                                        : NULL);
  update_header (self);
  natter_conversation_view_update_empty (self);
  natter_conversation_view_update_composer (self);
  gtk_widget_set_sensitive (GTK_WIDGET (self), peer != NULL && client != NULL);
}

NatterPeer *
natter_conversation_view_get_peer (NatterConversationView *self)
{
  g_return_val_if_fail (NATTER_IS_CONVERSATION_VIEW (self), NULL);
  return self->peer;
}

void
natter_conversation_view_focus_composer (NatterConversationView *self)
{
  g_return_if_fail (NATTER_IS_CONVERSATION_VIEW (self));
  gtk_widget_grab_focus (self->text_view);
}
