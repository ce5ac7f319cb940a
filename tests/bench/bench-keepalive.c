/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "bench-modes.h"
#include "bench-swarm.h"

/* Keep-alive throughput: registered clients keep a window of KEEPALIVEs in
 * flight each and send another for every answer. The same generator, with
 * the same datagrams, then drives a bare recvmmsg/sendmmsg echo loop on
 * the same CPU, which is what the kernel and loopback alone allow. */

#define BATCH 64
#define WARMUP_US   (500 * 1000)
#define LOST_AFTER_US (500 * 1000)

typedef struct
{
  double rate;          /* answers per wall-clock second */
  double per_cpu;       /* answers per second of the target's CPU time */
  double target_cpu;    /* the target's CPU share of one core */
  guint64 lost;
} BlastResult;

static void
top_up (int          fd,
        SimClient   *c,
        GBytes      *datagram,
        const struct sockaddr_in *to,
        guint        window)
{
  struct mmsghdr msgs[BATCH];
  struct iovec iov;
  gsize len;
  guint want = window - MIN (window, c->outstanding);

  iov.iov_base = (void *) g_bytes_get_data (datagram, &len);
  iov.iov_len = len;
  while (want > 0)
    {
      guint n = MIN (want, BATCH);
      int sent;

      for (guint i = 0; i < n; i++)
        msgs[i] = (struct mmsghdr) { .msg_hdr = { .msg_name = (void *) to,
                                                  .msg_namelen = sizeof *to,
                                                  .msg_iov = &iov, .msg_iovlen = 1 } };
      sent = sendmmsg (fd, msgs, n, MSG_DONTWAIT);
      if (sent <= 0)
        return;
      c->outstanding += sent;
      want -= sent;
      if ((guint) sent < n)
        return;
    }
}

static guint
drain_replies (int    fd,
               guint8 expected_type)
{
  static guint8 buffers[BATCH][2048];
  guint got = 0;

  for (;;)
    {
      struct mmsghdr msgs[BATCH];
      struct iovec iov[BATCH];
      int n;

      for (guint i = 0; i < BATCH; i++)
        {
          iov[i] = (struct iovec) { buffers[i], sizeof buffers[i] };
          msgs[i] = (struct mmsghdr) { .msg_hdr = { .msg_iov = &iov[i], .msg_iovlen = 1 } };
        }
      n = recvmmsg (fd, msgs, BATCH, MSG_DONTWAIT, NULL);
      if (n <= 0)
        return got;
      for (int i = 0; i < n; i++)
        if (msgs[i].msg_len > 5 && buffers[i][5] == expected_type)
          got++;
      if (n < BATCH)
        return got;
    }
}

static void
blast (Swarm        *swarm,
       GBytes      **datagrams,
       guint16       port,
       GPid          target,
       guint8        expected_type,
       const BenchOptions *opts,
       BlastResult  *result)
{
  struct sockaddr_in to;
  gint64 start, measure_from = 0, end, last_check;
  guint64 answered = 0, answered_at_start = 0, lost = 0;
  double cpu_at_start = 0;

  bench_sockaddr_loopback (&to, port);
  for (guint i = 0; i < swarm->n; i++)
    {
      swarm->clients[i].outstanding = 0;
      swarm->clients[i].last_reply_us = bench_now_us ();
      /* whatever the registration left behind */
      drain_replies (swarm->clients[i].fd, 0);
    }
  start = last_check = bench_now_us ();
  end = start + WARMUP_US + (gint64) opts->seconds * G_USEC_PER_SEC;
  for (guint i = 0; i < swarm->n; i++)
    top_up (swarm->clients[i].fd, &swarm->clients[i], datagrams[i], &to, opts->window);

  for (;;)
    {
      struct epoll_event events[256];
      int n = epoll_wait (swarm->epoll_fd, events, G_N_ELEMENTS (events), 5);
      gint64 now = bench_now_us ();

      for (int i = 0; i < n; i++)
        {
          guint index = events[i].data.u32;
          SimClient *c = &swarm->clients[index];
          guint got = drain_replies (c->fd, expected_type);

          if (got > 0)
            {
              answered += got;
              c->outstanding -= MIN (got, c->outstanding);
              c->last_reply_us = now;
            }
          top_up (c->fd, c, datagrams[index], &to, opts->window);
        }
      if (now - last_check >= 20 * 1000)
        {
          /* a datagram lost on the way leaves its slot taken for good */
          for (guint i = 0; i < swarm->n; i++)
            {
              SimClient *c = &swarm->clients[i];

              if (c->outstanding > 0 && now - c->last_reply_us > LOST_AFTER_US)
                {
                  lost += c->outstanding;
                  c->outstanding = 0;
                  c->last_reply_us = now;
                  top_up (c->fd, c, datagrams[i], &to, opts->window);
                }
            }
          last_check = now;
        }
      if (measure_from == 0 && now - start >= WARMUP_US)
        {
          measure_from = now;
          answered_at_start = answered;
          cpu_at_start = bench_proc_cpu_seconds (target);
        }
      if (now >= end)
        {
          double wall = (now - measure_from) / 1e6;
          double cpu = bench_proc_cpu_seconds (target) - cpu_at_start;

          result->rate = (answered - answered_at_start) / wall;
          result->per_cpu = cpu > 0 ? (answered - answered_at_start) / cpu : 0;
          result->target_cpu = cpu / wall;
          result->lost = lost;
          break;
        }
    }
  /* let the last answers arrive, so they do not count in the next run */
  g_usleep (200 * 1000);
  for (guint i = 0; i < swarm->n; i++)
    drain_replies (swarm->clients[i].fd, 0);
}

static gboolean
keepalive_once (const BenchOptions *opts,
                guint               run,
                BlastResult        *natter,
                BlastResult        *echo)
{
  g_autofree char *max_peers = g_strdup_printf ("--max-peers=%u", opts->clients + 16);
  const char *extra[] = { max_peers, "--timeout=3600", NULL };
  g_autoptr(BenchProcess) server = NULL;
  g_autoptr(BenchProcess) echo_proc = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) datagrams = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  Swarm *swarm;
  gint64 first, last, complete;
  char port_arg[32];
  const char *echo_argv[] = { opts->echo_exe, port_arg, NULL };

  server = bench_start_server (opts, opts->server_cpu, extra, &error);
  if (server == NULL)
    {
      g_printerr ("natter-bench: %s\n", error->message);
      return FALSE;
    }
  swarm = swarm_new (opts->clients, "k", bench_process_port (server), FALSE, 4 * 1024 * 1024,
                     &error);
  if (swarm == NULL)
    {
      g_printerr ("natter-bench: %s\n", error->message);
      return FALSE;
    }
  if (!swarm_register_all (swarm, 5000, bench_now_us () + 30 * G_USEC_PER_SEC,
                           &first, &last, &complete))
    {
      g_printerr ("natter-bench: only %u of %u clients registered\n", swarm->n_registered,
                  swarm->n);
      swarm_free (swarm);
      return FALSE;
    }
  for (guint i = 0; i < swarm->n; i++)
    {
      g_autofree char *id = swarm_client_id (swarm, i);

      g_ptr_array_add (datagrams, natter_wire_auth_request (NATTER_MSG_KEEPALIVE, id,
                                                            swarm->clients[i].token,
                                                            NULL, NULL, 0, 0));
    }

  g_snprintf (port_arg, sizeof port_arg, "--port=0");
  echo_proc = bench_process_start (echo_argv, opts->server_cpu, " port ", &error);
  if (echo_proc == NULL)
    {
      g_printerr ("natter-bench: %s\n", error->message);
      swarm_free (swarm);
      return FALSE;
    }
  /* Both wait on the same CPU, and take turns, in a different order each
   * run: what else runs on a shared machine weighs on both alike. The
   * echo sends back what it got: a KEEPALIVE. */
  for (guint turn = 0; turn < 2; turn++)
    {
      if ((turn + run) % 2 == 0)
        blast (swarm, (GBytes **) datagrams->pdata, bench_process_port (server),
               bench_process_pid (server), NATTER_MSG_ALIVE, opts, natter);
      else
        blast (swarm, (GBytes **) datagrams->pdata, bench_process_port (echo_proc),
               bench_process_pid (echo_proc), NATTER_MSG_KEEPALIVE, opts, echo);
    }
  if (!bench_process_running (server))
    {
      g_autofree char *tail = bench_process_tail (server, 10);

      g_printerr ("natter-bench: the server exited:\n%s", tail);
      natter->rate = 0;
    }
  bench_process_stop (server, 5000);
  bench_process_stop (echo_proc, 5000);
  swarm_free (swarm);

  g_print ("keepalive run %u: %u clients x %u in flight, server on CPU %d, generator on CPU %d: "
           "natter-server %.0f answers/s (%.0f per CPU-second, %.0f%% of its core, %"
           G_GUINT64_FORMAT " lost); echo %.0f/s (%.0f per CPU-second, %.0f%% of its core, %"
           G_GUINT64_FORMAT " lost); ratio %.2f\n",
           run + 1, opts->clients, opts->window, opts->server_cpu, opts->bench_cpu,
           natter->rate, natter->per_cpu, natter->target_cpu * 100, natter->lost,
           echo->rate, echo->per_cpu, echo->target_cpu * 100, echo->lost,
           echo->rate > 0 ? natter->rate / echo->rate : 0);
  return natter->rate > 0 && echo->rate > 0;
}

int
bench_keepalive (const BenchOptions *opts)
{
  g_autofree double *natter = g_new0 (double, opts->runs);
  g_autofree double *echo = g_new0 (double, opts->runs);
  g_autofree double *ratio = g_new0 (double, opts->runs);
  g_autofree double *natter_cpu = g_new0 (double, opts->runs);
  g_autofree double *echo_cpu = g_new0 (double, opts->runs);
  g_autofree double *cpu_ratio = g_new0 (double, opts->runs);
  g_autofree char *ratio_runs = NULL;
  g_autofree char *cpu_ratio_runs = NULL;
  gboolean ok = TRUE;

  bench_raise_fd_limit (opts->clients + 256);
  bench_pin_self (opts->bench_cpu);
  for (guint i = 0; i < opts->runs; i++)
    {
      BlastResult n = { 0 }, e = { 0 };

      ok &= keepalive_once (opts, i, &n, &e);
      natter[i] = n.rate;
      echo[i] = e.rate;
      natter_cpu[i] = n.per_cpu;
      echo_cpu[i] = e.per_cpu;
      ratio[i] = e.rate > 0 ? n.rate / e.rate : 0;
      cpu_ratio[i] = e.per_cpu > 0 ? n.per_cpu / e.per_cpu : 0;
    }
  ratio_runs = bench_format_runs (ratio, opts->runs, 2);
  cpu_ratio_runs = bench_format_runs (cpu_ratio, opts->runs, 2);
  g_print ("keepalive: median of %u runs: natter-server %.0f answers/s, echo %.0f/s, "
           "ratio %.2f [%s]; per CPU-second of the target: natter-server %.0f, echo %.0f, "
           "ratio %.2f [%s]%s\n",
           opts->runs, bench_median (natter, opts->runs), bench_median (echo, opts->runs),
           bench_median (ratio, opts->runs), ratio_runs,
           bench_median (natter_cpu, opts->runs), bench_median (echo_cpu, opts->runs),
           bench_median (cpu_ratio, opts->runs), cpu_ratio_runs,
           ok ? "" : " (A RUN FAILED)");
  return ok ? 0 : 1;
}
