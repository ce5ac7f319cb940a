/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* A reader for the two big server messages, LIST and EVENTS, that walks
 * GVariant's framing directly instead of building values: the generator
 * has to read far more datagrams than the server writes per client, and
 * must not be what the benchmark measures. It checks bounds, not normal
 * form; natter-bench runs the project's own parser over a share of the
 * datagrams as well. */

typedef struct
{
  const char *id;       /* NUL-terminated inside the datagram */
  guint8      family;   /* 4 or 6 */
  guint8      addr[16];
  guint16     port;
} BenchPeer;

typedef struct
{
  guint8   type;
  guint64  version;     /* LIST */
  guint16  part, parts; /* LIST */
  GArray  *peers;       /* BenchPeer (LIST) */
  GArray  *events;      /* BenchEvent (EVENTS) */
} BenchView;

typedef struct
{
  guint64   version;
  guint8    kind;
  BenchPeer peer;
} BenchEvent;

void     bench_view_init  (BenchView    *view);
void     bench_view_clear (BenchView    *view);
/* FALSE when the datagram is not a LIST or EVENTS this reader understands */
gboolean bench_view_read  (BenchView    *view,
                           const guint8 *data,
                           gsize         len);

G_END_DECLS
