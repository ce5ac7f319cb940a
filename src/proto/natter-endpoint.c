/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "natter-endpoint.h"

static const guint8 v4_mapped_prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

gboolean
natter_endpoint_from_bytes (NatterEndpoint *ep,
                            const guint8   *addr,
                            gsize           addr_len,
                            guint16         port)
{
  g_return_val_if_fail (ep != NULL, FALSE);

  memset (ep, 0, sizeof *ep);
  if (addr_len == 4)
    {
      ep->family = 4;
      memcpy (ep->addr, addr, 4);
    }
  else if (addr_len == 16 && memcmp (addr, v4_mapped_prefix, 12) == 0)
    {
      ep->family = 4;
      memcpy (ep->addr, addr + 12, 4);
    }
  else if (addr_len == 16)
    {
      ep->family = 6;
      memcpy (ep->addr, addr, 16);
    }
  else
    return FALSE;
  ep->port = port;
  return TRUE;
}

gboolean
natter_endpoint_from_inet (NatterEndpoint *ep,
                           GInetAddress   *address,
                           guint16         port)
{
  g_return_val_if_fail (G_IS_INET_ADDRESS (address), FALSE);

  return natter_endpoint_from_bytes (ep,
                                     g_inet_address_to_bytes (address),
                                     g_inet_address_get_native_size (address),
                                     port);
}

gboolean
natter_endpoint_from_sockaddr (NatterEndpoint *ep,
                               GSocketAddress *address)
{
  GInetSocketAddress *inet;

  if (!G_IS_INET_SOCKET_ADDRESS (address))
    return FALSE;
  inet = G_INET_SOCKET_ADDRESS (address);
  return natter_endpoint_from_inet (ep,
                                    g_inet_socket_address_get_address (inet),
                                    g_inet_socket_address_get_port (inet));
}

GInetAddress *
natter_endpoint_to_inet (const NatterEndpoint *ep)
{
  g_return_val_if_fail (natter_endpoint_is_set (ep), NULL);

  return g_inet_address_new_from_bytes (ep->addr,
                                        ep->family == 4 ? G_SOCKET_FAMILY_IPV4
                                                        : G_SOCKET_FAMILY_IPV6);
}

GSocketAddress *
natter_endpoint_to_sockaddr (const NatterEndpoint *ep,
                             gboolean              for_ipv6_socket)
{
  g_autoptr(GInetAddress) inet = NULL;

  g_return_val_if_fail (natter_endpoint_is_set (ep), NULL);

  if (ep->family == 4 && for_ipv6_socket)
    {
      guint8 mapped[16];

      memcpy (mapped, v4_mapped_prefix, 12);
      memcpy (mapped + 12, ep->addr, 4);
      inet = g_inet_address_new_from_bytes (mapped, G_SOCKET_FAMILY_IPV6);
    }
  else
    inet = natter_endpoint_to_inet (ep);

  return g_inet_socket_address_new (inet, ep->port);
}

gboolean
natter_endpoint_parse_address (const char     *text,
                               NatterEndpoint *ep)
{
  g_autoptr(GInetAddress) inet = NULL;

  g_return_val_if_fail (ep != NULL, FALSE);

  if (text == NULL)
    return FALSE;
  inet = g_inet_address_new_from_string (text);
  if (inet == NULL)
    return FALSE;
  return natter_endpoint_from_inet (ep, inet, 0);
}

/* Accepts "ADDR", "ADDR:PORT", "[V6ADDR]" and "[V6ADDR]:PORT"; a bare IPv6
 * address without brackets has no port. */
gboolean
natter_endpoint_parse (const char     *text,
                       guint16         default_port,
                       NatterEndpoint *ep)
{
  g_autofree char *host = NULL;
  const char *port_text = NULL;
  guint64 port = default_port;

  g_return_val_if_fail (ep != NULL, FALSE);

  if (text == NULL || *text == '\0')
    return FALSE;

  if (text[0] == '[')
    {
      const char *end = strchr (text, ']');

      if (end == NULL)
        return FALSE;
      host = g_strndup (text + 1, end - text - 1);
      if (end[1] == ':')
        port_text = end + 2;
      else if (end[1] != '\0')
        return FALSE;
    }
  else
    {
      const char *colon = strchr (text, ':');

      if (colon != NULL && strchr (colon + 1, ':') == NULL)
        {
          host = g_strndup (text, colon - text);
          port_text = colon + 1;
        }
      else
        host = g_strdup (text);
    }

  if (port_text != NULL)
    {
      char *end = NULL;

      if (!g_ascii_isdigit (*port_text))
        return FALSE;
      port = g_ascii_strtoull (port_text, &end, 10);
      if (*end != '\0' || port > 65535)
        return FALSE;
    }

  if (!natter_endpoint_parse_address (host, ep))
    return FALSE;
  ep->port = (guint16) port;
  return TRUE;
}

const char *
natter_endpoint_format_address (const NatterEndpoint *ep,
                                char                 *buf)
{
  g_autoptr(GInetAddress) inet = NULL;
  g_autofree char *text = NULL;

  if (!natter_endpoint_is_set (ep))
    {
      g_strlcpy (buf, "-", NATTER_ENDPOINT_STRLEN);
      return buf;
    }
  inet = natter_endpoint_to_inet (ep);
  text = g_inet_address_to_string (inet);
  g_strlcpy (buf, text, NATTER_ENDPOINT_STRLEN);
  return buf;
}

const char *
natter_endpoint_format (const NatterEndpoint *ep,
                        char                 *buf)
{
  char addr[NATTER_ENDPOINT_STRLEN];

  if (!natter_endpoint_is_set (ep))
    {
      g_strlcpy (buf, "-", NATTER_ENDPOINT_STRLEN);
      return buf;
    }
  natter_endpoint_format_address (ep, addr);
  if (ep->family == 6)
    g_snprintf (buf, NATTER_ENDPOINT_STRLEN, "[%s]:%u", addr, ep->port);
  else
    g_snprintf (buf, NATTER_ENDPOINT_STRLEN, "%s:%u", addr, ep->port);
  return buf;
}

char *
natter_endpoint_to_string (const NatterEndpoint *ep)
{
  char buf[NATTER_ENDPOINT_STRLEN];

  return g_strdup (natter_endpoint_format (ep, buf));
}

gsize
natter_endpoint_addr_len (const NatterEndpoint *ep)
{
  return ep->family == 4 ? 4 : ep->family == 6 ? 16 : 0;
}

gboolean
natter_endpoint_is_set (const NatterEndpoint *ep)
{
  return ep != NULL && (ep->family == 4 || ep->family == 6);
}

gboolean
natter_endpoint_equal (const NatterEndpoint *a,
                       const NatterEndpoint *b)
{
  return natter_endpoint_same_address (a, b) && a->port == b->port;
}

gboolean
natter_endpoint_same_prefix24 (const NatterEndpoint *a,
                               const NatterEndpoint *b)
{
  return a->family == 4 && b->family == 4 && memcmp (a->addr, b->addr, 3) == 0;
}

guint
natter_endpoint_hash (const NatterEndpoint *ep)
{
  guint32 h = 2166136261u;
  gsize n = natter_endpoint_addr_len (ep);

  for (gsize i = 0; i < n; i++)
    h = (h ^ ep->addr[i]) * 16777619u;
  h = (h ^ (ep->port & 0xff)) * 16777619u;
  h = (h ^ (ep->port >> 8)) * 16777619u;
  return h;
}

gboolean
natter_endpoint_is_loopback (const NatterEndpoint *ep)
{
  static const guint8 v6_loopback[16] = { [15] = 1 };

  if (ep->family == 4)
    return ep->addr[0] == 127;
  return ep->family == 6 && memcmp (ep->addr, v6_loopback, 16) == 0;
}
