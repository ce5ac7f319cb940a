/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "natter-server"
#include "config.h"

#include <string.h>

#include "natter-core-private.h"
#include "natter-random.h"
#include "natter-wire.h"

#define COOKIE_MAC_SIZE 16
#define COOKIE_SIZE     (4 + COOKIE_MAC_SIZE)

/* Cookies: a MAC over the source endpoint and a time window, so the server
 * keeps no state for registrations that never prove their address. */
static void
cookie_mac (NatterCore           *core,
            guint32               window,
            const NatterEndpoint *from,
            guint8               *out)
{
  g_autoptr(GHmac) hmac = g_hmac_new (G_CHECKSUM_SHA256, core->secret, sizeof core->secret);
  guint8 digest[32];
  gsize digest_len = sizeof digest;
  guint32 window_be = GUINT32_TO_BE (window);
  guint16 port_be = GUINT16_TO_BE (from->port);

  g_hmac_update (hmac, (const guint8 *) &window_be, 4);
  g_hmac_update (hmac, &from->family, 1);
  g_hmac_update (hmac, from->addr, natter_endpoint_addr_len (from));
  g_hmac_update (hmac, (const guint8 *) &port_be, 2);
  g_hmac_get_digest (hmac, digest, &digest_len);
  memcpy (out, digest, COOKIE_MAC_SIZE);
}

static void
make_cookie (NatterCore           *core,
             const NatterEndpoint *from,
             gint64                now_ms,
             guint8               *cookie)
{
  guint32 window = (guint32) (now_ms / NATTER_COOKIE_WINDOW_MS);
  guint32 window_be = GUINT32_TO_BE (window);

  memcpy (cookie, &window_be, 4);
  cookie_mac (core, window, from, cookie + 4);
}

gboolean
natter_core_check_cookie (NatterCore           *core,
                          const guint8         *cookie,
                          gsize                 len,
                          const NatterEndpoint *from,
                          gint64                now_ms)
{
  guint32 now_window = (guint32) (now_ms / NATTER_COOKIE_WINDOW_MS);
  guint32 window_be, window;
  guint8 mac[COOKIE_MAC_SIZE];

  if (cookie == NULL || len != COOKIE_SIZE)
    return FALSE;
  memcpy (&window_be, cookie, 4);
  window = GUINT32_FROM_BE (window_be);
  if (window != now_window && window + 1 != now_window)
    return FALSE;
  cookie_mac (core, window, from, mac);
  return natter_secret_equal (mac, cookie + 4, COOKIE_MAC_SIZE);
}

void
natter_core_send_cookie (NatterCore           *core,
                         const NatterEndpoint *to,
                         gint64                now_ms,
                         gsize                 request_len)
{
  guint8 cookie[COOKIE_SIZE];
  GVariantBuilder b;

  make_cookie (core, to, now_ms, cookie);
  g_variant_builder_init (&b, G_VARIANT_TYPE_VARDICT);
  natter_wire_add_bytes (&b, "ck", cookie, sizeof cookie);
  natter_core_send_bounded (core, to,
                            natter_wire_encode (NATTER_MSG_COOKIE, g_variant_builder_end (&b)),
                            request_len);
}
