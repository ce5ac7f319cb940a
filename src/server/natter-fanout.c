/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "natter-server"
#include "config.h"

#include "natter-core-private.h"
#include "natter-wire.h"

/* Room for the header, the dictionary framing and the scalar fields next to
 * the array of peers or events. */
#define ARRAY_BUDGET (NATTER_WIRE_MAX_SIZE - NATTER_WIRE_HEADER_SIZE - 96)

void
natter_core_log_event (const NatterRegEvent *event)
{
  char ep[NATTER_ENDPOINT_STRLEN];

  natter_endpoint_format (&event->public_endpoint, ep);
  /* the assignment's server prints exactly these lines */
  switch (event->kind)
    {
    case NATTER_EVENT_JOIN:
      g_message ("%s %s", event->id, ep);
      break;
    case NATTER_EVENT_LEAVE:
      g_message ("%s is unregistered %s", event->id, ep);
      break;
    case NATTER_EVENT_TIMEOUT:
      g_message ("%s is off-line %s", event->id, ep);
      break;
    case NATTER_EVENT_MOVE:
    default:
      break;
    }
}

/* Splits values into arrays that each fit in one datagram. */
static GPtrArray *
pack (GPtrArray          *values,
      const GVariantType *array_type)
{
  GPtrArray *chunks = g_ptr_array_new_with_free_func ((GDestroyNotify) g_variant_unref);
  GVariantBuilder b;
  gsize used = 0;
  guint in_chunk = 0;

  g_variant_builder_init (&b, array_type);
  for (guint i = 0; i < values->len; i++)
    {
      GVariant *v = values->pdata[i];
      gsize size = natter_wire_variant_size (v);

      if (in_chunk > 0 && used + size > ARRAY_BUDGET)
        {
          g_ptr_array_add (chunks, g_variant_ref_sink (g_variant_builder_end (&b)));
          g_variant_builder_init (&b, array_type);
          used = 0;
          in_chunk = 0;
        }
      g_variant_builder_add_value (&b, v);
      used += size;
      in_chunk++;
    }
  if (in_chunk > 0 || chunks->len == 0)
    g_ptr_array_add (chunks, g_variant_ref_sink (g_variant_builder_end (&b)));
  else
    g_variant_builder_clear (&b);
  return chunks;
}

void
natter_core_send_list (NatterCore  *core,
                       NatterEntry *recipient)
{
  g_autoptr(GPtrArray) values = g_ptr_array_new_with_free_func ((GDestroyNotify) g_variant_unref);
  g_autoptr(GPtrArray) chunks = NULL;
  guint64 version = natter_registry_version (core->registry);

  for (GList *l = natter_registry_entries (core->registry); l != NULL; l = l->next)
    {
      NatterEntry *entry = l->data;
      NatterPeerInfo info;
      gboolean same_nat = natter_endpoint_same_address (&entry->public_endpoint,
                                                        &recipient->public_endpoint);

      natter_entry_to_peer_info (entry, same_nat, &info);
      g_ptr_array_add (values, g_variant_ref_sink (natter_wire_peer_variant (&info)));
    }

  chunks = pack (values, G_VARIANT_TYPE ("a(s(ayq)a(ayq)u)"));
  for (guint i = 0; i < chunks->len; i++)
    {
      GVariantBuilder b;
      GBytes *datagram;

      g_variant_builder_init (&b, G_VARIANT_TYPE_VARDICT);
      natter_wire_add_u64 (&b, "ver", version);
      g_variant_builder_add (&b, "{sv}", "part", g_variant_new_uint16 (i));
      g_variant_builder_add (&b, "{sv}", "parts", g_variant_new_uint16 (chunks->len));
      g_variant_builder_add (&b, "{sv}", "peers", chunks->pdata[i]);
      datagram = natter_wire_encode (NATTER_MSG_LIST, g_variant_builder_end (&b));
      g_assert (datagram != NULL);
      natter_core_send (core, &recipient->public_endpoint, datagram);
    }
  recipient->synced_version = version;
}

static void
flush_native (NatterCore  *core,
              NatterEntry *recipient,
              GArray      *events,
              GPtrArray   *public_variants,
              GPtrArray   *private_variants)
{
  g_autoptr(GPtrArray) values = g_ptr_array_new ();
  g_autoptr(GPtrArray) chunks = NULL;

  for (guint i = 0; i < events->len; i++)
    {
      const NatterRegEvent *event = &g_array_index (events, NatterRegEvent, i);
      gboolean same_nat;

      if (event->version <= recipient->synced_version)
        continue;
      same_nat = natter_endpoint_same_address (&event->public_endpoint,
                                               &recipient->public_endpoint);
      g_ptr_array_add (values, same_nat ? private_variants->pdata[i] : public_variants->pdata[i]);
    }
  if (values->len == 0)
    return;

  chunks = pack (values, G_VARIANT_TYPE ("a(ty(s(ayq)a(ayq)u))"));
  for (guint i = 0; i < chunks->len; i++)
    {
      GVariantBuilder b;
      GBytes *datagram;

      g_variant_builder_init (&b, G_VARIANT_TYPE_VARDICT);
      g_variant_builder_add (&b, "{sv}", "events", chunks->pdata[i]);
      datagram = natter_wire_encode (NATTER_MSG_EVENTS, g_variant_builder_end (&b));
      g_assert (datagram != NULL);
      natter_core_send (core, &recipient->public_endpoint, datagram);
    }
}

void
natter_core_flush (NatterCore *core)
{
  g_autoptr(GArray) events = natter_registry_take_events (core->registry);
  g_autoptr(GPtrArray) public_variants = NULL;
  g_autoptr(GPtrArray) private_variants = NULL;
  guint64 newest;

  if (events->len == 0)
    return;

  /* Each event is serialised once in each form, then shared by every
   * recipient: the fan-out is the server's hottest loop. */
  public_variants = g_ptr_array_new_with_free_func ((GDestroyNotify) g_variant_unref);
  private_variants = g_ptr_array_new_with_free_func ((GDestroyNotify) g_variant_unref);
  for (guint i = 0; i < events->len; i++)
    {
      const NatterRegEvent *reg_event = &g_array_index (events, NatterRegEvent, i);
      NatterEvent event = { reg_event->version, reg_event->kind };
      GVariant *pub;

      natter_core_log_event (reg_event);
      natter_reg_event_to_peer_info (reg_event, FALSE, &event.peer);
      pub = g_variant_ref_sink (natter_wire_event_variant (&event));
      g_ptr_array_add (public_variants, pub);
      if (reg_event->n_candidates > 0)
        {
          natter_reg_event_to_peer_info (reg_event, TRUE, &event.peer);
          g_ptr_array_add (private_variants, g_variant_ref_sink (natter_wire_event_variant (&event)));
        }
      else
        g_ptr_array_add (private_variants, g_variant_ref (pub));
    }

  newest = g_array_index (events, NatterRegEvent, events->len - 1).version;
  for (GList *l = natter_registry_entries (core->registry); l != NULL; l = l->next)
    {
      NatterEntry *recipient = l->data;

      if (recipient->classic)
        {
          for (guint i = 0; i < events->len; i++)
            {
              const NatterRegEvent *event = &g_array_index (events, NatterRegEvent, i);

              if (event->version > recipient->synced_version)
                natter_core_classic_event (core, recipient, event);
            }
        }
      else
        flush_native (core, recipient, events, public_variants, private_variants);
      recipient->synced_version = MAX (recipient->synced_version, newest);
    }
}
