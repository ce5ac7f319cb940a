/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <sys/socket.h>
#include <netinet/in.h>

G_BEGIN_DECLS

/* What every benchmark shares: child processes (the server under test, the
 * echo loop), figures read from /proc, UDP sockets, clocks and medians. */

typedef struct _BenchProcess BenchProcess;

/* Starts argv[0] with argv, pinned to cpu (-1: anywhere), its stderr read by
 * a thread. When port_marker is set, waits for the first line containing it
 * and reads the port number that follows it on that line. */
BenchProcess *bench_process_start     (const char * const *argv,
                                       int                 cpu,
                                       const char         *port_marker,
                                       GError            **error);
guint16       bench_process_port      (BenchProcess       *proc);
GPid          bench_process_pid       (BenchProcess       *proc);
gboolean      bench_process_running   (BenchProcess       *proc);
/* How many stderr lines so far contain text. */
guint         bench_process_count_lines (BenchProcess     *proc,
                                         const char       *text);
/* The last n lines of stderr, joined. */
char         *bench_process_tail      (BenchProcess       *proc,
                                       guint               n);
/* SIGTERM, wait up to timeout_ms, then SIGKILL. */
void          bench_process_stop      (BenchProcess       *proc,
                                       guint               timeout_ms);
void          bench_process_free      (BenchProcess       *proc);

/* utime + stime of a process, in seconds; -1 when it is gone */
double        bench_proc_cpu_seconds  (GPid                pid);
/* VmRSS of a process in KiB; -1 when it is gone */
gint64        bench_proc_rss_kib      (GPid                pid);
/* this process's own user + system CPU seconds */
double        bench_self_cpu_seconds  (void);
/* UDP datagrams the kernel dropped for want of receive buffer (all sockets) */
guint64       bench_udp_rcvbuf_errors (void);

/* Raises RLIMIT_NOFILE as far as allowed; returns the new soft limit. */
guint         bench_raise_fd_limit    (guint               wanted);
/* A non-blocking UDP socket bound to 127.0.0.1:0 (or the given local
 * address); returns the fd and its port, -1 on failure. */
int           bench_udp_socket        (guint32             local_addr_be,
                                       int                 rcvbuf,
                                       guint16            *port);
void          bench_sockaddr_loopback (struct sockaddr_in *sa,
                                       guint16             port);
void          bench_pin_self          (int                 cpu);

gint64        bench_now_us            (void);
double        bench_median            (double             *values,
                                       guint               n);
/* p in [0, 100], nearest rank */
double        bench_percentile        (double             *values,
                                       guint               n,
                                       double              p);
/* "1.23 4.56 ...", with that many decimals */
char         *bench_format_runs       (const double       *values,
                                       guint               n,
                                       int                 decimals);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BenchProcess, bench_process_free)

G_END_DECLS
