/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "natter-portal.h"

#define PORTAL_NAME      "org.freedesktop.portal.Desktop"
#define PORTAL_PATH      "/org/freedesktop/portal/desktop"
#define PORTAL_SETTINGS  "org.freedesktop.portal.Settings"
#define APPEARANCE       "org.freedesktop.appearance"
#define COLOR_SCHEME     "color-scheme"

/* color-scheme: 0 no preference, 1 prefer dark, 2 prefer light */
static void
apply (GtkSettings *settings,
       GVariant    *value)
{
  g_autoptr(GVariant) inner = NULL;
  guint32 scheme = 0;

  /* Read() wraps the value in one variant more than SettingChanged does */
  inner = g_variant_ref (value);
  while (g_variant_is_of_type (inner, G_VARIANT_TYPE_VARIANT))
    {
      GVariant *child = g_variant_get_variant (inner);

      g_variant_unref (inner);
      inner = child;
    }
  if (g_variant_is_of_type (inner, G_VARIANT_TYPE_UINT32))
    scheme = g_variant_get_uint32 (inner);
  g_object_set (settings, "gtk-application-prefer-dark-theme", scheme == 1, NULL);
}

static void
on_setting_changed (GDBusConnection *connection,
                    const char      *sender,
                    const char      *path,
                    const char      *interface,
                    const char      *signal,
                    GVariant        *parameters,
                    gpointer         user_data)
{
  const char *ns = NULL;
  const char *key = NULL;
  g_autoptr(GVariant) value = NULL;

  if (!g_variant_is_of_type (parameters, G_VARIANT_TYPE ("(ssv)")))
    return;
  g_variant_get (parameters, "(&s&sv)", &ns, &key, &value);
  if (g_str_equal (ns, APPEARANCE) && g_str_equal (key, COLOR_SCHEME))
    apply (user_data, value);
}

static void
on_read (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GtkSettings) settings = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) value = NULL;

  reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result, &error);
  if (reply == NULL)
    {
      g_debug ("no color scheme from the portal: %s", error->message);
      return;
    }
  g_variant_get (reply, "(v)", &value);
  apply (settings, value);
}

void
natter_portal_follow_color_scheme (GtkSettings *settings)
{
  g_autoptr(GDBusConnection) bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, NULL);

  g_return_if_fail (GTK_IS_SETTINGS (settings));

  if (bus == NULL)
    return;
  g_dbus_connection_signal_subscribe (bus, PORTAL_NAME, PORTAL_SETTINGS, "SettingChanged",
                                      PORTAL_PATH, APPEARANCE, G_DBUS_SIGNAL_FLAGS_NONE,
                                      on_setting_changed, g_object_ref (settings),
                                      g_object_unref);
  g_dbus_connection_call (bus, PORTAL_NAME, PORTAL_PATH, PORTAL_SETTINGS, "Read",
                          g_variant_new ("(ss)", APPEARANCE, COLOR_SCHEME),
                          G_VARIANT_TYPE ("(v)"), G_DBUS_CALL_FLAGS_NO_AUTO_START, 2000, NULL,
                          on_read, g_object_ref (settings));
}
