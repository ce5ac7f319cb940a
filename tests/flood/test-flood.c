/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <signal.h>
#include <string.h>
#include <sys/prctl.h>

#include "natter-client.h"
#include "natter-test-util.h"

/* Ten real client engines register on the real natter-server and chat
 * while natter-flood throws hostile datagrams at the server from many
 * ports, as fast as the server takes them (--adaptive; any faster and the
 * kernel drops the clients' datagrams as much as the flood's, as
 * /flood/overload shows). Every client must stay registered and see every
 * other the whole time, every chat message must arrive exactly once, and
 * the server's memory must stay bounded. */

#define N_CLIENTS      10
#define FLOOD_SECONDS  20
/* what the server may grow by, in KiB; it keeps no state for anything the
 * flood sends, so growth comes only from buffers */
#define RSS_BOUND_KIB  (32 * 1024)
#define DELIVERY_MS    45000

typedef struct
{
  NatterClient *client;
  char         *id;
  GHashTable   *received;     /* text -> count */
  guint         left_online;  /* state changes away from online */
} Member;

typedef struct
{
  Member    members[N_CLIENTS];
  GPtrArray *sent;            /* NatterMessage */
  GPtrArray *sent_to;         /* receiver index, as pointers */
  guint      peers_missing;   /* samples in which someone lacked a peer */
  guint      samples;
  gint64     rss_peak_kib;
  guint      next_message;
} Flood;

static gint64
status_kib (const char *pid,
            const char *field)
{
  g_autofree char *path = g_strdup_printf ("/proc/%s/status", pid);
  g_autofree char *text = NULL;
  const char *line;

  if (pid == NULL || !g_file_get_contents (path, &text, NULL, NULL))
    return -1;
  line = strstr (text, field);
  if (line == NULL)
    return -1;
  return g_ascii_strtoll (line + strlen (field), NULL, 10);
}

/* Under AddressSanitizer the server's freed memory waits in a quarantine
 * of up to 256 MB before it is reused, so its size says nothing about
 * what the server keeps. */
static gboolean
sanitized (const char *pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%s/maps", pid);
  g_autofree char *maps = NULL;

  return g_file_get_contents (path, &maps, NULL, NULL) && strstr (maps, "libasan") != NULL;
}

static void
assert_memory_bounded (const char *pid,
                       gint64      rss_before,
                       gint64      rss_peak,
                       gint64      rss_after,
                       gint64      hwm_before,
                       gint64      hwm_after)
{
  if (sanitized (pid))
    {
      g_test_message ("the server runs under AddressSanitizer: its memory is not checked");
      return;
    }
  g_assert_cmpint (hwm_after - hwm_before, <, RSS_BOUND_KIB);
  g_assert_cmpint (rss_peak - rss_before, <, RSS_BOUND_KIB);
  g_assert_cmpint (rss_after - rss_before, <, RSS_BOUND_KIB);
}

static void
on_state (NatterClient *client,
          GParamSpec   *pspec,
          Member       *member)
{
  if (natter_client_get_state (client) != NATTER_CLIENT_ONLINE)
    {
      member->left_online++;
      g_test_message ("%s left the online state: %s (%s)", member->id,
                      natter_client_state_to_string (natter_client_get_state (client)),
                      natter_client_get_error (client));
    }
}

static void
on_received (NatterClient  *client,
             NatterPeer    *peer,
             NatterMessage *message,
             Member        *member)
{
  const char *text = natter_message_get_text (message);

  g_hash_table_insert (member->received, g_strdup (text),
                       GUINT_TO_POINTER (GPOINTER_TO_UINT (g_hash_table_lookup (member->received,
                                                                                text)) + 1));
}

static gboolean
all_online (gpointer data)
{
  Flood *flood = data;

  for (guint i = 0; i < N_CLIENTS; i++)
    if (natter_client_get_state (flood->members[i].client) != NATTER_CLIENT_ONLINE)
      return FALSE;
  return TRUE;
}

/* Everyone lists everyone else, online. */
static gboolean
all_see_all (gpointer data)
{
  Flood *flood = data;

  for (guint i = 0; i < N_CLIENTS; i++)
    for (guint j = 0; j < N_CLIENTS; j++)
      {
        NatterPeer *peer;

        if (i == j)
          continue;
        peer = natter_client_lookup_peer (flood->members[i].client, flood->members[j].id);
        if (peer == NULL || !natter_peer_get_online (peer))
          return FALSE;
      }
  return TRUE;
}

static void
send_one (Flood *flood)
{
  guint k = flood->next_message++;
  guint from = k % N_CLIENTS;
  guint to = (from + 1 + (k / N_CLIENTS) % (N_CLIENTS - 1)) % N_CLIENTS;
  g_autofree char *text = g_strdup_printf ("message %u from %s to %s", k,
                                           flood->members[from].id, flood->members[to].id);
  g_autoptr(GError) error = NULL;
  NatterMessage *message = natter_client_send_message (flood->members[from].client,
                                                       flood->members[to].id, text, &error);

  g_assert_no_error (error);
  g_ptr_array_add (flood->sent, g_object_ref (message));
  g_ptr_array_add (flood->sent_to, GUINT_TO_POINTER (to));
}

static gboolean
all_delivered (gpointer data)
{
  Flood *flood = data;

  for (guint i = 0; i < flood->sent->len; i++)
    {
      NatterMessage *message = flood->sent->pdata[i];
      Member *to = &flood->members[GPOINTER_TO_UINT (flood->sent_to->pdata[i])];

      if (natter_message_get_state (message) != NATTER_MESSAGE_DELIVERED ||
          !g_hash_table_contains (to->received, natter_message_get_text (message)))
        return FALSE;
    }
  return TRUE;
}

static void
sample (Flood            *flood,
        NatterTestServer *server)
{
  gint64 rss = status_kib (natter_test_server_pid (server), "VmRSS:");

  flood->samples++;
  flood->rss_peak_kib = MAX (flood->rss_peak_kib, rss);
  if (!all_see_all (flood))
    flood->peers_missing++;
}

static void
die_with_parent (gpointer data)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

static void
on_flooder_exit (GObject      *source,
                 GAsyncResult *result,
                 gpointer      data)
{
  gboolean *done = data;

  g_subprocess_wait_finish (G_SUBPROCESS (source), result, NULL);
  *done = TRUE;
}

/* A figure from the flooder's "FLOOD key=value ..." line. */
static gdouble
flood_figure (const char *output,
              const char *key)
{
  g_autofree char *wanted = g_strdup_printf (" %s=", key);
  const char *line = strstr (output, "FLOOD ");
  const char *at;

  g_assert_nonnull (line);
  at = strstr (line, wanted);
  g_assert_nonnull (at);
  return g_ascii_strtod (at + strlen (wanted), NULL);
}

static void
test_flood (void)
{
  const char *args[] = { "--timeout=6", "--keepalive=2", NULL };
  g_autoptr(NatterTestServer) server = natter_test_server_start (args);
  g_autofree char *address = g_strdup_printf ("127.0.0.1:%u", natter_test_server_port (server));
  g_autofree char *port_arg = g_strdup_printf ("--port=%u", natter_test_server_port (server));
  g_autofree char *seconds_arg = g_strdup_printf ("--seconds=%d", FLOOD_SECONDS);
  g_autofree char *ids_arg = NULL;
  g_autofree char *output = NULL;
  g_autoptr(GString) ids = g_string_new (NULL);
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) flooder = NULL;
  g_autoptr(GError) error = NULL;
  const char *flood_exe = g_getenv ("NATTER_FLOOD");
  const char *pid = natter_test_server_pid (server);
  Flood flood = { 0 };
  gint64 rss_before, hwm_before, rss_after, hwm_after, started, next_send, next_sample;
  gint64 flood_ms, settle_ms;
  gboolean flooder_done = FALSE;
  guint during_flood, received_total = 0;
  gdouble sent, seconds;

  g_assert_nonnull (flood_exe);
  flood.sent = g_ptr_array_new_with_free_func (g_object_unref);
  flood.sent_to = g_ptr_array_new ();

  /* the server drops a client after 6 s without a keep-alive, and a client
   * gives up on the server after 2 x 2 s and its retries: any stretch of
   * the flood that kept a client's keep-alives out would show */
  for (guint i = 0; i < N_CLIENTS; i++)
    {
      Member *m = &flood.members[i];

      m->id = g_strdup_printf ("c%u", i);
      m->received = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
      m->client = natter_client_new (m->id, address, 0, FALSE);
      g_signal_connect (m->client, "message-received", G_CALLBACK (on_received), m);
      natter_client_start (m->client);
      g_string_append_printf (ids, "%s%s", i > 0 ? "," : "", m->id);
    }
  g_assert_true (natter_test_wait_until (all_online, &flood, 20000));
  g_assert_true (natter_test_wait_until (all_see_all, &flood, 20000));
  for (guint i = 0; i < N_CLIENTS; i++)
    g_signal_connect (flood.members[i].client, "notify::state", G_CALLBACK (on_state),
                      &flood.members[i]);

  /* a round of chat first, so that every pair below has been introduced
   * or is being introduced under the flood */
  for (guint i = 0; i < N_CLIENTS; i++)
    send_one (&flood);
  g_assert_true (natter_test_wait_until (all_delivered, &flood, 20000));

  rss_before = status_kib (pid, "VmRSS:");
  hwm_before = status_kib (pid, "VmHWM:");
  g_assert_cmpint (rss_before, >, 0);
  flood.rss_peak_kib = rss_before;

  ids_arg = g_strdup_printf ("--ids=%s", ids->str);
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  /* the flooder stops by itself; it must not outlive a test that aborts */
  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  flooder = g_subprocess_launcher_spawn (launcher, &error, flood_exe, port_arg, seconds_arg,
                                         ids_arg, "--adaptive", NULL);
  g_assert_no_error (error);
  g_subprocess_wait_async (flooder, NULL, on_flooder_exit, &flooder_done);

  /* ten messages a second, round the ring of peers, while it lasts */
  started = g_get_monotonic_time ();
  next_send = next_sample = started;
  while (!flooder_done)
    {
      gint64 now = g_get_monotonic_time ();

      g_assert_cmpint (now - started, <, (FLOOD_SECONDS + 30) * G_TIME_SPAN_SECOND);
      if (now >= next_send)
        {
          send_one (&flood);
          next_send += 100 * G_TIME_SPAN_MILLISECOND;
        }
      if (now >= next_sample)
        {
          sample (&flood, server);
          next_sample += 250 * G_TIME_SPAN_MILLISECOND;
        }
      g_main_context_iteration (NULL, FALSE);
      g_usleep (500);
    }
  flood_ms = (g_get_monotonic_time () - started) / 1000;
  during_flood = flood.sent->len - N_CLIENTS;
  g_assert_true (g_subprocess_get_if_exited (flooder));
  g_assert_cmpint (g_subprocess_get_exit_status (flooder), ==, 0);
  g_subprocess_communicate_utf8 (flooder, NULL, NULL, &output, NULL, &error);
  g_assert_no_error (error);
  g_test_message ("%s", output);

  /* the retransmissions finish what the flood delayed */
  started = g_get_monotonic_time ();
  g_assert_true (natter_test_wait_until (all_delivered, &flood, DELIVERY_MS));
  settle_ms = (g_get_monotonic_time () - started) / 1000;
  sample (&flood, server);
  /* a second to let the server's buffers go quiet */
  {
    gint64 until = g_get_monotonic_time () + G_TIME_SPAN_SECOND;

    while (g_get_monotonic_time () < until)
      {
        g_main_context_iteration (NULL, FALSE);
        g_usleep (1000);
      }
  }
  rss_after = status_kib (pid, "VmRSS:");
  hwm_after = status_kib (pid, "VmHWM:");

  sent = flood_figure (output, "sent");
  seconds = flood_figure (output, "seconds");
  for (guint i = 0; i < N_CLIENTS; i++)
    received_total += g_hash_table_size (flood.members[i].received);
  g_test_message ("flood: %.0f datagrams in %.1f s, %.0f per second, %.0f dropped by the "
                  "kernel at the server's socket; %.0f answers (%.0f bytes to %.0f sent)",
                  sent, seconds, sent / seconds,
                  flood_figure (output, "drops"), flood_figure (output, "answers"),
                  flood_figure (output, "answer_bytes"), flood_figure (output, "sent_bytes"));
  g_test_message ("server memory: VmRSS %" G_GINT64_FORMAT " KiB before, %" G_GINT64_FORMAT
                  " KiB peak (sampled), %" G_GINT64_FORMAT " KiB after; VmHWM %" G_GINT64_FORMAT
                  " KiB before, %" G_GINT64_FORMAT " KiB after",
                  rss_before, flood.rss_peak_kib, rss_after, hwm_before, hwm_after);
  g_test_message ("chat: %u messages (%u during the %" G_GINT64_FORMAT " ms of flood), %u "
                  "received, all delivered %" G_GINT64_FORMAT " ms after the flood ended; %u "
                  "samples of the peer lists",
                  flood.sent->len, during_flood, flood_ms, received_total, settle_ms,
                  flood.samples);

  /* the flood happened, at a pace worth the name */
  g_assert_cmpfloat (seconds, >=, FLOOD_SECONDS - 1);
  g_assert_cmpfloat (sent / seconds, >, 5000);
  /* no amplification overall */
  g_assert_cmpfloat (flood_figure (output, "answer_bytes"), <, flood_figure (output, "sent_bytes"));

  /* every client stayed registered and saw everyone the whole time */
  for (guint i = 0; i < N_CLIENTS; i++)
    g_assert_cmpuint (flood.members[i].left_online, ==, 0);
  g_assert_cmpuint (flood.peers_missing, ==, 0);
  g_assert_cmpuint (flood.samples, >=, FLOOD_SECONDS * 2);
  g_assert_false (natter_test_server_has_line (server, "is off-line"));
  g_assert_false (natter_test_server_has_line (server, "is unregistered"));
  g_assert_false (natter_test_server_has_line (server, "moved from"));

  /* every message arrived exactly once, and nothing else did */
  g_assert_cmpuint (during_flood, >=, (FLOOD_SECONDS - 1) * 10 / 2);
  for (guint i = 0; i < flood.sent->len; i++)
    {
      Member *to = &flood.members[GPOINTER_TO_UINT (flood.sent_to->pdata[i])];
      const char *text = natter_message_get_text (flood.sent->pdata[i]);

      g_assert_cmpuint (GPOINTER_TO_UINT (g_hash_table_lookup (to->received, text)), ==, 1);
    }
  g_assert_cmpuint (received_total, ==, flood.sent->len);

  /* the server's memory stayed bounded */
  assert_memory_bounded (pid, rss_before, flood.rss_peak_kib, rss_after, hwm_before, hwm_after);

  for (guint i = 0; i < N_CLIENTS; i++)
    {
      g_signal_handlers_disconnect_by_data (flood.members[i].client, &flood.members[i]);
      natter_client_stop (flood.members[i].client);
      g_clear_object (&flood.members[i].client);
      g_hash_table_unref (flood.members[i].received);
      g_free (flood.members[i].id);
    }
  g_ptr_array_unref (flood.sent);
  g_ptr_array_unref (flood.sent_to);
  /* and it is still well: a clean exit */
  g_assert_cmpint (natter_test_server_stop (server), ==, 0);
}

/* Unthrottled, the flood outruns the server and the kernel drops most of
 * it at the server's socket. The server must come out of that as it went
 * in: bounded memory, and serving. */
static void
test_overload (void)
{
  g_autoptr(NatterTestServer) server = natter_test_server_start (NULL);
  g_autofree char *port_arg = g_strdup_printf ("--port=%u", natter_test_server_port (server));
  g_autofree char *output = NULL;
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) flooder = NULL;
  g_autoptr(NatterTestClient) late = NULL;
  g_autoptr(GError) error = NULL;
  const char *pid = natter_test_server_pid (server);
  gint64 rss_before, hwm_before, rss_after, hwm_after, rss_peak, started;
  gboolean flooder_done = FALSE;
  gdouble sent, seconds;

  rss_before = rss_peak = status_kib (pid, "VmRSS:");
  hwm_before = status_kib (pid, "VmHWM:");
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  flooder = g_subprocess_launcher_spawn (launcher, &error, g_getenv ("NATTER_FLOOD"), port_arg,
                                         "--seconds=6", "--ids=alice,bob", NULL);
  g_assert_no_error (error);
  g_subprocess_wait_async (flooder, NULL, on_flooder_exit, &flooder_done);
  started = g_get_monotonic_time ();
  while (!flooder_done)
    {
      g_assert_cmpint (g_get_monotonic_time () - started, <, 40 * G_TIME_SPAN_SECOND);
      rss_peak = MAX (rss_peak, status_kib (pid, "VmRSS:"));
      g_main_context_iteration (NULL, FALSE);
      g_usleep (50 * 1000);
    }
  g_assert_cmpint (g_subprocess_get_exit_status (flooder), ==, 0);
  g_subprocess_communicate_utf8 (flooder, NULL, NULL, &output, NULL, &error);
  g_assert_no_error (error);

  /* it still serves, at once */
  late = natter_test_client_new ("127.0.0.1", natter_test_server_port (server));
  g_assert_true (natter_test_client_register (late, "late"));
  rss_after = status_kib (pid, "VmRSS:");
  hwm_after = status_kib (pid, "VmHWM:");

  sent = flood_figure (output, "sent");
  seconds = flood_figure (output, "seconds");
  g_test_message ("overload: %.0f datagrams in %.1f s, %.0f per second, %.0f (%.0f %%) dropped "
                  "by the kernel at the server's socket; %.0f answers (%.0f bytes to %.0f sent)",
                  sent, seconds, sent / seconds, flood_figure (output, "drops"),
                  100 * flood_figure (output, "drops") / sent, flood_figure (output, "answers"),
                  flood_figure (output, "answer_bytes"), flood_figure (output, "sent_bytes"));
  g_test_message ("server memory: VmRSS %" G_GINT64_FORMAT " KiB before, %" G_GINT64_FORMAT
                  " KiB peak (sampled), %" G_GINT64_FORMAT " KiB after; VmHWM %" G_GINT64_FORMAT
                  " KiB before, %" G_GINT64_FORMAT " KiB after",
                  rss_before, rss_peak, rss_after, hwm_before, hwm_after);

  g_assert_cmpfloat (sent / seconds, >, 5000);
  g_assert_cmpfloat (flood_figure (output, "answer_bytes"), <, flood_figure (output, "sent_bytes"));
  assert_memory_bounded (pid, rss_before, rss_peak, rss_after, hwm_before, hwm_after);
  g_assert_cmpint (natter_test_server_stop (server), ==, 0);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/flood/clients-unaffected", test_flood);
  g_test_add_func ("/flood/overload", test_overload);

  return g_test_run ();
}
