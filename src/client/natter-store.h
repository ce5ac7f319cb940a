/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

#include "natter-message.h"

G_BEGIN_DECLS

/* The message history: one SQLite database per profile, shared by the app
 * and natter-cli. Conversations are keyed by server and peer (IDs compared
 * ignoring case), messages by conversation, direction and message id. */

#define NATTER_STORE_ERROR (natter_store_error_quark ())

typedef enum
{
  NATTER_STORE_ERROR_OPEN,      /* cannot open or create the file */
  NATTER_STORE_ERROR_CORRUPT,   /* not a Natter history, or damaged */
  NATTER_STORE_ERROR_READ_ONLY, /* the file or its folder cannot be written */
  NATTER_STORE_ERROR_NEWER,     /* written by a newer Natter */
  NATTER_STORE_ERROR_WRITE,     /* a write failed (e.g. the disk is full) */
} NatterStoreError;

#define NATTER_STORE_SCHEMA_VERSION 1

typedef struct _NatterStore NatterStore;

typedef struct
{
  gint64   row;
  char    *id;
  guint    unread;
  guint64  marker;     /* the first unread message's id, 0 if none */
  gint64   last_time;  /* newest message, Unix ms */
} NatterStoredPeer;

GQuark        natter_store_error_quark   (void);
/* $XDG_DATA_HOME/natter/PROFILE/history.sqlite ("default" when NULL) */
char         *natter_store_profile_path  (const char    *profile);
/* Opens (creating it and its folder when missing) and migrates. A file it
 * cannot read is reported and left exactly as it was. */
NatterStore  *natter_store_open          (const char    *path,
                                          GError       **error);
NatterStore  *natter_store_ref           (NatterStore   *store);
void          natter_store_unref         (NatterStore   *store);
const char   *natter_store_get_path      (NatterStore   *store);

/* Conversations of one server: the row of a peer, made on first use. */
gint64        natter_store_peer_row      (NatterStore   *store,
                                          const char    *server,
                                          const char    *peer_id,
                                          GError       **error);
/* Every conversation with a message on that server (NatterStoredPeer*). */
GPtrArray    *natter_store_list_peers    (NatterStore   *store,
                                          const char    *server,
                                          GError       **error);
gboolean      natter_store_set_unread    (NatterStore   *store,
                                          gint64         peer_row,
                                          guint          unread,
                                          guint64        marker,
                                          GError       **error);

/* Adds a message (setting its sequence number). An incoming message whose
 * id is stored already is a duplicate: *duplicate is set and nothing is
 * written. With unread > 0 the conversation's unread count and marker are
 * written in the same transaction. */
gboolean      natter_store_add_message   (NatterStore   *store,
                                          gint64         peer_row,
                                          NatterMessage *message,
                                          guint          unread,
                                          guint64        marker,
                                          gboolean      *duplicate,
                                          GError       **error);
gboolean      natter_store_set_state     (NatterStore   *store,
                                          gint64         peer_row,
                                          guint64        message_id,
                                          NatterMessageState state,
                                          GError       **error);
/* Up to limit messages older than before_seq (0: the newest), oldest
 * first (NatterMessage*). */
GPtrArray    *natter_store_load          (NatterStore   *store,
                                          gint64         peer_row,
                                          gint64         before_seq,
                                          guint          limit,
                                          GError       **error);
/* Outgoing messages not delivered yet (queued or sending), oldest first. */
GPtrArray    *natter_store_outbox        (NatterStore   *store,
                                          gint64         peer_row,
                                          GError       **error);
/* Messages whose text has every word of query (the last one as a prefix),
 * newest first. */
GPtrArray    *natter_store_search        (NatterStore   *store,
                                          gint64         peer_row,
                                          const char    *query,
                                          guint          limit,
                                          GError       **error);
gint64        natter_store_count         (NatterStore   *store,
                                          gint64         peer_row);
/* Forgets a conversation: its messages, unread count and marker. */
gboolean      natter_store_clear         (NatterStore   *store,
                                          gint64         peer_row,
                                          GError       **error);
void          natter_stored_peer_free    (NatterStoredPeer *peer);

/* Many writes as one transaction (much faster; for imports and tests). */
gboolean      natter_store_begin         (NatterStore   *store,
                                          GError       **error);
gboolean      natter_store_commit        (NatterStore   *store,
                                          GError       **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (NatterStore, natter_store_unref)

G_END_DECLS
