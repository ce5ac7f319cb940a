/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "natter-client.h"
#include "natter-test-util.h"

/* The client engine against the real natter-server, over loopback. */

#define WAIT_MS 10000

typedef struct
{
  NatterTestServer *server;
  const char       *text;
} LineCheck;

static gboolean
has_line (gpointer data)
{
  LineCheck *check = data;

  return natter_test_server_has_line (check->server, check->text);
}

/* The server's log, while this process's clients keep running. */
static gboolean
wait_line (NatterTestServer *server,
           const char       *text,
           guint             timeout_ms)
{
  LineCheck check = { server, text };

  return natter_test_wait_until (has_line, &check, timeout_ms);
}

static gboolean
is_online (gpointer data)
{
  return natter_client_get_state (data) == NATTER_CLIENT_ONLINE;
}

typedef struct
{
  NatterClient *client;
  const char   *peer;
  gboolean      present;
} PeerCheck;

static gboolean
peer_presence (gpointer data)
{
  PeerCheck *check = data;

  return (natter_client_lookup_peer (check->client, check->peer) != NULL) == check->present;
}

static void
wait_peer (NatterClient *client,
           const char   *peer,
           gboolean      present)
{
  PeerCheck check = { client, peer, present };

  g_assert_true (natter_test_wait_until (peer_presence, &check, WAIT_MS));
}

static char *
server_address (NatterTestServer *server)
{
  return g_strdup_printf ("127.0.0.1:%u", natter_test_server_port (server));
}

static NatterClient *
start_client (const char       *id,
              NatterTestServer *server)
{
  g_autofree char *address = server_address (server);
  NatterClient *client = natter_client_new (id, address, 0, FALSE);

  natter_client_start (client);
  g_assert_true (natter_test_wait_until (is_online, client, WAIT_MS));
  return client;
}

/* Every message received, by text, with a count, so duplicates show. */
static void
count_received (NatterClient  *client,
                NatterPeer    *peer,
                NatterMessage *message,
                GHashTable    *counts)
{
  const char *text = natter_message_get_text (message);

  g_hash_table_insert (counts, g_strdup (text),
                       GUINT_TO_POINTER (GPOINTER_TO_UINT (g_hash_table_lookup (counts, text)) + 1));
}

static GHashTable *
watch_received (NatterClient *client)
{
  GHashTable *counts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  g_signal_connect (client, "message-received", G_CALLBACK (count_received), counts);
  return counts;
}

static gboolean
is_delivered (gpointer data)
{
  return natter_message_get_state (data) == NATTER_MESSAGE_DELIVERED;
}

static gboolean
all_delivered (gpointer data)
{
  GPtrArray *messages = data;

  for (guint i = 0; i < messages->len; i++)
    if (!is_delivered (messages->pdata[i]))
      return FALSE;
  return TRUE;
}

static void
send_and_deliver (NatterClient *from,
                  const char   *to,
                  const char   *text)
{
  g_autoptr(GError) error = NULL;
  NatterMessage *message = natter_client_send_message (from, to, text, &error);

  g_assert_no_error (error);
  g_assert_nonnull (message);
  g_assert_true (natter_test_wait_until (is_delivered, message, WAIT_MS));
}

static void
test_chat_both_ways (void)
{
  g_autoptr(NatterTestServer) server = natter_test_server_start (NULL);
  g_autoptr(NatterClient) alice = start_client ("alice", server);
  g_autoptr(NatterClient) bob = start_client ("bob", server);
  g_autoptr(GHashTable) alice_got = watch_received (alice);
  g_autoptr(GHashTable) bob_got = watch_received (bob);
  NatterPeer *peer;

  wait_peer (alice, "bob", TRUE);
  wait_peer (bob, "alice", TRUE);
  /* a client never lists itself as a peer */
  g_assert_null (natter_client_lookup_peer (alice, "alice"));

  send_and_deliver (alice, "bob", "hello bob");
  send_and_deliver (bob, "alice", "안녕 alice");
  g_assert_cmpuint (GPOINTER_TO_UINT (g_hash_table_lookup (bob_got, "hello bob")), ==, 1);
  g_assert_cmpuint (GPOINTER_TO_UINT (g_hash_table_lookup (alice_got, "안녕 alice")), ==, 1);

  /* both sit behind the same public address (127.0.0.1), so the path is
   * over a host address (lan) or loopback itself (direct), never the relay */
  peer = natter_client_lookup_peer (alice, "bob");
  g_assert_true (natter_peer_get_path (peer) == NATTER_PATH_LAN ||
                 natter_peer_get_path (peer) == NATTER_PATH_DIRECT);
  g_assert_cmpuint (g_list_model_get_n_items (natter_peer_get_conversation (peer)), ==, 2);
  g_assert_cmpstr (natter_client_get_public_endpoint (alice), !=, NULL);
}

static void
test_long_message (void)
{
  g_autoptr(NatterTestServer) server = natter_test_server_start (NULL);
  g_autoptr(NatterClient) alice = start_client ("alice", server);
  g_autoptr(NatterClient) bob = start_client ("bob", server);
  g_autoptr(GHashTable) bob_got = watch_received (bob);
  g_autoptr(GString) text = g_string_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *too_long = g_strnfill (16385, 'x');

  while (text->len + 4 < 16384)
    g_string_append (text, text->len % 7 == 0 ? "한" : "a");
  wait_peer (alice, "bob", TRUE);
  send_and_deliver (alice, "bob", text->str);
  g_assert_cmpuint (GPOINTER_TO_UINT (g_hash_table_lookup (bob_got, text->str)), ==, 1);

  /* beyond the limit, and invalid UTF-8, are refused up front */
  g_assert_null (natter_client_send_message (alice, "bob", too_long, &error));
  g_assert_error (error, NATTER_CLIENT_ERROR_DOMAIN, NATTER_CLIENT_ERROR_INVALID_TEXT);
  g_clear_error (&error);
  g_assert_null (natter_client_send_message (alice, "bob", "bad \xff utf-8", &error));
  g_assert_error (error, NATTER_CLIENT_ERROR_DOMAIN, NATTER_CLIENT_ERROR_INVALID_TEXT);
  g_clear_error (&error);
  g_assert_null (natter_client_send_message (alice, "nobody", "hi", &error));
  g_assert_error (error, NATTER_CLIENT_ERROR_DOMAIN, NATTER_CLIENT_ERROR_NO_SUCH_PEER);
}

static void
test_three_clients_exit_and_timeout (void)
{
  const char *args[] = { "--timeout=2", NULL };
  g_autoptr(NatterTestServer) server = natter_test_server_start (args);
  g_autoptr(NatterClient) alice = start_client ("alice", server);
  g_autoptr(NatterClient) bob = start_client ("bob", server);
  g_autoptr(NatterClient) carol = start_client ("carol", server);

  wait_peer (alice, "bob", TRUE);
  wait_peer (alice, "carol", TRUE);
  wait_peer (carol, "alice", TRUE);

  /* bob says goodbye: everyone sees it at once */
  natter_client_stop (bob);
  wait_peer (alice, "bob", FALSE);
  wait_peer (carol, "bob", FALSE);

  /* carol vanishes without a word: dropped after the time-out */
  natter_client_set_test_loss (carol, 1.0, 1.0);
  wait_peer (alice, "carol", FALSE);
  g_assert_true (wait_line (server, "carol is off-line", WAIT_MS));
  g_assert_cmpint (natter_client_get_state (alice), ==, NATTER_CLIENT_ONLINE);
}

static void
test_lossy_exactly_once (void)
{
  g_autoptr(NatterTestServer) server = natter_test_server_start (NULL);
  g_autoptr(NatterClient) alice = start_client ("alice", server);
  g_autoptr(NatterClient) bob = start_client ("bob", server);
  g_autoptr(GHashTable) alice_got = watch_received (alice);
  g_autoptr(GHashTable) bob_got = watch_received (bob);
  g_autoptr(GPtrArray) sent = g_ptr_array_new ();
  const guint n = 40;

  wait_peer (alice, "bob", TRUE);
  wait_peer (bob, "alice", TRUE);
  /* 30% of the datagrams each side sends are lost: chat, acks, probes and
   * server traffic alike, in both directions */
  natter_client_set_test_loss (alice, 0.3, 0.0);
  natter_client_set_test_loss (bob, 0.3, 0.0);

  for (guint i = 0; i < n; i++)
    {
      g_autofree char *a = g_strdup_printf ("from alice %u", i);
      g_autofree char *b = g_strdup_printf ("from bob %u", i);

      g_ptr_array_add (sent, natter_client_send_message (alice, "bob", a, NULL));
      g_ptr_array_add (sent, natter_client_send_message (bob, "alice", b, NULL));
    }
  g_assert_true (natter_test_wait_until (all_delivered, sent, 30000));
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *a = g_strdup_printf ("from alice %u", i);
      g_autofree char *b = g_strdup_printf ("from bob %u", i);

      g_assert_cmpuint (GPOINTER_TO_UINT (g_hash_table_lookup (bob_got, a)), ==, 1);
      g_assert_cmpuint (GPOINTER_TO_UINT (g_hash_table_lookup (alice_got, b)), ==, 1);
    }
  g_assert_cmpuint (g_hash_table_size (bob_got), ==, n);
  g_assert_cmpuint (g_hash_table_size (alice_got), ==, n);
}

static void
test_relay_when_direct_blocked (void)
{
  g_autoptr(NatterTestServer) server = natter_test_server_start (NULL);
  g_autoptr(NatterClient) alice = start_client ("alice", server);
  g_autoptr(NatterClient) bob = start_client ("bob", server);
  g_autoptr(GHashTable) bob_got = watch_received (bob);

  wait_peer (alice, "bob", TRUE);
  wait_peer (bob, "alice", TRUE);
  /* bob's direct datagrams never arrive, either way */
  natter_client_set_test_block_direct (bob, TRUE);
  send_and_deliver (alice, "bob", "through the server");
  g_assert_cmpuint (GPOINTER_TO_UINT (g_hash_table_lookup (bob_got, "through the server")), ==, 1);
  g_assert_cmpint (natter_peer_get_path (natter_client_lookup_peer (alice, "bob")), ==,
                   NATTER_PATH_RELAY);
}

static void
test_server_restart (void)
{
  g_autoptr(NatterTestServer) first = natter_test_server_start (NULL);
  guint16 port = natter_test_server_port (first);
  g_autoptr(NatterTestServer) second = NULL;
  g_autoptr(NatterClient) alice = start_client ("alice", first);
  g_autoptr(NatterClient) bob = start_client ("bob", first);
  gint64 restarted;

  natter_client_set_keepalive (alice, 1000);
  natter_client_set_keepalive (bob, 1000);
  wait_peer (alice, "bob", TRUE);

  /* the server dies without a word (SIGKILL) and comes back empty */
  natter_test_server_free (g_steal_pointer (&first));
  second = natter_test_server_start_on (port, NULL);
  restarted = g_get_monotonic_time ();

  g_assert_true (wait_line (second, "alice 127.0.0.1", 15000));
  g_assert_true (wait_line (second, "bob 127.0.0.1", 15000));
  g_assert_true (natter_test_wait_until (is_online, alice, 15000));
  g_assert_true (natter_test_wait_until (is_online, bob, 15000));
  wait_peer (alice, "bob", TRUE);
  send_and_deliver (alice, "bob", "still here");
  g_assert_cmpint (g_get_monotonic_time () - restarted, <, 15 * G_TIME_SPAN_SECOND);
}

static gboolean
is_error (gpointer data)
{
  return natter_client_get_state (data) == NATTER_CLIENT_ERROR;
}

static gboolean
is_reconnecting (gpointer data)
{
  return natter_client_get_state (data) == NATTER_CLIENT_RECONNECTING;
}

static void
test_id_taken (void)
{
  g_autoptr(NatterTestServer) server = natter_test_server_start (NULL);
  g_autoptr(NatterClient) alice = start_client ("alice", server);
  g_autofree char *address = server_address (server);
  g_autoptr(NatterClient) other = natter_client_new ("Alice", address, 0, FALSE);

  natter_client_start (other);
  g_assert_true (natter_test_wait_until (is_error, other, WAIT_MS));
  g_assert_nonnull (strstr (natter_client_get_error (other), "taken"));
}

static void
remember_refused (NatterClient  *client,
                  GParamSpec    *pspec,
                  NatterClient **refused)
{
  if (*refused == NULL && natter_client_get_state (client) == NATTER_CLIENT_RECONNECTING)
    *refused = client;
}

static gboolean
has_refused (gpointer data)
{
  return *(NatterClient **) data != NULL;
}

/* Too many registrations from one address: the one refused says why and
 * comes back by itself once the server's budget allows. */
static void
test_registrations_limited (void)
{
  const char *args[] = { "--register-rate=1", NULL };
  g_autoptr(NatterTestServer) server = natter_test_server_start (args);
  g_autofree char *address = server_address (server);
  g_autoptr(GPtrArray) clients = g_ptr_array_new_with_free_func (g_object_unref);
  NatterClient *refused = NULL;

  /* a burst of ten, then one a second: fourteen at once are too many */
  for (guint i = 0; i < 14; i++)
    {
      g_autofree char *id = g_strdup_printf ("user%u", i);
      NatterClient *client = natter_client_new (id, address, 0, FALSE);

      g_ptr_array_add (clients, client);
      g_signal_connect (client, "notify::state", G_CALLBACK (remember_refused), &refused);
      natter_client_start (client);
    }
  g_assert_true (natter_test_wait_until (has_refused, &refused, WAIT_MS));
  g_assert_nonnull (strstr (natter_client_get_error (refused), "Too many registrations"));
  g_assert_true (natter_test_wait_until (is_online, refused, 20000));
}

static void
test_server_unreachable (void)
{
  g_autoptr(GSocket) quiet = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM,
                                           G_SOCKET_PROTOCOL_UDP, NULL);
  g_autoptr(GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new (lo, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autofree char *address = NULL;
  g_autoptr(NatterClient) client = NULL;

  /* a port that takes datagrams and never answers */
  g_assert_true (g_socket_bind (quiet, any, FALSE, NULL));
  bound = g_socket_get_local_address (quiet, NULL);
  address = g_strdup_printf ("127.0.0.1:%u",
                             g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)));
  client = natter_client_new ("alice", address, 0, FALSE);
  natter_client_start (client);
  g_assert_true (natter_test_wait_until (is_reconnecting, client, WAIT_MS));
  g_assert_nonnull (natter_client_get_error (client));
}

static void
test_default_port_shared (void)
{
  g_autoptr(NatterTestServer) server = natter_test_server_start (NULL);
  g_autofree char *address = server_address (server);
  g_autoptr(NatterClient) first = natter_client_new ("first", address,
                                                     NATTER_CLIENT_DEFAULT_PORT, FALSE);
  g_autoptr(NatterClient) second = natter_client_new ("second", address,
                                                      NATTER_CLIENT_DEFAULT_PORT, FALSE);

  /* two clients on one host both ask for 10081: the second takes a free port */
  natter_client_start (first);
  natter_client_start (second);
  g_assert_true (natter_test_wait_until (is_online, first, WAIT_MS));
  g_assert_true (natter_test_wait_until (is_online, second, WAIT_MS));
  g_assert_cmpuint (natter_client_get_local_port (first), !=,
                    natter_client_get_local_port (second));
  wait_peer (first, "second", TRUE);
  send_and_deliver (first, "second", "same host");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/client/chat-both-ways", test_chat_both_ways);
  g_test_add_func ("/client/long-message", test_long_message);
  g_test_add_func ("/client/three-clients-exit-and-timeout", test_three_clients_exit_and_timeout);
  g_test_add_func ("/client/lossy-exactly-once", test_lossy_exactly_once);
  g_test_add_func ("/client/relay-when-direct-blocked", test_relay_when_direct_blocked);
  g_test_add_func ("/client/server-restart", test_server_restart);
  g_test_add_func ("/client/id-taken", test_id_taken);
  g_test_add_func ("/client/registrations-limited", test_registrations_limited);
  g_test_add_func ("/client/server-unreachable", test_server_unreachable);
  g_test_add_func ("/client/default-port-shared", test_default_port_shared);

  return g_test_run ();
}
