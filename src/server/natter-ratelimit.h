/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

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

G_END_DECLS
