/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "natter-client"
#include "config.h"

#include <string.h>

#include "natter-classic.h"
#include "natter-client-private.h"
#include "natter-random.h"

/* The assignment's text protocol: as the whole protocol when the server is
 * the assignment's server.py (classic mode), and for chat with classic
 * peers of a Natter server. */

#define CLASSIC_MAX_TEXT 2000
#define CLASSIC_MAX_LINE 2048
#define CLASSIC_REGISTER_RETRY_MS 2000

/* The address this host uses towards the server, as client.py finds it:
 * a connected UDP socket's local address. */
static gboolean
private_address (NatterClient   *self,
                 NatterEndpoint *out)
{
  g_autoptr(GSocket) probe = NULL;
  g_autoptr(GSocketAddress) server = NULL;
  g_autoptr(GSocketAddress) local = NULL;

  probe = g_socket_new (self->server_endpoint.family == 4 ? G_SOCKET_FAMILY_IPV4
                                                          : G_SOCKET_FAMILY_IPV6,
                        G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, NULL);
  server = natter_endpoint_to_sockaddr (&self->server_endpoint, FALSE);
  if (probe == NULL || !g_socket_connect (probe, server, NULL, NULL))
    return FALSE;
  local = g_socket_get_local_address (probe, NULL);
  return local != NULL && natter_endpoint_from_sockaddr (out, local);
}

static void
send_register (NatterClient *self,
               gint64        now)
{
  NatterEndpoint priv;
  g_autofree char *text = NULL;

  if (!private_address (self, &priv))
    priv = self->host_candidates[0];
  text = natter_classic_format_register (self->id, &priv);
  natter_client_send_text (self, &self->server_endpoint, text);
  self->register_retry_ms = now + CLASSIC_REGISTER_RETRY_MS;
}

void
natter_client_classic_begin (NatterClient *self)
{
  send_register (self, natter_client_now ());
}

void
natter_client_classic_end (NatterClient *self)
{
  g_autofree char *text = natter_classic_format_exit (self->id);

  natter_client_send_text (self, &self->server_endpoint, text);
}

gint64
natter_client_classic_tick (NatterClient *self,
                            gint64        now)
{
  if (!natter_endpoint_is_set (&self->server_endpoint))
    return -1;
  if (self->state != NATTER_CLIENT_ONLINE)
    {
      /* the assignment's server never answers, except with the list */
      if (now >= self->register_retry_ms)
        send_register (self, now);
      return self->register_retry_ms;
    }
  if (now >= self->next_keepalive_ms)
    {
      g_autofree char *text = natter_classic_format_keepalive (self->id);

      natter_client_send_text (self, &self->server_endpoint, text);
      self->next_keepalive_ms = now + (self->keepalive_override_ms > 0
                                         ? self->keepalive_override_ms
                                         : NATTER_CLASSIC_KEEPALIVE_MS);
    }
  return self->next_keepalive_ms;
}

/* Chat from a classic peer is believed only from where that peer is known
 * to be: its registered endpoint, or its private address behind our NAT. */
static gboolean
from_peer (NatterPeer           *peer,
           const NatterEndpoint *from)
{
  if (natter_endpoint_equal (from, &peer->public_endpoint))
    return TRUE;
  for (guint i = 0; i < peer->n_candidates; i++)
    if (natter_endpoint_same_address (from, &peer->candidates[i]))
      return TRUE;
  return FALSE;
}

static void
receive_chat (NatterClient           *self,
              const NatterClassicMsg *msg,
              const NatterEndpoint   *from)
{
  NatterPeer *peer = natter_client_lookup_peer (self, msg->id);
  g_autoptr(NatterMessage) message = NULL;
  guint64 id;

  if (peer == NULL || !natter_peer_get_classic (peer) || !from_peer (peer, from))
    return;
  natter_random_bytes ((guint8 *) &id, sizeof id);
  message = natter_message_new (id, NATTER_MESSAGE_INCOMING, msg->text,
                                g_get_real_time () / 1000, NATTER_MESSAGE_RECEIVED);
  natter_peer_add_message (peer, message);
  natter_client_emit_received (self, peer, message);
}

static void
classic_peer (NatterClient           *self,
              const NatterClassicMsg *msg,
              gint64                  now)
{
  NatterPeerInfo info = { msg->id, msg->endpoint };
  NatterPeer *peer;

  info.flags = NATTER_PEER_FLAG_CLASSIC;
  if (g_strcmp0 (msg->id, self->id) == 0)
    {
      /* our own line: the server has us, and this is how it sees us */
      natter_client_set_public (self, &msg->endpoint);
      if (self->state != NATTER_CLIENT_ONLINE)
        {
          self->next_keepalive_ms = now + NATTER_CLASSIC_KEEPALIVE_MS;
          natter_client_set_state (self, NATTER_CLIENT_ONLINE, NULL);
        }
      return;
    }
  peer = natter_client_lookup_peer (self, msg->id);
  if (peer != NULL)
    {
      /* keep a private address learnt earlier */
      info.n_candidates = peer->n_candidates;
      memcpy (info.candidates, peer->candidates, peer->n_candidates * sizeof (NatterEndpoint));
    }
  natter_client_upsert_peer (self, &info);
}

void
natter_client_classic_receive (NatterClient         *self,
                               const guint8         *data,
                               gsize                 len,
                               const NatterEndpoint *from,
                               gint64                now)
{
  g_auto(NatterClassicMsg) msg = { 0 };
  gboolean from_server = natter_client_is_server (self, from);
  NatterPeer *peer;

  if (!natter_classic_parse (data, len, NATTER_CLASSIC_TO_CLIENT, &msg, NULL))
    return;
  if (msg.kind == NATTER_CLASSIC_CHAT)
    {
      receive_chat (self, &msg, from);
      return;
    }
  /* list lines count only in classic mode, and only from the server */
  if (!self->classic || !from_server)
    return;
  switch (msg.kind)
    {
    case NATTER_CLASSIC_PEER:
      classic_peer (self, &msg, now);
      break;
    case NATTER_CLASSIC_PRIVATE:
      peer = natter_client_lookup_peer (self, msg.id);
      if (peer != NULL)
        {
          NatterPeerInfo info = { peer->id, peer->public_endpoint };

          info.flags = NATTER_PEER_FLAG_CLASSIC;
          info.candidates[0] = msg.endpoint;
          info.candidates[0].port = NATTER_CLASSIC_PORT_CLIENT;
          info.n_candidates = 1;
          natter_client_upsert_peer (self, &info);
        }
      break;
    case NATTER_CLASSIC_UNREGISTERED:
    case NATTER_CLASSIC_OFFLINE:
      natter_client_remove_peer (self, msg.id);
      break;
    default:
      break;
    }
}

gboolean
natter_client_classic_fits (NatterClient *self,
                            const char   *text)
{
  g_autofree char *line = NULL;

  /* the assignment's client reads 2048 bytes at most, as one line */
  if (strlen (text) > CLASSIC_MAX_TEXT || strchr (text, '\n') != NULL)
    return FALSE;
  line = natter_classic_format_chat (self->id, text);
  return strlen (line) <= CLASSIC_MAX_LINE;
}

gboolean
natter_client_classic_send (NatterClient *self,
                            NatterPeer   *peer,
                            const char   *text)
{
  g_autofree char *line = NULL;

  if (!natter_client_classic_fits (self, text))
    return FALSE;
  line = natter_classic_format_chat (self->id, text);
  natter_client_send_text (self, natter_peer_classic_destination (peer), line);
  return TRUE;
}
