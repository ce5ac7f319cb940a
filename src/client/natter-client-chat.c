/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "natter-client"
#include "config.h"

#include <string.h>

#include "natter-client-private.h"
#include "natter-random.h"

/* Chat with one peer: ask the server for an introduction, punch, then run
 * reliable delivery over whichever path works (LAN, direct, or the relay). */

static NatterPathKind
current_path (NatterPeer *peer)
{
  return peer->punch != NULL ? natter_punch_get_path (peer->punch) : NATTER_PATH_NONE;
}

static void
request_intro (NatterClient *self,
               NatterPeer   *peer,
               gint64        now)
{
  if (!self->has_token)
    return;
  if (peer->intro_requested_ms > 0 && now - peer->intro_requested_ms < NATTER_INTRO_RETRY_MS)
    return;
  peer->intro_requested_ms = now;
  natter_client_send_to (self, &self->server_endpoint,
                         natter_wire_auth_request (NATTER_MSG_INTRO, self->id, self->token,
                                                   peer->id, NULL, 0, 0));
  if (peer->path == NATTER_PATH_NONE)
    natter_peer_set_path (peer, NATTER_PATH_PUNCHING, NULL);
}

/* Sends a sealed peer datagram over the relay or straight to `to`. */
static void
send_peer (NatterClient         *self,
           NatterPeer           *peer,
           const NatterPeerMsg  *pm,
           const NatterEndpoint *to,
           gboolean              relay)
{
  g_autoptr(GBytes) sealed = natter_peer_seal (peer->key, self->id, peer->id, pm);

  if (sealed == NULL)
    return;
  if (relay)
    {
      if (!self->has_token)
        return;
      natter_client_send_to (self, &self->server_endpoint,
                             natter_wire_auth_request (NATTER_MSG_RELAY, self->id, self->token,
                                                       peer->id,
                                                       g_bytes_get_data (sealed, NULL),
                                                       g_bytes_get_size (sealed), 0));
    }
  else
    natter_client_send_to (self, to, g_bytes_ref (sealed));
}

typedef struct
{
  NatterClient *self;
  NatterPeer   *peer;
} SendContext;

static void
send_fragment (const NatterPeerMsg *fragment,
               gpointer             user_data)
{
  SendContext *ctx = user_data;
  NatterPathKind path = current_path (ctx->peer);

  send_peer (ctx->self, ctx->peer, fragment, natter_punch_get_endpoint (ctx->peer->punch),
             path == NATTER_PATH_RELAY);
  natter_punch_sent (ctx->peer->punch, natter_client_now ());
}

static void
sync_path (NatterClient *self,
           NatterPeer   *peer,
           gint64        now)
{
  NatterPathKind path;

  if (peer->punch == NULL || !natter_punch_take_changed (peer->punch))
    return;
  path = natter_punch_get_path (peer->punch);
  natter_peer_set_path (peer, path, natter_punch_get_endpoint (peer->punch));
  if (path == NATTER_PATH_LAN || path == NATTER_PATH_DIRECT || path == NATTER_PATH_RELAY)
    natter_delivery_kick (peer->delivery, now);
}

/* The peer's public endpoint changed (its NAT rebound): a direct path to
 * the old one is dead, so punch again now rather than when it times out. */
void
natter_client_chat_peer_moved (NatterClient *self,
                               NatterPeer   *peer,
                               gint64        now)
{
  NatterPathKind path = current_path (peer);

  if (!peer->has_key || (path != NATTER_PATH_DIRECT && path != NATTER_PATH_RELAY))
    return;
  peer->intro_requested_ms = 0;
  request_intro (self, peer, now);
}

void
natter_client_chat_introduced (NatterClient *self,
                               NatterMsg    *msg,
                               gint64        now)
{
  NatterPeer *peer = natter_client_lookup_peer (self, msg->id);

  if (peer == NULL)
    {
      NatterPeerInfo info = { msg->id, msg->endpoint };

      info.flags = msg->classic ? NATTER_PEER_FLAG_CLASSIC : 0;
      peer = natter_client_upsert_peer (self, &info);
      if (peer == NULL)
        return;
    }
  peer->n_candidates = msg->n_candidates;
  memcpy (peer->candidates, msg->candidates, msg->n_candidates * sizeof (NatterEndpoint));
  if (msg->classic)
    {
      natter_peer_set_path (peer, NATTER_PATH_CLASSIC, natter_peer_classic_destination (peer));
      return;
    }
  memcpy (peer->key, msg->key, NATTER_WIRE_KEY_SIZE);
  peer->has_key = TRUE;
  if (peer->punch == NULL)
    peer->punch = natter_punch_new ();
  natter_punch_start (peer->punch, &msg->endpoint, msg->candidates, msg->n_candidates, now);
  sync_path (self, peer, now);
}

static void
send_ack (NatterClient         *self,
          NatterPeer           *peer,
          const NatterPeerMsg  *chat,
          const NatterEndpoint *from,
          gboolean              relayed)
{
  NatterPeerMsg ack = { 0 };

  ack.kind = NATTER_PEER_ACK;
  ack.message_id = chat->message_id;
  ack.fragment = chat->fragment;
  send_peer (self, peer, &ack, from, relayed);
}

static void
receive_chat (NatterClient         *self,
              NatterPeer           *peer,
              const NatterPeerMsg  *pm,
              const NatterEndpoint *from,
              gboolean              relayed,
              gint64                now)
{
  g_autofree char *text = NULL;
  gint64 timestamp = 0;
  NatterReceiveResult result;

  result = natter_delivery_receive (peer->delivery, pm, now, &text, &timestamp);
  if (result == NATTER_RECEIVE_INVALID)
    return;
  if (result == NATTER_RECEIVE_COMPLETE)
    {
      g_autoptr(NatterMessage) message =
        natter_message_new (pm->message_id, NATTER_MESSAGE_INCOMING, text, timestamp,
                            NATTER_MESSAGE_RECEIVED);
      g_autoptr(GError) error = NULL;
      gboolean duplicate = FALSE;

      /* written before it is acknowledged: the sender may forget it then.
       * Not written (a full disk): unacknowledged, so it comes again. */
      if (!natter_peer_keep_message (peer, message, &duplicate, &error))
        {
          g_autofree char *why = g_strdup_printf ("Cannot save a message from %s, so it is not "
                                                  "acknowledged and will come again: %s",
                                                  peer->id, error->message);

          natter_client_emit_history_error (self, why);
          natter_delivery_forget (peer->delivery, pm->message_id);
          return;
        }
      send_ack (self, peer, pm, from, relayed);
      /* kept in an earlier run, whose acknowledgement was lost */
      if (!duplicate)
        natter_client_emit_received (self, peer, message);
      return;
    }
  send_ack (self, peer, pm, from, relayed);
}

void
natter_client_chat_receive (NatterClient         *self,
                            NatterMsg            *outer,
                            const NatterEndpoint *from,
                            gboolean              relayed,
                            gint64                now)
{
  NatterPeer *peer = natter_client_lookup_peer (self, outer->id);
  g_auto(NatterPeerMsg) pm = { 0 };
  NatterPeerMsg reply = { 0 };

  /* nothing is believed before the pair key checks out */
  if (peer == NULL)
    return;
  if (!peer->has_key || !natter_peer_open (peer->key, outer, self->id, &pm, NULL))
    {
      /* A known peer writing with a key we do not hold (we lost ours when
       * the server restarted, or it has a newer one): a fresh introduction
       * gives both sides the same key again. Rate-limited, so a forged
       * datagram costs the server one request at most. */
      if (g_strcmp0 (outer->to, self->id) == 0)
        request_intro (self, peer, now);
      return;
    }
  if (peer->punch == NULL)
    peer->punch = natter_punch_new ();

  switch (pm.kind)
    {
    case NATTER_PEER_PROBE:
    case NATTER_PEER_PING:
      if (relayed)
        break;
      reply.kind = pm.kind == NATTER_PEER_PROBE ? NATTER_PEER_PROBE_ACK : NATTER_PEER_PONG;
      reply.nonce = pm.nonce;
      reply.has_seen = TRUE;
      reply.seen = *from;
      send_peer (self, peer, &reply, from, FALSE);
      if (pm.kind == NATTER_PEER_PROBE)
        natter_punch_probe_received (peer->punch, from, now);
      else
        natter_punch_heard (peer->punch, from, now);
      break;
    case NATTER_PEER_PROBE_ACK:
    case NATTER_PEER_PONG:
      if (!relayed)
        natter_punch_ack_received (peer->punch, from, pm.nonce, now);
      break;
    case NATTER_PEER_CHAT:
      if (!relayed)
        natter_punch_heard (peer->punch, from, now);
      receive_chat (self, peer, &pm, from, relayed, now);
      break;
    case NATTER_PEER_ACK:
      if (!relayed)
        natter_punch_heard (peer->punch, from, now);
      if (natter_delivery_ack (peer->delivery, pm.message_id, pm.fragment))
        {
          NatterMessage *message = natter_peer_find_message (peer, pm.message_id);

          if (message != NULL)
            natter_peer_set_message_state (peer, message, NATTER_MESSAGE_DELIVERED);
        }
      break;
    default:
      break;
    }
  sync_path (self, peer, now);
}

void
natter_client_chat_queue (NatterClient  *self,
                          NatterPeer    *peer,
                          NatterMessage *message,
                          gint64         now)
{
  if (!natter_delivery_queue (peer->delivery, natter_message_get_id (message),
                              natter_message_get_text (message),
                              natter_message_get_time (message), now))
    {
      natter_peer_set_message_state (peer, message, NATTER_MESSAGE_FAILED);
      return;
    }
  natter_peer_set_message_state (peer, message, NATTER_MESSAGE_SENDING);
  if (!peer->has_key)
    request_intro (self, peer, now);
}

gint64
natter_client_chat_tick (NatterClient *self,
                         NatterPeer   *peer,
                         gint64        now)
{
  g_autoptr(GArray) failed = NULL;
  gint64 next = -1;
  NatterPathKind path;
  gboolean can_send;
  SendContext ctx = { self, peer };

  if (peer->classic)
    return -1;

  if (peer->punch != NULL && peer->has_key)
    {
      g_autoptr(GArray) sends = g_array_new (FALSE, FALSE, sizeof (NatterPunchSend));

      next = natter_punch_poll (peer->punch, now, sends);
      for (guint i = 0; i < sends->len; i++)
        {
          NatterPunchSend *s = &g_array_index (sends, NatterPunchSend, i);
          NatterPeerMsg probe = { 0 };

          probe.kind = s->kind == NATTER_PUNCH_SEND_PROBE ? NATTER_PEER_PROBE : NATTER_PEER_PING;
          probe.nonce = s->nonce;
          send_peer (self, peer, &probe, &s->to, FALSE);
        }
      if (natter_punch_take_needs_intro (peer->punch))
        {
          peer->intro_requested_ms = 0;
          request_intro (self, peer, now);
        }
      sync_path (self, peer, now);
    }

  path = current_path (peer);
  can_send = peer->has_key &&
             (path == NATTER_PATH_LAN || path == NATTER_PATH_DIRECT ||
              (path == NATTER_PATH_RELAY && self->has_token));
  if (natter_delivery_n_pending (peer->delivery) > 0 && !peer->has_key)
    {
      request_intro (self, peer, now);
      /* without a session nothing was asked: the next welcome brings us back */
      if (self->has_token && peer->intro_requested_ms > 0)
        next = natter_time_earliest (next, peer->intro_requested_ms + NATTER_INTRO_RETRY_MS);
    }

  next = natter_time_earliest (next, natter_delivery_poll (peer->delivery, now, can_send, send_fragment, &ctx));
  failed = natter_delivery_take_failed (peer->delivery);
  for (guint i = 0; i < failed->len; i++)
    {
      NatterMessage *message = natter_peer_find_message (peer, g_array_index (failed, guint64, i));

      /* gone meanwhile, or the server with it: it waits for them again */
      if (message != NULL)
        natter_peer_set_message_state (peer, message,
                                       natter_client_can_reach (self, peer)
                                       ? NATTER_MESSAGE_FAILED : NATTER_MESSAGE_QUEUED);
    }
  return next;
}

void
natter_client_chat_peer_gone (NatterClient *self,
                              NatterPeer   *peer)
{
  g_autoptr(GPtrArray) sending = g_ptr_array_new_with_free_func (g_object_unref);
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, peer->sending);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    g_ptr_array_add (sending, g_object_ref (value));

  /* what was on its way waits for the peer to come back */
  for (guint i = 0; i < sending->len; i++)
    {
      NatterMessage *message = sending->pdata[i];

      natter_delivery_cancel (peer->delivery, natter_message_get_id (message));
      natter_peer_set_message_state (peer, message, NATTER_MESSAGE_QUEUED);
    }
  g_clear_pointer (&peer->punch, natter_punch_free);
  peer->has_key = FALSE;
  peer->intro_requested_ms = 0;
  natter_peer_set_path (peer, NATTER_PATH_NONE, NULL);
}

NatterMessage *
natter_client_send_message (NatterClient  *self,
                            const char    *peer_id,
                            const char    *text,
                            GError       **error)
{
  NatterPeer *peer;
  g_autoptr(NatterMessage) message = NULL;
  g_autoptr(GError) local_error = NULL;
  guint64 id;
  gint64 now_wall = g_get_real_time () / 1000;
  gboolean classic;
  gsize len;

  g_return_val_if_fail (NATTER_IS_CLIENT (self), NULL);
  g_return_val_if_fail (peer_id != NULL && text != NULL, NULL);

  len = strlen (text);
  if (len == 0 || len > NATTER_MAX_TEXT_BYTES || !g_utf8_validate (text, len, NULL))
    {
      g_set_error (error, NATTER_CLIENT_ERROR_DOMAIN, NATTER_CLIENT_ERROR_INVALID_TEXT,
                   "A message is 1 to %d bytes of text", NATTER_MAX_TEXT_BYTES);
      return NULL;
    }
  peer = natter_client_lookup_peer (self, peer_id);
  if (peer == NULL)
    {
      g_set_error (error, NATTER_CLIENT_ERROR_DOMAIN, NATTER_CLIENT_ERROR_NO_SUCH_PEER,
                   "There is no %s in registration list.", peer_id);
      return NULL;
    }
  classic = self->classic || natter_peer_get_classic (peer);
  if (classic && !natter_client_classic_fits (self, text))
    {
      g_set_error (error, NATTER_CLIENT_ERROR_DOMAIN, NATTER_CLIENT_ERROR_INVALID_TEXT,
                   "A message to a classic client is at most 2000 bytes, on one line");
      return NULL;
    }

  natter_random_bytes ((guint8 *) &id, sizeof id);
  message = natter_message_new (id, NATTER_MESSAGE_OUTGOING, text, now_wall,
                                NATTER_MESSAGE_QUEUED);
  /* written first: whatever happens next, it is not lost */
  if (!natter_peer_keep_message (peer, message, NULL, &local_error))
    {
      g_set_error (error, NATTER_CLIENT_ERROR_DOMAIN, NATTER_CLIENT_ERROR_HISTORY,
                   "Cannot save the message: %s", local_error->message);
      return NULL;
    }
  natter_client_history_flush (self, peer);
  /* the conversation holds it */
  return message;
}

gboolean
natter_client_retry_message (NatterClient  *self,
                             NatterPeer    *peer,
                             NatterMessage *message)
{
  g_return_val_if_fail (NATTER_IS_CLIENT (self), FALSE);
  g_return_val_if_fail (NATTER_IS_PEER (peer), FALSE);
  g_return_val_if_fail (NATTER_IS_MESSAGE (message), FALSE);

  if (natter_message_get_state (message) != NATTER_MESSAGE_FAILED ||
      natter_message_get_direction (message) != NATTER_MESSAGE_OUTGOING || peer->classic)
    return FALSE;
  natter_peer_set_message_state (peer, message, NATTER_MESSAGE_QUEUED);
  natter_client_history_flush (self, peer);
  return TRUE;
}
