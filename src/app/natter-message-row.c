/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "natter-message-row.h"

/* Messages from the same side closer together than this read as one
 * thought: they share the time shown on the first of them. */
#define GROUP_INTERVAL_MS (5 * 60 * 1000)
#define OPPOSITE_SIDE_MARGIN 48

struct _NatterMessageRow
{
  GtkWidget      parent_instance;

  NatterMessage *message;
  gulong         state_id;
  gboolean       grouped;

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

static GDateTime *
local_time (gint64 time_ms)
{
  /* floor, not truncate: a time just before 1970 is still the day before */
  gint64 seconds = time_ms >= 0 ? time_ms / 1000 : -((-time_ms + 999) / 1000);

  return g_date_time_new_from_unix_local (seconds);
}

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
  g_autoptr(GDateTime) a = local_time (a_ms);
  g_autoptr(GDateTime) b = local_time (b_ms);

  if (a == NULL || b == NULL)
    return FALSE;
  return same_date (a, b);
}

static char *
format_day (gint64 time_ms)
{
  g_autoptr(GDateTime) time = local_time (time_ms);
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
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
  g_autoptr(GDateTime) time = local_time (time_ms);

  if (time == NULL)
    return g_strdup ("");
  /* Translators: the time of a message; see g_date_time_format(), e.g.
   * "%l:%M %p" for a 12-hour clock */
  return g_date_time_format (time, C_("short time", "%H:%M"));
}

/* Characters that can come right before a link: anything but the inside of
 * a word, an address or a path, so "xhttp://", "user@www.example.org" and
 * "a/www.b" are not split into a link. */
static gboolean
can_precede_link (const char *text,
                  const char *p)
{
  guchar c;

  if (p == text)
    return TRUE;
  c = (guchar) p[-1];
  /* a non-ASCII character (CJK text rarely puts spaces around a link) */
  if (c >= 0x80)
    return TRUE;
  return !(g_ascii_isalnum (c) || strchr ("@./-_:~%+=&#", c) != NULL);
}

/* Where a link starting at p ends, or p when there is none. */
static const char *
link_end (const char *p,
          gsize       prefix_len)
{
  const char *body = p + prefix_len;
  const char *end = body;
  int parens = 0;
  int brackets = 0;

  /* a URL copied from a browser is percent-encoded, so any non-ASCII
   * character ends it: Korean or Japanese text often continues right after
   * a link ("https://example.org에서"), with no space */
  while (*end != '\0' && (guchar) *end < 0x80 && !g_ascii_isspace (*end) &&
         !g_ascii_iscntrl (*end) && strchr ("<>\"`{}|\\^", *end) == NULL)
    {
      if (*end == '(')
        parens++;
      else if (*end == ')')
        parens--;
      else if (*end == '[')
        brackets++;
      else if (*end == ']')
        brackets--;
      end++;
    }

  /* punctuation that ends a sentence or closes a parenthesis the link was
   * written in belongs to the text, not to the link */
  while (end > body)
    {
      char last = end[-1];

      if (strchr (".,:;!?'*", last) != NULL)
        end--;
      else if (last == ')' && parens < 0)
        {
          parens++;
          end--;
        }
      else if (last == ']' && brackets < 0)
        {
          brackets++;
          end--;
        }
      else
        break;
    }

  /* "http://" or "www." alone, or "www.." */
  if (end == body || (prefix_len == 4 && (*body == '.' || end - body < 2)))
    return p;
  return end;
}

static void
append_escaped (GString    *markup,
                const char *text,
                gssize      len)
{
  g_autofree char *escaped = g_markup_escape_text (text, len);

  g_string_append (markup, escaped);
}

char *
natter_markup_with_links (const char *text)
{
  GString *markup;
  const char *plain = text;
  const char *p = text;

  g_return_val_if_fail (text != NULL, NULL);

  markup = g_string_sized_new (strlen (text) + 16);
  while (*p != '\0')
    {
      gsize prefix_len = 0;
      const char *end = p;

      if (can_precede_link (text, p))
        {
          if (g_ascii_strncasecmp (p, "https://", 8) == 0)
            prefix_len = 8;
          else if (g_ascii_strncasecmp (p, "http://", 7) == 0)
            prefix_len = 7;
          else if (g_ascii_strncasecmp (p, "www.", 4) == 0)
            prefix_len = 4;
        }
      if (prefix_len > 0)
        end = link_end (p, prefix_len);
      if (end == p)
        {
          p++;
          continue;
        }

      append_escaped (markup, plain, p - plain);
      g_string_append (markup, "<a href=\"");
      /* "www." gets a scheme, and "HTTP://" a lower-case one, for whatever
       * opens the link */
      if (prefix_len == 4)
        {
          g_string_append (markup, "https://");
          append_escaped (markup, p, end - p);
        }
      else
        {
          g_string_append (markup, prefix_len == 8 ? "https://" : "http://");
          append_escaped (markup, p + prefix_len, end - p - prefix_len);
        }
      g_string_append (markup, "\">");
      append_escaped (markup, p, end - p);
      g_string_append (markup, "</a>");
      plain = p = end;
    }
  append_escaped (markup, plain, p - plain);

  return g_string_free (markup, FALSE);
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
  gtk_widget_set_tooltip_text (self->state_label, state == NATTER_MESSAGE_QUEUED && outgoing
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

static void
natter_message_row_dispose (GObject *object)
{
  NatterMessageRow *self = NATTER_MESSAGE_ROW (object);
  GtkWidget *child;

  if (self->message != NULL)
    g_clear_signal_handler (&self->state_id, self->message);
  g_clear_object (&self->message);
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
}

GtkWidget *
natter_message_row_new (void)
{
  return g_object_new (NATTER_TYPE_MESSAGE_ROW, NULL);
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
      /* a recycled row should not keep a long text alive */
      gtk_label_set_text (GTK_LABEL (self->bubble), "");
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
  gtk_label_set_markup (GTK_LABEL (self->bubble), markup);

  time = format_time (natter_message_get_time (self->message));
  gtk_label_set_text (GTK_LABEL (self->time_label), time);
}

static void
update_grouping (NatterMessageRow *self,
                 NatterMessage    *previous)
{
  gboolean new_day = TRUE;
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
   * for whoever wonders */
  if (self->grouped)
    gtk_widget_set_tooltip_text (self->bubble,
                                 gtk_label_get_text (GTK_LABEL (self->time_label)));
  else
    gtk_widget_set_tooltip_text (self->bubble, NULL);
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
