/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "natter-conversation-view.h"
#include "natter-delivery.h"
#include "natter-message-row.h"

G_BEGIN_DECLS

/* The conversation view is one widget in three files:
 * natter-conversation-view.c (the header, the list of messages, following
 * the newest), natter-conversation-composer.c (writing and sending) and
 * natter-conversation-history.c (older pages, the new-messages line,
 * search and clearing). */

/* How far above the end still counts as "reading the newest messages":
 * rounding, not a deliberate scroll; more would pull back a slow touchpad. */
#define BOTTOM_SLACK_PX 1
#define COMPOSER_MAX_LINES 6
/* Older messages are loaded a page at a time, once the user scrolls to
 * within a screen of the oldest one shown; jumping to a search result far
 * back loads bigger pages. */
#define OLDER_PAGE 50
#define JUMP_PAGE 1000

struct _NatterConversationView
{
  GtkWidget       parent_instance;

  NatterClient   *client;
  NatterPeer     *peer;
  gulong          peer_notify_id;
  /* unsent text per peer ID, so switching conversations loses nothing */
  GHashTable     *drafts;
  char           *send_error;
  /* follow new messages: the user is at the end (or just sent) */
  gboolean        sticky;
  gboolean        scroll_pending;
  GdkFrameClock  *frame_clock;
  gulong          layout_id;
  /* the "New messages" line goes above this message (as it was when the
   * conversation was opened; reading it clears the peer's) */
  guint64         marker;
  /* the search result shown, by its place in the history */
  gint64          found_seq;
  gboolean        searching;
  guint           older_idle;
  GHashTable     *rows;           /* NatterMessage -> the NatterMessageRow bound to it */

  GtkWidget      *peer_label;
  GtkWidget      *status_label;
  GtkStack       *stack;
  GtkWidget      *empty_title;
  GtkWidget      *scroller;
  GtkWidget      *list_view;
  GtkNoSelection *selection;
  GtkWidget      *limit_label;
  GtkWidget      *composer_scroller;
  GtkWidget      *text_view;
  GtkWidget      *placeholder;
  GtkWidget      *send_button;    /* reached by the UI tests */
  GtkWidget      *search;
};

/* natter-conversation-view.c */
void     natter_conversation_view_update_empty      (NatterConversationView *self);
void     natter_conversation_view_scroll_to_bottom  (NatterConversationView *self);

/* natter-conversation-composer.c */
void     natter_conversation_view_update_composer   (NatterConversationView *self);
void     natter_conversation_view_update_composer_height (NatterConversationView *self);
void     natter_conversation_view_set_composer_text (NatterConversationView *self,
                                                     const char             *text);
void     natter_conversation_view_save_draft        (NatterConversationView *self);
void     natter_conversation_view_buffer_changed    (NatterConversationView *self);
void     natter_conversation_view_composer_scrolled (GtkAdjustment          *adjustment,
                                                     NatterConversationView *self);
gboolean natter_conversation_view_composer_key_pressed (GtkEventControllerKey  *controller,
                                                        guint                   keyval,
                                                        guint                   keycode,
                                                        GdkModifierType         state,
                                                        NatterConversationView *self);
void     natter_conversation_view_send_activated    (GtkWidget              *widget,
                                                     const char             *action_name,
                                                     GVariant               *parameter);

/* natter-conversation-history.c */
void     natter_conversation_view_maybe_load_older  (NatterConversationView *self,
                                                     GtkAdjustment          *adjustment);
void     natter_conversation_view_mark_row          (NatterConversationView *self,
                                                     NatterMessageRow       *row,
                                                     NatterMessage          *message);
void     natter_conversation_view_mark_rows         (NatterConversationView *self);
void     natter_conversation_view_search_activated  (GtkWidget              *widget,
                                                     const char             *action_name,
                                                     GVariant               *parameter);
void     natter_conversation_view_search_stopped    (NatterConversationView *self);
void     natter_conversation_view_search_result     (NatterConversationView *self,
                                                     NatterMessage          *message);
void     natter_conversation_view_clear_activated   (GtkWidget              *widget,
                                                     const char             *action_name,
                                                     GVariant               *parameter);

G_END_DECLS
