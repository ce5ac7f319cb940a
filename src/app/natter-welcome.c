/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "natter-id.h"
#include "natter-welcome.h"

/* GTK 4.8 has no AdwClamp: the page clamps its one child itself, so the
 * form stays a readable column in a wide window yet can still shrink. */
#define CONTENT_MAX_WIDTH 400

struct _NatterWelcome
{
  GtkWidget    parent_instance;

  GtkWidget   *content;
  GtkImage    *icon;
  GtkEntry    *name_entry;
  GtkRevealer *name_error_revealer;
  GtkLabel    *name_error;
  GtkEntry    *server_entry;
  GtkRevealer *server_error_revealer;
  GtkLabel    *server_error;
  GtkSwitch   *classic_switch;
  GtkLabel    *problem_label;
  GtkWidget   *connect_button;
};

G_DEFINE_FINAL_TYPE (NatterWelcome, natter_welcome, GTK_TYPE_WIDGET)

enum
{
  SIGNAL_CONNECT,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* Hostname rules (RFC 1123), applied to the ASCII (punycode) form so that
 * an internationalised name is measured the way DNS will see it. */
static char *
check_hostname (const char *host)
{
  g_autoptr(GInetAddress) inet = NULL;
  g_autofree char *ascii = NULL;
  g_auto(GStrv) labels = NULL;
  gsize len;
  const char *p;

  inet = g_inet_address_new_from_string (host);
  if (inet != NULL)
    return NULL;

  for (p = host; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);
      char shown[8] = { 0 };

      if (g_unichar_isalnum (c) || c == '-' || c == '.')
        continue;
      g_unichar_to_utf8 (c, shown);
      return g_strdup_printf (_("“%s” cannot be part of a server name: use letters, digits, “-” and “.”"),
                              shown);
    }

  ascii = g_hostname_is_non_ascii (host) ? g_hostname_to_ascii (host) : g_strdup (host);
  if (ascii == NULL)
    return g_strdup_printf (_("“%s” is not a valid server name"), host);

  /* a fully qualified name may end in one dot */
  len = strlen (ascii);
  if (len > 1 && ascii[len - 1] == '.')
    ascii[--len] = '\0';
  if (len > 253)
    return g_strdup (_("A server name has at most 253 characters"));

  labels = g_strsplit (ascii, ".", -1);
  for (guint i = 0; labels[i] != NULL; i++)
    {
      gsize label_len = strlen (labels[i]);

      if (label_len == 0)
        return g_strdup (_("A server name cannot have empty parts between dots"));
      if (label_len > 63)
        return g_strdup (_("Each part of a server name has at most 63 characters"));
      if (labels[i][0] == '-' || labels[i][label_len - 1] == '-')
        return g_strdup (_("A part of a server name cannot start or end with “-”"));
    }

  /* No top-level domain is all digits, so this was meant as an IPv4
   * address, and "198.18.0.300" deserves a better answer than a lookup
   * failure much later. */
  if (strspn (labels[g_strv_length (labels) - 1], "0123456789") ==
      strlen (labels[g_strv_length (labels) - 1]))
    return g_strdup_printf (_("“%s” is not a valid IP address"), host);

  return NULL;
}

static char *
check_port (const char *port_text)
{
  guint64 port = 0;

  if (*port_text == '\0')
    return g_strdup (_("Enter a port number after the “:”"));
  /* g_ascii_string_to_unsigned() alone would let "+80" through */
  if (strspn (port_text, "0123456789") != strlen (port_text) ||
      !g_ascii_string_to_unsigned (port_text, 10, 1, 65535, &port, NULL))
    return g_strdup (_("The port must be a number from 1 to 65535"));
  return NULL;
}

/* Stricter than g_network_address_parse(), which the client uses to
 * connect: everything accepted here parses there, but a mistake is caught
 * while typing, with a reason, instead of as a failed lookup. */
char *
natter_welcome_check_server (const char *server)
{
  g_autofree char *host = NULL;
  const char *port_text = NULL;
  const char *p;
  char *reason;

  if (server == NULL || *server == '\0')
    return g_strdup (_("Enter the name or address of a server"));
  if (!g_utf8_validate (server, -1, NULL))
    return g_strdup (_("A server address must be valid text"));

  for (p = server; *p != '\0'; p = g_utf8_next_char (p))
    {
      if (g_unichar_isspace (g_utf8_get_char (p)))
        return g_strdup (_("A server address cannot contain spaces"));
    }

  p = strstr (server, "://");
  if (p != NULL)
    {
      g_autofree char *scheme = g_strndup (server, p - server + 3);

      return g_strdup_printf (_("Leave out “%s”: enter just the server's name or address"),
                              scheme);
    }

  if (server[0] == '[')
    {
      g_autoptr(GInetAddress) inet = NULL;
      const char *end = strchr (server, ']');

      if (end == NULL)
        return g_strdup (_("An IPv6 address needs a closing “]”"));
      host = g_strndup (server + 1, end - server - 1);
      if (*host == '\0')
        return g_strdup (_("Enter an IPv6 address between “[” and “]”"));
      inet = g_inet_address_new_from_string (host);
      if (inet == NULL || g_inet_address_get_family (inet) != G_SOCKET_FAMILY_IPV6)
        return g_strdup_printf (_("“%s” is not an IPv6 address"), host);
      if (end[1] == '\0')
        return NULL;
      if (end[1] != ':')
        return g_strdup (_("Only “:” and a port number can follow “]”"));
      return check_port (end + 2);
    }

  p = strchr (server, ':');
  if (p != NULL && strchr (p + 1, ':') != NULL)
    {
      g_autoptr(GInetAddress) inet = g_inet_address_new_from_string (server);

      /* a bare IPv6 address is fine, it just cannot carry a port */
      if (inet != NULL)
        return NULL;
      return g_strdup (_("Put an IPv6 address in brackets, as in “[2001:db8::1]:10080”"));
    }
  if (p != NULL)
    {
      host = g_strndup (server, p - server);
      port_text = p + 1;
    }
  else
    host = g_strdup (server);

  if (*host == '\0')
    return g_strdup (_("Enter the server's name or address before the “:”"));
  reason = check_hostname (host);
  if (reason != NULL)
    return reason;
  if (port_text != NULL)
    return check_port (port_text);
  return NULL;
}

/* The reason why @text is no valid ID, or NULL; @nfc receives the
 * normalised form, which is what goes on the wire. */
char *
natter_welcome_check_name (const char  *text,
                           char       **nfc)
{
  g_autofree char *normalized = g_utf8_normalize (text, -1, G_NORMALIZE_NFC);
  g_autoptr(GError) error = NULL;

  if (normalized == NULL)
    normalized = g_strdup (text);
  if (!natter_id_validate (normalized, -1, &error))
    return g_strdup (error->message);
  if (nfc != NULL)
    *nfc = g_steal_pointer (&normalized);
  return NULL;
}

void
natter_welcome_show_reason (GtkWidget   *entry,
                            GtkRevealer *revealer,
                            GtkLabel    *label,
                            const char  *reason)
{
  /* the old text stays while the revealer closes, so it slides away */
  if (reason != NULL)
    {
      gtk_label_set_text (label, reason);
      gtk_widget_add_css_class (entry, "error");
    }
  else
    gtk_widget_remove_css_class (entry, "error");
  gtk_revealer_set_reveal_child (revealer, reason != NULL);
}

static char *
get_server_text (NatterWelcome *self)
{
  /* pasted addresses often bring a stray space or newline along */
  return g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->server_entry))));
}

static gboolean
update_form (NatterWelcome *self)
{
  const char *name = gtk_editable_get_text (GTK_EDITABLE (self->name_entry));
  g_autofree char *server = get_server_text (self);
  g_autofree char *name_reason = natter_welcome_check_name (name, NULL);
  g_autofree char *server_reason = natter_welcome_check_server (server);
  gboolean valid = name_reason == NULL && server_reason == NULL;

  /* an empty field is not a mistake yet, only unfinished */
  natter_welcome_show_reason (GTK_WIDGET (self->name_entry), self->name_error_revealer, self->name_error,
               *name != '\0' ? name_reason : NULL);
  natter_welcome_show_reason (GTK_WIDGET (self->server_entry), self->server_error_revealer, self->server_error,
               *server != '\0' ? server_reason : NULL);
  gtk_widget_set_sensitive (self->connect_button, valid);
  return valid;
}

static void
set_problem (NatterWelcome *self,
             const char    *problem)
{
  gboolean shown = problem != NULL && *problem != '\0';

  gtk_label_set_text (self->problem_label, shown ? problem : "");
  gtk_widget_set_visible (GTK_WIDGET (self->problem_label), shown);
}

static void
on_entry_changed (NatterWelcome *self)
{
  /* whatever went wrong last time was about the old values */
  set_problem (self, NULL);
  update_form (self);
}

static void
on_classic_changed (NatterWelcome *self)
{
  set_problem (self, NULL);
}

static void
on_classic_row_activated (NatterWelcome *self)
{
  gtk_switch_set_active (self->classic_switch, !gtk_switch_get_active (self->classic_switch));
}

static void
on_connect_clicked (NatterWelcome *self)
{
  g_autofree char *nfc = NULL;
  g_autofree char *server = NULL;
  g_autofree char *reason = NULL;

  if (!update_form (self))
    return;
  reason = natter_welcome_check_name (gtk_editable_get_text (GTK_EDITABLE (self->name_entry)), &nfc);
  g_return_if_fail (reason == NULL);
  server = get_server_text (self);
  g_signal_emit (self, signals[SIGNAL_CONNECT], 0,
                 nfc, server, gtk_switch_get_active (self->classic_switch));
}

/* Enter connects once the form is complete; before that it leads on to
 * the field that still needs attention. */
static void
on_name_activate (NatterWelcome *self)
{
  g_autofree char *reason = NULL;

  if (update_form (self))
    {
      gtk_widget_activate (self->connect_button);
      return;
    }
  reason = natter_welcome_check_name (gtk_editable_get_text (GTK_EDITABLE (self->name_entry)), NULL);
  if (reason == NULL)
    gtk_widget_grab_focus (GTK_WIDGET (self->server_entry));
}

static void
on_server_activate (NatterWelcome *self)
{
  g_autofree char *server = NULL;
  g_autofree char *reason = NULL;

  if (update_form (self))
    {
      gtk_widget_activate (self->connect_button);
      return;
    }
  server = get_server_text (self);
  reason = natter_welcome_check_server (server);
  if (reason == NULL)
    gtk_widget_grab_focus (GTK_WIDGET (self->name_entry));
}

static int
clamp_width (NatterWelcome *self,
             int            available)
{
  int min = 0;
  int max = CONTENT_MAX_WIDTH +
            gtk_widget_get_margin_start (self->content) +
            gtk_widget_get_margin_end (self->content);

  gtk_widget_measure (self->content, GTK_ORIENTATION_HORIZONTAL, -1, &min, NULL, NULL, NULL);
  if (available < 0)
    available = max;
  return MAX (min, MIN (available, max));
}

static GtkSizeRequestMode
natter_welcome_get_request_mode (GtkWidget *widget G_GNUC_UNUSED)
{
  return GTK_SIZE_REQUEST_HEIGHT_FOR_WIDTH;
}

static void
natter_welcome_measure (GtkWidget      *widget,
                        GtkOrientation  orientation,
                        int             for_size,
                        int            *minimum,
                        int            *natural,
                        int            *minimum_baseline G_GNUC_UNUSED,
                        int            *natural_baseline G_GNUC_UNUSED)
{
  NatterWelcome *self = NATTER_WELCOME (widget);

  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    {
      gtk_widget_measure (self->content, orientation, -1, minimum, NULL, NULL, NULL);
      *natural = clamp_width (self, -1);
    }
  else
    gtk_widget_measure (self->content, orientation, clamp_width (self, for_size),
                        minimum, natural, NULL, NULL);
}

static void
natter_welcome_size_allocate (GtkWidget *widget,
                              int        width,
                              int        height,
                              int        baseline G_GNUC_UNUSED)
{
  NatterWelcome *self = NATTER_WELCOME (widget);
  GtkAllocation child = { 0, };
  int min_height = 0;
  int nat_height = 0;

  child.width = clamp_width (self, width);
  gtk_widget_measure (self->content, GTK_ORIENTATION_VERTICAL, child.width,
                      &min_height, &nat_height, NULL, NULL);
  child.height = MAX (min_height, MIN (height, nat_height));
  child.x = MAX (0, (width - child.width) / 2);
  child.y = MAX (0, (height - child.height) / 2);
  gtk_widget_size_allocate (self->content, &child, -1);
}

static void
natter_welcome_map (GtkWidget *widget)
{
  NatterWelcome *self = NATTER_WELCOME (widget);

  GTK_WIDGET_CLASS (natter_welcome_parent_class)->map (widget);
  /* the page is there to be typed into */
  gtk_widget_grab_focus (GTK_WIDGET (self->name_entry));
}

static void
natter_welcome_dispose (GObject *object)
{
  gtk_widget_dispose_template (GTK_WIDGET (object), NATTER_TYPE_WELCOME);

  G_OBJECT_CLASS (natter_welcome_parent_class)->dispose (object);
}

static void
natter_welcome_class_init (NatterWelcomeClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = natter_welcome_dispose;

  widget_class->get_request_mode = natter_welcome_get_request_mode;
  widget_class->measure = natter_welcome_measure;
  widget_class->size_allocate = natter_welcome_size_allocate;
  widget_class->map = natter_welcome_map;

  /**
   * NatterWelcome::connect:
   * @self: the page
   * @id: the chosen ID, valid and in NFC
   * @server: the server as HOST[:PORT], valid
   * @classic: whether to speak the classic protocol
   *
   * The user asked to connect with these values.
   */
  signals[SIGNAL_CONNECT] =
    g_signal_new ("connect",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 3,
                  G_TYPE_STRING, G_TYPE_STRING, G_TYPE_BOOLEAN);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/natter/Natter/natter-welcome.ui");
  gtk_widget_class_bind_template_child (widget_class, NatterWelcome, content);
  gtk_widget_class_bind_template_child (widget_class, NatterWelcome, icon);
  gtk_widget_class_bind_template_child (widget_class, NatterWelcome, name_entry);
  gtk_widget_class_bind_template_child (widget_class, NatterWelcome, name_error_revealer);
  gtk_widget_class_bind_template_child (widget_class, NatterWelcome, name_error);
  gtk_widget_class_bind_template_child (widget_class, NatterWelcome, server_entry);
  gtk_widget_class_bind_template_child (widget_class, NatterWelcome, server_error_revealer);
  gtk_widget_class_bind_template_child (widget_class, NatterWelcome, server_error);
  gtk_widget_class_bind_template_child (widget_class, NatterWelcome, classic_switch);
  gtk_widget_class_bind_template_child (widget_class, NatterWelcome, problem_label);
  gtk_widget_class_bind_template_child (widget_class, NatterWelcome, connect_button);
  gtk_widget_class_bind_template_callback (widget_class, on_entry_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_name_activate);
  gtk_widget_class_bind_template_callback (widget_class, on_server_activate);
  gtk_widget_class_bind_template_callback (widget_class, on_classic_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_classic_row_activated);
  gtk_widget_class_bind_template_callback (widget_class, on_connect_clicked);

  gtk_widget_class_set_css_name (widget_class, "welcome");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_GROUP);
}

static void
natter_welcome_init (NatterWelcome *self)
{
  GtkIconTheme *theme;

  gtk_widget_init_template (GTK_WIDGET (self));

  /* the symbolic chat bubble stands in until the app icon is installed */
  theme = gtk_icon_theme_get_for_display (gtk_widget_get_display (GTK_WIDGET (self)));
  if (gtk_icon_theme_has_icon (theme, APP_ID))
    {
      gtk_image_set_from_icon_name (self->icon, APP_ID);
      gtk_widget_remove_css_class (GTK_WIDGET (self->icon), "dim-label");
    }
}

GtkWidget *
natter_welcome_new (void)
{
  return g_object_new (NATTER_TYPE_WELCOME, NULL);
}

void
natter_welcome_set_values (NatterWelcome *self,
                           const char    *id,
                           const char    *server,
                           gboolean       classic,
                           const char    *problem)
{
  g_return_if_fail (NATTER_IS_WELCOME (self));

  gtk_editable_set_text (GTK_EDITABLE (self->name_entry), id != NULL ? id : "");
  gtk_editable_set_text (GTK_EDITABLE (self->server_entry), server != NULL ? server : "");
  gtk_switch_set_active (self->classic_switch, classic);
  /* last, since editing the fields above clears it */
  set_problem (self, problem);
  update_form (self);
}
