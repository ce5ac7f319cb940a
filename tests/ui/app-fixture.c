/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "app-fixture.h"

gpointer
child (gpointer    widget,
       GType       type,
       const char *name)
{
  gpointer found = gtk_widget_get_template_child (GTK_WIDGET (widget), type, name);

  g_assert_nonnull (found);
  return found;
}

void
count_received (NatterClient  *client,
                NatterPeer    *peer,
                NatterMessage *message,
                GHashTable    *counts)
{
  const char *text = natter_message_get_text (message);

  g_hash_table_insert (counts, g_strdup (text),
                       GUINT_TO_POINTER (GPOINTER_TO_UINT (g_hash_table_lookup (counts, text)) + 1));
}

gboolean
is_online (gpointer data)
{
  return data != NULL && natter_client_get_state (data) == NATTER_CLIENT_ONLINE;
}

NatterClient *
engine_client (Fixture    *f,
               const char *id)
{
  NatterClient *client = natter_client_new (id, f->address, 0, FALSE);

  natter_client_start (client);
  g_assert_true (natter_test_wait_until (is_online, client, WAIT_MS));
  return client;
}

/* One application for the whole program, as on a desktop; each test starts
 * from a first run: no settings, no window. */
NatterApplication *the_app;

void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  GSettings *settings;

  f->server = natter_test_server_start (NULL);
  f->address = g_strdup_printf ("127.0.0.1:%u", natter_test_server_port (f->server));
  f->app = g_object_ref (the_app);
  settings = natter_application_get_settings (f->app);
  g_settings_reset (settings, "id");
  g_settings_reset (settings, "server");
  g_settings_reset (settings, "classic");
  g_application_activate (G_APPLICATION (f->app));
  f->window = NATTER_WINDOW (gtk_application_get_active_window (GTK_APPLICATION (f->app)));
  g_assert_nonnull (f->window);
  f->bob_got = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}

void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  if (f->window != NULL)
    gtk_window_close (GTK_WINDOW (f->window));
  while (gtk_application_get_active_window (GTK_APPLICATION (f->app)) != NULL)
    g_main_context_iteration (NULL, FALSE);
  g_clear_object (&f->bob);
  g_clear_object (&f->carol);
  g_clear_object (&f->app);
  g_clear_pointer (&f->bob_got, g_hash_table_unref);
  g_clear_pointer (&f->server, natter_test_server_free);
  g_free (f->address);
}

const char *
visible_page (GtkStack *stack)
{
  return gtk_stack_get_visible_child_name (stack);
}

gboolean
app_online (gpointer data)
{
  return is_online (natter_application_get_client (data));
}

/* Fills the welcome page and connects as alice. */
void
connect_alice (Fixture *f)
{
  NatterWelcome *welcome = child (f->window, NATTER_TYPE_WINDOW, "welcome");
  GtkEditable *name = child (welcome, NATTER_TYPE_WELCOME, "name_entry");
  GtkEditable *server = child (welcome, NATTER_TYPE_WELCOME, "server_entry");
  GtkWidget *button = child (welcome, NATTER_TYPE_WELCOME, "connect_button");

  gtk_editable_set_text (name, "alice");
  gtk_editable_set_text (server, f->address);
  g_assert_true (gtk_widget_get_sensitive (button));
  g_signal_emit_by_name (button, "clicked");
  g_assert_true (natter_test_wait_until (app_online, f->app, WAIT_MS));
}

gboolean
has_n_items (gpointer data)
{
  CountCheck *check = data;

  return g_list_model_get_n_items (check->model) == check->n;
}

gboolean
is_delivered (gpointer data)
{
  return natter_message_get_state (data) == NATTER_MESSAGE_DELIVERED;
}

gboolean
is_offline (gpointer data)
{
  return !natter_peer_get_online (data);
}

/* A desktop shows notifications; so does this test's session, with the
 * real notification daemon, or the app is told not to send any. */
static GSubprocess *
start_notification_daemon (void)
{
  const char *daemon = "/usr/lib/notification-daemon/notification-daemon";
  g_autoptr(GDBusConnection) bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, NULL);
  GSubprocess *process;

  if (bus == NULL || !g_file_test (daemon, G_FILE_TEST_IS_EXECUTABLE))
    return NULL;
  process = g_subprocess_new (G_SUBPROCESS_FLAGS_NONE, NULL, daemon, NULL);
  for (guint i = 0; process != NULL && i < 100; i++)
    {
      g_autoptr(GVariant) reply =
        g_dbus_connection_call_sync (bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                     "org.freedesktop.DBus", "NameHasOwner",
                                     g_variant_new ("(s)", "org.freedesktop.Notifications"),
                                     G_VARIANT_TYPE ("(b)"), 0, -1, NULL, NULL);
      gboolean owned = FALSE;

      if (reply != NULL)
        g_variant_get (reply, "(b)", &owned);
      if (owned)
        return process;
      g_usleep (50000);
    }
  return process;
}

GSubprocess *
app_test_init (int    *argc,
               char ***argv)
{
  g_autofree char *data = g_dir_make_tmp ("natter-ui-data-XXXXXX", NULL);
  GSubprocess *notifications;

  /* the history goes to a folder of this run's own */
  g_assert_nonnull (data);
  g_setenv ("XDG_DATA_HOME", data, TRUE);
  gtk_test_init (argc, argv, NULL);
  notifications = start_notification_daemon ();
  the_app = natter_application_new ("uitest");
  g_application_set_flags (G_APPLICATION (the_app), G_APPLICATION_NON_UNIQUE);
  g_assert_true (g_application_register (G_APPLICATION (the_app), NULL, NULL));
  if (notifications == NULL)
    {
      g_test_message ("no notification daemon here: notifications off");
      g_settings_set_boolean (natter_application_get_settings (the_app), "notifications", FALSE);
    }
  return notifications;
}
