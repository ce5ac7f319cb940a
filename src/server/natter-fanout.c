/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "natter-server"
#include "config.h"

#include <string.h>

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

static GPtrArray *
encode_events (GPtrArray *values)
{
  g_autoptr(GPtrArray) chunks = pack (values, G_VARIANT_TYPE ("a" NATTER_WIRE_TYPE_EVENT));
  GPtrArray *datagrams = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);

  for (guint i = 0; i < chunks->len; i++)
    {
      GVariantBuilder b;
      GBytes *datagram;

      g_variant_builder_init (&b, G_VARIANT_TYPE_VARDICT);
      g_variant_builder_add (&b, "{sv}", "events", chunks->pdata[i]);
      datagram = natter_wire_encode (NATTER_MSG_EVENTS, g_variant_builder_end (&b));
      g_assert (datagram != NULL);
      g_ptr_array_add (datagrams, datagram);
    }
  return datagrams;
}

typedef struct
{
  GArray     *events;
  GPtrArray  *public_variants;
  GPtrArray  *private_variants;
  GArray     *with_candidates;  /* guint: events whose two forms differ */
  /* The public forms cut into datagram-sized runs once: chunk_of[i] is the
   * run event i is in, starts[c] where run c starts. Whoever lacks events
   * from i on gets the rest of i's run, then the later runs whole, as
   * datagrams shared by every such recipient. */
  guint      *chunk_of;
  GArray     *starts;           /* guint */
  GBytes    **run_datagrams;    /* per run, from its start */
  GPtrArray **tail_datagrams;   /* per event: the rest of its run */
} FanOut;

static void
fan_out_cut (FanOut *fan)
{
  gsize used = 0;
  guint run = 0;

  fan->chunk_of = g_new0 (guint, fan->events->len);
  fan->starts = g_array_new (FALSE, FALSE, sizeof (guint));
  for (guint i = 0; i < fan->events->len; i++)
    {
      gsize size = natter_wire_variant_size (fan->public_variants->pdata[i]);

      if (i == 0 || used + size > ARRAY_BUDGET)
        {
          run = fan->starts->len;
          g_array_append_val (fan->starts, i);
          used = 0;
        }
      used += size;
      fan->chunk_of[i] = run;
    }
  fan->run_datagrams = g_new0 (GBytes *, fan->starts->len);
  fan->tail_datagrams = g_new0 (GPtrArray *, fan->events->len);
}

static void
fan_out_clear (FanOut *fan)
{
  for (guint i = 0; i < fan->events->len; i++)
    g_clear_pointer (&fan->tail_datagrams[i], g_ptr_array_unref);
  for (guint c = 0; c < fan->starts->len; c++)
    g_clear_pointer (&fan->run_datagrams[c], g_bytes_unref);
  g_free (fan->tail_datagrams);
  g_free (fan->run_datagrams);
  g_free (fan->chunk_of);
  g_array_unref (fan->starts);
}

/* The events from..to-1 in their public form, packed as usual. */
static GPtrArray *
encode_public (FanOut *fan,
               guint   from,
               guint   to)
{
  g_autoptr(GPtrArray) values = g_ptr_array_new ();

  for (guint i = from; i < to; i++)
    g_ptr_array_add (values, fan->public_variants->pdata[i]);
  return encode_events (values);
}

static guint
run_end (FanOut *fan,
         guint   run)
{
  return run + 1 < fan->starts->len ? g_array_index (fan->starts, guint, run + 1)
                                    : fan->events->len;
}

static void
send_shared (NatterCore  *core,
             NatterEntry *recipient,
             FanOut      *fan,
             guint        from)
{
  guint run = fan->chunk_of[from];
  GPtrArray *tail;

  if (fan->tail_datagrams[from] == NULL)
    fan->tail_datagrams[from] = encode_public (fan, from, run_end (fan, run));
  tail = fan->tail_datagrams[from];
  for (guint i = 0; i < tail->len; i++)
    natter_core_send (core, &recipient->public_endpoint, g_bytes_ref (tail->pdata[i]));

  for (guint c = run + 1; c < fan->starts->len; c++)
    {
      if (fan->run_datagrams[c] == NULL)
        {
          g_autoptr(GPtrArray) whole = encode_public (fan, g_array_index (fan->starts, guint, c),
                                                      run_end (fan, c));

          /* a run was cut to fit one datagram */
          g_assert (whole->len == 1);
          fan->run_datagrams[c] = g_bytes_ref (whole->pdata[0]);
        }
      natter_core_send (core, &recipient->public_endpoint, g_bytes_ref (fan->run_datagrams[c]));
    }
}

static void
flush_native (NatterCore  *core,
              NatterEntry *recipient,
              FanOut      *fan)
{
  const NatterRegEvent *first = &g_array_index (fan->events, NatterRegEvent, 0);
  g_autoptr(GPtrArray) values = NULL;
  g_autoptr(GPtrArray) datagrams = NULL;
  guint from;

  /* the events of one flush carry consecutive versions */
  if (recipient->synced_version < first->version)
    from = 0;
  else
    from = MIN (recipient->synced_version - first->version + 1, (guint64) fan->events->len);
  if (from == fan->events->len)
    return;

  /* Only behind the same public address does anyone see an event's
   * candidates; everyone else gets the shared datagrams. */
  {
    gboolean shared = TRUE;

    for (guint i = 0; i < fan->with_candidates->len && shared; i++)
      {
        guint j = g_array_index (fan->with_candidates, guint, i);

        if (j >= from &&
            natter_endpoint_same_address (&g_array_index (fan->events, NatterRegEvent, j).public_endpoint,
                                          &recipient->public_endpoint))
          shared = FALSE;
      }
    if (shared)
      {
        send_shared (core, recipient, fan, from);
        return;
      }
  }

  values = g_ptr_array_new ();
  for (guint i = from; i < fan->events->len; i++)
    {
      const NatterRegEvent *event = &g_array_index (fan->events, NatterRegEvent, i);
      gboolean same_nat = natter_endpoint_same_address (&event->public_endpoint,
                                                        &recipient->public_endpoint);

      g_ptr_array_add (values, same_nat ? fan->private_variants->pdata[i]
                                        : fan->public_variants->pdata[i]);
    }
  datagrams = encode_events (values);
  for (guint i = 0; i < datagrams->len; i++)
    natter_core_send (core, &recipient->public_endpoint, g_bytes_ref (datagrams->pdata[i]));
}

void
natter_core_flush (NatterCore *core)
{
  g_autoptr(GArray) events = natter_registry_take_events (core->registry);
  g_autoptr(GPtrArray) public_variants = NULL;
  g_autoptr(GPtrArray) private_variants = NULL;
  g_autoptr(GArray) with_candidates = NULL;
  FanOut fan;
  GBytes **lines;
  guint64 newest;

  if (events->len == 0)
    return;

  /* Each event is serialised once in each form, then shared by every
   * recipient: the fan-out is the server's hottest loop. */
  public_variants = g_ptr_array_new_with_free_func ((GDestroyNotify) g_variant_unref);
  private_variants = g_ptr_array_new_with_free_func ((GDestroyNotify) g_variant_unref);
  with_candidates = g_array_new (FALSE, FALSE, sizeof (guint));
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
          g_array_append_val (with_candidates, i);
        }
      else
        g_ptr_array_add (private_variants, g_variant_ref (pub));
    }

  fan.events = events;
  fan.public_variants = public_variants;
  fan.private_variants = private_variants;
  fan.with_candidates = with_candidates;
  fan_out_cut (&fan);

  newest = g_array_index (events, NatterRegEvent, events->len - 1).version;
  lines = g_new0 (GBytes *, events->len);
  /* newest deadline first: a newcomer, whose list just went out, hears
   * the end of its registration before the others hear of it */
  for (GList *l = natter_registry_entries_newest (core->registry); l != NULL; l = l->prev)
    {
      NatterEntry *recipient = l->data;

      /* its list, written later, will hold these changes */
      if (recipient->list_wanted)
        continue;
      if (recipient->classic)
        {
          for (guint i = 0; i < events->len; i++)
            {
              const NatterRegEvent *event = &g_array_index (events, NatterRegEvent, i);

              if (event->version > recipient->synced_version)
                natter_core_classic_event (core, recipient, event, &lines[i]);
            }
        }
      else
        flush_native (core, recipient, &fan);
      recipient->synced_version = MAX (recipient->synced_version, newest);
    }

  for (guint i = 0; i < events->len; i++)
    g_clear_pointer (&lines[i], g_bytes_unref);
  g_free (lines);
  fan_out_clear (&fan);
}
