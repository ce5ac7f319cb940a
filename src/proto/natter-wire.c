/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "natter-stun.h"
#include "natter-wire.h"

G_DEFINE_QUARK (natter-wire-error-quark, natter_wire_error)



NatterPacketKind
natter_packet_classify (const guint8 *data,
                        gsize         len)
{
  if (len == 0)
    return NATTER_PACKET_INVALID;
  if (data[0] == NATTER_WIRE_MAGIC_0)
    return len >= 4 && memcmp (data, NATTER_WIRE_MAGIC, 4) == 0 ? NATTER_PACKET_NATIVE
                                                         : NATTER_PACKET_INVALID;
  if (natter_stun_looks_like (data, len))
    return NATTER_PACKET_STUN;
  /* Classic text starts with an ID, which is never a control character;
   * 0xFF and the STUN header's leading zero bits are ruled out above. */
  if (data[0] >= 0x20 && data[0] != 0x7f)
    return NATTER_PACKET_CLASSIC;
  return NATTER_PACKET_INVALID;
}

/* Parsing */

typedef struct
{
  GVariant  *body;
  GPtrArray *keep;
  GError   **error;
} Reader;

static gboolean
fail (Reader     *r,
      const char *what,
      const char *key)
{
  g_set_error (r->error, NATTER_WIRE_ERROR, NATTER_WIRE_ERROR_MALFORMED,
               "%s field “%s”", what, key);
  return FALSE;
}

static GVariant *
lookup (Reader             *r,
        const char         *key,
        const GVariantType *type)
{
  GVariant *v = g_variant_lookup_value (r->body, key, type);

  if (v != NULL)
    g_ptr_array_add (r->keep, v);
  return v;
}

static gboolean
read_string (Reader      *r,
             const char  *key,
             gboolean     required,
             gsize        max_len,
             const char **out)
{
  GVariant *v = lookup (r, key, G_VARIANT_TYPE_STRING);
  gsize len = 0;

  if (v == NULL)
    return required ? fail (r, "missing", key) : TRUE;
  *out = g_variant_get_string (v, &len);
  if (len > max_len)
    return fail (r, "oversized", key);
  return TRUE;
}

static gboolean
read_id (Reader      *r,
         const char  *key,
         gboolean     required,
         const char **out)
{
  if (!read_string (r, key, required, NATTER_ID_MAX_BYTES, out))
    return FALSE;
  if (*out != NULL && !natter_id_validate (*out, -1, NULL))
    return fail (r, "invalid ID in", key);
  return TRUE;
}

static gboolean
read_bytes (Reader        *r,
            const char    *key,
            gboolean       required,
            gsize          min_len,
            gsize          max_len,
            const guint8 **out,
            gsize         *out_len)
{
  GVariant *v = lookup (r, key, G_VARIANT_TYPE_BYTESTRING);
  gsize len;

  if (v == NULL)
    return required ? fail (r, "missing", key) : TRUE;
  len = g_variant_get_size (v);
  if (len < min_len || len > max_len)
    return fail (r, "wrong length of", key);
  *out = len > 0 ? g_variant_get_data (v) : (const guint8 *) "";
  if (out_len != NULL)
    *out_len = len;
  return TRUE;
}

static gboolean
read_scalar (Reader             *r,
             const char         *key,
             const GVariantType *type,
             gboolean            required,
             GVariant          **out)
{
  *out = lookup (r, key, type);
  if (*out == NULL && required)
    return fail (r, "missing", key);
  return TRUE;
}

static gboolean
endpoint_from_variant (GVariant       *v,
                       NatterEndpoint *ep)
{
  g_autoptr(GVariant) addr = g_variant_get_child_value (v, 0);
  guint16 port = 0;

  g_variant_get_child (v, 1, "q", &port);
  if (port == 0)
    return FALSE;
  return natter_endpoint_from_bytes (ep, g_variant_get_data (addr),
                                     g_variant_get_size (addr), port);
}

static gboolean
candidates_from_variant (GVariant       *v,
                         NatterEndpoint *eps,
                         guint          *n)
{
  gsize count = g_variant_n_children (v);

  if (count > NATTER_WIRE_MAX_CANDIDATES)
    return FALSE;
  for (gsize i = 0; i < count; i++)
    {
      g_autoptr(GVariant) child = g_variant_get_child_value (v, i);

      if (!endpoint_from_variant (child, &eps[i]))
        return FALSE;
    }
  *n = count;
  return TRUE;
}

static gboolean
peer_from_variant (GVariant       *v,
                   NatterPeerInfo *peer)
{
  g_autoptr(GVariant) id = g_variant_get_child_value (v, 0);
  g_autoptr(GVariant) ep = g_variant_get_child_value (v, 1);
  g_autoptr(GVariant) cands = g_variant_get_child_value (v, 2);

  memset (peer, 0, sizeof *peer);
  /* the string lives in the message body, which the caller keeps */
  peer->id = g_variant_get_string (id, NULL);
  g_variant_get_child (v, 3, "u", &peer->flags);
  return natter_id_validate (peer->id, -1, NULL) &&
         endpoint_from_variant (ep, &peer->public_endpoint) &&
         candidates_from_variant (cands, peer->candidates, &peer->n_candidates);
}

static gboolean
read_endpoint (Reader         *r,
               const char     *key,
               gboolean        required,
               NatterEndpoint *ep,
               gboolean       *has)
{
  GVariant *v = lookup (r, key, G_VARIANT_TYPE (NATTER_WIRE_TYPE_ENDPOINT));

  if (v == NULL)
    return required ? fail (r, "missing", key) : TRUE;
  if (!endpoint_from_variant (v, ep))
    return fail (r, "invalid endpoint in", key);
  if (has != NULL)
    *has = TRUE;
  return TRUE;
}

static gboolean
read_candidates (Reader     *r,
                 const char *key,
                 NatterMsg  *msg)
{
  GVariant *v = lookup (r, key, G_VARIANT_TYPE (NATTER_WIRE_TYPE_CANDIDATES));

  if (v == NULL)
    return TRUE;
  if (!candidates_from_variant (v, msg->candidates, &msg->n_candidates))
    return fail (r, "invalid candidates in", key);
  return TRUE;
}

static gboolean
read_peers (Reader    *r,
            NatterMsg *msg)
{
  GVariant *v = lookup (r, "peers", G_VARIANT_TYPE ("a" NATTER_WIRE_TYPE_PEER));
  gsize n;

  if (v == NULL)
    return fail (r, "missing", "peers");
  n = g_variant_n_children (v);
  msg->peers = g_array_sized_new (FALSE, TRUE, sizeof (NatterPeerInfo), n);
  for (gsize i = 0; i < n; i++)
    {
      g_autoptr(GVariant) child = g_variant_get_child_value (v, i);
      NatterPeerInfo peer;

      if (!peer_from_variant (child, &peer))
        return fail (r, "invalid entry in", "peers");
      g_array_append_val (msg->peers, peer);
    }
  return TRUE;
}

static gboolean
read_events (Reader    *r,
             NatterMsg *msg)
{
  GVariant *v = lookup (r, "events", G_VARIANT_TYPE ("a" NATTER_WIRE_TYPE_EVENT));
  gsize n;

  if (v == NULL)
    return fail (r, "missing", "events");
  n = g_variant_n_children (v);
  msg->events = g_array_sized_new (FALSE, TRUE, sizeof (NatterEvent), n);
  for (gsize i = 0; i < n; i++)
    {
      g_autoptr(GVariant) child = g_variant_get_child_value (v, i);
      g_autoptr(GVariant) peer = g_variant_get_child_value (child, 2);
      NatterEvent event = { 0 };
      guint8 kind = 0;

      g_variant_get_child (child, 0, "t", &event.version);
      g_variant_get_child (child, 1, "y", &kind);
      event.kind = kind;
      if (kind < NATTER_EVENT_JOIN || kind > NATTER_EVENT_MOVE ||
          !peer_from_variant (peer, &event.peer))
        return fail (r, "invalid entry in", "events");
      g_array_append_val (msg->events, event);
    }
  return TRUE;
}

static gboolean
read_auth (Reader    *r,
           NatterMsg *msg)
{
  return read_id (r, "id", TRUE, &msg->id) &&
         read_bytes (r, "tok", TRUE, NATTER_WIRE_TOKEN_SIZE, NATTER_WIRE_TOKEN_SIZE,
                     &msg->token, NULL);
}

static gboolean
parse_fields (Reader    *r,
              NatterMsg *msg)
{
  GVariant *v = NULL;

  switch (msg->type)
    {
    case NATTER_MSG_REGISTER:
      return read_id (r, "id", TRUE, &msg->id) &&
             read_bytes (r, "ck", FALSE, 1, NATTER_WIRE_COOKIE_MAX,
                         &msg->cookie, &msg->cookie_len) &&
             read_candidates (r, "cand", msg);

    case NATTER_MSG_KEEPALIVE:
      if (!read_auth (r, msg) ||
          !read_bytes (r, "ck", FALSE, 1, NATTER_WIRE_COOKIE_MAX,
                       &msg->cookie, &msg->cookie_len) ||
          !read_scalar (r, "ver", G_VARIANT_TYPE_UINT64, FALSE, &v))
        return FALSE;
      if (v != NULL)
        msg->version = g_variant_get_uint64 (v);
      return TRUE;

    case NATTER_MSG_RESYNC:
    case NATTER_MSG_BYE:
      return read_auth (r, msg);

    case NATTER_MSG_INTRO:
      return read_auth (r, msg) && read_id (r, "to", TRUE, &msg->to);

    case NATTER_MSG_RELAY:
      return read_auth (r, msg) && read_id (r, "to", TRUE, &msg->to) &&
             read_bytes (r, "data", TRUE, 1, NATTER_WIRE_MAX_DATA,
                         &msg->data, &msg->data_len);

    case NATTER_MSG_COOKIE:
      return read_bytes (r, "ck", TRUE, 1, NATTER_WIRE_COOKIE_MAX,
                         &msg->cookie, &msg->cookie_len);

    case NATTER_MSG_WELCOME:
      if (!read_auth (r, msg) ||
          !read_endpoint (r, "ep", TRUE, &msg->endpoint, &msg->has_endpoint) ||
          !read_scalar (r, "ival", G_VARIANT_TYPE_UINT32, TRUE, &v))
        return FALSE;
      msg->interval_ms = g_variant_get_uint32 (v);
      if (!read_scalar (r, "tmo", G_VARIANT_TYPE_UINT32, TRUE, &v))
        return FALSE;
      msg->timeout_ms = g_variant_get_uint32 (v);
      if (!read_scalar (r, "ver", G_VARIANT_TYPE_UINT64, TRUE, &v))
        return FALSE;
      msg->version = g_variant_get_uint64 (v);
      if (msg->interval_ms == 0 || msg->timeout_ms < msg->interval_ms)
        return fail (r, "inconsistent", "ival");
      return TRUE;

    case NATTER_MSG_LIST:
      if (!read_scalar (r, "ver", G_VARIANT_TYPE_UINT64, TRUE, &v))
        return FALSE;
      msg->version = g_variant_get_uint64 (v);
      if (!read_scalar (r, "part", G_VARIANT_TYPE_UINT16, TRUE, &v))
        return FALSE;
      msg->part = g_variant_get_uint16 (v);
      if (!read_scalar (r, "parts", G_VARIANT_TYPE_UINT16, TRUE, &v))
        return FALSE;
      msg->parts = g_variant_get_uint16 (v);
      if (msg->parts == 0 || msg->part >= msg->parts)
        return fail (r, "inconsistent", "part");
      return read_peers (r, msg);

    case NATTER_MSG_EVENTS:
      return read_events (r, msg);

    case NATTER_MSG_ALIVE:
      if (!read_scalar (r, "ver", G_VARIANT_TYPE_UINT64, TRUE, &v))
        return FALSE;
      msg->version = g_variant_get_uint64 (v);
      return read_endpoint (r, "ep", TRUE, &msg->endpoint, &msg->has_endpoint);

    case NATTER_MSG_ERROR:
      if (!read_scalar (r, "code", G_VARIANT_TYPE_UINT32, TRUE, &v))
        return FALSE;
      msg->code = g_variant_get_uint32 (v);
      return read_string (r, "why", FALSE, NATTER_WIRE_MAX_REASON, &msg->reason);

    case NATTER_MSG_INTRODUCE:
      if (!read_scalar (r, "classic", G_VARIANT_TYPE_BOOLEAN, FALSE, &v))
        return FALSE;
      msg->classic = v != NULL && g_variant_get_boolean (v);
      return read_id (r, "id", TRUE, &msg->id) &&
             read_endpoint (r, "ep", TRUE, &msg->endpoint, &msg->has_endpoint) &&
             read_candidates (r, "cand", msg) &&
             read_bytes (r, "key", !msg->classic, NATTER_WIRE_KEY_SIZE,
                         NATTER_WIRE_KEY_SIZE, &msg->key, NULL);

    case NATTER_MSG_RELAYED:
      return read_id (r, "id", TRUE, &msg->id) &&
             read_bytes (r, "data", TRUE, 1, NATTER_WIRE_MAX_DATA,
                         &msg->data, &msg->data_len);

    case NATTER_MSG_SHUTDOWN:
      return read_string (r, "why", FALSE, NATTER_WIRE_MAX_REASON, &msg->reason);

    case NATTER_MSG_PEER:
      /* the payload is opened by natter_peer_open() with the pair key */
      return read_id (r, "id", TRUE, &msg->id) && read_id (r, "to", TRUE, &msg->to) &&
             read_bytes (r, "mac", TRUE, NATTER_WIRE_MAC_SIZE, NATTER_WIRE_MAC_SIZE,
                         &msg->mac, NULL) &&
             read_bytes (r, "p", TRUE, 1, NATTER_WIRE_MAX_DATA, &msg->data, &msg->data_len);

    default:
      g_set_error (r->error, NATTER_WIRE_ERROR, NATTER_WIRE_ERROR_UNKNOWN_TYPE,
                   "unknown message type 0x%02x", msg->type);
      return FALSE;
    }
}

gboolean
natter_msg_parse (NatterMsg     *msg,
                  const guint8  *data,
                  gsize          len,
                  GError       **error)
{
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GVariant) body = NULL;
  Reader r;
  gboolean ok;

  g_return_val_if_fail (msg != NULL, FALSE);
  g_return_val_if_fail (data != NULL || len == 0, FALSE);

  memset (msg, 0, sizeof *msg);
  if (len < NATTER_WIRE_HEADER_SIZE || memcmp (data, NATTER_WIRE_MAGIC, 4) != 0)
    {
      g_set_error_literal (error, NATTER_WIRE_ERROR, NATTER_WIRE_ERROR_NOT_NATIVE,
                           "not a native datagram");
      return FALSE;
    }
  if (len > NATTER_WIRE_MAX_SIZE)
    {
      g_set_error (error, NATTER_WIRE_ERROR, NATTER_WIRE_ERROR_TOO_LARGE,
                   "datagram of %" G_GSIZE_FORMAT " bytes exceeds %d", len,
                   NATTER_WIRE_MAX_SIZE);
      return FALSE;
    }
  if (data[4] != NATTER_WIRE_VERSION)
    {
      g_set_error (error, NATTER_WIRE_ERROR, NATTER_WIRE_ERROR_VERSION,
                   "unsupported protocol version %u", data[4]);
      return FALSE;
    }

  bytes = g_bytes_new (data + NATTER_WIRE_HEADER_SIZE, len - NATTER_WIRE_HEADER_SIZE);
  body = g_variant_ref_sink (g_variant_new_from_bytes (G_VARIANT_TYPE_VARDICT, bytes, FALSE));
  /* Only normal-form data is used: it is the one encoding of each value, and
   * it guarantees every offset and string inside is in bounds and valid. */
  if (!g_variant_is_normal_form (body))
    {
      g_set_error_literal (error, NATTER_WIRE_ERROR, NATTER_WIRE_ERROR_MALFORMED,
                           "body is not a GVariant dictionary in normal form");
      return FALSE;
    }
  if (G_BYTE_ORDER == G_BIG_ENDIAN)
    {
      GVariant *swapped = g_variant_byteswap (body);

      g_variant_unref (body);
      body = swapped;
    }

  msg->type = data[5];
  msg->body = g_steal_pointer (&body);
  r.body = msg->body;
  r.keep = g_ptr_array_new_with_free_func ((GDestroyNotify) g_variant_unref);
  r.error = error;
  ok = parse_fields (&r, msg);
  /* children share the body's buffer; the body keeps it alive */
  g_ptr_array_unref (r.keep);
  if (!ok)
    natter_msg_clear (msg);
  return ok;
}

void
natter_msg_clear (NatterMsg *msg)
{
  g_return_if_fail (msg != NULL);

  g_clear_pointer (&msg->peers, g_array_unref);
  g_clear_pointer (&msg->events, g_array_unref);
  g_clear_pointer (&msg->body, g_variant_unref);
  memset (msg, 0, sizeof *msg);
}
