/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "natter-client"
#include "config.h"

#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "natter-client-private.h"

/* The client's one UDP socket and the host addresses it can be reached on. */

static GSocket *
bind_socket (GSocketFamily   family,
             guint16         port,
             GError        **error)
{
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GInetAddress) any = g_inet_address_new_any (family);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (any, port);

  socket = g_socket_new (family, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, error);
  if (socket == NULL || !g_socket_bind (socket, address, FALSE, error))
    return NULL;
  g_socket_set_blocking (socket, FALSE);
  return g_steal_pointer (&socket);
}

GSocket *
natter_client_open_socket (NatterClient  *self,
             guint16        port,
             GError       **error)
{
  g_autoptr(GError) v6_error = NULL;
  GSocket *socket = bind_socket (G_SOCKET_FAMILY_IPV6, port, &v6_error);

  self->ipv6_socket = socket != NULL;
  if (socket == NULL && !g_error_matches (v6_error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE))
    socket = bind_socket (G_SOCKET_FAMILY_IPV4, port, error);
  else if (socket == NULL)
    g_propagate_error (error, g_steal_pointer (&v6_error));
  return socket;
}

/* Host candidates: every address of every interface that is up, except
 * loopback and link-local ones, with the socket's real port. */
void
natter_client_collect_candidates (NatterClient *self)
{
  struct ifaddrs *list = NULL;

  self->n_host_candidates = 0;
  if (getifaddrs (&list) != 0)
    return;
  for (struct ifaddrs *ifa = list; ifa != NULL; ifa = ifa->ifa_next)
    {
      g_autoptr(GSocketAddress) address = NULL;
      NatterEndpoint ep;
      gboolean link_local;

      if (ifa->ifa_addr == NULL || !(ifa->ifa_flags & IFF_UP) || (ifa->ifa_flags & IFF_LOOPBACK))
        continue;
      if (ifa->ifa_addr->sa_family != AF_INET &&
          !(ifa->ifa_addr->sa_family == AF_INET6 && self->ipv6_socket))
        continue;
      address = g_socket_address_new_from_native (ifa->ifa_addr,
                                                  ifa->ifa_addr->sa_family == AF_INET
                                                    ? sizeof (struct sockaddr_in)
                                                    : sizeof (struct sockaddr_in6));
      if (address == NULL || !natter_endpoint_from_sockaddr (&ep, address))
        continue;
      link_local = (ep.family == 6 && ep.addr[0] == 0xfe && (ep.addr[1] & 0xc0) == 0x80) ||
                   (ep.family == 4 && ep.addr[0] == 169 && ep.addr[1] == 254);
      if (link_local || self->n_host_candidates >= NATTER_WIRE_MAX_CANDIDATES)
        continue;
      ep.port = self->local_port;
      self->host_candidates[self->n_host_candidates++] = ep;
    }
  freeifaddrs (list);
}
