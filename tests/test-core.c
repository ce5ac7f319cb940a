/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "natter-classic.h"
#include "natter-core.h"
#include "natter-core-private.h"
#include "natter-stun.h"
#include "natter-wire.h"

/* The server's protocol logic fed with real datagrams, as the socket loop
 * would, on a made-up clock. Replies are parsed with the client's parser. */

#define TIMEOUT  45000
#define INTERVAL 15000
/* the start of a cookie window, so that window arithmetic is plain */
#define NOW      ((gint64) NATTER_COOKIE_WINDOW_MS * 100)
#define PAD      NATTER_WIRE_REGISTER_MIN_SIZE

G_DEFINE_AUTOPTR_CLEANUP_FUNC (NatterCore, natter_core_free)

typedef struct
{
  const char     *id;
  NatterEndpoint  ep;
  guint8          token[NATTER_WIRE_TOKEN_SIZE];
  guint64         version;
} Client;

typedef struct
{
  NatterEndpoint ep;
  NatterEndpoint candidates[NATTER_WIRE_MAX_CANDIDATES];
  guint          n_candidates;
  guint32        flags;
} PeerCopy;

typedef struct
{
  guint64         version;
  NatterEventKind kind;
  char           *id;
  PeerCopy        peer;
} EventCopy;

/* Helpers: endpoints, the core, requests */

static NatterEndpoint
ep (const char *text)
{
  NatterEndpoint e;

  g_assert_true (natter_endpoint_parse (text, 0, &e));
  return e;
}

static void
assert_ep (const NatterEndpoint *got,
           const NatterEndpoint *expected)
{
  char a[NATTER_ENDPOINT_STRLEN], b[NATTER_ENDPOINT_STRLEN];

  g_assert_cmpstr (natter_endpoint_format (got, a), ==, natter_endpoint_format (expected, b));
}

static Client
client (const char *id,
        const char *where)
{
  Client c;

  memset (&c, 0, sizeof c);
  c.id = id;
  c.ep = ep (where);
  return c;
}

static NatterCore *
core_new_full (guint    max_peers,
               gboolean relay,
               gboolean classic)
{
  NatterCoreConfig config;

  natter_core_config_init (&config);
  config.max_peers = max_peers;
  config.timeout_ms = TIMEOUT;
  config.interval_ms = INTERVAL;
  config.relay = relay;
  config.classic = classic;
  return natter_core_new (&config);
}

static NatterCore *
core_new (void)
{
  return core_new_full (1000, TRUE, TRUE);
}

static NatterRegistry *
registry (NatterCore *core)
{
  return natter_core_get_registry (core);
}

static void
handle (NatterCore           *core,
        GBytes               *datagram,
        const NatterEndpoint *from,
        gint64                now)
{
  g_assert_nonnull (datagram);
  natter_core_handle (core, g_bytes_get_data (datagram, NULL), g_bytes_get_size (datagram),
                      from, now);
}

/* Copied to an allocation of exactly len bytes, so that valgrind and ASan
 * see any read past the end. */
static void
handle_raw (NatterCore           *core,
            const void           *data,
            gsize                 len,
            const NatterEndpoint *from,
            gint64                now)
{
  g_autofree guint8 *copy = g_malloc (MAX (len, 1));

  memcpy (copy, data, len);
  natter_core_handle (core, copy, len, from, now);
}

static void
handle_text (NatterCore           *core,
             const char           *text,
             const NatterEndpoint *from,
             gint64                now)
{
  handle_raw (core, text, strlen (text), from, now);
}

static void
add_pad (GVariantBuilder *b,
         gsize            pad)
{
  g_autofree guint8 *zeros = NULL;

  if (pad == 0)
    return;
  zeros = g_malloc0 (pad);
  natter_wire_add_bytes (b, "pad", zeros, pad);
}

static GBytes *
register_request (const char           *id,
                  const guint8         *cookie,
                  gsize                 cookie_len,
                  const NatterEndpoint *cands,
                  guint                 n_cands,
                  gsize                 pad)
{
  GVariantBuilder b;

  g_variant_builder_init (&b, G_VARIANT_TYPE_VARDICT);
  natter_wire_add_string (&b, "id", id);
  if (cookie != NULL)
    natter_wire_add_bytes (&b, "ck", cookie, cookie_len);
  if (n_cands > 0)
    natter_wire_add_candidates (&b, "cand", cands, n_cands);
  add_pad (&b, pad);
  return natter_wire_encode (NATTER_MSG_REGISTER, g_variant_builder_end (&b));
}

/* An authenticated request with an unknown extra field to make it bigger */
static GBytes *
padded_auth_request (NatterMsgType  type,
                     const char    *id,
                     const guint8  *token,
                     const char    *to,
                     gsize          pad)
{
  GVariantBuilder b;

  g_variant_builder_init (&b, G_VARIANT_TYPE_VARDICT);
  natter_wire_add_string (&b, "id", id);
  natter_wire_add_bytes (&b, "tok", token, NATTER_WIRE_TOKEN_SIZE);
  if (to != NULL)
    natter_wire_add_string (&b, "to", to);
  if (type == NATTER_MSG_RELAY)
    natter_wire_add_bytes (&b, "data", (const guint8 *) "x", 1);
  add_pad (&b, pad);
  return natter_wire_encode (type, g_variant_builder_end (&b));
}

static void
request (NatterCore   *core,
         const Client *c,
         NatterMsgType type,
         const char   *to,
         const void   *data,
         gsize         data_len,
         gint64        now)
{
  g_autoptr(GBytes) datagram = natter_wire_auth_request (type, c->id, c->token, to, data,
                                                         data_len, c->version);

  handle (core, datagram, &c->ep, now);
}

/* Helpers: the outbox */

static guint
count_to (GArray               *out,
          const NatterEndpoint *to)
{
  guint n = 0;

  for (guint i = 0; i < out->len; i++)
    if (natter_endpoint_equal (&g_array_index (out, NatterOutgoing, i).to, to))
      n++;
  return n;
}

static gsize
bytes_to (GArray               *out,
          const NatterEndpoint *to)
{
  gsize n = 0;

  for (guint i = 0; i < out->len; i++)
    {
      NatterOutgoing *o = &g_array_index (out, NatterOutgoing, i);

      if (natter_endpoint_equal (&o->to, to))
        n += g_bytes_get_size (o->data);
    }
  return n;
}

static GBytes *
nth_to (GArray               *out,
        const NatterEndpoint *to,
        guint                 nth)
{
  for (guint i = 0; i < out->len; i++)
    {
      NatterOutgoing *o = &g_array_index (out, NatterOutgoing, i);

      if (natter_endpoint_equal (&o->to, to) && nth-- == 0)
        return o->data;
    }
  g_assert_not_reached ();
  return NULL;
}

static gboolean
is_native (GBytes *datagram)
{
  return natter_packet_classify (g_bytes_get_data (datagram, NULL),
                                 g_bytes_get_size (datagram)) == NATTER_PACKET_NATIVE;
}

static void
parse_ok (GBytes    *datagram,
          NatterMsg *msg)
{
  g_autoptr(GError) error = NULL;

  g_assert_cmpuint (g_bytes_get_size (datagram), <=, NATTER_WIRE_MAX_SIZE);
  g_assert_true (natter_msg_parse (msg, g_bytes_get_data (datagram, NULL),
                                   g_bytes_get_size (datagram), &error));
  g_assert_no_error (error);
}

/* The one datagram in out, which goes to `to` and is of `type`. */
static void
expect_only (GArray               *out,
             const NatterEndpoint *to,
             NatterMsgType         type,
             NatterMsg            *msg)
{
  g_assert_cmpuint (out->len, ==, 1);
  g_assert_cmpuint (count_to (out, to), ==, 1);
  parse_ok (g_array_index (out, NatterOutgoing, 0).data, msg);
  g_assert_cmpint (msg->type, ==, type);
}

static void
expect_error (GArray               *out,
              const NatterEndpoint *to,
              NatterErrorCode       code)
{
  g_auto(NatterMsg) msg = { 0 };

  expect_only (out, to, NATTER_MSG_ERROR, &msg);
  g_assert_cmpuint (msg.code, ==, code);
}

static GArray *
take (NatterCore *core)
{
  return natter_core_take_outbox (core);
}

static void
expect_nothing (NatterCore *core)
{
  g_autoptr(GArray) out = take (core);

  g_assert_cmpuint (out->len, ==, 0);
}

static void
flush_and_drop (NatterCore *core)
{
  g_autoptr(GArray) out = NULL;

  natter_core_flush (core);
  out = take (core);
}

static void
copy_peer (const NatterPeerInfo *info,
           PeerCopy             *copy)
{
  memset (copy, 0, sizeof *copy);
  copy->ep = info->public_endpoint;
  copy->n_candidates = info->n_candidates;
  memcpy (copy->candidates, info->candidates, sizeof copy->candidates);
  copy->flags = info->flags;
}

/* All LIST parts to `to`: id -> PeerCopy. Every part must be there once,
 * every peer once, and the parts must agree on the version. */
static GHashTable *
collect_list (GArray               *out,
              const NatterEndpoint *to,
              guint64              *version)
{
  GHashTable *peers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autofree gboolean *seen = NULL;
  guint parts = 0;

  for (guint i = 0; i < out->len; i++)
    {
      NatterOutgoing *o = &g_array_index (out, NatterOutgoing, i);
      g_auto(NatterMsg) msg = { 0 };

      if (!natter_endpoint_equal (&o->to, to) || !is_native (o->data))
        continue;
      parse_ok (o->data, &msg);
      if (msg.type != NATTER_MSG_LIST)
        continue;
      if (parts == 0)
        {
          parts = msg.parts;
          seen = g_new0 (gboolean, parts);
          *version = msg.version;
        }
      g_assert_cmpuint (msg.parts, ==, parts);
      g_assert_cmpuint (msg.version, ==, *version);
      g_assert_false (seen[msg.part]);
      seen[msg.part] = TRUE;
      for (guint j = 0; j < msg.peers->len; j++)
        {
          const NatterPeerInfo *info = &g_array_index (msg.peers, NatterPeerInfo, j);
          PeerCopy *copy = g_new (PeerCopy, 1);

          g_assert_false (g_hash_table_contains (peers, info->id));
          copy_peer (info, copy);
          g_hash_table_insert (peers, g_strdup (info->id), copy);
        }
    }
  g_assert_cmpuint (parts, >, 0);
  for (guint i = 0; i < parts; i++)
    g_assert_true (seen[i]);
  return peers;
}

static void
event_copy_clear (gpointer data)
{
  EventCopy *event = data;

  g_free (event->id);
}

/* All events to `to`, in order; versions must increase. */
static GArray *
collect_events (GArray               *out,
                const NatterEndpoint *to)
{
  GArray *events = g_array_new (FALSE, TRUE, sizeof (EventCopy));

  g_array_set_clear_func (events, event_copy_clear);
  for (guint i = 0; i < out->len; i++)
    {
      NatterOutgoing *o = &g_array_index (out, NatterOutgoing, i);
      g_auto(NatterMsg) msg = { 0 };

      if (!natter_endpoint_equal (&o->to, to) || !is_native (o->data))
        continue;
      parse_ok (o->data, &msg);
      if (msg.type != NATTER_MSG_EVENTS)
        continue;
      g_assert_cmpuint (msg.events->len, >, 0);
      for (guint j = 0; j < msg.events->len; j++)
        {
          const NatterEvent *event = &g_array_index (msg.events, NatterEvent, j);
          EventCopy copy;

          if (events->len > 0)
            g_assert_cmpuint (event->version, >,
                              g_array_index (events, EventCopy, events->len - 1).version);
          copy.version = event->version;
          copy.kind = event->kind;
          copy.id = g_strdup (event->peer.id);
          copy_peer (&event->peer, &copy.peer);
          g_array_append_val (events, copy);
        }
    }
  return events;
}

static const EventCopy *
only_event (GArray               *out,
            const NatterEndpoint *to,
            GArray              **keep)
{
  *keep = collect_events (out, to);
  g_assert_cmpuint ((*keep)->len, ==, 1);
  return &g_array_index (*keep, EventCopy, 0);
}

/* Classic text datagrams to `to`, in order. */
static GPtrArray *
collect_texts (GArray               *out,
               const NatterEndpoint *to)
{
  GPtrArray *texts = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; i < out->len; i++)
    {
      NatterOutgoing *o = &g_array_index (out, NatterOutgoing, i);
      gsize len;
      const char *data = g_bytes_get_data (o->data, &len);

      if (!natter_endpoint_equal (&o->to, to) || is_native (o->data))
        continue;
      g_assert_null (memchr (data, '\0', len));
      g_ptr_array_add (texts, g_strndup (data, len));
    }
  return texts;
}

static gboolean
has_text (GPtrArray  *texts,
          const char *text)
{
  for (guint i = 0; i < texts->len; i++)
    if (g_strcmp0 (texts->pdata[i], text) == 0)
      return TRUE;
  return FALSE;
}

static gboolean
has_text_prefix (GPtrArray  *texts,
                 const char *prefix)
{
  for (guint i = 0; i < texts->len; i++)
    if (g_str_has_prefix (texts->pdata[i], prefix))
      return TRUE;
  return FALSE;
}

/* Helpers: registration */

static void
fetch_cookie (NatterCore           *core,
              const char           *id,
              const NatterEndpoint *from,
              gint64                now,
              guint8               *cookie,
              gsize                *cookie_len)
{
  g_autoptr(GBytes) req = register_request (id, NULL, 0, NULL, 0, PAD);
  g_autoptr(GArray) out = NULL;
  g_auto(NatterMsg) msg = { 0 };

  handle (core, req, from, now);
  out = take (core);
  expect_only (out, from, NATTER_MSG_COOKIE, &msg);
  g_assert_cmpuint (g_bytes_get_size (g_array_index (out, NatterOutgoing, 0).data), <=,
                    g_bytes_get_size (req));
  g_assert_cmpuint (msg.cookie_len, >, 0);
  g_assert_cmpuint (msg.cookie_len, <=, NATTER_WIRE_COOKIE_MAX);
  memcpy (cookie, msg.cookie, msg.cookie_len);
  *cookie_len = msg.cookie_len;
}

/* Registers c and checks WELCOME and LIST; returns the outbox. */
static GArray *
register_full (NatterCore           *core,
               Client               *c,
               const NatterEndpoint *cands,
               guint                 n_cands,
               gint64                now)
{
  guint8 cookie[NATTER_WIRE_COOKIE_MAX];
  gsize cookie_len;
  g_autoptr(GBytes) req = NULL;
  g_autoptr(GHashTable) peers = NULL;
  GArray *out;
  g_auto(NatterMsg) welcome = { 0 };
  guint64 list_version = 0;

  fetch_cookie (core, c->id, &c->ep, now, cookie, &cookie_len);
  req = register_request (c->id, cookie, cookie_len, cands, n_cands, PAD);
  handle (core, req, &c->ep, now);
  out = take (core);

  g_assert_cmpuint (out->len, >=, 2);
  g_assert_cmpuint (count_to (out, &c->ep), ==, out->len);
  parse_ok (nth_to (out, &c->ep, 0), &welcome);
  g_assert_cmpint (welcome.type, ==, NATTER_MSG_WELCOME);
  g_assert_cmpstr (welcome.id, ==, c->id);
  g_assert_nonnull (welcome.token);
  g_assert_true (welcome.has_endpoint);
  assert_ep (&welcome.endpoint, &c->ep);
  g_assert_cmpuint (welcome.interval_ms, ==, INTERVAL);
  g_assert_cmpuint (welcome.timeout_ms, ==, TIMEOUT);
  g_assert_cmpuint (welcome.version, ==, natter_registry_version (registry (core)));
  memcpy (c->token, welcome.token, NATTER_WIRE_TOKEN_SIZE);
  c->version = welcome.version;

  peers = collect_list (out, &c->ep, &list_version);
  g_assert_cmpuint (list_version, ==, welcome.version);
  g_assert_true (g_hash_table_contains (peers, c->id));
  g_assert_cmpuint (g_hash_table_size (peers), ==, natter_registry_size (registry (core)));
  return out;
}

static void
join (NatterCore           *core,
      Client               *c,
      const NatterEndpoint *cands,
      guint                 n_cands,
      gint64                now)
{
  g_autoptr(GArray) out = register_full (core, c, cands, n_cands, now);
}

/* Registration */

static void
test_cookie_reply (void)
{
  g_autoptr(NatterCore) core = core_new ();
  NatterEndpoint from = ep ("198.18.0.1:4000");
  g_autoptr(GBytes) req = register_request ("alice", NULL, 0, NULL, 0, PAD);
  g_autoptr(GArray) out = NULL;
  g_auto(NatterMsg) msg = { 0 };
  gsize reply_size;
  gboolean some_suppressed = FALSE, some_answered = FALSE;

  g_assert_cmpuint (g_bytes_get_size (req), >=, NATTER_WIRE_REGISTER_MIN_SIZE);
  handle (core, req, &from, NOW);
  out = take (core);
  expect_only (out, &from, NATTER_MSG_COOKIE, &msg);
  reply_size = g_bytes_get_size (g_array_index (out, NatterOutgoing, 0).data);
  g_assert_cmpuint (reply_size, <=, g_bytes_get_size (req));
  g_assert_cmpuint (reply_size, <=, NATTER_WIRE_REGISTER_MIN_SIZE);
  g_assert_cmpuint (msg.cookie_len, >, 0);
  /* nothing is kept for an unproven address */
  g_assert_cmpuint (natter_registry_size (registry (core)), ==, 0);
  g_assert_false (natter_core_has_output (core));

  /* an unpadded request smaller than the cookie gets nothing; as it grows
   * it gets the cookie as soon as the cookie is no larger */
  for (gsize pad = 0; pad <= 64; pad++)
    {
      g_autoptr(GBytes) small = register_request ("a", NULL, 0, NULL, 0, pad);
      g_autoptr(GArray) small_out = NULL;
      guint64 suppressed = natter_core_get_stats (core)->suppressed;

      handle (core, small, &from, NOW);
      small_out = take (core);
      if (g_bytes_get_size (small) < reply_size)
        {
          g_assert_cmpuint (small_out->len, ==, 0);
          g_assert_cmpuint (natter_core_get_stats (core)->suppressed, ==, suppressed + 1);
          some_suppressed = TRUE;
        }
      else
        {
          g_auto(NatterMsg) cookie_msg = { 0 };

          expect_only (small_out, &from, NATTER_MSG_COOKIE, &cookie_msg);
          g_assert_cmpuint (g_bytes_get_size (g_array_index (small_out, NatterOutgoing, 0).data),
                            <=, g_bytes_get_size (small));
          some_answered = TRUE;
        }
    }
  g_assert_true (some_suppressed);
  g_assert_true (some_answered);
  g_assert_cmpuint (natter_registry_size (registry (core)), ==, 0);
}

static void
test_register (void)
{
  g_autoptr(NatterCore) core = core_new ();
  Client alice = client ("alice", "198.18.0.1:4000");
  Client bob = client ("bob", "198.18.0.2:4000");
  g_autoptr(GArray) out = NULL;
  g_autoptr(GHashTable) peers = NULL;
  guint64 version = 0;
  NatterEntry *entry;

  out = register_full (core, &alice, NULL, 0, NOW);
  g_assert_cmpuint (alice.version, ==, 1);
  entry = natter_registry_authenticate (registry (core), "alice", alice.token);
  g_assert_nonnull (entry);
  g_assert_false (entry->classic);
  g_clear_pointer (&out, g_array_unref);

  out = register_full (core, &bob, NULL, 0, NOW + 1);
  peers = collect_list (out, &bob.ep, &version);
  g_assert_cmpuint (g_hash_table_size (peers), ==, 2);
  g_assert_true (g_hash_table_contains (peers, "alice"));
  g_assert_true (g_hash_table_contains (peers, "bob"));
  assert_ep (&((PeerCopy *) g_hash_table_lookup (peers, "alice"))->ep, &alice.ep);
  g_assert_cmpuint (((PeerCopy *) g_hash_table_lookup (peers, "alice"))->flags, ==, 0);
}

static void
test_cookie_wrong_source (void)
{
  g_autoptr(NatterCore) core = core_new ();
  NatterEndpoint asked = ep ("198.18.0.1:4000");
  const char *others[] = { "198.18.0.1:4001", "198.18.0.2:4000", "[::ffff:198.18.0.2]:4000",
                           "[2001:db8::1]:4000" };
  guint8 cookie[NATTER_WIRE_COOKIE_MAX];
  gsize cookie_len;

  fetch_cookie (core, "alice", &asked, NOW, cookie, &cookie_len);
  for (guint i = 0; i < G_N_ELEMENTS (others); i++)
    {
      NatterEndpoint other = ep (others[i]);
      g_autoptr(GBytes) req = register_request ("alice", cookie, cookie_len, NULL, 0, PAD);
      g_autoptr(GArray) out = NULL;
      g_auto(NatterMsg) msg = { 0 };

      handle (core, req, &other, NOW);
      out = take (core);
      /* a fresh cookie for the new address instead of a registration */
      expect_only (out, &other, NATTER_MSG_COOKIE, &msg);
      g_assert_false (msg.cookie_len == cookie_len &&
                      memcmp (msg.cookie, cookie, cookie_len) == 0);
      g_assert_cmpuint (natter_registry_size (registry (core)), ==, 0);
    }
}

static void
check_cookie_age (gint64   fetched,
                  gint64   used,
                  gboolean accepted)
{
  g_autoptr(NatterCore) core = core_new ();
  NatterEndpoint from = ep ("198.18.0.1:4000");
  guint8 cookie[NATTER_WIRE_COOKIE_MAX];
  gsize cookie_len;
  g_autoptr(GBytes) req = NULL;
  g_autoptr(GArray) out = NULL;
  g_auto(NatterMsg) msg = { 0 };

  fetch_cookie (core, "alice", &from, fetched, cookie, &cookie_len);
  req = register_request ("alice", cookie, cookie_len, NULL, 0, PAD);
  handle (core, req, &from, used);
  out = take (core);
  parse_ok (nth_to (out, &from, 0), &msg);
  g_assert_cmpint (msg.type, ==, accepted ? NATTER_MSG_WELCOME : NATTER_MSG_COOKIE);
  g_assert_cmpuint (natter_registry_size (registry (core)), ==, accepted ? 1 : 0);
}

static void
test_cookie_windows (void)
{
  const gint64 w = NATTER_COOKIE_WINDOW_MS;

  check_cookie_age (NOW, NOW, TRUE);
  check_cookie_age (NOW, NOW + w - 1, TRUE);
  /* the window before the current one still counts */
  check_cookie_age (NOW + w - 1, NOW + w, TRUE);
  check_cookie_age (NOW, NOW + 2 * w - 1, TRUE);
  /* two windows ago does not */
  check_cookie_age (NOW, NOW + 2 * w, FALSE);
  check_cookie_age (NOW + w - 1, NOW + 2 * w, FALSE);
  check_cookie_age (NOW, NOW + 10 * w, FALSE);
  /* nor does one from the future */
  check_cookie_age (NOW + w, NOW, FALSE);
}

static void
test_cookie_forged (void)
{
  g_autoptr(NatterCore) core = core_new ();
  NatterEndpoint from = ep ("198.18.0.1:4000");
  guint8 cookie[NATTER_WIRE_COOKIE_MAX];
  guint8 forged[NATTER_WIRE_COOKIE_MAX];
  gsize cookie_len;

  fetch_cookie (core, "alice", &from, NOW, cookie, &cookie_len);
  /* every byte is checked, and so is the length */
  for (gsize i = 0; i <= cookie_len + 1 && i <= NATTER_WIRE_COOKIE_MAX; i++)
    {
      gsize len = cookie_len;
      g_autoptr(GBytes) req = NULL;
      g_autoptr(GArray) out = NULL;
      g_auto(NatterMsg) msg = { 0 };

      memcpy (forged, cookie, cookie_len);
      if (i < cookie_len)
        forged[i] ^= 0x80;
      else if (i == cookie_len)
        len = cookie_len - 1;
      else
        forged[len++] = 0;
      req = register_request ("alice", forged, len, NULL, 0, PAD);
      handle (core, req, &from, NOW);
      out = take (core);
      expect_only (out, &from, NATTER_MSG_COOKIE, &msg);
      g_assert_cmpuint (natter_registry_size (registry (core)), ==, 0);
    }
}

static void
test_join_event (void)
{
  g_autoptr(NatterCore) core = core_new ();
  Client alice = client ("alice", "198.18.0.1:4000");
  Client bob = client ("bob", "198.18.0.2:4000");
  g_autoptr(GArray) out = NULL;
  g_autoptr(GArray) events = NULL;
  const EventCopy *event;

  join (core, &alice, NULL, 0, NOW);
  flush_and_drop (core);

  /* bob's registration answers bob alone; the others hear at the flush */
  out = register_full (core, &bob, NULL, 0, NOW);
  g_assert_cmpuint (count_to (out, &alice.ep), ==, 0);
  g_assert_true (natter_core_has_output (core));
  g_clear_pointer (&out, g_array_unref);

  natter_core_flush (core);
  out = take (core);
  event = only_event (out, &alice.ep, &events);
  g_assert_cmpuint (event->version, ==, alice.version + 1);
  g_assert_cmpuint (event->version, ==, bob.version);
  g_assert_cmpint (event->kind, ==, NATTER_EVENT_JOIN);
  g_assert_cmpstr (event->id, ==, "bob");
  assert_ep (&event->peer.ep, &bob.ep);
  g_assert_cmpuint (event->peer.flags, ==, 0);
  /* bob's own join was in his list already */
  g_assert_cmpuint (count_to (out, &bob.ep), ==, 0);
  g_assert_cmpuint (out->len, ==, 1);
  g_assert_false (natter_core_has_output (core));

  /* nothing new, nothing sent */
  natter_core_flush (core);
  expect_nothing (core);
}

static const PeerCopy *
peer_in (GHashTable *peers,
         const char *id)
{
  const PeerCopy *peer = g_hash_table_lookup (peers, id);

  g_assert_nonnull (peer);
  return peer;
}

static void
test_private_candidates (void)
{
  g_autoptr(NatterCore) core = core_new ();
  Client alice = client ("alice", "198.18.0.1:4000");
  Client bob = client ("bob", "198.18.0.1:4001");
  Client carol = client ("carol", "198.19.0.1:5000");
  NatterEndpoint alice_cands[2] = { ep ("10.0.0.2:4000"), ep ("[fd00::2]:4000") };
  NatterEndpoint bob_cand = ep ("10.0.0.3:4001");
  NatterEndpoint carol_cand = ep ("192.168.1.5:5000");
  g_autoptr(GArray) out = NULL;
  g_autoptr(GHashTable) peers = NULL;
  g_autoptr(GArray) alice_events = NULL;
  g_autoptr(GArray) carol_events = NULL;
  const EventCopy *event;
  guint64 version;

  join (core, &alice, alice_cands, 2, NOW);
  join (core, &carol, &carol_cand, 1, NOW);
  flush_and_drop (core);

  out = register_full (core, &bob, &bob_cand, 1, NOW);
  peers = collect_list (out, &bob.ep, &version);
  /* alice shares bob's public address: her host candidates come along */
  g_assert_cmpuint (peer_in (peers, "alice")->n_candidates, ==, 2);
  assert_ep (&peer_in (peers, "alice")->candidates[0], &alice_cands[0]);
  assert_ep (&peer_in (peers, "alice")->candidates[1], &alice_cands[1]);
  g_assert_cmpuint (peer_in (peers, "carol")->n_candidates, ==, 0);
  g_assert_cmpuint (peer_in (peers, "bob")->n_candidates, ==, 1);
  g_clear_pointer (&out, g_array_unref);

  natter_core_flush (core);
  out = take (core);
  event = only_event (out, &alice.ep, &alice_events);
  g_assert_cmpstr (event->id, ==, "bob");
  g_assert_cmpuint (event->peer.n_candidates, ==, 1);
  assert_ep (&event->peer.candidates[0], &bob_cand);
  event = only_event (out, &carol.ep, &carol_events);
  g_assert_cmpstr (event->id, ==, "bob");
  g_assert_cmpuint (event->peer.n_candidates, ==, 0);
  g_clear_pointer (&out, g_array_unref);
  g_clear_pointer (&peers, g_hash_table_unref);

  /* and carol's list has nobody's candidates but her own */
  request (core, &carol, NATTER_MSG_RESYNC, NULL, NULL, 0, NOW + NATTER_LIST_FRESH_MS);
  out = take (core);
  peers = collect_list (out, &carol.ep, &version);
  g_assert_cmpuint (g_hash_table_size (peers), ==, 3);
  g_assert_cmpuint (peer_in (peers, "alice")->n_candidates, ==, 0);
  g_assert_cmpuint (peer_in (peers, "bob")->n_candidates, ==, 0);
  g_assert_cmpuint (peer_in (peers, "carol")->n_candidates, ==, 1);
}

static void
test_register_taken (void)
{
  g_autoptr(NatterCore) core = core_new ();
  Client alice = client ("alice", "198.18.0.1:4000");
  NatterEndpoint other = ep ("198.18.0.2:4000");
  guint8 cookie[NATTER_WIRE_COOKIE_MAX];
  gsize cookie_len;
  g_autoptr(GBytes) req = NULL;
  g_autoptr(GArray) out = NULL;
  g_auto(NatterMsg) msg = { 0 };

  join (core, &alice, NULL, 0, NOW);
  flush_and_drop (core);

  fetch_cookie (core, "ALICE", &other, NOW, cookie, &cookie_len);
  req = register_request ("ALICE", cookie, cookie_len, NULL, 0, PAD);
  handle (core, req, &other, NOW);
  out = take (core);
  expect_only (out, &other, NATTER_MSG_ERROR, &msg);
  g_assert_cmpuint (msg.code, ==, NATTER_ERR_ID_TAKEN);
  g_assert_nonnull (msg.reason);
  g_assert_nonnull (strstr (msg.reason, "ALICE"));

  g_assert_cmpuint (natter_registry_size (registry (core)), ==, 1);
  g_assert_nonnull (natter_registry_authenticate (registry (core), "alice", alice.token));
  g_assert_false (natter_core_has_output (core));
}

static void
test_register_invalid_id (void)
{
  g_autoptr(NatterCore) core = core_new ();
  NatterEndpoint from = ep ("198.18.0.1:4000");
  const char *bad[] = { "", "bad id", "bad@id", "tab\tid", "a/b", "x\x7f",
                        "abcdefghijklmnopqrstuvwxyz0123456" /* 33 */ };
  guint8 cookie[NATTER_WIRE_COOKIE_MAX];
  gsize cookie_len;

  fetch_cookie (core, "alice", &from, NOW, cookie, &cookie_len);
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    for (guint with_cookie = 0; with_cookie < 2; with_cookie++)
      {
        g_autoptr(GBytes) req = register_request (bad[i], with_cookie ? cookie : NULL,
                                                  cookie_len, NULL, 0, PAD);
        guint64 malformed = natter_core_get_stats (core)->malformed;

        handle (core, req, &from, NOW);
        expect_nothing (core);
        g_assert_cmpuint (natter_core_get_stats (core)->malformed, ==, malformed + 1);
      }
  g_assert_cmpuint (natter_registry_size (registry (core)), ==, 0);
}

static void
test_register_full (void)
{
  g_autoptr(NatterCore) core = core_new_full (2, TRUE, TRUE);
  Client a = client ("a", "198.18.0.1:4000");
  Client b = client ("b", "198.18.0.2:4000");
  NatterEndpoint c_ep = ep ("198.18.0.3:4000");
  guint8 cookie[NATTER_WIRE_COOKIE_MAX];
  gsize cookie_len;
  g_autoptr(GBytes) req = NULL;
  g_autoptr(GArray) out = NULL;
  g_auto(NatterMsg) msg = { 0 };

  join (core, &a, NULL, 0, NOW);
  join (core, &b, NULL, 0, NOW);
  flush_and_drop (core);

  fetch_cookie (core, "c", &c_ep, NOW, cookie, &cookie_len);
  req = register_request ("c", cookie, cookie_len, NULL, 0, PAD);
  handle (core, req, &c_ep, NOW);
  out = take (core);
  expect_only (out, &c_ep, NATTER_MSG_ERROR, &msg);
  g_assert_cmpuint (msg.code, ==, NATTER_ERR_SERVER_FULL);
  g_assert_nonnull (msg.reason);
  g_assert_cmpuint (natter_registry_size (registry (core)), ==, 2);
  g_assert_false (natter_core_has_output (core));

  /* a member registering again still fits */
  join (core, &a, NULL, 0, NOW + NATTER_LIST_FRESH_MS);
}

static void
test_reregister (void)
{
  g_autoptr(NatterCore) core = core_new ();
  Client alice = client ("alice", "198.18.0.1:4000");
  Client bob = client ("bob", "198.18.0.2:4000");
  guint8 old_token[NATTER_WIRE_TOKEN_SIZE];
  NatterEndpoint cand = ep ("10.0.0.2:4000");
  g_autoptr(GArray) out = NULL;
  g_autoptr(GArray) events = NULL;
  NatterEntry *entry;
  guint64 version;

  join (core, &alice, NULL, 0, NOW);
  join (core, &bob, NULL, 0, NOW);
  flush_and_drop (core);
  memcpy (old_token, alice.token, sizeof old_token);

  /* the same REGISTER again (a lost WELCOME, a retry): the same session,
   * with its WELCOME and a whole list, a new deadline, and no event */
  version = natter_registry_version (registry (core));
  entry = natter_registry_lookup (registry (core), "alice");
  /* (right after its list was written, the WELCOME alone: the REGISTER
   * crossed that list) */
  {
    guint8 cookie[NATTER_WIRE_COOKIE_MAX];
    gsize cookie_len;
    g_autoptr(GBytes) req = NULL;
    g_auto(NatterMsg) msg = { 0 };

    fetch_cookie (core, alice.id, &alice.ep, NOW + 10, cookie, &cookie_len);
    req = register_request (alice.id, cookie, cookie_len, NULL, 0, PAD);
    handle (core, req, &alice.ep, NOW + 10);
    out = take (core);
    expect_only (out, &alice.ep, NATTER_MSG_WELCOME, &msg);
    g_assert_cmpmem (old_token, sizeof old_token, msg.token, NATTER_WIRE_TOKEN_SIZE);
    g_clear_pointer (&out, g_array_unref);
  }
  join (core, &alice, NULL, 0, NOW + 1000);
  g_assert_cmpmem (old_token, sizeof old_token, alice.token, sizeof alice.token);
  g_assert_true (natter_registry_lookup (registry (core), "alice") == entry);
  g_assert_cmpint (entry->deadline_ms, ==, NOW + 1000 + TIMEOUT);
  g_assert_cmpuint (natter_registry_version (registry (core)), ==, version);
  g_assert_cmpuint (natter_registry_size (registry (core)), ==, 2);
  g_assert_false (natter_core_has_output (core));

  /* with other candidates or another spelling it is a new registration:
   * a new session, and everyone hears of it */
  join (core, &alice, &cand, 1, NOW + 2000);
  g_assert_true (memcmp (old_token, alice.token, sizeof old_token) != 0);
  g_assert_null (natter_registry_authenticate (registry (core), "alice", old_token));
  g_assert_nonnull (natter_registry_authenticate (registry (core), "alice", alice.token));
  g_assert_cmpuint (natter_registry_size (registry (core)), ==, 2);
  natter_core_flush (core);
  out = take (core);
  g_assert_cmpint (only_event (out, &bob.ep, &events)->kind, ==, NATTER_EVENT_JOIN);
  g_clear_pointer (&out, g_array_unref);
  g_clear_pointer (&events, g_array_unref);

  memcpy (old_token, alice.token, sizeof old_token);
  alice.id = "Alice";
  join (core, &alice, &cand, 1, NOW + 3000);
  g_assert_true (memcmp (old_token, alice.token, sizeof old_token) != 0);
  g_assert_cmpstr (entry->id, ==, "Alice");
  natter_core_flush (core);
  out = take (core);
  g_assert_cmpint (only_event (out, &bob.ep, &events)->kind, ==, NATTER_EVENT_JOIN);
  g_assert_cmpstr (g_array_index (events, EventCopy, 0).id, ==, "Alice");
}

/* Sessions */

static void
test_keepalive (void)
{
  g_autoptr(NatterCore) core = core_new ();
  Client alice = client ("alice", "198.18.0.1:4000");
  Client bob = client ("bob", "198.18.0.2:4000");
  g_autoptr(GArray) out = NULL;
  g_auto(NatterMsg) msg = { 0 };
  NatterEntry *entry;

  join (core, &alice, NULL, 0, NOW);
  join (core, &bob, NULL, 0, NOW);
  flush_and_drop (core);

  request (core, &alice, NATTER_MSG_KEEPALIVE, NULL, NULL, 0, NOW + 5000);
  out = take (core);
  expect_only (out, &alice.ep, NATTER_MSG_ALIVE, &msg);
  g_assert_cmpuint (msg.version, ==, natter_registry_version (registry (core)));
  g_assert_cmpuint (msg.version, ==, bob.version);
  g_assert_true (msg.has_endpoint);
  assert_ep (&msg.endpoint, &alice.ep);

  entry = natter_registry_lookup (registry (core), "alice");
  g_assert_cmpint (entry->deadline_ms, ==, NOW + 5000 + TIMEOUT);
  g_assert_false (natter_core_has_output (core));
}

static void
test_keepalive_wrong_token (void)
{
  g_autoptr(NatterCore) core = core_new ();
  Client alice = client ("alice", "198.18.0.1:4000");
  Client forger;
  NatterEntry *entry;
  guint64 version;

  join (core, &alice, NULL, 0, NOW);
  flush_and_drop (core);
  entry = natter_registry_lookup (registry (core), "alice");
  version = natter_registry_version (registry (core));

  for (guint i = 0; i < 3; i++)
    {
      g_autoptr(GBytes) req = NULL;
      g_autoptr(GArray) out = NULL;
      guint64 unauthenticated = natter_core_get_stats (core)->unauthenticated;

      forger = alice;
      if (i == 0)
        forger.token[0] ^= 1;                      /* wrong token, right place */
      else if (i == 1)
        forger.ep = ep ("198.18.0.66:4000");       /* wrong token, elsewhere */
      else
        forger.id = "nobody";                      /* unknown ID */
      if (i == 1)
        forger.token[15] ^= 1;
      req = natter_wire_auth_request (NATTER_MSG_KEEPALIVE, forger.id, forger.token, NULL,
                                      NULL, 0, 0);
      handle (core, req, &forger.ep, NOW + 10000);
      out = take (core);
      expect_error (out, &forger.ep, NATTER_ERR_UNKNOWN_SESSION);
      g_assert_cmpuint (bytes_to (out, &forger.ep), <=, g_bytes_get_size (req));
      g_assert_cmpuint (natter_core_get_stats (core)->unauthenticated, ==, unauthenticated + 1);
    }

  /* alice's session is as it was */
  g_assert_cmpint (entry->deadline_ms, ==, NOW + TIMEOUT);
  assert_ep (&entry->public_endpoint, &alice.ep);
  g_assert_cmpuint (natter_registry_version (registry (core)), ==, version);
  g_assert_cmpuint (natter_registry_size (registry (core)), ==, 1);
  g_assert_false (natter_core_has_output (core));
}

/* The ALIVE the fast path writes is the GVariant encoder's, byte for byte. */
static void
test_keepalive_alive_bytes (void)
{
  const char *where[] = { "198.18.0.1:4000", "198.18.255.254:65535", "[2001:db8::1]:10080",
                          "[::ffff:198.18.0.9]:1", "[fe80::1:2:3:4]:443" };
  const guint64 versions[] = { 0, 1, 255, 256, G_MAXUINT32 + (guint64) 7, G_MAXUINT64 };

  for (guint i = 0; i < G_N_ELEMENTS (where); i++)
    for (guint j = 0; j < G_N_ELEMENTS (versions); j++)
      {
        NatterEndpoint e = ep (where[i]);
        GVariantBuilder b;
        g_autoptr(GBytes) expected = NULL;
        guint8 got[NATTER_CORE_ALIVE_MAX];
        gsize got_len;

        g_variant_builder_init (&b, G_VARIANT_TYPE_VARDICT);
        natter_wire_add_u64 (&b, "ver", versions[j]);
        natter_wire_add_endpoint (&b, "ep", &e);
        expected = natter_wire_encode (NATTER_MSG_ALIVE, g_variant_builder_end (&b));
        got_len = natter_core_write_alive (got, versions[j], &e);
        g_assert_cmpmem (got, got_len, g_bytes_get_data (expected, NULL),
                         g_bytes_get_size (expected));
      }
}

static GBytes *
keepalive_with (const char * const *keys,
                GVariant          **values)
{
  GVariantBuilder b;

  g_variant_builder_init (&b, G_VARIANT_TYPE_VARDICT);
  for (guint i = 0; keys[i] != NULL; i++)
    g_variant_builder_add (&b, "{sv}", keys[i], values[i]);
  return natter_wire_encode (NATTER_MSG_KEEPALIVE, g_variant_builder_end (&b));
}

static GVariant *
bytes_value (const guint8 *data,
             gsize         len)
{
  return g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, data, len, 1);
}

/* Whatever the fast path answers, the general parser accepts as the same
 * KEEPALIVE of the same session; and it answers the usual ones. */
static gboolean
check_fast_keepalive (NatterCore           *core,
                      NatterEntry          *entry,
                      const guint8         *data,
                      gsize                 len,
                      const NatterEndpoint *from,
                      gint64                now)
{
  g_autofree guint8 *copy = g_memdup2 (data, MAX (len, 1));
  g_autoptr(GArray) out = NULL;
  g_auto(NatterMsg) msg = { 0 };
  g_autofree char *key = NULL;

  if (!natter_core_try_keepalive (core, copy, len, from, now))
    {
      out = take (core);
      g_assert_cmpuint (out->len, ==, 0);
      return FALSE;
    }
  out = take (core);
  g_assert_cmpuint (out->len, ==, 1);
  g_assert_true (natter_msg_parse (&msg, data, len, NULL));
  g_assert_cmpint (msg.type, ==, NATTER_MSG_KEEPALIVE);
  key = natter_id_key (msg.id);
  g_assert_cmpstr (key, ==, entry->key);
  g_assert_cmpmem (msg.token, NATTER_WIRE_TOKEN_SIZE, entry->token, NATTER_WIRE_TOKEN_SIZE);
  g_assert_true (natter_endpoint_equal (from, &entry->public_endpoint));
  return TRUE;
}

static void
test_keepalive_fast_path (void)
{
  g_autoptr(NatterCore) core = core_new ();
  Client alice = client ("alice", "198.18.0.1:4000");
  Client zoe = client ("Zoë", "[2001:db8::5]:4000");
  NatterEntry *entry;
  g_autoptr(GPtrArray) cases = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  g_autoptr(GRand) rand = g_rand_new_with_seed (20240601);
  guint8 ck[NATTER_WIRE_COOKIE_MAX + 1] = { 0 };
  guint8 short_tok[NATTER_WIRE_TOKEN_SIZE - 1] = { 0 };
  /* the cases the fast path itself must answer come first */
  guint n_fast;
  guint damaged_answered = 0, damaged = 0;

  join (core, &alice, NULL, 0, NOW);
  join (core, &zoe, NULL, 0, NOW);
  flush_and_drop (core);
  entry = natter_registry_lookup (registry (core), "alice");

#define KA(...) do { const char *k[] = { __VA_ARGS__, NULL }; GVariant **v = values; \
                     g_ptr_array_add (cases, keepalive_with (k, v)); } while (0)
  {
    GVariant *values[8];

    g_ptr_array_add (cases, natter_wire_auth_request (NATTER_MSG_KEEPALIVE, "alice", alice.token,
                                                      NULL, NULL, 0, 42));
    values[0] = g_variant_new_string ("ALICE");
    values[1] = bytes_value (alice.token, NATTER_WIRE_TOKEN_SIZE);
    KA ("id", "tok");
    values[0] = bytes_value (alice.token, NATTER_WIRE_TOKEN_SIZE);
    values[1] = g_variant_new_uint64 (7);
    values[2] = bytes_value (ck, 20);
    values[3] = g_variant_new_string ("alice");
    values[4] = g_variant_new_string ("more");
    values[5] = bytes_value (ck, 0);
    KA ("tok", "ver", "ck", "id", "x", "y");
    /* a repeated key: the first counts */
    values[0] = g_variant_new_string ("alice");
    values[1] = bytes_value (alice.token, NATTER_WIRE_TOKEN_SIZE);
    values[2] = g_variant_new_string ("nobody");
    values[3] = bytes_value (ck, 0);
    values[4] = bytes_value (ck, 20);
    values[5] = bytes_value (ck, 0);
    KA ("id", "tok", "id", "tok", "ck", "ck");
    /* a known key of another type is absent */
    values[0] = g_variant_new_string ("alice");
    values[1] = bytes_value (alice.token, NATTER_WIRE_TOKEN_SIZE);
    values[2] = g_variant_new_string ("not a number");
    values[3] = g_variant_new_uint64 (1);
    KA ("id", "tok", "ver", "ck");
    n_fast = cases->len;

    /* left to the general parser, which refuses or decides otherwise */
    values[0] = g_variant_new_uint32 (1);
    values[1] = g_variant_new_string ("alice");
    values[2] = bytes_value (alice.token, NATTER_WIRE_TOKEN_SIZE);
    KA ("id", "id", "tok");
    values[0] = g_variant_new_string ("alice");
    values[1] = bytes_value (alice.token, NATTER_WIRE_TOKEN_SIZE);
    values[2] = bytes_value (ck, 0);
    KA ("id", "tok", "ck");
    values[0] = g_variant_new_string ("alice");
    values[1] = bytes_value (alice.token, NATTER_WIRE_TOKEN_SIZE);
    values[2] = bytes_value (ck, NATTER_WIRE_COOKIE_MAX + 1);
    KA ("id", "tok", "ck");
    values[0] = g_variant_new_string ("alice");
    values[1] = bytes_value (short_tok, sizeof short_tok);
    KA ("id", "tok");
    values[0] = g_variant_new_string ("alice");
    values[1] = bytes_value (alice.token, NATTER_WIRE_TOKEN_SIZE);
    values[2] = g_variant_new_uint32 (5);
    KA ("id", "tok", "x");
    values[0] = g_variant_new_string ("al ice");
    values[1] = bytes_value (alice.token, NATTER_WIRE_TOKEN_SIZE);
    KA ("id", "tok");
    values[0] = g_variant_new_string ("zoë");
    values[1] = bytes_value (zoe.token, NATTER_WIRE_TOKEN_SIZE);
    KA ("id", "tok");
    values[0] = g_variant_new_string ("alice");
    values[1] = bytes_value (zoe.token, NATTER_WIRE_TOKEN_SIZE);
    KA ("id", "tok");
  }
#undef KA

  for (guint i = 0; i < cases->len; i++)
    {
      gsize len;
      const guint8 *data = g_bytes_get_data (cases->pdata[i], &len);
      g_autofree guint8 *copy = g_memdup2 (data, len);
      g_autoptr(GArray) out = NULL;
      gboolean fast = natter_core_try_keepalive (core, copy, len, &alice.ep, NOW + 1000);

      g_assert_cmpint (fast, ==, i < n_fast);
      out = take (core);
      if (fast)
        {
          g_auto(NatterMsg) msg = { 0 };

          expect_only (out, &alice.ep, NATTER_MSG_ALIVE, &msg);
          g_assert_cmpuint (msg.version, ==, entry->synced_version);
          assert_ep (&msg.endpoint, &alice.ep);
        }
      else
        g_assert_cmpuint (out->len, ==, 0);
      /* from anywhere else, only the general path (a cookie for a move) */
      g_assert_false (natter_core_try_keepalive (core, copy, len, &zoe.ep, NOW + 1000));
      check_fast_keepalive (core, entry, data, len, &alice.ep, NOW + 1000);
    }

  /* damaged copies: whatever gets through is what the parser accepts */
  for (guint i = 0; i < cases->len; i++)
    for (guint round = 0; round < 3000; round++)
      {
        gsize len;
        const guint8 *data = g_bytes_get_data (cases->pdata[i], &len);
        g_autofree guint8 *buf = g_malloc (len + 8);
        gsize n = len;
        guint edits = g_rand_int_range (rand, 1, 4);

        memcpy (buf, data, len);
        for (guint e = 0; e < edits; e++)
          {
            guint what = g_rand_int_range (rand, 0, 4);
            gsize at = n > NATTER_WIRE_HEADER_SIZE
                         ? (gsize) g_rand_int_range (rand, NATTER_WIRE_HEADER_SIZE, n) : n;

            if (what == 0 && at < n)
              buf[at] ^= 1u << g_rand_int_range (rand, 0, 8);
            else if (what == 1 && at < n)
              buf[at] = (guint8) g_rand_int_range (rand, 0, 256);
            else if (what == 2 && n > NATTER_WIRE_HEADER_SIZE)
              n--;
            else if (n < len + 8)
              {
                memmove (buf + at + 1, buf + at, n - at);
                buf[at] = (guint8) g_rand_int_range (rand, 0, 256);
                n++;
              }
          }
        damaged++;
        if (check_fast_keepalive (core, entry, buf, n, &alice.ep, NOW + 2000))
          damaged_answered++;
      }
  /* both outcomes were seen: some edits keep a valid KEEPALIVE (a changed
   * "ver", padding of an unknown value) */
  g_assert_cmpuint (damaged_answered, >, 0);
  g_assert_cmpuint (damaged_answered, <, damaged);
  g_test_message ("%u of %u damaged copies answered", damaged_answered, damaged);
}

static void
test_keepalive_rebind (void)
{
  g_autoptr(NatterCore) core = core_new ();
  Client alice = client ("alice", "198.18.0.1:4000");
  Client bob = client ("bob", "198.18.0.2:4000");
  NatterEndpoint old_ep = alice.ep;
  g_autoptr(GArray) out = NULL;
  g_autoptr(GArray) events = NULL;
  g_auto(NatterMsg) msg = { 0 };
  const EventCopy *event;

  join (core, &alice, NULL, 0, NOW);
  join (core, &bob, NULL, 0, NOW);
  flush_and_drop (core);

  /* her NAT gave her a new port: the new address is proven first */
  alice.ep = ep ("198.18.0.1:4999");
  request (core, &alice, NATTER_MSG_KEEPALIVE, NULL, NULL, 0, NOW + 1000);
  out = take (core);
  expect_only (out, &alice.ep, NATTER_MSG_COOKIE, &msg);
  g_assert_true (natter_registry_lookup_endpoint (registry (core), &old_ep) ==
                 natter_registry_lookup (registry (core), "alice"));
  {
    GVariantBuilder b;
    g_autoptr(GBytes) ka = NULL;

    g_variant_builder_init (&b, G_VARIANT_TYPE_VARDICT);
    natter_wire_add_string (&b, "id", "alice");
    natter_wire_add_bytes (&b, "tok", alice.token, NATTER_WIRE_TOKEN_SIZE);
    natter_wire_add_bytes (&b, "ck", msg.cookie, msg.cookie_len);
    ka = natter_wire_encode (NATTER_MSG_KEEPALIVE, g_variant_builder_end (&b));
    natter_msg_clear (&msg);
    g_clear_pointer (&out, g_array_unref);
    handle (core, ka, &alice.ep, NOW + 1001);
  }
  out = take (core);
  expect_only (out, &alice.ep, NATTER_MSG_ALIVE, &msg);
  assert_ep (&msg.endpoint, &alice.ep);
  g_assert_true (natter_registry_lookup_endpoint (registry (core), &alice.ep) ==
                 natter_registry_lookup (registry (core), "alice"));
  g_assert_null (natter_registry_lookup_endpoint (registry (core), &old_ep));
  g_clear_pointer (&out, g_array_unref);

  natter_core_flush (core);
  out = take (core);
  event = only_event (out, &bob.ep, &events);
  g_assert_cmpint (event->kind, ==, NATTER_EVENT_MOVE);
  g_assert_cmpstr (event->id, ==, "alice");
  assert_ep (&event->peer.ep, &alice.ep);
  g_assert_cmpuint (count_to (out, &old_ep), ==, 0);
}

static void
test_bye (void)
{
  g_autoptr(NatterCore) core = core_new ();
  Client alice = client ("alice", "198.18.0.1:4000");
  Client bob = client ("bob", "198.18.0.2:4000");
  Client forger;
  g_autoptr(GArray) out = NULL;
  g_autoptr(GArray) events = NULL;
  const EventCopy *event;

  join (core, &alice, NULL, 0, NOW);
  join (core, &bob, NULL, 0, NOW);
  flush_and_drop (core);

  /* from the right place with the wrong token, or the other way round */
  forger = alice;
  forger.token[3] ^= 0x10;
  request (core, &forger, NATTER_MSG_BYE, NULL, NULL, 0, NOW);
  forger = bob;
  forger.id = "alice";
  request (core, &forger, NATTER_MSG_BYE, NULL, NULL, 0, NOW);
  out = take (core);
  g_assert_cmpuint (count_to (out, &bob.ep), ==, 1);    /* the error about bob's forgery */
  g_assert_cmpuint (natter_registry_size (registry (core)), ==, 2);
  g_assert_false (natter_registry_has_events (registry (core)));
  g_clear_pointer (&out, g_array_unref);

  request (core, &alice, NATTER_MSG_BYE, NULL, NULL, 0, NOW);
  out = take (core);
  g_assert_cmpuint (out->len, ==, 0);     /* no answer to a goodbye */
  g_assert_null (natter_registry_lookup (registry (core), "alice"));
  g_clear_pointer (&out, g_array_unref);

  natter_core_flush (core);
  out = take (core);
  event = only_event (out, &bob.ep, &events);
  g_assert_cmpint (event->kind, ==, NATTER_EVENT_LEAVE);
  g_assert_cmpstr (event->id, ==, "alice");
  assert_ep (&event->peer.ep, &alice.ep);
  g_assert_cmpuint (count_to (out, &alice.ep), ==, 0);
  g_clear_pointer (&out, g_array_unref);

  /* the old token is dead */
  request (core, &alice, NATTER_MSG_KEEPALIVE, NULL, NULL, 0, NOW);
  out = take (core);
  expect_error (out, &alice.ep, NATTER_ERR_UNKNOWN_SESSION);
}

static void
test_timeout (void)
{
  g_autoptr(NatterCore) core = core_new ();
  Client alice = client ("alice", "198.18.0.1:4000");
  Client bob = client ("bob", "198.18.0.2:4000");
  g_autoptr(GArray) out = NULL;
  g_autoptr(GArray) events = NULL;
  const EventCopy *event;

  join (core, &alice, NULL, 0, NOW);
  join (core, &bob, NULL, 0, NOW + 10);
  flush_and_drop (core);
  g_assert_cmpint (natter_core_next_deadline (core), ==, NOW + TIMEOUT);

  request (core, &alice, NATTER_MSG_KEEPALIVE, NULL, NULL, 0, NOW + 20000);
  flush_and_drop (core);
  g_assert_cmpint (natter_core_next_deadline (core), ==, NOW + 10 + TIMEOUT);

  natter_core_expire (core, NOW + 10 + TIMEOUT - 1);
  natter_core_flush (core);
  expect_nothing (core);
  g_assert_cmpuint (natter_registry_size (registry (core)), ==, 2);

  natter_core_expire (core, NOW + 10 + TIMEOUT);
  g_assert_null (natter_registry_lookup (registry (core), "bob"));
  natter_core_flush (core);
  out = take (core);
  event = only_event (out, &alice.ep, &events);
  g_assert_cmpint (event->kind, ==, NATTER_EVENT_TIMEOUT);
  g_assert_cmpstr (event->id, ==, "bob");
  assert_ep (&event->peer.ep, &bob.ep);
  g_assert_cmpuint (out->len, ==, 1);
  g_assert_cmpint (natter_core_next_deadline (core), ==, NOW + 20000 + TIMEOUT);
}

static void
test_resync (void)
{
  g_autoptr(NatterCore) core = core_new ();
  Client alice = client ("alice", "198.18.0.1:4000");
  Client bob = client ("bob", "198.18.0.2:4000");
  Client carol = client ("carol", "198.18.0.3:4000");
  g_autoptr(GArray) out = NULL;
  g_autoptr(GHashTable) peers = NULL;
  guint64 version = 0;

  join (core, &alice, NULL, 0, NOW);
  join (core, &bob, NULL, 0, NOW);
  join (core, &carol, NULL, 0, NOW);
  request (core, &bob, NATTER_MSG_BYE, NULL, NULL, 0, NOW);
  flush_and_drop (core);

  request (core, &alice, NATTER_MSG_RESYNC, NULL, NULL, 0, NOW + NATTER_LIST_FRESH_MS);
  out = take (core);
  g_assert_cmpuint (count_to (out, &alice.ep), ==, out->len);
  peers = collect_list (out, &alice.ep, &version);
  g_assert_cmpuint (version, ==, natter_registry_version (registry (core)));
  g_assert_cmpuint (version, ==, 4);
  g_assert_cmpuint (g_hash_table_size (peers), ==, 2);
  g_assert_true (g_hash_table_contains (peers, "alice"));
  g_assert_true (g_hash_table_contains (peers, "carol"));
}

/* Lists written a round at a time, as the socket loop paces them: the
 * WELCOME goes out at once, the client gets no EVENTS until its list, and
 * the list, written later, holds what changed meanwhile. */
static void
test_paced_lists (void)
{
  g_autoptr(NatterCore) core = core_new ();
  Client alice = client ("alice", "198.18.0.1:4000");
  Client bob = client ("bob", "198.18.0.2:4000");
  Client carol = client ("carol", "198.18.0.3:4000");
  guint8 cookie[NATTER_WIRE_COOKIE_MAX];
  gsize cookie_len;
  g_autoptr(GBytes) req = NULL;
  g_autoptr(GArray) out = NULL;
  g_autoptr(GArray) events = NULL;
  g_autoptr(GHashTable) peers = NULL;
  g_auto(NatterMsg) welcome = { 0 };
  guint64 version = 0;

  join (core, &alice, NULL, 0, NOW);
  join (core, &carol, NULL, 0, NOW);
  flush_and_drop (core);
  fetch_cookie (core, bob.id, &bob.ep, NOW, cookie, &cookie_len);
  req = register_request (bob.id, cookie, cookie_len, NULL, 0, PAD);
  handle (core, req, &bob.ep, NOW);
  g_assert_true (natter_core_lists_waiting (core));
  g_assert_true (natter_core_has_output (core));

  /* the replies alone: bob's WELCOME, no LIST yet */
  out = natter_core_take_replies (core);
  expect_only (out, &bob.ep, NATTER_MSG_WELCOME, &welcome);
  memcpy (bob.token, welcome.token, NATTER_WIRE_TOKEN_SIZE);
  g_clear_pointer (&out, g_array_unref);

  /* asking again while waiting puts nobody in line twice */
  request (core, &bob, NATTER_MSG_RESYNC, NULL, NULL, 0, NOW);
  g_clear_pointer (&out, g_array_unref);
  out = natter_core_take_replies (core);
  g_assert_cmpuint (count_to (out, &bob.ep), ==, 0);
  g_clear_pointer (&out, g_array_unref);

  /* carol leaves; the flush tells alice of bob and carol, bob nothing */
  request (core, &carol, NATTER_MSG_BYE, NULL, NULL, 0, NOW);
  natter_core_flush (core);
  out = natter_core_take_replies (core);
  events = collect_events (out, &alice.ep);
  g_assert_cmpuint (events->len, ==, 2);
  g_assert_cmpuint (count_to (out, &bob.ep), ==, 0);
  g_clear_pointer (&out, g_array_unref);

  /* bob's list, written now, is at the version of carol's leaving */
  g_assert_false (natter_core_write_lists (core, 1));
  g_assert_false (natter_core_lists_waiting (core));
  out = natter_core_take_replies (core);
  g_assert_cmpuint (count_to (out, &bob.ep), ==, out->len);
  peers = collect_list (out, &bob.ep, &version);
  g_assert_cmpuint (version, ==, natter_registry_version (registry (core)));
  g_assert_cmpuint (version, >, welcome.version);
  g_assert_cmpuint (g_hash_table_size (peers), ==, 2);
  g_assert_true (g_hash_table_contains (peers, "alice"));
  g_assert_true (g_hash_table_contains (peers, "bob"));
  g_clear_pointer (&out, g_array_unref);

  /* once written, the list is not written again */
  g_assert_false (natter_core_write_lists (core, G_MAXUINT));
  expect_nothing (core);
}

/* A list is written whole, however small the round: one list per round
 * when each is bigger than the round, and the rest waits. */
static void
test_paced_lists_rounds (void)
{
  g_autoptr(NatterCore) core = core_new ();
  Client alice = client ("alice", "198.18.0.1:4000");
  Client bob = client ("bob", "198.18.0.2:4000");
  g_autoptr(GArray) out = NULL;

  join (core, &alice, NULL, 0, NOW);
  join (core, &bob, NULL, 0, NOW);
  flush_and_drop (core);
  request (core, &alice, NATTER_MSG_RESYNC, NULL, NULL, 0, NOW + NATTER_LIST_FRESH_MS);
  request (core, &bob, NATTER_MSG_RESYNC, NULL, NULL, 0, NOW + NATTER_LIST_FRESH_MS);
  g_clear_pointer (&out, g_array_unref);
  out = natter_core_take_replies (core);
  g_assert_cmpuint (out->len, ==, 0);
  g_clear_pointer (&out, g_array_unref);

  g_assert_true (natter_core_write_lists (core, 1));
  out = natter_core_take_replies (core);
  g_assert_cmpuint (out->len, >, 0);
  g_assert_cmpuint (count_to (out, &alice.ep), ==, out->len);
  g_clear_pointer (&out, g_array_unref);
  g_assert_false (natter_core_write_lists (core, 1));
  out = natter_core_take_replies (core);
  g_assert_cmpuint (out->len, >, 0);
  g_assert_cmpuint (count_to (out, &bob.ep), ==, out->len);
}

/* Every LIST part is the very bytes natter_wire_encode() makes of the
 * dictionary built from what it holds: lists of 1 to 700 peers (parts
 * from a few bytes, with one-byte framing, to full ones), IDs of every
 * length, some peers behind the recipient's address with candidates. */
static void
test_list_bytes (void)
{
  static const guint sizes[] = { 1, 2, 3, 7, 40, 41, 700 };

  for (guint s = 0; s < G_N_ELEMENTS (sizes); s++)
    {
      g_autoptr(NatterCore) core = core_new ();
      Client first = { 0 };
      g_autoptr(GArray) out = NULL;
      guint lists = 0;

      for (guint i = 0; i < sizes[s]; i++)
        {
          g_autofree char *addr = g_strdup_printf ("198.18.%u.%u:%u", i % 3 == 0 ? 0 : 1 + i / 250,
                                                   i % 250, 4000 + i);
          g_autofree char *id = g_strdup_printf ("%.*s%u", (int) (i % 24), "peer-with-a-long-name-xyz", i);
          Client c = client (g_intern_string (id), addr);
          NatterEndpoint cand = ep ("10.0.0.7:5000");

          join (core, &c, i % 3 == 0 ? &cand : NULL, i % 3 == 0 ? 1 : 0, NOW);
          if (i == 0)
            first = c;
        }
      flush_and_drop (core);
      request (core, &first, NATTER_MSG_RESYNC, NULL, NULL, 0, NOW + NATTER_LIST_FRESH_MS);
      out = take (core);
      g_assert_cmpuint (out->len, >, 0);
      for (guint i = 0; i < out->len; i++)
        {
          GBytes *got = g_array_index (out, NatterOutgoing, i).data;
          g_auto(NatterMsg) msg = { 0 };
          g_autoptr(GBytes) want = NULL;
          GVariantBuilder b, peers;

          parse_ok (got, &msg);
          g_assert_cmpint (msg.type, ==, NATTER_MSG_LIST);
          g_assert_cmpuint (msg.part, ==, i);
          g_assert_cmpuint (msg.parts, ==, out->len);
          g_variant_builder_init (&peers, G_VARIANT_TYPE ("a" NATTER_WIRE_TYPE_PEER));
          for (guint j = 0; j < msg.peers->len; j++)
            g_variant_builder_add_value (&peers, natter_wire_peer_variant (
                &g_array_index (msg.peers, NatterPeerInfo, j)));
          g_variant_builder_init (&b, G_VARIANT_TYPE_VARDICT);
          natter_wire_add_u64 (&b, "ver", msg.version);
          g_variant_builder_add (&b, "{sv}", "part", g_variant_new_uint16 (msg.part));
          g_variant_builder_add (&b, "{sv}", "parts", g_variant_new_uint16 (msg.parts));
          g_variant_builder_add (&b, "{sv}", "peers", g_variant_builder_end (&peers));
          want = natter_wire_encode (NATTER_MSG_LIST, g_variant_builder_end (&b));
          g_assert_nonnull (want);
          g_assert_true (g_bytes_equal (got, want));
          lists++;
        }
      /* more than one part only where a part was full */
      g_assert_cmpuint (lists, ==, sizes[s] < 40 ? 1 : lists);
      g_assert_cmpuint (lists, >, sizes[s] == 700 ? 10 : 0);
    }
}

/* Introductions and relay */

static void
check_introduce (GBytes       *datagram,
                 const Client *about,
                 guint         n_candidates,
                 guint8       *key)
{
  g_auto(NatterMsg) msg = { 0 };

  parse_ok (datagram, &msg);
  g_assert_cmpint (msg.type, ==, NATTER_MSG_INTRODUCE);
  g_assert_cmpstr (msg.id, ==, about->id);
  g_assert_true (msg.has_endpoint);
  assert_ep (&msg.endpoint, &about->ep);
  g_assert_cmpuint (msg.n_candidates, ==, n_candidates);
  g_assert_false (msg.classic);
  g_assert_nonnull (msg.key);
  memcpy (key, msg.key, NATTER_WIRE_KEY_SIZE);
}

static void
test_intro (void)
{
  g_autoptr(NatterCore) core = core_new ();
  Client alice = client ("alice", "198.18.0.1:4000");
  Client bob = client ("bob", "198.18.0.1:4001");
  Client carol = client ("carol", "198.19.0.1:4000");
  NatterEndpoint alice_cand = ep ("10.0.0.2:4000");
  NatterEndpoint bob_cand = ep ("10.0.0.3:4001");
  NatterEndpoint carol_cand = ep ("10.0.0.4:4000");
  guint8 key_a[NATTER_WIRE_KEY_SIZE], key_b[NATTER_WIRE_KEY_SIZE];
  guint8 first_key[NATTER_WIRE_KEY_SIZE];
  static const guint8 zero[NATTER_WIRE_KEY_SIZE] = { 0 };

  join (core, &alice, &alice_cand, 1, NOW);
  join (core, &bob, &bob_cand, 1, NOW);
  join (core, &carol, &carol_cand, 1, NOW);
  flush_and_drop (core);

  {
    g_autoptr(GArray) out = NULL;

    request (core, &alice, NATTER_MSG_INTRO, "BOB", NULL, 0, NOW);
    out = take (core);
    g_assert_cmpuint (out->len, ==, 2);
    g_assert_cmpuint (count_to (out, &alice.ep), ==, 1);
    g_assert_cmpuint (count_to (out, &bob.ep), ==, 1);
    /* behind one NAT, so the host candidates go along */
    check_introduce (nth_to (out, &alice.ep, 0), &bob, 1, key_a);
    check_introduce (nth_to (out, &bob.ep, 0), &alice, 1, key_b);
    g_assert_cmpmem (key_a, sizeof key_a, key_b, sizeof key_b);
    g_assert_true (memcmp (key_a, zero, sizeof zero) != 0);
    memcpy (first_key, key_a, sizeof first_key);
  }
  {
    g_autoptr(GArray) out = NULL;

    request (core, &alice, NATTER_MSG_INTRO, "carol", NULL, 0, NOW);
    out = take (core);
    g_assert_cmpuint (out->len, ==, 2);
    check_introduce (nth_to (out, &alice.ep, 0), &carol, 0, key_a);
    check_introduce (nth_to (out, &carol.ep, 0), &alice, 0, key_b);
    g_assert_cmpmem (key_a, sizeof key_a, key_b, sizeof key_b);
    /* a fresh key per introduction */
    g_assert_true (memcmp (key_a, first_key, sizeof first_key) != 0);
  }
  {
    g_autoptr(GArray) out = NULL;

    request (core, &alice, NATTER_MSG_INTRO, "nobody", NULL, 0, NOW);
    out = take (core);
    expect_error (out, &alice.ep, NATTER_ERR_NO_SUCH_PEER);
  }
  {
    g_autoptr(GArray) out = NULL;

    request (core, &alice, NATTER_MSG_INTRO, "alice", NULL, 0, NOW);
    out = take (core);
    expect_error (out, &alice.ep, NATTER_ERR_NO_SUCH_PEER);
  }
  g_assert_false (natter_core_has_output (core));
}

static void
test_request_rate_limit (void)
{
  g_autoptr(NatterCore) core = core_new ();
  Client alice = client ("alice", "198.18.0.1:4000");
  Client bob = client ("bob", "198.18.0.2:4000");
  const NatterCoreStats *stats = natter_core_get_stats (core);
  guint introduced = 0, resynced = 0;

  join (core, &alice, NULL, 0, NOW);
  join (core, &bob, NULL, 0, NOW);
  flush_and_drop (core);

  /* introductions and resyncs share one bucket */
  for (guint i = 0; i < NATTER_REQUEST_BURST; i++)
    {
      g_autoptr(GArray) out = NULL;

      request (core, &alice, i % 2 ? NATTER_MSG_INTRO : NATTER_MSG_RESYNC, "bob", NULL, 0, NOW);
      out = take (core);
      if (i % 2)
        introduced += count_to (out, &bob.ep);
      else
        resynced += count_to (out, &alice.ep);
    }
  g_assert_cmpuint (introduced, ==, NATTER_REQUEST_BURST / 2);
  /* each crossed the list written at registration, so none was answered,
   * yet each took its token: the bucket is empty now */
  g_assert_cmpuint (resynced, ==, 0);
  g_assert_cmpuint (stats->rate_limited, ==, 0);

  {
    g_autoptr(GArray) out = NULL;

    request (core, &alice, NATTER_MSG_INTRO, "bob", NULL, 0, NOW);
    out = take (core);
    expect_error (out, &alice.ep, NATTER_ERR_RATE_LIMITED);
  }
  /* a resync over the limit is dropped without a word */
  request (core, &alice, NATTER_MSG_RESYNC, NULL, NULL, 0, NOW);
  expect_nothing (core);
  g_assert_cmpuint (stats->rate_limited, ==, 2);

  /* NATTER_REQUEST_RATE per second come back */
  {
    g_autoptr(GArray) out = NULL;

    request (core, &alice, NATTER_MSG_INTRO, "bob", NULL, 0, NOW + 1000 / NATTER_REQUEST_RATE);
    out = take (core);
    g_assert_cmpuint (count_to (out, &bob.ep), ==, 1);
  }
  /* bob's own bucket is full */
  {
    g_autoptr(GArray) out = NULL;

    request (core, &bob, NATTER_MSG_INTRO, "alice", NULL, 0, NOW);
    out = take (core);
    g_assert_cmpuint (count_to (out, &alice.ep), ==, 1);
  }
}

static void
test_relay (void)
{
  g_autoptr(NatterCore) core = core_new ();
  Client alice = client ("alice", "198.18.0.1:4000");
  Client bob = client ("bob", "198.18.0.2:4000");
  guint8 big[NATTER_WIRE_MAX_DATA];

  join (core, &alice, NULL, 0, NOW);
  join (core, &bob, NULL, 0, NOW);
  flush_and_drop (core);
  for (gsize i = 0; i < sizeof big; i++)
    big[i] = i * 7;

  {
    g_autoptr(GArray) out = NULL;
    g_auto(NatterMsg) msg = { 0 };

    request (core, &alice, NATTER_MSG_RELAY, "bob", "hello", 5, NOW);
    out = take (core);
    expect_only (out, &bob.ep, NATTER_MSG_RELAYED, &msg);
    g_assert_cmpstr (msg.id, ==, "alice");
    g_assert_cmpmem (msg.data, msg.data_len, "hello", 5);
    g_assert_cmpuint (natter_core_get_stats (core)->relayed, ==, 1);
  }
  {
    g_autoptr(GArray) out = NULL;
    g_auto(NatterMsg) msg = { 0 };

    /* as large as a relayed payload can be, with short IDs */
    request (core, &bob, NATTER_MSG_RELAY, "alice", big, sizeof big - 40, NOW);
    out = take (core);
    expect_only (out, &alice.ep, NATTER_MSG_RELAYED, &msg);
    g_assert_cmpstr (msg.id, ==, "bob");
    g_assert_cmpmem (msg.data, msg.data_len, big, sizeof big - 40);
  }
  {
    g_autoptr(GArray) out = NULL;

    request (core, &alice, NATTER_MSG_RELAY, "nobody", "x", 1, NOW);
    out = take (core);
    expect_error (out, &alice.ep, NATTER_ERR_NO_SUCH_PEER);
  }
  {
    g_autoptr(GArray) out = NULL;
    Client forger = alice;

    forger.token[0] ^= 1;
    request (core, &forger, NATTER_MSG_RELAY, "bob", "x", 1, NOW);
    out = take (core);
    g_assert_cmpuint (count_to (out, &bob.ep), ==, 0);
  }
  g_assert_cmpuint (natter_core_get_stats (core)->relayed, ==, 2);
}

static void
test_relay_disabled (void)
{
  g_autoptr(NatterCore) core = core_new_full (1000, FALSE, TRUE);
  Client alice = client ("alice", "198.18.0.1:4000");
  Client bob = client ("bob", "198.18.0.2:4000");
  g_autoptr(GArray) out = NULL;

  join (core, &alice, NULL, 0, NOW);
  join (core, &bob, NULL, 0, NOW);
  flush_and_drop (core);

  request (core, &alice, NATTER_MSG_RELAY, "bob", "hello", 5, NOW);
  out = take (core);
  expect_error (out, &alice.ep, NATTER_ERR_RELAY_DISABLED);
  g_assert_cmpuint (natter_core_get_stats (core)->relayed, ==, 0);
}

static guint
relay_many (NatterCore   *core,
            const Client *from,
            const Client *to,
            guint         n,
            gint64        now)
{
  g_autoptr(GArray) out = NULL;

  for (guint i = 0; i < n; i++)
    request (core, from, NATTER_MSG_RELAY, to->id, "x", 1, now);
  out = take (core);
  /* dropped silently: no error per datagram to double a flood */
  g_assert_cmpuint (count_to (out, &from->ep), ==, 0);
  g_assert_cmpuint (count_to (out, &to->ep), ==, out->len);
  return out->len;
}

static void
test_relay_rate_limit (void)
{
  g_autoptr(NatterCore) core = core_new ();
  Client alice = client ("alice", "198.18.0.1:4000");
  Client bob = client ("bob", "198.18.0.2:4000");
  const NatterCoreStats *stats = natter_core_get_stats (core);

  join (core, &alice, NULL, 0, NOW);
  join (core, &bob, NULL, 0, NOW);
  flush_and_drop (core);

  g_assert_cmpuint (relay_many (core, &alice, &bob, NATTER_RELAY_BURST + 10, NOW), ==,
                    NATTER_RELAY_BURST);
  g_assert_cmpuint (stats->rate_limited, ==, 10);
  g_assert_cmpuint (stats->relayed, ==, NATTER_RELAY_BURST);

  /* each sender has its own bucket */
  g_assert_cmpuint (relay_many (core, &bob, &alice, 3, NOW), ==, 3);

  /* one second refills NATTER_RELAY_RATE */
  g_assert_cmpuint (relay_many (core, &alice, &bob, NATTER_RELAY_RATE + 5, NOW + 1000), ==,
                    NATTER_RELAY_RATE);
  g_assert_cmpuint (stats->rate_limited, ==, 15);

  /* a long pause refills up to the burst, no more */
  g_assert_cmpuint (relay_many (core, &alice, &bob, NATTER_RELAY_BURST + 1, NOW + 600000), ==,
                    NATTER_RELAY_BURST);
  g_assert_cmpuint (stats->rate_limited, ==, 16);
}

/* LIST and EVENTS splitting */

static char *
split_id (guint i,
          gboolean long_ids)
{
  GString *s = g_string_new (NULL);

  if (!long_ids)
    {
      g_string_printf (s, "p%u", i);
      return g_string_free (s, FALSE);
    }
  switch (i % 4)
    {
    case 0: /* 32 characters of 4 bytes: the longest ID there is */
      for (guint j = 0; j < NATTER_ID_MAX_CHARS - 1; j++)
        g_string_append_unichar (s, 0x20000);
      g_string_append_unichar (s, 0x20001 + i);
      break;
    case 1: /* Hangul, 3 bytes each */
      for (guint j = 0; j < NATTER_ID_MAX_CHARS - 1; j++)
        g_string_append_unichar (s, 0xAC00 + j);
      g_string_append_unichar (s, 0xAC00 + 100 + i);
      break;
    case 2:
      g_string_printf (s, "peer-%027u", i);
      break;
    default:
      g_string_printf (s, "p%u", i);
      break;
    }
  g_assert_true (natter_id_validate (s->str, -1, NULL));
  return g_string_free (s, FALSE);
}

static void
assert_all_small (GArray *out)
{
  for (guint i = 0; i < out->len; i++)
    g_assert_cmpuint (g_bytes_get_size (g_array_index (out, NatterOutgoing, i).data), <=,
                      NATTER_WIRE_MAX_SIZE);
}

static void
check_split (gboolean long_ids,
             gboolean with_candidates)
{
  enum { N = 200 };
  g_autoptr(NatterCore) core = core_new ();
  g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  Client clients[N];
  g_autoptr(GArray) out = NULL;
  g_autoptr(GArray) events = NULL;
  g_autoptr(GHashTable) peers = NULL;
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  guint64 version = 0;
  guint n_datagrams = 0;

  for (guint i = 0; i < N; i++)
    {
      g_autofree char *where = g_strdup_printf ("198.18.0.1:%u", 10000 + i);
      NatterEndpoint cands[NATTER_WIRE_MAX_CANDIDATES];
      g_autoptr(GArray) reg_out = NULL;

      for (guint j = 0; j < NATTER_WIRE_MAX_CANDIDATES; j++)
        {
          g_autofree char *text = NULL;

          if (j % 2)
            text = g_strdup_printf ("[fd00:1234:5678:9abc::%x]:%u", i, 10000 + i);
          else
            text = g_strdup_printf ("10.%u.%u.%u:%u", j, i / 250, i % 250, 10000 + i);
          cands[j] = ep (text);
        }
      g_ptr_array_add (ids, split_id (i, long_ids));
      clients[i] = client (ids->pdata[i], where);
      reg_out = register_full (core, &clients[i], cands,
                               with_candidates ? NATTER_WIRE_MAX_CANDIDATES : 0, NOW);
      assert_all_small (reg_out);
    }
  g_assert_cmpuint (natter_registry_size (registry (core)), ==, N);

  /* the first client hears of the other N - 1 in one flush */
  natter_core_flush (core);
  out = take (core);
  assert_all_small (out);
  events = collect_events (out, &clients[0].ep);
  g_assert_cmpuint (count_to (out, &clients[0].ep), >, 1);
  g_assert_cmpuint (events->len, ==, N - 1);
  for (guint i = 0; i < events->len; i++)
    {
      const EventCopy *event = &g_array_index (events, EventCopy, i);

      g_assert_cmpint (event->kind, ==, NATTER_EVENT_JOIN);
      g_assert_cmpuint (event->version, ==, clients[0].version + 1 + i);
      g_assert_false (g_hash_table_contains (seen, event->id));
      g_hash_table_add (seen, event->id);
      g_assert_cmpstr (event->id, ==, clients[i + 1].id);
      g_assert_cmpuint (event->peer.n_candidates, ==,
                        with_candidates ? NATTER_WIRE_MAX_CANDIDATES : 0);
    }
  /* and the last one of nobody */
  g_assert_cmpuint (count_to (out, &clients[N - 1].ep), ==, 0);
  g_clear_pointer (&out, g_array_unref);

  /* every LIST part of a resync fits, and together they hold everyone once */
  request (core, &clients[0], NATTER_MSG_RESYNC, NULL, NULL, 0, NOW + NATTER_LIST_FRESH_MS);
  out = take (core);
  n_datagrams = out->len;
  assert_all_small (out);
  peers = collect_list (out, &clients[0].ep, &version);
  g_assert_cmpuint (n_datagrams, >, 1);
  g_assert_cmpuint (g_hash_table_size (peers), ==, N);
  for (guint i = 0; i < N; i++)
    {
      const PeerCopy *peer = peer_in (peers, clients[i].id);

      assert_ep (&peer->ep, &clients[i].ep);
      g_assert_cmpuint (peer->n_candidates, ==, with_candidates ? NATTER_WIRE_MAX_CANDIDATES : 0);
    }

}

static void
test_split_long (void)
{
  check_split (TRUE, TRUE);
}

static void
test_split_short (void)
{
  check_split (FALSE, FALSE);
}

static void
test_split_mixed (void)
{
  check_split (TRUE, FALSE);
}

/* The classic protocol */

static NatterEntry *
classic_join (NatterCore *core,
              const char *text,
              const char *from_text,
              gint64      now,
              GArray    **out)
{
  NatterEndpoint from = ep (from_text);
  g_auto(NatterClassicMsg) parsed = { 0 };
  NatterEntry *entry;

  g_assert_true (natter_classic_parse ((const guint8 *) text, strlen (text),
                                       NATTER_CLASSIC_TO_SERVER, &parsed, NULL));
  handle_text (core, text, &from, now);
  *out = take (core);
  g_assert_cmpuint (count_to (*out, &from), ==, (*out)->len);
  entry = natter_registry_lookup (registry (core), parsed.id);
  g_assert_nonnull (entry);
  g_assert_true (entry->classic);
  assert_ep (&entry->public_endpoint, &from);
  return entry;
}

static void
test_classic (void)
{
  g_autoptr(NatterCore) core = core_new ();
  Client alice = client ("alice", "198.18.0.1:4000");
  Client carol = client ("carol", "198.19.0.1:5000");
  NatterEndpoint alice_cand = ep ("10.0.0.2:4000");
  NatterEndpoint bob_ep = ep ("198.18.0.1:10081");
  NatterEndpoint bob_private = ep ("10.0.0.3:10081");
  NatterEntry *bob;
  g_autoptr(GArray) out = NULL;
  g_autoptr(GPtrArray) texts = NULL;
  g_autoptr(GArray) events = NULL;
  const EventCopy *event;

  join (core, &alice, &alice_cand, 1, NOW);
  flush_and_drop (core);

  /* the assignment's registration: the newcomer hears of everyone */
  bob = classic_join (core, "bob 10.0.0.3", "198.18.0.1:10081", NOW, &out);
  g_assert_cmpuint (bob->n_candidates, ==, 1);
  assert_ep (&bob->candidates[0], &bob_private);
  texts = collect_texts (out, &bob_ep);
  g_assert_cmpuint (texts->len, ==, out->len);
  g_assert_true (has_text (texts, "alice 198.18.0.1:4000"));
  /* same public address, private addresses in one /24 */
  g_assert_true (has_text (texts, "alice@private:10.0.0.2"));
  g_assert_cmpuint (texts->len, ==, 2);
  g_clear_pointer (&out, g_array_unref);
  g_clear_pointer (&texts, g_ptr_array_unref);

  /* then everyone hears of the newcomer, each in its own protocol */
  natter_core_flush (core);
  out = take (core);
  texts = collect_texts (out, &bob_ep);
  g_assert_true (has_text (texts, "bob 198.18.0.1:10081"));
  event = only_event (out, &alice.ep, &events);
  g_assert_cmpint (event->kind, ==, NATTER_EVENT_JOIN);
  g_assert_cmpstr (event->id, ==, "bob");
  assert_ep (&event->peer.ep, &bob_ep);
  g_assert_cmpuint (event->peer.flags & NATTER_PEER_FLAG_CLASSIC, !=, 0);
  g_assert_cmpuint (event->peer.n_candidates, ==, 1);
  assert_ep (&event->peer.candidates[0], &bob_private);
  g_clear_pointer (&out, g_array_unref);
  g_clear_pointer (&texts, g_ptr_array_unref);
  g_clear_pointer (&events, g_array_unref);

  /* a native newcomer: its LIST marks bob, bob hears it as text */
  out = register_full (core, &carol, NULL, 0, NOW);
  {
    g_autoptr(GHashTable) peers = NULL;
    guint64 version;

    peers = collect_list (out, &carol.ep, &version);
    g_assert_cmpuint (peer_in (peers, "bob")->flags, ==, NATTER_PEER_FLAG_CLASSIC);
    g_assert_cmpuint (peer_in (peers, "alice")->flags, ==, 0);
  }
  g_clear_pointer (&out, g_array_unref);
  natter_core_flush (core);
  out = take (core);
  texts = collect_texts (out, &bob_ep);
  g_assert_true (has_text (texts, "carol 198.19.0.1:5000"));
  g_assert_false (has_text_prefix (texts, "carol@private:"));
  g_assert_cmpuint (texts->len, ==, 1);
  g_assert_cmpuint (count_to (out, &bob_ep), ==, 1);
}

static void
test_classic_private_rule (void)
{
  g_autoptr(NatterCore) core = core_new ();
  Client alice = client ("alice", "198.18.0.1:4000");
  Client carol = client ("carol", "198.19.0.1:5000");
  NatterEndpoint alice_cands[2] = { ep ("[fd00::2]:4000"), ep ("10.0.0.2:4000") };
  NatterEndpoint carol_cand = ep ("10.0.0.9:5000");
  NatterEndpoint bob_ep = ep ("198.18.0.1:10081");
  NatterEndpoint dave_ep = ep ("198.18.0.1:10082");
  NatterEndpoint erin_ep = ep ("198.18.0.1:10083");
  g_autoptr(GArray) out = NULL;
  g_autoptr(GPtrArray) texts = NULL;

  join (core, &alice, alice_cands, 2, NOW);
  join (core, &carol, &carol_cand, 1, NOW);
  classic_join (core, "bob 10.0.0.3", "198.18.0.1:10081", NOW, &out);
  g_clear_pointer (&out, g_array_unref);
  flush_and_drop (core);

  /* same public address, another /24: public lines only */
  classic_join (core, "dave 10.0.1.5", "198.18.0.1:10082", NOW, &out);
  texts = collect_texts (out, &dave_ep);
  g_assert_true (has_text (texts, "alice 198.18.0.1:4000"));
  g_assert_true (has_text (texts, "bob 198.18.0.1:10081"));
  g_assert_true (has_text (texts, "carol 198.19.0.1:5000"));
  g_assert_false (has_text_prefix (texts, "alice@"));
  g_assert_false (has_text_prefix (texts, "bob@"));
  /* carol's private address is in the /24, but her public one differs */
  g_assert_false (has_text_prefix (texts, "carol@"));
  g_assert_cmpuint (texts->len, ==, 3);
  g_clear_pointer (&out, g_array_unref);
  g_clear_pointer (&texts, g_ptr_array_unref);

  natter_core_flush (core);
  out = take (core);
  texts = collect_texts (out, &bob_ep);
  g_assert_true (has_text (texts, "dave 198.18.0.1:10082"));
  g_assert_false (has_text_prefix (texts, "dave@private:"));
  g_clear_pointer (&out, g_array_unref);
  g_clear_pointer (&texts, g_ptr_array_unref);

  /* same public address and /24: the private lines too */
  classic_join (core, "erin 10.0.0.7", "198.18.0.1:10083", NOW, &out);
  texts = collect_texts (out, &erin_ep);
  g_assert_true (has_text (texts, "alice@private:10.0.0.2"));
  g_assert_true (has_text (texts, "bob@private:10.0.0.3"));
  g_assert_false (has_text_prefix (texts, "dave@"));
  g_assert_false (has_text_prefix (texts, "carol@"));
  g_assert_cmpuint (texts->len, ==, 6);
  g_clear_pointer (&out, g_array_unref);
  g_clear_pointer (&texts, g_ptr_array_unref);

  natter_core_flush (core);
  out = take (core);
  texts = collect_texts (out, &bob_ep);
  g_assert_true (has_text (texts, "erin 198.18.0.1:10083"));
  g_assert_true (has_text (texts, "erin@private:10.0.0.7"));
  g_assert_cmpuint (texts->len, ==, 2);
  g_clear_pointer (&texts, g_ptr_array_unref);
  texts = collect_texts (out, &dave_ep);
  g_assert_true (has_text (texts, "erin 198.18.0.1:10083"));
  g_assert_cmpuint (texts->len, ==, 1);
}

static void
test_classic_keepalive_exit (void)
{
  g_autoptr(NatterCore) core = core_new ();
  Client alice = client ("alice", "198.18.0.1:4000");
  NatterEndpoint bob_ep = ep ("198.18.0.1:10081");
  NatterEndpoint dave_ep = ep ("198.18.0.2:10081");
  NatterEndpoint elsewhere = ep ("198.18.0.66:10081");
  NatterEntry *bob;
  g_autoptr(GArray) out = NULL;
  g_autoptr(GPtrArray) texts = NULL;
  g_autoptr(GArray) events = NULL;
  const EventCopy *event;
  guint64 version;

  join (core, &alice, NULL, 0, NOW);
  bob = classic_join (core, "bob 10.0.0.3", "198.18.0.1:10081", NOW, &out);
  g_clear_pointer (&out, g_array_unref);
  classic_join (core, "dave 10.0.0.4", "198.18.0.2:10081", NOW, &out);
  g_clear_pointer (&out, g_array_unref);
  flush_and_drop (core);
  version = natter_registry_version (registry (core));

  /* from anywhere else these are somebody else's words */
  handle_text (core, "bob@keepalive", &elsewhere, NOW + 5000);
  handle_text (core, "bob @exit", &elsewhere, NOW + 5000);
  handle_text (core, "bob @exit", &dave_ep, NOW + 5000);
  handle_text (core, "BOB @exit", &elsewhere, NOW + 5000);
  /* a native client's session is not for classic words either */
  handle_text (core, "alice @exit", &alice.ep, NOW + 5000);
  handle_text (core, "alice@keepalive", &alice.ep, NOW + 5000);
  natter_core_flush (core);
  expect_nothing (core);
  g_assert_cmpuint (natter_core_get_stats (core)->unauthenticated, ==, 6);
  g_assert_true (natter_registry_lookup (registry (core), "bob") == bob);
  g_assert_cmpint (bob->deadline_ms, ==, NOW + TIMEOUT);
  g_assert_nonnull (natter_registry_authenticate (registry (core), "alice", alice.token));
  g_assert_cmpint (natter_registry_lookup (registry (core), "alice")->deadline_ms, ==,
                   NOW + TIMEOUT);
  g_assert_cmpuint (natter_registry_version (registry (core)), ==, version);

  /* from bob's own endpoint they count (and a trailing newline is fine) */
  handle_text (core, "bob@keepalive\n", &bob_ep, NOW + 6000);
  g_assert_cmpint (bob->deadline_ms, ==, NOW + 6000 + TIMEOUT);
  expect_nothing (core);

  handle_text (core, "bob @exit", &bob_ep, NOW + 7000);
  g_assert_null (natter_registry_lookup (registry (core), "bob"));
  natter_core_flush (core);
  out = take (core);
  texts = collect_texts (out, &dave_ep);
  g_assert_cmpuint (texts->len, ==, 1);
  g_assert_cmpstr (texts->pdata[0], ==, "bob is unregistered 198.18.0.1:10081");
  event = only_event (out, &alice.ep, &events);
  g_assert_cmpint (event->kind, ==, NATTER_EVENT_LEAVE);
  g_assert_cmpstr (event->id, ==, "bob");
  /* the assignment's client waits for its own line to stop, so it hears it
   * at once and once more a little later */
  g_clear_pointer (&texts, g_ptr_array_unref);
  texts = collect_texts (out, &bob_ep);
  g_assert_cmpuint (count_to (out, &bob_ep), ==, 1);
  g_assert_cmpstr (texts->pdata[0], ==, "bob is unregistered 198.18.0.1:10081");
  g_clear_pointer (&out, g_array_unref);
  g_clear_pointer (&texts, g_ptr_array_unref);

  g_assert_cmpint (natter_core_next_deadline (core), >, NOW + 7000);
  g_assert_cmpint (natter_core_next_deadline (core), <, NOW + 7000 + INTERVAL);
  natter_core_expire (core, natter_core_next_deadline (core) - 1);
  expect_nothing (core);
  natter_core_expire (core, natter_core_next_deadline (core));
  out = take (core);
  texts = collect_texts (out, &bob_ep);
  g_assert_cmpuint (out->len, ==, 1);
  g_assert_cmpuint (texts->len, ==, 1);
  g_assert_cmpstr (texts->pdata[0], ==, "bob is unregistered 198.18.0.1:10081");
  /* and that was all */
  natter_core_expire (core, NOW + 7000 + INTERVAL);
  expect_nothing (core);
  g_assert_cmpint (natter_core_next_deadline (core), ==, NOW + TIMEOUT);
}

static void
test_classic_timeout (void)
{
  g_autoptr(NatterCore) core = core_new ();
  Client alice = client ("alice", "198.18.0.1:4000");
  NatterEndpoint dave_ep = ep ("198.18.0.2:10081");
  g_autoptr(GArray) out = NULL;
  g_autoptr(GPtrArray) texts = NULL;
  g_autoptr(GArray) events = NULL;

  join (core, &alice, NULL, 0, NOW);
  classic_join (core, "bob 10.0.0.3", "198.18.0.1:10081", NOW, &out);
  g_clear_pointer (&out, g_array_unref);
  classic_join (core, "dave 10.0.0.4", "198.18.0.2:10081", NOW, &out);
  g_clear_pointer (&out, g_array_unref);
  flush_and_drop (core);

  request (core, &alice, NATTER_MSG_KEEPALIVE, NULL, NULL, 0, NOW + 30000);
  handle_text (core, "dave@keepalive", &dave_ep, NOW + 30000);
  flush_and_drop (core);

  natter_core_expire (core, NOW + TIMEOUT);
  natter_core_flush (core);
  out = take (core);
  texts = collect_texts (out, &dave_ep);
  g_assert_cmpuint (texts->len, ==, 1);
  g_assert_cmpstr (texts->pdata[0], ==, "bob is off-line 198.18.0.1:10081");
  g_assert_cmpint (only_event (out, &alice.ep, &events)->kind, ==, NATTER_EVENT_TIMEOUT);
  g_assert_cmpuint (natter_registry_size (registry (core)), ==, 2);
}

static void
test_classic_peer_limits (void)
{
  g_autoptr(NatterCore) core = core_new ();
  Client alice = client ("alice", "198.18.0.1:4000");
  NatterEndpoint bob_ep = ep ("198.18.0.1:10081");
  NatterEndpoint other = ep ("198.18.0.9:10081");
  g_autoptr(GArray) out = NULL;
  g_auto(NatterMsg) msg = { 0 };

  join (core, &alice, NULL, 0, NOW);
  classic_join (core, "bob 10.0.0.3", "198.18.0.1:10081", NOW, &out);
  g_clear_pointer (&out, g_array_unref);
  flush_and_drop (core);

  /* only the asking side learns, and there is no key to share */
  request (core, &alice, NATTER_MSG_INTRO, "bob", NULL, 0, NOW);
  out = take (core);
  expect_only (out, &alice.ep, NATTER_MSG_INTRODUCE, &msg);
  g_assert_cmpstr (msg.id, ==, "bob");
  g_assert_true (msg.classic);
  g_assert_null (msg.key);
  assert_ep (&msg.endpoint, &bob_ep);
  g_clear_pointer (&out, g_array_unref);

  request (core, &alice, NATTER_MSG_RELAY, "bob", "x", 1, NOW);
  out = take (core);
  expect_error (out, &alice.ep, NATTER_ERR_CLASSIC_PEER);
  g_clear_pointer (&out, g_array_unref);

  /* the ID is bob's, whichever protocol asks for it */
  handle_text (core, "bob 10.0.0.8", &other, NOW);
  expect_nothing (core);
  assert_ep (&natter_registry_lookup (registry (core), "bob")->public_endpoint, &bob_ep);

  /* the shutdown notice goes to native clients only */
  natter_core_shutdown (core);
  out = take (core);
  natter_msg_clear (&msg);
  expect_only (out, &alice.ep, NATTER_MSG_SHUTDOWN, &msg);
}

static void
test_classic_disabled (void)
{
  g_autoptr(NatterCore) core = core_new_full (1000, TRUE, FALSE);
  NatterEndpoint from = ep ("198.18.0.1:10081");

  handle_text (core, "bob 10.0.0.3", &from, NOW);
  expect_nothing (core);
  g_assert_cmpuint (natter_registry_size (registry (core)), ==, 0);
  g_assert_cmpuint (natter_core_get_stats (core)->invalid, ==, 1);
}

/* STUN and hostile input */

static void
check_stun (gboolean    rfc3489,
            const char *source)
{
  g_autoptr(NatterCore) core = core_new ();
  NatterEndpoint from = ep (source);
  NatterEndpoint mapped;
  static const guint8 tid[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };
  guint8 req[NATTER_STUN_HEADER_SIZE];
  gsize len = natter_stun_build_binding_request (rfc3489, tid, req, sizeof req);
  g_autoptr(GArray) out = NULL;
  GBytes *reply;

  g_assert_cmpuint (len, ==, NATTER_STUN_HEADER_SIZE);
  handle_raw (core, req, len, &from, NOW);
  out = take (core);
  g_assert_cmpuint (out->len, ==, 1);
  g_assert_cmpuint (count_to (out, &from), ==, 1);
  reply = g_array_index (out, NatterOutgoing, 0).data;
  g_assert_cmpuint (g_bytes_get_size (reply), <=, NATTER_STUN_MAX_RESPONSE);
  g_assert_true (natter_stun_parse_binding_response (g_bytes_get_data (reply, NULL),
                                                     g_bytes_get_size (reply),
                                                     rfc3489, tid, &mapped));
  assert_ep (&mapped, &from);
  g_assert_cmpuint (natter_core_get_stats (core)->stun, ==, 1);
  g_assert_cmpuint (natter_registry_size (registry (core)), ==, 0);
}

static void
test_stun (void)
{
  check_stun (FALSE, "198.18.0.1:4000");
  check_stun (TRUE, "198.18.0.1:4000");
  check_stun (FALSE, "[2001:db8::7]:65535");
  check_stun (TRUE, "[2001:db8::7]:1");
}

static GBytes *
with_header (guint8        version,
             guint8        type,
             GBytes       *body_from)
{
  gsize len;
  const guint8 *data = g_bytes_get_data (body_from, &len);
  guint8 *copy = g_memdup2 (data, len);

  copy[4] = version;
  copy[5] = type;
  return g_bytes_new_take (copy, len);
}

static void
test_garbage (void)
{
  g_autoptr(NatterCore) core = core_new ();
  NatterEndpoint from = ep ("198.18.0.1:4000");
  const NatterCoreStats *stats = natter_core_get_stats (core);
  g_autoptr(GBytes) reg = register_request ("alice", NULL, 0, NULL, 0, PAD);
  static const guint8 stun_bad_attr[24] = { 0, 1, 0, 4, 0x21, 0x12, 0xa4, 0x42,
                                            1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
                                            0, 0x20, 0, 8 };
  static const guint8 stun_response[20] = { 1, 1, 0, 0, 0x21, 0x12, 0xa4, 0x42 };
  static const guint8 native_short[] = { 0xff, 'N', 'T', 'R', 1 };
  static const guint8 not_normal[] = { 0xff, 'N', 'T', 'R', 1, 1, 0xde, 0xad, 0xbe, 0xef, 0x01 };
  const char *classic_bad[] = { "hello", "bob@chat hi", "bob 999.1.1.1",
                                "bob is off-line 1.2.3.4:5", "bad id 1.2.3.4", "@exit",
                                " bob 1.2.3.4", "bob@keepalive extra" };
  guint8 big[NATTER_WIRE_MAX_SIZE + 100];
  guint64 expected;

  /* neither native, classic nor STUN */
  handle_raw (core, "", 0, &from, NOW);
  handle_raw (core, "\x01\x02\x03", 3, &from, NOW);
  handle_raw (core, "\xff", 1, &from, NOW);
  handle_raw (core, "\xffNT", 3, &from, NOW);
  handle_raw (core, "\x1f\x00\x00\x00\x00\x00", 6, &from, NOW);
  handle_raw (core, "\x7f" "bob 1.2.3.4", 12, &from, NOW);
  g_assert_cmpuint (stats->invalid, ==, 6);

  /* native, but not for this server */
  {
    g_autoptr(GBytes) v0 = with_header (0, NATTER_MSG_REGISTER, reg);
    g_autoptr(GBytes) v2 = with_header (2, NATTER_MSG_REGISTER, reg);
    g_autoptr(GBytes) v255 = with_header (255, NATTER_MSG_REGISTER, reg);

    handle (core, v0, &from, NOW);
    handle (core, v2, &from, NOW);
    handle (core, v255, &from, NOW);
    g_assert_cmpuint (stats->bad_version, ==, 3);
  }
  expected = 0;
  for (guint type = 0; type < 256; type++)
    {
      g_autoptr(GBytes) odd = NULL;

      if ((type >= NATTER_MSG_REGISTER && type <= NATTER_MSG_RELAY) ||
          (type >= NATTER_MSG_COOKIE && type <= NATTER_MSG_SHUTDOWN) || type == NATTER_MSG_PEER)
        continue;
      odd = with_header (NATTER_WIRE_VERSION, type, reg);
      handle (core, odd, &from, NOW);
      expected++;
    }
  g_assert_cmpuint (stats->unknown_type, ==, expected);

  /* messages a server sends, or peers send each other */
  {
    GVariantBuilder b;
    NatterEndpoint some = ep ("198.18.0.5:5");
    guint8 ck[20] = { 0 };
    GBytes *server_side[6];

    g_variant_builder_init (&b, G_VARIANT_TYPE_VARDICT);
    natter_wire_add_bytes (&b, "ck", ck, sizeof ck);
    server_side[0] = natter_wire_encode (NATTER_MSG_COOKIE, g_variant_builder_end (&b));
    server_side[1] = natter_wire_error (NATTER_ERR_BAD_REQUEST, "no");
    g_variant_builder_init (&b, G_VARIANT_TYPE_VARDICT);
    natter_wire_add_u64 (&b, "ver", 1);
    natter_wire_add_endpoint (&b, "ep", &some);
    server_side[2] = natter_wire_encode (NATTER_MSG_ALIVE, g_variant_builder_end (&b));
    g_variant_builder_init (&b, G_VARIANT_TYPE_VARDICT);
    natter_wire_add_string (&b, "id", "bob");
    natter_wire_add_bytes (&b, "data", ck, 4);
    server_side[3] = natter_wire_encode (NATTER_MSG_RELAYED, g_variant_builder_end (&b));
    g_variant_builder_init (&b, G_VARIANT_TYPE_VARDICT);
    server_side[4] = natter_wire_encode (NATTER_MSG_SHUTDOWN, g_variant_builder_end (&b));
    g_variant_builder_init (&b, G_VARIANT_TYPE_VARDICT);
    natter_wire_add_string (&b, "id", "bob");
    natter_wire_add_string (&b, "to", "alice");
    natter_wire_add_bytes (&b, "mac", ck, NATTER_WIRE_MAC_SIZE);
    natter_wire_add_bytes (&b, "p", ck, 4);
    server_side[5] = natter_wire_encode (NATTER_MSG_PEER, g_variant_builder_end (&b));
    for (guint i = 0; i < G_N_ELEMENTS (server_side); i++)
      {
        handle (core, server_side[i], &from, NOW);
        g_bytes_unref (server_side[i]);
      }
    expected += G_N_ELEMENTS (server_side);
    g_assert_cmpuint (stats->unknown_type, ==, expected);
  }

  /* native and broken */
  expected = stats->malformed;
  handle_raw (core, native_short, sizeof native_short, &from, NOW);
  handle_raw (core, not_normal, sizeof not_normal, &from, NOW);
  memset (big, 0, sizeof big);
  memcpy (big, "\xffNTR\x01\x01", 6);
  handle_raw (core, big, sizeof big, &from, NOW);
  {
    GVariantBuilder b;
    g_autoptr(GBytes) no_id = NULL;
    g_autoptr(GBytes) wrong_type = NULL;
    g_autoptr(GBytes) short_token = NULL;

    g_variant_builder_init (&b, G_VARIANT_TYPE_VARDICT);
    add_pad (&b, PAD);
    no_id = natter_wire_encode (NATTER_MSG_REGISTER, g_variant_builder_end (&b));
    g_variant_builder_init (&b, G_VARIANT_TYPE_VARDICT);
    natter_wire_add_u32 (&b, "id", 7);
    add_pad (&b, PAD);
    wrong_type = natter_wire_encode (NATTER_MSG_REGISTER, g_variant_builder_end (&b));
    g_variant_builder_init (&b, G_VARIANT_TYPE_VARDICT);
    natter_wire_add_string (&b, "id", "alice");
    natter_wire_add_bytes (&b, "tok", (const guint8 *) "short", 5);
    short_token = natter_wire_encode (NATTER_MSG_KEEPALIVE, g_variant_builder_end (&b));
    handle (core, no_id, &from, NOW);
    handle (core, wrong_type, &from, NOW);
    handle (core, short_token, &from, NOW);
  }
  g_assert_cmpuint (stats->malformed, ==, expected + 6);

  /* STUN-shaped but not a request we answer */
  expected = stats->malformed;
  handle_raw (core, stun_bad_attr, sizeof stun_bad_attr, &from, NOW);
  handle_raw (core, stun_response, sizeof stun_response, &from, NOW);
  g_assert_cmpuint (stats->stun, ==, 2);
  g_assert_cmpuint (stats->malformed, ==, expected + 2);

  /* classic text that is not a request */
  expected = stats->malformed;
  for (guint i = 0; i < G_N_ELEMENTS (classic_bad); i++)
    handle_text (core, classic_bad[i], &from, NOW);
  g_assert_cmpuint (stats->malformed, ==, expected + G_N_ELEMENTS (classic_bad));

  expect_nothing (core);
  g_assert_cmpuint (natter_registry_size (registry (core)), ==, 0);
  g_assert_false (natter_core_has_output (core));
  g_assert_cmpuint (stats->sent, ==, 0);
}

static void
test_port_zero (void)
{
  g_autoptr(NatterCore) core = core_new ();
  NatterEndpoint from = ep ("198.18.0.1:0");
  g_autoptr(GBytes) reg = register_request ("alice", NULL, 0, NULL, 0, PAD);
  static const guint8 tid[12] = { 0 };
  guint8 stun[NATTER_STUN_HEADER_SIZE];

  g_assert_cmpuint (from.port, ==, 0);
  handle (core, reg, &from, NOW);
  handle_text (core, "bob 10.0.0.3", &from, NOW);
  handle_raw (core, stun, natter_stun_build_binding_request (FALSE, tid, stun, sizeof stun),
              &from, NOW);
  expect_nothing (core);
  g_assert_cmpuint (natter_registry_size (registry (core)), ==, 0);
  g_assert_cmpuint (natter_core_get_stats (core)->received, ==, 3);
  g_assert_cmpuint (natter_core_get_stats (core)->invalid, ==, 3);
}

/* Amplification: nothing unproven gets back more than it sent */

typedef struct
{
  NatterCore *core;
  guint       n_sources;
  guint       n_checked;
  guint       n_answered;
} Amp;

static void
amp_check (Amp          *amp,
           const guint8 *data,
           gsize         len,
           gsize         allowed)
{
  g_autofree char *where = g_strdup_printf ("198.18.%u.%u:%u", 100 + amp->n_sources / 250,
                                            amp->n_sources % 250 + 1, 7000 + amp->n_sources);
  NatterEndpoint from = ep (where);
  guint64 version = natter_registry_version (registry (amp->core));
  guint size = natter_registry_size (registry (amp->core));
  g_autoptr(GArray) out = NULL;

  amp->n_sources++;
  handle_raw (amp->core, data, len, &from, NOW);
  natter_core_flush (amp->core);
  out = take (amp->core);
  /* nothing to anyone else, no state, no more bytes than came in */
  g_assert_cmpuint (count_to (out, &from), ==, out->len);
  if (bytes_to (out, &from) > allowed)
    g_test_message ("request of %" G_GSIZE_FORMAT " bytes starting %02x %02x got too much back",
                    len, data[0], len > 1 ? data[1] : 0);
  g_assert_cmpuint (bytes_to (out, &from), <=, allowed);
  g_assert_cmpuint (natter_registry_version (registry (amp->core)), ==, version);
  g_assert_cmpuint (natter_registry_size (registry (amp->core)), ==, size);
  amp->n_checked++;
  if (out->len > 0)
    amp->n_answered++;
}

static void
amp_bytes (Amp    *amp,
           GBytes *datagram)
{
  g_assert_nonnull (datagram);
  amp_check (amp, g_bytes_get_data (datagram, NULL), g_bytes_get_size (datagram),
             g_bytes_get_size (datagram));
  g_bytes_unref (datagram);
}

static void
test_amplification (void)
{
  g_autoptr(NatterCore) core = core_new ();
  Amp amp = { core, 0, 0, 0 };
  Client alice = client ("alice", "198.18.0.1:4000");
  Client bob = client ("bob", "198.18.0.2:4000");
  const char *ids[] = { "a", "alice", "bob", "nobody-at-all", "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345" };
  NatterMsgType auth_types[] = { NATTER_MSG_KEEPALIVE, NATTER_MSG_RESYNC, NATTER_MSG_BYE,
                                 NATTER_MSG_INTRO, NATTER_MSG_RELAY };
  guint8 bad_token[NATTER_WIRE_TOKEN_SIZE];
  guint8 bad_cookie[NATTER_WIRE_COOKIE_MAX];
  guint8 data[NATTER_WIRE_MAX_DATA];
  static const guint8 tid[16] = { 9, 9, 9 };
  guint8 stun[NATTER_STUN_HEADER_SIZE];
  NatterEndpoint bob_classic = ep ("198.18.0.3:10081");
  g_autoptr(GArray) out = NULL;

  /* a populated server, so that a list would be worth stealing */
  join (core, &alice, NULL, 0, NOW);
  join (core, &bob, NULL, 0, NOW);
  for (guint i = 0; i < 20; i++)
    {
      g_autofree char *id = g_strdup_printf ("filler%u", i);
      g_autofree char *where = g_strdup_printf ("198.18.1.%u:4000", i + 1);
      Client c = client (id, where);

      join (core, &c, NULL, 0, NOW);
    }
  classic_join (core, "carol 10.0.0.3", "198.18.0.3:10081", NOW, &out);
  flush_and_drop (core);
  memset (bad_token, 0x5a, sizeof bad_token);
  memset (bad_cookie, 0xa5, sizeof bad_cookie);
  memset (data, 'd', sizeof data);

  /* REGISTER without a cookie, or with a bad one, of every size */
  for (guint i = 0; i < G_N_ELEMENTS (ids); i++)
    for (gsize pad = 0; pad <= 160; pad += 3)
      {
        amp_bytes (&amp, register_request (ids[i], NULL, 0, NULL, 0, pad));
        amp_bytes (&amp, register_request (ids[i], bad_cookie, 1 + pad % NATTER_WIRE_COOKIE_MAX,
                                           NULL, 0, pad));
      }

  /* session requests with a made-up token, of every size */
  for (guint i = 0; i < G_N_ELEMENTS (ids); i++)
    for (guint t = 0; t < G_N_ELEMENTS (auth_types); t++)
      {
        const char *to = auth_types[t] == NATTER_MSG_INTRO ||
                         auth_types[t] == NATTER_MSG_RELAY ? "bob" : NULL;

        amp_bytes (&amp, natter_wire_auth_request (auth_types[t], ids[i], bad_token, to,
                                                   auth_types[t] == NATTER_MSG_RELAY ? data : NULL,
                                                   auth_types[t] == NATTER_MSG_RELAY ? 1 : 0, 0));
        for (gsize pad = 0; pad <= 64; pad += 8)
          amp_bytes (&amp, padded_auth_request (auth_types[t], ids[i], bad_token, to, pad));
      }
  amp_bytes (&amp, natter_wire_auth_request (NATTER_MSG_RELAY, "a", bad_token, "b", data,
                                             900, 0));
  /* alice's ID with her token, from somewhere else, is a move, not this;
   * with a token one bit off it is a stranger */
  memcpy (bad_token, alice.token, sizeof bad_token);
  bad_token[NATTER_WIRE_TOKEN_SIZE - 1] ^= 1;
  for (guint t = 0; t < G_N_ELEMENTS (auth_types); t++)
    amp_bytes (&amp, natter_wire_auth_request (auth_types[t], "alice", bad_token, "bob",
                                               data, 1, 0));

  /* garbage of every size and kind */
  for (gsize len = 1; len <= 300; len++)
    {
      g_autofree guint8 *junk = g_malloc (len);

      for (gsize i = 0; i < len; i++)
        junk[i] = g_test_rand_int_range (0, 256);
      if (len % 3 == 0 && len >= 4)
        memcpy (junk, "\xffNTR", 4);
      amp_check (&amp, junk, len, len);
    }

  /* classic words from the wrong place */
  {
    const char *texts[] = { "carol@keepalive", "carol @exit", "alice@keepalive", "alice @exit",
                            "nobody@keepalive", "nobody @exit" };

    for (guint i = 0; i < G_N_ELEMENTS (texts); i++)
      amp_check (&amp, (const guint8 *) texts[i], strlen (texts[i]), strlen (texts[i]));
  }
  g_assert_nonnull (natter_registry_lookup (registry (core), "carol"));
  assert_ep (&natter_registry_lookup (registry (core), "carol")->public_endpoint, &bob_classic);

  /* STUN is the exception the protocol allows, within its bound */
  amp_check (&amp, stun, natter_stun_build_binding_request (FALSE, tid, stun, sizeof stun),
             NATTER_STUN_MAX_RESPONSE);
  amp_check (&amp, stun, natter_stun_build_binding_request (TRUE, tid, stun, sizeof stun),
             NATTER_STUN_MAX_RESPONSE);

  g_test_message ("%u requests checked, %u answered", amp.n_checked, amp.n_answered);
  g_assert_cmpuint (amp.n_answered, >, 0);
  g_assert_nonnull (natter_registry_authenticate (registry (core), "alice", alice.token));
}

/* Off-path spoofing: somebody who knows a client's public endpoint (every
 * registered client does, from the LIST) and can forge a datagram's source
 * address must not be able to end that client's session or steer traffic
 * to an address that never asked for it. */

static void
test_spoofed_classic_register (void)
{
  g_autoptr(NatterCore) core = core_new ();
  Client alice = client ("alice", "198.18.0.1:4000");
  Client bob = client ("bob", "198.18.0.2:4000");
  g_autoptr(GArray) out = NULL;
  g_autoptr(GArray) events = NULL;

  join (core, &alice, NULL, 0, NOW);
  join (core, &bob, NULL, 0, NOW);
  flush_and_drop (core);

  /* classic text carries no proof of its source */
  handle_text (core, "mallory 10.0.0.9", &alice.ep, NOW);
  handle_text (core, "alice 10.0.0.9", &bob.ep, NOW);
  natter_core_flush (core);
  out = take (core);
  events = collect_events (out, &bob.ep);
  for (guint i = 0; i < events->len; i++)
    g_assert_cmpstr (g_array_index (events, EventCopy, i).id, !=, "alice");
  g_assert_nonnull (natter_registry_authenticate (registry (core), "alice", alice.token));
  g_assert_nonnull (natter_registry_authenticate (registry (core), "bob", bob.token));
}

static void
test_spoofed_classic_reregister (void)
{
  g_autoptr(NatterCore) core = core_new ();
  Client alice = client ("alice", "198.18.0.1:4000");
  NatterEntry *entry;

  join (core, &alice, NULL, 0, NOW);
  flush_and_drop (core);

  /* alice's own ID from alice's endpoint, in the text protocol */
  handle_text (core, "alice 10.0.0.9", &alice.ep, NOW);
  flush_and_drop (core);
  entry = natter_registry_lookup (registry (core), "alice");
  g_assert_nonnull (entry);
  g_assert_false (entry->classic);
  g_assert_true (natter_registry_authenticate (registry (core), "alice", alice.token) == entry);
}

static void
test_spoofed_keepalive_evicts (void)
{
  g_autoptr(NatterCore) core = core_new ();
  Client alice = client ("alice", "198.18.0.1:4000");
  Client mallory = client ("mallory", "198.18.0.66:4000");

  join (core, &alice, NULL, 0, NOW);
  join (core, &mallory, NULL, 0, NOW);
  flush_and_drop (core);

  /* mallory's own session, from alice's endpoint */
  mallory.ep = alice.ep;
  request (core, &mallory, NATTER_MSG_KEEPALIVE, NULL, NULL, 0, NOW + 1000);
  flush_and_drop (core);
  g_assert_nonnull (natter_registry_authenticate (registry (core), "alice", alice.token));
}

static void
test_spoofed_keepalive_reflects (void)
{
  g_autoptr(NatterCore) core = core_new ();
  Client mallory = client ("mallory", "198.18.0.66:4000");
  NatterEndpoint victim = ep ("198.18.0.99:53");
  gsize sent = 0;
  g_autoptr(GArray) out = NULL;

  for (guint i = 0; i < 60; i++)
    {
      g_autofree char *id = g_strdup_printf ("client%u", i);
      g_autofree char *where = g_strdup_printf ("198.18.1.%u:4000", i + 1);
      Client c = client (id, where);

      join (core, &c, NULL, 0, NOW);
    }
  join (core, &mallory, NULL, 0, NOW);
  flush_and_drop (core);

  /* mallory moves her session to the victim, then asks for the list */
  {
    g_autoptr(GBytes) ka = natter_wire_auth_request (NATTER_MSG_KEEPALIVE, "mallory",
                                                     mallory.token, NULL, NULL, 0, 0);
    g_autoptr(GBytes) resync = natter_wire_auth_request (NATTER_MSG_RESYNC, "mallory",
                                                         mallory.token, NULL, NULL, 0, 0);

    handle (core, ka, &victim, NOW + 1);
    handle (core, resync, &victim, NOW + 2);
    sent = g_bytes_get_size (ka) + g_bytes_get_size (resync);
  }
  natter_core_flush (core);
  out = take (core);
  g_test_message ("%" G_GSIZE_FORMAT " bytes sent, %" G_GSIZE_FORMAT " reflected to the victim",
                  sent, bytes_to (out, &victim));
  g_assert_cmpuint (bytes_to (out, &victim), <=, sent);
}


/* Per-source budgets: what one address can make the server do */

static NatterCore *
core_new_rates (guint register_rate,
                guint classic_rate)
{
  NatterCoreConfig config;

  natter_core_config_init (&config);
  config.max_peers = 100000;
  config.timeout_ms = TIMEOUT;
  config.interval_ms = INTERVAL;
  config.register_rate = register_rate;
  config.classic_rate = classic_rate;
  return natter_core_new (&config);
}

/* A cookie round trip, then the registration: 0 for WELCOME, otherwise the
 * code of the ERROR that answered it. */
static guint32
try_register (NatterCore           *core,
              const char           *id,
              const NatterEndpoint *from,
              gint64                now)
{
  guint8 cookie[NATTER_WIRE_COOKIE_MAX];
  gsize cookie_len;
  g_autoptr(GBytes) req = NULL;
  g_autoptr(GArray) out = NULL;
  g_auto(NatterMsg) msg = { 0 };

  fetch_cookie (core, id, from, now, cookie, &cookie_len);
  req = register_request (id, cookie, cookie_len, NULL, 0, PAD);
  handle (core, req, from, now);
  out = take (core);
  g_assert_cmpuint (out->len, >, 0);
  g_assert_cmpuint (count_to (out, from), ==, out->len);
  parse_ok (g_array_index (out, NatterOutgoing, 0).data, &msg);
  if (msg.type == NATTER_MSG_WELCOME)
    return 0;
  g_assert_cmpint (msg.type, ==, NATTER_MSG_ERROR);
  g_assert_cmpuint (out->len, ==, 1);
  if (msg.code == NATTER_ERR_RATE_LIMITED)
    g_assert_nonnull (strstr (msg.reason, "Too many registrations"));
  return msg.code;
}

static void
test_register_source_limit (void)
{
  /* 2 registrations per second, bursts of 20 */
  g_autoptr(NatterCore) core = core_new_rates (2, NATTER_CLASSIC_RATE_DEFAULT);
  const guint burst = 2 * NATTER_REGISTER_BURST_SECONDS;
  const NatterCoreStats *stats = natter_core_get_stats (core);
  Client first = client ("n0", "198.18.5.1:5000");
  NatterEndpoint next = ep ("198.18.5.1:6000");
  NatterEndpoint other = ep ("198.18.5.2:6000");
  guint8 bad_cookie[20];
  guint64 version;
  g_autoptr(GArray) out = NULL;
  g_auto(NatterMsg) msg = { 0 };

  join (core, &first, NULL, 0, NOW);
  for (guint i = 1; i < burst; i++)
    {
      g_autofree char *id = g_strdup_printf ("n%u", i);
      g_autofree char *where = g_strdup_printf ("198.18.5.1:%u", 5000 + i);
      NatterEndpoint from = ep (where);

      g_assert_cmpuint (try_register (core, id, &from, NOW), ==, 0);
    }
  flush_and_drop (core);
  g_assert_cmpuint (natter_registry_size (registry (core)), ==, burst);
  g_assert_cmpuint (stats->rate_limited, ==, 0);

  /* the burst is spent, whatever the port: refused with a reason, logged,
   * and nothing changes for anyone */
  version = natter_registry_version (registry (core));
  g_test_expect_message ("natter-server", G_LOG_LEVEL_MESSAGE,
                         "registration of late from 198.18.5.1:6000 refused: too many "
                         "registrations from that address (1 refused*");
  g_assert_cmpuint (try_register (core, "late", &next, NOW), ==, NATTER_ERR_RATE_LIMITED);
  g_test_assert_expected_messages ();
  g_assert_cmpuint (stats->rate_limited, ==, 1);
  g_assert_cmpuint (natter_registry_size (registry (core)), ==, burst);
  g_assert_cmpuint (natter_registry_version (registry (core)), ==, version);
  g_assert_false (natter_core_has_output (core));

  /* registering again from a registered endpoint counts too; the session
   * it already has is untouched */
  g_assert_cmpuint (try_register (core, "n0", &first.ep, NOW + 100), ==, NATTER_ERR_RATE_LIMITED);
  g_assert_nonnull (natter_registry_authenticate (registry (core), "n0", first.token));
  request (core, &first, NATTER_MSG_KEEPALIVE, NULL, NULL, 0, NOW + 100);
  out = take (core);
  expect_only (out, &first.ep, NATTER_MSG_ALIVE, &msg);
  g_clear_pointer (&out, g_array_unref);
  natter_msg_clear (&msg);

  /* the cookie step costs nothing and is still answered, and a request
   * with a bad cookie is not charged: it gets a fresh cookie */
  memset (bad_cookie, 0x5a, sizeof bad_cookie);
  {
    g_autoptr(GBytes) req = register_request ("late", bad_cookie, sizeof bad_cookie, NULL, 0, PAD);

    handle (core, req, &next, NOW + 100);
    out = take (core);
    expect_only (out, &next, NATTER_MSG_COOKIE, &msg);
    g_clear_pointer (&out, g_array_unref);
    natter_msg_clear (&msg);
  }
  g_assert_cmpuint (stats->rate_limited, ==, 2);

  /* another address has a budget of its own */
  g_assert_cmpuint (try_register (core, "elsewhere", &other, NOW + 100), ==, 0);

  /* one token comes back every 500 ms; a refusal less than a second after
   * the last logged one is counted, not logged */
  g_assert_cmpuint (try_register (core, "late", &next, NOW + 499), ==, NATTER_ERR_RATE_LIMITED);
  g_assert_cmpuint (try_register (core, "late", &next, NOW + 510), ==, 0);
  next.port++;
  g_assert_cmpuint (try_register (core, "late2", &next, NOW + 1000), ==, 0);
  g_test_expect_message ("natter-server", G_LOG_LEVEL_MESSAGE,
                         "registration of later from 198.18.5.1:6002 refused: *(3 refused*");
  next.port++;
  g_assert_cmpuint (try_register (core, "later", &next, NOW + 1000), ==, NATTER_ERR_RATE_LIMITED);
  g_test_assert_expected_messages ();
  g_assert_cmpuint (stats->rate_limited, ==, 4);

  /* after burst / rate seconds the whole burst is back, and no more */
  for (guint i = 0; i < burst; i++)
    {
      g_autofree char *id = g_strdup_printf ("m%u", i);
      g_autofree char *where = g_strdup_printf ("198.18.5.1:%u", 7000 + i);
      NatterEndpoint from = ep (where);

      g_assert_cmpuint (try_register (core, id, &from, NOW + 1000 + 10000), ==, 0);
    }
  g_assert_cmpuint (try_register (core, "later", &next, NOW + 1000 + 10000), ==,
                    NATTER_ERR_RATE_LIMITED);
}

static void
test_register_source_limit_ipv6 (void)
{
  g_autoptr(NatterCore) core = core_new_rates (1, NATTER_CLASSIC_RATE_DEFAULT);
  const guint burst = NATTER_REGISTER_BURST_SECONDS;
  NatterEndpoint same64 = ep ("[2001:db8:1:2:ffff:ffff:ffff:ffff]:4000");
  NatterEndpoint next64 = ep ("[2001:db8:1:3::1]:4000");
  NatterEndpoint v4 = ep ("198.18.5.1:4000");

  /* every address of a /64 shares one budget */
  for (guint i = 0; i < burst; i++)
    {
      g_autofree char *id = g_strdup_printf ("v%u", i);
      g_autofree char *where = g_strdup_printf ("[2001:db8:1:2::%x]:%u", i + 1, 4000 + i);
      NatterEndpoint from = ep (where);

      g_assert_cmpuint (try_register (core, id, &from, NOW), ==, 0);
    }
  g_assert_cmpuint (try_register (core, "late", &same64, NOW), ==, NATTER_ERR_RATE_LIMITED);
  /* the next /64, and IPv4, have their own */
  g_assert_cmpuint (try_register (core, "late", &next64, NOW), ==, 0);
  g_assert_cmpuint (try_register (core, "four", &v4, NOW), ==, 0);
}

static void
test_register_source_table (void)
{
  /* 1 registration per second, bursts of 10 */
  g_autoptr(NatterCore) core = core_new_rates (1, NATTER_CLASSIC_RATE_DEFAULT);
  const guint burst = NATTER_REGISTER_BURST_SECONDS;
  Client owner = client ("taken", "198.18.9.9:4000");
  NatterEndpoint busy = ep ("198.18.8.1:4000");
  gint64 t = NOW;

  /* attempts at a taken ID are charged like any other: the check comes
   * before the registry, which keeps this test cheap */
  join (core, &owner, NULL, 0, t);
  flush_and_drop (core);
  for (guint i = 0; i < burst - 1; i++)
    g_assert_cmpuint (try_register (core, "taken", &busy, t), ==, NATTER_ERR_ID_TAKEN);
  g_assert_cmpuint (try_register (core, "taken", &busy, t), ==, NATTER_ERR_ID_TAKEN);
  g_assert_cmpuint (try_register (core, "taken", &busy, t), ==, NATTER_ERR_RATE_LIMITED);

  /* fill the table: the owner's address, `busy` and more, each charged once */
  for (guint i = 0; i < NATTER_REGISTER_SOURCES_MAX - 2; i++)
    {
      g_autofree char *where = g_strdup_printf ("198.19.%u.%u:4000", i / 250, i % 250 + 1);
      NatterEndpoint from = ep (where);

      g_assert_cmpuint (try_register (core, "taken", &from, t), ==, NATTER_ERR_ID_TAKEN);
    }

  /* a second later they have all refilled, `busy` has one token: a new
   * address makes room by forgetting the full ones only */
  t += 1000;
  {
    NatterEndpoint newcomer = ep ("198.18.8.2:4000");

    g_assert_cmpuint (try_register (core, "taken", &newcomer, t), ==, NATTER_ERR_ID_TAKEN);
  }
  g_assert_cmpuint (try_register (core, "taken", &busy, t), ==, NATTER_ERR_ID_TAKEN);
  g_assert_cmpuint (try_register (core, "taken", &busy, t), ==, NATTER_ERR_RATE_LIMITED);

  /* when every remembered address is still active the table is cleared:
   * memory stays bounded, and the limit gets lenient, not stricter */
  for (guint i = 0; i < NATTER_REGISTER_SOURCES_MAX - 2; i++)
    {
      g_autofree char *where = g_strdup_printf ("198.19.%u.%u:4000", 100 + i / 250, i % 250 + 1);
      NatterEndpoint from = ep (where);

      g_assert_cmpuint (try_register (core, "taken", &from, t), ==, NATTER_ERR_ID_TAKEN);
    }
  {
    NatterEndpoint newcomer = ep ("198.18.8.3:4000");

    g_assert_cmpuint (try_register (core, "taken", &newcomer, t), ==, NATTER_ERR_ID_TAKEN);
  }
  for (guint i = 0; i < burst; i++)
    g_assert_cmpuint (try_register (core, "taken", &busy, t), ==, NATTER_ERR_ID_TAKEN);
  g_assert_cmpuint (try_register (core, "taken", &busy, t), ==, NATTER_ERR_RATE_LIMITED);
}

/* Classic text datagrams to `to` that equal text. */
static guint
count_text (GArray               *out,
            const NatterEndpoint *to,
            const char           *text)
{
  g_autoptr(GPtrArray) texts = collect_texts (out, to);
  guint n = 0;

  for (guint i = 0; i < texts->len; i++)
    if (g_strcmp0 (texts->pdata[i], text) == 0)
      n++;
  return n;
}

/* Sends a classic registration; TRUE when it was accepted, which shows as
 * the list line about alice (who is always registered) reaching `from`. */
static gboolean
classic_try (NatterCore *core,
             const char *text,
             const char *from_text,
             gint64      now)
{
  NatterEndpoint from = ep (from_text);
  guint64 version = natter_registry_version (registry (core));
  g_autoptr(GArray) out = NULL;
  gboolean accepted;

  handle_text (core, text, &from, now);
  out = take (core);
  accepted = count_text (out, &from, "alice 198.18.0.1:4000") == 1;
  if (!accepted)
    {
      /* refused: nothing sent to anyone, nothing changed */
      g_assert_cmpuint (out->len, ==, 0);
      g_assert_cmpuint (natter_registry_version (registry (core)), ==, version);
    }
  flush_and_drop (core);
  return accepted;
}

static void
test_classic_source_budget (void)
{
  /* R = 2: buckets of 5 x 2 = 10 tokens, 2 more a second */
  g_autoptr(NatterCore) core = core_new_rates (NATTER_REGISTER_RATE_DEFAULT, 2);
  const NatterCoreStats *stats = natter_core_get_stats (core);
  Client alice = client ("alice", "198.18.0.1:4000");
  NatterEndpoint henry = ep ("198.18.6.1:30000");

  join (core, &alice, NULL, 0, NOW);
  flush_and_drop (core);

  /* N = 1: costs 2 x 1 + 2 = 4; then carol again, N = 2: 6; nothing left */
  g_assert_true (classic_try (core, "carol 10.0.0.2", "198.18.6.1:10081", NOW));
  g_assert_true (classic_try (core, "carol 10.0.0.2", "198.18.6.1:10081", NOW));
  g_test_expect_message ("natter-server", G_LOG_LEVEL_MESSAGE,
                         "classic registration of carol from 198.18.6.1:10081 refused: "
                         "too many from that address");
  g_assert_false (classic_try (core, "carol 10.0.0.2", "198.18.6.1:10081", NOW));
  g_test_assert_expected_messages ();
  g_assert_cmpuint (stats->rate_limited, ==, 1);

  /* the port does not matter */
  g_assert_false (classic_try (core, "dave 10.0.0.3", "198.18.6.1:20000", NOW + 100));
  /* another address has its own bucket: N = 2, costs 6 */
  g_assert_true (classic_try (core, "erin 10.0.0.4", "198.18.6.2:10081", NOW + 100));

  /* N = 3 now: dave's registration costs 8, which takes 4 s to refill, and
   * refused attempts are not charged */
  g_assert_cmpuint (natter_registry_size (registry (core)), ==, 3);
  g_assert_false (classic_try (core, "dave 10.0.0.3", "198.18.6.1:20000", NOW + 3999));
  g_assert_true (classic_try (core, "dave 10.0.0.3", "198.18.6.1:20000", NOW + 4010));
  g_assert_cmpuint (stats->rate_limited, ==, 3);

  /* a charge over the burst can never be met: with N = 4 a registration
   * costs 10, with N = 5 it costs 12 > 10 */
  g_assert_true (classic_try (core, "frank 10.0.0.5", "198.18.6.3:10081", NOW + 4010));
  g_assert_cmpuint (natter_registry_size (registry (core)), ==, 5);
  g_assert_false (classic_try (core, "grace 10.0.0.6", "198.18.6.4:10081", NOW + 4010));
  g_assert_false (classic_try (core, "grace 10.0.0.6", "198.18.6.4:10081", NOW + 600000));
  /* native registrations are not charged against classic budgets: from
   * an address whose classic bucket is empty */
  g_assert_cmpuint (try_register (core, "henry", &henry, NOW + 4010), ==, 0);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/core/register/cookie-reply", test_cookie_reply);
  g_test_add_func ("/core/register/welcome-list", test_register);
  g_test_add_func ("/core/register/cookie-wrong-source", test_cookie_wrong_source);
  g_test_add_func ("/core/register/cookie-windows", test_cookie_windows);
  g_test_add_func ("/core/register/cookie-forged", test_cookie_forged);
  g_test_add_func ("/core/register/join-event", test_join_event);
  g_test_add_func ("/core/register/private-candidates", test_private_candidates);
  g_test_add_func ("/core/register/taken", test_register_taken);
  g_test_add_func ("/core/register/invalid-id", test_register_invalid_id);
  g_test_add_func ("/core/register/full", test_register_full);
  g_test_add_func ("/core/register/again", test_reregister);
  g_test_add_func ("/core/session/keepalive", test_keepalive);
  g_test_add_func ("/core/session/keepalive-wrong-token", test_keepalive_wrong_token);
  g_test_add_func ("/core/session/keepalive-rebind", test_keepalive_rebind);
  g_test_add_func ("/core/session/keepalive-alive-bytes", test_keepalive_alive_bytes);
  g_test_add_func ("/core/session/keepalive-fast-path", test_keepalive_fast_path);
  g_test_add_func ("/core/session/bye", test_bye);
  g_test_add_func ("/core/session/timeout", test_timeout);
  g_test_add_func ("/core/session/resync", test_resync);
  g_test_add_func ("/core/session/paced-lists", test_paced_lists);
  g_test_add_func ("/core/session/paced-lists-rounds", test_paced_lists_rounds);
  g_test_add_func ("/core/list/bytes", test_list_bytes);
  g_test_add_func ("/core/intro", test_intro);
  g_test_add_func ("/core/intro-rate-limit", test_request_rate_limit);
  g_test_add_func ("/core/relay/forward", test_relay);
  g_test_add_func ("/core/relay/disabled", test_relay_disabled);
  g_test_add_func ("/core/relay/rate-limit", test_relay_rate_limit);
  g_test_add_func ("/core/split/long-ids-candidates", test_split_long);
  g_test_add_func ("/core/split/short-ids", test_split_short);
  g_test_add_func ("/core/split/mixed-ids", test_split_mixed);
  g_test_add_func ("/core/classic/register-and-events", test_classic);
  g_test_add_func ("/core/classic/private-rule", test_classic_private_rule);
  g_test_add_func ("/core/classic/keepalive-exit", test_classic_keepalive_exit);
  g_test_add_func ("/core/classic/timeout", test_classic_timeout);
  g_test_add_func ("/core/classic/peer-limits", test_classic_peer_limits);
  g_test_add_func ("/core/classic/disabled", test_classic_disabled);
  g_test_add_func ("/core/stun", test_stun);
  g_test_add_func ("/core/hostile/garbage", test_garbage);
  g_test_add_func ("/core/hostile/port-zero", test_port_zero);
  g_test_add_func ("/core/hostile/amplification", test_amplification);
  g_test_add_func ("/core/spoofing/classic-register-evicts-native", test_spoofed_classic_register);
  g_test_add_func ("/core/spoofing/classic-register-takes-native-session",
                   test_spoofed_classic_reregister);
  g_test_add_func ("/core/spoofing/keepalive-rebind-evicts", test_spoofed_keepalive_evicts);
  g_test_add_func ("/core/spoofing/keepalive-rebind-reflects", test_spoofed_keepalive_reflects);
  g_test_add_func ("/core/limits/register-per-address", test_register_source_limit);
  g_test_add_func ("/core/limits/register-per-ipv6-prefix", test_register_source_limit_ipv6);
  g_test_add_func ("/core/limits/register-source-table", test_register_source_table);
  g_test_add_func ("/core/limits/classic-per-address", test_classic_source_budget);

  return g_test_run ();
}
