/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "natter-delivery.h"

/* Every test drives the clock itself: times are simulated milliseconds. */

typedef struct
{
  guint64  id;
  guint16  fragment;
  guint16  n_fragments;
  gint64   timestamp_ms;
  GBytes  *text;
} Sent;

static void
sent_clear (gpointer p)
{
  g_bytes_unref (((Sent *) p)->text);
}

static GArray *
sent_new (void)
{
  GArray *sent = g_array_new (FALSE, TRUE, sizeof (Sent));

  g_array_set_clear_func (sent, sent_clear);
  return sent;
}

/* The fragment's text is only valid during the call, so it is copied. */
static void
collect (const NatterPeerMsg *msg,
         gpointer             user_data)
{
  Sent s = { msg->message_id, msg->fragment, msg->n_fragments, msg->timestamp_ms,
             g_bytes_new (msg->text, msg->text_len) };

  g_assert_cmpint (msg->kind, ==, NATTER_PEER_CHAT);
  g_array_append_val ((GArray *) user_data, s);
}

static NatterPeerMsg
chat (guint64     id,
      guint16     fragment,
      guint16     n_fragments,
      gint64      timestamp_ms,
      const void *text,
      gsize       len)
{
  NatterPeerMsg msg = { 0 };

  msg.kind = NATTER_PEER_CHAT;
  msg.message_id = id;
  msg.fragment = fragment;
  msg.n_fragments = n_fragments;
  msg.timestamp_ms = timestamp_ms;
  msg.text = text;
  msg.text_len = len;
  return msg;
}

/* Receives a fragment that must not complete a message. */
static NatterReceiveResult
receive_raw (NatterDelivery *d,
             guint64         id,
             guint16         fragment,
             guint16         n_fragments,
             gint64          timestamp_ms,
             const char     *text,
             gsize           len,
             gint64          now_ms)
{
  NatterPeerMsg msg = chat (id, fragment, n_fragments, timestamp_ms, text, len);
  g_autofree char *out = NULL;
  NatterReceiveResult r = natter_delivery_receive (d, &msg, now_ms, &out, NULL);

  g_assert_true ((r == NATTER_RECEIVE_COMPLETE) == (out != NULL));
  return r;
}

static NatterReceiveResult
receive_sent (NatterDelivery *d,
              const Sent     *s,
              gint64          now_ms,
              char          **text_out,
              gint64         *timestamp_out)
{
  gsize len;
  const guint8 *data = g_bytes_get_data (s->text, &len);
  NatterPeerMsg msg = chat (s->id, s->fragment, s->n_fragments, s->timestamp_ms,
                            data, len);

  return natter_delivery_receive (d, &msg, now_ms, text_out, timestamp_out);
}

static char *
repeat (const char *unit,
        guint       n)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < n; i++)
    g_string_append (s, unit);
  return g_string_free (s, FALSE);
}

static void
test_short_message (void)
{
  /* retransmissions after the first: 250, then doubling up to 2000 */
  const gint64 times[] = { 250, 750, 1750, 3750, 5750, 7750, 9750 };
  NatterDelivery *d = natter_delivery_new ();
  g_autoptr(GArray) sent = sent_new ();
  g_autoptr(GArray) failed = NULL;
  gint64 next;

  g_assert_true (natter_delivery_queue (d, 7, "hi 안녕", 1234, 0));
  g_assert_true (natter_delivery_is_pending (d, 7));
  g_assert_cmpuint (natter_delivery_n_pending (d), ==, 1);
  next = natter_delivery_poll (d, 0, TRUE, collect, sent);
  g_assert_cmpuint (sent->len, ==, 1);
  g_assert_cmpuint (g_array_index (sent, Sent, 0).id, ==, 7);
  g_assert_cmpuint (g_array_index (sent, Sent, 0).fragment, ==, 0);
  g_assert_cmpuint (g_array_index (sent, Sent, 0).n_fragments, ==, 1);
  g_assert_cmpint (g_array_index (sent, Sent, 0).timestamp_ms, ==, 1234);
  g_assert_cmpmem (g_bytes_get_data (g_array_index (sent, Sent, 0).text, NULL),
                   g_bytes_get_size (g_array_index (sent, Sent, 0).text),
                   "hi 안녕", strlen ("hi 안녕"));
  g_assert_cmpint (next, ==, 250);

  for (guint i = 0; i < G_N_ELEMENTS (times); i++)
    {
      g_assert_cmpint (natter_delivery_poll (d, times[i] - 1, TRUE, collect, sent),
                       ==, times[i]);
      g_assert_cmpuint (sent->len, ==, i + 1);
      next = natter_delivery_poll (d, times[i], TRUE, collect, sent);
      g_assert_cmpuint (sent->len, ==, i + 2);
      g_assert_cmpint (next, ==, i + 1 < G_N_ELEMENTS (times) ? times[i + 1] : 11750);
    }

  g_assert_false (natter_delivery_ack (d, 7, 1));
  g_assert_false (natter_delivery_ack (d, 8, 0));
  g_assert_true (natter_delivery_ack (d, 7, 0));
  g_assert_false (natter_delivery_ack (d, 7, 0));
  g_assert_false (natter_delivery_is_pending (d, 7));
  g_assert_cmpuint (natter_delivery_n_pending (d), ==, 0);
  g_assert_cmpint (natter_delivery_poll (d, 20000, TRUE, collect, sent), ==, -1);
  g_assert_cmpint (natter_delivery_poll (d, 40000, TRUE, collect, sent), ==, -1);
  g_assert_cmpuint (sent->len, ==, G_N_ELEMENTS (times) + 1);
  failed = natter_delivery_take_failed (d);
  g_assert_cmpuint (failed->len, ==, 0);
  natter_delivery_free (d);
}

static void
test_give_up (void)
{
  NatterDelivery *d = natter_delivery_new ();
  g_autoptr(GArray) sent = sent_new ();
  g_autoptr(GArray) failed = NULL;
  g_autoptr(GArray) again = NULL;
  gint64 now = 1000, next;

  g_assert_true (natter_delivery_queue (d, 42, "anyone there?", 0, now));
  /* follow poll's own schedule, as a main loop would */
  while ((next = natter_delivery_poll (d, now, TRUE, collect, sent)) >= 0)
    {
      g_assert_cmpint (next, >, now);
      g_assert_cmpint (next, <=, 1000 + NATTER_DELIVERY_GIVE_UP_MS);
      now = next;
    }
  g_assert_cmpint (now, ==, 1000 + NATTER_DELIVERY_GIVE_UP_MS);
  /* 0, 250, 750, 1750, then every 2000 up to 29750 */
  g_assert_cmpuint (sent->len, ==, 18);
  failed = natter_delivery_take_failed (d);
  g_assert_cmpuint (failed->len, ==, 1);
  g_assert_cmpuint (g_array_index (failed, guint64, 0), ==, 42);
  g_assert_false (natter_delivery_is_pending (d, 42));
  g_assert_false (natter_delivery_ack (d, 42, 0));

  g_assert_cmpint (natter_delivery_poll (d, now + 5000, TRUE, collect, sent), ==, -1);
  g_assert_cmpuint (sent->len, ==, 18);
  again = natter_delivery_take_failed (d);
  g_assert_cmpuint (again->len, ==, 0);
  natter_delivery_free (d);
}

/* How many fragments a greedy split on character boundaries gives,
 * worked out independently of the code under test. */
static guint
expected_fragments (const char *text)
{
  gsize in_fragment = 0;
  guint n = 1;

  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    {
      gsize clen = g_utf8_next_char (p) - p;

      if (in_fragment + clen > NATTER_PEER_MAX_FRAGMENT)
        {
          n++;
          in_fragment = 0;
        }
      in_fragment += clen;
    }
  return n;
}

static void
check_fragments (const char *text)
{
  NatterDelivery *tx = natter_delivery_new ();
  NatterDelivery *rx = natter_delivery_new ();
  g_autoptr(GArray) sent = sent_new ();
  g_autoptr(GString) joined = g_string_new (NULL);
  gsize len = strlen (text);
  guint n_complete = 0, *order;

  g_assert_true (natter_delivery_queue (tx, 99, text, 555, 0));
  natter_delivery_poll (tx, 0, TRUE, collect, sent);
  g_assert_cmpuint (sent->len, ==, expected_fragments (text));
  g_assert_cmpuint (sent->len, >=, (len + NATTER_PEER_MAX_FRAGMENT - 1) / NATTER_PEER_MAX_FRAGMENT);
  g_assert_cmpuint (sent->len, <=, (len + NATTER_PEER_MAX_FRAGMENT - 4) / (NATTER_PEER_MAX_FRAGMENT - 3));
  for (guint i = 0; i < sent->len; i++)
    {
      Sent *s = &g_array_index (sent, Sent, i);
      gsize flen;
      const char *data = g_bytes_get_data (s->text, &flen);

      g_assert_cmpuint (s->fragment, ==, i);
      g_assert_cmpuint (s->n_fragments, ==, sent->len);
      g_assert_cmpuint (flen, >=, 1);
      g_assert_cmpuint (flen, <=, NATTER_PEER_MAX_FRAGMENT);
      g_assert_true (g_utf8_validate_len (data, flen, NULL));
      g_string_append_len (joined, data, flen);
    }
  g_assert_cmpstr (joined->str, ==, text);

  order = g_new (guint, sent->len);
  for (guint i = 0; i < sent->len; i++)
    order[i] = i;
  for (guint i = sent->len - 1; i > 0; i--)
    {
      guint j = g_test_rand_int_range (0, i + 1), t = order[i];

      order[i] = order[j];
      order[j] = t;
    }
  for (guint k = 0; k < sent->len; k++)
    {
      Sent *s = &g_array_index (sent, Sent, order[k]);
      g_autofree char *out = NULL;
      gint64 ts = 0;
      NatterReceiveResult r = receive_sent (rx, s, 10, &out, &ts);

      if (k + 1 < sent->len)
        {
          g_assert_cmpint (r, ==, NATTER_RECEIVE_PARTIAL);
          g_assert_null (out);
        }
      else
        {
          g_assert_cmpint (r, ==, NATTER_RECEIVE_COMPLETE);
          g_assert_cmpstr (out, ==, text);
          g_assert_cmpint (ts, ==, 555);
          n_complete++;
        }
      g_assert_cmpint (natter_delivery_ack (tx, s->id, s->fragment), ==, k + 1 == sent->len);
    }
  g_assert_cmpuint (n_complete, ==, 1);
  for (guint i = 0; i < sent->len; i++)
    {
      g_autofree char *out = NULL;

      g_assert_cmpint (receive_sent (rx, &g_array_index (sent, Sent, i), 20, &out, NULL),
                       ==, NATTER_RECEIVE_DUPLICATE);
      g_assert_null (out);
    }
  g_assert_cmpint (natter_delivery_poll (tx, 250, TRUE, collect, sent), ==, -1);
  g_free (order);
  natter_delivery_free (tx);
  natter_delivery_free (rx);
}

static void
test_fragments (void)
{
  /* 4-byte emoji line up with 384-byte fragments: exactly ceil(16384 / 384) */
  g_autofree char *full = repeat ("😀", NATTER_MAX_TEXT_BYTES / 4);
  /* 7-byte units never line up, so fragments back off to a boundary */
  g_autofree char *hangul = repeat ("가😀", NATTER_MAX_TEXT_BYTES / 7);
  g_autofree char *mixed = repeat ("a가😀éz한🎉", 16384 / 19);

  g_assert_cmpuint (strlen (full), ==, NATTER_MAX_TEXT_BYTES);
  g_assert_cmpuint (expected_fragments (full), ==,
                    (NATTER_MAX_TEXT_BYTES + NATTER_PEER_MAX_FRAGMENT - 1) / NATTER_PEER_MAX_FRAGMENT);
  check_fragments (full);
  check_fragments (hangul);
  check_fragments (mixed);
  check_fragments ("x");
}

/* Two peers over a channel that loses 30% of datagrams each way, acks
 * included, and delays (so reorders) the rest. */

#define N_PER_SIDE 100

typedef struct
{
  gint64   at;
  guint    to;
  gboolean is_ack;
  Sent     s;
} Packet;

typedef struct
{
  GRand          *rand;
  NatterDelivery *peer[2];
  GArray         *wire;       /* Packet */
  guint           from;
  gint64          now;
  char           *texts[2][N_PER_SIDE];
  gint64          queue_at[2][N_PER_SIDE];
  guint           n_complete[2][N_PER_SIDE];
  guint           n_acked[2][N_PER_SIDE];
} Net;

static void
packet_clear (gpointer p)
{
  g_clear_pointer (&((Packet *) p)->s.text, g_bytes_unref);
}

static void
net_put (Net  *net,
         guint to,
         Sent *s,
         gboolean is_ack)
{
  Packet p = { net->now + g_rand_int_range (net->rand, 5, 120), to, is_ack, *s };

  if (g_rand_double (net->rand) < 0.3)
    g_clear_pointer (&p.s.text, g_bytes_unref);
  else
    g_array_append_val (net->wire, p);
}

static void
net_send (const NatterPeerMsg *msg,
          gpointer             user_data)
{
  Net *net = user_data;
  Sent s = { msg->message_id, msg->fragment, msg->n_fragments, msg->timestamp_ms,
             g_bytes_new (msg->text, msg->text_len) };

  net_put (net, 1 - net->from, &s, FALSE);
}

static char *
random_text (GRand *rand)
{
  static const char *const chars[] = { "a", "Z", " ", "가", "힣", "😀", "🎉", "é", "Ω", "\n" };
  double kind = g_rand_double (rand);
  gsize target = kind < 0.6 ? g_rand_int_range (rand, 1, 300)
               : kind < 0.9 ? g_rand_int_range (rand, 300, 3000)
               : g_rand_int_range (rand, 3000, NATTER_MAX_TEXT_BYTES + 1);
  GString *s = g_string_new (NULL);

  for (;;)
    {
      const char *c = chars[g_rand_int_range (rand, 0, G_N_ELEMENTS (chars))];

      if (s->len + strlen (c) > target)
        break;
      g_string_append (s, c);
    }
  if (s->len == 0)
    g_string_append_c (s, 'x');
  return g_string_free (s, FALSE);
}

static gint64
next_time (gint64 a,
           gint64 b)
{
  return a < 0 ? b : b < 0 ? a : MIN (a, b);
}

static void
test_lossy (gconstpointer data)
{
  guint32 seed = GPOINTER_TO_UINT (data);
  Net net = { 0 };
  gint64 polled[2] = { 0, 0 };
  guint queued[2] = { 0, 0 };

  net.rand = g_rand_new_with_seed (seed);
  net.wire = g_array_new (FALSE, FALSE, sizeof (Packet));
  g_array_set_clear_func (net.wire, packet_clear);
  for (guint side = 0; side < 2; side++)
    {
      gint64 t = 0;

      net.peer[side] = natter_delivery_new ();
      for (guint k = 0; k < N_PER_SIDE; k++)
        {
          /* mostly a chat's pace, sometimes a burst of pastes */
          t += g_rand_double (net.rand) < 0.15 ? 0 : g_rand_int_range (net.rand, 1, 400);
          net.queue_at[side][k] = t;
          net.texts[side][k] = random_text (net.rand);
        }
    }

  for (guint steps = 0;; steps++)
    {
      gint64 next = -1;

      g_assert_cmpuint (steps, <, 1000000);
      /* datagrams arriving now, in order of arrival */
      for (;;)
        {
          guint best = G_MAXUINT;
          Packet p;

          for (guint i = 0; i < net.wire->len; i++)
            if (g_array_index (net.wire, Packet, i).at <= net.now &&
                (best == G_MAXUINT ||
                 g_array_index (net.wire, Packet, i).at < g_array_index (net.wire, Packet, best).at))
              best = i;
          if (best == G_MAXUINT)
            break;
          p = g_array_index (net.wire, Packet, best);
          g_array_index (net.wire, Packet, best).s.text = NULL;
          g_array_remove_index_fast (net.wire, best);

          if (p.is_ack)
            {
              if (natter_delivery_ack (net.peer[p.to], p.s.id, p.s.fragment))
                net.n_acked[p.to][p.s.id % N_PER_SIDE]++;
            }
          else
            {
              g_autofree char *out = NULL;
              gint64 ts = -1;
              NatterReceiveResult r = receive_sent (net.peer[p.to], &p.s, net.now, &out, &ts);
              guint side = 1 - p.to, k = p.s.id % N_PER_SIDE;

              g_assert_cmpint (r, !=, NATTER_RECEIVE_INVALID);
              if (r == NATTER_RECEIVE_COMPLETE)
                {
                  g_assert_cmpstr (out, ==, net.texts[side][k]);
                  g_assert_cmpint (ts, ==, 1000000 + k);
                  net.n_complete[side][k]++;
                }
              net.from = p.to;
              net_put (&net, side, &p.s, TRUE);
              p.s.text = NULL;
            }
          packet_clear (&p);
        }

      for (guint side = 0; side < 2; side++)
        {
          while (queued[side] < N_PER_SIDE &&
                 net.queue_at[side][queued[side]] <= net.now)
            {
              guint k = queued[side]++;

              g_assert_true (natter_delivery_queue (net.peer[side], side * 1000 + k,
                                                    net.texts[side][k], 1000000 + k,
                                                    net.now));
            }
          net.from = side;
          polled[side] = natter_delivery_poll (net.peer[side], net.now, TRUE, net_send, &net);
          next = next_time (next, polled[side]);
          if (queued[side] < N_PER_SIDE)
            next = next_time (next, net.queue_at[side][queued[side]]);
        }
      for (guint i = 0; i < net.wire->len; i++)
        next = next_time (next, g_array_index (net.wire, Packet, i).at);
      if (next < 0)
        break;
      g_assert_cmpint (next, >, net.now);
      net.now = next;
    }

  g_test_message ("seed %u: all delivered by %" G_GINT64_FORMAT " ms", seed, net.now);
  for (guint side = 0; side < 2; side++)
    {
      g_autoptr(GArray) failed = natter_delivery_take_failed (net.peer[side]);

      g_assert_cmpuint (failed->len, ==, 0);
      g_assert_cmpuint (natter_delivery_n_pending (net.peer[side]), ==, 0);
      for (guint k = 0; k < N_PER_SIDE; k++)
        {
          g_assert_cmpuint (net.n_complete[side][k], ==, 1);
          g_assert_cmpuint (net.n_acked[side][k], ==, 1);
          g_free (net.texts[side][k]);
        }
      natter_delivery_free (net.peer[side]);
    }
  g_array_unref (net.wire);
  g_rand_free (net.rand);
}

static void
test_can_send (void)
{
  NatterDelivery *d = natter_delivery_new ();
  g_autoptr(GArray) sent = sent_new ();
  g_autoptr(GArray) failed = NULL;
  g_autofree char *three = repeat ("b", 2 * NATTER_PEER_MAX_FRAGMENT + 1);

  g_assert_true (natter_delivery_queue (d, 1, "short", 0, 0));
  g_assert_true (natter_delivery_queue (d, 2, three, 0, 100));
  /* no path: nothing goes out, and poll asks only for the give-up */
  g_assert_cmpint (natter_delivery_poll (d, 0, FALSE, NULL, NULL), ==, 30000);
  g_assert_cmpint (natter_delivery_poll (d, 1000, FALSE, collect, sent), ==, 30000);
  g_assert_cmpuint (sent->len, ==, 0);

  /* a path came up: everything goes out at once, with a fresh backoff */
  natter_delivery_kick (d, 2000);
  g_assert_cmpint (natter_delivery_poll (d, 2000, TRUE, collect, sent), ==, 2250);
  g_assert_cmpuint (sent->len, ==, 4);
  g_assert_cmpint (natter_delivery_poll (d, 2250, TRUE, collect, sent), ==, 2750);
  g_assert_cmpint (natter_delivery_poll (d, 2750, TRUE, collect, sent), ==, 3750);
  g_assert_cmpuint (sent->len, ==, 12);
  /* acknowledged fragments are not sent again, even by kick */
  g_assert_false (natter_delivery_ack (d, 2, 1));
  natter_delivery_kick (d, 3000);
  g_assert_cmpint (natter_delivery_poll (d, 3000, TRUE, collect, sent), ==, 3250);
  g_assert_cmpuint (sent->len, ==, 15);
  for (guint i = 12; i < 15; i++)
    g_assert_false (g_array_index (sent, Sent, i).id == 2 &&
                    g_array_index (sent, Sent, i).fragment == 1);

  /* the path is lost again: give-up still happens on time */
  g_assert_cmpint (natter_delivery_poll (d, 29999, FALSE, collect, sent), ==, 30000);
  g_assert_cmpint (natter_delivery_poll (d, 30000, FALSE, collect, sent), ==, 30100);
  g_assert_cmpint (natter_delivery_poll (d, 30100, FALSE, collect, sent), ==, -1);
  g_assert_cmpuint (sent->len, ==, 15);
  failed = natter_delivery_take_failed (d);
  g_assert_cmpuint (failed->len, ==, 2);
  g_assert_cmpuint (g_array_index (failed, guint64, 0), ==, 1);
  g_assert_cmpuint (g_array_index (failed, guint64, 1), ==, 2);
  natter_delivery_free (d);
}

static void
test_queue_rules (void)
{
  NatterDelivery *d = natter_delivery_new ();
  g_autoptr(GArray) sent = sent_new ();
  g_autoptr(GArray) failed = NULL;
  g_autofree char *max = repeat ("a", NATTER_MAX_TEXT_BYTES);
  g_autofree char *over = repeat ("a", NATTER_MAX_TEXT_BYTES + 1);
  g_autofree char *two = repeat ("c", NATTER_PEER_MAX_FRAGMENT + 1);

  g_assert_false (natter_delivery_queue (d, 1, "", 0, 0));
  g_assert_false (natter_delivery_queue (d, 1, "ok \xff", 0, 0));
  g_assert_false (natter_delivery_queue (d, 1, "cut \xed\x95", 0, 0));
  g_assert_false (natter_delivery_queue (d, 1, "\xed\xa0\x80", 0, 0)); /* surrogate */
  g_assert_false (natter_delivery_queue (d, 1, over, 0, 0));
  g_assert_cmpuint (natter_delivery_n_pending (d), ==, 0);
  g_assert_true (natter_delivery_queue (d, 1, max, 0, 0));
  g_assert_false (natter_delivery_queue (d, 1, "same id", 0, 0));
  g_assert_cmpuint (natter_delivery_n_pending (d), ==, 1);

  /* cancel forgets without failing; unknown ids are ignored */
  natter_delivery_cancel (d, 1);
  natter_delivery_cancel (d, 77);
  g_assert_false (natter_delivery_is_pending (d, 1));
  g_assert_cmpint (natter_delivery_poll (d, 0, TRUE, collect, sent), ==, -1);
  g_assert_cmpuint (sent->len, ==, 0);

  /* at most MAX_PARTIAL multi-fragment messages in flight; short ones pass */
  for (guint i = 0; i <= NATTER_DELIVERY_MAX_PARTIAL; i++)
    g_assert_true (natter_delivery_queue (d, 10 + i, two, 0, 0));
  g_assert_true (natter_delivery_queue (d, 100, "short", 0, 0));
  g_assert_cmpint (natter_delivery_poll (d, 0, TRUE, collect, sent), ==, 250);
  g_assert_cmpuint (sent->len, ==, 2 * NATTER_DELIVERY_MAX_PARTIAL + 1);
  for (guint i = 0; i < sent->len; i++)
    g_assert_cmpuint (g_array_index (sent, Sent, i).id, !=, 10 + NATTER_DELIVERY_MAX_PARTIAL);
  g_assert_false (natter_delivery_ack (d, 10, 0));
  g_assert_true (natter_delivery_ack (d, 10, 1));
  g_assert_cmpint (natter_delivery_poll (d, 5, TRUE, collect, sent), ==, 250);
  g_assert_cmpuint (sent->len, ==, 2 * NATTER_DELIVERY_MAX_PARTIAL + 3);
  g_assert_cmpuint (g_array_index (sent, Sent, sent->len - 1).id, ==, 10 + NATTER_DELIVERY_MAX_PARTIAL);
  failed = natter_delivery_take_failed (d);
  g_assert_cmpuint (failed->len, ==, 0);
  natter_delivery_free (d);
}

static void
test_receive_invalid (void)
{
  NatterDelivery *d = natter_delivery_new ();
  g_autofree char *big = repeat ("a", NATTER_PEER_MAX_FRAGMENT + 1);
  NatterPeerMsg ack = chat (1, 0, 1, 0, "x", 1);
  g_autofree char *out = NULL;

  ack.kind = NATTER_PEER_ACK;
  g_assert_cmpint (natter_delivery_receive (d, &ack, 0, &out, NULL), ==, NATTER_RECEIVE_INVALID);
  g_assert_null (out);
  g_assert_cmpint (receive_raw (d, 1, 1, 1, 0, "x", 1, 0), ==, NATTER_RECEIVE_INVALID);
  g_assert_cmpint (receive_raw (d, 1, 3, 2, 0, "x", 1, 0), ==, NATTER_RECEIVE_INVALID);
  g_assert_cmpint (receive_raw (d, 1, 0, 0, 0, "x", 1, 0), ==, NATTER_RECEIVE_INVALID);
  g_assert_cmpint (receive_raw (d, 1, 0, 65, 0, "x", 1, 0), ==, NATTER_RECEIVE_INVALID);
  g_assert_cmpint (receive_raw (d, 1, 0, 1, 0, "", 0, 0), ==, NATTER_RECEIVE_INVALID);
  g_assert_cmpint (receive_raw (d, 1, 0, 1, 0, big, NATTER_PEER_MAX_FRAGMENT + 1, 0), ==, NATTER_RECEIVE_INVALID);
  g_assert_cmpint (receive_raw (d, 1, 0, 2, 0, big, NATTER_PEER_MAX_FRAGMENT, 0), ==, NATTER_RECEIVE_PARTIAL);
  g_assert_cmpint (receive_raw (d, 1, 63, 64, 0, "x", 1, 0), ==, NATTER_RECEIVE_INVALID);
  g_assert_cmpint (receive_raw (d, 1, 1, 2, 999, "x", 1, 0), ==, NATTER_RECEIVE_INVALID);
  g_assert_cmpint (receive_raw (d, 1, 0, 1, 0, "x", 1, 0), ==, NATTER_RECEIVE_INVALID);
  g_assert_cmpint (receive_raw (d, 1, 0, 2, 0, "a", 1, 0), ==, NATTER_RECEIVE_PARTIAL);
  g_assert_cmpint (receive_raw (d, 1, 1, 2, 0, "x", 1, 0), ==, NATTER_RECEIVE_COMPLETE);

  /* the receiver concatenates: a character may straddle fragments */
  g_assert_cmpint (receive_raw (d, 2, 0, 2, 0, "\xe4\xb8", 2, 0), ==, NATTER_RECEIVE_PARTIAL);
  g_assert_cmpint (receive_raw (d, 2, 1, 2, 0, "\xad", 1, 0), ==, NATTER_RECEIVE_COMPLETE);

  /* invalid once whole is never handed up, nor acknowledged later */
  g_assert_cmpint (receive_raw (d, 3, 0, 2, 0, "\xe4\xb8", 2, 0), ==, NATTER_RECEIVE_PARTIAL);
  g_assert_cmpint (receive_raw (d, 3, 1, 2, 0, "x", 1, 0), ==, NATTER_RECEIVE_INVALID);
  g_assert_cmpint (receive_raw (d, 3, 1, 2, 0, "x", 1, 0), ==, NATTER_RECEIVE_INVALID);
  g_assert_cmpint (receive_raw (d, 3, 0, 2, 0, "\xe4\xb8", 2, 0), ==, NATTER_RECEIVE_INVALID);
  g_assert_cmpint (receive_raw (d, 4, 0, 1, 0, "a\0b", 3, 0), ==, NATTER_RECEIVE_INVALID);
  g_assert_cmpint (receive_raw (d, 5, 0, 1, 0, "\xff", 1, 0), ==, NATTER_RECEIVE_INVALID);
  g_assert_cmpint (receive_raw (d, 5, 0, 1, 0, "ok", 2, 0), ==, NATTER_RECEIVE_INVALID);

  /* longer than a message may be, though every fragment is well formed */
  {
    const guint n = NATTER_MAX_TEXT_BYTES / NATTER_PEER_MAX_FRAGMENT + 1;

    for (guint i = 0; i < n; i++)
      g_assert_cmpint (receive_raw (d, 6, i, n, 0, big, NATTER_PEER_MAX_FRAGMENT, 0),
                       ==, i < n - 1 ? NATTER_RECEIVE_PARTIAL : NATTER_RECEIVE_INVALID);
  }
  natter_delivery_free (d);
}

static void
test_bounds_partial (void)
{
  NatterDelivery *d = natter_delivery_new ();
  const guint n = NATTER_DELIVERY_MAX_PARTIAL;

  /* one partial too many: the first goes */
  for (guint i = 1; i <= n + 1; i++)
    g_assert_cmpint (receive_raw (d, i, 0, 2, 0, "a", 1, i), ==, NATTER_RECEIVE_PARTIAL);
  for (guint i = 2; i <= n + 1; i++)
    g_assert_cmpint (receive_raw (d, i, 1, 2, 0, "b", 1, 20), ==, NATTER_RECEIVE_COMPLETE);
  g_assert_cmpint (receive_raw (d, 1, 1, 2, 0, "b", 1, 20), ==, NATTER_RECEIVE_PARTIAL);
  g_assert_cmpint (receive_raw (d, 1, 0, 2, 0, "a", 1, 20), ==, NATTER_RECEIVE_COMPLETE);

  /* "oldest" is the longest without a fragment, resends included */
  for (guint i = 11; i < 11 + n; i++)
    g_assert_cmpint (receive_raw (d, i, 0, 2, 0, "a", 1, 100), ==, NATTER_RECEIVE_PARTIAL);
  g_assert_cmpint (receive_raw (d, 11, 0, 2, 0, "a", 1, 100), ==, NATTER_RECEIVE_PARTIAL);
  g_assert_cmpint (receive_raw (d, 30, 0, 2, 0, "a", 1, 100), ==, NATTER_RECEIVE_PARTIAL);
  g_assert_cmpint (receive_raw (d, 11, 1, 2, 0, "b", 1, 100), ==, NATTER_RECEIVE_COMPLETE);
  g_assert_cmpint (receive_raw (d, 12, 1, 2, 0, "b", 1, 100), ==, NATTER_RECEIVE_PARTIAL);

  /* a single-fragment message never takes a slot */
  g_assert_cmpint (receive_raw (d, 31, 0, 1, 0, "c", 1, 100), ==, NATTER_RECEIVE_COMPLETE);
  g_assert_cmpint (receive_raw (d, 13, 1, 2, 0, "b", 1, 100), ==, NATTER_RECEIVE_COMPLETE);

  natter_delivery_free (d);

  /* once the sender must have given up, a partial goes before the LRU one */
  d = natter_delivery_new ();
  g_assert_cmpint (receive_raw (d, 1, 0, 2, 0, "a", 1, 0), ==, NATTER_RECEIVE_PARTIAL);
  for (guint i = 2; i <= n; i++)
    g_assert_cmpint (receive_raw (d, i, 0, 2, 0, "a", 1, 20000), ==, NATTER_RECEIVE_PARTIAL);
  g_assert_cmpint (receive_raw (d, 1, 0, 2, 0, "a", 1, 29000), ==, NATTER_RECEIVE_PARTIAL);
  g_assert_cmpint (receive_raw (d, n + 1, 0, 2, 0, "a", 1, NATTER_DELIVERY_GIVE_UP_MS), ==, NATTER_RECEIVE_PARTIAL);
  g_assert_cmpint (receive_raw (d, 2, 1, 2, 0, "b", 1, 30000), ==, NATTER_RECEIVE_COMPLETE);
  g_assert_cmpint (receive_raw (d, 1, 1, 2, 0, "b", 1, 30000), ==, NATTER_RECEIVE_PARTIAL);
  natter_delivery_free (d);
}

static void
test_bounds_remembered (void)
{
  NatterDelivery *d = natter_delivery_new ();
  const guint64 first_kept = 5000 - NATTER_DELIVERY_REMEMBERED + 1;

  for (guint64 id = 1; id <= 5000; id++)
    g_assert_cmpint (receive_raw (d, id, 0, 1, 0, "m", 1, 0), ==, NATTER_RECEIVE_COMPLETE);
  g_assert_cmpint (receive_raw (d, 5000, 0, 1, 0, "m", 1, 0), ==, NATTER_RECEIVE_DUPLICATE);
  g_assert_cmpint (receive_raw (d, first_kept, 0, 1, 0, "m", 1, 0), ==, NATTER_RECEIVE_DUPLICATE);
  /* documented: forgotten ids would be handed up again */
  g_assert_cmpint (receive_raw (d, first_kept - 1, 0, 1, 0, "m", 1, 0), ==, NATTER_RECEIVE_COMPLETE);
  g_assert_cmpint (receive_raw (d, first_kept - 1, 0, 1, 0, "m", 1, 0), ==, NATTER_RECEIVE_DUPLICATE);
  g_assert_cmpint (receive_raw (d, first_kept, 0, 1, 0, "m", 1, 0), ==, NATTER_RECEIVE_COMPLETE);
  g_assert_cmpint (receive_raw (d, 1, 0, 1, 0, "m", 1, 0), ==, NATTER_RECEIVE_COMPLETE);
  natter_delivery_free (d);
}

/* A completed message its receiver could not keep is forgotten: the resend
 * is handed up again, and forgetting never drops another id's memory. */
static void
test_forget (void)
{
  NatterDelivery *d = natter_delivery_new ();

  g_assert_cmpint (receive_raw (d, 7, 0, 1, 0, "m", 1, 0), ==, NATTER_RECEIVE_COMPLETE);
  g_assert_cmpint (receive_raw (d, 7, 0, 1, 0, "m", 1, 0), ==, NATTER_RECEIVE_DUPLICATE);
  natter_delivery_forget (d, 7);
  g_assert_cmpint (receive_raw (d, 7, 0, 1, 0, "m", 1, 0), ==, NATTER_RECEIVE_COMPLETE);
  g_assert_cmpint (receive_raw (d, 7, 0, 1, 0, "m", 1, 0), ==, NATTER_RECEIVE_DUPLICATE);
  /* the stale slot of the first 7 falls out of the ring first: the newer
   * memory of 7 must survive it */
  for (guint64 id = 100; id < 100 + NATTER_DELIVERY_REMEMBERED - 1; id++)
    g_assert_cmpint (receive_raw (d, id, 0, 1, 0, "m", 1, 0), ==, NATTER_RECEIVE_COMPLETE);
  g_assert_cmpint (receive_raw (d, 7, 0, 1, 0, "m", 1, 0), ==, NATTER_RECEIVE_DUPLICATE);
  natter_delivery_free (d);
}

int
main (int   argc,
      char *argv[])
{
  const guint32 seeds[] = { 1, 2, 3, 42, 20240601 };

  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/delivery/short-message", test_short_message);
  g_test_add_func ("/delivery/give-up", test_give_up);
  g_test_add_func ("/delivery/fragments", test_fragments);
  g_test_add_func ("/delivery/can-send", test_can_send);
  g_test_add_func ("/delivery/queue-rules", test_queue_rules);
  g_test_add_func ("/delivery/receive-invalid", test_receive_invalid);
  g_test_add_func ("/delivery/bounds/partial", test_bounds_partial);
  g_test_add_func ("/delivery/bounds/remembered", test_bounds_remembered);
  g_test_add_func ("/delivery/forget", test_forget);
  for (guint i = 0; i < G_N_ELEMENTS (seeds); i++)
    {
      g_autofree char *path = g_strdup_printf ("/delivery/lossy/%u", seeds[i]);

      g_test_add_data_func (path, GUINT_TO_POINTER (seeds[i]), test_lossy);
    }

  return g_test_run ();
}
