/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "natter-avatar.h"
#include "natter-peer-row.h"
#include "natter-time.h"

/* A preview needs no more than a sidebar can show; a long message would
 * otherwise be laid out in full by Pango only to be ellipsized. */
#define PREVIEW_MAX_CHARS 160
#define UNREAD_MAX_SHOWN 99
/* how much of a long ID stays visible before the path badge gives way */
#define NAME_MIN_WIDTH 56

struct _NatterPeerRow
{
  GtkWidget   parent_instance;

  NatterPeer *peer;
  gulong      notify_id;

  GtkWidget  *content;
  GtkWidget  *avatar;
  GtkWidget  *name_box;
  GtkWidget  *name_label;
  GtkWidget  *path_badge;
  GtkWidget  *time_label;
  GtkWidget  *second_line;
  GtkWidget  *message_label;
  GtkWidget  *unread_badge;
};

G_DEFINE_FINAL_TYPE (NatterPeerRow, natter_peer_row, GTK_TYPE_WIDGET)

enum
{
  PROP_0,
  PROP_PEER,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

const char *
natter_path_badge_label (NatterPathKind path)
{
  switch (path)
    {
    case NATTER_PATH_LAN:
      return _("Same network");
    case NATTER_PATH_DIRECT:
      return _("Direct");
    case NATTER_PATH_RELAY:
      return _("Relayed");
    case NATTER_PATH_CLASSIC:
      return _("Classic");
    case NATTER_PATH_NONE:
    case NATTER_PATH_PUNCHING:
    default:
      return NULL;
    }
}

char *
natter_format_short_time (gint64 time_ms,
                          gint64 now_ms)
{
  g_autoptr(GDateTime) time = NULL;
  g_autoptr(GDateTime) now = NULL;
  GDate day;
  GDate today;
  int days;

  time = natter_local_time (time_ms);
  now = natter_local_time (now_ms);
  if (time == NULL || now == NULL)
    return g_strdup ("");

  /* calendar days rather than 24-hour spans: a message from 23:50 is
   * "Yesterday" at 00:10, and a day shortened by DST still counts as one */
  g_date_clear (&day, 1);
  g_date_clear (&today, 1);
  g_date_set_dmy (&day, g_date_time_get_day_of_month (time),
                  g_date_time_get_month (time), g_date_time_get_year (time));
  g_date_set_dmy (&today, g_date_time_get_day_of_month (now),
                  g_date_time_get_month (now), g_date_time_get_year (now));
  days = g_date_days_between (&day, &today);

  if (days == 0)
    /* Translators: the time of a message sent today, as in a sidebar; see
     * g_date_time_format(), e.g. "%l:%M %p" for a 12-hour clock */
    /* xgettext:no-c-format */
    return g_date_time_format (time, C_("short time", "%H:%M"));
  if (days == 1)
    return g_strdup (_("Yesterday"));
  /* a week ago would share today's weekday name */
  if (days > 1 && days < 7)
    return g_date_time_format (time, "%A");
  if (g_date_time_get_year (time) == g_date_time_get_year (now))
    /* Translators: the date of an older message this year, as in a
     * sidebar; see g_date_time_format() */
    /* xgettext:no-c-format */
    return g_date_time_format (time, C_("short date", "%b %-d"));
  /* Translators: the date of a message from another year, as in a
   * sidebar; see g_date_time_format() */
  /* xgettext:no-c-format */
  return g_date_time_format (time, C_("short date with year", "%x"));
}

/* The first line that has any text, trimmed and cut short. */
static char *
preview_text (const char *text)
{
  const char *start = text;
  const char *end;
  const char *limit;
  glong n = 0;

  while (*start != '\0' && g_unichar_isspace (g_utf8_get_char (start)))
    start = g_utf8_next_char (start);

  end = start + strcspn (start, "\r\n");
  for (limit = start; limit < end && n < PREVIEW_MAX_CHARS; limit = g_utf8_next_char (limit))
    n++;

  while (limit > start)
    {
      const char *prev = g_utf8_prev_char (limit);

      if (!g_unichar_isspace (g_utf8_get_char (prev)))
        break;
      limit = prev;
    }

  return g_strndup (start, limit - start);
}

static void
set_label_visible_text (GtkWidget  *label,
                        const char *text)
{
  gboolean visible = text != NULL && *text != '\0';

  gtk_label_set_text (GTK_LABEL (label), visible ? text : "");
  gtk_widget_set_visible (label, visible);
}

/* An ellipsized label may shrink to "…", and a box shares out space
 * smallest-gap first, so in a narrow sidebar the badge would keep its full
 * width and a short Korean ID would vanish. A minimum no wider than the ID
 * itself keeps it readable without pushing the badge away from a short
 * one. The name's box asks for it as it measures the label anyway, rather
 * than the label being measured once more each time a row is bound. */
static void
measure_name (GtkWidget      *box,
              GtkOrientation  orientation,
              int             for_size,
              int            *minimum,
              int            *natural,
              int            *minimum_baseline,
              int            *natural_baseline)
{
  GtkWidget *label = gtk_widget_get_first_child (box);

  gtk_widget_measure (label, orientation, for_size, minimum, natural,
                      minimum_baseline, natural_baseline);
  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    *minimum = MAX (*minimum, MIN (*natural, NAME_MIN_WIDTH));
}

static void
allocate_name (GtkWidget *box,
               int        width,
               int        height,
               int        baseline)
{
  gtk_widget_allocate (gtk_widget_get_first_child (box), width, height, baseline, NULL);
}

static void
update_name (NatterPeerRow *self)
{
  const char *id = self->peer != NULL ? natter_peer_get_id (self->peer) : NULL;

  natter_avatar_set_name (NATTER_AVATAR (self->avatar), id);
  gtk_label_set_text (GTK_LABEL (self->name_label), id != NULL ? id : "");
}

static void
update_online (NatterPeerRow *self)
{
  if (self->peer == NULL || natter_peer_get_online (self->peer))
    gtk_widget_remove_css_class (GTK_WIDGET (self), "offline");
  else
    gtk_widget_add_css_class (GTK_WIDGET (self), "offline");
}

static void
update_path (NatterPeerRow *self)
{
  const char *badge = NULL;

  if (self->peer != NULL)
    badge = natter_path_badge_label (natter_peer_get_path (self->peer));
  set_label_visible_text (self->path_badge, badge);
}

/* An empty second line would still take the box's spacing and lift the
 * name off the avatar's centre. */
static void
update_second_line (NatterPeerRow *self)
{
  gtk_widget_set_visible (self->second_line,
                          gtk_widget_get_visible (self->message_label) ||
                          gtk_widget_get_visible (self->unread_badge));
}

static void
update_unread (NatterPeerRow *self)
{
  guint unread = self->peer != NULL ? natter_peer_get_unread (self->peer) : 0;
  char text[16] = "";

  if (unread > UNREAD_MAX_SHOWN)
    g_snprintf (text, sizeof text, "%u+", (guint) UNREAD_MAX_SHOWN);
  else if (unread > 0)
    g_snprintf (text, sizeof text, "%u", unread);
  set_label_visible_text (self->unread_badge, text);
  update_second_line (self);
}

static void
update_last_message (NatterPeerRow *self)
{
  g_autoptr(NatterMessage) message = NULL;
  g_autofree char *preview = NULL;
  g_autofree char *time = NULL;
  gint64 last_activity = 0;

  if (self->peer != NULL)
    {
      message = natter_peer_dup_last_message (self->peer);
      last_activity = natter_peer_get_last_activity (self->peer);
    }

  if (message != NULL)
    {
      g_autofree char *line = preview_text (natter_message_get_text (message));

      if (natter_message_get_direction (message) == NATTER_MESSAGE_OUTGOING)
        /* Translators: the preview of the last message in a conversation
         * when I sent it */
        preview = g_strdup_printf (_("You: %s"), line);
      else
        preview = g_steal_pointer (&line);
    }
  gtk_inscription_set_text (GTK_INSCRIPTION (self->message_label),
                            preview != NULL ? preview : "");
  gtk_widget_set_visible (self->message_label, preview != NULL && *preview != '\0');
  update_second_line (self);

  /* "now" is read when something changes rather than on a timer: a
   * thousand rows must not wake up at midnight to say "Yesterday" */
  if (last_activity > 0)
    time = natter_format_short_time (last_activity, g_get_real_time () / 1000);
  set_label_visible_text (self->time_label, time);
}

static void
update_accessible_label (NatterPeerRow *self)
{
  g_autoptr(GPtrArray) parts = NULL;
  g_autofree char *label = NULL;
  const char *badge;
  const char *text;
  guint unread;

  if (self->peer == NULL)
    {
      gtk_accessible_reset_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL);
      return;
    }

  parts = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (parts, g_strdup (natter_peer_get_id (self->peer)));
  g_ptr_array_add (parts, g_strdup (natter_peer_get_online (self->peer)
                                    ? _("online") : _("offline")));

  badge = natter_path_badge_label (natter_peer_get_path (self->peer));
  if (badge != NULL)
    g_ptr_array_add (parts, g_strdup (badge));

  unread = natter_peer_get_unread (self->peer);
  if (unread > 0)
    g_ptr_array_add (parts, g_strdup_printf (ngettext ("%u unread message",
                                                       "%u unread messages", unread),
                                             unread));

  /* the labels already hold the preview and time as shown */
  text = gtk_inscription_get_text (GTK_INSCRIPTION (self->message_label));
  if (gtk_widget_get_visible (self->message_label))
    g_ptr_array_add (parts, g_strdup_printf (_("last message: %s"), text));
  text = gtk_label_get_text (GTK_LABEL (self->time_label));
  if (gtk_widget_get_visible (self->time_label))
    g_ptr_array_add (parts, g_strdup (text));

  g_ptr_array_add (parts, NULL);
  /* Translators: separates the parts of a peer's description read by a
   * screen reader: "alice, online, Direct, 2 unread messages" */
  label = g_strjoinv (C_("accessible list separator", ", "), (char **) parts->pdata);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, label,
                                  -1);
}

static void
on_peer_notify (NatterPeer    *peer G_GNUC_UNUSED,
                GParamSpec    *pspec,
                NatterPeerRow *self)
{
  const char *name = g_param_spec_get_name (pspec);

  /* one handler for all properties: a row is bound and unbound on every
   * scroll, so one connection is cheaper than five */
  if (strcmp (name, "online") == 0)
    update_online (self);
  else if (strcmp (name, "path") == 0)
    update_path (self);
  else if (strcmp (name, "unread") == 0)
    update_unread (self);
  else if (strcmp (name, "last-message") == 0 || strcmp (name, "last-activity") == 0)
    update_last_message (self);
  else if (strcmp (name, "id") == 0)
    update_name (self);
  else
    return;

  update_accessible_label (self);
}

static void
natter_peer_row_dispose (GObject *object)
{
  NatterPeerRow *self = NATTER_PEER_ROW (object);

  if (self->peer != NULL)
    g_clear_signal_handler (&self->notify_id, self->peer);
  g_clear_object (&self->peer);
  gtk_widget_dispose_template (GTK_WIDGET (self), NATTER_TYPE_PEER_ROW);
  G_OBJECT_CLASS (natter_peer_row_parent_class)->dispose (object);
}

static void
natter_peer_row_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  NatterPeerRow *self = NATTER_PEER_ROW (object);

  switch (prop_id)
    {
    case PROP_PEER:
      g_value_set_object (value, self->peer);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
natter_peer_row_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  NatterPeerRow *self = NATTER_PEER_ROW (object);

  switch (prop_id)
    {
    case PROP_PEER:
      natter_peer_row_set_peer (self, g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
natter_peer_row_class_init (NatterPeerRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = natter_peer_row_dispose;
  object_class->get_property = natter_peer_row_get_property;
  object_class->set_property = natter_peer_row_set_property;

  properties[PROP_PEER] =
    g_param_spec_object ("peer", NULL, NULL, NATTER_TYPE_PEER,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (NATTER_TYPE_AVATAR);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/natter/Natter/natter-peer-row.ui");
  gtk_widget_class_bind_template_child (widget_class, NatterPeerRow, content);
  gtk_widget_class_bind_template_child (widget_class, NatterPeerRow, avatar);
  gtk_widget_class_bind_template_child (widget_class, NatterPeerRow, name_box);
  gtk_widget_class_bind_template_child (widget_class, NatterPeerRow, name_label);
  gtk_widget_class_bind_template_child (widget_class, NatterPeerRow, path_badge);
  gtk_widget_class_bind_template_child (widget_class, NatterPeerRow, time_label);
  gtk_widget_class_bind_template_child (widget_class, NatterPeerRow, second_line);
  gtk_widget_class_bind_template_child (widget_class, NatterPeerRow, message_label);
  gtk_widget_class_bind_template_child (widget_class, NatterPeerRow, unread_badge);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_GROUP);
}

static void
natter_peer_row_init (NatterPeerRow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  gtk_widget_set_layout_manager (self->name_box,
                                 gtk_custom_layout_new (NULL, measure_name, allocate_name));
}

GtkWidget *
natter_peer_row_new (void)
{
  return g_object_new (NATTER_TYPE_PEER_ROW, NULL);
}

void
natter_peer_row_set_peer (NatterPeerRow *self,
                          NatterPeer    *peer)
{
  g_return_if_fail (NATTER_IS_PEER_ROW (self));
  g_return_if_fail (peer == NULL || NATTER_IS_PEER (peer));

  if (self->peer == peer)
    return;

  if (self->peer != NULL)
    g_clear_signal_handler (&self->notify_id, self->peer);
  g_set_object (&self->peer, peer);
  if (peer != NULL)
    self->notify_id = g_signal_connect_object (peer, "notify",
                                               G_CALLBACK (on_peer_notify), self, 0);

  update_name (self);
  update_online (self);
  update_path (self);
  update_unread (self);
  update_last_message (self);
  update_accessible_label (self);

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PEER]);
}

NatterPeer *
natter_peer_row_get_peer (NatterPeerRow *self)
{
  g_return_val_if_fail (NATTER_IS_PEER_ROW (self), NULL);
  return self->peer;
}
