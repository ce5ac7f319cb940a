/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "natter-id.h"

G_DEFINE_QUARK (natter-id-error-quark, natter_id_error)

static gboolean
is_id_char (gunichar c)
{
  return g_unichar_isalpha (c) || g_unichar_isdigit (c) ||
         c == '-' || c == '_' || c == '.';
}

/* IDs must be in NFC so that one name has one spelling on the wire: a
 * decomposed Hangul syllable would otherwise count as several characters
 * (combining jamo) and compare unequal to its composed form. */
gboolean
natter_id_validate (const char *id,
                    gssize      len,
                    GError    **error)
{
  g_autofree char *nfc = NULL;
  const char *p;
  glong n_chars;

  g_return_val_if_fail (id != NULL, FALSE);

  if (len < 0)
    len = strlen (id);
  if (len == 0)
    {
      g_set_error_literal (error, NATTER_ID_ERROR, NATTER_ID_ERROR_EMPTY,
                           _("An ID needs at least one character"));
      return FALSE;
    }
  if (!g_utf8_validate_len (id, len, NULL))
    {
      g_set_error_literal (error, NATTER_ID_ERROR, NATTER_ID_ERROR_ENCODING,
                           _("An ID must be valid UTF-8 text"));
      return FALSE;
    }
  n_chars = g_utf8_strlen (id, len);
  if (n_chars > NATTER_ID_MAX_CHARS)
    {
      g_set_error (error, NATTER_ID_ERROR, NATTER_ID_ERROR_TOO_LONG,
                   _("An ID has at most %d characters"), NATTER_ID_MAX_CHARS);
      return FALSE;
    }
  for (p = id; p < id + len; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (!is_id_char (c))
        {
          char shown[8] = { 0 };

          if (g_unichar_isgraph (c))
            g_unichar_to_utf8 (c, shown);
          if (shown[0] != '\0')
            g_set_error (error, NATTER_ID_ERROR, NATTER_ID_ERROR_CHARACTER,
                         _("“%s” cannot be part of an ID: use letters, digits, "
                           "“-”, “_” or “.”"), shown);
          else
            g_set_error (error, NATTER_ID_ERROR, NATTER_ID_ERROR_CHARACTER,
                         _("An ID cannot contain spaces or invisible characters: "
                           "use letters, digits, “-”, “_” or “.”"));
          return FALSE;
        }
    }
  nfc = g_utf8_normalize (id, len, G_NORMALIZE_NFC);
  if (nfc == NULL || strlen (nfc) != (gsize) len || memcmp (nfc, id, len) != 0)
    {
      g_set_error_literal (error, NATTER_ID_ERROR, NATTER_ID_ERROR_ENCODING,
                           _("An ID must be in composed (NFC) form"));
      return FALSE;
    }
  return TRUE;
}

char *
natter_id_key (const char *id)
{
  g_autofree char *nfc = NULL;

  g_return_val_if_fail (id != NULL, NULL);
  g_return_val_if_fail (g_utf8_validate (id, -1, NULL), NULL);

  nfc = g_utf8_normalize (id, -1, G_NORMALIZE_NFC);
  return g_utf8_casefold (nfc != NULL ? nfc : id, -1);
}
