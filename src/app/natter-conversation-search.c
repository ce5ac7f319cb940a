/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "natter"
#include "config.h"

#include <glib/gi18n.h>

#include "natter-conversation-search.h"

struct _NatterConversationSearch
{
  GtkWidget   parent_instance;

  NatterPeer *peer;

  GtkWidget  *entry;
  GtkWidget  *summary;
  GtkWidget  *results;
};

G_DEFINE_FINAL_TYPE (NatterConversationSearch, natter_conversation_search, GTK_TYPE_WIDGET)

enum
{
  SIGNAL_RESULT_ACTIVATED,
  SIGNAL_STOPPED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static GtkWidget *
result_row (NatterConversationSearch *self,
            NatterMessage            *message)
{
  g_autoptr(GDateTime) time =
    g_date_time_new_from_unix_local (natter_message_get_time (message) / 1000);
  g_autofree char *when = g_date_time_format (time, "%x %X");
  g_autofree char *header = NULL;
  GtkWidget *row = gtk_list_box_row_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
  GtkWidget *meta, *text;

  /* Translators: a message found, e.g. "bob · 26/11/26 14:02:11"; "You"
   * for your own */
  header = g_strdup_printf (_("%s · %s"),
                            natter_message_get_direction (message) == NATTER_MESSAGE_INCOMING
                            ? natter_peer_get_id (self->peer) : _("You"),
                            when);
  meta = gtk_label_new (header);
  gtk_label_set_xalign (GTK_LABEL (meta), 0);
  gtk_widget_add_css_class (meta, "search-time");
  text = gtk_label_new (natter_message_get_text (message));
  gtk_label_set_xalign (GTK_LABEL (text), 0);
  gtk_label_set_wrap (GTK_LABEL (text), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (text), PANGO_WRAP_WORD_CHAR);
  gtk_label_set_lines (GTK_LABEL (text), 2);
  gtk_label_set_ellipsize (GTK_LABEL (text), PANGO_ELLIPSIZE_END);
  gtk_box_append (GTK_BOX (box), meta);
  gtk_box_append (GTK_BOX (box), text);
  gtk_widget_add_css_class (box, "search-result");
  gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (row), box);
  g_object_set_data_full (G_OBJECT (row), "message", g_object_ref (message), g_object_unref);
  return row;
}

static void
clear_results (NatterConversationSearch *self)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (self->results)) != NULL)
    gtk_list_box_remove (GTK_LIST_BOX (self->results), child);
}

static void
on_search_changed (NatterConversationSearch *self)
{
  const char *query = gtk_editable_get_text (GTK_EDITABLE (self->entry));
  g_autoptr(GPtrArray) found = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *summary = NULL;
  g_autofree char *words = g_strstrip (g_strdup (query));

  clear_results (self);
  if (self->peer == NULL || *words == '\0')
    {
      gtk_label_set_text (GTK_LABEL (self->summary), "");
      return;
    }
  found = natter_peer_search (self->peer, query, NATTER_SEARCH_LIMIT, &error);
  if (found == NULL)
    {
      /* Translators: the search failed; the reason follows */
      summary = g_strdup_printf (_("Cannot search: %s"), error->message);
      gtk_label_set_text (GTK_LABEL (self->summary), summary);
      return;
    }
  for (guint i = 0; i < found->len; i++)
    gtk_list_box_append (GTK_LIST_BOX (self->results), result_row (self, found->pdata[i]));
  if (found->len == 0)
    summary = g_strdup_printf (_("No messages with “%s”"), query);
  else if (found->len >= NATTER_SEARCH_LIMIT)
    summary = g_strdup_printf (_("The newest %u messages found"), found->len);
  else
    summary = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u message found",
                                            "%u messages found", found->len),
                               found->len);
  gtk_label_set_text (GTK_LABEL (self->summary), summary);
}

static void
on_stop_search (NatterConversationSearch *self)
{
  g_signal_emit (self, signals[SIGNAL_STOPPED], 0);
}

static void
on_row_activated (NatterConversationSearch *self,
                  GtkListBoxRow            *row)
{
  NatterMessage *message = g_object_get_data (G_OBJECT (row), "message");

  if (message != NULL)
    g_signal_emit (self, signals[SIGNAL_RESULT_ACTIVATED], 0, message);
}

/* Enter in the entry: the newest match */
static void
on_entry_activate (NatterConversationSearch *self)
{
  GtkListBoxRow *first = gtk_list_box_get_row_at_index (GTK_LIST_BOX (self->results), 0);

  if (first != NULL)
    on_row_activated (self, first);
}

static void
natter_conversation_search_dispose (GObject *object)
{
  NatterConversationSearch *self = NATTER_CONVERSATION_SEARCH (object);

  GtkWidget *child;

  g_clear_object (&self->peer);
  gtk_widget_dispose_template (GTK_WIDGET (self), NATTER_TYPE_CONVERSATION_SEARCH);
  /* dispose_template () lets go of bound children only */
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);
  G_OBJECT_CLASS (natter_conversation_search_parent_class)->dispose (object);
}

static gboolean
natter_conversation_search_grab_focus (GtkWidget *widget)
{
  return gtk_widget_grab_focus (NATTER_CONVERSATION_SEARCH (widget)->entry);
}

static void
natter_conversation_search_class_init (NatterConversationSearchClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = natter_conversation_search_dispose;
  widget_class->grab_focus = natter_conversation_search_grab_focus;

  signals[SIGNAL_RESULT_ACTIVATED] =
    g_signal_new ("result-activated", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 1, NATTER_TYPE_MESSAGE);
  signals[SIGNAL_STOPPED] =
    g_signal_new ("stopped", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 0);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               RESOURCE_PATH "/natter-conversation-search.ui");
  gtk_widget_class_bind_template_child (widget_class, NatterConversationSearch, entry);
  gtk_widget_class_bind_template_child (widget_class, NatterConversationSearch, summary);
  gtk_widget_class_bind_template_child (widget_class, NatterConversationSearch, results);
  gtk_widget_class_bind_template_callback (widget_class, on_search_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_stop_search);
  gtk_widget_class_bind_template_callback (widget_class, on_row_activated);
  gtk_widget_class_bind_template_callback (widget_class, on_entry_activate);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BOX_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "conversation-search");
}

static void
natter_conversation_search_init (NatterConversationSearch *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  gtk_orientable_set_orientation (GTK_ORIENTABLE (gtk_widget_get_layout_manager (GTK_WIDGET (self))),
                                  GTK_ORIENTATION_VERTICAL);
}

void
natter_conversation_search_start (NatterConversationSearch *self,
                                  NatterPeer               *peer)
{
  g_return_if_fail (NATTER_IS_CONVERSATION_SEARCH (self));

  if (peer != self->peer)
    {
      g_set_object (&self->peer, peer);
      gtk_editable_set_text (GTK_EDITABLE (self->entry), "");
      clear_results (self);
      gtk_label_set_text (GTK_LABEL (self->summary), "");
    }
  else
    gtk_editable_select_region (GTK_EDITABLE (self->entry), 0, -1);
  gtk_widget_grab_focus (self->entry);
}
