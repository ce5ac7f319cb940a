/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "bench-decode.h"
#include "natter-wire.h"

/* A serialised GVariant container stores, at its end, the offsets where its
 * variable-size parts end, each as wide as the container's size needs. */
static guint
offset_width (gsize size)
{
  if (size > G_MAXUINT32)
    return 8;
  if (size > G_MAXUINT16)
    return 4;
  if (size > G_MAXUINT8)
    return 2;
  return size > 0 ? 1 : 0;
}

static gsize
read_offset (const guint8 *p,
             guint         width)
{
  guint64 v = 0;

  memcpy (&v, p, width);
  return (gsize) GUINT64_FROM_LE (v);
}

static gsize
align (gsize offset,
       gsize alignment)
{
  return (offset + alignment - 1) & ~(alignment - 1);
}

typedef struct
{
  const guint8 *data;
  gsize         size;
} Slice;

/* The elements of an array of variable-size values. */
static gboolean
array_elements (Slice    array,
                gsize    alignment,
                GArray  *out)
{
  guint w = offset_width (array.size);
  gsize table, n, start = 0;

  g_array_set_size (out, 0);
  if (array.size == 0)
    return TRUE;
  table = read_offset (array.data + array.size - w, w);
  if (table > array.size || (array.size - table) % w != 0)
    return FALSE;
  n = (array.size - table) / w;
  for (gsize i = 0; i < n; i++)
    {
      gsize end = read_offset (array.data + table + i * w, w);
      Slice element;

      start = align (start, alignment);
      if (end < start || end > table)
        return FALSE;
      element.data = array.data + start;
      element.size = end - start;
      g_array_append_val (out, element);
      start = end;
    }
  return TRUE;
}

/* (ayq) */
static gboolean
read_endpoint (Slice      s,
               BenchPeer *peer)
{
  guint w = offset_width (s.size);
  gsize addr_end, port_at;

  if (s.size < w + 2)
    return FALSE;
  addr_end = read_offset (s.data + s.size - w, w);
  port_at = align (addr_end, 2);
  if ((addr_end != 4 && addr_end != 16) || port_at + 2 > s.size - w)
    return FALSE;
  peer->family = addr_end == 4 ? 4 : 6;
  memcpy (peer->addr, s.data, addr_end);
  peer->port = s.data[port_at] | (s.data[port_at + 1] << 8);
  return TRUE;
}

/* (s(ayq)a(ayq)u): three variable members, their ends stored backwards */
static gboolean
read_peer (Slice      s,
           BenchPeer *peer)
{
  guint w = offset_width (s.size);
  gsize id_end, ep_start, ep_end;
  Slice ep;

  if (s.size < 3 * w + 4)
    return FALSE;
  id_end = read_offset (s.data + s.size - w, w);
  ep_end = read_offset (s.data + s.size - 2 * w, w);
  ep_start = align (id_end, 2);
  if (id_end == 0 || id_end > s.size || s.data[id_end - 1] != '\0' ||
      ep_end < ep_start || ep_end > s.size - 3 * w)
    return FALSE;
  peer->id = (const char *) s.data;
  ep.data = s.data + ep_start;
  ep.size = ep_end - ep_start;
  return read_endpoint (ep, peer);
}

gboolean
bench_view_read (BenchView    *view,
                 const guint8 *data,
                 gsize         len)
{
  g_autoptr(GArray) entries = g_array_new (FALSE, FALSE, sizeof (Slice));
  g_autoptr(GArray) elements = g_array_new (FALSE, FALSE, sizeof (Slice));
  Slice body;

  g_array_set_size (view->peers, 0);
  g_array_set_size (view->events, 0);
  if (len < NATTER_WIRE_HEADER_SIZE || memcmp (data, NATTER_WIRE_MAGIC, 4) != 0 ||
      (data[5] != NATTER_MSG_LIST && data[5] != NATTER_MSG_EVENTS))
    return FALSE;
  view->type = data[5];
  body.data = data + NATTER_WIRE_HEADER_SIZE;
  body.size = len - NATTER_WIRE_HEADER_SIZE;
  /* a{sv}: dictionary entries are aligned to 8 */
  if (!array_elements (body, 8, entries))
    return FALSE;
  for (guint i = 0; i < entries->len; i++)
    {
      Slice entry = g_array_index (entries, Slice, i);
      guint w = offset_width (entry.size);
      gsize key_end, value_start, sep;
      Slice value;
      const char *key, *type;

      if (entry.size < w + 2)
        return FALSE;
      key_end = read_offset (entry.data + entry.size - w, w);
      if (key_end == 0 || key_end > entry.size - w || entry.data[key_end - 1] != '\0')
        return FALSE;
      key = (const char *) entry.data;
      value_start = align (key_end, 8);
      if (value_start > entry.size - w)
        return FALSE;
      /* a variant: the value, a zero byte, its type string */
      value.data = entry.data + value_start;
      value.size = entry.size - w - value_start;
      sep = value.size;
      while (sep > 0 && value.data[sep - 1] != '\0')
        sep--;
      if (sep == 0)
        return FALSE;
      type = (const char *) value.data + sep;
      value.size = sep - 1;

      if (strcmp (key, "ver") == 0 && value.size == 8 && strncmp (type, "t", 1) == 0)
        {
          memcpy (&view->version, value.data, 8);
          view->version = GUINT64_FROM_LE (view->version);
        }
      else if (strcmp (key, "part") == 0 && value.size == 2)
        view->part = value.data[0] | (value.data[1] << 8);
      else if (strcmp (key, "parts") == 0 && value.size == 2)
        view->parts = value.data[0] | (value.data[1] << 8);
      else if (strcmp (key, "peers") == 0)
        {
          if (!array_elements (value, 4, elements))
            return FALSE;
          for (guint j = 0; j < elements->len; j++)
            {
              BenchPeer peer = { 0 };

              if (!read_peer (g_array_index (elements, Slice, j), &peer))
                return FALSE;
              g_array_append_val (view->peers, peer);
            }
        }
      else if (strcmp (key, "events") == 0)
        {
          if (!array_elements (value, 8, elements))
            return FALSE;
          for (guint j = 0; j < elements->len; j++)
            {
              Slice e = g_array_index (elements, Slice, j);
              BenchEvent event = { 0 };
              Slice peer;

              /* (ty(...)): t, y, then the record, aligned to 4 */
              if (e.size < 12)
                return FALSE;
              memcpy (&event.version, e.data, 8);
              event.version = GUINT64_FROM_LE (event.version);
              event.kind = e.data[8];
              peer.data = e.data + 12;
              peer.size = e.size - 12;
              if (!read_peer (peer, &event.peer))
                return FALSE;
              g_array_append_val (view->events, event);
            }
        }
    }
  return TRUE;
}

void
bench_view_init (BenchView *view)
{
  memset (view, 0, sizeof *view);
  view->peers = g_array_new (FALSE, FALSE, sizeof (BenchPeer));
  view->events = g_array_new (FALSE, FALSE, sizeof (BenchEvent));
}

void
bench_view_clear (BenchView *view)
{
  g_clear_pointer (&view->peers, g_array_unref);
  g_clear_pointer (&view->events, g_array_unref);
}
