/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Journal-friendly logging: structured entries to the journal when stderr
 * is connected to it, otherwise plain lines as the assignment's server
 * printed them ("alice 198.18.0.11:10081"). Debug lines only when verbose. */
void natter_log_init (const char *program,
                      gboolean    verbose);

G_END_DECLS
