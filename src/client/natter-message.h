/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

typedef enum
{
  NATTER_MESSAGE_INCOMING,
  NATTER_MESSAGE_OUTGOING,
} NatterMessageDirection;

typedef enum
{
  NATTER_MESSAGE_SENDING,    /* not acknowledged yet */
  NATTER_MESSAGE_DELIVERED,  /* the peer acknowledged it */
  NATTER_MESSAGE_FAILED,     /* gave up; can be retried */
  NATTER_MESSAGE_SENT,       /* sent to a classic peer, which never acknowledges */
  NATTER_MESSAGE_RECEIVED,   /* incoming */
  NATTER_MESSAGE_QUEUED,     /* waits for the peer (or the server) to be back */
} NatterMessageState;

#define NATTER_TYPE_MESSAGE (natter_message_get_type ())
G_DECLARE_FINAL_TYPE (NatterMessage, natter_message, NATTER, MESSAGE, GObject)

NatterMessage          *natter_message_new           (guint64                id,
                                                      NatterMessageDirection direction,
                                                      const char            *text,
                                                      gint64                 time_ms,
                                                      NatterMessageState     state);
guint64                 natter_message_get_id        (NatterMessage         *self);
NatterMessageDirection  natter_message_get_direction (NatterMessage         *self);
const char             *natter_message_get_text      (NatterMessage         *self);
/* wall-clock time, Unix milliseconds */
gint64                  natter_message_get_time      (NatterMessage         *self);
NatterMessageState      natter_message_get_state     (NatterMessage         *self);
void                    natter_message_set_state     (NatterMessage         *self,
                                                      NatterMessageState     state);
const char             *natter_message_state_to_string (NatterMessageState   state);
/* Where the message is in the stored history (ascending with arrival),
 * 0 when it is not stored. */
gint64                  natter_message_get_seq       (NatterMessage         *self);
void                    natter_message_set_seq       (NatterMessage         *self,
                                                      gint64                 seq);

G_END_DECLS
