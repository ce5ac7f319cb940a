/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "natter-application.h"
#include "natter-conversation-view.h"
#include "natter-test-util.h"
#include "natter-welcome.h"
#include "natter-window.h"

/* What the app's UI tests share: one application for the whole program, as
 * on a desktop, and per test a fresh natter-server, a first-run window, and
 * engine-only clients to talk to. */

#define WAIT_MS 10000

typedef struct
{
  NatterTestServer  *server;
  char              *address;
  NatterApplication *app;
  NatterWindow      *window;
  NatterClient      *bob;
  NatterClient      *carol;
  GHashTable        *bob_got;
} Fixture;

typedef struct
{
  GListModel *model;
  guint       n;
} CountCheck;

extern NatterApplication *the_app;

/* A template child of widget, which must be there. */
gpointer      child              (gpointer       widget,
                                  GType          type,
                                  const char    *name);
void          count_received     (NatterClient  *client,
                                  NatterPeer    *peer,
                                  NatterMessage *message,
                                  GHashTable    *counts);
gboolean      is_online          (gpointer       data);
NatterClient *engine_client      (Fixture       *f,
                                  const char    *id);
void          fixture_set_up     (Fixture       *f,
                                  gconstpointer  data);
void          fixture_tear_down  (Fixture       *f,
                                  gconstpointer  data);
const char   *visible_page       (GtkStack      *stack);
gboolean      app_online         (gpointer       data);
/* Fills the welcome page and connects as alice. */
void          connect_alice      (Fixture       *f);
gboolean      has_n_items        (gpointer       data);
gboolean      is_delivered       (gpointer       data);
gboolean      is_offline         (gpointer       data);
/* gtk_test_init (), a private data folder, a notification daemon if there
 * is one, and the_app, registered. Returns the daemon (or NULL). */
GSubprocess  *app_test_init      (int           *argc,
                                  char        ***argv);
