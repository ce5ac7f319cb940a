/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "natter-stun.h"
#include "natter-wire.h"

#define PEER_TYPE  "(s(ayq)a(ayq)u)"
#define EVENT_TYPE "(ty" PEER_TYPE ")"
#define VER        G_GUINT64_CONSTANT (0x0123456789abcdef)
#define ID         "김태은"
#define TO         "Ελένη"
#define REASON     "That ID is taken"

/* Fixed values every valid body is built from */
static struct
{
  guint8          token[NATTER_WIRE_TOKEN_SIZE];
  guint8          key[NATTER_WIRE_KEY_SIZE];
  guint8          cookie[NATTER_WIRE_COOKIE_MAX];
  guint8          data[300];
  guint8          big[2048];      /* filler for size limits */
  NatterEndpoint  public_ep;      /* 203.0.113.7:40000 */
  NatterEndpoint  candidates[3];  /* v4, v6, v4 */
  NatterEndpoint  many[NATTER_WIRE_MAX_CANDIDATES + 1];
  NatterPeerInfo  peers[3];
  NatterEvent     events[4];
} fx;

static NatterEndpoint
ep_from (const char *text)
{
  NatterEndpoint ep;

  if (!natter_endpoint_parse (text, 0, &ep))
    g_error ("bad fixture endpoint %s", text);
  return ep;
}

static void
fixture_init (void)
{
  for (guint i = 0; i < sizeof fx.token; i++)
    fx.token[i] = 0x10 + i;
  for (guint i = 0; i < sizeof fx.key; i++)
    fx.key[i] = 0xa0 + i;
  for (guint i = 0; i < sizeof fx.cookie; i++)
    fx.cookie[i] = 0x51 * (i + 1);
  for (guint i = 0; i < sizeof fx.data; i++)
    fx.data[i] = i * 7;
  memset (fx.big, 'x', sizeof fx.big);

  fx.public_ep = ep_from ("203.0.113.7:40000");
  fx.candidates[0] = ep_from ("192.168.1.10:10080");
  fx.candidates[1] = ep_from ("[fd00::5]:10081");
  fx.candidates[2] = ep_from ("10.0.0.2:1");
  for (guint i = 0; i < G_N_ELEMENTS (fx.many); i++)
    {
      g_autofree char *text = g_strdup_printf ("10.1.2.%u:%u", i + 1, 20000 + i);

      fx.many[i] = ep_from (text);
    }

  fx.peers[0].id = "alice";
  fx.peers[0].public_endpoint = ep_from ("198.51.100.1:10080");
  fx.peers[0].candidates[0] = fx.candidates[0];
  fx.peers[0].candidates[1] = fx.candidates[1];
  fx.peers[0].n_candidates = 2;
  fx.peers[0].flags = 0;

  fx.peers[1].id = ID;
  fx.peers[1].public_endpoint = ep_from ("[2001:db8::7]:443");
  fx.peers[1].n_candidates = 0;
  fx.peers[1].flags = NATTER_PEER_FLAG_CLASSIC;

  fx.peers[2].id = TO;
  fx.peers[2].public_endpoint = ep_from ("203.0.113.9:1");
  for (guint i = 0; i < NATTER_WIRE_MAX_CANDIDATES; i++)
    fx.peers[2].candidates[i] = fx.many[i];
  fx.peers[2].n_candidates = NATTER_WIRE_MAX_CANDIDATES;
  fx.peers[2].flags = 0x80000000u;

  for (guint i = 0; i < G_N_ELEMENTS (fx.events); i++)
    {
      fx.events[i].version = 7 + i;
      fx.events[i].kind = NATTER_EVENT_JOIN + i;
      fx.events[i].peer = fx.peers[i % G_N_ELEMENTS (fx.peers)];
    }
}

/* Building blocks */

static GVariant *
bytes_value (gsize n)
{
  g_assert_cmpuint (n, <=, sizeof fx.big);
  return g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, fx.big, n, 1);
}

static GVariant *
string_value (char  c,
              gsize n)
{
  g_autofree char *s = g_strnfill (n, c);

  return g_variant_new_string (s);
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

static GVariant *
good_endpoint_value (void)
{
  return endpoint_value (fx.public_ep.addr, 4, fx.public_ep.port);
}

/* n candidates from fx.many; the one at index bad (if < n) replaced by bad_value */
static GVariant *
candidates_value (guint     n,
                  guint     bad,
                  GVariant *bad_value)
{
  GVariantBuilder b;

  g_variant_builder_init (&b, G_VARIANT_TYPE ("a(ayq)"));
  for (guint i = 0; i < n; i++)
    {
      if (i == bad)
        g_variant_builder_add_value (&b, bad_value);
      else
        g_variant_builder_add_value (&b, endpoint_value (fx.many[i].addr, 4, fx.many[i].port));
    }
  if (bad >= n && bad_value != NULL)
    g_variant_unref (g_variant_ref_sink (bad_value));
  return g_variant_builder_end (&b);
}

static GVariant *
peer_value (const char *id,
            GVariant   *endpoint,
            GVariant   *candidates)
{
  return g_variant_new ("(s@(ayq)@a(ayq)u)", id,
                        endpoint != NULL ? endpoint : good_endpoint_value (),
                        candidates != NULL ? candidates : candidates_value (1, G_MAXUINT, NULL),
                        0);
}

static GVariant *
peers_value (const NatterPeerInfo *peers,
             guint                 n,
             GVariant             *extra)
{
  GVariantBuilder b;

  g_variant_builder_init (&b, G_VARIANT_TYPE ("a" PEER_TYPE));
  for (guint i = 0; i < n; i++)
    g_variant_builder_add_value (&b, natter_wire_peer_variant (&peers[i]));
  if (extra != NULL)
    g_variant_builder_add_value (&b, extra);
  return g_variant_builder_end (&b);
}

static GVariant *
events_value (const NatterEvent *events,
              guint              n,
              GVariant          *extra)
{
  GVariantBuilder b;

  g_variant_builder_init (&b, G_VARIANT_TYPE ("a" EVENT_TYPE));
  for (guint i = 0; i < n; i++)
    g_variant_builder_add_value (&b, natter_wire_event_variant (&events[i]));
  if (extra != NULL)
    g_variant_builder_add_value (&b, extra);
  return g_variant_builder_end (&b);
}

/* A body with every field of the type, built with the natter_wire_add_*
 * helpers; floating. */
static GVariant *
valid_body (NatterMsgType type)
{
  GVariantBuilder b;

  g_variant_builder_init (&b, G_VARIANT_TYPE_VARDICT);
  switch (type)
    {
    case NATTER_MSG_REGISTER:
      natter_wire_add_string (&b, "id", ID);
      natter_wire_add_bytes (&b, "ck", fx.cookie, 20);
      natter_wire_add_candidates (&b, "cand", fx.candidates, 3);
      break;
    case NATTER_MSG_KEEPALIVE:
      natter_wire_add_string (&b, "id", ID);
      natter_wire_add_bytes (&b, "tok", fx.token, sizeof fx.token);
      natter_wire_add_u64 (&b, "ver", VER);
      break;
    case NATTER_MSG_RESYNC:
    case NATTER_MSG_BYE:
      natter_wire_add_string (&b, "id", ID);
      natter_wire_add_bytes (&b, "tok", fx.token, sizeof fx.token);
      break;
    case NATTER_MSG_INTRO:
      natter_wire_add_string (&b, "id", ID);
      natter_wire_add_bytes (&b, "tok", fx.token, sizeof fx.token);
      natter_wire_add_string (&b, "to", TO);
      break;
    case NATTER_MSG_RELAY:
      natter_wire_add_string (&b, "id", ID);
      natter_wire_add_bytes (&b, "tok", fx.token, sizeof fx.token);
      natter_wire_add_string (&b, "to", TO);
      natter_wire_add_bytes (&b, "data", fx.data, sizeof fx.data);
      break;
    case NATTER_MSG_COOKIE:
      natter_wire_add_bytes (&b, "ck", fx.cookie, sizeof fx.cookie);
      break;
    case NATTER_MSG_WELCOME:
      natter_wire_add_string (&b, "id", ID);
      natter_wire_add_bytes (&b, "tok", fx.token, sizeof fx.token);
      natter_wire_add_endpoint (&b, "ep", &fx.public_ep);
      natter_wire_add_u32 (&b, "ival", 5000);
      natter_wire_add_u32 (&b, "tmo", 30000);
      natter_wire_add_u64 (&b, "ver", VER);
      break;
    case NATTER_MSG_LIST:
      natter_wire_add_u64 (&b, "ver", VER);
      g_variant_builder_add (&b, "{sv}", "part", g_variant_new_uint16 (1));
      g_variant_builder_add (&b, "{sv}", "parts", g_variant_new_uint16 (3));
      g_variant_builder_add (&b, "{sv}", "peers",
                             peers_value (fx.peers, G_N_ELEMENTS (fx.peers), NULL));
      break;
    case NATTER_MSG_EVENTS:
      g_variant_builder_add (&b, "{sv}", "events",
                             events_value (fx.events, G_N_ELEMENTS (fx.events), NULL));
      break;
    case NATTER_MSG_ALIVE:
      natter_wire_add_u64 (&b, "ver", VER);
      natter_wire_add_endpoint (&b, "ep", &fx.public_ep);
      break;
    case NATTER_MSG_ERROR:
      natter_wire_add_u32 (&b, "code", NATTER_ERR_ID_TAKEN);
      natter_wire_add_string (&b, "why", REASON);
      break;
    case NATTER_MSG_INTRODUCE:
      natter_wire_add_string (&b, "id", TO);
      natter_wire_add_endpoint (&b, "ep", &fx.public_ep);
      natter_wire_add_candidates (&b, "cand", fx.candidates, 2);
      natter_wire_add_bytes (&b, "key", fx.key, sizeof fx.key);
      natter_wire_add_bool (&b, "classic", FALSE);
      break;
    case NATTER_MSG_RELAYED:
      natter_wire_add_string (&b, "id", TO);
      natter_wire_add_bytes (&b, "data", fx.data, 1);
      break;
    case NATTER_MSG_SHUTDOWN:
      natter_wire_add_string (&b, "why", "maintenance");
      break;
    case NATTER_MSG_PEER:
      /* mac and p are opaque here: natter_peer_open() checks them */
      natter_wire_add_string (&b, "id", ID);
      natter_wire_add_string (&b, "to", TO);
      natter_wire_add_bytes (&b, "mac", fx.key, NATTER_WIRE_MAC_SIZE);
      natter_wire_add_bytes (&b, "p", fx.data, sizeof fx.data);
      break;
    default:
      g_assert_not_reached ();
    }
  return g_variant_builder_end (&b);
}

/* The body with key removed (value NULL) or set to value; consumes
 * floating references (and only those). */
static GVariant *
body_with (GVariant   *body,
           const char *key,
           GVariant   *value)
{
  g_autoptr(GVariant) owned = g_variant_ref_sink (body);
  g_autoptr(GVariantDict) dict = g_variant_dict_new (owned);

  if (value != NULL)
    g_variant_dict_insert_value (dict, key, value);
  else
    g_assert_true (g_variant_dict_remove (dict, key));
  return g_variant_dict_end (dict);
}

/* Every message type, and the fields parse must insist on */
static const struct
{
  NatterMsgType type;
  const char   *name;
  const char   *required[7];
} types[] = {
  { NATTER_MSG_REGISTER, "register", { "id" } },
  { NATTER_MSG_KEEPALIVE, "keepalive", { "id", "tok" } },
  { NATTER_MSG_RESYNC, "resync", { "id", "tok" } },
  { NATTER_MSG_BYE, "bye", { "id", "tok" } },
  { NATTER_MSG_INTRO, "intro", { "id", "tok", "to" } },
  { NATTER_MSG_RELAY, "relay", { "id", "tok", "to", "data" } },
  { NATTER_MSG_COOKIE, "cookie", { "ck" } },
  { NATTER_MSG_WELCOME, "welcome", { "id", "tok", "ep", "ival", "tmo", "ver" } },
  { NATTER_MSG_LIST, "list", { "ver", "part", "parts", "peers" } },
  { NATTER_MSG_EVENTS, "events", { "events" } },
  { NATTER_MSG_ALIVE, "alive", { "ver", "ep" } },
  { NATTER_MSG_ERROR, "error", { "code" } },
  { NATTER_MSG_INTRODUCE, "introduce", { "id", "ep", "key" } },
  { NATTER_MSG_RELAYED, "relayed", { "id", "data" } },
  { NATTER_MSG_SHUTDOWN, "shutdown", { NULL } },
  { NATTER_MSG_PEER, "peer", { "id", "to", "mac", "p" } },
};

static gboolean
is_known_type (guint type)
{
  for (gsize i = 0; i < G_N_ELEMENTS (types); i++)
    if (types[i].type == type)
      return TRUE;
  return FALSE;
}

/* Encoding and parsing */

/* Encodes body and checks the framing; consumes a floating reference. */
static GBytes *
encode_ok (NatterMsgType type,
           GVariant     *body)
{
  g_autoptr(GVariant) owned = g_variant_ref_sink (body);
  GBytes *bytes = natter_wire_encode (type, owned);
  const guint8 *data;
  gsize len;

  g_assert_nonnull (bytes);
  data = g_bytes_get_data (bytes, &len);
  g_assert_cmpuint (len, ==, NATTER_WIRE_HEADER_SIZE + g_variant_get_size (owned));
  g_assert_cmpuint (len, <=, NATTER_WIRE_MAX_SIZE);
  g_assert_cmpmem (data, 4, "\xffNTR", 4);
  g_assert_cmpuint (data[4], ==, NATTER_WIRE_VERSION);
  g_assert_cmpuint (data[5], ==, type);
  g_assert_cmpmem (data + NATTER_WIRE_HEADER_SIZE, len - NATTER_WIRE_HEADER_SIZE,
                   g_variant_get_data (owned), g_variant_get_size (owned));
  return bytes;
}

/* Parses from a private copy of exactly len bytes that is freed before
 * returning, so that a message still pointing into its input, or a read
 * past the end, shows up under valgrind and ASan. */
static gboolean
parse_buf (NatterMsg    *msg,
           const guint8 *data,
           gsize         len,
           GError      **error)
{
  g_autofree guint8 *copy = len > 0 ? g_memdup2 (data, len) : NULL;

  return natter_msg_parse (msg, copy, len, error);
}

static gboolean
parse_bytes (NatterMsg  *msg,
             GBytes     *bytes,
             GError    **error)
{
  gsize len;
  const guint8 *data = g_bytes_get_data (bytes, &len);

  return parse_buf (msg, data, len, error);
}

static void
assert_zeroed (const NatterMsg *msg)
{
  static const NatterMsg zero;

  g_assert_cmpmem (msg, sizeof *msg, &zero, sizeof zero);
}

/* mention: text the message must contain, or NULL */
static void
assert_parse_error_buf (const guint8 *data,
                        gsize         len,
                        gint          code,
                        const char   *mention)
{
  g_autoptr(GError) error = NULL;
  NatterMsg msg;

  memset (&msg, 0xa5, sizeof msg);
  g_assert_false (parse_buf (&msg, data, len, &error));
  g_assert_error (error, NATTER_WIRE_ERROR, code);
  g_test_message ("  error: %s", error->message);
  if (mention != NULL)
    g_assert_nonnull (strstr (error->message, mention));
  assert_zeroed (&msg);
  /* and without a GError */
  g_assert_false (parse_buf (&msg, data, len, NULL));
  assert_zeroed (&msg);
}

static void
assert_parse_error (GBytes     *bytes,
                    gint        code,
                    const char *mention)
{
  gsize len;
  const guint8 *data = g_bytes_get_data (bytes, &len);

  assert_parse_error_buf (data, len, code, mention);
}

/* Checking */

enum
{
  F_ID       = 1 << 0,
  F_TO       = 1 << 1,
  F_TOKEN    = 1 << 2,
  F_COOKIE   = 1 << 3,
  F_KEY      = 1 << 4,
  F_DATA     = 1 << 5,
  F_REASON   = 1 << 6,
  F_CODE     = 1 << 7,
  F_VERSION  = 1 << 8,
  F_IVAL     = 1 << 9,
  F_TMO      = 1 << 10,
  F_PART     = 1 << 11,
  F_CLASSIC  = 1 << 12,
  F_ENDPOINT = 1 << 13,
  F_CANDS    = 1 << 14,
  F_PEERS    = 1 << 15,
  F_EVENTS   = 1 << 16,
  F_MAC      = 1 << 17,
};

/* Fields a message of this kind must not have set */
static void
assert_unset (const NatterMsg *msg,
              guint            set)
{
  static const NatterEndpoint no_ep;

  if (!(set & F_ID))
    g_assert_null (msg->id);
  if (!(set & F_TO))
    g_assert_null (msg->to);
  if (!(set & F_TOKEN))
    g_assert_null (msg->token);
  if (!(set & F_COOKIE))
    {
      g_assert_null (msg->cookie);
      g_assert_cmpuint (msg->cookie_len, ==, 0);
    }
  if (!(set & F_KEY))
    g_assert_null (msg->key);
  if (!(set & F_DATA))
    {
      g_assert_null (msg->data);
      g_assert_cmpuint (msg->data_len, ==, 0);
    }
  if (!(set & F_REASON))
    g_assert_null (msg->reason);
  if (!(set & F_CODE))
    g_assert_cmpuint (msg->code, ==, 0);
  if (!(set & F_VERSION))
    g_assert_cmpuint (msg->version, ==, 0);
  if (!(set & F_IVAL))
    g_assert_cmpuint (msg->interval_ms, ==, 0);
  if (!(set & F_TMO))
    g_assert_cmpuint (msg->timeout_ms, ==, 0);
  if (!(set & F_PART))
    {
      g_assert_cmpuint (msg->part, ==, 0);
      g_assert_cmpuint (msg->parts, ==, 0);
    }
  if (!(set & F_CLASSIC))
    g_assert_false (msg->classic);
  if (!(set & F_ENDPOINT))
    {
      g_assert_false (msg->has_endpoint);
      g_assert_cmpmem (&msg->endpoint, sizeof msg->endpoint, &no_ep, sizeof no_ep);
    }
  if (!(set & F_CANDS))
    g_assert_cmpuint (msg->n_candidates, ==, 0);
  if (!(set & F_PEERS))
    g_assert_null (msg->peers);
  if (!(set & F_EVENTS))
    g_assert_null (msg->events);
  if (!(set & F_MAC))
    g_assert_null (msg->mac);
}

static void
assert_endpoint_eq (const NatterEndpoint *got,
                    const NatterEndpoint *expected)
{
  char a[NATTER_ENDPOINT_STRLEN], b[NATTER_ENDPOINT_STRLEN];

  g_assert_cmpstr (natter_endpoint_format (got, a), ==, natter_endpoint_format (expected, b));
  g_assert_cmpuint (got->family, ==, expected->family);
  g_assert_true (natter_endpoint_equal (got, expected));
}

static void
assert_candidates_eq (const NatterEndpoint *got,
                      guint                 n_got,
                      const NatterEndpoint *expected,
                      guint                 n_expected)
{
  g_assert_cmpuint (n_got, ==, n_expected);
  for (guint i = 0; i < n_got; i++)
    assert_endpoint_eq (&got[i], &expected[i]);
}

static void
assert_peer_eq (const NatterPeerInfo *got,
                const NatterPeerInfo *expected)
{
  g_assert_cmpstr (got->id, ==, expected->id);
  assert_endpoint_eq (&got->public_endpoint, &expected->public_endpoint);
  assert_candidates_eq (got->candidates, got->n_candidates,
                        expected->candidates, expected->n_candidates);
  g_assert_cmpuint (got->flags, ==, expected->flags);
}

/* A message parsed from valid_body (type) */
static void
assert_valid_msg (const NatterMsg *msg,
                  NatterMsgType    type)
{
  guint set = 0;

  g_assert_cmpuint (msg->type, ==, type);
  g_assert_nonnull (msg->body);
  g_assert_true (g_variant_is_of_type (msg->body, G_VARIANT_TYPE_VARDICT));

  switch (type)
    {
    case NATTER_MSG_REGISTER:
      g_assert_cmpstr (msg->id, ==, ID);
      g_assert_cmpmem (msg->cookie, msg->cookie_len, fx.cookie, 20);
      assert_candidates_eq (msg->candidates, msg->n_candidates, fx.candidates, 3);
      set = F_ID | F_COOKIE | F_CANDS;
      break;
    case NATTER_MSG_KEEPALIVE:
      g_assert_cmpstr (msg->id, ==, ID);
      g_assert_cmpmem (msg->token, NATTER_WIRE_TOKEN_SIZE, fx.token, sizeof fx.token);
      g_assert_cmpuint (msg->version, ==, VER);
      set = F_ID | F_TOKEN | F_VERSION;
      break;
    case NATTER_MSG_RESYNC:
    case NATTER_MSG_BYE:
      g_assert_cmpstr (msg->id, ==, ID);
      g_assert_cmpmem (msg->token, NATTER_WIRE_TOKEN_SIZE, fx.token, sizeof fx.token);
      set = F_ID | F_TOKEN;
      break;
    case NATTER_MSG_INTRO:
      g_assert_cmpstr (msg->id, ==, ID);
      g_assert_cmpmem (msg->token, NATTER_WIRE_TOKEN_SIZE, fx.token, sizeof fx.token);
      g_assert_cmpstr (msg->to, ==, TO);
      set = F_ID | F_TOKEN | F_TO;
      break;
    case NATTER_MSG_RELAY:
      g_assert_cmpstr (msg->id, ==, ID);
      g_assert_cmpmem (msg->token, NATTER_WIRE_TOKEN_SIZE, fx.token, sizeof fx.token);
      g_assert_cmpstr (msg->to, ==, TO);
      g_assert_cmpmem (msg->data, msg->data_len, fx.data, sizeof fx.data);
      set = F_ID | F_TOKEN | F_TO | F_DATA;
      break;
    case NATTER_MSG_COOKIE:
      g_assert_cmpmem (msg->cookie, msg->cookie_len, fx.cookie, sizeof fx.cookie);
      set = F_COOKIE;
      break;
    case NATTER_MSG_WELCOME:
      g_assert_cmpstr (msg->id, ==, ID);
      g_assert_cmpmem (msg->token, NATTER_WIRE_TOKEN_SIZE, fx.token, sizeof fx.token);
      g_assert_true (msg->has_endpoint);
      assert_endpoint_eq (&msg->endpoint, &fx.public_ep);
      g_assert_cmpuint (msg->interval_ms, ==, 5000);
      g_assert_cmpuint (msg->timeout_ms, ==, 30000);
      g_assert_cmpuint (msg->version, ==, VER);
      set = F_ID | F_TOKEN | F_ENDPOINT | F_IVAL | F_TMO | F_VERSION;
      break;
    case NATTER_MSG_LIST:
      g_assert_cmpuint (msg->version, ==, VER);
      g_assert_cmpuint (msg->part, ==, 1);
      g_assert_cmpuint (msg->parts, ==, 3);
      g_assert_nonnull (msg->peers);
      g_assert_cmpuint (msg->peers->len, ==, G_N_ELEMENTS (fx.peers));
      for (guint i = 0; i < msg->peers->len; i++)
        assert_peer_eq (&g_array_index (msg->peers, NatterPeerInfo, i), &fx.peers[i]);
      set = F_VERSION | F_PART | F_PEERS;
      break;
    case NATTER_MSG_EVENTS:
      g_assert_nonnull (msg->events);
      g_assert_cmpuint (msg->events->len, ==, G_N_ELEMENTS (fx.events));
      for (guint i = 0; i < msg->events->len; i++)
        {
          const NatterEvent *event = &g_array_index (msg->events, NatterEvent, i);

          g_assert_cmpuint (event->version, ==, fx.events[i].version);
          g_assert_cmpint (event->kind, ==, fx.events[i].kind);
          assert_peer_eq (&event->peer, &fx.events[i].peer);
        }
      set = F_EVENTS;
      break;
    case NATTER_MSG_ALIVE:
      g_assert_cmpuint (msg->version, ==, VER);
      g_assert_true (msg->has_endpoint);
      assert_endpoint_eq (&msg->endpoint, &fx.public_ep);
      set = F_VERSION | F_ENDPOINT;
      break;
    case NATTER_MSG_ERROR:
      g_assert_cmpuint (msg->code, ==, NATTER_ERR_ID_TAKEN);
      g_assert_cmpstr (msg->reason, ==, REASON);
      set = F_CODE | F_REASON;
      break;
    case NATTER_MSG_INTRODUCE:
      g_assert_cmpstr (msg->id, ==, TO);
      g_assert_true (msg->has_endpoint);
      assert_endpoint_eq (&msg->endpoint, &fx.public_ep);
      assert_candidates_eq (msg->candidates, msg->n_candidates, fx.candidates, 2);
      g_assert_cmpmem (msg->key, NATTER_WIRE_KEY_SIZE, fx.key, sizeof fx.key);
      g_assert_false (msg->classic);
      set = F_ID | F_ENDPOINT | F_CANDS | F_KEY;
      break;
    case NATTER_MSG_RELAYED:
      g_assert_cmpstr (msg->id, ==, TO);
      g_assert_cmpmem (msg->data, msg->data_len, fx.data, 1);
      set = F_ID | F_DATA;
      break;
    case NATTER_MSG_SHUTDOWN:
      g_assert_cmpstr (msg->reason, ==, "maintenance");
      set = F_REASON;
      break;
    case NATTER_MSG_PEER:
      g_assert_cmpstr (msg->id, ==, ID);
      g_assert_cmpstr (msg->to, ==, TO);
      g_assert_cmpmem (msg->mac, NATTER_WIRE_MAC_SIZE, fx.key, NATTER_WIRE_MAC_SIZE);
      g_assert_cmpmem (msg->data, msg->data_len, fx.data, sizeof fx.data);
      set = F_ID | F_TO | F_MAC | F_DATA;
      break;
    default:
      g_assert_not_reached ();
    }
  assert_unset (msg, set);
}

/* What any successfully parsed message promises, whatever its input. */
static void
assert_bytes_field (GVariant     *body,
                    const char   *key,
                    const guint8 *got,
                    gsize         got_len)
{
  g_autoptr(GVariant) v = g_variant_lookup_value (body, key, G_VARIANT_TYPE_BYTESTRING);

  g_assert_nonnull (v);
  g_assert_cmpmem (got, got_len, g_variant_get_data (v), g_variant_get_size (v));
}

static void
assert_string_field (GVariant   *body,
                     const char *key,
                     const char *got)
{
  const char *s = NULL;

  g_assert_true (g_variant_lookup (body, key, "&s", &s));
  g_assert_cmpstr (got, ==, s);
}

static void
assert_wire_endpoint (const NatterEndpoint *ep)
{
  g_assert_true (natter_endpoint_is_set (ep));
  g_assert_cmpuint (ep->port, !=, 0);
}

static void
assert_wire_peer (const NatterPeerInfo *peer)
{
  g_assert_nonnull (peer->id);
  g_assert_true (natter_id_validate (peer->id, -1, NULL));
  assert_wire_endpoint (&peer->public_endpoint);
  g_assert_cmpuint (peer->n_candidates, <=, NATTER_WIRE_MAX_CANDIDATES);
  for (guint i = 0; i < peer->n_candidates; i++)
    assert_wire_endpoint (&peer->candidates[i]);
}

static void
assert_invariants (const NatterMsg *msg)
{
  g_assert_nonnull (msg->body);
  g_assert_true (g_variant_is_of_type (msg->body, G_VARIANT_TYPE_VARDICT));
  g_assert_true (g_variant_is_normal_form (msg->body));
  g_assert_true (is_known_type (msg->type));

  if (msg->id != NULL)
    {
      g_assert_true (natter_id_validate (msg->id, -1, NULL));
      assert_string_field (msg->body, "id", msg->id);
    }
  if (msg->to != NULL)
    {
      g_assert_true (natter_id_validate (msg->to, -1, NULL));
      assert_string_field (msg->body, "to", msg->to);
    }
  if (msg->token != NULL)
    assert_bytes_field (msg->body, "tok", msg->token, NATTER_WIRE_TOKEN_SIZE);
  if (msg->cookie != NULL)
    {
      g_assert_cmpuint (msg->cookie_len, >=, 1);
      g_assert_cmpuint (msg->cookie_len, <=, NATTER_WIRE_COOKIE_MAX);
      assert_bytes_field (msg->body, "ck", msg->cookie, msg->cookie_len);
    }
  if (msg->key != NULL)
    assert_bytes_field (msg->body, "key", msg->key, NATTER_WIRE_KEY_SIZE);
  if (msg->mac != NULL)
    assert_bytes_field (msg->body, "mac", msg->mac, NATTER_WIRE_MAC_SIZE);
  if (msg->data != NULL)
    {
      g_assert_cmpuint (msg->data_len, >=, 1);
      g_assert_cmpuint (msg->data_len, <=, NATTER_WIRE_MAX_DATA);
      /* PEER's sealed payload is "p", not "data" */
      assert_bytes_field (msg->body, msg->type == NATTER_MSG_PEER ? "p" : "data",
                          msg->data, msg->data_len);
    }
  if (msg->reason != NULL)
    {
      g_assert_cmpuint (strlen (msg->reason), <=, NATTER_WIRE_MAX_REASON);
      assert_string_field (msg->body, "why", msg->reason);
    }
  if (msg->has_endpoint)
    assert_wire_endpoint (&msg->endpoint);
  g_assert_cmpuint (msg->n_candidates, <=, NATTER_WIRE_MAX_CANDIDATES);
  for (guint i = 0; i < msg->n_candidates; i++)
    assert_wire_endpoint (&msg->candidates[i]);
  if (msg->peers != NULL)
    for (guint i = 0; i < msg->peers->len; i++)
      assert_wire_peer (&g_array_index (msg->peers, NatterPeerInfo, i));
  if (msg->events != NULL)
    for (guint i = 0; i < msg->events->len; i++)
      {
        const NatterEvent *event = &g_array_index (msg->events, NatterEvent, i);

        g_assert_cmpint (event->kind, >=, NATTER_EVENT_JOIN);
        g_assert_cmpint (event->kind, <=, NATTER_EVENT_MOVE);
        assert_wire_peer (&event->peer);
      }

  switch (msg->type)
    {
    case NATTER_MSG_REGISTER:
      g_assert_nonnull (msg->id);
      break;
    case NATTER_MSG_KEEPALIVE:
    case NATTER_MSG_RESYNC:
    case NATTER_MSG_BYE:
      g_assert_nonnull (msg->id);
      g_assert_nonnull (msg->token);
      break;
    case NATTER_MSG_INTRO:
      g_assert_nonnull (msg->id);
      g_assert_nonnull (msg->token);
      g_assert_nonnull (msg->to);
      break;
    case NATTER_MSG_RELAY:
      g_assert_nonnull (msg->id);
      g_assert_nonnull (msg->token);
      g_assert_nonnull (msg->to);
      g_assert_nonnull (msg->data);
      break;
    case NATTER_MSG_COOKIE:
      g_assert_nonnull (msg->cookie);
      break;
    case NATTER_MSG_WELCOME:
      g_assert_nonnull (msg->id);
      g_assert_nonnull (msg->token);
      g_assert_true (msg->has_endpoint);
      g_assert_cmpuint (msg->interval_ms, >, 0);
      g_assert_cmpuint (msg->timeout_ms, >=, msg->interval_ms);
      break;
    case NATTER_MSG_LIST:
      g_assert_nonnull (msg->peers);
      g_assert_cmpuint (msg->part, <, msg->parts);
      break;
    case NATTER_MSG_EVENTS:
      g_assert_nonnull (msg->events);
      break;
    case NATTER_MSG_ALIVE:
      g_assert_true (msg->has_endpoint);
      break;
    case NATTER_MSG_INTRODUCE:
      g_assert_nonnull (msg->id);
      g_assert_true (msg->has_endpoint);
      g_assert_true (msg->key != NULL || msg->classic);
      break;
    case NATTER_MSG_RELAYED:
      g_assert_nonnull (msg->id);
      g_assert_nonnull (msg->data);
      break;
    case NATTER_MSG_PEER:
      g_assert_nonnull (msg->id);
      g_assert_nonnull (msg->to);
      g_assert_nonnull (msg->mac);
      g_assert_nonnull (msg->data);
      break;
    case NATTER_MSG_ERROR:
    case NATTER_MSG_SHUTDOWN:
      break;
    default:
      g_assert_not_reached ();
    }
}

/* Round trips */

static void
test_round_trip (gconstpointer user_data)
{
  NatterMsgType type = GPOINTER_TO_UINT (user_data);
  g_autoptr(GVariant) body = g_variant_ref_sink (valid_body (type));
  /* body is not floating: encode_ok leaves our reference alone */
  g_autoptr(GBytes) bytes = encode_ok (type, body);
  g_autoptr(GError) error = NULL;
  NatterMsg msg;

  memset (&msg, 0xa5, sizeof msg);
  g_assert_true (parse_bytes (&msg, bytes, &error));
  g_assert_no_error (error);
  assert_valid_msg (&msg, type);
  assert_invariants (&msg);
  g_assert_true (g_variant_equal (msg.body, body));
  natter_msg_clear (&msg);
  assert_zeroed (&msg);
  /* clearing twice is harmless */
  natter_msg_clear (&msg);
  assert_zeroed (&msg);

  /* unknown keys are ignored, whatever their type */
  {
    g_autoptr(GBytes) extended = NULL;
    g_auto(NatterMsg) msg2 = { 0 };
    GVariant *b = valid_body (type);

    b = body_with (b, "x-future", g_variant_new_string ("ignored"));
    b = body_with (b, "zz", g_variant_new ("(ii)", 1, 2));
    b = body_with (b, "", bytes_value (50));
    extended = encode_ok (type, b);
    g_assert_cmpuint (g_bytes_get_size (extended), >, g_bytes_get_size (bytes));
    g_assert_true (parse_bytes (&msg2, extended, &error));
    g_assert_no_error (error);
    assert_valid_msg (&msg2, type);
    assert_invariants (&msg2);
    /* msg2 is cleared by g_auto */
  }
}

static void
test_missing_fields (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (types); i++)
    for (const char *const *key = types[i].required; *key != NULL; key++)
      {
        g_autoptr(GBytes) bytes = NULL;
        g_autofree char *mention = g_strdup_printf ("missing field “%s”", *key);

        g_test_message ("%s without %s", types[i].name, *key);
        bytes = encode_ok (types[i].type, body_with (valid_body (types[i].type), *key, NULL));
        assert_parse_error (bytes, NATTER_WIRE_ERROR_MALFORMED, mention);
      }
}

static void
test_wrong_field_types (void)
{
  /* every required field as an int32 (a type no field has) */
  for (gsize i = 0; i < G_N_ELEMENTS (types); i++)
    for (const char *const *key = types[i].required; *key != NULL; key++)
      {
        g_autoptr(GBytes) bytes = NULL;
        g_autofree char *mention = g_strdup_printf ("“%s”", *key);

        g_test_message ("%s with %s as an int", types[i].name, *key);
        bytes = encode_ok (types[i].type,
                           body_with (valid_body (types[i].type), *key, g_variant_new_int32 (7)));
        assert_parse_error (bytes, NATTER_WIRE_ERROR_MALFORMED, mention);
      }

  /* near misses */
  static const struct
  {
    NatterMsgType type;
    const char   *key;
    const char   *text; /* GVariant text format */
  } cases[] = {
    { NATTER_MSG_REGISTER, "id", "uint32 5" },
    { NATTER_MSG_REGISTER, "id", "@ay [0x61]" },
    { NATTER_MSG_REGISTER, "id", "objectpath '/a'" },
    { NATTER_MSG_KEEPALIVE, "tok", "'0123456789abcdef'" },
    { NATTER_MSG_KEEPALIVE, "tok", "@aq [1,2,3,4,5,6,7,8]" },
    { NATTER_MSG_WELCOME, "ver", "uint32 1" },
    { NATTER_MSG_WELCOME, "ival", "uint64 5000" },
    { NATTER_MSG_WELCOME, "tmo", "int32 30000" },
    { NATTER_MSG_WELCOME, "ep", "(@ay [1,2,3,4], uint32 80)" },
    { NATTER_MSG_WELCOME, "ep", "(@ay [1,2,3,4], uint16 80, uint16 1)" },
    { NATTER_MSG_WELCOME, "ep", "'1.2.3.4:80'" },
    { NATTER_MSG_LIST, "part", "uint32 0" },
    { NATTER_MSG_LIST, "parts", "byte 3" },
    { NATTER_MSG_LIST, "peers", "@a(s(ayq)a(ayq)) []" },
    { NATTER_MSG_LIST, "peers", "@as ['alice']" },
    { NATTER_MSG_EVENTS, "events", "@a(uy(s(ayq)a(ayq)u)) []" },
    { NATTER_MSG_ERROR, "code", "uint16 3" },
    { NATTER_MSG_INTRODUCE, "key", "@aq []" },
    { NATTER_MSG_RELAYED, "data", "'hello'" },
    { NATTER_MSG_COOKIE, "ck", "@ab [true]" },
    { NATTER_MSG_PEER, "p", "'payload'" },
    { NATTER_MSG_PEER, "mac", "@aq [1,2,3,4,5,6,7,8]" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) perr = NULL;
      g_autoptr(GVariant) value = g_variant_parse (NULL, cases[i].text, NULL, NULL, &perr);
      g_autoptr(GBytes) bytes = NULL;
      g_autofree char *mention = g_strdup_printf ("“%s”", cases[i].key);

      g_assert_no_error (perr);
      g_test_message ("0x%02x with %s = %s", cases[i].type, cases[i].key, cases[i].text);
      bytes = encode_ok (cases[i].type, body_with (valid_body (cases[i].type), cases[i].key, value));
      assert_parse_error (bytes, NATTER_WIRE_ERROR_MALFORMED, mention);
    }
}

/* Field bounds */

static GBytes *
encode_edit (NatterMsgType  type,
             const char    *key,
             GVariant      *value)
{
  return encode_ok (type, body_with (valid_body (type), key, value));
}

static void
assert_edit_malformed (NatterMsgType  type,
                       const char    *key,
                       GVariant      *value,
                       const char    *mention_key)
{
  g_autoptr(GBytes) bytes = encode_edit (type, key, value);
  g_autofree char *mention = g_strdup_printf ("“%s”", mention_key != NULL ? mention_key : key);

  g_test_message ("0x%02x with a bad %s", type, key);
  assert_parse_error (bytes, NATTER_WIRE_ERROR_MALFORMED, mention);
}

static void
parse_edit_ok (NatterMsgType  type,
               const char    *key,
               GVariant      *value,
               NatterMsg     *msg)
{
  g_autoptr(GBytes) bytes = encode_edit (type, key, value);
  g_autoptr(GError) error = NULL;

  g_test_message ("0x%02x with another valid %s", type, key);
  g_assert_true (parse_bytes (msg, bytes, &error));
  g_assert_no_error (error);
  assert_invariants (msg);
}

static const char *const bad_ids[] = {
  "", "bad id", "a@b", "a:b", "a/b", "\t", "😀",
  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",        /* 33 characters */
  "\u1100\u1161",                             /* NFD */
};

static void
test_bounds_ids (void)
{
  static const struct
  {
    NatterMsgType type;
    const char   *key;
  } id_fields[] = {
    { NATTER_MSG_REGISTER, "id" }, { NATTER_MSG_KEEPALIVE, "id" },
    { NATTER_MSG_RESYNC, "id" }, { NATTER_MSG_BYE, "id" },
    { NATTER_MSG_INTRO, "id" }, { NATTER_MSG_INTRO, "to" },
    { NATTER_MSG_RELAY, "id" }, { NATTER_MSG_RELAY, "to" },
    { NATTER_MSG_WELCOME, "id" }, { NATTER_MSG_INTRODUCE, "id" },
    { NATTER_MSG_RELAYED, "id" }, { NATTER_MSG_PEER, "id" }, { NATTER_MSG_PEER, "to" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (id_fields); i++)
    {
      g_auto(NatterMsg) msg = { 0 };

      for (gsize j = 0; j < G_N_ELEMENTS (bad_ids); j++)
        assert_edit_malformed (id_fields[i].type, id_fields[i].key,
                               g_variant_new_string (bad_ids[j]), NULL);
      /* far more than NATTER_ID_MAX_BYTES */
      assert_edit_malformed (id_fields[i].type, id_fields[i].key, string_value ('a', 200), NULL);

      /* the longest ID there is: 32 characters of 4 bytes */
      {
        g_autofree char *longest = NULL;
        GString *s = g_string_new (NULL);

        for (guint k = 0; k < NATTER_ID_MAX_CHARS; k++)
          g_string_append (s, "𠀀"); /* U+20000, a CJK ideograph */
        longest = g_string_free (s, FALSE);
        g_assert_cmpuint (strlen (longest), ==, NATTER_ID_MAX_BYTES);
        parse_edit_ok (id_fields[i].type, id_fields[i].key, g_variant_new_string (longest), &msg);
        g_assert_cmpstr (strcmp (id_fields[i].key, "to") == 0 ? msg.to : msg.id, ==, longest);
      }
    }

  /* peer entries in LIST and EVENTS */
  for (gsize j = 0; j < G_N_ELEMENTS (bad_ids); j++)
    {
      assert_edit_malformed (NATTER_MSG_LIST, "peers",
                             peers_value (fx.peers, 2, peer_value (bad_ids[j], NULL, NULL)),
                             NULL);
      assert_edit_malformed (NATTER_MSG_EVENTS, "events",
                             events_value (fx.events, 1,
                                           g_variant_new ("(ty@" PEER_TYPE ")",
                                                          (guint64) 1, (guint8) NATTER_EVENT_JOIN,
                                                          peer_value (bad_ids[j], NULL, NULL))),
                             NULL);
    }
}

static void
test_bounds_bytes (void)
{
  g_auto(NatterMsg) msg = { 0 };
  static const NatterMsgType token_types[] = {
    NATTER_MSG_KEEPALIVE, NATTER_MSG_RESYNC, NATTER_MSG_BYE, NATTER_MSG_INTRO,
    NATTER_MSG_RELAY, NATTER_MSG_WELCOME,
  };

  /* token: exactly 16 bytes */
  for (gsize i = 0; i < G_N_ELEMENTS (token_types); i++)
    {
      assert_edit_malformed (token_types[i], "tok", bytes_value (0), NULL);
      assert_edit_malformed (token_types[i], "tok", bytes_value (15), NULL);
      assert_edit_malformed (token_types[i], "tok", bytes_value (17), NULL);
      parse_edit_ok (token_types[i], "tok", bytes_value (16), &msg);
      g_assert_cmpmem (msg.token, NATTER_WIRE_TOKEN_SIZE, fx.big, 16);
      natter_msg_clear (&msg);
    }

  /* key: exactly 32 bytes */
  assert_edit_malformed (NATTER_MSG_INTRODUCE, "key", bytes_value (0), NULL);
  assert_edit_malformed (NATTER_MSG_INTRODUCE, "key", bytes_value (31), NULL);
  assert_edit_malformed (NATTER_MSG_INTRODUCE, "key", bytes_value (33), NULL);

  /* cookie: 1 to 32 bytes, in COOKIE (required) and REGISTER (optional) */
  for (int r = 0; r < 2; r++)
    {
      NatterMsgType type = r == 0 ? NATTER_MSG_COOKIE : NATTER_MSG_REGISTER;

      assert_edit_malformed (type, "ck", bytes_value (0), NULL);
      assert_edit_malformed (type, "ck", bytes_value (NATTER_WIRE_COOKIE_MAX + 1), NULL);
      assert_edit_malformed (type, "ck", bytes_value (100), NULL);
      parse_edit_ok (type, "ck", bytes_value (1), &msg);
      g_assert_cmpmem (msg.cookie, msg.cookie_len, fx.big, 1);
      natter_msg_clear (&msg);
      parse_edit_ok (type, "ck", bytes_value (NATTER_WIRE_COOKIE_MAX), &msg);
      g_assert_cmpmem (msg.cookie, msg.cookie_len, fx.big, NATTER_WIRE_COOKIE_MAX);
      natter_msg_clear (&msg);
    }

  /* data: 1 to 1100 bytes */
  for (int r = 0; r < 2; r++)
    {
      NatterMsgType type = r == 0 ? NATTER_MSG_RELAY : NATTER_MSG_RELAYED;
      GVariant *floating;
      g_autoptr(GVariant) body = NULL;
      g_autoptr(GBytes) bytes = NULL;

      assert_edit_malformed (type, "data", bytes_value (0), NULL);
      /* 1101 bytes of data only fit with one-character IDs */
      floating = body_with (valid_body (type), "id", g_variant_new_string ("a"));
      if (type == NATTER_MSG_RELAY)
        floating = body_with (floating, "to", g_variant_new_string ("b"));
      /* body is not floating: body_with leaves our reference alone */
      body = g_variant_ref_sink (floating);
      bytes = encode_ok (type, body_with (body, "data", bytes_value (NATTER_WIRE_MAX_DATA + 1)));
      assert_parse_error (bytes, NATTER_WIRE_ERROR_MALFORMED, "“data”");
      g_clear_pointer (&bytes, g_bytes_unref);
      bytes = encode_ok (type, body_with (body, "data", bytes_value (NATTER_WIRE_MAX_DATA)));
      g_assert_true (parse_bytes (&msg, bytes, NULL));
      assert_invariants (&msg);
      g_assert_cmpstr (msg.id, ==, "a");
      g_assert_cmpmem (msg.data, msg.data_len, fx.big, NATTER_WIRE_MAX_DATA);
      natter_msg_clear (&msg);
      parse_edit_ok (type, "data", bytes_value (1), &msg);
      g_assert_cmpmem (msg.data, msg.data_len, fx.big, 1);
      natter_msg_clear (&msg);
    }

  /* PEER: a 16-byte MAC, and a payload of 1 to 1100 bytes */
  assert_edit_malformed (NATTER_MSG_PEER, "mac", bytes_value (0), NULL);
  assert_edit_malformed (NATTER_MSG_PEER, "mac", bytes_value (NATTER_WIRE_MAC_SIZE - 1), NULL);
  assert_edit_malformed (NATTER_MSG_PEER, "mac", bytes_value (NATTER_WIRE_MAC_SIZE + 1), NULL);
  parse_edit_ok (NATTER_MSG_PEER, "mac", bytes_value (NATTER_WIRE_MAC_SIZE), &msg);
  g_assert_cmpmem (msg.mac, NATTER_WIRE_MAC_SIZE, fx.big, NATTER_WIRE_MAC_SIZE);
  natter_msg_clear (&msg);
  assert_edit_malformed (NATTER_MSG_PEER, "p", bytes_value (0), NULL);
  parse_edit_ok (NATTER_MSG_PEER, "p", bytes_value (1), &msg);
  g_assert_cmpmem (msg.data, msg.data_len, fx.big, 1);
  natter_msg_clear (&msg);
  {
    /* 1101 bytes of payload only fit with one-character IDs */
    GVariant *floating = body_with (body_with (valid_body (NATTER_MSG_PEER), "id",
                                               g_variant_new_string ("a")),
                                    "to", g_variant_new_string ("b"));
    g_autoptr(GVariant) body = g_variant_ref_sink (floating);
    g_autoptr(GBytes) bytes = NULL;

    bytes = encode_ok (NATTER_MSG_PEER, body_with (body, "p", bytes_value (NATTER_WIRE_MAX_DATA + 1)));
    assert_parse_error (bytes, NATTER_WIRE_ERROR_MALFORMED, "“p”");
    g_clear_pointer (&bytes, g_bytes_unref);
    bytes = encode_ok (NATTER_MSG_PEER, body_with (body, "p", bytes_value (NATTER_WIRE_MAX_DATA)));
    g_assert_true (parse_bytes (&msg, bytes, NULL));
    assert_invariants (&msg);
    g_assert_cmpmem (msg.data, msg.data_len, fx.big, NATTER_WIRE_MAX_DATA);
    natter_msg_clear (&msg);
  }

  /* reason: at most 256 bytes, optional */
  for (int r = 0; r < 2; r++)
    {
      NatterMsgType type = r == 0 ? NATTER_MSG_ERROR : NATTER_MSG_SHUTDOWN;
      g_autofree char *longest = g_strnfill (NATTER_WIRE_MAX_REASON, 'w');
      g_autoptr(GBytes) without = NULL;

      assert_edit_malformed (type, "why", string_value ('w', NATTER_WIRE_MAX_REASON + 1), NULL);
      parse_edit_ok (type, "why", g_variant_new_string (longest), &msg);
      g_assert_cmpstr (msg.reason, ==, longest);
      natter_msg_clear (&msg);
      parse_edit_ok (type, "why", g_variant_new_string (""), &msg);
      g_assert_cmpstr (msg.reason, ==, "");
      natter_msg_clear (&msg);

      without = encode_ok (type, body_with (valid_body (type), "why", NULL));
      g_assert_true (parse_bytes (&msg, without, NULL));
      g_assert_null (msg.reason);
      natter_msg_clear (&msg);
    }
}

static void
test_bounds_endpoints (void)
{
  g_auto(NatterMsg) msg = { 0 };
  static const guint8 addr[17] = { 192, 0, 2, 1 };
  static const guint8 mapped[16] = { [10] = 0xff, [11] = 0xff, 192, 0, 2, 1 };
  static const NatterMsgType ep_types[] = {
    NATTER_MSG_WELCOME, NATTER_MSG_ALIVE, NATTER_MSG_INTRODUCE,
  };
  static const NatterMsgType cand_types[] = { NATTER_MSG_REGISTER, NATTER_MSG_INTRODUCE };
  NatterEndpoint expected;

  for (gsize i = 0; i < G_N_ELEMENTS (ep_types); i++)
    {
      assert_edit_malformed (ep_types[i], "ep", endpoint_value (addr, 4, 0), NULL);
      for (gsize len = 0; len <= 17; len++)
        if (len != 4 && len != 16)
          assert_edit_malformed (ep_types[i], "ep", endpoint_value (addr, len, 80), NULL);

      parse_edit_ok (ep_types[i], "ep", endpoint_value (mapped, 16, 65535), &msg);
      g_assert_true (msg.has_endpoint);
      g_assert_cmpuint (msg.endpoint.family, ==, 4);
      expected = ep_from ("192.0.2.1:65535");
      assert_endpoint_eq (&msg.endpoint, &expected);
      natter_msg_clear (&msg);
    }

  for (gsize i = 0; i < G_N_ELEMENTS (cand_types); i++)
    {
      NatterMsgType type = cand_types[i];

      /* up to 8 candidates */
      parse_edit_ok (type, "cand", candidates_value (NATTER_WIRE_MAX_CANDIDATES, G_MAXUINT, NULL), &msg);
      assert_candidates_eq (msg.candidates, msg.n_candidates, fx.many, NATTER_WIRE_MAX_CANDIDATES);
      natter_msg_clear (&msg);
      parse_edit_ok (type, "cand", candidates_value (0, G_MAXUINT, NULL), &msg);
      g_assert_cmpuint (msg.n_candidates, ==, 0);
      natter_msg_clear (&msg);
      assert_edit_malformed (type, "cand",
                             candidates_value (NATTER_WIRE_MAX_CANDIDATES + 1, G_MAXUINT, NULL), NULL);
      /* natter_wire_add_candidates never writes more than 8 */
      {
        GVariantBuilder b;
        g_autoptr(GVariant) dict = NULL;
        g_autoptr(GVariant) cand = NULL;
        g_autoptr(GBytes) bytes = NULL;

        g_variant_builder_init (&b, G_VARIANT_TYPE_VARDICT);
        natter_wire_add_candidates (&b, "cand", fx.many, G_N_ELEMENTS (fx.many));
        dict = g_variant_ref_sink (g_variant_builder_end (&b));
        cand = g_variant_lookup_value (dict, "cand", G_VARIANT_TYPE ("a(ayq)"));
        g_assert_cmpuint (g_variant_n_children (cand), ==, NATTER_WIRE_MAX_CANDIDATES);
        bytes = encode_ok (type, body_with (valid_body (type), "cand", cand));
        g_assert_true (parse_bytes (&msg, bytes, NULL));
        assert_candidates_eq (msg.candidates, msg.n_candidates, fx.many, NATTER_WIRE_MAX_CANDIDATES);
        natter_msg_clear (&msg);
      }
      /* a bad candidate anywhere spoils the list */
      assert_edit_malformed (type, "cand", candidates_value (3, 0, endpoint_value (addr, 4, 0)), NULL);
      assert_edit_malformed (type, "cand", candidates_value (3, 2, endpoint_value (addr, 5, 80)), NULL);
      assert_edit_malformed (type, "cand", candidates_value (8, 7, endpoint_value (addr, 0, 80)), NULL);
      assert_edit_malformed (type, "cand", candidates_value (1, 0, endpoint_value (addr, 15, 80)), NULL);
      /* v4-mapped candidates come out as IPv4 */
      parse_edit_ok (type, "cand", candidates_value (2, 1, endpoint_value (mapped, 16, 9)), &msg);
      g_assert_cmpuint (msg.n_candidates, ==, 2);
      expected = ep_from ("192.0.2.1:9");
      assert_endpoint_eq (&msg.candidates[1], &expected);
      natter_msg_clear (&msg);
    }

  /* optional candidates */
  {
    g_autoptr(GBytes) bytes = encode_ok (NATTER_MSG_REGISTER,
                                         body_with (body_with (valid_body (NATTER_MSG_REGISTER),
                                                               "cand", NULL),
                                                    "ck", NULL));

    g_assert_true (parse_bytes (&msg, bytes, NULL));
    g_assert_cmpstr (msg.id, ==, ID);
    assert_unset (&msg, F_ID);
    natter_msg_clear (&msg);
  }

  /* peer entries: endpoint and candidates checked as well */
  assert_edit_malformed (NATTER_MSG_LIST, "peers",
                         peers_value (fx.peers, 1, peer_value ("bob", endpoint_value (addr, 4, 0), NULL)),
                         NULL);
  assert_edit_malformed (NATTER_MSG_LIST, "peers",
                         peers_value (fx.peers, 1, peer_value ("bob", endpoint_value (addr, 5, 1), NULL)),
                         NULL);
  assert_edit_malformed (NATTER_MSG_LIST, "peers",
                         peers_value (NULL, 0, peer_value ("bob", NULL,
                                                           candidates_value (NATTER_WIRE_MAX_CANDIDATES + 1,
                                                                             G_MAXUINT, NULL))),
                         NULL);
  assert_edit_malformed (NATTER_MSG_LIST, "peers",
                         peers_value (NULL, 0, peer_value ("bob", NULL,
                                                           candidates_value (2, 1, endpoint_value (addr, 4, 0)))),
                         NULL);
  assert_edit_malformed (NATTER_MSG_EVENTS, "events",
                         events_value (NULL, 0,
                                       g_variant_new ("(ty@" PEER_TYPE ")", (guint64) 1,
                                                      (guint8) NATTER_EVENT_MOVE,
                                                      peer_value ("bob", endpoint_value (addr, 4, 0), NULL))),
                         NULL);
}

static void
test_bounds_consistency (void)
{
  g_auto(NatterMsg) msg = { 0 };

  /* LIST: part < parts */
  static const struct
  {
    guint16  part, parts;
    gboolean ok;
  } parts[] = {
    { 0, 1, TRUE }, { 2, 3, TRUE }, { 65534, 65535, TRUE },
    { 0, 0, FALSE }, { 1, 0, FALSE }, { 1, 1, FALSE }, { 3, 3, FALSE }, { 4, 3, FALSE },
    { 65535, 65535, FALSE },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (parts); i++)
    {
      GVariant *body = valid_body (NATTER_MSG_LIST);
      g_autoptr(GBytes) bytes = NULL;

      body = body_with (body, "part", g_variant_new_uint16 (parts[i].part));
      body = body_with (body, "parts", g_variant_new_uint16 (parts[i].parts));
      bytes = encode_ok (NATTER_MSG_LIST, body);
      g_test_message ("part %u of %u", parts[i].part, parts[i].parts);
      if (parts[i].ok)
        {
          g_assert_true (parse_bytes (&msg, bytes, NULL));
          g_assert_cmpuint (msg.part, ==, parts[i].part);
          g_assert_cmpuint (msg.parts, ==, parts[i].parts);
          assert_invariants (&msg);
          natter_msg_clear (&msg);
        }
      else
        assert_parse_error (bytes, NATTER_WIRE_ERROR_MALFORMED, "“part”");
    }

  /* an empty LIST part is fine (an empty registry) */
  parse_edit_ok (NATTER_MSG_LIST, "peers", peers_value (NULL, 0, NULL), &msg);
  g_assert_cmpuint (msg.peers->len, ==, 0);
  natter_msg_clear (&msg);

  /* WELCOME: 0 < ival <= tmo */
  static const struct
  {
    guint32  ival, tmo;
    gboolean ok;
  } timers[] = {
    { 1, 1, TRUE }, { 5000, 5000, TRUE }, { 1, G_MAXUINT32, TRUE },
    { 0, 0, FALSE }, { 0, 30000, FALSE }, { 5000, 4999, FALSE }, { G_MAXUINT32, 1, FALSE },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (timers); i++)
    {
      GVariant *body = valid_body (NATTER_MSG_WELCOME);
      g_autoptr(GBytes) bytes = NULL;

      body = body_with (body, "ival", g_variant_new_uint32 (timers[i].ival));
      body = body_with (body, "tmo", g_variant_new_uint32 (timers[i].tmo));
      bytes = encode_ok (NATTER_MSG_WELCOME, body);
      g_test_message ("ival %u tmo %u", timers[i].ival, timers[i].tmo);
      if (timers[i].ok)
        {
          g_assert_true (parse_bytes (&msg, bytes, NULL));
          g_assert_cmpuint (msg.interval_ms, ==, timers[i].ival);
          g_assert_cmpuint (msg.timeout_ms, ==, timers[i].tmo);
          natter_msg_clear (&msg);
        }
      else
        assert_parse_error (bytes, NATTER_WIRE_ERROR_MALFORMED, "“ival”");
    }

  /* EVENTS: kinds 1 to 4 */
  for (guint kind = 0; kind <= 255; kind++)
    {
      GVariant *event = g_variant_new ("(ty@" PEER_TYPE ")", (guint64) 99, (guint8) kind,
                                       natter_wire_peer_variant (&fx.peers[0]));

      if (kind >= NATTER_EVENT_JOIN && kind <= NATTER_EVENT_MOVE)
        {
          const NatterEvent *got;

          parse_edit_ok (NATTER_MSG_EVENTS, "events", events_value (fx.events, 2, event), &msg);
          g_assert_cmpuint (msg.events->len, ==, 3);
          got = &g_array_index (msg.events, NatterEvent, 2);
          g_assert_cmpint (got->kind, ==, kind);
          g_assert_cmpuint (got->version, ==, 99);
          assert_peer_eq (&got->peer, &fx.peers[0]);
          natter_msg_clear (&msg);
        }
      else if (kind == 0 || kind == 5 || kind == 255)
        assert_edit_malformed (NATTER_MSG_EVENTS, "events", events_value (fx.events, 2, event), NULL);
      else
        g_variant_unref (g_variant_ref_sink (event));
    }
  parse_edit_ok (NATTER_MSG_EVENTS, "events", events_value (NULL, 0, NULL), &msg);
  g_assert_cmpuint (msg.events->len, ==, 0);
  natter_msg_clear (&msg);

  /* INTRODUCE: a classic peer has no key; a native one must have one */
  {
    GVariant *body = body_with (valid_body (NATTER_MSG_INTRODUCE), "key", NULL);
    g_autoptr(GBytes) bytes = NULL;

    body = body_with (body, "classic", g_variant_new_boolean (TRUE));
    bytes = encode_ok (NATTER_MSG_INTRODUCE, body);
    g_assert_true (parse_bytes (&msg, bytes, NULL));
    g_assert_true (msg.classic);
    g_assert_null (msg.key);
    g_assert_cmpstr (msg.id, ==, TO);
    assert_invariants (&msg);
    natter_msg_clear (&msg);
  }
  {
    g_autoptr(GBytes) bytes = encode_ok (NATTER_MSG_INTRODUCE,
                                         body_with (body_with (valid_body (NATTER_MSG_INTRODUCE),
                                                               "key", NULL),
                                                    "classic", NULL));

    assert_parse_error (bytes, NATTER_WIRE_ERROR_MALFORMED, "missing field “key”");
  }
  parse_edit_ok (NATTER_MSG_INTRODUCE, "classic", g_variant_new_boolean (TRUE), &msg);
  g_assert_true (msg.classic);
  g_assert_cmpmem (msg.key, NATTER_WIRE_KEY_SIZE, fx.key, sizeof fx.key);
  natter_msg_clear (&msg);

  /* KEEPALIVE: "ver" is optional */
  {
    g_autoptr(GBytes) bytes = encode_ok (NATTER_MSG_KEEPALIVE,
                                         body_with (valid_body (NATTER_MSG_KEEPALIVE), "ver", NULL));

    g_assert_true (parse_bytes (&msg, bytes, NULL));
    g_assert_cmpuint (msg.version, ==, 0);
    assert_unset (&msg, F_ID | F_TOKEN);
    natter_msg_clear (&msg);
  }
}

/* Framing and bodies that are not GVariant normal form */

static GBytes *
frame (guint8        version,
       guint8        type,
       const guint8 *body,
       gsize         body_len)
{
  guint8 *buf = g_malloc (NATTER_WIRE_HEADER_SIZE + body_len);

  memcpy (buf, "\xffNTR", 4);
  buf[4] = version;
  buf[5] = type;
  if (body_len > 0)
    memcpy (buf + NATTER_WIRE_HEADER_SIZE, body, body_len);
  return g_bytes_new_take (buf, NATTER_WIRE_HEADER_SIZE + body_len);
}

static void
test_malformed_framing (void)
{
  g_autoptr(GBytes) valid = encode_ok (NATTER_MSG_WELCOME, valid_body (NATTER_MSG_WELCOME));
  gsize valid_len;
  const guint8 *valid_data = g_bytes_get_data (valid, &valid_len);
  g_autofree guint8 *buf = g_malloc (65536);

  /* too short to be native */
  assert_parse_error_buf (NULL, 0, NATTER_WIRE_ERROR_NOT_NATIVE, NULL);
  for (gsize len = 1; len < NATTER_WIRE_HEADER_SIZE; len++)
    assert_parse_error_buf (valid_data, len, NATTER_WIRE_ERROR_NOT_NATIVE, NULL);

  /* wrong magic, in each of its bytes */
  for (gsize i = 0; i < 4; i++)
    {
      memcpy (buf, valid_data, valid_len);
      buf[i] ^= 0x20;
      assert_parse_error_buf (buf, valid_len, NATTER_WIRE_ERROR_NOT_NATIVE, NULL);
    }
  assert_parse_error_buf ((const guint8 *) "alice@keepalive", 15, NATTER_WIRE_ERROR_NOT_NATIVE, NULL);

  /* other versions */
  for (guint version = 0; version <= 255; version++)
    if (version != NATTER_WIRE_VERSION)
      {
        memcpy (buf, valid_data, valid_len);
        buf[4] = version;
        assert_parse_error_buf (buf, valid_len, NATTER_WIRE_ERROR_VERSION, NULL);
      }

  /* too large, however well-formed the start is */
  memset (buf, 0, 65536);
  memcpy (buf, valid_data, valid_len);
  assert_parse_error_buf (buf, NATTER_WIRE_MAX_SIZE + 1, NATTER_WIRE_ERROR_TOO_LARGE, NULL);
  assert_parse_error_buf (buf, 65535, NATTER_WIRE_ERROR_TOO_LARGE, NULL);
}

static void
test_unknown_types (void)
{
  g_autoptr(GBytes) shutdown = encode_ok (NATTER_MSG_SHUTDOWN, valid_body (NATTER_MSG_SHUTDOWN));
  gsize len;
  const guint8 *data = g_bytes_get_data (shutdown, &len);
  guint unknown = 0;

  for (guint type = 0; type <= 255; type++)
    {
      g_autoptr(GBytes) empty = frame (NATTER_WIRE_VERSION, type, NULL, 0);
      g_autofree guint8 *copy = g_memdup2 (data, len);
      g_auto(NatterMsg) msg = { 0 };
      g_autoptr(GError) error = NULL;
      gboolean has_required = FALSE;

      copy[5] = type;
      if (!is_known_type (type))
        {
          g_autofree char *mention = g_strdup_printf ("0x%02x", type);

          assert_parse_error_buf (copy, len, NATTER_WIRE_ERROR_UNKNOWN_TYPE, mention);
          assert_parse_error (empty, NATTER_WIRE_ERROR_UNKNOWN_TYPE, mention);
          unknown++;
          continue;
        }

      /* a known type with an empty body: fine when it needs no field */
      for (gsize i = 0; i < G_N_ELEMENTS (types); i++)
        if (types[i].type == type)
          has_required = types[i].required[0] != NULL;
      if (has_required)
        assert_parse_error (empty, NATTER_WIRE_ERROR_MALFORMED, "missing");
      else
        {
          g_assert_true (parse_bytes (&msg, empty, &error));
          g_assert_no_error (error);
          g_assert_cmpuint (msg.type, ==, type);
          g_assert_cmpuint (g_variant_n_children (msg.body), ==, 0);
          assert_unset (&msg, 0);
        }
    }
  g_assert_cmpuint (unknown, ==, 256 - G_N_ELEMENTS (types));
}

static void
test_not_normal_form (void)
{
  g_autoptr(GBytes) welcome = encode_ok (NATTER_MSG_WELCOME, valid_body (NATTER_MSG_WELCOME));
  gsize len;
  const guint8 *data = g_bytes_get_data (welcome, &len);
  g_autofree guint8 *buf = g_malloc (len);
  GRand *rand = g_rand_new_with_seed (20240501);

  g_assert_cmpuint (len, <, 6 + 255);   /* one-byte framing offsets */

  /* the array's last framing offset pointing past the end */
  memcpy (buf, data, len);
  buf[len - 1] = 0xff;
  assert_parse_error_buf (buf, len, NATTER_WIRE_ERROR_MALFORMED, "normal form");
  /* or just off by one */
  memcpy (buf, data, len);
  buf[len - 1] ^= 1;
  assert_parse_error_buf (buf, len, NATTER_WIRE_ERROR_MALFORMED, "normal form");
  /* one byte too few or too many after a valid body */
  assert_parse_error_buf (data, len - 1, NATTER_WIRE_ERROR_MALFORMED, "normal form");

  /* non-zero padding: {"id": <"x">} has "id\0" then 5 bytes of padding
   * before the variant, which is 8-aligned */
  {
    GVariantBuilder b;
    g_autoptr(GBytes) reg = NULL;
    gsize reg_len;
    g_autofree guint8 *copy = NULL;
    g_auto(NatterMsg) msg = { 0 };

    g_variant_builder_init (&b, G_VARIANT_TYPE_VARDICT);
    natter_wire_add_string (&b, "id", "x");
    reg = encode_ok (NATTER_MSG_REGISTER, g_variant_builder_end (&b));
    reg_len = g_bytes_get_size (reg);
    copy = g_memdup2 (g_bytes_get_data (reg, NULL), reg_len);
    g_assert_true (parse_buf (&msg, copy, reg_len, NULL));
    g_assert_cmpstr (msg.id, ==, "x");
    g_assert_cmpmem (copy + NATTER_WIRE_HEADER_SIZE, 3, "id", 3);
    for (gsize i = 3; i < 8; i++)
      {
        g_assert_cmpuint (copy[NATTER_WIRE_HEADER_SIZE + i], ==, 0);
        copy[NATTER_WIRE_HEADER_SIZE + i] = 1;
        assert_parse_error_buf (copy, reg_len, NATTER_WIRE_ERROR_MALFORMED, "normal form");
        copy[NATTER_WIRE_HEADER_SIZE + i] = 0;
      }
  }

  /* bodies of random bytes, of every type */
  for (gsize i = 0; i < G_N_ELEMENTS (types); i++)
    for (guint n = 1; n <= 4; n++)
      {
        guint8 body[200];
        gsize body_len = n * 40 + g_rand_int_range (rand, 0, 40);
        g_autoptr(GBytes) bytes = NULL;

        for (gsize k = 0; k < body_len; k++)
          body[k] = g_rand_int_range (rand, 0, 256);
        bytes = frame (NATTER_WIRE_VERSION, types[i].type, body, body_len);
        assert_parse_error (bytes, NATTER_WIRE_ERROR_MALFORMED, "normal form");
      }
  g_rand_free (rand);
}

/* Building */

/* The common case, on its own so that a failure is easy to place: a body
 * fresh from a GVariantBuilder is not serialised yet, and must be written
 * after the 6-byte header, which is not 8-aligned. Registered first. */
static void
test_encode_builder_body (void)
{
  GVariantBuilder b;
  g_autoptr(GVariant) body = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GBytes) serialised = NULL;

  g_variant_builder_init (&b, G_VARIANT_TYPE_VARDICT);
  natter_wire_add_u32 (&b, "code", NATTER_ERR_BAD_REQUEST);
  natter_wire_add_string (&b, "why", "bad");
  body = g_variant_ref_sink (g_variant_builder_end (&b));
  g_test_message ("encoding a %" G_GSIZE_FORMAT "-byte body that is not serialised yet",
                  g_variant_get_size (body));
  bytes = natter_wire_encode (NATTER_MSG_ERROR, body);
  g_assert_nonnull (bytes);
  serialised = g_variant_get_data_as_bytes (body);
  g_assert_cmpuint (g_bytes_get_size (bytes), ==,
                    NATTER_WIRE_HEADER_SIZE + g_bytes_get_size (serialised));
  g_assert_cmpmem ((const guint8 *) g_bytes_get_data (bytes, NULL) + NATTER_WIRE_HEADER_SIZE,
                   g_bytes_get_size (serialised),
                   g_bytes_get_data (serialised, NULL), g_bytes_get_size (serialised));
}

static void
test_encode_limit (void)
{
  gboolean saw_fit = FALSE, saw_too_big = FALSE;

  for (gsize n = 1100; n <= 1250; n++)
    {
      GVariantBuilder b;
      g_autoptr(GVariant) body = NULL;
      g_autoptr(GBytes) bytes = NULL;
      gsize size;

      g_variant_builder_init (&b, G_VARIANT_TYPE_VARDICT);
      natter_wire_add_bytes (&b, "data", fx.big, n);
      body = g_variant_ref_sink (g_variant_builder_end (&b));
      size = g_variant_get_size (body);
      /* SHUTDOWN needs no field, so the lone "data" parses at any size */
      bytes = natter_wire_encode (NATTER_MSG_SHUTDOWN, body);
      if (NATTER_WIRE_HEADER_SIZE + size <= NATTER_WIRE_MAX_SIZE)
        {
          g_auto(NatterMsg) msg = { 0 };

          g_assert_nonnull (bytes);
          g_assert_cmpuint (g_bytes_get_size (bytes), ==, NATTER_WIRE_HEADER_SIZE + size);
          g_assert_true (parse_bytes (&msg, bytes, NULL));
          g_assert_true (g_variant_equal (msg.body, body));
          if (NATTER_WIRE_HEADER_SIZE + size == NATTER_WIRE_MAX_SIZE)
            saw_fit = TRUE;
        }
      else
        {
          g_assert_null (bytes);
          saw_too_big = TRUE;
        }
    }
  /* both sides of the limit, including a datagram of exactly 1200 bytes */
  g_assert_true (saw_fit);
  g_assert_true (saw_too_big);

  /* a floating body is consumed either way (valgrind checks) */
  {
    GVariantBuilder b;

    g_variant_builder_init (&b, G_VARIANT_TYPE_VARDICT);
    natter_wire_add_bytes (&b, "data", fx.big, sizeof fx.big);
    g_assert_null (natter_wire_encode (NATTER_MSG_RELAYED, g_variant_builder_end (&b)));
  }
  /* an empty body is just the header */
  {
    GVariantBuilder b;
    g_autoptr(GBytes) bytes = NULL;

    g_variant_builder_init (&b, G_VARIANT_TYPE_VARDICT);
    bytes = natter_wire_encode (NATTER_MSG_SHUTDOWN, g_variant_builder_end (&b));
    g_assert_nonnull (bytes);
    g_assert_cmpmem (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes),
                     "\xffNTR\x01\x49", 6);
  }
}

static void
test_variant_size (void)
{
  /* natter_wire_variant_size() summed over the elements bounds the size of
   * the array holding them (the server packs LIST and EVENTS with it) */
  for (guint n = 0; n <= 40; n++)
    {
      GVariantBuilder b;
      g_autoptr(GVariant) array = NULL;
      gsize bound = 0;

      g_variant_builder_init (&b, G_VARIANT_TYPE ("a" PEER_TYPE));
      for (guint i = 0; i < n; i++)
        {
          GVariant *v = g_variant_ref_sink (natter_wire_peer_variant (&fx.peers[i % 3]));

          bound += natter_wire_variant_size (v);
          g_assert_cmpuint (natter_wire_variant_size (v), >, g_variant_get_size (v));
          g_variant_builder_add_value (&b, v);
          g_variant_unref (v);
        }
      array = g_variant_ref_sink (g_variant_builder_end (&b));
      g_assert_cmpuint (g_variant_get_size (array), <=, bound);
    }
}

static void
test_error_message (void)
{
  g_auto(NatterMsg) msg = { 0 };
  g_autoptr(GBytes) with_reason = natter_wire_error (NATTER_ERR_RATE_LIMITED, "Slow down, 김태은");
  g_autoptr(GBytes) without = natter_wire_error (NATTER_ERR_NO_SUCH_PEER, NULL);
  g_autoptr(GError) error = NULL;

  g_assert_nonnull (with_reason);
  g_assert_true (parse_bytes (&msg, with_reason, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (msg.type, ==, NATTER_MSG_ERROR);
  g_assert_cmpuint (msg.code, ==, NATTER_ERR_RATE_LIMITED);
  g_assert_cmpstr (msg.reason, ==, "Slow down, 김태은");
  assert_unset (&msg, F_CODE | F_REASON);
  natter_msg_clear (&msg);

  g_assert_nonnull (without);
  g_assert_true (parse_bytes (&msg, without, &error));
  g_assert_cmpuint (msg.code, ==, NATTER_ERR_NO_SUCH_PEER);
  g_assert_null (msg.reason);
  assert_unset (&msg, F_CODE);
}

static void
test_auth_request (void)
{
  static const struct
  {
    NatterMsgType type;
    const char   *to;
    gsize         data_len;
    guint         set;
  } cases[] = {
    { NATTER_MSG_KEEPALIVE, NULL, 0, F_ID | F_TOKEN | F_VERSION },
    { NATTER_MSG_RESYNC, NULL, 0, F_ID | F_TOKEN },
    { NATTER_MSG_BYE, NULL, 0, F_ID | F_TOKEN },
    { NATTER_MSG_INTRO, TO, 0, F_ID | F_TOKEN | F_TO },
    { NATTER_MSG_RELAY, TO, 1, F_ID | F_TOKEN | F_TO | F_DATA },
    { NATTER_MSG_RELAY, "bob", 1000, F_ID | F_TOKEN | F_TO | F_DATA },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_auto(NatterMsg) msg = { 0 };
      g_autoptr(GError) error = NULL;
      g_autoptr(GBytes) bytes = natter_wire_auth_request (cases[i].type, ID, fx.token,
                                                          cases[i].to,
                                                          cases[i].data_len > 0 ? fx.big : NULL,
                                                          cases[i].data_len, VER);

      g_test_message ("auth request 0x%02x", cases[i].type);
      g_assert_nonnull (bytes);
      g_assert_true (parse_bytes (&msg, bytes, &error));
      g_assert_no_error (error);
      g_assert_cmpuint (msg.type, ==, cases[i].type);
      g_assert_cmpstr (msg.id, ==, ID);
      g_assert_cmpmem (msg.token, NATTER_WIRE_TOKEN_SIZE, fx.token, sizeof fx.token);
      g_assert_cmpstr (msg.to, ==, cases[i].to);
      if (cases[i].data_len > 0)
        g_assert_cmpmem (msg.data, msg.data_len, fx.big, cases[i].data_len);
      if (cases[i].set & F_VERSION)
        g_assert_cmpuint (msg.version, ==, VER);
      assert_unset (&msg, cases[i].set);
      assert_invariants (&msg);
    }

  /* too much data does not fit in a datagram */
  g_assert_null (natter_wire_auth_request (NATTER_MSG_RELAY, ID, fx.token, TO,
                                           fx.big, NATTER_WIRE_MAX_SIZE, 0));
}

/* Classification */

static void
assert_kind (const void       *data,
             gsize             len,
             NatterPacketKind  expected)
{
  g_autofree guint8 *copy = len > 0 ? g_memdup2 (data, len) : NULL;

  g_assert_cmpint (natter_packet_classify (copy, len), ==, expected);
}

static void
test_classify (void)
{
  static const guint8 tid[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };
  guint8 stun[NATTER_STUN_HEADER_SIZE];
  gsize n;

  /* native */
  for (gsize i = 0; i < G_N_ELEMENTS (types); i++)
    {
      g_autoptr(GBytes) bytes = encode_ok (types[i].type, valid_body (types[i].type));
      gsize len;
      const guint8 *data = g_bytes_get_data (bytes, &len);

      assert_kind (data, len, NATTER_PACKET_NATIVE);
    }
  assert_kind ("\xffNTR\x01\x02", 6, NATTER_PACKET_NATIVE);

  /* STUN binding requests, both flavours */
  for (int rfc3489 = 0; rfc3489 <= 1; rfc3489++)
    {
      n = natter_stun_build_binding_request (rfc3489, tid, stun, sizeof stun);
      g_assert_cmpuint (n, ==, NATTER_STUN_HEADER_SIZE);
      assert_kind (stun, n, NATTER_PACKET_STUN);
      /* a truncated one is nothing we know */
      assert_kind (stun, n - 1, NATTER_PACKET_INVALID);
    }

  /* classic text */
  assert_kind ("alice@keepalive", 15, NATTER_PACKET_CLASSIC);
  assert_kind ("김태은 10.0.0.1", strlen ("김태은 10.0.0.1"), NATTER_PACKET_CLASSIC);
  assert_kind ("Ελένη@list", strlen ("Ελένη@list"), NATTER_PACKET_CLASSIC);
  assert_kind ("2024 is a number", 16, NATTER_PACKET_CLASSIC);
  assert_kind ("a", 1, NATTER_PACKET_CLASSIC);

  /* invalid */
  assert_kind ("", 0, NATTER_PACKET_INVALID);
  assert_kind ("\x00" "abc", 4, NATTER_PACKET_INVALID);
  assert_kind ("\x01" "abc", 4, NATTER_PACKET_INVALID);
  assert_kind ("\x7f" "abc", 4, NATTER_PACKET_INVALID);
  assert_kind ("\x1b[31m", 5, NATTER_PACKET_INVALID);
  assert_kind ("\xff", 1, NATTER_PACKET_INVALID);
  assert_kind ("\xff" "NT", 3, NATTER_PACKET_INVALID);
  assert_kind ("\xff" "abc", 4, NATTER_PACKET_INVALID);
  assert_kind ("\xff" "NTX\x01\x01", 6, NATTER_PACKET_INVALID);
  assert_kind ("\xff" "ntr\x01\x01", 6, NATTER_PACKET_INVALID);
  g_assert_cmpint (natter_packet_classify (NULL, 0), ==, NATTER_PACKET_INVALID);
}

/* Robustness */

static GPtrArray *
all_encodings (void)
{
  GPtrArray *all = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);

  for (gsize i = 0; i < G_N_ELEMENTS (types); i++)
    g_ptr_array_add (all, encode_ok (types[i].type, valid_body (types[i].type)));
  g_ptr_array_add (all, natter_wire_error (NATTER_ERR_BAD_REQUEST, "bad"));
  g_ptr_array_add (all, natter_wire_auth_request (NATTER_MSG_RELAY, ID, fx.token, TO,
                                                  fx.data, 40, 0));
  return all;
}

/* Parses anything; returns whether it parsed, after checking what a
 * parsed or failed message must look like. */
static gboolean
parse_anything (const guint8 *data,
                gsize         len)
{
  g_autoptr(GError) error = NULL;
  NatterMsg msg;
  gboolean ok;

  memset (&msg, 0xa5, sizeof msg);
  ok = parse_buf (&msg, data, len, &error);
  if (ok)
    {
      g_assert_no_error (error);
      g_assert_cmpuint (len, >=, NATTER_WIRE_HEADER_SIZE);
      g_assert_cmpuint (len, <=, NATTER_WIRE_MAX_SIZE);
      g_assert_cmpuint (natter_packet_classify (data, len), ==, NATTER_PACKET_NATIVE);
      g_assert_cmpuint (msg.type, ==, data[5]);
      assert_invariants (&msg);
      natter_msg_clear (&msg);
      assert_zeroed (&msg);
    }
  else
    {
      g_assert_nonnull (error);
      g_assert_true (error->domain == NATTER_WIRE_ERROR);
      g_assert_cmpint (error->code, >=, NATTER_WIRE_ERROR_NOT_NATIVE);
      g_assert_cmpint (error->code, <=, NATTER_WIRE_ERROR_UNKNOWN_TYPE);
      assert_zeroed (&msg);
    }
  return ok;
}

static void
test_prefixes (void)
{
  g_autoptr(GPtrArray) all = all_encodings ();

  for (guint i = 0; i < all->len; i++)
    {
      gsize len;
      const guint8 *data = g_bytes_get_data (all->pdata[i], &len);
      guint n_ok = 0;

      for (gsize prefix = 0; prefix < len; prefix++)
        if (parse_anything (data, prefix))
          n_ok++;
      /* only a header without body can pass (for types needing no field) */
      g_assert_cmpuint (n_ok, <=, 1);
      g_assert_true (parse_anything (data, len));
    }
}

static void
test_mutations (void)
{
  g_autoptr(GPtrArray) all = all_encodings ();
  guint n_ok = 0, n_failed = 0;
  guint rounds = g_test_slow () ? 100000 : 4000;

  for (guint round = 0; round < rounds; round++)
    {
      GBytes *bytes = all->pdata[g_test_rand_int_range (0, all->len)];
      gsize len;
      const guint8 *data = g_bytes_get_data (bytes, &len);
      g_autofree guint8 *buf = g_memdup2 (data, len);
      guint n_mutations = g_test_rand_int_range (1, 5);

      for (guint m = 0; m < n_mutations; m++)
        {
          gsize at = g_test_rand_int_range (0, len);

          switch (g_test_rand_int_range (0, 3))
            {
            case 0: /* any byte */
              buf[at] = g_test_rand_int_range (0, 256);
              break;
            case 1: /* a bit flip */
              buf[at] ^= 1u << g_test_rand_int_range (0, 8);
              break;
            default: /* small change, as an off-by-one offset would be */
              buf[at] += g_test_rand_int_range (0, 2) ? 1 : -1;
              break;
            }
        }
      if (parse_anything (buf, len))
        n_ok++;
      else
        n_failed++;
    }
  g_test_message ("%u mutated datagrams parsed, %u rejected", n_ok, n_failed);
  g_assert_cmpuint (n_failed, >, 0);
}

static void
test_random (void)
{
  guint rounds = g_test_slow () ? 50000 : 2000;
  g_autofree guint8 *buf = g_malloc (1300);

  for (guint round = 0; round < rounds; round++)
    {
      gsize len = g_test_rand_int_range (0, 1300);

      for (gsize i = 0; i < len; i++)
        buf[i] = g_test_rand_int_range (0, 256);
      /* mostly with a valid header, so that the body parser is reached */
      if (len >= NATTER_WIRE_HEADER_SIZE && g_test_rand_int_range (0, 4) != 0)
        {
          memcpy (buf, "\xffNTR", 4);
          buf[4] = NATTER_WIRE_VERSION;
          buf[5] = types[g_test_rand_int_range (0, G_N_ELEMENTS (types))].type;
          if (g_test_rand_int_range (0, 2))
            len = MIN (len, (gsize) g_test_rand_int_range (NATTER_WIRE_HEADER_SIZE, 64));
        }
      parse_anything (buf, len);
      natter_packet_classify (buf, len);
    }
}

static void
test_failed_parse_zeroes (void)
{
  /* LIST fails on its last peer, after the array and version were set */
  g_autoptr(GBytes) bytes = encode_edit (NATTER_MSG_LIST, "peers",
                                         peers_value (fx.peers, 3, peer_value ("bad id", NULL, NULL)));
  /* REGISTER fails after the cookie and some candidates were read */
  g_autoptr(GBytes) bytes2 = encode_edit (NATTER_MSG_REGISTER, "cand",
                                          candidates_value (5, 4, endpoint_value (fx.big, 4, 0)));
  /* WELCOME fails on the last check, with every field set */
  g_autoptr(GBytes) bytes3 = encode_edit (NATTER_MSG_WELCOME, "tmo", g_variant_new_uint32 (1));

  assert_parse_error (bytes, NATTER_WIRE_ERROR_MALFORMED, "“peers”");
  assert_parse_error (bytes2, NATTER_WIRE_ERROR_MALFORMED, "“cand”");
  assert_parse_error (bytes3, NATTER_WIRE_ERROR_MALFORMED, "“ival”");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  fixture_init ();

  g_test_add_func ("/wire/encode/builder-body", test_encode_builder_body);

  for (gsize i = 0; i < G_N_ELEMENTS (types); i++)
    {
      g_autofree char *path = g_strdup_printf ("/wire/round-trip/%s", types[i].name);

      g_test_add_data_func (path, GUINT_TO_POINTER (types[i].type), test_round_trip);
    }
  g_test_add_func ("/wire/malformed/missing-fields", test_missing_fields);
  g_test_add_func ("/wire/malformed/wrong-field-types", test_wrong_field_types);
  g_test_add_func ("/wire/malformed/ids", test_bounds_ids);
  g_test_add_func ("/wire/malformed/byte-fields", test_bounds_bytes);
  g_test_add_func ("/wire/malformed/endpoints", test_bounds_endpoints);
  g_test_add_func ("/wire/malformed/consistency", test_bounds_consistency);
  g_test_add_func ("/wire/malformed/framing", test_malformed_framing);
  g_test_add_func ("/wire/malformed/unknown-types", test_unknown_types);
  g_test_add_func ("/wire/malformed/not-normal-form", test_not_normal_form);
  g_test_add_func ("/wire/malformed/failed-parse-zeroes", test_failed_parse_zeroes);
  g_test_add_func ("/wire/encode/limit", test_encode_limit);
  g_test_add_func ("/wire/encode/variant-size", test_variant_size);
  g_test_add_func ("/wire/encode/error", test_error_message);
  g_test_add_func ("/wire/encode/auth-request", test_auth_request);
  g_test_add_func ("/wire/classify/packets", test_classify);
  g_test_add_func ("/wire/robustness/prefixes", test_prefixes);
  g_test_add_func ("/wire/robustness/mutations", test_mutations);
  g_test_add_func ("/wire/robustness/random", test_random);

  return g_test_run ();
}
