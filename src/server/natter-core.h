/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

#include "natter-endpoint.h"
#include "natter-registry.h"

G_BEGIN_DECLS

/* The server's protocol logic, without sockets: a datagram and the time go
 * in, registry changes and datagrams to send come out (the outbox). The
 * socket loop in natter-server.c feeds it; tests and fuzzers can too. */

typedef struct _NatterCore NatterCore;

typedef struct
{
  guint    max_peers;
  guint32  timeout_ms;     /* silence after which a client is dropped */
  guint32  interval_ms;    /* keep-alive interval handed to clients */
  gboolean relay;          /* forward RELAY datagrams */
  gboolean classic;        /* speak the assignment's text protocol */
  guint    classic_rate;   /* classic list datagrams per second to one address */
  guint    register_rate;  /* native registrations per second from one address */
} NatterCoreConfig;

typedef struct
{
  NatterEndpoint to;
  GBytes        *data;
} NatterOutgoing;

typedef struct
{
  guint64 received;
  guint64 native;
  guint64 classic;
  guint64 stun;
  guint64 invalid;        /* neither native, classic nor STUN */
  guint64 malformed;      /* recognised but failed validation */
  guint64 bad_version;
  guint64 unknown_type;
  guint64 unauthenticated;
  guint64 rate_limited;
  guint64 relayed;
  guint64 suppressed;     /* replies not sent because they would amplify */
  guint64 sent;
} NatterCoreStats;

#define NATTER_RELAY_RATE        50   /* datagrams per second per client */
#define NATTER_RELAY_BURST      100
#define NATTER_REQUEST_RATE       5   /* introductions and resyncs per second */
#define NATTER_REQUEST_BURST     20
#define NATTER_COOKIE_WINDOW_MS 30000
/* A RESYNC or a repeated REGISTER this soon after the client's list was
 * written gets no other: it crossed that list (protocol.md 5.4). */
#define NATTER_LIST_FRESH_MS     1000
/* A classic registration cannot prove its source, yet gets the whole list
 * at once; what one address can be sent that way is bounded instead. */
#define NATTER_CLASSIC_RATE_DEFAULT  2000   /* datagrams per second */
#define NATTER_CLASSIC_BURST_SECONDS    5
#define NATTER_CLASSIC_SOURCES_MAX   4096
/* Native registrations with a valid cookie, per source address (an IPv6
 * address counts by its /64): a host or a NAT cannot churn the registry or
 * fill it faster than this, whatever its number of ports. */
#define NATTER_REGISTER_RATE_DEFAULT    50   /* registrations per second */
#define NATTER_REGISTER_BURST_SECONDS   10
#define NATTER_REGISTER_SOURCES_MAX   4096

void                   natter_core_config_init    (NatterCoreConfig     *config);
NatterCore            *natter_core_new            (const NatterCoreConfig *config);
void                   natter_core_free           (NatterCore           *core);
void                   natter_core_handle         (NatterCore           *core,
                                                   const guint8         *data,
                                                   gsize                 len,
                                                   const NatterEndpoint *from,
                                                   gint64                now_ms);
void                   natter_core_expire         (NatterCore           *core,
                                                   gint64                now_ms);
/* Turns the registry's pending events into datagrams for every client. */
void                   natter_core_flush          (NatterCore           *core);
/* Tells every native client that the server is going away. */
void                   natter_core_shutdown       (NatterCore           *core);
/* Writes the lists that clients are waiting for into the outbox, a whole
 * list at a time, until at least max_datagrams were written; TRUE when
 * some are still waiting. */
gboolean               natter_core_write_lists    (NatterCore           *core,
                                                   guint                 max_datagrams);
gboolean               natter_core_lists_waiting  (NatterCore           *core);
/* Datagrams to send, oldest first, once every waiting list was written;
 * the caller takes them (NatterOutgoing). */
GArray                *natter_core_take_outbox    (NatterCore           *core);
/* The same without writing the waiting lists, for a caller that paces
 * them with natter_core_write_lists(). */
GArray                *natter_core_take_replies   (NatterCore           *core);
gboolean               natter_core_has_output     (NatterCore           *core);
gint64                 natter_core_next_deadline  (NatterCore           *core);
NatterRegistry        *natter_core_get_registry   (NatterCore           *core);
const NatterCoreStats *natter_core_get_stats      (NatterCore           *core);
void                   natter_outgoing_clear      (gpointer              data);

G_END_DECLS
