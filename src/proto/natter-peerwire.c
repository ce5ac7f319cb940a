/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "natter-peerwire.h"
#include "natter-random.h"

G_DEFINE_QUARK (natter-peer-error-quark, natter_peer_error)

/* The NUL is part of the domain string: every field of the MAC input ends in
 * one, and IDs cannot contain NUL, so no two (id, to, p) share an input. */
static const char mac_domain[] = "natter-peer-v1";

#define ENDPOINT_TYPE "(ayq)"

static void
compute_mac (const guint8 *key,
             const char   *from,
             const char   *to,
             const guint8 *p,
             gsize         p_len,
             guint8       *mac)
{
  g_autoptr(GHmac) hmac = g_hmac_new (G_CHECKSUM_SHA256, key, NATTER_WIRE_KEY_SIZE);
  guint8 digest[32];
  gsize digest_len = sizeof digest;

  g_hmac_update (hmac, (const guchar *) mac_domain, sizeof mac_domain);
  g_hmac_update (hmac, (const guchar *) from, strlen (from) + 1);
  g_hmac_update (hmac, (const guchar *) to, strlen (to) + 1);
  g_hmac_update (hmac, p, p_len);
  g_hmac_get_digest (hmac, digest, &digest_len);
  memcpy (mac, digest, NATTER_WIRE_MAC_SIZE);
}

static gboolean
endpoint_valid (const NatterEndpoint *ep)
{
  return natter_endpoint_is_set (ep) && ep->port != 0;
}

/* The same rules for both directions, so that seal never produces what the
 * other side would drop as malformed. Returns the offending field, or NULL. */
static const char *
check_fields (const NatterPeerMsg *msg)
{
  switch (msg->kind)
    {
    case NATTER_PEER_PROBE:
    case NATTER_PEER_PING:
      return NULL;

    case NATTER_PEER_PROBE_ACK:
    case NATTER_PEER_PONG:
      return msg->has_seen && !endpoint_valid (&msg->seen) ? "seen" : NULL;

    case NATTER_PEER_CHAT:
      if (msg->n_fragments < 1 || msg->n_fragments > NATTER_PEER_MAX_FRAGMENTS)
        return "fn";
      if (msg->fragment >= msg->n_fragments)
        return "fi";
      if (msg->text == NULL || msg->text_len < 1 || msg->text_len > NATTER_PEER_MAX_FRAGMENT)
        return "text";
      return NULL;

    case NATTER_PEER_ACK:
      /* it acknowledges a CHAT fragment, so the same range applies */
      return msg->fragment >= NATTER_PEER_MAX_FRAGMENTS ? "fi" : NULL;

    default:
      return "k";
    }
}

/* Sealing */

static GVariant *
payload_variant (const NatterPeerMsg *msg)
{
  GVariantBuilder b;

  g_variant_builder_init (&b, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&b, "{sv}", "k", g_variant_new_byte (msg->kind));
  switch (msg->kind)
    {
    case NATTER_PEER_PROBE:
    case NATTER_PEER_PING:
      natter_wire_add_u64 (&b, "n", msg->nonce);
      break;

    case NATTER_PEER_PROBE_ACK:
    case NATTER_PEER_PONG:
      natter_wire_add_u64 (&b, "n", msg->nonce);
      if (msg->has_seen)
        natter_wire_add_endpoint (&b, "seen", &msg->seen);
      break;

    case NATTER_PEER_CHAT:
      natter_wire_add_u64 (&b, "mid", msg->message_id);
      g_variant_builder_add (&b, "{sv}", "fi", g_variant_new_uint16 (msg->fragment));
      g_variant_builder_add (&b, "{sv}", "fn", g_variant_new_uint16 (msg->n_fragments));
      g_variant_builder_add (&b, "{sv}", "ts", g_variant_new_int64 (msg->timestamp_ms));
      natter_wire_add_bytes (&b, "text", msg->text, msg->text_len);
      break;

    case NATTER_PEER_ACK:
      natter_wire_add_u64 (&b, "mid", msg->message_id);
      g_variant_builder_add (&b, "{sv}", "fi", g_variant_new_uint16 (msg->fragment));
      break;

    default:
      g_assert_not_reached ();
    }
  return g_variant_ref_sink (g_variant_builder_end (&b));
}

/* NULL also when msg breaks the rules open() enforces (or either ID is
 * invalid): the receiver would drop such a datagram anyway, and a caller
 * splitting text into fragments can rely on this as a check. */
GBytes *
natter_peer_seal (const guint8        *key,
                  const char          *from,
                  const char          *to,
                  const NatterPeerMsg *msg)
{
  g_autoptr(GVariant) payload = NULL;
  g_autoptr(GVariant) le = NULL;
  GVariantBuilder b;
  const guint8 *p;
  gsize p_len;
  guint8 mac[NATTER_WIRE_MAC_SIZE];

  g_return_val_if_fail (key != NULL, NULL);
  g_return_val_if_fail (from != NULL && to != NULL, NULL);
  g_return_val_if_fail (msg != NULL, NULL);

  if (check_fields (msg) != NULL ||
      !natter_id_validate (from, -1, NULL) || !natter_id_validate (to, -1, NULL))
    return NULL;

  payload = payload_variant (msg);
  /* p is opaque bytes to everyone but the two peers, so it has to be in
   * the one byte order the wire uses, like every native body */
  le = G_BYTE_ORDER == G_BIG_ENDIAN ? g_variant_byteswap (payload) : g_variant_ref (payload);
  p_len = g_variant_get_size (le);
  if (p_len > NATTER_WIRE_MAX_DATA)
    return NULL;
  p = g_variant_get_data (le);
  compute_mac (key, from, to, p, p_len, mac);

  g_variant_builder_init (&b, G_VARIANT_TYPE_VARDICT);
  natter_wire_add_string (&b, "id", from);
  natter_wire_add_string (&b, "to", to);
  natter_wire_add_bytes (&b, "mac", mac, sizeof mac);
  natter_wire_add_bytes (&b, "p", p, p_len);
  return natter_wire_encode (NATTER_MSG_PEER, g_variant_builder_end (&b));
}

/* Opening */

static gboolean
malformed (GError    **error,
           const char *what,
           const char *key)
{
  g_set_error (error, NATTER_PEER_ERROR, NATTER_PEER_ERROR_MALFORMED,
               "%s field “%s” in peer payload", what, key);
  return FALSE;
}

/* g_variant_lookup() yields FALSE for a value of another type as well, which
 * counts as missing: nothing else could be meant by it. */
static gboolean
require (GVariant    *body,
         const char  *key,
         const char  *format,
         gpointer     out,
         GError     **error)
{
  return g_variant_lookup (body, key, format, out) || malformed (error, "missing", key);
}

static gboolean
read_seen (GVariant       *body,
           NatterPeerMsg  *msg,
           GError        **error)
{
  g_autoptr(GVariant) v = g_variant_lookup_value (body, "seen", G_VARIANT_TYPE (ENDPOINT_TYPE));
  g_autoptr(GVariant) addr = NULL;
  guint16 port = 0;

  if (v == NULL)
    return TRUE;
  addr = g_variant_get_child_value (v, 0);
  g_variant_get_child (v, 1, "q", &port);
  if (port == 0 ||
      !natter_endpoint_from_bytes (&msg->seen, g_variant_get_data (addr),
                                   g_variant_get_size (addr), port))
    return malformed (error, "invalid endpoint in", "seen");
  msg->has_seen = TRUE;
  return TRUE;
}

static gboolean
read_fields (GVariant       *body,
             NatterPeerMsg  *msg,
             GError        **error)
{
  guint8 kind = 0;
  const char *bad;

  if (!require (body, "k", "y", &kind, error))
    return FALSE;
  msg->kind = kind;
  switch (msg->kind)
    {
    case NATTER_PEER_PROBE:
    case NATTER_PEER_PING:
      if (!require (body, "n", "t", &msg->nonce, error))
        return FALSE;
      break;

    case NATTER_PEER_PROBE_ACK:
    case NATTER_PEER_PONG:
      if (!require (body, "n", "t", &msg->nonce, error) || !read_seen (body, msg, error))
        return FALSE;
      break;

    case NATTER_PEER_CHAT:
      {
        g_autoptr(GVariant) text = NULL;

        if (!require (body, "mid", "t", &msg->message_id, error) ||
            !require (body, "fi", "q", &msg->fragment, error) ||
            !require (body, "fn", "q", &msg->n_fragments, error) ||
            !require (body, "ts", "x", &msg->timestamp_ms, error))
          return FALSE;
        text = g_variant_lookup_value (body, "text", G_VARIANT_TYPE_BYTESTRING);
        if (text == NULL)
          return malformed (error, "missing", "text");
        /* the child shares body's buffer, which msg->body keeps alive */
        msg->text_len = g_variant_get_size (text);
        msg->text = msg->text_len > 0 ? g_variant_get_data (text) : NULL;
      }
      break;

    case NATTER_PEER_ACK:
      if (!require (body, "mid", "t", &msg->message_id, error) ||
          !require (body, "fi", "q", &msg->fragment, error))
        return FALSE;
      break;

    default:
      g_set_error (error, NATTER_PEER_ERROR, NATTER_PEER_ERROR_MALFORMED,
                   "unknown peer message kind %u", kind);
      return FALSE;
    }

  bad = check_fields (msg);
  if (bad != NULL)
    return malformed (error, "out-of-range", bad);
  return TRUE;
}

static gboolean
open_checked (const guint8     *key,
              const NatterMsg  *outer,
              const char       *my_id,
              NatterPeerMsg    *msg,
              GError          **error)
{
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GVariant) body = NULL;
  guint8 mac[NATTER_WIRE_MAC_SIZE];

  if (outer->type != NATTER_MSG_PEER || outer->id == NULL || outer->to == NULL ||
      outer->mac == NULL || outer->data == NULL)
    {
      g_set_error_literal (error, NATTER_PEER_ERROR, NATTER_PEER_ERROR_MALFORMED,
                           "not a parsed PEER datagram");
      return FALSE;
    }

  /* An exact comparison, not natter_id_key(): the server hands out the
   * canonical spelling of each ID and the sender took ours from it, so any
   * other spelling was never meant for us. */
  if (strcmp (outer->to, my_id) != 0)
    {
      g_set_error_literal (error, NATTER_PEER_ERROR, NATTER_PEER_ERROR_AUTH,
                           "peer datagram addressed to someone else");
      return FALSE;
    }
  compute_mac (key, outer->id, outer->to, outer->data, outer->data_len, mac);
  if (!natter_secret_equal (mac, outer->mac, NATTER_WIRE_MAC_SIZE))
    {
      g_set_error_literal (error, NATTER_PEER_ERROR, NATTER_PEER_ERROR_AUTH,
                           "peer datagram with a wrong MAC");
      return FALSE;
    }

  /* A copy: it is aligned for GVariant wherever "p" sat inside the outer
   * body, and msg outlives outer. */
  bytes = g_bytes_new (outer->data, outer->data_len);
  body = g_variant_ref_sink (g_variant_new_from_bytes (G_VARIANT_TYPE_VARDICT, bytes, FALSE));
  /* Authentic is not the same as well-formed: a buggy peer can still send
   * garbage, and normal form is what makes every offset inside safe. */
  if (!g_variant_is_normal_form (body))
    {
      g_set_error_literal (error, NATTER_PEER_ERROR, NATTER_PEER_ERROR_MALFORMED,
                           "peer payload is not a GVariant dictionary in normal form");
      return FALSE;
    }
  if (G_BYTE_ORDER == G_BIG_ENDIAN)
    {
      GVariant *swapped = g_variant_byteswap (body);

      g_variant_unref (body);
      body = swapped;
    }
  msg->body = g_steal_pointer (&body);
  return read_fields (msg->body, msg, error);
}

gboolean
natter_peer_open (const guint8     *key,
                  const NatterMsg  *outer,
                  const char       *my_id,
                  NatterPeerMsg    *msg,
                  GError          **error)
{
  g_return_val_if_fail (msg != NULL, FALSE);
  memset (msg, 0, sizeof *msg);
  g_return_val_if_fail (key != NULL, FALSE);
  g_return_val_if_fail (outer != NULL, FALSE);
  g_return_val_if_fail (my_id != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (open_checked (key, outer, my_id, msg, error))
    return TRUE;
  natter_peer_msg_clear (msg);
  return FALSE;
}

void
natter_peer_msg_clear (NatterPeerMsg *msg)
{
  g_return_if_fail (msg != NULL);

  g_clear_pointer (&msg->body, g_variant_unref);
  memset (msg, 0, sizeof *msg);
}
