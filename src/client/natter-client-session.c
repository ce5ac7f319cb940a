/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "natter-client"
#include "config.h"

#include <string.h>

#include "natter-client-private.h"

/* The session with the server: register (cookie first), keep alive, keep
 * the peer list in step with the server's versions, and come back by
 * itself when the server goes away or forgets us. */

static void
send_register (NatterClient *self,
               const guint8 *cookie,
               gsize         cookie_len,
               gint64        now)
{
  GVariantBuilder b;
  guint8 pad[NATTER_WIRE_REGISTER_MIN_SIZE] = { 0 };

  g_variant_builder_init (&b, G_VARIANT_TYPE_VARDICT);
  natter_wire_add_string (&b, "id", self->id);
  if (cookie != NULL)
    natter_wire_add_bytes (&b, "ck", cookie, cookie_len);
  if (self->n_host_candidates > 0)
    natter_wire_add_candidates (&b, "cand", self->host_candidates, self->n_host_candidates);
  /* the server answers an unproven address with no more than it got */
  natter_wire_add_bytes (&b, "pad", pad, sizeof pad);
  natter_client_send_to (self, &self->server_endpoint,
                         natter_wire_encode (NATTER_MSG_REGISTER, g_variant_builder_end (&b)));
  self->register_retry_ms = now + NATTER_REGISTER_RETRY_MS;
}

static void
start_registering (NatterClient *self,
                   gint64        now)
{
  self->has_token = FALSE;
  self->register_attempts = 0;
  self->reconnect_at_ms = -1;
  self->next_keepalive_ms = -1;
  self->keepalive_retry_ms = -1;
  self->list_deadline_ms = -1;
  if (self->state != NATTER_CLIENT_RECONNECTING)
    natter_client_set_state (self, NATTER_CLIENT_REGISTERING, NULL);
  send_register (self, NULL, 0, now);
}

/* The server is gone (or unreachable): try again later, backing off. */
static void
lose_server (NatterClient *self,
             const char   *why,
             gint64        now)
{
  guint delay = MIN (NATTER_RECONNECT_MAX_MS, 500u << MIN (self->reconnect_attempt, 5u));

  self->reconnect_attempt++;
  self->has_token = FALSE;
  self->next_keepalive_ms = -1;
  self->keepalive_retry_ms = -1;
  self->register_retry_ms = -1;
  self->reconnect_at_ms = now + delay;
  natter_client_set_state (self, NATTER_CLIENT_RECONNECTING, why);
}

void
natter_client_session_begin (NatterClient *self)
{
  self->reconnect_attempt = 0;
  start_registering (self, natter_client_now ());
}

void
natter_client_session_end (NatterClient *self)
{
  if (self->has_token)
    natter_client_send_to (self, &self->server_endpoint,
                           natter_wire_auth_request (NATTER_MSG_BYE, self->id, self->token,
                                                     NULL, NULL, 0, 0));
  self->has_token = FALSE;
}

static void
request_resync (NatterClient *self,
                gint64        now)
{
  if (!self->has_token || now - self->resync_sent_ms < NATTER_RESYNC_MIN_MS)
    return;
  self->resync_sent_ms = now;
  self->list_deadline_ms = now + 2000;
  natter_client_send_to (self, &self->server_endpoint,
                         natter_wire_auth_request (NATTER_MSG_RESYNC, self->id, self->token,
                                                   NULL, NULL, 0, 0));
}

static void
send_keepalive (NatterClient *self,
                gint64        now)
{
  natter_client_send_to (self, &self->server_endpoint,
                         natter_wire_auth_request (NATTER_MSG_KEEPALIVE, self->id, self->token,
                                                   NULL, NULL, 0, self->version));
  self->keepalive_retry_ms = now + MIN (NATTER_KEEPALIVE_RETRY_MS, self->interval_ms / 2 + 1);
}

static void
peer_info_free (gpointer data)
{
  NatterPeerInfo *info = data;

  g_free ((char *) info->id);
  g_free (info);
}

static void
apply_list_part (NatterClient *self,
                 NatterMsg    *msg)
{
  if (self->list_entries == NULL || msg->version != self->list_version ||
      msg->parts != self->list_parts)
    {
      g_clear_pointer (&self->list_entries, g_hash_table_unref);
      g_clear_pointer (&self->list_seen, g_array_unref);
      self->list_entries = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, peer_info_free);
      self->list_seen = g_array_new (FALSE, TRUE, sizeof (gboolean));
      g_array_set_size (self->list_seen, msg->parts);
      self->list_version = msg->version;
      self->list_parts = msg->parts;
    }
  g_array_index (self->list_seen, gboolean, msg->part) = TRUE;
  for (guint i = 0; i < msg->peers->len; i++)
    {
      NatterPeerInfo *info = g_memdup2 (&g_array_index (msg->peers, NatterPeerInfo, i),
                                        sizeof (NatterPeerInfo));

      info->id = g_strdup (info->id);
      g_hash_table_replace (self->list_entries, (char *) info->id, info);
    }

  for (guint i = 0; i < self->list_parts; i++)
    if (!g_array_index (self->list_seen, gboolean, i))
      return;

  /* complete: it replaces what we had */
  {
    GHashTableIter iter;
    gpointer value;

    g_hash_table_iter_init (&iter, self->list_entries);
    while (g_hash_table_iter_next (&iter, NULL, &value))
      natter_client_upsert_peer (self, value);
    natter_client_retain_peers (self, self->list_entries);
  }
  self->version = self->list_version;
  self->list_deadline_ms = -1;
  g_clear_pointer (&self->list_entries, g_hash_table_unref);
  g_clear_pointer (&self->list_seen, g_array_unref);
}

static void
apply_events (NatterClient *self,
              NatterMsg    *msg,
              gint64        now)
{
  for (guint i = 0; i < msg->events->len; i++)
    {
      NatterEvent *event = &g_array_index (msg->events, NatterEvent, i);

      if (event->version <= self->version)
        continue;
      if (event->version != self->version + 1)
        {
          /* a datagram was lost: ask for the whole list */
          request_resync (self, now);
          return;
        }
      self->version = event->version;
      if (event->kind == NATTER_EVENT_LEAVE || event->kind == NATTER_EVENT_TIMEOUT)
        natter_client_remove_peer (self, event->peer.id);
      else
        natter_client_upsert_peer (self, &event->peer);
    }
}

static void
handle_error (NatterClient *self,
              NatterMsg    *msg,
              gint64        now)
{
  const char *reason = msg->reason != NULL ? msg->reason : "The server refused";

  switch (msg->code)
    {
    case NATTER_ERR_ID_TAKEN:
      /* coming back after losing the server, the ID may still be held by
       * our own old registration (from a port the NAT has since changed):
       * it times out, so keep trying */
      if (!self->has_token && self->ever_online)
        lose_server (self, reason, now);
      else if (!self->has_token)
        {
          self->register_retry_ms = -1;
          natter_client_set_state (self, NATTER_CLIENT_ERROR, reason);
        }
      break;
    case NATTER_ERR_INVALID_ID:
      if (!self->has_token)
        {
          self->register_retry_ms = -1;
          natter_client_set_state (self, NATTER_CLIENT_ERROR, reason);
        }
      break;
    case NATTER_ERR_SERVER_FULL:
    case NATTER_ERR_RATE_LIMITED:
      /* full, or too many registrations from our address (a busy NAT):
       * back off and try again, telling the user why */
      if (!self->has_token)
        lose_server (self, reason, now);
      break;
    case NATTER_ERR_UNKNOWN_SESSION:
      /* the server restarted and forgot us: register again at once */
      if (self->has_token)
        {
          g_debug ("%s: server forgot the session; registering again", self->id);
          self->reconnect_attempt = 0;
          start_registering (self, now);
        }
      break;
    default:
      g_debug ("%s: server error %u: %s", self->id, msg->code, reason);
      break;
    }
}

void
natter_client_session_receive (NatterClient *self,
                               NatterMsg    *msg,
                               gint64        now)
{
  self->last_heard_ms = now;
  switch (msg->type)
    {
    case NATTER_MSG_COOKIE:
      if (self->has_token)
        {
          /* our NAT gave us a new public port: prove it with the cookie */
          GVariantBuilder b;

          g_variant_builder_init (&b, G_VARIANT_TYPE_VARDICT);
          natter_wire_add_string (&b, "id", self->id);
          natter_wire_add_bytes (&b, "tok", self->token, NATTER_WIRE_TOKEN_SIZE);
          natter_wire_add_bytes (&b, "ck", msg->cookie, msg->cookie_len);
          natter_wire_add_u64 (&b, "ver", self->version);
          natter_client_send_to (self, &self->server_endpoint,
                                 natter_wire_encode (NATTER_MSG_KEEPALIVE,
                                                     g_variant_builder_end (&b)));
        }
      else if (self->state != NATTER_CLIENT_ERROR)
        send_register (self, msg->cookie, msg->cookie_len, now);
      break;
    case NATTER_MSG_WELCOME:
      if (g_strcmp0 (msg->id, self->id) != 0)
        break;
      memcpy (self->token, msg->token, NATTER_WIRE_TOKEN_SIZE);
      self->has_token = TRUE;
      self->version = 0;
      self->reconnect_attempt = 0;
      self->register_retry_ms = -1;
      self->reconnect_at_ms = -1;
      if (self->keepalive_override_ms == 0)
        self->interval_ms = msg->interval_ms;
      self->next_keepalive_ms = now + self->interval_ms;
      self->keepalive_retry_ms = -1;
      self->list_deadline_ms = now + 2000;
      natter_client_set_public (self, &msg->endpoint);
      natter_client_set_state (self, NATTER_CLIENT_ONLINE, NULL);
      break;
    case NATTER_MSG_LIST:
      if (self->has_token)
        apply_list_part (self, msg);
      break;
    case NATTER_MSG_EVENTS:
      if (self->has_token)
        apply_events (self, msg, now);
      break;
    case NATTER_MSG_ALIVE:
      if (!self->has_token)
        break;
      self->keepalive_retry_ms = -1;
      self->keepalive_retries = 0;
      natter_client_set_public (self, &msg->endpoint);
      if (msg->version > self->version)
        request_resync (self, now);
      break;
    case NATTER_MSG_ERROR:
      handle_error (self, msg, now);
      break;
    case NATTER_MSG_INTRODUCE:
      if (self->has_token)
        natter_client_chat_introduced (self, msg, now);
      break;
    case NATTER_MSG_RELAYED:
      if (self->has_token)
        {
          g_auto(NatterMsg) inner = { 0 };

          if (natter_msg_parse (&inner, msg->data, msg->data_len, NULL) &&
              inner.type == NATTER_MSG_PEER && g_strcmp0 (inner.id, msg->id) == 0)
            natter_client_chat_receive (self, &inner, NULL, TRUE, now);
        }
      break;
    case NATTER_MSG_SHUTDOWN:
      lose_server (self, msg->reason != NULL ? msg->reason : "The server shut down", now);
      break;
    default:
      break;
    }
}

gint64
natter_client_session_tick (NatterClient *self,
                            gint64        now)
{
  if (!natter_endpoint_is_set (&self->server_endpoint) || self->state == NATTER_CLIENT_ERROR)
    return -1;

  if (self->reconnect_at_ms >= 0 && now >= self->reconnect_at_ms)
    start_registering (self, now);

  if (!self->has_token)
    {
      if (self->register_retry_ms >= 0 && now >= self->register_retry_ms)
        {
          if (++self->register_attempts >= NATTER_REGISTER_ATTEMPTS)
            lose_server (self, "The server does not answer", now);
          else
            send_register (self, NULL, 0, now);
        }
      return natter_time_earliest (self->register_retry_ms, self->reconnect_at_ms);
    }

  /* silent for two intervals and the retries: the server is gone */
  if (now - self->last_heard_ms > 2 * (gint64) self->interval_ms + NATTER_KEEPALIVE_RETRY_MS * 2)
    {
      lose_server (self, "Lost contact with the server", now);
      return self->reconnect_at_ms;
    }
  if (now >= self->next_keepalive_ms)
    {
      self->next_keepalive_ms = now + self->interval_ms;
      self->keepalive_retries = 0;
      send_keepalive (self, now);
    }
  else if (self->keepalive_retry_ms >= 0 && now >= self->keepalive_retry_ms)
    {
      /* one lost keep-alive should not cost a whole interval */
      if (self->keepalive_retries++ < 2)
        send_keepalive (self, now);
      else
        self->keepalive_retry_ms = -1;
    }
  if (self->list_deadline_ms >= 0 && now >= self->list_deadline_ms)
    {
      self->resync_sent_ms = 0;
      request_resync (self, now);
    }
  return natter_time_earliest (natter_time_earliest (self->next_keepalive_ms,
                                                     self->keepalive_retry_ms),
                               natter_time_earliest (self->list_deadline_ms,
                                                     self->last_heard_ms +
                                                       2 * (gint64) self->interval_ms +
                                                       NATTER_KEEPALIVE_RETRY_MS * 2 + 1));
}
