/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "natter-conversation-view-private.h"

/* Writing and sending: the composer grows with its text up to a few lines,
 * keeps a draft per peer, and says why a message could not be sent. */

/* GTK 4.8's text view keeps the scroll range it computed just before it
 * grew with a new line, and scrolls within it: without this the first line
 * would be pushed half out of a box that has room for all of them. */
void
natter_conversation_view_composer_scrolled (GtkAdjustment          *adjustment,
                                            NatterConversationView *self)
{
  if (gtk_adjustment_get_value (adjustment) > 0 &&
      gtk_widget_get_height (self->text_view) >= gtk_adjustment_get_upper (adjustment))
    gtk_adjustment_set_value (adjustment, 0);
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

void
natter_conversation_view_set_composer_text (NatterConversationView *self,
                                            const char             *text)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (GTK_TEXT_VIEW (self->text_view));

  gtk_text_buffer_set_text (buffer, text != NULL ? text : "", -1);
  /* an input method mid-word would otherwise go on composing into the
   * text that was just replaced */
  gtk_text_view_reset_im_context (GTK_TEXT_VIEW (self->text_view));
}

void
natter_conversation_view_update_composer (NatterConversationView *self)
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
  natter_conversation_view_update_composer (self);
}

void
natter_conversation_view_buffer_changed (NatterConversationView *self)
{
  /* an error is about the text that was sent; editing it starts over */
  g_clear_pointer (&self->send_error, g_free);
  natter_conversation_view_update_composer (self);
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

void
natter_conversation_view_send_activated (GtkWidget  *widget,
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
  natter_conversation_view_set_composer_text (self, NULL);
  self->sticky = TRUE;
  natter_conversation_view_scroll_to_bottom (self);
}

gboolean
natter_conversation_view_composer_key_pressed (GtkEventControllerKey  *controller G_GNUC_UNUSED,
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
void
natter_conversation_view_update_composer_height (NatterConversationView *self)
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

void
natter_conversation_view_save_draft (NatterConversationView *self)
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
