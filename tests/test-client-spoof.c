/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "natter-client.h"
#include "natter-peerwire.h"
#include "natter-test-util.h"

/* A real client engine (alice) on the real natter-server, and two peers
 * driven by hand over the wire protocol (bob and carol), who get their
 * pair keys from the server like any client. What reaches alice's socket
 * and fails authentication (a wrong key, any flipped bit, a forged or
 * unknown sender, another recipient, a forged relay, server messages from
 * a peer) must never show as a message; genuine datagrams must, once. */

#define WAIT_MS 10000

typedef struct
{
  NatterTestClient *wire;
  guint8            key[NATTER_WIRE_KEY_SIZE];  /* the newest key for alice */
  guint             keys_received;
  NatterEndpoint    alice;                      /* where alice is */
  GHashTable       *acked;                      /* message ids alice acknowledged */
} Hand;

typedef struct
{
  NatterClient *client;
  GHashTable   *received;                       /* text -> count */
  guint         signals;
} Alice;

static void
on_received (NatterClient  *client,
             NatterPeer    *peer,
             NatterMessage *message,
             Alice         *alice)
{
  const char *text = natter_message_get_text (message);

  alice->signals++;
  g_hash_table_insert (alice->received, g_strdup (text),
                       GUINT_TO_POINTER (GPOINTER_TO_UINT (g_hash_table_lookup (alice->received,
                                                                                text)) + 1));
}

static gboolean
is_online (gpointer data)
{
  return natter_client_get_state (data) == NATTER_CLIENT_ONLINE;
}

typedef struct
{
  NatterClient *client;
  const char   *id;
} PeerCheck;

static gboolean
lists_online (gpointer data)
{
  PeerCheck *check = data;
  NatterPeer *peer = natter_client_lookup_peer (check->client, check->id);

  return peer != NULL && natter_peer_get_online (peer);
}

/* Runs alice's engine for a while. */
static void
pump (guint ms)
{
  gint64 end = g_get_monotonic_time () + ms * G_TIME_SPAN_MILLISECOND;

  while (g_get_monotonic_time () < end)
    {
      g_main_context_iteration (NULL, FALSE);
      g_usleep (200);
    }
}

/* Reads what reached a hand-driven peer: new introductions to alice (her
 * engine asks for one when it cannot open a datagram from a known peer)
 * and alice's acknowledgements. */
static void
hand_poll (Hand *hand)
{
  for (;;)
    {
      g_autoptr(GBytes) datagram = natter_test_client_recv (hand->wire, 0);
      g_auto(NatterMsg) msg = { 0 };
      g_auto(NatterPeerMsg) pm = { 0 };

      if (datagram == NULL)
        return;
      if (!natter_msg_parse (&msg, g_bytes_get_data (datagram, NULL), g_bytes_get_size (datagram),
                             NULL))
        continue;
      if (msg.type == NATTER_MSG_INTRODUCE && g_strcmp0 (msg.id, "alice") == 0 && msg.key != NULL)
        {
          memcpy (hand->key, msg.key, NATTER_WIRE_KEY_SIZE);
          hand->alice = msg.endpoint;
          hand->keys_received++;
        }
      else if (msg.type == NATTER_MSG_PEER && g_strcmp0 (msg.id, "alice") == 0 &&
               natter_peer_open (hand->key, &msg, hand->wire->id, &pm, NULL) &&
               pm.kind == NATTER_PEER_ACK)
        g_hash_table_add (hand->acked, g_memdup2 (&pm.message_id, sizeof pm.message_id));
    }
}

static gboolean
introduced (gpointer data)
{
  Hand *hand = data;

  hand_poll (hand);
  return hand->keys_received > 0;
}

static Hand *
hand_new (NatterTestServer *server,
          const char       *id)
{
  Hand *hand = g_new0 (Hand, 1);

  hand->wire = natter_test_client_new ("127.0.0.1", natter_test_server_port (server));
  hand->acked = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  g_assert_true (natter_test_client_register (hand->wire, id));
  return hand;
}

static void
hand_free (Hand *hand)
{
  natter_test_client_free (hand->wire);
  g_hash_table_unref (hand->acked);
  g_free (hand);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Hand, hand_free)

/* A sealed CHAT of one fragment. */
static GBytes *
chat (const guint8 *key,
      const char   *from,
      const char   *to,
      guint64       message_id,
      const char   *text)
{
  NatterPeerMsg pm = { 0 };
  GBytes *datagram;

  pm.kind = NATTER_PEER_CHAT;
  pm.message_id = message_id;
  pm.fragment = 0;
  pm.n_fragments = 1;
  pm.timestamp_ms = g_get_real_time () / 1000;
  pm.text = (const guint8 *) text;
  pm.text_len = strlen (text);
  datagram = natter_peer_seal (key, from, to, &pm);
  g_assert_nonnull (datagram);
  return datagram;
}

static void
send_to (NatterTestClient     *from,
         const NatterEndpoint *to,
         GBytes               *datagram)
{
  g_autoptr(GSocketAddress) address = natter_endpoint_to_sockaddr (to, FALSE);
  g_autoptr(GError) error = NULL;

  g_socket_send_to (from->socket, address, g_bytes_get_data (datagram, NULL),
                    g_bytes_get_size (datagram), NULL, &error);
  g_assert_no_error (error);
}

typedef struct
{
  Hand       *hand;
  Alice      *alice;
  guint64     message_id;
  const char *text;
} Genuine;

static gboolean
genuine_arrived (gpointer data)
{
  Genuine *g = data;

  hand_poll (g->hand);
  return g_hash_table_contains (g->hand->acked, &g->message_id) &&
         g_hash_table_contains (g->alice->received, g->text);
}

/* A genuine message from the hand-driven peer, sealed with the newest key
 * and sent again until alice acknowledges it, as a client would. */
static void
send_genuine (Hand       *hand,
              Alice      *alice,
              guint64     message_id,
              const char *text)
{
  Genuine g = { hand, alice, message_id, text };
  gint64 end = g_get_monotonic_time () + WAIT_MS * G_TIME_SPAN_MILLISECOND;

  while (!genuine_arrived (&g))
    {
      g_autoptr(GBytes) datagram = chat (hand->key, hand->wire->id, "alice", message_id, text);

      g_assert_cmpint (g_get_monotonic_time (), <, end);
      send_to (hand->wire, &hand->alice, datagram);
      natter_test_wait_until (genuine_arrived, &g, 300);
    }
}

static guint
conversation_length (NatterClient *client,
                     const char   *peer_id)
{
  NatterPeer *peer = natter_client_lookup_peer (client, peer_id);

  return peer == NULL ? 0 : g_list_model_get_n_items (natter_peer_get_conversation (peer));
}

/* Sends forged datagrams to alice a few at a time, letting her engine
 * read them, so that none is lost to a full socket buffer unseen. */
static void
send_forged (NatterTestClient     *from,
             const NatterEndpoint *to,
             GPtrArray            *datagrams)
{
  for (guint i = 0; i < datagrams->len; i++)
    {
      send_to (from, to, datagrams->pdata[i]);
      if (i % 16 == 15)
        pump (2);
    }
  pump (50);
}

static GBytes *
flip_bit (GBytes *datagram,
          gsize   bit)
{
  gsize len = g_bytes_get_size (datagram);
  guint8 *copy = g_memdup2 (g_bytes_get_data (datagram, NULL), len);

  copy[bit / 8] ^= (guint8) (1u << (bit % 8));
  return g_bytes_new_take (copy, len);
}

static GBytes *
relay_request (NatterTestClient *client,
               const char       *to,
               GBytes           *inner)
{
  return natter_wire_auth_request (NATTER_MSG_RELAY, client->id, client->token, to,
                                   g_bytes_get_data (inner, NULL), g_bytes_get_size (inner),
                                   client->version);
}

/* What only the server may send, from a peer's socket instead. */
static GBytes *
forged_introduce (const char           *about,
                  const NatterEndpoint *at,
                  const guint8         *key)
{
  GVariantBuilder b;

  g_variant_builder_init (&b, G_VARIANT_TYPE_VARDICT);
  natter_wire_add_string (&b, "id", about);
  natter_wire_add_endpoint (&b, "ep", at);
  natter_wire_add_bytes (&b, "key", key, NATTER_WIRE_KEY_SIZE);
  return natter_wire_encode (NATTER_MSG_INTRODUCE, g_variant_builder_end (&b));
}

static GBytes *
forged_leave (const char           *who,
              const NatterEndpoint *at,
              guint64               version)
{
  NatterEvent event = { 0 };
  GVariantBuilder b;
  GVariantBuilder events;

  event.version = version;
  event.kind = NATTER_EVENT_LEAVE;
  event.peer.id = who;
  event.peer.public_endpoint = *at;
  g_variant_builder_init (&events, G_VARIANT_TYPE ("a" NATTER_WIRE_TYPE_EVENT));
  g_variant_builder_add_value (&events, natter_wire_event_variant (&event));
  g_variant_builder_init (&b, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&b, "{sv}", "events", g_variant_builder_end (&events));
  return natter_wire_encode (NATTER_MSG_EVENTS, g_variant_builder_end (&b));
}

static void
test_forged_peer_datagrams (void)
{
  g_autoptr(NatterTestServer) server = natter_test_server_start (NULL);
  g_autofree char *address = g_strdup_printf ("127.0.0.1:%u", natter_test_server_port (server));
  g_autoptr(NatterClient) client = natter_client_new ("alice", address, 0, FALSE);
  g_autoptr(GHashTable) received = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(Hand) bob = NULL;
  g_autoptr(Hand) carol = NULL;
  g_autoptr(GPtrArray) forged = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  g_autoptr(GBytes) genuine = NULL;
  g_autoptr(GBytes) flip_me = NULL;
  Alice alice = { client, received, 0 };
  PeerCheck sees_bob = { client, "bob" };
  PeerCheck sees_carol = { client, "carol" };
  guint8 wrong_key[NATTER_WIRE_KEY_SIZE];
  guint keys_before, n_flips = 0;
  gsize flip_bits;
  char line[NATTER_ENDPOINT_STRLEN + 64];
  char ep[NATTER_ENDPOINT_STRLEN];

  g_signal_connect (client, "message-received", G_CALLBACK (on_received), &alice);
  natter_client_start (client);
  g_assert_true (natter_test_wait_until (is_online, client, WAIT_MS));
  bob = hand_new (server, "bob");
  carol = hand_new (server, "carol");
  g_assert_true (natter_test_wait_until (lists_online, &sees_bob, WAIT_MS));
  g_assert_true (natter_test_wait_until (lists_online, &sees_carol, WAIT_MS));

  /* the server introduces each to alice, with a key per pair */
  natter_test_client_request (bob->wire, NATTER_MSG_INTRO, "alice", NULL, 0);
  natter_test_client_request (carol->wire, NATTER_MSG_INTRO, "alice", NULL, 0);
  g_assert_true (natter_test_wait_until (introduced, bob, WAIT_MS));
  g_assert_true (natter_test_wait_until (introduced, carol, WAIT_MS));
  g_assert_true (memcmp (bob->key, carol->key, sizeof bob->key) != 0);

  /* a genuine message shows, once */
  send_genuine (bob, &alice, 1, "genuine 1");
  g_assert_cmpuint (alice.signals, ==, 1);
  g_assert_cmpuint (conversation_length (client, "bob"), ==, 1);

  /* replayed, it is acknowledged again but not shown again */
  genuine = chat (bob->key, "bob", "alice", 1, "genuine 1");
  for (guint i = 0; i < 5; i++)
    g_ptr_array_add (forged, g_bytes_ref (genuine));

  /* bob's own name and address, the wrong key */
  for (guint i = 0; i < sizeof wrong_key; i++)
    wrong_key[i] = (guint8) g_test_rand_int_range (0, 256);
  g_ptr_array_add (forged, chat (wrong_key, "bob", "alice", 2, "forged: wrong key"));
  /* carol's name with bob's key, and with a made-up one */
  g_ptr_array_add (forged, chat (bob->key, "carol", "alice", 3, "forged: carol with bob's key"));
  g_ptr_array_add (forged, chat (wrong_key, "carol", "alice", 4, "forged: carol with a made-up key"));
  /* somebody alice has never heard of */
  g_ptr_array_add (forged, chat (wrong_key, "mallory", "alice", 5, "forged: a stranger"));
  /* bob's genuine datagram for somebody else */
  g_ptr_array_add (forged, chat (bob->key, "bob", "carol", 6, "forged: meant for carol"));
  send_forged (bob->wire, &bob->alice, forged);
  g_ptr_array_set_size (forged, 0);

  /* every single flipped bit of a genuine datagram that was never sent */
  flip_me = chat (bob->key, "bob", "alice", 7, "forged: one bit flipped");
  flip_bits = g_bytes_get_size (flip_me) * 8;
  for (gsize bit = 0; bit < flip_bits; bit++)
    {
      g_ptr_array_add (forged, flip_bit (flip_me, bit));
      n_flips++;
    }
  send_forged (bob->wire, &bob->alice, forged);
  g_ptr_array_set_size (forged, 0);

  /* through the server: bob relays a datagram in carol's name, and one
   * sealed with the wrong key */
  {
    g_autoptr(GBytes) as_carol = chat (bob->key, "carol", "alice", 8, "forged: relayed as carol");
    g_autoptr(GBytes) bad_key = chat (wrong_key, "bob", "alice", 9, "forged: relayed, wrong key");

    natter_test_client_send (bob->wire, relay_request (bob->wire, "alice", as_carol));
    natter_test_client_send (bob->wire, relay_request (bob->wire, "alice", bad_key));
    pump (300);
  }

  /* what only the server may say, said by bob: a key for "carol" that bob
   * chose, then a message in carol's name under it; carol's departure;
   * classic lines in bob's and carol's names */
  memset (wrong_key, 0x42, sizeof wrong_key);
  g_ptr_array_add (forged, forged_introduce ("carol", &bob->wire->local, wrong_key));
  send_forged (bob->wire, &bob->alice, forged);
  g_ptr_array_set_size (forged, 0);
  g_ptr_array_add (forged, chat (wrong_key, "carol", "alice", 10, "forged: after a forged introduction"));
  g_ptr_array_add (forged, forged_leave ("carol", &carol->wire->local, bob->wire->version + 1));
  g_ptr_array_add (forged, g_bytes_new_static ("bob@chat forged: classic line",
                                               strlen ("bob@chat forged: classic line")));
  g_snprintf (line, sizeof line, "carol is off-line %s",
              natter_endpoint_format (&carol->wire->local, ep));
  g_ptr_array_add (forged, g_bytes_new (line, strlen (line)));
  send_forged (bob->wire, &bob->alice, forged);
  g_ptr_array_set_size (forged, 0);

  /* the same from carol's own socket: her endpoint, still not her key */
  g_ptr_array_add (forged, chat (bob->key, "carol", "alice", 11, "forged: from carol's port"));
  send_forged (carol->wire, &carol->alice, forged);
  g_ptr_array_set_size (forged, 0);

  /* a genuine message after all that: it arrives, so alice's engine has
   * read everything sent before it (loopback keeps the order) */
  keys_before = bob->keys_received;
  send_genuine (bob, &alice, 12, "genuine 2");
  send_genuine (carol, &alice, 13, "genuine from carol");
  g_test_message ("%u datagrams with one flipped bit; alice asked for %u new introductions "
                  "to bob on the way", n_flips, bob->keys_received - keys_before);

  /* only the genuine messages were shown, once each */
  g_assert_cmpuint (alice.signals, ==, 3);
  g_assert_cmpuint (g_hash_table_size (received), ==, 3);
  g_assert_cmpuint (GPOINTER_TO_UINT (g_hash_table_lookup (received, "genuine 1")), ==, 1);
  g_assert_cmpuint (GPOINTER_TO_UINT (g_hash_table_lookup (received, "genuine 2")), ==, 1);
  g_assert_cmpuint (GPOINTER_TO_UINT (g_hash_table_lookup (received, "genuine from carol")), ==, 1);
  g_assert_cmpuint (conversation_length (client, "bob"), ==, 2);
  g_assert_cmpuint (conversation_length (client, "carol"), ==, 1);
  g_assert_null (natter_client_lookup_peer (client, "mallory"));
  /* and the forged server messages changed nothing */
  g_assert_true (lists_online (&sees_carol));
  g_assert_cmpint (natter_client_get_state (client), ==, NATTER_CLIENT_ONLINE);
  g_assert_false (natter_test_server_has_line (server, "carol is"));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/client-spoof/forged-peer-datagrams", test_forged_peer_datagrams);

  return g_test_run ();
}
