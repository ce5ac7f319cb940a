/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

#include "natter-endpoint.h"

G_BEGIN_DECLS

/* Choosing the path to one peer, as pure state (time passed in, monotonic
 * milliseconds; the caller sends what it is told to).
 *
 * After an introduction the client probes every candidate at once, every
 * NATTER_PUNCH_PROBE_INTERVAL_MS, for NATTER_PUNCH_WINDOW_MS (simultaneous
 * open). The first candidate that answers wins; a private (LAN) candidate is
 * preferred over a public one: a LAN answer arriving later in the window
 * still upgrades a direct path. A probe from an endpoint nobody announced
 * (the peer's NAT gave it a new port for us) is answered and becomes a
 * candidate too. With no answer the path is RELAY, and every
 * NATTER_PUNCH_UPGRADE_INTERVAL_MS a new round tries to go direct again.
 * An established path is pinged when idle and declared broken when nothing
 * has been heard for NATTER_PUNCH_DEAD_MS; the caller then asks the server
 * for a fresh introduction (the peer may have moved). */

#define NATTER_PUNCH_PROBE_INTERVAL_MS   150
#define NATTER_PUNCH_WINDOW_MS          3000
#define NATTER_PUNCH_UPGRADE_INTERVAL_MS 30000
#define NATTER_PUNCH_PING_INTERVAL_MS   5000
#define NATTER_PUNCH_DEAD_MS           15000
#define NATTER_PUNCH_MAX_CANDIDATES       16

typedef enum
{
  NATTER_PATH_NONE,
  NATTER_PATH_PUNCHING,
  NATTER_PATH_LAN,
  NATTER_PATH_DIRECT,
  NATTER_PATH_RELAY,
  NATTER_PATH_CLASSIC,
} NatterPathKind;

typedef enum
{
  NATTER_PUNCH_SEND_PROBE,
  NATTER_PUNCH_SEND_PING,
} NatterPunchSendKind;

typedef struct
{
  NatterPunchSendKind kind;
  NatterEndpoint      to;
  guint64             nonce;
} NatterPunchSend;

typedef struct _NatterPunch NatterPunch;

NatterPunch    *natter_punch_new            (void);
void            natter_punch_free           (NatterPunch          *punch);
/* A (new) introduction: public endpoint plus private candidates (lan). */
void            natter_punch_start          (NatterPunch          *punch,
                                             const NatterEndpoint *public_endpoint,
                                             const NatterEndpoint *lan_candidates,
                                             guint                 n_lan_candidates,
                                             gint64                now_ms);
/* Appends what to send now to out (NatterPunchSend); returns the next time
 * poll has work, or -1. */
gint64          natter_punch_poll           (NatterPunch          *punch,
                                             gint64                now_ms,
                                             GArray               *out);
/* An authenticated PROBE arrived from `from` (the caller answers it). */
void            natter_punch_probe_received (NatterPunch          *punch,
                                             const NatterEndpoint *from,
                                             gint64                now_ms);
/* An authenticated PROBE_ACK or PONG for nonce arrived from `from`. */
void            natter_punch_ack_received   (NatterPunch          *punch,
                                             const NatterEndpoint *from,
                                             guint64               nonce,
                                             gint64                now_ms);
/* Any other authenticated datagram from `from`: the path is alive. */
void            natter_punch_heard          (NatterPunch          *punch,
                                             const NatterEndpoint *from,
                                             gint64                now_ms);
/* Something was sent on the path (so no ping is needed for a while). */
void            natter_punch_sent           (NatterPunch          *punch,
                                             gint64                now_ms);
NatterPathKind  natter_punch_get_path       (NatterPunch          *punch);
/* The endpoint of a LAN or DIRECT path, else NULL. */
const NatterEndpoint *natter_punch_get_endpoint (NatterPunch      *punch);
/* TRUE once after the path broke: the caller should ask for a new
 * introduction. */
gboolean        natter_punch_take_needs_intro (NatterPunch        *punch);
/* TRUE once after the path kind or endpoint changed. */
gboolean        natter_punch_take_changed   (NatterPunch          *punch);
const char     *natter_path_kind_to_string  (NatterPathKind        kind);

G_END_DECLS
