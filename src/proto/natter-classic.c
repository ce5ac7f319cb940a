/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "natter-classic.h"
#include "natter-id.h"

G_DEFINE_QUARK (natter-classic-error-quark, natter_classic_error)

/* The assignment's peers read datagrams with recvfrom (2048), so nothing
 * longer can have come from one of them. */
#define CLASSIC_MAX_BYTES 2048

static gboolean
malformed (GError    **error,
           const char *message)
{
  g_set_error_literal (error, NATTER_CLASSIC_ERROR,
                       NATTER_CLASSIC_ERROR_MALFORMED, message);
  return FALSE;
}

static gboolean
has_prefix (const char  *text,
            const char  *prefix,
            const char **rest)
{
  gsize n = strlen (prefix);

  if (strncmp (text, prefix, n) != 0)
    return FALSE;
  *rest = text + n;
  return TRUE;
}

/* Port 0 cannot be a datagram's source, so a server would never report it;
 * treating it as "no port" also rejects a bare address, for which
 * natter_endpoint_parse falls back to the default port. */
static gboolean
parse_public (const char     *text,
              NatterEndpoint *ep,
              GError        **error)
{
  if (!natter_endpoint_parse (text, 0, ep))
    return malformed (error, "Invalid IP:PORT in message");
  if (ep->port == 0)
    return malformed (error, "Address in message lacks a port");
  return TRUE;
}

static gboolean
parse_private (const char     *text,
               NatterEndpoint *ep,
               GError        **error)
{
  if (!natter_endpoint_parse_address (text, ep))
    return malformed (error, "Invalid IP address in message");
  return TRUE;
}

static gboolean
parse_to_server (char              delim,
                 const char       *rest,
                 NatterClassicMsg *out,
                 GError          **error)
{
  if (delim == '@')
    {
      if (strcmp (rest, "keepalive") != 0)
        return malformed (error, "Unknown message to the server");
      out->kind = NATTER_CLASSIC_KEEPALIVE;
      return TRUE;
    }
  if (strcmp (rest, "@exit") == 0)
    {
      out->kind = NATTER_CLASSIC_EXIT;
      return TRUE;
    }
  out->kind = NATTER_CLASSIC_REGISTER;
  return parse_private (rest, &out->endpoint, error);
}

static gboolean
parse_to_client (char              delim,
                 const char       *rest,
                 NatterClassicMsg *out,
                 GError          **error)
{
  const char *arg;

  if (delim == '@')
    {
      if (has_prefix (rest, "chat ", &arg))
        {
          out->kind = NATTER_CLASSIC_CHAT;
          out->text = g_strdup (arg);
          return TRUE;
        }
      if (has_prefix (rest, "private:", &arg))
        {
          out->kind = NATTER_CLASSIC_PRIVATE;
          return parse_private (arg, &out->endpoint, error);
        }
      return malformed (error, "Unknown message to a client");
    }
  if (has_prefix (rest, "is unregistered ", &arg))
    {
      out->kind = NATTER_CLASSIC_UNREGISTERED;
      return parse_public (arg, &out->endpoint, error);
    }
  if (has_prefix (rest, "is off-line ", &arg))
    {
      out->kind = NATTER_CLASSIC_OFFLINE;
      return parse_public (arg, &out->endpoint, error);
    }
  /* A PEER line has exactly one space; an address never contains one, so
   * natter_endpoint_parse rejects anything longer. */
  out->kind = NATTER_CLASSIC_PEER;
  return parse_public (rest, &out->endpoint, error);
}

gboolean
natter_classic_parse (const guint8           *data,
                      gsize                   len,
                      NatterClassicDirection  direction,
                      NatterClassicMsg       *msg,
                      GError                **error)
{
  NatterClassicMsg parsed = { 0 };
  g_autofree char *text = NULL;
  g_autoptr(GError) id_error = NULL;
  gsize id_len;
  gboolean ok;

  g_return_val_if_fail (data != NULL || len == 0, FALSE);
  g_return_val_if_fail (msg != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  memset (msg, 0, sizeof *msg);

  if (len == 0)
    return malformed (error, "Empty message");
  if (len > CLASSIC_MAX_BYTES)
    return malformed (error, "Message is longer than 2048 bytes");
  if (memchr (data, '\0', len) != NULL)
    return malformed (error, "Message contains a NUL byte");
  if (!g_utf8_validate_len ((const char *) data, len, NULL))
    return malformed (error, "Message is not valid UTF-8");

  /* Some tools (nc, echo) append a line ending; tolerate exactly one. */
  if (data[len - 1] == '\n')
    {
      len--;
      if (len > 0 && data[len - 1] == '\r')
        len--;
    }
  text = g_strndup ((const char *) data, len);

  /* '@' and ' ' can never be part of an ID, so the first of them ends it. */
  id_len = strcspn (text, "@ ");
  if (text[id_len] == '\0')
    return malformed (error, "Message has no command or address");
  if (!natter_id_validate (text, id_len, &id_error))
    {
      g_set_error (error, NATTER_CLASSIC_ERROR, NATTER_CLASSIC_ERROR_MALFORMED,
                   "Invalid ID in message: %s", id_error->message);
      return FALSE;
    }

  switch (direction)
    {
    case NATTER_CLASSIC_TO_SERVER:
      ok = parse_to_server (text[id_len], text + id_len + 1, &parsed, error);
      break;
    case NATTER_CLASSIC_TO_CLIENT:
      ok = parse_to_client (text[id_len], text + id_len + 1, &parsed, error);
      break;
    default:
      g_return_val_if_reached (FALSE);
    }
  if (!ok)
    {
      natter_classic_msg_clear (&parsed);
      return FALSE;
    }

  parsed.id = g_strndup (text, id_len);
  *msg = parsed;
  return TRUE;
}

void
natter_classic_msg_clear (NatterClassicMsg *msg)
{
  g_return_if_fail (msg != NULL);

  g_free (msg->id);
  g_free (msg->text);
  memset (msg, 0, sizeof *msg);
}

static char *
format_with_address (const char           *id,
                     const char           *separator,
                     const NatterEndpoint *ep)
{
  char buf[NATTER_ENDPOINT_STRLEN];

  g_return_val_if_fail (id != NULL, NULL);
  g_return_val_if_fail (natter_endpoint_is_set (ep), NULL);

  return g_strconcat (id, separator, natter_endpoint_format_address (ep, buf),
                      NULL);
}

static char *
format_with_endpoint (const char           *id,
                      const char           *separator,
                      const NatterEndpoint *ep)
{
  char buf[NATTER_ENDPOINT_STRLEN];

  g_return_val_if_fail (id != NULL, NULL);
  g_return_val_if_fail (natter_endpoint_is_set (ep), NULL);

  return g_strconcat (id, separator, natter_endpoint_format (ep, buf), NULL);
}

char *
natter_classic_format_register (const char           *id,
                                const NatterEndpoint *private_address)
{
  return format_with_address (id, " ", private_address);
}

char *
natter_classic_format_keepalive (const char *id)
{
  g_return_val_if_fail (id != NULL, NULL);

  return g_strconcat (id, "@keepalive", NULL);
}

char *
natter_classic_format_exit (const char *id)
{
  g_return_val_if_fail (id != NULL, NULL);

  return g_strconcat (id, " @exit", NULL);
}

char *
natter_classic_format_peer (const char           *id,
                            const NatterEndpoint *public_endpoint)
{
  return format_with_endpoint (id, " ", public_endpoint);
}

char *
natter_classic_format_private (const char           *id,
                               const NatterEndpoint *private_address)
{
  return format_with_address (id, "@private:", private_address);
}

char *
natter_classic_format_unregistered (const char           *id,
                                    const NatterEndpoint *public_endpoint)
{
  return format_with_endpoint (id, " is unregistered ", public_endpoint);
}

char *
natter_classic_format_offline (const char           *id,
                               const NatterEndpoint *public_endpoint)
{
  return format_with_endpoint (id, " is off-line ", public_endpoint);
}

char *
natter_classic_format_chat (const char *id,
                            const char *text)
{
  g_return_val_if_fail (id != NULL, NULL);
  g_return_val_if_fail (text != NULL, NULL);

  return g_strconcat (id, "@chat ", text, NULL);
}
