/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "natter-server"
#include "config.h"

#include <glib-unix.h>
#include <locale.h>
#include <stdio.h>

#include "natter-log.h"
#include "natter-server.h"

typedef struct
{
  GMainLoop    *loop;
  NatterServer *server;
} Context;

static gboolean
on_signal (gpointer user_data)
{
  Context *ctx = user_data;

  g_message ("shutting down: telling %u clients",
             natter_registry_size (natter_core_get_registry (natter_server_get_core (ctx->server))));
  natter_server_shutdown (ctx->server);
  g_main_loop_quit (ctx->loop);
  return G_SOURCE_REMOVE;
}

static void
log_stats (NatterServer *server)
{
  const NatterCoreStats *s = natter_core_get_stats (natter_server_get_core (server));

  g_debug ("datagrams: %" G_GUINT64_FORMAT " received (%" G_GUINT64_FORMAT " native, %"
           G_GUINT64_FORMAT " classic, %" G_GUINT64_FORMAT " STUN), %" G_GUINT64_FORMAT
           " sent; dropped: %" G_GUINT64_FORMAT " invalid, %" G_GUINT64_FORMAT " malformed, %"
           G_GUINT64_FORMAT " wrong version, %" G_GUINT64_FORMAT " unknown type, %"
           G_GUINT64_FORMAT " unauthenticated, %" G_GUINT64_FORMAT " rate-limited, %"
           G_GUINT64_FORMAT " replies suppressed; %" G_GUINT64_FORMAT " relayed",
           s->received, s->native, s->classic, s->stun, s->sent, s->invalid, s->malformed,
           s->bad_version, s->unknown_type, s->unauthenticated, s->rate_limited,
           s->suppressed, s->relayed);
}

static gboolean
fail_usage (GOptionContext *context,
            const char     *message)
{
  g_printerr ("natter-server: %s\n", message);
  g_printerr ("Try “natter-server --help” for the options.\n");
  return FALSE;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(NatterServer) server = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  g_autofree char *bind_address = NULL;
  gint port = 10080;
  gint timeout = 30;
  gint keepalive = 0;
  gint max_peers = 100000;
  gint classic_rate = NATTER_CLASSIC_RATE_DEFAULT;
  gint register_rate = NATTER_REGISTER_RATE_DEFAULT;
  gboolean no_relay = FALSE;
  gboolean no_classic = FALSE;
  gboolean verbose = FALSE;
  gboolean version = FALSE;
  NatterCoreConfig config;
  Context ctx;
  const GOptionEntry entries[] = {
    { "port", 'p', 0, G_OPTION_ARG_INT, &port, "UDP port to listen on (default 10080; 0 picks a free one)", "PORT" },
    { "bind", 'b', 0, G_OPTION_ARG_STRING, &bind_address, "Listen on this address only (default: every IPv4 and IPv6 address)", "ADDRESS" },
    { "timeout", 't', 0, G_OPTION_ARG_INT, &timeout, "Drop a client after this many seconds of silence (default 30)", "SECONDS" },
    { "keepalive", 'k', 0, G_OPTION_ARG_INT, &keepalive, "Keep-alive interval to ask of clients (default 10, at most a third of the time-out)", "SECONDS" },
    { "max-peers", 'm', 0, G_OPTION_ARG_INT, &max_peers, "Most clients registered at once (default 100000)", "N" },
    { "no-relay", 0, 0, G_OPTION_ARG_NONE, &no_relay, "Do not relay chat between clients that cannot reach each other", NULL },
    { "no-classic", 0, 0, G_OPTION_ARG_NONE, &no_classic, "Ignore the assignment's text protocol", NULL },
    { "classic-rate", 0, 0, G_OPTION_ARG_INT, &classic_rate, "Most classic list datagrams per second to one address (default 2000)", "N" },
    { "register-rate", 0, 0, G_OPTION_ARG_INT, &register_rate, "Most native registrations per second from one address, in bursts of ten times that (default 50)", "N" },
    { "verbose", 'v', 0, G_OPTION_ARG_NONE, &verbose, "Log every request and drop", NULL },
    { "version", 0, 0, G_OPTION_ARG_NONE, &version, "Print the version and exit", NULL },
    { NULL }
  };

  setlocale (LC_ALL, "");

  context = g_option_context_new ("- the Natter rendezvous server");
  g_option_context_set_summary (context,
    "Lets Natter clients register a name, tells everyone who is online, and\n"
    "introduces clients to each other so they can punch through their NATs.");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    return fail_usage (context, error->message), 2;
  if (version)
    {
      g_print ("natter-server %s\n", PACKAGE_VERSION);
      return 0;
    }
  if (argc > 1)
    return fail_usage (context, "unexpected argument"), 2;
  if (port < 0 || port > 65535)
    return fail_usage (context, "--port must be between 0 and 65535"), 2;
  if (timeout < 1 || timeout > 86400)
    return fail_usage (context, "--timeout must be between 1 and 86400 seconds"), 2;
  if (max_peers < 1 || max_peers > 1000000)
    return fail_usage (context, "--max-peers must be between 1 and 1000000"), 2;
  if (classic_rate < 1 || classic_rate > 1000000)
    return fail_usage (context, "--classic-rate must be between 1 and 1000000"), 2;
  if (register_rate < 1 || register_rate > 1000000)
    return fail_usage (context, "--register-rate must be between 1 and 1000000"), 2;
  if (keepalive < 0 || keepalive > timeout / 3)
    return fail_usage (context, "--keepalive must be at most a third of --timeout"), 2;

  natter_log_init ("natter-server", verbose);

  natter_core_config_init (&config);
  config.max_peers = max_peers;
  config.timeout_ms = timeout * 1000;
  /* three keep-alives fit in a time-out, so one lost datagram is harmless */
  config.interval_ms = keepalive > 0 ? (guint32) keepalive * 1000 : MIN (10000u, config.timeout_ms / 3);
  config.relay = !no_relay;
  config.classic = !no_classic;
  config.classic_rate = classic_rate;
  config.register_rate = register_rate;

  server = natter_server_new (&config, bind_address, port, &error);
  if (server == NULL)
    {
      g_printerr ("natter-server: cannot listen on UDP port %d: %s\n", port, error->message);
      return 1;
    }
  g_message ("natter-server %s listening on UDP %s", PACKAGE_VERSION,
             natter_server_describe (server));

  loop = g_main_loop_new (NULL, FALSE);
  ctx.loop = loop;
  ctx.server = server;
  g_unix_signal_add (SIGINT, on_signal, &ctx);
  g_unix_signal_add (SIGTERM, on_signal, &ctx);
  g_main_loop_run (loop);

  log_stats (server);
  return 0;
}
