/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "natter-server"
#include "config.h"

#include <arpa/inet.h>
#include <string.h>

#include "natter-core-private.h"

#define CLASSIC_EXIT_REPEAT_MS 300

/* The assignment's protocol, with its semantics: a newcomer gets one
 * "ID ip:port" line per registered client (and "ID@private:ip" for those
 * behind its NAT), everyone gets the events as text lines. What it lacked is
 * added without changing a byte on the wire: an ID cannot be taken over from
 * another endpoint, and keep-alives and exits count only from the endpoint
 * that registered the ID. */

/* The assignment's rule for "behind the same NAT": the same public address
 * and private addresses in the same /24. A classic client sends chat to the
 * private address blindly, so the rule stays as strict as it was. */
static const NatterEndpoint *
private_match (const NatterEndpoint *public_a,
               const NatterEndpoint *candidates_a,
               guint                 n_candidates_a,
               const NatterEndpoint *public_b,
               const NatterEndpoint *private_b)
{
  if (private_b == NULL || !natter_endpoint_same_address (public_a, public_b))
    return NULL;
  for (guint i = 0; i < n_candidates_a; i++)
    if (natter_endpoint_same_prefix24 (&candidates_a[i], private_b))
      return &candidates_a[i];
  return NULL;
}

static const NatterEndpoint *
classic_private (const NatterEntry *entry)
{
  return entry->n_candidates > 0 ? &entry->candidates[0] : NULL;
}

/* A line as natter_classic_format_*() writes it ("ID" SEPARATOR ADDRESS,
 * then ":PORT" when with_port), straight into the datagram: a registration
 * sends a line per registered client, and a GInetAddress and a printf per
 * line cost more than sending it. */
static GBytes *
classic_line (const char           *id,
              const char           *separator,
              const NatterEndpoint *ep,
              gboolean              with_port)
{
  char addr[INET6_ADDRSTRLEN];
  char port[8];
  gsize id_len = strlen (id);
  gsize sep_len = strlen (separator);
  gsize addr_len, port_len = 0;
  gboolean bracket = with_port && ep->family == 6;
  guint8 *text;
  gsize len, at = 0;

  g_assert (natter_endpoint_is_set (ep));
  if (inet_ntop (ep->family == 4 ? AF_INET : AF_INET6, ep->addr, addr, sizeof addr) == NULL)
    g_assert_not_reached ();
  addr_len = strlen (addr);
  if (with_port)
    {
      guint value = ep->port;
      char digits[8];
      guint n = 0;

      do
        {
          digits[n++] = '0' + value % 10;
          value /= 10;
        }
      while (value > 0);
      port[port_len++] = ':';
      while (n > 0)
        port[port_len++] = digits[--n];
    }

  len = id_len + sep_len + addr_len + port_len + (bracket ? 2 : 0);
  text = g_malloc (len);
  memcpy (text + at, id, id_len);
  at += id_len;
  memcpy (text + at, separator, sep_len);
  at += sep_len;
  if (bracket)
    text[at++] = '[';
  memcpy (text + at, addr, addr_len);
  at += addr_len;
  if (bracket)
    text[at++] = ']';
  memcpy (text + at, port, port_len);
  at += port_len;
  g_assert (at == len);
  return g_bytes_new_take (text, len);
}

void
natter_core_classic_list (NatterCore  *core,
                          NatterEntry *newcomer)
{
  for (GList *l = natter_registry_entries (core->registry); l != NULL; l = l->next)
    {
      NatterEntry *entry = l->data;
      const NatterEndpoint *priv;

      if (entry == newcomer)
        continue;
      natter_core_send (core, &newcomer->public_endpoint,
                        classic_line (entry->id, " ", &entry->public_endpoint, TRUE));
      priv = private_match (&entry->public_endpoint, entry->candidates, entry->n_candidates,
                            &newcomer->public_endpoint, classic_private (newcomer));
      if (priv != NULL)
        natter_core_send (core, &newcomer->public_endpoint,
                          classic_line (entry->id, "@private:", priv, FALSE));
    }
}

void
natter_core_classic_event (NatterCore           *core,
                           NatterEntry          *recipient,
                           const NatterRegEvent *event,
                           GBytes              **line)
{
  const NatterEndpoint *to = &recipient->public_endpoint;
  const NatterEndpoint *priv = NULL;

  /* the event's public line is the same for every recipient: made once */
  if (*line == NULL)
    {
      switch (event->kind)
        {
        case NATTER_EVENT_JOIN:
        case NATTER_EVENT_MOVE:
          *line = classic_line (event->id, " ", &event->public_endpoint, TRUE);
          break;
        case NATTER_EVENT_LEAVE:
          *line = classic_line (event->id, " is unregistered ", &event->public_endpoint, TRUE);
          break;
        case NATTER_EVENT_TIMEOUT:
          *line = classic_line (event->id, " is off-line ", &event->public_endpoint, TRUE);
          break;
        default:
          return;
        }
    }
  natter_core_send (core, to, g_bytes_ref (*line));
  if (event->kind == NATTER_EVENT_JOIN || event->kind == NATTER_EVENT_MOVE)
    priv = private_match (&event->public_endpoint, event->candidates, event->n_candidates,
                          to, classic_private (recipient));
  if (priv != NULL)
    natter_core_send (core, to, classic_line (event->id, "@private:", priv, FALSE));
}

/* Whether `from`'s address may be sent cost more datagrams now. */
static gboolean
classic_budget (NatterCore           *core,
                const NatterEndpoint *from,
                guint                 cost,
                gint64                now_ms)
{
  guint rate = MAX (1u, core->config.classic_rate);
  guint burst = rate * NATTER_CLASSIC_BURST_SECONDS;
  NatterEndpoint address = *from;
  NatterBucket *bucket;

  address.port = 0;
  bucket = g_hash_table_lookup (core->classic_sources, &address);
  if (bucket == NULL)
    {
      /* bounded memory: forgetting everyone only makes the limit lenient */
      if (g_hash_table_size (core->classic_sources) >= NATTER_CLASSIC_SOURCES_MAX)
        g_hash_table_remove_all (core->classic_sources);
      bucket = g_new0 (NatterBucket, 1);
      natter_bucket_init (bucket, burst, now_ms);
      g_hash_table_insert (core->classic_sources, g_memdup2 (&address, sizeof address), bucket);
    }
  return natter_bucket_take (bucket, now_ms, rate, burst, cost);
}

static void
classic_register (NatterCore             *core,
                  const NatterClassicMsg *msg,
                  const NatterEndpoint   *from,
                  gint64                  now_ms)
{
  NatterEndpoint candidate = msg->endpoint;
  NatterEntry *entry = NULL;
  guint64 before = natter_registry_version (core->registry);
  NatterRegStatus status;

  /* the assignment's client always listens on its fixed port */
  candidate.port = NATTER_CLASSIC_PORT_CLIENT;
  /* the list (a line per client, at most two), then its own join */
  if (!classic_budget (core, from, 2 * natter_registry_size (core->registry) + 2, now_ms))
    {
      char ep[NATTER_ENDPOINT_STRLEN];

      core->stats.rate_limited++;
      g_message ("classic registration of %s from %s refused: too many from that address",
                 msg->id, natter_endpoint_format (from, ep));
      return;
    }
  status = natter_registry_register (core->registry, msg->id, from, &candidate, 1,
                                     TRUE, now_ms, &entry);
  if (status != NATTER_REG_OK)
    {
      char ep[NATTER_ENDPOINT_STRLEN];

      /* the classic protocol has no way to say no: the client hears nothing */
      g_message ("classic registration of %s from %s refused: %s", msg->id,
                 natter_endpoint_format (from, ep),
                 status == NATTER_REG_TAKEN ? "the ID or the endpoint is taken"
                                            : "the server is full");
      return;
    }
  natter_core_classic_list (core, entry);
  /* it hears its own registration too, as from the assignment's server */
  entry->synced_version = before;
}

/* Keep-alives and exits count only from the endpoint that registered. */
static NatterEntry *
classic_sender (NatterCore             *core,
                const NatterClassicMsg *msg,
                const NatterEndpoint   *from)
{
  NatterEntry *entry = natter_registry_lookup (core->registry, msg->id);

  if (entry == NULL || !entry->classic ||
      !natter_endpoint_equal (&entry->public_endpoint, from))
    {
      core->stats.unauthenticated++;
      return NULL;
    }
  return entry;
}

void
natter_core_handle_classic (NatterCore           *core,
                            const guint8         *data,
                            gsize                 len,
                            const NatterEndpoint *from,
                            gint64                now_ms)
{
  g_auto(NatterClassicMsg) msg = { 0 };
  g_autoptr(GError) error = NULL;
  NatterEntry *entry;

  core->stats.classic++;
  if (!natter_classic_parse (data, len, NATTER_CLASSIC_TO_SERVER, &msg, &error))
    {
      core->stats.malformed++;
      g_debug ("dropped a classic datagram: %s", error->message);
      return;
    }

  switch (msg.kind)
    {
    case NATTER_CLASSIC_REGISTER:
      classic_register (core, &msg, from, now_ms);
      break;
    case NATTER_CLASSIC_KEEPALIVE:
      entry = classic_sender (core, &msg, from);
      if (entry != NULL)
        natter_registry_touch (core->registry, entry, now_ms);
      break;
    case NATTER_CLASSIC_EXIT:
      entry = classic_sender (core, &msg, from);
      if (entry != NULL)
        {
          GBytes *line = classic_line (entry->id, " is unregistered ", from, TRUE);

          natter_registry_remove (core->registry, entry, NATTER_EVENT_LEAVE);

          /* The assignment's client waits for its own "is unregistered"
           * line to wake its receive thread and exit; if the line beats
           * its own "stop" flag it waits again, so a second copy follows. */
          natter_core_send (core, from, g_bytes_ref (line));
          natter_core_send_later (core, from, line, now_ms, CLASSIC_EXIT_REPEAT_MS);
        }
      break;
    default:
      core->stats.malformed++;
      break;
    }
}
