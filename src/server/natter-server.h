/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "natter-core.h"

G_BEGIN_DECLS

/* The socket loop around NatterCore: one UDP socket (dual-stack unless an
 * address is given), batched receive and send, a precise deadline timer. */

typedef struct _NatterServer NatterServer;

NatterServer *natter_server_new          (const NatterCoreConfig *config,
                                          const char             *bind_address,
                                          guint16                 port,
                                          GError                **error);
void          natter_server_free         (NatterServer           *server);
guint16       natter_server_get_port     (NatterServer           *server);
const char   *natter_server_describe     (NatterServer           *server);
/* Says goodbye to every client and sends what is queued. */
void          natter_server_shutdown     (NatterServer           *server);
NatterCore   *natter_server_get_core     (NatterServer           *server);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (NatterServer, natter_server_free)

G_END_DECLS
