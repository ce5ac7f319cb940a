/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

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

gboolean
natter_bucket_full (const NatterBucket *bucket,
                    gint64              now_ms,
                    gdouble             rate,
                    guint               burst)
{
  gdouble tokens = bucket->tokens;

  if (now_ms > bucket->last_ms)
    tokens += (now_ms - bucket->last_ms) * rate / 1000.0;
  return tokens >= (gdouble) burst;
}

typedef struct
{
  NatterBucket bucket;
  gint64       reported_ms;   /* when its refusals were last reported */
  guint        refused;       /* refusals since then */
} Source;

struct _NatterSourceLimit
{
  GHashTable *sources;        /* address (port 0) -> Source */
  guint       max;
};

NatterSourceLimit *
natter_source_limit_new (guint max)
{
  NatterSourceLimit *limit = g_new0 (NatterSourceLimit, 1);

  limit->sources = g_hash_table_new_full ((GHashFunc) natter_endpoint_hash,
                                          (GEqualFunc) natter_endpoint_equal, g_free, g_free);
  limit->max = max;
  return limit;
}

void
natter_source_limit_free (NatterSourceLimit *limit)
{
  if (limit == NULL)
    return;
  g_hash_table_unref (limit->sources);
  g_free (limit);
}

typedef struct
{
  gint64  now_ms;
  gdouble rate;
  guint   burst;
} RefillCheck;

static gboolean
refilled (gpointer key,
          gpointer value,
          gpointer user_data)
{
  Source *source = value;
  const RefillCheck *check = user_data;

  return natter_bucket_full (&source->bucket, check->now_ms, check->rate, check->burst);
}

gboolean
natter_source_limit_take (NatterSourceLimit    *limit,
                          const NatterEndpoint *from,
                          gint64                now_ms,
                          gdouble               rate,
                          guint                 burst,
                          guint                *report)
{
  NatterEndpoint address = *from;
  Source *source;

  *report = 0;
  address.port = 0;
  if (address.family == 6)
    memset (address.addr + 8, 0, 8);
  source = g_hash_table_lookup (limit->sources, &address);
  if (source == NULL)
    {
      if (g_hash_table_size (limit->sources) >= limit->max)
        {
          RefillCheck check = { now_ms, rate, burst };

          g_hash_table_foreach_remove (limit->sources, refilled, &check);
          /* bounded memory: forgetting everyone only makes the limit lenient */
          if (g_hash_table_size (limit->sources) >= limit->max)
            g_hash_table_remove_all (limit->sources);
        }
      source = g_new0 (Source, 1);
      natter_bucket_init (&source->bucket, burst, now_ms);
      source->reported_ms = G_MININT64;
      g_hash_table_insert (limit->sources, g_memdup2 (&address, sizeof address), source);
    }
  if (natter_bucket_take (&source->bucket, now_ms, rate, burst, 1))
    return TRUE;

  source->refused++;
  if (source->reported_ms == G_MININT64 || now_ms - source->reported_ms >= 1000)
    {
      *report = source->refused;
      source->reported_ms = now_ms;
      source->refused = 0;
    }
  return FALSE;
}

guint
natter_source_limit_size (NatterSourceLimit *limit)
{
  return g_hash_table_size (limit->sources);
}
