/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "natter-peer.h"

G_BEGIN_DECLS

/* One peer in the sidebar: avatar, ID, path badge, last message and its
 * time, unread count; greyed when off-line. Follows the peer's properties
 * while it is bound. */
#define NATTER_TYPE_PEER_ROW (natter_peer_row_get_type ())
G_DECLARE_FINAL_TYPE (NatterPeerRow, natter_peer_row, NATTER, PEER_ROW, GtkWidget)

GtkWidget  *natter_peer_row_new      (void);
void        natter_peer_row_set_peer (NatterPeerRow *self,
                                      NatterPeer    *peer);
NatterPeer *natter_peer_row_get_peer (NatterPeerRow *self);

/* "Same network", "Direct", "Relayed", "Classic", or NULL for no badge. */
const char *natter_path_badge_label  (NatterPathKind  path);
/* "14:05" today, "Yesterday", the weekday within a week, else the date. */
char       *natter_format_short_time (gint64          time_ms,
                                      gint64          now_ms);

G_END_DECLS
