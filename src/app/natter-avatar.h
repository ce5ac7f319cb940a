/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* A round avatar: the initials of a name on a colour derived from it, so
 * one person has the same colour everywhere. */
#define NATTER_TYPE_AVATAR (natter_avatar_get_type ())
G_DECLARE_FINAL_TYPE (NatterAvatar, natter_avatar, NATTER, AVATAR, GtkWidget)

GtkWidget  *natter_avatar_new       (const char   *name,
                                     int           size);
void        natter_avatar_set_name  (NatterAvatar *self,
                                     const char   *name);
const char *natter_avatar_get_name  (NatterAvatar *self);
void        natter_avatar_set_size  (NatterAvatar *self,
                                     int           size);
/* Exposed for tests: up to two initials, and a palette index. */
char       *natter_avatar_initials  (const char   *name);
guint       natter_avatar_color_index (const char *name);

G_END_DECLS
