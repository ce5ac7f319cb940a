/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "natter-client"
#include "config.h"

#include "natter-client-private.h"

NatterPeer *
natter_client_lookup_peer (NatterClient *self,
                           const char   *id)
{
  g_autofree char *key = NULL;

  g_return_val_if_fail (NATTER_IS_CLIENT (self), NULL);

  if (id == NULL || !g_utf8_validate (id, -1, NULL))
    return NULL;
  key = natter_id_key (id);
  return g_hash_table_lookup (self->peer_by_key, key);
}

static gboolean
is_me (NatterClient *self,
       const char   *id)
{
  g_autofree char *mine = natter_id_key (self->id);
  g_autofree char *theirs = natter_id_key (id);

  return g_str_equal (mine, theirs);
}

NatterPeer *
natter_client_upsert_peer (NatterClient         *self,
                           const NatterPeerInfo *info)
{
  NatterPeer *peer;
  gboolean same_nat;

  if (is_me (self, info->id))
    return NULL;
  peer = natter_client_lookup_peer (self, info->id);
  same_nat = natter_endpoint_same_address (&info->public_endpoint, &self->public_endpoint);
  if (peer == NULL)
    {
      g_autoptr(NatterPeer) fresh = natter_peer_new (info->id);

      if (self->store != NULL)
        natter_peer_attach_store (fresh, self->store, self->store_server, NULL);
      natter_peer_update (fresh, info, same_nat);
      g_hash_table_insert (self->peer_by_key, natter_id_key (info->id), fresh);
      g_list_store_append (self->peers, fresh);
      return fresh;
    }
  if (!peer->online)
    {
      /* back: what waited for it goes out */
      natter_peer_update (peer, info, same_nat);
      natter_client_history_flush (self, peer);
      return peer;
    }
  if (!natter_endpoint_equal (&peer->public_endpoint, &info->public_endpoint))
    {
      natter_peer_update (peer, info, same_nat);
      natter_client_chat_peer_moved (self, peer, natter_client_now ());
      return peer;
    }
  natter_peer_update (peer, info, same_nat);
  return peer;
}

void
natter_client_remove_peer (NatterClient *self,
                           const char   *id)
{
  NatterPeer *peer = natter_client_lookup_peer (self, id);
  guint position;

  if (peer == NULL)
    return;
  g_object_ref (peer);
  natter_client_chat_peer_gone (self, peer);
  natter_peer_set_online (peer, FALSE);
  /* someone we talked with stays, offline, with the conversation */
  if (natter_peer_is_kept (peer))
    {
      g_object_unref (peer);
      return;
    }
  {
    g_autofree char *key = natter_id_key (id);

    g_hash_table_remove (self->peer_by_key, key);
  }
  if (g_list_store_find (self->peers, peer, &position))
    g_list_store_remove (self->peers, position);
  g_object_unref (peer);
}

/* After a full list: whoever is not in it has gone. */
void
natter_client_retain_peers (NatterClient *self,
                            GHashTable   *keep)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->peers));
  g_autoptr(GPtrArray) gone = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(NatterPeer) peer = g_list_model_get_item (G_LIST_MODEL (self->peers), i);

      if (!g_hash_table_contains (keep, natter_peer_get_id (peer)))
        g_ptr_array_add (gone, g_strdup (natter_peer_get_id (peer)));
    }
  for (guint i = 0; i < gone->len; i++)
    natter_client_remove_peer (self, gone->pdata[i]);
}
