/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <sqlite3.h>

#include "natter-store.h"

G_BEGIN_DECLS

/* What natter-store.c (the file, its schema, conversations) and
 * natter-store-messages.c (messages, search) share. */

struct _NatterStore
{
  gatomicrefcount  ref_count;
  char            *path;
  sqlite3         *db;
};

G_DEFINE_AUTOPTR_CLEANUP_FUNC (sqlite3_stmt, sqlite3_finalize)

/* Sets error from the database's last error (rc says which kind); FALSE. */
gboolean      natter_store_fail    (NatterStore   *store,
                                    int            rc,
                                    GError       **error);
gboolean      natter_store_exec    (NatterStore   *store,
                                    const char    *sql,
                                    GError       **error);
sqlite3_stmt *natter_store_prepare (NatterStore   *store,
                                    const char    *sql,
                                    GError       **error);
/* Steps a statement that returns no rows. */
gboolean      natter_store_run     (NatterStore   *store,
                                    sqlite3_stmt  *stmt,
                                    GError       **error);

G_END_DECLS
