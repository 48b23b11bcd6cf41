/* Connections kept between passes: the most recent ones kept up to the limit, idle ones closed,
 * none kept when disabled; and the STATUS check that lets an idle pass skip the mailbox. */
#include "t.h"
#include "providers/imap.h"
#include "sync/keep.h"

static int closed[8];

static void fake_close(void *conn)
{
	closed[(int)(intptr_t)conn]++;
}

static struct prov_keep conn(int n)
{
	return (struct prov_keep){ .conn = (void *)(intptr_t)n, .close = fake_close };
}

static void test_most_recent_connections_are_kept_up_to_the_limit(void)
{
	struct keeps *k = keeps_new(2, 600);
	struct prov_keep s;
	memset(closed, 0, sizeof closed);
	s = conn(1);
	keeps_put(k, 101, &s, 10);
	CHECK(s.conn == NULL);
	s = conn(2);
	keeps_put(k, 102, &s, 20);
	s = conn(3);
	keeps_put(k, 103, &s, 30);        /* full: link 101's, the oldest, goes */
	CHECK_INT(closed[1], 1);
	CHECK_INT(keeps_count(k), 2);
	struct prov_keep got = { 0 };
	keeps_take(k, 101, &got);
	CHECK(got.conn == NULL);
	keeps_take(k, 102, &got);
	CHECK(got.conn == (void *)2);
	CHECK_INT(keeps_count(k), 1);
	keeps_put(k, 102, &got, 40);
	keeps_free(k);
	CHECK_INT(closed[2], 1);
	CHECK_INT(closed[3], 1);
}

static void test_idle_connections_are_closed(void)
{
	struct keeps *k = keeps_new(8, 600);
	struct prov_keep s;
	memset(closed, 0, sizeof closed);
	s = conn(4);
	keeps_put(k, 1, &s, 100);
	s = conn(5);
	keeps_put(k, 2, &s, 500);
	keeps_expire(k, 700);
	CHECK_INT(closed[4], 1);
	CHECK_INT(closed[5], 0);
	CHECK_INT(keeps_count(k), 1);
	keeps_free(k);
	CHECK_INT(closed[5], 1);
}

static void test_nothing_is_kept_when_disabled(void)
{
	struct keeps *k = keeps_new(0, 600);
	struct prov_keep s = conn(6);
	memset(closed, 0, sizeof closed);
	keeps_put(k, 1, &s, 1);
	CHECK(s.conn == NULL);
	CHECK_INT(closed[6], 1);
	CHECK_INT(keeps_count(k), 0);
	keeps_free(k);
}

static void test_status_says_when_a_mailbox_needs_a_pull(void)
{
	static const struct {
		uint32_t v, next;
		const char *cursor;
		int moved;
	} cases[] = {
		{ 7, 43, "v=7;u=42;m=100", 0 },        /* nothing after UID 42 */
		{ 7, 40, "v=7;u=42;m=100", 0 },        /* cursor ahead (messages expunged) */
		{ 7, 44, "v=7;u=42;m=100", 1 },        /* UID 43 arrived */
		{ 8, 43, "v=7;u=42;m=100", 1 },        /* mailbox recreated */
		{ 7, 43, NULL, 1 },                    /* first sync */
		{ 7, 43, "garbage", 1 },
		{ 7, 0, "v=7;u=42;m=100", 1 },         /* no UIDNEXT: look */
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct imap_status st = { .uidvalidity = cases[i].v, .uidnext = cases[i].next,
			.highestmodseq = 999 };
		CHECK_INT(imap_status_moved(&st, cases[i].cursor), cases[i].moved);
	}
}

T_MAIN(T(test_most_recent_connections_are_kept_up_to_the_limit),
    T(test_idle_connections_are_closed),
    T(test_nothing_is_kept_when_disabled),
    T(test_status_says_when_a_mailbox_needs_a_pull))
