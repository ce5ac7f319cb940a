/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* The lines a child process writes (its log, its output), collected by a
 * thread of their own so a test or benchmark can wait for one. */
typedef struct _NatterTestLines NatterTestLines;

/* Reads stream to its end; show_env: an environment variable that, when
 * set, echoes every line to stderr after prefix. */
NatterTestLines *natter_test_lines_new    (GInputStream    *stream,
                                           const char      *show_env,
                                           const char      *prefix);
/* A copy of the first line containing text, waiting up to timeout_ms (0:
 * not at all) or until the stream ends; NULL when there is none. */
char            *natter_test_lines_find   (NatterTestLines *lines,
                                           const char      *text,
                                           guint            timeout_ms);
guint            natter_test_lines_count  (NatterTestLines *lines,
                                           const char      *text);
/* The last n lines, one per line of the string. */
char            *natter_test_lines_tail   (NatterTestLines *lines,
                                           guint            n);
/* Waits until the stream has ended; FALSE after timeout_ms. */
gboolean         natter_test_lines_wait_end (NatterTestLines *lines,
                                             guint            timeout_ms);
/* The stream must end (its process gone) first. */
void             natter_test_lines_free   (NatterTestLines *lines);

G_END_DECLS
