/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "natter-classic.h"
#include "natter-core.h"

G_BEGIN_DECLS

struct _NatterCore
{
  NatterCoreConfig config;
  NatterRegistry  *registry;
  GArray          *outbox;
  NatterCoreStats  stats;
  guint8           secret[32];
  GQueue           later;   /* NatterDelayed, in order of due time */
  GQueue           lists_wanted;  /* keys (char *) of entries waiting for a LIST */
  GArray          *list_records;  /* reused while lists are written */
  gint64           now_ms;        /* the time of the latest call */
  GHashTable      *classic_sources;  /* address (port 0) -> NatterBucket */
  NatterSourceLimit *register_sources;  /* native registrations per address */
};

typedef struct
{
  gint64         due_ms;
  NatterOutgoing out;
} NatterDelayed;

void natter_core_send          (NatterCore           *core,
                                const NatterEndpoint *to,
                                GBytes               *data);
/* Queues a datagram to go out delay_ms from now (a fixed delay, so the
 * queue stays in order). */
void natter_core_send_later    (NatterCore           *core,
                                const NatterEndpoint *to,
                                GBytes               *data,
                                gint64                now_ms,
                                gint64                delay_ms);
/* Sends only when the reply is no larger than the request, since the
 * sender's address is not proven yet. */
void natter_core_send_bounded  (NatterCore           *core,
                                const NatterEndpoint *to,
                                GBytes               *data,
                                gsize                 request_len);
void natter_core_send_error    (NatterCore           *core,
                                const NatterEndpoint *to,
                                NatterErrorCode       code,
                                const char           *reason);

/* natter-core-cookie.c: proving a source address without keeping state */
gboolean natter_core_check_cookie (NatterCore           *core,
                                   const guint8         *cookie,
                                   gsize                 len,
                                   const NatterEndpoint *from,
                                   gint64                now_ms);
void     natter_core_send_cookie  (NatterCore           *core,
                                   const NatterEndpoint *to,
                                   gint64                now_ms,
                                   gsize                 request_len);
void natter_core_handle_intro  (NatterCore           *core,
                                NatterEntry          *entry,
                                NatterMsg            *msg,
                                gint64                now_ms);
void natter_core_handle_relay  (NatterCore           *core,
                                NatterEntry          *entry,
                                NatterMsg            *msg,
                                gint64                now_ms);
/* Puts a native client in line for a LIST: lists are written when the
 * socket loop has room for them (natter_core_write_lists()), so that a
 * registration storm is answered at once and its lists follow as fast as
 * they can be sent, each one as new as it can be. */
void natter_core_want_list     (NatterCore           *core,
                                NatterEntry          *recipient);
/* The same for a client asking again (RESYNC, a repeated REGISTER),
 * unless its list was written so recently (NATTER_LIST_FRESH_MS) that
 * the request most likely crossed it on the way. */
void natter_core_ask_list      (NatterCore           *core,
                                NatterEntry          *recipient);
void natter_core_handle_classic (NatterCore          *core,
                                 const guint8        *data,
                                 gsize                len,
                                 const NatterEndpoint *from,
                                 gint64               now_ms);
void natter_core_classic_list  (NatterCore           *core,
                                NatterEntry          *newcomer);
/* *line caches the event's line for the next recipient (NULL at first;
 * the caller unrefs it). */
void natter_core_classic_event (NatterCore           *core,
                                NatterEntry          *recipient,
                                const NatterRegEvent *event,
                                GBytes              **line);
void natter_core_log_event     (const NatterRegEvent *event);

/* The largest ALIVE natter_core_write_alive() writes (an IPv6 endpoint). */
#define NATTER_CORE_ALIVE_MAX 72
gsize    natter_core_write_alive   (guint8               *out,
                                    guint64               version,
                                    const NatterEndpoint *ep);
/* Answers a well-formed KEEPALIVE from a registered endpoint without the
 * general parser; FALSE when it did nothing and that parser must decide. */
gboolean natter_core_try_keepalive (NatterCore           *core,
                                    const guint8         *data,
                                    gsize                 len,
                                    const NatterEndpoint *from,
                                    gint64                now_ms);

G_END_DECLS
