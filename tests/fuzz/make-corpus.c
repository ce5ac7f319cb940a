/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz-common.h"
#include "natter-classic.h"
#include "natter-peerwire.h"
#include "natter-stun.h"
#include "natter-wire.h"

/* Writes the seed corpora of the fuzz targets: real, valid datagrams of
 * every kind, made with the project's own encoders, plus the assignment's
 * classic lines and the STUN requests of RFC 5389, RFC 3489 and RFC 5769.
 *
 *   make-corpus DIR     writes DIR/wire, DIR/peer, DIR/classic, DIR/stun
 *                       and DIR/server (existing files are overwritten)
 *
 * The output is deterministic, so running it again changes nothing. */

#define SEED_MAX 2048

static const char *out_dir;
static guint n_written;

static void
write_seed (const char   *target,
            const char   *name,
            const void   *data,
            gsize         len)
{
  g_autofree char *dir = g_build_filename (out_dir, target, NULL);
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autoptr(GError) error = NULL;

  if (len >= SEED_MAX)
    {
      fprintf (stderr, "seed %s/%s is %zu bytes, more than %d\n", target, name, len, SEED_MAX);
      exit (1);
    }
  g_mkdir_with_parents (dir, 0755);
  if (!g_file_set_contents (path, data, len, &error))
    {
      fprintf (stderr, "%s\n", error->message);
      exit (1);
    }
  n_written++;
}

static void
write_bytes (const char *target,
             const char *name,
             GBytes     *bytes)
{
  if (bytes == NULL)
    {
      fprintf (stderr, "seed %s/%s could not be encoded\n", target, name);
      exit (1);
    }
  write_seed (target, name, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
  g_bytes_unref (bytes);
}

static NatterEndpoint
ep (const char *text)
{
  NatterEndpoint e;

  if (!natter_endpoint_parse (text, 0, &e))
    abort ();
  return e;
}

static const guint8 token[NATTER_WIRE_TOKEN_SIZE] = {
  0x10, 0x21, 0x32, 0x43, 0x54, 0x65, 0x76, 0x87, 0x98, 0xa9, 0xba, 0xcb, 0xdc, 0xed, 0xfe, 0x0f,
};
static const guint8 cookie[20] = {
  0x00, 0x00, 0x82, 0x35, 0xde, 0xad, 0xbe, 0xef, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
  0x09, 0x0a, 0x0b, 0x0c,
};

/* Native messages */

static GVariantBuilder *
body (void)
{
  return g_variant_builder_new (G_VARIANT_TYPE_VARDICT);
}

static GBytes *
encode (NatterMsgType    type,
        GVariantBuilder *b)
{
  GVariant *v = g_variant_builder_end (b);

  g_variant_builder_unref (b);
  return natter_wire_encode (type, v);
}

static void
add_pad (GVariantBuilder *b,
         gsize            len)
{
  g_autofree guint8 *zeros = g_malloc0 (len);

  natter_wire_add_bytes (b, "pad", zeros, len);
}

static GBytes *
register_msg (const char *id,
              gboolean    with_cookie,
              const char *const *cands,
              gboolean    padded)
{
  GVariantBuilder *b = body ();
  NatterEndpoint eps[NATTER_WIRE_MAX_CANDIDATES];
  guint n = 0;

  natter_wire_add_string (b, "id", id);
  if (with_cookie)
    natter_wire_add_bytes (b, "ck", cookie, sizeof cookie);
  for (; cands != NULL && cands[n] != NULL; n++)
    eps[n] = ep (cands[n]);
  if (n > 0)
    natter_wire_add_candidates (b, "cand", eps, n);
  if (padded)
    add_pad (b, NATTER_WIRE_REGISTER_MIN_SIZE);
  return encode (NATTER_MSG_REGISTER, b);
}

static GVariant *
peer_variant (const char *id,
              const char *public_ep,
              const char *const *cands,
              guint32     flags)
{
  NatterPeerInfo info = { 0 };

  info.id = id;
  info.public_endpoint = ep (public_ep);
  for (; cands != NULL && cands[info.n_candidates] != NULL; info.n_candidates++)
    info.candidates[info.n_candidates] = ep (cands[info.n_candidates]);
  info.flags = flags;
  return natter_wire_peer_variant (&info);
}

static GVariant *
event_variant (guint64          version,
               NatterEventKind  kind,
               const char      *id,
               const char      *public_ep,
               const char *const *cands,
               guint32          flags)
{
  NatterEvent event = { 0 };

  event.version = version;
  event.kind = kind;
  event.peer.id = id;
  event.peer.public_endpoint = ep (public_ep);
  for (; cands != NULL && cands[event.peer.n_candidates] != NULL; event.peer.n_candidates++)
    event.peer.candidates[event.peer.n_candidates] = ep (cands[event.peer.n_candidates]);
  event.peer.flags = flags;
  return natter_wire_event_variant (&event);
}

static const char *const lan_cands[] = { "10.0.0.5:10081", "[fd00::1]:5000", NULL };
static const char *const one_cand[] = { "192.168.1.2:40000", NULL };
static const char *const eight_cands[] = {
  "10.0.0.1:1", "10.0.0.2:2", "10.0.0.3:3", "10.0.0.4:4",
  "[fd00::1]:5", "[fd00::2]:6", "[fd00::3]:7", "[fd00::4]:65535", NULL,
};
#define LONG_ID \
  "\xf0\x9d\x90\x80\xf0\x9d\x90\x80\xf0\x9d\x90\x80\xf0\x9d\x90\x80" \
  "\xf0\x9d\x90\x80\xf0\x9d\x90\x80\xf0\x9d\x90\x80\xf0\x9d\x90\x80" \
  "\xf0\x9d\x90\x80\xf0\x9d\x90\x80\xf0\x9d\x90\x80\xf0\x9d\x90\x80" \
  "\xf0\x9d\x90\x80\xf0\x9d\x90\x80\xf0\x9d\x90\x80\xf0\x9d\x90\x80" \
  "\xf0\x9d\x90\x80\xf0\x9d\x90\x80\xf0\x9d\x90\x80\xf0\x9d\x90\x80" \
  "\xf0\x9d\x90\x80\xf0\x9d\x90\x80\xf0\x9d\x90\x80\xf0\x9d\x90\x80" \
  "\xf0\x9d\x90\x80\xf0\x9d\x90\x80\xf0\x9d\x90\x80\xf0\x9d\x90\x80" \
  "\xf0\x9d\x90\x80\xf0\x9d\x90\x80\xf0\x9d\x90\x80\xf0\x9d\x90\x80"

static GBytes *
sealed (const char    *from,
        const char    *to,
        NatterPeerMsg *m)
{
  return natter_peer_seal (fuzz_peer_key, from, to, m);
}

/* A PEER datagram around a payload seal would refuse to make, with the
 * right MAC: what a buggy peer holding the key could send. */
static void
peer_raw (const char      *target,
          const char      *name,
          GVariantBuilder *payload)
{
  g_autoptr(GVariant) p = g_variant_ref_sink (g_variant_builder_end (payload));
  guint8 mac[NATTER_WIRE_MAC_SIZE];
  GVariantBuilder *b = body ();

  g_variant_builder_unref (payload);
  fuzz_peer_mac (fuzz_peer_key, FUZZ_PEER_FROM, FUZZ_PEER_ME, g_variant_get_data (p),
                 g_variant_get_size (p), mac);
  natter_wire_add_string (b, "id", FUZZ_PEER_FROM);
  natter_wire_add_string (b, "to", FUZZ_PEER_ME);
  natter_wire_add_bytes (b, "mac", mac, sizeof mac);
  natter_wire_add_bytes (b, "p", g_variant_get_data (p), g_variant_get_size (p));
  write_bytes (target, name, encode (NATTER_MSG_PEER, b));
}

static GVariantBuilder *
chat_payload (guint16       fi,
              guint16       fn,
              const guint8 *text,
              gsize         text_len)
{
  GVariantBuilder *b = body ();

  g_variant_builder_add (b, "{sv}", "k", g_variant_new_byte (NATTER_PEER_CHAT));
  natter_wire_add_u64 (b, "mid", 7);
  g_variant_builder_add (b, "{sv}", "fi", g_variant_new_uint16 (fi));
  g_variant_builder_add (b, "{sv}", "fn", g_variant_new_uint16 (fn));
  g_variant_builder_add (b, "{sv}", "ts", g_variant_new_int64 (0));
  natter_wire_add_bytes (b, "text", text, text_len);
  return b;
}

static void
peer_seeds (const char *target)
{
  NatterPeerMsg m;
  static const char text[] = "hello, bob \xf0\x9f\x91\x8b";
  g_autofree char *long_text = NULL;

  memset (&m, 0, sizeof m);
  m.kind = NATTER_PEER_PROBE;
  m.nonce = 0x0123456789abcdefu;
  write_bytes (target, "peer-probe", sealed (FUZZ_PEER_FROM, FUZZ_PEER_ME, &m));
  m.kind = NATTER_PEER_PING;
  write_bytes (target, "peer-ping", sealed (FUZZ_PEER_FROM, FUZZ_PEER_ME, &m));

  m.kind = NATTER_PEER_PROBE_ACK;
  write_bytes (target, "peer-probe-ack", sealed (FUZZ_PEER_FROM, FUZZ_PEER_ME, &m));
  m.has_seen = TRUE;
  m.seen = ep ("198.51.100.7:40001");
  write_bytes (target, "peer-probe-ack-seen", sealed (FUZZ_PEER_FROM, FUZZ_PEER_ME, &m));
  m.kind = NATTER_PEER_PONG;
  m.seen = ep ("[2001:db8::5]:5000");
  write_bytes (target, "peer-pong-seen-v6", sealed (FUZZ_PEER_FROM, FUZZ_PEER_ME, &m));
  m.has_seen = FALSE;
  write_bytes (target, "peer-pong", sealed (FUZZ_PEER_FROM, FUZZ_PEER_ME, &m));

  memset (&m, 0, sizeof m);
  m.kind = NATTER_PEER_CHAT;
  m.message_id = 42;
  m.n_fragments = 1;
  m.timestamp_ms = G_GINT64_CONSTANT (1700000000000);
  m.text = (const guint8 *) text;
  m.text_len = strlen (text);
  write_bytes (target, "peer-chat", sealed (FUZZ_PEER_FROM, FUZZ_PEER_ME, &m));
  m.fragment = 2;
  m.n_fragments = 3;
  write_bytes (target, "peer-chat-fragment", sealed (FUZZ_PEER_FROM, FUZZ_PEER_ME, &m));
  long_text = g_strnfill (NATTER_PEER_MAX_FRAGMENT, 'x');
  m.fragment = NATTER_PEER_MAX_FRAGMENTS - 1;
  m.n_fragments = NATTER_PEER_MAX_FRAGMENTS;
  m.text = (const guint8 *) long_text;
  m.text_len = NATTER_PEER_MAX_FRAGMENT;
  write_bytes (target, "peer-chat-longest", sealed (FUZZ_PEER_FROM, FUZZ_PEER_ME, &m));
  m.fragment = 0;
  m.n_fragments = 1;
  m.text = (const guint8 *) text;
  m.text_len = strlen (text);
  write_bytes (target, "peer-chat-long-ids", sealed (LONG_ID, FUZZ_PEER_ME, &m));
  /* to someone else: the receiver refuses it */
  write_bytes (target, "peer-chat-to-carol", sealed (FUZZ_PEER_FROM, "carol", &m));

  m.text = (const guint8 *) "\xea\xb0\x80";
  m.text_len = 3;
  m.timestamp_ms = -1;
  write_bytes (target, "peer-chat-hangul-to-hangul",
               sealed ("\xea\xb0\x80", "\xea\xb0\x81", &m));
  write_bytes (target, "peer-chat-from-bob", sealed (FUZZ_PEER_ME, FUZZ_PEER_ME, &m));

  memset (&m, 0, sizeof m);
  m.kind = NATTER_PEER_ACK;
  m.message_id = 42;
  m.fragment = 2;
  write_bytes (target, "peer-ack", sealed (FUZZ_PEER_FROM, FUZZ_PEER_ME, &m));
  m.message_id = G_MAXUINT64;
  m.fragment = NATTER_PEER_MAX_FRAGMENTS - 1;
  write_bytes (target, "peer-ack-last", sealed (FUZZ_PEER_FROM, FUZZ_PEER_ME, &m));

  memset (&m, 0, sizeof m);
  m.kind = NATTER_PEER_PONG;
  m.nonce = G_MAXUINT64;
  m.has_seen = TRUE;
  m.seen = ep ("127.0.0.1:65535");
  write_bytes (target, "peer-pong-loopback", sealed (FUZZ_PEER_FROM, FUZZ_PEER_ME, &m));

  /* authentic but out of range: empty text, too long a fragment, no
   * fragments, a fragment past the last, an unknown kind, a wrong type */
  {
    g_autofree guint8 *big = g_malloc0 (NATTER_PEER_MAX_FRAGMENT + 1);
    GVariantBuilder *b;

    peer_raw (target, "peer-raw-chat-empty", chat_payload (0, 1, (const guint8 *) "", 0));
    peer_raw (target, "peer-raw-chat-too-long",
              chat_payload (0, 1, big, NATTER_PEER_MAX_FRAGMENT + 1));
    peer_raw (target, "peer-raw-chat-no-fragments", chat_payload (0, 0, (const guint8 *) "x", 1));
    peer_raw (target, "peer-raw-chat-fragment-past",
              chat_payload (NATTER_PEER_MAX_FRAGMENTS, NATTER_PEER_MAX_FRAGMENTS + 1,
                            (const guint8 *) "x", 1));
    b = body ();
    g_variant_builder_add (b, "{sv}", "k", g_variant_new_byte (9));
    natter_wire_add_u64 (b, "n", 1);
    peer_raw (target, "peer-raw-unknown-kind", b);
    b = body ();
    g_variant_builder_add (b, "{sv}", "k", g_variant_new_byte (NATTER_PEER_ACK));
    natter_wire_add_u64 (b, "mid", 1);
    g_variant_builder_add (b, "{sv}", "fi", g_variant_new_uint32 (1));
    peer_raw (target, "peer-raw-ack-wrong-type", b);
    b = body ();
    g_variant_builder_add (b, "{sv}", "k", g_variant_new_byte (NATTER_PEER_PONG));
    natter_wire_add_u64 (b, "n", 1);
    g_variant_builder_add (b, "{sv}", "seen",
                           g_variant_new ("(@ayq)", g_variant_new_fixed_array (
                                            G_VARIANT_TYPE_BYTE, "\x7f\0\0\1", 4, 1), 0));
    peer_raw (target, "peer-raw-pong-port-zero", b);
  }

  /* a wrong MAC */
  {
    GVariantBuilder *b = body ();
    static const guint8 mac[NATTER_WIRE_MAC_SIZE] = { 1 };
    static const guint8 p[] = { 'x' };

    natter_wire_add_string (b, "id", FUZZ_PEER_FROM);
    natter_wire_add_string (b, "to", FUZZ_PEER_ME);
    natter_wire_add_bytes (b, "mac", mac, sizeof mac);
    natter_wire_add_bytes (b, "p", p, sizeof p);
    write_bytes (target, "peer-bad-mac", encode (NATTER_MSG_PEER, b));
  }
}

static void
wire_seeds (void)
{
  const char *t = "wire";
  GVariantBuilder *b;
  static const guint8 data[] = "opaque relayed bytes";
  static const guint8 key[NATTER_WIRE_KEY_SIZE] = { 0xaa, 0xbb, 0xcc };

  /* client -> server */
  write_bytes (t, "register", register_msg ("alice", FALSE, NULL, TRUE));
  write_bytes (t, "register-cookie", register_msg ("alice", TRUE, NULL, TRUE));
  write_bytes (t, "register-cands", register_msg ("\xc3\x85sa", TRUE, lan_cands, FALSE));
  write_bytes (t, "register-eight-cands", register_msg (LONG_ID, TRUE, eight_cands, FALSE));
  {
    /* 33 characters of 4 bytes: longer than any ID can be */
    g_autoptr(GString) id = g_string_new (NULL);
    g_autofree char *reason = g_strnfill (NATTER_WIRE_MAX_REASON + 1, 'r');
    GVariantBuilder list;

    for (int i = 0; i < 33; i++)
      g_string_append (id, "\xf0\x9d\x90\x80");
    write_bytes (t, "register-id-too-long", register_msg (id->str, FALSE, NULL, FALSE));
    write_bytes (t, "error-reason-too-long", natter_wire_error (NATTER_ERR_BAD_REQUEST, reason));
    /* natter_wire_add_candidates() stops at 8; a ninth by hand */
    b = body ();
    natter_wire_add_string (b, "id", "alice");
    g_variant_builder_init (&list, G_VARIANT_TYPE ("a(ayq)"));
    for (int i = 0; i < NATTER_WIRE_MAX_CANDIDATES + 1; i++)
      g_variant_builder_add (&list, "(@ayq)",
                             g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, "\x0a\0\0\1", 4, 1),
                             (guint16) (1000 + i));
    g_variant_builder_add (b, "{sv}", "cand", g_variant_builder_end (&list));
    write_bytes (t, "register-nine-cands", encode (NATTER_MSG_REGISTER, b));
  }
  write_bytes (t, "register-not-nfc", register_msg ("\xe1\x84\x80\xe1\x85\xa1", FALSE, NULL, FALSE));
  write_bytes (t, "keepalive", natter_wire_auth_request (NATTER_MSG_KEEPALIVE, "alice", token,
                                                          NULL, NULL, 0, 7));
  b = body ();
  natter_wire_add_string (b, "id", "alice");
  natter_wire_add_bytes (b, "tok", token, sizeof token);
  natter_wire_add_bytes (b, "ck", cookie, sizeof cookie);
  natter_wire_add_u64 (b, "ver", 12);
  write_bytes (t, "keepalive-cookie", encode (NATTER_MSG_KEEPALIVE, b));
  write_bytes (t, "resync", natter_wire_auth_request (NATTER_MSG_RESYNC, "alice", token,
                                                      NULL, NULL, 0, 0));
  write_bytes (t, "bye", natter_wire_auth_request (NATTER_MSG_BYE, "alice", token,
                                                   NULL, NULL, 0, 0));
  write_bytes (t, "intro", natter_wire_auth_request (NATTER_MSG_INTRO, "alice", token,
                                                     "bob", NULL, 0, 0));
  write_bytes (t, "relay", natter_wire_auth_request (NATTER_MSG_RELAY, "alice", token,
                                                     "bob", data, sizeof data, 0));

  /* server -> client */
  b = body ();
  natter_wire_add_bytes (b, "ck", cookie, sizeof cookie);
  write_bytes (t, "cookie", encode (NATTER_MSG_COOKIE, b));
  {
    NatterEndpoint e = ep ("198.51.100.7:40001");

    b = body ();
    natter_wire_add_string (b, "id", "alice");
    natter_wire_add_bytes (b, "tok", token, sizeof token);
    natter_wire_add_endpoint (b, "ep", &e);
    natter_wire_add_u32 (b, "ival", 10000);
    natter_wire_add_u32 (b, "tmo", 30000);
    natter_wire_add_u64 (b, "ver", 3);
    write_bytes (t, "welcome", encode (NATTER_MSG_WELCOME, b));

    e = ep ("[2001:db8::5]:5000");
    b = body ();
    natter_wire_add_u64 (b, "ver", 3);
    natter_wire_add_endpoint (b, "ep", &e);
    write_bytes (t, "alive-v6", encode (NATTER_MSG_ALIVE, b));
  }
  {
    GVariantBuilder peers;

    g_variant_builder_init (&peers, G_VARIANT_TYPE ("a(s(ayq)a(ayq)u)"));
    g_variant_builder_add_value (&peers, peer_variant ("alice", "198.51.100.7:40001", NULL, 0));
    g_variant_builder_add_value (&peers, peer_variant ("bob", "198.51.100.7:40002", lan_cands, 0));
    g_variant_builder_add_value (&peers, peer_variant ("carol", "203.0.113.9:10081", NULL,
                                                       NATTER_PEER_FLAG_CLASSIC));
    g_variant_builder_add_value (&peers, peer_variant ("dave", "[2001:db8::6]:65535", one_cand, 0));
    b = body ();
    natter_wire_add_u64 (b, "ver", 9);
    g_variant_builder_add (b, "{sv}", "part", g_variant_new_uint16 (0));
    g_variant_builder_add (b, "{sv}", "parts", g_variant_new_uint16 (2));
    g_variant_builder_add (b, "{sv}", "peers", g_variant_builder_end (&peers));
    write_bytes (t, "list", encode (NATTER_MSG_LIST, b));

    g_variant_builder_init (&peers, G_VARIANT_TYPE ("a(s(ayq)a(ayq)u)"));
    b = body ();
    natter_wire_add_u64 (b, "ver", 0);
    g_variant_builder_add (b, "{sv}", "part", g_variant_new_uint16 (0));
    g_variant_builder_add (b, "{sv}", "parts", g_variant_new_uint16 (1));
    g_variant_builder_add (b, "{sv}", "peers", g_variant_builder_end (&peers));
    write_bytes (t, "list-empty", encode (NATTER_MSG_LIST, b));
  }
  {
    GVariantBuilder events;

    g_variant_builder_init (&events, G_VARIANT_TYPE ("a(ty(s(ayq)a(ayq)u))"));
    g_variant_builder_add_value (&events, event_variant (4, NATTER_EVENT_JOIN, "bob",
                                                         "198.51.100.7:40002", lan_cands, 0));
    g_variant_builder_add_value (&events, event_variant (5, NATTER_EVENT_MOVE, "bob",
                                                         "198.51.100.7:40003", NULL, 0));
    g_variant_builder_add_value (&events, event_variant (6, NATTER_EVENT_LEAVE, "carol",
                                                         "203.0.113.9:10081", NULL,
                                                         NATTER_PEER_FLAG_CLASSIC));
    g_variant_builder_add_value (&events, event_variant (7, NATTER_EVENT_TIMEOUT, "dave",
                                                         "[2001:db8::6]:65535", one_cand, 0));
    b = body ();
    g_variant_builder_add (b, "{sv}", "events", g_variant_builder_end (&events));
    write_bytes (t, "events", encode (NATTER_MSG_EVENTS, b));
  }
  write_bytes (t, "error", natter_wire_error (NATTER_ERR_ID_TAKEN, "The ID “alice” is already taken"));
  write_bytes (t, "error-no-reason", natter_wire_error (NATTER_ERR_UNKNOWN_SESSION, NULL));
  {
    NatterEndpoint e = ep ("198.51.100.7:40002");
    NatterEndpoint cands[2] = { ep ("10.0.0.6:10081"), ep ("[fd00::2]:5000") };

    b = body ();
    natter_wire_add_string (b, "id", "bob");
    natter_wire_add_endpoint (b, "ep", &e);
    natter_wire_add_candidates (b, "cand", cands, 2);
    natter_wire_add_bytes (b, "key", key, sizeof key);
    write_bytes (t, "introduce", encode (NATTER_MSG_INTRODUCE, b));

    b = body ();
    natter_wire_add_string (b, "id", "carol");
    natter_wire_add_endpoint (b, "ep", &e);
    natter_wire_add_bool (b, "classic", TRUE);
    write_bytes (t, "introduce-classic", encode (NATTER_MSG_INTRODUCE, b));
  }
  b = body ();
  natter_wire_add_string (b, "id", "bob");
  natter_wire_add_bytes (b, "data", data, sizeof data);
  write_bytes (t, "relayed", encode (NATTER_MSG_RELAYED, b));
  b = body ();
  natter_wire_add_string (b, "why", "The server is shutting down");
  write_bytes (t, "shutdown", encode (NATTER_MSG_SHUTDOWN, b));
  b = body ();
  write_bytes (t, "shutdown-empty", encode (NATTER_MSG_SHUTDOWN, b));

  /* peer to peer */
  peer_seeds (t);

  /* refused: another version, an unknown type, a body not in normal form */
  {
    static const guint8 v2[] = { 0xff, 'N', 'T', 'R', 2, 0x01 };
    static const guint8 unknown[] = { 0xff, 'N', 'T', 'R', 1, 0x7e };
    static const guint8 not_normal[] = { 0xff, 'N', 'T', 'R', 1, 0x03, 0xff, 0xff, 0xff };

    write_seed (t, "bad-version", v2, sizeof v2);
    write_seed (t, "unknown-type", unknown, sizeof unknown);
    write_seed (t, "not-normal-form", not_normal, sizeof not_normal);
  }
}

/* Classic lines */

static void
classic_line (const char *name,
              const char *text)
{
  write_seed ("classic", name, text, strlen (text));
}

static void
classic_seeds (void)
{
  NatterEndpoint v6 = ep ("[2001:db8::5]:5000");
  NatterEndpoint v6_private = ep ("fd00::1");
  char *s;

  /* the assignment's own */
  classic_line ("register", "alice 10.0.0.5");
  classic_line ("keepalive", "alice@keepalive");
  classic_line ("exit", "alice @exit");
  classic_line ("peer", "bob 198.18.0.12:10081");
  classic_line ("private", "bob@private:10.0.0.6");
  classic_line ("offline", "bob is off-line 1.2.3.4:5");
  classic_line ("chat", "bob@chat hi");
  classic_line ("unregistered", "bob is unregistered 198.18.0.12:10081");

  /* as tools send them, and in other spellings */
  classic_line ("register-newline", "alice 10.0.0.5\n");
  classic_line ("register-crlf", "alice 10.0.0.5\r\n");
  classic_line ("register-v6", "alice fd00::1");
  classic_line ("register-mapped", "alice ::ffff:10.0.0.5");
  classic_line ("register-utf8", "\xc3\x85sa 192.168.1.20");
  classic_line ("register-long-id", LONG_ID " 10.0.0.5");
  classic_line ("peer-v6", "bob [2001:db8::5]:5000");
  classic_line ("peer-mapped", "bob [::ffff:198.18.0.12]:10081");
  classic_line ("private-v6", "bob@private:fd00::1");
  classic_line ("chat-utf8", "\xc3\xa5sa@chat h\xc3\xa9j, \xf0\x9f\x91\x8b everyone");
  classic_line ("chat-newline", "bob@chat two lines\nhere\n");
  /* a decomposed Hangul syllable: letters, but not in NFC */
  classic_line ("register-not-nfc", "\xe1\x84\x80\xe1\x85\xa1 10.0.0.5");
  classic_line ("register-hangul", "\xea\xb0\x80 10.0.0.5");
  classic_line ("chat-empty", "bob@chat ");

  /* formatted by the project's own formatters */
  s = natter_classic_format_peer ("dave", &v6);
  classic_line ("format-peer-v6", s);
  g_free (s);
  s = natter_classic_format_private ("dave", &v6_private);
  classic_line ("format-private-v6", s);
  g_free (s);
  s = natter_classic_format_unregistered ("dave", &v6);
  classic_line ("format-unregistered-v6", s);
  g_free (s);
  s = natter_classic_format_offline ("dave", &v6);
  classic_line ("format-offline-v6", s);
  g_free (s);
  s = natter_classic_format_register ("dave", &v6_private);
  classic_line ("format-register-v6", s);
  g_free (s);

  /* refused */
  classic_line ("no-command", "alice");
  classic_line ("bad-id", "al ice@keepalive");
  classic_line ("bad-address", "alice 10.0.0.256");
  classic_line ("port-missing", "bob 198.18.0.12");
  classic_line ("unknown-command", "alice@hello");
  {
    g_autofree char *chat = g_strnfill (2040, 'x');
    g_autofree char *line = NULL;

    memcpy (chat, "bob@chat ", 9);
    line = g_strdup (chat);
    write_seed ("classic", "chat-long", line, strlen (line));
  }
}

/* STUN */

static void
stun_seeds (const char *target)
{
  /* RFC 5769, section 2: a request with SOFTWARE, PRIORITY, ICE-CONTROLLED,
   * USERNAME, MESSAGE-INTEGRITY and FINGERPRINT, and the two responses */
  static const guint8 rfc5769_request[] = {
    0x00, 0x01, 0x00, 0x58, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01,
    0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae, 0x80, 0x22, 0x00, 0x10,
    0x53, 0x54, 0x55, 0x4e, 0x20, 0x74, 0x65, 0x73, 0x74, 0x20, 0x63, 0x6c,
    0x69, 0x65, 0x6e, 0x74, 0x00, 0x24, 0x00, 0x04, 0x6e, 0x00, 0x01, 0xff,
    0x80, 0x29, 0x00, 0x08, 0x93, 0x2f, 0xf9, 0xb1, 0x51, 0x26, 0x3b, 0x36,
    0x00, 0x06, 0x00, 0x09, 0x65, 0x76, 0x74, 0x6a, 0x3a, 0x68, 0x36, 0x76,
    0x59, 0x20, 0x20, 0x20, 0x00, 0x08, 0x00, 0x14, 0x9a, 0xea, 0xa7, 0x0c,
    0xbf, 0xd8, 0xcb, 0x56, 0x78, 0x1e, 0xf2, 0xb5, 0xb2, 0xd3, 0xf2, 0x49,
    0xc1, 0xb5, 0x71, 0xa2, 0x80, 0x28, 0x00, 0x04, 0xe5, 0x7a, 0x3b, 0xcf,
  };
  static const guint8 rfc5769_response_v4[] = {
    0x01, 0x01, 0x00, 0x3c, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01,
    0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae, 0x80, 0x22, 0x00, 0x0b,
    0x74, 0x65, 0x73, 0x74, 0x20, 0x76, 0x65, 0x63, 0x74, 0x6f, 0x72, 0x20,
    0x00, 0x20, 0x00, 0x08, 0x00, 0x01, 0xa1, 0x47, 0xe1, 0x12, 0xa6, 0x43,
    0x00, 0x08, 0x00, 0x14, 0x2b, 0x91, 0xf5, 0x99, 0xfd, 0x9e, 0x90, 0xc3,
    0x8c, 0x74, 0x89, 0xf9, 0x2a, 0xf9, 0xba, 0x53, 0xf0, 0x6b, 0xe7, 0xd7,
    0x80, 0x28, 0x00, 0x04, 0xc0, 0x7d, 0x4c, 0x96,
  };
  static const guint8 rfc5769_response_v6[] = {
    0x01, 0x01, 0x00, 0x48, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01,
    0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae, 0x80, 0x22, 0x00, 0x0b,
    0x74, 0x65, 0x73, 0x74, 0x20, 0x76, 0x65, 0x63, 0x74, 0x6f, 0x72, 0x20,
    0x00, 0x20, 0x00, 0x14, 0x00, 0x02, 0xa1, 0x47, 0x01, 0x13, 0xa9, 0xfa,
    0xa5, 0xd3, 0xf1, 0x79, 0xbc, 0x25, 0xf4, 0xb5, 0xbe, 0xd2, 0xb9, 0xd9,
    0x00, 0x08, 0x00, 0x14, 0xa3, 0x82, 0x95, 0x4e, 0x4b, 0xe6, 0x7b, 0xf1,
    0x17, 0x84, 0xc9, 0x7c, 0x82, 0x92, 0xc2, 0x75, 0xbf, 0xe3, 0xed, 0x41,
    0x80, 0x28, 0x00, 0x04, 0xc8, 0xfb, 0x0b, 0x4c,
  };
  static const guint8 tid[16] = {
    0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86,
    0xfa, 0x87, 0xdf, 0xae, 0x10, 0x20, 0x30, 0x40,
  };
  /* an RFC 3489 id that happens to start with the magic cookie */
  static const guint8 tid_cookie[16] = {
    0x21, 0x12, 0xa4, 0x42, 0x01, 0x02, 0x03, 0x04,
    0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c,
  };
  static const char *const mapped[] = {
    "192.0.2.1:32853", "[2001:db8:1234:5678:11:2233:4455:6677]:32853",
  };
  guint8 buf[NATTER_STUN_MAX_RESPONSE];
  gsize len;

  write_seed (target, "rfc5769-request", rfc5769_request, sizeof rfc5769_request);
  write_seed (target, "rfc5769-response-v4", rfc5769_response_v4, sizeof rfc5769_response_v4);
  write_seed (target, "rfc5769-response-v6", rfc5769_response_v6, sizeof rfc5769_response_v6);

  len = natter_stun_build_binding_request (FALSE, tid, buf, sizeof buf);
  write_seed (target, "rfc5389-request", buf, len);
  len = natter_stun_build_binding_request (TRUE, tid, buf, sizeof buf);
  write_seed (target, "rfc3489-request", buf, len);
  len = natter_stun_build_binding_request (TRUE, tid_cookie, buf, sizeof buf);
  write_seed (target, "rfc3489-request-cookie-id", buf, len);

  /* a request with an attribute whose value needs padding (SOFTWARE, 5 bytes) */
  {
    guint8 req[NATTER_STUN_HEADER_SIZE + 12];

    natter_stun_build_binding_request (FALSE, tid, req, sizeof req);
    req[3] = 12;
    memcpy (req + 20, "\x80\x22\x00\x05natter\0\0", 12);
    req[29] = req[30] = req[31] = 0;
    write_seed (target, "rfc5389-request-software", req, sizeof req);
  }

  /* RFC 3489 CHANGE-REQUEST; an unknown comprehension-required attribute;
   * two attributes; a length that is not a multiple of 4 */
  {
    guint8 req[NATTER_STUN_HEADER_SIZE + 16];

    natter_stun_build_binding_request (TRUE, tid, req, sizeof req);
    req[3] = 8;
    memcpy (req + 20, "\x00\x03\x00\x04\x00\x00\x00\x06", 8);
    write_seed (target, "rfc3489-request-change", req, 28);
    natter_stun_build_binding_request (FALSE, tid, req, sizeof req);
    req[3] = 16;
    memcpy (req + 20, "\x7f\xff\x00\x01\x01\x00\x00\x00\x80\x28\x00\x04\x12\x34\x56\x78", 16);
    write_seed (target, "rfc5389-request-two-attributes", req, sizeof req);
    req[3] = 6;
    write_seed (target, "rfc5389-request-odd-length", req, 26);
  }
  /* responses: MAPPED-ADDRESS only, XOR-MAPPED-ADDRESS first then
   * MAPPED-ADDRESS, an unknown family, a short value */
  {
    guint8 resp[NATTER_STUN_HEADER_SIZE + 24];

    memcpy (resp, rfc5769_response_v4, NATTER_STUN_HEADER_SIZE);
    resp[2] = 0;
    resp[3] = 12;
    memcpy (resp + 20, "\x00\x01\x00\x08\x00\x01\x1f\x90\xc0\x00\x02\x01", 12);
    write_seed (target, "response-mapped-only", resp, 32);
    resp[3] = 24;
    memcpy (resp + 20, rfc5769_response_v4 + 36, 12);
    memcpy (resp + 32, "\x00\x01\x00\x08\x00\x01\x1f\x90\xc0\x00\x02\x01", 12);
    write_seed (target, "response-xor-and-mapped", resp, sizeof resp);
    resp[3] = 12;
    memcpy (resp + 20, "\x00\x20\x00\x08\x00\x03\x1f\x90\xc0\x00\x02\x01", 12);
    write_seed (target, "response-bad-family", resp, 32);
    resp[3] = 8;
    memcpy (resp + 20, "\x00\x20\x00\x02\x00\x01\x00\x00", 8);
    write_seed (target, "response-short-value", resp, 28);
  }

  /* the server's answers, in each form */
  for (guint i = 0; i < G_N_ELEMENTS (mapped); i++)
    for (int rfc3489 = 0; rfc3489 <= 1; rfc3489++)
      {
        NatterStunRequest request = { 0 };
        NatterEndpoint e = ep (mapped[i]);
        char name[64];
        guint8 req[NATTER_STUN_HEADER_SIZE];

        natter_stun_build_binding_request (rfc3489, tid, req, sizeof req);
        natter_stun_parse_binding_request (req, sizeof req, &request);
        len = natter_stun_build_binding_response (&request, &e, buf, sizeof buf);
        g_snprintf (name, sizeof name, "response-%s-%s", rfc3489 ? "rfc3489" : "rfc5389",
                    i == 0 ? "v4" : "v6");
        write_seed (target, name, buf, len);
      }
}

/* Server inputs (the record format is in fuzz-common.h) */

typedef GByteArray Seq;

static Seq *
seq_new (guint8 cfg)
{
  Seq *s = g_byte_array_new ();

  g_byte_array_append (s, &cfg, 1);
  return s;
}

static void
seq_byte (Seq   *s,
          guint8 b)
{
  g_byte_array_append (s, &b, 1);
}

static void
seq_raw (Seq        *s,
         int         src,
         int         step,
         gboolean    flush,
         const void *data,
         gsize       len)
{
  seq_byte (s, FUZZ_OP (FUZZ_OP_RAW, src, step, flush));
  seq_byte (s, len & 0xff);
  seq_byte (s, len >> 8);
  g_byte_array_append (s, data, len);
}

static void
seq_datagram (Seq      *s,
              int       src,
              int       step,
              gboolean  flush,
              GBytes   *datagram)
{
  seq_raw (s, src, step, flush, g_bytes_get_data (datagram, NULL), g_bytes_get_size (datagram));
  g_bytes_unref (datagram);
}

static void
seq_text (Seq        *s,
          int         src,
          int         step,
          gboolean    flush,
          const char *text)
{
  seq_raw (s, src, step, flush, text, strlen (text));
}

/* id_index: into fuzz_ids */
static void
seq_register (Seq          *s,
              int           src,
              int           step,
              gboolean      flush,
              guint8        sel,
              guint         id_index,
              const guint8 *cands)
{
  seq_byte (s, FUZZ_OP (FUZZ_OP_REGISTER, src, step, flush));
  seq_byte (s, sel);
  seq_byte (s, 0x80 | id_index);
  for (guint i = 0; i < ((sel & 0x0f) % (NATTER_WIRE_MAX_CANDIDATES + 2)); i++)
    seq_byte (s, cands[i]);
}

/* The cookie round trip: a first REGISTER, then one with the cookie. */
static void
seq_join (Seq          *s,
          int           src,
          guint         id_index,
          guint         n_cands,
          const guint8 *cands)
{
  seq_register (s, src, 0, FALSE, 0x10 | n_cands, id_index, cands);
  seq_register (s, src, 0, TRUE, n_cands, id_index, cands);
}

enum
{
  REQ_KEEPALIVE = 0,
  REQ_RESYNC = 1,
  REQ_BYE = 2,
  REQ_INTRO = 3,
  REQ_RELAY = 4,
  REQ_OTHER_SESSION = 0x08,
  REQ_COOKIE = 0x10,
  REQ_PAD = 0x20,
  REQ_BAD_TOKEN = 0x40,
};

static void
seq_request (Seq        *s,
             int         src,
             int         step,
             gboolean    flush,
             guint8      sel,
             int         owner,
             int         target,
             const char *data)
{
  seq_byte (s, FUZZ_OP (FUZZ_OP_REQUEST, src, step, flush));
  seq_byte (s, sel);
  if (sel & REQ_OTHER_SESSION)
    seq_byte (s, owner);
  if ((sel & 7) == REQ_INTRO || (sel & 7) == REQ_RELAY || (sel & 7) == 6 || (sel & 7) == 7)
    seq_byte (s, 0x80 | target);
  if ((sel & 7) == REQ_RELAY || (sel & 7) == 7)
    {
      seq_byte (s, strlen (data));
      g_byte_array_append (s, (const guint8 *) data, strlen (data));
    }
}

static void
seq_tick (Seq *s,
          int  step,
          gboolean flush)
{
  seq_byte (s, FUZZ_OP (FUZZ_OP_TICK, 0, step, flush));
}

static void
seq_write (Seq        *s,
           const char *name)
{
  write_seed ("server", name, s->data, s->len);
  g_byte_array_unref (s);
}

static void
server_seeds (void)
{
  static const guint8 lan[] = { 0, 4, 1, 2, 3, 5, 6, 7, 0 };
  static const guint8 lan_b[] = { 1, 4 };
  Seq *s;
  guint8 stun[NATTER_STUN_HEADER_SIZE];
  static const guint8 tid[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };

  /* alice registers: cookie, then WELCOME and LIST */
  s = seq_new (0);
  seq_join (s, 0, 0, 0, NULL);
  seq_write (s, "native-register");

  /* alice and bob behind one NAT, carol elsewhere: introductions with
   * candidates, relaying, keep-alives, a resync, goodbyes */
  s = seq_new (0);
  seq_join (s, 0, 0, 2, lan);
  seq_join (s, 1, 1, 2, lan_b);
  seq_join (s, 2, 2, 0, NULL);
  seq_request (s, 0, 0, TRUE, REQ_INTRO, 0, 1, NULL);
  seq_request (s, 0, 0, TRUE, REQ_INTRO, 0, 2, NULL);
  seq_request (s, 1, 0, TRUE, REQ_RELAY, 0, 0, "hello through the server");
  seq_request (s, 2, 1, TRUE, REQ_KEEPALIVE, 0, 0, NULL);
  seq_request (s, 1, 0, TRUE, REQ_RESYNC, 0, 0, NULL);
  seq_request (s, 0, 0, TRUE, REQ_BYE, 0, 0, NULL);
  seq_request (s, 0, 0, TRUE, REQ_INTRO, 0, 0, NULL);
  seq_write (s, "native-intro-relay-bye");

  /* a NAT rebinding: alice's keep-alive from a new port, with the cookie */
  s = seq_new (0);
  seq_join (s, 0, 0, 1, lan);
  seq_join (s, 2, 2, 0, NULL);
  seq_request (s, 1, 0, FALSE, REQ_KEEPALIVE | REQ_OTHER_SESSION | REQ_PAD, 0, 0, NULL);
  seq_request (s, 1, 0, TRUE, REQ_KEEPALIVE | REQ_OTHER_SESSION | REQ_COOKIE | REQ_PAD, 0, 0, NULL);
  seq_request (s, 1, 0, TRUE, REQ_INTRO | REQ_OTHER_SESSION, 0, 2, NULL);
  seq_write (s, "native-move");

  /* time-outs: bob keeps alive, alice goes silent */
  s = seq_new (0);
  seq_join (s, 0, 0, 0, NULL);
  seq_join (s, 3, 1, 0, NULL);
  seq_request (s, 3, 1, TRUE, REQ_KEEPALIVE, 0, 0, NULL);
  seq_request (s, 3, 1, TRUE, REQ_KEEPALIVE, 0, 0, NULL);
  seq_tick (s, 1, TRUE);
  seq_request (s, 3, 1, TRUE, REQ_KEEPALIVE, 0, 0, NULL);
  seq_tick (s, 2, TRUE);
  seq_request (s, 3, 0, TRUE, REQ_RESYNC, 0, 0, NULL);
  seq_write (s, "native-timeout");

  /* a cookie from two windows ago is refused; a fresh one works */
  s = seq_new (0);
  seq_register (s, 0, 0, FALSE, 0x10, 0, NULL);
  seq_register (s, 0, 3, FALSE, 0, 0, NULL);
  seq_register (s, 0, 3, TRUE, 0, 0, NULL);
  seq_register (s, 0, 0, TRUE, 0, 0, NULL);
  seq_write (s, "native-stale-cookie");

  /* requests without a session, with a wrong token, short ones (no
   * answer larger than the question) */
  s = seq_new (0);
  seq_request (s, 0, 0, FALSE, REQ_KEEPALIVE, 0, 0, NULL);
  seq_request (s, 0, 0, FALSE, REQ_RESYNC | REQ_PAD, 0, 0, NULL);
  seq_join (s, 0, 0, 0, NULL);
  seq_request (s, 0, 0, TRUE, REQ_INTRO | REQ_BAD_TOKEN, 0, 1, NULL);
  seq_register (s, 1, 0, FALSE, 0x20, 1, NULL);
  seq_write (s, "native-unauthenticated");

  /* the same ID, case-folded, from elsewhere; the same endpoint, a new ID */
  s = seq_new (0);
  seq_join (s, 0, 0, 0, NULL);
  seq_join (s, 1, 3, 0, NULL);
  seq_join (s, 2, 4, 0, NULL);
  seq_join (s, 3, 5, 0, NULL);
  seq_join (s, 0, 6, 0, NULL);
  seq_write (s, "native-id-taken");

  /* a full server (4 at most) */
  s = seq_new (FUZZ_CFG_FEW_PEERS);
  for (int i = 0; i < 6; i++)
    seq_join (s, i, i, 0, NULL);
  seq_write (s, "native-full");

  /* the longest IDs with eight candidates each, behind one NAT: a LIST and
   * EVENTS split over several datagrams */
  s = seq_new (0);
  seq_join (s, 0, 7, 8, lan);
  {
    /* IDs of the registrants come from the input here: 127 bytes, the
     * most a record can carry, in 32 characters */
    for (int i = 1; i < 6; i++)
      {
        char id[128];

        for (int j = 0; j < 31; j++)
          memcpy (id + 4 * j, "\xf0\x9d\x90\x81", 4);
        memcpy (id + 124, "\xe4\xb8\x80", 3);
        id[126] = (char) (0x80 + i);
        id[127] = '\0';
        for (int round = 0; round < 2; round++)
          {
            seq_byte (s, FUZZ_OP (FUZZ_OP_REGISTER, i == 4 ? 5 : i, 0, round == 1));
            seq_byte (s, (round == 0 ? 0x10 : 0) | 8);
            seq_byte (s, 127);
            g_byte_array_append (s, (const guint8 *) id, 127);
            for (int c = 0; c < 8; c++)
              seq_byte (s, lan[c]);
          }
      }
  }
  seq_request (s, 0, 0, TRUE, REQ_RESYNC, 0, 0, NULL);
  seq_write (s, "native-big-lists");

  /* the assignment's clients: register, keep alive, list, exit (repeated
   * after a moment), time out */
  s = seq_new (0);
  seq_text (s, 5, 0, TRUE, "alice 10.0.0.5");
  seq_text (s, 2, 0, TRUE, "bob 10.0.0.6");
  seq_text (s, 7, 0, TRUE, "carol 10.0.0.7");
  seq_text (s, 0, 0, TRUE, "dave 10.0.0.8");
  seq_text (s, 5, 1, TRUE, "alice@keepalive");
  seq_text (s, 2, 0, TRUE, "bob@keepalive");
  seq_text (s, 7, 0, TRUE, "carol @exit");
  seq_tick (s, 1, TRUE);
  seq_text (s, 5, 1, TRUE, "alice@keepalive");
  seq_tick (s, 2, TRUE);
  seq_write (s, "classic-lifecycle");

  /* classic lines that are refused, spoofed or off the protocol */
  s = seq_new (0);
  seq_text (s, 5, 0, TRUE, "alice 10.0.0.5\n");
  seq_text (s, 2, 0, TRUE, "alice @exit");
  seq_text (s, 2, 0, TRUE, "alice@keepalive");
  seq_text (s, 2, 0, TRUE, "alice 10.0.0.9");
  seq_text (s, 5, 0, TRUE, "alice@chat hi");
  seq_text (s, 5, 0, TRUE, "bob 198.18.0.12:10081");
  seq_text (s, 5, 0, TRUE, "bob 10.0.0.6");
  seq_text (s, 3, 0, TRUE, "\xc3\xa5sa fd00::1");
  seq_text (s, 5, 0, TRUE, "alice @exit\r\n");
  seq_write (s, "classic-spoofed");

  /* classic lists under a tight rate limit */
  s = seq_new (FUZZ_CFG_SLOW);
  for (int i = 0; i < 8; i++)
    {
      char line[64];

      g_snprintf (line, sizeof line, "%s 10.0.0.%d", fuzz_ids[i % 7], i + 1);
      seq_text (s, i, 0, TRUE, line);
    }
  seq_text (s, 0, 2, TRUE, "alice 10.0.0.1");
  seq_write (s, "classic-rate-limited");

  /* native and classic together: an introduction to a classic client,
   * relaying to one (refused), events both ways */
  s = seq_new (0);
  seq_text (s, 5, 0, TRUE, "bob 10.0.0.6");
  seq_join (s, 0, 0, 1, lan);
  seq_request (s, 0, 0, TRUE, REQ_INTRO, 0, 5, NULL);
  seq_request (s, 0, 0, TRUE, REQ_RELAY, 0, 5, "x");
  seq_text (s, 5, 0, TRUE, "bob@keepalive");
  seq_request (s, 0, 0, TRUE, REQ_BYE, 0, 0, NULL);
  seq_text (s, 5, 0, TRUE, "bob @exit");
  seq_tick (s, 1, TRUE);
  seq_write (s, "mixed-native-classic");

  /* relaying turned off, the classic protocol turned off */
  s = seq_new (FUZZ_CFG_NO_RELAY | FUZZ_CFG_NO_CLASSIC);
  seq_join (s, 0, 0, 0, NULL);
  seq_join (s, 2, 1, 0, NULL);
  seq_request (s, 0, 0, TRUE, REQ_RELAY, 0, 2, "x");
  seq_text (s, 3, 0, TRUE, "carol 10.0.0.7");
  seq_write (s, "no-relay-no-classic");

  /* IPv6 natives introduced to each other; a classic client on IPv6 */
  s = seq_new (0);
  seq_join (s, 3, 0, 1, (const guint8[]) { 4 });
  seq_join (s, 6, 1, 1, (const guint8[]) { 4 });
  seq_text (s, 2, 0, TRUE, "carol fd00::7");
  seq_request (s, 3, 0, TRUE, REQ_INTRO, 0, 6, NULL);
  seq_request (s, 6, 0, TRUE, REQ_RELAY, 0, 3, "over IPv6");
  seq_request (s, 3, 0, TRUE, REQ_INTRO, 0, 2, NULL);
  seq_write (s, "native-ipv6");

  /* a program restarting on the same socket; another taking over the
   * endpoint under a new name; a classic line from a native's endpoint */
  s = seq_new (0);
  seq_join (s, 0, 0, 0, NULL);
  seq_join (s, 2, 1, 0, NULL);
  seq_join (s, 0, 0, 2, lan);
  seq_join (s, 0, 2, 0, NULL);
  seq_text (s, 0, 0, TRUE, "dave 10.0.0.8");
  seq_text (s, 2, 0, TRUE, "bob 10.0.0.6");
  seq_request (s, 2, 0, TRUE, REQ_RESYNC, 0, 0, NULL);
  seq_write (s, "native-restart-evict");

  /* introductions and relaying past their rate limits */
  s = seq_new (0);
  seq_join (s, 0, 0, 0, NULL);
  seq_join (s, 2, 1, 0, NULL);
  for (int i = 0; i < 24; i++)
    seq_request (s, 0, 0, i % 6 == 5, REQ_INTRO, 0, 2, NULL);
  for (int i = 0; i < 24; i++)
    seq_request (s, 0, 0, i % 6 == 5, REQ_RESYNC, 0, 0, NULL);
  seq_write (s, "native-request-rate");

  s = seq_new (0);
  seq_join (s, 0, 0, 0, NULL);
  seq_join (s, 2, 1, 0, NULL);
  for (int i = 0; i < 110; i++)
    seq_request (s, 0, 0, i % 50 == 49, REQ_RELAY, 0, 2, "r");
  seq_request (s, 0, 1, TRUE, REQ_RELAY, 0, 2, "after a second");
  seq_write (s, "native-relay-rate");

  /* keep-alives across cookie windows, a rebinding with a stale cookie */
  s = seq_new (0);
  seq_join (s, 0, 0, 0, NULL);
  for (int i = 0; i < 4; i++)
    seq_request (s, 0, 1, FALSE, REQ_KEEPALIVE, 0, 0, NULL);
  seq_request (s, 1, 0, FALSE, REQ_KEEPALIVE | REQ_OTHER_SESSION | REQ_PAD, 0, 0, NULL);
  seq_tick (s, 3, FALSE);
  seq_request (s, 1, 0, TRUE, REQ_KEEPALIVE | REQ_OTHER_SESSION | REQ_COOKIE | REQ_PAD, 0, 0, NULL);
  seq_write (s, "native-keepalive-windows");

  /* eight classic clients, two behind each NAT */
  s = seq_new (0);
  for (int i = 0; i < FUZZ_N_SOURCES; i++)
    {
      char line[64];

      g_snprintf (line, sizeof line, "c%d 10.0.%d.%d", i, i / 4, i + 1);
      seq_text (s, i, 0, i % 2 == 1, line);
    }
  seq_tick (s, 1, TRUE);
  seq_text (s, 0, 0, TRUE, "c0@keepalive");
  seq_tick (s, 2, TRUE);
  seq_write (s, "classic-crowd");

  /* a native REGISTER with a candidate too many, and one too short to be
   * answered */
  s = seq_new (0);
  seq_register (s, 0, 0, FALSE, 0x10 | 9, 0, lan);
  seq_register (s, 0, 0, TRUE, 9, 0, lan);
  seq_register (s, 1, 0, FALSE, 0x10 | 0x20, 1, NULL);
  seq_register (s, 1, 0, TRUE, 0x20, 1, NULL);
  seq_write (s, "native-register-edges");

  /* STUN from IPv4 and IPv6, both forms, and the RFC 5769 sample */
  s = seq_new (0);
  natter_stun_build_binding_request (FALSE, tid, stun, sizeof stun);
  seq_raw (s, 0, 0, FALSE, stun, sizeof stun);
  seq_raw (s, 3, 0, FALSE, stun, sizeof stun);
  natter_stun_build_binding_request (TRUE, tid, stun, sizeof stun);
  seq_raw (s, 2, 0, FALSE, stun, sizeof stun);
  seq_raw (s, 6, 0, FALSE, stun, sizeof stun);
  {
    g_autofree char *path = g_build_filename (out_dir, "stun", "rfc5769-request", NULL);
    g_autofree char *contents = NULL;
    gsize len;

    if (g_file_get_contents (path, &contents, &len, NULL))
      seq_raw (s, 1, 0, FALSE, contents, len);
  }
  seq_write (s, "stun");

  /* what a server never expects: its own messages, peer datagrams, other
   * versions, garbage */
  s = seq_new (0);
  seq_datagram (s, 0, 0, FALSE, natter_wire_error (NATTER_ERR_BAD_REQUEST, "no"));
  {
    GVariantBuilder *b = body ();

    natter_wire_add_string (b, "why", "bye");
    seq_datagram (s, 0, 0, FALSE, encode (NATTER_MSG_SHUTDOWN, b));
  }
  seq_raw (s, 0, 0, FALSE, "\xff" "NTR\x02\x01", 6);
  seq_raw (s, 0, 0, FALSE, "\xff" "NTR\x01\x7e", 6);
  seq_raw (s, 0, 0, FALSE, "\x01\x02\x03", 3);
  seq_raw (s, 0, 0, FALSE, "", 0);
  seq_datagram (s, 1, 0, FALSE, register_msg ("alice", TRUE, lan_cands, TRUE));
  {
    NatterPeerMsg m = { 0 };

    m.kind = NATTER_PEER_PING;
    seq_datagram (s, 1, 0, FALSE, natter_peer_seal (fuzz_peer_key, "alice", "bob", &m));
  }
  seq_write (s, "unexpected");
}

int
main (int   argc,
      char *argv[])
{
  if (argc != 2)
    {
      fprintf (stderr, "usage: %s DIR\n", argv[0]);
      return 2;
    }
  out_dir = argv[1];
  fuzz_init ();

  wire_seeds ();
  peer_seeds ("peer");
  {
    /* the peer target also sees other messages */
    static const char *const others[] = { "relayed", "register", "welcome", "cookie" };

    for (guint i = 0; i < G_N_ELEMENTS (others); i++)
      {
        g_autofree char *path = g_build_filename (out_dir, "wire", others[i], NULL);
        g_autofree char *contents = NULL;
        gsize len;

        if (!g_file_get_contents (path, &contents, &len, NULL))
          return 1;
        write_seed ("peer", others[i], contents, len);
      }
  }
  classic_seeds ();
  stun_seeds ("stun");
  server_seeds ();
  printf ("%u seed files written under %s\n", n_written, out_dir);
  return 0;
}
