/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "fuzz-common.h"
#include "natter-peerwire.h"
#include "natter-wire.h"

/* PEER datagrams: natter_msg_parse(), then natter_peer_open() with a fixed
 * pair key and receiver, as a client does with every datagram from a peer.
 *
 * A mutated datagram almost never carries a valid MAC, which would leave
 * the payload parser unexercised; so each PEER datagram is also sealed
 * again with the right MAC for its own id, to and p (what a peer holding
 * the key, buggy or hostile, can send) and opened as its recipient. An
 * opened message is sealed once more and must open to the same fields. */

static void
check_opened (const NatterPeerMsg *m)
{
  switch (m->kind)
    {
    case NATTER_PEER_PROBE:
    case NATTER_PEER_PING:
      FUZZ_CHECK (!m->has_seen && m->text == NULL);
      break;
    case NATTER_PEER_PROBE_ACK:
    case NATTER_PEER_PONG:
      if (m->has_seen)
        fuzz_check_endpoint (&m->seen, TRUE);
      break;
    case NATTER_PEER_CHAT:
      FUZZ_CHECK (m->n_fragments >= 1 && m->n_fragments <= NATTER_PEER_MAX_FRAGMENTS);
      FUZZ_CHECK (m->fragment < m->n_fragments);
      FUZZ_CHECK (m->text != NULL);
      FUZZ_CHECK (m->text_len >= 1 && m->text_len <= NATTER_PEER_MAX_FRAGMENT);
      fuzz_touch (m->text, m->text_len);
      break;
    case NATTER_PEER_ACK:
      FUZZ_CHECK (m->fragment < NATTER_PEER_MAX_FRAGMENTS);
      break;
    default:
      FUZZ_CHECK (!"natter_peer_open accepted an unknown kind");
    }
  FUZZ_CHECK (m->body != NULL);
}

static gboolean
peer_msg_equal (const NatterPeerMsg *a,
                const NatterPeerMsg *b)
{
  return a->kind == b->kind && a->nonce == b->nonce && a->message_id == b->message_id &&
         a->fragment == b->fragment && a->n_fragments == b->n_fragments &&
         a->timestamp_ms == b->timestamp_ms && a->text_len == b->text_len &&
         (a->text_len == 0 || memcmp (a->text, b->text, a->text_len) == 0) &&
         !a->has_seen == !b->has_seen &&
         (!a->has_seen || natter_endpoint_equal (&a->seen, &b->seen));
}

static gboolean
open_datagram (const guint8  *data,
               gsize          len,
               const char    *my_id,
               NatterMsg     *outer,
               NatterPeerMsg *m)
{
  g_autoptr(GError) error = NULL;

  if (!natter_msg_parse (outer, data, len, NULL))
    return FALSE;
  if (natter_peer_open (fuzz_peer_key, outer, my_id, m, &error))
    {
      FUZZ_CHECK (error == NULL);
      return TRUE;
    }
  FUZZ_CHECK (error != NULL && error->domain == NATTER_PEER_ERROR);
  FUZZ_CHECK (m->body == NULL);
  return FALSE;
}

/* Seals m again and opens the result as its recipient. */
static void
reseal (const NatterMsg     *outer,
        const NatterPeerMsg *m,
        gsize                outer_len)
{
  g_autoptr(GBytes) sealed = natter_peer_seal (fuzz_peer_key, outer->id, outer->to, m);
  g_auto(NatterMsg) outer2 = { 0 };
  g_auto(NatterPeerMsg) m2 = { 0 };

  /* What open accepts seal can say: the payload holds no more than the
   * original's fields, so it fits where the original did, give or take the
   * alignment padding of its (at most 5) entries in another order. */
  if (sealed == NULL)
    {
      FUZZ_CHECK (outer->data_len + 5 * 7 > NATTER_WIRE_MAX_DATA ||
                  outer_len + 6 * 7 > NATTER_WIRE_MAX_SIZE);
      return;
    }
  FUZZ_CHECK (open_datagram (g_bytes_get_data (sealed, NULL), g_bytes_get_size (sealed),
                             outer->to, &outer2, &m2));
  FUZZ_CHECK (peer_msg_equal (m, &m2));
}

/* The same id, to and p under the MAC a holder of the key would compute. */
static void
open_with_valid_mac (const NatterMsg *outer,
                     gsize            orig_len)
{
  guint8 mac[NATTER_WIRE_MAC_SIZE];
  GVariantBuilder b;
  g_autoptr(GBytes) datagram = NULL;
  g_auto(NatterMsg) outer2 = { 0 };
  g_auto(NatterPeerMsg) m = { 0 };

  fuzz_peer_mac (fuzz_peer_key, outer->id, outer->to, outer->data, outer->data_len, mac);
  g_variant_builder_init (&b, G_VARIANT_TYPE_VARDICT);
  natter_wire_add_string (&b, "id", outer->id);
  natter_wire_add_string (&b, "to", outer->to);
  natter_wire_add_bytes (&b, "mac", mac, sizeof mac);
  natter_wire_add_bytes (&b, "p", outer->data, outer->data_len);
  datagram = natter_wire_encode (NATTER_MSG_PEER, g_variant_builder_end (&b));
  if (datagram == NULL)
    {
      /* only when the entries' padding made it grow past the limit */
      FUZZ_CHECK (orig_len + 7 * 4 > NATTER_WIRE_MAX_SIZE);
      return;
    }
  if (open_datagram (g_bytes_get_data (datagram, NULL), g_bytes_get_size (datagram),
                     outer->to, &outer2, &m))
    {
      check_opened (&m);
      reseal (&outer2, &m, g_bytes_get_size (datagram));
    }
  else
    /* the MAC is right and it is addressed to its reader: only the
     * payload can be wrong */
    FUZZ_CHECK (outer2.type == NATTER_MSG_PEER);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_auto(NatterMsg) outer = { 0 };
  g_auto(NatterPeerMsg) m = { 0 };

  if (open_datagram (data, size, FUZZ_PEER_ME, &outer, &m))
    {
      FUZZ_CHECK (strcmp (outer.to, FUZZ_PEER_ME) == 0);
      check_opened (&m);
      reseal (&outer, &m, size);
    }
  if (outer.type == NATTER_MSG_PEER && outer.body != NULL)
    open_with_valid_mac (&outer, size);
  return 0;
}
