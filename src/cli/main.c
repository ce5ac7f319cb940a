/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "natter-cli"
#include "config.h"

#include <gio/gunixinputstream.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>

#include "natter-client.h"
#include "natter-id.h"

/* natter-cli: the assignment's client, on the Natter engine. Commands on
 * standard input, one per line; output on standard output, line by line. */

typedef struct
{
  NatterClient     *client;
  GMainLoop        *loop;
  GDataInputStream *input;
  GCancellable     *cancellable;
  int               status;
} Cli;

static void
say (const char *format,
     ...) G_GNUC_PRINTF (1, 2);

static void
say (const char *format,
     ...)
{
  va_list args;

  va_start (args, format);
  vfprintf (stdout, format, args);
  va_end (args);
  fputc ('\n', stdout);
  fflush (stdout);
}

static void
quit (Cli *cli,
      int  status)
{
  cli->status = status;
  g_cancellable_cancel (cli->cancellable);
  g_main_loop_quit (cli->loop);
}

static void
on_message_state (NatterMessage *message,
                  GParamSpec    *pspec,
                  NatterPeer    *peer)
{
  switch (natter_message_get_state (message))
    {
    case NATTER_MESSAGE_DELIVERED:
      say ("Delivered to %s via %s", natter_peer_get_id (peer),
           natter_path_kind_to_string (natter_peer_get_path (peer)));
      break;
    case NATTER_MESSAGE_FAILED:
      say ("Failed to deliver to %s: %s", natter_peer_get_id (peer),
           natter_peer_get_online (peer) ? "no acknowledgement within 30 seconds"
                                         : "the peer went off-line");
      break;
    case NATTER_MESSAGE_SENT:
      say ("Sent to %s (classic client: no receipt)", natter_peer_get_id (peer));
      break;
    default:
      /* queued again or on its way: the end is still to come */
      return;
    }
  g_signal_handlers_disconnect_by_func (message, on_message_state, peer);
}

static void
show_list (Cli *cli)
{
  GListModel *peers = natter_client_get_peers (cli->client);
  guint n = g_list_model_get_n_items (peers);

  if (natter_client_get_public_endpoint (cli->client) != NULL)
    say ("%s %s", natter_client_get_id (cli->client),
         natter_client_get_public_endpoint (cli->client));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(NatterPeer) peer = g_list_model_get_item (peers, i);

      /* the registered clients: not those only kept for their history */
      if (natter_peer_get_online (peer))
        say ("%s %s", natter_peer_get_id (peer), natter_peer_get_public_endpoint (peer));
    }
}

static void
show_status (Cli *cli)
{
  GListModel *peers = natter_client_get_peers (cli->client);
  guint n = g_list_model_get_n_items (peers);

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(NatterPeer) peer = g_list_model_get_item (peers, i);

      if (!natter_peer_get_online (peer))
        continue;
      say ("%s %s %s", natter_peer_get_id (peer),
           natter_path_kind_to_string (natter_peer_get_path (peer)),
           natter_peer_get_endpoint (peer));
    }
}

static void
chat (Cli        *cli,
      const char *args)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *id = NULL;
  const char *space = strchr (args, ' ');
  NatterMessage *message;
  NatterPeer *peer;

  if (space == NULL || space[1] == '\0')
    {
      say ("Usage: @chat ID TEXT");
      return;
    }
  id = g_strndup (args, space - args);
  message = natter_client_send_message (cli->client, id, space + 1, &error);
  if (message == NULL)
    {
      say ("%s", error->message);
      return;
    }
  peer = natter_client_lookup_peer (cli->client, id);
  switch (natter_message_get_state (message))
    {
    case NATTER_MESSAGE_SENT:
      say ("Sent to %s (classic client: no receipt)", natter_peer_get_id (peer));
      return;
    case NATTER_MESSAGE_QUEUED:
      say ("Queued for %s (%s)", natter_peer_get_id (peer),
           natter_peer_get_online (peer) ? "server unreachable" : "offline");
      break;
    default:
      break;
    }
  g_signal_connect_object (message, "notify::state", G_CALLBACK (on_message_state), peer, 0);
}

/* Messages an earlier run queued say when they are delivered, too. */
static void
watch_queued (NatterClient *client)
{
  GListModel *peers = natter_client_get_peers (client);

  for (guint i = 0; i < g_list_model_get_n_items (peers); i++)
    {
      g_autoptr(NatterPeer) peer = g_list_model_get_item (peers, i);
      GListModel *conversation = natter_peer_get_conversation (peer);

      /* what is still queued is among the newest */
      natter_peer_load_older (peer, 49);
      for (guint j = 0; j < g_list_model_get_n_items (conversation); j++)
        {
          g_autoptr(NatterMessage) message = g_list_model_get_item (conversation, j);

          if (natter_message_get_state (message) == NATTER_MESSAGE_QUEUED)
            g_signal_connect_object (message, "notify::state", G_CALLBACK (on_message_state),
                                     peer, 0);
        }
    }
}

/* "@history ID [N]": the last N messages (20 unless said), oldest first. */
static void
history (Cli        *cli,
         const char *args)
{
  g_autofree char *trimmed = g_strstrip (g_strdup (args));
  g_auto(GStrv) words = g_regex_split_simple ("\\s+", trimmed, 0, 0);
  g_autofree char *me = NULL;
  guint64 wanted = 20;
  NatterPeer *peer;
  GListModel *conversation;
  guint n;

  if (words[0] == NULL || *words[0] == '\0' ||
      (words[1] != NULL && (!g_ascii_string_to_unsigned (words[1], 10, 1, 100000, &wanted, NULL) ||
                            words[2] != NULL)))
    {
      say ("Usage: @history ID [N]");
      return;
    }
  peer = natter_client_lookup_peer (cli->client, words[0]);
  if (peer == NULL)
    {
      say ("There is no conversation with %s.", words[0]);
      return;
    }
  conversation = natter_peer_get_conversation (peer);
  while (g_list_model_get_n_items (conversation) < wanted &&
         natter_peer_load_older (peer, (guint) wanted - g_list_model_get_n_items (conversation)) > 0)
    ;
  n = g_list_model_get_n_items (conversation);
  for (guint i = n > wanted ? n - (guint) wanted : 0; i < n; i++)
    {
      g_autoptr(NatterMessage) message = g_list_model_get_item (conversation, i);
      g_autoptr(GDateTime) time = g_date_time_new_from_unix_local (natter_message_get_time (message) / 1000);
      g_autofree char *when = g_date_time_format (time, "%Y-%m-%d %H:%M:%S");
      gboolean incoming = natter_message_get_direction (message) == NATTER_MESSAGE_INCOMING;
      NatterMessageState state = natter_message_get_state (message);

      say ("%s %s: %s%s%s%s", when,
           incoming ? natter_peer_get_id (peer) : natter_client_get_id (cli->client),
           natter_message_get_text (message),
           incoming || state == NATTER_MESSAGE_DELIVERED ? "" : " (",
           incoming || state == NATTER_MESSAGE_DELIVERED ? "" : natter_message_state_to_string (state),
           incoming || state == NATTER_MESSAGE_DELIVERED ? "" : ")");
    }
}

static void
help (void)
{
  say ("@show_list          every registered client: ID ip:port");
  say ("@chat ID TEXT       send TEXT to ID");
  say ("@status             the path to each peer: ID PATH ENDPOINT");
  say ("@history ID [N]     the last N messages with ID (20 unless given)");
  say ("@exit               unregister and quit (end of input does the same)");
  say ("@help               this list");
}

static void read_next (Cli *cli);

static void
on_line (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  Cli *cli = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *line = NULL;
  gsize len = 0;

  line = g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM (source), result,
                                                   &len, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (line == NULL)
    {
      if (error != NULL)
        g_printerr ("natter-cli: cannot read input: %s\n", error->message);
      natter_client_stop (cli->client);
      quit (cli, 0);
      return;
    }
  g_strchomp (line);

  if (g_str_equal (line, "@exit"))
    {
      natter_client_stop (cli->client);
      quit (cli, 0);
      return;
    }
  if (g_str_equal (line, "@show_list"))
    show_list (cli);
  else if (g_str_equal (line, "@status"))
    show_status (cli);
  else if (g_str_has_prefix (line, "@chat "))
    chat (cli, line + strlen ("@chat "));
  else if (g_str_has_prefix (line, "@history ") || g_str_equal (line, "@history"))
    history (cli, line + strlen ("@history"));
  else if (g_str_equal (line, "@help"))
    help ();
  else if (*line != '\0')
    say ("Unknown command “%s”: try @help", line);
  read_next (cli);
}

static void
read_next (Cli *cli)
{
  g_data_input_stream_read_line_async (cli->input, G_PRIORITY_DEFAULT, cli->cancellable,
                                       on_line, cli);
}

static void
on_received (NatterClient  *client,
             NatterPeer    *peer,
             NatterMessage *message,
             Cli           *cli)
{
  say ("From %s [%s]", natter_peer_get_id (peer), natter_message_get_text (message));
}

static void
on_history_error (NatterClient *client,
                  const char   *message,
                  Cli          *cli)
{
  g_printerr ("natter-cli: %s\n", message);
}

static void
on_state (NatterClient *client,
          GParamSpec   *pspec,
          Cli          *cli)
{
  static gboolean was_online;
  const char *error = natter_client_get_error (client);

  switch (natter_client_get_state (client))
    {
    case NATTER_CLIENT_ONLINE:
      if (!was_online)
        read_next (cli);
      was_online = TRUE;
      break;
    case NATTER_CLIENT_ERROR:
      g_printerr ("natter-cli: %s\n", error != NULL ? error : "cannot connect");
      quit (cli, 1);
      break;
    case NATTER_CLIENT_RECONNECTING:
      if (!was_online)
        {
          g_printerr ("natter-cli: cannot reach the server %s: %s\n",
                      natter_client_get_server (client), error != NULL ? error : "no answer");
          natter_client_stop (client);
          quit (cli, 1);
        }
      else
        g_printerr ("natter-cli: reconnecting: %s\n", error != NULL ? error : "");
      break;
    default:
      break;
    }
}

/* Reads one line for the assignment's prompts, from the same buffered
 * stream the commands come from, so nothing typed ahead is lost. */
static char *
prompt (GDataInputStream *input,
        const char       *question)
{
  char *line;

  fputs (question, stdout);
  fflush (stdout);
  line = g_data_input_stream_read_line_utf8 (input, NULL, NULL, NULL);
  return line != NULL ? g_strstrip (line) : NULL;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GInputStream) stdin_stream = NULL;
  g_autoptr(GDataInputStream) input = NULL;
  g_autofree char *id = NULL;
  g_autofree char *server = NULL;
  g_autofree char *profile = NULL;
  g_autoptr(NatterStore) store = NULL;
  gint port = NATTER_CLIENT_DEFAULT_PORT;
  gint keepalive = 0;
  gboolean classic = FALSE;
  gboolean version = FALSE;
  Cli cli = { 0 };
  const GOptionEntry entries[] = {
    { "server", 's', 0, G_OPTION_ARG_STRING, &server, "Rendezvous server (default port 10080)", "HOST[:PORT]" },
    { "id", 'i', 0, G_OPTION_ARG_STRING, &id, "Your ID: 1 to 32 letters, digits, “-”, “_” or “.”", "ID" },
    { "port", 'p', 0, G_OPTION_ARG_INT, &port, "Local UDP port (default 10081, or a free one when taken; 0 for any)", "PORT" },
    { "classic", 0, 0, G_OPTION_ARG_NONE, &classic, "Speak the assignment's text protocol to its server.py", NULL },
    { "profile", 0, 0, G_OPTION_ARG_STRING, &profile, "Keep the history, shared with the app's profile of that name (“default” is the app's own)", "NAME" },
    { "keepalive", 'k', 0, G_OPTION_ARG_INT, &keepalive, "Keep-alive interval, overriding the server's", "SECONDS" },
    { "version", 0, 0, G_OPTION_ARG_NONE, &version, "Print the version and exit", NULL },
    { NULL }
  };

  setlocale (LC_ALL, "");
  context = g_option_context_new ("- chat with Natter from a terminal");
  g_option_context_set_description (context,
    "Commands: @show_list, @chat ID TEXT, @status, @history ID [N], @exit, @help");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("natter-cli: %s\n", error->message);
      return 2;
    }
  if (version)
    {
      say ("natter-cli %s", PACKAGE_VERSION);
      return 0;
    }
  if (port < 0 || port > 65535)
    {
      g_printerr ("natter-cli: --port must be between 0 and 65535\n");
      return 2;
    }
  if (keepalive < 0 || keepalive > 3600)
    {
      g_printerr ("natter-cli: --keepalive must be between 1 and 3600 seconds\n");
      return 2;
    }
  if (profile != NULL)
    {
      g_autofree char *path = NULL;

      /* the app's rule: the name is a folder's, and a settings path's */
      if (!g_regex_match_simple ("^[A-Za-z0-9_-]{1,32}$", profile, 0, 0))
        {
          g_printerr ("natter-cli: --profile is 1 to 32 letters, digits, “-” or “_”\n");
          return 2;
        }
      path = natter_store_profile_path (profile);
      store = natter_store_open (path, &error);
      if (store == NULL)
        {
          g_printerr ("natter-cli: cannot open the history: %s\n", error->message);
          return 1;
        }
    }
  stdin_stream = g_unix_input_stream_new (0, FALSE);
  input = g_data_input_stream_new (stdin_stream);
  cli.input = input;
  if (id == NULL && (id = prompt (cli.input, "Enter client ID: ")) == NULL)
    return 2;
  if (server == NULL && (server = prompt (cli.input, "Enter server IP address: ")) == NULL)
    return 2;
  if (!natter_id_validate (id, -1, &error))
    {
      g_printerr ("natter-cli: invalid ID “%s”: %s\n", id, error->message);
      return 2;
    }

  cli.loop = g_main_loop_new (NULL, FALSE);
  cli.cancellable = g_cancellable_new ();
  cli.client = natter_client_new (id, server, port, classic);
  if (keepalive > 0)
    natter_client_set_keepalive (cli.client, keepalive * 1000);
  if (store != NULL)
    {
      natter_client_set_history (cli.client, store);
      watch_queued (cli.client);
    }
  g_signal_connect (cli.client, "notify::state", G_CALLBACK (on_state), &cli);
  g_signal_connect (cli.client, "message-received", G_CALLBACK (on_received), &cli);
  g_signal_connect (cli.client, "history-error", G_CALLBACK (on_history_error), &cli);

  natter_client_start (cli.client);
  /* an error at once (a busy port) has been reported by on_state */
  if (natter_client_get_state (cli.client) != NATTER_CLIENT_ERROR)
    g_main_loop_run (cli.loop);

  natter_client_stop (cli.client);
  g_clear_object (&cli.client);
  g_clear_object (&cli.cancellable);
  g_main_loop_unref (cli.loop);
  return cli.status;
}
