/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

#include "natter-endpoint.h"

G_BEGIN_DECLS

/* STUN Binding (RFC 5389, and the older RFC 3489 form without the magic
 * cookie). Natter answers Binding requests on its server port so that any
 * STUN client can learn its public address. */

#define NATTER_STUN_HEADER_SIZE   20
#define NATTER_STUN_MAGIC_COOKIE  0x2112A442u
#define NATTER_STUN_BINDING_REQUEST  0x0001
#define NATTER_STUN_BINDING_RESPONSE 0x0101
#define NATTER_STUN_ATTR_MAPPED_ADDRESS     0x0001
#define NATTER_STUN_ATTR_XOR_MAPPED_ADDRESS 0x0020
/* the largest response natter_stun_build_binding_response() writes */
#define NATTER_STUN_MAX_RESPONSE 64

typedef struct
{
  gboolean rfc3489;          /* no magic cookie: answer with MAPPED-ADDRESS */
  guint8   transaction[16];  /* RFC 5389: cookie + 12 bytes; RFC 3489: 16 bytes */
} NatterStunRequest;

/* Cheap test on the first bytes: could this datagram be STUN at all? */
gboolean natter_stun_looks_like            (const guint8            *data,
                                            gsize                    len);
/* TRUE when data is a well-formed Binding request (header, length, and a
 * well-formed attribute list). */
gboolean natter_stun_parse_binding_request (const guint8            *data,
                                            gsize                    len,
                                            NatterStunRequest       *request);
/* Writes the success response telling the client its mapped address; returns
 * the number of bytes written, or 0 when out_size is too small. */
gsize    natter_stun_build_binding_response (const NatterStunRequest *request,
                                             const NatterEndpoint    *mapped,
                                             guint8                  *out,
                                             gsize                    out_size);

/* Client side (tests and the client engine). */
gsize    natter_stun_build_binding_request  (gboolean                 rfc3489,
                                             const guint8            *transaction,
                                             guint8                  *out,
                                             gsize                    out_size);
/* transaction: the 12 (RFC 5389) or 16 (RFC 3489) bytes sent in the request */
gboolean natter_stun_parse_binding_response (const guint8            *data,
                                             gsize                    len,
                                             gboolean                 rfc3489,
                                             const guint8            *transaction,
                                             NatterEndpoint          *mapped);

G_END_DECLS
