/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "natter-client"
#include "config.h"

#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "natter-classic.h"
#include "natter-client-private.h"

/* The client's one UDP socket: opening it, the host addresses it can be
 * reached on, sending, and dispatching what arrives by kind and source. */

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

static gboolean
test_drop (gdouble rate)
{
  return rate > 0 && g_random_double () < rate;
}

void
natter_client_send_to (NatterClient         *self,
                       const NatterEndpoint *to,
                       GBytes               *datagram)
{
  g_autoptr(GBytes) owned = datagram;
  g_autoptr(GSocketAddress) address = NULL;
  g_autoptr(GError) error = NULL;
  gsize len;
  const guint8 *data;

  if (datagram == NULL || self->socket == NULL || !natter_endpoint_is_set (to))
    return;
  if (test_drop (self->test_send_loss) ||
      (self->test_block_direct && !natter_client_is_server (self, to)))
    return;
  data = g_bytes_get_data (datagram, &len);
  address = natter_endpoint_to_sockaddr (to, self->ipv6_socket);
  if (g_socket_send_to (self->socket, address, (const char *) data, len, NULL, &error) < 0)
    g_debug ("send failed: %s", error->message);
}

void
natter_client_send_text (NatterClient         *self,
                         const NatterEndpoint *to,
                         const char           *text)
{
  natter_client_send_to (self, to, g_bytes_new (text, strlen (text)));
}

static void
handle_datagram (NatterClient         *self,
                 const guint8         *data,
                 gsize                 len,
                 const NatterEndpoint *from,
                 gint64                now)
{
  g_auto(NatterMsg) msg = { 0 };
  gboolean from_server = natter_client_is_server (self, from);

  if (test_drop (self->test_receive_loss) || (self->test_block_direct && !from_server))
    return;

  switch (natter_packet_classify (data, len))
    {
    case NATTER_PACKET_NATIVE:
      if (!natter_msg_parse (&msg, data, len, NULL))
        return;
      if (msg.type == NATTER_MSG_PEER)
        natter_client_chat_receive (self, &msg, from, FALSE, now);
      else if (from_server && !self->classic)
        natter_client_session_receive (self, &msg, now);
      break;
    case NATTER_PACKET_CLASSIC:
      natter_client_classic_receive (self, data, len, from, now);
      break;
    case NATTER_PACKET_STUN:
    case NATTER_PACKET_INVALID:
    default:
      break;
    }
}

gboolean
natter_client_on_readable (GSocket      *socket,
                           GIOCondition  condition,
                           gpointer      user_data)
{
  NatterClient *self = user_data;
  g_autoptr(GObject) guard = g_object_ref (G_OBJECT (self));

  for (guint i = 0; i < 256 && self->socket != NULL; i++)
    {
      /* larger than anything valid, so an oversized datagram shows */
      guint8 buf[4096];
      g_autoptr(GSocketAddress) address = NULL;
      g_autoptr(GError) error = NULL;
      NatterEndpoint from;
      gssize n;

      n = g_socket_receive_from (socket, &address, (char *) buf, sizeof buf, NULL, &error);
      if (n < 0)
        break;
      if (address != NULL && natter_endpoint_from_sockaddr (&from, address) && n <= 2048)
        handle_datagram (self, buf, n, &from, natter_client_now ());
    }
  natter_client_reschedule (self);
  return G_SOURCE_CONTINUE;
}
