/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>
#include <locale.h>
#include <string.h>

#include "natter-application.h"

/* The profile decides which application this is (its own settings, data
 * and uniqueness), so it is read before GApplication parses the rest. */
static char *
find_profile (int    argc,
              char **argv)
{
  for (int i = 1; i < argc; i++)
    {
      if (g_str_has_prefix (argv[i], "--profile="))
        return g_strdup (argv[i] + strlen ("--profile="));
      if (g_str_equal (argv[i], "--profile") && i + 1 < argc)
        return g_strdup (argv[i + 1]);
    }
  return NULL;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(NatterApplication) app = NULL;
  g_autofree char *profile = NULL;

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  profile = find_profile (argc, argv);
  if (profile != NULL && !g_regex_match_simple ("^[A-Za-z0-9_-]{1,32}$", profile, 0, 0))
    {
      g_printerr (_("natter: a profile name is 1 to 32 letters, digits, “-” or “_”\n"));
      return 2;
    }
  g_set_application_name (_("Natter"));
  app = natter_application_new (profile);
  return g_application_run (G_APPLICATION (app), argc, argv);
}
