/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "natter-message.h"
#include "natter-peer.h"
#include "natter-store.h"

G_BEGIN_DECLS

typedef enum
{
  NATTER_CLIENT_DISCONNECTED,
  NATTER_CLIENT_REGISTERING,
  NATTER_CLIENT_ONLINE,
  NATTER_CLIENT_RECONNECTING,
  NATTER_CLIENT_ERROR,         /* needs the user: the ID is taken or invalid, the port is busy */
} NatterClientState;

#define NATTER_CLIENT_ERROR_DOMAIN (natter_client_error_quark ())

typedef enum
{
  NATTER_CLIENT_ERROR_NO_SUCH_PEER,
  NATTER_CLIENT_ERROR_INVALID_TEXT,
  NATTER_CLIENT_ERROR_NOT_CONNECTED,
  NATTER_CLIENT_ERROR_HISTORY,   /* the message could not be saved */
} NatterClientError;

#define NATTER_CLIENT_DEFAULT_PORT 10081
#define NATTER_SERVER_DEFAULT_PORT 10080

#define NATTER_TYPE_CLIENT (natter_client_get_type ())
G_DECLARE_FINAL_TYPE (NatterClient, natter_client, NATTER, CLIENT, GObject)

GQuark             natter_client_error_quark       (void);
/* server: "HOST[:PORT]"; port: local UDP port, NATTER_CLIENT_DEFAULT_PORT
 * falls back to a free one when taken, 0 takes any. */
NatterClient      *natter_client_new               (const char    *id,
                                                    const char    *server,
                                                    guint16        port,
                                                    gboolean       classic);
/* Overrides the keep-alive interval the server suggests (milliseconds). */
void               natter_client_set_keepalive     (NatterClient  *self,
                                                    guint          interval_ms);
/* Keeps conversations in store (before start). When the history cannot be
 * written (a full disk), "history-error" (a sentence) tells why; an
 * incoming message is then not acknowledged, so it comes again. Peers with
 * a history are
 * listed, offline, with their newest messages; what waited to be sent
 * goes out once they are back. */
void               natter_client_set_history       (NatterClient  *self,
                                                    NatterStore   *store);
NatterStore       *natter_client_get_history       (NatterClient  *self);
void               natter_client_start             (NatterClient  *self);
/* Says goodbye to the server and closes the socket. */
void               natter_client_stop              (NatterClient  *self);
const char        *natter_client_get_id            (NatterClient  *self);
const char        *natter_client_get_server        (NatterClient  *self);
gboolean           natter_client_get_classic       (NatterClient  *self);
NatterClientState  natter_client_get_state         (NatterClient  *self);
/* why the client is in the error or reconnecting state, or NULL */
const char        *natter_client_get_error         (NatterClient  *self);
/* "198.18.0.11:10081" as the server sees us, or NULL */
const char        *natter_client_get_public_endpoint (NatterClient *self);
guint16            natter_client_get_local_port    (NatterClient  *self);
/* NatterPeer items: everyone registered but us, and (offline) those we
 * have a conversation with */
GListModel        *natter_client_get_peers         (NatterClient  *self);
NatterPeer        *natter_client_lookup_peer       (NatterClient  *self,
                                                    const char    *id);
/* Writes the message, then sends it (the message returned belongs to the
 * peer's conversation). To a peer who is offline, or while
 * the server cannot be reached, it is queued and goes out once both are
 * back (also after a restart, with a history). */
NatterMessage     *natter_client_send_message      (NatterClient  *self,
                                                    const char    *peer_id,
                                                    const char    *text,
                                                    GError       **error);
/* Sends a failed message again, with the same id (so the peer never shows
 * it twice). */
gboolean           natter_client_retry_message     (NatterClient  *self,
                                                    NatterPeer    *peer,
                                                    NatterMessage *message);
/* While reconnecting: seconds until the next attempt (0 when due). */
guint              natter_client_get_retry_in      (NatterClient  *self);
/* While reconnecting: tries again now instead of after the backoff. */
void               natter_client_retry_now         (NatterClient  *self);
const char        *natter_client_state_to_string   (NatterClientState state);

/* For tests: drop this share of datagrams sent and received, and refuse
 * every direct peer-to-peer datagram (forcing the relay). */
void               natter_client_set_test_loss     (NatterClient  *self,
                                                    gdouble        send_loss,
                                                    gdouble        receive_loss);
void               natter_client_set_test_block_direct (NatterClient *self,
                                                        gboolean      block);

G_END_DECLS
