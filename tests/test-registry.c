/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "natter-registry.h"

/* The registry is pure state with the clock passed in, so every time-out
 * below runs on a made-up clock in milliseconds. */

#define TIMEOUT 30000

static NatterEndpoint
ep (const char *text)
{
  NatterEndpoint e;

  g_assert_true (natter_endpoint_parse (text, 0, &e));
  g_assert_cmpuint (e.port, !=, 0);
  return e;
}

static void
assert_ep (const NatterEndpoint *got,
           const char           *expected)
{
  char buf[NATTER_ENDPOINT_STRLEN];

  g_assert_cmpstr (natter_endpoint_format (got, buf), ==, expected);
}

static NatterEntry *
reg_ok (NatterRegistry *reg,
        const char     *id,
        const char     *where,
        gint64          now_ms)
{
  NatterEndpoint e = ep (where);
  NatterEntry *entry = NULL;

  g_assert_cmpint (natter_registry_register (reg, id, &e, NULL, 0, FALSE, now_ms, &entry),
                   ==, NATTER_REG_OK);
  g_assert_nonnull (entry);
  return entry;
}

static const NatterRegEvent *
event_at (GArray *events,
          guint   i)
{
  g_assert_cmpuint (i, <, events->len);
  return &g_array_index (events, NatterRegEvent, i);
}

static void
assert_event (GArray          *events,
              guint            i,
              guint64          version,
              NatterEventKind  kind,
              const char      *id,
              const char      *where)
{
  const NatterRegEvent *event = event_at (events, i);

  g_assert_cmpuint (event->version, ==, version);
  g_assert_cmpint (event->kind, ==, kind);
  g_assert_cmpstr (event->id, ==, id);
  if (where != NULL)
    assert_ep (&event->public_endpoint, where);
}

static void
drain (NatterRegistry *reg)
{
  g_autoptr(GArray) events = natter_registry_take_events (reg);
}

static void
test_register (void)
{
  NatterRegistry *reg = natter_registry_new (10, TIMEOUT);
  NatterEndpoint cands[2] = { ep ("10.0.0.2:4000"), ep ("[fd00::2]:4000") };
  NatterEndpoint pub = ep ("198.18.0.1:4000");
  NatterEntry *entry = NULL;
  g_autoptr(GArray) events = NULL;
  static const guint8 zero[NATTER_WIRE_TOKEN_SIZE] = { 0 };

  g_assert_cmpuint (natter_registry_size (reg), ==, 0);
  g_assert_cmpuint (natter_registry_version (reg), ==, 0);
  g_assert_cmpint (natter_registry_timeout (reg), ==, TIMEOUT);
  g_assert_false (natter_registry_has_events (reg));

  g_assert_cmpint (natter_registry_register (reg, "alice", &pub, cands, 2, FALSE, 1000, &entry),
                   ==, NATTER_REG_OK);
  g_assert_nonnull (entry);
  g_assert_cmpstr (entry->id, ==, "alice");
  g_assert_true (natter_endpoint_equal (&entry->public_endpoint, &pub));
  g_assert_cmpuint (entry->n_candidates, ==, 2);
  g_assert_false (entry->classic);
  g_assert_cmpint (entry->deadline_ms, ==, 1000 + TIMEOUT);
  /* 2^-128 chance of a false failure */
  g_assert_true (memcmp (entry->token, zero, sizeof zero) != 0);

  g_assert_cmpuint (natter_registry_size (reg), ==, 1);
  g_assert_cmpuint (natter_registry_version (reg), ==, 1);
  g_assert_true (natter_registry_has_events (reg));
  g_assert_true (natter_registry_lookup (reg, "alice") == entry);
  g_assert_true (natter_registry_lookup_endpoint (reg, &pub) == entry);

  events = natter_registry_take_events (reg);
  g_assert_cmpuint (events->len, ==, 1);
  assert_event (events, 0, 1, NATTER_EVENT_JOIN, "alice", "198.18.0.1:4000");
  g_assert_cmpuint (event_at (events, 0)->n_candidates, ==, 2);
  g_assert_true (natter_endpoint_equal (&event_at (events, 0)->candidates[1], &cands[1]));
  g_assert_false (event_at (events, 0)->classic);

  /* a classic registration is marked as such */
  entry = NULL;
  pub = ep ("198.18.0.2:10081");
  g_assert_cmpint (natter_registry_register (reg, "bob", &pub, NULL, 0, TRUE, 1000, &entry),
                   ==, NATTER_REG_OK);
  g_assert_true (entry->classic);
  g_clear_pointer (&events, g_array_unref);
  events = natter_registry_take_events (reg);
  g_assert_cmpuint (events->len, ==, 1);
  assert_event (events, 0, 2, NATTER_EVENT_JOIN, "bob", "198.18.0.2:10081");
  g_assert_true (event_at (events, 0)->classic);

  /* out_entry is optional */
  pub = ep ("198.18.0.3:1");
  g_assert_cmpint (natter_registry_register (reg, "carol", &pub, NULL, 0, FALSE, 1000, NULL),
                   ==, NATTER_REG_OK);
  g_assert_cmpuint (natter_registry_size (reg), ==, 3);

  natter_registry_free (reg);
}

static void
test_lookup_case (void)
{
  NatterRegistry *reg = natter_registry_new (10, TIMEOUT);
  NatterEntry *alice = reg_ok (reg, "Alice", "198.18.0.1:4000", 0);
  NatterEntry *emile = reg_ok (reg, "Émile", "198.18.0.2:4000", 0);
  NatterEndpoint other = ep ("198.18.0.9:4000");

  g_assert_true (natter_registry_lookup (reg, "Alice") == alice);
  g_assert_true (natter_registry_lookup (reg, "alice") == alice);
  g_assert_true (natter_registry_lookup (reg, "ALICE") == alice);
  g_assert_true (natter_registry_lookup (reg, "émile") == emile);
  g_assert_true (natter_registry_lookup (reg, "ÉMILE") == emile);
  g_assert_null (natter_registry_lookup (reg, "alic"));
  g_assert_null (natter_registry_lookup (reg, "alicee"));
  g_assert_null (natter_registry_lookup (reg, "bob"));
  /* the ID keeps the spelling it was registered with */
  g_assert_cmpstr (alice->id, ==, "Alice");

  /* another spelling is the same ID, so it is taken */
  g_assert_cmpint (natter_registry_register (reg, "alice", &other, NULL, 0, FALSE, 0, NULL),
                   ==, NATTER_REG_TAKEN);
  g_assert_cmpint (natter_registry_register (reg, "ÉMILE", &other, NULL, 0, FALSE, 0, NULL),
                   ==, NATTER_REG_TAKEN);
  g_assert_cmpuint (natter_registry_size (reg), ==, 2);

  natter_registry_free (reg);
}

static void
test_taken (void)
{
  NatterRegistry *reg = natter_registry_new (10, TIMEOUT);
  NatterEntry *alice = reg_ok (reg, "alice", "198.18.0.1:4000", 0);
  guint8 token[NATTER_WIRE_TOKEN_SIZE];
  NatterEndpoint other_host = ep ("198.18.0.2:4000");
  NatterEndpoint other_port = ep ("198.18.0.1:4001");
  NatterEndpoint other_v6 = ep ("[2001:db8::1]:4000");
  NatterEntry *out = NULL;

  memcpy (token, alice->token, sizeof token);
  drain (reg);

  g_assert_cmpint (natter_registry_register (reg, "alice", &other_host, NULL, 0, FALSE, 5000, &out),
                   ==, NATTER_REG_TAKEN);
  g_assert_cmpint (natter_registry_register (reg, "alice", &other_port, NULL, 0, FALSE, 5000, &out),
                   ==, NATTER_REG_TAKEN);
  g_assert_cmpint (natter_registry_register (reg, "alice", &other_v6, NULL, 0, TRUE, 5000, &out),
                   ==, NATTER_REG_TAKEN);
  g_assert_null (out);

  /* nothing changed: no event, same token, place and deadline */
  g_assert_false (natter_registry_has_events (reg));
  g_assert_cmpuint (natter_registry_version (reg), ==, 1);
  g_assert_cmpuint (natter_registry_size (reg), ==, 1);
  g_assert_true (natter_registry_lookup (reg, "alice") == alice);
  g_assert_cmpmem (alice->token, sizeof token, token, sizeof token);
  assert_ep (&alice->public_endpoint, "198.18.0.1:4000");
  g_assert_cmpint (alice->deadline_ms, ==, TIMEOUT);
  g_assert_null (natter_registry_lookup_endpoint (reg, &other_host));
  g_assert_null (natter_registry_lookup_endpoint (reg, &other_port));

  natter_registry_free (reg);
}

static void
test_reregister (void)
{
  NatterRegistry *reg = natter_registry_new (10, TIMEOUT);
  NatterEntry *alice = reg_ok (reg, "alice", "198.18.0.1:4000", 1000);
  NatterEntry *again;
  guint8 old_token[NATTER_WIRE_TOKEN_SIZE];
  g_autoptr(GArray) events = NULL;

  reg_ok (reg, "bob", "198.18.0.2:4000", 1000);
  memcpy (old_token, alice->token, sizeof old_token);
  drain (reg);

  again = reg_ok (reg, "ALICE", "198.18.0.1:4000", 7000);
  g_assert_true (again == alice);
  g_assert_cmpuint (natter_registry_size (reg), ==, 2);
  g_assert_true (memcmp (alice->token, old_token, sizeof old_token) != 0);
  g_assert_cmpstr (alice->id, ==, "ALICE");
  g_assert_cmpint (alice->deadline_ms, ==, 7000 + TIMEOUT);
  /* the old session is over */
  g_assert_null (natter_registry_authenticate (reg, "alice", old_token));
  g_assert_true (natter_registry_authenticate (reg, "alice", alice->token) == alice);

  events = natter_registry_take_events (reg);
  g_assert_cmpuint (events->len, ==, 1);
  assert_event (events, 0, 3, NATTER_EVENT_JOIN, "ALICE", "198.18.0.1:4000");

  natter_registry_free (reg);
}

static void
test_full (void)
{
  NatterRegistry *reg = natter_registry_new (3, TIMEOUT);
  NatterEndpoint d_ep = ep ("198.18.0.4:4000");
  NatterEntry *out = NULL;
  NatterEntry *b;

  reg_ok (reg, "a", "198.18.0.1:4000", 0);
  b = reg_ok (reg, "b", "198.18.0.2:4000", 0);
  reg_ok (reg, "c", "198.18.0.3:4000", 0);
  drain (reg);

  g_assert_cmpint (natter_registry_register (reg, "d", &d_ep, NULL, 0, FALSE, 0, &out),
                   ==, NATTER_REG_FULL);
  g_assert_null (out);
  g_assert_cmpuint (natter_registry_size (reg), ==, 3);
  g_assert_null (natter_registry_lookup (reg, "d"));
  g_assert_null (natter_registry_lookup_endpoint (reg, &d_ep));
  g_assert_false (natter_registry_has_events (reg));
  g_assert_cmpuint (natter_registry_version (reg), ==, 3);

  /* a re-registration takes no new place */
  reg_ok (reg, "A", "198.18.0.1:4000", 0);
  g_assert_cmpuint (natter_registry_size (reg), ==, 3);

  natter_registry_remove (reg, b, NATTER_EVENT_LEAVE);
  reg_ok (reg, "d", "198.18.0.4:4000", 0);
  g_assert_cmpuint (natter_registry_size (reg), ==, 3);

  natter_registry_free (reg);
}

static void
test_authenticate (void)
{
  NatterRegistry *reg = natter_registry_new (10, TIMEOUT);
  NatterEntry *alice = reg_ok (reg, "alice", "198.18.0.1:4000", 0);
  NatterEntry *bob = reg_ok (reg, "bob", "198.18.0.2:4000", 0);
  NatterEndpoint classic_ep = ep ("198.18.0.3:10081");
  NatterEntry *carol = NULL;
  guint8 wrong[NATTER_WIRE_TOKEN_SIZE];

  g_assert_true (natter_registry_authenticate (reg, "alice", alice->token) == alice);
  g_assert_true (natter_registry_authenticate (reg, "Alice", alice->token) == alice);
  g_assert_true (natter_registry_authenticate (reg, "bob", bob->token) == bob);

  /* each byte counts, the last as much as the first */
  for (guint i = 0; i < NATTER_WIRE_TOKEN_SIZE; i++)
    {
      memcpy (wrong, alice->token, sizeof wrong);
      wrong[i] ^= 0x01;
      g_assert_null (natter_registry_authenticate (reg, "alice", wrong));
    }
  /* a token is good only with its own ID */
  g_assert_null (natter_registry_authenticate (reg, "bob", alice->token));
  g_assert_null (natter_registry_authenticate (reg, "nobody", alice->token));
  g_assert_null (natter_registry_authenticate (reg, "alice", NULL));
  g_assert_null (natter_registry_authenticate (reg, NULL, alice->token));

  /* a classic client has no session, so its (unsent) token opens nothing */
  g_assert_cmpint (natter_registry_register (reg, "carol", &classic_ep, NULL, 0, TRUE, 0, &carol),
                   ==, NATTER_REG_OK);
  g_assert_null (natter_registry_authenticate (reg, "carol", carol->token));

  natter_registry_free (reg);
}

static void
test_touch (void)
{
  NatterRegistry *reg = natter_registry_new (10, TIMEOUT);
  NatterEntry *alice = reg_ok (reg, "alice", "198.18.0.1:4000", 1000);
  NatterEntry *bob = reg_ok (reg, "bob", "198.18.0.2:4000", 2000);
  GList *l;

  g_assert_cmpint (natter_registry_next_deadline (reg), ==, 1000 + TIMEOUT);
  natter_registry_touch (reg, alice, 5000);
  g_assert_cmpint (alice->deadline_ms, ==, 5000 + TIMEOUT);
  g_assert_cmpint (natter_registry_next_deadline (reg), ==, 2000 + TIMEOUT);

  l = natter_registry_entries (reg);
  g_assert_true (l->data == bob);
  g_assert_true (l->next->data == alice);
  g_assert_null (l->next->next);

  /* touching emits no event */
  drain (reg);
  natter_registry_touch (reg, bob, 6000);
  g_assert_false (natter_registry_has_events (reg));
  g_assert_cmpint (natter_registry_next_deadline (reg), ==, 5000 + TIMEOUT);

  /* the old deadline no longer applies */
  g_assert_cmpuint (natter_registry_expire (reg, 2000 + TIMEOUT), ==, 0);
  g_assert_cmpuint (natter_registry_size (reg), ==, 2);

  natter_registry_free (reg);
}

static void
test_expire (void)
{
  NatterRegistry *reg = natter_registry_new (10, TIMEOUT);
  NatterEntry *a = reg_ok (reg, "a", "198.18.0.1:4000", 0);
  NatterEntry *c;
  g_autoptr(GArray) events = NULL;
  guint64 v;

  reg_ok (reg, "b", "198.18.0.2:4000", 1000);
  c = reg_ok (reg, "c", "198.18.0.3:4000", 2000);
  reg_ok (reg, "d", "198.18.0.4:4000", 3000);
  natter_registry_touch (reg, a, 4000);
  natter_registry_touch (reg, c, 5000);
  drain (reg);
  v = natter_registry_version (reg);

  /* deadlines: b 31000, d 33000, a 34000, c 35000 */
  g_assert_cmpint (natter_registry_next_deadline (reg), ==, 1000 + TIMEOUT);

  g_assert_cmpuint (natter_registry_expire (reg, 1000 + TIMEOUT - 1), ==, 0);
  g_assert_cmpuint (natter_registry_size (reg), ==, 4);
  g_assert_false (natter_registry_has_events (reg));

  g_assert_cmpuint (natter_registry_expire (reg, 1000 + TIMEOUT), ==, 1);
  g_assert_null (natter_registry_lookup (reg, "b"));
  g_assert_cmpuint (natter_registry_size (reg), ==, 3);
  g_assert_cmpint (natter_registry_next_deadline (reg), ==, 3000 + TIMEOUT);

  g_assert_cmpuint (natter_registry_expire (reg, 4000 + TIMEOUT - 1), ==, 1);
  g_assert_null (natter_registry_lookup (reg, "d"));
  g_assert_nonnull (natter_registry_lookup (reg, "a"));
  g_assert_cmpint (natter_registry_next_deadline (reg), ==, 4000 + TIMEOUT);

  /* a later clock removes everyone due, oldest first */
  g_assert_cmpuint (natter_registry_expire (reg, 5000 + TIMEOUT), ==, 2);
  g_assert_cmpuint (natter_registry_size (reg), ==, 0);
  g_assert_cmpint (natter_registry_next_deadline (reg), ==, -1);
  g_assert_null (natter_registry_entries (reg));

  events = natter_registry_take_events (reg);
  g_assert_cmpuint (events->len, ==, 4);
  assert_event (events, 0, v + 1, NATTER_EVENT_TIMEOUT, "b", "198.18.0.2:4000");
  assert_event (events, 1, v + 2, NATTER_EVENT_TIMEOUT, "d", "198.18.0.4:4000");
  assert_event (events, 2, v + 3, NATTER_EVENT_TIMEOUT, "a", "198.18.0.1:4000");
  assert_event (events, 3, v + 4, NATTER_EVENT_TIMEOUT, "c", "198.18.0.3:4000");

  /* nothing left to expire */
  g_assert_cmpuint (natter_registry_expire (reg, 1000000), ==, 0);

  natter_registry_free (reg);
}

static void
test_next_deadline (void)
{
  NatterRegistry *reg = natter_registry_new (10, TIMEOUT);
  NatterEntry *a, *b;

  g_assert_cmpint (natter_registry_next_deadline (reg), ==, -1);
  a = reg_ok (reg, "a", "198.18.0.1:4000", 100);
  g_assert_cmpint (natter_registry_next_deadline (reg), ==, 100 + TIMEOUT);
  b = reg_ok (reg, "b", "198.18.0.2:4000", 200);
  g_assert_cmpint (natter_registry_next_deadline (reg), ==, 100 + TIMEOUT);
  natter_registry_remove (reg, a, NATTER_EVENT_LEAVE);
  g_assert_cmpint (natter_registry_next_deadline (reg), ==, 200 + TIMEOUT);
  natter_registry_remove (reg, b, NATTER_EVENT_LEAVE);
  g_assert_cmpint (natter_registry_next_deadline (reg), ==, -1);

  natter_registry_free (reg);
}

static void
test_clock_backwards (void)
{
  NatterRegistry *reg = natter_registry_new (10, TIMEOUT);
  NatterEntry *a = reg_ok (reg, "a", "198.18.0.1:4000", 10000);
  NatterEntry *b, *c, *d, *e;

  /* a clock that steps back never gives an earlier deadline than one
   * already handed out, so b is not dropped early and the deadline queue
   * stays in order */
  b = reg_ok (reg, "b", "198.18.0.2:4000", 5000);
  g_assert_cmpint (b->deadline_ms, ==, 10000 + TIMEOUT);
  natter_registry_touch (reg, a, 2000);
  g_assert_cmpint (a->deadline_ms, ==, 10000 + TIMEOUT);
  g_assert_cmpint (natter_registry_next_deadline (reg), ==, 10000 + TIMEOUT);

  g_assert_cmpuint (natter_registry_expire (reg, 5000 + TIMEOUT), ==, 0);
  g_assert_cmpuint (natter_registry_expire (reg, 10000 + TIMEOUT - 1), ==, 0);
  g_assert_cmpuint (natter_registry_size (reg), ==, 2);
  /* ... nor late: both go at the deadline they were given */
  g_assert_cmpuint (natter_registry_expire (reg, 10000 + TIMEOUT), ==, 2);

  /* an expiry with an old clock does nothing and does not rewind */
  c = reg_ok (reg, "c", "198.18.0.3:4000", 100000);
  g_assert_cmpuint (natter_registry_expire (reg, 0), ==, 0);
  d = reg_ok (reg, "d", "198.18.0.4:4000", 50);
  g_assert_cmpint (c->deadline_ms, ==, 100000 + TIMEOUT);
  g_assert_cmpint (d->deadline_ms, ==, 100000 + TIMEOUT);

  /* the next forward step counts from the new time */
  e = reg_ok (reg, "e", "198.18.0.5:4000", 100001);
  g_assert_cmpint (e->deadline_ms, ==, 100001 + TIMEOUT);
  g_assert_cmpuint (natter_registry_expire (reg, 100000 + TIMEOUT), ==, 2);
  g_assert_true (natter_registry_lookup (reg, "e") == e);
  g_assert_cmpuint (natter_registry_expire (reg, 100001 + TIMEOUT), ==, 1);
  g_assert_cmpuint (natter_registry_size (reg), ==, 0);

  natter_registry_free (reg);
}

static void
test_rebind (void)
{
  NatterRegistry *reg = natter_registry_new (10, TIMEOUT);
  NatterEntry *alice = reg_ok (reg, "alice", "198.18.0.1:4000", 0);
  NatterEndpoint old_ep = ep ("198.18.0.1:4000");
  NatterEndpoint new_ep = ep ("198.18.0.7:5555");
  g_autoptr(GArray) events = NULL;
  guint64 v;

  reg_ok (reg, "bob", "198.18.0.2:4000", 0);
  drain (reg);
  v = natter_registry_version (reg);

  natter_registry_rebind (reg, alice, &new_ep);
  g_assert_true (natter_endpoint_equal (&alice->public_endpoint, &new_ep));
  g_assert_true (natter_registry_lookup_endpoint (reg, &new_ep) == alice);
  g_assert_null (natter_registry_lookup_endpoint (reg, &old_ep));
  g_assert_true (natter_registry_lookup (reg, "alice") == alice);
  g_assert_cmpuint (natter_registry_size (reg), ==, 2);

  events = natter_registry_take_events (reg);
  g_assert_cmpuint (events->len, ==, 1);
  assert_event (events, 0, v + 1, NATTER_EVENT_MOVE, "alice", "198.18.0.7:5555");

  /* to where it already is: no event */
  natter_registry_rebind (reg, alice, &new_ep);
  g_assert_false (natter_registry_has_events (reg));

  /* the old endpoint is free for someone else, without evicting alice */
  reg_ok (reg, "carol", "198.18.0.1:4000", 0);
  g_clear_pointer (&events, g_array_unref);
  events = natter_registry_take_events (reg);
  g_assert_cmpuint (events->len, ==, 1);
  assert_event (events, 0, v + 2, NATTER_EVENT_JOIN, "carol", NULL);
  g_assert_true (natter_registry_lookup_endpoint (reg, &new_ep) == alice);

  /* the same ID from the old endpoint is now someone else's */
  g_assert_cmpint (natter_registry_register (reg, "alice", &old_ep, NULL, 0, FALSE, 0, NULL),
                   ==, NATTER_REG_TAKEN);

  natter_registry_free (reg);
}

static void
test_rebind_refused (void)
{
  NatterRegistry *reg = natter_registry_new (10, TIMEOUT);
  NatterEntry *alice = reg_ok (reg, "alice", "198.18.0.1:4000", 0);
  NatterEntry *bob = reg_ok (reg, "bob", "198.18.0.2:4000", 0);
  NatterEndpoint alice_ep = ep ("198.18.0.1:4000");
  NatterEndpoint bob_ep = ep ("198.18.0.2:4000");
  g_autoptr(GArray) events = NULL;

  drain (reg);

  /* bob holds that endpoint: moving alice onto it is no rebinding */
  g_assert_false (natter_registry_rebind (reg, alice, &bob_ep));
  g_assert_cmpuint (natter_registry_size (reg), ==, 2);
  g_assert_true (natter_registry_lookup_endpoint (reg, &bob_ep) == bob);
  g_assert_true (natter_registry_lookup_endpoint (reg, &alice_ep) == alice);
  events = natter_registry_take_events (reg);
  g_assert_cmpuint (events->len, ==, 0);

  natter_registry_free (reg);
}

static void
test_rebind_over_classic (void)
{
  NatterRegistry *reg = natter_registry_new (10, TIMEOUT);
  NatterEntry *alice = reg_ok (reg, "alice", "198.18.0.1:4000", 0);
  NatterEndpoint carol_ep = ep ("198.18.0.3:4000");
  NatterEntry *carol = NULL;
  g_autoptr(GArray) events = NULL;

  g_assert_cmpint (natter_registry_register (reg, "carol", &carol_ep, NULL, 0, TRUE, 0, &carol),
                   ==, NATTER_REG_OK);
  drain (reg);

  /* a proven rebinding wins over a classic registration, never proven */
  g_assert_true (natter_registry_rebind (reg, alice, &carol_ep));
  g_assert_null (natter_registry_lookup (reg, "carol"));
  g_assert_true (natter_registry_lookup_endpoint (reg, &carol_ep) == alice);
  events = natter_registry_take_events (reg);
  g_assert_cmpuint (events->len, ==, 2);
  g_assert_cmpint (g_array_index (events, NatterRegEvent, 0).kind, ==, NATTER_EVENT_LEAVE);
  g_assert_cmpint (g_array_index (events, NatterRegEvent, 1).kind, ==, NATTER_EVENT_MOVE);

  natter_registry_free (reg);
}

static void
test_register_evicts (void)
{
  NatterRegistry *reg = natter_registry_new (10, TIMEOUT);
  NatterEndpoint shared = ep ("198.18.0.1:4000");
  NatterEntry *carol;
  g_autoptr(GArray) events = NULL;

  reg_ok (reg, "alice", "198.18.0.1:4000", 0);
  reg_ok (reg, "bob", "198.18.0.2:4000", 0);
  drain (reg);

  /* one socket is one client: a new name from alice's endpoint ends alice */
  carol = reg_ok (reg, "carol", "198.18.0.1:4000", 10);
  g_assert_null (natter_registry_lookup (reg, "alice"));
  g_assert_true (natter_registry_lookup_endpoint (reg, &shared) == carol);
  g_assert_cmpuint (natter_registry_size (reg), ==, 2);

  events = natter_registry_take_events (reg);
  g_assert_cmpuint (events->len, ==, 2);
  assert_event (events, 0, 3, NATTER_EVENT_LEAVE, "alice", "198.18.0.1:4000");
  assert_event (events, 1, 4, NATTER_EVENT_JOIN, "carol", "198.18.0.1:4000");

  natter_registry_free (reg);
}

static void
test_remove (void)
{
  NatterRegistry *reg = natter_registry_new (10, TIMEOUT);
  NatterEndpoint cand = ep ("10.0.0.2:4000");
  NatterEndpoint alice_ep = ep ("198.18.0.1:4000");
  NatterEntry *alice = NULL;
  NatterEntry *bob = reg_ok (reg, "bob", "198.18.0.2:4000", 0);
  g_autoptr(GArray) events = NULL;

  g_assert_cmpint (natter_registry_register (reg, "alice", &alice_ep, &cand, 1, FALSE, 0, &alice),
                   ==, NATTER_REG_OK);
  drain (reg);

  natter_registry_remove (reg, alice, NATTER_EVENT_LEAVE);
  g_assert_null (natter_registry_lookup (reg, "alice"));
  g_assert_null (natter_registry_lookup_endpoint (reg, &alice_ep));
  g_assert_cmpuint (natter_registry_size (reg), ==, 1);
  natter_registry_remove (reg, bob, NATTER_EVENT_TIMEOUT);
  g_assert_cmpuint (natter_registry_size (reg), ==, 0);
  g_assert_cmpint (natter_registry_next_deadline (reg), ==, -1);

  /* the events outlive the entries they describe */
  events = natter_registry_take_events (reg);
  g_assert_cmpuint (events->len, ==, 2);
  assert_event (events, 0, 3, NATTER_EVENT_LEAVE, "alice", "198.18.0.1:4000");
  g_assert_cmpuint (event_at (events, 0)->n_candidates, ==, 1);
  g_assert_true (natter_endpoint_equal (&event_at (events, 0)->candidates[0], &cand));
  assert_event (events, 1, 4, NATTER_EVENT_TIMEOUT, "bob", "198.18.0.2:4000");

  /* the ID and the endpoint are free again */
  reg_ok (reg, "alice", "198.18.0.9:1", 0);
  reg_ok (reg, "dave", "198.18.0.1:4000", 0);
  g_assert_cmpuint (natter_registry_size (reg), ==, 2);

  natter_registry_free (reg);
}

static void
test_versions (void)
{
  NatterRegistry *reg = natter_registry_new (3, TIMEOUT);
  NatterEndpoint moved = ep ("198.18.1.1:1");
  NatterEndpoint extra = ep ("198.18.1.2:1");
  g_autoptr(GArray) all = g_array_new (FALSE, FALSE, sizeof (guint64));
  NatterEntry *a, *b;
  guint64 expected = 0;
  g_autoptr(GArray) empty = NULL;

  a = reg_ok (reg, "a", "198.18.0.1:4000", 0);
  b = reg_ok (reg, "b", "198.18.0.2:4000", 0);
  for (guint round = 0; round < 6; round++)
    {
      g_autoptr(GArray) events = NULL;

      switch (round)
        {
        case 0:
          break;
        case 1:
          natter_registry_rebind (reg, a, &moved);
          natter_registry_touch (reg, b, 10);    /* no event */
          break;
        case 2:
          reg_ok (reg, "c", "198.18.0.3:4000", 20);
          /* refusals are not events */
          g_assert_cmpint (natter_registry_register (reg, "d", &extra, NULL, 0, FALSE, 20, NULL),
                           ==, NATTER_REG_FULL);
          g_assert_cmpint (natter_registry_register (reg, "a", &extra, NULL, 0, FALSE, 20, NULL),
                           ==, NATTER_REG_TAKEN);
          break;
        case 3:
          /* nothing happened: an empty batch */
          break;
        case 4:
          reg_ok (reg, "b", "198.18.0.2:4000", 30);
          natter_registry_remove (reg, b, NATTER_EVENT_LEAVE);
          break;
        case 5:
          g_assert_cmpuint (natter_registry_expire (reg, 20 + TIMEOUT), ==, 2);
          break;
        default:
          g_assert_not_reached ();
        }
      events = natter_registry_take_events (reg);
      if (round == 3)
        g_assert_cmpuint (events->len, ==, 0);
      for (guint i = 0; i < events->len; i++)
        g_array_append_val (all, event_at (events, i)->version);
    }

  /* 1, 2, ... without a gap or a repeat, across all the batches */
  g_assert_cmpuint (all->len, ==, 8);
  for (guint i = 0; i < all->len; i++)
    g_assert_cmpuint (g_array_index (all, guint64, i), ==, ++expected);
  g_assert_cmpuint (natter_registry_version (reg), ==, expected);

  /* taking empties */
  g_assert_false (natter_registry_has_events (reg));
  empty = natter_registry_take_events (reg);
  g_assert_cmpuint (empty->len, ==, 0);

  natter_registry_free (reg);
}

static void
test_take_events_empties (void)
{
  NatterRegistry *reg = natter_registry_new (10, TIMEOUT);
  g_autoptr(GArray) first = NULL;
  g_autoptr(GArray) second = NULL;
  g_autoptr(GArray) third = NULL;

  reg_ok (reg, "a", "198.18.0.1:4000", 0);
  reg_ok (reg, "b", "198.18.0.2:4000", 0);
  g_assert_true (natter_registry_has_events (reg));
  first = natter_registry_take_events (reg);
  g_assert_cmpuint (first->len, ==, 2);
  g_assert_false (natter_registry_has_events (reg));
  second = natter_registry_take_events (reg);
  g_assert_cmpuint (second->len, ==, 0);

  reg_ok (reg, "c", "198.18.0.3:4000", 0);
  third = natter_registry_take_events (reg);
  g_assert_cmpuint (third->len, ==, 1);
  assert_event (third, 0, 3, NATTER_EVENT_JOIN, "c", NULL);
  /* the first batch is untouched by later ones */
  assert_event (first, 0, 1, NATTER_EVENT_JOIN, "a", NULL);
  assert_event (first, 1, 2, NATTER_EVENT_JOIN, "b", NULL);

  natter_registry_free (reg);
}

static void
test_candidates (void)
{
  NatterRegistry *reg = natter_registry_new (10, TIMEOUT);
  NatterEndpoint pub = ep ("198.18.0.1:4000");
  NatterEndpoint cands[NATTER_WIRE_MAX_CANDIDATES + 2];
  NatterEndpoint saved[NATTER_WIRE_MAX_CANDIDATES + 2];
  NatterEntry *entry = NULL;
  NatterPeerInfo info;
  g_autoptr(GArray) events = NULL;
  const NatterRegEvent *event;

  for (guint i = 0; i < G_N_ELEMENTS (cands); i++)
    {
      g_autofree char *text = g_strdup_printf ("10.0.%u.2:%u", i, 4000 + i);

      cands[i] = ep (text);
    }
  memcpy (saved, cands, sizeof saved);

  g_assert_cmpint (natter_registry_register (reg, "alice", &pub, cands, G_N_ELEMENTS (cands),
                                             FALSE, 0, &entry), ==, NATTER_REG_OK);
  /* the registry keeps its own copy, capped */
  memset (cands, 0xAA, sizeof cands);
  g_assert_cmpuint (entry->n_candidates, ==, NATTER_WIRE_MAX_CANDIDATES);
  g_assert_true (entry->candidates != cands);
  g_assert_cmpmem (entry->candidates, NATTER_WIRE_MAX_CANDIDATES * sizeof (NatterEndpoint),
                   saved, NATTER_WIRE_MAX_CANDIDATES * sizeof (NatterEndpoint));

  events = natter_registry_take_events (reg);
  event = event_at (events, 0);
  g_assert_cmpuint (event->n_candidates, ==, NATTER_WIRE_MAX_CANDIDATES);
  g_assert_cmpmem (event->candidates, sizeof event->candidates,
                   saved, NATTER_WIRE_MAX_CANDIDATES * sizeof (NatterEndpoint));

  natter_entry_to_peer_info (entry, TRUE, &info);
  g_assert_cmpstr (info.id, ==, "alice");
  g_assert_cmpuint (info.n_candidates, ==, NATTER_WIRE_MAX_CANDIDATES);
  g_assert_true (natter_endpoint_equal (&info.candidates[7], &saved[7]));
  g_assert_cmpuint (info.flags, ==, 0);
  natter_entry_to_peer_info (entry, FALSE, &info);
  g_assert_cmpuint (info.n_candidates, ==, 0);
  g_assert_true (natter_endpoint_equal (&info.public_endpoint, &pub));

  natter_reg_event_to_peer_info (event, TRUE, &info);
  g_assert_cmpuint (info.n_candidates, ==, NATTER_WIRE_MAX_CANDIDATES);
  natter_reg_event_to_peer_info (event, FALSE, &info);
  g_assert_cmpuint (info.n_candidates, ==, 0);

  /* a re-registration replaces them, here with none */
  g_assert_cmpint (natter_registry_register (reg, "alice", &pub, saved, 0, FALSE, 0, &entry),
                   ==, NATTER_REG_OK);
  g_assert_cmpuint (entry->n_candidates, ==, 0);
  natter_entry_to_peer_info (entry, TRUE, &info);
  g_assert_cmpuint (info.n_candidates, ==, 0);
  g_assert_cmpuint (info.flags, ==, 0);
  /* text from a native client's endpoint never turns it classic */
  g_assert_cmpint (natter_registry_register (reg, "alice", &pub, saved, 0, TRUE, 0, &entry),
                   ==, NATTER_REG_TAKEN);

  /* exactly the maximum is kept whole */
  g_assert_cmpint (natter_registry_register (reg, "alice", &pub, saved, NATTER_WIRE_MAX_CANDIDATES,
                                             FALSE, 0, &entry), ==, NATTER_REG_OK);
  g_assert_cmpuint (entry->n_candidates, ==, NATTER_WIRE_MAX_CANDIDATES);

  natter_registry_free (reg);
}

static void
test_endpoints_distinct (void)
{
  NatterRegistry *reg = natter_registry_new (10, TIMEOUT);
  NatterEntry *v4 = reg_ok (reg, "v4", "198.18.0.1:4000", 0);
  NatterEntry *v4port = reg_ok (reg, "v4port", "198.18.0.1:4001", 0);
  NatterEntry *v6 = reg_ok (reg, "v6", "[2001:db8::1]:4000", 0);
  NatterEndpoint mapped;
  NatterEndpoint probe;
  static const guint8 v4_mapped[16] = { [10] = 0xff, [11] = 0xff, 198, 18, 0, 1 };

  probe = ep ("198.18.0.1:4000");
  g_assert_true (natter_registry_lookup_endpoint (reg, &probe) == v4);
  probe = ep ("198.18.0.1:4001");
  g_assert_true (natter_registry_lookup_endpoint (reg, &probe) == v4port);
  probe = ep ("[2001:db8::1]:4000");
  g_assert_true (natter_registry_lookup_endpoint (reg, &probe) == v6);
  probe = ep ("[2001:db8::1]:4001");
  g_assert_null (natter_registry_lookup_endpoint (reg, &probe));
  /* an IPv4-mapped IPv6 source is the IPv4 client */
  g_assert_true (natter_endpoint_from_bytes (&mapped, v4_mapped, 16, 4000));
  g_assert_true (natter_registry_lookup_endpoint (reg, &mapped) == v4);

  natter_registry_free (reg);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/registry/register", test_register);
  g_test_add_func ("/registry/lookup-case", test_lookup_case);
  g_test_add_func ("/registry/taken", test_taken);
  g_test_add_func ("/registry/reregister", test_reregister);
  g_test_add_func ("/registry/full", test_full);
  g_test_add_func ("/registry/authenticate", test_authenticate);
  g_test_add_func ("/registry/touch", test_touch);
  g_test_add_func ("/registry/expire", test_expire);
  g_test_add_func ("/registry/next-deadline", test_next_deadline);
  g_test_add_func ("/registry/clock-backwards", test_clock_backwards);
  g_test_add_func ("/registry/rebind", test_rebind);
  g_test_add_func ("/registry/rebind-refused", test_rebind_refused);
  g_test_add_func ("/registry/rebind-over-classic", test_rebind_over_classic);
  g_test_add_func ("/registry/register-evicts", test_register_evicts);
  g_test_add_func ("/registry/remove", test_remove);
  g_test_add_func ("/registry/versions", test_versions);
  g_test_add_func ("/registry/take-events-empties", test_take_events_empties);
  g_test_add_func ("/registry/candidates", test_candidates);
  g_test_add_func ("/registry/endpoints-distinct", test_endpoints_distinct);

  return g_test_run ();
}
