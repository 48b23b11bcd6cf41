/* Address lists: what addr_list_format or addr_list_header writes, addr_list_parse and
 * addr_list_read read back as the same names and addresses. */
#include <stdlib.h>
#include <string.h>

#include "t.h"
#include "core/addr.h"

#define MAX 50

static const struct addr names[] = {
	{ (char *)"Smith, John", (char *)"j@x.com" },
	{ (char *)"Jo \"Q\" B\\s", (char *)"q@x.com" },
	{ (char *)"Jos\xc3\xa9 M\xc3\xbcller", (char *)"jm@x.de" },
	{ (char *)"M\xc3\xbcller, Jos\xc3\xa9", (char *)"mj@x.de" },
	{ (char *)"O'Neil", (char *)"o@x.ie" },
	{ (char *)"A.B. Jones (sales)", (char *)"ab@x.com" },
	{ NULL, (char *)"bare@x.org" },
	{ (char *)"Back\\slash", (char *)"bs@x.org" },
};
#define N_NAMES (sizeof names / sizeof names[0])

/* 1 when got[0..n) holds the names and addresses of names[], in order. */
static int same_as_names(const struct addr *got, size_t n)
{
	if (n != N_NAMES)
		return 0;
	for (size_t i = 0; i < n; i++) {
		const char *want = names[i].name ? names[i].name : "";
		if (strcmp(got[i].email, names[i].email) != 0 ||
		    strcmp(got[i].name ? got[i].name : "", want) != 0) {
			fprintf(stderr, "  #%zu: [%s] <%s>\n", i, got[i].name ? got[i].name : "",
			    got[i].email);
			return 0;
		}
	}
	return 1;
}

static void test_formatted_list_parses_back_to_the_same_people(void)
{
	char *s = addr_list_format(names, N_NAMES);
	CHECK(s != NULL);
	struct addr *v = NULL;
	size_t n = 0;
	char bad[200];
	int rc = addr_list_parse(s, MAX, &v, &n, bad, sizeof bad);
	if (rc != 0)
		fprintf(stderr, "  %s\n  bad: %s\n", s, bad);
	free(s);
	int same = rc == 0 && same_as_names(v, n);
	addr_list_free(v, MAX);
	CHECK(same);
	/* the lenient reader of stored lists agrees */
	s = addr_list_format(names, N_NAMES);
	CHECK(addr_list_read(s, &v, &n) == 0);
	free(s);
	same = same_as_names(v, n);
	addr_list_free(v, n);
	CHECK(same);
}

static void test_names_are_quoted_only_when_they_must_be(void)
{
	static const struct { const char *name, *want; } cases[] = {
		{ "Smith, John", "\"Smith, John\" <a@x.com>" },
		{ "Jo \"Q\" B\\s", "\"Jo \\\"Q\\\" B\\\\s\" <a@x.com>" },
		{ "John Smith", "John Smith <a@x.com>" },
		{ "O'Neil", "O'Neil <a@x.com>" },
		{ "Jos\xc3\xa9", "Jos\xc3\xa9 <a@x.com>" },
		{ "a.b", "\"a.b\" <a@x.com>" },
		{ "", "a@x.com" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *s = addr_format(cases[i].name, "a@x.com");
		char got[200];
		snprintf(got, sizeof got, "%s", s ? s : "(null)");
		free(s);
		CHECK_STR(got, cases[i].want);
	}
}

static void test_header_encodes_non_ascii_names_and_reads_back(void)
{
	char *h = addr_list_header(names, N_NAMES);
	CHECK(h != NULL);
	int ascii = 1;
	for (const char *p = h; *p; p++)
		ascii &= (unsigned char)*p < 0x80;
	int encoded = strstr(h, "=?") != NULL, quoted = strstr(h, "\"Smith, John\"") != NULL;
	struct addr *v = NULL;
	size_t n = 0;
	char bad[200];
	int rc = addr_list_parse(h, MAX, &v, &n, bad, sizeof bad);
	if (rc != 0 || !ascii)
		fprintf(stderr, "  %s\n  bad: %s\n", h, bad);
	free(h);
	int same = rc == 0 && same_as_names(v, n);
	addr_list_free(v, MAX);
	CHECK(ascii);
	CHECK(encoded);
	CHECK(quoted);
	CHECK(same);
}

static void test_groups_are_flattened_and_empty_lists_are_empty(void)
{
	struct addr *v = NULL;
	size_t n = 9;
	char bad[200];
	CHECK(addr_list_parse("Team: a@x.com, \"B, C\" <B@X.com>;, d@x.com", MAX, &v, &n, bad,
	    sizeof bad) == 0);
	int ok = n == 3 && strcmp(v[0].email, "a@x.com") == 0 && strcmp(v[1].email, "b@x.com") == 0 &&
	    v[1].name && strcmp(v[1].name, "B, C") == 0 && strcmp(v[2].email, "d@x.com") == 0;
	addr_list_free(v, MAX);
	CHECK(ok);
	CHECK(addr_list_parse("Undisclosed recipients:;", MAX, &v, &n, bad, sizeof bad) == 0);
	CHECK(n == 0 && v == NULL);
	CHECK(addr_list_parse("", MAX, &v, &n, bad, sizeof bad) == 0);
	CHECK(n == 0 && v == NULL);
	CHECK(addr_list_read("", &v, &n) == 0);
	CHECK(n == 0 && v == NULL);
	char *s = addr_list_format(NULL, 0);
	CHECK_STR(s, "");
	free(s);
	CHECK(addr_list_read("Undisclosed recipients:;", &v, &n) == 0);
	CHECK(n == 0);
	addr_list_free(v, n);
}

static void test_a_comma_in_a_name_is_one_recipient(void)
{
	struct addr *v = NULL;
	size_t n = 0;
	char bad[200];
	CHECK(addr_list_parse("\"Smith, John\" <j@x.com>", MAX, &v, &n, bad, sizeof bad) == 0);
	int ok = n == 1 && strcmp(v[0].email, "j@x.com") == 0 && strcmp(v[0].name, "Smith, John") == 0;
	addr_list_free(v, MAX);
	CHECK(ok);
	/* a list stored before names were quoted is still read as one person */
	CHECK(addr_list_read("Smith, John <j@x.com>", &v, &n) == 0);
	ok = n == 1 && strcmp(v[0].email, "j@x.com") == 0;
	addr_list_free(v, n);
	CHECK(ok);
}

static void test_more_than_max_is_refused(void)
{
	struct addr *v = NULL;
	size_t n = 0;
	char bad[200];
	CHECK(addr_list_parse("a@x.com, b@x.com, c@x.com", 2, &v, &n, bad, sizeof bad) == -1);
	CHECK(v == NULL);
	CHECK_STR(bad, "more than 2 addresses");
	CHECK(addr_list_parse("G: a@x.com, b@x.com, c@x.com;", 2, &v, &n, bad, sizeof bad) == -1);
	CHECK(v == NULL);
}

T_MAIN(T(test_formatted_list_parses_back_to_the_same_people),
    T(test_names_are_quoted_only_when_they_must_be),
    T(test_header_encodes_non_ascii_names_and_reads_back),
    T(test_groups_are_flattened_and_empty_lists_are_empty),
    T(test_a_comma_in_a_name_is_one_recipient),
    T(test_more_than_max_is_refused))
