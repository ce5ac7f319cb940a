/* SPDX-License-Identifier: GPL-3.0-or-later */
/* How opening a conversation costs with its length: a history of N
 * messages with one peer is written to a temporary file, then a client
 * engine is given the history (which lists the peer and loads its newest
 * page) and the conversation's first page is read; time and the growth of
 * the resident set are printed, as medians of several rounds, for each N.
 * For contrast, the cost of reading the whole conversation at once.
 *
 *   bench-paging [N...]       (default: 10 1000 100000)
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib/gstdio.h>

#include "natter-client.h"
#include "natter-store.h"

#define ROUNDS 5

static gsize
rss_kib (void)
{
  g_autofree char *status = NULL;
  const char *line;

  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL) ||
      (line = strstr (status, "VmRSS:")) == NULL)
    return 0;
  return (gsize) g_ascii_strtoull (line + strlen ("VmRSS:"), NULL, 10);
}

static void
write_history (const char *path,
               guint       n)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NatterStore) store = natter_store_open (path, &error);
  gint64 row, now = g_get_real_time () / 1000;

  g_assert_no_error (error);
  row = natter_store_peer_row (store, "127.0.0.1:10080", "bob", &error);
  g_assert_true (natter_store_begin (store, &error));
  for (guint i = 1; i <= n; i++)
    {
      g_autofree char *text = g_strdup_printf ("message %u: a line of ordinary chat, "
                                               "about as long as most are", i);
      g_autoptr(NatterMessage) message =
        natter_message_new (((guint64) g_random_int () << 32) | i,
                            i % 2 ? NATTER_MESSAGE_INCOMING : NATTER_MESSAGE_OUTGOING,
                            text, now - (gint64) (n - i) * 1000,
                            i % 2 ? NATTER_MESSAGE_RECEIVED : NATTER_MESSAGE_DELIVERED);

      g_assert_true (natter_store_add_message (store, row, message, 0, 0, NULL, &error));
    }
  g_assert_true (natter_store_commit (store, &error));
}

static int
compare_doubles (gconstpointer a,
                 gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y;
}

static double
median (double *values)
{
  qsort (values, ROUNDS, sizeof (double), compare_doubles);
  return values[ROUNDS / 2];
}

/* One measurement in this fresh process: "open" (what the app does at
 * start and when the conversation opens) or "all" (reading the whole
 * conversation at once, as without paging). Prints "MS KIB LOADED". */
static int
measure_once (const char *path,
              const char *mode)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NatterStore) store = NULL;
  g_autoptr(NatterClient) client = NULL;
  g_autoptr(GPtrArray) all = NULL;
  gsize before = rss_kib ();
  gint64 start = g_get_monotonic_time ();
  guint loaded;

  store = natter_store_open (path, &error);
  g_assert_no_error (error);
  if (g_str_equal (mode, "open"))
    {
      NatterPeer *peer;

      client = natter_client_new ("alice", "127.0.0.1:10080", 0, FALSE);
      natter_client_set_history (client, store);
      peer = natter_client_lookup_peer (client, "bob");
      g_assert_nonnull (peer);
      /* the newest message is there; opening the conversation takes a page */
      natter_peer_load_older (peer, 49);
      loaded = g_list_model_get_n_items (natter_peer_get_conversation (peer));
    }
  else
    {
      all = natter_store_load (store, natter_store_peer_row (store, "127.0.0.1:10080", "bob", NULL),
                               0, G_MAXINT32, &error);
      g_assert_no_error (error);
      loaded = all->len;
    }
  printf ("%f %zu %u\n", (g_get_monotonic_time () - start) / 1000.0, rss_kib () - before, loaded);
  return 0;
}

static void
run_rounds (const char *self_path,
            const char *path,
            const char *mode,
            double     *ms,
            double     *kib,
            guint      *loaded)
{
  double ms_v[ROUNDS], kib_v[ROUNDS];

  for (guint r = 0; r < ROUNDS; r++)
    {
      const char *argv[] = { self_path, "--one", path, mode, NULL };
      g_autofree char *out = NULL;
      g_autoptr(GError) error = NULL;
      int status = 0;
      gsize k = 0;

      g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                                   &out, NULL, &status, &error));
      g_assert_no_error (error);
      g_assert_cmpint (status, ==, 0);
      g_assert_cmpint (sscanf (out, "%lf %zu %u", &ms_v[r], &k, loaded), ==, 3);
      kib_v[r] = (double) k;
    }
  *ms = median (ms_v);
  *kib = median (kib_v);
}

static void
measure (const char *self_path,
         const char *dir,
         guint       n)
{
  g_autofree char *path = g_strdup_printf ("%s/history-%u.sqlite", dir, n);
  double open_ms, open_kib, all_ms, all_kib;
  guint open_loaded, all_loaded;

  write_history (path, n);
  run_rounds (self_path, path, "open", &open_ms, &open_kib, &open_loaded);
  run_rounds (self_path, path, "all", &all_ms, &all_kib, &all_loaded);
  g_assert_cmpuint (all_loaded, ==, n);
  printf ("%9u messages: opened with %3u loaded in %7.2f ms, RSS +%6.0f KiB | "
          "all at once: %8.2f ms, RSS +%7.0f KiB\n",
          n, open_loaded, open_ms, open_kib, all_ms, all_kib);
  fflush (stdout);
  g_unlink (path);
  {
    g_autofree char *wal = g_strconcat (path, "-wal", NULL);
    g_autofree char *shm = g_strconcat (path, "-shm", NULL);

    g_unlink (wal);
    g_unlink (shm);
  }
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *dir = NULL;
  guint default_sizes[] = { 10, 1000, 100000 };

  if (argc == 4 && g_str_equal (argv[1], "--one"))
    return measure_once (argv[2], argv[3]);
  dir = g_dir_make_tmp ("natter-bench-paging-XXXXXX", NULL);
  g_assert_nonnull (dir);
  printf ("Opening a conversation: medians of %d runs, each in a fresh process "
          "(RSS growth of that process)\n", ROUNDS);
  if (argc > 1)
    for (int i = 1; i < argc; i++)
      measure (argv[0], dir, (guint) g_ascii_strtoull (argv[i], NULL, 10));
  else
    for (guint i = 0; i < G_N_ELEMENTS (default_sizes); i++)
      measure (argv[0], dir, default_sizes[i]);
  g_rmdir (dir);
  return 0;
}
