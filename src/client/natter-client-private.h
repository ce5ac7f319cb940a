/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "natter-client.h"
#include "natter-peer-private.h"
#include "natter-peerwire.h"
#include "natter-wire.h"

G_BEGIN_DECLS

#define NATTER_REGISTER_RETRY_MS    1000
#define NATTER_REGISTER_ATTEMPTS       4   /* then the server counts as unreachable */
#define NATTER_KEEPALIVE_RETRY_MS    800
#define NATTER_RECONNECT_MAX_MS     8000
#define NATTER_INTRO_RETRY_MS       1500
#define NATTER_RESYNC_MIN_MS         500
#define NATTER_CLASSIC_KEEPALIVE_MS 10000

struct _NatterClient
{
  GObject            parent_instance;

  char              *id;
  char              *server_text;
  gboolean           classic;
  guint16            port_wanted;
  guint              keepalive_override_ms;

  NatterClientState  state;
  char              *error;
  char              *public_text;
  NatterEndpoint     public_endpoint;

  GListStore        *peers;
  NatterStore       *store;
  char              *store_server;     /* the server as the history names it */
  GHashTable        *peer_by_key;       /* casefolded id -> NatterPeer (borrowed from peers) */

  GCancellable      *cancellable;
  GSocket           *socket;
  gboolean           ipv6_socket;
  guint16            local_port;
  GSource           *read_source;
  GSource           *timer;
  NatterEndpoint     server_endpoint;
  NatterEndpoint     host_candidates[NATTER_WIRE_MAX_CANDIDATES];
  guint              n_host_candidates;

  /* the session with the server */
  gboolean           has_token;
  guint8             token[NATTER_WIRE_TOKEN_SIZE];
  guint64            version;
  guint32            interval_ms;
  gint64             last_heard_ms;
  gint64             next_keepalive_ms;
  gint64             keepalive_retry_ms;
  guint              keepalive_retries;
  gint64             register_retry_ms;
  guint              register_attempts;
  guint              reconnect_attempt;
  gint64             reconnect_at_ms;
  gint64             resync_sent_ms;
  gint64             list_deadline_ms;
  gboolean           ever_online;

  /* a LIST being assembled */
  guint64            list_version;
  guint16            list_parts;
  GArray            *list_seen;           /* gboolean per part */
  GHashTable        *list_entries;        /* id -> NatterPeerInfo* with owned id */

  gdouble            test_send_loss;
  gdouble            test_receive_loss;
  gboolean           test_block_direct;
};

gint64   natter_client_now              (void);
/* The earlier of two times where -1 means never. */
gint64   natter_time_earliest           (gint64                a,
                                         gint64                b);
GSocket *natter_client_open_socket      (NatterClient         *self,
                                         guint16               port,
                                         GError              **error);
void     natter_client_collect_candidates (NatterClient       *self);
gboolean natter_client_on_readable      (GSocket              *socket,
                                         GIOCondition          condition,
                                         gpointer              user_data);
void     natter_client_set_state        (NatterClient         *self,
                                         NatterClientState     state,
                                         const char           *error);
void     natter_client_set_public       (NatterClient         *self,
                                         const NatterEndpoint *ep);
void     natter_client_send_to          (NatterClient         *self,
                                         const NatterEndpoint *to,
                                         GBytes               *datagram);
void     natter_client_send_text        (NatterClient         *self,
                                         const NatterEndpoint *to,
                                         const char           *text);
void     natter_client_reschedule       (NatterClient         *self);
gboolean natter_client_is_server        (NatterClient         *self,
                                         const NatterEndpoint *from);
void     natter_client_emit_received    (NatterClient         *self,
                                         NatterPeer           *peer,
                                         NatterMessage        *message);
void     natter_client_emit_history_error (NatterClient       *self,
                                           const char         *message);

/* natter-client-peers.c: the peer list */
NatterPeer *natter_client_upsert_peer   (NatterClient         *self,
                                         const NatterPeerInfo *info);
void     natter_client_remove_peer      (NatterClient         *self,
                                         const char           *id);
void     natter_client_retain_peers     (NatterClient         *self,
                                         GHashTable           *keep);

/* natter-client-session.c: registration, keep-alive, list */
void     natter_client_session_begin    (NatterClient         *self);
void     natter_client_session_end      (NatterClient         *self);
void     natter_client_session_receive  (NatterClient         *self,
                                         NatterMsg            *msg,
                                         gint64                now);
gint64   natter_client_session_tick     (NatterClient         *self,
                                         gint64                now);

/* natter-client-chat.c: introductions, punching, delivery */
void     natter_client_chat_introduced  (NatterClient         *self,
                                         NatterMsg            *msg,
                                         gint64                now);
void     natter_client_chat_receive     (NatterClient         *self,
                                         NatterMsg            *outer,
                                         const NatterEndpoint *from,
                                         gboolean              relayed,
                                         gint64                now);
gint64   natter_client_chat_tick        (NatterClient         *self,
                                         NatterPeer           *peer,
                                         gint64                now);
void     natter_client_chat_queue       (NatterClient         *self,
                                         NatterPeer           *peer,
                                         NatterMessage        *message,
                                         gint64                now);
void     natter_client_chat_peer_gone   (NatterClient         *self,
                                         NatterPeer           *peer);
void     natter_client_chat_peer_moved  (NatterClient         *self,
                                         NatterPeer           *peer,
                                         gint64                now);

/* natter-client-classic.c: the assignment's protocol */
void     natter_client_classic_begin    (NatterClient         *self);
void     natter_client_classic_end      (NatterClient         *self);
void     natter_client_classic_receive  (NatterClient         *self,
                                         const guint8         *data,
                                         gsize                 len,
                                         const NatterEndpoint *from,
                                         gint64                now);
gint64   natter_client_classic_tick     (NatterClient         *self,
                                         gint64                now);
gboolean natter_client_classic_fits     (NatterClient         *self,
                                         const char           *text);
gboolean natter_client_classic_send     (NatterClient         *self,
                                         NatterPeer           *peer,
                                         const char           *text);

/* natter-client-history.c: the offline queue */
gboolean natter_client_can_reach        (NatterClient         *self,
                                         NatterPeer           *peer);
/* Sends what waits for peer, if it can be reached. */
void     natter_client_history_flush    (NatterClient         *self,
                                         NatterPeer           *peer);
void     natter_client_history_flush_all (NatterClient        *self);

G_END_DECLS
