/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "natter-server"
#include "config.h"

#include <string.h>

#include "natter-core-private.h"
#include "natter-wire.h"

/* The full list a client gets after WELCOME or RESYNC (protocol.md 5.4).
 * Every newcomer gets one, hundreds of datagrams at 10,000 clients, so a
 * LIST part is written byte for byte as natter_wire_encode() would
 * serialise it, from peer records each entry keeps serialised
 * (natter_entry_wire_record()), without building a GVariant. */

/* Room for the header and the dictionary around the array of peers:
 * what the array may take, its framing included. */
#define LIST_ARRAY_BUDGET (NATTER_WIRE_MAX_SIZE - NATTER_WIRE_HEADER_SIZE - 96)

#define ALIGN4(x) (((x) + 3) & ~(gsize) 3)
#define ALIGN8(x) (((x) + 7) & ~(gsize) 7)

typedef struct
{
  const guint8 *data;
  gsize         size;
} ListRecord;

/* GVariant's framing offsets: as narrow as the container's total size
 * (offsets included) allows. */
static gsize
offset_width (gsize body,
              gsize n_offsets)
{
  if (body + n_offsets <= G_MAXUINT8)
    return 1;
  if (body + 2 * n_offsets <= G_MAXUINT16)
    return 2;
  return 4;
}

static void
put_offset (guint8 *at,
            gsize   value,
            gsize   width)
{
  guint32 le = GUINT32_TO_LE ((guint32) value);

  memcpy (at, &le, width);
}

/* One {sv} entry with a fixed-size value, starting at `at` (a multiple
 * of 8); returns where it ends. */
static gsize
put_fixed_entry (guint8     *body,
                 gsize       at,
                 const char *key,
                 const void *value,
                 gsize       size,
                 char        type)
{
  gsize key_len = strlen (key) + 1;
  gsize v = at + ALIGN8 (key_len);

  memcpy (body + at, key, key_len);
  memcpy (body + v, value, size);
  body[v + size] = '\0';
  body[v + size + 1] = type;
  /* the key's end, relative to the entry: a single byte, the entry is small */
  body[v + size + 2] = (guint8) key_len;
  return v + size + 3;
}

/* LIST {ver: t, part: q, parts: q, peers: a(s(ayq)a(ayq)u)}: the same
 * bytes as natter_wire_encode() of the dictionary built in that order. */
static GBytes *
write_list_part (guint64           version,
                 guint16           part,
                 guint16           parts,
                 const ListRecord *records,
                 guint             n)
{
  static const char peers_type[] = "a" NATTER_WIRE_TYPE_PEER;
  guint8 out[NATTER_WIRE_MAX_SIZE];
  guint8 *body = out + NATTER_WIRE_HEADER_SIZE;
  guint64 version_le = GUINT64_TO_LE (version);
  guint16 part_le = GUINT16_TO_LE (part);
  guint16 parts_le = GUINT16_TO_LE (parts);
  gsize ends[4], array, at, width, entry;

  /* padding is zeros */
  memset (out, 0, sizeof out);
  memcpy (out, NATTER_WIRE_MAGIC, 4);
  out[4] = NATTER_WIRE_VERSION;
  out[5] = NATTER_MSG_LIST;

  ends[0] = put_fixed_entry (body, 0, "ver", &version_le, 8, 't');
  ends[1] = put_fixed_entry (body, ALIGN8 (ends[0]), "part", &part_le, 2, 'q');
  ends[2] = put_fixed_entry (body, ALIGN8 (ends[1]), "parts", &parts_le, 2, 'q');

  /* "peers": the key, then the array at the next multiple of 8 */
  entry = ALIGN8 (ends[2]);
  memcpy (body + entry, "peers", 6);
  array = entry + 8;
  at = 0;
  for (guint i = 0; i < n; i++)
    {
      /* (s(ayq)a(ayq)u) is aligned to 4, for its u */
      at = ALIGN4 (at);
      g_assert (array + at + records[i].size <= sizeof out - NATTER_WIRE_HEADER_SIZE);
      memcpy (body + array + at, records[i].data, records[i].size);
      at += records[i].size;
    }
  /* the array's framing: where each record ends */
  width = offset_width (at, n);
  {
    gsize end = 0;

    for (guint i = 0; i < n; i++)
      {
        end = ALIGN4 (end) + records[i].size;
        put_offset (body + array + at + i * width, end, width);
      }
  }
  at = array + at + n * width;
  body[at++] = '\0';
  memcpy (body + at, peers_type, sizeof peers_type - 1);
  at += sizeof peers_type - 1;
  width = offset_width (at - entry, 1);
  put_offset (body + at, 6, width);
  ends[3] = at + width;

  /* the dictionary's framing: where each entry ends */
  width = offset_width (ends[3], G_N_ELEMENTS (ends));
  for (guint i = 0; i < G_N_ELEMENTS (ends); i++)
    put_offset (body + ends[3] + i * width, ends[i], width);
  at = NATTER_WIRE_HEADER_SIZE + ends[3] + G_N_ELEMENTS (ends) * width;
  g_assert (at <= NATTER_WIRE_MAX_SIZE);
  return g_bytes_new (out, at);
}

/* Writes the whole list for the recipient into the outbox at once. */
static void
send_list (NatterCore  *core,
           NatterEntry *recipient)
{
  guint64 version = natter_registry_version (core->registry);
  g_autoptr(GArray) starts = g_array_new (FALSE, FALSE, sizeof (guint));
  GArray *records;
  gsize used = 0;
  guint in_part = 0;
  guint zero = 0;

  if (core->list_records == NULL)
    core->list_records = g_array_new (FALSE, FALSE, sizeof (ListRecord));
  records = core->list_records;
  g_array_set_size (records, 0);
  g_array_append_val (starts, zero);

  for (GList *l = natter_registry_entries (core->registry); l != NULL; l = l->next)
    {
      NatterEntry *entry = l->data;
      ListRecord record;

      record.data = natter_entry_wire_record (entry,
                                              natter_endpoint_same_address (
                                                &entry->public_endpoint,
                                                &recipient->public_endpoint),
                                              &record.size);
      /* the records, their padding and at most two bytes of framing each */
      if (in_part > 0 && ALIGN4 (used) + record.size + 2 * (in_part + 1) > LIST_ARRAY_BUDGET)
        {
          g_array_append_val (starts, records->len);
          used = 0;
          in_part = 0;
        }
      used = ALIGN4 (used) + record.size;
      in_part++;
      g_array_append_val (records, record);
    }

  g_assert (starts->len <= G_MAXUINT16);
  for (guint i = 0; i < starts->len; i++)
    {
      guint from = g_array_index (starts, guint, i);
      guint to = i + 1 < starts->len ? g_array_index (starts, guint, i + 1) : records->len;

      natter_core_send (core, &recipient->public_endpoint,
                        write_list_part (version, i, starts->len,
                                         &g_array_index (records, ListRecord, from), to - from));
    }
  recipient->synced_version = version;
}

void
natter_core_want_list (NatterCore  *core,
                       NatterEntry *recipient)
{
  if (recipient->list_wanted)
    return;
  recipient->list_wanted = TRUE;
  g_queue_push_tail (&core->lists_wanted, g_strdup (recipient->key));
}

void
natter_core_ask_list (NatterCore  *core,
                      NatterEntry *recipient)
{
  if (recipient->list_written_ms != 0 &&
      core->now_ms - recipient->list_written_ms < NATTER_LIST_FRESH_MS)
    return;
  natter_core_want_list (core, recipient);
}

gboolean
natter_core_lists_waiting (NatterCore *core)
{
  return !g_queue_is_empty (&core->lists_wanted);
}

gboolean
natter_core_write_lists (NatterCore *core,
                         guint       max_datagrams)
{
  guint start = core->outbox->len;

  while (core->outbox->len - start < max_datagrams && !g_queue_is_empty (&core->lists_wanted))
    {
      g_autofree char *key = g_queue_pop_head (&core->lists_wanted);
      NatterEntry *entry = natter_registry_lookup_key (core->registry, key);

      /* gone since, or registered anew and in line again */
      if (entry == NULL || !entry->list_wanted || entry->classic)
        continue;
      entry->list_wanted = FALSE;
      entry->list_written_ms = core->now_ms;
      send_list (core, entry);
    }
  if (!natter_core_lists_waiting (core))
    g_clear_pointer (&core->list_records, g_array_unref);
  return natter_core_lists_waiting (core);
}

