/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "natter-store"
#include "config.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <sqlite3.h>

#include "natter-id.h"
#include "natter-store.h"

struct _NatterStore
{
  gatomicrefcount  ref_count;
  char            *path;
  sqlite3         *db;
};

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

static gboolean
fail (NatterStore  *store,
      int           rc,
      GError      **error)
{
  g_set_error (error, NATTER_STORE_ERROR, error_code (rc), "%s: %s", store->path,
               sqlite3_errmsg (store->db));
  return FALSE;
}

static gboolean
exec (NatterStore  *store,
      const char   *sql,
      GError      **error)
{
  int rc = sqlite3_exec (store->db, sql, NULL, NULL, NULL);

  return rc == SQLITE_OK ? TRUE : fail (store, rc, error);
}

static sqlite3_stmt *
prepare (NatterStore  *store,
         const char   *sql,
         GError      **error)
{
  sqlite3_stmt *stmt = NULL;
  int rc = sqlite3_prepare_v2 (store->db, sql, -1, &stmt, NULL);

  if (rc != SQLITE_OK)
    {
      fail (store, rc, error);
      return NULL;
    }
  return stmt;
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (sqlite3_stmt, sqlite3_finalize)

/* Steps a statement that returns no rows. */
static gboolean
run (NatterStore   *store,
     sqlite3_stmt  *stmt,
     GError       **error)
{
  int rc = sqlite3_step (stmt);

  return rc == SQLITE_DONE ? TRUE : fail (store, rc, error);
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

  stmt = prepare (store, "SELECT count(*) FROM sqlite_master", error);
  if (stmt == NULL)
    return FALSE;
  rc = sqlite3_step (stmt);
  if (rc != SQLITE_ROW)
    return fail (store, rc, error);
  objects = sqlite3_column_int64 (stmt, 0);
  g_clear_pointer (&stmt, sqlite3_finalize);

  stmt = prepare (store, "PRAGMA user_version", error);
  if (stmt == NULL)
    return FALSE;
  rc = sqlite3_step (stmt);
  if (rc != SQLITE_ROW)
    return fail (store, rc, error);
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
  if (!exec (store, "BEGIN IMMEDIATE", error))
    return FALSE;
  for (int v = version; v < NATTER_STORE_SCHEMA_VERSION; v++)
    {
      g_autofree char *set = g_strdup_printf ("PRAGMA user_version = %d", v + 1);

      if (!exec (store, migrations[v], error) || !exec (store, set, error))
        {
          sqlite3_exec (store->db, "ROLLBACK", NULL, NULL, NULL);
          return FALSE;
        }
    }
  return exec (store, "COMMIT", error);
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
      fail (store, rc, error);
      return NULL;
    }
  sqlite3_extended_result_codes (store->db, FALSE);
  sqlite3_busy_timeout (store->db, 5000);
  if (!read_version (store, &version, error))
    return NULL;
  /* WAL: readers never wait for the writer; FULL: a message acknowledged
   * to its sender is on disk. */
  if (!exec (store, "PRAGMA journal_mode = WAL", error) ||
      !exec (store, "PRAGMA synchronous = FULL", error) ||
      !exec (store, "PRAGMA foreign_keys = ON", error) ||
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
  return exec (store, "BEGIN IMMEDIATE", error);
}

gboolean
natter_store_commit (NatterStore  *store,
                     GError      **error)
{
  if (exec (store, "COMMIT", error))
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

  stmt = prepare (store,
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
    return fail (store, rc, error), 0;
  row = sqlite3_column_int64 (stmt, 0);
  rc = sqlite3_step (stmt);
  if (rc != SQLITE_DONE)
    return fail (store, rc, error), 0;
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

  stmt = prepare (store,
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
    return fail (store, rc, error), NULL;
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

  stmt = prepare (store, "UPDATE conversations SET unread = ?2, marker = ?3 WHERE row = ?1", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, peer_row);
  sqlite3_bind_int64 (stmt, 2, unread);
  sqlite3_bind_int64 (stmt, 3, (gint64) marker);
  return run (store, stmt, error);
}

static gboolean
insert_message (NatterStore    *store,
                gint64          peer_row,
                NatterMessage  *message,
                gboolean       *duplicate,
                GError        **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  gint64 seq = 0;
  int rc;

  stmt = prepare (store,
                  "INSERT INTO messages (conversation, id, incoming, state, time, text) "
                  "VALUES (?1, ?2, ?3, ?4, ?5, ?6) "
                  "ON CONFLICT (conversation, incoming, id) DO NOTHING RETURNING seq", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, peer_row);
  sqlite3_bind_int64 (stmt, 2, (gint64) natter_message_get_id (message));
  sqlite3_bind_int (stmt, 3, natter_message_get_direction (message) == NATTER_MESSAGE_INCOMING);
  sqlite3_bind_int (stmt, 4, natter_message_get_state (message));
  sqlite3_bind_int64 (stmt, 5, natter_message_get_time (message));
  sqlite3_bind_text (stmt, 6, natter_message_get_text (message), -1, SQLITE_STATIC);
  /* RETURNING hands the row over before the statement commits: only
   * SQLITE_DONE says the message is written */
  rc = sqlite3_step (stmt);
  *duplicate = rc != SQLITE_ROW;
  if (rc == SQLITE_ROW)
    {
      seq = sqlite3_column_int64 (stmt, 0);
      rc = sqlite3_step (stmt);
    }
  if (rc != SQLITE_DONE)
    return fail (store, rc, error);
  if (!*duplicate)
    natter_message_set_seq (message, seq);
  return TRUE;
}

gboolean
natter_store_add_message (NatterStore   *store,
                          gint64         peer_row,
                          NatterMessage *message,
                          guint          unread,
                          guint64        marker,
                          gboolean      *duplicate,
                          GError       **error)
{
  gboolean dup = FALSE;

  g_return_val_if_fail (store != NULL && NATTER_IS_MESSAGE (message), FALSE);

  if (unread == 0)
    {
      if (!insert_message (store, peer_row, message, &dup, error))
        return FALSE;
    }
  else
    {
      if (!natter_store_begin (store, error))
        return FALSE;
      if (!insert_message (store, peer_row, message, &dup, error) ||
          (!dup && !natter_store_set_unread (store, peer_row, unread, marker, error)))
        {
          sqlite3_exec (store->db, "ROLLBACK", NULL, NULL, NULL);
          return FALSE;
        }
      if (!natter_store_commit (store, error))
        return FALSE;
    }
  if (duplicate != NULL)
    *duplicate = dup;
  return TRUE;
}

gboolean
natter_store_set_state (NatterStore         *store,
                        gint64               peer_row,
                        guint64              message_id,
                        NatterMessageState   state,
                        GError             **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;

  stmt = prepare (store,
                  "UPDATE messages SET state = ?3 "
                  "WHERE conversation = ?1 AND incoming = 0 AND id = ?2", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, peer_row);
  sqlite3_bind_int64 (stmt, 2, (gint64) message_id);
  sqlite3_bind_int (stmt, 3, state);
  return run (store, stmt, error);
}

/* Rows of (seq, id, incoming, state, time, text) as messages. */
static GPtrArray *
collect (NatterStore   *store,
         sqlite3_stmt  *stmt,
         gboolean       reverse,
         GError       **error)
{
  g_autoptr(GPtrArray) messages = g_ptr_array_new_with_free_func (g_object_unref);
  int rc;

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      int state = sqlite3_column_int (stmt, 3);
      NatterMessage *message;

      if (state < NATTER_MESSAGE_SENDING || state > NATTER_MESSAGE_QUEUED)
        state = NATTER_MESSAGE_FAILED;
      message = natter_message_new ((guint64) sqlite3_column_int64 (stmt, 1),
                                    sqlite3_column_int (stmt, 2) ? NATTER_MESSAGE_INCOMING
                                                                 : NATTER_MESSAGE_OUTGOING,
                                    (const char *) sqlite3_column_text (stmt, 5),
                                    sqlite3_column_int64 (stmt, 4), state);
      natter_message_set_seq (message, sqlite3_column_int64 (stmt, 0));
      g_ptr_array_add (messages, message);
    }
  if (rc != SQLITE_DONE)
    return fail (store, rc, error), NULL;
  if (reverse)
    for (guint i = 0, j = messages->len; i + 1 < j; i++, j--)
      {
        gpointer tmp = messages->pdata[i];

        messages->pdata[i] = messages->pdata[j - 1];
        messages->pdata[j - 1] = tmp;
      }
  return g_steal_pointer (&messages);
}

GPtrArray *
natter_store_load (NatterStore  *store,
                   gint64        peer_row,
                   gint64        before_seq,
                   guint         limit,
                   GError      **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;

  stmt = prepare (store,
                  "SELECT seq, id, incoming, state, time, text FROM messages "
                  "WHERE conversation = ?1 AND seq < ?2 ORDER BY seq DESC LIMIT ?3", error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, peer_row);
  sqlite3_bind_int64 (stmt, 2, before_seq > 0 ? before_seq : G_MAXINT64);
  sqlite3_bind_int64 (stmt, 3, limit);
  return collect (store, stmt, TRUE, error);
}

GPtrArray *
natter_store_outbox (NatterStore  *store,
                     gint64        peer_row,
                     GError      **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;

  stmt = prepare (store,
                  "SELECT seq, id, incoming, state, time, text FROM messages "
                  "WHERE conversation = ?1 AND incoming = 0 AND state IN (0, 5) ORDER BY seq",
                  error);
  if (stmt == NULL)
    return NULL;
  G_STATIC_ASSERT (NATTER_MESSAGE_SENDING == 0 && NATTER_MESSAGE_QUEUED == 5);
  sqlite3_bind_int64 (stmt, 1, peer_row);
  return collect (store, stmt, FALSE, error);
}

/* FTS5 query of the user's words: each one quoted (so nothing in it is
 * syntax), the last one a prefix, since it is often still being typed. */
static char *
match_expression (const char *query)
{
  g_auto(GStrv) words = g_strsplit_set (query, " \t\n\r", -1);
  g_autoptr(GString) out = g_string_new (NULL);
  const char *last = NULL;

  for (guint i = 0; words[i] != NULL; i++)
    if (*words[i] != '\0')
      last = words[i];
  for (guint i = 0; words[i] != NULL; i++)
    {
      if (*words[i] == '\0')
        continue;
      if (out->len > 0)
        g_string_append_c (out, ' ');
      g_string_append_c (out, '"');
      for (const char *p = words[i]; *p != '\0'; p++)
        {
          if (*p == '"')
            g_string_append_c (out, '"');
          g_string_append_c (out, *p);
        }
      g_string_append_c (out, '"');
      if (words[i] == last)
        g_string_append_c (out, '*');
    }
  return out->len > 0 ? g_string_free (g_steal_pointer (&out), FALSE) : NULL;
}

GPtrArray *
natter_store_search (NatterStore  *store,
                     gint64        peer_row,
                     const char   *query,
                     guint         limit,
                     GError      **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  g_autofree char *match = NULL;

  g_return_val_if_fail (query != NULL, NULL);

  match = match_expression (query);
  if (match == NULL)
    return g_ptr_array_new_with_free_func (g_object_unref);
  stmt = prepare (store,
                  "SELECT m.seq, m.id, m.incoming, m.state, m.time, m.text "
                  "FROM messages_text t JOIN messages m ON m.seq = t.rowid "
                  "WHERE messages_text MATCH ?2 AND m.conversation = ?1 "
                  "ORDER BY m.seq DESC LIMIT ?3", error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, peer_row);
  sqlite3_bind_text (stmt, 2, match, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 3, limit);
  return collect (store, stmt, FALSE, error);
}

gint64
natter_store_count (NatterStore *store,
                    gint64       peer_row)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;

  stmt = prepare (store, "SELECT count(*) FROM messages WHERE conversation = ?1", NULL);
  if (stmt == NULL)
    return -1;
  sqlite3_bind_int64 (stmt, 1, peer_row);
  if (sqlite3_step (stmt) != SQLITE_ROW)
    return -1;
  return sqlite3_column_int64 (stmt, 0);
}

gboolean
natter_store_clear (NatterStore  *store,
                    gint64        peer_row,
                    GError      **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;

  stmt = prepare (store, "DELETE FROM conversations WHERE row = ?1", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, peer_row);
  return run (store, stmt, error);
}
