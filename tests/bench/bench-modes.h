/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

#include "bench-common.h"

G_BEGIN_DECLS

typedef struct
{
  const char *server_exe;
  const char *echo_exe;
  const char *python;
  const char *classic_server;   /* the assignment's server.py */
  const char *classic_wrapper;  /* runs it on another port */
  GPid        server_pid;       /* measure a server started elsewhere */
  guint16     server_port;
  guint       clients;
  double      rate;
  guint       runs;
  guint       seconds;
  guint       window;
  int         server_cpu;
  int         bench_cpu;
  guint       timeout_s;
  guint       validate_every;
  gboolean    with_reference;
} BenchOptions;

/* natter-server on 127.0.0.1, a free port, pinned to cpu (-1: anywhere) */
BenchProcess *bench_start_server (const BenchOptions *opts,
                                  int                 cpu,
                                  const char * const *extra_args,
                                  GError            **error);

/* Each returns an exit status: 0, or 1 when a check failed. */
int bench_storm     (const BenchOptions *opts);
int bench_memory    (const BenchOptions *opts);
int bench_keepalive (const BenchOptions *opts);
int bench_classic   (const BenchOptions *opts);
int bench_classic_survival (const BenchOptions *opts);

G_END_DECLS
