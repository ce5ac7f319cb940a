/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "natter-classic.h"
#include "natter-id.h"

static NatterEndpoint
endpoint (const char *text)
{
  NatterEndpoint ep;

  g_assert_true (natter_endpoint_parse (text, 0, &ep));
  return ep;
}

static gboolean
parse_text (const char             *text,
            NatterClassicDirection  direction,
            NatterClassicMsg       *msg,
            GError                **error)
{
  return natter_classic_parse ((const guint8 *) text, strlen (text),
                               direction, msg, error);
}

static void
assert_zeroed (const NatterClassicMsg *msg)
{
  NatterClassicMsg zero;

  /* memset, not "= { 0 }", so that padding compares equal too */
  memset (&zero, 0, sizeof zero);
  g_assert_null (msg->id);
  g_assert_null (msg->text);
  g_assert_cmpmem (msg, sizeof *msg, &zero, sizeof zero);
}

static void
test_format (void)
{
  NatterEndpoint priv = endpoint ("10.0.0.5");
  NatterEndpoint pub = endpoint ("198.18.0.11:10081");
  NatterEndpoint pub6 = endpoint ("[2001:db8::1]:10081");
  NatterEndpoint priv6 = endpoint ("fd00::5");
  struct
  {
    char       *got;
    const char *expected;
  } cases[] = {
    { natter_classic_format_register ("a", &priv), "a 10.0.0.5" },
    { natter_classic_format_keepalive ("a"), "a@keepalive" },
    { natter_classic_format_exit ("a"), "a @exit" },
    { natter_classic_format_peer ("a", &pub), "a 198.18.0.11:10081" },
    { natter_classic_format_private ("a", &priv), "a@private:10.0.0.5" },
    { natter_classic_format_unregistered ("a", &pub),
      "a is unregistered 198.18.0.11:10081" },
    { natter_classic_format_offline ("a", &pub),
      "a is off-line 198.18.0.11:10081" },
    { natter_classic_format_chat ("a", "I love Network!!"),
      "a@chat I love Network!!" },
    { natter_classic_format_chat ("a", ""), "a@chat " },
    { natter_classic_format_peer ("a", &pub6), "a [2001:db8::1]:10081" },
    { natter_classic_format_register ("a", &priv6), "a fd00::5" },
    { natter_classic_format_private ("김태은", &priv6), "김태은@private:fd00::5" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_assert_cmpstr (cases[i].got, ==, cases[i].expected);
      g_free (cases[i].got);
    }
}

static void
check_round_trip (char                   *wire,
                  NatterClassicDirection  direction,
                  NatterClassicKind       kind,
                  const char             *id,
                  const NatterEndpoint   *ep,
                  const char             *text)
{
  NatterClassicMsg msg = { 0 };
  g_autoptr(GError) error = NULL;
  g_autofree char *crlf = g_strconcat (wire, "\r\n", NULL);

  g_assert_true (parse_text (wire, direction, &msg, &error));
  g_assert_no_error (error);
  g_assert_cmpint (msg.kind, ==, kind);
  g_assert_cmpstr (msg.id, ==, id);
  g_assert_cmpstr (msg.text, ==, text);
  if (ep != NULL)
    g_assert_true (natter_endpoint_equal (&msg.endpoint, ep));
  else
    g_assert_false (natter_endpoint_is_set (&msg.endpoint));
  natter_classic_msg_clear (&msg);
  assert_zeroed (&msg);

  /* one trailing line ending is tolerated */
  g_assert_true (parse_text (crlf, direction, &msg, &error));
  g_assert_no_error (error);
  g_assert_cmpint (msg.kind, ==, kind);
  g_assert_cmpstr (msg.text, ==, text);
  natter_classic_msg_clear (&msg);

  /* No message is valid in both directions: a REGISTER line has no port,
   * which a PEER line needs. */
  g_assert_false (parse_text (wire,
                              direction == NATTER_CLASSIC_TO_SERVER
                                ? NATTER_CLASSIC_TO_CLIENT
                                : NATTER_CLASSIC_TO_SERVER,
                              &msg, &error));
  g_assert_error (error, NATTER_CLASSIC_ERROR, NATTER_CLASSIC_ERROR_MALFORMED);
  assert_zeroed (&msg);

  g_free (wire);
}

static void
round_trip_id (const char *id)
{
  const char *private_addrs[] = { "10.0.0.5", "192.168.56.1", "fd00::5",
                                  "::1" };
  const char *public_eps[] = { "198.18.0.11:10081", "192.168.56.1:57729",
                               "[2001:db8::1]:10081", "1.2.3.4:65535",
                               "1.2.3.4:1" };
  const char *texts[] = { "", "hi", "I love Network!!", "  two  spaces  ",
                          "a@b", "@chat x", "x@chat y @chat ", "안녕하세요 👋",
                          "ends with space ", " ", "@exit", "@keepalive",
                          "is off-line 1.2.3.4:5", "tab\there" };
  const NatterClassicDirection to_server = NATTER_CLASSIC_TO_SERVER;
  const NatterClassicDirection to_client = NATTER_CLASSIC_TO_CLIENT;

  check_round_trip (natter_classic_format_keepalive (id), to_server,
                    NATTER_CLASSIC_KEEPALIVE, id, NULL, NULL);
  check_round_trip (natter_classic_format_exit (id), to_server,
                    NATTER_CLASSIC_EXIT, id, NULL, NULL);

  for (gsize i = 0; i < G_N_ELEMENTS (private_addrs); i++)
    {
      NatterEndpoint ep = endpoint (private_addrs[i]);

      check_round_trip (natter_classic_format_register (id, &ep), to_server,
                        NATTER_CLASSIC_REGISTER, id, &ep, NULL);
      check_round_trip (natter_classic_format_private (id, &ep), to_client,
                        NATTER_CLASSIC_PRIVATE, id, &ep, NULL);
    }

  for (gsize i = 0; i < G_N_ELEMENTS (public_eps); i++)
    {
      NatterEndpoint ep = endpoint (public_eps[i]);

      check_round_trip (natter_classic_format_peer (id, &ep),
                        to_client, NATTER_CLASSIC_PEER, id, &ep, NULL);
      check_round_trip (natter_classic_format_unregistered (id, &ep),
                        to_client, NATTER_CLASSIC_UNREGISTERED, id, &ep, NULL);
      check_round_trip (natter_classic_format_offline (id, &ep),
                        to_client, NATTER_CLASSIC_OFFLINE, id, &ep, NULL);
    }

  for (gsize i = 0; i < G_N_ELEMENTS (texts); i++)
    check_round_trip (natter_classic_format_chat (id, texts[i]), to_client,
                      NATTER_CLASSIC_CHAT, id, NULL, texts[i]);
}

static void
test_round_trip (void)
{
  const char *ids[] = { "a", "client1", "김태은", "is", "chat", "x-y_z.0",
                        "Ωμέγα", "１２３",
                        "abcdefghijklmnopqrstuvwxyz012345" /* 32 */,
                        ("가나다라마바사아자차카타파하가나다"
                         "라마바사아자차카타파하가나다라") /* 32 */ };

  for (gsize i = 0; i < G_N_ELEMENTS (ids); i++)
    round_trip_id (ids[i]);
}

/* The assignment's own transcript, as seen on the wire. */
static void
test_assignment_lines (void)
{
  NatterClassicMsg msg = { 0 };
  g_autoptr(GError) error = NULL;
  char buf[NATTER_ENDPOINT_STRLEN];

  g_assert_true (parse_text ("client2 192.168.56.1:57729",
                             NATTER_CLASSIC_TO_CLIENT, &msg, &error));
  g_assert_no_error (error);
  g_assert_cmpint (msg.kind, ==, NATTER_CLASSIC_PEER);
  g_assert_cmpstr (msg.id, ==, "client2");
  g_assert_cmpstr (natter_endpoint_format (&msg.endpoint, buf), ==,
                   "192.168.56.1:57729");
  natter_classic_msg_clear (&msg);

  g_assert_true (parse_text ("client3 is unregistered 192.168.56.1:57970",
                             NATTER_CLASSIC_TO_CLIENT, &msg, &error));
  g_assert_cmpint (msg.kind, ==, NATTER_CLASSIC_UNREGISTERED);
  g_assert_cmpstr (msg.id, ==, "client3");
  g_assert_cmpuint (msg.endpoint.port, ==, 57970);
  natter_classic_msg_clear (&msg);

  g_assert_true (parse_text ("client2@chat I love Network!!",
                             NATTER_CLASSIC_TO_CLIENT, &msg, &error));
  g_assert_cmpint (msg.kind, ==, NATTER_CLASSIC_CHAT);
  g_assert_cmpstr (msg.id, ==, "client2");
  g_assert_cmpstr (msg.text, ==, "I love Network!!");
  natter_classic_msg_clear (&msg);

  g_assert_true (parse_text ("김태은 192.168.0.7\n", NATTER_CLASSIC_TO_SERVER,
                             &msg, &error));
  g_assert_cmpint (msg.kind, ==, NATTER_CLASSIC_REGISTER);
  g_assert_cmpstr (msg.id, ==, "김태은");
  g_assert_cmpstr (natter_endpoint_format_address (&msg.endpoint, buf), ==,
                   "192.168.0.7");
  g_assert_cmpuint (msg.endpoint.port, ==, 0);
  natter_classic_msg_clear (&msg);
  g_assert_no_error (error);
}

/* Only one trailing line ending is dropped; the rest of a chat is verbatim. */
static void
test_line_endings (void)
{
  const struct
  {
    const char *wire;
    const char *text;
  } cases[] = {
    { "a@chat hi\n", "hi" },
    { "a@chat hi\r\n", "hi" },
    { "a@chat hi\n\n", "hi\n" },
    { "a@chat hi\r\n\r\n", "hi\r\n" },
    { "a@chat hi\r", "hi\r" },
    { "a@chat hi\n\r", "hi\n\r" },
    { "a@chat \n", "" },
    { "a@chat \r\n", "" },
    { "a@chat line one\nline two", "line one\nline two" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      NatterClassicMsg msg = { 0 };
      g_autoptr(GError) error = NULL;

      g_assert_true (parse_text (cases[i].wire, NATTER_CLASSIC_TO_CLIENT,
                                 &msg, &error));
      g_assert_no_error (error);
      g_assert_cmpint (msg.kind, ==, NATTER_CLASSIC_CHAT);
      g_assert_cmpstr (msg.text, ==, cases[i].text);
      natter_classic_msg_clear (&msg);
    }
}

static void
assert_rejected (const char             *data,
                 gsize                   len,
                 NatterClassicDirection  direction)
{
  NatterClassicMsg msg = { 0 };
  g_autoptr(GError) error = NULL;

  if (g_test_verbose () && data != NULL)
    g_test_message ("rejecting %.*s", (int) MIN (len, 80), data);
  /* garbage in msg must not leak into, or survive, a failed parse */
  msg.kind = NATTER_CLASSIC_CHAT;
  msg.endpoint.port = 1;
  if (natter_classic_parse ((const guint8 *) data, len, direction, &msg,
                            &error))
    g_error ("accepted “%.*s” (direction %d)", (int) len, data, direction);
  g_assert_error (error, NATTER_CLASSIC_ERROR, NATTER_CLASSIC_ERROR_MALFORMED);
  g_assert_nonnull (error->message);
  g_assert_cmpstr (error->message, !=, "");
  assert_zeroed (&msg);
}

static void
test_malformed (void)
{
  const char *both[] = {
    "", "\n", "\r\n", " ", "@", "a", "a\n\n", "a\r", "@keepalive", " @exit",
    "a b c", "a  1.2.3.4", "a 999.1.1.1", "a 1.2.3.4:99999", "a@private:",
    "a is off-line", "a is unregistered 1.2.3.4", "a b@keepalive",
    "a@keepalive ", "a@keepalive\r", "a@keepalivex", "a@KEEPALIVE",
    "a @exit ", "a @exit2", "a @EXIT", "a@exit", "a  @exit",
    "a b", "a 1.2.3", "a 01.2.3.4", "a 1.2.3.4 ", "a [1.2.3.4",
    "a 1.2.3.4:", "a 1.2.3.4:0", "a 1.2.3.4:-1", "a 1.2.3.4:+80",
    "a 1.2.3.4:80x", "a [::1]", "a [::1]:", "a [::1]:80x",
    "a@private:1.2.3.4:80", "a@private:[::1]", "a@private: 1.2.3.4",
    "a@private1.2.3.4", "a@chat", "a@chatx", "a@cha", "a@ chat x",
    "a is off-line 1.2.3.4", "a is off-line  1.2.3.4:80",
    "a is off-line 1.2.3.4:80 ", "a is offline 1.2.3.4:80",
    "a is unregistered", "a is unregistered ", "a is registered 1.2.3.4:80",
    "a is  unregistered 1.2.3.4:80", "a@@chat x", "a@b@chat x",
    "a!@chat x", "a!@keepalive", "a\t1.2.3.4", "a\t@exit",
    "abcdefghijklmnopqrstuvwxyz0123456@keepalive" /* 33 characters */,
    "abcdefghijklmnopqrstuvwxyz0123456 1.2.3.4:80",
    "\xe1\x84\x80\xe1\x85\xa1@keepalive" /* decomposed Hangul: not NFC */,
    ("a\xc2\xa0" "1.2.3.4") /* no-break space */,
  };
  const char *not_to_server[] = {
    "a 1.2.3.4:80", "a [::1]:80", "a@chat hi", "a@private:10.0.0.5",
    "a is off-line 1.2.3.4:80", "a is unregistered 1.2.3.4:80",
  };
  const char *not_to_client[] = {
    "a 1.2.3.4", "a ::1", "a ::1:80" /* an IPv6 address, no port */,
    "a@keepalive", "a @exit",
  };
  const char bad_utf8[] = "a@chat \xff\xfe";
  const char overlong[] = "a@chat \xc0\xaf";
  const char surrogate[] = "a@chat \xed\xa0\x80";
  const char truncated[] = "\xea\xb9";
  const char with_nul[] = "a@chat hi\0there";
  const char nul_keepalive[] = "a\0@keepalive";
  const char nul_end[] = "a@keepalive\0";
  char big[3000];

  memset (big, 'x', sizeof big);
  memcpy (big, "a@chat ", 7);

  for (int d = NATTER_CLASSIC_TO_SERVER; d <= NATTER_CLASSIC_TO_CLIENT; d++)
    {
      for (gsize i = 0; i < G_N_ELEMENTS (both); i++)
        assert_rejected (both[i], strlen (both[i]), d);
      assert_rejected (bad_utf8, sizeof bad_utf8 - 1, d);
      assert_rejected (overlong, sizeof overlong - 1, d);
      assert_rejected (surrogate, sizeof surrogate - 1, d);
      assert_rejected (truncated, sizeof truncated - 1, d);
      assert_rejected (with_nul, sizeof with_nul - 1, d);
      assert_rejected (nul_keepalive, sizeof nul_keepalive - 1, d);
      assert_rejected (nul_end, sizeof nul_end - 1, d);
      assert_rejected (big, sizeof big, d);
      assert_rejected (big, 2049, d);
      assert_rejected (NULL, 0, d);
    }
  for (gsize i = 0; i < G_N_ELEMENTS (not_to_server); i++)
    assert_rejected (not_to_server[i], strlen (not_to_server[i]),
                     NATTER_CLASSIC_TO_SERVER);
  for (gsize i = 0; i < G_N_ELEMENTS (not_to_client); i++)
    assert_rejected (not_to_client[i], strlen (not_to_client[i]),
                     NATTER_CLASSIC_TO_CLIENT);
}

/* The limit is the assignment's recvfrom (2048): a full buffer is fine. */
static void
test_size_limit (void)
{
  NatterClassicMsg msg = { 0 };
  g_autoptr(GError) error = NULL;
  char buf[2048];

  memset (buf, 'x', sizeof buf);
  memcpy (buf, "a@chat ", 7);
  g_assert_true (natter_classic_parse ((const guint8 *) buf, sizeof buf,
                                       NATTER_CLASSIC_TO_CLIENT, &msg, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (strlen (msg.text), ==, sizeof buf - 7);
  natter_classic_msg_clear (&msg);
}

/* Returns how many directions accepted the buffer. */
static guint
parse_any (const guint8 *data,
           gsize         len)
{
  guint accepted = 0;

  for (int d = NATTER_CLASSIC_TO_SERVER; d <= NATTER_CLASSIC_TO_CLIENT; d++)
    {
      NatterClassicMsg msg = { 0 };
      g_autoptr(GError) error = NULL;

      if (natter_classic_parse (data, len, d, &msg, &error))
        {
          g_assert_no_error (error);
          g_assert_true (natter_id_validate (msg.id, -1, NULL));
          g_assert_true ((msg.kind == NATTER_CLASSIC_CHAT) ==
                         (msg.text != NULL));
          accepted++;
        }
      else
        {
          g_assert_error (error, NATTER_CLASSIC_ERROR,
                          NATTER_CLASSIC_ERROR_MALFORMED);
          assert_zeroed (&msg);
        }
      natter_classic_msg_clear (&msg);
    }
  return accepted;
}

static const char *valid_messages[] = {
  "client1 192.168.56.1:57729", "client1 [2001:db8::1]:10081",
  "김태은@private:10.0.0.5", "김태은 is unregistered 198.18.0.11:10081",
  "a is off-line 198.18.0.11:10081", "a@chat I love @chat Network!!",
  "a@keepalive", "a @exit", "a 10.0.0.5", "a fd00::5\r\n",
};

static void
test_prefixes (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (valid_messages); i++)
    {
      const char *m = valid_messages[i];

      for (gsize n = 0; n < strlen (m); n++)
        parse_any ((const guint8 *) m, n);
      g_assert_cmpuint (parse_any ((const guint8 *) m, strlen (m)), ==, 1);
    }
}

/* Random bytes rarely get past the UTF-8 check, so most buffers are
 * valid messages with a few bytes changed, or protocol fragments glued
 * together, to reach the deeper paths too. */
static void
test_random (void)
{
  static const char *pieces[] = {
    "a", "김", "1", " ", "@", ":", ".", "[", "]", "chat ", "keepalive",
    "exit", "private:", "is ", "off-line ", "unregistered ", "1.2.3.4",
    "::1", ":10081", "\r", "\n", "\xff", "",
  };
  guint8 buf[2100];
  guint accepted = 0;

  for (int round = 0; round < 6000; round++)
    {
      gsize len = 0;

      if (round % 3 == 0)
        {
          gsize want = g_test_rand_int_range (0, round % 10 == 0 ? 2100 : 64);

          for (gsize i = 0; i < want; i++)
            buf[len++] = g_test_rand_int_range (0, 256);
        }
      else if (round % 3 == 1)
        {
          int n = g_test_rand_int_range (0, 12);

          for (int i = 0; i < n; i++)
            {
              int pick = g_test_rand_int_range (0, G_N_ELEMENTS (pieces));
              const char *p = pieces[pick];

              memcpy (buf + len, p, strlen (p));
              len += strlen (p);
            }
        }
      else
        {
          int pick = g_test_rand_int_range (0, G_N_ELEMENTS (valid_messages));
          int edits = g_test_rand_int_range (0, 4);

          len = strlen (valid_messages[pick]);
          memcpy (buf, valid_messages[pick], len);
          for (int i = 0; i < edits && len > 0; i++)
            {
              gsize at = g_test_rand_int_range (0, len);

              switch (g_test_rand_int_range (0, 3))
                {
                case 0:
                  buf[at] = g_test_rand_int_range (0, 256);
                  break;
                case 1:
                  memmove (buf + at, buf + at + 1, len - at - 1);
                  len--;
                  break;
                default:
                  memmove (buf + at + 1, buf + at, len - at);
                  buf[at] = " @:.[]a0\n"[g_test_rand_int_range (0, 9)];
                  len++;
                  break;
                }
            }
        }
      accepted += parse_any (buf, len);
    }
  /* the mutated messages with no edits alone guarantee some */
  g_assert_cmpuint (accepted, >, 0);
  g_test_message ("%u of 6000 random buffers accepted", accepted);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/classic/format", test_format);
  g_test_add_func ("/classic/round-trip", test_round_trip);
  g_test_add_func ("/classic/assignment-lines", test_assignment_lines);
  g_test_add_func ("/classic/line-endings", test_line_endings);
  g_test_add_func ("/classic/malformed", test_malformed);
  g_test_add_func ("/classic/size-limit", test_size_limit);
  g_test_add_func ("/classic/prefixes", test_prefixes);
  g_test_add_func ("/classic/random", test_random);

  return g_test_run ();
}
