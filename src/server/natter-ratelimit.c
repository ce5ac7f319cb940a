/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "natter-ratelimit.h"

void
natter_bucket_init (NatterBucket *bucket,
                    guint         burst,
                    gint64        now_ms)
{
  bucket->tokens = burst;
  bucket->last_ms = now_ms;
}

gboolean
natter_bucket_take (NatterBucket *bucket,
                    gint64        now_ms,
                    gdouble       rate,
                    guint         burst,
                    gdouble       cost)
{
  if (now_ms > bucket->last_ms)
    {
      gdouble refill = (now_ms - bucket->last_ms) * rate / 1000.0;

      bucket->tokens = MIN ((gdouble) burst, bucket->tokens + refill);
      bucket->last_ms = now_ms;
    }
  if (bucket->tokens < cost)
    return FALSE;
  bucket->tokens -= cost;
  return TRUE;
}
