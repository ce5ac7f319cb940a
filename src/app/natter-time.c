/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "natter-time.h"

/* How long the local time zone is trusted before it is looked up again. */
#define ZONE_LIFETIME_US G_USEC_PER_SEC

/* Without TZ in the environment, GLib reads and parses /etc/localtime
 * again for every local GDateTime, and binding a list row makes several:
 * the zone is kept for a second instead, which still follows a change of
 * the system's time zone. */
static GTimeZone *
local_zone (void)
{
  static GTimeZone *zone;
  static gint64 expires;
  gint64 now = g_get_monotonic_time ();

  if (zone == NULL || now >= expires)
    {
      g_clear_pointer (&zone, g_time_zone_unref);
      zone = g_time_zone_new_local ();
      expires = now + ZONE_LIFETIME_US;
    }
  return zone;
}

/* The local time of a time in ms since 1970; NULL if out of range. */
GDateTime *
natter_local_time (gint64 time_ms)
{
  /* floor, not truncate: a time just before 1970 is still the day before */
  gint64 seconds = time_ms >= 0 ? time_ms / 1000 : -((-time_ms + 999) / 1000);
  g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc (seconds);

  if (utc == NULL)
    return NULL;
  return g_date_time_to_timezone (utc, local_zone ());
}

GDateTime *
natter_local_now (void)
{
  return g_date_time_new_now (local_zone ());
}
