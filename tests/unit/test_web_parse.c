/* The web app's pure parts: query and form parsing, cookies, escaping, the input table. */
#include "t.h"
#include "core/db_search.h"
#include "web/html.h"
#include "web/request.h"
#include "web/web.h"

static void test_query_strings_decode_plus_and_percent(void)
{
	struct params p = { 0 };
	const char *q = "a=1&title=Rates+%26+%22quotes%22&empty=&flag&x=%E2%9C%93";
	CHECK_INT(params_parse(&p, q, strlen(q)), 0);
	CHECK_INT(p.n, 5);
	CHECK_STR(params_get(&p, "a"), "1");
	CHECK_STR(params_get(&p, "title"), "Rates & \"quotes\"");
	CHECK_STR(params_get(&p, "empty"), "");
	CHECK_STR(params_get(&p, "flag"), "");
	CHECK_STR(params_get(&p, "x"), "\xe2\x9c\x93");
	CHECK(params_get(&p, "nope") == NULL);
	params_free(&p);
}

static void test_bad_escapes_and_nul_bytes_are_refused(void)
{
	static const char *const bad[] = { "a=%", "a=%4", "a=%zz", "a=%00", "%00=1" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct params p = { 0 };
		CHECK_INT(params_parse(&p, bad[i], strlen(bad[i])), -1);
		params_free(&p);
	}
}

static void test_too_many_parameters_are_refused(void)
{
	struct buf b = { 0 };
	for (int i = 0; i < REQ_MAX_PARAMS + 1; i++)
		buf_printf(&b, "k%d=v&", i);
	struct params p = { 0 };
	CHECK_INT(params_parse(&p, b.s, b.len), -1);
	params_free(&p);
	buf_free(&b);
}

static void test_cookies_are_found_by_exact_name(void)
{
	char *v = cookie_get("xcrm_session=bad; crm_session=tok123; crm_pre=p", "crm_session");
	CHECK_STR(v, "tok123");
	free(v);
	v = cookie_get("crm_pre=p", "crm_session");
	CHECK(v == NULL);
	v = cookie_get("a=1;crm_pre=zz", "crm_pre");
	CHECK_STR(v, "zz");
	free(v);
}

static void test_html_escaping_covers_text_and_attributes(void)
{
	static const struct { const char *in, *out; } cases[] = {
		{ "<script>alert('x')</script>", "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" },
		{ "Rates & \"quotes\"", "Rates &amp; &quot;quotes&quot;" },
		{ "plain", "plain" },
		{ "", "" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *e = html_escape_dup(cases[i].in);
		CHECK_STR(e, cases[i].out);
		free(e);
	}
	struct buf b = { 0 };
	html_url_arg(&b, "/calendar?month=2023-07&user=2");
	CHECK_STR(b.s, "/calendar%3Fmonth%3D2023-07%26user%3D2");
	buf_free(&b);
}

static void test_text_must_be_utf8_without_controls(void)
{
	CHECK(text_clean("Line one\nLine two\tx"));
	CHECK(text_clean("caf\xc3\xa9"));
	CHECK(!text_clean("bad \x01 control"));
	CHECK(!text_clean("\xc3"));
	CHECK(!text_clean("\xc0\xaf"));            /* overlong '/' */
	CHECK(!text_clean("\xed\xa0\x80"));        /* surrogate */
}

static int check(const char *query, const char *form)
{
	struct req r = { 0 };
	char err[160];
	params_parse(&r.query, query, strlen(query));
	params_parse(&r.form, form, strlen(form));
	int rc = input_check(&r, err, sizeof err);
	req_free(&r);
	return rc;
}

static void test_inputs_are_checked_before_pages_run(void)
{
	CHECK_INT(check("month=2023-07&user=2", ""), 0);
	CHECK_INT(check("month=2023-13", ""), 400);
	CHECK_INT(check("date=2023-02-30", ""), 400);
	CHECK_INT(check("user=abc", ""), 400);
	CHECK_INT(check("next=//evil.example/", ""), 400);
	CHECK_INT(check("next=/calendar?month=2023-07", ""), 0);
	CHECK_INT(check("unknown=whatever", ""), 0);
	CHECK_INT(check("", "kind=other"), 400);
	/* Appointment fields in a form stay for the page to explain. */
	CHECK_INT(check("", "date=2023-02-30&time=25:00&duration=x"), 0);
}

static void test_soft_form_fields_keep_their_value_and_are_marked(void)
{
	struct req r = { 0 };
	struct ctx c = { .req = &r };
	char err[160];
	const char *f = "date=2023-02-30&title=ok&secret=1";
	params_parse(&r.form, f, strlen(f));
	CHECK_INT(input_check(&r, err, sizeof err), 0);
	CHECK_STR(f_get(&c, "date"), "2023-02-30");
	CHECK(f_invalid(&c, "date"));
	CHECK(!f_invalid(&c, "title"));
	CHECK(f_get(&c, "secret") == NULL);
	req_free(&r);
}

static void test_header_fields_hold_no_cr_or_lf(void)
{
	struct req r = { 0 };
	struct ctx c = { .req = &r };
	char err[160];
	const char *f = "subject=Hi%0D%0ABcc:+x@example.org&to=a@example.org%0Ab@example.org"
	    "&title=Visit%0D&body=line+one%0D%0Aline+two&note=a%0Ab";
	params_parse(&r.form, f, strlen(f));
	CHECK_INT(input_check(&r, err, sizeof err), 0);
	CHECK(f_invalid(&c, "subject"));
	CHECK(f_invalid(&c, "to"));
	CHECK(f_invalid(&c, "title"));
	CHECK(!f_invalid(&c, "body"));
	CHECK(!f_invalid(&c, "note"));
	req_free(&r);
	CHECK_INT(check("", "email=a@example.org%0D%0AX:+y"), 400);
}

static void test_ids_are_positive_decimal_numbers(void)
{
	CHECK_INT(parse_id("42"), 42);
	CHECK_INT(parse_id("0"), 0);
	CHECK_INT(parse_id("-1"), 0);
	CHECK_INT(parse_id("1e3"), 0);
	CHECK_INT(parse_id(""), 0);
	CHECK_INT(parse_id("9999999999999999999"), 0);
}

/* What the user types reaches FTS5 only as quoted phrases of words, whole words for mail and
 * appointments and prefixes for contacts and accounts: no operator, column filter or quote of
 * theirs survives. */
static void test_search_words_become_quoted_phrases(void)
{
	static const struct { const char *in, *words, *prefixes; } cases[] = {
		{ "crème brûlée", "\"crème\" \"brûlée\"", "\"crème\"* \"brûlée\"*" },
		{ "john.smith@example.net", "\"john\" \"smith\" \"example\" \"net\"",
		  "\"john\"* \"smith\"* \"example\"* \"net\"*" },
		{ "NEAR(a b", "\"NEAR\" \"a\" \"b\"", "\"NEAR\"* \"a\"* \"b\"*" },
		{ "\"x\" OR col:y*", "\"x\" \"OR\" \"col\" \"y\"", "\"x\"* \"OR\"* \"col\"* \"y\"*" },
		{ "<script>", "\"script\"", "\"script\"*" },
		{ "café — «rates»", "\"café\" \"rates\"", "\"café\"* \"rates\"*" },
		{ "1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18",
		  "\"1\" \"2\" \"3\" \"4\" \"5\" \"6\" \"7\" \"8\" \"9\" \"10\" \"11\""
		  " \"12\" \"13\" \"14\" \"15\" \"16\"",
		  "\"1\"* \"2\"* \"3\"* \"4\"* \"5\"* \"6\"* \"7\"* \"8\"* \"9\"* \"10\"* \"11\"*"
		  " \"12\"* \"13\"* \"14\"* \"15\"* \"16\"*" },
	};
	int none;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		for (int k = 0; k < SEARCH_NKINDS; k++) {
			char *q = search_fts_query(cases[i].in, (enum search_kind)k, &none);
			int prefixes = k == SEARCH_CONTACT || k == SEARCH_ACCOUNT;
			CHECK_STR(q, prefixes ? cases[i].prefixes : cases[i].words);
			CHECK_INT(none, 0);
			free(q);
		}
	}
	static const char *const empty[] = { "", "\"", "*", "!!!...;;;", "()^-:", "…—«»" };
	for (size_t i = 0; i < sizeof empty / sizeof empty[0]; i++) {
		for (int k = 0; k < SEARCH_NKINDS; k++) {
			CHECK(search_fts_query(empty[i], (enum search_kind)k, &none) == NULL);
			CHECK_INT(none, 1);
		}
	}
}

/* Snippet marks become <mark> only after the text is escaped, and always balance. */
static void test_snippets_are_escaped_then_marked(void)
{
	static const struct { const char *in, *out; } cases[] = {
		{ "a \001quote\002 <b>", "a <mark>quote</mark> &lt;b&gt;" },
		{ "\001<img src=x>\002", "<mark>&lt;img src=x&gt;</mark>" },
		{ "\002stray\001open", "stray<mark>open</mark>" },
		{ "\001\001twice\002\002", "<mark>twice</mark>" },
		{ "bell\007 & tab\t", "bell &amp; tab\t" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct buf b = { 0 };
		html_snippet(&b, cases[i].in);
		CHECK_STR(b.s, cases[i].out);
		buf_free(&b);
	}
}

T_MAIN(T(test_search_words_become_quoted_phrases), T(test_snippets_are_escaped_then_marked),
    T(test_query_strings_decode_plus_and_percent), T(test_bad_escapes_and_nul_bytes_are_refused),
    T(test_too_many_parameters_are_refused), T(test_cookies_are_found_by_exact_name),
    T(test_html_escaping_covers_text_and_attributes), T(test_text_must_be_utf8_without_controls),
    T(test_inputs_are_checked_before_pages_run),
    T(test_soft_form_fields_keep_their_value_and_are_marked),
    T(test_header_fields_hold_no_cr_or_lf), T(test_ids_are_positive_decimal_numbers))
