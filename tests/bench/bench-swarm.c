/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "bench-common.h"
#include "bench-decode.h"
#include "bench-swarm.h"

#define BATCH        64
#define RECV_SIZE    2048
#define REGISTER_RETRY_US  (1 * G_USEC_PER_SEC)
#define SNAPSHOT_DUE_US    (2 * G_USEC_PER_SEC)
#define RESYNC_GAP_US      (500 * 1000)

static guint8 recv_buffers[BATCH][RECV_SIZE];

guint32
swarm_client_address (guint index)
{
  guint a = index / SWARM_CLIENTS_PER_ADDRESS;

  return htonl ((127u << 24) | (1u << 16) | ((a / 250) << 8) | (a % 250 + 1));
}

char *
swarm_client_id (Swarm *swarm,
                 guint  index)
{
  return g_strdup_printf ("%s%u", swarm->prefix, index);
}

Swarm *
swarm_new (guint        n,
           const char  *prefix,
           guint16      server_port,
           gboolean     track_lists,
           int          rcvbuf,
           GError     **error)
{
  Swarm *swarm = g_new0 (Swarm, 1);

  swarm->n = n;
  swarm->prefix = g_strdup (prefix);
  swarm->track_lists = track_lists;
  swarm->words = (n + 31) / 32;
  swarm->clients = g_new0 (SimClient, n);
  bench_sockaddr_loopback (&swarm->server, server_port);
  swarm->epoll_fd = epoll_create1 (EPOLL_CLOEXEC);
  swarm->validate_every = 1;
  bench_view_init (&swarm->view);
  for (guint i = 0; i < n; i++)
    {
      SimClient *c = &swarm->clients[i];
      struct epoll_event ev = { .events = EPOLLIN, .data.u32 = i };

      c->fd = bench_udp_socket (swarm_client_address (i), rcvbuf, &c->port);
      if (c->fd < 0)
        {
          int saved = errno;

          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                       "socket %u of %u: %s", i, n, g_strerror (saved));
          for (guint j = 0; j < i; j++)
            close (swarm->clients[j].fd);
          swarm->n = 0;
          swarm_free (swarm);
          return NULL;
        }
      epoll_ctl (swarm->epoll_fd, EPOLL_CTL_ADD, c->fd, &ev);
      if (track_lists)
        c->have = g_new0 (guint32, swarm->words);
    }
  return swarm;
}

void
swarm_free (Swarm *swarm)
{
  if (swarm == NULL)
    return;
  for (guint i = 0; i < swarm->n; i++)
    {
      SimClient *c = &swarm->clients[i];

      close (c->fd);
      g_free (c->have);
      g_free (c->snap_bits);
      g_free (c->snap_part_bits);
    }
  if (swarm->epoll_fd >= 0)
    close (swarm->epoll_fd);
  bench_view_clear (&swarm->view);
  g_free (swarm->clients);
  g_free (swarm->prefix);
  g_free (swarm);
}

void
swarm_send (Swarm     *swarm,
            SimClient *c,
            GBytes    *datagram)
{
  gsize len;
  const guint8 *data = g_bytes_get_data (datagram, &len);

  sendto (c->fd, data, len, 0, (struct sockaddr *) &swarm->server, sizeof swarm->server);
}

void
swarm_send_register (Swarm        *swarm,
                     SimClient    *c,
                     const guint8 *cookie,
                     gsize         cookie_len)
{
  static const guint8 pad[NATTER_WIRE_REGISTER_MIN_SIZE] = { 0 };
  g_autofree char *id = swarm_client_id (swarm, c - swarm->clients);
  g_autoptr(GBytes) datagram = NULL;
  GVariantBuilder b;

  g_variant_builder_init (&b, G_VARIANT_TYPE_VARDICT);
  natter_wire_add_string (&b, "id", id);
  if (cookie != NULL)
    natter_wire_add_bytes (&b, "ck", cookie, cookie_len);
  natter_wire_add_bytes (&b, "pad", pad, sizeof pad);
  datagram = natter_wire_encode (NATTER_MSG_REGISTER, g_variant_builder_end (&b));
  swarm_send (swarm, c, datagram);
  c->registering = TRUE;
  c->register_sent_us = bench_now_us ();
}

static void
send_resync (Swarm     *swarm,
             SimClient *c,
             gint64     now)
{
  g_autofree char *id = swarm_client_id (swarm, c - swarm->clients);
  g_autoptr(GBytes) datagram =
    natter_wire_auth_request (NATTER_MSG_RESYNC, id, c->token, NULL, NULL, 0, 0);

  swarm_send (swarm, c, datagram);
  swarm->resyncs++;
  c->last_resync_us = now;
  if (c->snapshot_since_us == 0)
    c->snapshot_since_us = now;
}

static void
maybe_resync (Swarm     *swarm,
              SimClient *c)
{
  gint64 now = bench_now_us ();

  if (now - c->last_resync_us >= RESYNC_GAP_US)
    send_resync (swarm, c, now);
}

/* The swarm index an ID stands for, checked against the endpoint the
 * server announces for it; -1 for anything that is not one of ours. */
static gint
peer_index (Swarm           *swarm,
            const BenchPeer *peer)
{
  gsize plen = strlen (swarm->prefix);
  guint64 index;
  char *end;

  if (strncmp (peer->id, swarm->prefix, plen) != 0)
    return -1;
  index = g_ascii_strtoull (peer->id + plen, &end, 10);
  if (*end != '\0' || end == peer->id + plen || index >= swarm->n)
    return -1;
  if (peer->family != 4 || peer->port != swarm->clients[index].port ||
      memcmp (peer->addr, &(guint32) { swarm_client_address (index) }, 4) != 0)
    return -1;
  return (gint) index;
}

static void
set_complete (Swarm     *swarm,
              SimClient *c,
              guint      old_count)
{
  if (old_count == swarm->n && c->count != swarm->n)
    swarm->n_complete--;
  else if (old_count != swarm->n && c->count == swarm->n)
    swarm->n_complete++;
}

static void
handle_list (Swarm     *swarm,
             SimClient *c,
             BenchView *msg)
{
  if (msg->version < c->known)
    return;
  if (c->snap_bits != NULL && msg->version < c->snap_ver)
    return;
  if (c->snap_bits == NULL || msg->version != c->snap_ver || msg->parts != c->snap_parts)
    {
      g_free (c->snap_bits);
      g_free (c->snap_part_bits);
      c->snap_bits = g_new0 (guint32, swarm->words);
      c->snap_part_bits = g_new0 (guint32, (msg->parts + 31) / 32);
      c->snap_ver = msg->version;
      c->snap_parts = msg->parts;
      c->snap_got = 0;
      c->snap_count = 0;
    }
  if (c->snap_part_bits[msg->part / 32] & (1u << (msg->part % 32)))
    return;
  c->snap_part_bits[msg->part / 32] |= 1u << (msg->part % 32);
  c->snap_got++;
  for (guint i = 0; i < msg->peers->len; i++)
    {
      const BenchPeer *peer = &g_array_index (msg->peers, BenchPeer, i);
      gint index = peer_index (swarm, peer);

      if (index < 0)
        {
          swarm->bad_entries++;
          continue;
        }
      if (!(c->snap_bits[index / 32] & (1u << (index % 32))))
        {
          c->snap_bits[index / 32] |= 1u << (index % 32);
          c->snap_count++;
        }
    }
  if (c->snap_got == c->snap_parts)
    {
      guint old = c->count;

      g_free (c->have);
      c->have = g_steal_pointer (&c->snap_bits);
      g_clear_pointer (&c->snap_part_bits, g_free);
      c->count = c->snap_count;
      c->known = c->snap_ver;
      c->snapshot_since_us = 0;
      set_complete (swarm, c, old);
    }
}

static void
handle_events (Swarm     *swarm,
               SimClient *c,
               BenchView *msg)
{
  guint old = c->count;

  for (guint i = 0; i < msg->events->len; i++)
    {
      const BenchEvent *event = &g_array_index (msg->events, BenchEvent, i);
      gint index;
      guint32 bit;

      if (event->version <= c->known)
        continue;
      if (event->version != c->known + 1 || c->snapshot_since_us != 0)
        {
          maybe_resync (swarm, c);
          break;
        }
      c->known++;
      index = peer_index (swarm, &event->peer);
      if (index < 0)
        {
          swarm->bad_entries++;
          continue;
        }
      bit = 1u << (index % 32);
      switch (event->kind)
        {
        case NATTER_EVENT_JOIN:
        case NATTER_EVENT_MOVE:
          if (!(c->have[index / 32] & bit))
            {
              c->have[index / 32] |= bit;
              c->count++;
            }
          break;
        case NATTER_EVENT_LEAVE:
        case NATTER_EVENT_TIMEOUT:
        default:
          if (c->have[index / 32] & bit)
            {
              c->have[index / 32] &= ~bit;
              c->count--;
            }
          break;
        }
    }
  set_complete (swarm, c, old);
}

static void
handle_datagram (Swarm        *swarm,
                 SimClient    *c,
                 const guint8 *data,
                 gsize         len)
{
  g_auto(NatterMsg) msg = { 0 };

  swarm->received++;
  /* the keep-alive answer is counted without decoding: the benchmark
   * measures the server, not this loop */
  if (!swarm->track_lists && len > NATTER_WIRE_HEADER_SIZE && data[5] == NATTER_MSG_ALIVE)
    {
      swarm->alive++;
      return;
    }
  if (len > NATTER_WIRE_HEADER_SIZE &&
      (data[5] == NATTER_MSG_LIST || data[5] == NATTER_MSG_EVENTS))
    {
      if (swarm->validate_every > 0 && swarm->big_seen++ % swarm->validate_every == 0)
        {
          g_auto(NatterMsg) checked = { 0 };

          swarm->validated++;
          if (!natter_msg_parse (&checked, data, len, NULL))
            swarm->invalid++;
        }
      if (!bench_view_read (&swarm->view, data, len))
        {
          swarm->unparsed++;
          return;
        }
      if (data[5] == NATTER_MSG_LIST)
        swarm->received_lists++;
      else
        swarm->received_events++;
      if (!c->registered || !swarm->track_lists)
        return;
      if (data[5] == NATTER_MSG_LIST)
        handle_list (swarm, c, &swarm->view);
      else
        handle_events (swarm, c, &swarm->view);
      return;
    }
  if (!natter_msg_parse (&msg, data, len, NULL))
    {
      swarm->unparsed++;
      return;
    }
  switch (msg.type)
    {
    case NATTER_MSG_COOKIE:
      swarm->received_cookies++;
      if (c->registering)
        swarm_send_register (swarm, c, msg.cookie, msg.cookie_len);
      break;
    case NATTER_MSG_WELCOME:
      swarm->received_welcomes++;
      {
        g_autofree char *id = swarm_client_id (swarm, c - swarm->clients);

        if (g_strcmp0 (msg.id, id) != 0 || !c->registering)
          break;
        memcpy (c->token, msg.token, NATTER_WIRE_TOKEN_SIZE);
        c->registering = FALSE;
        c->registered = TRUE;
        c->known = 0;
        c->welcome_us = bench_now_us ();
        c->snapshot_since_us = c->welcome_us;
        swarm->n_registered++;
        swarm->last_welcome_us = c->welcome_us;
      }
      break;
    case NATTER_MSG_ALIVE:
      swarm->alive++;
      if (swarm->track_lists && msg.version > c->known)
        maybe_resync (swarm, c);
      break;
    case NATTER_MSG_ERROR:
      swarm->errors++;
      if (swarm->errors <= 5)
        g_printerr ("natter-bench: %s%u got ERROR %u: %s\n", swarm->prefix,
                    (guint) (c - swarm->clients), msg.code, msg.reason ? msg.reason : "");
      break;
    default:
      break;
    }
}

void
swarm_drain (Swarm     *swarm,
             SimClient *c)
{
  for (;;)
    {
      struct mmsghdr msgs[BATCH];
      struct iovec iov[BATCH];
      int n;

      for (guint i = 0; i < BATCH; i++)
        {
          iov[i] = (struct iovec) { recv_buffers[i], RECV_SIZE };
          msgs[i] = (struct mmsghdr) { .msg_hdr = { .msg_iov = &iov[i], .msg_iovlen = 1 } };
        }
      n = recvmmsg (c->fd, msgs, BATCH, MSG_DONTWAIT, NULL);
      if (n <= 0)
        return;
      for (int i = 0; i < n; i++)
        handle_datagram (swarm, c, recv_buffers[i], msgs[i].msg_len);
      if (n < BATCH)
        return;
    }
}

void
swarm_poll (Swarm *swarm,
            int    timeout_ms)
{
  struct epoll_event events[256];
  int n = epoll_wait (swarm->epoll_fd, events, G_N_ELEMENTS (events), timeout_ms);

  for (int i = 0; i < n; i++)
    swarm_drain (swarm, &swarm->clients[events[i].data.u32]);
}

void
swarm_maintain (Swarm *swarm)
{
  gint64 now = bench_now_us ();

  for (guint i = 0; i < swarm->n; i++)
    {
      SimClient *c = &swarm->clients[i];

      if (c->registering && now >= c->retry_at_us && now - c->register_sent_us >= REGISTER_RETRY_US)
        {
          /* as Natter's client: four REGISTERs a second apart, then a
           * pause that doubles each time (0.5 s up to 8 s) */
          if (++c->attempts % 4 == 0)
            {
              c->retry_at_us = now + MIN (8 * G_USEC_PER_SEC,
                                          (G_USEC_PER_SEC / 2) << MIN (c->attempts / 4 - 1, 4u));
              c->register_sent_us = 0;
              continue;
            }
          swarm->register_retries++;
          swarm_send_register (swarm, c, NULL, 0);
        }
      else if (c->registered && swarm->track_lists && c->snapshot_since_us != 0 &&
               now - c->snapshot_since_us >= SNAPSHOT_DUE_US &&
               now - c->last_resync_us >= SNAPSHOT_DUE_US)
        send_resync (swarm, c, now);
    }
}

guint
swarm_count_complete (Swarm *swarm)
{
  guint complete = 0;

  for (guint i = 0; i < swarm->n; i++)
    {
      SimClient *c = &swarm->clients[i];
      guint bits = 0;

      if (c->have == NULL)
        continue;
      for (guint w = 0; w < swarm->words; w++)
        bits += __builtin_popcount (c->have[w]);
      if (bits == swarm->n)
        complete++;
    }
  return complete;
}

gboolean
swarm_register_all (Swarm  *swarm,
                    double  rate,
                    gint64  deadline_us,
                    gint64 *first_sent_us,
                    gint64 *last_sent_us,
                    gint64 *complete_us)
{
  gint64 start = bench_now_us ();
  gint64 last_maintain = start;
  guint next = 0;

  *first_sent_us = start;
  *last_sent_us = 0;
  *complete_us = 0;
  for (;;)
    {
      gint64 now = bench_now_us ();
      int timeout_ms = 50;

      while (next < swarm->n && start + (gint64) ((double) next * G_USEC_PER_SEC / rate) <= now)
        {
          swarm_send_register (swarm, &swarm->clients[next], NULL, 0);
          if (++next == swarm->n)
            *last_sent_us = bench_now_us ();
        }
      if (next < swarm->n)
        timeout_ms = MAX (0, (int) ((start + (gint64) ((double) next * G_USEC_PER_SEC / rate) - now) / 1000));
      swarm_poll (swarm, timeout_ms);

      now = bench_now_us ();
      if (now - last_maintain >= 100 * 1000)
        {
          swarm_maintain (swarm);
          last_maintain = now;
        }
      if (swarm->n_registered == swarm->n &&
          (!swarm->track_lists || swarm->n_complete == swarm->n))
        {
          *complete_us = now;
          return TRUE;
        }
      if (now > deadline_us)
        return FALSE;
    }
}
