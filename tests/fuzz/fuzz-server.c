/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "fuzz-common.h"
#include "natter-classic.h"
#include "natter-core.h"
#include "natter-stun.h"
#include "natter-wire.h"

/* The server's whole protocol logic (natter-core), without sockets: each
 * input is a sequence of datagrams from a few source endpoints on a made-up
 * clock (the record format is in fuzz-common.h). One core per input, freed
 * at its end, so LeakSanitizer sees anything the core loses.
 *
 * Besides crashes, it checks what the server promises: every datagram it
 * sends is one its clients can parse and goes to a known endpoint; a COOKIE
 * is never larger than the request it answers (no amplification); the
 * registry's indexes agree with each other, its deadlines are in order and
 * nobody outlives a time-out. */

/* NATTER_FUZZ_VERBOSE=1 prints what the server sends, to see what an
 * input reaches. */
static gboolean verbose;

typedef struct
{
  char    *id;          /* from the last WELCOME sent to this source */
  guint8   token[NATTER_WIRE_TOKEN_SIZE];
  gboolean has_cookie;  /* the last COOKIE sent to it */
  guint8   cookie[NATTER_WIRE_COOKIE_MAX];
  gsize    cookie_len;
} Source;

typedef struct
{
  const guint8     *in;
  gsize             left;
  NatterCore       *core;
  NatterCoreConfig  config;
  NatterEndpoint    eps[FUZZ_N_SOURCES];
  Source            sources[FUZZ_N_SOURCES];
  gint64            now;
  guint64           handled;
} Fuzz;

static gboolean
next_byte (Fuzz   *f,
           guint8 *out)
{
  if (f->left == 0)
    return FALSE;
  *out = *f->in++;
  f->left--;
  return TRUE;
}

static int
source_of (Fuzz                 *f,
           const NatterEndpoint *ep)
{
  for (int i = 0; i < FUZZ_N_SOURCES; i++)
    if (natter_endpoint_equal (&f->eps[i], ep))
      return i;
  return -1;
}

/* The outbox */

static void
check_native (Fuzz        *f,
              int          to,
              GBytes      *datagram,
              gsize        request_len,
              int          request_from)
{
  gsize len = g_bytes_get_size (datagram);
  g_auto(NatterMsg) msg = { 0 };
  g_autoptr(GError) error = NULL;
  Source *s = &f->sources[to];

  FUZZ_CHECK (len <= NATTER_WIRE_MAX_SIZE);
  if (!natter_msg_parse (&msg, g_bytes_get_data (datagram, NULL), len, &error))
    {
      fprintf (stderr, "the server sent a datagram its clients cannot parse: %s\n",
               error->message);
      FUZZ_CHECK (!"server output parses");
    }
  fuzz_check_msg (&msg);
  FUZZ_CHECK (msg.type >= NATTER_MSG_COOKIE && msg.type <= NATTER_MSG_SHUTDOWN);

  switch (msg.type)
    {
    case NATTER_MSG_COOKIE:
      /* only ever an answer to the request just handled, no larger */
      FUZZ_CHECK (to == request_from && len <= request_len);
      FUZZ_CHECK (msg.cookie_len <= sizeof s->cookie);
      memcpy (s->cookie, msg.cookie, msg.cookie_len);
      s->cookie_len = msg.cookie_len;
      s->has_cookie = TRUE;
      break;
    case NATTER_MSG_WELCOME:
      FUZZ_CHECK (natter_endpoint_equal (&msg.endpoint, &f->eps[to]));
      g_free (s->id);
      s->id = g_strdup (msg.id);
      memcpy (s->token, msg.token, NATTER_WIRE_TOKEN_SIZE);
      break;
    case NATTER_MSG_ALIVE:
      FUZZ_CHECK (natter_endpoint_equal (&msg.endpoint, &f->eps[to]));
      break;
    case NATTER_MSG_INTRODUCE:
      FUZZ_CHECK (source_of (f, &msg.endpoint) >= 0);
      break;
    default:
      break;
    }
}

static void
check_stun (Fuzz                 *f,
            const NatterEndpoint *to,
            GBytes               *datagram)
{
  gsize len;
  const guint8 *data = g_bytes_get_data (datagram, &len);
  gboolean rfc5389;
  NatterEndpoint mapped;

  FUZZ_CHECK (len >= NATTER_STUN_HEADER_SIZE && len <= NATTER_STUN_MAX_RESPONSE);
  rfc5389 = data[4] == 0x21 && data[5] == 0x12 && data[6] == 0xa4 && data[7] == 0x42;
  FUZZ_CHECK (natter_stun_parse_binding_response (data, len, !rfc5389,
                                                  data + (rfc5389 ? 8 : 4), &mapped));
  /* it tells the source where it came from */
  FUZZ_CHECK (natter_endpoint_equal (&mapped, to));
}

static void
check_classic (GBytes *datagram)
{
  gsize len;
  const guint8 *data = g_bytes_get_data (datagram, &len);
  g_auto(NatterClassicMsg) msg = { 0 };
  g_autoptr(GError) error = NULL;

  if (!natter_classic_parse (data, len, NATTER_CLASSIC_TO_CLIENT, &msg, &error))
    {
      fprintf (stderr, "the server sent a classic line its clients cannot parse: “%.*s”: %s\n",
               (int) len, (const char *) data, error->message);
      FUZZ_CHECK (!"server output parses");
    }
  FUZZ_CHECK (msg.kind == NATTER_CLASSIC_PEER || msg.kind == NATTER_CLASSIC_PRIVATE ||
              msg.kind == NATTER_CLASSIC_UNREGISTERED || msg.kind == NATTER_CLASSIC_OFFLINE);
}

/* Takes the outbox and checks each datagram. request_from is the source of
 * the datagram just handled (-1 after a flush or a tick). */
static void
drain (Fuzz  *f,
       gsize  request_len,
       int    request_from)
{
  g_autoptr(GArray) out = natter_core_take_outbox (f->core);

  FUZZ_CHECK (out != NULL);
  for (guint i = 0; i < out->len; i++)
    {
      NatterOutgoing *o = &g_array_index (out, NatterOutgoing, i);
      int to = source_of (f, &o->to);
      gsize len;
      const guint8 *data;

      /* replies go to where requests came from, and to nowhere else */
      FUZZ_CHECK (to >= 0);
      FUZZ_CHECK (o->data != NULL);
      data = g_bytes_get_data (o->data, &len);
      FUZZ_CHECK (len > 0);
      if (verbose)
        {
          char buf[NATTER_ENDPOINT_STRLEN];

          natter_endpoint_format (&o->to, buf);
          if (natter_packet_classify (data, len) == NATTER_PACKET_NATIVE && len > 5)
            fprintf (stderr, "  -> %s: type 0x%02x, %zu bytes\n", buf, data[5], len);
          else if (natter_packet_classify (data, len) == NATTER_PACKET_CLASSIC)
            fprintf (stderr, "  -> %s: “%.*s”\n", buf, (int) len, (const char *) data);
          else
            fprintf (stderr, "  -> %s: %zu bytes\n", buf, len);
        }
      switch (natter_packet_classify (data, len))
        {
        case NATTER_PACKET_NATIVE:
          check_native (f, to, o->data, request_len, request_from);
          break;
        case NATTER_PACKET_STUN:
          check_stun (f, &o->to, o->data);
          break;
        case NATTER_PACKET_CLASSIC:
          check_classic (o->data);
          break;
        default:
          FUZZ_CHECK (!"the server sends only native, STUN or classic datagrams");
        }
    }
}

static void
check_registry (Fuzz *f)
{
  NatterRegistry *reg = natter_core_get_registry (f->core);
  guint n = 0;
  gint64 last = G_MININT64;
  gint64 deadline = natter_core_next_deadline (f->core);

  for (GList *l = natter_registry_entries (reg); l != NULL; l = l->next)
    {
      NatterEntry *entry = l->data;

      n++;
      FUZZ_CHECK (natter_registry_lookup (reg, entry->id) == entry);
      FUZZ_CHECK (natter_registry_lookup_endpoint (reg, &entry->public_endpoint) == entry);
      FUZZ_CHECK (source_of (f, &entry->public_endpoint) >= 0);
      FUZZ_CHECK (entry->n_candidates <= NATTER_WIRE_MAX_CANDIDATES);
      FUZZ_CHECK (entry->n_candidates == 0 || entry->candidates != NULL);
      /* in deadline order, and every deadline passed has been acted on */
      FUZZ_CHECK (entry->deadline_ms >= last);
      FUZZ_CHECK (entry->deadline_ms > f->now);
      last = entry->deadline_ms;
    }
  FUZZ_CHECK (n == natter_registry_size (reg));
  FUZZ_CHECK (n <= f->config.max_peers);
  FUZZ_CHECK (n == 0 || (deadline >= 0 && deadline > f->now));
  FUZZ_CHECK (natter_core_get_stats (f->core)->received == f->handled);
}

/* Records */

static void
handle (Fuzz         *f,
        int           from,
        const guint8 *data,
        gsize         len)
{
  /* an allocation of exactly len bytes, so ASan sees any read past it */
  g_autofree guint8 *copy = g_malloc (MAX (len, 1));

  if (len > 0)
    memcpy (copy, data, len);
  natter_core_handle (f->core, copy, len, &f->eps[from], f->now);
  f->handled++;
  drain (f, len, from);
}

static void
handle_bytes (Fuzz   *f,
              int     from,
              GBytes *datagram)
{
  if (datagram == NULL)
    return;
  handle (f, from, g_bytes_get_data (datagram, NULL), g_bytes_get_size (datagram));
  g_bytes_unref (datagram);
}

static void
add_pad (GVariantBuilder *b)
{
  static const guint8 zeros[NATTER_WIRE_REGISTER_MIN_SIZE] = { 0 };

  natter_wire_add_bytes (b, "pad", zeros, sizeof zeros);
}

static void
record_raw (Fuzz *f,
            int   from)
{
  guint8 lo, hi;
  gsize len;

  if (!next_byte (f, &lo) || !next_byte (f, &hi))
    return;
  len = MIN ((gsize) (lo | hi << 8), MIN (f->left, FUZZ_MAX_RAW));
  handle (f, from, f->in, len);
  f->in += len;
  f->left -= len;
}

static const char *
target_id (Fuzz   *f,
           guint8  t)
{
  if ((t & 0x80) && f->sources[t & 7].id != NULL)
    return f->sources[t & 7].id;
  return fuzz_ids[t % fuzz_n_ids];
}

static void
record_request (Fuzz *f,
                int   from)
{
  static const NatterMsgType types[8] = {
    NATTER_MSG_KEEPALIVE, NATTER_MSG_RESYNC, NATTER_MSG_BYE, NATTER_MSG_INTRO,
    NATTER_MSG_RELAY, NATTER_MSG_KEEPALIVE, NATTER_MSG_INTRO, NATTER_MSG_RELAY,
  };
  guint8 sel, b;
  int owner = from;
  NatterMsgType type;
  const char *id;
  guint8 token[NATTER_WIRE_TOKEN_SIZE] = { 0 };
  GVariantBuilder builder;

  if (!next_byte (f, &sel))
    return;
  type = types[sel & 7];
  if (sel & 0x08)
    {
      if (!next_byte (f, &b))
        return;
      owner = b % FUZZ_N_SOURCES;
    }
  if (f->sources[owner].id != NULL)
    {
      id = f->sources[owner].id;
      memcpy (token, f->sources[owner].token, sizeof token);
    }
  else
    id = fuzz_ids[owner % fuzz_n_ids];
  if (sel & 0x40)
    token[0] ^= 1;

  g_variant_builder_init (&builder, G_VARIANT_TYPE_VARDICT);
  natter_wire_add_string (&builder, "id", id);
  natter_wire_add_bytes (&builder, "tok", token, sizeof token);
  if (type == NATTER_MSG_KEEPALIVE)
    natter_wire_add_u64 (&builder, "ver", 0);
  if ((sel & 0x10) && f->sources[from].has_cookie)
    natter_wire_add_bytes (&builder, "ck", f->sources[from].cookie, f->sources[from].cookie_len);
  if (type == NATTER_MSG_INTRO || type == NATTER_MSG_RELAY)
    {
      if (!next_byte (f, &b))
        {
          g_variant_builder_clear (&builder);
          return;
        }
      natter_wire_add_string (&builder, "to", target_id (f, b));
    }
  if (type == NATTER_MSG_RELAY)
    {
      gsize len;

      if (!next_byte (f, &b))
        {
          g_variant_builder_clear (&builder);
          return;
        }
      len = MIN ((gsize) b, f->left);
      natter_wire_add_bytes (&builder, "data", f->in, len);
      f->in += len;
      f->left -= len;
    }
  if (sel & 0x20)
    add_pad (&builder);
  handle_bytes (f, from, natter_wire_encode (type, g_variant_builder_end (&builder)));
}

static void
record_register (Fuzz *f,
                 int   from)
{
  guint8 sel, b;
  g_autofree char *own_id = NULL;
  const char *id;
  NatterEndpoint cands[NATTER_WIRE_MAX_CANDIDATES + 1];
  guint n_cands;
  GVariantBuilder builder;
  Source *s = &f->sources[from];

  if (!next_byte (f, &sel) || !next_byte (f, &b))
    return;
  if (b & 0x80)
    id = fuzz_ids[(b & 0x7f) % fuzz_n_ids];
  else
    {
      gsize len = MIN ((gsize) b, f->left);

      own_id = g_strndup ((const char *) f->in, len);
      f->in += len;
      f->left -= len;
      /* a GVariant string is UTF-8: anything else cannot be encoded */
      if (!g_utf8_validate (own_id, -1, NULL))
        return;
      id = own_id;
    }
  /* up to one more than allowed */
  n_cands = (sel & 0x0f) % (NATTER_WIRE_MAX_CANDIDATES + 2);
  for (guint i = 0; i < n_cands; i++)
    {
      if (!next_byte (f, &b))
        return;
      FUZZ_CHECK (natter_endpoint_parse (fuzz_candidates[b % fuzz_n_candidates], 0, &cands[i]));
    }

  g_variant_builder_init (&builder, G_VARIANT_TYPE_VARDICT);
  natter_wire_add_string (&builder, "id", id);
  if (!(sel & 0x10) && s->has_cookie)
    {
      guint8 cookie[NATTER_WIRE_COOKIE_MAX];

      memcpy (cookie, s->cookie, s->cookie_len);
      if (sel & 0x40)
        cookie[s->cookie_len - 1] ^= 0x80;
      natter_wire_add_bytes (&builder, "ck", cookie, s->cookie_len);
    }
  if (n_cands > 0)
    {
      GVariantBuilder list;

      /* natter_wire_add_candidates() stops at the limit; this may not */
      g_variant_builder_init (&list, G_VARIANT_TYPE ("a(ayq)"));
      for (guint i = 0; i < n_cands; i++)
        g_variant_builder_add (&list, "(@ayq)",
                               g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, cands[i].addr,
                                                          natter_endpoint_addr_len (&cands[i]), 1),
                               cands[i].port);
      g_variant_builder_add (&builder, "{sv}", "cand", g_variant_builder_end (&list));
    }
  if (!(sel & 0x20))
    add_pad (&builder);
  handle_bytes (f, from, natter_wire_encode (NATTER_MSG_REGISTER, g_variant_builder_end (&builder)));
}

static void
tick (Fuzz *f)
{
  natter_core_expire (f->core, f->now);
  drain (f, 0, -1);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  Fuzz f = { 0 };
  guint8 cfg, op;

  verbose = g_getenv ("NATTER_FUZZ_VERBOSE") != NULL;
  fuzz_deep_endpoint_checks = FALSE;
  f.in = data;
  f.left = size;
  if (!next_byte (&f, &cfg))
    return 0;
  natter_core_config_init (&f.config);
  f.config.timeout_ms = FUZZ_TIMEOUT_MS;
  f.config.interval_ms = FUZZ_INTERVAL_MS;
  f.config.relay = !(cfg & FUZZ_CFG_NO_RELAY);
  f.config.classic = !(cfg & FUZZ_CFG_NO_CLASSIC);
  f.config.max_peers = (cfg & FUZZ_CFG_FEW_PEERS) ? 4 : 1000;
  if (cfg & FUZZ_CFG_SLOW)
    f.config.classic_rate = 2;
  for (int i = 0; i < FUZZ_N_SOURCES; i++)
    FUZZ_CHECK (natter_endpoint_parse (fuzz_sources[i], 0, &f.eps[i]));
  /* a monotonic clock some days after boot */
  f.now = (gint64) 1000000000;
  f.core = natter_core_new (&f.config);

  while (next_byte (&f, &op))
    {
      int from = op & 7;
      gint64 step = fuzz_server_steps[(op >> 3) & 3];

      if (verbose)
        fprintf (stderr, "record: op %d from %s, +%" G_GINT64_FORMAT " ms%s\n", op >> 6,
                 fuzz_sources[from], step, (op & 0x20) ? ", flush" : "");

      if (step > 0)
        {
          f.now += step;
          /* the server's deadline timer would have fired by now */
          tick (&f);
        }
      switch (op >> 6)
        {
        case FUZZ_OP_RAW:
          record_raw (&f, from);
          break;
        case FUZZ_OP_REQUEST:
          record_request (&f, from);
          break;
        case FUZZ_OP_REGISTER:
          record_register (&f, from);
          break;
        case FUZZ_OP_TICK:
        default:
          tick (&f);
          natter_core_has_output (f.core);
          break;
        }
      if (op & 0x20)
        {
          natter_core_flush (f.core);
          drain (&f, 0, -1);
          FUZZ_CHECK (!natter_core_has_output (f.core));
        }
      check_registry (&f);
    }

  /* the end of the input: pending events, then the goodbyes */
  natter_core_flush (f.core);
  drain (&f, 0, -1);
  natter_core_shutdown (f.core);
  drain (&f, 0, -1);
  natter_core_free (f.core);
  for (int i = 0; i < FUZZ_N_SOURCES; i++)
    g_free (f.sources[i].id);
  return 0;
}
