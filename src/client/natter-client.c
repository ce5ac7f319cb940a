/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "natter-client"
#include "config.h"

#include <string.h>

#include "natter-classic.h"
#include "natter-client-private.h"
#include "natter-random.h"

G_DEFINE_QUARK (natter-client-error-quark, natter_client_error)
G_DEFINE_FINAL_TYPE (NatterClient, natter_client, G_TYPE_OBJECT)

enum
{
  PROP_0,
  PROP_ID,
  PROP_SERVER,
  PROP_CLASSIC,
  PROP_STATE,
  PROP_ERROR,
  PROP_PUBLIC_ENDPOINT,
  PROP_PEERS,
  N_PROPS
};

enum
{
  SIGNAL_MESSAGE_RECEIVED,
  SIGNAL_HISTORY_ERROR,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

gint64
natter_client_now (void)
{
  return g_get_monotonic_time () / 1000;
}

static void
natter_client_dispose (GObject *object)
{
  NatterClient *self = NATTER_CLIENT (object);

  natter_client_stop (self);
  g_clear_object (&self->peers);
  g_clear_pointer (&self->peer_by_key, g_hash_table_unref);
  g_clear_pointer (&self->store, natter_store_unref);
  g_clear_pointer (&self->list_entries, g_hash_table_unref);
  g_clear_pointer (&self->list_seen, g_array_unref);
  G_OBJECT_CLASS (natter_client_parent_class)->dispose (object);
}

static void
natter_client_finalize (GObject *object)
{
  NatterClient *self = NATTER_CLIENT (object);

  g_free (self->id);
  g_free (self->server_text);
  g_free (self->error);
  g_free (self->public_text);
  g_free (self->store_server);
  G_OBJECT_CLASS (natter_client_parent_class)->finalize (object);
}

static void
natter_client_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  NatterClient *self = NATTER_CLIENT (object);

  switch (prop_id)
    {
    case PROP_ID:
      g_value_set_string (value, self->id);
      break;
    case PROP_SERVER:
      g_value_set_string (value, self->server_text);
      break;
    case PROP_CLASSIC:
      g_value_set_boolean (value, self->classic);
      break;
    case PROP_STATE:
      g_value_set_int (value, self->state);
      break;
    case PROP_ERROR:
      g_value_set_string (value, self->error);
      break;
    case PROP_PUBLIC_ENDPOINT:
      g_value_set_string (value, self->public_text);
      break;
    case PROP_PEERS:
      g_value_set_object (value, self->peers);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
natter_client_class_init (NatterClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags flags = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;

  object_class->dispose = natter_client_dispose;
  object_class->finalize = natter_client_finalize;
  object_class->get_property = natter_client_get_property;

  properties[PROP_ID] = g_param_spec_string ("id", NULL, NULL, NULL, flags);
  properties[PROP_SERVER] = g_param_spec_string ("server", NULL, NULL, NULL, flags);
  properties[PROP_CLASSIC] = g_param_spec_boolean ("classic", NULL, NULL, FALSE, flags);
  properties[PROP_STATE] = g_param_spec_int ("state", NULL, NULL, NATTER_CLIENT_DISCONNECTED,
                                             NATTER_CLIENT_ERROR, NATTER_CLIENT_DISCONNECTED,
                                             flags);
  properties[PROP_ERROR] = g_param_spec_string ("error", NULL, NULL, NULL, flags);
  properties[PROP_PUBLIC_ENDPOINT] = g_param_spec_string ("public-endpoint", NULL, NULL, NULL,
                                                          flags);
  properties[PROP_PEERS] = g_param_spec_object ("peers", NULL, NULL, G_TYPE_LIST_MODEL, flags);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * NatterClient::message-received:
   * @peer: who sent it
   * @message: the new message, already in the peer's conversation
   */
  signals[SIGNAL_MESSAGE_RECEIVED] =
    g_signal_new ("message-received", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 2, NATTER_TYPE_PEER, NATTER_TYPE_MESSAGE);
  signals[SIGNAL_HISTORY_ERROR] =
    g_signal_new ("history-error", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
natter_client_init (NatterClient *self)
{
  self->peers = g_list_store_new (NATTER_TYPE_PEER);
  self->peer_by_key = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->interval_ms = 10000;
}

NatterClient *
natter_client_new (const char *id,
                   const char *server,
                   guint16     port,
                   gboolean    classic)
{
  NatterClient *self;

  g_return_val_if_fail (id != NULL, NULL);
  g_return_val_if_fail (server != NULL, NULL);

  self = g_object_new (NATTER_TYPE_CLIENT, NULL);
  self->id = g_utf8_normalize (id, -1, G_NORMALIZE_NFC);
  if (self->id == NULL)
    self->id = g_strdup (id);
  self->server_text = g_strdup (server);
  self->port_wanted = port;
  self->classic = classic;
  return self;
}

void
natter_client_set_keepalive (NatterClient *self,
                             guint         interval_ms)
{
  g_return_if_fail (NATTER_IS_CLIENT (self));
  self->keepalive_override_ms = interval_ms;
  if (interval_ms > 0)
    self->interval_ms = interval_ms;
}

void
natter_client_set_state (NatterClient      *self,
                         NatterClientState  state,
                         const char        *error)
{
  gboolean came_online = state == NATTER_CLIENT_ONLINE && self->state != state;

  g_object_freeze_notify (G_OBJECT (self));
  if (g_strcmp0 (self->error, error) != 0)
    {
      g_free (self->error);
      self->error = g_strdup (error);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ERROR]);
    }
  if (self->state != state)
    {
      g_debug ("%s: %s", self->id, natter_client_state_to_string (state));
      self->state = state;
      if (state == NATTER_CLIENT_ONLINE)
        self->ever_online = TRUE;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
    }
  g_object_thaw_notify (G_OBJECT (self));
  if (came_online)
    natter_client_history_flush_all (self);
}

void
natter_client_set_public (NatterClient         *self,
                          const NatterEndpoint *ep)
{
  gboolean moved;

  if (natter_endpoint_equal (&self->public_endpoint, ep))
    return;
  moved = natter_endpoint_is_set (&self->public_endpoint);
  self->public_endpoint = *ep;
  /* our NAT gave us a new port: direct paths to peers are dead */
  if (moved)
    {
      guint n = g_list_model_get_n_items (G_LIST_MODEL (self->peers));

      for (guint i = 0; i < n; i++)
        {
          g_autoptr(NatterPeer) peer = g_list_model_get_item (G_LIST_MODEL (self->peers), i);

          natter_client_chat_peer_moved (self, peer, natter_client_now ());
        }
    }
  g_free (self->public_text);
  self->public_text = natter_endpoint_to_string (ep);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PUBLIC_ENDPOINT]);
}

gboolean
natter_client_is_server (NatterClient         *self,
                         const NatterEndpoint *from)
{
  return natter_endpoint_equal (from, &self->server_endpoint);
}

void
natter_client_emit_received (NatterClient  *self,
                             NatterPeer    *peer,
                             NatterMessage *message)
{
  g_signal_emit (self, signals[SIGNAL_MESSAGE_RECEIVED], 0, peer, message);
}

void
natter_client_emit_history_error (NatterClient *self,
                                  const char   *message)
{
  g_debug ("%s: %s", self->id, message);
  g_signal_emit (self, signals[SIGNAL_HISTORY_ERROR], 0, message);
}

static gboolean
on_timer (gpointer user_data)
{
  natter_client_reschedule (user_data);
  return G_SOURCE_CONTINUE;
}

static gboolean
timer_dispatch (GSource     *source,
                GSourceFunc  callback,
                gpointer     user_data)
{
  return callback (user_data);
}

static GSourceFuncs timer_funcs = { NULL, NULL, timer_dispatch, NULL, NULL, NULL };

gint64
natter_time_earliest (gint64 a,
                      gint64 b)
{
  if (a < 0)
    return b;
  if (b < 0)
    return a;
  return MIN (a, b);
}

/* Runs whatever is due and arms the one timer for the next thing. */
void
natter_client_reschedule (NatterClient *self)
{
  gint64 now = natter_client_now ();
  gint64 next = -1;
  guint n;

  if (self->socket == NULL || self->timer == NULL)
    return;
  if (self->classic)
    next = natter_client_classic_tick (self, now);
  else
    next = natter_client_session_tick (self, now);
  n = g_list_model_get_n_items (G_LIST_MODEL (self->peers));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(NatterPeer) peer = g_list_model_get_item (G_LIST_MODEL (self->peers), i);

      next = natter_time_earliest (next, natter_client_chat_tick (self, peer, now));
    }
  if (self->timer != NULL)
    g_source_set_ready_time (self->timer, next < 0 ? -1 : next * 1000);
}

static void
on_resolved (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(NatterClient) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocketAddress) address = NULL;

  address = g_socket_address_enumerator_next_finish (G_SOCKET_ADDRESS_ENUMERATOR (source),
                                                     result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) || self->socket == NULL)
    return;
  if (address == NULL || !natter_endpoint_from_sockaddr (&self->server_endpoint, address) ||
      (self->server_endpoint.family == 6 && !self->ipv6_socket))
    {
      g_autofree char *why = g_strdup_printf ("Cannot find the server “%s”%s%s",
                                              self->server_text, error ? ": " : "",
                                              error ? error->message : "");

      natter_client_set_state (self, NATTER_CLIENT_ERROR, why);
      return;
    }
  if (self->classic)
    natter_client_classic_begin (self);
  else
    natter_client_session_begin (self);
  natter_client_reschedule (self);
}

void
natter_client_start (NatterClient *self)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocketAddress) local = NULL;
  g_autoptr(GSocketConnectable) connectable = NULL;
  g_autoptr(GSocketAddressEnumerator) enumerator = NULL;

  g_return_if_fail (NATTER_IS_CLIENT (self));

  if (self->socket != NULL)
    return;
  if (!natter_id_validate (self->id, -1, &error))
    {
      natter_client_set_state (self, NATTER_CLIENT_ERROR, error->message);
      return;
    }
  connectable = g_network_address_parse (self->server_text, NATTER_SERVER_DEFAULT_PORT, &error);
  if (connectable == NULL)
    {
      g_autofree char *why = g_strdup_printf ("“%s” is not a server address: %s",
                                              self->server_text, error->message);

      natter_client_set_state (self, NATTER_CLIENT_ERROR, why);
      return;
    }

  self->socket = natter_client_open_socket (self, self->port_wanted, &error);
  if (self->socket == NULL && self->port_wanted == NATTER_CLIENT_DEFAULT_PORT &&
      g_error_matches (error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE))
    {
      /* another client on this host has the usual port: take any */
      g_clear_error (&error);
      self->socket = natter_client_open_socket (self, 0, &error);
    }
  if (self->socket == NULL)
    {
      g_autofree char *why = g_strdup_printf ("Cannot open UDP port %u: %s",
                                              self->port_wanted, error->message);

      natter_client_set_state (self, NATTER_CLIENT_ERROR, why);
      return;
    }
  local = g_socket_get_local_address (self->socket, NULL);
  self->local_port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local));
  natter_client_collect_candidates (self);

  self->cancellable = g_cancellable_new ();
  self->read_source = g_socket_create_source (self->socket, G_IO_IN, self->cancellable);
  g_source_set_callback (self->read_source, G_SOURCE_FUNC (natter_client_on_readable), self, NULL);
  g_source_attach (self->read_source, NULL);
  self->timer = g_source_new (&timer_funcs, sizeof (GSource));
  g_source_set_callback (self->timer, on_timer, self, NULL);
  g_source_set_ready_time (self->timer, -1);
  g_source_attach (self->timer, NULL);

  natter_client_set_state (self, NATTER_CLIENT_REGISTERING, NULL);
  enumerator = g_socket_connectable_enumerate (connectable);
  g_socket_address_enumerator_next_async (enumerator, self->cancellable, on_resolved,
                                          g_object_ref (self));
}

void
natter_client_stop (NatterClient *self)
{
  g_return_if_fail (NATTER_IS_CLIENT (self));

  if (self->socket == NULL)
    return;
  if (natter_endpoint_is_set (&self->server_endpoint))
    {
      if (self->classic)
        natter_client_classic_end (self);
      else
        natter_client_session_end (self);
    }
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  if (self->read_source != NULL)
    {
      g_source_destroy (self->read_source);
      g_clear_pointer (&self->read_source, g_source_unref);
    }
  if (self->timer != NULL)
    {
      g_source_destroy (self->timer);
      g_clear_pointer (&self->timer, g_source_unref);
    }
  g_clear_object (&self->socket);
  natter_client_set_state (self, NATTER_CLIENT_DISCONNECTED, NULL);
}

const char *
natter_client_get_id (NatterClient *self)
{
  g_return_val_if_fail (NATTER_IS_CLIENT (self), NULL);
  return self->id;
}

const char *
natter_client_get_server (NatterClient *self)
{
  g_return_val_if_fail (NATTER_IS_CLIENT (self), NULL);
  return self->server_text;
}

gboolean
natter_client_get_classic (NatterClient *self)
{
  g_return_val_if_fail (NATTER_IS_CLIENT (self), FALSE);
  return self->classic;
}

NatterClientState
natter_client_get_state (NatterClient *self)
{
  g_return_val_if_fail (NATTER_IS_CLIENT (self), NATTER_CLIENT_ERROR);
  return self->state;
}

const char *
natter_client_get_error (NatterClient *self)
{
  g_return_val_if_fail (NATTER_IS_CLIENT (self), NULL);
  return self->error;
}

const char *
natter_client_get_public_endpoint (NatterClient *self)
{
  g_return_val_if_fail (NATTER_IS_CLIENT (self), NULL);
  return self->public_text;
}

guint16
natter_client_get_local_port (NatterClient *self)
{
  g_return_val_if_fail (NATTER_IS_CLIENT (self), 0);
  return self->local_port;
}

GListModel *
natter_client_get_peers (NatterClient *self)
{
  g_return_val_if_fail (NATTER_IS_CLIENT (self), NULL);
  return G_LIST_MODEL (self->peers);
}

guint
natter_client_get_retry_in (NatterClient *self)
{
  gint64 now = natter_client_now ();

  g_return_val_if_fail (NATTER_IS_CLIENT (self), 0);

  if (self->state != NATTER_CLIENT_RECONNECTING || self->reconnect_at_ms < 0 ||
      self->reconnect_at_ms <= now)
    return 0;
  return (guint) ((self->reconnect_at_ms - now + 999) / 1000);
}

void
natter_client_retry_now (NatterClient *self)
{
  g_return_if_fail (NATTER_IS_CLIENT (self));

  if (self->state != NATTER_CLIENT_RECONNECTING || self->reconnect_at_ms < 0)
    return;
  self->reconnect_attempt = 0;
  self->reconnect_at_ms = natter_client_now ();
  natter_client_reschedule (self);
}

const char *
natter_client_state_to_string (NatterClientState state)
{
  switch (state)
    {
    case NATTER_CLIENT_DISCONNECTED:
      return "disconnected";
    case NATTER_CLIENT_REGISTERING:
      return "registering";
    case NATTER_CLIENT_ONLINE:
      return "online";
    case NATTER_CLIENT_RECONNECTING:
      return "reconnecting";
    case NATTER_CLIENT_ERROR:
    default:
      return "error";
    }
}

void
natter_client_set_test_loss (NatterClient *self,
                             gdouble       send_loss,
                             gdouble       receive_loss)
{
  self->test_send_loss = send_loss;
  self->test_receive_loss = receive_loss;
}

void
natter_client_set_test_block_direct (NatterClient *self,
                                     gboolean      block)
{
  self->test_block_direct = block;
}
