/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

GDateTime *natter_local_time (gint64 time_ms);
GDateTime *natter_local_now  (void);

G_END_DECLS
