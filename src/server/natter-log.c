/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <stdio.h>
#include <unistd.h>

#include "natter-log.h"

static gboolean log_verbose;
static gboolean log_journal;
static const char *log_program;

static const char *
field_value (const GLogField *fields,
             gsize            n_fields,
             const char      *key)
{
  for (gsize i = 0; i < n_fields; i++)
    if (g_strcmp0 (fields[i].key, key) == 0)
      return fields[i].length < 0 ? fields[i].value : NULL;
  return NULL;
}

static GLogWriterOutput
natter_log_writer (GLogLevelFlags   level,
                   const GLogField *fields,
                   gsize            n_fields,
                   gpointer         user_data)
{
  const char *message;
  const char *prefix = "";

  if ((level & (G_LOG_LEVEL_DEBUG | G_LOG_LEVEL_INFO)) && !log_verbose)
    return G_LOG_WRITER_HANDLED;
  if (log_journal)
    return g_log_writer_journald (level, fields, n_fields, user_data);

  message = field_value (fields, n_fields, "MESSAGE");
  if (message == NULL)
    return g_log_writer_default (level, fields, n_fields, user_data);
  if (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL))
    prefix = "error: ";
  else if (level & G_LOG_LEVEL_WARNING)
    prefix = "warning: ";
  else if (level & G_LOG_LEVEL_DEBUG)
    prefix = "debug: ";

  if (*prefix != '\0')
    fprintf (stderr, "%s: %s%s\n", log_program, prefix, message);
  else
    fprintf (stderr, "%s\n", message);
  fflush (stderr);

  /* keep G_DEBUG=fatal-warnings meaningful */
  if (level & G_LOG_LEVEL_ERROR)
    return g_log_writer_default (level, fields, n_fields, user_data);
  return G_LOG_WRITER_HANDLED;
}

void
natter_log_init (const char *program,
                 gboolean    verbose)
{
  log_program = program;
  log_verbose = verbose;
  log_journal = g_log_writer_is_journald (fileno (stderr));
  g_log_set_writer_func (natter_log_writer, NULL, NULL);
}
