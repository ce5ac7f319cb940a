/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "natter-wire.h"

G_BEGIN_DECLS

/* Runs this thread's main context until condition (data) holds; FALSE
 * when timeout_ms passes first. For tests that drive GObjects in-process. */
typedef gboolean (*NatterTestCondition) (gpointer data);

gboolean          natter_test_wait_until       (NatterTestCondition condition,
                                                gpointer            data,
                                                guint               timeout_ms);

/* The real natter-server binary, run as a child process on loopback. */
typedef struct _NatterTestServer NatterTestServer;

NatterTestServer *natter_test_server_start     (const char * const *extra_args);
NatterTestServer *natter_test_server_start_on  (guint16             port,
                                                const char * const *extra_args);
guint16           natter_test_server_port      (NatterTestServer   *server);
/* Waits for a line of the server's log that contains text. */
gboolean          natter_test_server_wait_line (NatterTestServer   *server,
                                                const char         *text,
                                                guint               timeout_ms);
gboolean          natter_test_server_has_line  (NatterTestServer   *server,
                                                const char         *text);
/* The process id, as text (for /proc), or NULL once it has exited. */
const char       *natter_test_server_pid       (NatterTestServer   *server);
/* SIGTERM, then the exit status (-1 when it did not exit in time). */
int               natter_test_server_stop      (NatterTestServer   *server);
void              natter_test_server_free      (NatterTestServer   *server);

/* natter-cli as a child process: commands in, output lines collected. */
typedef struct _NatterTestCli NatterTestCli;

NatterTestCli    *natter_test_cli_start        (guint16             server_port,
                                                const char         *id);
void              natter_test_cli_send         (NatterTestCli      *cli,
                                                const char         *line);
gboolean          natter_test_cli_has_line     (NatterTestCli      *cli,
                                                const char         *text);
void              natter_test_cli_free         (NatterTestCli      *cli);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (NatterTestCli, natter_test_cli_free)

/* A bare UDP socket speaking the wire protocol by hand. */
typedef struct
{
  GSocket        *socket;
  GSocketAddress *server;
  NatterEndpoint  local;
  char           *id;
  guint8          token[NATTER_WIRE_TOKEN_SIZE];
  guint64         version;
  GHashTable     *peers;   /* id -> NatterEndpoint* (public) */
  guint32         last_error_code;
  char           *last_error;
} NatterTestClient;

NatterTestClient *natter_test_client_new      (const char       *address,
                                               guint16           server_port);
void              natter_test_client_free     (NatterTestClient *client);
void              natter_test_client_send     (NatterTestClient *client,
                                               GBytes           *datagram);
void              natter_test_client_send_raw (NatterTestClient *client,
                                               const void       *data,
                                               gsize             len);
/* The next datagram, or NULL after timeout_ms. */
GBytes           *natter_test_client_recv     (NatterTestClient *client,
                                               guint             timeout_ms);
/* The next native message of the given type, skipping others; FALSE on
 * timeout. Applies LIST and EVENTS to client->peers on the way. */
gboolean          natter_test_client_expect   (NatterTestClient *client,
                                               NatterMsgType     type,
                                               guint             timeout_ms,
                                               NatterMsg        *msg);
/* Cookie round trip, WELCOME and the whole LIST. */
gboolean          natter_test_client_register (NatterTestClient *client,
                                               const char       *id);
void              natter_test_client_request  (NatterTestClient *client,
                                               NatterMsgType     type,
                                               const char       *to,
                                               const guint8     *data,
                                               gsize             data_len);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (NatterTestServer, natter_test_server_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (NatterTestClient, natter_test_client_free)

G_END_DECLS
