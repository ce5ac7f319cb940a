/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

#include "natter-peerwire.h"

G_BEGIN_DECLS

/* Reliable delivery of chat messages to one peer, as pure state: the caller
 * passes the time in (monotonic milliseconds) and sends what it is told to.
 *
 * Sending: a message is split into fragments; each goes out at once, then is
 * retransmitted with exponential backoff until its ACK arrives; a message
 * whose fragments are not all acknowledged within NATTER_DELIVERY_GIVE_UP_MS
 * fails. Receiving: fragments are reassembled (bounded), every valid
 * fragment is acknowledged (duplicates too, since the first ACK may have
 * been lost), and a message is handed up exactly once. */

#define NATTER_MAX_TEXT_BYTES       16384
#define NATTER_DELIVERY_FIRST_RTO_MS  250
#define NATTER_DELIVERY_MAX_RTO_MS   2000
#define NATTER_DELIVERY_GIVE_UP_MS  30000
/* partial incoming messages kept per peer; the oldest is dropped beyond */
#define NATTER_DELIVERY_MAX_PARTIAL     8
/* completed incoming message ids remembered to drop duplicates */
#define NATTER_DELIVERY_REMEMBERED   4096

typedef struct _NatterDelivery NatterDelivery;

typedef void (*NatterDeliverySendFunc) (const NatterPeerMsg *fragment,
                                        gpointer             user_data);

typedef enum
{
  NATTER_RECEIVE_PARTIAL,     /* acknowledge; more fragments to come */
  NATTER_RECEIVE_COMPLETE,    /* acknowledge; *text_out is the whole message */
  NATTER_RECEIVE_DUPLICATE,   /* acknowledge; already handed up */
  NATTER_RECEIVE_INVALID,     /* drop; do not acknowledge */
} NatterReceiveResult;

NatterDelivery     *natter_delivery_new          (void);
void                natter_delivery_free         (NatterDelivery         *delivery);
/* text must be valid UTF-8 of 1..NATTER_MAX_TEXT_BYTES bytes. */
gboolean            natter_delivery_queue        (NatterDelivery         *delivery,
                                                  guint64                 message_id,
                                                  const char             *text,
                                                  gint64                  timestamp_ms,
                                                  gint64                  now_ms);
/* Emits, through send, every fragment due at now_ms (when can_send; with
 * can_send FALSE nothing is emitted but give-up deadlines still run).
 * Returns the next time poll has work, or -1. */
gint64              natter_delivery_poll         (NatterDelivery         *delivery,
                                                  gint64                  now_ms,
                                                  gboolean                can_send,
                                                  NatterDeliverySendFunc  send,
                                                  gpointer                user_data);
/* Makes every pending fragment due now (a new path came up). */
void                natter_delivery_kick         (NatterDelivery         *delivery,
                                                  gint64                  now_ms);
/* TRUE when this ACK completed message_id (each id completes once). */
gboolean            natter_delivery_ack          (NatterDelivery         *delivery,
                                                  guint64                 message_id,
                                                  guint16                 fragment);
/* Ids of messages that gave up since the last call (guint64). */
GArray             *natter_delivery_take_failed  (NatterDelivery         *delivery);
gboolean            natter_delivery_is_pending   (NatterDelivery         *delivery,
                                                  guint64                 message_id);
guint               natter_delivery_n_pending    (NatterDelivery         *delivery);
void                natter_delivery_cancel       (NatterDelivery         *delivery,
                                                  guint64                 message_id);
NatterReceiveResult natter_delivery_receive      (NatterDelivery         *delivery,
                                                  const NatterPeerMsg    *chat,
                                                  gint64                  now_ms,
                                                  char                  **text_out,
                                                  gint64                 *timestamp_out);
/* A completed message the caller could not keep: its fragments count as
 * new again, so a resend is handed up (and acknowledged) once more. */
void                natter_delivery_forget       (NatterDelivery         *delivery,
                                                  guint64                 message_id);

G_END_DECLS
