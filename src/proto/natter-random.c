/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <sys/random.h>

#include "natter-random.h"

void
natter_random_bytes (guint8 *out,
                     gsize   len)
{
  gsize done = 0;

  while (done < len)
    {
      ssize_t n = getrandom (out + done, len - done, 0);

      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          g_error ("getrandom() failed: %s", g_strerror (errno));
        }
      done += n;
    }
}

gboolean
natter_secret_equal (const guint8 *a,
                     const guint8 *b,
                     gsize         len)
{
  guint8 diff = 0;

  for (gsize i = 0; i < len; i++)
    diff |= a[i] ^ b[i];
  return diff == 0;
}
