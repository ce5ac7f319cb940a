/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <locale.h>
#include <stdio.h>

#include "bench-common.h"
#include "natter-client.h"

/* Chat round trip between two real client engines in one process, on one
 * main context, over the direct loopback path: the time from
 * natter_client_send_message() until the sender's message turns
 * "delivered" (the peer's ACK arrived), one message at a time. */

typedef struct
{
  NatterClient *alice;
  NatterClient *bob;
} Pair;

static gboolean
run_until (gboolean (*condition) (gpointer),
           gpointer   data,
           guint      timeout_ms)
{
  gint64 end = g_get_monotonic_time () + timeout_ms * G_TIME_SPAN_MILLISECOND;

  while (!condition (data))
    {
      if (g_get_monotonic_time () > end)
        return FALSE;
      g_main_context_iteration (NULL, TRUE);
    }
  return TRUE;
}

static gboolean
both_see_each_other (gpointer data)
{
  Pair *pair = data;

  return natter_client_get_state (pair->alice) == NATTER_CLIENT_ONLINE &&
         natter_client_get_state (pair->bob) == NATTER_CLIENT_ONLINE &&
         natter_client_lookup_peer (pair->alice, "rttb") != NULL &&
         natter_client_lookup_peer (pair->bob, "rtta") != NULL;
}

static gboolean
is_done (gpointer data)
{
  NatterMessageState state = natter_message_get_state (data);

  return state != NATTER_MESSAGE_SENDING;
}

static void
on_state (NatterMessage *message,
          GParamSpec    *pspec,
          gint64        *when)
{
  if (*when == 0 && natter_message_get_state (message) != NATTER_MESSAGE_SENDING)
    *when = g_get_monotonic_time ();
}

/* One message there; its round trip in microseconds, or -1. */
static double
round_trip (NatterClient *from,
            const char   *to,
            guint         i)
{
  g_autofree char *text = g_strdup_printf ("round trip %u", i);
  g_autoptr(GError) error = NULL;
  NatterMessage *message;
  gint64 delivered = 0;
  gint64 start = g_get_monotonic_time ();

  message = natter_client_send_message (from, to, text, &error);
  if (message == NULL)
    {
      g_printerr ("natter-bench-rtt: %s\n", error->message);
      return -1;
    }
  g_signal_connect (message, "notify::state", G_CALLBACK (on_state), &delivered);
  if (!run_until (is_done, message, 10000) ||
      natter_message_get_state (message) != NATTER_MESSAGE_DELIVERED)
    {
      g_signal_handlers_disconnect_by_data (message, &delivered);
      return -1;
    }
  g_signal_handlers_disconnect_by_data (message, &delivered);
  if (delivered == 0)
    delivered = g_get_monotonic_time ();
  return (double) (delivered - start);
}

static const char *
path_name (NatterPathKind kind)
{
  switch (kind)
    {
    case NATTER_PATH_LAN: return "lan";
    case NATTER_PATH_DIRECT: return "direct";
    case NATTER_PATH_RELAY: return "relay";
    default: return "other";
    }
}

/* what the engine may have written under the temporary data directory */
static void
remove_tree (GFile *file)
{
  g_autoptr(GFile) owned = file;
  g_autoptr(GFileEnumerator) children =
    g_file_enumerate_children (file, G_FILE_ATTRIBUTE_STANDARD_NAME "," G_FILE_ATTRIBUTE_STANDARD_TYPE,
                               G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS, NULL, NULL);

  while (children != NULL)
    {
      GFileInfo *info = NULL;
      GFile *child = NULL;

      if (!g_file_enumerator_iterate (children, &info, &child, NULL, NULL) || info == NULL)
        break;
      if (g_file_info_get_file_type (info) == G_FILE_TYPE_DIRECTORY)
        remove_tree (g_object_ref (child));
      else
        g_file_delete (child, NULL, NULL);
    }
  g_file_delete (owned, NULL, NULL);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(BenchProcess) server = NULL;
  g_autofree char *server_exe = NULL;
  g_autofree char *address = NULL;
  g_autofree char *data_home = NULL;
  g_autofree double *medians = NULL;
  g_autofree double *p99s = NULL;
  g_autofree char *median_runs = NULL;
  g_autofree char *p99_runs = NULL;
  gint messages = 1000, runs = 5;
  Pair pair = { 0 };
  gboolean ok = TRUE;
  NatterPathKind path;
  const GOptionEntry entries[] = {
    { "messages", 'n', 0, G_OPTION_ARG_INT, &messages, "Messages per run (1000)", "N" },
    { "runs", 0, 0, G_OPTION_ARG_INT, &runs, "Runs; medians are printed (5)", "N" },
    { "server", 0, 0, G_OPTION_ARG_FILENAME, &server_exe, "natter-server to run", "PATH" },
    { NULL }
  };

  setlocale (LC_ALL, "");
  context = g_option_context_new ("- chat round trip between two client engines");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("natter-bench-rtt: %s\n", error->message);
      return 2;
    }
  messages = MAX (1, messages);
  runs = MAX (1, runs);
  setvbuf (stdout, NULL, _IOLBF, 0);

  /* whatever the engine keeps on disk stays out of the user's files */
  data_home = g_dir_make_tmp ("natter-bench-XXXXXX", NULL);
  g_setenv ("XDG_DATA_HOME", data_home, TRUE);
  g_setenv ("XDG_STATE_HOME", data_home, TRUE);
  g_setenv ("XDG_CACHE_HOME", data_home, TRUE);

  {
    const char *argv_server[] = { server_exe ? server_exe : NATTER_BENCH_SERVER,
                                  "--bind=127.0.0.1", "--port=0", NULL };

    server = bench_process_start (argv_server, -1, " port ", &error);
    if (server == NULL)
      {
        g_printerr ("natter-bench-rtt: %s\n", error->message);
        return 1;
      }
  }
  address = g_strdup_printf ("127.0.0.1:%u", bench_process_port (server));
  pair.alice = natter_client_new ("rtta", address, 0, FALSE);
  pair.bob = natter_client_new ("rttb", address, 0, FALSE);
  natter_client_start (pair.alice);
  natter_client_start (pair.bob);
  if (!run_until (both_see_each_other, &pair, 15000))
    {
      g_printerr ("natter-bench-rtt: the two clients did not see each other\n");
      return 1;
    }
  /* the first messages wait for the introduction and the punching */
  for (guint i = 0; i < 20; i++)
    if (round_trip (pair.alice, "rttb", i) < 0)
      {
        g_printerr ("natter-bench-rtt: a warm-up message was not delivered\n");
        return 1;
      }
  path = natter_peer_get_path (natter_client_lookup_peer (pair.alice, "rttb"));

  medians = g_new0 (double, runs);
  p99s = g_new0 (double, runs);
  for (gint run = 0; run < runs; run++)
    {
      g_autofree double *times = g_new0 (double, messages);
      guint failed = 0;

      for (gint i = 0; i < messages; i++)
        {
          times[i] = round_trip (pair.alice, "rttb", i);
          if (times[i] < 0)
            {
              failed++;
              times[i] = 10e6;
            }
        }
      medians[run] = bench_median (times, messages) / 1000;
      p99s[run] = bench_percentile (times, messages, 99) / 1000;
      g_print ("rtt run %d: %d messages over the %s path: median %.3f ms, 99th percentile "
               "%.3f ms, min %.3f ms, max %.3f ms, not delivered %u\n",
               run + 1, messages, path_name (path), medians[run], p99s[run],
               bench_percentile (times, messages, 0) / 1000,
               bench_percentile (times, messages, 100) / 1000, failed);
      if (failed > 0)
        ok = FALSE;
    }
  median_runs = bench_format_runs (medians, runs, 3);
  p99_runs = bench_format_runs (p99s, runs, 3);
  g_print ("rtt: %d messages per run, median of %d runs: median %.3f ms [%s], 99th percentile "
           "%.3f ms [%s]%s\n",
           messages, runs, bench_median (medians, runs), median_runs,
           bench_median (p99s, runs), p99_runs, ok ? "" : " (MESSAGES LOST)");

  natter_client_stop (pair.alice);
  natter_client_stop (pair.bob);
  g_clear_object (&pair.alice);
  g_clear_object (&pair.bob);
  bench_process_stop (server, 5000);
  remove_tree (g_file_new_for_path (data_home));
  return ok ? 0 : 1;
}
