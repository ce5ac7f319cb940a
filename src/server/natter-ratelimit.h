/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

#include "natter-endpoint.h"

G_BEGIN_DECLS

/* A token bucket: `burst` tokens at most, refilled at `rate` per second. */
typedef struct
{
  gfloat tokens;
  gint64 last_ms;
} NatterBucket;

void     natter_bucket_init (NatterBucket *bucket,
                             guint         burst,
                             gint64        now_ms);
gboolean natter_bucket_take (NatterBucket *bucket,
                             gint64        now_ms,
                             gdouble       rate,
                             guint         burst,
                             gdouble       cost);
/* Whether the bucket would hold `burst` tokens at now_ms. */
gboolean natter_bucket_full (const NatterBucket *bucket,
                             gint64              now_ms,
                             gdouble             rate,
                             guint               burst);

/* A token bucket per source address: the port is ignored, and an IPv6
 * address counts by its /64, since one host can pick addresses from a
 * whole /64. At most `max` addresses are remembered; a new one that finds
 * the table full makes the addresses whose bucket has refilled forgotten
 * (remembering them changes nothing), or all of them if there are none. */
typedef struct _NatterSourceLimit NatterSourceLimit;

NatterSourceLimit *natter_source_limit_new  (guint                 max);
void               natter_source_limit_free (NatterSourceLimit    *limit);
/* Takes one token from `from`'s bucket. When there is none, FALSE, and
 * *report is the number of refusals to log now (this one included) or 0:
 * at most one report a second per address. */
gboolean           natter_source_limit_take (NatterSourceLimit    *limit,
                                             const NatterEndpoint *from,
                                             gint64                now_ms,
                                             gdouble               rate,
                                             guint                 burst,
                                             guint                *report);
guint              natter_source_limit_size (NatterSourceLimit    *limit);

G_END_DECLS
