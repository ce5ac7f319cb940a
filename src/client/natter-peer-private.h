/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "natter-delivery.h"
#include "natter-peer.h"
#include "natter-store.h"
#include "natter-wire.h"

G_BEGIN_DECLS

/* What the client engine keeps per peer besides the public properties. */
struct _NatterPeer
{
  GObject         parent_instance;

  char           *id;
  gboolean        online;
  gboolean        same_nat;
  gboolean        classic;
  NatterPathKind  path;
  char           *endpoint_text;
  char           *public_text;
  GListStore     *conversation;
  guint           unread;
  gint64          last_activity_ms;

  NatterEndpoint  public_endpoint;
  NatterEndpoint  candidates[NATTER_WIRE_MAX_CANDIDATES];
  guint           n_candidates;
  gboolean        has_key;
  guint8          key[NATTER_WIRE_KEY_SIZE];
  gint64          intro_requested_ms;
  NatterPunch    *punch;
  NatterDelivery *delivery;
  /* outgoing messages handed to delivery: id -> NatterMessage, also
   * those of the history not loaded into the conversation */
  GHashTable     *sending;
  /* outgoing messages waiting for the peer, oldest first (without a
   * history; with one, the history's outbox says) */
  GQueue          queued;

  /* the history; store NULL when nothing is kept */
  NatterStore    *store;
  char           *store_server;
  gint64          store_row;       /* 0 until the first message */
  gboolean        has_older;       /* stored messages before the loaded ones */
  guint64         marker;          /* the first unread message's id, or 0 */
};


NatterPeer    *natter_peer_new             (const char           *id);
void           natter_peer_update          (NatterPeer           *self,
                                            const NatterPeerInfo *info,
                                            gboolean              same_nat);
void           natter_peer_set_online      (NatterPeer           *self,
                                            gboolean              online);
void           natter_peer_set_path        (NatterPeer           *self,
                                            NatterPathKind        path,
                                            const NatterEndpoint *endpoint);
/* Where classic chat goes: the private address behind the same NAT, else
 * the public endpoint. */
const NatterEndpoint *natter_peer_classic_destination (NatterPeer *self);
NatterMessage *natter_peer_find_message    (NatterPeer           *self,
                                            guint64               id);
void           natter_peer_add_message     (NatterPeer           *self,
                                            NatterMessage        *message);

/* natter-peer-history.c */
/* Keeps the conversation in store; of what it holds for this server and
 * peer, only the newest message is loaded until load_older () is asked. */
void           natter_peer_attach_store    (NatterPeer           *self,
                                            NatterStore          *store,
                                            const char           *server,
                                            const NatterStoredPeer *stored);
/* Writes the message, then adds it to the conversation. An incoming one
 * kept already is a *duplicate and is not added. */
gboolean       natter_peer_keep_message    (NatterPeer           *self,
                                            NatterMessage        *message,
                                            gboolean             *duplicate,
                                            GError              **error);
/* Sets an outgoing message's state, in the history too. */
void           natter_peer_set_message_state (NatterPeer         *self,
                                              NatterMessage      *message,
                                              NatterMessageState  state);
/* Outgoing messages waiting to be sent (loaded or not), oldest first. */
GPtrArray     *natter_peer_take_queued     (NatterPeer           *self);
/* TRUE when the peer stays listed while offline: there is a conversation. */
gboolean       natter_peer_is_kept         (NatterPeer           *self);

G_END_DECLS
