/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "natter-client"
#include "config.h"

#include "natter-client-private.h"

/* The client's side of the history: peers with a conversation are listed
 * from the store, and messages queued for a peer go out when it is back. */

/* "host:port", as the history names a server: the same server written with
 * or without its usual port is one. */
static char *
server_key (const char *server_text)
{
  g_autoptr(GSocketConnectable) address =
    g_network_address_parse (server_text, NATTER_SERVER_DEFAULT_PORT, NULL);
  g_autofree char *host = NULL;

  if (address == NULL)
    return g_strdup (server_text);
  host = g_ascii_strdown (g_network_address_get_hostname (G_NETWORK_ADDRESS (address)), -1);
  return g_strdup_printf (strchr (host, ':') != NULL ? "[%s]:%u" : "%s:%u", host,
                          g_network_address_get_port (G_NETWORK_ADDRESS (address)));
}

void
natter_client_set_history (NatterClient *self,
                           NatterStore  *store)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) stored = NULL;
  g_autofree char *me = NULL;

  g_return_if_fail (NATTER_IS_CLIENT (self));
  g_return_if_fail (store != NULL);
  g_return_if_fail (self->store == NULL && self->socket == NULL);

  self->store = natter_store_ref (store);
  self->store_server = server_key (self->server_text);
  me = natter_id_key (self->id);
  stored = natter_store_list_peers (store, self->store_server, &error);
  if (stored == NULL)
    {
      g_message ("Cannot read the conversations: %s", error->message);
      return;
    }
  for (guint i = 0; i < stored->len; i++)
    {
      NatterStoredPeer *sp = stored->pdata[i];
      g_autoptr(NatterPeer) peer = NULL;
      g_autofree char *key = natter_id_key (sp->id);

      if (g_hash_table_contains (self->peer_by_key, key) || g_str_equal (key, me))
        continue;
      peer = natter_peer_new (sp->id);
      natter_peer_attach_store (peer, store, self->store_server, sp);
      g_hash_table_insert (self->peer_by_key, g_steal_pointer (&key), peer);
      g_list_store_append (self->peers, peer);
    }
}

NatterStore *
natter_client_get_history (NatterClient *self)
{
  g_return_val_if_fail (NATTER_IS_CLIENT (self), NULL);
  return self->store;
}

/* Whether a message to peer can go now: it is online and either the
 * server is there (for an introduction or the relay) or a direct path to
 * it still works without. */
gboolean
natter_client_can_reach (NatterClient *self,
                         NatterPeer   *peer)
{
  if (!peer->online || self->socket == NULL)
    return FALSE;
  if (self->state == NATTER_CLIENT_ONLINE || self->classic || peer->classic)
    return TRUE;
  return peer->has_key && (peer->path == NATTER_PATH_LAN || peer->path == NATTER_PATH_DIRECT);
}

void
natter_client_history_flush (NatterClient *self,
                             NatterPeer   *peer)
{
  g_autoptr(GPtrArray) queued = NULL;
  gint64 now = natter_client_now ();

  if (!natter_client_can_reach (self, peer))
    return;
  queued = natter_peer_take_queued (peer);
  for (guint i = 0; i < queued->len; i++)
    {
      NatterMessage *message = queued->pdata[i];

      if (self->classic || peer->classic)
        {
          /* nothing acknowledges it: sent is as far as it goes */
          natter_peer_set_message_state (peer, message,
                                         natter_client_classic_send (self, peer,
                                                                     natter_message_get_text (message))
                                         ? NATTER_MESSAGE_SENT : NATTER_MESSAGE_FAILED);
          continue;
        }
      natter_client_chat_queue (self, peer, message, now);
    }
  if (queued->len > 0)
    natter_client_reschedule (self);
}

void
natter_client_history_flush_all (NatterClient *self)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->peers));

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(NatterPeer) peer = g_list_model_get_item (G_LIST_MODEL (self->peers), i);

      natter_client_history_flush (self, peer);
    }
}
