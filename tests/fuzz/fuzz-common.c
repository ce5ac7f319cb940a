/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz-common.h"

const guint8 fuzz_peer_key[NATTER_WIRE_KEY_SIZE] = {
  0x6e, 0x61, 0x74, 0x74, 0x65, 0x72, 0x2d, 0x66, 0x75, 0x7a, 0x7a, 0x2d, 0x6b, 0x65, 0x79, 0x00,
  0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10,
};

/* IDs that matter to the server: case-folding twins, NFC, the longest
 * allowed (32 four-byte characters, 128 bytes) */
const char *const fuzz_ids[] = {
  "alice",
  "bob",
  "carol",
  "Alice",
  "\xc3\x85sa",   /* Åsa */
  "\xc3\xa5sa",   /* åsa */
  "dave.e-f_9",
  "\xf0\x9d\x90\x80\xf0\x9d\x90\x80\xf0\x9d\x90\x80\xf0\x9d\x90\x80"
  "\xf0\x9d\x90\x80\xf0\x9d\x90\x80\xf0\x9d\x90\x80\xf0\x9d\x90\x80"
  "\xf0\x9d\x90\x80\xf0\x9d\x90\x80\xf0\x9d\x90\x80\xf0\x9d\x90\x80"
  "\xf0\x9d\x90\x80\xf0\x9d\x90\x80\xf0\x9d\x90\x80\xf0\x9d\x90\x80"
  "\xf0\x9d\x90\x80\xf0\x9d\x90\x80\xf0\x9d\x90\x80\xf0\x9d\x90\x80"
  "\xf0\x9d\x90\x80\xf0\x9d\x90\x80\xf0\x9d\x90\x80\xf0\x9d\x90\x80"
  "\xf0\x9d\x90\x80\xf0\x9d\x90\x80\xf0\x9d\x90\x80\xf0\x9d\x90\x80"
  "\xf0\x9d\x90\x80\xf0\x9d\x90\x80\xf0\x9d\x90\x80\xf0\x9d\x90\x80",
};
const guint fuzz_n_ids = G_N_ELEMENTS (fuzz_ids);

/* Two behind one NAT (same address, other ports), one alone, IPv6, and one
 * on the assignment's fixed client port */
const char *const fuzz_sources[FUZZ_N_SOURCES] = {
  "198.51.100.7:40001",
  "198.51.100.7:40002",
  "203.0.113.9:10081",
  "[2001:db8::5]:5000",
  "192.0.2.1:1",
  "198.51.100.7:10081",
  "[2001:db8::6]:65535",
  "203.0.113.10:10081",
};

const char *const fuzz_candidates[] = {
  "10.0.0.5:10081",
  "10.0.0.6:10081",
  "10.0.1.7:40000",
  "192.168.1.2:1",
  "[fd00::1]:5000",
  "[fe80::1]:10081",
  "172.16.0.3:65535",
  "10.0.0.5:10082",
};
const guint fuzz_n_candidates = G_N_ELEMENTS (fuzz_candidates);

/* fast, a keep-alive interval, past a time-out, past a cookie window */
const gint64 fuzz_server_steps[4] = { 0, FUZZ_INTERVAL_MS, FUZZ_TIMEOUT_MS + 1, 31000 };

void
fuzz_fail (const char *file,
           int         line,
           const char *what)
{
  fprintf (stderr, "%s:%d: invariant failed: %s\n", file, line, what);
  fflush (stderr);
  abort ();
}

static GLogWriterOutput
fuzz_log_writer (GLogLevelFlags   level,
                 const GLogField *fields,
                 gsize            n_fields,
                 gpointer         user_data)
{
  if (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING))
    {
      for (gsize i = 0; i < n_fields; i++)
        if (strcmp (fields[i].key, "MESSAGE") == 0 && fields[i].length < 0)
          fprintf (stderr, "GLib %s: %s\n",
                   level & G_LOG_LEVEL_WARNING ? "warning" : "critical or error",
                   (const char *) fields[i].value);
      fflush (stderr);
      abort ();
    }
  return G_LOG_WRITER_HANDLED;
}

void
fuzz_init (void)
{
  g_log_set_writer_func (fuzz_log_writer, NULL, NULL);
}

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  fuzz_init ();
  return 0;
}

static volatile guint fuzz_sink;
gboolean fuzz_deep_endpoint_checks = TRUE;

void
fuzz_touch (const void *p,
            gsize       len)
{
  const guint8 *b = p;
  guint sum = 0;

  FUZZ_CHECK (p != NULL || len == 0);
  for (gsize i = 0; i < len; i++)
    sum += b[i];
  fuzz_sink += sum;
}

void
fuzz_check_endpoint (const NatterEndpoint *ep,
                     gboolean              with_port)
{
  char buf[NATTER_ENDPOINT_STRLEN];
  NatterEndpoint back;

  FUZZ_CHECK (natter_endpoint_is_set (ep));
  if (with_port)
    FUZZ_CHECK (ep->port != 0);
  if (!fuzz_deep_endpoint_checks)
    return;
  natter_endpoint_format (ep, buf);
  FUZZ_CHECK (strlen (buf) < sizeof buf);
  /* what is printed reads back as the same endpoint */
  FUZZ_CHECK (natter_endpoint_parse (buf, 0, &back));
  FUZZ_CHECK (natter_endpoint_equal (&back, ep));
  natter_endpoint_hash (ep);
}

static void
check_id (const char *id)
{
  FUZZ_CHECK (id != NULL);
  FUZZ_CHECK (strlen (id) <= NATTER_ID_MAX_BYTES);
  FUZZ_CHECK (natter_id_validate (id, -1, NULL));
  g_free (natter_id_key (id));
}

static void
check_peer_info (const NatterPeerInfo *peer)
{
  check_id (peer->id);
  fuzz_check_endpoint (&peer->public_endpoint, TRUE);
  FUZZ_CHECK (peer->n_candidates <= NATTER_WIRE_MAX_CANDIDATES);
  for (guint i = 0; i < peer->n_candidates; i++)
    fuzz_check_endpoint (&peer->candidates[i], TRUE);
}

void
fuzz_check_msg (const NatterMsg *msg)
{
  FUZZ_CHECK (msg->body != NULL);
  FUZZ_CHECK (g_variant_is_of_type (msg->body, G_VARIANT_TYPE_VARDICT));
  FUZZ_CHECK (g_variant_is_normal_form (msg->body));

  if (msg->id != NULL)
    check_id (msg->id);
  if (msg->to != NULL)
    check_id (msg->to);
  if (msg->token != NULL)
    fuzz_touch (msg->token, NATTER_WIRE_TOKEN_SIZE);
  if (msg->cookie != NULL)
    {
      FUZZ_CHECK (msg->cookie_len >= 1 && msg->cookie_len <= NATTER_WIRE_COOKIE_MAX);
      fuzz_touch (msg->cookie, msg->cookie_len);
    }
  else
    FUZZ_CHECK (msg->cookie_len == 0);
  if (msg->key != NULL)
    fuzz_touch (msg->key, NATTER_WIRE_KEY_SIZE);
  if (msg->data != NULL)
    {
      FUZZ_CHECK (msg->data_len >= 1 && msg->data_len <= NATTER_WIRE_MAX_DATA);
      fuzz_touch (msg->data, msg->data_len);
    }
  else
    FUZZ_CHECK (msg->data_len == 0);
  if (msg->mac != NULL)
    fuzz_touch (msg->mac, NATTER_WIRE_MAC_SIZE);
  if (msg->reason != NULL)
    {
      FUZZ_CHECK (strlen (msg->reason) <= NATTER_WIRE_MAX_REASON);
      FUZZ_CHECK (g_utf8_validate (msg->reason, -1, NULL));
    }
  if (msg->has_endpoint)
    fuzz_check_endpoint (&msg->endpoint, TRUE);
  FUZZ_CHECK (msg->n_candidates <= NATTER_WIRE_MAX_CANDIDATES);
  for (guint i = 0; i < msg->n_candidates; i++)
    fuzz_check_endpoint (&msg->candidates[i], TRUE);
  if (msg->peers != NULL)
    for (guint i = 0; i < msg->peers->len; i++)
      check_peer_info (&g_array_index (msg->peers, NatterPeerInfo, i));
  if (msg->events != NULL)
    for (guint i = 0; i < msg->events->len; i++)
      {
        const NatterEvent *event = &g_array_index (msg->events, NatterEvent, i);

        FUZZ_CHECK (event->kind >= NATTER_EVENT_JOIN && event->kind <= NATTER_EVENT_MOVE);
        check_peer_info (&event->peer);
      }

  /* what each type promises its reader */
  switch (msg->type)
    {
    case NATTER_MSG_REGISTER:
      FUZZ_CHECK (msg->id != NULL);
      break;
    case NATTER_MSG_KEEPALIVE:
    case NATTER_MSG_RESYNC:
    case NATTER_MSG_BYE:
      FUZZ_CHECK (msg->id != NULL && msg->token != NULL);
      break;
    case NATTER_MSG_INTRO:
      FUZZ_CHECK (msg->id != NULL && msg->token != NULL && msg->to != NULL);
      break;
    case NATTER_MSG_RELAY:
      FUZZ_CHECK (msg->id != NULL && msg->token != NULL && msg->to != NULL && msg->data != NULL);
      break;
    case NATTER_MSG_COOKIE:
      FUZZ_CHECK (msg->cookie != NULL);
      break;
    case NATTER_MSG_WELCOME:
      FUZZ_CHECK (msg->id != NULL && msg->token != NULL && msg->has_endpoint);
      FUZZ_CHECK (msg->interval_ms > 0 && msg->timeout_ms >= msg->interval_ms);
      break;
    case NATTER_MSG_LIST:
      FUZZ_CHECK (msg->peers != NULL);
      FUZZ_CHECK (msg->parts > 0 && msg->part < msg->parts);
      break;
    case NATTER_MSG_EVENTS:
      FUZZ_CHECK (msg->events != NULL);
      break;
    case NATTER_MSG_ALIVE:
      FUZZ_CHECK (msg->has_endpoint);
      break;
    case NATTER_MSG_ERROR:
    case NATTER_MSG_SHUTDOWN:
      break;
    case NATTER_MSG_INTRODUCE:
      FUZZ_CHECK (msg->id != NULL && msg->has_endpoint);
      FUZZ_CHECK (msg->classic || msg->key != NULL);
      break;
    case NATTER_MSG_RELAYED:
      FUZZ_CHECK (msg->id != NULL && msg->data != NULL);
      break;
    case NATTER_MSG_PEER:
      FUZZ_CHECK (msg->id != NULL && msg->to != NULL && msg->mac != NULL && msg->data != NULL);
      break;
    default:
      FUZZ_CHECK (!"natter_msg_parse accepted an unknown type");
    }
}

/* Re-encoding */

static void
add_auth (GVariantBuilder *b,
          const NatterMsg *msg)
{
  natter_wire_add_string (b, "id", msg->id);
  natter_wire_add_bytes (b, "tok", msg->token, NATTER_WIRE_TOKEN_SIZE);
}

static GBytes *
reencode (const NatterMsg *msg)
{
  GVariantBuilder b;

  g_variant_builder_init (&b, G_VARIANT_TYPE_VARDICT);
  switch (msg->type)
    {
    case NATTER_MSG_REGISTER:
      natter_wire_add_string (&b, "id", msg->id);
      if (msg->cookie != NULL)
        natter_wire_add_bytes (&b, "ck", msg->cookie, msg->cookie_len);
      if (msg->n_candidates > 0)
        natter_wire_add_candidates (&b, "cand", msg->candidates, msg->n_candidates);
      break;
    case NATTER_MSG_KEEPALIVE:
      add_auth (&b, msg);
      if (msg->cookie != NULL)
        natter_wire_add_bytes (&b, "ck", msg->cookie, msg->cookie_len);
      natter_wire_add_u64 (&b, "ver", msg->version);
      break;
    case NATTER_MSG_RESYNC:
    case NATTER_MSG_BYE:
      add_auth (&b, msg);
      break;
    case NATTER_MSG_INTRO:
      add_auth (&b, msg);
      natter_wire_add_string (&b, "to", msg->to);
      break;
    case NATTER_MSG_RELAY:
      add_auth (&b, msg);
      natter_wire_add_string (&b, "to", msg->to);
      natter_wire_add_bytes (&b, "data", msg->data, msg->data_len);
      break;
    case NATTER_MSG_COOKIE:
      natter_wire_add_bytes (&b, "ck", msg->cookie, msg->cookie_len);
      break;
    case NATTER_MSG_WELCOME:
      add_auth (&b, msg);
      natter_wire_add_endpoint (&b, "ep", &msg->endpoint);
      natter_wire_add_u32 (&b, "ival", msg->interval_ms);
      natter_wire_add_u32 (&b, "tmo", msg->timeout_ms);
      natter_wire_add_u64 (&b, "ver", msg->version);
      break;
    case NATTER_MSG_LIST:
      {
        GVariantBuilder peers;

        g_variant_builder_init (&peers, G_VARIANT_TYPE ("a(s(ayq)a(ayq)u)"));
        for (guint i = 0; i < msg->peers->len; i++)
          g_variant_builder_add_value (&peers, natter_wire_peer_variant (
                                         &g_array_index (msg->peers, NatterPeerInfo, i)));
        natter_wire_add_u64 (&b, "ver", msg->version);
        g_variant_builder_add (&b, "{sv}", "part", g_variant_new_uint16 (msg->part));
        g_variant_builder_add (&b, "{sv}", "parts", g_variant_new_uint16 (msg->parts));
        g_variant_builder_add (&b, "{sv}", "peers", g_variant_builder_end (&peers));
      }
      break;
    case NATTER_MSG_EVENTS:
      {
        GVariantBuilder events;

        g_variant_builder_init (&events, G_VARIANT_TYPE ("a(ty(s(ayq)a(ayq)u))"));
        for (guint i = 0; i < msg->events->len; i++)
          g_variant_builder_add_value (&events, natter_wire_event_variant (
                                         &g_array_index (msg->events, NatterEvent, i)));
        g_variant_builder_add (&b, "{sv}", "events", g_variant_builder_end (&events));
      }
      break;
    case NATTER_MSG_ALIVE:
      natter_wire_add_u64 (&b, "ver", msg->version);
      natter_wire_add_endpoint (&b, "ep", &msg->endpoint);
      break;
    case NATTER_MSG_ERROR:
      g_variant_builder_clear (&b);
      return natter_wire_error (msg->code, msg->reason);
    case NATTER_MSG_INTRODUCE:
      natter_wire_add_string (&b, "id", msg->id);
      natter_wire_add_endpoint (&b, "ep", &msg->endpoint);
      if (msg->n_candidates > 0)
        natter_wire_add_candidates (&b, "cand", msg->candidates, msg->n_candidates);
      if (msg->classic)
        natter_wire_add_bool (&b, "classic", TRUE);
      if (msg->key != NULL)
        natter_wire_add_bytes (&b, "key", msg->key, NATTER_WIRE_KEY_SIZE);
      break;
    case NATTER_MSG_RELAYED:
      natter_wire_add_string (&b, "id", msg->id);
      natter_wire_add_bytes (&b, "data", msg->data, msg->data_len);
      break;
    case NATTER_MSG_SHUTDOWN:
      if (msg->reason != NULL)
        natter_wire_add_string (&b, "why", msg->reason);
      break;
    case NATTER_MSG_PEER:
      natter_wire_add_string (&b, "id", msg->id);
      natter_wire_add_string (&b, "to", msg->to);
      natter_wire_add_bytes (&b, "mac", msg->mac, NATTER_WIRE_MAC_SIZE);
      natter_wire_add_bytes (&b, "p", msg->data, msg->data_len);
      break;
    default:
      g_assert_not_reached ();
    }
  return natter_wire_encode (msg->type, g_variant_builder_end (&b));
}

static gboolean
bytes_equal (const guint8 *a,
             const guint8 *b,
             gsize         len)
{
  if (a == NULL || b == NULL)
    return a == b;
  return memcmp (a, b, len) == 0;
}

static gboolean
endpoints_equal (const NatterEndpoint *a,
                 guint                 n_a,
                 const NatterEndpoint *b,
                 guint                 n_b)
{
  if (n_a != n_b)
    return FALSE;
  for (guint i = 0; i < n_a; i++)
    if (!natter_endpoint_equal (&a[i], &b[i]))
      return FALSE;
  return TRUE;
}

static gboolean
peer_info_equal (const NatterPeerInfo *a,
                 const NatterPeerInfo *b)
{
  return strcmp (a->id, b->id) == 0 &&
         natter_endpoint_equal (&a->public_endpoint, &b->public_endpoint) &&
         endpoints_equal (a->candidates, a->n_candidates, b->candidates, b->n_candidates) &&
         a->flags == b->flags;
}

gboolean
fuzz_msg_equal (const NatterMsg *a,
                const NatterMsg *b)
{
  if (a->type != b->type ||
      g_strcmp0 (a->id, b->id) != 0 || g_strcmp0 (a->to, b->to) != 0 ||
      !bytes_equal (a->token, b->token, NATTER_WIRE_TOKEN_SIZE) ||
      a->cookie_len != b->cookie_len || !bytes_equal (a->cookie, b->cookie, a->cookie_len) ||
      !bytes_equal (a->key, b->key, NATTER_WIRE_KEY_SIZE) ||
      a->data_len != b->data_len || !bytes_equal (a->data, b->data, a->data_len) ||
      !bytes_equal (a->mac, b->mac, NATTER_WIRE_MAC_SIZE) ||
      g_strcmp0 (a->reason, b->reason) != 0 ||
      a->code != b->code || a->version != b->version ||
      a->interval_ms != b->interval_ms || a->timeout_ms != b->timeout_ms ||
      a->part != b->part || a->parts != b->parts ||
      !a->classic != !b->classic || !a->has_endpoint != !b->has_endpoint ||
      (a->has_endpoint && !natter_endpoint_equal (&a->endpoint, &b->endpoint)) ||
      !endpoints_equal (a->candidates, a->n_candidates, b->candidates, b->n_candidates) ||
      (a->peers == NULL) != (b->peers == NULL) ||
      (a->events == NULL) != (b->events == NULL))
    return FALSE;
  if (a->peers != NULL)
    {
      if (a->peers->len != b->peers->len)
        return FALSE;
      for (guint i = 0; i < a->peers->len; i++)
        if (!peer_info_equal (&g_array_index (a->peers, NatterPeerInfo, i),
                              &g_array_index (b->peers, NatterPeerInfo, i)))
          return FALSE;
    }
  if (a->events != NULL)
    {
      if (a->events->len != b->events->len)
        return FALSE;
      for (guint i = 0; i < a->events->len; i++)
        {
          const NatterEvent *ea = &g_array_index (a->events, NatterEvent, i);
          const NatterEvent *eb = &g_array_index (b->events, NatterEvent, i);

          if (ea->version != eb->version || ea->kind != eb->kind ||
              !peer_info_equal (&ea->peer, &eb->peer))
            return FALSE;
        }
    }
  return TRUE;
}

void
fuzz_check_reencode (const NatterMsg *msg,
                     gsize            orig_len)
{
  g_autoptr(GBytes) again = reencode (msg);
  g_auto(NatterMsg) back = { 0 };
  g_autoptr(GError) error = NULL;

  if (again == NULL)
    {
      /* Only the fields are kept, so it is no larger, except that the
       * dictionary entries may be laid out in another order: each can
       * cost up to 7 bytes of alignment padding. */
      FUZZ_CHECK (orig_len + 7 * g_variant_n_children (msg->body) > NATTER_WIRE_MAX_SIZE);
      return;
    }
  if (!natter_msg_parse (&back, g_bytes_get_data (again, NULL), g_bytes_get_size (again),
                         &error))
    {
      fprintf (stderr, "re-encoded message of type 0x%02x does not parse: %s\n",
               msg->type, error->message);
      FUZZ_CHECK (!"re-encoded message parses");
    }
  fuzz_check_msg (&back);
  FUZZ_CHECK (fuzz_msg_equal (msg, &back));
}

void
fuzz_peer_mac (const guint8 *key,
               const char   *from,
               const char   *to,
               const guint8 *p,
               gsize         p_len,
               guint8       *mac)
{
  static const char domain[] = "natter-peer-v1";
  g_autoptr(GHmac) hmac = g_hmac_new (G_CHECKSUM_SHA256, key, NATTER_WIRE_KEY_SIZE);
  guint8 digest[32];
  gsize digest_len = sizeof digest;

  g_hmac_update (hmac, (const guchar *) domain, sizeof domain);
  g_hmac_update (hmac, (const guchar *) from, strlen (from) + 1);
  g_hmac_update (hmac, (const guchar *) to, strlen (to) + 1);
  g_hmac_update (hmac, p, p_len);
  g_hmac_get_digest (hmac, digest, &digest_len);
  memcpy (mac, digest, NATTER_WIRE_MAC_SIZE);
}
