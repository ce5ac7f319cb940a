/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* What one run of the real app in this process measures; the driver
 * (bench-app.c) starts a fresh process for every run. */
typedef enum
{
  BENCH_RUN_START,         /* first frame of the window, then quit */
  BENCH_RUN_PEERS,         /* settle, RSS, scroll the sidebar to its end */
  BENCH_RUN_CONVERSATION,  /* open "bob", scroll up through older pages */
} BenchRunKind;

typedef struct
{
  BenchRunKind  kind;
  const char   *profile;
  const char   *server;       /* NULL: the first-run welcome page */
  gint64        spawn_us;     /* the driver's monotonic clock at spawn; 0 if unknown */
  guint         step_px;      /* scrolled per frame */
  guint         max_frames;
  guint         target_items; /* conversation: stop once this many are loaded */
  guint         expect_peers;
  const char   *screenshot;   /* taken halfway, from outside the measured frames */
} BenchRunOptions;

/* Runs the app (g_application_run) and prints "key=value" lines on
 * standard output. Returns the exit status. */
int      bench_run_app   (const BenchRunOptions *options,
                          gint64                 main_us);

/* Orders doubles, for g_array_sort(). */
int      bench_compare_doubles (gconstpointer a,
                                gconstpointer b);

/* VmRSS or VmHWM (KiB) of this process, 0 if unknown. */
gsize    bench_status_kib (const char *field);

G_END_DECLS
