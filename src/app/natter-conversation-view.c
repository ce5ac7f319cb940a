/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "natter-conversation-search.h"
#include "natter-conversation-view.h"
#include "natter-delivery.h"
#include "natter-message-row.h"

/* How far above the end still counts as "reading the newest messages":
 * rounding, not a deliberate scroll; more would pull back a slow touchpad. */
#define BOTTOM_SLACK_PX 1
#define COMPOSER_MAX_LINES 6
/* Older messages are loaded a page at a time, once the user scrolls to
 * within a screen of the oldest one shown; jumping to a search result far
 * back loads bigger pages. */
#define OLDER_PAGE 50
#define JUMP_PAGE 1000

struct _NatterConversationView
{
  GtkWidget       parent_instance;

  NatterClient   *client;
  NatterPeer     *peer;
  gulong          peer_notify_id;
  /* unsent text per peer ID, so switching conversations loses nothing */
  GHashTable     *drafts;
  char           *send_error;
  /* follow new messages: the user is at the end (or just sent) */
  gboolean        sticky;
  gboolean        scroll_pending;
  GdkFrameClock  *frame_clock;
  gulong          layout_id;
  /* the "New messages" line goes above this message (as it was when the
   * conversation was opened; reading it clears the peer's) */
  guint64         marker;
  /* the search result shown, by its place in the history */
  gint64          found_seq;
  gboolean        searching;
  guint           older_idle;
  GHashTable     *rows;           /* NatterMessage -> the NatterMessageRow bound to it */

  GtkWidget      *peer_label;
  GtkWidget      *status_label;
  GtkStack       *stack;
  GtkWidget      *empty_title;
  GtkWidget      *scroller;
  GtkWidget      *list_view;
  GtkNoSelection *selection;
  GtkWidget      *limit_label;
  GtkWidget      *composer_scroller;
  GtkWidget      *text_view;
  GtkWidget      *placeholder;
  GtkWidget      *send_button;    /* reached by the UI tests */
  GtkWidget      *search;
};

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

static void
scroll_to_bottom (NatterConversationView *self)
{
  if (self->peer == NULL)
    return;
  self->scroll_pending = TRUE;
  gtk_widget_queue_allocate (self->list_view);
}

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
static void
maybe_load_older (NatterConversationView *self,
                  GtkAdjustment          *adjustment)
{
  if (self->peer == NULL || self->older_idle != 0 || self->scroll_pending ||
      !natter_peer_get_has_older (self->peer))
    return;
  if (gtk_adjustment_get_value (adjustment) < gtk_adjustment_get_page_size (adjustment))
    self->older_idle = g_idle_add (load_older, self);
}

static void
on_scroll_value_changed (GtkAdjustment          *adjustment,
                         NatterConversationView *self)
{
  /* until the pending move is made, where the list happens to be (the top
   * of a conversation just opened) says nothing about what the user wants */
  if (!self->scroll_pending)
    self->sticky = at_bottom (adjustment);
  maybe_load_older (self, adjustment);
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
    maybe_load_older (self, adjustment);
}

/* GTK 4.8's text view keeps the scroll range it computed just before it
 * grew with a new line, and scrolls within it: without this the first line
 * would be pushed half out of a box that has room for all of them. */
static void
on_composer_scrolled (GtkAdjustment          *adjustment,
                      NatterConversationView *self)
{
  if (gtk_adjustment_get_value (adjustment) > 0 &&
      gtk_widget_get_height (self->text_view) >= gtk_adjustment_get_upper (adjustment))
    gtk_adjustment_set_value (adjustment, 0);
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

static void
update_empty (NatterConversationView *self)
{
  gboolean empty = g_list_model_get_n_items (G_LIST_MODEL (self->selection)) == 0;

  if (self->searching)
    gtk_stack_set_visible_child_name (self->stack, "search");
  else
    gtk_stack_set_visible_child_name (self->stack, empty ? "empty" : "messages");
}

static void
mark_row (NatterConversationView *self,
          NatterMessageRow       *row,
          NatterMessage          *message)
{
  natter_message_row_set_marks (row,
                                self->marker != 0 &&
                                natter_message_get_id (message) == self->marker &&
                                natter_message_get_direction (message) == NATTER_MESSAGE_INCOMING,
                                self->found_seq != 0 && natter_message_get_seq (message) == self->found_seq);
}

static void
mark_rows (NatterConversationView *self)
{
  GHashTableIter iter;
  gpointer message, row;

  g_hash_table_iter_init (&iter, self->rows);
  while (g_hash_table_iter_next (&iter, &message, &row))
    mark_row (self, row, message);
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
      mark_rows (self);
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

  update_empty (self);
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
    scroll_to_bottom (self);
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
  mark_row (self, row, gtk_list_item_get_item (item));
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
  natter_message_row_set_message (row, NULL, NULL);
  natter_message_row_set_marks (row, FALSE, FALSE);
}

/* The length of text without its trailing white space, in bytes. */
static gsize
trimmed_length (const char *text)
{
  const char *end = text + strlen (text);

  while (end > text)
    {
      const char *prev = g_utf8_find_prev_char (text, end);

      if (prev == NULL || !g_unichar_isspace (g_utf8_get_char (prev)))
        break;
      end = prev;
    }
  return end - text;
}

static char *
dup_composer_text (NatterConversationView *self)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (GTK_TEXT_VIEW (self->text_view));
  GtkTextIter start;
  GtkTextIter end;

  gtk_text_buffer_get_bounds (buffer, &start, &end);
  return gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
}

static void
set_composer_text (NatterConversationView *self,
                   const char             *text)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (GTK_TEXT_VIEW (self->text_view));

  gtk_text_buffer_set_text (buffer, text != NULL ? text : "", -1);
  /* an input method mid-word would otherwise go on composing into the
   * text that was just replaced */
  gtk_text_view_reset_im_context (GTK_TEXT_VIEW (self->text_view));
}

static void
update_composer (NatterConversationView *self)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (GTK_TEXT_VIEW (self->text_view));
  g_autofree char *text = NULL;
  g_autofree char *too_long = NULL;
  const char *message = NULL;
  gsize len;

  gtk_widget_set_visible (self->placeholder, gtk_text_buffer_get_char_count (buffer) == 0);

  text = dup_composer_text (self);
  len = trimmed_length (text);
  if (len > NATTER_MAX_TEXT_BYTES)
    {
      const char *cut = text + NATTER_MAX_TEXT_BYTES;
      guint over;

      /* the limit is in bytes, but people count characters: say how many
       * to take off the end for the rest to fit */
      while ((*cut & 0xc0) == 0x80)
        cut--;
      over = (guint) g_utf8_strlen (cut, text + len - cut);
      too_long = g_strdup_printf (ngettext ("This message is too long: remove %u character to send it",
                                            "This message is too long: remove %u characters to send it",
                                            over),
                                  over);
      message = too_long;
    }
  else
    message = self->send_error;

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "conversation.send",
                                 self->peer != NULL && len > 0 && len <= NATTER_MAX_TEXT_BYTES);
  gtk_label_set_text (GTK_LABEL (self->limit_label), message != NULL ? message : "");
  gtk_widget_set_visible (self->limit_label, message != NULL);
}

static void
set_send_error (NatterConversationView *self,
                char                   *error)
{
  g_free (self->send_error);
  self->send_error = error;
  update_composer (self);
}

static void
on_buffer_changed (NatterConversationView *self)
{
  /* an error is about the text that was sent; editing it starts over */
  g_clear_pointer (&self->send_error, g_free);
  update_composer (self);
}

static char *
describe_send_error (NatterConversationView *self,
                     const GError           *error)
{
  const char *id = natter_peer_get_id (self->peer);

  if (g_error_matches (error, NATTER_CLIENT_ERROR_DOMAIN, NATTER_CLIENT_ERROR_NO_SUCH_PEER))
    return g_strdup_printf (_("Not sent: %s is not registered with the server"), id);
  if (g_error_matches (error, NATTER_CLIENT_ERROR_DOMAIN, NATTER_CLIENT_ERROR_NOT_CONNECTED))
    return g_strdup (_("Not sent: Natter is not connected"));
  if (g_error_matches (error, NATTER_CLIENT_ERROR_DOMAIN, NATTER_CLIENT_ERROR_INVALID_TEXT) &&
      (natter_peer_get_classic (self->peer) || natter_client_get_classic (self->client)))
    return g_strdup (_("Not sent: classic clients take a single short line. "
                       "Remove line breaks or shorten the message."));
  /* Translators: %s is a technical reason, in English */
  return g_strdup_printf (_("Not sent: %s"), error->message);
}

static void
send_activated (GtkWidget  *widget,
                const char *action_name G_GNUC_UNUSED,
                GVariant   *parameter G_GNUC_UNUSED)
{
  NatterConversationView *self = NATTER_CONVERSATION_VIEW (widget);
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  NatterMessage *message;
  gsize len;

  if (self->client == NULL || self->peer == NULL)
    return;

  /* a syllable still being composed (Hangul, for one) belongs to the
   * message: let the input method commit it before the text is read */
  gtk_text_view_reset_im_context (GTK_TEXT_VIEW (self->text_view));
  text = dup_composer_text (self);
  len = trimmed_length (text);
  if (len == 0 || len > NATTER_MAX_TEXT_BYTES)
    return;
  text[len] = '\0';

  /* owned by the peer's conversation */
  message = natter_client_send_message (self->client, natter_peer_get_id (self->peer), text,
                                        &error);
  if (message == NULL)
    {
      set_send_error (self, describe_send_error (self, error));
      return;
    }

  if (self->drafts != NULL)
    g_hash_table_remove (self->drafts, natter_peer_get_id (self->peer));
  set_composer_text (self, NULL);
  self->sticky = TRUE;
  scroll_to_bottom (self);
}

static gboolean
on_key_pressed (GtkEventControllerKey  *controller G_GNUC_UNUSED,
                guint                   keyval,
                guint                   keycode G_GNUC_UNUSED,
                GdkModifierType         state,
                NatterConversationView *self)
{
  if (keyval != GDK_KEY_Return && keyval != GDK_KEY_KP_Enter && keyval != GDK_KEY_ISO_Enter)
    return FALSE;
  /* Shift+Enter (and anything fancier) is left to the text view: a newline */
  if ((state & (GDK_SHIFT_MASK | GDK_CONTROL_MASK | GDK_ALT_MASK | GDK_SUPER_MASK)) != 0)
    return FALSE;

  /* swallowed even when there is nothing to send: Enter means "send" here,
   * and a stray newline in an empty or oversized message helps nobody */
  gtk_widget_activate_action (GTK_WIDGET (self), "conversation.send", NULL);
  return TRUE;
}

/* Six lines of the text view's font, however large the user made it. */
static void
update_composer_height (NatterConversationView *self)
{
  g_autoptr(PangoLayout) layout = gtk_widget_create_pango_layout (self->text_view, "Xg");
  GtkTextView *view = GTK_TEXT_VIEW (self->text_view);
  int line_height = 0;
  int height;

  pango_layout_get_pixel_size (layout, NULL, &line_height);
  height = COMPOSER_MAX_LINES * MAX (line_height, 1) +
           gtk_text_view_get_top_margin (view) + gtk_text_view_get_bottom_margin (view);
  /* the margins leave out the CSS padding and border of the text view */
  height += 10;
  /* the scrolled window insists on max >= min; lower the minimum first */
  gtk_scrolled_window_set_min_content_height (GTK_SCROLLED_WINDOW (self->composer_scroller), -1);
  gtk_scrolled_window_set_max_content_height (GTK_SCROLLED_WINDOW (self->composer_scroller),
                                              height);
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
  mark_rows (self);
  gtk_widget_activate_action (self->list_view, "list.scroll-to-item", "u", position);
}

static void
search_activated (GtkWidget  *widget,
                  const char *action_name G_GNUC_UNUSED,
                  GVariant   *parameter G_GNUC_UNUSED)
{
  NatterConversationView *self = NATTER_CONVERSATION_VIEW (widget);

  if (self->peer == NULL)
    return;
  self->searching = TRUE;
  update_empty (self);
  natter_conversation_search_start (NATTER_CONVERSATION_SEARCH (self->search), self->peer);
}

static void
stop_search (NatterConversationView *self)
{
  if (!self->searching)
    return;
  self->searching = FALSE;
  update_empty (self);
}

static void
on_search_stopped (NatterConversationView *self)
{
  stop_search (self);
  gtk_widget_grab_focus (self->text_view);
}

static void
on_search_result (NatterConversationView *self,
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

static void
clear_activated (GtkWidget  *widget,
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
  gtk_widget_class_bind_template_callback (widget_class, on_search_result);
  gtk_widget_class_bind_template_callback (widget_class, on_search_stopped);

  gtk_widget_class_install_action (widget_class, "conversation.send", NULL, send_activated);
  gtk_widget_class_install_action (widget_class, "conversation.search", NULL, search_activated);
  gtk_widget_class_install_action (widget_class, "conversation.clear", NULL, clear_activated);
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
  g_signal_connect (keys, "key-pressed", G_CALLBACK (on_key_pressed), self);
  gtk_widget_add_controller (self->text_view, keys);

  g_signal_connect_object (gtk_text_view_get_buffer (GTK_TEXT_VIEW (self->text_view)), "changed",
                           G_CALLBACK (on_buffer_changed), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->text_view, "map", G_CALLBACK (update_composer_height), self,
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
                           G_CALLBACK (on_composer_scrolled), self, 0);

  g_signal_connect_object (self->selection, "items-changed",
                           G_CALLBACK (on_items_changed), self, 0);

  update_header (self);
  update_empty (self);
  update_composer (self);
  gtk_widget_set_sensitive (GTK_WIDGET (self), FALSE);
}

GtkWidget *
natter_conversation_view_new (void)
{
  return g_object_new (NATTER_TYPE_CONVERSATION_VIEW, NULL);
}

static void
save_draft (NatterConversationView *self)
{
  g_autofree char *text = NULL;

  if (self->peer == NULL)
    return;
  text = dup_composer_text (self);
  if (trimmed_length (text) > 0)
    g_hash_table_insert (self->drafts, g_strdup (natter_peer_get_id (self->peer)),
                         g_steal_pointer (&text));
  else
    g_hash_table_remove (self->drafts, natter_peer_get_id (self->peer));
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

  save_draft (self);
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
  gtk_no_selection_set_model (self->selection,
                              peer != NULL ? natter_peer_get_conversation (peer) : NULL);
  scroll_to_bottom (self);

  g_clear_pointer (&self->send_error, g_free);
  set_composer_text (self, peer != NULL ? g_hash_table_lookup (self->drafts,
                                                               natter_peer_get_id (peer))
                                        : NULL);
  update_header (self);
  update_empty (self);
  update_composer (self);
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
