/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "natter-markup.h"
#include "natter-message-row.h"
#include "natter-time.h"

/* Messages from the same side closer together than this read as one
 * thought: they share the time shown on the first of them. */
#define GROUP_INTERVAL_MS (5 * 60 * 1000)
#define OPPOSITE_SIDE_MARGIN 48
/* the most a bubble's minimum width is raised to, in characters */
#define BUBBLE_MIN_CHARS 10

struct _NatterMessageRow
{
  GtkWidget      parent_instance;

  NatterMessage *message;
  gulong         state_id;
  gboolean       grouped;
  char          *description;    /* the bubble's accessible one */
  /* what GtkLabel takes for a character's width, and when */
  int            char_width;
  guint          context_serial;

  GtkWidget     *day_separator;
  GtkWidget     *new_marker;
  GtkWidget     *content;
  GtkWidget     *bubble;
  GtkWidget     *meta;
  GtkWidget     *time_label;
  GtkWidget     *state_icon;
  GtkWidget     *state_label;
  GtkWidget     *retry_button;
};

G_DEFINE_FINAL_TYPE (NatterMessageRow, natter_message_row, GTK_TYPE_WIDGET)

enum
{
  SIGNAL_RETRY,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static gboolean
same_date (GDateTime *a,
           GDateTime *b)
{
  return g_date_time_get_year (a) == g_date_time_get_year (b) &&
         g_date_time_get_day_of_year (a) == g_date_time_get_day_of_year (b);
}

gboolean
natter_message_same_day (gint64 a_ms,
                         gint64 b_ms)
{
  g_autoptr(GDateTime) a = natter_local_time (a_ms);
  g_autoptr(GDateTime) b = natter_local_time (b_ms);

  if (a == NULL || b == NULL)
    return FALSE;
  return same_date (a, b);
}

static char *
format_day (gint64 time_ms)
{
  g_autoptr(GDateTime) time = natter_local_time (time_ms);
  g_autoptr(GDateTime) now = natter_local_now ();
  g_autoptr(GDateTime) yesterday = NULL;

  if (time == NULL || now == NULL)
    return g_strdup ("");

  /* "now" is read at bind time rather than on a timer: rows are rebound as
   * they scroll into view, and a long conversation must not wake up at
   * midnight to relabel its separators */
  yesterday = g_date_time_add_days (now, -1);
  if (same_date (time, now))
    return g_strdup (_("Today"));
  if (yesterday != NULL && same_date (time, yesterday))
    return g_strdup (_("Yesterday"));
  if (g_date_time_get_year (time) == g_date_time_get_year (now))
    /* Translators: a day separator in a conversation, for a day this year;
     * see g_date_time_format() */
    return g_date_time_format (time, C_("day separator", "%A, %B %-d"));
  /* Translators: a day separator in a conversation, for a day in another
   * year; see g_date_time_format() */
  return g_date_time_format (time, C_("day separator with year", "%A, %B %-d, %Y"));
}

static char *
format_time (gint64 time_ms)
{
  g_autoptr(GDateTime) time = natter_local_time (time_ms);

  if (time == NULL)
    return g_strdup ("");
  /* Translators: the time of a message; see g_date_time_format(), e.g.
   * "%l:%M %p" for a 12-hour clock */
  return g_date_time_format (time, C_("short time", "%H:%M"));
}

/* Setting a tooltip makes GTK look for the pointer at once, a round trip
 * to the display server, even when the text is the same: rows are bound
 * on every scroll, so only a change is passed on. */
static void
set_tooltip (GtkWidget  *widget,
             const char *text)
{
  if (g_strcmp0 (gtk_widget_get_tooltip_text (widget), text) != 0)
    gtk_widget_set_tooltip_text (widget, text);
}

static void
set_css_class (GtkWidget  *widget,
               const char *name,
               gboolean    set)
{
  if (set)
    gtk_widget_add_css_class (widget, name);
  else
    gtk_widget_remove_css_class (widget, name);
}

static void
update_state (NatterMessageRow *self)
{
  NatterMessageState state = NATTER_MESSAGE_RECEIVED;
  gboolean outgoing = FALSE;
  const char *icon = NULL;
  const char *text = NULL;
  gboolean failed;

  if (self->message != NULL)
    {
      state = natter_message_get_state (self->message);
      outgoing = natter_message_get_direction (self->message) == NATTER_MESSAGE_OUTGOING;
    }
  failed = outgoing && state == NATTER_MESSAGE_FAILED;

  if (outgoing)
    {
      switch (state)
        {
        case NATTER_MESSAGE_SENDING:
          icon = "content-loading-symbolic";
          text = _("Sending…");
          break;
        case NATTER_MESSAGE_DELIVERED:
          icon = "emblem-ok-symbolic";
          text = _("Delivered");
          break;
        case NATTER_MESSAGE_SENT:
          /* a classic client never acknowledges, so there is nothing to
           * tick: only that it left */
          text = _("Sent");
          break;
        case NATTER_MESSAGE_FAILED:
          icon = "dialog-error-symbolic";
          text = _("Not delivered");
          break;
        case NATTER_MESSAGE_QUEUED:
          icon = "document-open-recent-symbolic";
          /* Translators: a message kept until its peer (or the server)
           * is back; it then goes out by itself */
          text = _("Queued");
          break;
        case NATTER_MESSAGE_RECEIVED:
        default:
          break;
        }
    }

  /* setting the same icon again would look it up and measure it anew */
  if (g_strcmp0 (gtk_image_get_icon_name (GTK_IMAGE (self->state_icon)), icon) != 0)
    gtk_image_set_from_icon_name (GTK_IMAGE (self->state_icon), icon);
  gtk_widget_set_visible (self->state_icon, icon != NULL);
  gtk_label_set_text (GTK_LABEL (self->state_label), text != NULL ? text : "");
  gtk_widget_set_visible (self->state_label, text != NULL);
  /* only the icon turns red: the bubble already is, and red small print
   * would be hard to read in the dark style */
  set_css_class (self->state_icon, "error", failed);
  gtk_widget_set_visible (self->retry_button, failed);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "message.retry", failed);

  set_css_class (self->bubble, "failed", failed);
  /* a grouped message has no state line unless it failed, so a dimmed
   * bubble is what tells it is still on its way */
  set_css_class (self->bubble, "sending", outgoing && (state == NATTER_MESSAGE_SENDING ||
                                                       state == NATTER_MESSAGE_QUEUED));
  set_tooltip (self->state_label, state == NATTER_MESSAGE_QUEUED && outgoing
                                 ? _("Goes out by itself when the peer is back online")
                                 : NULL);

  /* a failure is always shown: it is the one state that asks for action,
   * and so is waiting, which is not what a dimmed bubble otherwise means */
  gtk_widget_set_visible (self->meta, self->message != NULL &&
                          (!self->grouped || failed || (outgoing && state == NATTER_MESSAGE_QUEUED)));
}

static void
on_state_changed (NatterMessageRow *self)
{
  update_state (self);
}

static void
retry_activated (GtkWidget  *widget,
                 const char *action_name G_GNUC_UNUSED,
                 GVariant   *parameter G_GNUC_UNUSED)
{
  NatterMessageRow *self = NATTER_MESSAGE_ROW (widget);

  if (self->message != NULL &&
      natter_message_get_state (self->message) == NATTER_MESSAGE_FAILED)
    g_signal_emit (self, signals[SIGNAL_RETRY], 0);
}

/* A tooltip set on each bind would cost a round trip to the display
 * server every time (see set_tooltip ()); this one is made when asked. */
static gboolean
on_bubble_query_tooltip (GtkWidget        *bubble G_GNUC_UNUSED,
                         int               x G_GNUC_UNUSED,
                         int               y G_GNUC_UNUSED,
                         gboolean          keyboard G_GNUC_UNUSED,
                         GtkTooltip       *tooltip,
                         NatterMessageRow *self)
{
  if (!self->grouped || self->message == NULL)
    return FALSE;
  gtk_tooltip_set_text (tooltip, gtk_label_get_text (GTK_LABEL (self->time_label)));
  return TRUE;
}

static void
natter_message_row_dispose (GObject *object)
{
  NatterMessageRow *self = NATTER_MESSAGE_ROW (object);
  GtkWidget *child;

  if (self->message != NULL)
    g_clear_signal_handler (&self->state_id, self->message);
  g_clear_object (&self->message);
  g_clear_pointer (&self->description, g_free);
  gtk_widget_dispose_template (GTK_WIDGET (self), NATTER_TYPE_MESSAGE_ROW);
  /* dispose_template () lets go of bound children only */
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);
  G_OBJECT_CLASS (natter_message_row_parent_class)->dispose (object);
}

static void
natter_message_row_class_init (NatterMessageRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = natter_message_row_dispose;

  /**
   * NatterMessageRow::retry:
   *
   * The user asked to send the row's failed message again.
   */
  signals[SIGNAL_RETRY] =
    g_signal_new ("retry", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  gtk_widget_class_install_action (widget_class, "message.retry", NULL, retry_activated);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/natter/Natter/natter-message-row.ui");
  gtk_widget_class_bind_template_child (widget_class, NatterMessageRow, day_separator);
  gtk_widget_class_bind_template_child (widget_class, NatterMessageRow, new_marker);
  gtk_widget_class_bind_template_child (widget_class, NatterMessageRow, content);
  gtk_widget_class_bind_template_child (widget_class, NatterMessageRow, bubble);
  gtk_widget_class_bind_template_child (widget_class, NatterMessageRow, meta);
  gtk_widget_class_bind_template_child (widget_class, NatterMessageRow, time_label);
  gtk_widget_class_bind_template_child (widget_class, NatterMessageRow, state_icon);
  gtk_widget_class_bind_template_child (widget_class, NatterMessageRow, state_label);
  gtk_widget_class_bind_template_child (widget_class, NatterMessageRow, retry_button);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BOX_LAYOUT);
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_GROUP);
}

static void
natter_message_row_init (NatterMessageRow *self)
{
  GtkLayoutManager *layout = gtk_widget_get_layout_manager (GTK_WIDGET (self));

  gtk_orientable_set_orientation (GTK_ORIENTABLE (layout), GTK_ORIENTATION_VERTICAL);
  gtk_widget_init_template (GTK_WIDGET (self));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "message.retry", FALSE);
  gtk_widget_set_has_tooltip (self->bubble, TRUE);
  g_signal_connect (self->bubble, "query-tooltip", G_CALLBACK (on_bubble_query_tooltip), self);
}

GtkWidget *
natter_message_row_new (void)
{
  return g_object_new (NATTER_TYPE_MESSAGE_ROW, NULL);
}

/* A wrapping label finds its minimum width by breaking the text at every
 * point it can, and Pango shapes the rest of the text again after each
 * break: for a long message that cost grows with the square of its
 * length, and was most of the time spent scrolling a conversation. A
 * minimum of a few characters breaks it a few times only. It is kept
 * within the text's own width, so the bubble's natural width, the one it
 * is drawn at, does not change; only a long message in a very narrow
 * window stops shrinking a little sooner. */
static int
bubble_width_chars (NatterMessageRow *self,
                    const char       *text)
{
  PangoContext *context = gtk_widget_get_pango_context (self->bubble);
  g_autoptr(PangoLayout) layout = NULL;
  int width;

  /* as GtkLabel counts a character's width */
  if (self->char_width == 0 || self->context_serial != pango_context_get_serial (context))
    {
      PangoFontMetrics *metrics = pango_context_get_metrics (context, NULL, NULL);

      self->char_width = MAX (pango_font_metrics_get_approximate_char_width (metrics),
                              pango_font_metrics_get_approximate_digit_width (metrics));
      self->context_serial = pango_context_get_serial (context);
      pango_font_metrics_unref (metrics);
    }
  if (self->char_width <= 0)
    return -1;
  layout = pango_layout_new (context);
  pango_layout_set_text (layout, text, -1);
  pango_layout_get_size (layout, &width, NULL);
  width /= self->char_width;
  return width > 0 ? MIN (width, BUBBLE_MIN_CHARS) : -1;
}

static void
update_message (NatterMessageRow *self)
{
  g_autofree char *markup = NULL;
  g_autofree char *time = NULL;
  GtkAlign align;
  gboolean outgoing;

  if (self->message == NULL)
    {
      /* a row without a message should not keep a long text alive */
      gtk_label_set_text (GTK_LABEL (self->bubble), "");
      gtk_label_set_width_chars (GTK_LABEL (self->bubble), -1);
      gtk_label_set_text (GTK_LABEL (self->time_label), "");
      return;
    }

  outgoing = natter_message_get_direction (self->message) == NATTER_MESSAGE_OUTGOING;
  align = outgoing ? GTK_ALIGN_END : GTK_ALIGN_START;
  gtk_widget_set_halign (self->content, align);
  /* in a narrow window a bubble could otherwise span the whole width, and
   * then nothing but its colour would say whose it is */
  gtk_widget_set_margin_start (self->content, outgoing ? OPPOSITE_SIDE_MARGIN : 0);
  gtk_widget_set_margin_end (self->content, outgoing ? 0 : OPPOSITE_SIDE_MARGIN);
  gtk_widget_set_halign (self->bubble, align);
  gtk_widget_set_halign (self->meta, align);
  set_css_class (self->bubble, "outgoing", outgoing);
  set_css_class (self->bubble, "incoming", !outgoing);

  markup = natter_markup_with_links (natter_message_get_text (self->message));
  gtk_label_set_width_chars (GTK_LABEL (self->bubble),
                             bubble_width_chars (self, natter_message_get_text (self->message)));
  gtk_label_set_markup (GTK_LABEL (self->bubble), markup);

  time = format_time (natter_message_get_time (self->message));
  gtk_label_set_text (GTK_LABEL (self->time_label), time);
}

static void
update_grouping (NatterMessageRow *self,
                 NatterMessage    *previous)
{
  gboolean new_day = TRUE;
  const char *description;
  gint64 time;

  self->grouped = FALSE;
  if (self->message != NULL && previous != NULL)
    {
      time = natter_message_get_time (self->message);
      new_day = !natter_message_same_day (natter_message_get_time (previous), time);
      self->grouped = !new_day &&
                      natter_message_get_direction (previous) ==
                      natter_message_get_direction (self->message) &&
                      time - natter_message_get_time (previous) < GROUP_INTERVAL_MS;
    }

  if (self->message != NULL && new_day)
    {
      g_autofree char *day = format_day (natter_message_get_time (self->message));

      gtk_label_set_text (GTK_LABEL (self->day_separator), day);
    }
  gtk_widget_set_visible (self->day_separator, self->message != NULL && new_day);
  gtk_widget_set_visible (self->time_label, !self->grouped);
  set_css_class (GTK_WIDGET (self), "first-in-group", self->message != NULL && !self->grouped);

  /* the time is not repeated on a grouped message, but it is still there
   * for whoever wonders: in a tooltip asked for when the pointer rests on
   * the bubble (see on_bubble_query_tooltip ()), and for a screen reader
   * in the description a tooltip would give it */
  description = self->grouped ? gtk_label_get_text (GTK_LABEL (self->time_label)) : NULL;
  if (g_strcmp0 (description, self->description) == 0)
    return;
  g_free (self->description);
  self->description = g_strdup (description);
  if (description != NULL)
    gtk_accessible_update_property (GTK_ACCESSIBLE (self->bubble),
                                    GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, description,
                                    -1);
  else
    gtk_accessible_reset_property (GTK_ACCESSIBLE (self->bubble),
                                   GTK_ACCESSIBLE_PROPERTY_DESCRIPTION);
}

void
natter_message_row_set_message (NatterMessageRow *self,
                                NatterMessage    *message,
                                NatterMessage    *previous)
{
  g_return_if_fail (NATTER_IS_MESSAGE_ROW (self));
  g_return_if_fail (message == NULL || NATTER_IS_MESSAGE (message));
  g_return_if_fail (previous == NULL || NATTER_IS_MESSAGE (previous));

  if (self->message != message)
    {
      if (self->message != NULL)
        g_clear_signal_handler (&self->state_id, self->message);
      g_set_object (&self->message, message);
      if (message != NULL)
        self->state_id = g_signal_connect_object (message, "notify::state",
                                                  G_CALLBACK (on_state_changed), self,
                                                  G_CONNECT_SWAPPED);
      update_message (self);
    }

  update_grouping (self, previous);
  update_state (self);
}

void
natter_message_row_set_marks (NatterMessageRow *self,
                              gboolean          first_new,
                              gboolean          found)
{
  g_return_if_fail (NATTER_IS_MESSAGE_ROW (self));

  gtk_widget_set_visible (self->new_marker, first_new);
  set_css_class (self->bubble, "found", found);
}

NatterMessage *
natter_message_row_get_message (NatterMessageRow *self)
{
  g_return_val_if_fail (NATTER_IS_MESSAGE_ROW (self), NULL);
  return self->message;
}
