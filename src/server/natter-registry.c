/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "natter-random.h"
#include "natter-registry.h"

struct _NatterRegistry
{
  GHashTable *by_key;       /* casefolded id -> NatterEntry (owned) */
  GHashTable *by_endpoint;  /* NatterEndpoint* -> NatterEntry */
  /* Every client gets the same time-out and the clock never goes back, so
   * deadlines are created in order: a queue ordered by deadline where a
   * keep-alive moves its entry to the tail is exact and costs O(1). */
  GQueue      deadlines;
  GArray     *events;
  guint64     version;
  guint       max_peers;
  gint64      timeout_ms;
  gint64      last_now_ms;
};

static void
reg_event_clear (gpointer data)
{
  NatterRegEvent *event = data;

  g_free (event->id);
}

static void
forget_records (NatterEntry *entry)
{
  g_clear_pointer (&entry->records[0], g_free);
  g_clear_pointer (&entry->records[1], g_free);
}

static void
entry_free (gpointer data)
{
  NatterEntry *entry = data;

  forget_records (entry);
  g_free (entry->id);
  g_free (entry->key);
  g_free (entry->candidates);
  g_free (entry);
}

NatterRegistry *
natter_registry_new (guint  max_peers,
                     gint64 timeout_ms)
{
  NatterRegistry *reg;

  g_return_val_if_fail (timeout_ms > 0, NULL);

  reg = g_new0 (NatterRegistry, 1);
  reg->by_key = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, entry_free);
  reg->by_endpoint = g_hash_table_new ((GHashFunc) natter_endpoint_hash,
                                       (GEqualFunc) natter_endpoint_equal);
  g_queue_init (&reg->deadlines);
  reg->events = g_array_new (FALSE, TRUE, sizeof (NatterRegEvent));
  g_array_set_clear_func (reg->events, reg_event_clear);
  reg->max_peers = max_peers;
  reg->timeout_ms = timeout_ms;
  return reg;
}

void
natter_registry_free (NatterRegistry *reg)
{
  if (reg == NULL)
    return;
  g_hash_table_destroy (reg->by_endpoint);
  g_hash_table_destroy (reg->by_key);
  g_array_unref (reg->events);
  g_free (reg);
}

static gint64
clamp_now (NatterRegistry *reg,
           gint64          now_ms)
{
  reg->last_now_ms = MAX (reg->last_now_ms, now_ms);
  return reg->last_now_ms;
}

static void
record (NatterRegistry  *reg,
        NatterEntry     *entry,
        NatterEventKind  kind)
{
  NatterRegEvent event = { 0 };

  event.version = ++reg->version;
  event.kind = kind;
  event.id = g_strdup (entry->id);
  event.public_endpoint = entry->public_endpoint;
  event.n_candidates = entry->n_candidates;
  if (entry->n_candidates > 0)
    memcpy (event.candidates, entry->candidates,
            entry->n_candidates * sizeof (NatterEndpoint));
  event.classic = entry->classic;
  g_array_append_val (reg->events, event);
}

static void
set_candidates (NatterEntry          *entry,
                const NatterEndpoint *candidates,
                guint                 n_candidates)
{
  n_candidates = MIN (n_candidates, NATTER_WIRE_MAX_CANDIDATES);
  g_clear_pointer (&entry->candidates, g_free);
  entry->n_candidates = n_candidates;
  if (n_candidates > 0)
    entry->candidates = g_memdup2 (candidates, n_candidates * sizeof (NatterEndpoint));
}

static void
unlink_entry (NatterRegistry *reg,
              NatterEntry    *entry)
{
  g_queue_unlink (&reg->deadlines, &entry->deadline_link);
  if (g_hash_table_lookup (reg->by_endpoint, &entry->public_endpoint) == entry)
    g_hash_table_remove (reg->by_endpoint, &entry->public_endpoint);
}

void
natter_registry_remove (NatterRegistry  *reg,
                        NatterEntry     *entry,
                        NatterEventKind  why)
{
  g_return_if_fail (reg != NULL && entry != NULL);
  g_return_if_fail (why == NATTER_EVENT_LEAVE || why == NATTER_EVENT_TIMEOUT);

  record (reg, entry, why);
  unlink_entry (reg, entry);
  g_hash_table_remove (reg->by_key, entry->key);
}

/* A public endpoint belongs to one socket, so to one client: whoever held it
 * before is gone (its NAT mapping was given to someone else, or the same
 * program registered again under a new name). */
static void
evict_endpoint_holder (NatterRegistry       *reg,
                       const NatterEndpoint *ep,
                       NatterEntry          *keep)
{
  NatterEntry *holder = g_hash_table_lookup (reg->by_endpoint, ep);

  if (holder != NULL && holder != keep)
    natter_registry_remove (reg, holder, NATTER_EVENT_LEAVE);
}

NatterRegStatus
natter_registry_register (NatterRegistry       *reg,
                          const char           *id,
                          const NatterEndpoint *public_endpoint,
                          const NatterEndpoint *candidates,
                          guint                 n_candidates,
                          gboolean              classic,
                          gint64                now_ms,
                          NatterEntry         **out_entry)
{
  g_autofree char *key = NULL;
  NatterEntry *entry;

  g_return_val_if_fail (reg != NULL && id != NULL, NATTER_REG_FULL);
  g_return_val_if_fail (natter_endpoint_is_set (public_endpoint), NATTER_REG_FULL);

  key = natter_id_key (id);
  entry = g_hash_table_lookup (reg->by_key, key);
  if (entry != NULL && !natter_endpoint_equal (&entry->public_endpoint, public_endpoint))
    return NATTER_REG_TAKEN;
  if (classic)
    {
      NatterEntry *holder = g_hash_table_lookup (reg->by_endpoint, public_endpoint);

      /* Classic text proves nothing about its source address, so it never
       * displaces a native session, whose address was proven. */
      if ((entry != NULL && !entry->classic) || (holder != NULL && !holder->classic))
        return NATTER_REG_TAKEN;
    }

  evict_endpoint_holder (reg, public_endpoint, entry);

  if (entry == NULL)
    {
      if (g_hash_table_size (reg->by_key) >= reg->max_peers)
        return NATTER_REG_FULL;
      entry = g_new0 (NatterEntry, 1);
      entry->id = g_strdup (id);
      entry->key = g_steal_pointer (&key);
      entry->deadline_link.data = entry;
      /* the caller fills the buckets once, for a new session only */
      entry->relay_bucket.tokens = -1;
      entry->request_bucket.tokens = -1;
      g_hash_table_insert (reg->by_key, entry->key, entry);
      g_queue_push_tail_link (&reg->deadlines, &entry->deadline_link);
    }
  else
    {
      /* The same socket registering again (a restarted program, or a lost
       * welcome): a new session, and the ID keeps its spelling. */
      g_free (entry->id);
      entry->id = g_strdup (id);
    }

  entry->public_endpoint = *public_endpoint;
  g_hash_table_insert (reg->by_endpoint, &entry->public_endpoint, entry);
  set_candidates (entry, candidates, n_candidates);
  forget_records (entry);
  entry->classic = classic != FALSE;
  /* Made now, next to the entry: made later, while lists are written,
   * each record would pin a page of the heap among freed datagrams. */
  natter_entry_wire_record (entry, FALSE, &(gsize) { 0 });
  natter_random_bytes (entry->token, sizeof entry->token);
  natter_registry_touch (reg, entry, now_ms);
  record (reg, entry, NATTER_EVENT_JOIN);

  if (out_entry != NULL)
    *out_entry = entry;
  return NATTER_REG_OK;
}

NatterEntry *
natter_registry_lookup (NatterRegistry *reg,
                        const char     *id)
{
  g_autofree char *key = natter_id_key (id);

  return g_hash_table_lookup (reg->by_key, key);
}

NatterEntry *
natter_registry_lookup_key (NatterRegistry *reg,
                            const char     *key)
{
  return g_hash_table_lookup (reg->by_key, key);
}

NatterEntry *
natter_registry_lookup_endpoint (NatterRegistry       *reg,
                                 const NatterEndpoint *ep)
{
  return g_hash_table_lookup (reg->by_endpoint, ep);
}

NatterEntry *
natter_registry_authenticate (NatterRegistry *reg,
                              const char     *id,
                              const guint8   *token)
{
  NatterEntry *entry;

  if (id == NULL || token == NULL)
    return NULL;
  entry = natter_registry_lookup (reg, id);
  if (entry == NULL || entry->classic ||
      !natter_secret_equal (entry->token, token, NATTER_WIRE_TOKEN_SIZE))
    return NULL;
  return entry;
}

void
natter_registry_touch (NatterRegistry *reg,
                       NatterEntry    *entry,
                       gint64          now_ms)
{
  g_return_if_fail (reg != NULL && entry != NULL);

  entry->deadline_ms = clamp_now (reg, now_ms) + reg->timeout_ms;
  g_queue_unlink (&reg->deadlines, &entry->deadline_link);
  g_queue_push_tail_link (&reg->deadlines, &entry->deadline_link);
}

gboolean
natter_registry_rebind (NatterRegistry       *reg,
                        NatterEntry          *entry,
                        const NatterEndpoint *public_endpoint)
{
  NatterEntry *holder;

  g_return_val_if_fail (reg != NULL && entry != NULL, FALSE);

  if (natter_endpoint_equal (&entry->public_endpoint, public_endpoint))
    return TRUE;
  /* someone registered is using that endpoint: not a rebinding, unless
   * it is a classic registration, whose address was never proven */
  holder = g_hash_table_lookup (reg->by_endpoint, public_endpoint);
  if (holder != NULL && holder != entry)
    {
      if (!holder->classic)
        return FALSE;
      natter_registry_remove (reg, holder, NATTER_EVENT_LEAVE);
    }
  if (g_hash_table_lookup (reg->by_endpoint, &entry->public_endpoint) == entry)
    g_hash_table_remove (reg->by_endpoint, &entry->public_endpoint);
  entry->public_endpoint = *public_endpoint;
  g_hash_table_insert (reg->by_endpoint, &entry->public_endpoint, entry);
  forget_records (entry);
  natter_entry_wire_record (entry, FALSE, &(gsize) { 0 });
  record (reg, entry, NATTER_EVENT_MOVE);
  return TRUE;
}

guint
natter_registry_expire (NatterRegistry *reg,
                        gint64          now_ms)
{
  guint n = 0;

  g_return_val_if_fail (reg != NULL, 0);

  now_ms = clamp_now (reg, now_ms);
  while (reg->deadlines.head != NULL)
    {
      NatterEntry *entry = reg->deadlines.head->data;

      if (entry->deadline_ms > now_ms)
        break;
      natter_registry_remove (reg, entry, NATTER_EVENT_TIMEOUT);
      n++;
    }
  return n;
}

gint64
natter_registry_next_deadline (NatterRegistry *reg)
{
  NatterEntry *entry;

  if (reg->deadlines.head == NULL)
    return -1;
  entry = reg->deadlines.head->data;
  return entry->deadline_ms;
}

guint64
natter_registry_version (NatterRegistry *reg)
{
  return reg->version;
}

guint
natter_registry_size (NatterRegistry *reg)
{
  return g_hash_table_size (reg->by_key);
}

gint64
natter_registry_timeout (NatterRegistry *reg)
{
  return reg->timeout_ms;
}

GList *
natter_registry_entries (NatterRegistry *reg)
{
  return reg->deadlines.head;
}

GList *
natter_registry_entries_newest (NatterRegistry *reg)
{
  return reg->deadlines.tail;
}

GArray *
natter_registry_take_events (NatterRegistry *reg)
{
  GArray *taken = reg->events;

  reg->events = g_array_new (FALSE, TRUE, sizeof (NatterRegEvent));
  g_array_set_clear_func (reg->events, reg_event_clear);
  return taken;
}

gboolean
natter_registry_has_events (NatterRegistry *reg)
{
  return reg->events->len > 0;
}

void
natter_entry_to_peer_info (const NatterEntry *entry,
                           gboolean           with_candidates,
                           NatterPeerInfo    *info)
{
  memset (info, 0, sizeof *info);
  info->id = entry->id;
  info->public_endpoint = entry->public_endpoint;
  info->flags = entry->classic ? NATTER_PEER_FLAG_CLASSIC : 0;
  if (with_candidates && entry->n_candidates > 0)
    {
      info->n_candidates = entry->n_candidates;
      memcpy (info->candidates, entry->candidates,
              entry->n_candidates * sizeof (NatterEndpoint));
    }
}

const guint8 *
natter_entry_wire_record (NatterEntry *entry,
                          gboolean     with_candidates,
                          gsize       *size)
{
  guint which = with_candidates && entry->n_candidates > 0 ? 1 : 0;

  if (entry->records[which] == NULL)
    {
      g_autoptr(GVariant) record = NULL;
      NatterPeerInfo info;

      natter_entry_to_peer_info (entry, which == 1, &info);
      record = g_variant_ref_sink (natter_wire_peer_variant (&info));
      /* a record fits in a datagram, so its size fits in 16 bits */
      g_assert (g_variant_get_size (record) <= G_MAXUINT16);
      entry->record_sizes[which] = g_variant_get_size (record);
      entry->records[which] = g_malloc (MAX (1u, entry->record_sizes[which]));
      g_variant_store (record, entry->records[which]);
    }
  *size = entry->record_sizes[which];
  return entry->records[which];
}

void
natter_reg_event_to_peer_info (const NatterRegEvent *event,
                               gboolean              with_candidates,
                               NatterPeerInfo       *info)
{
  memset (info, 0, sizeof *info);
  info->id = event->id;
  info->public_endpoint = event->public_endpoint;
  info->flags = event->classic ? NATTER_PEER_FLAG_CLASSIC : 0;
  if (with_candidates && event->n_candidates > 0)
    {
      info->n_candidates = event->n_candidates;
      memcpy (info->candidates, event->candidates,
              event->n_candidates * sizeof (NatterEndpoint));
    }
}
