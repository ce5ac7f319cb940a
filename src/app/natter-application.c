/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "natter"
#include "config.h"

#include <glib/gi18n.h>

#include "natter-application.h"
#include "natter-portal.h"
#include "natter-preferences.h"
#include "natter-resources.h"
#include "natter-window.h"

struct _NatterApplication
{
  GtkApplication  parent_instance;

  char           *profile;
  GSettings      *settings;
  NatterClient   *client;
  char           *server_override;
  char           *id_override;
  GtkWidget      *preferences;
  NatterStore    *store;
  GError         *history_error;
};

G_DEFINE_FINAL_TYPE (NatterApplication, natter_application, GTK_TYPE_APPLICATION)

static NatterWindow *
main_window (NatterApplication *self)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (self));

  return NATTER_IS_WINDOW (window) ? NATTER_WINDOW (window) : NULL;
}

static char *
notification_id (NatterPeer *peer)
{
  return g_strdup_printf ("message-%s", natter_peer_get_id (peer));
}

/* A message is read at once when its conversation is in view in a focused
 * window; otherwise it counts as unread and, if wanted, notifies. */
static void
on_message_received (NatterClient      *client,
                     NatterPeer        *peer,
                     NatterMessage     *message,
                     NatterApplication *self)
{
  NatterWindow *window = main_window (self);
  g_autoptr(GNotification) notification = NULL;
  g_autofree char *id = NULL;

  if (window != NULL && gtk_window_is_active (GTK_WINDOW (window)) &&
      natter_window_get_current_peer (window) == peer)
    {
      natter_peer_mark_read (peer);
      return;
    }
  if (!g_settings_get_boolean (self->settings, "notifications"))
    return;
  notification = g_notification_new (natter_peer_get_id (peer));
  g_notification_set_body (notification, natter_message_get_text (message));
  g_notification_set_default_action_and_target (notification, "app.open-conversation", "s",
                                                natter_peer_get_id (peer));
  id = notification_id (peer);
  g_application_send_notification (G_APPLICATION (self), id, notification);
}

void
natter_application_conversation_shown (NatterApplication *self,
                                       NatterPeer        *peer)
{
  g_autofree char *id = notification_id (peer);

  natter_peer_mark_read (peer);
  g_application_withdraw_notification (G_APPLICATION (self), id);
}

static void
on_window_active (NatterWindow      *window,
                  GParamSpec        *pspec,
                  NatterApplication *self)
{
  NatterPeer *peer = natter_window_get_current_peer (window);

  if (peer != NULL && gtk_window_is_active (GTK_WINDOW (window)))
    natter_application_conversation_shown (self, peer);
}

/* Closing the window says goodbye at once: peers see the exit now, not
 * when the server times us out. */
static gboolean
on_close_request (GtkWindow         *window,
                  NatterApplication *self)
{
  if (self->client != NULL)
    natter_client_stop (self->client);
  return FALSE;
}

void
natter_application_connect (NatterApplication *self)
{
  g_autofree char *id = NULL;
  g_autofree char *server = NULL;
  NatterWindow *window = main_window (self);

  g_return_if_fail (NATTER_IS_APPLICATION (self));

  if (self->client != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->client, self);
      natter_client_stop (self->client);
      g_clear_object (&self->client);
    }
  id = self->id_override != NULL ? g_strdup (self->id_override)
                                 : g_settings_get_string (self->settings, "id");
  server = self->server_override != NULL ? g_strdup (self->server_override)
                                         : g_settings_get_string (self->settings, "server");
  if (*id != '\0' && *server != '\0')
    {
      self->client = natter_client_new (id, server, NATTER_CLIENT_DEFAULT_PORT,
                                        g_settings_get_boolean (self->settings, "classic"));
      if (self->store != NULL)
        natter_client_set_history (self->client, self->store);
      g_signal_connect (self->client, "message-received", G_CALLBACK (on_message_received), self);
      natter_client_start (self->client);
    }
  if (window != NULL)
    natter_window_set_client (window, self->client);
}

static void
on_settings_changed (GSettings         *settings,
                     const char        *key,
                     NatterApplication *self)
{
  /* a new name, server or protocol is a new connection; what the user
   * typed beats what the command line said at start */
  if (g_str_equal (key, "id"))
    g_clear_pointer (&self->id_override, g_free);
  else if (g_str_equal (key, "server"))
    g_clear_pointer (&self->server_override, g_free);
  else if (!g_str_equal (key, "classic"))
    return;
  natter_application_connect (self);
}

void
natter_application_configure (NatterApplication *self,
                              const char        *id,
                              const char        *server,
                              gboolean           classic)
{
  g_return_if_fail (NATTER_IS_APPLICATION (self));

  /* three keys, one reconnection */
  g_signal_handlers_block_by_func (self->settings, on_settings_changed, self);
  g_settings_set_string (self->settings, "id", id);
  g_settings_set_string (self->settings, "server", server);
  g_settings_set_boolean (self->settings, "classic", classic);
  g_signal_handlers_unblock_by_func (self->settings, on_settings_changed, self);
  g_clear_pointer (&self->id_override, g_free);
  g_clear_pointer (&self->server_override, g_free);
  natter_application_connect (self);
}

static void
quit_activated (GSimpleAction *action,
                GVariant      *param,
                gpointer       user_data)
{
  g_application_quit (G_APPLICATION (user_data));
}

static void
preferences_activated (GSimpleAction *action,
                       GVariant      *param,
                       gpointer       user_data)
{
  NatterApplication *self = user_data;

  /* one preferences window at a time */
  if (self->preferences == NULL)
    {
      self->preferences = natter_preferences_new (GTK_WINDOW (main_window (self)),
                                                  self->settings);
      g_object_add_weak_pointer (G_OBJECT (self->preferences), (gpointer *) &self->preferences);
    }
  gtk_window_present (GTK_WINDOW (self->preferences));
}

static void
about_activated (GSimpleAction *action,
                 GVariant      *param,
                 gpointer       user_data)
{
  NatterApplication *self = user_data;
  const char *authors[] = { _("The Natter developers"), NULL };

  gtk_show_about_dialog (GTK_WINDOW (main_window (self)),
                         "program-name", _("Natter"),
                         "logo-icon-name", APP_ID,
                         "version", PACKAGE_VERSION,
                         "comments", _("Peer-to-peer chat that works across NATs"),
                         "authors", authors,
                         "license-type", GTK_LICENSE_GPL_3_0,
                         "translator-credits", _("translator-credits"),
                         NULL);
}

static void
open_conversation_activated (GSimpleAction *action,
                             GVariant      *param,
                             gpointer       user_data)
{
  NatterApplication *self = user_data;
  NatterWindow *window;

  g_application_activate (G_APPLICATION (self));
  window = main_window (self);
  if (window != NULL)
    natter_window_open_conversation (window, g_variant_get_string (param, NULL));
}

static const GActionEntry app_actions[] = {
  { "quit", quit_activated },
  { "preferences", preferences_activated },
  { "about", about_activated },
  { "open-conversation", open_conversation_activated, "s" },
};

static void
natter_application_startup (GApplication *app)
{
  NatterApplication *self = NATTER_APPLICATION (app);
  const char *quit_accels[] = { "<Control>q", NULL };
  const char *prefs_accels[] = { "<Control>comma", NULL };
  const char *help_accels[] = { "<Control>question", NULL };
  g_autoptr(GtkCssProvider) css = gtk_css_provider_new ();
  g_autofree char *path = NULL;
  g_autofree char *history = NULL;

  G_APPLICATION_CLASS (natter_application_parent_class)->startup (app);

  g_action_map_add_action_entries (G_ACTION_MAP (app), app_actions, G_N_ELEMENTS (app_actions),
                                   app);
  gtk_application_set_accels_for_action (GTK_APPLICATION (app), "app.quit", quit_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (app), "app.preferences",
                                         prefs_accels);
  /* what GtkApplication sets when it finds gtk/help-overlay.ui, which the
   * window now builds itself */
  gtk_application_set_accels_for_action (GTK_APPLICATION (app), "win.show-help-overlay",
                                         help_accels);

  gtk_css_provider_load_from_resource (css, RESOURCE_PATH "/style.css");
  gtk_style_context_add_provider_for_display (gdk_display_get_default (),
                                              GTK_STYLE_PROVIDER (css),
                                              GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
  natter_portal_follow_color_scheme (gtk_settings_get_default ());

  /* every profile keeps its own settings */
  if (self->profile != NULL && *self->profile != '\0')
    path = g_strdup_printf ("%sprofiles/%s/", SCHEMA_PATH, self->profile);
  else
    path = g_strdup (SCHEMA_PATH);
  self->settings = g_settings_new_with_path (APP_ID, path);
  g_signal_connect (self->settings, "changed", G_CALLBACK (on_settings_changed), self);

  /* and its own history; without one the app still chats, and says so */
  history = natter_store_profile_path (self->profile);
  self->store = natter_store_open (history, &self->history_error);
  if (self->store == NULL)
    g_printerr ("natter: cannot open the message history: %s\n", self->history_error->message);
}

static void
natter_application_activate (GApplication *app)
{
  NatterApplication *self = NATTER_APPLICATION (app);
  NatterWindow *window = main_window (self);

  if (window == NULL)
    {
      window = natter_window_new (self);
      g_settings_bind (self->settings, "window-width", window, "default-width",
                       G_SETTINGS_BIND_DEFAULT);
      g_settings_bind (self->settings, "window-height", window, "default-height",
                       G_SETTINGS_BIND_DEFAULT);
      g_signal_connect (window, "notify::is-active", G_CALLBACK (on_window_active), self);
      g_signal_connect (window, "close-request", G_CALLBACK (on_close_request), self);
      natter_application_connect (self);
    }
  gtk_window_present (GTK_WINDOW (window));
}

static int
natter_application_handle_local_options (GApplication *app,
                                         GVariantDict *options)
{
  NatterApplication *self = NATTER_APPLICATION (app);

  if (g_variant_dict_contains (options, "version"))
    {
      g_print ("natter %s\n", PACKAGE_VERSION);
      return 0;
    }
  g_variant_dict_lookup (options, "server", "s", &self->server_override);
  g_variant_dict_lookup (options, "id", "s", &self->id_override);
  return -1;
}

static void
natter_application_shutdown (GApplication *app)
{
  NatterApplication *self = NATTER_APPLICATION (app);

  /* closing the window says goodbye: peers see the exit at once */
  if (self->client != NULL)
    natter_client_stop (self->client);
  G_APPLICATION_CLASS (natter_application_parent_class)->shutdown (app);
}

static void
natter_application_finalize (GObject *object)
{
  NatterApplication *self = NATTER_APPLICATION (object);

  g_clear_object (&self->client);
  g_clear_object (&self->settings);
  g_clear_pointer (&self->store, natter_store_unref);
  g_clear_error (&self->history_error);
  g_free (self->profile);
  g_free (self->server_override);
  g_free (self->id_override);
  G_OBJECT_CLASS (natter_application_parent_class)->finalize (object);
}

static void
natter_application_class_init (NatterApplicationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  object_class->finalize = natter_application_finalize;
  app_class->startup = natter_application_startup;
  app_class->activate = natter_application_activate;
  app_class->handle_local_options = natter_application_handle_local_options;
  app_class->shutdown = natter_application_shutdown;
}

static void
natter_application_init (NatterApplication *self)
{
  const GOptionEntry options[] = {
    { "profile", 0, 0, G_OPTION_ARG_STRING, NULL,
      N_("Run a separate identity with its own settings and data"), N_("NAME") },
    { "server", 0, 0, G_OPTION_ARG_STRING, NULL,
      N_("Connect to this server for this run"), N_("HOST[:PORT]") },
    { "id", 0, 0, G_OPTION_ARG_STRING, NULL, N_("Use this name for this run"), N_("ID") },
    { "version", 0, 0, G_OPTION_ARG_NONE, NULL, N_("Print the version and exit"), NULL },
    { NULL }
  };

  /* referencing the bundle keeps the static library's registration */
  (void) natter_get_resource ();
  g_application_add_main_option_entries (G_APPLICATION (self), options);
}

NatterApplication *
natter_application_new (const char *profile)
{
  NatterApplication *self;
  gboolean separate = profile != NULL && *profile != '\0';

  /* A second profile is a second, independent program on the same desktop. */
  self = g_object_new (NATTER_TYPE_APPLICATION,
                       "application-id", APP_ID,
                       "flags", separate ? G_APPLICATION_NON_UNIQUE : G_APPLICATION_DEFAULT_FLAGS,
                       "resource-base-path", RESOURCE_PATH,
                       NULL);
  self->profile = g_strdup (profile);
  return self;
}

NatterClient *
natter_application_get_client (NatterApplication *self)
{
  g_return_val_if_fail (NATTER_IS_APPLICATION (self), NULL);
  return self->client;
}

GSettings *
natter_application_get_settings (NatterApplication *self)
{
  g_return_val_if_fail (NATTER_IS_APPLICATION (self), NULL);
  return self->settings;
}

const GError *
natter_application_get_history_error (NatterApplication *self)
{
  g_return_val_if_fail (NATTER_IS_APPLICATION (self), NULL);
  return self->history_error;
}

const char *
natter_application_get_profile (NatterApplication *self)
{
  g_return_val_if_fail (NATTER_IS_APPLICATION (self), NULL);
  return self->profile;
}
