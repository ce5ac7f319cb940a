/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <locale.h>
#include <string.h>

#include <gio/gio.h>

#include "natter-classic.h"
#include "natter-stun.h"
#include "natter-wire.h"

/* Floods a natter-server on a loopback address with hostile datagrams, as
 * fast as it can, for a bounded time: garbage, broken and oversized native
 * datagrams, and well-formed requests that cannot be authenticated (no
 * cookie, a bad cookie, made-up tokens for real IDs), classic commands from
 * the wrong endpoint and STUN requests. It sends from many local ports, as
 * many hosts behind one address would, reads whatever the server answers,
 * and prints what it sent and got back. It refuses any address that is not
 * loopback.
 *
 * Unthrottled, one sender on loopback easily outruns the server, and the
 * kernel then drops most datagrams at the server's socket, legitimate ones
 * as much as the flood. --adaptive floods as fast as the server takes the
 * datagrams instead. The server answers a steady share of this mix (COOKIEs,
 * bounded errors, STUN responses), measured first at a gentle pace; when
 * the share answered drops, datagrams are being lost before the server
 * sees them, and the flooder slows down. So the server works flat out on
 * hostile input while its queue rarely overflows. The kernel's drop counter
 * of the server's socket (/proc/net/udp) is read before and after, for the
 * record; it is too slow to read on a machine with many sockets to steer
 * by. */

#define POOL_SIZE 8192
#define BATCH     64

typedef enum
{
  KIND_GARBAGE,
  KIND_HEADER,
  KIND_HUGE,
  KIND_REGISTER,
  KIND_REGISTER_COOKIE,
  KIND_KEEPALIVE,
  KIND_BYE,
  KIND_INTRO,
  KIND_RELAY,
  KIND_RESYNC,
  KIND_MOVE,
  KIND_CLASSIC,
  KIND_STUN,
  KIND_WRONG_WAY,
  N_KINDS
} Kind;

static const struct
{
  const char *name;
  guint       weight;   /* per thousand of the pool */
} kinds[N_KINDS] = {
  [KIND_GARBAGE] = { "random bytes", 200 },
  [KIND_HEADER] = { "broken native headers", 150 },
  [KIND_HUGE] = { "oversized", 10 },
  [KIND_REGISTER] = { "REGISTER without cookie", 120 },
  [KIND_REGISTER_COOKIE] = { "REGISTER with a bad cookie", 50 },
  [KIND_KEEPALIVE] = { "KEEPALIVE with a wrong token", 80 },
  [KIND_BYE] = { "BYE with a wrong token", 80 },
  [KIND_INTRO] = { "INTRO with a wrong token", 60 },
  [KIND_RELAY] = { "RELAY with a wrong token", 60 },
  [KIND_RESYNC] = { "RESYNC with a wrong token", 30 },
  [KIND_MOVE] = { "KEEPALIVE with a cookie and a wrong token", 20 },
  [KIND_CLASSIC] = { "classic commands", 80 },
  [KIND_STUN] = { "STUN requests", 50 },
  [KIND_WRONG_WAY] = { "server-to-client and peer types", 10 },
};

typedef struct
{
  GBytes *data;
  Kind    kind;
} Datagram;

typedef struct
{
  GRand   *rand;
  char   **ids;       /* real IDs to name in requests */
  guint    n_ids;
} Maker;

static void
random_bytes (Maker  *maker,
              guint8 *buf,
              gsize   len)
{
  for (gsize i = 0; i < len; i++)
    buf[i] = (guint8) g_rand_int_range (maker->rand, 0, 256);
}

/* A real ID half of the time, otherwise a made-up one. */
static char *
some_id (Maker *maker)
{
  if (maker->n_ids > 0 && g_rand_boolean (maker->rand))
    return g_strdup (maker->ids[g_rand_int_range (maker->rand, 0, maker->n_ids)]);
  return g_strdup_printf ("flood%u", g_rand_int_range (maker->rand, 0, 100000));
}

static GBytes *
register_request (Maker   *maker,
                  gboolean with_cookie)
{
  g_autofree char *id = some_id (maker);
  g_autofree guint8 *pad = NULL;
  gsize pad_len = g_rand_int_range (maker->rand, 0, 2) ? NATTER_WIRE_REGISTER_MIN_SIZE
                                                        : g_rand_int_range (maker->rand, 0, 200);
  GVariantBuilder b;

  g_variant_builder_init (&b, G_VARIANT_TYPE_VARDICT);
  natter_wire_add_string (&b, "id", id);
  if (with_cookie)
    {
      guint8 cookie[20];

      random_bytes (maker, cookie, sizeof cookie);
      natter_wire_add_bytes (&b, "ck", cookie, g_rand_int_range (maker->rand, 1, sizeof cookie + 1));
    }
  if (pad_len > 0)
    {
      pad = g_malloc0 (pad_len);
      natter_wire_add_bytes (&b, "pad", pad, pad_len);
    }
  return natter_wire_encode (NATTER_MSG_REGISTER, g_variant_builder_end (&b));
}

static GBytes *
auth_request (Maker         *maker,
              NatterMsgType  type)
{
  g_autofree char *id = some_id (maker);
  g_autofree char *to = some_id (maker);
  guint8 token[NATTER_WIRE_TOKEN_SIZE];
  guint8 data[1000];
  gsize data_len = type == NATTER_MSG_RELAY ? g_rand_int_range (maker->rand, 1, sizeof data) : 0;

  random_bytes (maker, token, sizeof token);
  random_bytes (maker, data, data_len);
  return natter_wire_auth_request (type, id, token,
                                   type == NATTER_MSG_INTRO || type == NATTER_MSG_RELAY ? to : NULL,
                                   data_len > 0 ? data : NULL, data_len,
                                   g_rand_int_range (maker->rand, 0, 1000));
}

static GBytes *
move_request (Maker *maker)
{
  g_autofree char *id = some_id (maker);
  guint8 token[NATTER_WIRE_TOKEN_SIZE];
  guint8 cookie[20];
  GVariantBuilder b;

  random_bytes (maker, token, sizeof token);
  random_bytes (maker, cookie, sizeof cookie);
  g_variant_builder_init (&b, G_VARIANT_TYPE_VARDICT);
  natter_wire_add_string (&b, "id", id);
  natter_wire_add_bytes (&b, "tok", token, sizeof token);
  natter_wire_add_bytes (&b, "ck", cookie, sizeof cookie);
  return natter_wire_encode (NATTER_MSG_KEEPALIVE, g_variant_builder_end (&b));
}

/* The native header with something wrong in or after it. */
static GBytes *
broken_header (Maker *maker)
{
  guint8 buf[600];
  gsize len;

  memcpy (buf, NATTER_WIRE_MAGIC, 4);
  buf[4] = NATTER_WIRE_VERSION;
  buf[5] = NATTER_MSG_KEEPALIVE;
  switch (g_rand_int_range (maker->rand, 0, 5))
    {
    case 0:   /* cut short inside the header */
      len = g_rand_int_range (maker->rand, 1, NATTER_WIRE_HEADER_SIZE);
      break;
    case 1:   /* another version */
      buf[4] = (guint8) g_rand_int_range (maker->rand, 2, 256);
      len = NATTER_WIRE_HEADER_SIZE + g_rand_int_range (maker->rand, 0, 100);
      random_bytes (maker, buf + NATTER_WIRE_HEADER_SIZE, len - NATTER_WIRE_HEADER_SIZE);
      break;
    case 2:   /* an unknown type */
      buf[5] = (guint8) g_rand_int_range (maker->rand, 0x07, 0x41);
      len = NATTER_WIRE_HEADER_SIZE;
      break;
    case 3:   /* a valid request cut anywhere */
      {
        g_autoptr(GBytes) whole = auth_request (maker, NATTER_MSG_KEEPALIVE);
        gsize whole_len = g_bytes_get_size (whole);

        len = g_rand_int_range (maker->rand, NATTER_WIRE_HEADER_SIZE, whole_len);
        memcpy (buf, g_bytes_get_data (whole, NULL), len);
      }
      break;
    default:  /* a good header, then noise */
      buf[5] = (guint8) g_rand_int_range (maker->rand, 1, 7);
      len = NATTER_WIRE_HEADER_SIZE + g_rand_int_range (maker->rand, 0, sizeof buf - 6);
      random_bytes (maker, buf + NATTER_WIRE_HEADER_SIZE, len - NATTER_WIRE_HEADER_SIZE);
      break;
    }
  return g_bytes_new (buf, len);
}

static GBytes *
classic_line (Maker *maker)
{
  g_autofree char *id = some_id (maker);
  char *line;

  switch (g_rand_int_range (maker->rand, 0, 5))
    {
    case 0:
      line = g_strdup ("@show_list");
      break;
    case 1:
      line = natter_classic_format_exit (id);
      break;
    case 2:
      line = natter_classic_format_keepalive (id);
      break;
    case 3:
      line = natter_classic_format_chat (id, "flood");
      break;
    default:
      line = g_strdup_printf ("%s@exit", id);
      break;
    }
  return g_bytes_new_take (line, strlen (line));
}

static GBytes *
stun_request (Maker *maker)
{
  guint8 transaction[16];
  guint8 buf[NATTER_STUN_HEADER_SIZE];
  gsize len;

  random_bytes (maker, transaction, sizeof transaction);
  len = natter_stun_build_binding_request (g_rand_boolean (maker->rand), transaction,
                                           buf, sizeof buf);
  return g_bytes_new (buf, len);
}

/* Types only the server or a peer sends, which the server must ignore. */
static GBytes *
wrong_way (Maker *maker)
{
  static const NatterMsgType types[] = { NATTER_MSG_WELCOME, NATTER_MSG_EVENTS, NATTER_MSG_ERROR,
                                         NATTER_MSG_RELAYED, NATTER_MSG_PEER };
  NatterMsgType type = types[g_rand_int_range (maker->rand, 0, G_N_ELEMENTS (types))];
  g_autofree char *id = some_id (maker);
  guint8 filler[16];
  GVariantBuilder b;

  random_bytes (maker, filler, sizeof filler);
  g_variant_builder_init (&b, G_VARIANT_TYPE_VARDICT);
  natter_wire_add_string (&b, "id", id);
  natter_wire_add_string (&b, "to", id);
  natter_wire_add_bytes (&b, "mac", filler, NATTER_WIRE_MAC_SIZE);
  natter_wire_add_bytes (&b, "p", filler, sizeof filler);
  natter_wire_add_bytes (&b, "data", filler, sizeof filler);
  natter_wire_add_u32 (&b, "code", 5);
  return natter_wire_encode (type, g_variant_builder_end (&b));
}

static GBytes *
make (Maker *maker,
      Kind   kind)
{
  switch (kind)
    {
    case KIND_GARBAGE:
      {
        gsize len = g_rand_int_range (maker->rand, 1, 1201);
        guint8 *buf = g_malloc (len);

        random_bytes (maker, buf, len);
        return g_bytes_new_take (buf, len);
      }
    case KIND_HEADER:
      return broken_header (maker);
    case KIND_HUGE:
      {
        /* beyond the server's 2048-byte buffer: seen as truncated */
        gsize len = g_rand_int_range (maker->rand, 0, 8) == 0 ? 65000
                                                              : g_rand_int_range (maker->rand, 2049, 9000);
        guint8 *buf = g_malloc0 (len);

        memcpy (buf, NATTER_WIRE_MAGIC, 4);
        buf[4] = NATTER_WIRE_VERSION;
        buf[5] = NATTER_MSG_REGISTER;
        return g_bytes_new_take (buf, len);
      }
    case KIND_REGISTER:
      return register_request (maker, FALSE);
    case KIND_REGISTER_COOKIE:
      return register_request (maker, TRUE);
    case KIND_KEEPALIVE:
      return auth_request (maker, NATTER_MSG_KEEPALIVE);
    case KIND_BYE:
      return auth_request (maker, NATTER_MSG_BYE);
    case KIND_INTRO:
      return auth_request (maker, NATTER_MSG_INTRO);
    case KIND_RELAY:
      return auth_request (maker, NATTER_MSG_RELAY);
    case KIND_RESYNC:
      return auth_request (maker, NATTER_MSG_RESYNC);
    case KIND_MOVE:
      return move_request (maker);
    case KIND_CLASSIC:
      return classic_line (maker);
    case KIND_STUN:
      return stun_request (maker);
    case KIND_WRONG_WAY:
    default:
      return wrong_way (maker);
    }
}

static GArray *
make_pool (Maker *maker)
{
  GArray *pool = g_array_sized_new (FALSE, FALSE, sizeof (Datagram), POOL_SIZE);
  guint total = 0;

  for (guint k = 0; k < N_KINDS; k++)
    total += kinds[k].weight;
  for (guint i = 0; i < POOL_SIZE; i++)
    {
      guint pick = g_rand_int_range (maker->rand, 0, total);
      Datagram d;

      d.kind = 0;
      while (pick >= kinds[d.kind].weight)
        pick -= kinds[d.kind++].weight;
      d.data = make (maker, d.kind);
      g_assert (d.data != NULL);
      g_array_append_val (pool, d);
    }
  return pool;
}

/* Datagrams the kernel dropped at the sockets bound to `port` (the last
 * column of /proc/net/udp and /proc/net/udp6), or -1 when unreadable. */
static gint64
socket_drops (guint16 port)
{
  static const char *files[] = { "/proc/net/udp", "/proc/net/udp6" };
  char wanted[8];
  gint64 total = -1;

  g_snprintf (wanted, sizeof wanted, ":%04X ", port);
  for (guint f = 0; f < G_N_ELEMENTS (files); f++)
    {
      g_autofree char *text = NULL;
      char *line;

      if (!g_file_get_contents (files[f], &text, NULL, NULL))
        continue;
      /* each line: "sl: local remote st ... drops"; the local port is the
       * first ":XXXX " after the "sl:" */
      for (line = strchr (text, '\n'); line != NULL; line = strchr (line + 1, '\n'))
        {
          char *end = strchr (line + 1, '\n');
          char *local = strchr (line + 1, ':');
          char *last;

          if (end == NULL || local == NULL || local > end)
            break;
          local = strchr (local + 1, ':');
          if (local == NULL || local > end || strncmp (local, wanted, 6) != 0)
            continue;
          /* the last number on the line; lines end in spaces */
          for (last = end; last > local && g_ascii_isspace (last[-1]); last--)
            ;
          while (last > local && g_ascii_isdigit (last[-1]))
            last--;
          total = MAX (total, 0) + g_ascii_strtoll (last, NULL, 10);
        }
    }
  return total;
}

static guint64
drain (GPtrArray *sockets,
       guint64   *bytes)
{
  guint64 n = 0;

  for (guint s = 0; s < sockets->len; s++)
    for (;;)
      {
        guint8 buf[BATCH][2048];
        GInputVector vectors[BATCH];
        GInputMessage messages[BATCH];
        gint got;

        for (guint i = 0; i < BATCH; i++)
          {
            vectors[i] = (GInputVector) { buf[i], sizeof buf[i] };
            messages[i] = (GInputMessage) { NULL, &vectors[i], 1, 0, 0, NULL, NULL };
          }
        got = g_socket_receive_messages (sockets->pdata[s], messages, BATCH, 0, NULL, NULL);
        if (got <= 0)
          break;
        for (gint i = 0; i < got; i++)
          *bytes += messages[i].bytes_received;
        n += got;
        if (got < BATCH)
          break;
      }
  return n;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *host = g_strdup ("127.0.0.1");
  g_autofree char *ids = NULL;
  gint port = 0;
  gdouble seconds = 20;
  gint n_sockets = 64;
  gint seed = 0;
  gint rate_option = 0;
  gboolean adaptive = FALSE;
  const GOptionEntry entries[] = {
    { "host", 0, 0, G_OPTION_ARG_STRING, &host, "Server address, loopback only (default 127.0.0.1)", "ADDRESS" },
    { "port", 'p', 0, G_OPTION_ARG_INT, &port, "Server UDP port", "PORT" },
    { "seconds", 's', 0, G_OPTION_ARG_DOUBLE, &seconds, "How long to flood (default 20, at most 600)", "SECONDS" },
    { "sockets", 'n', 0, G_OPTION_ARG_INT, &n_sockets, "Local ports to send from (default 64)", "N" },
    { "ids", 0, 0, G_OPTION_ARG_STRING, &ids, "Comma-separated IDs of real clients to name in forged requests", "IDS" },
    { "seed", 0, 0, G_OPTION_ARG_INT, &seed, "Seed of the random datagrams (default: random)", "N" },
    { "rate", 'r', 0, G_OPTION_ARG_INT, &rate_option, "At most this many datagrams per second (default 0: as fast as possible)", "N" },
    { "adaptive", 'a', 0, G_OPTION_ARG_NONE, &adaptive, "As fast as the server takes them: back off when its answers fall behind", NULL },
    { NULL }
  };
  g_autoptr(GInetAddress) address = NULL;
  g_autoptr(GSocketAddress) server = NULL;
  g_autoptr(GSocketAddress) local = NULL;
  g_autoptr(GPtrArray) sockets = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GArray) pool = NULL;
  g_auto(GStrv) id_list = NULL;
  Maker maker = { 0 };
  guint64 sent = 0, sent_bytes = 0, answers = 0, answer_bytes = 0, would_block = 0;
  guint64 per_kind[N_KINDS] = { 0 };
  gint64 drops_start, drops_end;
  guint64 sent_at_check = 0, answers_at_check = 0;
  gdouble rate, peak_rate = 0, credit = 0, share = -1;
  gint64 start, end, last, next_check;
  guint next = 0;
  gdouble elapsed;

  setlocale (LC_ALL, "");
  context = g_option_context_new ("- flood a natter-server on loopback with hostile datagrams");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("natter-flood: %s\n", error->message);
      return 2;
    }
  address = g_inet_address_new_from_string (host);
  if (address == NULL || !g_inet_address_get_is_loopback (address))
    {
      g_printerr ("natter-flood: %s is not a loopback address; refusing to flood it\n", host);
      return 2;
    }
  if (port < 1 || port > 65535 || seconds <= 0 || seconds > 600 || n_sockets < 1 ||
      n_sockets > 1024 || rate_option < 0)
    {
      g_printerr ("natter-flood: need --port (1-65535), --seconds (0-600], --sockets (1-1024), "
                  "--rate (0 or more)\n");
      return 2;
    }
  drops_start = socket_drops (port);
  /* adaptive: measure the share answered at a gentle pace, then speed up */
  rate = adaptive ? 5000 : rate_option;

  maker.rand = seed != 0 ? g_rand_new_with_seed (seed) : g_rand_new ();
  if (ids != NULL)
    {
      id_list = g_strsplit (ids, ",", -1);
      maker.ids = id_list;
      maker.n_ids = g_strv_length (id_list);
    }
  pool = make_pool (&maker);

  server = g_inet_socket_address_new (address, port);
  local = g_inet_socket_address_new (address, 0);
  for (gint i = 0; i < n_sockets; i++)
    {
      GSocket *socket = g_socket_new (g_inet_address_get_family (address), G_SOCKET_TYPE_DATAGRAM,
                                      G_SOCKET_PROTOCOL_UDP, &error);

      if (socket == NULL || !g_socket_bind (socket, local, FALSE, &error))
        {
          g_printerr ("natter-flood: cannot open a UDP socket: %s\n", error->message);
          return 1;
        }
      g_socket_set_blocking (socket, FALSE);
      g_ptr_array_add (sockets, socket);
    }

  start = last = g_get_monotonic_time ();
  end = start + (gint64) (seconds * G_TIME_SPAN_SECOND);
  next_check = start + 100 * G_TIME_SPAN_MILLISECOND;
  for (guint round = 0;; round++)
    {
      GSocket *socket = sockets->pdata[round % sockets->len];
      GOutputVector vectors[BATCH];
      GOutputMessage messages[BATCH];
      gint64 now = g_get_monotonic_time ();
      gint n;

      if (now >= end)
        break;
      if (rate > 0)
        {
          /* a token bucket of at most one batch: no bursts after a pause */
          credit = MIN (credit + (now - last) * rate / G_TIME_SPAN_SECOND, 2.0 * BATCH);
          last = now;
          if (credit < BATCH)
            {
              g_usleep (MAX (50, (gulong) ((BATCH - credit) * G_TIME_SPAN_SECOND / rate)));
              round--;
              continue;
            }
          credit -= BATCH;
        }
      if (adaptive && now >= next_check)
        {
          gdouble answered;

          answers += drain (sockets, &answer_bytes);
          answered = sent > sent_at_check
                     ? (gdouble) (answers - answers_at_check) / (sent - sent_at_check) : 0;
          if (share < 0)
            {
              /* the end of the first half second at 5000/s */
              if (now - start >= 500 * G_TIME_SPAN_MILLISECOND)
                {
                  share = (gdouble) answers / MAX (sent, 1);
                  if (share < 0.01)
                    {
                      g_printerr ("natter-flood: --adaptive needs a server that answers\n");
                      return 1;
                    }
                  rate = 20000;
                }
            }
          else if (answered < share * 0.9)
            rate = MAX (1000.0, rate * 0.85);
          else
            rate = MIN (5e6, rate * 1.05);
          sent_at_check = sent;
          answers_at_check = answers;
          peak_rate = MAX (peak_rate, rate);
          next_check = now + 100 * G_TIME_SPAN_MILLISECOND;
        }

      for (guint i = 0; i < BATCH; i++)
        {
          Datagram *d = &g_array_index (pool, Datagram, (next + i) % pool->len);

          vectors[i].buffer = g_bytes_get_data (d->data, &vectors[i].size);
          messages[i] = (GOutputMessage) { server, &vectors[i], 1, 0, NULL, 0 };
        }
      n = g_socket_send_messages (socket, messages, BATCH, 0, NULL, NULL);
      if (n <= 0)
        {
          /* the socket's send buffer is full: let the kernel catch up */
          would_block++;
          g_usleep (100);
          n = 0;
        }
      for (gint i = 0; i < n; i++)
        {
          Datagram *d = &g_array_index (pool, Datagram, (next + i) % pool->len);

          sent_bytes += vectors[i].size;
          per_kind[d->kind]++;
        }
      sent += n;
      next = (next + n) % pool->len;
      if (round % 16 == 15)
        answers += drain (sockets, &answer_bytes);
    }
  /* answers still on their way */
  g_usleep (200 * 1000);
  answers += drain (sockets, &answer_bytes);
  elapsed = (g_get_monotonic_time () - start - 200 * 1000) / (gdouble) G_TIME_SPAN_SECOND;

  g_print ("natter-flood: %" G_GUINT64_FORMAT " datagrams (%" G_GUINT64_FORMAT " bytes) "
           "in %.1f s from %u ports: %.0f datagrams/s; %" G_GUINT64_FORMAT " answers (%"
           G_GUINT64_FORMAT " bytes)\n",
           sent, sent_bytes, elapsed, sockets->len, sent / elapsed, answers, answer_bytes);
  for (guint k = 0; k < N_KINDS; k++)
    g_print ("natter-flood:   %-42s %" G_GUINT64_FORMAT "\n", kinds[k].name, per_kind[k]);
  drops_end = socket_drops (port);
  if (drops_start >= 0 && drops_end >= 0)
    g_print ("natter-flood: the kernel dropped %" G_GINT64_FORMAT " datagrams at the server's "
             "socket (%.2f %%)\n", drops_end - drops_start,
             sent > 0 ? 100.0 * (drops_end - drops_start) / sent : 0.0);
  if (adaptive)
    g_print ("natter-flood: the server answered %.1f %% of the datagrams at 5000/s; the pace "
             "went up to %.0f/s\n", 100 * share, peak_rate);
  g_print ("FLOOD sent=%" G_GUINT64_FORMAT " sent_bytes=%" G_GUINT64_FORMAT " seconds=%.3f "
           "answers=%" G_GUINT64_FORMAT " answer_bytes=%" G_GUINT64_FORMAT " would_block=%"
           G_GUINT64_FORMAT " drops=%" G_GINT64_FORMAT " peak_rate=%.0f\n",
           sent, sent_bytes, elapsed, answers, answer_bytes, would_block,
           drops_start >= 0 && drops_end >= 0 ? drops_end - drops_start : -1, peak_rate);

  for (guint i = 0; i < pool->len; i++)
    g_bytes_unref (g_array_index (pool, Datagram, i).data);
  g_rand_free (maker.rand);
  return 0;
}
