/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Writes a conversation into a history file, as the client would have:
 *
 *   make-history FILE SERVER PEER N [--unread=U] [--queued=Q]
 *
 * N messages, alternately from the peer and to it, one a minute up to now,
 * of varied lengths (every 1000th mentions "needle N"); the last U
 * incoming ones unread, the last Q outgoing ones still queued. For the
 * paging benchmark and the app's screenshots. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "natter-store.h"

static const char * const words[] = {
  "the", "plan", "works", "across", "every", "NAT", "we", "tried", "today", "lunch",
  "tomorrow", "sounds", "good", "punching", "through", "is", "fun", "안녕하세요", "relay",
  "server", "back", "online", "see", "you", "soon", "café", "at", "noon",
};

static char *
text_for (guint64 i)
{
  GString *text = g_string_new (NULL);
  guint n = 2 + (guint) (i * 7919 % 23);

  if (i % 1000 == 0)
    g_string_append_printf (text, "needle %" G_GUINT64_FORMAT " ", i);
  for (guint w = 0; w < n; w++)
    g_string_append_printf (text, "%s%s", w > 0 ? " " : "",
                            words[(i * 31 + w * 17) % G_N_ELEMENTS (words)]);
  return g_string_free (text, FALSE);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NatterStore) store = NULL;
  gint unread = 0, queued = 0;
  GOptionEntry entries[] = {
    { "unread", 0, 0, G_OPTION_ARG_INT, &unread, "Incoming messages not read yet", "U" },
    { "queued", 0, 0, G_OPTION_ARG_INT, &queued, "Outgoing messages still queued", "Q" },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("FILE SERVER PEER N");
  guint64 n;
  gint64 row, now = g_get_real_time () / 1000;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error) || argc != 5 ||
      !g_ascii_string_to_unsigned (argv[4], 10, 1, 10000000, &n, NULL))
    {
      g_printerr ("usage: make-history FILE SERVER PEER N [--unread=U] [--queued=Q]\n");
      return 2;
    }
  store = natter_store_open (argv[1], &error);
  if (store == NULL || (row = natter_store_peer_row (store, argv[2], argv[3], &error)) == 0 ||
      !natter_store_begin (store, &error))
    {
      g_printerr ("make-history: %s\n", error->message);
      return 1;
    }
  for (guint64 i = 1; i <= n; i++)
    {
      gboolean incoming = i % 2 == 1;
      guint64 from_end = n - i;
      NatterMessageState state = incoming ? NATTER_MESSAGE_RECEIVED : NATTER_MESSAGE_DELIVERED;
      g_autofree char *text = text_for (i);
      g_autoptr(NatterMessage) message = NULL;

      if (!incoming && from_end < (guint64) queued * 2)
        state = NATTER_MESSAGE_QUEUED;
      message = natter_message_new (g_random_int () | (guint64) g_random_int () << 32,
                                    incoming ? NATTER_MESSAGE_INCOMING : NATTER_MESSAGE_OUTGOING,
                                    text, now - (gint64) (n - i) * 60000, state);
      if (!natter_store_add_message (store, row, message, 0, 0, NULL, &error))
        {
          g_printerr ("make-history: %s\n", error->message);
          return 1;
        }
      if (incoming && from_end < (guint64) unread * 2 && from_end + 2 >= (guint64) unread * 2)
        natter_store_set_unread (store, row, unread, natter_message_get_id (message), NULL);
    }
  if (!natter_store_commit (store, &error))
    {
      g_printerr ("make-history: %s\n", error->message);
      return 1;
    }
  printf ("%" G_GUINT64_FORMAT " messages with %s on %s in %s\n", n, argv[3], argv[2], argv[1]);
  return 0;
}
