/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "app-fixture.h"
#include "natter-conversation-search.h"

/* The app's history on a real SQLite file: conversations that outlive the
 * connection, the offline queue, paging through a long conversation, its
 * search, and clearing it. */

static char *
server_key (Fixture *f)
{
  return g_strdup (f->address);
}

/* Writes n messages with peer into the app's history, as an earlier run
 * would have; every 1000th says "needle N". */
static void
write_history (Fixture    *f,
               const char *peer,
               guint       n)
{
  g_autofree char *path = natter_store_profile_path ("uitest");
  g_autofree char *server = server_key (f);
  g_autoptr(GError) error = NULL;
  g_autoptr(NatterStore) store = natter_store_open (path, &error);
  gint64 row, now = g_get_real_time () / 1000;

  g_assert_no_error (error);
  row = natter_store_peer_row (store, server, peer, &error);
  g_assert_true (natter_store_begin (store, &error));
  for (guint i = 1; i <= n; i++)
    {
      g_autofree char *text = i % 1000 == 0 ? g_strdup_printf ("needle %u", i)
                                            : g_strdup_printf ("message %u of a long talk", i);
      g_autoptr(NatterMessage) message =
        natter_message_new (((guint64) g_random_int () << 32) | i,
                            i % 2 ? NATTER_MESSAGE_INCOMING : NATTER_MESSAGE_OUTGOING, text,
                            now - (gint64) (n - i) * 1000,
                            i % 2 ? NATTER_MESSAGE_RECEIVED : NATTER_MESSAGE_DELIVERED);

      g_assert_true (natter_store_add_message (store, row, message, 0, 0, NULL, &error));
    }
  g_assert_true (natter_store_commit (store, &error));
  g_assert_no_error (error);
}

static gint64
stored_count (Fixture    *f,
              const char *peer)
{
  g_autofree char *path = natter_store_profile_path ("uitest");
  g_autofree char *server = server_key (f);
  g_autoptr(NatterStore) store = natter_store_open (path, NULL);

  g_assert_nonnull (store);
  return natter_store_count (store, natter_store_peer_row (store, server, peer, NULL));
}

static gsize
rss_kib (void)
{
  g_autofree char *status = NULL;
  const char *line;

  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL) ||
      (line = strstr (status, "VmRSS:")) == NULL)
    return 0;
  return (gsize) g_ascii_strtoull (line + strlen ("VmRSS:"), NULL, 10);
}

static void
settle (guint ms)
{
  gint64 end = g_get_monotonic_time () + ms * 1000;

  while (g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, FALSE);
}

static gboolean
has_text (gpointer data)
{
  gpointer *args = data;
  GHashTable *counts = args[0];

  return g_hash_table_contains (counts, args[1]);
}

static gboolean
is_queued (gpointer data)
{
  return natter_message_get_state (data) == NATTER_MESSAGE_QUEUED;
}

static void
send_in_composer (Fixture    *f,
                  const char *text)
{
  NatterConversationView *view = child (f->window, NATTER_TYPE_WINDOW, "conversation");
  GtkTextView *text_view = child (view, NATTER_TYPE_CONVERSATION_VIEW, "text_view");
  GtkWidget *send = child (view, NATTER_TYPE_CONVERSATION_VIEW, "send_button");

  gtk_text_buffer_set_text (gtk_text_view_get_buffer (text_view), text, -1);
  g_signal_emit_by_name (send, "clicked");
}

static NatterMessage *
last_message (NatterPeer *peer)
{
  NatterMessage *last = natter_peer_dup_last_message (peer);

  g_assert_nonnull (last);
  return last;
}

/* The conversation outlives the connection: a new client (as after a
 * restart) lists bob, offline, with every message, and what was unread. */
static void
test_restart (Fixture       *f,
              gconstpointer  data)
{
  NatterClient *alice;
  NatterPeer *bob_peer;
  g_autoptr(NatterMessage) mine = NULL;
  CountCheck check;

  connect_alice (f);
  f->bob = engine_client (f, "bob");
  f->carol = engine_client (f, "carol");
  alice = natter_application_get_client (f->app);
  check.model = natter_client_get_peers (alice);
  check.n = 2;
  g_assert_true (natter_test_wait_until (has_n_items, &check, WAIT_MS));
  g_assert_true (natter_window_open_conversation (f->window, "bob"));
  send_in_composer (f, "see you at three");
  bob_peer = natter_client_lookup_peer (alice, "bob");
  mine = last_message (bob_peer);
  g_assert_true (natter_test_wait_until (is_delivered, mine, WAIT_MS));
  /* bob writes while alice looks at carol: unread */
  g_assert_true (natter_window_open_conversation (f->window, "carol"));
  g_assert_nonnull (natter_client_send_message (f->bob, "alice", "ok, three it is", NULL));
  check.model = natter_peer_get_conversation (bob_peer);
  check.n = 2;
  g_assert_true (natter_test_wait_until (has_n_items, &check, WAIT_MS));
  g_assert_cmpuint (natter_peer_get_unread (bob_peer), ==, 1);
  g_assert_cmpint (stored_count (f, "bob"), ==, 2);

  /* bob leaves; alice's app starts over with the same history */
  g_clear_object (&f->bob);
  natter_application_connect (f->app);
  alice = natter_application_get_client (f->app);
  g_assert_true (natter_test_wait_until (app_online, f->app, WAIT_MS));
  bob_peer = natter_client_lookup_peer (alice, "bob");
  g_assert_nonnull (bob_peer);
  g_assert_false (natter_peer_get_online (bob_peer));
  check.model = natter_peer_get_conversation (bob_peer);
  {
    g_autoptr(NatterMessage) newest = natter_peer_dup_last_message (bob_peer);

    /* listed with its newest message, the unread count and where the new
     * messages start */
    g_assert_cmpstr (natter_message_get_text (newest), ==, "ok, three it is");
    g_assert_cmpuint (natter_peer_get_unread (bob_peer), ==, 1);
    g_assert_cmpuint (natter_peer_get_marker (bob_peer), ==, natter_message_get_id (newest));
  }
  /* offline, but listed: its conversation opens whole, and reading it
   * clears them */
  g_assert_true (natter_window_open_conversation (f->window, "bob"));
  g_assert_cmpuint (g_list_model_get_n_items (check.model), ==, 2);
  {
    g_autoptr(NatterMessage) first = g_list_model_get_item (check.model, 0);

    g_assert_cmpstr (natter_message_get_text (first), ==, "see you at three");
    g_assert_cmpint (natter_message_get_state (first), ==, NATTER_MESSAGE_DELIVERED);
  }
  g_assert_cmpuint (natter_peer_get_unread (bob_peer), ==, 0);
  g_assert_cmpuint (natter_peer_get_marker (bob_peer), ==, 0);
}

/* A message written to an offline peer waits, shown as queued, and is
 * delivered once when the peer is back. */
static void
test_offline_queue (Fixture       *f,
                    gconstpointer  data)
{
  NatterClient *alice;
  NatterPeer *bob_peer;
  g_autoptr(NatterMessage) first = NULL;
  g_autoptr(NatterMessage) queued = NULL;
  g_autoptr(GHashTable) got = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  gpointer args[2] = { got, (gpointer) "while you were away" };
  CountCheck check;

  connect_alice (f);
  f->bob = engine_client (f, "bob");
  alice = natter_application_get_client (f->app);
  check.model = natter_client_get_peers (alice);
  check.n = 1;
  g_assert_true (natter_test_wait_until (has_n_items, &check, WAIT_MS));
  g_assert_true (natter_window_open_conversation (f->window, "bob"));
  send_in_composer (f, "hello");
  bob_peer = natter_client_lookup_peer (alice, "bob");
  first = last_message (bob_peer);
  g_assert_true (natter_test_wait_until (is_delivered, first, WAIT_MS));

  natter_client_stop (f->bob);
  g_clear_object (&f->bob);
  g_assert_true (natter_test_wait_until (is_offline, bob_peer, WAIT_MS));
  send_in_composer (f, "while you were away");
  queued = last_message (bob_peer);
  g_assert_cmpstr (natter_message_get_text (queued), ==, "while you were away");
  g_assert_true (natter_test_wait_until (is_queued, queued, WAIT_MS));

  /* bob is back (a new run of his): it goes out by itself, once */
  f->bob = natter_client_new ("bob", f->address, 0, FALSE);
  g_signal_connect (f->bob, "message-received", G_CALLBACK (count_received), got);
  natter_client_start (f->bob);
  g_assert_true (natter_test_wait_until (has_text, args, WAIT_MS));
  g_assert_true (natter_test_wait_until (is_delivered, queued, WAIT_MS));
  settle (1000);
  g_assert_cmpuint (GPOINTER_TO_UINT (g_hash_table_lookup (got, "while you were away")), ==, 1);
  g_assert_false (g_hash_table_contains (got, "hello"));
}

/* A conversation of 100,000 messages opens on its newest page; scrolling to
 * the top brings the next; memory stays flat. */
static void
test_paging (Fixture       *f,
             gconstpointer  data)
{
  NatterConversationView *view = child (f->window, NATTER_TYPE_WINDOW, "conversation");
  GtkWidget *scroller = child (view, NATTER_TYPE_CONVERSATION_VIEW, "scroller");
  NatterPeer *bob_peer;
  GListModel *conversation;
  gsize before, after;
  gint64 start;
  CountCheck check;

  write_history (f, "bob", 100000);
  before = rss_kib ();
  connect_alice (f);
  bob_peer = natter_client_lookup_peer (natter_application_get_client (f->app), "bob");
  g_assert_nonnull (bob_peer);
  start = g_get_monotonic_time ();
  g_assert_true (natter_window_open_conversation (f->window, "bob"));
  settle (500);
  after = rss_kib ();
  conversation = natter_peer_get_conversation (bob_peer);
  g_test_message ("100000 stored messages: %u loaded, conversation open in %.1f ms "
                  "(with 500 ms of drawing), RSS %zu KiB before connecting, %zu KiB after "
                  "opening (+%zu KiB)",
                  g_list_model_get_n_items (conversation),
                  (g_get_monotonic_time () - start) / 1000.0, before, after,
                  after > before ? after - before : 0);
  g_assert_cmpuint (g_list_model_get_n_items (conversation), <=, 100);
  g_assert_true (natter_peer_get_has_older (bob_peer));
  {
    g_autoptr(NatterMessage) newest = natter_peer_dup_last_message (bob_peer);

    g_assert_cmpstr (natter_message_get_text (newest), ==, "needle 100000");
  }

  /* the user scrolls to the top: the next page comes in above */
  check.model = conversation;
  check.n = g_list_model_get_n_items (conversation) + 50;
  gtk_adjustment_set_value (gtk_scrolled_window_get_vadjustment (GTK_SCROLLED_WINDOW (scroller)), 0);
  g_assert_true (natter_test_wait_until (has_n_items, &check, WAIT_MS));
}

static gboolean
search_has_results (gpointer data)
{
  return gtk_list_box_get_row_at_index (data, 0) != NULL;
}

/* Ctrl+F in a conversation searches its whole history; choosing a result
 * shows that message, however far back. */
static void
test_search (Fixture       *f,
             gconstpointer  data)
{
  NatterConversationView *view = child (f->window, NATTER_TYPE_WINDOW, "conversation");
  GtkStack *stack = child (view, NATTER_TYPE_CONVERSATION_VIEW, "stack");
  NatterConversationSearch *search = child (view, NATTER_TYPE_CONVERSATION_VIEW, "search");
  GtkEditable *entry = child (search, NATTER_TYPE_CONVERSATION_SEARCH, "entry");
  GtkListBox *results = child (search, NATTER_TYPE_CONVERSATION_SEARCH, "results");
  GtkLabel *summary = child (search, NATTER_TYPE_CONVERSATION_SEARCH, "summary");
  NatterPeer *bob_peer;
  GListModel *conversation;
  gboolean found = FALSE;

  write_history (f, "bob", 5000);
  connect_alice (f);
  bob_peer = natter_client_lookup_peer (natter_application_get_client (f->app), "bob");
  g_assert_true (natter_window_open_conversation (f->window, "bob"));
  conversation = natter_peer_get_conversation (bob_peer);
  g_assert_cmpuint (g_list_model_get_n_items (conversation), <, 100);

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (view), "conversation.search", NULL));
  g_assert_cmpstr (visible_page (stack), ==, "search");
  gtk_editable_set_text (entry, "needle");
  g_assert_true (natter_test_wait_until (search_has_results, results, WAIT_MS));
  g_assert_cmpstr (gtk_label_get_text (summary), ==, "5 messages found");
  gtk_editable_set_text (entry, "NEEDLE 100");
  settle (400);
  g_assert_cmpstr (gtk_label_get_text (summary), ==, "1 message found");
  gtk_editable_set_text (entry, "nothing like it");
  settle (400);
  g_assert_null (gtk_list_box_get_row_at_index (results, 0));

  /* Enter takes the (newest) match: needle 1000, 4,000 messages back */
  gtk_editable_set_text (entry, "needle 1000");
  g_assert_true (natter_test_wait_until (search_has_results, results, WAIT_MS));
  g_signal_emit_by_name (entry, "activate");
  g_assert_cmpstr (visible_page (stack), ==, "messages");
  for (guint i = 0; i < g_list_model_get_n_items (conversation) && !found; i++)
    {
      g_autoptr(NatterMessage) message = g_list_model_get_item (conversation, i);

      found = g_str_equal (natter_message_get_text (message), "needle 1000");
    }
  g_assert_true (found);
}

static GtkWidget *
find_dialog (void)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GtkWidget) window = g_list_model_get_item (toplevels, i);

      if (GTK_IS_MESSAGE_DIALOG (window) && gtk_widget_get_visible (window))
        return window;
    }
  return NULL;
}

/* Clearing asks first; cancelled, nothing changes; confirmed, the
 * conversation is gone from the view and the file. */
static void
test_clear (Fixture       *f,
            gconstpointer  data)
{
  NatterConversationView *view = child (f->window, NATTER_TYPE_WINDOW, "conversation");
  NatterPeer *bob_peer;
  GListModel *conversation;
  GtkWidget *dialog;
  g_autoptr(GPtrArray) found = NULL;

  write_history (f, "bob", 20);
  connect_alice (f);
  bob_peer = natter_client_lookup_peer (natter_application_get_client (f->app), "bob");
  g_assert_true (natter_window_open_conversation (f->window, "bob"));
  conversation = natter_peer_get_conversation (bob_peer);
  g_assert_cmpuint (g_list_model_get_n_items (conversation), ==, 20);

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (view), "conversation.clear", NULL));
  dialog = find_dialog ();
  g_assert_nonnull (dialog);
  gtk_dialog_response (GTK_DIALOG (dialog), GTK_RESPONSE_CANCEL);
  settle (100);
  g_assert_null (find_dialog ());
  g_assert_cmpuint (g_list_model_get_n_items (conversation), ==, 20);
  g_assert_cmpint (stored_count (f, "bob"), ==, 20);

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (view), "conversation.clear", NULL));
  dialog = find_dialog ();
  g_assert_nonnull (dialog);
  gtk_dialog_response (GTK_DIALOG (dialog), GTK_RESPONSE_ACCEPT);
  settle (100);
  g_assert_cmpuint (g_list_model_get_n_items (conversation), ==, 0);
  g_assert_cmpint (stored_count (f, "bob"), ==, 0);
  found = natter_peer_search (bob_peer, "message", 10, NULL);
  g_assert_cmpuint (found->len, ==, 0);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GSubprocess) notifications = app_test_init (&argc, &argv);
  int status;

  g_test_add ("/app-history/restart", Fixture, NULL, fixture_set_up, test_restart,
              fixture_tear_down);
  g_test_add ("/app-history/offline-queue", Fixture, NULL, fixture_set_up, test_offline_queue,
              fixture_tear_down);
  g_test_add ("/app-history/paging", Fixture, NULL, fixture_set_up, test_paging,
              fixture_tear_down);
  g_test_add ("/app-history/search", Fixture, NULL, fixture_set_up, test_search,
              fixture_tear_down);
  g_test_add ("/app-history/clear", Fixture, NULL, fixture_set_up, test_clear,
              fixture_tear_down);

  status = g_test_run ();
  if (notifications != NULL)
    g_subprocess_force_exit (notifications);
  return status;
}
