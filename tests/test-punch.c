/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "natter-punch.h"

/* Two NatterPunch instances talk through a tiny model of their NATs, on a
 * made-up clock: an event loop that jumps from one deadline to the next, so
 * a minute of punching runs in microseconds and every time is exact.
 *
 * Each side has a private (LAN) endpoint, the public endpoint the server saw
 * and announced, and the mapping its NAT actually uses towards the peer
 * (different from the announced one behind a symmetric NAT). A restricted
 * NAT only lets a datagram in from an endpoint its side has sent to, as
 * port-restricted cone and symmetric NATs do; a full-cone NAT lets all in. */

#define T0 7000000  /* monotonic clocks rarely start at 0 */

typedef enum { PROBE, PROBE_ACK, PING, PONG } Kind;

typedef struct
{
  gint64         at;
  guint          to_side;
  NatterEndpoint from;  /* the source the receiver sees */
  NatterEndpoint dest;
  Kind           kind;
  guint64        nonce;
} Packet;

typedef struct
{
  NatterPunch   *punch;
  NatterEndpoint lan;
  NatterEndpoint pub;
  NatterEndpoint mapped;
  gboolean       restricted;
  GArray        *opened;   /* NatterEndpoint: where this side has sent */
  gint64         wake;
  NatterPathKind path;
  gint64         path_since;
  guint          n_probes;
  guint          n_pings;
  gint64         first_ping, last_ping, min_ping_gap;
} Side;

typedef struct
{
  Side     side[2];
  GArray  *queue;  /* Packet */
  gint64   now;
  gboolean lan_ok;     /* both on one LAN */
  gboolean public_ok;  /* the Internet between the NATs works */
  gboolean silent[2];  /* everything this side sends is lost */
  gint64   lan_latency, public_latency;
} Sim;

static NatterEndpoint
ep (const char *text)
{
  NatterEndpoint e;

  g_assert_true (natter_endpoint_parse (text, 0, &e));
  g_assert_cmpuint (e.port, !=, 0);
  return e;
}

static void
assert_ep (const NatterEndpoint *got,
           const NatterEndpoint *expected)
{
  char a[NATTER_ENDPOINT_STRLEN], b[NATTER_ENDPOINT_STRLEN];

  g_assert_nonnull (got);
  g_assert_cmpstr (natter_endpoint_format (got, a), ==, natter_endpoint_format (expected, b));
}

static Sim *
sim_new (void)
{
  Sim *sim = g_new0 (Sim, 1);
  const char *lan[2] = { "198.18.1.10:10081", "198.18.1.20:10081" };
  const char *pub[2] = { "198.19.0.1:40001", "198.19.0.2:40002" };

  for (guint i = 0; i < 2; i++)
    {
      Side *s = &sim->side[i];

      s->punch = natter_punch_new ();
      s->lan = ep (lan[i]);
      s->pub = ep (pub[i]);
      s->mapped = s->pub;
      s->restricted = TRUE;
      s->opened = g_array_new (FALSE, FALSE, sizeof (NatterEndpoint));
      s->wake = -1;
      s->min_ping_gap = G_MAXINT64;
    }
  sim->queue = g_array_new (FALSE, FALSE, sizeof (Packet));
  sim->now = T0;
  sim->lan_latency = 5;
  sim->public_latency = 20;
  return sim;
}

static void
sim_free (Sim *sim)
{
  for (guint i = 0; i < 2; i++)
    {
      natter_punch_free (sim->side[i].punch);
      g_array_unref (sim->side[i].opened);
    }
  g_array_unref (sim->queue);
  g_free (sim);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Sim, sim_free)

static gboolean
has_opened (Side                 *s,
            const NatterEndpoint *to)
{
  for (guint i = 0; i < s->opened->len; i++)
    if (natter_endpoint_equal (&g_array_index (s->opened, NatterEndpoint, i), to))
      return TRUE;
  return FALSE;
}

/* Routing happens at send time, filtering at arrival: a simultaneous open
 * works because both sides have sent before the other's probe lands. */
static void
sim_send (Sim                  *sim,
          guint                 from_side,
          const NatterEndpoint *to,
          Kind                  kind,
          guint64               nonce)
{
  Side *me = &sim->side[from_side], *peer = &sim->side[!from_side];
  Packet p = { 0, !from_side, { 0, }, *to, kind, nonce };

  if (sim->silent[from_side])
    return;
  if (natter_endpoint_equal (to, &peer->lan))
    {
      if (!sim->lan_ok)
        return;
      p.from = me->lan;
      p.at = sim->now + sim->lan_latency;
    }
  else if (natter_endpoint_equal (to, &peer->mapped) ||
           natter_endpoint_equal (to, &peer->pub))
    {
      g_array_append_val (me->opened, *to);
      if (!sim->public_ok)
        return;
      p.from = me->mapped;
      p.at = sim->now + sim->public_latency;
    }
  else
    return;
  g_array_append_val (sim->queue, p);
}

static void
sim_track (Sim  *sim,
           Side *s)
{
  NatterPathKind path = natter_punch_get_path (s->punch);

  if (path != s->path)
    {
      s->path = path;
      s->path_since = sim->now;
    }
}

static void
sim_deliver (Sim          *sim,
             const Packet *p)
{
  Side *s = &sim->side[p->to_side];
  gboolean via_lan = natter_endpoint_equal (&p->dest, &s->lan);

  if (!via_lan)
    {
      /* A symmetric NAT has no mapping at the announced endpoint for the
       * peer; a restricted one admits only endpoints it has sent to. */
      if (!natter_endpoint_equal (&p->dest, &s->mapped))
        return;
      if (s->restricted && !has_opened (s, &p->from))
        return;
    }

  switch (p->kind)
    {
    case PROBE:
      natter_punch_probe_received (s->punch, &p->from, sim->now);
      sim_send (sim, p->to_side, &p->from, PROBE_ACK, p->nonce);
      break;
    case PING:
      natter_punch_heard (s->punch, &p->from, sim->now);
      sim_send (sim, p->to_side, &p->from, PONG, p->nonce);
      break;
    case PROBE_ACK:
    case PONG:
      natter_punch_ack_received (s->punch, &p->from, p->nonce, sim->now);
      break;
    }
  /* The caller polls after every input. */
  s->wake = sim->now;
  sim_track (sim, s);
}

static void
sim_poll (Sim   *sim,
          guint  i)
{
  Side *s = &sim->side[i];
  g_autoptr(GArray) out = g_array_new (FALSE, FALSE, sizeof (NatterPunchSend));

  s->wake = natter_punch_poll (s->punch, sim->now, out);
  g_assert_true (s->wake == -1 || s->wake > sim->now);
  for (guint k = 0; k < out->len; k++)
    {
      const NatterPunchSend *send = &g_array_index (out, NatterPunchSend, k);

      if (send->kind == NATTER_PUNCH_SEND_PROBE)
        s->n_probes++;
      else
        {
          if (s->n_pings++ == 0)
            s->first_ping = sim->now;
          else
            s->min_ping_gap = MIN (s->min_ping_gap, sim->now - s->last_ping);
          s->last_ping = sim->now;
        }
      sim_send (sim, i, &send->to, send->kind == NATTER_PUNCH_SEND_PROBE ? PROBE : PING,
                send->nonce);
    }
  sim_track (sim, s);
}

/* Runs every event up to and including end, then sets the clock to end. */
static void
sim_run_until (Sim    *sim,
               gint64  end)
{
  for (;;)
    {
      gint64 next = G_MAXINT64;

      for (guint i = 0; i < 2; i++)
        if (sim->side[i].wake >= 0)
          next = MIN (next, sim->side[i].wake);
      for (guint k = 0; k < sim->queue->len; k++)
        next = MIN (next, g_array_index (sim->queue, Packet, k).at);
      if (next > end)
        break;
      sim->now = next;

      for (guint k = 0; k < sim->queue->len;)
        {
          Packet p = g_array_index (sim->queue, Packet, k);

          if (p.at > sim->now)
            {
              k++;
              continue;
            }
          g_array_remove_index (sim->queue, k);
          sim_deliver (sim, &p);
        }
      for (guint i = 0; i < 2; i++)
        if (sim->side[i].wake >= 0 && sim->side[i].wake <= sim->now)
          sim_poll (sim, i);
    }
  sim->now = end;
}

/* Both sides get the introduction at once; LAN candidates only when the
 * server saw both behind the same public address. */
static void
sim_introduce (Sim      *sim,
               gboolean  with_lan)
{
  for (guint i = 0; i < 2; i++)
    {
      Side *s = &sim->side[i], *peer = &sim->side[!i];

      natter_punch_start (s->punch, &peer->pub, with_lan ? &peer->lan : NULL,
                          with_lan ? 1 : 0, sim->now);
      s->wake = sim->now;
    }
}

static void
assert_path (Sim                  *sim,
             guint                 i,
             NatterPathKind        kind,
             const NatterEndpoint *endpoint)
{
  NatterPunch *punch = sim->side[i].punch;

  g_assert_cmpstr (natter_path_kind_to_string (natter_punch_get_path (punch)), ==,
                   natter_path_kind_to_string (kind));
  if (endpoint != NULL)
    assert_ep (natter_punch_get_endpoint (punch), endpoint);
  else
    g_assert_null (natter_punch_get_endpoint (punch));
}

static void
test_direct (void)
{
  g_autoptr(Sim) sim = sim_new ();

  sim->public_ok = TRUE;
  sim_introduce (sim, FALSE);
  for (guint i = 0; i < 2; i++)
    {
      assert_path (sim, i, NATTER_PATH_PUNCHING, NULL);
      g_assert_true (natter_punch_take_changed (sim->side[i].punch));
    }

  sim_run_until (sim, T0 + 2 * NATTER_PUNCH_PROBE_INTERVAL_MS);
  for (guint i = 0; i < 2; i++)
    {
      assert_path (sim, i, NATTER_PATH_DIRECT, &sim->side[!i].pub);
      g_assert_true (natter_punch_take_changed (sim->side[i].punch));
    }

  /* The round runs out without touching a path that works. */
  sim_run_until (sim, T0 + NATTER_PUNCH_WINDOW_MS + 1000);
  for (guint i = 0; i < 2; i++)
    {
      assert_path (sim, i, NATTER_PATH_DIRECT, &sim->side[!i].pub);
      g_assert_false (natter_punch_take_changed (sim->side[i].punch));
      g_assert_false (natter_punch_take_needs_intro (sim->side[i].punch));
    }
}

static void
test_lan (void)
{
  g_autoptr(Sim) sim = sim_new ();

  /* Behind one NAT without hairpinning: only the private addresses work. */
  sim->lan_ok = TRUE;
  sim_introduce (sim, TRUE);
  sim_run_until (sim, T0 + 2 * NATTER_PUNCH_PROBE_INTERVAL_MS);
  for (guint i = 0; i < 2; i++)
    assert_path (sim, i, NATTER_PATH_LAN, &sim->side[!i].lan);

  /* LAN is the best there is: probing stops. */
  for (guint i = 0; i < 2; i++)
    sim->side[i].n_probes = 0;
  sim_run_until (sim, T0 + NATTER_PUNCH_WINDOW_MS + 1000);
  for (guint i = 0; i < 2; i++)
    {
      assert_path (sim, i, NATTER_PATH_LAN, &sim->side[!i].lan);
      g_assert_cmpuint (sim->side[i].n_probes, ==, 0);
    }
}

static void
test_lan_wins_late (void)
{
  g_autoptr(Sim) sim = sim_new ();

  sim->lan_ok = sim->public_ok = TRUE;
  sim->public_latency = 10;
  sim->lan_latency = 60;
  sim_introduce (sim, TRUE);
  for (guint i = 0; i < 2; i++)
    natter_punch_take_changed (sim->side[i].punch);

  /* The public answer comes first (20 ms round trip) ... */
  sim_run_until (sim, T0 + 50);
  for (guint i = 0; i < 2; i++)
    {
      assert_path (sim, i, NATTER_PATH_DIRECT, &sim->side[!i].pub);
      g_assert_true (natter_punch_take_changed (sim->side[i].punch));
    }

  /* ... and the LAN one (120 ms) still takes over. */
  sim_run_until (sim, T0 + NATTER_PUNCH_WINDOW_MS + 1000);
  for (guint i = 0; i < 2; i++)
    {
      assert_path (sim, i, NATTER_PATH_LAN, &sim->side[!i].lan);
      g_assert_cmpint (sim->side[i].path_since, ==, T0 + 2 * sim->lan_latency);
      g_assert_true (natter_punch_take_changed (sim->side[i].punch));
      g_assert_false (natter_punch_take_changed (sim->side[i].punch));
    }
}

static void
test_lan_not_downgraded (void)
{
  g_autoptr(Sim) sim = sim_new ();

  /* LAN answers first; the public answers arriving after must not
   * replace it. */
  sim->lan_ok = sim->public_ok = TRUE;
  sim->lan_latency = 2;
  sim->public_latency = 40;
  sim_introduce (sim, TRUE);
  sim_run_until (sim, T0 + 10);
  for (guint i = 0; i < 2; i++)
    {
      assert_path (sim, i, NATTER_PATH_LAN, &sim->side[!i].lan);
      natter_punch_take_changed (sim->side[i].punch);
    }
  sim_run_until (sim, T0 + NATTER_PUNCH_WINDOW_MS + 1000);
  for (guint i = 0; i < 2; i++)
    {
      assert_path (sim, i, NATTER_PATH_LAN, &sim->side[!i].lan);
      g_assert_false (natter_punch_take_changed (sim->side[i].punch));
    }
}

static void
test_relay (void)
{
  g_autoptr(Sim) sim = sim_new ();

  sim_introduce (sim, TRUE);
  for (guint i = 0; i < 2; i++)
    g_assert_true (natter_punch_take_changed (sim->side[i].punch));

  sim_run_until (sim, T0 + NATTER_PUNCH_WINDOW_MS - NATTER_PUNCH_PROBE_INTERVAL_MS);
  for (guint i = 0; i < 2; i++)
    {
      assert_path (sim, i, NATTER_PATH_PUNCHING, NULL);
      g_assert_false (natter_punch_take_changed (sim->side[i].punch));
    }

  sim_run_until (sim, T0 + NATTER_PUNCH_WINDOW_MS + NATTER_PUNCH_PROBE_INTERVAL_MS);
  for (guint i = 0; i < 2; i++)
    {
      Side *s = &sim->side[i];

      assert_path (sim, i, NATTER_PATH_RELAY, NULL);
      g_assert_cmpint (s->path_since, >=, T0 + NATTER_PUNCH_WINDOW_MS - NATTER_PUNCH_PROBE_INTERVAL_MS);
      g_assert_cmpint (s->path_since, <=, T0 + NATTER_PUNCH_WINDOW_MS + NATTER_PUNCH_PROBE_INTERVAL_MS);
      g_assert_true (natter_punch_take_changed (s->punch));
      g_assert_false (natter_punch_take_changed (s->punch));
      g_assert_false (natter_punch_take_needs_intro (s->punch));
      /* two candidates, one probe each per interval over the window */
      g_assert_cmpuint (s->n_probes, ==, 2 * NATTER_PUNCH_WINDOW_MS / NATTER_PUNCH_PROBE_INTERVAL_MS);
      /* idle until the next upgrade attempt */
      g_assert_cmpint (s->wake, ==, s->path_since + NATTER_PUNCH_UPGRADE_INTERVAL_MS);
    }
}

static void
test_symmetric (void)
{
  g_autoptr(Sim) sim = sim_new ();
  Side *a = &sim->side[0], *b = &sim->side[1];

  /* A sits behind a symmetric NAT (a new port towards the peer), B behind
   * a full cone. Only B learning A's real port from A's probes helps. */
  a->mapped = ep ("198.19.0.1:51234");
  b->restricted = FALSE;
  sim->public_ok = TRUE;
  sim_introduce (sim, FALSE);
  sim_run_until (sim, T0 + 2 * NATTER_PUNCH_PROBE_INTERVAL_MS);
  assert_path (sim, 0, NATTER_PATH_DIRECT, &b->pub);
  assert_path (sim, 1, NATTER_PATH_DIRECT, &a->mapped);

  sim_run_until (sim, T0 + NATTER_PUNCH_WINDOW_MS + 1000);
  assert_path (sim, 0, NATTER_PATH_DIRECT, &b->pub);
  assert_path (sim, 1, NATTER_PATH_DIRECT, &a->mapped);
}

static void
test_symmetric_restricted (void)
{
  g_autoptr(Sim) sim = sim_new ();

  /* Symmetric against port-restricted: no pair of ports ever matches. */
  sim->side[0].mapped = ep ("198.19.0.1:51234");
  sim->public_ok = TRUE;
  sim_introduce (sim, FALSE);
  sim_run_until (sim, T0 + NATTER_PUNCH_WINDOW_MS + NATTER_PUNCH_PROBE_INTERVAL_MS);
  for (guint i = 0; i < 2; i++)
    assert_path (sim, i, NATTER_PATH_RELAY, NULL);
}

static void
test_upgrade (void)
{
  g_autoptr(Sim) sim = sim_new ();
  gint64 relay_at;

  sim_introduce (sim, FALSE);
  sim_run_until (sim, T0 + NATTER_PUNCH_WINDOW_MS + NATTER_PUNCH_PROBE_INTERVAL_MS);
  relay_at = sim->side[0].path_since;
  for (guint i = 0; i < 2; i++)
    {
      assert_path (sim, i, NATTER_PATH_RELAY, NULL);
      g_assert_true (natter_punch_take_changed (sim->side[i].punch));
      sim->side[i].n_probes = 0;
    }

  /* The network heals; nothing is sent until the upgrade is due. */
  sim->public_ok = TRUE;
  sim_run_until (sim, relay_at + NATTER_PUNCH_UPGRADE_INTERVAL_MS - 1);
  for (guint i = 0; i < 2; i++)
    {
      assert_path (sim, i, NATTER_PATH_RELAY, NULL);
      g_assert_cmpuint (sim->side[i].n_probes, ==, 0);
      g_assert_false (natter_punch_take_needs_intro (sim->side[i].punch));
    }

  /* The relay stays in use while the round runs. */
  sim_run_until (sim, relay_at + NATTER_PUNCH_UPGRADE_INTERVAL_MS);
  for (guint i = 0; i < 2; i++)
    {
      assert_path (sim, i, NATTER_PATH_RELAY, NULL);
      g_assert_cmpuint (sim->side[i].n_probes, ==, 1);
      g_assert_true (natter_punch_take_needs_intro (sim->side[i].punch));
      g_assert_false (natter_punch_take_needs_intro (sim->side[i].punch));
      g_assert_false (natter_punch_take_changed (sim->side[i].punch));
    }

  sim_run_until (sim, relay_at + NATTER_PUNCH_UPGRADE_INTERVAL_MS + 2 * NATTER_PUNCH_PROBE_INTERVAL_MS);
  for (guint i = 0; i < 2; i++)
    {
      assert_path (sim, i, NATTER_PATH_DIRECT, &sim->side[!i].pub);
      g_assert_true (natter_punch_take_changed (sim->side[i].punch));
    }
}

static void
test_keepalive (void)
{
  g_autoptr(Sim) sim = sim_new ();
  Side *a = &sim->side[0];
  gint64 up_at, silent_at, idle = 60000;

  sim->public_ok = TRUE;
  sim_introduce (sim, FALSE);
  sim_run_until (sim, T0 + 1000);
  assert_path (sim, 0, NATTER_PATH_DIRECT, &sim->side[1].pub);
  up_at = a->path_since;

  sim_run_until (sim, up_at + idle);
  for (guint i = 0; i < 2; i++)
    {
      Side *s = &sim->side[i];

      assert_path (sim, i, NATTER_PATH_DIRECT, &sim->side[!i].pub);
      g_assert_cmpint (s->path_since, ==, up_at);
      g_assert_cmpint (s->first_ping, ==, up_at + NATTER_PUNCH_PING_INTERVAL_MS);
      g_assert_cmpint (s->min_ping_gap, >=, NATTER_PUNCH_PING_INTERVAL_MS);
      g_assert_cmpuint (s->n_pings, ==, idle / NATTER_PUNCH_PING_INTERVAL_MS);
    }

  /* Traffic the caller sends postpones the next ping. */
  sim_run_until (sim, up_at + idle + 2000);
  natter_punch_sent (a->punch, sim->now);
  a->wake = sim->now;
  sim_run_until (sim, up_at + idle + 2000 + NATTER_PUNCH_PING_INTERVAL_MS - 1);
  g_assert_cmpint (a->last_ping, ==, up_at + idle);
  sim_run_until (sim, up_at + idle + 2000 + NATTER_PUNCH_PING_INTERVAL_MS);
  g_assert_cmpint (a->last_ping, ==, sim->now);

  /* B vanishes: A notices after NATTER_PUNCH_DEAD_MS, counted from the
   * last datagram that came back. */
  silent_at = sim->now;
  sim->silent[1] = TRUE;
  for (guint i = 0; i < 2; i++)
    natter_punch_take_changed (sim->side[i].punch);
  sim_run_until (sim, silent_at + NATTER_PUNCH_DEAD_MS + NATTER_PUNCH_PING_INTERVAL_MS);
  assert_path (sim, 0, NATTER_PATH_RELAY, NULL);
  g_assert_cmpint (a->path_since, >, silent_at + NATTER_PUNCH_DEAD_MS - NATTER_PUNCH_PING_INTERVAL_MS);
  g_assert_cmpint (a->path_since, <=, silent_at + NATTER_PUNCH_DEAD_MS);
  g_assert_true (natter_punch_take_changed (a->punch));
  g_assert_false (natter_punch_take_changed (a->punch));
  g_assert_true (natter_punch_take_needs_intro (a->punch));
  g_assert_false (natter_punch_take_needs_intro (a->punch));
}

static void
test_unknown_nonce (void)
{
  NatterPunch *punch = natter_punch_new ();
  NatterEndpoint peer = ep ("198.19.0.2:40002");
  NatterEndpoint lan = ep ("198.18.1.20:10081");
  g_autoptr(GArray) out = g_array_new (FALSE, FALSE, sizeof (NatterPunchSend));
  guint64 nonce = 0;

  /* before any introduction */
  natter_punch_ack_received (punch, &peer, 42, T0);
  g_assert_cmpint (natter_punch_get_path (punch), ==, NATTER_PATH_NONE);
  g_assert_false (natter_punch_take_changed (punch));
  g_assert_cmpint (natter_punch_poll (punch, T0, out), ==, -1);
  g_assert_cmpuint (out->len, ==, 0);

  natter_punch_start (punch, &peer, &lan, 1, T0);
  natter_punch_take_changed (punch);
  natter_punch_poll (punch, T0, out);
  g_assert_cmpuint (out->len, ==, 2);
  for (guint i = 0; i < out->len; i++)
    if (natter_endpoint_equal (&g_array_index (out, NatterPunchSend, i).to, &peer))
      nonce = g_array_index (out, NatterPunchSend, i).nonce;

  natter_punch_ack_received (punch, &peer, nonce + 1, T0 + 10);
  natter_punch_ack_received (punch, &lan, 0, T0 + 10);
  g_assert_cmpint (natter_punch_get_path (punch), ==, NATTER_PATH_PUNCHING);
  g_assert_false (natter_punch_take_changed (punch));

  natter_punch_ack_received (punch, &peer, nonce, T0 + 20);
  g_assert_cmpint (natter_punch_get_path (punch), ==, NATTER_PATH_DIRECT);
  natter_punch_take_changed (punch);

  /* Neither a made-up nonce nor a replayed one upgrades to LAN. */
  natter_punch_ack_received (punch, &lan, nonce ^ 1, T0 + 30);
  natter_punch_ack_received (punch, &lan, nonce, T0 + 30);
  g_assert_cmpint (natter_punch_get_path (punch), ==, NATTER_PATH_DIRECT);
  assert_ep (natter_punch_get_endpoint (punch), &peer);
  g_assert_false (natter_punch_take_changed (punch));
  natter_punch_free (punch);
}

static void
test_probe_rate (void)
{
  NatterPunch *punch = natter_punch_new ();
  NatterEndpoint pub = ep ("198.19.0.2:40002");
  NatterEndpoint lans[] = { ep ("198.18.1.20:10081"), ep ("198.18.2.20:10081"),
                            ep ("198.18.1.20:10081"), pub, { 0, } };
  g_autoptr(GHashTable) last = g_hash_table_new_full ((GHashFunc) natter_endpoint_hash,
                                                      (GEqualFunc) natter_endpoint_equal,
                                                      g_free, g_free);
  g_autoptr(GArray) out = g_array_new (FALSE, FALSE, sizeof (NatterPunchSend));
  guint n = 0;

  /* Duplicates and an unset endpoint leave three candidates; the public
   * one doubling as private counts as private. */
  natter_punch_start (punch, &pub, lans, G_N_ELEMENTS (lans), T0);
  for (gint64 now = T0; now < T0 + 1000 + NATTER_PUNCH_WINDOW_MS + 500; now++)
    {
      g_array_set_size (out, 0);
      natter_punch_poll (punch, now, out);
      /* A re-introduction halfway must not double the rate. */
      if (now == T0 + 1000)
        natter_punch_start (punch, &pub, lans, 2, now);
      for (guint i = 0; i < out->len; i++)
        {
          const NatterPunchSend *send = &g_array_index (out, NatterPunchSend, i);
          gint64 *prev = g_hash_table_lookup (last, &send->to);

          g_assert_cmpint (send->kind, ==, NATTER_PUNCH_SEND_PROBE);
          if (prev != NULL)
            g_assert_cmpint (now - *prev, >=, NATTER_PUNCH_PROBE_INTERVAL_MS);
          g_hash_table_insert (last, g_memdup2 (&send->to, sizeof send->to),
                               g_memdup2 (&now, sizeof now));
          n++;
        }
    }
  g_assert_cmpuint (g_hash_table_size (last), ==, 3);
  /* the window, extended by the re-introduction */
  g_assert_cmpuint (n, ==, 3 * ((1000 + NATTER_PUNCH_WINDOW_MS - 1) / NATTER_PUNCH_PROBE_INTERVAL_MS + 1));
  natter_punch_free (punch);
}

static void
test_candidate_cap (void)
{
  NatterPunch *punch = natter_punch_new ();
  NatterEndpoint pub = ep ("198.19.0.2:40002");
  NatterEndpoint lans[40];
  g_autoptr(GArray) out = g_array_new (FALSE, FALSE, sizeof (NatterPunchSend));
  gboolean saw_pub = FALSE;

  for (guint i = 0; i < G_N_ELEMENTS (lans); i++)
    {
      g_autofree char *text = g_strdup_printf ("198.18.1.%u:10081", i + 1);

      lans[i] = ep (text);
    }
  natter_punch_start (punch, &pub, lans, G_N_ELEMENTS (lans), T0);
  /* peer-reflexive endpoints do not grow the table either */
  for (guint i = 0; i < 20; i++)
    {
      NatterEndpoint from = pub;

      from.port = 50000 + i;
      natter_punch_probe_received (punch, &from, T0);
    }
  natter_punch_poll (punch, T0, out);
  g_assert_cmpuint (out->len, ==, NATTER_PUNCH_MAX_CANDIDATES);
  for (guint i = 0; i < out->len; i++)
    {
      const NatterPunchSend *send = &g_array_index (out, NatterPunchSend, i);

      saw_pub = saw_pub || natter_endpoint_equal (&send->to, &pub);
      for (guint j = 0; j < i; j++)
        g_assert_false (natter_endpoint_equal (&send->to,
                                               &g_array_index (out, NatterPunchSend, j).to));
    }
  g_assert_true (saw_pub);
  natter_punch_free (punch);
}

static void
test_probe_starts_round (void)
{
  NatterPunch *punch = natter_punch_new ();
  NatterEndpoint from = ep ("198.19.0.2:51234");
  g_autoptr(GArray) out = g_array_new (FALSE, FALSE, sizeof (NatterPunchSend));
  gint64 next;

  /* The peer got its introduction first and is already probing. */
  natter_punch_probe_received (punch, &from, T0);
  g_assert_cmpint (natter_punch_get_path (punch), ==, NATTER_PATH_PUNCHING);
  g_assert_true (natter_punch_take_changed (punch));
  next = natter_punch_poll (punch, T0, out);
  g_assert_cmpuint (out->len, ==, 1);
  assert_ep (&g_array_index (out, NatterPunchSend, 0).to, &from);
  g_assert_cmpint (next, ==, T0 + NATTER_PUNCH_PROBE_INTERVAL_MS);
  natter_punch_free (punch);
}

static void
test_reintroduce (void)
{
  g_autoptr(Sim) sim = sim_new ();
  Side *a = &sim->side[0];
  NatterEndpoint moved = ep ("198.19.0.2:40999");

  sim->public_ok = TRUE;
  sim_introduce (sim, FALSE);
  sim_run_until (sim, T0 + NATTER_PUNCH_WINDOW_MS + 1000);
  assert_path (sim, 0, NATTER_PATH_DIRECT, &sim->side[1].pub);
  natter_punch_take_changed (a->punch);

  /* A new introduction while direct probes in the background and keeps
   * the path. */
  a->n_probes = 0;
  natter_punch_start (a->punch, &moved, NULL, 0, sim->now);
  a->wake = sim->now;
  sim_run_until (sim, sim->now + NATTER_PUNCH_WINDOW_MS + 1000);
  assert_path (sim, 0, NATTER_PATH_DIRECT, &sim->side[1].pub);
  g_assert_false (natter_punch_take_changed (a->punch));
  g_assert_cmpuint (a->n_probes, ==, NATTER_PUNCH_WINDOW_MS / NATTER_PUNCH_PROBE_INTERVAL_MS);
}

static void
test_reintroduce_relay (void)
{
  NatterPunch *punch = natter_punch_new ();
  NatterEndpoint pub = ep ("198.19.0.2:40002");
  NatterEndpoint reflexive = ep ("198.19.0.2:51234");
  g_autoptr(GArray) out = g_array_new (FALSE, FALSE, sizeof (NatterPunchSend));
  gint64 now = T0, next;

  natter_punch_start (punch, &pub, NULL, 0, now);
  while ((next = natter_punch_poll (punch, now, out)) >= 0 &&
         natter_punch_get_path (punch) == NATTER_PATH_PUNCHING)
    now = next;
  g_assert_cmpint (natter_punch_get_path (punch), ==, NATTER_PATH_RELAY);
  g_assert_cmpint (now, ==, T0 + NATTER_PUNCH_WINDOW_MS);
  g_assert_true (natter_punch_take_changed (punch));

  /* A fresh introduction while relayed keeps the relay (it works) and
   * punches in the background. */
  now += 5000;
  natter_punch_start (punch, &pub, NULL, 0, now);
  g_assert_cmpint (natter_punch_get_path (punch), ==, NATTER_PATH_RELAY);
  g_assert_false (natter_punch_take_changed (punch));
  g_array_set_size (out, 0);
  g_assert_cmpint (natter_punch_poll (punch, now, out), ==, now + NATTER_PUNCH_PROBE_INTERVAL_MS);
  g_assert_cmpuint (out->len, ==, 1);

  /* After that round, the peer's own probes start another one. */
  now += NATTER_PUNCH_WINDOW_MS;
  natter_punch_poll (punch, now, out);
  g_array_set_size (out, 0);
  natter_punch_probe_received (punch, &reflexive, now);
  g_assert_cmpint (natter_punch_get_path (punch), ==, NATTER_PATH_RELAY);
  natter_punch_poll (punch, now, out);
  g_assert_cmpuint (out->len, ==, 2);
  natter_punch_ack_received (punch, &reflexive, g_array_index (out, NatterPunchSend, 1).nonce,
                             now + 30);
  g_assert_cmpint (natter_punch_get_path (punch), ==, NATTER_PATH_DIRECT);
  assert_ep (natter_punch_get_endpoint (punch), &reflexive);
  g_assert_true (natter_punch_take_changed (punch));
  g_assert_false (natter_punch_take_needs_intro (punch));
  natter_punch_free (punch);
}

static void
test_kind_to_string (void)
{
  NatterPunch *punch = natter_punch_new ();

  g_assert_cmpstr (natter_path_kind_to_string (NATTER_PATH_NONE), ==, "none");
  g_assert_cmpstr (natter_path_kind_to_string (NATTER_PATH_PUNCHING), ==, "punching");
  g_assert_cmpstr (natter_path_kind_to_string (NATTER_PATH_LAN), ==, "lan");
  g_assert_cmpstr (natter_path_kind_to_string (NATTER_PATH_DIRECT), ==, "direct");
  g_assert_cmpstr (natter_path_kind_to_string (NATTER_PATH_RELAY), ==, "relay");
  g_assert_cmpstr (natter_path_kind_to_string (NATTER_PATH_CLASSIC), ==, "classic");
  g_assert_cmpint (natter_punch_get_path (punch), ==, NATTER_PATH_NONE);
  g_assert_null (natter_punch_get_endpoint (punch));
  g_assert_false (natter_punch_take_changed (punch));
  g_assert_false (natter_punch_take_needs_intro (punch));
  natter_punch_free (punch);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/punch/direct", test_direct);
  g_test_add_func ("/punch/lan", test_lan);
  g_test_add_func ("/punch/lan-wins-late", test_lan_wins_late);
  g_test_add_func ("/punch/lan-not-downgraded", test_lan_not_downgraded);
  g_test_add_func ("/punch/relay", test_relay);
  g_test_add_func ("/punch/symmetric", test_symmetric);
  g_test_add_func ("/punch/symmetric-restricted", test_symmetric_restricted);
  g_test_add_func ("/punch/upgrade", test_upgrade);
  g_test_add_func ("/punch/keepalive", test_keepalive);
  g_test_add_func ("/punch/unknown-nonce", test_unknown_nonce);
  g_test_add_func ("/punch/probe-rate", test_probe_rate);
  g_test_add_func ("/punch/candidate-cap", test_candidate_cap);
  g_test_add_func ("/punch/probe-starts-round", test_probe_starts_round);
  g_test_add_func ("/punch/reintroduce", test_reintroduce);
  g_test_add_func ("/punch/reintroduce-relay", test_reintroduce_relay);
  g_test_add_func ("/punch/kind-to-string", test_kind_to_string);

  return g_test_run ();
}
