/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

#include "natter-endpoint.h"
#include "natter-id.h"

G_BEGIN_DECLS

/* The native protocol: a 6-byte header (magic 0xFF 'N' 'T' 'R', version,
 * message type) and a body that is a GVariant dictionary (a{sv}) in normal
 * form, little-endian. docs/protocol.md is the specification. */

#define NATTER_WIRE_MAGIC_0      0xFF
#define NATTER_WIRE_MAGIC        "\xffNTR"  /* the first 4 bytes */
#define NATTER_WIRE_VERSION      1
#define NATTER_WIRE_HEADER_SIZE  6
#define NATTER_WIRE_MAX_SIZE     1200
#define NATTER_WIRE_TOKEN_SIZE   16
#define NATTER_WIRE_KEY_SIZE     32
#define NATTER_WIRE_COOKIE_MAX   32
#define NATTER_WIRE_MAX_CANDIDATES 8
#define NATTER_WIRE_MAX_REASON   256
#define NATTER_WIRE_MAX_DATA     1100
#define NATTER_WIRE_MAC_SIZE     16

/* GVariant types of the composite fields */
#define NATTER_WIRE_TYPE_ENDPOINT   "(ayq)"
#define NATTER_WIRE_TYPE_CANDIDATES "a(ayq)"
#define NATTER_WIRE_TYPE_PEER       "(s(ayq)a(ayq)u)"
#define NATTER_WIRE_TYPE_EVENT      "(ty" NATTER_WIRE_TYPE_PEER ")"
/* An unverified REGISTER must be at least this long, so that the cookie we
 * answer with is never larger than what we received. */
#define NATTER_WIRE_REGISTER_MIN_SIZE 128

#define NATTER_WIRE_ERROR (natter_wire_error_quark ())

typedef enum
{
  NATTER_WIRE_ERROR_NOT_NATIVE,
  NATTER_WIRE_ERROR_VERSION,
  NATTER_WIRE_ERROR_TOO_LARGE,
  NATTER_WIRE_ERROR_MALFORMED,
  NATTER_WIRE_ERROR_UNKNOWN_TYPE,
} NatterWireError;

typedef enum
{
  NATTER_PACKET_INVALID,
  NATTER_PACKET_NATIVE,
  NATTER_PACKET_STUN,
  NATTER_PACKET_CLASSIC,
} NatterPacketKind;

typedef enum
{
  /* client -> server */
  NATTER_MSG_REGISTER  = 0x01,
  NATTER_MSG_KEEPALIVE = 0x02,
  NATTER_MSG_RESYNC    = 0x03,
  NATTER_MSG_BYE       = 0x04,
  NATTER_MSG_INTRO     = 0x05,
  NATTER_MSG_RELAY     = 0x06,
  /* server -> client */
  NATTER_MSG_COOKIE    = 0x41,
  NATTER_MSG_WELCOME   = 0x42,
  NATTER_MSG_LIST      = 0x43,
  NATTER_MSG_EVENTS    = 0x44,
  NATTER_MSG_ALIVE     = 0x45,
  NATTER_MSG_ERROR     = 0x46,
  NATTER_MSG_INTRODUCE = 0x47,
  NATTER_MSG_RELAYED   = 0x48,
  NATTER_MSG_SHUTDOWN  = 0x49,
  /* peer <-> peer (directly, or inside RELAY/RELAYED) */
  NATTER_MSG_PEER      = 0x81,
} NatterMsgType;

/* Codes carried by ERROR; a client shows the reason, and acts on the code. */
typedef enum
{
  NATTER_ERR_BAD_REQUEST     = 1,
  NATTER_ERR_INVALID_ID      = 2,
  NATTER_ERR_ID_TAKEN        = 3,
  NATTER_ERR_SERVER_FULL     = 4,
  NATTER_ERR_UNKNOWN_SESSION = 5,
  NATTER_ERR_NO_SUCH_PEER    = 6,
  NATTER_ERR_RATE_LIMITED    = 7,
  NATTER_ERR_RELAY_DISABLED  = 8,
  NATTER_ERR_CLASSIC_PEER    = 9,
} NatterErrorCode;

typedef enum
{
  NATTER_EVENT_JOIN    = 1,  /* registered */
  NATTER_EVENT_LEAVE   = 2,  /* unregistered (said goodbye) */
  NATTER_EVENT_TIMEOUT = 3,  /* off-line (went silent) */
  NATTER_EVENT_MOVE    = 4,  /* new public endpoint (NAT rebinding) */
} NatterEventKind;

enum
{
  NATTER_PEER_FLAG_CLASSIC = 1 << 0,
};

/* A registered client as others see it. private_candidates are sent only to
 * peers behind the same public address. */
typedef struct
{
  const char     *id;
  NatterEndpoint  public_endpoint;
  NatterEndpoint  candidates[NATTER_WIRE_MAX_CANDIDATES];
  guint           n_candidates;
  guint32         flags;
} NatterPeerInfo;

typedef struct
{
  guint64         version;
  NatterEventKind kind;
  NatterPeerInfo  peer;
} NatterEvent;

/* A decoded message. Strings and byte fields point into `body` and live as
 * long as the message. Which fields are set depends on the type; parse
 * checks that the ones a type requires are present and within bounds. */
typedef struct
{
  NatterMsgType   type;
  GVariant       *body;

  const char     *id;          /* REGISTER, KEEPALIVE, RESYNC, BYE, INTRO, RELAY, PEER: sender;
                                  WELCOME: yours; INTRODUCE: the peer; RELAYED: sender */
  const char     *to;          /* INTRO, RELAY: the peer; PEER: the recipient */
  const guint8   *token;       /* NATTER_WIRE_TOKEN_SIZE bytes, or NULL */
  const guint8   *cookie;
  gsize           cookie_len;
  const guint8   *key;         /* INTRODUCE: NATTER_WIRE_KEY_SIZE bytes */
  const guint8   *data;        /* RELAY, RELAYED; PEER: the sealed payload "p" */
  const guint8   *mac;         /* PEER: NATTER_WIRE_MAC_SIZE bytes */
  gsize           data_len;
  const char     *reason;      /* ERROR, SHUTDOWN */
  guint32         code;        /* ERROR */
  guint64         version;     /* list version: WELCOME, LIST, ALIVE, KEEPALIVE */
  guint32         interval_ms; /* WELCOME: keep-alive interval */
  guint32         timeout_ms;  /* WELCOME: silence after which the server drops you */
  guint16         part, parts; /* LIST */
  gboolean        classic;     /* INTRODUCE: the peer speaks only the classic protocol */
  gboolean        has_endpoint;
  NatterEndpoint  endpoint;    /* WELCOME, ALIVE: yours as seen by the server; INTRODUCE: the peer's */
  NatterEndpoint  candidates[NATTER_WIRE_MAX_CANDIDATES]; /* REGISTER: host; INTRODUCE: peer's */
  guint           n_candidates;
  GArray         *peers;       /* LIST: NatterPeerInfo */
  GArray         *events;      /* EVENTS: NatterEvent */
} NatterMsg;

GQuark           natter_wire_error_quark (void);
NatterPacketKind natter_packet_classify  (const guint8 *data,
                                          gsize         len);

gboolean natter_msg_parse (NatterMsg     *msg,
                           const guint8  *data,
                           gsize          len,
                           GError       **error);
void     natter_msg_clear (NatterMsg     *msg);

/* Building: a body is assembled with a GVariantBuilder of type a{sv} and
 * the helpers below, then framed with natter_wire_encode(), which returns
 * NULL when the result would exceed NATTER_WIRE_MAX_SIZE. */
GBytes  *natter_wire_encode          (NatterMsgType          type,
                                      GVariant              *body);
void     natter_wire_add_string      (GVariantBuilder       *b,
                                      const char            *key,
                                      const char            *value);
void     natter_wire_add_bytes       (GVariantBuilder       *b,
                                      const char            *key,
                                      const guint8          *data,
                                      gsize                  len);
void     natter_wire_add_u32         (GVariantBuilder       *b,
                                      const char            *key,
                                      guint32                value);
void     natter_wire_add_u64         (GVariantBuilder       *b,
                                      const char            *key,
                                      guint64                value);
void     natter_wire_add_bool        (GVariantBuilder       *b,
                                      const char            *key,
                                      gboolean               value);
void     natter_wire_add_endpoint    (GVariantBuilder       *b,
                                      const char            *key,
                                      const NatterEndpoint  *ep);
void     natter_wire_add_candidates  (GVariantBuilder       *b,
                                      const char            *key,
                                      const NatterEndpoint  *eps,
                                      guint                  n);
GVariant *natter_wire_peer_variant   (const NatterPeerInfo  *peer);
GVariant *natter_wire_event_variant  (const NatterEvent     *event);
gsize     natter_wire_variant_size   (GVariant              *value);

/* Ready-made messages with few fields. */
GBytes  *natter_wire_error           (guint32                code,
                                      const char            *reason);
GBytes  *natter_wire_auth_request    (NatterMsgType          type,
                                      const char            *id,
                                      const guint8          *token,
                                      const char            *to,
                                      const guint8          *data,
                                      gsize                  data_len,
                                      guint64                version);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (NatterMsg, natter_msg_clear)

G_END_DECLS
