/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "natter-store"
#include "config.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "natter-id.h"
#include "natter-store-private.h"

G_DEFINE_QUARK (natter-store-error-quark, natter_store_error)

/* Each entry takes the schema from version i to i + 1; an entry is never
 * changed once released, a new version appends one. */
static const char * const migrations[] = {
  "CREATE TABLE conversations ("
  "  row INTEGER PRIMARY KEY,"
  "  server TEXT NOT NULL,"
  "  peer_key TEXT NOT NULL,"
  "  peer_id TEXT NOT NULL,"
  "  unread INTEGER NOT NULL DEFAULT 0,"
  "  marker INTEGER NOT NULL DEFAULT 0,"
  "  UNIQUE (server, peer_key));"
  "CREATE TABLE messages ("
  "  seq INTEGER PRIMARY KEY,"
  "  conversation INTEGER NOT NULL REFERENCES conversations (row) ON DELETE CASCADE,"
  "  id INTEGER NOT NULL,"
  "  incoming INTEGER NOT NULL,"
  "  state INTEGER NOT NULL,"
  "  time INTEGER NOT NULL,"
  "  text TEXT NOT NULL,"
  "  UNIQUE (conversation, incoming, id));"
  "CREATE INDEX messages_by_conversation ON messages (conversation, seq);"
  "CREATE INDEX messages_outbox ON messages (conversation, seq)"
  "  WHERE incoming = 0 AND state IN (0, 5);"
  "CREATE VIRTUAL TABLE messages_text USING fts5 ("
  "  text, content = 'messages', content_rowid = 'seq',"
  "  tokenize = 'unicode61 remove_diacritics 2');"
  "CREATE TRIGGER messages_text_add AFTER INSERT ON messages BEGIN"
  "  INSERT INTO messages_text (rowid, text) VALUES (new.seq, new.text);"
  "END;"
  "CREATE TRIGGER messages_text_remove AFTER DELETE ON messages BEGIN"
  "  INSERT INTO messages_text (messages_text, rowid, text)"
  "    VALUES ('delete', old.seq, old.text);"
  "END;",
};

G_STATIC_ASSERT (G_N_ELEMENTS (migrations) == NATTER_STORE_SCHEMA_VERSION);

static NatterStoreError
error_code (int rc)
{
  switch (rc & 0xff)
    {
    case SQLITE_NOTADB:
    case SQLITE_CORRUPT:
      return NATTER_STORE_ERROR_CORRUPT;
    case SQLITE_READONLY:
    case SQLITE_PERM:
      return NATTER_STORE_ERROR_READ_ONLY;
    case SQLITE_CANTOPEN:
      return NATTER_STORE_ERROR_OPEN;
    default:
      return NATTER_STORE_ERROR_WRITE;
    }
}

gboolean
natter_store_fail (NatterStore  *store,
                   int           rc,
                   GError      **error)
{
  g_set_error (error, NATTER_STORE_ERROR, error_code (rc), "%s: %s", store->path,
               sqlite3_errmsg (store->db));
  return FALSE;
}

gboolean
natter_store_exec (NatterStore  *store,
                   const char   *sql,
                   GError      **error)
{
  int rc = sqlite3_exec (store->db, sql, NULL, NULL, NULL);

  return rc == SQLITE_OK ? TRUE : natter_store_fail (store, rc, error);
}

sqlite3_stmt *
natter_store_prepare (NatterStore  *store,
                      const char   *sql,
                      GError      **error)
{
  sqlite3_stmt *stmt = NULL;
  int rc = sqlite3_prepare_v2 (store->db, sql, -1, &stmt, NULL);

  if (rc != SQLITE_OK)
    {
      natter_store_fail (store, rc, error);
      return NULL;
    }
  return stmt;
}

gboolean
natter_store_run (NatterStore   *store,
                  sqlite3_stmt  *stmt,
                  GError       **error)
{
  int rc = sqlite3_step (stmt);

  return rc == SQLITE_DONE ? TRUE : natter_store_fail (store, rc, error);
}

char *
natter_store_profile_path (const char *profile)
{
  if (profile == NULL || *profile == '\0')
    profile = "default";
  return g_build_filename (g_get_user_data_dir (), "natter", profile, "history.sqlite", NULL);
}

/* The version of the file, checking first that it can be read at all; a
 * file that is not ours is never written. */
static gboolean
read_version (NatterStore  *store,
              int          *version,
              GError      **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  int rc;
  gint64 objects;

  stmt = natter_store_prepare (store, "SELECT count(*) FROM sqlite_master", error);
  if (stmt == NULL)
    return FALSE;
  rc = sqlite3_step (stmt);
  if (rc != SQLITE_ROW)
    return natter_store_fail (store, rc, error);
  objects = sqlite3_column_int64 (stmt, 0);
  g_clear_pointer (&stmt, sqlite3_finalize);

  stmt = natter_store_prepare (store, "PRAGMA user_version", error);
  if (stmt == NULL)
    return FALSE;
  rc = sqlite3_step (stmt);
  if (rc != SQLITE_ROW)
    return natter_store_fail (store, rc, error);
  *version = sqlite3_column_int (stmt, 0);
  if (*version == 0 && objects > 0)
    {
      g_set_error (error, NATTER_STORE_ERROR, NATTER_STORE_ERROR_CORRUPT,
                   "%s: not a Natter history", store->path);
      return FALSE;
    }
  if (*version > NATTER_STORE_SCHEMA_VERSION)
    {
      g_set_error (error, NATTER_STORE_ERROR, NATTER_STORE_ERROR_NEWER,
                   "%s: written by a newer version of Natter (schema %d)", store->path, *version);
      return FALSE;
    }
  return TRUE;
}

static gboolean
migrate (NatterStore  *store,
         int           version,
         GError      **error)
{
  if (version == NATTER_STORE_SCHEMA_VERSION)
    return TRUE;
  if (!natter_store_exec (store, "BEGIN IMMEDIATE", error))
    return FALSE;
  for (int v = version; v < NATTER_STORE_SCHEMA_VERSION; v++)
    {
      g_autofree char *set = g_strdup_printf ("PRAGMA user_version = %d", v + 1);

      if (!natter_store_exec (store, migrations[v], error) || !natter_store_exec (store, set, error))
        {
          sqlite3_exec (store->db, "ROLLBACK", NULL, NULL, NULL);
          return FALSE;
        }
    }
  return natter_store_exec (store, "COMMIT", error);
}

static gboolean
check_writable (const char  *path,
                GError     **error)
{
  g_autofree char *dir = g_path_get_dirname (path);

  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved = errno;

      g_set_error (error, NATTER_STORE_ERROR,
                   saved == EACCES || saved == EROFS ? NATTER_STORE_ERROR_READ_ONLY
                                                     : NATTER_STORE_ERROR_OPEN,
                   "%s: cannot make the folder: %s", dir, g_strerror (saved));
      return FALSE;
    }
  /* the write-ahead log lives beside the file */
  if (access (dir, W_OK) != 0 || (g_file_test (path, G_FILE_TEST_EXISTS) && access (path, W_OK) != 0))
    {
      g_set_error (error, NATTER_STORE_ERROR, NATTER_STORE_ERROR_READ_ONLY,
                   "%s: cannot be written: %s", path, g_strerror (errno));
      return FALSE;
    }
  return TRUE;
}

NatterStore *
natter_store_open (const char  *path,
                   GError     **error)
{
  g_autoptr(NatterStore) store = NULL;
  int version = 0;
  int rc;

  g_return_val_if_fail (path != NULL, NULL);

  if (!check_writable (path, error))
    return NULL;
  store = g_new0 (NatterStore, 1);
  g_atomic_ref_count_init (&store->ref_count);
  store->path = g_strdup (path);
  rc = sqlite3_open_v2 (path, &store->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
  if (rc != SQLITE_OK)
    {
      natter_store_fail (store, rc, error);
      return NULL;
    }
  sqlite3_extended_result_codes (store->db, FALSE);
  sqlite3_busy_timeout (store->db, 5000);
  if (!read_version (store, &version, error))
    return NULL;
  /* WAL: readers never wait for the writer; FULL: a message acknowledged
   * to its sender is on disk. */
  if (!natter_store_exec (store, "PRAGMA journal_mode = WAL", error) ||
      !natter_store_exec (store, "PRAGMA synchronous = FULL", error) ||
      !natter_store_exec (store, "PRAGMA foreign_keys = ON", error) ||
      !migrate (store, version, error))
    return NULL;
  return g_steal_pointer (&store);
}

NatterStore *
natter_store_ref (NatterStore *store)
{
  g_return_val_if_fail (store != NULL, NULL);
  g_atomic_ref_count_inc (&store->ref_count);
  return store;
}

void
natter_store_unref (NatterStore *store)
{
  if (store == NULL || !g_atomic_ref_count_dec (&store->ref_count))
    return;
  if (store->db != NULL)
    sqlite3_close_v2 (store->db);
  g_free (store->path);
  g_free (store);
}

const char *
natter_store_get_path (NatterStore *store)
{
  g_return_val_if_fail (store != NULL, NULL);
  return store->path;
}

gboolean
natter_store_begin (NatterStore  *store,
                    GError      **error)
{
  return natter_store_exec (store, "BEGIN IMMEDIATE", error);
}

gboolean
natter_store_commit (NatterStore  *store,
                     GError      **error)
{
  if (natter_store_exec (store, "COMMIT", error))
    return TRUE;
  sqlite3_exec (store->db, "ROLLBACK", NULL, NULL, NULL);
  return FALSE;
}

gint64
natter_store_peer_row (NatterStore  *store,
                       const char   *server,
                       const char   *peer_id,
                       GError      **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  g_autofree char *key = natter_id_key (peer_id);
  gint64 row;
  int rc;

  stmt = natter_store_prepare (store,
                  "INSERT INTO conversations (server, peer_key, peer_id) VALUES (?1, ?2, ?3) "
                  "ON CONFLICT (server, peer_key) DO UPDATE SET peer_id = ?3 "
                  "RETURNING row", error);
  if (stmt == NULL)
    return 0;
  sqlite3_bind_text (stmt, 1, server, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, key, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 3, peer_id, -1, SQLITE_STATIC);
  rc = sqlite3_step (stmt);
  if (rc != SQLITE_ROW)
    return natter_store_fail (store, rc, error), 0;
  row = sqlite3_column_int64 (stmt, 0);
  rc = sqlite3_step (stmt);
  if (rc != SQLITE_DONE)
    return natter_store_fail (store, rc, error), 0;
  return row;
}

void
natter_stored_peer_free (NatterStoredPeer *peer)
{
  if (peer == NULL)
    return;
  g_free (peer->id);
  g_free (peer);
}

GPtrArray *
natter_store_list_peers (NatterStore  *store,
                         const char   *server,
                         GError      **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  g_autoptr(GPtrArray) peers = g_ptr_array_new_with_free_func ((GDestroyNotify) natter_stored_peer_free);
  int rc;

  stmt = natter_store_prepare (store,
                  "SELECT c.row, c.peer_id, c.unread, c.marker, m.time FROM conversations c "
                  "JOIN messages m ON m.seq = "
                  "  (SELECT max (seq) FROM messages WHERE conversation = c.row) "
                  "WHERE c.server = ?1 ORDER BY m.time DESC", error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, server, -1, SQLITE_STATIC);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      NatterStoredPeer *peer = g_new0 (NatterStoredPeer, 1);

      peer->row = sqlite3_column_int64 (stmt, 0);
      peer->id = g_strdup ((const char *) sqlite3_column_text (stmt, 1));
      peer->unread = (guint) CLAMP (sqlite3_column_int64 (stmt, 2), 0, G_MAXUINT);
      peer->marker = (guint64) sqlite3_column_int64 (stmt, 3);
      peer->last_time = sqlite3_column_int64 (stmt, 4);
      g_ptr_array_add (peers, peer);
    }
  if (rc != SQLITE_DONE)
    return natter_store_fail (store, rc, error), NULL;
  return g_steal_pointer (&peers);
}

gboolean
natter_store_set_unread (NatterStore  *store,
                         gint64        peer_row,
                         guint         unread,
                         guint64       marker,
                         GError      **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;

  stmt = natter_store_prepare (store, "UPDATE conversations SET unread = ?2, marker = ?3 WHERE row = ?1", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, peer_row);
  sqlite3_bind_int64 (stmt, 2, unread);
  sqlite3_bind_int64 (stmt, 3, (gint64) marker);
  return natter_store_run (store, stmt, error);
}
