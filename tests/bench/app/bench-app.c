/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Benchmarks of the desktop app, on a real X server (Xvfb) and GTK's frame
 * clock: every run is a fresh process running the real NatterApplication
 * against a real natter-server on a free port, with its own profile and a
 * history written beforehand with NatterStore.
 *
 *   bench-app start [--runs=10] [--page=chat|welcome|both]
 *   bench-app peers [--peers=10000] [--runs=5] [--step=240] [--screenshot=PNG]
 *   bench-app conversation [--messages=100000] [--runs=5] [--frames=3000]
 *                          [--loaded=2050] [--step=80]
 *   bench-app smoke
 *
 * Run it under xvfb-run and dbus-run-session (docs/testing.md). */
#include "config.h"

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib/gstdio.h>

#include "bench-app.h"
#include "natter-id.h"
#include "natter-store.h"
#include "natter-test-util.h"

typedef struct
{
  guint        runs;
  const char  *page;
  guint        peers;
  guint        messages;
  guint        step;
  guint        frames;
  guint        loaded;
  const char  *screenshot;
} DriverOptions;

typedef struct
{
  char        *self;
  char        *data_home;
  char        *server;       /* host:port */
  NatterTestServer *process;
  gboolean     failed;
} Driver;

static const char * const names[] = {
  "alex", "bora", "chen", "dana", "eun-ji", "farid", "gwen", "hyun", "ivan", "jun",
  "kira", "lena", "min", "nora", "omar", "priya", "quinn", "rosa", "sven", "tae",
  "민준", "서연", "지우", "하은", "ula", "vik", "wren", "xia", "yusuf", "zoe",
};

static const char * const words[] = {
  "the", "plan", "works", "across", "every", "NAT", "we", "tried", "today", "lunch",
  "tomorrow", "sounds", "good", "punching", "through", "is", "fun", "안녕하세요", "relay",
  "server", "back", "online", "see", "you", "soon", "café", "at", "noon",
};

/* Varied lengths, as make-history writes them; every 500th has a link. */
static char *
text_for (guint64 i)
{
  GString *text = g_string_new (NULL);
  guint n = 2 + (guint) (i * 7919 % 23);

  for (guint w = 0; w < n; w++)
    g_string_append_printf (text, "%s%s", w > 0 ? " " : "",
                            words[(i * 31 + w * 17) % G_N_ELEMENTS (words)]);
  if (i % 500 == 0)
    g_string_append (text, " https://example.org/notes");
  return g_string_free (text, FALSE);
}

static char *
history_path (Driver     *driver,
              const char *profile)
{
  return g_build_filename (driver->data_home, "natter", profile, "history.sqlite", NULL);
}

static gboolean
add (NatterStore *store,
     gint64       row,
     guint64      i,
     gboolean     incoming,
     gint64       time_ms)
{
  g_autofree char *text = text_for (i);
  g_autoptr(NatterMessage) message =
    natter_message_new (((guint64) g_random_int () << 32) | (guint32) i,
                        incoming ? NATTER_MESSAGE_INCOMING : NATTER_MESSAGE_OUTGOING, text,
                        time_ms, incoming ? NATTER_MESSAGE_RECEIVED : NATTER_MESSAGE_DELIVERED);
  g_autoptr(GError) error = NULL;

  if (!natter_store_add_message (store, row, message, 0, 0, NULL, &error))
    {
      g_printerr ("bench-app: %s\n", error->message);
      return FALSE;
    }
  return TRUE;
}

/* n peers with a short conversation each (three messages; some unread),
 * the last ones spread over the past month. */
static gboolean
write_peers (Driver     *driver,
             const char *profile,
             guint       n)
{
  g_autofree char *path = history_path (driver, profile);
  g_autoptr(GError) error = NULL;
  g_autoptr(NatterStore) store = natter_store_open (path, &error);
  gint64 now = g_get_real_time () / 1000;

  if (store == NULL || !natter_store_begin (store, &error))
    {
      g_printerr ("bench-app: %s\n", error->message);
      return FALSE;
    }
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *id = g_strdup_printf ("%s%u", names[i % G_N_ELEMENTS (names)], i);
      gint64 last = now - (gint64) ((i * 7919u) % (30 * 24 * 60)) * 60000;
      gint64 row;

      g_assert (natter_id_validate (id, -1, NULL));
      row = natter_store_peer_row (store, driver->server, id, &error);
      if (row == 0)
        {
          g_printerr ("bench-app: %s\n", error->message);
          return FALSE;
        }
      for (guint m = 0; m < 3; m++)
        if (!add (store, row, (guint64) i * 3 + m, m != 1, last - (2 - m) * 90000))
          return FALSE;
      if (i % 7 == 0)
        natter_store_set_unread (store, row, 1 + i % 5, 0, NULL);
    }
  if (!natter_store_commit (store, &error))
    {
      g_printerr ("bench-app: %s\n", error->message);
      return FALSE;
    }
  return TRUE;
}

/* n messages with bob, alternately from and to him, one a minute up to now. */
static gboolean
write_conversation (Driver     *driver,
                    const char *profile,
                    guint       n)
{
  g_autofree char *path = history_path (driver, profile);
  g_autoptr(GError) error = NULL;
  g_autoptr(NatterStore) store = natter_store_open (path, &error);
  gint64 now = g_get_real_time () / 1000, row;

  if (store == NULL || (row = natter_store_peer_row (store, driver->server, "bob", &error)) == 0 ||
      !natter_store_begin (store, &error))
    {
      g_printerr ("bench-app: %s\n", error->message);
      return FALSE;
    }
  for (guint i = 1; i <= n; i++)
    if (!add (store, row, i, i % 2 == 1, now - (gint64) (n - i) * 60000))
      return FALSE;
  if (!natter_store_commit (store, &error))
    {
      g_printerr ("bench-app: %s\n", error->message);
      return FALSE;
    }
  return TRUE;
}

/* One run in a fresh process; its "key=value" lines, or NULL. */
static GHashTable *
run_child (Driver      *driver,
           const char  *kind,
           const char  *profile,
           const char  *server,
           const char **extra)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  g_auto(GStrv) lines = NULL;
  GHashTable *values;
  int status = 0;

  g_ptr_array_add (argv, g_strdup (driver->self));
  g_ptr_array_add (argv, g_strdup ("--child"));
  g_ptr_array_add (argv, g_strdup (kind));
  g_ptr_array_add (argv, g_strdup_printf ("--profile=%s", profile));
  if (server != NULL)
    g_ptr_array_add (argv, g_strdup_printf ("--server=%s", server));
  for (guint i = 0; extra != NULL && extra[i] != NULL; i++)
    g_ptr_array_add (argv, g_strdup (extra[i]));
  /* last, so that the time of the spawn itself counts */
  g_ptr_array_add (argv, g_strdup_printf ("--spawn-us=%" G_GINT64_FORMAT, g_get_monotonic_time ()));
  g_ptr_array_add (argv, NULL);

  if (!g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, NULL,
                     &status, &error))
    {
      g_printerr ("bench-app: %s\n", error->message);
      driver->failed = TRUE;
      return NULL;
    }
  values = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  lines = g_strsplit (out, "\n", 0);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      char *eq = strchr (lines[i], '=');

      if (eq != NULL)
        g_hash_table_insert (values, g_strndup (lines[i], eq - lines[i]), g_strdup (eq + 1));
    }
  if (!g_spawn_check_wait_status (status, &error) || g_hash_table_contains (values, "error"))
    {
      g_printerr ("bench-app: %s run failed: %s\n", kind,
                  g_hash_table_contains (values, "error")
                  ? (char *) g_hash_table_lookup (values, "error") : error->message);
      driver->failed = TRUE;
      g_hash_table_unref (values);
      return NULL;
    }
  return values;
}

static double
value_of (GHashTable *run,
          const char *key)
{
  const char *text = g_hash_table_lookup (run, key);

  return text != NULL ? g_ascii_strtod (text, NULL) : -1;
}

/* The median over the runs, and the runs themselves. */
static double
summarize (GPtrArray  *runs,
           const char *key,
           const char *label,
           const char *unit)
{
  g_autoptr(GArray) v = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GString) each = g_string_new (NULL);
  double median;

  for (guint i = 0; i < runs->len; i++)
    {
      double x = value_of (runs->pdata[i], key);

      g_array_append_val (v, x);
      g_string_append_printf (each, "%s%.1f", i > 0 ? " " : "", x);
    }
  if (v->len == 0)
    return -1;
  g_array_sort (v, bench_compare_doubles);
  median = v->len % 2 ? g_array_index (v, double, v->len / 2)
                      : (g_array_index (v, double, v->len / 2 - 1) +
                         g_array_index (v, double, v->len / 2)) / 2;
  printf ("  %-34s median %9.1f %-4s  min %9.1f  max %9.1f  [%s]\n", label, median, unit,
          g_array_index (v, double, 0), g_array_index (v, double, v->len - 1), each->str);
  return median;
}

static void
summarize_frames (GPtrArray *runs)
{
  summarize (runs, "frames", "frames", "");
  summarize (runs, "fps", "frames per second", "");
  summarize (runs, "work_p50", "frame work (update+layout+paint) p50", "ms");
  summarize (runs, "work_p95", "frame work p95", "ms");
  summarize (runs, "work_p99", "frame work p99", "ms");
  summarize (runs, "work_max", "frame work max", "ms");
  summarize (runs, "work_over", "frames with work over 16 ms", "");
  summarize (runs, "layout_p50", "layout (and update) p50", "ms");
  summarize (runs, "layout_p95", "layout (and update) p95", "ms");
  summarize (runs, "paint_p50", "paint (snapshot, render) p50", "ms");
  summarize (runs, "paint_p95", "paint (snapshot, render) p95", "ms");
  summarize (runs, "interval_p50", "frame interval p50", "ms");
  summarize (runs, "interval_p95", "frame interval p95", "ms");
  summarize (runs, "interval_p99", "frame interval p99", "ms");
  summarize (runs, "interval_max", "frame interval max", "ms");
  summarize (runs, "interval_over", "intervals over 25 ms (late frames)", "");
}

static void
print_run (guint       i,
           GHashTable *run,
           const char *keys)
{
  g_auto(GStrv) list = g_strsplit (keys, " ", 0);

  printf ("  run %u:", i + 1);
  for (guint k = 0; list[k] != NULL; k++)
    printf (" %s=%s", list[k],
            g_hash_table_contains (run, list[k]) ? (char *) g_hash_table_lookup (run, list[k]) : "-");
  printf ("\n");
}

static void
bench_start (Driver        *driver,
             DriverOptions *options,
             gboolean       warm_up)
{
  const char *pages[] = { "chat", "welcome" };

  for (guint p = 0; p < G_N_ELEMENTS (pages); p++)
    {
      g_autoptr(GPtrArray) runs = g_ptr_array_new_with_free_func ((GDestroyNotify) g_hash_table_unref);
      const char *server = p == 0 ? driver->server : NULL;
      g_autofree char *profile = g_strdup_printf ("bench-start-%s", pages[p]);

      if (!g_str_equal (options->page, "both") && !g_str_equal (options->page, pages[p]))
        continue;
      printf ("start to the first frame, %s page (%u runs%s):\n", pages[p], options->runs,
              warm_up ? ", after one not counted" : "");
      if (warm_up)
        {
          GHashTable *first = run_child (driver, "start", profile, server, NULL);

          if (first == NULL)
            return;
          g_hash_table_unref (first);
        }
      for (guint i = 0; i < options->runs; i++)
        {
          GHashTable *run = run_child (driver, "start", profile, server, NULL);

          if (run == NULL)
            return;
          print_run (i, run, "spawn_ms proc_ms main_ms startup_ms activate_ms rss_kib");
          g_ptr_array_add (runs, run);
        }
      summarize (runs, "spawn_ms", "spawn -> first frame", "ms");
      summarize (runs, "proc_ms", "process start -> first frame", "ms");
      summarize (runs, "main_ms", "main () -> first frame", "ms");
      summarize (runs, "startup_ms", "main () -> startup done", "ms");
      summarize (runs, "activate_ms", "main () -> window presented", "ms");
      summarize (runs, "rss_kib", "RSS at the first frame", "KiB");
    }
}

static const char *frame_keys =
  "items_before items_after frames fps work_p50 work_p95 work_p99 work_max work_over "
  "layout_p95 paint_p95 interval_p50 interval_p95 interval_p99 interval_over stalled "
  "rss_startup_kib rss_activate_kib rss_first_paint_kib rss_settled_kib rss_after_kib "
  "first_paint_ms slowest";

static void
bench_peers (Driver        *driver,
             DriverOptions *options)
{
  g_autoptr(GPtrArray) empty = g_ptr_array_new_with_free_func ((GDestroyNotify) g_hash_table_unref);
  g_autoptr(GPtrArray) full = g_ptr_array_new_with_free_func ((GDestroyNotify) g_hash_table_unref);
  g_autofree char *profile = g_strdup_printf ("bench-peers-%u", options->peers);
  g_autofree char *step = g_strdup_printf ("--step=%u", options->step);
  g_autofree char *frames = g_strdup_printf ("--max-frames=%u", options->frames);
  g_autofree char *expect = g_strdup_printf ("--expect-peers=%u", options->peers);
  g_autofree char *shot = options->screenshot != NULL
                          ? g_strdup_printf ("--screenshot=%s", options->screenshot) : NULL;
  const char *extra[] = { step, frames, expect, shot, NULL };
  double before, after;
  gint64 t0 = g_get_monotonic_time ();

  if (!write_peers (driver, profile, options->peers))
    {
      driver->failed = TRUE;
      return;
    }
  printf ("sidebar with %u peers (history written in %.1f s), scrolled top to bottom "
          "%u px a frame; %u runs each:\n", options->peers,
          (g_get_monotonic_time () - t0) / 1e6, options->step, options->runs);
  printf (" no peers:\n");
  for (guint i = 0; i < options->runs; i++)
    {
      GHashTable *run = run_child (driver, "peers", "bench-peers-none", driver->server, NULL);

      if (run == NULL)
        return;
      print_run (i, run, "rss_startup_kib rss_activate_kib rss_first_paint_kib rss_settled_kib "
                 "first_paint_ms");
      g_ptr_array_add (empty, run);
    }
  printf (" %u peers:\n", options->peers);
  for (guint i = 0; i < options->runs; i++)
    {
      GHashTable *run = run_child (driver, "peers", profile, driver->server, extra);

      if (run == NULL)
        return;
      print_run (i, run, frame_keys);
      g_ptr_array_add (full, run);
    }
  printf (" summary, no peers:\n");
  before = summarize (empty, "rss_settled_kib", "RSS, settled", "KiB");
  summarize (empty, "first_paint_ms", "main () -> first frame", "ms");
  printf (" summary, %u peers:\n", options->peers);
  after = summarize (full, "rss_settled_kib", "RSS, settled", "KiB");
  summarize (full, "rss_after_kib", "RSS after scrolling", "KiB");
  summarize (full, "first_paint_ms", "main () -> first frame", "ms");
  summarize (full, "online_ms", "main () -> online", "ms");
  summarize_frames (full);
  printf ("  RSS growth for %u peers (medians): %.1f MiB\n", options->peers,
          (after - before) / 1024.0);
}

static void
bench_conversation (Driver        *driver,
                    DriverOptions *options)
{
  g_autoptr(GPtrArray) runs = g_ptr_array_new_with_free_func ((GDestroyNotify) g_hash_table_unref);
  g_autofree char *profile = g_strdup_printf ("bench-conversation-%u", options->messages);
  g_autofree char *step = g_strdup_printf ("--step=%u", options->step);
  g_autofree char *frames = g_strdup_printf ("--max-frames=%u", options->frames);
  g_autofree char *target = g_strdup_printf ("--target=%u", options->loaded);
  const char *extra[] = { step, frames, target, NULL };
  gint64 t0 = g_get_monotonic_time ();

  if (!write_conversation (driver, profile, options->messages))
    {
      driver->failed = TRUE;
      return;
    }
  printf ("conversation of %u messages (written in %.1f s), scrolled up %u px a frame "
          "until %u are loaded or %u frames; %u runs:\n", options->messages,
          (g_get_monotonic_time () - t0) / 1e6, options->step, options->loaded,
          options->frames, options->runs);
  for (guint i = 0; i < options->runs; i++)
    {
      GHashTable *run = run_child (driver, "conversation", profile, driver->server, extra);

      if (run == NULL)
        return;
      print_run (i, run, frame_keys);
      g_ptr_array_add (runs, run);
    }
  printf (" summary:\n");
  summarize (runs, "items_before", "messages loaded when opened", "");
  summarize (runs, "items_after", "messages loaded at the end", "");
  summarize (runs, "stalled", "frames stuck at the top", "");
  summarize (runs, "rss_settled_kib", "RSS, conversation open", "KiB");
  summarize (runs, "rss_after_kib", "RSS after scrolling", "KiB");
  summarize_frames (runs);
}

static void
remove_tree (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
        remove_tree (child);
      else
        g_unlink (child);
    }
  g_rmdir (path);
}

static int
child_main (int    argc,
            char **argv,
            gint64 main_us)
{
  BenchRunOptions run = { 0 };
  g_autofree char *profile = NULL;
  g_autofree char *server = NULL;
  g_autofree char *screenshot = NULL;
  gint64 spawn_us = 0;
  int step = 0, max_frames = 3000, target = 0, expect = 0;
  GOptionEntry entries[] = {
    { "profile", 0, 0, G_OPTION_ARG_STRING, &profile, NULL, NULL },
    { "server", 0, 0, G_OPTION_ARG_STRING, &server, NULL, NULL },
    { "spawn-us", 0, 0, G_OPTION_ARG_INT64, &spawn_us, NULL, NULL },
    { "step", 0, 0, G_OPTION_ARG_INT, &step, NULL, NULL },
    { "max-frames", 0, 0, G_OPTION_ARG_INT, &max_frames, NULL, NULL },
    { "target", 0, 0, G_OPTION_ARG_INT, &target, NULL, NULL },
    { "expect-peers", 0, 0, G_OPTION_ARG_INT, &expect, NULL, NULL },
    { "screenshot", 0, 0, G_OPTION_ARG_FILENAME, &screenshot, NULL, NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new (NULL);
  g_autoptr(GError) error = NULL;

  /* "--child" is not an option of its own */
  argv[1] = argv[0];
  argc--;
  argv++;
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error) || argc != 2 || profile == NULL)
    {
      g_printerr ("bench-app: bad child arguments\n");
      return 2;
    }
  if (g_str_equal (argv[1], "start"))
    run.kind = BENCH_RUN_START;
  else if (g_str_equal (argv[1], "peers"))
    run.kind = BENCH_RUN_PEERS;
  else
    run.kind = BENCH_RUN_CONVERSATION;
  run.profile = profile;
  run.server = server;
  run.spawn_us = spawn_us;
  run.step_px = step > 0 ? (guint) step : 240;
  run.max_frames = max_frames > 0 ? (guint) max_frames : 3000;
  run.target_items = target > 0 ? (guint) target : G_MAXUINT;
  run.expect_peers = (guint) MAX (expect, 0);
  run.screenshot = screenshot;
  return bench_run_app (&run, main_us);
}

int
main (int   argc,
      char *argv[])
{
  gint64 main_us = g_get_monotonic_time ();
  DriverOptions options = { 0, "both", 10000, 100000, 0, 0, 2050, NULL };
  int runs = 0, peers = 10000, messages = 100000, step = 0, frames = 0, loaded = 2050;
  g_autofree char *page = NULL;
  g_autofree char *screenshot = NULL;
  GOptionEntry entries[] = {
    { "runs", 0, 0, G_OPTION_ARG_INT, &runs, "Runs (start: 10, else 5)", "N" },
    { "page", 0, 0, G_OPTION_ARG_STRING, &page, "start: chat, welcome or both", "PAGE" },
    { "peers", 0, 0, G_OPTION_ARG_INT, &peers, "peers: how many (10000)", "N" },
    { "messages", 0, 0, G_OPTION_ARG_INT, &messages, "conversation: its length (100000)", "N" },
    { "step", 0, 0, G_OPTION_ARG_INT, &step, "Pixels scrolled a frame (peers 240, conversation 80)", "PX" },
    { "frames", 0, 0, G_OPTION_ARG_INT, &frames, "At most this many frames (peers 10000, conversation 3000)", "N" },
    { "loaded", 0, 0, G_OPTION_ARG_INT, &loaded, "conversation: stop once this many are loaded (2050)", "N" },
    { "screenshot", 0, 0, G_OPTION_ARG_FILENAME, &screenshot, "peers: a screenshot halfway down", "PNG" },
    { NULL }
  };
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  Driver driver = { 0 };
  const char *mode;

  setlocale (LC_ALL, "");
  if (argc > 1 && g_str_equal (argv[1], "--child"))
    return child_main (argc, argv, main_us);

  context = g_option_context_new ("start|peers|conversation|smoke");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error) || argc != 2)
    {
      g_printerr ("usage: bench-app start|peers|conversation|smoke [OPTION…] (--help)\n");
      return 2;
    }
  mode = argv[1];
  if (g_getenv ("DISPLAY") == NULL)
    {
      g_printerr ("bench-app: no X display; run it under xvfb-run\n");
      return 77;
    }
  /* what the UI tests run with; the children inherit it */
  g_setenv ("GSETTINGS_BACKEND", "memory", FALSE);
  g_setenv ("GSETTINGS_SCHEMA_DIR", BENCH_APP_SCHEMA_DIR, FALSE);
  g_setenv ("GDK_BACKEND", "x11", FALSE);
  g_setenv ("GSK_RENDERER", "cairo", FALSE);
  g_setenv ("GTK_A11Y", "none", FALSE);
  g_setenv ("NO_AT_BRIDGE", "1", FALSE);
  g_setenv ("NATTER_SERVER", BENCH_APP_SERVER, FALSE);

  driver.self = g_file_read_link ("/proc/self/exe", NULL);
  driver.data_home = g_dir_make_tmp ("natter-bench-app-XXXXXX", &error);
  if (driver.self == NULL || driver.data_home == NULL)
    {
      g_printerr ("bench-app: cannot set up: %s\n", error != NULL ? error->message : argv[0]);
      return 1;
    }
  g_setenv ("XDG_DATA_HOME", driver.data_home, TRUE);
  driver.process = natter_test_server_start (NULL);
  driver.server = g_strdup_printf ("127.0.0.1:%u", natter_test_server_port (driver.process));

  options.page = page != NULL ? page : "both";
  options.peers = (guint) MAX (peers, 0);
  options.messages = (guint) MAX (messages, 1);
  options.loaded = (guint) MAX (loaded, 1);
  options.screenshot = screenshot;
  if (g_str_equal (mode, "start"))
    {
      options.runs = runs > 0 ? (guint) runs : 10;
      bench_start (&driver, &options, TRUE);
    }
  else if (g_str_equal (mode, "peers"))
    {
      options.runs = runs > 0 ? (guint) runs : 5;
      options.step = step > 0 ? (guint) step : 240;
      options.frames = frames > 0 ? (guint) frames : 10000;
      bench_peers (&driver, &options);
    }
  else if (g_str_equal (mode, "conversation"))
    {
      options.runs = runs > 0 ? (guint) runs : 5;
      options.step = step > 0 ? (guint) step : 80;
      options.frames = frames > 0 ? (guint) frames : 3000;
      bench_conversation (&driver, &options);
    }
  else if (g_str_equal (mode, "smoke"))
    {
      /* every path once, briefly: figures, no thresholds */
      options.runs = 1;
      bench_start (&driver, &options, FALSE);
      options.peers = 1000;
      options.step = 240;
      options.frames = 300;
      bench_peers (&driver, &options);
      options.messages = 5000;
      options.step = 80;
      options.frames = 200;
      options.loaded = 300;
      bench_conversation (&driver, &options);
    }
  else
    {
      g_printerr ("bench-app: unknown mode %s\n", mode);
      driver.failed = TRUE;
    }

  natter_test_server_free (driver.process);
  remove_tree (driver.data_home);
  g_free (driver.data_home);
  g_free (driver.server);
  g_free (driver.self);
  return driver.failed ? 1 : 0;
}
