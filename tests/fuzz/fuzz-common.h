/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <glib.h>

#include "natter-wire.h"

G_BEGIN_DECLS

/* What the fuzz targets share: the libFuzzer entry points, logging that
 * turns a warning or critical into a crash, and the checks of what the
 * parsers promise about a message they accept. */

int  LLVMFuzzerInitialize  (int            *argc,
                            char         ***argv);
int  LLVMFuzzerTestOneInput (const uint8_t *data,
                             size_t         size);

/* A broken invariant is a finding like a crash: print it and abort, so that
 * libFuzzer saves the input. */
G_NORETURN void fuzz_fail (const char *file,
                           int         line,
                           const char *what);
#define FUZZ_CHECK(cond) \
  G_STMT_START { if (G_UNLIKELY (!(cond))) fuzz_fail (__FILE__, __LINE__, #cond); } G_STMT_END

/* Drops debug, info and message lines (the server logs a lot) and aborts on
 * warnings, criticals and errors: a g_return_if_fail() reached from network
 * input is a bug. */
void  fuzz_init              (void);
/* Reads every byte, so that ASan sees any that is out of bounds. */
void  fuzz_touch             (const void *p,
                              gsize       len);
void  fuzz_check_endpoint    (const NatterEndpoint *ep,
                              gboolean              with_port);
/* TRUE (the default): fuzz_check_endpoint() also prints each endpoint and
 * parses it back, which is slow (GInetAddress objects); fuzz-server turns
 * it off, as its outputs are built from endpoints it knows. */
extern gboolean fuzz_deep_endpoint_checks;
/* Every field of a message natter_msg_parse() accepted: present where its
 * type requires it, within bounds, readable. */
void  fuzz_check_msg         (const NatterMsg *msg);
/* Builds the message again from its fields with the encoders, parses that
 * and compares: what the parser accepts the encoders can say, with the same
 * meaning. orig_len is the size of the datagram msg came from. */
void  fuzz_check_reencode    (const NatterMsg *msg,
                              gsize            orig_len);
gboolean fuzz_msg_equal      (const NatterMsg *a,
                              const NatterMsg *b);

/* The PEER MAC as the protocol defines it (natter-peerwire.c): HMAC-SHA256
 * keyed with the pair key over "natter-peer-v1\0" id "\0" to "\0" p,
 * truncated to NATTER_WIRE_MAC_SIZE bytes. */
void  fuzz_peer_mac          (const guint8 *key,
                              const char   *from,
                              const char   *to,
                              const guint8 *p,
                              gsize         p_len,
                              guint8       *mac);
/* The pair key and receiver fuzz-peer uses; its seeds are sealed with it. */
extern const guint8 fuzz_peer_key[NATTER_WIRE_KEY_SIZE];
#define FUZZ_PEER_FROM "alice"
#define FUZZ_PEER_ME   "bob"

/* fuzz-server's input: one config byte, then records until the input ends.
 * A record starts with an op byte:
 *   bits 0-2  the source: one of FUZZ_N_SOURCES endpoints
 *   bits 3-4  how far the clock moves first (fuzz_server_steps)
 *   bit  5    flush after it (natter_core_flush, then the outbox is drained)
 *   bits 6-7  what follows:
 *     RAW       u16 length (little-endian), then that many bytes: a datagram
 *     REQUEST   an authenticated request built by the harness with the
 *               session (ID and token) it saw the server hand out
 *     REGISTER  a REGISTER built by the harness, with the cookie the server
 *               last sent to the source
 *     TICK      natter_core_expire() only
 * The server's secrets are random, so a raw datagram can never carry a
 * valid cookie or token: the harness remembers them from the outbox. */
enum
{
  FUZZ_OP_RAW      = 0,
  FUZZ_OP_REQUEST  = 1,
  FUZZ_OP_REGISTER = 2,
  FUZZ_OP_TICK     = 3,
};

#define FUZZ_N_SOURCES 8
#define FUZZ_OP(kind, source, step, flush) \
  ((guint8) (((kind) << 6) | ((flush) ? 0x20 : 0) | (((step) & 3) << 3) | ((source) & 7)))
#define FUZZ_MAX_RAW 2048

/* config byte: bit 0 relay off, bit 1 classic off, bit 2 max_peers 4 (else
 * 1000), bit 3 classic_rate 2 (else the default) */
enum
{
  FUZZ_CFG_NO_RELAY   = 1 << 0,
  FUZZ_CFG_NO_CLASSIC = 1 << 1,
  FUZZ_CFG_FEW_PEERS  = 1 << 2,
  FUZZ_CFG_SLOW       = 1 << 3,
};

/* REQUEST: a selector byte
 *   bits 0-2  type: KEEPALIVE, RESYNC, BYE, INTRO, RELAY (others: KEEPALIVE)
 *   bit  3    use the session of another source (a token from elsewhere:
 *             a NAT rebinding, or a stolen token), given by the next byte
 *   bit  4    add the cookie the server last sent to this source
 *   bit  5    pad the request to NATTER_WIRE_REGISTER_MIN_SIZE bytes
 *   bit  6    flip a bit of the token
 * then [source byte when bit 3], then for INTRO and RELAY a target byte:
 * 0x80 | source: the ID of that source's session; else an index into
 * fuzz_ids; then for RELAY a length byte and the data. */
/* REGISTER: a selector byte
 *   bits 0-3  number of host candidates (at most 8, from fuzz_candidates)
 *   bit  4    no cookie (else the last one sent to this source)
 *   bit  5    no padding (else padded to NATTER_WIRE_REGISTER_MIN_SIZE)
 * then an ID byte: 0x80 | i is fuzz_ids[i % n]; else that many bytes of ID
 * follow; then one byte per candidate: an index into fuzz_candidates. */
extern const char *const fuzz_ids[];
extern const guint       fuzz_n_ids;
extern const char *const fuzz_sources[FUZZ_N_SOURCES];
extern const char *const fuzz_candidates[];
extern const guint       fuzz_n_candidates;
extern const gint64      fuzz_server_steps[4];
#define FUZZ_TIMEOUT_MS  3000
#define FUZZ_INTERVAL_MS 1000

G_END_DECLS
