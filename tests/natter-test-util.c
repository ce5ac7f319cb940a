/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <signal.h>
#include <sys/prctl.h>
#include <string.h>

#include "natter-test-lines.h"
#include "natter-test-util.h"

struct _NatterTestServer
{
  GSubprocess     *process;
  NatterTestLines *log;
  guint16          port;
};

gboolean
natter_test_wait_until (NatterTestCondition condition,
                        gpointer            data,
                        guint               timeout_ms)
{
  gint64 end = g_get_monotonic_time () + timeout_ms * G_TIME_SPAN_MILLISECOND;

  while (!condition (data))
    {
      if (g_get_monotonic_time () > end)
        return FALSE;
      g_main_context_iteration (NULL, FALSE);
      g_usleep (500);
    }
  return TRUE;
}

static void
die_with_parent (gpointer data)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

NatterTestServer *
natter_test_server_start_on (guint16             port,
                             const char * const *extra_args)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autofree char *line = NULL;
  NatterTestServer *server = g_new0 (NatterTestServer, 1);
  const char *exe = g_getenv ("NATTER_SERVER");

  g_assert_nonnull (exe);
  g_ptr_array_add (argv, g_strdup (exe));
  g_ptr_array_add (argv, g_strdup_printf ("--port=%u", port));
  g_ptr_array_add (argv, g_strdup ("--bind=127.0.0.1"));
  for (guint i = 0; extra_args != NULL && extra_args[i] != NULL; i++)
    g_ptr_array_add (argv, g_strdup (extra_args[i]));
  g_ptr_array_add (argv, NULL);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDERR_PIPE);
  /* a test that aborts must not leave its server running */
  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  server->process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata,
                                                  &error);
  g_assert_no_error (error);
  server->log = natter_test_lines_new (g_subprocess_get_stderr_pipe (server->process),
                                       "NATTER_TEST_SHOW_SERVER", "server: ");

  line = natter_test_lines_find (server->log, "listening on UDP", 10000);
  g_assert_nonnull (line);
  server->port = (guint16) g_ascii_strtoull (strstr (line, " port ") + 6, NULL, 10);
  g_assert_cmpuint (server->port, >, 0);
  return server;
}

NatterTestServer *
natter_test_server_start (const char * const *extra_args)
{
  return natter_test_server_start_on (0, extra_args);
}

guint16
natter_test_server_port (NatterTestServer *server)
{
  return server->port;
}

gboolean
natter_test_server_wait_line (NatterTestServer *server,
                              const char       *text,
                              guint             timeout_ms)
{
  g_autofree char *line = natter_test_lines_find (server->log, text, timeout_ms);

  return line != NULL;
}

gboolean
natter_test_server_has_line (NatterTestServer *server,
                             const char       *text)
{
  return natter_test_lines_count (server->log, text) > 0;
}

const char *
natter_test_server_pid (NatterTestServer *server)
{
  return g_subprocess_get_identifier (server->process);
}

int
natter_test_server_stop (NatterTestServer *server)
{
  if (server->process == NULL)
    return -1;
  g_subprocess_send_signal (server->process, SIGTERM);
  natter_test_lines_wait_end (server->log, 10000);
  if (!g_subprocess_wait (server->process, NULL, NULL))
    return -1;
  return g_subprocess_get_if_exited (server->process)
           ? g_subprocess_get_exit_status (server->process) : -1;
}

/* Ends process (if it still runs) and what reads its output. */
static void
end_child (GSubprocess      **process,
           NatterTestLines  **lines)
{
  if (*process != NULL)
    {
      g_subprocess_force_exit (*process);
      g_subprocess_wait (*process, NULL, NULL);
    }
  g_clear_pointer (lines, natter_test_lines_free);
  g_clear_object (process);
}

void
natter_test_server_free (NatterTestServer *server)
{
  if (server == NULL)
    return;
  end_child (&server->process, &server->log);
  g_free (server);
}

struct _NatterTestCli
{
  GSubprocess     *process;
  NatterTestLines *output;
  GOutputStream   *input;
};

NatterTestCli *
natter_test_cli_start (guint16     server_port,
                       const char *id)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *server_arg = g_strdup_printf ("--server=127.0.0.1:%u", server_port);
  g_autofree char *id_arg = g_strdup_printf ("--id=%s", id);
  g_autofree char *exe = NULL;
  g_autofree char *server_dir = NULL;
  NatterTestCli *cli = g_new0 (NatterTestCli, 1);
  const char *server_exe = g_getenv ("NATTER_SERVER");

  /* natter-cli sits beside natter-server in the build tree */
  g_assert_nonnull (server_exe);
  server_dir = g_path_get_dirname (server_exe);
  exe = g_build_filename (server_dir, "..", "cli", "natter-cli", NULL);
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE |
                                        G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  cli->process = g_subprocess_launcher_spawn (launcher, &error, exe, server_arg, id_arg,
                                              "--port=0", NULL);
  g_assert_no_error (error);
  cli->input = g_object_ref (g_subprocess_get_stdin_pipe (cli->process));
  cli->output = natter_test_lines_new (g_subprocess_get_stdout_pipe (cli->process), NULL, NULL);
  return cli;
}

void
natter_test_cli_send (NatterTestCli *cli,
                      const char    *line)
{
  g_autofree char *text = g_strconcat (line, "\n", NULL);
  g_autoptr(GError) error = NULL;

  g_output_stream_write_all (cli->input, text, strlen (text), NULL, NULL, &error);
  g_assert_no_error (error);
  g_output_stream_flush (cli->input, NULL, NULL);
}

gboolean
natter_test_cli_has_line (NatterTestCli *cli,
                          const char    *text)
{
  return natter_test_lines_count (cli->output, text) > 0;
}

void
natter_test_cli_free (NatterTestCli *cli)
{
  if (cli == NULL)
    return;
  g_output_stream_close (cli->input, NULL, NULL);
  g_clear_object (&cli->input);
  end_child (&cli->process, &cli->output);
  g_free (cli);
}

NatterTestClient *
natter_test_client_new (const char *address,
                        guint16     server_port)
{
  NatterTestClient *client = g_new0 (NatterTestClient, 1);
  g_autoptr(GInetAddress) inet = g_inet_address_new_from_string (address);
  g_autoptr(GSocketAddress) local = g_inet_socket_address_new (inet, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GError) error = NULL;

  client->socket = g_socket_new (g_inet_address_get_family (inet), G_SOCKET_TYPE_DATAGRAM,
                                 G_SOCKET_PROTOCOL_UDP, &error);
  g_assert_no_error (error);
  g_socket_bind (client->socket, local, FALSE, &error);
  g_assert_no_error (error);
  bound = g_socket_get_local_address (client->socket, &error);
  g_assert_no_error (error);
  natter_endpoint_from_sockaddr (&client->local, bound);
  client->server = g_inet_socket_address_new (inet, server_port);
  client->peers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  return client;
}

void
natter_test_client_free (NatterTestClient *client)
{
  if (client == NULL)
    return;
  g_clear_object (&client->socket);
  g_clear_object (&client->server);
  g_clear_pointer (&client->peers, g_hash_table_unref);
  g_free (client->id);
  g_free (client->last_error);
  g_free (client);
}

void
natter_test_client_send_raw (NatterTestClient *client,
                             const void       *data,
                             gsize             len)
{
  g_autoptr(GError) error = NULL;

  g_socket_send_to (client->socket, client->server, data, len, NULL, &error);
  g_assert_no_error (error);
}

void
natter_test_client_send (NatterTestClient *client,
                         GBytes           *datagram)
{
  g_assert_nonnull (datagram);
  natter_test_client_send_raw (client, g_bytes_get_data (datagram, NULL),
                               g_bytes_get_size (datagram));
  g_bytes_unref (datagram);
}

GBytes *
natter_test_client_recv (NatterTestClient *client,
                         guint             timeout_ms)
{
  guint8 buf[2048];
  g_autoptr(GError) error = NULL;
  gssize n;

  if (!g_socket_condition_timed_wait (client->socket, G_IO_IN,
                                      (gint64) timeout_ms * 1000, NULL, NULL))
    return NULL;
  n = g_socket_receive (client->socket, (char *) buf, sizeof buf, NULL, &error);
  if (n < 0)
    return NULL;
  return g_bytes_new (buf, n);
}

static void
apply (NatterTestClient *client,
       NatterMsg        *msg)
{
  if (msg->type == NATTER_MSG_LIST)
    {
      for (guint i = 0; i < msg->peers->len; i++)
        {
          NatterPeerInfo *p = &g_array_index (msg->peers, NatterPeerInfo, i);

          g_hash_table_insert (client->peers, g_strdup (p->id),
                               g_memdup2 (&p->public_endpoint, sizeof (NatterEndpoint)));
        }
      client->version = msg->version;
    }
  else if (msg->type == NATTER_MSG_EVENTS)
    {
      for (guint i = 0; i < msg->events->len; i++)
        {
          NatterEvent *e = &g_array_index (msg->events, NatterEvent, i);

          /* the server sends every version in order, once */
          g_assert_cmpuint (e->version, ==, client->version + 1);
          client->version = e->version;
          if (e->kind == NATTER_EVENT_LEAVE || e->kind == NATTER_EVENT_TIMEOUT)
            g_hash_table_remove (client->peers, e->peer.id);
          else
            g_hash_table_insert (client->peers, g_strdup (e->peer.id),
                                 g_memdup2 (&e->peer.public_endpoint, sizeof (NatterEndpoint)));
        }
    }
}

gboolean
natter_test_client_expect (NatterTestClient *client,
                           NatterMsgType     type,
                           guint             timeout_ms,
                           NatterMsg        *msg)
{
  gint64 end = g_get_monotonic_time () + timeout_ms * G_TIME_SPAN_MILLISECOND;

  for (;;)
    {
      gint64 left = (end - g_get_monotonic_time ()) / 1000;
      g_autoptr(GBytes) datagram = NULL;

      if (left <= 0)
        return FALSE;
      datagram = natter_test_client_recv (client, left);
      if (datagram == NULL)
        return FALSE;
      if (!natter_msg_parse (msg, g_bytes_get_data (datagram, NULL),
                             g_bytes_get_size (datagram), NULL))
        continue;
      apply (client, msg);
      if (msg->type == NATTER_MSG_ERROR)
        {
          client->last_error_code = msg->code;
          g_free (client->last_error);
          client->last_error = g_strdup (msg->reason);
        }
      if (msg->type == type)
        return TRUE;
      natter_msg_clear (msg);
    }
}

static GBytes *
register_request (const char         *id,
                  const guint8       *cookie,
                  gsize               cookie_len)
{
  GVariantBuilder b;
  guint8 pad[NATTER_WIRE_REGISTER_MIN_SIZE] = { 0 };

  g_variant_builder_init (&b, G_VARIANT_TYPE_VARDICT);
  natter_wire_add_string (&b, "id", id);
  if (cookie != NULL)
    natter_wire_add_bytes (&b, "ck", cookie, cookie_len);
  natter_wire_add_bytes (&b, "pad", pad, sizeof pad);
  return natter_wire_encode (NATTER_MSG_REGISTER, g_variant_builder_end (&b));
}

gboolean
natter_test_client_register (NatterTestClient *client,
                             const char       *id)
{
  g_auto(NatterMsg) cookie = { 0 };
  g_auto(NatterMsg) welcome = { 0 };
  guint parts_seen = 0;
  guint parts = 1;

  natter_test_client_send (client, register_request (id, NULL, 0));
  if (!natter_test_client_expect (client, NATTER_MSG_COOKIE, 5000, &cookie))
    return FALSE;
  natter_test_client_send (client, register_request (id, cookie.cookie, cookie.cookie_len));
  if (!natter_test_client_expect (client, NATTER_MSG_WELCOME, 5000, &welcome))
    return FALSE;
  g_free (client->id);
  client->id = g_strdup (welcome.id);
  memcpy (client->token, welcome.token, NATTER_WIRE_TOKEN_SIZE);
  while (parts_seen < parts)
    {
      g_auto(NatterMsg) list = { 0 };

      if (!natter_test_client_expect (client, NATTER_MSG_LIST, 5000, &list))
        return FALSE;
      parts = list.parts;
      parts_seen++;
    }
  return TRUE;
}

void
natter_test_client_request (NatterTestClient *client,
                            NatterMsgType     type,
                            const char       *to,
                            const guint8     *data,
                            gsize             data_len)
{
  natter_test_client_send (client, natter_wire_auth_request (type, client->id, client->token,
                                                             to, data, data_len,
                                                             client->version));
}
