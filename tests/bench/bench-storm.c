/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <stdio.h>

#include "bench-modes.h"
#include "bench-swarm.h"

/* The registration storm: N native clients register at a fixed pace; how
 * long after the last registration every client holds the complete list,
 * and what that cost the server. The server's memory is read before and
 * after, so the same run gives the memory per registered client. */

typedef struct
{
  double converge_s;     /* last WELCOME -> every list complete */
  double after_sent_s;   /* last REGISTER sent -> every list complete */
  double server_cpu_s;
  double bench_cpu_s;
  double rss_per_client;  /* bytes */
  gint64 rss0_kib, rss1_kib;
  gboolean ok;
} StormResult;

static gboolean
storm_once (const BenchOptions *opts,
            guint               run,
            StormResult        *result)
{
  g_autofree char *max_peers = g_strdup_printf ("--max-peers=%u", opts->clients + 16);
  const char *extra[] = { max_peers, "--timeout=3600", NULL };
  g_autoptr(BenchProcess) server = NULL;
  g_autoptr(GError) error = NULL;
  Swarm *swarm;
  GPid pid;
  guint16 port;
  gint64 first, last, complete;
  double cpu0, self0;
  guint64 drops0;
  gboolean done;
  guint complete_count;

  if (opts->server_pid > 0)
    {
      pid = opts->server_pid;
      port = opts->server_port;
    }
  else
    {
      server = bench_start_server (opts, opts->server_cpu, extra, &error);
      if (server == NULL)
        {
          g_printerr ("natter-bench: %s\n", error->message);
          return FALSE;
        }
      pid = bench_process_pid (server);
      port = bench_process_port (server);
    }
  swarm = swarm_new (opts->clients, run % 2 ? "s" : "b", port, TRUE, 4 * 1024 * 1024, &error);
  if (swarm == NULL)
    {
      g_printerr ("natter-bench: %s\n", error->message);
      return FALSE;
    }
  swarm->validate_every = opts->validate_every;
  g_usleep (300 * 1000);
  result->rss0_kib = bench_proc_rss_kib (pid);
  cpu0 = bench_proc_cpu_seconds (pid);
  self0 = bench_self_cpu_seconds ();
  drops0 = bench_udp_rcvbuf_errors ();

  done = swarm_register_all (swarm, opts->rate,
                             bench_now_us () + (gint64) ((opts->clients / opts->rate + opts->timeout_s) *
                                                         G_USEC_PER_SEC),
                             &first, &last, &complete);
  result->server_cpu_s = bench_proc_cpu_seconds (pid) - cpu0;
  result->bench_cpu_s = bench_self_cpu_seconds () - self0;
  complete_count = swarm_count_complete (swarm);
  result->ok = done && complete_count == swarm->n && swarm->bad_entries == 0 &&
               swarm->invalid == 0 && swarm->unparsed == 0;
  if (done)
    {
      result->converge_s = (complete - swarm->last_welcome_us) / 1e6;
      result->after_sent_s = (complete - last) / 1e6;
    }
  else
    result->converge_s = result->after_sent_s = -1;

  /* what stays once the storm's queues have drained */
  g_usleep (G_USEC_PER_SEC);
  result->rss1_kib = bench_proc_rss_kib (pid);
  result->rss_per_client = (result->rss1_kib - result->rss0_kib) * 1024.0 / opts->clients;

  g_print ("storm run %u: %u clients at %.0f/s: registered %u, lists complete %u/%u, "
           "last REGISTER sent %.2f s, last WELCOME %.2f s after the first; "
           "complete %.3f s after the last WELCOME (%.3f s after the last REGISTER); "
           "server CPU %.2f s, bench CPU %.2f s; REGISTER retries %" G_GUINT64_FORMAT
           ", RESYNCs %" G_GUINT64_FORMAT ", wrong entries %" G_GUINT64_FORMAT
           ", errors %" G_GUINT64_FORMAT ", datagrams received %" G_GUINT64_FORMAT
           " (LIST %" G_GUINT64_FORMAT ", EVENTS %" G_GUINT64_FORMAT ", WELCOME %" G_GUINT64_FORMAT
           ", COOKIE %" G_GUINT64_FORMAT "; %" G_GUINT64_FORMAT " LIST/EVENTS checked by natter_msg_parse, %" G_GUINT64_FORMAT
           " rejected, %" G_GUINT64_FORMAT " unreadable)"
           ", kernel drops %" G_GUINT64_FORMAT "; server RSS %" G_GINT64_FORMAT
           " KiB -> %" G_GINT64_FORMAT " KiB (%.0f bytes per client)%s\n",
           run + 1, swarm->n, opts->rate, swarm->n_registered, complete_count, swarm->n,
           (last - first) / 1e6, (swarm->last_welcome_us - first) / 1e6,
           result->converge_s, result->after_sent_s, result->server_cpu_s, result->bench_cpu_s,
           swarm->register_retries, swarm->resyncs, swarm->bad_entries, swarm->errors,
           swarm->received, swarm->received_lists, swarm->received_events,
           swarm->received_welcomes, swarm->received_cookies, swarm->validated, swarm->invalid, swarm->unparsed,
           bench_udp_rcvbuf_errors () - drops0,
           result->rss0_kib, result->rss1_kib, result->rss_per_client,
           result->ok ? "" : " FAILED");
  swarm_free (swarm);
  if (server != NULL)
    {
      if (!bench_process_running (server))
        {
          g_autofree char *tail = bench_process_tail (server, 10);

          g_printerr ("natter-bench: the server exited:\n%s", tail);
          result->ok = FALSE;
        }
      bench_process_stop (server, 5000);
    }
  return result->ok;
}

int
bench_storm (const BenchOptions *opts)
{
  g_autofree StormResult *results = g_new0 (StormResult, opts->runs);
  g_autofree double *converge = g_new0 (double, opts->runs);
  g_autofree double *cpu = g_new0 (double, opts->runs);
  g_autofree double *rss = g_new0 (double, opts->runs);
  g_autofree double *after = g_new0 (double, opts->runs);
  g_autofree char *converge_runs = NULL;
  g_autofree char *after_runs = NULL;
  g_autofree char *cpu_runs = NULL;
  g_autofree char *rss_runs = NULL;
  guint fds = bench_raise_fd_limit (opts->clients + 256);
  gboolean ok = TRUE;

  if (fds < opts->clients + 64)
    {
      g_printerr ("natter-bench: %u clients need %u file descriptors, the limit is %u\n",
                  opts->clients, opts->clients + 64, fds);
      return 1;
    }
  for (guint i = 0; i < opts->runs; i++)
    {
      ok &= storm_once (opts, i, &results[i]);
      converge[i] = results[i].converge_s;
      after[i] = results[i].after_sent_s;
      cpu[i] = results[i].server_cpu_s;
      rss[i] = results[i].rss_per_client;
    }
  converge_runs = bench_format_runs (converge, opts->runs, 3);
  after_runs = bench_format_runs (after, opts->runs, 3);
  cpu_runs = bench_format_runs (cpu, opts->runs, 2);
  rss_runs = bench_format_runs (rss, opts->runs, 0);
  g_print ("storm: %u clients at %.0f/s, median of %u runs: every list complete %.3f s after "
           "the last REGISTER [%s], %.3f s after the last WELCOME [%s]; server CPU %.2f s [%s]; "
           "server memory %.0f bytes per client [%s]%s\n",
           opts->clients, opts->rate, opts->runs, bench_median (after, opts->runs), after_runs,
           bench_median (converge, opts->runs), converge_runs, bench_median (cpu, opts->runs),
           cpu_runs,
           bench_median (rss, opts->runs), rss_runs, ok ? "" : " (A RUN FAILED)");
  return ok ? 0 : 1;
}

int
bench_memory (const BenchOptions *opts)
{
  return bench_storm (opts);
}
