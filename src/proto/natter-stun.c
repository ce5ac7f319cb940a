/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "natter-stun.h"

#define FAMILY_IPV4 0x01
#define FAMILY_IPV6 0x02

/* The biggest response is an RFC 5389 IPv4 answer carrying both address
 * attributes (IPv6 with the cookie gets XOR-MAPPED-ADDRESS alone), or an RFC
 * 3489 IPv6 answer with MAPPED-ADDRESS: 44 bytes either way. */
G_STATIC_ASSERT (NATTER_STUN_HEADER_SIZE + 2 * (4 + 4 + 4) <= NATTER_STUN_MAX_RESPONSE);
G_STATIC_ASSERT (NATTER_STUN_HEADER_SIZE + 4 + 4 + 16 <= NATTER_STUN_MAX_RESPONSE);

static guint16
get16 (const guint8 *p)
{
  return (guint16) (p[0] << 8 | p[1]);
}

static guint32
get32 (const guint8 *p)
{
  return (guint32) p[0] << 24 | (guint32) p[1] << 16 |
         (guint32) p[2] << 8 | (guint32) p[3];
}

static void
put16 (guint8  *p,
       guint16  v)
{
  p[0] = v >> 8;
  p[1] = v & 0xff;
}

static void
put32 (guint8  *p,
       guint32  v)
{
  put16 (p, v >> 16);
  put16 (p + 2, v & 0xffff);
}

static gboolean
has_cookie (const guint8 *data)
{
  return get32 (data + 4) == NATTER_STUN_MAGIC_COOKIE;
}

gboolean
natter_stun_looks_like (const guint8 *data,
                        gsize         len)
{
  guint16 body;

  if (data == NULL || len < NATTER_STUN_HEADER_SIZE)
    return FALSE;
  /* The top bits keep STUN apart from other protocols muxed on one port
   * (RFC 5389 section 6), and the length check rejects most of the rest. */
  if ((data[0] & 0xc0) != 0)
    return FALSE;
  body = get16 (data + 2);
  return body % 4 == 0 && body == len - NATTER_STUN_HEADER_SIZE;
}

/* Checks that the attributes tile the body exactly, and notes where the
 * first of each address attribute starts (0 when absent: no attribute can
 * start inside the header). Only the first occurrence counts, as RFC 5389
 * section 15 says. Expects natter_stun_looks_like() to have passed. */
static gboolean
walk_attributes (const guint8 *data,
                 gsize         len,
                 gsize        *xor_mapped_at,
                 gsize        *mapped_at)
{
  gsize pos = NATTER_STUN_HEADER_SIZE;

  while (pos < len)
    {
      guint16 type;
      gsize padded;

      /* unreachable while the body is a multiple of 4, but keeps this walk
       * safe without relying on its caller */
      if (len - pos < 4)
        return FALSE;
      type = get16 (data + pos);
      padded = ((gsize) get16 (data + pos + 2) + 3) & ~(gsize) 3;
      if (padded > len - pos - 4)
        return FALSE;

      if (type == NATTER_STUN_ATTR_XOR_MAPPED_ADDRESS &&
          xor_mapped_at != NULL && *xor_mapped_at == 0)
        *xor_mapped_at = pos;
      else if (type == NATTER_STUN_ATTR_MAPPED_ADDRESS &&
               mapped_at != NULL && *mapped_at == 0)
        *mapped_at = pos;

      pos += 4 + padded;
    }
  return TRUE;
}

gboolean
natter_stun_parse_binding_request (const guint8      *data,
                                   gsize              len,
                                   NatterStunRequest *request)
{
  if (!natter_stun_looks_like (data, len) ||
      get16 (data) != NATTER_STUN_BINDING_REQUEST ||
      !walk_attributes (data, len, NULL, NULL))
    return FALSE;

  if (request != NULL)
    {
      request->rfc3489 = !has_cookie (data);
      memcpy (request->transaction, data + 4, sizeof request->transaction);
    }
  return TRUE;
}

/* The XOR key of RFC 5389 section 15.2 is the header from the cookie on:
 * the port takes its first 2 bytes, an IPv4 address the 4 of the cookie, an
 * IPv6 address the cookie and the transaction id. key is NULL for the plain
 * MAPPED-ADDRESS. */
static gsize
put_address (guint8               *p,
             guint16               type,
             const NatterEndpoint *ep,
             const guint8         *key)
{
  gsize addr_len = natter_endpoint_addr_len (ep);
  guint16 port = ep->port;

  put16 (p, type);
  put16 (p + 2, 4 + addr_len);
  p[4] = 0;
  p[5] = ep->family == 4 ? FAMILY_IPV4 : FAMILY_IPV6;
  if (key != NULL)
    port ^= get16 (key);
  put16 (p + 6, port);
  for (gsize i = 0; i < addr_len; i++)
    p[8 + i] = ep->addr[i] ^ (key != NULL ? key[i] : 0);
  return 8 + addr_len;
}

static gboolean
read_address (const guint8   *data,
              gsize           at,
              gboolean        xored,
              NatterEndpoint *ep)
{
  const guint8 *value = data + at + 4;
  guint16 value_len = get16 (data + at + 2);
  guint8 addr[16];
  gsize addr_len;
  guint16 port;

  /* walk_attributes() vouched for value_len bytes; check value_len itself */
  if (value_len < 4)
    return FALSE;
  if (value[1] == FAMILY_IPV4)
    addr_len = 4;
  else if (value[1] == FAMILY_IPV6)
    addr_len = 16;
  else
    return FALSE;
  if (value_len != 4 + addr_len)
    return FALSE;

  port = get16 (value + 2);
  memcpy (addr, value + 4, addr_len);
  if (xored)
    {
      port ^= get16 (data + 4);
      for (gsize i = 0; i < addr_len; i++)
        addr[i] ^= data[4 + i];
    }
  return natter_endpoint_from_bytes (ep, addr, addr_len, port);
}

gsize
natter_stun_build_binding_response (const NatterStunRequest *request,
                                    const NatterEndpoint    *mapped,
                                    guint8                  *out,
                                    gsize                    out_size)
{
  gsize attr_size, size;
  gboolean with_xor, with_plain;
  gsize pos = NATTER_STUN_HEADER_SIZE;

  g_return_val_if_fail (request != NULL, 0);
  g_return_val_if_fail (natter_endpoint_is_set (mapped), 0);
  g_return_val_if_fail (out != NULL || out_size == 0, 0);

  attr_size = 8 + natter_endpoint_addr_len (mapped);
  with_xor = !request->rfc3489;
  /* MAPPED-ADDRESS is for clients from before XOR-MAPPED-ADDRESS existed;
   * those only spoke IPv4, so an IPv6 answer to a cookie-carrying request
   * does without it (and stays within NATTER_STUN_MAX_RESPONSE). */
  with_plain = request->rfc3489 || mapped->family == 4;
  size = NATTER_STUN_HEADER_SIZE + (with_xor ? attr_size : 0) +
         (with_plain ? attr_size : 0);
  if (out_size < size)
    return 0;

  put16 (out, NATTER_STUN_BINDING_RESPONSE);
  put16 (out + 2, size - NATTER_STUN_HEADER_SIZE);
  if (request->rfc3489)
    memcpy (out + 4, request->transaction, 16);
  else
    {
      /* written rather than echoed so the XOR key is right whatever the
       * caller left in transaction[0..3] */
      put32 (out + 4, NATTER_STUN_MAGIC_COOKIE);
      memcpy (out + 8, request->transaction + 4, 12);
    }

  if (with_xor)
    pos += put_address (out + pos, NATTER_STUN_ATTR_XOR_MAPPED_ADDRESS,
                        mapped, out + 4);
  if (with_plain)
    pos += put_address (out + pos, NATTER_STUN_ATTR_MAPPED_ADDRESS,
                        mapped, NULL);
  return pos;
}

gsize
natter_stun_build_binding_request (gboolean      rfc3489,
                                   const guint8 *transaction,
                                   guint8       *out,
                                   gsize         out_size)
{
  g_return_val_if_fail (transaction != NULL, 0);
  g_return_val_if_fail (out != NULL || out_size == 0, 0);

  if (out_size < NATTER_STUN_HEADER_SIZE)
    return 0;
  put16 (out, NATTER_STUN_BINDING_REQUEST);
  put16 (out + 2, 0);
  if (rfc3489)
    memcpy (out + 4, transaction, 16);
  else
    {
      put32 (out + 4, NATTER_STUN_MAGIC_COOKIE);
      memcpy (out + 8, transaction, 12);
    }
  return NATTER_STUN_HEADER_SIZE;
}

gboolean
natter_stun_parse_binding_response (const guint8   *data,
                                    gsize           len,
                                    gboolean        rfc3489,
                                    const guint8   *transaction,
                                    NatterEndpoint *mapped)
{
  gsize xor_mapped_at = 0, mapped_at = 0;

  g_return_val_if_fail (transaction != NULL, FALSE);
  g_return_val_if_fail (mapped != NULL, FALSE);

  if (!natter_stun_looks_like (data, len) ||
      get16 (data) != NATTER_STUN_BINDING_RESPONSE)
    return FALSE;
  if (rfc3489 ? memcmp (data + 4, transaction, 16) != 0
              : (!has_cookie (data) || memcmp (data + 8, transaction, 12) != 0))
    return FALSE;
  if (!walk_attributes (data, len, &xor_mapped_at, &mapped_at))
    return FALSE;

  /* The XOR key is the cookie, so XOR-MAPPED-ADDRESS only means something in
   * a message that carries it; an RFC 3489 id may start with the cookie's
   * bytes by chance, and then the server rightly answered in RFC 5389 form. */
  if (xor_mapped_at != 0 && has_cookie (data) &&
      read_address (data, xor_mapped_at, TRUE, mapped))
    return TRUE;
  return mapped_at != 0 && read_address (data, mapped_at, FALSE, mapped);
}
