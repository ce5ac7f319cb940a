/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "natter-id.h"
#include "natter-preferences.h"
#include "natter-welcome.h"

struct _NatterPreferences
{
  GtkWindow      parent_instance;

  GSettings     *settings;

  GtkEntry      *name_entry;
  GtkRevealer   *name_error_revealer;
  GtkLabel      *name_error;
  GtkEntry      *server_entry;
  GtkRevealer   *server_error_revealer;
  GtkLabel      *server_error;
  GtkListBoxRow *classic_row;
  GtkSwitch     *classic_switch;
  GtkListBoxRow *notifications_row;
  GtkSwitch     *notifications_switch;
};

G_DEFINE_FINAL_TYPE (NatterPreferences, natter_preferences, GTK_TYPE_WINDOW)

enum
{
  PROP_0,
  PROP_SETTINGS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static char *
get_server_text (NatterPreferences *self)
{
  /* pasted addresses often bring a stray space or newline along */
  return g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->server_entry))));
}

static void
on_name_changed (NatterPreferences *self)
{
  g_autofree char *reason = natter_welcome_check_name (gtk_editable_get_text (GTK_EDITABLE (self->name_entry)),
                                        NULL);

  natter_welcome_show_reason (GTK_WIDGET (self->name_entry), self->name_error_revealer, self->name_error,
               reason);
}

static void
on_server_changed (NatterPreferences *self)
{
  g_autofree char *server = get_server_text (self);
  g_autofree char *reason = natter_welcome_check_server (server);

  natter_welcome_show_reason (GTK_WIDGET (self->server_entry), self->server_error_revealer,
               self->server_error, reason);
}

/* Saving reconnects, so the name and server are saved once the user is
 * done with them, never halfway through typing; an invalid value is
 * kept in the entry, with its reason, but not saved. */
static void
on_name_apply (NatterPreferences *self)
{
  g_autofree char *nfc = NULL;
  g_autofree char *reason = NULL;
  g_autofree char *current = NULL;

  if (self->settings == NULL)
    return;
  reason = natter_welcome_check_name (gtk_editable_get_text (GTK_EDITABLE (self->name_entry)), &nfc);
  if (reason != NULL)
    return;
  current = g_settings_get_string (self->settings, "id");
  if (g_strcmp0 (current, nfc) != 0)
    g_settings_set_string (self->settings, "id", nfc);
}

static void
on_server_apply (NatterPreferences *self)
{
  g_autofree char *server = NULL;
  g_autofree char *reason = NULL;
  g_autofree char *current = NULL;

  if (self->settings == NULL)
    return;
  server = get_server_text (self);
  reason = natter_welcome_check_server (server);
  if (reason != NULL)
    return;
  current = g_settings_get_string (self->settings, "server");
  if (g_strcmp0 (current, server) != 0)
    g_settings_set_string (self->settings, "server", server);
}

static void
on_row_activated (NatterPreferences *self,
                  GtkListBoxRow     *row)
{
  GtkSwitch *toggle = NULL;

  if (row == self->classic_row)
    toggle = self->classic_switch;
  else if (row == self->notifications_row)
    toggle = self->notifications_switch;
  if (toggle != NULL)
    gtk_switch_set_active (toggle, !gtk_switch_get_active (toggle));
}

static void
load_entry (GtkEntry   *entry,
            GSettings  *settings,
            const char *key)
{
  g_autofree char *value = g_settings_get_string (settings, key);

  /* never overwrite what the user is typing; leaving the entry saves it */
  if (gtk_widget_get_state_flags (GTK_WIDGET (entry)) & GTK_STATE_FLAG_FOCUS_WITHIN)
    return;
  if (g_strcmp0 (gtk_editable_get_text (GTK_EDITABLE (entry)), value) != 0)
    gtk_editable_set_text (GTK_EDITABLE (entry), value);
}

static void
on_settings_changed (NatterPreferences *self,
                     const char        *key)
{
  if (g_strcmp0 (key, "id") == 0)
    load_entry (self->name_entry, self->settings, "id");
  else if (g_strcmp0 (key, "server") == 0)
    load_entry (self->server_entry, self->settings, "server");
}

static gboolean
natter_preferences_close_request (GtkWindow *window)
{
  NatterPreferences *self = NATTER_PREFERENCES (window);

  /* closing (Escape included) is the last time focus leaves an entry */
  on_name_apply (self);
  on_server_apply (self);

  return GTK_WINDOW_CLASS (natter_preferences_parent_class)->close_request (window);
}

static void
natter_preferences_constructed (GObject *object)
{
  NatterPreferences *self = NATTER_PREFERENCES (object);

  G_OBJECT_CLASS (natter_preferences_parent_class)->constructed (object);

  g_return_if_fail (G_IS_SETTINGS (self->settings));

  load_entry (self->name_entry, self->settings, "id");
  load_entry (self->server_entry, self->settings, "server");
  g_signal_connect_swapped (self->settings, "changed",
                            G_CALLBACK (on_settings_changed), self);
  g_settings_bind (self->settings, "classic", self->classic_switch, "active",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "notifications", self->notifications_switch, "active",
                   G_SETTINGS_BIND_DEFAULT);
}

static void
natter_preferences_dispose (GObject *object)
{
  NatterPreferences *self = NATTER_PREFERENCES (object);

  /* the settings outlive this window: their signals must not reach it */
  if (self->settings != NULL)
    g_signal_handlers_disconnect_by_data (self->settings, self);
  if (self->classic_switch != NULL)
    g_settings_unbind (self->classic_switch, "active");
  if (self->notifications_switch != NULL)
    g_settings_unbind (self->notifications_switch, "active");
  g_clear_object (&self->settings);

  gtk_widget_dispose_template (GTK_WIDGET (object), NATTER_TYPE_PREFERENCES);

  G_OBJECT_CLASS (natter_preferences_parent_class)->dispose (object);
}

static void
natter_preferences_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  NatterPreferences *self = NATTER_PREFERENCES (object);

  switch (prop_id)
    {
    case PROP_SETTINGS:
      g_value_set_object (value, self->settings);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
natter_preferences_set_property (GObject      *object,
                                 guint         prop_id,
                                 const GValue *value,
                                 GParamSpec   *pspec)
{
  NatterPreferences *self = NATTER_PREFERENCES (object);

  switch (prop_id)
    {
    case PROP_SETTINGS:
      g_set_object (&self->settings, g_value_get_object (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
natter_preferences_class_init (NatterPreferencesClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->constructed = natter_preferences_constructed;
  object_class->dispose = natter_preferences_dispose;
  object_class->get_property = natter_preferences_get_property;
  object_class->set_property = natter_preferences_set_property;

  window_class->close_request = natter_preferences_close_request;

  properties[PROP_SETTINGS] =
    g_param_spec_object ("settings", NULL, NULL,
                         G_TYPE_SETTINGS,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/natter/Natter/natter-preferences.ui");
  gtk_widget_class_bind_template_child (widget_class, NatterPreferences, name_entry);
  gtk_widget_class_bind_template_child (widget_class, NatterPreferences, name_error_revealer);
  gtk_widget_class_bind_template_child (widget_class, NatterPreferences, name_error);
  gtk_widget_class_bind_template_child (widget_class, NatterPreferences, server_entry);
  gtk_widget_class_bind_template_child (widget_class, NatterPreferences, server_error_revealer);
  gtk_widget_class_bind_template_child (widget_class, NatterPreferences, server_error);
  gtk_widget_class_bind_template_child (widget_class, NatterPreferences, classic_row);
  gtk_widget_class_bind_template_child (widget_class, NatterPreferences, classic_switch);
  gtk_widget_class_bind_template_child (widget_class, NatterPreferences, notifications_row);
  gtk_widget_class_bind_template_child (widget_class, NatterPreferences, notifications_switch);
  gtk_widget_class_bind_template_callback (widget_class, on_name_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_name_apply);
  gtk_widget_class_bind_template_callback (widget_class, on_server_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_server_apply);
  gtk_widget_class_bind_template_callback (widget_class, on_row_activated);

  /* Class bindings live in the widget's own shortcut controller, whose
   * scope is local: Escape closes this window, and only this one. */
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
natter_preferences_init (NatterPreferences *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

GtkWidget *
natter_preferences_new (GtkWindow *parent,
                        GSettings *settings)
{
  g_return_val_if_fail (parent == NULL || GTK_IS_WINDOW (parent), NULL);
  g_return_val_if_fail (G_IS_SETTINGS (settings), NULL);

  /* sharing the parent's application keeps its shortcuts (Ctrl+Q) working here */
  return g_object_new (NATTER_TYPE_PREFERENCES,
                       "transient-for", parent,
                       "application", parent != NULL ? gtk_window_get_application (parent) : NULL,
                       "settings", settings,
                       NULL);
}
