/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "natter-avatar.h"

#define NATTER_AVATAR_N_COLORS 8
#define NATTER_AVATAR_DEFAULT_SIZE 32

struct _NatterAvatar
{
  GtkWidget  parent_instance;

  GtkWidget *label;
  char      *name;
  int        size;
  guint      color_index;
};

G_DEFINE_FINAL_TYPE (NatterAvatar, natter_avatar, GTK_TYPE_WIDGET)

enum
{
  PROP_0,
  PROP_NAME,
  PROP_SIZE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static gboolean
is_word_separator (gunichar c)
{
  return c == '.' || c == '-' || c == '_' || g_unichar_isspace (c);
}

char *
natter_avatar_initials (const char *name)
{
  g_autofree char *nfc = NULL;
  GString *initials;
  gboolean in_word = FALSE;
  guint n = 0;

  if (name == NULL || !g_utf8_validate (name, -1, NULL))
    return g_strdup ("");

  /* composed, so that a decomposed Hangul syllable or an accented letter
   * is one character rather than a base and its combining marks */
  nfc = g_utf8_normalize (name, -1, G_NORMALIZE_NFC);
  initials = g_string_new (NULL);

  for (const char *p = nfc; *p != '\0' && n < 2; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (is_word_separator (c))
        {
          in_word = FALSE;
          continue;
        }
      if (in_word)
        continue;
      /* a word's first letter or digit: "(bob)" is B; a word with none
       * (an emoji, punctuation) gives no initial */
      if (!g_unichar_isalnum (c))
        continue;
      in_word = TRUE;
      g_string_append_unichar (initials, g_unichar_toupper (c));
      n++;
    }

  return g_string_free (initials, FALSE);
}

guint
natter_avatar_color_index (const char *name)
{
  g_autofree char *nfc = NULL;
  g_autofree char *folded = NULL;
  guint32 hash = 2166136261u;

  if (name == NULL || !g_utf8_validate (name, -1, NULL))
    return 0;

  /* the same key under which IDs are unique, and FNV-1a spelled out here
   * rather than g_str_hash, so that a person keeps their colour whatever
   * their ID's case and across GLib versions */
  nfc = g_utf8_normalize (name, -1, G_NORMALIZE_NFC);
  folded = g_utf8_casefold (nfc, -1);
  for (const guchar *p = (const guchar *) folded; *p != '\0'; p++)
    {
      hash ^= *p;
      hash *= 16777619u;
    }
  return hash % NATTER_AVATAR_N_COLORS;
}

static void
update_font (NatterAvatar *self)
{
  g_autoptr(PangoAttrList) attrs = pango_attr_list_new ();

  /* absolute, in pixels like the size itself, so the initials keep their
   * proportion to the circle whatever the text scaling */
  pango_attr_list_insert (attrs, pango_attr_size_new_absolute (self->size * 0.4 * PANGO_SCALE));
  gtk_label_set_attributes (GTK_LABEL (self->label), attrs);
}

static void
natter_avatar_dispose (GObject *object)
{
  NatterAvatar *self = NATTER_AVATAR (object);

  g_clear_pointer (&self->label, gtk_widget_unparent);
  G_OBJECT_CLASS (natter_avatar_parent_class)->dispose (object);
}

static void
natter_avatar_finalize (GObject *object)
{
  NatterAvatar *self = NATTER_AVATAR (object);

  g_clear_pointer (&self->name, g_free);
  G_OBJECT_CLASS (natter_avatar_parent_class)->finalize (object);
}

static void
natter_avatar_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  NatterAvatar *self = NATTER_AVATAR (object);

  switch (prop_id)
    {
    case PROP_NAME:
      g_value_set_string (value, self->name);
      break;
    case PROP_SIZE:
      g_value_set_int (value, self->size);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
natter_avatar_set_property (GObject      *object,
                            guint         prop_id,
                            const GValue *value,
                            GParamSpec   *pspec)
{
  NatterAvatar *self = NATTER_AVATAR (object);

  switch (prop_id)
    {
    case PROP_NAME:
      natter_avatar_set_name (self, g_value_get_string (value));
      break;
    case PROP_SIZE:
      natter_avatar_set_size (self, g_value_get_int (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
natter_avatar_class_init (NatterAvatarClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = natter_avatar_dispose;
  object_class->finalize = natter_avatar_finalize;
  object_class->get_property = natter_avatar_get_property;
  object_class->set_property = natter_avatar_set_property;

  properties[PROP_NAME] =
    g_param_spec_string ("name", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_SIZE] =
    g_param_spec_int ("size", NULL, NULL, 1, G_MAXINT, NATTER_AVATAR_DEFAULT_SIZE,
                      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "avatar");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
natter_avatar_init (NatterAvatar *self)
{
  self->size = NATTER_AVATAR_DEFAULT_SIZE;
  self->color_index = natter_avatar_color_index (NULL);

  /* the circle must stay a circle when its parent offers more room */
  gtk_widget_set_halign (GTK_WIDGET (self), GTK_ALIGN_CENTER);
  gtk_widget_set_valign (GTK_WIDGET (self), GTK_ALIGN_CENTER);
  gtk_widget_set_overflow (GTK_WIDGET (self), GTK_OVERFLOW_HIDDEN);
  gtk_widget_set_size_request (GTK_WIDGET (self), self->size, self->size);
  gtk_widget_add_css_class (GTK_WIDGET (self), "avatar");
  gtk_widget_add_css_class (GTK_WIDGET (self), "color-0");

  self->label = gtk_label_new (NULL);
  gtk_widget_set_halign (self->label, GTK_ALIGN_CENTER);
  gtk_widget_set_valign (self->label, GTK_ALIGN_CENTER);
  gtk_widget_set_parent (self->label, GTK_WIDGET (self));
  update_font (self);
}

GtkWidget *
natter_avatar_new (const char *name,
                   int         size)
{
  return g_object_new (NATTER_TYPE_AVATAR, "name", name, "size", size, NULL);
}

void
natter_avatar_set_name (NatterAvatar *self,
                        const char   *name)
{
  g_autofree char *initials = NULL;
  char color_class[16];
  guint color_index;

  g_return_if_fail (NATTER_IS_AVATAR (self));

  if (g_strcmp0 (self->name, name) == 0)
    return;

  g_free (self->name);
  self->name = g_strdup (name);

  initials = natter_avatar_initials (name);
  gtk_label_set_text (GTK_LABEL (self->label), initials);

  color_index = natter_avatar_color_index (name);
  if (color_index != self->color_index)
    {
      g_snprintf (color_class, sizeof color_class, "color-%u", self->color_index);
      gtk_widget_remove_css_class (GTK_WIDGET (self), color_class);
      g_snprintf (color_class, sizeof color_class, "color-%u", color_index);
      gtk_widget_add_css_class (GTK_WIDGET (self), color_class);
      self->color_index = color_index;
    }

  gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, name != NULL ? name : "",
                                  -1);

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_NAME]);
}

const char *
natter_avatar_get_name (NatterAvatar *self)
{
  g_return_val_if_fail (NATTER_IS_AVATAR (self), NULL);
  return self->name;
}

void
natter_avatar_set_size (NatterAvatar *self,
                        int           size)
{
  g_return_if_fail (NATTER_IS_AVATAR (self));
  g_return_if_fail (size > 0);

  if (self->size == size)
    return;

  self->size = size;
  gtk_widget_set_size_request (GTK_WIDGET (self), size, size);
  update_font (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SIZE]);
}
