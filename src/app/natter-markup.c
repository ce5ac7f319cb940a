/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "natter-markup.h"

/* Characters that can come right before a link: anything but the inside of
 * a word, an address or a path, so "xhttp://", "user@www.example.org" and
 * "a/www.b" are not split into a link. */
static gboolean
can_precede_link (const char *text,
                  const char *p)
{
  guchar c;

  if (p == text)
    return TRUE;
  c = (guchar) p[-1];
  /* a non-ASCII character (CJK text rarely puts spaces around a link) */
  if (c >= 0x80)
    return TRUE;
  return !(g_ascii_isalnum (c) || strchr ("@./-_:~%+=&#", c) != NULL);
}

/* Where a link starting at p ends, or p when there is none. */
static const char *
link_end (const char *p,
          gsize       prefix_len)
{
  const char *body = p + prefix_len;
  const char *end = body;
  int parens = 0;
  int brackets = 0;

  /* a URL copied from a browser is percent-encoded, so any non-ASCII
   * character ends it: Korean or Japanese text often continues right after
   * a link ("https://example.org에서"), with no space */
  while (*end != '\0' && (guchar) *end < 0x80 && !g_ascii_isspace (*end) &&
         !g_ascii_iscntrl (*end) && strchr ("<>\"`{}|\\^", *end) == NULL)
    {
      if (*end == '(')
        parens++;
      else if (*end == ')')
        parens--;
      else if (*end == '[')
        brackets++;
      else if (*end == ']')
        brackets--;
      end++;
    }

  /* punctuation that ends a sentence or closes a parenthesis the link was
   * written in belongs to the text, not to the link */
  while (end > body)
    {
      char last = end[-1];

      if (strchr (".,:;!?'*", last) != NULL)
        end--;
      else if (last == ')' && parens < 0)
        {
          parens++;
          end--;
        }
      else if (last == ']' && brackets < 0)
        {
          brackets++;
          end--;
        }
      else
        break;
    }

  /* "http://" or "www." alone, or "www.." */
  if (end == body || (prefix_len == 4 && (*body == '.' || end - body < 2)))
    return p;
  return end;
}

static void
append_escaped (GString    *markup,
                const char *text,
                gssize      len)
{
  g_autofree char *escaped = g_markup_escape_text (text, len);

  g_string_append (markup, escaped);
}

char *
natter_markup_with_links (const char *text)
{
  GString *markup;
  const char *plain = text;
  const char *p = text;

  g_return_val_if_fail (text != NULL, NULL);

  markup = g_string_sized_new (strlen (text) + 16);
  while (*p != '\0')
    {
      gsize prefix_len = 0;
      const char *end = p;

      if (can_precede_link (text, p))
        {
          if (g_ascii_strncasecmp (p, "https://", 8) == 0)
            prefix_len = 8;
          else if (g_ascii_strncasecmp (p, "http://", 7) == 0)
            prefix_len = 7;
          else if (g_ascii_strncasecmp (p, "www.", 4) == 0)
            prefix_len = 4;
        }
      if (prefix_len > 0)
        end = link_end (p, prefix_len);
      if (end == p)
        {
          p++;
          continue;
        }

      append_escaped (markup, plain, p - plain);
      g_string_append (markup, "<a href=\"");
      /* "www." gets a scheme, and "HTTP://" a lower-case one, for whatever
       * opens the link */
      if (prefix_len == 4)
        {
          g_string_append (markup, "https://");
          append_escaped (markup, p, end - p);
        }
      else
        {
          g_string_append (markup, prefix_len == 8 ? "https://" : "http://");
          append_escaped (markup, p + prefix_len, end - p - prefix_len);
        }
      g_string_append (markup, "\">");
      append_escaped (markup, p, end - p);
      g_string_append (markup, "</a>");
      plain = p = end;
    }
  append_escaped (markup, plain, p - plain);

  return g_string_free (markup, FALSE);
}
