/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <string.h>

#include <gio/gio.h>

G_BEGIN_DECLS

/* A UDP endpoint as a small value type: cheap to copy, hash and compare.
 * IPv4-mapped IPv6 addresses are always stored as plain IPv4, so one peer
 * has one endpoint whichever socket family saw it. */
typedef struct
{
  guint8  family;   /* 4 or 6; 0 means unset */
  guint16 port;     /* host byte order */
  guint8  addr[16]; /* 4 or 16 bytes used */
} NatterEndpoint;

#define NATTER_ENDPOINT_STRLEN 64

gboolean        natter_endpoint_from_sockaddr    (NatterEndpoint       *ep,
                                                  GSocketAddress       *address);
gboolean        natter_endpoint_from_inet        (NatterEndpoint       *ep,
                                                  GInetAddress         *address,
                                                  guint16               port);
gboolean        natter_endpoint_from_bytes       (NatterEndpoint       *ep,
                                                  const guint8         *addr,
                                                  gsize                 addr_len,
                                                  guint16               port);
GSocketAddress *natter_endpoint_to_sockaddr      (const NatterEndpoint *ep,
                                                  gboolean              for_ipv6_socket);
GInetAddress   *natter_endpoint_to_inet          (const NatterEndpoint *ep);
gboolean        natter_endpoint_parse            (const char           *text,
                                                  guint16               default_port,
                                                  NatterEndpoint       *ep);
gboolean        natter_endpoint_parse_address    (const char           *text,
                                                  NatterEndpoint       *ep);
/* "198.18.0.1:10080" or "[2001:db8::1]:10080"; buf must hold NATTER_ENDPOINT_STRLEN bytes */
const char     *natter_endpoint_format           (const NatterEndpoint *ep,
                                                  char                 *buf);
/* the address alone, without port or brackets */
const char     *natter_endpoint_format_address   (const NatterEndpoint *ep,
                                                  char                 *buf);
char           *natter_endpoint_to_string        (const NatterEndpoint *ep);
gsize           natter_endpoint_addr_len         (const NatterEndpoint *ep);
gboolean        natter_endpoint_is_set           (const NatterEndpoint *ep);
gboolean        natter_endpoint_equal            (const NatterEndpoint *a,
                                                  const NatterEndpoint *b);
gboolean        natter_endpoint_same_prefix24    (const NatterEndpoint *a,
                                                  const NatterEndpoint *b);
guint           natter_endpoint_hash             (const NatterEndpoint *ep);
gboolean        natter_endpoint_is_loopback      (const NatterEndpoint *ep);

/* Inline: the server compares a recipient's address with every entry's
 * each time it writes a list. */
static inline gboolean
natter_endpoint_same_address (const NatterEndpoint *a,
                              const NatterEndpoint *b)
{
  return a->family == b->family && a->family != 0 &&
         memcmp (a->addr, b->addr, a->family == 4 ? 4 : 16) == 0;
}

G_END_DECLS
