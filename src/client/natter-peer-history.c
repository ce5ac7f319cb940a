/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "natter-client"
#include "config.h"

#include "natter-peer-private.h"

/* A peer's conversation and its history: the conversation model holds the
 * newest messages, the store all of them. Every message is written before
 * it is shown or sent. */

static void
set_has_older (NatterPeer *self,
               gboolean    has_older)
{
  if (self->has_older == has_older)
    return;
  self->has_older = has_older;
  g_object_notify (G_OBJECT (self), "has-older");
}

/* A stored message about to be shown: one being delivered is the same
 * object everywhere; one left sending by an earlier run waits again. */
static NatterMessage *
adopt (NatterPeer    *self,
       NatterMessage *stored)
{
  guint64 id = natter_message_get_id (stored);
  NatterMessage *sending;

  if (natter_message_get_direction (stored) == NATTER_MESSAGE_INCOMING)
    return g_object_ref (stored);
  sending = g_hash_table_lookup (self->sending, &id);
  if (sending != NULL)
    return g_object_ref (sending);
  if (natter_message_get_state (stored) == NATTER_MESSAGE_SENDING)
    natter_message_set_state (stored, NATTER_MESSAGE_QUEUED);
  return g_object_ref (stored);
}

/* Loads up to n messages before the oldest one shown, in front of it. */
static guint
load_page (NatterPeer *self,
           guint       n)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) page = NULL;
  g_autoptr(GPtrArray) shown = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(NatterMessage) first = g_list_model_get_item (G_LIST_MODEL (self->conversation), 0);
  gboolean more;

  page = natter_store_load (self->store, self->store_row,
                            first != NULL ? natter_message_get_seq (first) : 0, n + 1, &error);
  if (page == NULL)
    {
      g_message ("Cannot read the conversation with %s: %s", self->id, error->message);
      return 0;
    }
  /* one more than asked for tells whether there are older ones still */
  more = page->len > n;
  if (more)
    g_ptr_array_remove_index (page, 0);
  for (guint i = 0; i < page->len; i++)
    g_ptr_array_add (shown, adopt (self, page->pdata[i]));
  g_list_store_splice (self->conversation, 0, 0, shown->pdata, shown->len);
  set_has_older (self, more);
  return shown->len;
}

void
natter_peer_attach_store (NatterPeer             *self,
                          NatterStore            *store,
                          const char             *server,
                          const NatterStoredPeer *stored)
{
  g_autoptr(NatterMessage) last = NULL;

  g_return_if_fail (NATTER_IS_PEER (self) && store != NULL && self->store == NULL);

  self->store = natter_store_ref (store);
  self->store_server = g_strdup (server);
  if (stored == NULL)
    return;
  self->store_row = stored->row;
  self->unread = stored->unread;
  self->marker = stored->marker;
  /* the newest message only, for the list of people: a client may know
   * thousands; a conversation loads its page when it is opened */
  load_page (self, 1);
  last = natter_peer_dup_last_message (self);
  if (last != NULL)
    self->last_activity_ms = natter_message_get_time (last);
}

guint
natter_peer_load_older (NatterPeer *self,
                        guint       n)
{
  g_return_val_if_fail (NATTER_IS_PEER (self), 0);

  if (!self->has_older || self->store == NULL || n == 0)
    return 0;
  return load_page (self, n);
}

gboolean
natter_peer_keep_message (NatterPeer     *self,
                          NatterMessage  *message,
                          gboolean       *duplicate,
                          GError        **error)
{
  gboolean incoming = natter_message_get_direction (message) == NATTER_MESSAGE_INCOMING;
  gboolean dup = FALSE;

  if (self->store != NULL)
    {
      guint unread = incoming ? self->unread + 1 : 0;
      guint64 marker = incoming && self->unread == 0 ? natter_message_get_id (message) : self->marker;

      if (self->store_row == 0)
        {
          self->store_row = natter_store_peer_row (self->store, self->store_server, self->id, error);
          if (self->store_row == 0)
            return FALSE;
        }
      if (!natter_store_add_message (self->store, self->store_row, message, unread, marker,
                                     &dup, error))
        return FALSE;
    }
  if (duplicate != NULL)
    *duplicate = dup;
  if (dup)
    return TRUE;
  natter_peer_add_message (self, message);
  if (!incoming && natter_message_get_state (message) == NATTER_MESSAGE_QUEUED)
    g_queue_push_tail (&self->queued, g_object_ref (message));
  return TRUE;
}

void
natter_peer_set_message_state (NatterPeer         *self,
                               NatterMessage      *message,
                               NatterMessageState  state)
{
  guint64 id = natter_message_get_id (message);

  if (state == NATTER_MESSAGE_SENDING)
    g_hash_table_replace (self->sending, g_memdup2 (&id, sizeof id), g_object_ref (message));
  else
    g_hash_table_remove (self->sending, &id);
  if (natter_message_get_state (message) == state)
    return;
  if (state == NATTER_MESSAGE_QUEUED)
    g_queue_push_tail (&self->queued, g_object_ref (message));
  else if (natter_message_get_state (message) == NATTER_MESSAGE_QUEUED &&
           g_queue_remove (&self->queued, message))
    g_object_unref (message);
  natter_message_set_state (message, state);
  if (self->store != NULL && self->store_row != 0)
    {
      g_autoptr(GError) error = NULL;

      /* the message itself is safe: at worst it is sent again, and the
       * peer drops the copy */
      if (!natter_store_set_state (self->store, self->store_row, id, state, &error))
        g_message ("Cannot save the state of a message to %s: %s", self->id, error->message);
    }
}

GPtrArray *
natter_peer_take_queued (NatterPeer *self)
{
  g_autoptr(GPtrArray) queued = g_ptr_array_new_with_free_func (g_object_unref);

  if (self->store != NULL && self->store_row != 0)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GPtrArray) outbox = natter_store_outbox (self->store, self->store_row, &error);

      if (outbox != NULL)
        {
          for (guint i = 0; i < outbox->len; i++)
            {
              NatterMessage *stored = outbox->pdata[i];
              guint64 id = natter_message_get_id (stored);
              NatterMessage *shown;

              if (g_hash_table_contains (self->sending, &id))
                continue;
              shown = natter_peer_find_message (self, id);
              g_ptr_array_add (queued, g_object_ref (shown != NULL ? shown : stored));
            }
          return g_steal_pointer (&queued);
        }
      g_message ("Cannot read the messages waiting for %s: %s", self->id, error->message);
    }
  for (GList *l = self->queued.head; l != NULL; l = l->next)
    g_ptr_array_add (queued, g_object_ref (l->data));
  return g_steal_pointer (&queued);
}

gboolean
natter_peer_is_kept (NatterPeer *self)
{
  return self->store_row != 0 || g_list_model_get_n_items (G_LIST_MODEL (self->conversation)) > 0;
}

GPtrArray *
natter_peer_search (NatterPeer  *self,
                    const char  *query,
                    guint        limit,
                    GError     **error)
{
  g_return_val_if_fail (NATTER_IS_PEER (self), NULL);
  g_return_val_if_fail (query != NULL, NULL);

  if (self->store == NULL || self->store_row == 0)
    return g_ptr_array_new_with_free_func (g_object_unref);
  return natter_store_search (self->store, self->store_row, query, limit, error);
}

gboolean
natter_peer_clear_history (NatterPeer  *self,
                           GError     **error)
{
  GHashTableIter iter;
  gpointer key;

  g_return_val_if_fail (NATTER_IS_PEER (self), FALSE);

  if (self->store != NULL && self->store_row != 0)
    {
      if (!natter_store_clear (self->store, self->store_row, error))
        return FALSE;
      self->store_row = 0;
    }
  g_hash_table_iter_init (&iter, self->sending);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    natter_delivery_cancel (self->delivery, *(guint64 *) key);
  g_hash_table_remove_all (self->sending);
  g_queue_clear_full (&self->queued, g_object_unref);
  g_queue_init (&self->queued);

  g_object_freeze_notify (G_OBJECT (self));
  g_list_store_remove_all (self->conversation);
  natter_peer_mark_read (self);
  set_has_older (self, FALSE);
  self->last_activity_ms = 0;
  g_object_notify (G_OBJECT (self), "last-message");
  g_object_notify (G_OBJECT (self), "last-activity");
  g_object_thaw_notify (G_OBJECT (self));
  return TRUE;
}
