/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "natter-endpoint.h"

static NatterEndpoint
parse_ok (const char *text,
          guint16     default_port)
{
  NatterEndpoint ep;

  memset (&ep, 0xa5, sizeof ep);
  if (!natter_endpoint_parse (text, default_port, &ep))
    g_error ("“%s” should parse", text);
  return ep;
}

static void
assert_format (const NatterEndpoint *ep,
               const char           *expected)
{
  char buf[NATTER_ENDPOINT_STRLEN];
  g_autofree char *dup = NULL;

  g_assert_true (natter_endpoint_format (ep, buf) == buf);
  g_assert_cmpstr (buf, ==, expected);
  dup = natter_endpoint_to_string (ep);
  g_assert_cmpstr (dup, ==, expected);
}

static void
test_parse_valid (void)
{
  static const struct
  {
    const char *text;
    guint16     default_port;
    guint8      family;
    guint16     port;
    const char *formatted;
    const char *address;
  } cases[] = {
    { "198.18.0.1", 10080, 4, 10080, "198.18.0.1:10080", "198.18.0.1" },
    { "198.18.0.1:10080", 0, 4, 10080, "198.18.0.1:10080", "198.18.0.1" },
    { "198.18.0.1:1", 10080, 4, 1, "198.18.0.1:1", "198.18.0.1" },
    { "198.18.0.1:65535", 10080, 4, 65535, "198.18.0.1:65535", "198.18.0.1" },
    { "[2001:db8::1]:443", 10080, 6, 443, "[2001:db8::1]:443", "2001:db8::1" },
    { "2001:db8::1", 10080, 6, 10080, "[2001:db8::1]:10080", "2001:db8::1" },
    { "[2001:db8::1]", 7, 6, 7, "[2001:db8::1]:7", "2001:db8::1" },
    { "::1", 10080, 6, 10080, "[::1]:10080", "::1" },
    { "::ffff:198.18.0.1", 10080, 4, 10080, "198.18.0.1:10080", "198.18.0.1" },
    { "[::ffff:198.18.0.1]:5000", 10080, 4, 5000, "198.18.0.1:5000", "198.18.0.1" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      NatterEndpoint ep = parse_ok (cases[i].text, cases[i].default_port);
      char buf[NATTER_ENDPOINT_STRLEN];

      g_test_message ("%s", cases[i].text);
      g_assert_cmpuint (ep.family, ==, cases[i].family);
      g_assert_cmpuint (ep.port, ==, cases[i].port);
      g_assert_true (natter_endpoint_is_set (&ep));
      g_assert_cmpuint (natter_endpoint_addr_len (&ep), ==, cases[i].family == 4 ? 4 : 16);
      assert_format (&ep, cases[i].formatted);
      g_assert_cmpstr (natter_endpoint_format_address (&ep, buf), ==, cases[i].address);
    }
}

static void
test_parse_bytes (void)
{
  static const guint8 v4[4] = { 198, 18, 0, 1 };
  static const guint8 v6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
  NatterEndpoint ep;

  ep = parse_ok ("198.18.0.1:10080", 0);
  g_assert_cmpmem (ep.addr, 4, v4, 4);
  /* the unused tail is zeroed, whatever was there before */
  for (gsize i = 4; i < sizeof ep.addr; i++)
    g_assert_cmpuint (ep.addr[i], ==, 0);

  ep = parse_ok ("::ffff:198.18.0.1", 1);
  g_assert_cmpuint (ep.family, ==, 4);
  g_assert_cmpmem (ep.addr, 4, v4, 4);

  ep = parse_ok ("[2001:db8::1]:443", 0);
  g_assert_cmpmem (ep.addr, 16, v6, 16);

  /* natter_endpoint_parse_address: the address alone, port 0 */
  memset (&ep, 0xa5, sizeof ep);
  g_assert_true (natter_endpoint_parse_address ("198.18.0.1", &ep));
  g_assert_cmpuint (ep.family, ==, 4);
  g_assert_cmpuint (ep.port, ==, 0);
  g_assert_cmpmem (ep.addr, 4, v4, 4);
  g_assert_true (natter_endpoint_parse_address ("::ffff:198.18.0.1", &ep));
  g_assert_cmpuint (ep.family, ==, 4);
  g_assert_true (natter_endpoint_parse_address ("2001:db8::1", &ep));
  g_assert_cmpuint (ep.family, ==, 6);
  g_assert_false (natter_endpoint_parse_address ("198.18.0.1:80", &ep));
  g_assert_false (natter_endpoint_parse_address ("[::1]", &ep));
  g_assert_false (natter_endpoint_parse_address ("", &ep));
  g_assert_false (natter_endpoint_parse_address (NULL, &ep));
}

static void
test_parse_invalid (void)
{
  static const char *const cases[] = {
    "",
    "host",
    "localhost:80",
    "1.2.3.4:",
    "1.2.3.4:65536",
    "1.2.3.4:-1",
    "1.2.3.4:+80",
    "1.2.3.4: 80",
    "1.2.3.4:80x",
    "1.2.3.4:0x50",
    "1.2.3.4:99999999999999999999999",
    "1.2.3",
    "256.1.1.1",
    "1.2.3.4.5",
    ":80",
    "[::1",
    "[::1]x",
    "[::1]:",
    "[::1]:65536",
    "[::1]:80x",
    "[]:80",
    "[host]:80",
    "2001:db8::1::2",
    " 1.2.3.4",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      NatterEndpoint ep;

      g_test_message ("“%s”", cases[i]);
      memset (&ep, 0, sizeof ep);
      g_assert_false (natter_endpoint_parse (cases[i], 10080, &ep));
    }
  {
    NatterEndpoint ep;

    g_assert_false (natter_endpoint_parse (NULL, 10080, &ep));
  }
}

static void
test_round_trip (void)
{
  static const char *const texts[] = {
    "198.18.0.1:10080",
    "0.0.0.0:1",
    "255.255.255.255:65535",
    "127.0.0.1:80",
    "[2001:db8::1]:443",
    "[2001:db8:1:2:3:4:5:6]:10080",
    "[fe80::1:2]:9",
    "[::1]:1",
    "[::]:2",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (texts); i++)
    {
      NatterEndpoint ep = parse_ok (texts[i], 0);
      NatterEndpoint again;
      char buf[NATTER_ENDPOINT_STRLEN];
      g_autoptr(GInetAddress) inet = NULL;
      g_autofree char *inet_text = NULL;

      assert_format (&ep, texts[i]);
      again = parse_ok (natter_endpoint_format (&ep, buf), 0);
      g_assert_true (natter_endpoint_equal (&ep, &again));
      g_assert_cmpmem (&ep, sizeof ep, &again, sizeof again);

      /* the address alone round-trips through natter_endpoint_parse_address */
      g_assert_true (natter_endpoint_parse_address (natter_endpoint_format_address (&ep, buf),
                                                    &again));
      g_assert_true (natter_endpoint_same_address (&ep, &again));

      /* and through GInetAddress */
      inet = natter_endpoint_to_inet (&ep);
      g_assert_cmpint (g_inet_address_get_family (inet), ==,
                       ep.family == 4 ? G_SOCKET_FAMILY_IPV4 : G_SOCKET_FAMILY_IPV6);
      inet_text = g_inet_address_to_string (inet);
      g_assert_cmpstr (inet_text, ==, natter_endpoint_format_address (&ep, buf));
      g_assert_true (natter_endpoint_from_inet (&again, inet, ep.port));
      g_assert_true (natter_endpoint_equal (&ep, &again));
    }
}

static void
test_unset (void)
{
  NatterEndpoint ep = { 0 };
  char buf[NATTER_ENDPOINT_STRLEN];
  g_autofree char *text = NULL;

  g_assert_false (natter_endpoint_is_set (&ep));
  g_assert_false (natter_endpoint_is_set (NULL));
  g_assert_cmpuint (natter_endpoint_addr_len (&ep), ==, 0);
  g_assert_cmpstr (natter_endpoint_format (&ep, buf), ==, "-");
  g_assert_cmpstr (natter_endpoint_format_address (&ep, buf), ==, "-");
  text = natter_endpoint_to_string (&ep);
  g_assert_cmpstr (text, ==, "-");
  g_assert_false (natter_endpoint_is_loopback (&ep));

  ep.family = 5;
  g_assert_false (natter_endpoint_is_set (&ep));
}

static void
test_from_bytes (void)
{
  static const guint8 v4[4] = { 10, 0, 0, 2 };
  static const guint8 mapped[16] = { [10] = 0xff, [11] = 0xff, 10, 0, 0, 2 };
  static const guint8 v6[16] = { 0xfd, [15] = 5 };
  /* not v4-mapped: the prefix is ::ffff:0:0/96 exactly */
  static const guint8 almost[16] = { [10] = 0xff, [11] = 0xfe, 10, 0, 0, 2 };
  NatterEndpoint ep;

  g_assert_true (natter_endpoint_from_bytes (&ep, v4, 4, 10080));
  g_assert_cmpuint (ep.family, ==, 4);
  g_assert_cmpuint (ep.port, ==, 10080);
  assert_format (&ep, "10.0.0.2:10080");

  g_assert_true (natter_endpoint_from_bytes (&ep, mapped, 16, 1));
  assert_format (&ep, "10.0.0.2:1");
  g_assert_cmpuint (ep.family, ==, 4);

  g_assert_true (natter_endpoint_from_bytes (&ep, v6, 16, 2));
  assert_format (&ep, "[fd00::5]:2");

  g_assert_true (natter_endpoint_from_bytes (&ep, almost, 16, 3));
  g_assert_cmpuint (ep.family, ==, 6);

  for (gsize len = 0; len <= 17; len++)
    if (len != 4 && len != 16)
      {
        guint8 buf[17] = { 0 };

        g_assert_false (natter_endpoint_from_bytes (&ep, buf, len, 1));
      }
}

static void
assert_inet_socket_address (GSocketAddress *sa,
                            GSocketFamily   family,
                            const char     *address,
                            guint16         port)
{
  GInetSocketAddress *inet;
  g_autofree char *text = NULL;

  g_assert_true (G_IS_INET_SOCKET_ADDRESS (sa));
  inet = G_INET_SOCKET_ADDRESS (sa);
  g_assert_cmpint (g_socket_address_get_family (sa), ==, family);
  g_assert_cmpuint (g_inet_socket_address_get_port (inet), ==, port);
  text = g_inet_address_to_string (g_inet_socket_address_get_address (inet));
  g_assert_cmpstr (text, ==, address);
}

static void
test_sockaddr (void)
{
  static const guint8 mapped_bytes[16] = { [10] = 0xff, [11] = 0xff, 198, 18, 0, 1 };
  NatterEndpoint v4 = parse_ok ("198.18.0.1:10080", 0);
  NatterEndpoint v6 = parse_ok ("[2001:db8::1]:443", 0);
  NatterEndpoint back;

  {
    g_autoptr(GSocketAddress) sa = natter_endpoint_to_sockaddr (&v4, TRUE);
    GInetAddress *inet;

    assert_inet_socket_address (sa, G_SOCKET_FAMILY_IPV6, "::ffff:198.18.0.1", 10080);
    inet = g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (sa));
    g_assert_cmpuint (g_inet_address_get_native_size (inet), ==, 16);
    g_assert_cmpmem (g_inet_address_to_bytes (inet), 16, mapped_bytes, 16);

    memset (&back, 0xa5, sizeof back);
    g_assert_true (natter_endpoint_from_sockaddr (&back, sa));
    g_assert_cmpuint (back.family, ==, 4);
    g_assert_true (natter_endpoint_equal (&back, &v4));
    g_assert_cmpmem (&back, sizeof back, &v4, sizeof v4);
  }
  {
    g_autoptr(GSocketAddress) sa = natter_endpoint_to_sockaddr (&v4, FALSE);

    assert_inet_socket_address (sa, G_SOCKET_FAMILY_IPV4, "198.18.0.1", 10080);
    g_assert_true (natter_endpoint_from_sockaddr (&back, sa));
    g_assert_true (natter_endpoint_equal (&back, &v4));
  }
  for (int for_ipv6 = 0; for_ipv6 <= 1; for_ipv6++)
    {
      g_autoptr(GSocketAddress) sa = natter_endpoint_to_sockaddr (&v6, for_ipv6);

      assert_inet_socket_address (sa, G_SOCKET_FAMILY_IPV6, "2001:db8::1", 443);
      g_assert_true (natter_endpoint_from_sockaddr (&back, sa));
      g_assert_cmpuint (back.family, ==, 6);
      g_assert_true (natter_endpoint_equal (&back, &v6));
    }
  {
    /* a socket address made by GIO from text, as a socket would report it */
    g_autoptr(GSocketAddress) sa = g_inet_socket_address_new_from_string ("::ffff:127.0.0.1", 4242);

    g_assert_true (natter_endpoint_from_sockaddr (&back, sa));
    g_assert_cmpuint (back.family, ==, 4);
    assert_format (&back, "127.0.0.1:4242");
  }

  g_assert_false (natter_endpoint_from_sockaddr (&back, NULL));
}

static void
test_compare (void)
{
  NatterEndpoint a = parse_ok ("198.18.0.1:1000", 0);
  NatterEndpoint a_mapped = parse_ok ("[::ffff:198.18.0.1]:1000", 0);
  NatterEndpoint a_other_port = parse_ok ("198.18.0.1:1001", 0);
  NatterEndpoint same24 = parse_ok ("198.18.0.200:1000", 0);
  NatterEndpoint other24 = parse_ok ("198.18.1.1:1000", 0);
  NatterEndpoint six = parse_ok ("[2001:db8::1]:1000", 0);
  NatterEndpoint six_same = parse_ok ("[2001:db8:0::1]:1000", 0);
  NatterEndpoint six_near = parse_ok ("[2001:db8::2]:1000", 0);
  /* an IPv6 address starting with the same four bytes as a */
  NatterEndpoint six_prefix = parse_ok ("[c612:1::]:1000", 0);
  NatterEndpoint by_hand;

  g_assert_true (natter_endpoint_equal (&a, &a));
  g_assert_true (natter_endpoint_equal (&a, &a_mapped));
  g_assert_true (natter_endpoint_same_address (&a, &a_mapped));
  g_assert_cmpuint (natter_endpoint_hash (&a), ==, natter_endpoint_hash (&a_mapped));

  g_assert_false (natter_endpoint_equal (&a, &a_other_port));
  g_assert_true (natter_endpoint_same_address (&a, &a_other_port));
  g_assert_true (natter_endpoint_same_prefix24 (&a, &a_other_port));

  g_assert_false (natter_endpoint_equal (&a, &same24));
  g_assert_false (natter_endpoint_same_address (&a, &same24));
  g_assert_true (natter_endpoint_same_prefix24 (&a, &same24));
  g_assert_true (natter_endpoint_same_prefix24 (&same24, &a));

  g_assert_false (natter_endpoint_same_address (&a, &other24));
  g_assert_false (natter_endpoint_same_prefix24 (&a, &other24));

  g_assert_true (natter_endpoint_equal (&six, &six_same));
  g_assert_cmpuint (natter_endpoint_hash (&six), ==, natter_endpoint_hash (&six_same));
  g_assert_false (natter_endpoint_same_address (&six, &six_near));
  /* /24 is an IPv4 notion */
  g_assert_false (natter_endpoint_same_prefix24 (&six, &six_same));

  g_assert_cmpmem (six_prefix.addr, 4, a.addr, 4);
  g_assert_false (natter_endpoint_same_address (&a, &six_prefix));
  g_assert_false (natter_endpoint_same_address (&six_prefix, &a));
  g_assert_false (natter_endpoint_equal (&a, &six_prefix));
  g_assert_false (natter_endpoint_same_prefix24 (&a, &six_prefix));
  g_assert_false (natter_endpoint_same_prefix24 (&six_prefix, &a));

  /* garbage in the unused bytes changes neither equality nor the hash */
  memset (&by_hand, 0x5a, sizeof by_hand);
  by_hand.family = 4;
  by_hand.port = 1000;
  memcpy (by_hand.addr, a.addr, 4);
  g_assert_true (natter_endpoint_equal (&a, &by_hand));
  g_assert_cmpuint (natter_endpoint_hash (&a), ==, natter_endpoint_hash (&by_hand));
}

static void
test_hash_table (void)
{
  static const char *const texts[] = {
    "198.18.0.1:1000",
    "198.18.0.1:1001",
    "198.18.0.2:1000",
    "10.0.0.1:1000",
    "[2001:db8::1]:1000",
    "[2001:db8::1]:1001",
    "[2001:db8::2]:1000",
    "[c612:1::]:1000",
  };
  g_autoptr(GHashTable) table = g_hash_table_new ((GHashFunc) natter_endpoint_hash,
                                                  (GEqualFunc) natter_endpoint_equal);
  NatterEndpoint eps[G_N_ELEMENTS (texts)];
  guint distinct_hashes;
  g_autoptr(GHashTable) hashes = g_hash_table_new (NULL, NULL);

  for (gsize i = 0; i < G_N_ELEMENTS (texts); i++)
    {
      eps[i] = parse_ok (texts[i], 0);
      g_hash_table_insert (table, &eps[i], GSIZE_TO_POINTER (i + 1));
      g_hash_table_add (hashes, GUINT_TO_POINTER (natter_endpoint_hash (&eps[i])));
    }
  g_assert_cmpuint (g_hash_table_size (table), ==, G_N_ELEMENTS (texts));
  /* the hash tells these apart (not required, but a hash that ignored the
   * port or the address would be useless for the server's tables) */
  distinct_hashes = g_hash_table_size (hashes);
  g_assert_cmpuint (distinct_hashes, ==, G_N_ELEMENTS (texts));

  for (gsize i = 0; i < G_N_ELEMENTS (texts); i++)
    {
      NatterEndpoint copy;
      g_autoptr(GSocketAddress) sa = natter_endpoint_to_sockaddr (&eps[i], TRUE);

      /* the same endpoint, as an IPv6 socket would report it */
      g_assert_true (natter_endpoint_from_sockaddr (&copy, sa));
      g_assert_cmpuint (GPOINTER_TO_SIZE (g_hash_table_lookup (table, &copy)), ==, i + 1);
    }
}

static void
test_loopback (void)
{
  static const char *const loopback[] = {
    "127.0.0.1", "127.255.0.1", "127.0.0.0", "::1", "::ffff:127.0.0.1",
  };
  static const char *const not_loopback[] = {
    "198.18.0.1", "128.0.0.1", "126.255.255.255", "0.0.0.0", "10.0.0.1",
    "::", "::2", "::ffff:10.0.0.1", "2001:db8::1", "fe80::1", "::127.0.0.1",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (loopback); i++)
    {
      NatterEndpoint ep = parse_ok (loopback[i], 1);

      g_test_message ("%s", loopback[i]);
      g_assert_true (natter_endpoint_is_loopback (&ep));
    }
  for (gsize i = 0; i < G_N_ELEMENTS (not_loopback); i++)
    {
      NatterEndpoint ep = parse_ok (not_loopback[i], 1);

      g_test_message ("%s", not_loopback[i]);
      g_assert_false (natter_endpoint_is_loopback (&ep));
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/endpoint/parse/valid", test_parse_valid);
  g_test_add_func ("/endpoint/parse/bytes", test_parse_bytes);
  g_test_add_func ("/endpoint/parse/invalid", test_parse_invalid);
  g_test_add_func ("/endpoint/format/round-trip", test_round_trip);
  g_test_add_func ("/endpoint/unset", test_unset);
  g_test_add_func ("/endpoint/from-bytes", test_from_bytes);
  g_test_add_func ("/endpoint/sockaddr", test_sockaddr);
  g_test_add_func ("/endpoint/compare", test_compare);
  g_test_add_func ("/endpoint/hash-table", test_hash_table);
  g_test_add_func ("/endpoint/loopback", test_loopback);

  return g_test_run ();
}
