/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "natter-peerwire.h"

#define FROM "김태은"
#define TO   "Ελένη"
#define MID  G_GUINT64_CONSTANT (0xfedcba9876543210)

static guint8 key[NATTER_WIRE_KEY_SIZE];
static guint8 other_key[NATTER_WIRE_KEY_SIZE];
static guint8 token[NATTER_WIRE_TOKEN_SIZE];
static guint8 filler[2048];

static void
fixture_init (void)
{
  for (guint i = 0; i < sizeof key; i++)
    {
      key[i] = 0x40 + i;
      other_key[i] = key[i];
    }
  /* as close to the right key as a key can be */
  other_key[31] ^= 0x01;
  for (guint i = 0; i < sizeof token; i++)
    token[i] = 0x10 + i;
  for (guint i = 0; i < sizeof filler; i++)
    filler[i] = 'a' + i % 26;
}

static NatterEndpoint
ep_from (const char *text)
{
  NatterEndpoint ep;

  if (!natter_endpoint_parse (text, 0, &ep))
    g_error ("bad fixture endpoint %s", text);
  return ep;
}

/* The longest ID there is: 32 characters of 4 bytes (U+20000, a letter) */
static char *
longest_id (void)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < NATTER_ID_MAX_CHARS; i++)
    g_string_append (s, "𠀀");
  g_assert_cmpuint (s->len, ==, NATTER_ID_MAX_BYTES);
  g_assert_true (natter_id_validate (s->str, -1, NULL));
  return g_string_free (s, FALSE);
}

/* Independent of natter-peerwire.c: the MAC as the header specifies it,
 * computed in one piece with GLib's one-shot HMAC. */
static void
expected_mac (const guint8 *k,
              const char   *from,
              const char   *to,
              const guint8 *p,
              gsize         p_len,
              guint8       *mac)
{
  g_autoptr(GByteArray) input = g_byte_array_new ();
  g_autofree char *hex = NULL;

  g_byte_array_append (input, (const guint8 *) "natter-peer-v1", 15);
  g_byte_array_append (input, (const guint8 *) from, strlen (from) + 1);
  g_byte_array_append (input, (const guint8 *) to, strlen (to) + 1);
  g_byte_array_append (input, p, p_len);
  hex = g_compute_hmac_for_data (G_CHECKSUM_SHA256, k, NATTER_WIRE_KEY_SIZE,
                                 input->data, input->len);
  g_assert_cmpuint (strlen (hex), ==, 64);
  for (guint i = 0; i < NATTER_WIRE_MAC_SIZE; i++)
    mac[i] = g_ascii_xdigit_value (hex[2 * i]) << 4 | g_ascii_xdigit_value (hex[2 * i + 1]);
}

/* A PEER datagram with whatever fields it is given; NULL if too large. */
static GBytes *
encode_outer (const char   *from,
              const char   *to,
              const guint8 *mac,
              const guint8 *p,
              gsize         p_len)
{
  GVariantBuilder b;

  g_variant_builder_init (&b, G_VARIANT_TYPE_VARDICT);
  natter_wire_add_string (&b, "id", from);
  natter_wire_add_string (&b, "to", to);
  natter_wire_add_bytes (&b, "mac", mac, NATTER_WIRE_MAC_SIZE);
  natter_wire_add_bytes (&b, "p", p, p_len);
  return natter_wire_encode (NATTER_MSG_PEER, g_variant_builder_end (&b));
}

/* Arbitrary payload bytes with a correct MAC, to reach the payload checks. */
static GBytes *
seal_raw (const char   *from,
          const char   *to,
          const guint8 *p,
          gsize         p_len)
{
  guint8 mac[NATTER_WIRE_MAC_SIZE];

  expected_mac (key, from, to, p, p_len, mac);
  return encode_outer (from, to, mac, p, p_len);
}

/* Any a{sv} as a payload with a correct MAC; consumes a floating ref. */
static GBytes *
seal_dict (const char *from,
           const char *to,
           GVariant   *dict)
{
  g_autoptr(GVariant) owned = g_variant_ref_sink (dict);
  g_autoptr(GVariant) le = G_BYTE_ORDER == G_BIG_ENDIAN ? g_variant_byteswap (owned)
                                                        : g_variant_ref (owned);

  return seal_raw (from, to, g_variant_get_data (le), g_variant_get_size (le));
}

typedef enum
{
  PARSE_FAILED,
  OPEN_FAILED,
  OPENED,
} Outcome;

/* Parses and opens from a private copy that is freed, with the outer
 * message, before returning: msg must not point into either. */
static Outcome
open_buf (const guint8   *data,
          gsize           len,
          const guint8   *k,
          const char     *my_id,
          NatterPeerMsg  *msg,
          GError        **error)
{
  g_autofree guint8 *copy = len > 0 ? g_memdup2 (data, len) : NULL;
  g_auto(NatterMsg) outer = { 0 };

  memset (msg, 0xa5, sizeof *msg);
  if (!natter_msg_parse (&outer, copy, len, NULL))
    {
      memset (msg, 0, sizeof *msg);
      return PARSE_FAILED;
    }
  return natter_peer_open (k, &outer, my_id, msg, error) ? OPENED : OPEN_FAILED;
}

static Outcome
open_bytes (GBytes         *bytes,
            const guint8   *k,
            const char     *my_id,
            NatterPeerMsg  *msg,
            GError        **error)
{
  gsize len;
  const guint8 *data = g_bytes_get_data (bytes, &len);

  return open_buf (data, len, k, my_id, msg, error);
}

static void
assert_zeroed (const NatterPeerMsg *msg)
{
  static const NatterPeerMsg zero;

  g_assert_cmpmem (msg, sizeof *msg, &zero, sizeof zero);
}

static void
assert_open_error (GBytes     *bytes,
                   const char *my_id,
                   gint        code)
{
  g_autoptr(GError) error = NULL;
  NatterPeerMsg msg;

  g_assert_nonnull (bytes);
  g_assert_cmpint (open_bytes (bytes, key, my_id, &msg, &error), ==, OPEN_FAILED);
  g_assert_error (error, NATTER_PEER_ERROR, code);
  g_test_message ("  error: %s", error->message);
  assert_zeroed (&msg);
  /* and without a GError */
  g_assert_cmpint (open_bytes (bytes, key, my_id, &msg, NULL), ==, OPEN_FAILED);
  assert_zeroed (&msg);
}

/* What every opened message promises, whatever was sent. */
static void
assert_invariants (const NatterPeerMsg *msg)
{
  g_assert_nonnull (msg->body);
  g_assert_true (g_variant_is_of_type (msg->body, G_VARIANT_TYPE_VARDICT));
  g_assert_cmpint (msg->kind, >=, NATTER_PEER_PROBE);
  g_assert_cmpint (msg->kind, <=, NATTER_PEER_PONG);
  if (msg->has_seen)
    {
      g_assert_true (msg->kind == NATTER_PEER_PROBE_ACK || msg->kind == NATTER_PEER_PONG);
      g_assert_true (natter_endpoint_is_set (&msg->seen));
      g_assert_cmpuint (msg->seen.port, !=, 0);
    }
  if (msg->kind == NATTER_PEER_CHAT)
    {
      const guint8 *start = g_variant_get_data (msg->body);

      g_assert_cmpuint (msg->n_fragments, >=, 1);
      g_assert_cmpuint (msg->n_fragments, <=, NATTER_PEER_MAX_FRAGMENTS);
      g_assert_cmpuint (msg->fragment, <, msg->n_fragments);
      g_assert_nonnull (msg->text);
      g_assert_cmpuint (msg->text_len, >=, 1);
      g_assert_cmpuint (msg->text_len, <=, NATTER_PEER_MAX_FRAGMENT);
      /* inside the body it owns */
      g_assert_true (msg->text >= start);
      g_assert_true (msg->text + msg->text_len <= start + g_variant_get_size (msg->body));
    }
  else
    {
      g_assert_null (msg->text);
      g_assert_cmpuint (msg->text_len, ==, 0);
    }
  if (msg->kind == NATTER_PEER_ACK)
    g_assert_cmpuint (msg->fragment, <, NATTER_PEER_MAX_FRAGMENTS);
}

/* Payloads */

static GVariant *
payload (NatterPeerKind kind)
{
  GVariantBuilder b;

  g_variant_builder_init (&b, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&b, "{sv}", "k", g_variant_new_byte (kind));
  switch (kind)
    {
    case NATTER_PEER_PROBE:
    case NATTER_PEER_PING:
    case NATTER_PEER_PROBE_ACK:
    case NATTER_PEER_PONG:
      natter_wire_add_u64 (&b, "n", 42);
      break;
    case NATTER_PEER_CHAT:
      natter_wire_add_u64 (&b, "mid", MID);
      g_variant_builder_add (&b, "{sv}", "fi", g_variant_new_uint16 (1));
      g_variant_builder_add (&b, "{sv}", "fn", g_variant_new_uint16 (3));
      g_variant_builder_add (&b, "{sv}", "ts", g_variant_new_int64 (1714560000123));
      natter_wire_add_bytes (&b, "text", filler, 10);
      break;
    case NATTER_PEER_ACK:
      natter_wire_add_u64 (&b, "mid", MID);
      g_variant_builder_add (&b, "{sv}", "fi", g_variant_new_uint16 (1));
      break;
    default:
      g_assert_not_reached ();
    }
  return g_variant_builder_end (&b);
}

/* dict with key removed (value NULL) or set to value; consumes floating
 * references */
static GVariant *
edit (GVariant   *dict,
      const char *k,
      GVariant   *value)
{
  g_autoptr(GVariant) owned = g_variant_ref_sink (dict);
  g_autoptr(GVariantDict) d = g_variant_dict_new (owned);

  if (value != NULL)
    g_variant_dict_insert_value (d, k, value);
  else
    g_assert_true (g_variant_dict_remove (d, k));
  return g_variant_dict_end (d);
}

static GVariant *
bytes_value (gsize n)
{
  g_assert_cmpuint (n, <=, sizeof filler);
  return g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, filler, n, 1);
}

static GVariant *
endpoint_value (const guint8 *addr,
                gsize         addr_len,
                guint16       port)
{
  return g_variant_new ("(@ayq)",
                        g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, addr, addr_len, 1),
                        port);
}

static void
assert_payload_malformed (GVariant   *dict,
                          const char *mention)
{
  g_autoptr(GBytes) bytes = seal_dict (FROM, TO, dict);
  g_autoptr(GError) error = NULL;
  NatterPeerMsg msg;

  g_assert_nonnull (bytes);
  g_assert_cmpint (open_bytes (bytes, key, TO, &msg, &error), ==, OPEN_FAILED);
  g_assert_error (error, NATTER_PEER_ERROR, NATTER_PEER_ERROR_MALFORMED);
  g_test_message ("  error: %s", error->message);
  if (mention != NULL)
    g_assert_nonnull (strstr (error->message, mention));
  assert_zeroed (&msg);
}

static void
open_payload_ok (GVariant      *dict,
                 NatterPeerMsg *msg)
{
  g_autoptr(GBytes) bytes = seal_dict (FROM, TO, dict);
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (open_bytes (bytes, key, TO, msg, &error), ==, OPENED);
  g_assert_no_error (error);
  assert_invariants (msg);
}

/* Round trips */

typedef struct
{
  const char    *name;
  NatterPeerMsg  msg;
  const char    *seen;
  const char    *keys;  /* the payload's keys, in order */
} RoundTrip;

static guint8 text_448[NATTER_PEER_MAX_FRAGMENT];

static RoundTrip round_trips[] = {
  { "probe", { .kind = NATTER_PEER_PROBE, .nonce = G_GUINT64_CONSTANT (0x0123456789abcdef) },
    NULL, "k n" },
  { "probe-ack", { .kind = NATTER_PEER_PROBE_ACK, .nonce = 1 },
    "203.0.113.7:40000", "k n seen" },
  { "probe-ack-unseen", { .kind = NATTER_PEER_PROBE_ACK, .nonce = 0 }, NULL, "k n" },
  { "chat", { .kind = NATTER_PEER_CHAT, .message_id = MID, .fragment = 0, .n_fragments = 1,
              .timestamp_ms = 1714560000123, .text = (const guint8 *) "Hello, 김태은 👋",
              .text_len = sizeof "Hello, 김태은 👋" - 1 },
    NULL, "k mid fi fn ts text" },
  { "chat-last-of-most", { .kind = NATTER_PEER_CHAT, .message_id = G_MAXUINT64, .fragment = 63,
                           .n_fragments = NATTER_PEER_MAX_FRAGMENTS, .timestamp_ms = -1,
                           .text = text_448, .text_len = sizeof text_448 },
    NULL, "k mid fi fn ts text" },
  { "chat-one-byte", { .kind = NATTER_PEER_CHAT, .message_id = 0, .fragment = 1, .n_fragments = 2,
                       .timestamp_ms = G_MININT64, .text = (const guint8 *) "\0", .text_len = 1 },
    NULL, "k mid fi fn ts text" },
  { "ack", { .kind = NATTER_PEER_ACK, .message_id = MID, .fragment = 63 }, NULL, "k mid fi" },
  { "ack-first", { .kind = NATTER_PEER_ACK, .message_id = 1, .fragment = 0 }, NULL, "k mid fi" },
  { "ping", { .kind = NATTER_PEER_PING, .nonce = G_MAXUINT64 }, NULL, "k n" },
  { "pong", { .kind = NATTER_PEER_PONG, .nonce = 7 }, "[2001:db8::7]:443", "k n seen" },
  { "pong-mapped", { .kind = NATTER_PEER_PONG, .nonce = 8 }, "[::ffff:192.0.2.1]:1", "k n seen" },
  { "pong-unseen", { .kind = NATTER_PEER_PONG, .nonce = 9 }, NULL, "k n" },
};

static void
assert_same_msg (const NatterPeerMsg *got,
                 const NatterPeerMsg *sent)
{
  g_assert_cmpint (got->kind, ==, sent->kind);
  switch (sent->kind)
    {
    case NATTER_PEER_PROBE:
    case NATTER_PEER_PING:
    case NATTER_PEER_PROBE_ACK:
    case NATTER_PEER_PONG:
      g_assert_cmpuint (got->nonce, ==, sent->nonce);
      g_assert_cmpuint (got->message_id, ==, 0);
      break;
    case NATTER_PEER_CHAT:
      g_assert_cmpuint (got->message_id, ==, sent->message_id);
      g_assert_cmpuint (got->fragment, ==, sent->fragment);
      g_assert_cmpuint (got->n_fragments, ==, sent->n_fragments);
      g_assert_cmpint (got->timestamp_ms, ==, sent->timestamp_ms);
      g_assert_cmpmem (got->text, got->text_len, sent->text, sent->text_len);
      g_assert_cmpuint (got->nonce, ==, 0);
      break;
    case NATTER_PEER_ACK:
      g_assert_cmpuint (got->message_id, ==, sent->message_id);
      g_assert_cmpuint (got->fragment, ==, sent->fragment);
      g_assert_cmpuint (got->nonce, ==, 0);
      break;
    default:
      g_assert_not_reached ();
    }
  g_assert_cmpint (got->has_seen, ==, sent->has_seen);
  if (sent->has_seen)
    g_assert_true (natter_endpoint_equal (&got->seen, &sent->seen));
}

static void
test_round_trip (gconstpointer user_data)
{
  const RoundTrip *rt = user_data;
  NatterPeerMsg sent = rt->msg;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(NatterMsg) outer = { 0 };
  g_autoptr(GVariant) p = NULL;
  g_auto(GStrv) keys = g_strsplit (rt->keys, " ", -1);
  guint8 mac[NATTER_WIRE_MAC_SIZE];
  NatterPeerMsg msg;

  if (rt->seen != NULL)
    {
      sent.has_seen = TRUE;
      sent.seen = ep_from (rt->seen);
    }
  bytes = natter_peer_seal (key, FROM, TO, &sent);
  g_assert_nonnull (bytes);
  g_assert_cmpuint (g_bytes_get_size (bytes), <=, NATTER_WIRE_MAX_SIZE);
  g_test_message ("%s: %" G_GSIZE_FORMAT " bytes", rt->name, g_bytes_get_size (bytes));

  /* the datagram is what the header describes */
  g_assert_true (natter_msg_parse (&outer, g_bytes_get_data (bytes, NULL),
                                   g_bytes_get_size (bytes), &error));
  g_assert_no_error (error);
  g_assert_cmpuint (outer.type, ==, NATTER_MSG_PEER);
  g_assert_cmpstr (outer.id, ==, FROM);
  g_assert_cmpstr (outer.to, ==, TO);
  expected_mac (key, FROM, TO, outer.data, outer.data_len, mac);
  g_assert_cmpmem (outer.mac, NATTER_WIRE_MAC_SIZE, mac, sizeof mac);
  {
    g_autoptr(GBytes) pb = g_bytes_new (outer.data, outer.data_len);
    guint8 k = 0;

    p = g_variant_ref_sink (g_variant_new_from_bytes (G_VARIANT_TYPE_VARDICT, pb, FALSE));
    g_assert_true (g_variant_is_normal_form (p));
    if (G_BYTE_ORDER == G_BIG_ENDIAN)
      {
        GVariant *swapped = g_variant_byteswap (p);

        g_variant_unref (p);
        p = swapped;
      }
    g_assert_cmpuint (g_variant_n_children (p), ==, g_strv_length (keys));
    for (guint i = 0; keys[i] != NULL; i++)
      {
        g_autoptr(GVariant) v = g_variant_lookup_value (p, keys[i], NULL);

        g_assert_nonnull (v);
      }
    g_assert_true (g_variant_lookup (p, "k", "y", &k));
    g_assert_cmpuint (k, ==, sent.kind);
  }

  /* and opens to what was sealed, outliving the datagram */
  g_assert_cmpint (open_bytes (bytes, key, TO, &msg, &error), ==, OPENED);
  g_assert_no_error (error);
  assert_same_msg (&msg, &sent);
  assert_invariants (&msg);
  natter_peer_msg_clear (&msg);
  assert_zeroed (&msg);
  /* clearing twice is harmless */
  natter_peer_msg_clear (&msg);
  assert_zeroed (&msg);

  /* also with the longest IDs */
  {
    g_autofree char *longest = longest_id ();
    g_autoptr(GBytes) long_bytes = natter_peer_seal (key, longest, longest, &sent);
    g_auto(NatterPeerMsg) msg2 = { 0 };

    g_assert_nonnull (long_bytes);
    g_assert_cmpint (open_bytes (long_bytes, key, longest, &msg2, NULL), ==, OPENED);
    assert_same_msg (&msg2, &sent);
  }
}

static void
test_ignored_fields (void)
{
  /* fields that do not belong to the kind are neither sent nor checked */
  NatterPeerMsg sent = {
    .kind = NATTER_PEER_PROBE, .nonce = 5, .message_id = 9, .fragment = 500,
    .n_fragments = 0, .text = filler, .text_len = 5000, .has_seen = TRUE,
  };
  g_autoptr(GBytes) bytes = natter_peer_seal (key, FROM, TO, &sent);
  g_auto(NatterPeerMsg) msg = { 0 };

  g_assert_nonnull (bytes);
  g_assert_cmpint (open_bytes (bytes, key, TO, &msg, NULL), ==, OPENED);
  g_assert_cmpint (msg.kind, ==, NATTER_PEER_PROBE);
  g_assert_cmpuint (msg.nonce, ==, 5);
  g_assert_cmpuint (msg.message_id, ==, 0);
  g_assert_cmpuint (msg.fragment, ==, 0);
  g_assert_false (msg.has_seen);
  assert_invariants (&msg);
  natter_peer_msg_clear (&msg);

  /* unknown keys in a payload are ignored, as in every native body */
  open_payload_ok (edit (edit (payload (NATTER_PEER_CHAT), "x-future", g_variant_new_string ("?")),
                         "", bytes_value (30)),
                   &msg);
  g_assert_cmpint (msg.kind, ==, NATTER_PEER_CHAT);
  g_assert_cmpmem (msg.text, msg.text_len, filler, 10);
  natter_peer_msg_clear (&msg);
  /* and so is "seen" where it has no meaning */
  open_payload_ok (edit (payload (NATTER_PEER_PROBE), "seen",
                         endpoint_value ((const guint8 *) "\x01\x02\x03\x04", 4, 80)),
                   &msg);
  g_assert_false (msg.has_seen);
}

/* Authentication */

static GBytes *
seal_chat (const guint8 *k,
           const char   *from,
           const char   *to)
{
  NatterPeerMsg sent = {
    .kind = NATTER_PEER_CHAT, .message_id = MID, .fragment = 0, .n_fragments = 1,
    .timestamp_ms = 1, .text = filler, .text_len = 20,
  };

  return natter_peer_seal (k, from, to, &sent);
}

static void
test_wrong_key (void)
{
  g_autoptr(GBytes) bytes = seal_chat (other_key, FROM, TO);
  g_autoptr(GBytes) right = seal_chat (key, FROM, TO);
  guint8 zero_key[NATTER_WIRE_KEY_SIZE] = { 0 };
  g_autoptr(GError) error = NULL;
  NatterPeerMsg msg;

  assert_open_error (bytes, TO, NATTER_PEER_ERROR_AUTH);
  g_assert_cmpint (open_bytes (right, zero_key, TO, &msg, &error), ==, OPEN_FAILED);
  g_assert_error (error, NATTER_PEER_ERROR, NATTER_PEER_ERROR_AUTH);
  assert_zeroed (&msg);
}

static void
test_wrong_recipient (void)
{
  g_autoptr(GBytes) bytes = seal_chat (key, FROM, TO);
  g_autoptr(GBytes) to_bob = seal_chat (key, FROM, "bob");
  g_autoptr(GBytes) to_alice = seal_chat (key, FROM, "alice");

  /* the sender's own datagram echoed back, or one for someone else */
  assert_open_error (bytes, FROM, NATTER_PEER_ERROR_AUTH);
  assert_open_error (bytes, "bob", NATTER_PEER_ERROR_AUTH);
  assert_open_error (to_bob, TO, NATTER_PEER_ERROR_AUTH);
  /* IDs are compared exactly: the server hands out one canonical spelling */
  assert_open_error (to_alice, "Alice", NATTER_PEER_ERROR_AUTH);
  assert_open_error (bytes, "ελένη", NATTER_PEER_ERROR_AUTH);
}

static void
test_mac_covers_ids (void)
{
  g_autoptr(GBytes) bytes = seal_chat (key, FROM, TO);
  g_auto(NatterMsg) outer = { 0 };

  g_assert_true (natter_msg_parse (&outer, g_bytes_get_data (bytes, NULL),
                                   g_bytes_get_size (bytes), NULL));

  /* the same MAC and payload with id and to swapped: a reflection */
  {
    g_autoptr(GBytes) swapped = encode_outer (TO, FROM, outer.mac, outer.data, outer.data_len);

    assert_open_error (swapped, FROM, NATTER_PEER_ERROR_AUTH);
  }
  /* another claimed sender, or another recipient */
  {
    g_autoptr(GBytes) spoofed = encode_outer ("mallory", TO, outer.mac, outer.data, outer.data_len);
    g_autoptr(GBytes) redirected = encode_outer (FROM, "bob", outer.mac, outer.data, outer.data_len);

    assert_open_error (spoofed, TO, NATTER_PEER_ERROR_AUTH);
    assert_open_error (redirected, "bob", NATTER_PEER_ERROR_AUTH);
  }
  /* the separators count: from "ab" to "c" is not from "a" to "bc" */
  {
    g_autoptr(GBytes) ab = seal_chat (key, "ab", "c");
    g_auto(NatterMsg) o2 = { 0 };
    g_autoptr(GBytes) moved = NULL;

    g_assert_true (natter_msg_parse (&o2, g_bytes_get_data (ab, NULL), g_bytes_get_size (ab), NULL));
    moved = encode_outer ("a", "bc", o2.mac, o2.data, o2.data_len);
    assert_open_error (moved, "bc", NATTER_PEER_ERROR_AUTH);
  }
  /* the rebuilt original still opens: only the IDs made the difference */
  {
    g_autoptr(GBytes) same = encode_outer (FROM, TO, outer.mac, outer.data, outer.data_len);
    g_auto(NatterPeerMsg) msg = { 0 };

    g_assert_true (g_bytes_equal (same, bytes));
    g_assert_cmpint (open_bytes (same, key, TO, &msg, NULL), ==, OPENED);
  }
}

static GPtrArray *
all_sealed (void)
{
  GPtrArray *all = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);

  for (gsize i = 0; i < G_N_ELEMENTS (round_trips); i++)
    {
      NatterPeerMsg sent = round_trips[i].msg;

      if (round_trips[i].seen != NULL)
        {
          sent.has_seen = TRUE;
          sent.seen = ep_from (round_trips[i].seen);
        }
      g_ptr_array_add (all, natter_peer_seal (key, FROM, TO, &sent));
      g_assert_nonnull (all->pdata[all->len - 1]);
    }
  return all;
}

static void
test_bit_flips (void)
{
  g_autoptr(GPtrArray) all = all_sealed ();
  guint n_parse = 0, n_auth = 0, n_malformed = 0;

  for (guint i = 0; i < all->len; i++)
    {
      gsize len;
      const guint8 *data = g_bytes_get_data (all->pdata[i], &len);
      g_autofree guint8 *buf = g_memdup2 (data, len);

      for (gsize at = 0; at < len; at++)
        for (guint bit = 0; bit < 8; bit++)
          {
            g_autoptr(GError) error = NULL;
            NatterPeerMsg msg;
            Outcome outcome;

            buf[at] ^= 1u << bit;
            outcome = open_buf (buf, len, key, TO, &msg, &error);
            buf[at] ^= 1u << bit;

            if (outcome == OPENED)
              g_error ("flipping bit %u of byte %" G_GSIZE_FORMAT " of %s still opened",
                       bit, at, round_trips[i].name);
            assert_zeroed (&msg);
            if (outcome == PARSE_FAILED)
              n_parse++;
            else if (g_error_matches (error, NATTER_PEER_ERROR, NATTER_PEER_ERROR_AUTH))
              n_auth++;
            else
              {
                /* only a type byte turned into another type gets this far
                 * without an AUTH error, and it is no PEER datagram */
                g_assert_error (error, NATTER_PEER_ERROR, NATTER_PEER_ERROR_MALFORMED);
                g_assert_cmpuint (at, ==, 5);
                n_malformed++;
              }
          }
    }
  g_test_message ("bit flips: %u did not parse, %u failed authentication, %u not PEER",
                  n_parse, n_auth, n_malformed);
  g_assert_cmpuint (n_auth, >, 0);
  g_assert_cmpuint (n_parse, >, 0);
}

/* Bounds */

static void
test_bounds_seal (void)
{
  const NatterPeerMsg chat = {
    .kind = NATTER_PEER_CHAT, .message_id = MID, .fragment = 0, .n_fragments = 1,
    .timestamp_ms = 1, .text = filler, .text_len = 1,
  };
  static const struct
  {
    guint16  fi, fn;
    gsize    text_len;
    gboolean ok;
  } chats[] = {
    { 0, 1, 1, TRUE },
    { 0, 1, NATTER_PEER_MAX_FRAGMENT, TRUE },
    { 63, 64, 100, TRUE },
    { 0, 0, 10, FALSE },     /* fragment 0 of 0 */
    { 1, 1, 10, FALSE },     /* fi >= fn */
    { 5, 3, 10, FALSE },
    { 0, 65, 10, FALSE },    /* 65 fragments */
    { 64, 65, 10, FALSE },
    { 0, G_MAXUINT16, 10, FALSE },
    { 0, 1, NATTER_PEER_MAX_FRAGMENT + 1, FALSE },
    { 0, 1, 0, FALSE },      /* empty text */
  };

  for (gsize i = 0; i < G_N_ELEMENTS (chats); i++)
    {
      NatterPeerMsg sent = chat;
      g_autoptr(GBytes) bytes = NULL;

      sent.fragment = chats[i].fi;
      sent.n_fragments = chats[i].fn;
      sent.text_len = chats[i].text_len;
      bytes = natter_peer_seal (key, FROM, TO, &sent);
      g_test_message ("chat fragment %u of %u, %" G_GSIZE_FORMAT " bytes: %s",
                      chats[i].fi, chats[i].fn, chats[i].text_len, bytes ? "sealed" : "refused");
      g_assert_true ((bytes != NULL) == chats[i].ok);
    }

  /* text NULL */
  {
    NatterPeerMsg sent = chat;

    sent.text = NULL;
    g_assert_null (natter_peer_seal (key, FROM, TO, &sent));
  }
  /* unknown kinds */
  for (guint kind = 0; kind <= 255; kind += (kind < 8 ? 1 : 31))
    if (kind < NATTER_PEER_PROBE || kind > NATTER_PEER_PONG)
      {
        NatterPeerMsg sent = chat;

        sent.kind = kind;
        g_assert_null (natter_peer_seal (key, FROM, TO, &sent));
      }
  /* an ACK for a fragment no CHAT can have */
  {
    NatterPeerMsg ack = { .kind = NATTER_PEER_ACK, .message_id = 1, .fragment = 64 };
    g_autoptr(GBytes) bytes = NULL;

    g_assert_null (natter_peer_seal (key, FROM, TO, &ack));
    ack.fragment = 63;
    bytes = natter_peer_seal (key, FROM, TO, &ack);
    g_assert_nonnull (bytes);
  }
  /* "seen" claimed but not an endpoint */
  {
    NatterPeerMsg pong = { .kind = NATTER_PEER_PONG, .nonce = 1, .has_seen = TRUE };

    g_assert_null (natter_peer_seal (key, FROM, TO, &pong));
    pong.seen = ep_from ("192.0.2.1:80");
    pong.seen.port = 0;
    g_assert_null (natter_peer_seal (key, FROM, TO, &pong));
  }
  /* IDs the server would never hand out */
  g_assert_null (natter_peer_seal (key, "bad id", TO, &chat));
  g_assert_null (natter_peer_seal (key, FROM, "", &chat));
  g_assert_null (natter_peer_seal (key, FROM, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", &chat));
}

static void
test_bounds_open (void)
{
  g_auto(NatterPeerMsg) msg = { 0 };
  GVariant *chat;
  static const guint8 addr[17] = { 192, 0, 2, 1 };

  /* fragment numbers */
  static const struct
  {
    guint16  fi, fn;
    gboolean ok;
  } frags[] = {
    { 0, 1, TRUE }, { 63, 64, TRUE }, { 0, 64, TRUE },
    { 0, 0, FALSE }, { 1, 1, FALSE }, { 3, 2, FALSE }, { 64, 64, FALSE },
    { 0, 65, FALSE }, { 64, 65, FALSE }, { 65534, 65535, FALSE }, { 65535, 65535, FALSE },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (frags); i++)
    {
      chat = edit (edit (payload (NATTER_PEER_CHAT), "fi", g_variant_new_uint16 (frags[i].fi)),
                   "fn", g_variant_new_uint16 (frags[i].fn));
      g_test_message ("fragment %u of %u", frags[i].fi, frags[i].fn);
      if (frags[i].ok)
        {
          open_payload_ok (chat, &msg);
          g_assert_cmpuint (msg.fragment, ==, frags[i].fi);
          g_assert_cmpuint (msg.n_fragments, ==, frags[i].fn);
          natter_peer_msg_clear (&msg);
        }
      else
        assert_payload_malformed (chat, frags[i].fn == 0 || frags[i].fn > 64 ? "“fn”" : "“fi”");
    }

  /* text length */
  for (gsize n = 0; n <= NATTER_PEER_MAX_FRAGMENT + 2; n++)
    {
      chat = edit (payload (NATTER_PEER_CHAT), "text", bytes_value (n));
      if (n >= 1 && n <= NATTER_PEER_MAX_FRAGMENT)
        {
          open_payload_ok (chat, &msg);
          g_assert_cmpmem (msg.text, msg.text_len, filler, n);
          natter_peer_msg_clear (&msg);
        }
      else
        assert_payload_malformed (chat, "“text”");
    }
  assert_payload_malformed (edit (payload (NATTER_PEER_CHAT), "text", bytes_value (800)), "“text”");

  /* kinds */
  for (guint kind = 0; kind <= 255; kind++)
    if (kind < NATTER_PEER_PROBE || kind > NATTER_PEER_PONG)
      assert_payload_malformed (edit (payload (NATTER_PEER_PROBE), "k", g_variant_new_byte (kind)),
                                "kind");

  /* ACK fragment */
  open_payload_ok (edit (payload (NATTER_PEER_ACK), "fi", g_variant_new_uint16 (63)), &msg);
  natter_peer_msg_clear (&msg);
  assert_payload_malformed (edit (payload (NATTER_PEER_ACK), "fi", g_variant_new_uint16 (64)), "“fi”");

  /* timestamps are signed and unrestricted */
  open_payload_ok (edit (payload (NATTER_PEER_CHAT), "ts", g_variant_new_int64 (G_MININT64)), &msg);
  g_assert_cmpint (msg.timestamp_ms, ==, G_MININT64);
  natter_peer_msg_clear (&msg);

  /* seen */
  for (guint kind = NATTER_PEER_PROBE_ACK; kind <= NATTER_PEER_PONG; kind += 4)
    {
      static const guint8 mapped[16] = { [10] = 0xff, [11] = 0xff, 192, 0, 2, 1 };
      NatterEndpoint expected = ep_from ("192.0.2.1:65535");

      assert_payload_malformed (edit (payload (kind), "seen", endpoint_value (addr, 4, 0)), "“seen”");
      for (gsize len = 0; len <= 17; len++)
        if (len != 4 && len != 16)
          assert_payload_malformed (edit (payload (kind), "seen", endpoint_value (addr, len, 80)),
                                    "“seen”");
      /* a wrong type of "seen" is no endpoint, so no "seen" */
      open_payload_ok (edit (payload (kind), "seen", g_variant_new_string ("192.0.2.1:80")), &msg);
      g_assert_false (msg.has_seen);
      natter_peer_msg_clear (&msg);
      open_payload_ok (edit (payload (kind), "seen", endpoint_value (mapped, 16, 65535)), &msg);
      g_assert_true (msg.has_seen);
      g_assert_cmpuint (msg.seen.family, ==, 4);
      g_assert_true (natter_endpoint_equal (&msg.seen, &expected));
      natter_peer_msg_clear (&msg);
    }
}

static void
test_missing_and_wrong_types (void)
{
  static const struct
  {
    NatterPeerKind kind;
    const char    *required[6];
  } kinds[] = {
    { NATTER_PEER_PROBE, { "k", "n" } },
    { NATTER_PEER_PROBE_ACK, { "k", "n" } },
    { NATTER_PEER_CHAT, { "k", "mid", "fi", "fn", "ts", "text" } },
    { NATTER_PEER_ACK, { "k", "mid", "fi" } },
    { NATTER_PEER_PING, { "k", "n" } },
    { NATTER_PEER_PONG, { "k", "n" } },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (kinds); i++)
    for (guint j = 0; j < G_N_ELEMENTS (kinds[i].required) && kinds[i].required[j] != NULL; j++)
      {
        const char *field = kinds[i].required[j];
        g_autofree char *mention = g_strdup_printf ("missing field “%s”", field);

        g_test_message ("kind %d without %s", kinds[i].kind, field);
        assert_payload_malformed (edit (payload (kinds[i].kind), field, NULL), mention);
        /* int32 is the type of no field */
        assert_payload_malformed (edit (payload (kinds[i].kind), field, g_variant_new_int32 (1)),
                                  mention);
      }

  /* near misses */
  static const struct
  {
    NatterPeerKind kind;
    const char    *field;
    const char    *text;   /* GVariant text format */
  } cases[] = {
    { NATTER_PEER_PROBE, "k", "uint32 1" },
    { NATTER_PEER_PROBE, "k", "int16 1" },
    { NATTER_PEER_PROBE, "n", "uint32 42" },
    { NATTER_PEER_PROBE, "n", "int64 42" },
    { NATTER_PEER_CHAT, "mid", "int64 1" },
    { NATTER_PEER_CHAT, "fi", "uint32 0" },
    { NATTER_PEER_CHAT, "fn", "byte 1" },
    { NATTER_PEER_CHAT, "ts", "uint64 1" },
    { NATTER_PEER_CHAT, "text", "'hello'" },
    { NATTER_PEER_CHAT, "text", "@aq [1, 2]" },
    { NATTER_PEER_ACK, "mid", "uint32 1" },
    { NATTER_PEER_ACK, "fi", "int16 0" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) perr = NULL;
      GVariant *value = g_variant_parse (NULL, cases[i].text, NULL, NULL, &perr);
      g_autofree char *mention = g_strdup_printf ("“%s”", cases[i].field);

      g_assert_no_error (perr);
      g_test_message ("kind %d with %s = %s", cases[i].kind, cases[i].field, cases[i].text);
      assert_payload_malformed (edit (payload (cases[i].kind), cases[i].field, value), mention);
      g_variant_unref (value);
    }

  /* an empty payload: no kind */
  {
    GVariantBuilder b;

    g_variant_builder_init (&b, G_VARIANT_TYPE_VARDICT);
    assert_payload_malformed (edit (g_variant_builder_end (&b), "x", g_variant_new_byte (1)),
                              "missing field “k”");
  }
}

static void
test_not_normal_form (void)
{
  g_autoptr(GVariant) probe = g_variant_ref_sink (payload (NATTER_PEER_PROBE));
  gsize len = g_variant_get_size (probe);
  g_autofree guint8 *p = g_memdup2 (g_variant_get_data (probe), len);
  GRand *rand = g_rand_new_with_seed (20240502);

  /* {"k": <byte>} starts "k\0" and pads the variant to 8 */
  g_assert_cmpmem (p, 2, "k", 2);
  for (gsize i = 2; i < 8; i++)
    {
      g_autoptr(GBytes) bytes = NULL;

      g_assert_cmpuint (p[i], ==, 0);
      p[i] = 1;
      bytes = seal_raw (FROM, TO, p, len);
      assert_open_error (bytes, TO, NATTER_PEER_ERROR_MALFORMED);
      p[i] = 0;
    }
  /* framing offset off by one; truncated; one byte too many */
  {
    g_autoptr(GBytes) off = NULL;
    g_autoptr(GBytes) cut = seal_raw (FROM, TO, p, len - 1);
    g_autofree guint8 *longer = g_malloc0 (len + 1);
    g_autoptr(GBytes) extra = NULL;

    p[len - 1] ^= 1;
    off = seal_raw (FROM, TO, p, len);
    p[len - 1] ^= 1;
    memcpy (longer, p, len);
    extra = seal_raw (FROM, TO, longer, len + 1);
    assert_open_error (off, TO, NATTER_PEER_ERROR_MALFORMED);
    assert_open_error (cut, TO, NATTER_PEER_ERROR_MALFORMED);
    assert_open_error (extra, TO, NATTER_PEER_ERROR_MALFORMED);
  }
  /* not a dictionary at all */
  {
    g_autoptr(GBytes) one = seal_raw (FROM, TO, (const guint8 *) "\x01", 1);
    g_autoptr(GBytes) text = seal_raw (FROM, TO, (const guint8 *) "hello", 5);

    assert_open_error (one, TO, NATTER_PEER_ERROR_MALFORMED);
    assert_open_error (text, TO, NATTER_PEER_ERROR_MALFORMED);
  }
  /* random bytes */
  for (guint round = 0; round < 200; round++)
    {
      guint8 buf[300];
      gsize n = g_rand_int_range (rand, 1, sizeof buf);
      g_autoptr(GBytes) bytes = NULL;

      for (gsize i = 0; i < n; i++)
        buf[i] = g_rand_int_range (rand, 0, 256);
      bytes = seal_raw (FROM, TO, buf, n);
      assert_open_error (bytes, TO, NATTER_PEER_ERROR_MALFORMED);
    }
  g_rand_free (rand);
}

static void
test_outer (void)
{
  g_autoptr(GBytes) bytes = seal_chat (key, FROM, TO);
  g_auto(NatterMsg) outer = { 0 };
  g_auto(NatterPeerMsg) msg = { 0 };
  g_autoptr(GError) error = NULL;
  NatterMsg relay = { 0 };

  g_assert_true (natter_msg_parse (&outer, g_bytes_get_data (bytes, NULL),
                                   g_bytes_get_size (bytes), NULL));
  /* a message of another type with the same fields is not PEER */
  relay = outer;
  relay.type = NATTER_MSG_RELAYED;
  memset (&msg, 0xa5, sizeof msg);
  g_assert_false (natter_peer_open (key, &relay, TO, &msg, &error));
  g_assert_error (error, NATTER_PEER_ERROR, NATTER_PEER_ERROR_MALFORMED);
  assert_zeroed (&msg);
  g_clear_error (&error);

  /* the error domain */
  g_assert_cmpstr (g_quark_to_string (NATTER_PEER_ERROR), ==, "natter-peer-error-quark");

  /* the outer parser insists on the fields, so none can be left out */
  {
    static const char *const fields[] = { "id", "to", "mac", "p" };
    static const guint8 mac[NATTER_WIRE_MAC_SIZE];

    for (gsize i = 0; i < G_N_ELEMENTS (fields); i++)
      {
        GVariantBuilder b;
        g_autoptr(GBytes) partial = NULL;

        g_variant_builder_init (&b, G_VARIANT_TYPE_VARDICT);
        if (strcmp (fields[i], "id") != 0)
          natter_wire_add_string (&b, "id", FROM);
        if (strcmp (fields[i], "to") != 0)
          natter_wire_add_string (&b, "to", TO);
        if (strcmp (fields[i], "mac") != 0)
          natter_wire_add_bytes (&b, "mac", mac, sizeof mac);
        if (strcmp (fields[i], "p") != 0)
          natter_wire_add_bytes (&b, "p", filler, 10);
        partial = natter_wire_encode (NATTER_MSG_PEER, g_variant_builder_end (&b));
        g_assert_cmpint (open_bytes (partial, key, TO, &msg, NULL), ==, PARSE_FAILED);
      }
  }

  /* opened successfully, it owns what it points to */
  g_assert_true (natter_peer_open (key, &outer, TO, &msg, &error));
  g_assert_no_error (error);
  natter_msg_clear (&outer);
  g_clear_pointer (&bytes, g_bytes_unref);
  g_assert_cmpmem (msg.text, msg.text_len, filler, 20);
}

/* Size: the largest fragment between the longest IDs still fits in RELAY */

static gsize
relay_size (const char *from,
            const char *to,
            GBytes     *peer)
{
  g_autoptr(GBytes) relay = NULL;

  if (peer == NULL)
    return G_MAXSIZE;
  relay = natter_wire_auth_request (NATTER_MSG_RELAY, from, token, to,
                                    g_bytes_get_data (peer, NULL), g_bytes_get_size (peer), 0);
  return relay != NULL ? g_bytes_get_size (relay) : G_MAXSIZE;
}

/* A CHAT datagram with any text size, bypassing natter_peer_seal's limit.
 * Laid out as natter_peer_seal lays it out: the order of the keys changes
 * the padding between them, by up to 7 bytes. */
static GBytes *
chat_of (const char *from,
         const char *to,
         gsize       text_len)
{
  GVariantBuilder b;

  g_variant_builder_init (&b, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&b, "{sv}", "k", g_variant_new_byte (NATTER_PEER_CHAT));
  natter_wire_add_u64 (&b, "mid", MID);
  g_variant_builder_add (&b, "{sv}", "fi", g_variant_new_uint16 (0));
  g_variant_builder_add (&b, "{sv}", "fn", g_variant_new_uint16 (1));
  g_variant_builder_add (&b, "{sv}", "ts", g_variant_new_int64 (0));
  natter_wire_add_bytes (&b, "text", filler, text_len);
  return seal_dict (from, to, g_variant_builder_end (&b));
}

static void
test_relay_fit (void)
{
  g_autofree char *longest = longest_id ();
  NatterPeerMsg sent = {
    .kind = NATTER_PEER_CHAT, .message_id = G_MAXUINT64, .fragment = 63,
    .n_fragments = NATTER_PEER_MAX_FRAGMENTS, .timestamp_ms = G_MAXINT64,
    .text = filler, .text_len = NATTER_PEER_MAX_FRAGMENT,
  };
  g_autoptr(GBytes) peer = natter_peer_seal (key, longest, longest, &sent);
  g_autoptr(GBytes) relay = NULL;
  g_auto(NatterMsg) relay_msg = { 0 };
  g_autoptr(GError) error = NULL;
  gsize largest = 0;

  /* how much room there is: the largest text that would still fit */
  for (gsize n = 1; n <= NATTER_WIRE_MAX_DATA; n++)
    {
      g_autoptr(GBytes) candidate = chat_of (longest, longest, n);

      if (relay_size (longest, longest, candidate) > NATTER_WIRE_MAX_SIZE)
        break;
      largest = n;
    }
  g_test_message ("largest fragment that fits in RELAY between 128-byte IDs: %" G_GSIZE_FORMAT
                  " bytes (limit %d)", largest, NATTER_PEER_MAX_FRAGMENT);
  g_assert_cmpuint (largest, >=, NATTER_PEER_MAX_FRAGMENT);

  g_assert_nonnull (peer);
  g_test_message ("PEER datagram with a %d-byte fragment between 128-byte IDs: %" G_GSIZE_FORMAT
                  " bytes", NATTER_PEER_MAX_FRAGMENT, g_bytes_get_size (peer));
  g_assert_cmpuint (g_bytes_get_size (peer), <=, NATTER_WIRE_MAX_DATA);
  /* the measurement above used the same layout */
  {
    g_autoptr(GBytes) mirror = chat_of (longest, longest, NATTER_PEER_MAX_FRAGMENT);

    g_assert_cmpuint (g_bytes_get_size (mirror), ==, g_bytes_get_size (peer));
  }

  relay = natter_wire_auth_request (NATTER_MSG_RELAY, longest, token, longest,
                                    g_bytes_get_data (peer, NULL), g_bytes_get_size (peer), 0);
  g_assert_nonnull (relay);
  g_test_message ("inside RELAY: %" G_GSIZE_FORMAT " of %d bytes", g_bytes_get_size (relay),
                  NATTER_WIRE_MAX_SIZE);
  g_assert_cmpuint (g_bytes_get_size (relay), <=, NATTER_WIRE_MAX_SIZE);

  /* the server accepts it, and what it forwards opens at the far end */
  g_assert_true (natter_msg_parse (&relay_msg, g_bytes_get_data (relay, NULL),
                                   g_bytes_get_size (relay), &error));
  g_assert_no_error (error);
  g_assert_cmpmem (relay_msg.data, relay_msg.data_len,
                   g_bytes_get_data (peer, NULL), g_bytes_get_size (peer));
  {
    GVariantBuilder b;
    g_autoptr(GBytes) relayed = NULL;
    g_auto(NatterMsg) relayed_msg = { 0 };
    g_auto(NatterPeerMsg) msg = { 0 };

    g_variant_builder_init (&b, G_VARIANT_TYPE_VARDICT);
    natter_wire_add_string (&b, "id", relay_msg.id);
    natter_wire_add_bytes (&b, "data", relay_msg.data, relay_msg.data_len);
    relayed = natter_wire_encode (NATTER_MSG_RELAYED, g_variant_builder_end (&b));
    g_assert_nonnull (relayed);
    g_assert_true (natter_msg_parse (&relayed_msg, g_bytes_get_data (relayed, NULL),
                                     g_bytes_get_size (relayed), NULL));
    g_assert_cmpint (open_buf (relayed_msg.data, relayed_msg.data_len, key, longest, &msg, &error),
                     ==, OPENED);
    g_assert_no_error (error);
    g_assert_cmpmem (msg.text, msg.text_len, filler, NATTER_PEER_MAX_FRAGMENT);
  }

  /* the other messages are smaller still */
  {
    NatterPeerMsg pong = { .kind = NATTER_PEER_PONG, .nonce = G_MAXUINT64, .has_seen = TRUE,
                           .seen = ep_from ("[2001:db8::1234:5678:9abc:def0]:65535") };
    g_autoptr(GBytes) bytes = natter_peer_seal (key, longest, longest, &pong);

    g_assert_cmpuint (relay_size (longest, longest, bytes), <, relay_size (longest, longest, peer));
  }
}

/* Robustness */

static void
test_mutations (void)
{
  g_autoptr(GPtrArray) all = all_sealed ();
  guint rounds = g_test_slow () ? 100000 : 5000;
  guint n_parsed = 0;

  for (guint round = 0; round < rounds; round++)
    {
      GBytes *bytes = all->pdata[g_test_rand_int_range (0, all->len)];
      gsize len;
      const guint8 *data = g_bytes_get_data (bytes, &len);
      g_autofree guint8 *buf = g_memdup2 (data, len);
      guint n_mutations = g_test_rand_int_range (1, 5);
      g_autoptr(GError) error = NULL;
      NatterPeerMsg msg;
      Outcome outcome;

      for (guint m = 0; m < n_mutations; m++)
        {
          gsize at = g_test_rand_int_range (0, len);

          switch (g_test_rand_int_range (0, 3))
            {
            case 0:
              buf[at] = g_test_rand_int_range (0, 256);
              break;
            case 1:
              buf[at] ^= 1u << g_test_rand_int_range (0, 8);
              break;
            default:
              buf[at] += g_test_rand_int_range (0, 2) ? 1 : -1;
              break;
            }
        }
      outcome = open_buf (buf, len, key, TO, &msg, &error);
      if (outcome != PARSE_FAILED)
        n_parsed++;
      /* a normal-form datagram has one encoding, so any change is a change
       * of the message, and the MAC catches it */
      if (memcmp (buf, data, len) != 0)
        g_assert_cmpint (outcome, !=, OPENED);
      if (outcome == OPENED)
        {
          assert_invariants (&msg);
          natter_peer_msg_clear (&msg);
        }
      assert_zeroed (&msg);
    }
  g_test_message ("%u of %u mutated datagrams parsed", n_parsed, rounds);
}

/* Mutated payloads under a correct MAC: a buggy or hostile peer with the
 * key. Whatever opens must be a sound message. */
static void
test_payload_mutations (void)
{
  guint rounds = g_test_slow () ? 100000 : 5000;
  guint n_opened = 0;
  GPtrArray *payloads = g_ptr_array_new_with_free_func ((GDestroyNotify) g_variant_unref);

  for (NatterPeerKind kind = NATTER_PEER_PROBE; kind <= NATTER_PEER_PONG; kind++)
    g_ptr_array_add (payloads, g_variant_ref_sink (payload (kind)));
  g_ptr_array_add (payloads, g_variant_ref_sink (edit (payload (NATTER_PEER_PONG), "seen",
                                                       endpoint_value (filler, 16, 9))));

  for (guint round = 0; round < rounds; round++)
    {
      GVariant *p = payloads->pdata[g_test_rand_int_range (0, payloads->len)];
      gsize len = g_variant_get_size (p);
      g_autofree guint8 *buf = g_memdup2 (g_variant_get_data (p), len);
      g_autoptr(GBytes) bytes = NULL;
      g_autoptr(GError) error = NULL;
      NatterPeerMsg msg;
      Outcome outcome;

      for (guint m = g_test_rand_int_range (1, 4); m > 0; m--)
        {
          gsize at = g_test_rand_int_range (0, len);

          if (g_test_rand_int_range (0, 2))
            buf[at] = g_test_rand_int_range (0, 256);
          else
            buf[at] ^= 1u << g_test_rand_int_range (0, 8);
        }
      /* sometimes cut short */
      if (g_test_rand_int_range (0, 8) == 0)
        len = g_test_rand_int_range (1, len + 1);
      bytes = seal_raw (FROM, TO, buf, len);
      outcome = open_bytes (bytes, key, TO, &msg, &error);
      g_assert_cmpint (outcome, !=, PARSE_FAILED);
      if (outcome == OPENED)
        {
          n_opened++;
          assert_invariants (&msg);
          natter_peer_msg_clear (&msg);
        }
      else
        g_assert_error (error, NATTER_PEER_ERROR, NATTER_PEER_ERROR_MALFORMED);
      assert_zeroed (&msg);
    }
  g_test_message ("%u of %u mutated payloads opened", n_opened, rounds);
  g_ptr_array_unref (payloads);
}

static void
test_random (void)
{
  guint rounds = g_test_slow () ? 50000 : 2000;
  g_autofree guint8 *buf = g_malloc (1300);

  for (guint round = 0; round < rounds; round++)
    {
      gsize len = g_test_rand_int_range (0, 1300);
      NatterPeerMsg msg;

      for (gsize i = 0; i < len; i++)
        buf[i] = g_test_rand_int_range (0, 256);
      if (len >= NATTER_WIRE_HEADER_SIZE && g_test_rand_int_range (0, 2))
        {
          memcpy (buf, "\xffNTR\x01\x81", NATTER_WIRE_HEADER_SIZE);
          if (g_test_rand_int_range (0, 2))
            len = MIN (len, (gsize) g_test_rand_int_range (NATTER_WIRE_HEADER_SIZE, 80));
        }
      g_assert_cmpint (open_buf (buf, len, key, TO, &msg, NULL), !=, OPENED);
      assert_zeroed (&msg);
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  fixture_init ();
  for (gsize i = 0; i < sizeof text_448; i++)
    text_448[i] = 0x20 + i % 95;

  for (gsize i = 0; i < G_N_ELEMENTS (round_trips); i++)
    {
      g_autofree char *path = g_strdup_printf ("/peerwire/round-trip/%s", round_trips[i].name);

      g_test_add_data_func (path, &round_trips[i], test_round_trip);
    }
  g_test_add_func ("/peerwire/round-trip/ignored-fields", test_ignored_fields);
  g_test_add_func ("/peerwire/auth/wrong-key", test_wrong_key);
  g_test_add_func ("/peerwire/auth/wrong-recipient", test_wrong_recipient);
  g_test_add_func ("/peerwire/auth/mac-covers-ids", test_mac_covers_ids);
  g_test_add_func ("/peerwire/auth/bit-flips", test_bit_flips);
  g_test_add_func ("/peerwire/bounds/seal", test_bounds_seal);
  g_test_add_func ("/peerwire/bounds/open", test_bounds_open);
  g_test_add_func ("/peerwire/malformed/fields", test_missing_and_wrong_types);
  g_test_add_func ("/peerwire/malformed/not-normal-form", test_not_normal_form);
  g_test_add_func ("/peerwire/malformed/outer", test_outer);
  g_test_add_func ("/peerwire/size/relay-fit", test_relay_fit);
  g_test_add_func ("/peerwire/robustness/mutations", test_mutations);
  g_test_add_func ("/peerwire/robustness/payload-mutations", test_payload_mutations);
  g_test_add_func ("/peerwire/robustness/random", test_random);

  return g_test_run ();
}
