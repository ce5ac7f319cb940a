/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "natter-server"
#include "config.h"

#include <string.h>

#include "natter-core-private.h"
#include "natter-random.h"
#include "natter-stun.h"
#include "natter-wire.h"

void
natter_core_config_init (NatterCoreConfig *config)
{
  config->max_peers = 100000;
  config->timeout_ms = 30000;
  config->interval_ms = 10000;
  config->relay = TRUE;
  config->classic = TRUE;
  config->classic_rate = NATTER_CLASSIC_RATE_DEFAULT;
  config->register_rate = NATTER_REGISTER_RATE_DEFAULT;
}

void
natter_outgoing_clear (gpointer data)
{
  NatterOutgoing *out = data;

  g_clear_pointer (&out->data, g_bytes_unref);
}

NatterCore *
natter_core_new (const NatterCoreConfig *config)
{
  NatterCore *core = g_new0 (NatterCore, 1);

  core->config = *config;
  core->registry = natter_registry_new (config->max_peers, config->timeout_ms);
  core->outbox = g_array_new (FALSE, TRUE, sizeof (NatterOutgoing));
  g_array_set_clear_func (core->outbox, natter_outgoing_clear);
  natter_random_bytes (core->secret, sizeof core->secret);
  core->classic_sources = g_hash_table_new_full ((GHashFunc) natter_endpoint_hash,
                                                 (GEqualFunc) natter_endpoint_equal,
                                                 g_free, g_free);
  core->register_sources = natter_source_limit_new (NATTER_REGISTER_SOURCES_MAX);
  return core;
}

static void
delayed_free (gpointer data)
{
  NatterDelayed *delayed = data;

  natter_outgoing_clear (&delayed->out);
  g_free (delayed);
}

void
natter_core_free (NatterCore *core)
{
  if (core == NULL)
    return;
  g_queue_clear_full (&core->later, delayed_free);
  g_queue_clear_full (&core->lists_wanted, g_free);
  g_clear_pointer (&core->list_records, g_array_unref);
  g_hash_table_unref (core->classic_sources);
  natter_source_limit_free (core->register_sources);
  natter_registry_free (core->registry);
  g_array_unref (core->outbox);
  g_free (core);
}

void
natter_core_send (NatterCore           *core,
                  const NatterEndpoint *to,
                  GBytes               *data)
{
  NatterOutgoing out = { *to, data };

  if (data == NULL)
    return;
  g_array_append_val (core->outbox, out);
  core->stats.sent++;
}

void
natter_core_send_later (NatterCore           *core,
                        const NatterEndpoint *to,
                        GBytes               *data,
                        gint64                now_ms,
                        gint64                delay_ms)
{
  NatterDelayed *delayed = g_new0 (NatterDelayed, 1);

  delayed->due_ms = now_ms + delay_ms;
  if (!g_queue_is_empty (&core->later))
    delayed->due_ms = MAX (delayed->due_ms,
                           ((NatterDelayed *) g_queue_peek_tail (&core->later))->due_ms);
  delayed->out.to = *to;
  delayed->out.data = data;
  g_queue_push_tail (&core->later, delayed);
}

void
natter_core_send_bounded (NatterCore           *core,
                          const NatterEndpoint *to,
                          GBytes               *data,
                          gsize                 request_len)
{
  if (data == NULL)
    return;
  if (g_bytes_get_size (data) > request_len)
    {
      core->stats.suppressed++;
      g_bytes_unref (data);
      return;
    }
  natter_core_send (core, to, data);
}

void
natter_core_send_error (NatterCore           *core,
                        const NatterEndpoint *to,
                        NatterErrorCode       code,
                        const char           *reason)
{
  natter_core_send (core, to, natter_wire_error (code, reason));
}

/* A reply to an unverified source: the reason is dropped before the reply
 * is allowed to grow past the request. */
static void
send_error_bounded (NatterCore           *core,
                    const NatterEndpoint *to,
                    NatterErrorCode       code,
                    const char           *reason,
                    gsize                 request_len)
{
  GBytes *reply = natter_wire_error (code, reason);

  if (g_bytes_get_size (reply) > request_len)
    {
      g_bytes_unref (reply);
      reply = natter_wire_error (code, NULL);
    }
  natter_core_send_bounded (core, to, reply, request_len);
}

static void
send_welcome (NatterCore  *core,
              NatterEntry *entry)
{
  GVariantBuilder b;

  g_variant_builder_init (&b, G_VARIANT_TYPE_VARDICT);
  natter_wire_add_string (&b, "id", entry->id);
  natter_wire_add_bytes (&b, "tok", entry->token, NATTER_WIRE_TOKEN_SIZE);
  natter_wire_add_endpoint (&b, "ep", &entry->public_endpoint);
  natter_wire_add_u32 (&b, "ival", core->config.interval_ms);
  natter_wire_add_u32 (&b, "tmo", core->config.timeout_ms);
  natter_wire_add_u64 (&b, "ver", natter_registry_version (core->registry));
  natter_core_send (core, &entry->public_endpoint,
                    natter_wire_encode (NATTER_MSG_WELCOME, g_variant_builder_end (&b)));
}

/* Whether `from`'s address may register once more now; a refusal is
 * logged at most once a second per address, with the number refused. */
static gboolean
register_budget (NatterCore           *core,
                 const char           *id,
                 const NatterEndpoint *from,
                 gint64                now_ms)
{
  guint rate = MAX (1u, core->config.register_rate);
  guint report;
  char ep[NATTER_ENDPOINT_STRLEN];

  if (natter_source_limit_take (core->register_sources, from, now_ms, rate,
                                rate * NATTER_REGISTER_BURST_SECONDS, &report))
    return TRUE;
  core->stats.rate_limited++;
  if (report > 0)
    g_message ("registration of %s from %s refused: too many registrations from that "
               "address (%u refused from it since the previous such line)",
               id, natter_endpoint_format (from, ep), report);
  return FALSE;
}

/* A native registration of exactly this: the ID as spelled, from this
 * endpoint, with these candidates. */
static gboolean
is_same_session (const NatterEntry    *entry,
                 const NatterMsg      *msg,
                 const NatterEndpoint *from)
{
  if (entry->classic || !natter_endpoint_equal (&entry->public_endpoint, from) ||
      strcmp (entry->id, msg->id) != 0 || entry->n_candidates != msg->n_candidates)
    return FALSE;
  for (guint i = 0; i < msg->n_candidates; i++)
    if (!natter_endpoint_equal (&entry->candidates[i], &msg->candidates[i]))
      return FALSE;
  return TRUE;
}

static void
handle_register (NatterCore           *core,
                 NatterMsg            *msg,
                 gsize                 len,
                 const NatterEndpoint *from,
                 gint64                now_ms)
{
  NatterEntry *entry = NULL;
  NatterRegStatus status;

  if (!natter_core_check_cookie (core, msg->cookie, msg->cookie_len, from, now_ms))
    {
      natter_core_send_cookie (core, from, now_ms, len);
      return;
    }

  /* From here on the source address is proven: replies may be larger. */
  if (!register_budget (core, msg->id, from, now_ms))
    {
      natter_core_send_error (core, from, NATTER_ERR_RATE_LIMITED,
                              "Too many registrations from your address: try again in a few seconds");
      return;
    }
  entry = natter_registry_lookup (core->registry, msg->id);
  if (entry != NULL && is_same_session (entry, msg, from))
    {
      /* The same REGISTER again (its WELCOME was lost or is late): the
       * same session once more, so that retries during a storm do not
       * multiply the work with new tokens and events for everyone. */
      natter_registry_touch (core->registry, entry, now_ms);
      send_welcome (core, entry);
      natter_core_ask_list (core, entry);
      return;
    }
  status = natter_registry_register (core->registry, msg->id, from, msg->candidates,
                                     msg->n_candidates, FALSE, now_ms, &entry);
  switch (status)
    {
    case NATTER_REG_TAKEN:
      {
        g_autofree char *reason = g_strdup_printf ("The ID “%s” is already taken", msg->id);

        g_debug ("registration of %s refused: taken", msg->id);
        natter_core_send_error (core, from, NATTER_ERR_ID_TAKEN, reason);
      }
      return;
    case NATTER_REG_FULL:
      g_debug ("registration of %s refused: full", msg->id);
      natter_core_send_error (core, from, NATTER_ERR_SERVER_FULL,
                              "The server is full: it has reached its limit of registered clients");
      return;
    case NATTER_REG_OK:
    default:
      break;
    }

  /* a new session only: registering again must not refill them */
  if (entry->relay_bucket.tokens < 0)
    natter_bucket_init (&entry->relay_bucket, NATTER_RELAY_BURST, now_ms);
  if (entry->request_bucket.tokens < 0)
    natter_bucket_init (&entry->request_bucket, NATTER_REQUEST_BURST, now_ms);
  send_welcome (core, entry);
  natter_core_want_list (core, entry);
}

static NatterEntry *
authenticate (NatterCore           *core,
              NatterMsg            *msg,
              gsize                 len,
              const NatterEndpoint *from)
{
  NatterEntry *entry = natter_registry_authenticate (core->registry, msg->id, msg->token);

  if (entry == NULL)
    {
      core->stats.unauthenticated++;
      /* Tells a client whose server restarted to register again; bounded,
       * because anyone can send a made-up token. */
      send_error_bounded (core, from, NATTER_ERR_UNKNOWN_SESSION,
                          "Unknown session: register again", len);
    }
  return entry;
}

/* A keep-alive from a new endpoint is a NAT rebinding only once the new
 * address is proven (the cookie round trip): a token says who the client
 * is, not where it is, and a forged source must not steer its traffic. */
static gboolean
handle_move (NatterCore           *core,
             NatterEntry          *entry,
             NatterMsg            *msg,
             gsize                 len,
             const NatterEndpoint *from,
             gint64                now_ms)
{
  char old[NATTER_ENDPOINT_STRLEN], now[NATTER_ENDPOINT_STRLEN];

  if (!natter_core_check_cookie (core, msg->cookie, msg->cookie_len, from, now_ms))
    {
      natter_core_send_cookie (core, from, now_ms, len);
      return FALSE;
    }
  natter_endpoint_format (&entry->public_endpoint, old);
  if (!natter_registry_rebind (core->registry, entry, from))
    {
      core->stats.unauthenticated++;
      return FALSE;
    }
  g_message ("%s moved from %s to %s", entry->id, old, natter_endpoint_format (from, now));
  return TRUE;
}

static void
handle_keepalive (NatterCore           *core,
                  NatterEntry          *entry,
                  NatterMsg            *msg,
                  gsize                 len,
                  const NatterEndpoint *from,
                  gint64                now_ms)
{
  guint8 reply[NATTER_CORE_ALIVE_MAX];

  if (!natter_endpoint_equal (&entry->public_endpoint, from) &&
      !handle_move (core, entry, msg, len, from, now_ms))
    return;
  natter_registry_touch (core->registry, entry, now_ms);

  /* what this client has been sent so far, not the registry's newest:
   * events still waiting in this batch are not a gap */
  natter_core_send (core, from,
                    g_bytes_new (reply, natter_core_write_alive (reply, entry->synced_version,
                                                                 &entry->public_endpoint)));
}

static void
handle_native (NatterCore           *core,
               const guint8         *data,
               gsize                 len,
               const NatterEndpoint *from,
               gint64                now_ms)
{
  g_auto(NatterMsg) msg = { 0 };
  g_autoptr(GError) error = NULL;
  NatterEntry *entry;

  core->stats.native++;
  if (natter_core_try_keepalive (core, data, len, from, now_ms))
    return;
  if (!natter_msg_parse (&msg, data, len, &error))
    {
      if (g_error_matches (error, NATTER_WIRE_ERROR, NATTER_WIRE_ERROR_VERSION))
        core->stats.bad_version++;
      else if (g_error_matches (error, NATTER_WIRE_ERROR, NATTER_WIRE_ERROR_UNKNOWN_TYPE))
        core->stats.unknown_type++;
      else
        core->stats.malformed++;
      g_debug ("dropped a datagram of %" G_GSIZE_FORMAT " bytes: %s", len, error->message);
      return;
    }

  switch (msg.type)
    {
    case NATTER_MSG_REGISTER:
      handle_register (core, &msg, len, from, now_ms);
      return;
    case NATTER_MSG_KEEPALIVE:
    case NATTER_MSG_RESYNC:
    case NATTER_MSG_BYE:
    case NATTER_MSG_INTRO:
    case NATTER_MSG_RELAY:
      break;
    default:
      /* server-to-client and peer messages have no business here */
      core->stats.unknown_type++;
      return;
    }

  entry = authenticate (core, &msg, len, from);
  if (entry == NULL)
    return;

  /* any authenticated request from where the client is shows it is alive */
  if (msg.type != NATTER_MSG_KEEPALIVE && natter_endpoint_equal (&entry->public_endpoint, from))
    natter_registry_touch (core->registry, entry, now_ms);

  switch (msg.type)
    {
    case NATTER_MSG_KEEPALIVE:
      handle_keepalive (core, entry, &msg, len, from, now_ms);
      break;
    case NATTER_MSG_RESYNC:
      if (natter_bucket_take (&entry->request_bucket, now_ms, NATTER_REQUEST_RATE,
                              NATTER_REQUEST_BURST, 1))
        natter_core_ask_list (core, entry);
      else
        core->stats.rate_limited++;
      break;
    case NATTER_MSG_BYE:
      natter_registry_remove (core->registry, entry, NATTER_EVENT_LEAVE);
      break;
    case NATTER_MSG_INTRO:
      natter_core_handle_intro (core, entry, &msg, now_ms);
      break;
    case NATTER_MSG_RELAY:
      natter_core_handle_relay (core, entry, &msg, now_ms);
      break;
    default:
      g_assert_not_reached ();
    }
}

static void
handle_stun (NatterCore           *core,
             const guint8         *data,
             gsize                 len,
             const NatterEndpoint *from)
{
  NatterStunRequest request;
  guint8 reply[NATTER_STUN_MAX_RESPONSE];
  gsize reply_len;

  core->stats.stun++;
  if (!natter_stun_parse_binding_request (data, len, &request))
    {
      core->stats.malformed++;
      return;
    }
  reply_len = natter_stun_build_binding_response (&request, from, reply, sizeof reply);
  if (reply_len > 0)
    natter_core_send (core, from, g_bytes_new (reply, reply_len));
}

void
natter_core_handle (NatterCore           *core,
                    const guint8         *data,
                    gsize                 len,
                    const NatterEndpoint *from,
                    gint64                now_ms)
{
  g_return_if_fail (core != NULL);
  g_return_if_fail (natter_endpoint_is_set (from));

  core->stats.received++;
  core->now_ms = now_ms;
  /* Nobody legitimate sends from port 0, and replies there go nowhere. */
  if (from->port == 0)
    {
      core->stats.invalid++;
      return;
    }
  switch (natter_packet_classify (data, len))
    {
    case NATTER_PACKET_NATIVE:
      handle_native (core, data, len, from, now_ms);
      break;
    case NATTER_PACKET_STUN:
      handle_stun (core, data, len, from);
      break;
    case NATTER_PACKET_CLASSIC:
      if (core->config.classic)
        natter_core_handle_classic (core, data, len, from, now_ms);
      else
        core->stats.invalid++;
      break;
    case NATTER_PACKET_INVALID:
    default:
      core->stats.invalid++;
      break;
    }
}

void
natter_core_expire (NatterCore *core,
                    gint64      now_ms)
{
  core->now_ms = now_ms;
  natter_registry_expire (core->registry, now_ms);
  while (!g_queue_is_empty (&core->later) &&
         ((NatterDelayed *) g_queue_peek_head (&core->later))->due_ms <= now_ms)
    {
      NatterDelayed *delayed = g_queue_pop_head (&core->later);

      natter_core_send (core, &delayed->out.to, g_steal_pointer (&delayed->out.data));
      delayed_free (delayed);
    }
}

void
natter_core_shutdown (NatterCore *core)
{
  for (GList *l = natter_registry_entries (core->registry); l != NULL; l = l->next)
    {
      NatterEntry *entry = l->data;
      GVariantBuilder b;

      if (entry->classic)
        continue;
      g_variant_builder_init (&b, G_VARIANT_TYPE_VARDICT);
      natter_wire_add_string (&b, "why", "The server is shutting down");
      natter_core_send (core, &entry->public_endpoint,
                        natter_wire_encode (NATTER_MSG_SHUTDOWN, g_variant_builder_end (&b)));
    }
}

GArray *
natter_core_take_outbox (NatterCore *core)
{
  natter_core_write_lists (core, G_MAXUINT);
  return natter_core_take_replies (core);
}

GArray *
natter_core_take_replies (NatterCore *core)
{
  GArray *taken = core->outbox;

  core->outbox = g_array_new (FALSE, TRUE, sizeof (NatterOutgoing));
  g_array_set_clear_func (core->outbox, natter_outgoing_clear);
  return taken;
}

gboolean
natter_core_has_output (NatterCore *core)
{
  return core->outbox->len > 0 || natter_registry_has_events (core->registry) ||
         natter_core_lists_waiting (core);
}

gint64
natter_core_next_deadline (NatterCore *core)
{
  gint64 deadline = natter_registry_next_deadline (core->registry);

  if (!g_queue_is_empty (&core->later))
    {
      gint64 due = ((NatterDelayed *) g_queue_peek_head (&core->later))->due_ms;

      deadline = deadline < 0 ? due : MIN (deadline, due);
    }
  return deadline;
}

NatterRegistry *
natter_core_get_registry (NatterCore *core)
{
  return core->registry;
}

const NatterCoreStats *
natter_core_get_stats (NatterCore *core)
{
  return &core->stats;
}
