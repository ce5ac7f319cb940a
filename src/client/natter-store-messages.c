/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "natter-store"
#include "config.h"

#include "natter-store-private.h"

/* The messages of a conversation: adding (duplicates recognised), states,
 * pages, the outbox, search and clearing. */

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

  stmt = natter_store_prepare (store,
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
    return natter_store_fail (store, rc, error);
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

  stmt = natter_store_prepare (store,
                  "UPDATE messages SET state = ?3 "
                  "WHERE conversation = ?1 AND incoming = 0 AND id = ?2", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, peer_row);
  sqlite3_bind_int64 (stmt, 2, (gint64) message_id);
  sqlite3_bind_int (stmt, 3, state);
  return natter_store_run (store, stmt, error);
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
    return natter_store_fail (store, rc, error), NULL;
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

  stmt = natter_store_prepare (store,
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

  stmt = natter_store_prepare (store,
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
  stmt = natter_store_prepare (store,
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

  stmt = natter_store_prepare (store, "SELECT count(*) FROM messages WHERE conversation = ?1", NULL);
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

  stmt = natter_store_prepare (store, "DELETE FROM conversations WHERE row = ?1", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, peer_row);
  return natter_store_run (store, stmt, error);
}
