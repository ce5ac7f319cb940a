/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "natter-message.h"
#include "natter-punch.h"

G_BEGIN_DECLS

#define NATTER_TYPE_PEER (natter_peer_get_type ())
G_DECLARE_FINAL_TYPE (NatterPeer, natter_peer, NATTER, PEER, GObject)

const char     *natter_peer_get_id           (NatterPeer *self);
gboolean        natter_peer_get_online       (NatterPeer *self);
gboolean        natter_peer_get_same_nat     (NatterPeer *self);
gboolean        natter_peer_get_classic      (NatterPeer *self);
NatterPathKind  natter_peer_get_path         (NatterPeer *self);
/* "198.18.0.12:10081": where chat goes now (the path's endpoint, or the
 * public endpoint the server announced) */
const char     *natter_peer_get_endpoint     (NatterPeer *self);
/* "198.18.0.12:10081": where the server sees the peer */
const char     *natter_peer_get_public_endpoint (NatterPeer *self);
/* NatterMessage items, oldest first */
GListModel     *natter_peer_get_conversation (NatterPeer *self);
/* the newest message, or NULL */
NatterMessage  *natter_peer_dup_last_message (NatterPeer *self);
/* incoming messages since the conversation was last read */
guint           natter_peer_get_unread       (NatterPeer *self);
void            natter_peer_mark_read        (NatterPeer *self);
/* wall-clock time of the newest message, Unix milliseconds; 0 if none */
gint64          natter_peer_get_last_activity (NatterPeer *self);

/* The history (natter-peer-history.c). With one, the conversation holds
 * only the newest message until more are loaded: load_older () prepends
 * older ones (a view opening the conversation asks for a page). */
gboolean        natter_peer_get_has_older    (NatterPeer *self);
/* Prepends up to n older messages; how many it did. */
guint           natter_peer_load_older       (NatterPeer *self,
                                              guint       n);
/* The id of the first message not read yet ("new messages" start there),
 * or 0. Survives restarts; mark_read clears it. */
guint64         natter_peer_get_marker       (NatterPeer *self);
/* NatterMessage items of the whole history with every word of query,
 * newest first; an empty array without a history. */
GPtrArray      *natter_peer_search           (NatterPeer  *self,
                                              const char  *query,
                                              guint        limit,
                                              GError     **error);
/* Forgets the conversation, in the history too. Messages not delivered
 * yet are dropped. */
gboolean        natter_peer_clear_history    (NatterPeer  *self,
                                              GError     **error);

G_END_DECLS
