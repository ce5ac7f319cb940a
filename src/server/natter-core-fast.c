/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "natter-server"
#include "config.h"

#include <string.h>

#include "natter-core-private.h"
#include "natter-random.h"

/* KEEPALIVE is most of what a server receives, and the general parser
 * (a GVariant per field, case folding, a builder for the answer) costs
 * several times what the kernel does to carry the datagram. This path reads
 * the body's serialised form directly, with the checks of
 * g_variant_is_normal_form() for the values a KEEPALIVE holds, and answers
 * the common case: an ASCII ID, the right token, from the registered
 * endpoint. Whatever it does not fully understand (another value type, a
 * non-ASCII ID, a wrong token, a new endpoint, a malformed body) it leaves
 * to the general path, which then decides exactly as before. */

#define ALIGN8(x) (((x) + 7) & ~(gsize) 7)

static gsize
offset_width (gsize size)
{
  return size > G_MAXUINT16 ? 4 : size > G_MAXUINT8 ? 2 : size > 0 ? 1 : 0;
}

static gsize
read_offset (const guint8 *at,
             gsize         width)
{
  gsize value = 0;

  for (gsize i = 0; i < width; i++)
    value |= (gsize) at[i] << (8 * i);
  return value;
}

static gboolean
zeros (const guint8 *data,
       gsize         from,
       gsize         to)
{
  for (gsize i = from; i < to; i++)
    if (data[i] != 0)
      return FALSE;
  return TRUE;
}

/* A serialised string in normal form: UTF-8 without NUL, then one NUL. */
static gboolean
normal_string (const guint8 *data,
               gsize         size)
{
  return size > 0 && data[size - 1] == '\0' &&
         g_utf8_validate_len ((const char *) data, size - 1, NULL);
}

typedef enum
{
  VALUE_STRING,   /* s */
  VALUE_BYTES,    /* ay */
  VALUE_UINT64,   /* t */
} ValueType;

typedef struct
{
  const char   *key;
  ValueType     type;
  const guint8 *data;   /* for a string, NUL-terminated */
  gsize         size;   /* without the NUL for a string */
} Field;

/* A variant's value in normal form, if its type is one of the three. */
static gboolean
read_variant (const guint8 *data,
              gsize         size,
              Field        *field)
{
  gsize nul;
  const char *type;
  gsize type_len;

  if (size < 2)
    return FALSE;
  for (nul = size - 1; nul > 0 && data[nul] != '\0'; nul--)
    ;
  if (data[nul] != '\0')
    return FALSE;
  type = (const char *) data + nul + 1;
  type_len = size - nul - 1;
  field->data = data;
  if (type_len == 1 && type[0] == 's')
    {
      if (!normal_string (data, nul))
        return FALSE;
      field->type = VALUE_STRING;
      field->size = nul - 1;
    }
  else if (type_len == 2 && type[0] == 'a' && type[1] == 'y')
    {
      field->type = VALUE_BYTES;
      field->size = nul;
    }
  else if (type_len == 1 && type[0] == 't')
    {
      if (nul != 8)
        return FALSE;
      field->type = VALUE_UINT64;
      field->size = nul;
    }
  else
    return FALSE;
  return TRUE;
}

/* A {sv} dictionary entry: the key, padding, the variant, one offset. */
static gboolean
read_entry (const guint8 *data,
            gsize         size,
            Field        *field)
{
  gsize width = offset_width (size);
  gsize key_end, value_start;

  if (size < width + 1)
    return FALSE;
  key_end = read_offset (data + size - width, width);
  if (key_end == 0 || key_end > size - width || !normal_string (data, key_end))
    return FALSE;
  value_start = ALIGN8 (key_end);
  if (value_start > size - width || !zeros (data, key_end, value_start))
    return FALSE;
  field->key = (const char *) data;
  return read_variant (data + value_start, size - width - value_start, field);
}

typedef struct
{
  const char   *id;
  gsize         id_len;
  const guint8 *token;
  gboolean      seen_id, seen_tok, seen_ck, seen_ver;
} Keepalive;

/* The first occurrence of a key counts; a known key of another type is
 * absent, as in natter_msg_parse(). FALSE: leave it to that parser. */
static gboolean
take_field (Keepalive   *ka,
            const Field *f)
{
  if (strcmp (f->key, "id") == 0)
    {
      if (ka->seen_id)
        return TRUE;
      ka->seen_id = TRUE;
      if (f->type == VALUE_STRING)
        {
          ka->id = (const char *) f->data;
          ka->id_len = f->size;
        }
    }
  else if (strcmp (f->key, "tok") == 0)
    {
      if (ka->seen_tok)
        return TRUE;
      ka->seen_tok = TRUE;
      if (f->type == VALUE_BYTES)
        {
          if (f->size != NATTER_WIRE_TOKEN_SIZE)
            return FALSE;
          ka->token = f->data;
        }
    }
  else if (strcmp (f->key, "ck") == 0)
    {
      if (ka->seen_ck)
        return TRUE;
      ka->seen_ck = TRUE;
      /* a cookie from the registered endpoint is ignored, but its bounds
       * still decide whether the datagram is valid */
      if (f->type == VALUE_BYTES && (f->size < 1 || f->size > NATTER_WIRE_COOKIE_MAX))
        return FALSE;
    }
  else if (strcmp (f->key, "ver") == 0)
    ka->seen_ver = TRUE;
  return TRUE;
}

/* The a{sv} body: entries aligned to 8, then one offset per entry. */
static gboolean
read_keepalive (const guint8 *body,
                gsize         size,
                Keepalive    *ka)
{
  gsize width = offset_width (size);
  gsize last_end, n, prev_end = 0;

  memset (ka, 0, sizeof *ka);
  if (size == 0 || size < width)
    return FALSE;
  last_end = read_offset (body + size - width, width);
  if (last_end > size || (size - last_end) % width != 0)
    return FALSE;
  n = (size - last_end) / width;
  if (n == 0)
    return FALSE;
  for (gsize i = 0; i < n; i++)
    {
      gsize end = read_offset (body + last_end + i * width, width);
      gsize start = i == 0 ? 0 : ALIGN8 (prev_end);
      Field f;

      if (start > end || end > last_end || !zeros (body, prev_end, start) ||
          !read_entry (body + start, end - start, &f) || !take_field (ka, &f))
        return FALSE;
      prev_end = end;
    }
  return ka->id != NULL && ka->token != NULL;
}

/* The registry's key for an ID that is plain ASCII: then NFC changes
 * nothing and case folding is lowercasing. FALSE for anything else. */
static gboolean
ascii_id_key (const char *id,
              gsize       len,
              char       *key)
{
  if (len == 0 || len > NATTER_ID_MAX_CHARS)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    {
      char c = id[i];

      if (!g_ascii_isalnum (c) && c != '-' && c != '_' && c != '.')
        return FALSE;
      key[i] = g_ascii_tolower (c);
    }
  key[len] = '\0';
  return TRUE;
}

/* ALIVE {ver: t, ep: (ayq)}, serialised as natter_wire_encode() does:
 * the same bytes, without building a GVariant. */
gsize
natter_core_write_alive (guint8               *out,
                         guint64               version,
                         const NatterEndpoint *ep)
{
  guint8 *body = out + NATTER_WIRE_HEADER_SIZE;
  gsize addr_len = natter_endpoint_addr_len (ep);
  guint64 version_le = GUINT64_TO_LE (version);
  guint16 port_le = GUINT16_TO_LE (ep->port);
  gsize at, entry, value, end1, end2;

  g_assert (addr_len > 0);
  memcpy (out, NATTER_WIRE_MAGIC, 4);
  out[4] = NATTER_WIRE_VERSION;
  out[5] = NATTER_MSG_ALIVE;

  /* "ver": key, padding, the u64, the variant's type, the key's end */
  memset (body, 0, 24);
  memcpy (body, "ver", 4);
  memcpy (body + 8, &version_le, 8);
  body[17] = 't';
  body[18] = 4;
  end1 = 19;

  /* "ep" at the next multiple of 8: the (ayq) tuple is the address, the
   * port (2-aligned, and the address length is even) and the address's
   * end; then the variant's type and the key's end */
  entry = ALIGN8 (end1);
  memset (body + entry, 0, 8);
  memcpy (body + entry, "ep", 3);
  value = entry + 8;
  at = value;
  memcpy (body + at, ep->addr, addr_len);
  at += addr_len;
  memcpy (body + at, &port_le, 2);
  at += 2;
  body[at++] = (guint8) addr_len;
  body[at++] = '\0';
  memcpy (body + at, "(ayq)", 5);
  at += 5;
  body[at++] = 3;
  end2 = at;
  /* both offsets fit in a byte: the body is far below 256 bytes */
  body[at++] = (guint8) end1;
  body[at++] = (guint8) end2;
  return NATTER_WIRE_HEADER_SIZE + at;
}

gboolean
natter_core_try_keepalive (NatterCore           *core,
                           const guint8         *data,
                           gsize                 len,
                           const NatterEndpoint *from,
                           gint64                now_ms)
{
  Keepalive ka;
  char key[NATTER_ID_MAX_CHARS + 1];
  NatterEntry *entry;
  guint8 reply[NATTER_CORE_ALIVE_MAX];
  gsize reply_len;

  if (len < NATTER_WIRE_HEADER_SIZE || len > NATTER_WIRE_MAX_SIZE ||
      data[4] != NATTER_WIRE_VERSION || data[5] != NATTER_MSG_KEEPALIVE ||
      !read_keepalive (data + NATTER_WIRE_HEADER_SIZE, len - NATTER_WIRE_HEADER_SIZE, &ka) ||
      !ascii_id_key (ka.id, ka.id_len, key))
    return FALSE;
  entry = natter_registry_lookup_key (core->registry, key);
  if (entry == NULL || entry->classic ||
      !natter_secret_equal (entry->token, ka.token, NATTER_WIRE_TOKEN_SIZE) ||
      !natter_endpoint_equal (&entry->public_endpoint, from))
    return FALSE;

  natter_registry_touch (core->registry, entry, now_ms);
  /* what this client has been sent so far, as in handle_keepalive() */
  reply_len = natter_core_write_alive (reply, entry->synced_version, &entry->public_endpoint);
  natter_core_send (core, from, g_bytes_new (reply, reply_len));
  return TRUE;
}
