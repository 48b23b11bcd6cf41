/* The compose form's text work: typed address lists, one "Re:", the quote, References. */
#include <stdlib.h>
#include <string.h>

#include "t.h"
#include "web/compose_text.h"

static void test_typed_addresses_parse_or_name_the_bad_one(void)
{
	static const struct {
		const char *in;
		int rc;
		size_t n;
		const char *first_email, *first_name, *last_email, *bad;
	} cases[] = {
		{ "", 0, 0, NULL, NULL, NULL, "" },
		{ " , ; ", 0, 0, NULL, NULL, NULL, "" },
		{ "John@Example.NET", 0, 1, "john@example.net", NULL, "john@example.net", "" },
		{ "John Smith <john@example.net>, ann@x.org", 0, 2, "john@example.net", "John Smith",
		    "ann@x.org", "" },
		{ "\"Lee, Ann\" <ann@x.org>; bob@y.io", 0, 2, "ann@x.org", "Lee, Ann", "bob@y.io", "" },
		{ "<only@angle.example>", 0, 1, "only@angle.example", NULL, "only@angle.example", "" },
		{ "john@example.net, not an address", -1, 0, NULL, NULL, NULL, "not an address" },
		{ "Ann <ann@x.org> trailing", -1, 0, NULL, NULL, NULL, "Ann <ann@x.org> trailing" },
		{ "Ann <ann@x.org", -1, 0, NULL, NULL, NULL, "Ann <ann@x.org" },
		{ "a@b", -1, 0, NULL, NULL, NULL, "a@b" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct addr *v = NULL;
		size_t n = 99;
		char bad[100];
		int rc = compose_addrs_parse(cases[i].in, &v, &n, bad, sizeof bad);
		char got_first[100] = "", got_name[100] = "", got_last[100] = "";
		if (rc == 0 && n) {
			snprintf(got_first, sizeof got_first, "%s", v[0].email);
			snprintf(got_name, sizeof got_name, "%s", v[0].name ? v[0].name : "");
			snprintf(got_last, sizeof got_last, "%s", v[n - 1].email);
		}
		compose_addrs_free(v, COMPOSE_MAX_ADDRS);
		CHECK_INT(rc, cases[i].rc);
		if (rc == 0) {
			CHECK_INT(n, cases[i].n);
			if (n) {
				CHECK_STR(got_first, cases[i].first_email);
				CHECK_STR(got_name, cases[i].first_name ? cases[i].first_name : "");
				CHECK_STR(got_last, cases[i].last_email);
			}
		} else {
			CHECK_STR(bad, cases[i].bad);
		}
	}
}

static void test_too_many_addresses_are_refused(void)
{
	char list[60 * 16] = "";
	for (int i = 0; i < COMPOSE_MAX_ADDRS + 1; i++) {
		char one[24];
		snprintf(one, sizeof one, "u%d@x.org,", i);
		strcat(list, one);
	}
	struct addr *v = NULL;
	size_t n = 0;
	char bad[100];
	CHECK_INT(compose_addrs_parse(list, &v, &n, bad, sizeof bad), -1);
	CHECK(v == NULL);
}

static void test_reply_subject_has_one_re(void)
{
	static const char *const cases[][2] = {
		{ "Container swap", "Re: Container swap" },
		{ "Re: Container swap", "Re: Container swap" },
		{ "RE: re:Re:  Container swap", "Re: Container swap" },
		{ "", "Re: " },
		{ "Regarding rates", "Re: Regarding rates" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *s = compose_reply_subject(cases[i][0]);
		char got[100];
		snprintf(got, sizeof got, "%s", s ? s : "(null)");
		free(s);
		CHECK_STR(got, cases[i][1]);
	}
}

static void test_quote_prefixes_every_line(void)
{
	static const char *const cases[][2] = {
		{ "Hi\nthere", "\n\nOn X, J wrote:\n> Hi\n> there\n" },
		{ "Hi\r\n\r\nthere\r\n\r\n", "\n\nOn X, J wrote:\n> Hi\n> \n> there\n" },
		{ "", "\n\nOn X, J wrote:\n> \n" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *q = compose_quote("On X, J wrote:", cases[i][0]);
		char got[200];
		snprintf(got, sizeof got, "%s", q ? q : "(null)");
		free(q);
		CHECK_STR(got, cases[i][1]);
	}
}

static void test_references_end_with_the_parent_and_stay_bounded(void)
{
	const char *v[4];
	size_t n = 0;
	char *buf = compose_refs("<a@x> b@x", "<p@x>", v, 4, &n);
	CHECK(buf);
	int ok = n == 3 && strcmp(v[0], "a@x") == 0 && strcmp(v[1], "b@x") == 0 &&
	    strcmp(v[2], "p@x") == 0;
	free(buf);
	CHECK(ok);
	buf = compose_refs("r1 r2 r3 r4 r5 r6", "p", v, 4, &n);
	CHECK(buf);
	ok = n == 4 && strcmp(v[0], "r1") == 0 && strcmp(v[1], "r5") == 0 &&
	    strcmp(v[2], "r6") == 0 && strcmp(v[3], "p") == 0;
	free(buf);
	CHECK(ok);
	buf = compose_refs(NULL, "p", v, 4, &n);
	ok = buf && n == 1 && strcmp(v[0], "p") == 0;
	free(buf);
	CHECK(ok);
}

static void test_bare_message_id(void)
{
	char a[] = " <x@y> ", b[] = "x@y", c[] = "<>";
	CHECK_STR(compose_bare_id(a), "x@y");
	CHECK_STR(compose_bare_id(b), "x@y");
	CHECK_STR(compose_bare_id(c), "");
}

T_MAIN(T(test_typed_addresses_parse_or_name_the_bad_one), T(test_too_many_addresses_are_refused),
    T(test_reply_subject_has_one_re), T(test_quote_prefixes_every_line),
    T(test_references_end_with_the_parent_and_stay_bounded), T(test_bare_message_id))
