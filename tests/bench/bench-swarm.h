/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>
#include <netinet/in.h>

#include "bench-decode.h"
#include "natter-wire.h"

G_BEGIN_DECLS

/* Many native clients simulated from one process: one UDP socket each on
 * loopback, driven by one epoll loop. Each does what a real client does
 * with its list: the cookie round trip, WELCOME, LIST parts, EVENTS applied
 * in version order, RESYNC on a gap or an overdue snapshot. Its peer set is
 * a bitmap over the swarm's own IDs, so that "complete and correct" is
 * cheap to check: every ID of the swarm present, each at the public
 * endpoint its socket really has. */

typedef struct
{
  int      fd;
  guint16  port;
  guint8   registered : 1;
  guint8   registering : 1;
  guint8   token[NATTER_WIRE_TOKEN_SIZE];
  guint64  known;
  guint32 *have;          /* bitmap over the swarm: the list as applied */
  guint    count;
  /* the snapshot being collected */
  guint64  snap_ver;
  guint16  snap_parts;
  guint16  snap_got;
  guint32 *snap_part_bits;
  guint32 *snap_bits;
  guint    snap_count;
  gint64   register_sent_us;
  gint64   retry_at_us;
  guint    attempts;
  gint64   welcome_us;
  gint64   snapshot_since_us;  /* 0 when no snapshot is awaited */
  gint64   last_resync_us;
  /* the keep-alive benchmark's window */
  guint    outstanding;
  gint64   last_reply_us;
} SimClient;

typedef struct
{
  guint               n;
  char               *prefix;
  struct sockaddr_in  server;
  SimClient          *clients;
  int                 epoll_fd;
  guint               words;        /* bitmap words per client */
  gboolean            track_lists;  /* FALSE: registration only */
  /* every this many LIST and EVENTS datagrams, one also goes through
   * natter_msg_parse(), the project's own validating parser */
  guint               validate_every;
  guint64             big_seen;
  guint64             validated;
  guint64             invalid;
  BenchView           view;

  guint               n_registered;
  guint               n_complete;
  gint64              last_welcome_us;
  /* counters */
  guint64             received;
  guint64             received_lists;    /* LIST datagrams */
  guint64             received_events;   /* EVENTS datagrams */
  guint64             received_welcomes;
  guint64             received_cookies;
  guint64             register_retries;
  guint64             resyncs;
  guint64             bad_entries;
  guint64             errors;
  guint64             alive;
  guint64             unparsed;
} Swarm;

/* Clients are spread over loopback addresses (127.1.x.y), this many on
 * each, as if behind that many hosts: the server budgets registrations per
 * source address, as it should against a real flood. */
#define SWARM_CLIENTS_PER_ADDRESS 64

guint32  swarm_client_address (guint        index);
Swarm   *swarm_new            (guint        n,
                               const char  *prefix,
                               guint16      server_port,
                               gboolean     track_lists,
                               int          rcvbuf,
                               GError     **error);
void     swarm_free           (Swarm       *swarm);
void     swarm_send           (Swarm       *swarm,
                               SimClient   *c,
                               GBytes      *datagram);
void     swarm_send_register  (Swarm       *swarm,
                               SimClient   *c,
                               const guint8 *cookie,
                               gsize        cookie_len);
/* Reads everything waiting on c's socket and acts on it. */
void     swarm_drain          (Swarm       *swarm,
                               SimClient   *c);
/* Waits up to timeout_ms for readable sockets and drains them. */
void     swarm_poll           (Swarm       *swarm,
                               int          timeout_ms);
/* Retransmits lost REGISTERs and asks for overdue snapshots. */
void     swarm_maintain       (Swarm       *swarm);
/* Registers every client, paced at rate per second, and waits until every
 * list is complete or deadline_us (monotonic) passes. */
gboolean swarm_register_all   (Swarm       *swarm,
                               double       rate,
                               gint64       deadline_us,
                               gint64      *first_sent_us,
                               gint64      *last_sent_us,
                               gint64      *complete_us);
/* Counts clients whose list is exactly the whole swarm. */
guint    swarm_count_complete (Swarm       *swarm);
char    *swarm_client_id      (Swarm       *swarm,
                               guint        index);

G_END_DECLS
