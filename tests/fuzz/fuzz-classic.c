/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "fuzz-common.h"
#include "natter-classic.h"

/* natter_classic_parse() in both directions: what the server receives
 * from the assignment's clients, and what a client receives from the server
 * and from classic peers. An accepted message is formatted again and must
 * parse to the same thing. */

static char *
format (const NatterClassicMsg *msg)
{
  switch (msg->kind)
    {
    case NATTER_CLASSIC_REGISTER:
      return natter_classic_format_register (msg->id, &msg->endpoint);
    case NATTER_CLASSIC_KEEPALIVE:
      return natter_classic_format_keepalive (msg->id);
    case NATTER_CLASSIC_EXIT:
      return natter_classic_format_exit (msg->id);
    case NATTER_CLASSIC_PEER:
      return natter_classic_format_peer (msg->id, &msg->endpoint);
    case NATTER_CLASSIC_PRIVATE:
      return natter_classic_format_private (msg->id, &msg->endpoint);
    case NATTER_CLASSIC_UNREGISTERED:
      return natter_classic_format_unregistered (msg->id, &msg->endpoint);
    case NATTER_CLASSIC_OFFLINE:
      return natter_classic_format_offline (msg->id, &msg->endpoint);
    case NATTER_CLASSIC_CHAT:
      return natter_classic_format_chat (msg->id, msg->text);
    default:
      FUZZ_CHECK (!"known kind");
      return NULL;
    }
}

static void
check (const NatterClassicMsg *msg,
       NatterClassicDirection  direction)
{
  g_autofree char *again = NULL;
  g_auto(NatterClassicMsg) back = { 0 };
  g_autoptr(GError) error = NULL;
  gboolean to_server = direction == NATTER_CLASSIC_TO_SERVER;

  FUZZ_CHECK (msg->id != NULL && natter_id_validate (msg->id, -1, NULL));
  switch (msg->kind)
    {
    case NATTER_CLASSIC_REGISTER:
    case NATTER_CLASSIC_KEEPALIVE:
    case NATTER_CLASSIC_EXIT:
      FUZZ_CHECK (to_server);
      break;
    default:
      FUZZ_CHECK (!to_server);
      break;
    }
  switch (msg->kind)
    {
    case NATTER_CLASSIC_REGISTER:
    case NATTER_CLASSIC_PRIVATE:
      fuzz_check_endpoint (&msg->endpoint, FALSE);
      FUZZ_CHECK (msg->endpoint.port == 0);
      break;
    case NATTER_CLASSIC_PEER:
    case NATTER_CLASSIC_UNREGISTERED:
    case NATTER_CLASSIC_OFFLINE:
      fuzz_check_endpoint (&msg->endpoint, TRUE);
      break;
    case NATTER_CLASSIC_CHAT:
      FUZZ_CHECK (msg->text != NULL && g_utf8_validate (msg->text, -1, NULL));
      break;
    default:
      FUZZ_CHECK (!natter_endpoint_is_set (&msg->endpoint));
      break;
    }
  if (msg->kind != NATTER_CLASSIC_CHAT)
    FUZZ_CHECK (msg->text == NULL);

  /* A receiver drops one trailing line ending, so chat text that ends in
   * one does not survive being sent again; that is the protocol. */
  if (msg->kind == NATTER_CLASSIC_CHAT && g_str_has_suffix (msg->text, "\n"))
    return;
  again = format (msg);
  FUZZ_CHECK (again != NULL);
  if (!natter_classic_parse ((const guint8 *) again, strlen (again), direction, &back, &error))
    {
      fprintf (stderr, "formatted again as “%s”, which does not parse: %s\n",
               again, error->message);
      FUZZ_CHECK (!"formatted message parses");
    }
  FUZZ_CHECK (back.kind == msg->kind);
  FUZZ_CHECK (strcmp (back.id, msg->id) == 0);
  FUZZ_CHECK (g_strcmp0 (back.text, msg->text) == 0);
  FUZZ_CHECK (natter_endpoint_is_set (&back.endpoint) == natter_endpoint_is_set (&msg->endpoint));
  if (natter_endpoint_is_set (&msg->endpoint))
    FUZZ_CHECK (natter_endpoint_equal (&back.endpoint, &msg->endpoint));
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  static const NatterClassicDirection directions[] = {
    NATTER_CLASSIC_TO_SERVER, NATTER_CLASSIC_TO_CLIENT,
  };

  for (guint i = 0; i < G_N_ELEMENTS (directions); i++)
    {
      g_auto(NatterClassicMsg) msg = { 0 };
      g_autoptr(GError) error = NULL;

      if (natter_classic_parse (data, size, directions[i], &msg, &error))
        {
          FUZZ_CHECK (error == NULL);
          check (&msg, directions[i]);
        }
      else
        {
          FUZZ_CHECK (error != NULL && error->domain == NATTER_CLASSIC_ERROR);
          FUZZ_CHECK (msg.id == NULL && msg.text == NULL);
        }
    }
  return 0;
}
