/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "bench-common.h"
#include "natter-test-lines.h"

struct _BenchProcess
{
  GSubprocess     *process;
  NatterTestLines *log;
  guint16          port;
  int              cpu;
};

static void
child_setup (gpointer data)
{
  BenchProcess *proc = data;

  prctl (PR_SET_PDEATHSIG, SIGKILL);
  if (proc->cpu >= 0)
    {
      cpu_set_t set;

      CPU_ZERO (&set);
      CPU_SET (proc->cpu, &set);
      sched_setaffinity (0, sizeof set, &set);
    }
}

BenchProcess *
bench_process_start (const char * const *argv,
                     int                 cpu,
                     const char         *port_marker,
                     GError            **error)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(BenchProcess) proc = g_new0 (BenchProcess, 1);
  g_autofree char *line = NULL;

  proc->cpu = cpu;
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
                                        G_SUBPROCESS_FLAGS_STDERR_PIPE);
  /* a benchmark that dies must not leave its server running */
  g_subprocess_launcher_set_child_setup (launcher, child_setup, proc, NULL);
  proc->process = g_subprocess_launcher_spawnv (launcher, argv, error);
  if (proc->process == NULL)
    return NULL;
  proc->log = natter_test_lines_new (g_subprocess_get_stderr_pipe (proc->process),
                                     "NATTER_BENCH_SHOW_SERVER", "server: ");
  if (port_marker == NULL)
    return g_steal_pointer (&proc);

  line = natter_test_lines_find (proc->log, port_marker, 20000);
  if (line != NULL)
    proc->port = (guint16) g_ascii_strtoull (strstr (line, port_marker) + strlen (port_marker),
                                             NULL, 10);
  if (proc->port == 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s did not report its port", argv[0]);
      return NULL;
    }
  return g_steal_pointer (&proc);
}

guint16
bench_process_port (BenchProcess *proc)
{
  return proc->port;
}

GPid
bench_process_pid (BenchProcess *proc)
{
  const char *id = g_subprocess_get_identifier (proc->process);

  return id != NULL ? (GPid) atoi (id) : 0;
}

gboolean
bench_process_running (BenchProcess *proc)
{
  return g_subprocess_get_identifier (proc->process) != NULL;
}

guint
bench_process_count_lines (BenchProcess *proc,
                           const char   *text)
{
  return natter_test_lines_count (proc->log, text);
}

char *
bench_process_tail (BenchProcess *proc,
                    guint         n)
{
  return natter_test_lines_tail (proc->log, n);
}

void
bench_process_stop (BenchProcess *proc,
                    guint         timeout_ms)
{
  if (proc == NULL || !bench_process_running (proc))
    return;
  g_subprocess_send_signal (proc->process, SIGTERM);
  if (!natter_test_lines_wait_end (proc->log, timeout_ms) && bench_process_running (proc))
    g_subprocess_force_exit (proc->process);
  g_subprocess_wait (proc->process, NULL, NULL);
}

void
bench_process_free (BenchProcess *proc)
{
  if (proc == NULL)
    return;
  if (proc->process != NULL)
    {
      g_subprocess_force_exit (proc->process);
      g_subprocess_wait (proc->process, NULL, NULL);
    }
  g_clear_pointer (&proc->log, natter_test_lines_free);
  g_clear_object (&proc->process);
  g_free (proc);
}

double
bench_proc_cpu_seconds (GPid pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/stat", (int) pid);
  g_autofree char *text = NULL;
  g_auto(GStrv) fields = NULL;
  const char *after;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return -1;
  /* the command name may hold spaces: count fields after its ')' */
  after = strrchr (text, ')');
  if (after == NULL)
    return -1;
  fields = g_strsplit (after + 2, " ", 0);
  /* fields[0] is field 3 (state); utime and stime are fields 14 and 15 */
  if (g_strv_length (fields) < 13)
    return -1;
  return (g_ascii_strtod (fields[11], NULL) + g_ascii_strtod (fields[12], NULL)) /
         (double) sysconf (_SC_CLK_TCK);
}

gint64
bench_proc_rss_kib (GPid pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/status", (int) pid);
  g_autofree char *text = NULL;
  const char *rss;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return -1;
  rss = strstr (text, "\nVmRSS:");
  if (rss == NULL)
    return -1;
  return g_ascii_strtoll (rss + strlen ("\nVmRSS:"), NULL, 10);
}

double
bench_self_cpu_seconds (void)
{
  struct rusage usage;

  getrusage (RUSAGE_SELF, &usage);
  return usage.ru_utime.tv_sec + usage.ru_stime.tv_sec +
         (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

guint64
bench_udp_rcvbuf_errors (void)
{
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;
  gint column = -1;

  if (!g_file_get_contents ("/proc/net/snmp", &text, NULL, NULL))
    return 0;
  lines = g_strsplit (text, "\n", 0);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_auto(GStrv) fields = NULL;

      if (!g_str_has_prefix (lines[i], "Udp: "))
        continue;
      fields = g_strsplit (lines[i], " ", 0);
      if (column < 0)
        {
          for (guint j = 0; fields[j] != NULL; j++)
            if (g_strcmp0 (fields[j], "RcvbufErrors") == 0)
              column = j;
        }
      else if (column < (gint) g_strv_length (fields))
        return g_ascii_strtoull (fields[column], NULL, 10);
    }
  return 0;
}

guint
bench_raise_fd_limit (guint wanted)
{
  struct rlimit limit;

  getrlimit (RLIMIT_NOFILE, &limit);
  if (limit.rlim_cur >= wanted)
    return limit.rlim_cur;
  if (limit.rlim_max < wanted)
    {
      struct rlimit raised = { wanted, wanted };

      /* root may raise the hard limit too */
      if (setrlimit (RLIMIT_NOFILE, &raised) == 0)
        return wanted;
    }
  limit.rlim_cur = MIN ((rlim_t) wanted, limit.rlim_max);
  setrlimit (RLIMIT_NOFILE, &limit);
  getrlimit (RLIMIT_NOFILE, &limit);
  return limit.rlim_cur;
}

int
bench_udp_socket (guint32  local_addr_be,
                  int      rcvbuf,
                  guint16 *port)
{
  struct sockaddr_in sa = { 0 };
  socklen_t len = sizeof sa;
  int fd = socket (AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

  if (fd < 0)
    return -1;
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = local_addr_be != 0 ? local_addr_be : htonl (INADDR_LOOPBACK);
  if (bind (fd, (struct sockaddr *) &sa, sizeof sa) < 0 ||
      getsockname (fd, (struct sockaddr *) &sa, &len) < 0)
    {
      close (fd);
      return -1;
    }
  if (rcvbuf > 0 && setsockopt (fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf) < 0)
    setsockopt (fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  *port = ntohs (sa.sin_port);
  return fd;
}

void
bench_sockaddr_loopback (struct sockaddr_in *sa,
                         guint16             port)
{
  memset (sa, 0, sizeof *sa);
  sa->sin_family = AF_INET;
  sa->sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  sa->sin_port = htons (port);
}

void
bench_pin_self (int cpu)
{
  cpu_set_t set;

  if (cpu < 0)
    return;
  CPU_ZERO (&set);
  CPU_SET (cpu, &set);
  sched_setaffinity (0, sizeof set, &set);
}

gint64
bench_now_us (void)
{
  return g_get_monotonic_time ();
}

static int
compare_doubles (const void *a,
                 const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return (x > y) - (x < y);
}

double
bench_median (double *values,
              guint   n)
{
  g_autofree double *sorted = NULL;

  if (n == 0)
    return 0;
  sorted = g_memdup2 (values, n * sizeof (double));
  qsort (sorted, n, sizeof (double), compare_doubles);
  return n % 2 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
}

double
bench_percentile (double *values,
                  guint   n,
                  double  p)
{
  g_autofree double *sorted = NULL;
  guint rank;

  if (n == 0)
    return 0;
  sorted = g_memdup2 (values, n * sizeof (double));
  qsort (sorted, n, sizeof (double), compare_doubles);
  rank = (guint) (p / 100.0 * n + 0.999999);
  rank = CLAMP (rank, 1, n);
  return sorted[rank - 1];
}

char *
bench_format_runs (const double *values,
                   guint         n,
                   int           decimals)
{
  GString *out = g_string_new (NULL);

  for (guint i = 0; i < n; i++)
    {
      if (i > 0)
        g_string_append_c (out, ' ');
      g_string_append_printf (out, "%.*f", decimals, values[i]);
    }
  return g_string_free (out, FALSE);
}
