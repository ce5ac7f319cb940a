/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "natter-punch.h"

/* An ack comes back within a round trip, so only the last few probes to a
 * candidate can still be answered; older nonces are forgotten. Eight probe
 * intervals is far longer than any round trip a path worth using has. */
#define NONCES_PER_CANDIDATE 8
#define PING_NONCES          4

typedef struct
{
  NatterEndpoint ep;
  gboolean       lan;
  gboolean       probed;
  gint64         last_probe_ms;
  guint64        nonces[NONCES_PER_CANDIDATE];  /* 0: free slot */
  guint          next_nonce;
} Candidate;

struct _NatterPunch
{
  Candidate      candidates[NATTER_PUNCH_MAX_CANDIDATES];
  guint          n_candidates;

  NatterPathKind path;
  NatterEndpoint endpoint;       /* set only while LAN or DIRECT */
  gint64         last_heard_ms;
  gint64         last_sent_ms;
  guint64        ping_nonces[PING_NONCES];
  guint          next_ping_nonce;

  gboolean       in_round;
  gint64         round_end_ms;
  gint64         next_upgrade_ms;  /* meaningful while RELAY */

  gboolean       changed;
  gboolean       needs_intro;
};

static gboolean
path_is_up (NatterPunch *punch)
{
  return punch->path == NATTER_PATH_LAN || punch->path == NATTER_PATH_DIRECT;
}

static void
set_path (NatterPunch          *punch,
          NatterPathKind        kind,
          const NatterEndpoint *endpoint)
{
  gboolean same_endpoint;

  if (endpoint != NULL)
    same_endpoint = natter_endpoint_equal (endpoint, &punch->endpoint);
  else
    same_endpoint = !natter_endpoint_is_set (&punch->endpoint);
  if (kind == punch->path && same_endpoint)
    return;
  punch->path = kind;
  memset (&punch->endpoint, 0, sizeof punch->endpoint);
  if (endpoint != NULL)
    punch->endpoint = *endpoint;
  punch->changed = TRUE;
}

/* Nonces are not secrets (PEER datagrams are MAC'd); they only tell which
 * probe an ack answers. 0 marks a free slot, so it is never handed out. */
static guint64
new_nonce (void)
{
  guint64 nonce;

  do
    nonce = ((guint64) g_random_int () << 32) | g_random_int ();
  while (nonce == 0);
  return nonce;
}

/* Nonces answered long ago are overwritten in a ring. */
static guint64
remember_nonce (guint64 *ring,
                guint   *next,
                guint    size)
{
  guint64 nonce = new_nonce ();

  ring[*next] = nonce;
  *next = (*next + 1) % size;
  return nonce;
}

static Candidate *
find_candidate (NatterPunch          *punch,
                const NatterEndpoint *ep)
{
  for (guint i = 0; i < punch->n_candidates; i++)
    if (natter_endpoint_equal (&punch->candidates[i].ep, ep))
      return &punch->candidates[i];
  return NULL;
}

/* Returns the candidate for ep (existing or new), or NULL when ep cannot be
 * sent to or the table is full. A new candidate is due for a probe at once. */
static Candidate *
add_candidate (NatterPunch          *punch,
               const NatterEndpoint *ep,
               gboolean              lan)
{
  Candidate *c;

  if (!natter_endpoint_is_set (ep) || ep->port == 0)
    return NULL;
  c = find_candidate (punch, ep);
  if (c != NULL)
    {
      c->lan = c->lan || lan;
      return c;
    }
  if (punch->n_candidates == NATTER_PUNCH_MAX_CANDIDATES)
    return NULL;
  c = &punch->candidates[punch->n_candidates++];
  memset (c, 0, sizeof *c);
  c->ep = *ep;
  c->lan = lan;
  return c;
}

static void
start_round (NatterPunch *punch,
             gint64       now_ms)
{
  punch->in_round = TRUE;
  punch->round_end_ms = now_ms + NATTER_PUNCH_WINDOW_MS;
}

static void
enter_relay (NatterPunch *punch,
             gint64       now_ms)
{
  set_path (punch, NATTER_PATH_RELAY, NULL);
  punch->next_upgrade_ms = now_ms + NATTER_PUNCH_UPGRADE_INTERVAL_MS;
}

/* Forgets nonce once it is answered, so a replayed ack matches nothing. */
static gboolean
take_nonce (NatterPunch *punch,
            guint64      nonce)
{
  if (nonce == 0)
    return FALSE;
  for (guint i = 0; i < punch->n_candidates; i++)
    for (guint j = 0; j < NONCES_PER_CANDIDATE; j++)
      if (punch->candidates[i].nonces[j] == nonce)
        {
          punch->candidates[i].nonces[j] = 0;
          return TRUE;
        }
  for (guint j = 0; j < PING_NONCES; j++)
    if (punch->ping_nonces[j] == nonce)
      {
        punch->ping_nonces[j] = 0;
        return TRUE;
      }
  return FALSE;
}

NatterPunch *
natter_punch_new (void)
{
  return g_new0 (NatterPunch, 1);
}

void
natter_punch_free (NatterPunch *punch)
{
  g_free (punch);
}

void
natter_punch_start (NatterPunch          *punch,
                    const NatterEndpoint *public_endpoint,
                    const NatterEndpoint *lan_candidates,
                    guint                 n_lan_candidates,
                    gint64                now_ms)
{
  Candidate old[NATTER_PUNCH_MAX_CANDIDATES];
  guint n_old;

  g_return_if_fail (punch != NULL);
  g_return_if_fail (lan_candidates != NULL || n_lan_candidates == 0);

  memcpy (old, punch->candidates, sizeof old);
  n_old = punch->n_candidates;
  punch->n_candidates = 0;

  /* Public first, so a long list of private addresses cannot crowd out
   * the one candidate that works across NATs. */
  if (public_endpoint != NULL)
    add_candidate (punch, public_endpoint, FALSE);
  for (guint i = 0; i < n_lan_candidates; i++)
    add_candidate (punch, &lan_candidates[i], TRUE);

  /* A candidate that survives the refresh keeps its probe history: acks
   * in flight still match, and re-introducing cannot double the probe
   * rate. */
  for (guint i = 0; i < punch->n_candidates; i++)
    for (guint j = 0; j < n_old; j++)
      if (natter_endpoint_equal (&old[j].ep, &punch->candidates[i].ep))
        {
          gboolean lan = punch->candidates[i].lan;

          punch->candidates[i] = old[j];
          punch->candidates[i].lan = lan;
        }

  /* Nothing beats a LAN path, so there is nothing to look for. */
  if (punch->path == NATTER_PATH_LAN)
    return;
  start_round (punch, now_ms);
  /* A working path (direct, or the relay) stays in use while the round
   * looks for a better one in the background. */
  if (punch->path == NATTER_PATH_NONE || punch->path == NATTER_PATH_PUNCHING)
    set_path (punch, NATTER_PATH_PUNCHING, NULL);
}

static void
append_send (GArray               *out,
             NatterPunchSendKind   kind,
             const NatterEndpoint *to,
             guint64               nonce)
{
  NatterPunchSend send = { kind, *to, nonce };

  g_array_append_val (out, send);
}

static void
run_timers (NatterPunch *punch,
            gint64       now_ms)
{
  if (path_is_up (punch) &&
      now_ms - punch->last_heard_ms >= NATTER_PUNCH_DEAD_MS)
    {
      /* The relay carries the chat while the server tells us where the
       * peer is now. */
      enter_relay (punch, now_ms);
      punch->needs_intro = TRUE;
    }

  if (punch->in_round && now_ms >= punch->round_end_ms)
    {
      punch->in_round = FALSE;
      if (punch->path == NATTER_PATH_PUNCHING)
        enter_relay (punch, now_ms);
    }

  if (punch->path == NATTER_PATH_RELAY && !punch->in_round &&
      now_ms >= punch->next_upgrade_ms)
    {
      start_round (punch, now_ms);
      punch->next_upgrade_ms = now_ms + NATTER_PUNCH_UPGRADE_INTERVAL_MS;
      /* The peer's NAT may have given it new endpoints since. */
      punch->needs_intro = TRUE;
    }
}

gint64
natter_punch_poll (NatterPunch *punch,
                   gint64       now_ms,
                   GArray      *out)
{
  gint64 next = G_MAXINT64;

  g_return_val_if_fail (punch != NULL, -1);
  g_return_val_if_fail (out != NULL, -1);
  g_return_val_if_fail (g_array_get_element_size (out) == sizeof (NatterPunchSend), -1);

  run_timers (punch, now_ms);

  if (punch->in_round)
    {
      next = punch->round_end_ms;
      for (guint i = 0; i < punch->n_candidates; i++)
        {
          Candidate *c = &punch->candidates[i];

          if (!c->probed ||
              now_ms - c->last_probe_ms >= NATTER_PUNCH_PROBE_INTERVAL_MS)
            {
              c->probed = TRUE;
              c->last_probe_ms = now_ms;
              append_send (out, NATTER_PUNCH_SEND_PROBE, &c->ep,
                           remember_nonce (c->nonces, &c->next_nonce,
                                           NONCES_PER_CANDIDATE));
            }
          next = MIN (next, c->last_probe_ms + NATTER_PUNCH_PROBE_INTERVAL_MS);
        }
    }

  if (path_is_up (punch))
    {
      if (now_ms - punch->last_sent_ms >= NATTER_PUNCH_PING_INTERVAL_MS)
        {
          punch->last_sent_ms = now_ms;
          append_send (out, NATTER_PUNCH_SEND_PING, &punch->endpoint,
                       remember_nonce (punch->ping_nonces, &punch->next_ping_nonce,
                                       PING_NONCES));
        }
      next = MIN (next, punch->last_sent_ms + NATTER_PUNCH_PING_INTERVAL_MS);
      next = MIN (next, punch->last_heard_ms + NATTER_PUNCH_DEAD_MS);
    }
  else if (punch->path == NATTER_PATH_RELAY && !punch->in_round)
    next = punch->next_upgrade_ms;

  return next == G_MAXINT64 ? -1 : next;
}

void
natter_punch_probe_received (NatterPunch          *punch,
                             const NatterEndpoint *from,
                             gint64                now_ms)
{
  g_return_if_fail (punch != NULL);
  g_return_if_fail (natter_endpoint_is_set (from));

  natter_punch_heard (punch, from, now_ms);
  /* An endpoint nobody announced: the peer's NAT picked a new port for
   * us (symmetric NAT). Probing it back is what opens that pair. */
  add_candidate (punch, from, FALSE);
  if (!path_is_up (punch) && !punch->in_round)
    {
      /* The peer is punching; a restricted NAT on our side only lets its
       * probes in once we send to it too. */
      start_round (punch, now_ms);
      if (punch->path == NATTER_PATH_NONE)
        set_path (punch, NATTER_PATH_PUNCHING, NULL);
    }
}

void
natter_punch_ack_received (NatterPunch          *punch,
                           const NatterEndpoint *from,
                           guint64               nonce,
                           gint64                now_ms)
{
  Candidate *c;
  NatterPathKind kind;

  g_return_if_fail (punch != NULL);
  g_return_if_fail (natter_endpoint_is_set (from));

  if (!take_nonce (punch, nonce))
    return;

  natter_punch_heard (punch, from, now_ms);
  c = find_candidate (punch, from);
  kind = c != NULL && c->lan ? NATTER_PATH_LAN : NATTER_PATH_DIRECT;
  /* The first answer locks in; only a LAN answer can still replace it. */
  if (punch->path == NATTER_PATH_LAN ||
      (punch->path == NATTER_PATH_DIRECT && kind == NATTER_PATH_DIRECT))
    return;

  /* The answer's source is the endpoint that demonstrably works, whatever
   * candidate the probe went to; later rounds should try it too. */
  if (c == NULL)
    add_candidate (punch, from, FALSE);
  set_path (punch, kind, from);
  punch->last_heard_ms = MAX (punch->last_heard_ms, now_ms);
  /* The probes just sent keep the mappings open; no ping needed yet. */
  punch->last_sent_ms = MAX (punch->last_sent_ms, now_ms);
  /* Nothing beats LAN, so the round has nothing left to find. */
  if (kind == NATTER_PATH_LAN)
    punch->in_round = FALSE;
}

void
natter_punch_heard (NatterPunch          *punch,
                    const NatterEndpoint *from,
                    gint64                now_ms)
{
  g_return_if_fail (punch != NULL);
  g_return_if_fail (from != NULL);

  if (path_is_up (punch) && natter_endpoint_equal (from, &punch->endpoint))
    punch->last_heard_ms = MAX (punch->last_heard_ms, now_ms);
}

void
natter_punch_sent (NatterPunch *punch,
                   gint64       now_ms)
{
  g_return_if_fail (punch != NULL);

  punch->last_sent_ms = MAX (punch->last_sent_ms, now_ms);
}

NatterPathKind
natter_punch_get_path (NatterPunch *punch)
{
  g_return_val_if_fail (punch != NULL, NATTER_PATH_NONE);

  return punch->path;
}

const NatterEndpoint *
natter_punch_get_endpoint (NatterPunch *punch)
{
  g_return_val_if_fail (punch != NULL, NULL);

  return path_is_up (punch) ? &punch->endpoint : NULL;
}

static gboolean
take_flag (gboolean *flag)
{
  gboolean was = *flag;

  *flag = FALSE;
  return was;
}

gboolean
natter_punch_take_needs_intro (NatterPunch *punch)
{
  g_return_val_if_fail (punch != NULL, FALSE);

  return take_flag (&punch->needs_intro);
}

gboolean
natter_punch_take_changed (NatterPunch *punch)
{
  g_return_val_if_fail (punch != NULL, FALSE);

  return take_flag (&punch->changed);
}

const char *
natter_path_kind_to_string (NatterPathKind kind)
{
  static const char *const names[] = {
    [NATTER_PATH_NONE] = "none",
    [NATTER_PATH_PUNCHING] = "punching",
    [NATTER_PATH_LAN] = "lan",
    [NATTER_PATH_DIRECT] = "direct",
    [NATTER_PATH_RELAY] = "relay",
    [NATTER_PATH_CLASSIC] = "classic",
  };

  g_return_val_if_fail ((guint) kind < G_N_ELEMENTS (names), "unknown");

  return names[kind];
}
