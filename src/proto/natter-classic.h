/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

#include "natter-endpoint.h"

G_BEGIN_DECLS

/* The text protocol of the original assignment ("classic"). One message per
 * datagram, UTF-8, no terminator:
 *
 *   client -> server   "ID PRIVATEIP"          register
 *                      "ID@keepalive"          keep-alive
 *                      "ID @exit"              unregister
 *   server -> client   "ID IP:PORT"            ID is registered at IP:PORT
 *                      "ID@private:IP"         ID sits behind your NAT at IP
 *                      "ID is unregistered IP:PORT"
 *                      "ID is off-line IP:PORT"
 *   peer -> peer       "ID@chat TEXT"
 */

#define NATTER_CLASSIC_ERROR (natter_classic_error_quark ())
#define NATTER_CLASSIC_PORT_SERVER 10080
#define NATTER_CLASSIC_PORT_CLIENT 10081

typedef enum
{
  NATTER_CLASSIC_ERROR_MALFORMED,
} NatterClassicError;

typedef enum
{
  NATTER_CLASSIC_TO_SERVER,  /* what a server receives */
  NATTER_CLASSIC_TO_CLIENT,  /* what a client receives, from the server or a peer */
} NatterClassicDirection;

typedef enum
{
  NATTER_CLASSIC_REGISTER,      /* id, endpoint = private address (port 0) */
  NATTER_CLASSIC_KEEPALIVE,     /* id */
  NATTER_CLASSIC_EXIT,          /* id */
  NATTER_CLASSIC_PEER,          /* id, endpoint = public ip:port */
  NATTER_CLASSIC_PRIVATE,       /* id, endpoint = private address (port 0) */
  NATTER_CLASSIC_UNREGISTERED,  /* id, endpoint = public ip:port */
  NATTER_CLASSIC_OFFLINE,       /* id, endpoint = public ip:port */
  NATTER_CLASSIC_CHAT,          /* id, text */
} NatterClassicKind;

typedef struct
{
  NatterClassicKind kind;
  char             *id;
  char             *text;
  NatterEndpoint    endpoint;
} NatterClassicMsg;

GQuark    natter_classic_error_quark (void);
gboolean  natter_classic_parse       (const guint8           *data,
                                      gsize                   len,
                                      NatterClassicDirection  direction,
                                      NatterClassicMsg       *msg,
                                      GError                **error);
void      natter_classic_msg_clear   (NatterClassicMsg       *msg);

/* Each returns a newly allocated datagram text (no NUL on the wire). */
char     *natter_classic_format_register     (const char           *id,
                                              const NatterEndpoint *private_address);
char     *natter_classic_format_keepalive    (const char           *id);
char     *natter_classic_format_exit         (const char           *id);
char     *natter_classic_format_peer         (const char           *id,
                                              const NatterEndpoint *public_endpoint);
char     *natter_classic_format_private      (const char           *id,
                                              const NatterEndpoint *private_address);
char     *natter_classic_format_unregistered (const char           *id,
                                              const NatterEndpoint *public_endpoint);
char     *natter_classic_format_offline      (const char           *id,
                                              const NatterEndpoint *public_endpoint);
char     *natter_classic_format_chat         (const char           *id,
                                              const char           *text);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (NatterClassicMsg, natter_classic_msg_clear)

G_END_DECLS
