/* SPDX-License-Identifier: GPL-3.0-or-later */
/* One run of the real NatterApplication in this process: the time to its
 * first frame, or its frames while a list is scrolled, one step per frame
 * from a tick callback, timed on the window's GdkFrameClock. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <gtk/gtk.h>

#include "bench-app.h"
#include "natter-application.h"
#include "natter-conversation-view.h"
#include "natter-window.h"

#define SETTLE_US (1000 * G_USEC_PER_SEC / 1000)
#define WATCHDOG_S 120
/* frames at the end of the sidebar before the run stops: the list may
 * still correct its estimated height there */
#define END_FRAMES 5

typedef struct
{
  gint64 start;       /* before-paint */
  gint64 layout_end;  /* after the window's layout */
  gint64 paint_end;   /* after the window's paint */
  gint64 end;         /* after-paint */
  guint  items;       /* in the scrolled list when the frame ended */
  gboolean skip;      /* the screenshot was taken in it */
} Frame;

typedef enum
{
  PHASE_WAIT_ONLINE,
  PHASE_SETTLE,
  PHASE_SCROLL,
  PHASE_DONE,
} Phase;

typedef struct
{
  const BenchRunOptions *options;
  NatterApplication     *app;
  NatterWindow          *window;
  GdkFrameClock         *clock;
  gint64                 main_us;
  gint64                 startup_us;
  gint64                 activate_us;
  gint64                 first_paint_us;
  gint64                 first_paint_boot_us;
  gsize                  rss_startup;
  gsize                  rss_activate;
  gsize                  rss_first_paint;
  Phase                  phase;
  gint64                 settle_until;
  guint                  poll_id;
  GtkWidget             *scroll_widget;
  GtkAdjustment         *adjustment;
  GListModel            *items;        /* what the scrolled list shows */
  gboolean               recording;
  gboolean               stop_after_frame;
  Frame                  current;
  GArray                *frames;
  guint                  ticks;
  guint                  at_end;
  guint                  stalled;
  guint                  items_before;
  gsize                  rss_settled;
  gsize                  rss_after;
  gboolean               screenshot_taken;
  int                    status;
} Run;

gsize
bench_status_kib (const char *field)
{
  g_autofree char *status = NULL;
  g_autofree char *key = g_strdup_printf ("\n%s:", field);
  const char *line;

  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL) ||
      (line = strstr (status, key)) == NULL)
    return 0;
  return (gsize) g_ascii_strtoull (line + strlen (key), NULL, 10);
}

static gint64
boottime_us (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_BOOTTIME, &ts);
  return (gint64) ts.tv_sec * G_USEC_PER_SEC + ts.tv_nsec / 1000;
}

/* The kernel's start time of this process (field 22 of /proc/self/stat,
 * clock ticks since boot), in µs of CLOCK_BOOTTIME; 0 if unknown. */
static gint64
process_start_boot_us (void)
{
  g_autofree char *stat = NULL;
  g_auto(GStrv) fields = NULL;
  const char *rest;

  if (!g_file_get_contents ("/proc/self/stat", &stat, NULL, NULL) ||
      (rest = strrchr (stat, ')')) == NULL)
    return 0;
  /* after the command name: field 3 (state) onwards */
  fields = g_strsplit (rest + 2, " ", 0);
  if (g_strv_length (fields) < 20)
    return 0;
  return (gint64) (g_ascii_strtoull (fields[19], NULL, 10) * G_USEC_PER_SEC /
                   (guint64) sysconf (_SC_CLK_TCK));
}

int
bench_compare_doubles (gconstpointer a,
                       gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y;
}

static double
percentile (GArray *sorted,
            double  p)
{
  guint i;

  if (sorted->len == 0)
    return 0;
  /* nearest rank */
  i = (guint) (p / 100.0 * sorted->len + 0.999999);
  return g_array_index (sorted, double, CLAMP (i, 1, sorted->len) - 1);
}

static void
print_series (const char *name,
              GArray     *values,
              double      over_ms)
{
  guint over = 0;

  g_array_sort (values, bench_compare_doubles);
  for (guint i = 0; i < values->len; i++)
    if (g_array_index (values, double, i) > over_ms)
      over++;
  printf ("%s_p50=%.2f\n%s_p95=%.2f\n%s_p99=%.2f\n%s_max=%.2f\n%s_over=%u\n",
          name, percentile (values, 50), name, percentile (values, 95),
          name, percentile (values, 99), name,
          values->len > 0 ? g_array_index (values, double, values->len - 1) : 0.0,
          name, over);
}

static int
compare_work (gconstpointer a,
              gconstpointer b)
{
  const Frame *x = *(const Frame * const *) a, *y = *(const Frame * const *) b;
  gint64 dx = x->end - x->start, dy = y->end - y->start;

  return dx > dy ? -1 : dx < dy;
}

/* The five slowest frames: which frame, its work, layout and paint, and
 * whether the list had just grown (a page of older messages). */
static void
print_slowest (Run *run)
{
  g_autoptr(GPtrArray) order = g_ptr_array_new ();
  g_autoptr(GString) text = g_string_new (NULL);

  for (guint i = 0; i < run->frames->len; i++)
    g_ptr_array_add (order, &g_array_index (run->frames, Frame, i));
  g_ptr_array_sort (order, compare_work);
  for (guint i = 0; i < MIN (order->len, 5); i++)
    {
      Frame *f = order->pdata[i];
      guint index = (guint) (f - &g_array_index (run->frames, Frame, 0));
      guint before = index > 0 ? g_array_index (run->frames, Frame, index - 1).items : f->items;

      g_string_append_printf (text, "%s#%u:%.1f(l%.1f,p%.1f,items%u->%u)", i > 0 ? " " : "",
                              index, (f->end - f->start) / 1000.0,
                              (f->layout_end - f->start) / 1000.0,
                              (f->paint_end - f->layout_end) / 1000.0, before, f->items);
    }
  printf ("slowest=%s\n", text->str);
}

/* Per frame: the work from before-paint to after-paint (update, layout,
 * paint), its layout and paint parts, and the interval between the starts
 * of successive frames (what the eye sees; 16.7 ms at 60 Hz at best). */
static void
print_frames (Run *run)
{
  g_autoptr(GArray) work = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) layout = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) paint = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) interval = g_array_new (FALSE, FALSE, sizeof (double));
  gint64 span = 0;

  for (guint i = 0; i < run->frames->len; i++)
    {
      Frame *f = &g_array_index (run->frames, Frame, i);
      double v;

      if (f->skip || (i > 0 && g_array_index (run->frames, Frame, i - 1).skip))
        continue;
      v = (f->end - f->start) / 1000.0;
      g_array_append_val (work, v);
      v = (f->layout_end - f->start) / 1000.0;
      g_array_append_val (layout, v);
      v = (f->paint_end - f->layout_end) / 1000.0;
      g_array_append_val (paint, v);
      if (i > 0)
        {
          v = (f->start - g_array_index (run->frames, Frame, i - 1).start) / 1000.0;
          g_array_append_val (interval, v);
        }
    }
  if (run->frames->len > 1)
    span = g_array_index (run->frames, Frame, run->frames->len - 1).end -
           g_array_index (run->frames, Frame, 0).start;
  print_slowest (run);
  printf ("frames=%u\n", run->frames->len);
  printf ("seconds=%.2f\n", span / 1e6);
  printf ("fps=%.1f\n", span > 0 ? run->frames->len / (span / 1e6) : 0.0);
  print_series ("work", work, 16.0);
  print_series ("layout", layout, 16.0);
  print_series ("paint", paint, 16.0);
  /* a frame that came a refresh late */
  print_series ("interval", interval, 1000.0 / 60 * 1.5);
}

static gboolean
on_watchdog (gpointer data)
{
  Run *run = data;

  printf ("error=timeout in phase %d\n", run->phase);
  fflush (stdout);
  _exit (1);
  return G_SOURCE_REMOVE;
}

static gboolean
finish (gpointer data)
{
  Run *run = data;

  run->rss_after = bench_status_kib ("VmRSS");
  printf ("items_before=%u\nitems_after=%u\n", run->items_before,
          g_list_model_get_n_items (run->items));
  printf ("stalled=%u\n", run->stalled);
  printf ("rss_startup_kib=%zu\nrss_activate_kib=%zu\nrss_first_paint_kib=%zu\n",
          run->rss_startup, run->rss_activate, run->rss_first_paint);
  printf ("rss_settled_kib=%zu\nrss_after_kib=%zu\nhwm_kib=%zu\n", run->rss_settled,
          run->rss_after, bench_status_kib ("VmHWM"));
  print_frames (run);
  g_application_quit (G_APPLICATION (run->app));
  return G_SOURCE_REMOVE;
}

static void
on_before_paint (GdkFrameClock *clock,
                 Run           *run)
{
  run->current.start = run->recording ? g_get_monotonic_time () : 0;
}

static void
on_layout (GdkFrameClock *clock,
           Run           *run)
{
  run->current.layout_end = g_get_monotonic_time ();
}

static void
on_paint (GdkFrameClock *clock,
          Run           *run)
{
  run->current.paint_end = g_get_monotonic_time ();
}

static void
on_after_paint (GdkFrameClock *clock,
                Run           *run)
{
  gint64 now = g_get_monotonic_time ();

  if (run->first_paint_us == 0)
    {
      run->first_paint_us = now;
      run->first_paint_boot_us = boottime_us ();
      run->rss_first_paint = bench_status_kib ("VmRSS");
      if (run->options->kind == BENCH_RUN_START)
        {
          gint64 started = process_start_boot_us ();

          printf ("main_ms=%.1f\n", (run->first_paint_us - run->main_us) / 1000.0);
          printf ("startup_ms=%.1f\n", (run->startup_us - run->main_us) / 1000.0);
          printf ("activate_ms=%.1f\n", (run->activate_us - run->main_us) / 1000.0);
          if (run->options->spawn_us > 0)
            printf ("spawn_ms=%.1f\n", (run->first_paint_us - run->options->spawn_us) / 1000.0);
          if (started > 0)
            printf ("proc_ms=%.1f\n", (run->first_paint_boot_us - started) / 1000.0);
          printf ("rss_kib=%zu\n", bench_status_kib ("VmRSS"));
          g_application_quit (G_APPLICATION (run->app));
          return;
        }
    }
  if (run->recording && run->current.start != 0)
    {
      run->current.end = now;
      run->current.items = g_list_model_get_n_items (run->items);
      g_array_append_val (run->frames, run->current);
      run->current.start = 0;
      run->current.skip = FALSE;
      if (run->stop_after_frame)
        {
          run->recording = FALSE;
          g_idle_add (finish, run);
        }
    }
}

static void
take_screenshot (Run *run)
{
  g_autoptr(GError) error = NULL;
  const char *argv[] = { "import", "-window", "root", run->options->screenshot, NULL };
  int status = 0;

  run->screenshot_taken = TRUE;
  run->current.skip = TRUE;
  if (!g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL,
                     &status, &error))
    g_printerr ("bench-app: no screenshot: %s\n", error->message);
  else
    printf ("screenshot=%s\n", run->options->screenshot);
}

static gboolean
scroll_tick (GtkWidget     *widget,
             GdkFrameClock *clock,
             gpointer       data)
{
  Run *run = data;
  double value = gtk_adjustment_get_value (run->adjustment);
  double bottom = gtk_adjustment_get_upper (run->adjustment) -
                  gtk_adjustment_get_page_size (run->adjustment);

  if (run->stop_after_frame)
    return G_SOURCE_REMOVE;
  run->ticks++;
  if (run->options->screenshot != NULL && !run->screenshot_taken &&
      (run->ticks == run->options->max_frames / 2 || value >= bottom / 2))
    take_screenshot (run);

  if (run->options->kind == BENCH_RUN_PEERS)
    {
      if (value >= bottom - 0.5)
        run->at_end++;
      else
        gtk_adjustment_set_value (run->adjustment, MIN (value + run->options->step_px, bottom));
      if (run->at_end >= END_FRAMES)
        run->stop_after_frame = TRUE;
    }
  else
    {
      /* at the top, the next page has not come in yet */
      if (value <= 0)
        run->stalled++;
      else
        gtk_adjustment_set_value (run->adjustment, MAX (value - run->options->step_px, 0));
      if (g_list_model_get_n_items (run->items) >= run->options->target_items)
        run->stop_after_frame = TRUE;
    }
  if (run->ticks >= run->options->max_frames)
    run->stop_after_frame = TRUE;
  return G_SOURCE_CONTINUE;
}

static GtkWidget *
template_child (gpointer    widget,
                GType       type,
                const char *name)
{
  GObject *found = gtk_widget_get_template_child (GTK_WIDGET (widget), type, name);

  g_assert (GTK_IS_WIDGET (found));
  return GTK_WIDGET (found);
}

static void
start_scrolling (Run *run)
{
  run->rss_settled = bench_status_kib ("VmRSS");
  run->items_before = g_list_model_get_n_items (run->items);
  if (run->options->kind == BENCH_RUN_PEERS && run->options->expect_peers > 0 &&
      run->items_before != run->options->expect_peers)
    {
      printf ("error=%u peers listed, %u expected\n", run->items_before,
              run->options->expect_peers);
      run->status = 1;
    }
  /* no list to scroll: the sidebar shows its empty page */
  if (run->items_before == 0)
    {
      g_idle_add (finish, run);
      return;
    }
  run->recording = TRUE;
  gtk_widget_add_tick_callback (run->scroll_widget, scroll_tick, run, NULL);
}

static gboolean
is_online (Run *run)
{
  NatterClient *client = natter_application_get_client (run->app);

  return client != NULL && natter_client_get_state (client) == NATTER_CLIENT_ONLINE;
}

static void
open_scrolled_list (Run *run)
{
  NatterClient *client = natter_application_get_client (run->app);

  if (run->options->kind == BENCH_RUN_PEERS)
    {
      run->scroll_widget = template_child (run->window, NATTER_TYPE_WINDOW, "peer_list");
      run->adjustment = gtk_scrollable_get_vadjustment (GTK_SCROLLABLE (run->scroll_widget));
      run->items = G_LIST_MODEL (gtk_list_view_get_model (GTK_LIST_VIEW (run->scroll_widget)));
    }
  else
    {
      GtkWidget *view = template_child (run->window, NATTER_TYPE_WINDOW, "conversation");
      NatterPeer *bob = natter_client_lookup_peer (client, "bob");

      g_assert (bob != NULL);
      g_assert (natter_window_open_conversation (run->window, "bob"));
      run->scroll_widget = template_child (view, NATTER_TYPE_CONVERSATION_VIEW, "list_view");
      run->adjustment = gtk_scrolled_window_get_vadjustment (
        GTK_SCROLLED_WINDOW (template_child (view, NATTER_TYPE_CONVERSATION_VIEW, "scroller")));
      run->items = natter_peer_get_conversation (bob);
    }
}

static gboolean
drive (gpointer data)
{
  Run *run = data;

  switch (run->phase)
    {
    case PHASE_WAIT_ONLINE:
      if (run->first_paint_us == 0 || !is_online (run))
        return G_SOURCE_CONTINUE;
      printf ("first_paint_ms=%.1f\n", (run->first_paint_us - run->main_us) / 1000.0);
      printf ("online_ms=%.1f\n", (g_get_monotonic_time () - run->main_us) / 1000.0);
      open_scrolled_list (run);
      run->settle_until = g_get_monotonic_time () + SETTLE_US;
      run->phase = PHASE_SETTLE;
      return G_SOURCE_CONTINUE;
    case PHASE_SETTLE:
      if (g_get_monotonic_time () < run->settle_until)
        return G_SOURCE_CONTINUE;
      run->phase = PHASE_SCROLL;
      start_scrolling (run);
      break;
    case PHASE_SCROLL:
    case PHASE_DONE:
    default:
      break;
    }
  run->poll_id = 0;
  return G_SOURCE_REMOVE;
}

static void
on_startup (GApplication *app,
            Run          *run)
{
  run->startup_us = g_get_monotonic_time ();
  run->rss_startup = bench_status_kib ("VmRSS");
}

static void
on_activate (GApplication *app,
             Run          *run)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (app));

  run->activate_us = g_get_monotonic_time ();
  run->rss_activate = bench_status_kib ("VmRSS");
  if (run->window != NULL)
    return;
  g_assert (NATTER_IS_WINDOW (window));
  run->window = NATTER_WINDOW (window);
  run->clock = gtk_widget_get_frame_clock (GTK_WIDGET (window));
  g_assert (run->clock != NULL);
  /* after: the surface's own layout and paint handlers come first */
  g_signal_connect (run->clock, "before-paint", G_CALLBACK (on_before_paint), run);
  g_signal_connect_after (run->clock, "layout", G_CALLBACK (on_layout), run);
  g_signal_connect_after (run->clock, "paint", G_CALLBACK (on_paint), run);
  g_signal_connect_after (run->clock, "after-paint", G_CALLBACK (on_after_paint), run);
  if (run->options->kind != BENCH_RUN_START)
    run->poll_id = g_timeout_add (20, drive, run);
}

int
bench_run_app (const BenchRunOptions *options,
               gint64                 main_us)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  Run run = { 0 };
  int status;

  run.options = options;
  run.main_us = main_us;
  run.frames = g_array_new (FALSE, TRUE, sizeof (Frame));
  run.app = natter_application_new (options->profile);
  g_application_set_flags (G_APPLICATION (run.app), G_APPLICATION_NON_UNIQUE);
  g_signal_connect_after (run.app, "startup", G_CALLBACK (on_startup), &run);
  g_signal_connect_after (run.app, "activate", G_CALLBACK (on_activate), &run);
  g_timeout_add_seconds (WATCHDOG_S, on_watchdog, &run);

  g_ptr_array_add (argv, g_strdup ("natter"));
  if (options->server != NULL)
    {
      g_ptr_array_add (argv, g_strdup ("--id=alice"));
      g_ptr_array_add (argv, g_strdup_printf ("--server=%s", options->server));
    }
  g_ptr_array_add (argv, NULL);
  status = g_application_run (G_APPLICATION (run.app), (int) argv->len - 1,
                              (char **) argv->pdata);
  fflush (stdout);
  g_clear_handle_id (&run.poll_id, g_source_remove);
  g_object_unref (run.app);
  g_array_unref (run.frames);
  return status != 0 ? status : run.status;
}
