/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "natter-test-lines.h"

struct _NatterTestLines
{
  GDataInputStream *stream;
  GThread          *reader;
  GMutex            lock;
  GCond             changed;
  GPtrArray        *lines;
  gboolean          ended;
  gboolean          show;
  char             *prefix;
};

static gpointer
read_lines (gpointer data)
{
  NatterTestLines *lines = data;

  for (;;)
    {
      char *line = g_data_input_stream_read_line_utf8 (lines->stream, NULL, NULL, NULL);

      if (line != NULL && lines->show)
        g_printerr ("%s%s\n", lines->prefix, line);
      g_mutex_lock (&lines->lock);
      if (line == NULL)
        lines->ended = TRUE;
      else
        g_ptr_array_add (lines->lines, line);
      g_cond_broadcast (&lines->changed);
      g_mutex_unlock (&lines->lock);
      if (line == NULL)
        return NULL;
    }
}

NatterTestLines *
natter_test_lines_new (GInputStream *stream,
                       const char   *show_env,
                       const char   *prefix)
{
  NatterTestLines *lines = g_new0 (NatterTestLines, 1);

  g_mutex_init (&lines->lock);
  g_cond_init (&lines->changed);
  lines->lines = g_ptr_array_new_with_free_func (g_free);
  lines->stream = g_data_input_stream_new (stream);
  lines->show = show_env != NULL && g_getenv (show_env) != NULL;
  lines->prefix = g_strdup (prefix != NULL ? prefix : "");
  lines->reader = g_thread_new ("child-lines", read_lines, lines);
  return lines;
}

static const char *
find_locked (NatterTestLines *lines,
             const char      *text)
{
  for (guint i = 0; i < lines->lines->len; i++)
    if (strstr (lines->lines->pdata[i], text) != NULL)
      return lines->lines->pdata[i];
  return NULL;
}

char *
natter_test_lines_find (NatterTestLines *lines,
                        const char      *text,
                        guint            timeout_ms)
{
  gint64 end = g_get_monotonic_time () + timeout_ms * G_TIME_SPAN_MILLISECOND;
  const char *found;

  g_mutex_lock (&lines->lock);
  while ((found = find_locked (lines, text)) == NULL && !lines->ended && timeout_ms > 0)
    if (!g_cond_wait_until (&lines->changed, &lines->lock, end))
      break;
  found = find_locked (lines, text);
  g_mutex_unlock (&lines->lock);
  return g_strdup (found);
}

guint
natter_test_lines_count (NatterTestLines *lines,
                         const char      *text)
{
  guint n = 0;

  g_mutex_lock (&lines->lock);
  for (guint i = 0; i < lines->lines->len; i++)
    if (strstr (lines->lines->pdata[i], text) != NULL)
      n++;
  g_mutex_unlock (&lines->lock);
  return n;
}

char *
natter_test_lines_tail (NatterTestLines *lines,
                        guint            n)
{
  GString *out = g_string_new (NULL);
  guint len;

  g_mutex_lock (&lines->lock);
  len = lines->lines->len;
  for (guint i = len > n ? len - n : 0; i < len; i++)
    g_string_append_printf (out, "%s\n", (const char *) lines->lines->pdata[i]);
  g_mutex_unlock (&lines->lock);
  return g_string_free (out, FALSE);
}

gboolean
natter_test_lines_wait_end (NatterTestLines *lines,
                            guint            timeout_ms)
{
  gint64 end = g_get_monotonic_time () + timeout_ms * G_TIME_SPAN_MILLISECOND;
  gboolean ended;

  g_mutex_lock (&lines->lock);
  while (!lines->ended)
    if (!g_cond_wait_until (&lines->changed, &lines->lock, end))
      break;
  ended = lines->ended;
  g_mutex_unlock (&lines->lock);
  return ended;
}

void
natter_test_lines_free (NatterTestLines *lines)
{
  if (lines == NULL)
    return;
  g_thread_join (lines->reader);
  g_object_unref (lines->stream);
  g_ptr_array_unref (lines->lines);
  g_mutex_clear (&lines->lock);
  g_cond_clear (&lines->changed);
  g_free (lines->prefix);
  g_free (lines);
}
