/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "fuzz-common.h"
#include "natter-wire.h"

/* natter_msg_parse(), which every native datagram goes through on the
 * server and the client. A message it accepts must be safe to read field by
 * field, and must say the same once built again with the encoders. */

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_auto(NatterMsg) msg = { 0 };
  g_autoptr(GError) error = NULL;
  NatterPacketKind kind = natter_packet_classify (data, size);

  if (!natter_msg_parse (&msg, data, size, &error))
    {
      FUZZ_CHECK (error != NULL && error->domain == NATTER_WIRE_ERROR);
      FUZZ_CHECK (msg.body == NULL && msg.peers == NULL && msg.events == NULL);
      return 0;
    }
  FUZZ_CHECK (error == NULL);
  FUZZ_CHECK (kind == NATTER_PACKET_NATIVE);
  FUZZ_CHECK (size >= NATTER_WIRE_HEADER_SIZE && size <= NATTER_WIRE_MAX_SIZE);
  fuzz_check_msg (&msg);
  fuzz_check_reencode (&msg, size);
  return 0;
}
