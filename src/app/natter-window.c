/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "natter"
#include "config.h"

#include <glib/gi18n.h>

#include "natter-conversation-view.h"
#include "natter-peer-row.h"
#include "natter-welcome.h"
#include "natter-window.h"

struct _NatterWindow
{
  GtkApplicationWindow    parent_instance;

  GtkLabel               *status_label;
  GtkLabel               *history_banner;
  GtkButton              *retry_button;
  GtkButton              *rename_button;
  GtkStack               *main_stack;
  NatterWelcome          *welcome;
  GtkSearchEntry         *search_entry;
  GtkStack               *sidebar_stack;
  GtkListView            *peer_list;
  GtkLabel               *empty_label;
  GtkStack               *conversation_stack;
  NatterConversationView *conversation;

  NatterClient           *client;
  guint                   countdown_id;
  GtkCustomSorter        *sorter;
  GtkStringFilter        *filter;
  GtkSingleSelection     *selection;
};

G_DEFINE_FINAL_TYPE (NatterWindow, natter_window, GTK_TYPE_APPLICATION_WINDOW)

/* Online peers first, then the most recent conversation, then by name. */
static int
compare_peers (gconstpointer a,
               gconstpointer b,
               gpointer      user_data)
{
  NatterPeer *pa = (NatterPeer *) a;
  NatterPeer *pb = (NatterPeer *) b;
  gint64 ta, tb;

  if (natter_peer_get_online (pa) != natter_peer_get_online (pb))
    return natter_peer_get_online (pa) ? -1 : 1;
  ta = natter_peer_get_last_activity (pa);
  tb = natter_peer_get_last_activity (pb);
  if (ta != tb)
    return ta > tb ? -1 : 1;
  return g_utf8_collate (natter_peer_get_id (pa), natter_peer_get_id (pb));
}

static NatterApplication *
app_of (NatterWindow *self)
{
  return NATTER_APPLICATION (gtk_window_get_application (GTK_WINDOW (self)));
}

static void update_status (NatterWindow *self);

static gboolean
on_countdown (gpointer data)
{
  update_status (data);
  return G_SOURCE_CONTINUE;
}

static void
update_status (NatterWindow *self)
{
  g_autofree char *text = NULL;
  const char *error;
  NatterClientState state;

  gtk_widget_set_visible (GTK_WIDGET (self->retry_button), FALSE);
  gtk_widget_set_visible (GTK_WIDGET (self->rename_button), FALSE);
  if (self->client == NULL)
    {
      g_clear_handle_id (&self->countdown_id, g_source_remove);
      gtk_label_set_text (self->status_label, "");
      return;
    }
  state = natter_client_get_state (self->client);
  error = natter_client_get_error (self->client);
  switch (state)
    {
    case NATTER_CLIENT_ONLINE:
      text = g_strdup_printf (_("Online as %s on %s"), natter_client_get_id (self->client),
                              natter_client_get_server (self->client));
      break;
    case NATTER_CLIENT_REGISTERING:
      text = g_strdup_printf (_("Connecting to %s…"), natter_client_get_server (self->client));
      break;
    case NATTER_CLIENT_RECONNECTING:
      {
        guint seconds = natter_client_get_retry_in (self->client);

        if (seconds > 0)
          text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Reconnecting in %u second…",
                                               "Reconnecting in %u seconds…", seconds),
                                  seconds);
        else
          text = g_strdup_printf (_("Reconnecting to %s…"),
                                  natter_client_get_server (self->client));
        gtk_widget_set_visible (GTK_WIDGET (self->retry_button), TRUE);
        /* the countdown ticks while it lasts */
        if (self->countdown_id == 0)
          self->countdown_id = g_timeout_add_seconds (1, on_countdown, self);
      }
      break;
    case NATTER_CLIENT_ERROR:
      text = g_strdup (error != NULL ? error : _("Cannot connect"));
      gtk_widget_set_visible (GTK_WIDGET (self->rename_button), TRUE);
      break;
    case NATTER_CLIENT_DISCONNECTED:
    default:
      text = g_strdup (_("Disconnected"));
      gtk_widget_set_visible (GTK_WIDGET (self->retry_button), TRUE);
      break;
    }
  if (state != NATTER_CLIENT_RECONNECTING)
    g_clear_handle_id (&self->countdown_id, g_source_remove);
  gtk_label_set_text (self->status_label, text);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->status_label),
                               state != NATTER_CLIENT_ONLINE ? error : NULL);
}

/* Chatting goes on without a history, but the user must know that nothing
 * is being kept, and why. */
static void
update_history_banner (NatterWindow *self)
{
  const GError *error = natter_application_get_history_error (app_of (self));
  g_autofree char *text = NULL;

  if (error != NULL)
    /* Translators: the reason follows, e.g. "…/history.sqlite: file is
     * not a database" */
    text = g_strdup_printf (_("The message history cannot be opened, so messages are not "
                              "kept: %s"), error->message);
  gtk_label_set_text (self->history_banner, text != NULL ? text : "");
  gtk_widget_set_visible (GTK_WIDGET (self->history_banner), text != NULL);
}

/* Writing failed later (a full disk): nothing is lost, since what came in
 * unsaved was not acknowledged, but the user should free some space. */
static void
on_history_error (NatterClient *client,
                  const char   *message,
                  NatterWindow *self)
{
  g_autofree char *text = NULL;

  /* Translators: the reason follows, in English */
  text = g_strdup_printf (_("Messages cannot be saved right now; those arriving will come "
                            "again: %s"), message);
  gtk_label_set_text (self->history_banner, text);
  gtk_widget_set_visible (GTK_WIDGET (self->history_banner), TRUE);
}

static void
update_empty (NatterWindow *self)
{
  GListModel *peers = self->client != NULL ? natter_client_get_peers (self->client) : NULL;
  g_autofree char *hint = NULL;

  if (peers != NULL && g_list_model_get_n_items (peers) > 0)
    {
      gtk_stack_set_visible_child_name (self->sidebar_stack, "list");
      return;
    }
  hint = g_strdup_printf (_("Share the server address %s with the people you want to chat with."),
                          self->client != NULL ? natter_client_get_server (self->client) : "");
  gtk_label_set_text (self->empty_label, hint);
  gtk_stack_set_visible_child_name (self->sidebar_stack, "empty");
}

static void
on_peer_order_changed (NatterWindow *self)
{
  gtk_sorter_changed (GTK_SORTER (self->sorter), GTK_SORTER_CHANGE_DIFFERENT);
}

static void
on_peers_changed (GListModel   *peers,
                  guint         position,
                  guint         removed,
                  guint         added,
                  NatterWindow *self)
{
  for (guint i = position; i < position + added; i++)
    {
      g_autoptr(NatterPeer) peer = g_list_model_get_item (peers, i);

      g_signal_connect_object (peer, "notify::online", G_CALLBACK (on_peer_order_changed),
                               self, G_CONNECT_SWAPPED);
      g_signal_connect_object (peer, "notify::last-activity", G_CALLBACK (on_peer_order_changed),
                               self, G_CONNECT_SWAPPED);
    }
  update_empty (self);
}

static void
show_peer (NatterWindow *self,
           NatterPeer   *peer)
{
  natter_conversation_view_set_peer (self->conversation, self->client, peer);
  gtk_stack_set_visible_child_name (self->conversation_stack,
                                    peer != NULL ? "conversation" : "none");
  if (peer != NULL)
    natter_application_conversation_shown (app_of (self), peer);
}

static void
on_selection_changed (NatterWindow *self)
{
  NatterPeer *peer = gtk_single_selection_get_selected_item (self->selection);

  show_peer (self, peer);
  /* choosing someone is choosing to write to them */
  if (peer != NULL)
    natter_conversation_view_focus_composer (self->conversation);
}

static void
on_search_changed (NatterWindow *self)
{
  gtk_string_filter_set_search (self->filter,
                                gtk_editable_get_text (GTK_EDITABLE (self->search_entry)));
}

static void
on_stop_search (NatterWindow *self)
{
  gtk_editable_set_text (GTK_EDITABLE (self->search_entry), "");
}

static void
on_welcome_connect (NatterWelcome *welcome,
                    const char    *id,
                    const char    *server,
                    gboolean       classic,
                    NatterWindow  *self)
{
  natter_application_configure (app_of (self), id, server, classic);
}

static void
setup_row (GtkSignalListItemFactory *factory,
           GtkListItem              *item)
{
  gtk_list_item_set_child (item, natter_peer_row_new ());
}

static void
bind_row (GtkSignalListItemFactory *factory,
          GtkListItem              *item)
{
  natter_peer_row_set_peer (NATTER_PEER_ROW (gtk_list_item_get_child (item)),
                            gtk_list_item_get_item (item));
}

static void
unbind_row (GtkSignalListItemFactory *factory,
            GtkListItem              *item)
{
  natter_peer_row_set_peer (NATTER_PEER_ROW (gtk_list_item_get_child (item)), NULL);
}

static void
move_selection (NatterWindow *self,
                int           delta)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->selection));
  guint current = gtk_single_selection_get_selected (self->selection);
  guint next;

  if (n == 0)
    return;
  if (current == GTK_INVALID_LIST_POSITION)
    next = delta > 0 ? 0 : n - 1;
  else if (delta < 0)
    next = current == 0 ? 0 : current - 1;
  else
    next = MIN (current + 1, n - 1);
  gtk_single_selection_set_selected (self->selection, next);
  gtk_widget_activate_action (GTK_WIDGET (self->peer_list), "list.scroll-to-item", "u", next);
}

static void
previous_conversation (GtkWidget  *widget,
                       const char *action,
                       GVariant   *param)
{
  move_selection (NATTER_WINDOW (widget), -1);
}

static void
next_conversation (GtkWidget  *widget,
                   const char *action,
                   GVariant   *param)
{
  move_selection (NATTER_WINDOW (widget), +1);
}

static void
search (GtkWidget  *widget,
        const char *action,
        GVariant   *param)
{
  NatterWindow *self = NATTER_WINDOW (widget);

  gtk_widget_grab_focus (GTK_WIDGET (self->search_entry));
}

static void
retry_connection (GtkWidget  *widget,
                  const char *action,
                  GVariant   *param)
{
  NatterWindow *self = NATTER_WINDOW (widget);

  if (self->client != NULL && natter_client_get_state (self->client) == NATTER_CLIENT_RECONNECTING)
    natter_client_retry_now (self->client);
  else
    natter_application_connect (app_of (self));
}

static void
choose_name (GtkWidget  *widget,
             const char *action,
             GVariant   *param)
{
  NatterWindow *self = NATTER_WINDOW (widget);
  GSettings *settings = natter_application_get_settings (app_of (self));
  g_autofree char *server = g_settings_get_string (settings, "server");

  natter_welcome_set_values (self->welcome,
                             self->client != NULL ? natter_client_get_id (self->client) : "",
                             self->client != NULL ? natter_client_get_server (self->client) : server,
                             g_settings_get_boolean (settings, "classic"),
                             self->client != NULL ? natter_client_get_error (self->client) : NULL);
  gtk_stack_set_visible_child_name (self->main_stack, "welcome");
  gtk_widget_set_visible (GTK_WIDGET (self->rename_button), FALSE);
}

/* GtkApplication would build the shortcuts window along with every main
 * window, before its first frame; it is built the first time it is asked
 * for instead, and then set up the way GtkApplication would have. */
static void
show_help_overlay (GtkWidget  *widget,
                   const char *action,
                   GVariant   *param)
{
  GtkApplicationWindow *window = GTK_APPLICATION_WINDOW (widget);
  GtkShortcutsWindow *overlay = gtk_application_window_get_help_overlay (window);

  if (overlay == NULL)
    {
      g_autoptr(GtkBuilder) builder =
        gtk_builder_new_from_resource (RESOURCE_PATH "/help-overlay.ui");

      overlay = GTK_SHORTCUTS_WINDOW (gtk_builder_get_object (builder, "help_overlay"));
      gtk_application_window_set_help_overlay (window, overlay);
    }
  gtk_window_present (GTK_WINDOW (overlay));
}

static void
natter_window_dispose (GObject *object)
{
  NatterWindow *self = NATTER_WINDOW (object);

  g_clear_handle_id (&self->countdown_id, g_source_remove);
  if (self->client != NULL)
    g_signal_handlers_disconnect_by_data (self->client, self);
  g_clear_object (&self->client);
  /* the window itself lets go of its child and titlebar */
  g_clear_object (&self->selection);
  G_OBJECT_CLASS (natter_window_parent_class)->dispose (object);
}

static void
natter_window_class_init (NatterWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = natter_window_dispose;

  g_type_ensure (NATTER_TYPE_WELCOME);
  g_type_ensure (NATTER_TYPE_CONVERSATION_VIEW);
  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_PATH "/natter-window.ui");
  gtk_widget_class_bind_template_child (widget_class, NatterWindow, status_label);
  gtk_widget_class_bind_template_child (widget_class, NatterWindow, history_banner);
  gtk_widget_class_bind_template_child (widget_class, NatterWindow, retry_button);
  gtk_widget_class_bind_template_child (widget_class, NatterWindow, rename_button);
  gtk_widget_class_bind_template_child (widget_class, NatterWindow, main_stack);
  gtk_widget_class_bind_template_child (widget_class, NatterWindow, welcome);
  gtk_widget_class_bind_template_child (widget_class, NatterWindow, search_entry);
  gtk_widget_class_bind_template_child (widget_class, NatterWindow, sidebar_stack);
  gtk_widget_class_bind_template_child (widget_class, NatterWindow, peer_list);
  gtk_widget_class_bind_template_child (widget_class, NatterWindow, empty_label);
  gtk_widget_class_bind_template_child (widget_class, NatterWindow, conversation_stack);
  gtk_widget_class_bind_template_child (widget_class, NatterWindow, conversation);
  gtk_widget_class_bind_template_callback (widget_class, on_welcome_connect);
  gtk_widget_class_bind_template_callback (widget_class, on_search_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_stop_search);

  gtk_widget_class_install_action (widget_class, "win.previous-conversation", NULL,
                                   previous_conversation);
  gtk_widget_class_install_action (widget_class, "win.next-conversation", NULL,
                                   next_conversation);
  gtk_widget_class_install_action (widget_class, "win.search", NULL, search);
  gtk_widget_class_install_action (widget_class, "win.retry-connection", NULL, retry_connection);
  gtk_widget_class_install_action (widget_class, "win.choose-name", NULL, choose_name);
  gtk_widget_class_install_action (widget_class, "win.show-help-overlay", NULL,
                                   show_help_overlay);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Up, GDK_ALT_MASK,
                                       "win.previous-conversation", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Down, GDK_ALT_MASK,
                                       "win.next-conversation", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_f, GDK_CONTROL_MASK,
                                       "win.search", NULL);
}

static void
natter_window_init (NatterWindow *self)
{
  GtkListItemFactory *factory = gtk_signal_list_item_factory_new ();

  gtk_widget_init_template (GTK_WIDGET (self));

  self->sorter = gtk_custom_sorter_new (compare_peers, NULL, NULL);
  self->filter = gtk_string_filter_new (gtk_property_expression_new (NATTER_TYPE_PEER, NULL, "id"));
  gtk_string_filter_set_match_mode (self->filter, GTK_STRING_FILTER_MATCH_MODE_SUBSTRING);
  gtk_string_filter_set_ignore_case (self->filter, TRUE);

  g_signal_connect (factory, "setup", G_CALLBACK (setup_row), NULL);
  g_signal_connect (factory, "bind", G_CALLBACK (bind_row), NULL);
  g_signal_connect (factory, "unbind", G_CALLBACK (unbind_row), NULL);
  gtk_list_view_set_factory (self->peer_list, factory);
  g_object_unref (factory);

  /* typing anywhere in the window starts a search */
  gtk_search_entry_set_key_capture_widget (self->search_entry, GTK_WIDGET (self));
}

NatterWindow *
natter_window_new (NatterApplication *app)
{
  return g_object_new (NATTER_TYPE_WINDOW, "application", app, NULL);
}

void
natter_window_set_client (NatterWindow *self,
                          NatterClient *client)
{
  GtkFilterListModel *filtered;
  GtkSortListModel *sorted;

  g_return_if_fail (NATTER_IS_WINDOW (self));

  if (self->client != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->client, self);
      g_signal_handlers_disconnect_by_data (natter_client_get_peers (self->client), self);
    }
  show_peer (self, NULL);
  gtk_list_view_set_model (self->peer_list, NULL);
  g_clear_object (&self->selection);
  g_set_object (&self->client, client);
  update_history_banner (self);

  if (client == NULL)
    {
      gtk_stack_set_visible_child_name (self->main_stack, "welcome");
      update_status (self);
      return;
    }

  filtered = gtk_filter_list_model_new (g_object_ref (natter_client_get_peers (client)),
                                        GTK_FILTER (g_object_ref (self->filter)));
  sorted = gtk_sort_list_model_new (G_LIST_MODEL (filtered), GTK_SORTER (g_object_ref (self->sorter)));
  /* not autoselect, even for a moment: with a history the list is full
   * from the start, and opening a conversation would mark it read */
  self->selection = g_object_new (GTK_TYPE_SINGLE_SELECTION, "autoselect", FALSE,
                                  "can-unselect", TRUE, "model", sorted, NULL);
  g_object_unref (sorted);
  gtk_list_view_set_model (self->peer_list, GTK_SELECTION_MODEL (self->selection));
  g_signal_connect_swapped (self->selection, "notify::selected-item",
                            G_CALLBACK (on_selection_changed), self);

  g_signal_connect_swapped (client, "notify::state", G_CALLBACK (update_status), self);
  g_signal_connect_swapped (client, "notify::error", G_CALLBACK (update_status), self);
  g_signal_connect (client, "history-error", G_CALLBACK (on_history_error), self);
  g_signal_connect (natter_client_get_peers (client), "items-changed",
                    G_CALLBACK (on_peers_changed), self);
  on_peers_changed (natter_client_get_peers (client), 0, 0,
                    g_list_model_get_n_items (natter_client_get_peers (client)), self);

  gtk_stack_set_visible_child_name (self->main_stack, "chat");
  update_status (self);
  update_empty (self);
}

gboolean
natter_window_open_conversation (NatterWindow *self,
                                 const char   *peer_id)
{
  guint n;

  g_return_val_if_fail (NATTER_IS_WINDOW (self), FALSE);

  if (self->selection == NULL)
    return FALSE;
  /* the peer may be hidden by a search */
  gtk_editable_set_text (GTK_EDITABLE (self->search_entry), "");
  n = g_list_model_get_n_items (G_LIST_MODEL (self->selection));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(NatterPeer) peer = g_list_model_get_item (G_LIST_MODEL (self->selection), i);

      if (g_str_equal (natter_peer_get_id (peer), peer_id))
        {
          gtk_single_selection_set_selected (self->selection, i);
          natter_conversation_view_focus_composer (self->conversation);
          return TRUE;
        }
    }
  return FALSE;
}

NatterPeer *
natter_window_get_current_peer (NatterWindow *self)
{
  g_return_val_if_fail (NATTER_IS_WINDOW (self), NULL);
  return natter_conversation_view_get_peer (self->conversation);
}
