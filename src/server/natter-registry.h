/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

#include "natter-ratelimit.h"
#include "natter-wire.h"

G_BEGIN_DECLS

/* The registry is the server's state and nothing else: who is registered,
 * where, until when. It never touches a socket or a clock; callers pass the
 * time in (milliseconds, never decreasing), which is what lets the tests run
 * time-outs in microseconds. Every change is recorded as a versioned event
 * for the fan-out to deliver. */

typedef struct _NatterRegistry NatterRegistry;

typedef struct
{
  char           *id;
  char           *key;
  NatterEndpoint  public_endpoint;
  NatterEndpoint *candidates;
  guint8          n_candidates;
  guint           classic : 1;
  /* waiting for a LIST: it gets no EVENTS until its list is written */
  guint           list_wanted : 1;
  guint8          token[NATTER_WIRE_TOKEN_SIZE];
  gint64          deadline_ms;
  /* the list version this client has been sent up to */
  guint64         synced_version;
  /* when its last LIST was written (0: never) */
  gint64          list_written_ms;
  NatterBucket    relay_bucket;
  NatterBucket    request_bucket;
  GList           deadline_link;
  /* its peer record as a LIST carries it, serialised when first needed and
   * forgotten when the entry changes: [0] without candidates, [1] with */
  guint8         *records[2];
  guint16         record_sizes[2];
} NatterEntry;

/* A change, copied out of the entry so that it outlives a removal. */
typedef struct
{
  guint64         version;
  NatterEventKind kind;
  char           *id;
  NatterEndpoint  public_endpoint;
  NatterEndpoint  candidates[NATTER_WIRE_MAX_CANDIDATES];
  guint8          n_candidates;
  gboolean        classic;
} NatterRegEvent;

typedef enum
{
  NATTER_REG_OK,
  NATTER_REG_TAKEN,
  NATTER_REG_FULL,
} NatterRegStatus;

NatterRegistry *natter_registry_new           (guint                 max_peers,
                                               gint64                timeout_ms);
void            natter_registry_free          (NatterRegistry       *reg);
NatterRegStatus natter_registry_register      (NatterRegistry       *reg,
                                               const char           *id,
                                               const NatterEndpoint *public_endpoint,
                                               const NatterEndpoint *candidates,
                                               guint                 n_candidates,
                                               gboolean              classic,
                                               gint64                now_ms,
                                               NatterEntry         **out_entry);
NatterEntry    *natter_registry_lookup        (NatterRegistry       *reg,
                                               const char           *id);
/* By the ID's key (natter_id_key()), already computed. */
NatterEntry    *natter_registry_lookup_key    (NatterRegistry       *reg,
                                               const char           *key);
NatterEntry    *natter_registry_lookup_endpoint (NatterRegistry     *reg,
                                                 const NatterEndpoint *ep);
/* The entry for id when token is its session token, else NULL. */
NatterEntry    *natter_registry_authenticate  (NatterRegistry       *reg,
                                               const char           *id,
                                               const guint8         *token);
void            natter_registry_touch         (NatterRegistry       *reg,
                                               NatterEntry          *entry,
                                               gint64                now_ms);
/* FALSE when another registered client holds that endpoint. */
gboolean        natter_registry_rebind        (NatterRegistry       *reg,
                                               NatterEntry          *entry,
                                               const NatterEndpoint *public_endpoint);
void            natter_registry_remove        (NatterRegistry       *reg,
                                               NatterEntry          *entry,
                                               NatterEventKind       why);
guint           natter_registry_expire        (NatterRegistry       *reg,
                                               gint64                now_ms);
/* The earliest deadline, or -1 when nobody is registered. */
gint64          natter_registry_next_deadline (NatterRegistry       *reg);
guint64         natter_registry_version       (NatterRegistry       *reg);
guint           natter_registry_size          (NatterRegistry       *reg);
gint64          natter_registry_timeout       (NatterRegistry       *reg);
/* Registered entries, oldest deadline first. */
GList          *natter_registry_entries       (NatterRegistry       *reg);
/* The same, from the newest deadline (walk with ->prev). */
GList          *natter_registry_entries_newest (NatterRegistry      *reg);
/* Events since the last call, oldest first (NatterRegEvent, owned by the array). */
GArray         *natter_registry_take_events   (NatterRegistry       *reg);
gboolean        natter_registry_has_events    (NatterRegistry       *reg);
void            natter_entry_to_peer_info     (const NatterEntry    *entry,
                                               gboolean              with_candidates,
                                               NatterPeerInfo       *info);
/* The serialised (s(ayq)a(ayq)u) record of the entry, owned by it. */
const guint8   *natter_entry_wire_record      (NatterEntry          *entry,
                                               gboolean              with_candidates,
                                               gsize                *size);
void            natter_reg_event_to_peer_info (const NatterRegEvent *event,
                                               gboolean              with_candidates,
                                               NatterPeerInfo       *info);

G_END_DECLS
