/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "natter-stun.h"

/* The sample messages of RFC 5769, section 2. */
#define RFC5769_TID "b7e7a701 bc34d686 fa87dfae"
#define RFC5769_REQUEST \
  "0001 0058 2112a442" RFC5769_TID \
  "8022 0010 5354554e 20746573 7420636c 69656e74" \
  "0024 0004 6e0001ff" \
  "8029 0008 932ff9b1 51263b36" \
  "0006 0009 6576746a 3a683676 59202020" \
  "0008 0014 9aeaa70c bfd8cb56 781ef2b5 b2d3f249 c1b571a2" \
  "8028 0004 e57a3bcf"
#define RFC5769_RESPONSE_V4 \
  "0101 003c 2112a442" RFC5769_TID \
  "8022 000b 74657374 20766563 746f7220" \
  "0020 0008 0001a147 e112a643" \
  "0008 0014 2b91f599 fd9e90c3 8c7489f9 2af9ba53 f06be7d7" \
  "8028 0004 c07d4c96"
#define RFC5769_RESPONSE_V6 \
  "0101 0048 2112a442" RFC5769_TID \
  "8022 000b 74657374 20766563 746f7220" \
  "0020 0014 0002a147 0113a9fa a5d3f179 bc25f4b5 bed2b9d9" \
  "0008 0014 a382954e 4be67bf1 1784c97c 8292c275 bfe3ed41" \
  "8028 0004 c8fb0b4c"

/* 16 bytes for RFC 3489; RFC 5389 uses the first 12 */
static const guint8 tid[16] = {
  0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86,
  0xfa, 0x87, 0xdf, 0xae, 0x10, 0x20, 0x30, 0x40,
};

/* Hex to bytes in an allocation of exactly the decoded size, so that
 * ASan and valgrind see any read past the end. Spaces are ignored. */
static GBytes *
hex (const char *text)
{
  gsize n_digits = 0, len, i = 0;
  guint8 *data;

  for (const char *p = text; *p != '\0'; p++)
    if (*p != ' ')
      {
        g_assert_true (g_ascii_isxdigit (*p));
        n_digits++;
      }
  g_assert_cmpuint (n_digits % 2, ==, 0);
  len = n_digits / 2;
  data = g_malloc (len);
  for (const char *p = text; *p != '\0'; p++)
    if (*p != ' ')
      {
        if (i % 2 == 0)
          data[i / 2] = g_ascii_xdigit_value (*p) << 4;
        else
          data[i / 2] |= g_ascii_xdigit_value (*p);
        i++;
      }
  return g_bytes_new_take (data, len);
}

static void
assert_endpoint (const NatterEndpoint *ep,
                 const char           *expected)
{
  char buf[NATTER_ENDPOINT_STRLEN];

  g_assert_cmpstr (natter_endpoint_format (ep, buf), ==, expected);
}

static void
check_round_trip (gboolean    rfc3489,
                  const char *address,
                  gsize       expected_size)
{
  guint8 req[NATTER_STUN_HEADER_SIZE];
  guint8 resp[NATTER_STUN_MAX_RESPONSE];
  guint8 other_tid[16];
  NatterStunRequest request;
  NatterEndpoint mapped, got;
  gsize n;

  g_assert_true (natter_endpoint_parse (address, 0, &mapped));

  g_assert_cmpuint (natter_stun_build_binding_request (rfc3489, tid, req, sizeof req - 1), ==, 0);
  n = natter_stun_build_binding_request (rfc3489, tid, req, sizeof req);
  g_assert_cmpuint (n, ==, NATTER_STUN_HEADER_SIZE);
  g_assert_true (natter_stun_looks_like (req, n));
  g_assert_true (natter_stun_parse_binding_request (req, n, &request));
  g_assert_cmpint (request.rfc3489, ==, rfc3489);
  if (rfc3489)
    g_assert_cmpmem (request.transaction, 16, tid, 16);
  else
    {
      g_assert_cmpmem (request.transaction, 4, "\x21\x12\xa4\x42", 4);
      g_assert_cmpmem (request.transaction + 4, 12, tid, 12);
    }

  n = natter_stun_build_binding_response (&request, &mapped, resp, sizeof resp);
  g_assert_cmpuint (n, ==, expected_size);
  g_assert_cmpuint (natter_stun_build_binding_response (&request, &mapped, resp, n - 1), ==, 0);
  g_assert_true (natter_stun_looks_like (resp, n));
  g_assert_false (natter_stun_parse_binding_request (resp, n, NULL));

  g_assert_true (natter_stun_parse_binding_response (resp, n, rfc3489, tid, &got));
  g_assert_true (natter_endpoint_equal (&got, &mapped));
  assert_endpoint (&got, address);

  /* someone else's transaction, or the other protocol version */
  memcpy (other_tid, tid, sizeof other_tid);
  other_tid[11] ^= 1;
  g_assert_false (natter_stun_parse_binding_response (resp, n, rfc3489, other_tid, &got));
  g_assert_false (natter_stun_parse_binding_response (resp, n, !rfc3489, tid, &got));
}

static void
test_round_trip_rfc5389_v4 (void)
{
  check_round_trip (FALSE, "198.51.100.7:40000", 44);
}

static void
test_round_trip_rfc5389_v6 (void)
{
  check_round_trip (FALSE, "[2001:db8::42]:1234", 44);
}

static void
test_round_trip_rfc3489_v4 (void)
{
  check_round_trip (TRUE, "203.0.113.9:5", 32);
}

static void
test_round_trip_rfc3489_v6 (void)
{
  check_round_trip (TRUE, "[2001:db8::1]:65535", 44);
}

/* The transaction comes from the RFC 5769 sample request, so this also
 * checks that parsing keeps it intact. */
static void
check_rfc5769_response (const char *address,
                        const char *expected_hex)
{
  g_autoptr(GBytes) request_bytes = hex (RFC5769_REQUEST);
  g_autoptr(GBytes) expected = hex (expected_hex);
  NatterStunRequest request;
  NatterEndpoint mapped;
  guint8 out[NATTER_STUN_MAX_RESPONSE];
  gsize n;

  g_assert_true (natter_stun_parse_binding_request (g_bytes_get_data (request_bytes, NULL),
                                                    g_bytes_get_size (request_bytes),
                                                    &request));
  g_assert_true (natter_endpoint_parse (address, 0, &mapped));
  n = natter_stun_build_binding_response (&request, &mapped, out, sizeof out);
  g_assert_cmpmem (out, n, g_bytes_get_data (expected, NULL), g_bytes_get_size (expected));
}

static void
test_rfc5769_build_v4 (void)
{
  check_rfc5769_response ("192.0.2.1:32853",
                          "0101 0018 2112a442" RFC5769_TID
                          "0020 0008 0001a147 e112a643"
                          "0001 0008 00018055 c0000201");
}

static void
test_rfc5769_build_v6 (void)
{
  check_rfc5769_response ("[2001:db8:1234:5678:11:2233:4455:6677]:32853",
                          "0101 0018 2112a442" RFC5769_TID
                          "0020 0014 0002a147 0113a9fa a5d3f179 bc25f4b5 bed2b9d9");
}

static void
check_rfc5769_parse_response (const char *message,
                              const char *expected)
{
  g_autoptr(GBytes) bytes = hex (message);
  const guint8 *data = g_bytes_get_data (bytes, NULL);
  gsize len = g_bytes_get_size (bytes);
  NatterEndpoint got;

  g_assert_true (natter_stun_looks_like (data, len));
  g_assert_false (natter_stun_parse_binding_request (data, len, NULL));
  g_assert_true (natter_stun_parse_binding_response (data, len, FALSE, tid, &got));
  assert_endpoint (&got, expected);
}

static void
test_rfc5769_parse_responses (void)
{
  check_rfc5769_parse_response (RFC5769_RESPONSE_V4, "192.0.2.1:32853");
  check_rfc5769_parse_response (RFC5769_RESPONSE_V6,
                                "[2001:db8:1234:5678:11:2233:4455:6677]:32853");
}

static void
test_valid_requests (void)
{
  static const struct
  {
    const char *name;
    const char *message;
    gboolean    rfc3489;
  } cases[] = {
    { "RFC 5769 2.1 sample request", RFC5769_REQUEST, FALSE },
    /* FINGERPRINT is not checked, so a wrong CRC still passes */
    { "bad FINGERPRINT",
      "0001 0008 2112a442" RFC5769_TID "8028 0004 00000000", FALSE },
    { "unknown comprehension-required attribute, odd length, padded",
      "0001 0018 2112a442" RFC5769_TID "7777 0001 ff000000 0006 0009 6576746a 3a683676 59000000",
      FALSE },
    { "zero-length attribute", "0001 0004 2112a442" RFC5769_TID "8022 0000", FALSE },
    { "RFC 3489 with CHANGE-REQUEST",
      "0001 0008 00112233 44556677 8899aabb ccddeeff 0003 0004 00000000", TRUE },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GBytes) bytes = hex (cases[i].message);
      const guint8 *data = g_bytes_get_data (bytes, NULL);
      NatterStunRequest request;

      g_test_message ("%s", cases[i].name);
      g_assert_true (natter_stun_parse_binding_request (data, g_bytes_get_size (bytes), &request));
      g_assert_cmpint (request.rfc3489, ==, cases[i].rfc3489);
      g_assert_cmpmem (request.transaction, 16, data + 4, 16);
    }
}

static void
test_malformed (void)
{
  static const struct
  {
    const char *name;
    const char *message;
  } cases[] = {
    { "empty", "" },
    { "19 bytes", "0001 0000 2112a442 b7e7a701 bc34d686 fa87df" },
    { "top bits set", "4001 0000 2112a442" RFC5769_TID },
    { "top bit set", "8001 0000 2112a442" RFC5769_TID },
    { "length field too big", "0001 0004 2112a442" RFC5769_TID },
    { "length field too small", "0001 0000 2112a442" RFC5769_TID "8022 0000" },
    { "length field huge", "0001 fffc 2112a442" RFC5769_TID "8022 0000" },
    { "length not a multiple of 4", "0001 0002 2112a442" RFC5769_TID "8022" },
    { "attribute overruns the end", "0001 0008 2112a442" RFC5769_TID "8022 0008 74657374" },
    { "attribute padding overruns the end", "0001 0008 2112a442" RFC5769_TID "8022 0005 74657374" },
    { "attribute length ffff", "0001 0008 2112a442" RFC5769_TID "8022 ffff 74657374" },
    { "overrun after a good attribute",
      "0001 000c 2112a442" RFC5769_TID "0024 0004 6e0001ff 8028 0004" },
    { "truncated attribute header", "0001 0006 2112a442" RFC5769_TID "8022 0000 8028" },
    { "Binding success response", "0101 0000 2112a442" RFC5769_TID },
    { "Binding error response", "0111 0000 2112a442" RFC5769_TID },
    { "Binding indication", "0011 0000 2112a442" RFC5769_TID },
    { "Allocate request", "0003 0000 2112a442" RFC5769_TID },
    { "RFC 3489 Shared Secret request", "0002 0000 00112233 44556677 8899aabb ccddeeff" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GBytes) bytes = hex (cases[i].message);
      const guint8 *data = g_bytes_get_data (bytes, NULL);
      gsize len = g_bytes_get_size (bytes);
      NatterStunRequest request;
      NatterEndpoint got;

      g_test_message ("%s", cases[i].name);
      g_assert_false (natter_stun_parse_binding_request (data, len, &request));
      g_assert_false (natter_stun_parse_binding_response (data, len, FALSE, tid, &got));
    }
}

static void
test_bad_responses (void)
{
  static const struct
  {
    const char *name;
    const char *message;
    const char *expected; /* NULL: must be rejected */
  } cases[] = {
    { "no address", "0101 0000 2112a442" RFC5769_TID, NULL },
    { "unknown family", "0101 000c 2112a442" RFC5769_TID "0020 0008 0003a147 e112a643", NULL },
    { "IPv4 family, IPv6 length",
      "0101 0018 2112a442" RFC5769_TID
      "0020 0014 0001a147 0113a9fa a5d3f179 bc25f4b5 bed2b9d9", NULL },
    { "short value", "0101 0004 2112a442" RFC5769_TID "0020 0000", NULL },
    { "bad XOR-MAPPED falls back to MAPPED",
      "0101 0018 2112a442" RFC5769_TID
      "0020 0008 0009a147 e112a643 0001 0008 00018055 c0000201", "192.0.2.1:32853" },
    { "first XOR-MAPPED wins",
      "0101 0018 2112a442" RFC5769_TID
      "0020 0008 0001a147 e112a643 0020 0008 0001a147 e112a644", "192.0.2.1:32853" },
    { "MAPPED alone", "0101 000c 2112a442" RFC5769_TID "0001 0008 00018055 c0000201",
      "192.0.2.1:32853" },
    { "IPv4-mapped IPv6 comes back as IPv4",
      "0101 0018 2112a442" RFC5769_TID
      "0001 0014 00028055 00000000 00000000 0000ffff c0000201", "192.0.2.1:32853" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GBytes) bytes = hex (cases[i].message);
      NatterEndpoint got;
      gboolean ok;

      g_test_message ("%s", cases[i].name);
      ok = natter_stun_parse_binding_response (g_bytes_get_data (bytes, NULL),
                                               g_bytes_get_size (bytes), FALSE, tid, &got);
      g_assert_cmpint (ok, ==, cases[i].expected != NULL);
      if (ok)
        assert_endpoint (&got, cases[i].expected);
    }
}

/* Feeds data in an allocation of exactly len bytes to every parser. The
 * response parser also gets the buffer's own transaction id, so that it
 * goes on to the attributes. */
static gboolean
feed (const guint8 *data,
      gsize         len)
{
  g_autofree guint8 *copy = g_memdup2 (data, len);
  NatterStunRequest request;
  NatterEndpoint got;
  gboolean ok;

  natter_stun_looks_like (copy, len);
  ok = natter_stun_parse_binding_request (copy, len, &request);
  natter_stun_parse_binding_response (copy, len, FALSE, tid, &got);
  natter_stun_parse_binding_response (copy, len, TRUE, tid, &got);
  if (len >= NATTER_STUN_HEADER_SIZE)
    {
      natter_stun_parse_binding_response (copy, len, FALSE, copy + 8, &got);
      natter_stun_parse_binding_response (copy, len, TRUE, copy + 4, &got);
    }
  return ok;
}

static void
test_prefixes (void)
{
  g_autoptr(GBytes) bytes = hex (RFC5769_REQUEST);
  const guint8 *data = g_bytes_get_data (bytes, NULL);
  gsize len = g_bytes_get_size (bytes);

  for (gsize i = 0; i <= len; i++)
    g_assert_cmpint (feed (data, i), ==, i == len);
}

static void
test_random (void)
{
  static const guint16 types[] = { 0x0001, 0x0020, 0x8022, 0x8028, 0x0008 };
  g_autoptr(GBytes) sample = hex (RFC5769_RESPONSE_V6);
  guint8 buf[128];

  /* plain noise, which mostly dies in natter_stun_looks_like() */
  for (int n = 0; n < 3000; n++)
    {
      gsize len = g_test_rand_int_range (0, sizeof buf);

      for (gsize i = 0; i < len; i++)
        buf[i] = g_test_rand_int ();
      feed (buf, len);
    }

  /* a good header over attributes of plausible, sometimes wrong, lengths */
  for (int n = 0; n < 3000; n++)
    {
      gsize len = NATTER_STUN_HEADER_SIZE;

      for (gsize i = 0; i < len; i++)
        buf[i] = g_test_rand_int ();
      buf[0] = 0;
      buf[1] = g_test_rand_bit () ? 0x01 : 0x00;
      if (g_test_rand_bit ())
        memcpy (buf + 4, "\x21\x12\xa4\x42", 4);
      while (len + 4 <= sizeof buf && g_test_rand_int_range (0, 5) != 0)
        {
          guint16 type = types[g_test_rand_int_range (0, G_N_ELEMENTS (types))];
          guint16 value_len = g_test_rand_int_range (0, 26);
          gsize room = sizeof buf - len - 4;
          gsize padded = MIN ((value_len + 3u) & ~3u, room);

          buf[len] = type >> 8;
          buf[len + 1] = type & 0xff;
          buf[len + 2] = 0;
          buf[len + 3] = value_len;
          for (gsize i = 0; i < padded; i++)
            buf[len + 4 + i] = g_test_rand_int_range (0, 4);
          len += 4 + padded;
        }
      buf[2] = (len - NATTER_STUN_HEADER_SIZE) >> 8;
      buf[3] = (len - NATTER_STUN_HEADER_SIZE) & 0xff;
      feed (buf, len);
    }

  /* a real response with a few bytes changed */
  for (int n = 0; n < 3000; n++)
    {
      gsize len = g_bytes_get_size (sample);

      memcpy (buf, g_bytes_get_data (sample, NULL), len);
      for (int k = g_test_rand_int_range (1, 4); k > 0; k--)
        buf[g_test_rand_int_range (0, len)] = g_test_rand_int ();
      feed (buf, len);
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/stun/round-trip/rfc5389-v4", test_round_trip_rfc5389_v4);
  g_test_add_func ("/stun/round-trip/rfc5389-v6", test_round_trip_rfc5389_v6);
  g_test_add_func ("/stun/round-trip/rfc3489-v4", test_round_trip_rfc3489_v4);
  g_test_add_func ("/stun/round-trip/rfc3489-v6", test_round_trip_rfc3489_v6);
  g_test_add_func ("/stun/rfc5769/build-v4", test_rfc5769_build_v4);
  g_test_add_func ("/stun/rfc5769/build-v6", test_rfc5769_build_v6);
  g_test_add_func ("/stun/rfc5769/parse-responses", test_rfc5769_parse_responses);
  g_test_add_func ("/stun/request/valid", test_valid_requests);
  g_test_add_func ("/stun/request/malformed", test_malformed);
  g_test_add_func ("/stun/response/bad", test_bad_responses);
  g_test_add_func ("/stun/robust/prefixes", test_prefixes);
  g_test_add_func ("/stun/robust/random", test_random);

  return g_test_run ();
}
