/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* The first-run page: a display name (checked live against the ID rules,
 * with the reason shown), the server (HOST[:PORT]) and a switch for
 * servers that speak the classic assignment protocol. Emits "connect"
 * with the three values when the user confirms valid input. */
#define NATTER_TYPE_WELCOME (natter_welcome_get_type ())
G_DECLARE_FINAL_TYPE (NatterWelcome, natter_welcome, NATTER, WELCOME, GtkWidget)

GtkWidget *natter_welcome_new        (void);
/* Prefills the form (e.g. after "ID taken", with a reason to show). */
void       natter_welcome_set_values (NatterWelcome *self,
                                      const char    *id,
                                      const char    *server,
                                      gboolean       classic,
                                      const char    *problem);
/* NULL when text is a valid ID, else the reason (translated); *nfc, if
 * given, receives the composed form to register with. */
char      *natter_welcome_check_name  (const char    *text,
                                       char         **nfc);
/* Shows reason under a form field (error style), or hides it when NULL. */
void       natter_welcome_show_reason (GtkWidget     *entry,
                                       GtkRevealer   *revealer,
                                       GtkLabel      *label,
                                       const char    *reason);
/* NULL when valid, else a sentence saying what is wrong (translated). */
char      *natter_welcome_check_server (const char  *server);

G_END_DECLS
