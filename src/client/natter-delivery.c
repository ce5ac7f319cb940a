/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "natter-delivery.h"

/* Behaviour the header leaves open, decided here:
 *
 * - The receiver can hold only NATTER_DELIVERY_MAX_PARTIAL partial messages,
 *   and evicting one loses fragments it has already acknowledged, which the
 *   sender will never resend: that message can then only fail. So the
 *   sender transmits at most NATTER_DELIVERY_MAX_PARTIAL multi-fragment
 *   messages at a time, in queue order; later ones wait (their give-up
 *   clock runs from queue time regardless). Single-fragment messages never
 *   occupy a partial slot and are never held back.
 * - With can_send FALSE, poll returns only the next give-up time: due
 *   fragments stay due (the next poll with can_send TRUE sends them), and
 *   returning their past due time would make the caller spin.
 * - When an ACK completes a message, a waiting one may become sendable:
 *   callers should poll after queue, ack, kick and cancel, not only when
 *   the time poll returned has come.
 * - "Oldest" partial means least recently given a new fragment, so that a
 *   message the sender has abandoned goes before one still arriving.
 *   Partials are also dropped NATTER_DELIVERY_GIVE_UP_MS after their first
 *   fragment: by then the sender has given up on them.
 * - A message whose reassembled bytes are not valid UTF-8, or exceed
 *   NATTER_MAX_TEXT_BYTES, is remembered as rejected: any later fragment of
 *   it is INVALID too (never acknowledged), so the sender reports failure
 *   rather than believing a dropped message was delivered.
 * - Completed ids are remembered FIFO, NATTER_DELIVERY_REMEMBERED of them; a
 *   late fragment of an id forgotten since would be handed up again. The
 *   sender stops resending after NATTER_DELIVERY_GIVE_UP_MS, so that takes
 *   more than that many messages completing within the give-up time. */

typedef struct
{
  gsize   offset;
  gsize   len;
  gint64  due_ms;
  gint64  rto_ms;
  gboolean acked;
} OutFragment;

typedef struct
{
  guint64     id;           /* the key of out_by_id */
  GList       link;         /* in NatterDelivery.out, data = this */
  gint64      timestamp_ms;
  gint64      give_up_ms;
  char       *text;
  guint16     n_fragments;
  guint16     n_acked;
  OutFragment fragments[];
} OutMessage;

typedef struct
{
  guint64  id;
  guint16  n_fragments;
  guint16  n_have;
  gint64   timestamp_ms;
  gint64   created_ms;
  guint64  touched;          /* NatterDelivery.touch_counter when last added to */
  gsize    total_len;
  guint8  *data[NATTER_PEER_MAX_FRAGMENTS];
  gsize    len[NATTER_PEER_MAX_FRAGMENTS];
} Partial;

typedef struct
{
  guint64  id;               /* the key of done_by_id */
  gboolean rejected;
} DoneEntry;

struct _NatterDelivery
{
  GQueue      out;           /* OutMessage, in queue order */
  GHashTable *out_by_id;     /* &id -> OutMessage */
  GArray     *failed;        /* guint64 */
  gboolean    polling;

  Partial    *partials[NATTER_DELIVERY_MAX_PARTIAL];
  guint64     touch_counter;

  DoneEntry  *done;          /* ring, grown up to NATTER_DELIVERY_REMEMBERED */
  guint       done_head, done_len, done_capacity;
  GHashTable *done_by_id;    /* &id -> DoneEntry, both inside done */
};

NatterDelivery *
natter_delivery_new (void)
{
  NatterDelivery *delivery = g_new0 (NatterDelivery, 1);

  g_queue_init (&delivery->out);
  delivery->out_by_id = g_hash_table_new (g_int64_hash, g_int64_equal);
  delivery->failed = g_array_new (FALSE, FALSE, sizeof (guint64));
  delivery->done_by_id = g_hash_table_new (g_int64_hash, g_int64_equal);
  return delivery;
}

static void
partial_free (Partial *partial)
{
  for (guint i = 0; i < partial->n_fragments; i++)
    g_free (partial->data[i]);
  g_free (partial);
}

static void
out_remove (NatterDelivery *delivery,
            OutMessage     *msg)
{
  g_queue_unlink (&delivery->out, &msg->link);
  g_hash_table_remove (delivery->out_by_id, &msg->id);
  g_free (msg->text);
  g_free (msg);
}

void
natter_delivery_free (NatterDelivery *delivery)
{
  if (delivery == NULL)
    return;
  while (delivery->out.head != NULL)
    out_remove (delivery, delivery->out.head->data);
  g_hash_table_unref (delivery->out_by_id);
  g_array_unref (delivery->failed);
  for (guint i = 0; i < NATTER_DELIVERY_MAX_PARTIAL; i++)
    g_clear_pointer (&delivery->partials[i], partial_free);
  g_hash_table_unref (delivery->done_by_id);
  g_free (delivery->done);
  g_free (delivery);
}

/* Each fragment ends on a character boundary so that it is valid UTF-8 on
 * its own: a 4-byte character at most pushes 3 bytes into the next one, so
 * NATTER_MAX_TEXT_BYTES still fits in NATTER_PEER_MAX_FRAGMENTS. */
static guint
split_fragments (const char *text,
                 gsize       len,
                 gsize      *offsets,
                 gsize      *lens)
{
  gsize start = 0;
  guint n = 0;

  G_STATIC_ASSERT ((NATTER_MAX_TEXT_BYTES + NATTER_PEER_MAX_FRAGMENT - 4) /
                   (NATTER_PEER_MAX_FRAGMENT - 3) <= NATTER_PEER_MAX_FRAGMENTS);

  while (start < len)
    {
      gsize end = MIN (start + NATTER_PEER_MAX_FRAGMENT, len);

      while (end < len && end > start && ((guchar) text[end] & 0xC0) == 0x80)
        end--;
      offsets[n] = start;
      lens[n] = end - start;
      n++;
      start = end;
    }
  return n;
}

gboolean
natter_delivery_queue (NatterDelivery *delivery,
                       guint64         message_id,
                       const char     *text,
                       gint64          timestamp_ms,
                       gint64          now_ms)
{
  gsize offsets[NATTER_PEER_MAX_FRAGMENTS];
  gsize lens[NATTER_PEER_MAX_FRAGMENTS];
  OutMessage *msg;
  gsize len;
  guint n;

  g_return_val_if_fail (delivery != NULL, FALSE);
  g_return_val_if_fail (text != NULL, FALSE);
  g_return_val_if_fail (!delivery->polling, FALSE);

  len = strnlen (text, NATTER_MAX_TEXT_BYTES + 1);
  if (len == 0 || len > NATTER_MAX_TEXT_BYTES ||
      !g_utf8_validate_len (text, len, NULL))
    return FALSE;
  if (g_hash_table_contains (delivery->out_by_id, &message_id))
    return FALSE;

  n = split_fragments (text, len, offsets, lens);
  msg = g_malloc0 (sizeof (OutMessage) + n * sizeof (OutFragment));
  msg->id = message_id;
  msg->link.data = msg;
  msg->timestamp_ms = timestamp_ms;
  msg->give_up_ms = now_ms + NATTER_DELIVERY_GIVE_UP_MS;
  msg->text = g_strndup (text, len);
  msg->n_fragments = n;
  for (guint i = 0; i < n; i++)
    {
      msg->fragments[i].offset = offsets[i];
      msg->fragments[i].len = lens[i];
      msg->fragments[i].due_ms = now_ms;
      msg->fragments[i].rto_ms = NATTER_DELIVERY_FIRST_RTO_MS;
    }
  g_queue_push_tail_link (&delivery->out, &msg->link);
  g_hash_table_insert (delivery->out_by_id, &msg->id, msg);
  return TRUE;
}

static void
emit (OutMessage             *msg,
      guint                   i,
      NatterDeliverySendFunc  send,
      gpointer                user_data)
{
  NatterPeerMsg fragment = {
    .kind = NATTER_PEER_CHAT, .message_id = msg->id, .fragment = i,
    .n_fragments = msg->n_fragments, .timestamp_ms = msg->timestamp_ms,
    .text = (const guint8 *) msg->text + msg->fragments[i].offset,
    .text_len = msg->fragments[i].len,
  };

  send (&fragment, user_data);
}

static gint64
earliest (gint64 a,
          gint64 b)
{
  return a < 0 ? b : MIN (a, b);
}

gint64
natter_delivery_poll (NatterDelivery         *delivery,
                      gint64                  now_ms,
                      gboolean                can_send,
                      NatterDeliverySendFunc  send,
                      gpointer                user_data)
{
  guint n_multi = 0;
  gint64 next = -1;
  GList *l, *l_next;

  g_return_val_if_fail (delivery != NULL, -1);
  g_return_val_if_fail (!can_send || send != NULL, -1);
  g_return_val_if_fail (!delivery->polling, -1);

  /* send must not re-enter: it could free the message being walked */
  delivery->polling = TRUE;
  for (l = delivery->out.head; l != NULL; l = l_next)
    {
      OutMessage *msg = l->data;

      l_next = l->next;
      if (now_ms >= msg->give_up_ms)
        {
          g_array_append_val (delivery->failed, msg->id);
          out_remove (delivery, msg);
          continue;
        }
      next = earliest (next, msg->give_up_ms);
      if (msg->n_fragments > 1 && n_multi++ >= NATTER_DELIVERY_MAX_PARTIAL)
        continue;
      if (!can_send)
        continue;

      for (guint i = 0; i < msg->n_fragments; i++)
        {
          OutFragment *frag = &msg->fragments[i];

          if (frag->acked)
            continue;
          if (frag->due_ms <= now_ms)
            {
              emit (msg, i, send, user_data);
              frag->due_ms = now_ms + frag->rto_ms;
              frag->rto_ms = MIN (frag->rto_ms * 2, NATTER_DELIVERY_MAX_RTO_MS);
            }
          next = earliest (next, frag->due_ms);
        }
    }
  delivery->polling = FALSE;
  return next;
}

void
natter_delivery_kick (NatterDelivery *delivery,
                      gint64          now_ms)
{
  g_return_if_fail (delivery != NULL);
  g_return_if_fail (!delivery->polling);

  for (GList *l = delivery->out.head; l != NULL; l = l->next)
    {
      OutMessage *msg = l->data;

      for (guint i = 0; i < msg->n_fragments; i++)
        {
          msg->fragments[i].due_ms = now_ms;
          msg->fragments[i].rto_ms = NATTER_DELIVERY_FIRST_RTO_MS;
        }
    }
}

gboolean
natter_delivery_ack (NatterDelivery *delivery,
                     guint64         message_id,
                     guint16         fragment)
{
  OutMessage *msg;

  g_return_val_if_fail (delivery != NULL, FALSE);
  g_return_val_if_fail (!delivery->polling, FALSE);

  msg = g_hash_table_lookup (delivery->out_by_id, &message_id);
  if (msg == NULL || fragment >= msg->n_fragments ||
      msg->fragments[fragment].acked)
    return FALSE;
  msg->fragments[fragment].acked = TRUE;
  if (++msg->n_acked < msg->n_fragments)
    return FALSE;
  out_remove (delivery, msg);
  return TRUE;
}

GArray *
natter_delivery_take_failed (NatterDelivery *delivery)
{
  GArray *failed;

  g_return_val_if_fail (delivery != NULL, NULL);

  failed = g_steal_pointer (&delivery->failed);
  delivery->failed = g_array_new (FALSE, FALSE, sizeof (guint64));
  return failed;
}

gboolean
natter_delivery_is_pending (NatterDelivery *delivery,
                            guint64         message_id)
{
  g_return_val_if_fail (delivery != NULL, FALSE);

  return g_hash_table_contains (delivery->out_by_id, &message_id);
}

guint
natter_delivery_n_pending (NatterDelivery *delivery)
{
  g_return_val_if_fail (delivery != NULL, 0);

  return delivery->out.length;
}

void
natter_delivery_cancel (NatterDelivery *delivery,
                        guint64         message_id)
{
  OutMessage *msg;

  g_return_if_fail (delivery != NULL);
  g_return_if_fail (!delivery->polling);

  msg = g_hash_table_lookup (delivery->out_by_id, &message_id);
  if (msg != NULL)
    out_remove (delivery, msg);
}

/* The ring starts small and doubles: most peers never send many messages,
 * and a client may list thousands of them. Entries move, so the table is
 * filled again (without those forgotten). */
static void
grow_done (NatterDelivery *delivery)
{
  guint capacity = MIN (NATTER_DELIVERY_REMEMBERED, MAX (16, delivery->done_capacity * 2));
  DoneEntry *ring = g_new0 (DoneEntry, capacity);

  for (guint i = 0; i < delivery->done_len; i++)
    {
      DoneEntry *old = &delivery->done[(delivery->done_head + i) % delivery->done_capacity];

      ring[i] = *old;
      if (g_hash_table_lookup (delivery->done_by_id, &old->id) == old)
        {
          g_hash_table_remove (delivery->done_by_id, &old->id);
          g_hash_table_insert (delivery->done_by_id, &ring[i].id, &ring[i]);
        }
    }
  g_free (delivery->done);
  delivery->done = ring;
  delivery->done_capacity = capacity;
  delivery->done_head = 0;
}

static void
remember (NatterDelivery *delivery,
          guint64         message_id,
          gboolean        rejected)
{
  DoneEntry *entry;

  if (delivery->done_len == delivery->done_capacity &&
      delivery->done_capacity < NATTER_DELIVERY_REMEMBERED)
    grow_done (delivery);
  if (delivery->done_len == NATTER_DELIVERY_REMEMBERED)
    {
      entry = &delivery->done[delivery->done_head];
      /* unless forgotten, and remembered again elsewhere since */
      if (g_hash_table_lookup (delivery->done_by_id, &entry->id) == entry)
        g_hash_table_remove (delivery->done_by_id, &entry->id);
      delivery->done_head = (delivery->done_head + 1) % NATTER_DELIVERY_REMEMBERED;
    }
  else
    {
      guint slot = (delivery->done_head + delivery->done_len++) % delivery->done_capacity;

      entry = &delivery->done[slot];
    }
  entry->id = message_id;
  entry->rejected = rejected;
  g_hash_table_insert (delivery->done_by_id, &entry->id, entry);
}

void
natter_delivery_forget (NatterDelivery *delivery,
                        guint64         message_id)
{
  g_return_if_fail (delivery != NULL);
  g_hash_table_remove (delivery->done_by_id, &message_id);
}

/* Takes text (g_malloc'd, len bytes plus room for a NUL). */
static NatterReceiveResult
finish (NatterDelivery  *delivery,
        guint64          message_id,
        char            *text,
        gsize            len,
        gint64           timestamp_ms,
        char           **text_out,
        gint64          *timestamp_out)
{
  if (len > NATTER_MAX_TEXT_BYTES || !g_utf8_validate_len (text, len, NULL))
    {
      g_free (text);
      remember (delivery, message_id, TRUE);
      return NATTER_RECEIVE_INVALID;
    }
  text[len] = '\0';
  remember (delivery, message_id, FALSE);
  *text_out = text;
  if (timestamp_out != NULL)
    *timestamp_out = timestamp_ms;
  return NATTER_RECEIVE_COMPLETE;
}

static Partial **
find_partial (NatterDelivery *delivery,
              guint64         message_id)
{
  for (guint i = 0; i < NATTER_DELIVERY_MAX_PARTIAL; i++)
    if (delivery->partials[i] != NULL && delivery->partials[i]->id == message_id)
      return &delivery->partials[i];
  return NULL;
}

static Partial **
free_partial_slot (NatterDelivery *delivery,
                   gint64          now_ms)
{
  Partial **oldest = NULL;

  for (guint i = 0; i < NATTER_DELIVERY_MAX_PARTIAL; i++)
    {
      Partial **slot = &delivery->partials[i];

      if (*slot != NULL && now_ms - (*slot)->created_ms >= NATTER_DELIVERY_GIVE_UP_MS)
        g_clear_pointer (slot, partial_free);
      if (*slot == NULL)
        return slot;
      if (oldest == NULL || (*slot)->touched < (*oldest)->touched)
        oldest = slot;
    }
  g_clear_pointer (oldest, partial_free);
  return oldest;
}

NatterReceiveResult
natter_delivery_receive (NatterDelivery       *delivery,
                         const NatterPeerMsg  *chat,
                         gint64                now_ms,
                         char                **text_out,
                         gint64               *timestamp_out)
{
  DoneEntry *done;
  Partial **slot;
  Partial *partial;
  char *text;
  gsize pos = 0;

  g_return_val_if_fail (delivery != NULL, NATTER_RECEIVE_INVALID);
  g_return_val_if_fail (chat != NULL, NATTER_RECEIVE_INVALID);
  g_return_val_if_fail (text_out != NULL, NATTER_RECEIVE_INVALID);

  *text_out = NULL;
  if (chat->kind != NATTER_PEER_CHAT || chat->text == NULL ||
      chat->n_fragments == 0 || chat->n_fragments > NATTER_PEER_MAX_FRAGMENTS ||
      chat->fragment >= chat->n_fragments ||
      chat->text_len == 0 || chat->text_len > NATTER_PEER_MAX_FRAGMENT)
    return NATTER_RECEIVE_INVALID;

  done = g_hash_table_lookup (delivery->done_by_id, &chat->message_id);
  if (done != NULL)
    return done->rejected ? NATTER_RECEIVE_INVALID : NATTER_RECEIVE_DUPLICATE;

  slot = find_partial (delivery, chat->message_id);
  if (slot != NULL && ((*slot)->n_fragments != chat->n_fragments ||
                       (*slot)->timestamp_ms != chat->timestamp_ms))
    return NATTER_RECEIVE_INVALID;

  /* a whole message in one fragment never needs (or evicts) a partial */
  if (chat->n_fragments == 1)
    {
      text = g_malloc (chat->text_len + 1);
      memcpy (text, chat->text, chat->text_len);
      return finish (delivery, chat->message_id, text, chat->text_len,
                     chat->timestamp_ms, text_out, timestamp_out);
    }

  if (slot == NULL)
    {
      slot = free_partial_slot (delivery, now_ms);
      *slot = g_new0 (Partial, 1);
      (*slot)->id = chat->message_id;
      (*slot)->n_fragments = chat->n_fragments;
      (*slot)->timestamp_ms = chat->timestamp_ms;
      (*slot)->created_ms = now_ms;
    }
  partial = *slot;
  /* a resend still counts as activity: the sender has not given up */
  partial->touched = ++delivery->touch_counter;
  if (partial->data[chat->fragment] != NULL)
    return NATTER_RECEIVE_PARTIAL;

  partial->data[chat->fragment] = g_memdup2 (chat->text, chat->text_len);
  partial->len[chat->fragment] = chat->text_len;
  partial->total_len += chat->text_len;
  if (++partial->n_have < partial->n_fragments)
    return NATTER_RECEIVE_PARTIAL;

  text = g_malloc (partial->total_len + 1);
  for (guint i = 0; i < partial->n_fragments; i++)
    {
      memcpy (text + pos, partial->data[i], partial->len[i]);
      pos += partial->len[i];
    }
  *slot = NULL;
  partial_free (partial);
  return finish (delivery, chat->message_id, text, pos,
                 chat->timestamp_ms, text_out, timestamp_out);
}
