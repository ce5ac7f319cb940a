/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench-modes.h"

/* The assignment's workload: classic clients register one after another,
 * each from its own socket, each waiting for its own line ("ID ip:port",
 * which every registered client hears) before the next one starts. A
 * registered client sends "ID@keepalive" every 10 s, as client.py does.
 * Run against natter-server and against the assignment's server.py. */

#define CLASSIC_KEEPALIVE_US (10 * G_USEC_PER_SEC)
#define CLIENT_WAIT_US       (10 * G_USEC_PER_SEC)
#define BATCH 64

typedef struct
{
  int     fd;
  guint16 port;
  gint64  next_keepalive_us;
} ClassicClient;

typedef struct
{
  guint   registered;
  guint   failed;
  guint   incomplete_lists;   /* newcomers that missed an earlier client */
  double  seconds;
  double  server_cpu_s;
  gboolean server_alive;
  gboolean gave_up;
} ClassicResult;

static void
send_text (int                       fd,
           const struct sockaddr_in *to,
           const char               *text)
{
  sendto (fd, text, strlen (text), 0, (const struct sockaddr *) to, sizeof *to);
}

static void
send_keepalives (ClassicClient            *clients,
                 guint                     n,
                 const char               *prefix,
                 const struct sockaddr_in *to)
{
  gint64 now = bench_now_us ();

  for (guint i = 0; i < n; i++)
    if (clients[i].next_keepalive_us != 0 && now >= clients[i].next_keepalive_us)
      {
        g_autofree char *line = g_strdup_printf ("%s%u@keepalive", prefix, i);

        send_text (clients[i].fd, to, line);
        clients[i].next_keepalive_us += CLASSIC_KEEPALIVE_US;
      }
}

/* Reads the newcomer's socket until its own line arrives; notes which
 * earlier clients it heard of on the way. */
static gboolean
await_own_line (ClassicClient            *clients,
                guint                     index,
                const char               *prefix,
                const struct sockaddr_in *to,
                guint32                  *heard,
                guint                    *n_heard)
{
  static char buffers[BATCH][2049];
  g_autofree char *own = g_strdup_printf ("%s%u 127.0.0.1:%u", prefix, index,
                                          clients[index].port);
  gsize plen = strlen (prefix);
  gint64 end = bench_now_us () + CLIENT_WAIT_US;

  for (;;)
    {
      struct pollfd pfd = { clients[index].fd, POLLIN, 0 };
      struct mmsghdr msgs[BATCH];
      struct iovec iov[BATCH];
      gint64 now = bench_now_us ();
      int n;

      if (now >= end)
        return FALSE;
      send_keepalives (clients, index, prefix, to);
      if (poll (&pfd, 1, (int) MIN ((end - now) / 1000 + 1, 1000)) <= 0)
        continue;
      for (guint i = 0; i < BATCH; i++)
        {
          iov[i] = (struct iovec) { buffers[i], 2048 };
          msgs[i] = (struct mmsghdr) { .msg_hdr = { .msg_iov = &iov[i], .msg_iovlen = 1 } };
        }
      n = recvmmsg (clients[index].fd, msgs, BATCH, MSG_DONTWAIT, NULL);
      for (int i = 0; i < n; i++)
        {
          char *text = buffers[i];
          char *space;
          guint64 peer;
          char *end_num;

          text[msgs[i].msg_len] = '\0';
          if (strcmp (text, own) == 0)
            return TRUE;
          /* "ID ip:port" of an earlier client */
          space = strchr (text, ' ');
          if (space == NULL || strncmp (text, prefix, plen) != 0 || strchr (text, '@') != NULL)
            continue;
          peer = g_ascii_strtoull (text + plen, &end_num, 10);
          if (end_num != space || peer >= index)
            continue;
          if (!(heard[peer / 32] & (1u << (peer % 32))))
            {
              heard[peer / 32] |= 1u << (peer % 32);
              (*n_heard)++;
            }
        }
    }
}

static void
run_classic (const BenchOptions *opts,
             guint               n,
             guint16             port,
             GPid                pid,
             const char         *prefix,
             gint64              give_up_after_us,
             ClassicResult      *result)
{
  g_autofree ClassicClient *clients = g_new0 (ClassicClient, n + 1);
  g_autofree guint32 *heard = g_new0 (guint32, (n + 32) / 32);
  struct sockaddr_in to;
  gint64 start, give_up;
  double cpu0 = bench_proc_cpu_seconds (pid);
  guint consecutive_failures = 0;

  memset (result, 0, sizeof *result);
  bench_sockaddr_loopback (&to, port);
  start = bench_now_us ();
  give_up = start + give_up_after_us;
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *line = g_strdup_printf ("%s%u 127.0.0.1", prefix, i);
      guint n_heard = 0;
      int small = 4096;

      clients[i].fd = bench_udp_socket (0, 4 * 1024 * 1024, &clients[i].port);
      if (clients[i].fd < 0)
        break;
      memset (heard, 0, (n + 32) / 32 * sizeof (guint32));
      send_text (clients[i].fd, &to, line);
      if (await_own_line (clients, i, prefix, &to, heard, &n_heard))
        {
          result->registered++;
          consecutive_failures = 0;
          clients[i].next_keepalive_us = bench_now_us () + CLASSIC_KEEPALIVE_US;
          if (n_heard != i)
            result->incomplete_lists++;
        }
      else
        {
          result->failed++;
          consecutive_failures++;
        }
      /* from now on it only listens, like an idle client.py; what it is
       * not reading is dropped by the kernel, not queued */
      setsockopt (clients[i].fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
      {
        char sink[2048];

        while (recv (clients[i].fd, sink, sizeof sink, MSG_DONTWAIT) > 0)
          ;
      }
      if (consecutive_failures >= 3 || bench_now_us () > give_up)
        {
          result->gave_up = TRUE;
          break;
        }
    }
  result->seconds = (bench_now_us () - start) / 1e6;
  result->server_cpu_s = bench_proc_cpu_seconds (pid) - cpu0;
  for (guint i = 0; i < n; i++)
    if (clients[i].fd > 0)
      close (clients[i].fd);
}

static BenchProcess *
start_target (const BenchOptions *opts,
              gboolean            reference,
              guint               n)
{
  g_autoptr(GError) error = NULL;
  BenchProcess *proc;

  if (reference)
    {
      const char *argv[] = { opts->python, "-u", opts->classic_wrapper, opts->classic_server, "0",
                             NULL };

      proc = bench_process_start (argv, -1, " port ", &error);
    }
  else
    {
      g_autofree char *max_peers = g_strdup_printf ("--max-peers=%u", n + 16);
      const char *extra[] = { max_peers, "--timeout=3600", "--classic-rate=1000000", NULL };

      proc = bench_start_server (opts, -1, extra, &error);
    }
  if (proc == NULL)
    g_printerr ("natter-bench: %s\n", error->message);
  return proc;
}

static const char *
describe (gboolean reference)
{
  return reference ? "server.py" : "natter-server";
}

int
bench_classic (const BenchOptions *opts)
{
  guint targets = opts->with_reference ? 2 : 1;
  g_autofree double *seconds = g_new0 (double, opts->runs * 2);
  g_autofree double *ratio = g_new0 (double, opts->runs);
  gboolean ok = TRUE;

  bench_raise_fd_limit (opts->clients + 256);
  for (guint run = 0; run < opts->runs; run++)
    {
      for (guint t = 0; t < targets; t++)
        {
          gboolean reference = t == 1;
          g_autoptr(BenchProcess) proc = start_target (opts, reference, opts->clients);
          ClassicResult r;

          if (proc == NULL)
            return 1;
          run_classic (opts, opts->clients, bench_process_port (proc), bench_process_pid (proc),
                       reference ? "p" : "c", (gint64) opts->timeout_s * G_USEC_PER_SEC, &r);
          r.server_alive = bench_process_running (proc);
          seconds[run * 2 + t] = r.seconds;
          g_print ("classic run %u: %s: %u clients one after another in %.3f s (%.2f ms each), "
                   "server CPU %.2f s; registered %u, no answer %u, lists missing an earlier "
                   "client %u%s\n",
                   run + 1, describe (reference), opts->clients, r.seconds,
                   r.seconds * 1000 / MAX (1u, opts->clients), r.server_cpu_s, r.registered,
                   r.failed, r.incomplete_lists, r.server_alive ? "" : "; the server is gone");
          if (!reference && (r.registered != opts->clients || r.incomplete_lists > 0))
            ok = FALSE;
          if (reference && r.registered != opts->clients)
            {
              g_autofree char *tail = bench_process_tail (proc, 8);

              g_print ("server.py's last words:\n%s", tail);
            }
          bench_process_stop (proc, 3000);
        }
      if (targets == 2)
        ratio[run] = seconds[run * 2 + 1] / seconds[run * 2];
    }
  {
    g_autofree double *natter = g_new0 (double, opts->runs);
    g_autofree double *reference = g_new0 (double, opts->runs);
    g_autofree char *ratio_runs = NULL;

    for (guint run = 0; run < opts->runs; run++)
      {
        natter[run] = seconds[run * 2];
        reference[run] = seconds[run * 2 + 1];
      }
    ratio_runs = bench_format_runs (ratio, opts->runs, 1);
    if (targets == 2)
      g_print ("classic: %u clients, median of %u runs: natter-server %.3f s, server.py %.3f s, "
               "speed-up %.1fx [%s]%s\n",
               opts->clients, opts->runs, bench_median (natter, opts->runs),
               bench_median (reference, opts->runs), bench_median (ratio, opts->runs),
               ratio_runs, ok ? "" : " (A CHECK FAILED)");
    else
      g_print ("classic: %u clients, median of %u runs: natter-server %.3f s%s\n",
               opts->clients, opts->runs, bench_median (natter, opts->runs),
               ok ? "" : " (A CHECK FAILED)");
  }
  return ok ? 0 : 1;
}

/* Registers opts->clients classic clients and then one more, which must
 * get the whole list: the server is alive and answering. The assignment's
 * server gets the same workload, with a time limit, and whatever it
 * printed on the way is shown. */
int
bench_classic_survival (const BenchOptions *opts)
{
  guint targets = opts->with_reference ? 2 : 1;
  gboolean ok = TRUE;

  bench_raise_fd_limit (opts->clients + 256);
  for (guint t = 0; t < targets; t++)
    {
      gboolean reference = t == 1;
      g_autoptr(BenchProcess) proc = start_target (opts, reference, opts->clients + 1);
      ClassicResult r;
      guint tracebacks;

      if (proc == NULL)
        return 1;
      run_classic (opts, opts->clients + 1, bench_process_port (proc), bench_process_pid (proc),
                   reference ? "p" : "c", (gint64) opts->timeout_s * G_USEC_PER_SEC, &r);
      /* a registered client lasts through the time-out, answered or not */
      r.server_alive = bench_process_running (proc);
      tracebacks = bench_process_count_lines (proc, "Traceback");
      g_print ("classic-survival: %s: %u clients, then one more: registered %u of %u in %.3f s, "
               "no answer %u, lists missing an earlier client %u, %s%s; process %s, %u "
               "tracebacks, %u error/warning lines\n",
               describe (reference), opts->clients, r.registered, opts->clients + 1, r.seconds,
               r.failed, r.incomplete_lists,
               r.registered == opts->clients + 1 ? "the last one got the whole list"
                                                 : "the last one got no answer",
               r.gave_up ? " (gave up)" : "",
               r.server_alive ? "still running" : "gone", tracebacks,
               bench_process_count_lines (proc, "error") + bench_process_count_lines (proc, "warning"));
      if (tracebacks > 0 || !r.server_alive)
        {
          g_autofree char *tail = bench_process_tail (proc, 12);

          g_print ("%s's last words:\n%s", describe (reference), tail);
        }
      if (!reference && (r.registered != opts->clients + 1 || r.incomplete_lists > 0 ||
                         !r.server_alive))
        ok = FALSE;
      bench_process_stop (proc, 3000);
    }
  return ok ? 0 : 1;
}
