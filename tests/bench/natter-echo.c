/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A minimal UDP echo loop: recvmmsg a batch, sendmmsg it straight back to
 * its senders. The yardstick for natter-bench keepalive: what the kernel
 * and loopback allow one process on one core, with no work per datagram.
 *   natter-echo [--port=N]      prints "natter-echo listening on UDP port N" */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define BATCH 64
#define SIZE  2048

int
main (int   argc,
      char *argv[])
{
  static char buffers[BATCH][SIZE];
  struct sockaddr_in addresses[BATCH];
  struct iovec iov[BATCH];
  struct mmsghdr msgs[BATCH];
  struct sockaddr_in local = { 0 };
  socklen_t len = sizeof local;
  int buffer_size = 4 * 1024 * 1024;
  int port = 0;
  int fd;

  for (int i = 1; i < argc; i++)
    if (strncmp (argv[i], "--port=", 7) == 0)
      port = atoi (argv[i] + 7);

  fd = socket (AF_INET, SOCK_DGRAM, 0);
  if (fd < 0)
    {
      perror ("natter-echo: socket");
      return 1;
    }
  local.sin_family = AF_INET;
  local.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  local.sin_port = htons ((unsigned short) port);
  if (bind (fd, (struct sockaddr *) &local, sizeof local) < 0 ||
      getsockname (fd, (struct sockaddr *) &local, &len) < 0)
    {
      perror ("natter-echo: bind");
      return 1;
    }
  /* the same buffers natter-server asks for */
  setsockopt (fd, SOL_SOCKET, SO_RCVBUF, &buffer_size, sizeof buffer_size);
  setsockopt (fd, SOL_SOCKET, SO_SNDBUF, &buffer_size, sizeof buffer_size);
  fprintf (stderr, "natter-echo listening on UDP port %u\n", ntohs (local.sin_port));

  for (;;)
    {
      int n, sent = 0;

      for (int i = 0; i < BATCH; i++)
        {
          iov[i].iov_base = buffers[i];
          iov[i].iov_len = SIZE;
          memset (&msgs[i], 0, sizeof msgs[i]);
          msgs[i].msg_hdr.msg_name = &addresses[i];
          msgs[i].msg_hdr.msg_namelen = sizeof addresses[i];
          msgs[i].msg_hdr.msg_iov = &iov[i];
          msgs[i].msg_hdr.msg_iovlen = 1;
        }
      n = recvmmsg (fd, msgs, BATCH, MSG_WAITFORONE, NULL);
      if (n <= 0)
        continue;
      for (int i = 0; i < n; i++)
        iov[i].iov_len = msgs[i].msg_len;
      while (sent < n)
        {
          int r = sendmmsg (fd, msgs + sent, n - sent, 0);

          if (r <= 0)
            break;
          sent += r;
        }
    }
  return 0;
}
