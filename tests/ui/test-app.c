/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "app-fixture.h"

/* The desktop app on a real X server (Xvfb), against the real natter-server
 * and a second, engine-only client. */

static void
test_welcome (Fixture       *f,
              gconstpointer  data)
{
  GtkStack *main_stack = child (f->window, NATTER_TYPE_WINDOW, "main_stack");
  NatterWelcome *welcome = child (f->window, NATTER_TYPE_WINDOW, "welcome");
  GtkEditable *name = child (welcome, NATTER_TYPE_WELCOME, "name_entry");
  GtkEditable *server = child (welcome, NATTER_TYPE_WELCOME, "server_entry");
  GtkWidget *button = child (welcome, NATTER_TYPE_WELCOME, "connect_button");
  GtkLabel *name_error = child (welcome, NATTER_TYPE_WELCOME, "name_error");
  GtkLabel *status = child (f->window, NATTER_TYPE_WINDOW, "status_label");
  GSettings *settings = natter_application_get_settings (f->app);

  /* first run: nothing remembered, so the welcome page */
  g_assert_cmpstr (visible_page (main_stack), ==, "welcome");
  g_assert_null (natter_application_get_client (f->app));

  /* an invalid name says why, and cannot connect */
  gtk_editable_set_text (server, f->address);
  gtk_editable_set_text (name, "a b");
  g_assert_false (gtk_widget_get_sensitive (button));
  g_assert_cmpstr (gtk_label_get_text (name_error), !=, "");
  g_assert_true (gtk_widget_has_css_class (GTK_WIDGET (name), "error"));
  gtk_editable_set_text (name, "김태은");
  g_assert_true (gtk_widget_get_sensitive (button));

  gtk_editable_set_text (name, "alice");
  g_signal_emit_by_name (button, "clicked");
  g_assert_true (natter_test_wait_until (app_online, f->app, WAIT_MS));

  /* remembered for the next start, and shown in the header */
  g_assert_cmpstr (g_settings_get_string (settings, "id"), ==, "alice");
  g_assert_cmpstr (g_settings_get_string (settings, "server"), ==, f->address);
  g_assert_cmpstr (visible_page (main_stack), ==, "chat");
  g_assert_nonnull (strstr (gtk_label_get_text (status), "alice"));
}

static gboolean
bob_got_hello (gpointer data)
{
  Fixture *f = data;

  return g_hash_table_contains (f->bob_got, "hello bob\nsecond line");
}

static gboolean
cli_printed (gpointer data)
{
  gpointer *args = data;

  return natter_test_cli_has_line (args[0], args[1]);
}

/* Presses Enter in the composer, through the same key controller that a
 * real key press reaches. */
static void
press_enter (GtkWidget *text_view)
{
  g_autoptr(GListModel) controllers = gtk_widget_observe_controllers (text_view);
  gboolean pressed = FALSE;

  for (guint i = 0; i < g_list_model_get_n_items (controllers) && !pressed; i++)
    {
      g_autoptr(GObject) controller = g_list_model_get_item (controllers, i);
      gboolean handled = FALSE;

      if (!GTK_IS_EVENT_CONTROLLER_KEY (controller))
        continue;
      g_signal_emit_by_name (controller, "key-pressed", GDK_KEY_Return, 36, 0, &handled);
      pressed = handled;
    }
  g_assert_true (pressed);
}

static void
test_enter_reaches_cli (Fixture       *f,
                        gconstpointer  data)
{
  GtkListView *peer_list = child (f->window, NATTER_TYPE_WINDOW, "peer_list");
  NatterConversationView *view = child (f->window, NATTER_TYPE_WINDOW, "conversation");
  GtkTextView *text_view = child (view, NATTER_TYPE_CONVERSATION_VIEW, "text_view");
  g_autoptr(NatterTestCli) dave = NULL;
  CountCheck check;
  NatterPeer *peer;
  g_autoptr(NatterMessage) sent = NULL;
  gpointer printed[2];

  connect_alice (f);
  dave = natter_test_cli_start (natter_test_server_port (f->server), "dave");
  check.model = G_LIST_MODEL (gtk_list_view_get_model (peer_list));
  check.n = 1;
  g_assert_true (natter_test_wait_until (has_n_items, &check, WAIT_MS));

  g_assert_true (natter_window_open_conversation (f->window, "dave"));
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (text_view), "hello dave", -1);
  press_enter (GTK_WIDGET (text_view));

  printed[0] = dave;
  printed[1] = (gpointer) "From alice [hello dave]";
  g_assert_true (natter_test_wait_until (cli_printed, printed, WAIT_MS));
  peer = natter_client_lookup_peer (natter_application_get_client (f->app), "dave");
  sent = g_list_model_get_item (natter_peer_get_conversation (peer), 0);
  g_assert_cmpstr (natter_message_get_text (sent), ==, "hello dave");
  g_assert_true (natter_test_wait_until (is_delivered, sent, WAIT_MS));

  /* dave leaving: he stays in the list, offline, with the conversation */
  natter_test_cli_send (dave, "@exit");
  g_assert_true (natter_test_wait_until (is_offline, peer, WAIT_MS));
  g_assert_cmpuint (g_list_model_get_n_items (check.model), ==, 1);
  g_assert_cmpuint (g_list_model_get_n_items (natter_peer_get_conversation (peer)), ==, 1);
}

static void
test_conversation (Fixture       *f,
                   gconstpointer  data)
{
  GtkStack *sidebar_stack = child (f->window, NATTER_TYPE_WINDOW, "sidebar_stack");
  GtkListView *peer_list = child (f->window, NATTER_TYPE_WINDOW, "peer_list");
  GtkLabel *empty_label = child (f->window, NATTER_TYPE_WINDOW, "empty_label");
  GtkStack *conversation_stack = child (f->window, NATTER_TYPE_WINDOW, "conversation_stack");
  NatterConversationView *view = child (f->window, NATTER_TYPE_WINDOW, "conversation");
  GtkTextView *text_view = child (view, NATTER_TYPE_CONVERSATION_VIEW, "text_view");
  GtkWidget *send = child (view, NATTER_TYPE_CONVERSATION_VIEW, "send_button");
  NatterClient *alice;
  NatterPeer *bob_peer;
  NatterMessage *sent;
  CountCheck check;
  GListModel *conversation;

  connect_alice (f);
  alice = natter_application_get_client (f->app);

  /* alone on the server: the empty state shows the address to share */
  g_assert_cmpstr (visible_page (sidebar_stack), ==, "empty");
  g_assert_nonnull (strstr (gtk_label_get_text (empty_label), f->address));

  f->bob = engine_client (f, "bob");
  f->carol = engine_client (f, "carol");
  g_signal_connect (f->bob, "message-received", G_CALLBACK (count_received), f->bob_got);
  check.model = G_LIST_MODEL (gtk_list_view_get_model (peer_list));
  check.n = 2;
  g_assert_true (natter_test_wait_until (has_n_items, &check, WAIT_MS));
  g_assert_cmpstr (visible_page (sidebar_stack), ==, "list");

  /* open bob, write two lines, send */
  g_assert_true (natter_window_open_conversation (f->window, "bob"));
  g_assert_cmpstr (visible_page (conversation_stack), ==, "conversation");
  g_assert_false (gtk_widget_get_sensitive (send));
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (text_view), "hello bob\nsecond line", -1);
  g_assert_true (gtk_widget_get_sensitive (send));
  g_signal_emit_by_name (send, "clicked");
  g_assert_true (natter_test_wait_until (bob_got_hello, f, WAIT_MS));

  /* the bubble is there and turns delivered; the composer is empty again */
  bob_peer = natter_client_lookup_peer (alice, "bob");
  conversation = natter_peer_get_conversation (bob_peer);
  g_assert_cmpuint (g_list_model_get_n_items (conversation), ==, 1);
  sent = g_list_model_get_item (conversation, 0);
  g_assert_true (natter_test_wait_until (is_delivered, sent, WAIT_MS));
  g_object_unref (sent);
  g_assert_cmpint (gtk_text_buffer_get_char_count (gtk_text_view_get_buffer (text_view)), ==, 0);

  /* a message for a conversation not in view counts as unread... */
  g_assert_true (natter_window_open_conversation (f->window, "carol"));
  g_assert_nonnull (natter_client_send_message (f->bob, "alice", "are you there?", NULL));
  check.model = conversation;
  check.n = 2;
  g_assert_true (natter_test_wait_until (has_n_items, &check, WAIT_MS));
  g_assert_cmpuint (natter_peer_get_unread (bob_peer), ==, 1);
  /* ...until it is opened, here as activating its notification does */
  g_action_group_activate_action (G_ACTION_GROUP (f->app), "open-conversation",
                                  g_variant_new_string ("bob"));
  g_assert_true (natter_window_get_current_peer (f->window) == bob_peer);
  g_assert_cmpuint (natter_peer_get_unread (bob_peer), ==, 0);
}

static gboolean
server_says_alice_left (gpointer data)
{
  return natter_test_server_has_line (data, "alice is unregistered");
}

static void
test_close_says_goodbye (Fixture       *f,
                         gconstpointer  data)
{
  connect_alice (f);
  gtk_window_close (GTK_WINDOW (f->window));
  f->window = NULL;
  g_assert_true (natter_test_wait_until (server_says_alice_left, f->server, WAIT_MS));
}

static void
test_search_filters (Fixture       *f,
                     gconstpointer  data)
{
  GtkListView *peer_list = child (f->window, NATTER_TYPE_WINDOW, "peer_list");
  GtkEditable *search = child (f->window, NATTER_TYPE_WINDOW, "search_entry");
  CountCheck check;

  connect_alice (f);
  f->bob = engine_client (f, "bob");
  f->carol = engine_client (f, "carol");
  check.model = G_LIST_MODEL (gtk_list_view_get_model (peer_list));
  check.n = 2;
  g_assert_true (natter_test_wait_until (has_n_items, &check, WAIT_MS));
  gtk_editable_set_text (search, "CAR");
  check.n = 1;
  g_assert_true (natter_test_wait_until (has_n_items, &check, WAIT_MS));
  gtk_editable_set_text (search, "");
  check.n = 2;
  g_assert_true (natter_test_wait_until (has_n_items, &check, WAIT_MS));
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GSubprocess) notifications = app_test_init (&argc, &argv);
  int status;

  g_test_add ("/app/welcome", Fixture, NULL, fixture_set_up, test_welcome, fixture_tear_down);
  g_test_add ("/app/conversation", Fixture, NULL, fixture_set_up, test_conversation,
              fixture_tear_down);
  g_test_add ("/app/search", Fixture, NULL, fixture_set_up, test_search_filters,
              fixture_tear_down);
  g_test_add ("/app/enter-reaches-cli", Fixture, NULL, fixture_set_up, test_enter_reaches_cli,
              fixture_tear_down);
  g_test_add ("/app/close-says-goodbye", Fixture, NULL, fixture_set_up,
              test_close_says_goodbye, fixture_tear_down);

  status = g_test_run ();
  if (notifications != NULL)
    g_subprocess_force_exit (notifications);
  return status;
}
