/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "natter-delivery.h"
#include "natter-peer.h"
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

G_END_DECLS
