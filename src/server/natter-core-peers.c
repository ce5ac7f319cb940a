/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "natter-server"
#include "config.h"

#include "natter-core-private.h"
#include "natter-random.h"

/* What the server does between two registered clients: introduce them to
 * each other for hole punching, and relay when punching failed. */

void
natter_core_handle_intro (NatterCore  *core,
                          NatterEntry *entry,
                          NatterMsg   *msg,
                          gint64       now_ms)
{
  NatterEntry *peer = natter_registry_lookup (core->registry, msg->to);
  guint8 key[NATTER_WIRE_KEY_SIZE];
  gboolean same_nat;
  NatterEntry *sides[2][2] = { { entry, peer }, { peer, entry } };

  if (!natter_bucket_take (&entry->request_bucket, now_ms, NATTER_REQUEST_RATE,
                           NATTER_REQUEST_BURST, 1))
    {
      core->stats.rate_limited++;
      natter_core_send_error (core, &entry->public_endpoint, NATTER_ERR_RATE_LIMITED,
                              "Too many introductions: slow down");
      return;
    }
  if (peer == NULL || peer == entry)
    {
      g_autofree char *reason = g_strdup_printf ("“%s” is not registered", msg->to);

      natter_core_send_error (core, &entry->public_endpoint, NATTER_ERR_NO_SUCH_PEER, reason);
      return;
    }

  natter_random_bytes (key, sizeof key);
  same_nat = natter_endpoint_same_address (&entry->public_endpoint, &peer->public_endpoint);
  /* a classic peer cannot take part: only the asking side learns about it */
  for (guint i = 0; i < (peer->classic ? 1u : 2u); i++)
    {
      NatterEntry *to = sides[i][0];
      NatterEntry *about = sides[i][1];
      GVariantBuilder b;

      g_variant_builder_init (&b, G_VARIANT_TYPE_VARDICT);
      natter_wire_add_string (&b, "id", about->id);
      natter_wire_add_endpoint (&b, "ep", &about->public_endpoint);
      if (same_nat)
        natter_wire_add_candidates (&b, "cand", about->candidates, about->n_candidates);
      if (about->classic)
        natter_wire_add_bool (&b, "classic", TRUE);
      else
        natter_wire_add_bytes (&b, "key", key, sizeof key);
      natter_core_send (core, &to->public_endpoint,
                        natter_wire_encode (NATTER_MSG_INTRODUCE, g_variant_builder_end (&b)));
    }
  g_debug ("introduced %s and %s", entry->id, peer->id);
}

void
natter_core_handle_relay (NatterCore  *core,
                          NatterEntry *entry,
                          NatterMsg   *msg,
                          gint64       now_ms)
{
  NatterEntry *peer;
  GVariantBuilder b;

  if (!core->config.relay)
    {
      natter_core_send_error (core, &entry->public_endpoint, NATTER_ERR_RELAY_DISABLED,
                              "This server does not relay");
      return;
    }
  peer = natter_registry_lookup (core->registry, msg->to);
  if (peer == NULL || peer == entry)
    {
      g_autofree char *reason = g_strdup_printf ("“%s” is not registered", msg->to);

      natter_core_send_error (core, &entry->public_endpoint, NATTER_ERR_NO_SUCH_PEER, reason);
      return;
    }
  if (peer->classic)
    {
      natter_core_send_error (core, &entry->public_endpoint, NATTER_ERR_CLASSIC_PEER,
                              "Classic clients cannot receive relayed datagrams");
      return;
    }
  if (!natter_bucket_take (&entry->relay_bucket, now_ms, NATTER_RELAY_RATE,
                           NATTER_RELAY_BURST, 1))
    {
      /* silently: an error per dropped datagram would double the flood */
      core->stats.rate_limited++;
      return;
    }

  g_variant_builder_init (&b, G_VARIANT_TYPE_VARDICT);
  natter_wire_add_string (&b, "id", entry->id);
  natter_wire_add_bytes (&b, "data", msg->data, msg->data_len);
  natter_core_send (core, &peer->public_endpoint,
                    natter_wire_encode (NATTER_MSG_RELAYED, g_variant_builder_end (&b)));
  core->stats.relayed++;
}
