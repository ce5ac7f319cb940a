/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "natter-classic.h"
#include "natter-stun.h"
#include "natter-test-util.h"

#define WAIT 5000

static gboolean
has_peer (NatterTestClient *client,
          const char       *id)
{
  return g_hash_table_contains (client->peers, id);
}

/* Reads datagrams until one equals text; FALSE on timeout. */
static gboolean
expect_text (NatterTestClient *client,
             const char       *text)
{
  for (;;)
    {
      g_autoptr(GBytes) datagram = natter_test_client_recv (client, WAIT);
      gsize len;
      const char *data;

      if (datagram == NULL)
        return FALSE;
      data = g_bytes_get_data (datagram, &len);
      if (len == strlen (text) && memcmp (data, text, len) == 0)
        return TRUE;
    }
}

static void
test_register_and_presence (void)
{
  g_autoptr(NatterTestServer) server = natter_test_server_start (NULL);
  guint16 port = natter_test_server_port (server);
  g_autoptr(NatterTestClient) alice = natter_test_client_new ("127.0.0.1", port);
  g_autoptr(NatterTestClient) bob = natter_test_client_new ("127.0.0.1", port);
  g_autoptr(NatterTestClient) eve = natter_test_client_new ("127.0.0.1", port);
  g_auto(NatterMsg) msg = { 0 };
  g_autofree char *alice_line = NULL;
  char ep[NATTER_ENDPOINT_STRLEN];

  g_assert_true (natter_test_client_register (alice, "alice"));
  g_assert_true (has_peer (alice, "alice"));
  g_assert_true (natter_test_client_register (bob, "bob"));
  g_assert_true (has_peer (bob, "alice") && has_peer (bob, "bob"));

  /* alice hears of bob through an event */
  g_assert_true (natter_test_client_expect (alice, NATTER_MSG_EVENTS, WAIT, &msg));
  g_assert_true (has_peer (alice, "bob"));
  natter_msg_clear (&msg);

  /* the assignment's log line, with the endpoint the server saw */
  alice_line = g_strdup_printf ("alice %s", natter_endpoint_format (&alice->local, ep));
  g_assert_true (natter_test_server_wait_line (server, alice_line, WAIT));

  /* a taken ID, in any case, is refused with a reason */
  g_assert_false (natter_test_client_register (eve, "ALICE"));
  g_assert_cmpuint (eve->last_error_code, ==, NATTER_ERR_ID_TAKEN);
  g_assert_nonnull (strstr (eve->last_error, "taken"));

  /* keep-alives are answered, with the list version and the public endpoint */
  natter_test_client_request (alice, NATTER_MSG_KEEPALIVE, NULL, NULL, 0);
  g_assert_true (natter_test_client_expect (alice, NATTER_MSG_ALIVE, WAIT, &msg));
  g_assert_cmpuint (msg.version, ==, alice->version);
  g_assert_true (natter_endpoint_equal (&msg.endpoint, &alice->local));
  natter_msg_clear (&msg);

  /* goodbye: bob sees alice leave at once */
  natter_test_client_request (alice, NATTER_MSG_BYE, NULL, NULL, 0);
  g_assert_true (natter_test_client_expect (bob, NATTER_MSG_EVENTS, WAIT, &msg));
  g_assert_cmpuint (g_array_index (msg.events, NatterEvent, 0).kind, ==, NATTER_EVENT_LEAVE);
  g_assert_false (has_peer (bob, "alice"));
  g_assert_true (natter_test_server_wait_line (server, "alice is unregistered", WAIT));

  g_assert_cmpint (natter_test_server_stop (server), ==, 0);
}

static void
test_spoofed_exit (void)
{
  g_autoptr(NatterTestServer) server = natter_test_server_start (NULL);
  guint16 port = natter_test_server_port (server);
  g_autoptr(NatterTestClient) alice = natter_test_client_new ("127.0.0.1", port);
  g_autoptr(NatterTestClient) mallory = natter_test_client_new ("127.0.0.1", port);
  guint8 wrong[NATTER_WIRE_TOKEN_SIZE] = { 1, 2, 3 };
  g_auto(NatterMsg) msg = { 0 };

  g_assert_true (natter_test_client_register (alice, "alice"));
  natter_test_client_send (mallory, natter_wire_auth_request (NATTER_MSG_BYE, "alice", wrong,
                                                              NULL, NULL, 0, 0));
  g_assert_true (natter_test_client_expect (mallory, NATTER_MSG_ERROR, WAIT, &msg));
  g_assert_cmpuint (msg.code, ==, NATTER_ERR_UNKNOWN_SESSION);
  natter_msg_clear (&msg);

  /* alice is still registered: her keep-alive is answered */
  natter_test_client_request (alice, NATTER_MSG_KEEPALIVE, NULL, NULL, 0);
  g_assert_true (natter_test_client_expect (alice, NATTER_MSG_ALIVE, WAIT, &msg));
  g_assert_false (natter_test_server_has_line (server, "alice is unregistered"));
}

static void
test_introduction_and_relay (void)
{
  g_autoptr(NatterTestServer) server = natter_test_server_start (NULL);
  guint16 port = natter_test_server_port (server);
  g_autoptr(NatterTestClient) alice = natter_test_client_new ("127.0.0.1", port);
  g_autoptr(NatterTestClient) bob = natter_test_client_new ("127.0.0.1", port);
  g_auto(NatterMsg) to_alice = { 0 };
  g_auto(NatterMsg) to_bob = { 0 };
  g_auto(NatterMsg) relayed = { 0 };
  const guint8 payload[] = "an opaque peer datagram";

  g_assert_true (natter_test_client_register (alice, "alice"));
  g_assert_true (natter_test_client_register (bob, "bob"));

  natter_test_client_request (alice, NATTER_MSG_INTRO, "bob", NULL, 0);
  g_assert_true (natter_test_client_expect (alice, NATTER_MSG_INTRODUCE, WAIT, &to_alice));
  g_assert_true (natter_test_client_expect (bob, NATTER_MSG_INTRODUCE, WAIT, &to_bob));
  g_assert_cmpstr (to_alice.id, ==, "bob");
  g_assert_cmpstr (to_bob.id, ==, "alice");
  g_assert_true (natter_endpoint_equal (&to_alice.endpoint, &bob->local));
  g_assert_true (natter_endpoint_equal (&to_bob.endpoint, &alice->local));
  g_assert_cmpmem (to_alice.key, NATTER_WIRE_KEY_SIZE, to_bob.key, NATTER_WIRE_KEY_SIZE);

  natter_test_client_request (alice, NATTER_MSG_RELAY, "bob", payload, sizeof payload);
  g_assert_true (natter_test_client_expect (bob, NATTER_MSG_RELAYED, WAIT, &relayed));
  g_assert_cmpstr (relayed.id, ==, "alice");
  g_assert_cmpmem (relayed.data, relayed.data_len, payload, sizeof payload);
}

static void
test_no_relay (void)
{
  const char *args[] = { "--no-relay", NULL };
  g_autoptr(NatterTestServer) server = natter_test_server_start (args);
  guint16 port = natter_test_server_port (server);
  g_autoptr(NatterTestClient) alice = natter_test_client_new ("127.0.0.1", port);
  g_autoptr(NatterTestClient) bob = natter_test_client_new ("127.0.0.1", port);
  g_auto(NatterMsg) msg = { 0 };

  g_assert_true (natter_test_client_register (alice, "alice"));
  g_assert_true (natter_test_client_register (bob, "bob"));
  natter_test_client_request (alice, NATTER_MSG_RELAY, "bob", (const guint8 *) "x", 1);
  g_assert_true (natter_test_client_expect (alice, NATTER_MSG_ERROR, WAIT, &msg));
  g_assert_cmpuint (msg.code, ==, NATTER_ERR_RELAY_DISABLED);
  natter_msg_clear (&msg);
  g_assert_false (natter_test_client_expect (bob, NATTER_MSG_RELAYED, 300, &msg));
}

static void
test_silent_client_dropped (void)
{
  const char *args[] = { "--timeout=1", NULL };
  g_autoptr(NatterTestServer) server = natter_test_server_start (args);
  guint16 port = natter_test_server_port (server);
  g_autoptr(NatterTestClient) alice = natter_test_client_new ("127.0.0.1", port);
  g_autoptr(NatterTestClient) bob = natter_test_client_new ("127.0.0.1", port);
  g_auto(NatterMsg) msg = { 0 };
  gint64 start;
  gboolean saw_timeout = FALSE;

  g_assert_true (natter_test_client_register (alice, "alice"));
  g_assert_true (natter_test_client_register (bob, "bob"));
  start = g_get_monotonic_time ();

  /* alice keeps talking; bob goes silent */
  while (!saw_timeout && g_get_monotonic_time () - start < 5 * G_TIME_SPAN_SECOND)
    {
      natter_test_client_request (alice, NATTER_MSG_KEEPALIVE, NULL, NULL, 0);
      if (natter_test_client_expect (alice, NATTER_MSG_EVENTS, 250, &msg))
        {
          for (guint i = 0; i < msg.events->len; i++)
            {
              NatterEvent *e = &g_array_index (msg.events, NatterEvent, i);

              if (e->kind == NATTER_EVENT_TIMEOUT && g_str_equal (e->peer.id, "bob"))
                saw_timeout = TRUE;
            }
          natter_msg_clear (&msg);
        }
    }
  g_assert_true (saw_timeout);
  /* dropped at its deadline, not at some later sweep */
  g_assert_cmpint (g_get_monotonic_time () - start, <, 2 * G_TIME_SPAN_SECOND);
  g_assert_true (has_peer (alice, "alice"));
  g_assert_false (has_peer (alice, "bob"));
  g_assert_true (natter_test_server_wait_line (server, "bob is off-line", WAIT));
}

static void
test_classic_interop (void)
{
  g_autoptr(NatterTestServer) server = natter_test_server_start (NULL);
  guint16 port = natter_test_server_port (server);
  g_autoptr(NatterTestClient) alice = natter_test_client_new ("127.0.0.1", port);
  g_autoptr(NatterTestClient) carol = natter_test_client_new ("127.0.0.1", port);
  g_autoptr(NatterTestClient) dave = natter_test_client_new ("127.0.0.1", port);
  g_auto(NatterMsg) msg = { 0 };
  g_autofree char *alice_line = NULL;
  g_autofree char *carol_line = NULL;
  g_autofree char *carol_exit = NULL;
  char ep[NATTER_ENDPOINT_STRLEN];
  NatterEvent *event;
  const char *spoof = "carol @exit";

  g_assert_true (natter_test_client_register (alice, "alice"));

  /* carol speaks the assignment's protocol: "ID privateIP" */
  natter_test_client_send_raw (carol, "carol 127.0.0.1", strlen ("carol 127.0.0.1"));
  alice_line = g_strdup_printf ("alice %s", natter_endpoint_format (&alice->local, ep));
  carol_line = g_strdup_printf ("carol %s", natter_endpoint_format (&carol->local, ep));
  g_assert_true (expect_text (carol, alice_line));
  g_assert_true (expect_text (carol, carol_line));

  /* the native client learns of carol, flagged as classic */
  g_assert_true (natter_test_client_expect (alice, NATTER_MSG_EVENTS, WAIT, &msg));
  event = &g_array_index (msg.events, NatterEvent, 0);
  g_assert_cmpstr (event->peer.id, ==, "carol");
  g_assert_cmpuint (event->kind, ==, NATTER_EVENT_JOIN);
  g_assert_true (event->peer.flags & NATTER_PEER_FLAG_CLASSIC);
  g_assert_true (natter_endpoint_equal (&event->peer.public_endpoint, &carol->local));
  natter_msg_clear (&msg);

  /* "carol @exit" from someone else changes nothing */
  natter_test_client_send_raw (dave, spoof, strlen (spoof));
  g_assert_false (natter_test_client_expect (alice, NATTER_MSG_EVENTS, 300, &msg));
  g_assert_true (has_peer (alice, "carol"));

  /* a classic keep-alive keeps her registered; her own exit is announced */
  natter_test_client_send_raw (carol, "carol@keepalive", strlen ("carol@keepalive"));
  natter_test_client_send_raw (carol, spoof, strlen (spoof));
  g_assert_true (natter_test_client_expect (alice, NATTER_MSG_EVENTS, WAIT, &msg));
  event = &g_array_index (msg.events, NatterEvent, 0);
  g_assert_cmpuint (event->kind, ==, NATTER_EVENT_LEAVE);
  g_assert_cmpstr (event->peer.id, ==, "carol");
  carol_exit = g_strdup_printf ("carol is unregistered %s",
                                natter_endpoint_format (&carol->local, ep));
  g_assert_true (natter_test_server_wait_line (server, carol_exit, WAIT));
}

static void
test_classic_sees_native_events (void)
{
  g_autoptr(NatterTestServer) server = natter_test_server_start (NULL);
  guint16 port = natter_test_server_port (server);
  g_autoptr(NatterTestClient) carol = natter_test_client_new ("127.0.0.1", port);
  g_autoptr(NatterTestClient) alice = natter_test_client_new ("127.0.0.1", port);
  g_autofree char *joined = NULL;
  g_autofree char *left = NULL;
  char ep[NATTER_ENDPOINT_STRLEN];

  natter_test_client_send_raw (carol, "carol 127.0.0.1", strlen ("carol 127.0.0.1"));
  g_assert_true (natter_test_server_wait_line (server, "carol 127.0.0.1", WAIT));
  g_assert_true (natter_test_client_register (alice, "alice"));
  natter_endpoint_format (&alice->local, ep);
  joined = g_strdup_printf ("alice %s", ep);
  left = g_strdup_printf ("alice is unregistered %s", ep);
  g_assert_true (expect_text (carol, joined));
  natter_test_client_request (alice, NATTER_MSG_BYE, NULL, NULL, 0);
  g_assert_true (expect_text (carol, left));
}

static void
check_stun (gboolean rfc3489)
{
  g_autoptr(NatterTestServer) server = natter_test_server_start (NULL);
  g_autoptr(NatterTestClient) client = natter_test_client_new ("127.0.0.1",
                                                               natter_test_server_port (server));
  guint8 transaction[16];
  guint8 request[64];
  gsize len;
  g_autoptr(GBytes) reply = NULL;
  NatterEndpoint mapped;

  for (guint i = 0; i < sizeof transaction; i++)
    transaction[i] = g_test_rand_int_range (0, 256);
  len = natter_stun_build_binding_request (rfc3489, transaction, request, sizeof request);
  g_assert_cmpuint (len, ==, NATTER_STUN_HEADER_SIZE);
  natter_test_client_send_raw (client, request, len);
  reply = natter_test_client_recv (client, WAIT);
  g_assert_nonnull (reply);
  g_assert_true (natter_stun_parse_binding_response (g_bytes_get_data (reply, NULL),
                                                     g_bytes_get_size (reply), rfc3489,
                                                     rfc3489 ? transaction : transaction,
                                                     &mapped));
  g_assert_true (natter_endpoint_equal (&mapped, &client->local));
}

static void
test_stun_rfc5389 (void)
{
  check_stun (FALSE);
}

static void
test_stun_rfc3489 (void)
{
  check_stun (TRUE);
}

static void
test_hostile_input (void)
{
  g_autoptr(NatterTestServer) server = natter_test_server_start (NULL);
  guint16 port = natter_test_server_port (server);
  g_autoptr(NatterTestClient) mallory = natter_test_client_new ("127.0.0.1", port);
  g_autoptr(NatterTestClient) alice = natter_test_client_new ("127.0.0.1", port);
  guint8 buf[1500];
  g_autoptr(GBytes) reply = NULL;

  for (guint i = 0; i < 2000; i++)
    {
      gsize len = g_test_rand_int_range (0, sizeof buf);

      for (gsize j = 0; j < len; j++)
        buf[j] = g_test_rand_int_range (0, 256);
      if (i % 3 == 0 && len >= 6)
        memcpy (buf, "\xffNTR\x01", 5);
      natter_test_client_send_raw (mallory, buf, len);
    }
  /* oversized, truncated header, wrong version, unknown type */
  memset (buf, 'a', sizeof buf);
  natter_test_client_send_raw (mallory, buf, sizeof buf);
  natter_test_client_send_raw (mallory, "\xffNT", 3);
  natter_test_client_send_raw (mallory, "\xffNTR\x02\x01", 6);
  natter_test_client_send_raw (mallory, "\xffNTR\x01\x7f", 6);

  /* the server still serves */
  g_assert_true (natter_test_client_register (alice, "alice"));
  g_assert_cmpint (natter_test_server_stop (server), ==, 0);
}

static void
test_shutdown_says_goodbye (void)
{
  g_autoptr(NatterTestServer) server = natter_test_server_start (NULL);
  g_autoptr(NatterTestClient) alice = natter_test_client_new ("127.0.0.1",
                                                              natter_test_server_port (server));
  g_auto(NatterMsg) msg = { 0 };

  g_assert_true (natter_test_client_register (alice, "alice"));
  g_assert_cmpint (natter_test_server_stop (server), ==, 0);
  g_assert_true (natter_test_client_expect (alice, NATTER_MSG_SHUTDOWN, WAIT, &msg));
}

static void
test_restart_unknown_session (void)
{
  g_autoptr(NatterTestServer) first = natter_test_server_start (NULL);
  guint16 port = natter_test_server_port (first);
  g_autoptr(NatterTestServer) second = NULL;
  g_autoptr(NatterTestClient) alice = natter_test_client_new ("127.0.0.1", port);
  g_auto(NatterMsg) msg = { 0 };

  g_assert_true (natter_test_client_register (alice, "alice"));
  g_assert_cmpint (natter_test_server_stop (first), ==, 0);
  second = natter_test_server_start_on (port, NULL);

  /* the new server has never heard of this session: it says so, and the
   * client can register again */
  natter_test_client_request (alice, NATTER_MSG_KEEPALIVE, NULL, NULL, 0);
  g_assert_true (natter_test_client_expect (alice, NATTER_MSG_ERROR, WAIT, &msg));
  g_assert_cmpuint (msg.code, ==, NATTER_ERR_UNKNOWN_SESSION);
  g_assert_true (natter_test_client_register (alice, "alice"));
}

static void
test_rebinding_and_resync (void)
{
  g_autoptr(NatterTestServer) server = natter_test_server_start (NULL);
  guint16 port = natter_test_server_port (server);
  g_autoptr(NatterTestClient) alice = natter_test_client_new ("127.0.0.1", port);
  g_autoptr(NatterTestClient) moved = natter_test_client_new ("127.0.0.1", port);
  g_autoptr(NatterTestClient) bob = natter_test_client_new ("127.0.0.1", port);
  g_auto(NatterMsg) msg = { 0 };
  NatterEvent *event;

  g_assert_true (natter_test_client_register (alice, "alice"));
  g_assert_true (natter_test_client_register (bob, "bob"));
  g_assert_true (natter_test_client_expect (alice, NATTER_MSG_EVENTS, WAIT, &msg));
  natter_msg_clear (&msg);

  /* alice's NAT gave her a new port: same token, new source endpoint */
  moved->id = g_strdup (alice->id);
  memcpy (moved->token, alice->token, NATTER_WIRE_TOKEN_SIZE);
  natter_test_client_request (moved, NATTER_MSG_KEEPALIVE, NULL, NULL, 0);
  /* the new address has to be proven before the server believes it */
  g_assert_true (natter_test_client_expect (moved, NATTER_MSG_COOKIE, WAIT, &msg));
  {
    GVariantBuilder b;

    g_variant_builder_init (&b, G_VARIANT_TYPE_VARDICT);
    natter_wire_add_string (&b, "id", moved->id);
    natter_wire_add_bytes (&b, "tok", moved->token, NATTER_WIRE_TOKEN_SIZE);
    natter_wire_add_bytes (&b, "ck", msg.cookie, msg.cookie_len);
    natter_test_client_send (moved, natter_wire_encode (NATTER_MSG_KEEPALIVE,
                                                        g_variant_builder_end (&b)));
  }
  natter_msg_clear (&msg);
  g_assert_true (natter_test_client_expect (moved, NATTER_MSG_ALIVE, WAIT, &msg));
  g_assert_true (natter_endpoint_equal (&msg.endpoint, &moved->local));
  natter_msg_clear (&msg);

  g_assert_true (natter_test_client_expect (bob, NATTER_MSG_EVENTS, WAIT, &msg));
  event = &g_array_index (msg.events, NatterEvent, 0);
  g_assert_cmpuint (event->kind, ==, NATTER_EVENT_MOVE);
  g_assert_cmpstr (event->peer.id, ==, "alice");
  g_assert_true (natter_endpoint_equal (&event->peer.public_endpoint, &moved->local));
  natter_msg_clear (&msg);

  /* a client that lost track asks for the whole list again (more than
   * 1 s after its last one: sooner, the request would have crossed that
   * list and is not answered, protocol.md 5.4) */
  g_usleep (1100 * 1000);
  g_hash_table_remove_all (bob->peers);
  natter_test_client_request (bob, NATTER_MSG_RESYNC, NULL, NULL, 0);
  g_assert_true (natter_test_client_expect (bob, NATTER_MSG_LIST, WAIT, &msg));
  g_assert_cmpuint (msg.parts, ==, 1);
  g_assert_true (has_peer (bob, "alice") && has_peer (bob, "bob"));
  g_assert_true (natter_endpoint_equal (g_hash_table_lookup (bob->peers, "alice"),
                                        &moved->local));
}

static void
test_ipv6 (void)
{
  const char *args[] = { "--bind=::", NULL };
  g_autoptr(GSocket) probe = g_socket_new (G_SOCKET_FAMILY_IPV6, G_SOCKET_TYPE_DATAGRAM,
                                           G_SOCKET_PROTOCOL_UDP, NULL);
  g_autoptr(GInetAddress) lo6 = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV6);
  g_autoptr(GSocketAddress) lo6_addr = g_inet_socket_address_new (lo6, 0);
  g_autoptr(NatterTestServer) server = NULL;
  g_autoptr(NatterTestClient) v6 = NULL;
  g_autoptr(NatterTestClient) v4 = NULL;

  if (probe == NULL || !g_socket_bind (probe, lo6_addr, FALSE, NULL))
    {
      g_test_skip ("no IPv6 loopback here");
      return;
    }
  server = natter_test_server_start (args);
  v6 = natter_test_client_new ("::1", natter_test_server_port (server));
  v4 = natter_test_client_new ("127.0.0.1", natter_test_server_port (server));
  g_assert_true (natter_test_client_register (v6, "six"));
  g_assert_true (natter_test_client_register (v4, "four"));
  g_assert_true (has_peer (v4, "six"));
  /* IPv4 clients of a dual-stack socket are seen as IPv4, not v4-mapped */
  g_assert_cmpuint (((NatterEndpoint *) g_hash_table_lookup (v4->peers, "four"))->family, ==, 4);
  g_assert_cmpuint (((NatterEndpoint *) g_hash_table_lookup (v4->peers, "six"))->family, ==, 6);
}


/* Registration floods */

/* A NatterTestClient on another loopback address (127.0.0.0/8 is all
 * local on Linux) that talks to the server on 127.0.0.1. */
static NatterTestClient *
client_from (const char *local,
             guint16     server_port)
{
  NatterTestClient *client = natter_test_client_new (local, server_port);
  g_autoptr(GInetAddress) server = g_inet_address_new_from_string ("127.0.0.1");

  g_clear_object (&client->server);
  client->server = g_inet_socket_address_new (server, server_port);
  return client;
}

static GBytes *
register_datagram (const char   *id,
                   const guint8 *cookie,
                   gsize         cookie_len)
{
  GVariantBuilder b;
  guint8 pad[NATTER_WIRE_REGISTER_MIN_SIZE] = { 0 };

  g_variant_builder_init (&b, G_VARIANT_TYPE_VARDICT);
  natter_wire_add_string (&b, "id", id);
  if (cookie != NULL)
    natter_wire_add_bytes (&b, "ck", cookie, cookie_len);
  natter_wire_add_bytes (&b, "pad", pad, sizeof pad);
  return natter_wire_encode (NATTER_MSG_REGISTER, g_variant_builder_end (&b));
}

typedef struct
{
  guint8 cookie[NATTER_WIRE_COOKIE_MAX];
  gsize  cookie_len;
} Cookie;

static void
fetch_cookie (NatterTestClient *client,
              Cookie           *cookie)
{
  g_auto(NatterMsg) msg = { 0 };

  natter_test_client_send (client, register_datagram ("cookie", NULL, 0));
  g_assert_true (natter_test_client_expect (client, NATTER_MSG_COOKIE, WAIT, &msg));
  memcpy (cookie->cookie, msg.cookie, msg.cookie_len);
  cookie->cookie_len = msg.cookie_len;
}

/* REGISTER with the cookie: 0 on WELCOME (the client takes the session),
 * otherwise the ERROR's code. Unlike natter_test_client_register() it
 * returns at the first answer. */
static guint32
register_with (NatterTestClient *client,
               const char       *id,
               const Cookie     *cookie)
{
  natter_test_client_send (client, register_datagram (id, cookie->cookie, cookie->cookie_len));
  for (;;)
    {
      g_auto(NatterMsg) msg = { 0 };
      g_autoptr(GBytes) datagram = natter_test_client_recv (client, WAIT);

      g_assert_nonnull (datagram);
      if (!natter_msg_parse (&msg, g_bytes_get_data (datagram, NULL), g_bytes_get_size (datagram),
                             NULL))
        continue;
      if (msg.type == NATTER_MSG_WELCOME)
        {
          g_free (client->id);
          client->id = g_strdup (msg.id);
          memcpy (client->token, msg.token, NATTER_WIRE_TOKEN_SIZE);
          return 0;
        }
      if (msg.type == NATTER_MSG_ERROR)
        {
          g_free (client->last_error);
          client->last_error = g_strdup (msg.reason);
          return msg.code;
        }
    }
}

static guint32
try_register (NatterTestClient *client,
              const char       *id)
{
  Cookie cookie;

  fetch_cookie (client, &cookie);
  return register_with (client, id, &cookie);
}

/* A keep-alive is answered: the session is alive and well. */
static void
assert_alive (NatterTestClient *client)
{
  g_auto(NatterMsg) msg = { 0 };

  natter_test_client_request (client, NATTER_MSG_KEEPALIVE, NULL, NULL, 0);
  g_assert_true (natter_test_client_expect (client, NATTER_MSG_ALIVE, WAIT, &msg));
}

static void
test_flood_max_peers (void)
{
  const char *args[] = { "--max-peers=8", NULL };
  g_autoptr(NatterTestServer) server = natter_test_server_start (args);
  guint16 port = natter_test_server_port (server);
  g_autoptr(GPtrArray) residents = g_ptr_array_new_with_free_func ((GDestroyNotify) natter_test_client_free);
  g_autoptr(GPtrArray) flood = g_ptr_array_new_with_free_func ((GDestroyNotify) natter_test_client_free);
  g_autoptr(GPtrArray) refused = g_ptr_array_new ();
  guint accepted = 0;

  for (guint i = 0; i < 3; i++)
    {
      g_autofree char *id = g_strdup_printf ("resident%u", i);
      NatterTestClient *c = natter_test_client_new ("127.0.0.1", port);

      g_assert_true (natter_test_client_register (c, id));
      g_ptr_array_add (residents, c);
    }

  /* 30 registrations from as many ports: 5 fit, the rest are told why not */
  for (guint i = 0; i < 30; i++)
    {
      g_autofree char *id = g_strdup_printf ("flood%u", i);
      NatterTestClient *c = natter_test_client_new ("127.0.0.1", port);
      guint32 code = try_register (c, id);

      g_ptr_array_add (flood, c);
      if (code == 0)
        accepted++;
      else
        {
          g_assert_cmpuint (code, ==, NATTER_ERR_SERVER_FULL);
          g_assert_nonnull (strstr (c->last_error, "full"));
          g_ptr_array_add (refused, c);
        }
    }
  g_assert_cmpuint (accepted, ==, 5);
  g_assert_cmpuint (refused->len, ==, 25);

  /* the residents are unaffected */
  for (guint i = 0; i < residents->len; i++)
    assert_alive (residents->pdata[i]);
  g_assert_false (natter_test_server_has_line (server, "is off-line"));
  g_assert_false (natter_test_server_has_line (server, "is unregistered"));

  /* still full; one leaves, and the slot is free for the next one */
  g_assert_cmpuint (try_register (refused->pdata[0], "flood5"), ==, NATTER_ERR_SERVER_FULL);
  natter_test_client_request (flood->pdata[0], NATTER_MSG_BYE, NULL, NULL, 0);
  g_assert_true (natter_test_server_wait_line (server, "flood0 is unregistered", WAIT));
  g_assert_cmpuint (try_register (refused->pdata[0], "flood5"), ==, 0);
  g_assert_cmpuint (try_register (refused->pdata[1], "flood6"), ==, NATTER_ERR_SERVER_FULL);
  assert_alive (refused->pdata[0]);
  assert_alive (residents->pdata[0]);
}

static void
test_flood_register_per_address (void)
{
  /* 20 registrations a second from one address, in bursts of 200 */
  const char *args[] = { "--register-rate=20", NULL };
  const guint rate = 20, burst = 200;
  g_autoptr(NatterTestServer) server = natter_test_server_start (args);
  guint16 port = natter_test_server_port (server);
  g_autoptr(NatterTestClient) alice = natter_test_client_new ("127.0.0.1", port);
  g_autoptr(NatterTestClient) elsewhere = client_from ("127.0.0.2", port);
  g_autoptr(NatterTestClient) later = natter_test_client_new ("127.0.0.1", port);
  g_autoptr(GPtrArray) flood = g_ptr_array_new_with_free_func ((GDestroyNotify) natter_test_client_free);
  g_autofree Cookie *cookies = g_new0 (Cookie, 20);
  guint accepted = 1, refused = 0, in_a_row = 0;
  gint64 start;
  gdouble elapsed;

  /* alice's registration is the first of 127.0.0.1's budget */
  g_assert_true (natter_test_client_register (alice, "alice"));

  /* 20 ports of the same address register and register again, as fast as
   * the answers come, until refused ten times in a row */
  for (guint i = 0; i < 20; i++)
    {
      g_ptr_array_add (flood, natter_test_client_new ("127.0.0.1", port));
      fetch_cookie (flood->pdata[i], &cookies[i]);
    }
  start = g_get_monotonic_time ();
  for (guint round = 0; in_a_row < 10; round++)
    {
      g_autofree char *id = g_strdup_printf ("flood%u", round % 20);
      guint32 code = register_with (flood->pdata[round % 20], id, &cookies[round % 20]);

      g_assert_cmpuint (round, <, 5000);
      if (code == 0)
        {
          accepted++;
          in_a_row = 0;
          continue;
        }
      g_assert_cmpuint (code, ==, NATTER_ERR_RATE_LIMITED);
      g_assert_nonnull (strstr (((NatterTestClient *) flood->pdata[round % 20])->last_error,
                                "Too many registrations"));
      refused++;
      in_a_row++;
    }
  elapsed = (g_get_monotonic_time () - start) / (gdouble) G_TIME_SPAN_SECOND;
  g_test_message ("%u registrations from 127.0.0.1 accepted, %u refused, in %.2f s",
                  accepted, refused, elapsed);

  /* the burst and what refilled meanwhile, and no more */
  g_assert_cmpuint (accepted, >=, burst);
  g_assert_cmpfloat (accepted, <=, burst + rate * elapsed + 1);
  g_assert_true (natter_test_server_wait_line (server, "refused: too many registrations from that "
                                                       "address", WAIT));

  /* another address is not affected, nor is alice */
  g_assert_cmpuint (try_register (elsewhere, "elsewhere"), ==, 0);
  assert_alive (alice);
  g_assert_false (natter_test_server_has_line (server, "alice is"));

  /* a registration's worth refills in 1 / 20 s */
  g_usleep (200 * 1000);
  g_assert_cmpuint (try_register (later, "later"), ==, 0);
}

/* Datagrams to the client within timeout_ms that equal text. */
static guint
count_text (NatterTestClient *client,
            const char       *text,
            guint             timeout_ms)
{
  guint n = 0;

  for (;;)
    {
      g_autoptr(GBytes) datagram = natter_test_client_recv (client, timeout_ms);
      gsize len;
      const char *data;

      if (datagram == NULL)
        return n;
      data = g_bytes_get_data (datagram, &len);
      if (len == strlen (text) && memcmp (data, text, len) == 0)
        n++;
    }
}

static void
send_text (NatterTestClient *client,
           const char       *text)
{
  natter_test_client_send_raw (client, text, strlen (text));
}

static void
test_flood_classic_per_address (void)
{
  /* R = 2: each address may be sent 5 x 2 = 10 list lines at once, then 2 a
   * second; a registration costs 2 x (clients registered) + 2 */
  const char *args[] = { "--classic-rate=2", NULL };
  g_autoptr(NatterTestServer) server = natter_test_server_start (args);
  guint16 port = natter_test_server_port (server);
  g_autoptr(NatterTestClient) alice = natter_test_client_new ("127.0.0.1", port);
  g_autoptr(NatterTestClient) carol = client_from ("127.0.0.2", port);
  g_autoptr(NatterTestClient) dave = client_from ("127.0.0.2", port);
  g_autoptr(NatterTestClient) erin = client_from ("127.0.0.3", port);
  g_autoptr(NatterTestClient) native = client_from ("127.0.0.2", port);
  g_autofree char *alice_line = NULL;
  g_autofree char *dave_refused = NULL;
  char ep[NATTER_ENDPOINT_STRLEN];
  gint64 spent;

  g_assert_true (natter_test_client_register (alice, "alice"));
  alice_line = g_strdup_printf ("alice %s", natter_endpoint_format (&alice->local, ep));

  /* ten at once from one endpoint: the first costs 4 (alice is there), the
   * second 6 (carol too), then the bucket is empty for 3 s */
  for (guint i = 0; i < 10; i++)
    send_text (carol, "carol 127.0.0.2");
  spent = g_get_monotonic_time ();
  g_assert_cmpuint (count_text (carol, alice_line, 1000), ==, 2);
  g_assert_true (natter_test_server_wait_line (server, "classic registration of carol from 127.0.0.2:", WAIT));
  g_assert_true (natter_test_server_has_line (server, "refused: too many from that address"));

  /* any port of that address shares the budget: refused, and logged */
  send_text (dave, "dave 127.0.0.2");
  g_assert_cmpuint (count_text (dave, alice_line, 500), ==, 0);
  dave_refused = g_strdup_printf ("classic registration of dave from %s refused: too many",
                                  natter_endpoint_format (&dave->local, ep));
  g_assert_true (natter_test_server_wait_line (server, dave_refused, WAIT));

  /* another address has its own budget; the server serves everyone else */
  send_text (erin, "erin 127.0.0.3");
  g_assert_cmpuint (count_text (erin, alice_line, 1000), ==, 1);
  assert_alive (alice);

  /* three clients now: dave's costs 8, which takes 4 s to refill */
  g_assert_cmpint (g_get_monotonic_time () - spent, <, 3 * G_TIME_SPAN_SECOND);
  g_usleep (spent + 4500 * G_TIME_SPAN_MILLISECOND - g_get_monotonic_time ());
  send_text (dave, "dave 127.0.0.2");
  g_assert_cmpuint (count_text (dave, alice_line, 1000), ==, 1);

  /* native registrations from that address are not charged against it */
  g_assert_true (natter_test_client_register (native, "native"));
  g_assert_true (has_peer (native, "carol") && has_peer (native, "dave") &&
                 has_peer (native, "erin"));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/server/register-and-presence", test_register_and_presence);
  g_test_add_func ("/server/spoofed-exit", test_spoofed_exit);
  g_test_add_func ("/server/introduction-and-relay", test_introduction_and_relay);
  g_test_add_func ("/server/no-relay", test_no_relay);
  g_test_add_func ("/server/silent-client-dropped", test_silent_client_dropped);
  g_test_add_func ("/server/classic-interop", test_classic_interop);
  g_test_add_func ("/server/classic-sees-native-events", test_classic_sees_native_events);
  g_test_add_func ("/server/stun-rfc5389", test_stun_rfc5389);
  g_test_add_func ("/server/stun-rfc3489", test_stun_rfc3489);
  g_test_add_func ("/server/hostile-input", test_hostile_input);
  g_test_add_func ("/server/shutdown-says-goodbye", test_shutdown_says_goodbye);
  g_test_add_func ("/server/restart-unknown-session", test_restart_unknown_session);
  g_test_add_func ("/server/rebinding-and-resync", test_rebinding_and_resync);
  g_test_add_func ("/server/ipv6", test_ipv6);
  g_test_add_func ("/server/flood/max-peers", test_flood_max_peers);
  g_test_add_func ("/server/flood/register-per-address", test_flood_register_per_address);
  g_test_add_func ("/server/flood/classic-per-address", test_flood_classic_per_address);

  return g_test_run ();
}
