/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The message history on a real SQLite file in a temporary folder. */
#include "config.h"

#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <sqlite3.h>

#include "natter-store.h"

#define SERVER "chat.example:10080"

typedef struct
{
  char *dir;
  char *path;
} Fixture;

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data G_GNUC_UNUSED)
{
  f->dir = g_dir_make_tmp ("natter-store-XXXXXX", NULL);
  g_assert_nonnull (f->dir);
  f->path = g_build_filename (f->dir, "profile", "history.sqlite", NULL);
}

static void
remove_tree (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  if (d == NULL)
    return;
  while ((name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *child = g_build_filename (dir, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
        remove_tree (child);
      else
        g_unlink (child);
    }
  g_rmdir (dir);
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data G_GNUC_UNUSED)
{
  g_autofree char *mnt = g_build_filename (f->dir, "small", NULL);

  /* a failed full-disk test leaves its file system mounted */
  if (g_file_test (mnt, G_FILE_TEST_IS_DIR))
    umount2 (mnt, MNT_DETACH);
  remove_tree (f->dir);
  g_free (f->dir);
  g_free (f->path);
}

static NatterMessage *
message (guint64             id,
         gboolean            incoming,
         const char         *text,
         NatterMessageState  state)
{
  return natter_message_new (id, incoming ? NATTER_MESSAGE_INCOMING : NATTER_MESSAGE_OUTGOING,
                             text, 1700000000000 + (gint64) id, state);
}

static void
add (NatterStore  *store,
     gint64        row,
     guint64       id,
     gboolean      incoming,
     const char   *text)
{
  g_autoptr(NatterMessage) m = message (id, incoming, text,
                                        incoming ? NATTER_MESSAGE_RECEIVED : NATTER_MESSAGE_DELIVERED);
  g_autoptr(GError) error = NULL;
  gboolean duplicate = TRUE;

  g_assert_true (natter_store_add_message (store, row, m, 0, 0, &duplicate, &error));
  g_assert_no_error (error);
  g_assert_false (duplicate);
  g_assert_cmpint (natter_message_get_seq (m), >, 0);
}

static char *
checksum_of (const char *path)
{
  g_autofree char *contents = NULL;
  gsize len = 0;

  g_assert_true (g_file_get_contents (path, &contents, &len, NULL));
  return g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guchar *) contents, len);
}

static void
test_paging (Fixture       *f,
             gconstpointer  data G_GNUC_UNUSED)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NatterStore) store = natter_store_open (f->path, &error);
  gint64 row, before = 0;
  guint64 expected = 250;

  g_assert_no_error (error);
  row = natter_store_peer_row (store, SERVER, "bob", &error);
  g_assert_no_error (error);
  g_assert_true (natter_store_begin (store, &error));
  for (guint64 i = 1; i <= 250; i++)
    {
      g_autofree char *text = g_strdup_printf ("message %" G_GUINT64_FORMAT, i);

      add (store, row, i, i % 2 == 0, text);
    }
  g_assert_true (natter_store_commit (store, &error));
  g_assert_cmpint (natter_store_count (store, row), ==, 250);

  /* newest page first, each page oldest first, then older pages until none */
  for (guint page = 0; page < 6; page++)
    {
      g_autoptr(GPtrArray) messages = natter_store_load (store, row, before, 50, &error);

      g_assert_no_error (error);
      if (page == 5)
        {
          g_assert_cmpuint (messages->len, ==, 0);
          break;
        }
      g_assert_cmpuint (messages->len, ==, 50);
      for (guint i = 0; i < 50; i++)
        {
          NatterMessage *m = messages->pdata[49 - i];

          g_assert_cmpuint (natter_message_get_id (m), ==, expected - i);
          g_assert_cmpint (natter_message_get_direction (m), ==,
                           (expected - i) % 2 == 0 ? NATTER_MESSAGE_INCOMING : NATTER_MESSAGE_OUTGOING);
        }
      expected -= 50;
      before = natter_message_get_seq (messages->pdata[0]);
    }
}

static void
test_duplicates (Fixture       *f,
                 gconstpointer  data G_GNUC_UNUSED)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NatterStore) store = natter_store_open (f->path, &error);
  g_autoptr(NatterMessage) first = message (G_MAXUINT64, TRUE, "hello", NATTER_MESSAGE_RECEIVED);
  g_autoptr(NatterMessage) again = message (G_MAXUINT64, TRUE, "hello", NATTER_MESSAGE_RECEIVED);
  g_autoptr(NatterMessage) mine = message (G_MAXUINT64, FALSE, "my own", NATTER_MESSAGE_SENDING);
  gboolean duplicate = TRUE;
  gint64 row = natter_store_peer_row (store, SERVER, "bob", &error);

  g_assert_true (natter_store_add_message (store, row, first, 1, G_MAXUINT64, &duplicate, &error));
  g_assert_false (duplicate);
  /* the same incoming id again (a resend after a restart) is not stored twice */
  g_assert_true (natter_store_add_message (store, row, again, 2, 1, &duplicate, &error));
  g_assert_true (duplicate);
  g_assert_cmpint (natter_message_get_seq (again), ==, 0);
  /* an outgoing message may have the same id */
  g_assert_true (natter_store_add_message (store, row, mine, 0, 0, &duplicate, &error));
  g_assert_false (duplicate);
  g_assert_no_error (error);
  g_assert_cmpint (natter_store_count (store, row), ==, 2);

  {
    g_autoptr(GPtrArray) peers = natter_store_list_peers (store, SERVER, &error);
    NatterStoredPeer *peer;

    g_assert_cmpuint (peers->len, ==, 1);
    peer = peers->pdata[0];
    /* the duplicate changed neither the unread count nor the marker */
    g_assert_cmpuint (peer->unread, ==, 1);
    g_assert_cmpuint (peer->marker, ==, G_MAXUINT64);
  }
}

static void
test_peers (Fixture       *f,
            gconstpointer  data G_GNUC_UNUSED)
{
  g_autoptr(GError) error = NULL;
  NatterStore *store = natter_store_open (f->path, &error);
  gint64 bob, bob_again, carol, other_server;

  g_assert_no_error (error);
  bob = natter_store_peer_row (store, SERVER, "bob", &error);
  /* IDs are the same ignoring case; the newest spelling is kept */
  bob_again = natter_store_peer_row (store, SERVER, "Bob", &error);
  carol = natter_store_peer_row (store, SERVER, "캐롤", &error);
  other_server = natter_store_peer_row (store, "elsewhere:10080", "bob", &error);
  g_assert_no_error (error);
  g_assert_cmpint (bob, ==, bob_again);
  g_assert_cmpint (bob, !=, carol);
  g_assert_cmpint (bob, !=, other_server);
  add (store, bob, 1, TRUE, "hi");
  add (store, carol, 2, TRUE, "안녕");
  add (store, carol, 3, FALSE, "안녕하세요");
  add (store, other_server, 4, TRUE, "elsewhere");
  g_assert_true (natter_store_set_unread (store, carol, 1, 3, &error));
  natter_store_unref (store);

  /* it all survives closing and opening again */
  store = natter_store_open (f->path, &error);
  g_assert_no_error (error);
  {
    g_autoptr(GPtrArray) peers = natter_store_list_peers (store, SERVER, &error);
    NatterStoredPeer *first, *second;

    g_assert_cmpuint (peers->len, ==, 2);
    /* most recent conversation first */
    first = peers->pdata[0];
    second = peers->pdata[1];
    g_assert_cmpstr (first->id, ==, "캐롤");
    g_assert_cmpuint (first->unread, ==, 1);
    g_assert_cmpuint (first->marker, ==, 3);
    g_assert_cmpstr (second->id, ==, "Bob");
    g_assert_cmpuint (second->unread, ==, 0);
  }
  natter_store_unref (store);
}

static void
test_outbox (Fixture       *f,
             gconstpointer  data G_GNUC_UNUSED)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NatterStore) store = natter_store_open (f->path, &error);
  gint64 row = natter_store_peer_row (store, SERVER, "bob", &error);
  NatterMessageState states[] = { NATTER_MESSAGE_QUEUED, NATTER_MESSAGE_DELIVERED,
                                  NATTER_MESSAGE_SENDING, NATTER_MESSAGE_FAILED,
                                  NATTER_MESSAGE_QUEUED };
  g_autoptr(GPtrArray) outbox = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (states); i++)
    {
      g_autoptr(NatterMessage) m = message (100 + i, FALSE, "out", states[i]);

      g_assert_true (natter_store_add_message (store, row, m, 0, 0, NULL, &error));
    }
  add (store, row, 200, TRUE, "in");
  g_assert_true (natter_store_set_state (store, row, 104, NATTER_MESSAGE_DELIVERED, &error));
  g_assert_no_error (error);
  outbox = natter_store_outbox (store, row, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (outbox->len, ==, 2);
  g_assert_cmpuint (natter_message_get_id (outbox->pdata[0]), ==, 100);
  g_assert_cmpuint (natter_message_get_id (outbox->pdata[1]), ==, 102);
  g_assert_cmpint (natter_message_get_state (outbox->pdata[1]), ==, NATTER_MESSAGE_SENDING);
}

static guint
n_found (NatterStore *store,
         gint64       row,
         const char  *query)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) found = natter_store_search (store, row, query, 100, &error);

  g_assert_no_error (error);
  return found->len;
}

static void
test_search (Fixture       *f,
             gconstpointer  data G_GNUC_UNUSED)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NatterStore) store = natter_store_open (f->path, &error);
  gint64 bob = natter_store_peer_row (store, SERVER, "bob", &error);
  gint64 carol = natter_store_peer_row (store, SERVER, "carol", &error);
  g_autoptr(GPtrArray) found = NULL;

  g_assert_true (natter_store_begin (store, &error));
  for (guint64 i = 1; i <= 2000; i++)
    add (store, bob, i, i % 3 == 0, "nothing to see here");
  add (store, bob, 5000, TRUE, "Meet me at the Café at noon");
  add (store, bob, 5001, FALSE, "내일 도서관에서 만나요");
  add (store, bob, 5002, FALSE, "say \"hello\" OR NOT* (x)");
  add (store, carol, 6000, TRUE, "the café is closed");
  g_assert_true (natter_store_commit (store, &error));

  found = natter_store_search (store, bob, "cafe", 10, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (found->len, ==, 1);
  g_assert_cmpuint (natter_message_get_id (found->pdata[0]), ==, 5000);
  g_assert_cmpstr (natter_message_get_text (found->pdata[0]), ==, "Meet me at the Café at noon");
  /* every word, the last one as a prefix, in any case */
  g_assert_cmpuint (n_found (store, bob, "MEET noo"), ==, 1);
  g_assert_cmpuint (n_found (store, bob, "meet midnight"), ==, 0);
  g_assert_cmpuint (n_found (store, bob, "도서관에서"), ==, 1);
  g_assert_cmpuint (n_found (store, bob, "내일 도서"), ==, 1);
  /* the user's text is never query syntax */
  g_assert_cmpuint (n_found (store, bob, "\"hello\" OR"), ==, 1);
  g_assert_cmpuint (n_found (store, bob, "NOT* (x)"), ==, 1);
  g_assert_cmpuint (n_found (store, bob, "AND"), ==, 0);
  g_assert_cmpuint (n_found (store, bob, "   "), ==, 0);
  g_assert_cmpuint (n_found (store, bob, "see"), ==, 100);
  /* only this conversation */
  g_assert_cmpuint (n_found (store, carol, "meet"), ==, 0);
  g_assert_cmpuint (n_found (store, carol, "cafe"), ==, 1);
}

static void
test_clear (Fixture       *f,
            gconstpointer  data G_GNUC_UNUSED)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NatterStore) store = natter_store_open (f->path, &error);
  gint64 bob = natter_store_peer_row (store, SERVER, "bob", &error);
  gint64 carol = natter_store_peer_row (store, SERVER, "carol", &error);
  g_autoptr(GPtrArray) peers = NULL;

  add (store, bob, 1, TRUE, "secret plans");
  add (store, carol, 2, TRUE, "secret recipe");
  g_assert_true (natter_store_set_unread (store, bob, 1, 1, &error));
  g_assert_true (natter_store_clear (store, bob, &error));
  g_assert_no_error (error);
  g_assert_cmpint (natter_store_count (store, bob), ==, 0);
  g_assert_cmpuint (n_found (store, bob, "secret"), ==, 0);
  g_assert_cmpuint (n_found (store, carol, "secret"), ==, 1);
  peers = natter_store_list_peers (store, SERVER, &error);
  g_assert_cmpuint (peers->len, ==, 1);
  g_assert_cmpstr (((NatterStoredPeer *) peers->pdata[0])->id, ==, "carol");
  /* talking again starts a new conversation */
  bob = natter_store_peer_row (store, SERVER, "bob", &error);
  add (store, bob, 1, TRUE, "again");
  g_assert_cmpint (natter_store_count (store, bob), ==, 1);
}

/* A file that is not a history is reported and left exactly as it was. */
static void
assert_refused (const char *path,
                int         code)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *before = checksum_of (path);
  g_autofree char *after = NULL;
  g_autofree char *wal = g_strconcat (path, "-wal", NULL);
  NatterStore *store = natter_store_open (path, &error);

  g_assert_null (store);
  g_assert_error (error, NATTER_STORE_ERROR, code);
  /* the message names the file */
  g_assert_nonnull (strstr (error->message, path));
  after = checksum_of (path);
  g_assert_cmpstr (before, ==, after);
  g_assert_false (g_file_test (wal, G_FILE_TEST_EXISTS));
}

static void
test_corrupt (Fixture       *f,
              gconstpointer  data G_GNUC_UNUSED)
{
  g_autofree char *dir = g_path_get_dirname (f->path);
  guint8 garbage[8192];

  for (gsize i = 0; i < sizeof garbage; i++)
    garbage[i] = (guint8) (i * 7919 >> 3);
  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_assert_true (g_file_set_contents (f->path, (const char *) garbage, sizeof garbage, NULL));
  assert_refused (f->path, NATTER_STORE_ERROR_CORRUPT);
}

static void
test_damaged_history (Fixture       *f,
                      gconstpointer  data G_GNUC_UNUSED)
{
  g_autoptr(GError) error = NULL;
  NatterStore *store = natter_store_open (f->path, &error);
  g_autofree char *contents = NULL;
  gsize len;

  g_assert_no_error (error);
  add (store, natter_store_peer_row (store, SERVER, "bob", NULL), 1, TRUE, "hello");
  natter_store_unref (store);
  /* a real history whose header was overwritten */
  g_assert_true (g_file_get_contents (f->path, &contents, &len, NULL));
  g_assert_cmpuint (len, >=, 100);
  memset (contents, 'x', 100);
  g_assert_true (g_file_set_contents (f->path, contents, len, NULL));
  assert_refused (f->path, NATTER_STORE_ERROR_CORRUPT);
}

static void
sql (const char *path,
     const char *statements)
{
  sqlite3 *db = NULL;

  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, statements, NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);
}

static void
test_newer (Fixture       *f,
            gconstpointer  data G_GNUC_UNUSED)
{
  g_autoptr(GError) error = NULL;
  NatterStore *store = natter_store_open (f->path, &error);

  g_assert_no_error (error);
  natter_store_unref (store);
  sql (f->path, "PRAGMA journal_mode = DELETE; PRAGMA user_version = 99");
  assert_refused (f->path, NATTER_STORE_ERROR_NEWER);
}

static void
test_foreign_database (Fixture       *f,
                       gconstpointer  data G_GNUC_UNUSED)
{
  g_autofree char *other = g_build_filename (f->dir, "other.sqlite", NULL);

  /* some other program's database */
  sql (other, "CREATE TABLE accounts (name TEXT); INSERT INTO accounts VALUES ('x')");
  assert_refused (other, NATTER_STORE_ERROR_CORRUPT);
}

static void
test_unusable_folder (Fixture       *f,
                      gconstpointer  data G_GNUC_UNUSED)
{
  g_autofree char *file = g_build_filename (f->dir, "plain-file", NULL);
  g_autofree char *path = g_build_filename (file, "history.sqlite", NULL);
  g_autoptr(GError) error = NULL;

  /* the folder is a file: cannot be made */
  g_assert_true (g_file_set_contents (file, "x", 1, NULL));
  g_assert_null (natter_store_open (path, &error));
  g_assert_error (error, NATTER_STORE_ERROR, NATTER_STORE_ERROR_OPEN);
  g_assert_nonnull (strstr (error->message, file));
  g_clear_error (&error);

  if (geteuid () != 0)
    {
      g_autofree char *dir = g_build_filename (f->dir, "read-only", NULL);
      g_autofree char *ro = g_build_filename (dir, "history.sqlite", NULL);

      g_assert_cmpint (g_mkdir (dir, 0500), ==, 0);
      g_assert_null (natter_store_open (ro, &error));
      g_assert_error (error, NATTER_STORE_ERROR, NATTER_STORE_ERROR_READ_ONLY);
      g_chmod (dir, 0700);
    }
}

/* A full disk: the write fails with a clear error and everything written
 * before stays. Needs a small file system of its own (root). */
static void
test_full_disk (Fixture       *f,
                gconstpointer  data G_GNUC_UNUSED)
{
  g_autofree char *mnt = g_build_filename (f->dir, "small", NULL);
  g_autofree char *path = g_build_filename (mnt, "history.sqlite", NULL);
  g_autoptr(GError) error = NULL;
  NatterStore *store;
  gint64 row;
  guint64 written = 0;
  g_autofree char *big = g_strnfill (4000, 'x');

  g_assert_cmpint (g_mkdir (mnt, 0700), ==, 0);
  if (geteuid () != 0 || mount ("natter-test", mnt, "tmpfs", 0, "size=1m") != 0)
    {
      g_test_skip ("mounting a small file system needs root");
      return;
    }
  store = natter_store_open (path, &error);
  g_assert_no_error (error);
  row = natter_store_peer_row (store, SERVER, "bob", &error);
  for (guint64 i = 1; i < 1000; i++)
    {
      g_autoptr(NatterMessage) m = message (i, TRUE, big, NATTER_MESSAGE_RECEIVED);

      if (!natter_store_add_message (store, row, m, 0, 0, NULL, &error))
        break;
      written = i;
    }
  g_assert_error (error, NATTER_STORE_ERROR, NATTER_STORE_ERROR_WRITE);
  g_assert_nonnull (strstr (error->message, "full"));
  g_assert_cmpuint (written, >=, 10);
  natter_store_unref (store);
  g_clear_error (&error);

  store = natter_store_open (path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (natter_store_count (store, row), ==, written);
  natter_store_unref (store);
  g_assert_cmpint (umount (mnt), ==, 0);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("/store/paging", test_paging);
  ADD ("/store/duplicates", test_duplicates);
  ADD ("/store/peers", test_peers);
  ADD ("/store/outbox", test_outbox);
  ADD ("/store/search", test_search);
  ADD ("/store/clear", test_clear);
  ADD ("/store/refuse/corrupt", test_corrupt);
  ADD ("/store/refuse/damaged", test_damaged_history);
  ADD ("/store/refuse/newer", test_newer);
  ADD ("/store/refuse/foreign", test_foreign_database);
  ADD ("/store/refuse/folder", test_unusable_folder);
  ADD ("/store/full-disk", test_full_disk);
#undef ADD

  return g_test_run ();
}
