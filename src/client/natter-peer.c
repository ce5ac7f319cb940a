/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "natter-peer-private.h"

G_DEFINE_FINAL_TYPE (NatterPeer, natter_peer, G_TYPE_OBJECT)

enum
{
  PROP_0,
  PROP_ID,
  PROP_ONLINE,
  PROP_SAME_NAT,
  PROP_CLASSIC,
  PROP_PATH,
  PROP_ENDPOINT,
  PROP_CONVERSATION,
  PROP_UNREAD,
  PROP_LAST_MESSAGE,
  PROP_LAST_ACTIVITY,
  PROP_HAS_OLDER,
  PROP_MARKER,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
natter_peer_finalize (GObject *object)
{
  NatterPeer *self = NATTER_PEER (object);

  g_clear_pointer (&self->id, g_free);
  g_clear_pointer (&self->endpoint_text, g_free);
  g_clear_pointer (&self->public_text, g_free);
  g_clear_object (&self->conversation);
  g_clear_pointer (&self->punch, natter_punch_free);
  g_clear_pointer (&self->delivery, natter_delivery_free);
  g_clear_pointer (&self->sending, g_hash_table_unref);
  g_queue_clear_full (&self->queued, g_object_unref);
  g_clear_pointer (&self->store, natter_store_unref);
  g_clear_pointer (&self->store_server, g_free);
  G_OBJECT_CLASS (natter_peer_parent_class)->finalize (object);
}

static void
natter_peer_get_property (GObject    *object,
                          guint       prop_id,
                          GValue     *value,
                          GParamSpec *pspec)
{
  NatterPeer *self = NATTER_PEER (object);

  switch (prop_id)
    {
    case PROP_ID:
      g_value_set_string (value, self->id);
      break;
    case PROP_ONLINE:
      g_value_set_boolean (value, self->online);
      break;
    case PROP_SAME_NAT:
      g_value_set_boolean (value, self->same_nat);
      break;
    case PROP_CLASSIC:
      g_value_set_boolean (value, self->classic);
      break;
    case PROP_PATH:
      g_value_set_int (value, self->path);
      break;
    case PROP_ENDPOINT:
      g_value_set_string (value, self->endpoint_text);
      break;
    case PROP_CONVERSATION:
      g_value_set_object (value, self->conversation);
      break;
    case PROP_UNREAD:
      g_value_set_uint (value, self->unread);
      break;
    case PROP_LAST_MESSAGE:
      g_value_take_object (value, natter_peer_dup_last_message (self));
      break;
    case PROP_LAST_ACTIVITY:
      g_value_set_int64 (value, self->last_activity_ms);
      break;
    case PROP_HAS_OLDER:
      g_value_set_boolean (value, self->has_older);
      break;
    case PROP_MARKER:
      g_value_set_uint64 (value, self->marker);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
natter_peer_class_init (NatterPeerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags flags = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;

  object_class->finalize = natter_peer_finalize;
  object_class->get_property = natter_peer_get_property;

  properties[PROP_ID] = g_param_spec_string ("id", NULL, NULL, NULL, flags);
  properties[PROP_ONLINE] = g_param_spec_boolean ("online", NULL, NULL, FALSE, flags);
  properties[PROP_SAME_NAT] = g_param_spec_boolean ("same-nat", NULL, NULL, FALSE, flags);
  properties[PROP_CLASSIC] = g_param_spec_boolean ("classic", NULL, NULL, FALSE, flags);
  properties[PROP_PATH] = g_param_spec_int ("path", NULL, NULL, NATTER_PATH_NONE,
                                            NATTER_PATH_CLASSIC, NATTER_PATH_NONE, flags);
  properties[PROP_ENDPOINT] = g_param_spec_string ("endpoint", NULL, NULL, NULL, flags);
  properties[PROP_CONVERSATION] = g_param_spec_object ("conversation", NULL, NULL,
                                                       G_TYPE_LIST_MODEL, flags);
  properties[PROP_UNREAD] = g_param_spec_uint ("unread", NULL, NULL, 0, G_MAXUINT, 0, flags);
  properties[PROP_LAST_MESSAGE] = g_param_spec_object ("last-message", NULL, NULL,
                                                       NATTER_TYPE_MESSAGE, flags);
  properties[PROP_LAST_ACTIVITY] = g_param_spec_int64 ("last-activity", NULL, NULL,
                                                       0, G_MAXINT64, 0, flags);
  properties[PROP_HAS_OLDER] = g_param_spec_boolean ("has-older", NULL, NULL, FALSE, flags);
  properties[PROP_MARKER] = g_param_spec_uint64 ("marker", NULL, NULL, 0, G_MAXUINT64, 0, flags);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
natter_peer_init (NatterPeer *self)
{
  self->conversation = g_list_store_new (NATTER_TYPE_MESSAGE);
  self->delivery = natter_delivery_new ();
  self->sending = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, g_object_unref);
}

NatterPeer *
natter_peer_new (const char *id)
{
  NatterPeer *self = g_object_new (NATTER_TYPE_PEER, NULL);

  self->id = g_strdup (id);
  return self;
}

static void
set_endpoint_text (NatterPeer           *self,
                   const NatterEndpoint *ep)
{
  char buf[NATTER_ENDPOINT_STRLEN];

  natter_endpoint_format (ep, buf);
  if (g_strcmp0 (self->endpoint_text, buf) == 0)
    return;
  g_free (self->endpoint_text);
  self->endpoint_text = g_strdup (buf);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ENDPOINT]);
}

void
natter_peer_update (NatterPeer           *self,
                    const NatterPeerInfo *info,
                    gboolean              same_nat)
{
  gboolean classic = (info->flags & NATTER_PEER_FLAG_CLASSIC) != 0;

  g_return_if_fail (NATTER_IS_PEER (self));

  g_object_freeze_notify (G_OBJECT (self));
  /* the same peer (IDs are unique ignoring case), spelled as it is now */
  if (g_strcmp0 (self->id, info->id) != 0)
    {
      g_free (self->id);
      self->id = g_strdup (info->id);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ID]);
    }
  self->public_endpoint = info->public_endpoint;
  g_free (self->public_text);
  self->public_text = natter_endpoint_to_string (&info->public_endpoint);
  self->n_candidates = info->n_candidates;
  memcpy (self->candidates, info->candidates, info->n_candidates * sizeof (NatterEndpoint));
  if (self->same_nat != same_nat)
    {
      self->same_nat = same_nat;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SAME_NAT]);
    }
  if (self->classic != classic)
    {
      self->classic = classic;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CLASSIC]);
    }
  if (classic)
    natter_peer_set_path (self, NATTER_PATH_CLASSIC, natter_peer_classic_destination (self));
  else if (self->path == NATTER_PATH_NONE || self->path == NATTER_PATH_RELAY ||
           self->path == NATTER_PATH_PUNCHING)
    set_endpoint_text (self, &self->public_endpoint);
  natter_peer_set_online (self, TRUE);
  g_object_thaw_notify (G_OBJECT (self));
}

void
natter_peer_set_online (NatterPeer *self,
                        gboolean    online)
{
  if (self->online == online)
    return;
  self->online = online;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ONLINE]);
}

void
natter_peer_set_path (NatterPeer           *self,
                      NatterPathKind        path,
                      const NatterEndpoint *endpoint)
{
  set_endpoint_text (self, endpoint != NULL ? endpoint : &self->public_endpoint);
  if (self->path == path)
    return;
  self->path = path;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PATH]);
}

const NatterEndpoint *
natter_peer_classic_destination (NatterPeer *self)
{
  for (guint i = 0; i < self->n_candidates; i++)
    if (self->candidates[i].family == 4)
      return &self->candidates[i];
  return &self->public_endpoint;
}

NatterMessage *
natter_peer_find_message (NatterPeer *self,
                          guint64     id)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->conversation));
  NatterMessage *sending = g_hash_table_lookup (self->sending, &id);

  if (sending != NULL)
    return sending;
  /* newest first: acknowledgements are for recent messages */
  for (guint i = n; i > 0; i--)
    {
      g_autoptr(NatterMessage) message = g_list_model_get_item (G_LIST_MODEL (self->conversation),
                                                                i - 1);

      if (natter_message_get_id (message) == id)
        return message;
    }
  return NULL;
}

void
natter_peer_add_message (NatterPeer    *self,
                         NatterMessage *message)
{
  g_object_freeze_notify (G_OBJECT (self));
  g_list_store_append (self->conversation, message);
  self->last_activity_ms = MAX (self->last_activity_ms, natter_message_get_time (message));
  if (natter_message_get_direction (message) == NATTER_MESSAGE_INCOMING)
    {
      if (self->unread++ == 0)
        {
          self->marker = natter_message_get_id (message);
          g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MARKER]);
        }
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_UNREAD]);
    }
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LAST_MESSAGE]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LAST_ACTIVITY]);
  g_object_thaw_notify (G_OBJECT (self));
}

NatterMessage *
natter_peer_dup_last_message (NatterPeer *self)
{
  guint n;

  g_return_val_if_fail (NATTER_IS_PEER (self), NULL);

  n = g_list_model_get_n_items (G_LIST_MODEL (self->conversation));
  return n > 0 ? g_list_model_get_item (G_LIST_MODEL (self->conversation), n - 1) : NULL;
}

guint
natter_peer_get_unread (NatterPeer *self)
{
  g_return_val_if_fail (NATTER_IS_PEER (self), 0);
  return self->unread;
}

gint64
natter_peer_get_last_activity (NatterPeer *self)
{
  g_return_val_if_fail (NATTER_IS_PEER (self), 0);
  return self->last_activity_ms;
}

void
natter_peer_mark_read (NatterPeer *self)
{
  g_return_if_fail (NATTER_IS_PEER (self));

  if (self->unread == 0 && self->marker == 0)
    return;
  if (self->store != NULL && self->store_row != 0)
    {
      g_autoptr(GError) error = NULL;

      if (!natter_store_set_unread (self->store, self->store_row, 0, 0, &error))
        g_message ("Cannot mark the conversation with %s read: %s", self->id, error->message);
    }
  g_object_freeze_notify (G_OBJECT (self));
  if (self->unread != 0)
    {
      self->unread = 0;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_UNREAD]);
    }
  if (self->marker != 0)
    {
      self->marker = 0;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MARKER]);
    }
  g_object_thaw_notify (G_OBJECT (self));
}

const char *
natter_peer_get_id (NatterPeer *self)
{
  g_return_val_if_fail (NATTER_IS_PEER (self), NULL);
  return self->id;
}

gboolean
natter_peer_get_online (NatterPeer *self)
{
  g_return_val_if_fail (NATTER_IS_PEER (self), FALSE);
  return self->online;
}

gboolean
natter_peer_get_same_nat (NatterPeer *self)
{
  g_return_val_if_fail (NATTER_IS_PEER (self), FALSE);
  return self->same_nat;
}

gboolean
natter_peer_get_classic (NatterPeer *self)
{
  g_return_val_if_fail (NATTER_IS_PEER (self), FALSE);
  return self->classic;
}

NatterPathKind
natter_peer_get_path (NatterPeer *self)
{
  g_return_val_if_fail (NATTER_IS_PEER (self), NATTER_PATH_NONE);
  return self->path;
}

const char *
natter_peer_get_endpoint (NatterPeer *self)
{
  g_return_val_if_fail (NATTER_IS_PEER (self), NULL);
  return self->endpoint_text;
}

const char *
natter_peer_get_public_endpoint (NatterPeer *self)
{
  g_return_val_if_fail (NATTER_IS_PEER (self), NULL);
  return self->public_text;
}

GListModel *
natter_peer_get_conversation (NatterPeer *self)
{
  g_return_val_if_fail (NATTER_IS_PEER (self), NULL);
  return G_LIST_MODEL (self->conversation);
}

gboolean
natter_peer_get_has_older (NatterPeer *self)
{
  g_return_val_if_fail (NATTER_IS_PEER (self), FALSE);
  return self->has_older;
}

guint64
natter_peer_get_marker (NatterPeer *self)
{
  g_return_val_if_fail (NATTER_IS_PEER (self), 0);
  return self->marker;
}
