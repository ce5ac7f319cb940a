/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "natter-wire.h"

/* Building native datagrams: bodies assembled with GVariantBuilder, framed
 * behind the header. */


GBytes *
natter_wire_encode (NatterMsgType  type,
                    GVariant      *body)
{
  g_autoptr(GVariant) owned = g_variant_ref_sink (body);
  g_autoptr(GVariant) le = NULL;
  gsize size;
  guint8 *buf;

  g_return_val_if_fail (g_variant_is_of_type (body, G_VARIANT_TYPE_VARDICT), NULL);

  le = G_BYTE_ORDER == G_BIG_ENDIAN ? g_variant_byteswap (owned) : g_variant_ref (owned);
  size = g_variant_get_size (le);
  if (NATTER_WIRE_HEADER_SIZE + size > NATTER_WIRE_MAX_SIZE)
    return NULL;
  buf = g_malloc (NATTER_WIRE_HEADER_SIZE + size);
  memcpy (buf, NATTER_WIRE_MAGIC, 4);
  buf[4] = NATTER_WIRE_VERSION;
  buf[5] = type;
  /* g_variant_store() wants an aligned destination; the body sits at an
   * odd offset behind the header, so copy the serialised form instead */
  if (size > 0)
    memcpy (buf + NATTER_WIRE_HEADER_SIZE, g_variant_get_data (le), size);
  return g_bytes_new_take (buf, NATTER_WIRE_HEADER_SIZE + size);
}

void
natter_wire_add_string (GVariantBuilder *b,
                        const char      *key,
                        const char      *value)
{
  g_variant_builder_add (b, "{sv}", key, g_variant_new_string (value));
}

void
natter_wire_add_bytes (GVariantBuilder *b,
                       const char      *key,
                       const guint8    *data,
                       gsize            len)
{
  g_variant_builder_add (b, "{sv}", key,
                         g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, data, len, 1));
}

void
natter_wire_add_u32 (GVariantBuilder *b,
                     const char      *key,
                     guint32          value)
{
  g_variant_builder_add (b, "{sv}", key, g_variant_new_uint32 (value));
}

void
natter_wire_add_u64 (GVariantBuilder *b,
                     const char      *key,
                     guint64          value)
{
  g_variant_builder_add (b, "{sv}", key, g_variant_new_uint64 (value));
}

void
natter_wire_add_bool (GVariantBuilder *b,
                      const char      *key,
                      gboolean         value)
{
  g_variant_builder_add (b, "{sv}", key, g_variant_new_boolean (value));
}

static GVariant *
endpoint_variant (const NatterEndpoint *ep)
{
  return g_variant_new ("(@ayq)",
                        g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, ep->addr,
                                                   natter_endpoint_addr_len (ep), 1),
                        ep->port);
}

static GVariant *
candidates_variant (const NatterEndpoint *eps,
                    guint                 n)
{
  GVariantBuilder b;

  g_variant_builder_init (&b, G_VARIANT_TYPE (NATTER_WIRE_TYPE_CANDIDATES));
  for (guint i = 0; i < MIN (n, NATTER_WIRE_MAX_CANDIDATES); i++)
    g_variant_builder_add_value (&b, endpoint_variant (&eps[i]));
  return g_variant_builder_end (&b);
}

void
natter_wire_add_endpoint (GVariantBuilder      *b,
                          const char           *key,
                          const NatterEndpoint *ep)
{
  g_variant_builder_add (b, "{sv}", key, endpoint_variant (ep));
}

void
natter_wire_add_candidates (GVariantBuilder      *b,
                            const char           *key,
                            const NatterEndpoint *eps,
                            guint                 n)
{
  g_variant_builder_add (b, "{sv}", key, candidates_variant (eps, n));
}

GVariant *
natter_wire_peer_variant (const NatterPeerInfo *peer)
{
  return g_variant_new ("(s@(ayq)@a(ayq)u)", peer->id,
                        endpoint_variant (&peer->public_endpoint),
                        candidates_variant (peer->candidates, peer->n_candidates),
                        peer->flags);
}

GVariant *
natter_wire_event_variant (const NatterEvent *event)
{
  return g_variant_new ("(ty@" NATTER_WIRE_TYPE_PEER ")", event->version, (guint8) event->kind,
                        natter_wire_peer_variant (&event->peer));
}

/* An upper bound of what value adds to an array it is appended to:
 * its size, alignment padding and a framing offset. */
gsize
natter_wire_variant_size (GVariant *value)
{
  return g_variant_get_size (value) + 8 + 4;
}

GBytes *
natter_wire_error (guint32     code,
                   const char *reason)
{
  GVariantBuilder b;

  g_variant_builder_init (&b, G_VARIANT_TYPE_VARDICT);
  natter_wire_add_u32 (&b, "code", code);
  if (reason != NULL)
    natter_wire_add_string (&b, "why", reason);
  return natter_wire_encode (NATTER_MSG_ERROR, g_variant_builder_end (&b));
}

GBytes *
natter_wire_auth_request (NatterMsgType  type,
                          const char    *id,
                          const guint8  *token,
                          const char    *to,
                          const guint8  *data,
                          gsize          data_len,
                          guint64        version)
{
  GVariantBuilder b;

  g_return_val_if_fail (id != NULL && token != NULL, NULL);

  g_variant_builder_init (&b, G_VARIANT_TYPE_VARDICT);
  natter_wire_add_string (&b, "id", id);
  natter_wire_add_bytes (&b, "tok", token, NATTER_WIRE_TOKEN_SIZE);
  if (to != NULL)
    natter_wire_add_string (&b, "to", to);
  if (data != NULL)
    natter_wire_add_bytes (&b, "data", data, data_len);
  if (type == NATTER_MSG_KEEPALIVE)
    natter_wire_add_u64 (&b, "ver", version);
  return natter_wire_encode (type, g_variant_builder_end (&b));
}
