/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "natter-message.h"

struct _NatterMessage
{
  GObject                parent_instance;
  guint64                id;
  NatterMessageDirection direction;
  char                  *text;
  gint64                 time_ms;
  NatterMessageState     state;
  gint64                 seq;
};

G_DEFINE_FINAL_TYPE (NatterMessage, natter_message, G_TYPE_OBJECT)

enum
{
  PROP_0,
  PROP_ID,
  PROP_DIRECTION,
  PROP_TEXT,
  PROP_TIME,
  PROP_STATE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
natter_message_finalize (GObject *object)
{
  NatterMessage *self = NATTER_MESSAGE (object);

  g_clear_pointer (&self->text, g_free);
  G_OBJECT_CLASS (natter_message_parent_class)->finalize (object);
}

static void
natter_message_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  NatterMessage *self = NATTER_MESSAGE (object);

  switch (prop_id)
    {
    case PROP_ID:
      g_value_set_uint64 (value, self->id);
      break;
    case PROP_DIRECTION:
      g_value_set_int (value, self->direction);
      break;
    case PROP_TEXT:
      g_value_set_string (value, self->text);
      break;
    case PROP_TIME:
      g_value_set_int64 (value, self->time_ms);
      break;
    case PROP_STATE:
      g_value_set_int (value, self->state);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
natter_message_class_init (NatterMessageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = natter_message_finalize;
  object_class->get_property = natter_message_get_property;

  properties[PROP_ID] =
    g_param_spec_uint64 ("id", NULL, NULL, 0, G_MAXUINT64, 0,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_DIRECTION] =
    g_param_spec_int ("direction", NULL, NULL, NATTER_MESSAGE_INCOMING, NATTER_MESSAGE_OUTGOING,
                      NATTER_MESSAGE_INCOMING, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_TEXT] =
    g_param_spec_string ("text", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_TIME] =
    g_param_spec_int64 ("time", NULL, NULL, G_MININT64, G_MAXINT64, 0,
                        G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_STATE] =
    g_param_spec_int ("state", NULL, NULL, NATTER_MESSAGE_SENDING, NATTER_MESSAGE_QUEUED,
                      NATTER_MESSAGE_SENDING,
                      G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
natter_message_init (NatterMessage *self)
{
}

NatterMessage *
natter_message_new (guint64                id,
                    NatterMessageDirection direction,
                    const char            *text,
                    gint64                 time_ms,
                    NatterMessageState     state)
{
  NatterMessage *self = g_object_new (NATTER_TYPE_MESSAGE, NULL);

  g_return_val_if_fail (text != NULL, NULL);

  self->id = id;
  self->direction = direction;
  self->text = g_strdup (text);
  self->time_ms = time_ms;
  self->state = state;
  return self;
}

guint64
natter_message_get_id (NatterMessage *self)
{
  g_return_val_if_fail (NATTER_IS_MESSAGE (self), 0);
  return self->id;
}

NatterMessageDirection
natter_message_get_direction (NatterMessage *self)
{
  g_return_val_if_fail (NATTER_IS_MESSAGE (self), NATTER_MESSAGE_INCOMING);
  return self->direction;
}

const char *
natter_message_get_text (NatterMessage *self)
{
  g_return_val_if_fail (NATTER_IS_MESSAGE (self), NULL);
  return self->text;
}

gint64
natter_message_get_time (NatterMessage *self)
{
  g_return_val_if_fail (NATTER_IS_MESSAGE (self), 0);
  return self->time_ms;
}

NatterMessageState
natter_message_get_state (NatterMessage *self)
{
  g_return_val_if_fail (NATTER_IS_MESSAGE (self), NATTER_MESSAGE_FAILED);
  return self->state;
}

void
natter_message_set_state (NatterMessage      *self,
                          NatterMessageState  state)
{
  g_return_if_fail (NATTER_IS_MESSAGE (self));

  if (self->state == state)
    return;
  self->state = state;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
}

const char *
natter_message_state_to_string (NatterMessageState state)
{
  switch (state)
    {
    case NATTER_MESSAGE_SENDING:
      return "sending";
    case NATTER_MESSAGE_DELIVERED:
      return "delivered";
    case NATTER_MESSAGE_FAILED:
      return "failed";
    case NATTER_MESSAGE_SENT:
      return "sent";
    case NATTER_MESSAGE_QUEUED:
      return "queued";
    case NATTER_MESSAGE_RECEIVED:
    default:
      return "received";
    }
}

gint64
natter_message_get_seq (NatterMessage *self)
{
  g_return_val_if_fail (NATTER_IS_MESSAGE (self), 0);
  return self->seq;
}

void
natter_message_set_seq (NatterMessage *self,
                        gint64         seq)
{
  g_return_if_fail (NATTER_IS_MESSAGE (self));
  self->seq = seq;
}
