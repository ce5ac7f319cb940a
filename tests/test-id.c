/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "natter-id.h"

/* 32 Hangul syllables: 96 bytes of UTF-8 */
#define HANGUL_32 \
  "가나다라마바사아자차카타파하거너" \
  "더러머버서어저처커터퍼허고노도로"

static char *
repeat (const char *unit,
        guint       n)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < n; i++)
    g_string_append (s, unit);
  return g_string_free (s, FALSE);
}

static void
assert_valid (const char *id,
              gssize      len)
{
  g_autoptr(GError) error = NULL;

  g_test_message ("valid: “%s” (len %" G_GSSIZE_FORMAT ")", id, len);
  g_assert_true (natter_id_validate (id, len, &error));
  g_assert_no_error (error);
  /* the error argument is optional */
  g_assert_true (natter_id_validate (id, len, NULL));
}

/* Returns the error message so that callers can check what it shows. */
static char *
assert_invalid (const char    *id,
                gssize         len,
                NatterIdError  code)
{
  g_autoptr(GError) error = NULL;

  g_assert_false (natter_id_validate (id, len, &error));
  g_assert_error (error, NATTER_ID_ERROR, (gint) code);
  g_assert_nonnull (error->message);
  g_assert_true (g_utf8_validate (error->message, -1, NULL));
  g_test_message ("invalid (code %d): %s", code, error->message);
  g_assert_false (natter_id_validate (id, len, NULL));
  return g_strdup (error->message);
}

static void
test_valid (void)
{
  g_autofree char *ascii_32 = repeat ("a", 32);
  g_autofree char *hangul_32 = repeat ("가", 32);

  assert_valid ("alice", -1);
  assert_valid ("Alice_1", -1);
  assert_valid ("김태은", -1);
  assert_valid ("Ελένη", -1);
  assert_valid ("Иван", -1);
  assert_valid ("たろう", -1);
  assert_valid ("山田", -1);
  assert_valid ("12345", -1);
  assert_valid ("٣٤", -1); /* Arabic-Indic digits */
  assert_valid ("a.b-c_d", -1);
  assert_valid ("-", -1);
  assert_valid ("x", -1);
  assert_valid (ascii_32, -1);
  assert_valid (hangul_32, -1);
  assert_valid (HANGUL_32, -1);
  g_assert_cmpint (g_utf8_strlen (HANGUL_32, -1), ==, NATTER_ID_MAX_CHARS);
  g_assert_cmpuint (strlen (HANGUL_32), ==, 96);

  /* an explicit length validates only that prefix */
  assert_valid ("alice bob", 5);
  assert_valid ("김태은@home", strlen ("김태은"));
}

static void
test_empty (void)
{
  g_free (assert_invalid ("", -1, NATTER_ID_ERROR_EMPTY));
  g_free (assert_invalid ("", 0, NATTER_ID_ERROR_EMPTY));
  g_free (assert_invalid ("alice", 0, NATTER_ID_ERROR_EMPTY));
}

static void
test_too_long (void)
{
  g_autofree char *ascii_33 = repeat ("a", 33);
  g_autofree char *hangul_33 = repeat ("가", 33);
  g_autofree char *msg = NULL;

  msg = assert_invalid (ascii_33, -1, NATTER_ID_ERROR_TOO_LONG);
  g_assert_nonnull (strstr (msg, "32"));
  g_free (assert_invalid (hangul_33, -1, NATTER_ID_ERROR_TOO_LONG));
  /* the limit counts characters, not bytes: 33 ASCII characters cut at 32 */
  assert_valid (ascii_33, 32);
  assert_valid (hangul_33, 32 * 3);
}

static void
test_character (void)
{
  static const struct
  {
    const char *id;
    const char *shown; /* must appear in the message; NULL: the message
                          describes an invisible character; "": unchecked */
  } cases[] = {
    { "alice@home", "“@”" },
    { "@", "“@”" },
    { "a:b", "“:”" },
    { "a/b", "“/”" },
    { "a+b", "“+”" },
    { "a,b", "“,”" },
    { "a#b", "“#”" },
    { "😀", "“😀”" },
    { "alice😀", "“😀”" },
    { "김태은!", "“!”" },
    { "alice bob", NULL },
    { " alice", NULL },
    { "a\tb", NULL },
    { "a\nb", NULL },
    /* Other space separators count as printable for GLib, so the message
     * shows them between quotes; only the code is checked here. */
    { "a\u00a0b", "" },    /* no-break space */
    { "김\u3000태은", "" }, /* ideographic space, as a Korean IME types it */
    { "a\u200bb", NULL },  /* zero width space */
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *msg = assert_invalid (cases[i].id, -1,
                                             NATTER_ID_ERROR_CHARACTER);

      if (cases[i].shown != NULL && cases[i].shown[0] != '\0')
        g_assert_nonnull (strstr (msg, cases[i].shown));
      else if (cases[i].shown == NULL)
        {
          /* invisible characters are described, not shown */
          g_assert_nonnull (strstr (msg, "invisible"));
          g_assert_null (strchr (msg, '\t'));
          g_assert_null (strchr (msg, '\n'));
          g_assert_null (strstr (msg, "\u200b"));
        }
    }
}

static void
test_encoding (void)
{
  static const struct
  {
    const char *id;
    gssize      len;
  } cases[] = {
    { "ab\0cd", 5 },                 /* NUL inside the given length */
    { "\0", 1 },
    { "\xff\xfe", -1 },
    { "abc\xc3", -1 },               /* truncated sequence */
    { "\xc0\xaf", -1 },              /* overlong '/' */
    { "\xed\xa0\x80", -1 },          /* surrogate */
    { "\xf4\x90\x80\x80", -1 },      /* beyond U+10FFFF */
    { "\xea\xb9\x80\xed\x83", -1 },  /* 김 + half of 태 */
    { "\u1100\u1161", -1 },          /* 가 decomposed into jamo (NFD) */
    { "\u1100\u1161\u11a8", -1 },    /* 각 decomposed */
    { "\u1100\u1175\u11b7\u1110\u1162\u110b\u1173\u11ab", -1 }, /* 김태은 in NFD */
    { "alice\u1100\u1161", -1 },
    { "\u212b", -1 },                /* ANGSTROM SIGN: NFC is U+00C5 */
    { "\u2126", -1 },                /* OHM SIGN: NFC is U+03A9 */
    { "\uf900", -1 },                /* CJK compatibility ideograph */
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    g_free (assert_invalid (cases[i].id, cases[i].len, NATTER_ID_ERROR_ENCODING));

  /* the composed forms of the same names are fine */
  assert_valid ("가", -1);
  assert_valid ("각", -1);
  assert_valid ("\uae40\ud0dc\uc740", -1);
  g_assert_cmpstr ("\uae40\ud0dc\uc740", ==, "김태은");
  assert_valid ("\u00c5", -1);
  assert_valid ("\u03a9", -1);
  /* A decomposed Latin letter is rejected too, though by its combining mark
   * (which is not a letter) before the NFC check sees it. */
  g_assert_false (natter_id_validate ("E\u0301lise", -1, NULL));
  assert_valid ("\u00c9lise", -1);
  /* and the prefix before the NUL is valid on its own */
  assert_valid ("ab\0cd", 2);
}

static void
assert_same_key (const char *a,
                 const char *b)
{
  g_autofree char *ka = natter_id_key (a);
  g_autofree char *kb = natter_id_key (b);

  g_assert_nonnull (ka);
  g_assert_cmpstr (ka, ==, kb);
}

static void
assert_different_key (const char *a,
                      const char *b)
{
  g_autofree char *ka = natter_id_key (a);
  g_autofree char *kb = natter_id_key (b);

  g_assert_cmpstr (ka, !=, kb);
}

static void
assert_key (const char *id,
            const char *expected)
{
  g_autofree char *key = natter_id_key (id);

  g_assert_cmpstr (key, ==, expected);
}

static void
test_key (void)
{
  assert_key ("Alice", "alice");
  assert_key ("ALICE", "alice");
  assert_same_key ("Alice", "ALICE");
  assert_same_key ("Alice", "aLiCe");
  assert_different_key ("Alice", "Alicia");
  assert_different_key ("alice", "alice.");

  /* full case folding: ß folds to "ss" */
  assert_key ("straße", "strasse");
  assert_key ("STRASSE", "strasse");
  assert_same_key ("straße", "STRASSE");
  assert_same_key ("Straße", "strasse");

  /* Greek, with final sigma */
  assert_same_key ("Ελένη", "ΕΛΈΝΗ");
  assert_same_key ("Σίσυφος", "ΣΊΣΥΦΟΣ");
  assert_key ("Ελένη", "ελένη");

  /* scripts without case are unchanged */
  assert_key ("김태은", "김태은");
  assert_key (HANGUL_32, HANGUL_32);
  assert_key ("山田", "山田");
  assert_different_key ("김태은", "김태운");

  /* the key is of the NFC form: a decomposed spelling has the same key */
  assert_same_key ("\u1100\u1161", "가");
  assert_key ("\u1100\u1161", "가");
  assert_same_key ("E\u0301lise", "élise");

  /* digits and punctuation pass through */
  assert_key ("a.b-c_D9", "a.b-c_d9");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/id/valid", test_valid);
  g_test_add_func ("/id/invalid/empty", test_empty);
  g_test_add_func ("/id/invalid/too-long", test_too_long);
  g_test_add_func ("/id/invalid/character", test_character);
  g_test_add_func ("/id/invalid/encoding", test_encoding);
  g_test_add_func ("/id/key", test_key);

  return g_test_run ();
}
