/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "fuzz-common.h"
#include "natter-stun.h"

/* The STUN Binding parsers: the request the server answers, and the
 * response a client reads. For each accepted request the server's answer
 * is built, for an IPv4 and an IPv6 mapped address, and must read back as
 * that address with the client's parser. */

static const char *const mapped_addresses[] = {
  "198.51.100.7:40001",
  "[2001:db8::5]:5000",
  "192.0.2.1:1",
  "[::1]:65535",
};

static void
answer (const NatterStunRequest *request,
        const NatterEndpoint    *mapped)
{
  guint8 full[NATTER_STUN_MAX_RESPONSE];
  guint8 *exact;
  gsize len, small;
  NatterEndpoint back;
  const guint8 *transaction = request->rfc3489 ? request->transaction : request->transaction + 4;

  len = natter_stun_build_binding_response (request, mapped, full, sizeof full);
  FUZZ_CHECK (len >= NATTER_STUN_HEADER_SIZE && len <= NATTER_STUN_MAX_RESPONSE);
  /* too small a buffer is refused, never overrun */
  small = natter_stun_build_binding_response (request, mapped, full, len - 1);
  FUZZ_CHECK (small == 0);
  /* an allocation of exactly len bytes, so ASan sees any overrun */
  exact = g_malloc (len);
  FUZZ_CHECK (natter_stun_build_binding_response (request, mapped, exact, len) == len);
  FUZZ_CHECK (natter_stun_looks_like (exact, len));
  FUZZ_CHECK (natter_stun_parse_binding_response (exact, len, request->rfc3489, transaction,
                                                  &back));
  FUZZ_CHECK (natter_endpoint_equal (&back, mapped));
  /* a response is never taken for a request */
  FUZZ_CHECK (!natter_stun_parse_binding_request (exact, len, NULL));
  g_free (exact);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  NatterStunRequest request;
  gboolean looks = natter_stun_looks_like (data, size);

  memset (&request, 0, sizeof request);
  if (natter_stun_parse_binding_request (data, size, &request))
    {
      FUZZ_CHECK (looks);
      FUZZ_CHECK (natter_packet_classify (data, size) == NATTER_PACKET_STUN);
      for (guint i = 0; i < G_N_ELEMENTS (mapped_addresses); i++)
        {
          NatterEndpoint mapped;

          FUZZ_CHECK (natter_endpoint_parse (mapped_addresses[i], 0, &mapped));
          answer (&request, &mapped);
        }
    }

  /* As a response: the transaction is taken from the datagram itself, so
   * that the attribute walk and the address decoding get fuzzed. */
  if (size >= NATTER_STUN_HEADER_SIZE)
    {
      for (int rfc3489 = 0; rfc3489 <= 1; rfc3489++)
        {
          NatterEndpoint mapped;

          memset (&mapped, 0, sizeof mapped);
          if (natter_stun_parse_binding_response (data, size, rfc3489,
                                                  data + (rfc3489 ? 4 : 8), &mapped))
            {
              FUZZ_CHECK (looks);
              fuzz_check_endpoint (&mapped, FALSE);
            }
        }
    }
  return 0;
}
