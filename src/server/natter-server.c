/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "natter-server"
#include "config.h"

#include <errno.h>
#include <string.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <netinet/in.h>
#include <sys/socket.h>

#include "natter-server.h"
#include "natter-wire.h"

#define BATCH          64
/* sendmmsg takes at most UIO_MAXIOV (1024) messages a call */
#define SEND_BATCH     1024
/* larger than any valid datagram, so oversized ones are seen as such */
#define RECV_BUFFER    2048
#define MAX_PER_WAKEUP 1024
#define SOCKET_BUFFER  (4 * 1024 * 1024)
/* beyond this many queued datagrams the newest are dropped, not the server */
#define OUTBOX_LIMIT   (256 * 1024)
/* after sending this many datagrams, a quiet moment gives memory back */
#define TRIM_AFTER     (64 * 1024)
#define TRIM_QUIET_MS  500
/* the lists written between two reads of the socket (whole lists: a
 * snapshot cannot be cut), so that registrations keep being answered */
#define LIST_ROUND     1024

struct _NatterServer
{
  NatterCore *core;
  GSocket    *socket;
  gboolean    ipv6_socket;
  guint16     port;
  char       *description;
  GSource    *read_source;
  GSource    *write_source;
  GSource    *deadline_source;
  GSource    *list_source;
  GSource    *trim_source;
  GArray     *pending;      /* NatterOutgoing not yet sent */
  guint       pending_head;
  guint       sent_since_trim;
  guint8      buffers[BATCH][RECV_BUFFER];
  struct sockaddr_in6 sources[BATCH];
  struct mmsghdr send_messages[SEND_BATCH];
  struct iovec send_vectors[SEND_BATCH];
  struct sockaddr_in6 send_addresses[SEND_BATCH];
};

static gint64
now_ms (void)
{
  return g_get_monotonic_time () / 1000;
}

static void arm_deadline (NatterServer *server);
static void flush_output (NatterServer *server);
static void schedule_lists (NatterServer *server);

static gboolean
on_writable (GSocket      *socket,
             GIOCondition  condition,
             gpointer      user_data)
{
  NatterServer *server = user_data;

  g_clear_pointer (&server->write_source, g_source_destroy);
  flush_output (server);
  schedule_lists (server);
  return G_SOURCE_REMOVE;
}

/* The socket address of an endpoint, as this socket's family wants it:
 * plain system structures, since a GObject per datagram is what a busy
 * server cannot afford. */
static socklen_t
endpoint_to_native (const NatterEndpoint *ep,
                    gboolean              ipv6_socket,
                    struct sockaddr_in6  *out)
{
  memset (out, 0, sizeof *out);
  if (ep->family == 4 && !ipv6_socket)
    {
      struct sockaddr_in *in = (struct sockaddr_in *) out;

      in->sin_family = AF_INET;
      in->sin_port = g_htons (ep->port);
      memcpy (&in->sin_addr, ep->addr, 4);
      return sizeof *in;
    }
  out->sin6_family = AF_INET6;
  out->sin6_port = g_htons (ep->port);
  if (ep->family == 4)
    {
      out->sin6_addr.s6_addr[10] = 0xff;
      out->sin6_addr.s6_addr[11] = 0xff;
      memcpy (&out->sin6_addr.s6_addr[12], ep->addr, 4);
    }
  else
    memcpy (&out->sin6_addr, ep->addr, 16);
  return sizeof *out;
}

static gboolean
endpoint_from_native (NatterEndpoint            *ep,
                      const struct sockaddr_in6 *address,
                      socklen_t                  len)
{
  if (address->sin6_family == AF_INET6 && len >= sizeof (struct sockaddr_in6))
    return natter_endpoint_from_bytes (ep, address->sin6_addr.s6_addr, 16,
                                       g_ntohs (address->sin6_port));
  if (address->sin6_family == AF_INET && len >= sizeof (struct sockaddr_in))
    {
      const struct sockaddr_in *in = (const struct sockaddr_in *) address;

      return natter_endpoint_from_bytes (ep, (const guint8 *) &in->sin_addr, 4,
                                         g_ntohs (in->sin_port));
    }
  return FALSE;
}

static GArray *
new_queue (void)
{
  GArray *queue = g_array_new (FALSE, TRUE, sizeof (NatterOutgoing));

  g_array_set_clear_func (queue, natter_outgoing_clear);
  return queue;
}

static void
send_pending (NatterServer *server)
{
  int fd = g_socket_get_fd (server->socket);
  guint sent_before = server->sent_since_trim;

  while (server->pending_head < server->pending->len)
    {
      struct mmsghdr *messages = server->send_messages;
      struct iovec *vectors = server->send_vectors;
      struct sockaddr_in6 *addresses = server->send_addresses;
      guint n = MIN (SEND_BATCH, server->pending->len - server->pending_head);
      gint sent;

      for (guint i = 0; i < n; i++)
        {
          NatterOutgoing *out = &g_array_index (server->pending, NatterOutgoing,
                                                server->pending_head + i);
          gsize size;

          vectors[i].iov_base = (void *) g_bytes_get_data (out->data, &size);
          vectors[i].iov_len = size;
          memset (&messages[i], 0, sizeof messages[i]);
          messages[i].msg_hdr.msg_name = &addresses[i];
          messages[i].msg_hdr.msg_namelen = endpoint_to_native (&out->to, server->ipv6_socket,
                                                                &addresses[i]);
          messages[i].msg_hdr.msg_iov = &vectors[i];
          messages[i].msg_hdr.msg_iovlen = 1;
        }
      do
        sent = sendmmsg (fd, messages, n, MSG_DONTWAIT);
      while (sent < 0 && errno == EINTR);

      if (sent < 0)
        {
          if (errno == EAGAIN || errno == EWOULDBLOCK)
            {
              if (server->write_source == NULL)
                {
                  server->write_source = g_socket_create_source (server->socket, G_IO_OUT, NULL);
                  g_source_set_callback (server->write_source, G_SOURCE_FUNC (on_writable),
                                         server, NULL);
                  g_source_attach (server->write_source, NULL);
                  g_source_unref (server->write_source);
                }
              return;
            }
          /* An unreachable or refused destination fails this datagram
           * alone; skip it and go on. */
          g_debug ("send failed: %s", g_strerror (errno));
          sent = 1;
        }
      server->pending_head += sent;
      server->sent_since_trim += sent;
    }
  g_array_set_size (server->pending, 0);
  server->pending_head = 0;
  /* A registration storm leaves the heap full of freed datagrams that
   * malloc keeps; once it has passed, the memory goes back to the system
   * (not while it lasts: giving pages back costs more than the sending). */
  if (server->sent_since_trim >= TRIM_AFTER && server->sent_since_trim != sent_before)
    g_source_set_ready_time (server->trim_source,
                             g_get_monotonic_time () + TRIM_QUIET_MS * 1000);
}

static gboolean
on_quiet (gpointer user_data)
{
  NatterServer *server = user_data;

  g_source_set_ready_time (server->trim_source, -1);
  /* the queue keeps the room its longest burst took */
  if (server->pending_head == server->pending->len)
    {
      g_array_unref (server->pending);
      server->pending = new_queue ();
      server->pending_head = 0;
    }
#ifdef __GLIBC__
  malloc_trim (0);
#endif
  server->sent_since_trim = 0;
  return G_SOURCE_CONTINUE;
}

/* Moves what the core has written to the send queue and sends it. */
static void
queue_output (NatterServer *server)
{
  g_autoptr(GArray) out = natter_core_take_replies (server->core);

  if (out->len > 0)
    {
      guint room = OUTBOX_LIMIT - MIN (OUTBOX_LIMIT, server->pending->len - server->pending_head);
      guint take = MIN (room, out->len);

      if (take < out->len)
        g_warning ("send queue full: dropping %u datagrams", out->len - take);
      for (guint i = 0; i < take; i++)
        {
          NatterOutgoing *o = &g_array_index (out, NatterOutgoing, i);
          NatterOutgoing copy = { o->to, g_steal_pointer (&o->data) };

          g_array_append_val (server->pending, copy);
        }
    }
  if (server->write_source == NULL)
    send_pending (server);
}

static void
flush_output (NatterServer *server)
{
  natter_core_flush (server->core);
  queue_output (server);
}

static gboolean
on_lists (gpointer user_data)
{
  NatterServer *server = user_data;

  if (server->write_source == NULL)
    {
      natter_core_write_lists (server->core, LIST_ROUND);
      queue_output (server);
    }
  /* while the socket is full, on_writable schedules the rest */
  if (server->write_source != NULL || !natter_core_lists_waiting (server->core))
    {
      server->list_source = NULL;
      return G_SOURCE_REMOVE;
    }
  return G_SOURCE_CONTINUE;
}

/* Lists go out a round at a time, between reads of the socket (same
 * priority, so neither starves the other). */
static void
schedule_lists (NatterServer *server)
{
  if (server->list_source != NULL || server->write_source != NULL ||
      !natter_core_lists_waiting (server->core))
    return;
  server->list_source = g_idle_source_new ();
  g_source_set_priority (server->list_source, G_PRIORITY_DEFAULT);
  g_source_set_callback (server->list_source, on_lists, server, NULL);
  g_source_attach (server->list_source, NULL);
  g_source_unref (server->list_source);
}

static gboolean
on_readable (GSocket      *socket,
             GIOCondition  condition,
             gpointer      user_data)
{
  NatterServer *server = user_data;
  guint handled = 0;

  while (handled < MAX_PER_WAKEUP)
    {
      struct mmsghdr messages[BATCH];
      struct iovec vectors[BATCH];
      gint n;
      gint64 now;

      for (guint i = 0; i < BATCH; i++)
        {
          vectors[i].iov_base = server->buffers[i];
          vectors[i].iov_len = RECV_BUFFER;
          memset (&messages[i], 0, sizeof messages[i]);
          messages[i].msg_hdr.msg_name = &server->sources[i];
          messages[i].msg_hdr.msg_namelen = sizeof server->sources[i];
          messages[i].msg_hdr.msg_iov = &vectors[i];
          messages[i].msg_hdr.msg_iovlen = 1;
        }
      n = recvmmsg (g_socket_get_fd (socket), messages, BATCH, MSG_DONTWAIT, NULL);
      if (n <= 0)
        {
          if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
            g_debug ("receive failed: %s", g_strerror (errno));
          break;
        }

      now = now_ms ();
      for (gint i = 0; i < n; i++)
        {
          NatterEndpoint from;

          if ((messages[i].msg_hdr.msg_flags & MSG_TRUNC) == 0 &&
              endpoint_from_native (&from, &server->sources[i], messages[i].msg_hdr.msg_namelen))
            natter_core_handle (server->core, server->buffers[i], messages[i].msg_len,
                                &from, now);
        }
      handled += n;
      /* Replies go out batch by batch (a registration's list is large), and
       * only the list changes wait for the whole wake-up, so that everyone
       * gets them in as few datagrams as possible. */
      queue_output (server);
      if (n < BATCH)
        break;
    }

  flush_output (server);
  schedule_lists (server);
  arm_deadline (server);
  return G_SOURCE_CONTINUE;
}

static gboolean
on_deadline (gpointer user_data)
{
  NatterServer *server = user_data;

  natter_core_expire (server->core, now_ms ());
  flush_output (server);
  arm_deadline (server);
  return G_SOURCE_CONTINUE;
}

static gboolean
deadline_dispatch (GSource     *source,
                   GSourceFunc  callback,
                   gpointer     user_data)
{
  return callback (user_data);
}

static GSourceFuncs deadline_funcs = { NULL, NULL, deadline_dispatch, NULL, NULL, NULL };

/* One timer for the earliest client deadline, moved as deadlines change:
 * each client is dropped at its own deadline, not at the next sweep. */
static void
arm_deadline (NatterServer *server)
{
  gint64 deadline = natter_core_next_deadline (server->core);

  g_source_set_ready_time (server->deadline_source, deadline < 0 ? -1 : deadline * 1000);
}

static GSocket *
open_socket (GSocketFamily   family,
             GInetAddress   *address,
             guint16         port,
             GError        **error)
{
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GSocketAddress) sockaddr = NULL;
  g_autoptr(GInetAddress) any = NULL;

  socket = g_socket_new (family, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, error);
  if (socket == NULL)
    return NULL;
  if (address == NULL)
    address = any = g_inet_address_new_any (family);
  sockaddr = g_inet_socket_address_new (address, port);
  if (!g_socket_bind (socket, sockaddr, FALSE, error))
    return NULL;
  g_socket_set_blocking (socket, FALSE);
  /* a registration storm arrives faster than one wake-up drains it */
  g_socket_set_option (socket, SOL_SOCKET, SO_RCVBUF, SOCKET_BUFFER, NULL);
  g_socket_set_option (socket, SOL_SOCKET, SO_SNDBUF, SOCKET_BUFFER, NULL);
  return g_steal_pointer (&socket);
}

NatterServer *
natter_server_new (const NatterCoreConfig *config,
                   const char             *bind_address,
                   guint16                 port,
                   GError                **error)
{
  g_autoptr(NatterServer) server = g_new0 (NatterServer, 1);
  g_autoptr(GSocketAddress) local = NULL;
  g_autoptr(GError) v6_error = NULL;

  server->pending = new_queue ();

  if (bind_address != NULL)
    {
      g_autoptr(GInetAddress) address = g_inet_address_new_from_string (bind_address);

      if (address == NULL)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                       "“%s” is not an IPv4 or IPv6 address", bind_address);
          return NULL;
        }
      server->socket = open_socket (g_inet_address_get_family (address), address, port, error);
      if (server->socket == NULL)
        return NULL;
      server->ipv6_socket = g_inet_address_get_family (address) == G_SOCKET_FAMILY_IPV6;
    }
  else
    {
      /* one IPv6 socket that also takes IPv4 (GLib clears IPV6_V6ONLY);
       * where the host has no IPv6, an IPv4 socket */
      server->socket = open_socket (G_SOCKET_FAMILY_IPV6, NULL, port, &v6_error);
      server->ipv6_socket = server->socket != NULL;
      if (server->socket == NULL)
        {
          g_debug ("no IPv6 socket (%s): IPv4 only", v6_error->message);
          server->socket = open_socket (G_SOCKET_FAMILY_IPV4, NULL, port, error);
          if (server->socket == NULL)
            return NULL;
        }
    }

  local = g_socket_get_local_address (server->socket, error);
  if (local == NULL)
    return NULL;
  server->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local));
  {
    g_autofree char *addr = g_inet_address_to_string (
        g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (local)));

    server->description = g_strdup_printf ("%s%s%s port %u%s",
                                           server->ipv6_socket ? "[" : "", addr,
                                           server->ipv6_socket ? "]" : "", server->port,
                                           bind_address == NULL && server->ipv6_socket
                                             ? " (IPv4 and IPv6)" : "");
  }

  server->core = natter_core_new (config);
  server->read_source = g_socket_create_source (server->socket, G_IO_IN, NULL);
  g_source_set_callback (server->read_source, G_SOURCE_FUNC (on_readable), server, NULL);
  g_source_attach (server->read_source, NULL);
  server->deadline_source = g_source_new (&deadline_funcs, sizeof (GSource));
  g_source_set_callback (server->deadline_source, on_deadline, server, NULL);
  g_source_set_ready_time (server->deadline_source, -1);
  g_source_attach (server->deadline_source, NULL);
  server->trim_source = g_source_new (&deadline_funcs, sizeof (GSource));
  g_source_set_callback (server->trim_source, on_quiet, server, NULL);
  g_source_set_ready_time (server->trim_source, -1);
  g_source_attach (server->trim_source, NULL);

  return g_steal_pointer (&server);
}

void
natter_server_free (NatterServer *server)
{
  if (server == NULL)
    return;
  if (server->read_source != NULL)
    {
      g_source_destroy (server->read_source);
      g_source_unref (server->read_source);
    }
  if (server->deadline_source != NULL)
    {
      g_source_destroy (server->deadline_source);
      g_source_unref (server->deadline_source);
    }
  if (server->trim_source != NULL)
    {
      g_source_destroy (server->trim_source);
      g_source_unref (server->trim_source);
    }
  if (server->list_source != NULL)
    g_source_destroy (server->list_source);
  if (server->write_source != NULL)
    g_source_destroy (server->write_source);
  g_clear_pointer (&server->pending, g_array_unref);
  g_clear_pointer (&server->core, natter_core_free);
  g_clear_object (&server->socket);
  g_free (server->description);
  g_free (server);
}

guint16
natter_server_get_port (NatterServer *server)
{
  return server->port;
}

const char *
natter_server_describe (NatterServer *server)
{
  return server->description;
}

NatterCore *
natter_server_get_core (NatterServer *server)
{
  return server->core;
}

void
natter_server_shutdown (NatterServer *server)
{
  natter_core_shutdown (server->core);
  flush_output (server);
  /* a last, blocking attempt: the goodbyes matter more than a fast exit */
  if (server->pending_head < server->pending->len)
    {
      g_clear_pointer (&server->write_source, g_source_destroy);
      g_socket_set_blocking (server->socket, TRUE);
      send_pending (server);
    }
}
