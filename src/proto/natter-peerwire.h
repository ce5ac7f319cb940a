/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

#include "natter-wire.h"

G_BEGIN_DECLS

/* Peer-to-peer messages. A PEER datagram (native type 0x81) carries
 *   "id"  s       the sender
 *   "to"  s       the recipient
 *   "mac" ay(16)  HMAC-SHA256 over a domain string, id, to and p, truncated
 *   "p"   ay      the payload: an a{sv} in normal form with the fields below
 * and is sent directly between peers or carried opaquely inside RELAY and
 * RELAYED. The key is the per-pair key the server handed both peers in
 * INTRODUCE; nobody without it can forge or alter a PEER datagram, and one
 * addressed to someone else is rejected. */

/* Chat text travels in fragments of at most this many bytes, small enough
 * that a fragment between two of the longest IDs (32 characters of 4 bytes)
 * still fits inside RELAY. */
#define NATTER_PEER_MAX_FRAGMENT 384
#define NATTER_PEER_MAX_FRAGMENTS 64

typedef enum
{
  NATTER_PEER_PROBE     = 1,  /* nonce: "can you hear me on this path?" */
  NATTER_PEER_PROBE_ACK = 2,  /* nonce, seen: "yes, it came from seen" */
  NATTER_PEER_CHAT      = 3,  /* message_id, fragment, n_fragments, timestamp_ms, text */
  NATTER_PEER_ACK       = 4,  /* message_id, fragment */
  NATTER_PEER_PING      = 5,  /* nonce: keeps an idle path and its NAT mappings alive */
  NATTER_PEER_PONG      = 6,  /* nonce, seen */
} NatterPeerKind;

typedef struct
{
  NatterPeerKind  kind;
  guint64         nonce;
  guint64         message_id;
  guint16         fragment;
  guint16         n_fragments;
  gint64          timestamp_ms;  /* wall clock, Unix milliseconds */
  const guint8   *text;          /* one fragment of UTF-8, not NUL-terminated */
  gsize           text_len;
  gboolean        has_seen;
  NatterEndpoint  seen;          /* where the answered datagram came from */
  GVariant       *body;          /* owns text */
} NatterPeerMsg;

#define NATTER_PEER_ERROR (natter_peer_error_quark ())

typedef enum
{
  NATTER_PEER_ERROR_AUTH,       /* wrong MAC, or addressed to someone else */
  NATTER_PEER_ERROR_MALFORMED,
} NatterPeerError;

GQuark   natter_peer_error_quark (void);

/* A complete PEER datagram (header included), or NULL if it would not fit. */
GBytes  *natter_peer_seal        (const guint8        *key,
                                  const char          *from,
                                  const char          *to,
                                  const NatterPeerMsg *msg);
/* outer is a parsed NATTER_MSG_PEER; my_id the receiver's own ID. */
gboolean natter_peer_open        (const guint8        *key,
                                  const NatterMsg     *outer,
                                  const char          *my_id,
                                  NatterPeerMsg       *msg,
                                  GError             **error);
void     natter_peer_msg_clear   (NatterPeerMsg       *msg);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (NatterPeerMsg, natter_peer_msg_clear)

G_END_DECLS
