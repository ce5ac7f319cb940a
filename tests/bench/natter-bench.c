/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <locale.h>
#include <stdio.h>
#include <string.h>

#include "bench-modes.h"

/* natter-bench: load for natter-server from one process on loopback.
 *
 *   natter-bench storm      N clients register at a pace; time until every
 *                           list is complete, server CPU and memory
 *   natter-bench memory     the storm at 10 000 clients, for the memory
 *   natter-bench keepalive  keep-alives answered per second, beside an echo
 *   natter-bench classic    classic clients one after another, natter-server
 *                           against the assignment's server.py
 *   natter-bench classic-survival  1000 classic clients and one more
 *   natter-bench smoke      a little of each, with the checks, quickly
 */

BenchProcess *
bench_start_server (const BenchOptions *opts,
                    int                 cpu,
                    const char * const *extra_args,
                    GError            **error)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();

  g_ptr_array_add (argv, (gpointer) opts->server_exe);
  g_ptr_array_add (argv, "--bind=127.0.0.1");
  g_ptr_array_add (argv, "--port=0");
  for (guint i = 0; extra_args != NULL && extra_args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) extra_args[i]);
  g_ptr_array_add (argv, NULL);
  return bench_process_start ((const char * const *) argv->pdata, cpu, " port ", error);
}

static int
smoke (BenchOptions *opts)
{
  BenchOptions o = *opts;
  int status = 0;

  o.runs = 1;
  o.clients = 200;
  o.rate = 2000;
  o.timeout_s = 20;
  o.validate_every = 1;
  status |= bench_storm (&o);

  o.clients = 8;
  o.window = 16;
  o.seconds = 1;
  status |= bench_keepalive (&o);

  o.clients = 100;
  o.timeout_s = 20;
  status |= bench_classic (&o);
  return status;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  BenchOptions opts = { 0 };
  g_autofree char *server_exe = NULL;
  g_autofree char *echo_exe = NULL;
  g_autofree char *python = NULL;
  g_autofree char *classic_server = NULL;
  g_autofree char *classic_wrapper = NULL;
  gint clients = 0, runs = 0, seconds = 3, window = 64, timeout = 0;
  gint server_cpu = 0, bench_cpu = 1, server_pid = 0, server_port = 0, validate = 100;
  double rate = 2000;
  gboolean no_reference = FALSE;
  const char *mode;
  const GOptionEntry entries[] = {
    { "clients", 'n', 0, G_OPTION_ARG_INT, &clients, "Simulated clients (storm 1000, memory 10000, keepalive 32, classic 600, classic-survival 1000)", "N" },
    { "rate", 'r', 0, G_OPTION_ARG_DOUBLE, &rate, "Registrations per second in the storm (2000)", "R" },
    { "runs", 0, 0, G_OPTION_ARG_INT, &runs, "Repetitions; medians are printed (5; classic-survival 1)", "N" },
    { "seconds", 0, 0, G_OPTION_ARG_INT, &seconds, "Keep-alive measuring time per target (3)", "S" },
    { "window", 0, 0, G_OPTION_ARG_INT, &window, "Keep-alives in flight per client (64)", "N" },
    { "server-cpu", 0, 0, G_OPTION_ARG_INT, &server_cpu, "CPU to pin the server (and the echo) to for keepalive (0)", "CPU" },
    { "bench-cpu", 0, 0, G_OPTION_ARG_INT, &bench_cpu, "CPU to pin the generator to for keepalive (1)", "CPU" },
    { "timeout", 0, 0, G_OPTION_ARG_INT, &timeout, "Give up after this many seconds (storm: after the last registration, 60; classic 120; survival 300)", "S" },
    { "server", 0, 0, G_OPTION_ARG_FILENAME, &server_exe, "natter-server to run", "PATH" },
    { "server-pid", 0, 0, G_OPTION_ARG_INT, &server_pid, "storm: use this running server (with --server-port) instead", "PID" },
    { "server-port", 0, 0, G_OPTION_ARG_INT, &server_port, "storm: the running server's port on 127.0.0.1", "PORT" },
    { "echo", 0, 0, G_OPTION_ARG_FILENAME, &echo_exe, "natter-echo to run", "PATH" },
    { "python", 0, 0, G_OPTION_ARG_FILENAME, &python, "Python 3 for the assignment's server.py", "PATH" },
    { "classic-server", 0, 0, G_OPTION_ARG_FILENAME, &classic_server, "The assignment's server.py", "PATH" },
    { "validate", 0, 0, G_OPTION_ARG_INT, &validate, "storm: check every Nth LIST and EVENTS datagram with the project's parser too (100; 1: all)", "N" },
    { "no-reference", 0, 0, G_OPTION_ARG_NONE, &no_reference, "classic: natter-server only", NULL },
    { NULL }
  };

  setlocale (LC_ALL, "");
  context = g_option_context_new ("storm|memory|keepalive|classic|classic-survival|smoke");
  g_option_context_set_summary (context, "Load generator and benchmarks for natter-server.");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error) || argc != 2)
    {
      g_printerr ("natter-bench: %s\n", error ? error->message : "one mode expected");
      return 2;
    }
  mode = argv[1];

  opts.server_exe = server_exe ? server_exe : NATTER_BENCH_SERVER;
  opts.echo_exe = echo_exe ? echo_exe : NATTER_BENCH_ECHO;
  opts.python = python ? python : NATTER_BENCH_PYTHON;
  opts.classic_server = classic_server ? classic_server : NATTER_BENCH_CLASSIC_SERVER;
  opts.classic_wrapper = NATTER_BENCH_CLASSIC_WRAPPER;
  opts.with_reference = !no_reference && opts.python[0] != '\0' &&
                        g_file_test (opts.python, G_FILE_TEST_IS_EXECUTABLE);
  opts.server_pid = server_pid;
  opts.server_port = server_port;
  opts.rate = rate > 0 ? rate : 2000;
  opts.seconds = MAX (1, seconds);
  opts.window = MAX (1, window);
  opts.server_cpu = server_cpu;
  opts.bench_cpu = bench_cpu;
  opts.runs = runs > 0 ? runs : 5;
  opts.validate_every = MAX (1, validate);
  setvbuf (stdout, NULL, _IOLBF, 0);

  if (strcmp (mode, "storm") == 0 || strcmp (mode, "memory") == 0)
    {
      opts.clients = clients > 0 ? clients : strcmp (mode, "storm") == 0 ? 1000 : 10000;
      opts.timeout_s = timeout > 0 ? timeout : 60;
      if (server_pid > 0 && server_port <= 0)
        {
          g_printerr ("natter-bench: --server-pid needs --server-port\n");
          return 2;
        }
      return strcmp (mode, "storm") == 0 ? bench_storm (&opts) : bench_memory (&opts);
    }
  if (strcmp (mode, "keepalive") == 0)
    {
      opts.clients = clients > 0 ? clients : 32;
      return bench_keepalive (&opts);
    }
  if (strcmp (mode, "classic") == 0)
    {
      opts.clients = clients > 0 ? clients : 600;
      opts.timeout_s = timeout > 0 ? timeout : 120;
      return bench_classic (&opts);
    }
  if (strcmp (mode, "classic-survival") == 0)
    {
      opts.clients = clients > 0 ? clients : 1000;
      opts.timeout_s = timeout > 0 ? timeout : 300;
      return bench_classic_survival (&opts);
    }
  if (strcmp (mode, "smoke") == 0)
    return smoke (&opts);
  g_printerr ("natter-bench: unknown mode “%s”\n", mode);
  return 2;
}
