/* Mail parsing and building over the corpus in tests/unit/corpus/mail/. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "providers/html_text.h"
#include "providers/mime.h"
#include "t.h"

static char *slurp(const char *name, size_t *len)
{
	char path[1024];
	const char *root = getenv("CRM_ROOT");
	snprintf(path, sizeof path, "%s/tests/unit/corpus/mail/%s", root ? root : ".", name);
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	char *buf = malloc(1 << 20);
	size_t n = buf ? fread(buf, 1, (1 << 20) - 1, f) : 0;
	fclose(f);
	if (buf)
		buf[n] = '\0';
	*len = n;
	return buf;
}

/* Parse a corpus file into *m; returns mime_parse's result, or -2 when the file is missing. */
static int parse_file(const char *name, struct sync_msg *m, char *err, size_t errlen)
{
	size_t len;
	char *raw = slurp(name, &len);
	if (!raw) {
		memset(m, 0, sizeof *m);
		return -2;
	}
	int rc = mime_parse(raw, len, m, err, errlen);
	free(raw);
	return rc;
}

static void test_plain_mail_gives_headers_and_body(void)
{
	struct sync_msg m;
	char err[128];
	CHECK_INT(parse_file("plain.eml", &m, err, sizeof err), 0);
	CHECK_STR(m.message_id, "plain-1@example.com");
	CHECK_STR(m.subject, "Gate code for Tuesday");
	CHECK_STR(m.from.email, "maria.lopez@example.com");
	CHECK_STR(m.from.name, "Maria Lopez");
	CHECK_INT(m.n_to, 1);
	CHECK_STR(m.to[0].email, "office@fieldco.test");
	CHECK_INT(m.date, 1690821000);   /* 2023-07-31 16:30:00 UTC */
	CHECK_STR(m.body_text, "Hi,\n\nThe gate code is 4417.\nSee you Tuesday.\n");
	CHECK(m.in_reply_to == NULL);
	CHECK_INT(m.n_references, 0);
	CHECK(m.body_html_safe == NULL);
	msg_free(&m);
}

static void test_quoted_printable_latin1_becomes_utf8(void)
{
	struct sync_msg m;
	char err[128];
	CHECK_INT(parse_file("qp_latin1.eml", &m, err, sizeof err), 0);
	CHECK_STR(m.subject, "Caf\xc3\xa9 cr\xc3\xa8me");
	CHECK_STR(m.from.name, "Ren\xc3\xa9 Dupr\xc3\xa9");
	CHECK_STR(m.body_text, "Bonjour, le caf\xc3\xa9 est pr\xc3\xaat. Une tr\xc3\xa8s longue "
	    "ligne qui continue apr\xc3\xa8s le saut.\n");
	CHECK_INT(m.date, 1690869600);
	msg_free(&m);
}

static void test_base64_utf8_body_decoded(void)
{
	struct sync_msg m;
	char err[128];
	CHECK_INT(parse_file("base64_utf8.eml", &m, err, sizeof err), 0);
	CHECK_STR(m.body_text, "\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82! Meeting at "
	    "10:00 \xe2\x80\x94 ok? \xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\n");
	msg_free(&m);
}

static void test_encoded_words_decoded_in_subject_and_names(void)
{
	struct sync_msg m;
	char err[128];
	CHECK_INT(parse_file("encoded_subject.eml", &m, err, sizeof err), 0);
	CHECK_STR(m.subject, "Re: Angebot \xc3\xbc" "ber 500\xe2\x82\xac f\xc3\xbcr Wartung");
	CHECK_STR(m.from.name, "J\xc3\xbcrgen M\xc3\xbcller");
	CHECK_INT(m.n_to, 2);
	CHECK_STR(m.to[0].name, "Office, Main");
	CHECK_STR(m.to[1].name, "Zo\xc3\xab");
	CHECK_STR(m.to[1].email, "zoe@example.com");
	msg_free(&m);
}

static void test_html_only_mail_shown_as_text_without_script(void)
{
	struct sync_msg m;
	char err[128];
	CHECK_INT(parse_file("html_only.eml", &m, err, sizeof err), 0);
	CHECK(m.body_text != NULL);
	CHECK(strstr(m.body_text, "<") == NULL || strstr(m.body_text, "Thanks <3") != NULL);
	CHECK(strstr(m.body_text, "alert") == NULL);
	CHECK(strstr(m.body_text, "injected") == NULL);
	CHECK(strstr(m.body_text, "evil") == NULL);
	CHECK(strstr(m.body_text, "color") == NULL);
	CHECK(strstr(m.body_text, "Invoice title") == NULL);
	CHECK_STR(m.body_text, "Dear customer,\n\nYour invoice #1234 is due & payable now.\n"
	    "Thanks <3\n\nClick here\n\n- One\n- Two\n\nCaf\xc3\xa9 \xe2\x82\xac" "5");
	CHECK(m.body_html_safe == NULL);
	msg_free(&m);
}

static void test_alternative_prefers_plain_text(void)
{
	struct sync_msg m;
	char err[128];
	CHECK_INT(parse_file("alternative.eml", &m, err, sizeof err), 0);
	CHECK_STR(m.body_text, "Plain version \xe2\x9c\x93");
	CHECK_INT(m.n_cc, 2);
	CHECK_STR(m.cc[0].name, "Ann");
	CHECK_STR(m.cc[1].email, "carl@customer.test");
	CHECK(m.cc[1].name == NULL);
	msg_free(&m);
}

static void test_reply_keeps_thread_ids_and_skips_attachment(void)
{
	struct sync_msg m;
	char err[128];
	CHECK_INT(parse_file("reply.eml", &m, err, sizeof err), 0);
	CHECK_STR(m.message_id, "reply-1@fieldco.test");
	CHECK_STR(m.in_reply_to, "plain-1@example.com");
	CHECK_INT(m.n_references, 2);
	CHECK_STR(m.references[0], "root-0@example.com");
	CHECK_STR(m.references[1], "plain-1@example.com");
	CHECK_STR(m.body_text, "Thanks, noted.\n\n> The gate code is 4417.");
	CHECK(m.from.name == NULL);
	CHECK_STR(m.from.email, "office@fieldco.test");
	msg_free(&m);
}

static void test_missing_message_id_synthesized_the_same_each_time(void)
{
	struct sync_msg a, b;
	char err[128];
	CHECK_INT(parse_file("no_message_id.eml", &a, err, sizeof err), 0);
	CHECK_INT(parse_file("no_message_id.eml", &b, err, sizeof err), 0);
	CHECK(a.message_id && strncmp(a.message_id, "synth-", 6) == 0);
	CHECK_STR(a.message_id, b.message_id);
	struct sync_msg c;
	CHECK_INT(parse_file("plain.eml", &c, err, sizeof err), 0);
	CHECK(strcmp(c.message_id, a.message_id) != 0);
	msg_free(&a);
	msg_free(&b);
	msg_free(&c);
}

static void test_garbage_refused_with_reason(void)
{
	struct sync_msg m;
	char err[128] = "";
	CHECK_INT(parse_file("broken.eml", &m, err, sizeof err), -1);
	CHECK(err[0] != '\0');
	msg_free(&m);
	err[0] = '\0';
	CHECK_INT(mime_parse("", 0, &m, err, sizeof err), -1);
	CHECK(err[0] != '\0');
	msg_free(&m);
}

static void test_truncated_multipart_parsed_best_effort(void)
{
	struct sync_msg m;
	char err[128];
	CHECK_INT(parse_file("truncated.eml", &m, err, sizeof err), 0);
	CHECK_STR(m.message_id, "trunc-1@example.com");
	CHECK_STR(m.body_text, "The first part survived");
	msg_free(&m);
}

static void test_groups_flattened_and_addresses_normalized(void)
{
	struct sync_msg m;
	char err[128];
	CHECK_INT(parse_file("group_addrs.eml", &m, err, sizeof err), 0);
	CHECK_STR(m.from.email, "dispatch@fieldco.test");
	CHECK_STR(m.from.name, "Dispatch");
	CHECK_INT(m.n_to, 3);
	CHECK_STR(m.to[0].email, "al@crew.test");
	CHECK_STR(m.to[0].name, "Al");
	CHECK_STR(m.to[1].email, "bea@crew.test");
	CHECK_STR(m.to[2].email, "plain@example.com");
	msg_free(&m);
}

static void test_undeclared_charset_read_as_latin1(void)
{
	struct sync_msg m;
	char err[128];
	CHECK_INT(parse_file("latin1_no_charset.eml", &m, err, sizeof err), 0);
	CHECK_STR(m.body_text, "Caf\xc3\xa9 cr\xc3\xa8me\n");
	msg_free(&m);
}

static void test_html_to_text_cases(void)
{
	static const struct { const char *html, *text; } cases[] = {
		{ "", "" },
		{ "plain words", "plain words" },
		{ "<p>a</p><p>b</p>", "a\n\nb" },
		{ "a<br>b<br><br>c", "a\nb\n\nc" },
		{ "<div>x</div><div>y</div>", "x\ny" },
		{ "  lots   of\n\n  space  ", "lots of space" },
		{ "<pre>keep\n  this</pre>", "keep\n  this" },
		{ "<style>x{}</style><script>bad()</script>ok", "ok" },
		{ "<noscript>n</noscript><iframe src=x>f</iframe>seen", "seen" },
		{ "&lt;b&gt; &amp; &quot;q&quot; &#x263A;", "<b> & \"q\" \xe2\x98\xba" },
		{ "<table><tr><td>a</td><td>b</td></tr><tr><td>c</td></tr></table>", "a b\nc" },
		{ "<p>unclosed <b>bold <i>it", "unclosed bold it" },
		{ "<a href=\"http://x\" onclick=\"evil()\">link</a>", "link" },
		{ "<!-- comment -->text<!-- more -->", "text" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *t = html_to_text(cases[i].html, strlen(cases[i].html));
		CHECK(t != NULL);
		if (strcmp(t, cases[i].text) != 0)
			fprintf(stderr, "  case %zu: got \"%s\"\n", i, t);
		int same = strcmp(t, cases[i].text) == 0;
		free(t);
		CHECK(same);
	}
}

static void test_deep_html_nesting_does_not_crash(void)
{
	size_t n = 100000;
	char *h = malloc(n * 5 + 16);
	CHECK(h != NULL);
	char *p = h;
	for (size_t i = 0; i < n; i++)
		p += sprintf(p, "<div>");
	strcpy(p, "deep");
	char *t = html_to_text(h, strlen(h));
	free(h);
	CHECK(t != NULL);
	free(t);
}

static void test_absurd_mime_nesting_does_not_crash(void)
{
	size_t n = 5000, cap = n * 80 + 256;
	char *raw = malloc(cap);
	CHECK(raw != NULL);
	size_t len = (size_t)sprintf(raw, "From: a@b.test\nSubject: deep\nMIME-Version: 1.0\n");
	for (size_t i = 0; i < n; i++)
		len += (size_t)sprintf(raw + len,
		    "Content-Type: multipart/mixed; boundary=\"b%zu\"\n\n--b%zu\n", i, i);
	len += (size_t)sprintf(raw + len, "Content-Type: text/plain\n\nhello\n");
	struct sync_msg m;
	char err[128];
	int rc = mime_parse(raw, len, &m, err, sizeof err);
	free(raw);
	CHECK(rc == 0 || rc == -1);
	CHECK_STR(m.subject, "deep");
	msg_free(&m);
}

/* Every prefix and some byte flips of every corpus file parse or fail cleanly. */
static void test_mangled_corpus_never_crashes(void)
{
	static const char *files[] = { "plain.eml", "qp_latin1.eml", "base64_utf8.eml",
		"encoded_subject.eml", "html_only.eml", "alternative.eml", "reply.eml",
		"no_message_id.eml", "broken.eml", "truncated.eml", "group_addrs.eml" };
	unsigned seed = 12345;
	for (size_t f = 0; f < sizeof files / sizeof files[0]; f++) {
		size_t len;
		char *raw = slurp(files[f], &len);
		CHECK(raw != NULL);
		for (size_t cut = 0; cut <= len; cut += 7) {
			struct sync_msg m;
			char err[128];
			char *copy = malloc(cut + 1);
			memcpy(copy, raw, cut);
			for (int k = 0; k < 3 && cut > 0; k++) {
				seed = seed * 1103515245u + 12345u;
				copy[(seed >> 8) % cut] = (char)(seed >> 16);
			}
			(void)mime_parse(copy, cut, &m, err, sizeof err);
			msg_free(&m);
			free(copy);
		}
		free(raw);
	}
}

static void test_built_reply_parses_back_the_same(void)
{
	struct addr to[] = { { "Maria L\xc3\xb3pez", "maria@example.com" } };
	struct addr cc[] = { { NULL, "boss@fieldco.test" }, { "Ann, Office", "ann@fieldco.test" } };
	const char *refs[] = { "root-0@example.com", "plain-1@example.com" };
	struct mime_out o = {
		.from_name = "Office Team", .from_email = "office@fieldco.test",
		.to = to, .n_to = 1, .cc = cc, .n_cc = 2,
		.subject = "Re: Gate code \xe2\x80\x94 caf\xc3\xa9",
		.date = 1690822800, .message_id = "<out-1@fieldco.test>",
		.in_reply_to = "plain-1@example.com", .references = refs, .n_references = 2,
		.body = "Thanks!\r\nA long line with accents \xc3\xa9\xc3\xa8 and a very long tail that "
		    "goes on and on past seventy-six characters for sure.\n=done\n",
	};
	size_t len = 0;
	char *raw = mime_build(&o, &len);
	CHECK(raw != NULL);
	CHECK_INT(len, strlen(raw));
	CHECK(strstr(raw, "Content-Transfer-Encoding: quoted-printable\r\n") != NULL);
	CHECK(strstr(raw, "charset=utf-8") != NULL);
	CHECK(strstr(raw, "Subject: Re: Gate code =?UTF-8?") != NULL);
	CHECK(strstr(raw, "\r\n\r\n") != NULL);
	for (const char *p = raw; *p; p++)
		CHECK((unsigned char)*p < 0x80 && (*p != '\n' || (p > raw && p[-1] == '\r')));
	struct sync_msg m;
	char err[128];
	int rc = mime_parse(raw, len, &m, err, sizeof err);
	free(raw);
	CHECK_INT(rc, 0);
	CHECK_STR(m.message_id, "out-1@fieldco.test");
	CHECK_STR(m.subject, o.subject);
	CHECK_STR(m.from.name, "Office Team");
	CHECK_STR(m.from.email, "office@fieldco.test");
	CHECK_INT(m.n_to, 1);
	CHECK_STR(m.to[0].name, "Maria L\xc3\xb3pez");
	CHECK_INT(m.n_cc, 2);
	CHECK_STR(m.cc[1].name, "Ann, Office");
	CHECK_STR(m.in_reply_to, "plain-1@example.com");
	CHECK_INT(m.n_references, 2);
	CHECK_STR(m.references[1], "plain-1@example.com");
	CHECK_INT(m.date, 1690822800);
	CHECK_STR(m.body_text, "Thanks!\nA long line with accents \xc3\xa9\xc3\xa8 and a very long "
	    "tail that goes on and on past seventy-six characters for sure.\n=done\n");
	msg_free(&m);
}

static void test_build_refuses_header_injection_and_missing_fields(void)
{
	struct addr to[] = { { NULL, "a@b.test" } };
	struct addr bad_to[] = { { NULL, "a@b.test\r\nBcc: x@y.test" } };
	struct mime_out ok = { .from_email = "me@x.test", .to = to, .n_to = 1, .message_id = "i@x" };
	size_t len;
	char *raw = mime_build(&ok, &len);
	CHECK(raw != NULL);
	free(raw);
	struct mime_out o = ok;
	o.subject = "hi\r\nBcc: victim@x.test";
	CHECK(mime_build(&o, &len) == NULL);
	o = ok;
	o.to = bad_to;
	CHECK(mime_build(&o, &len) == NULL);
	o = ok;
	o.from_name = "Me\nX-Evil: 1";
	CHECK(mime_build(&o, &len) == NULL);
	o = ok;
	o.message_id = NULL;
	CHECK(mime_build(&o, &len) == NULL);
	o = ok;
	o.n_to = 0;
	CHECK(mime_build(&o, &len) == NULL);
}

static void test_new_message_ids_are_unique(void)
{
	char *a = mime_new_message_id("fieldco.test");
	char *b = mime_new_message_id("fieldco.test");
	CHECK(a && b);
	CHECK(strcmp(a, b) != 0);
	CHECK(strstr(a, "@fieldco.test") != NULL);
	free(a);
	free(b);
}

/* Every address of a huge To: header is kept, the last one too. */
static void test_every_address_of_a_huge_list_is_kept(void)
{
	char *raw = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&raw, &len);
	CHECK(f != NULL);
	fputs("From: news@list.example\r\nMessage-ID: <huge@x>\r\nSubject: All\r\nTo: ", f);
	for (int i = 0; i < 1199; i++)
		fprintf(f, "Reader %d <reader%d@list.example>,\r\n ", i, i);
	fputs("Linda Park <Linda@Diner.example>\r\n\r\nHello all\r\n", f);
	fclose(f);
	struct sync_msg m;
	char err[128];
	int rc = mime_parse(raw, len, &m, err, sizeof err);
	free(raw);
	CHECK_INT(rc, 0);
	CHECK_INT(m.n_to, 1200);
	CHECK_STR(m.to[0].email, "reader0@list.example");
	CHECK_STR(m.to[1199].email, "linda@diner.example");
	CHECK_STR(m.to[1199].name, "Linda Park");
	msg_free(&m);
}

/* Files go as base64 parts of a multipart/mixed after the text, their names RFC 2231-encoded
 * (filename*) and as encoded words (name), and read back byte for byte. */
static void test_built_mail_carries_files_byte_for_byte(void)
{
	struct addr to[] = { { "Ana", "ana@c.test" } };
	unsigned char bin[3000];
	for (size_t i = 0; i < sizeof bin; i++)
		bin[i] = (unsigned char)(i * 7 + 3);
	static const char csv[] = "a,b\r\n1,2\r\n";
	struct mime_file files[] = {
		{ "Angebot für Müller.pdf", "application/pdf", bin, sizeof bin },
		{ "data.csv", "text/csv", (const unsigned char *)csv, sizeof csv - 1 },
		{ "odd", "bad type\r\nX: y", (const unsigned char *)"z", 1 },
	};
	struct mime_out o = { .from_email = "me@x.test", .to = to, .n_to = 1, .message_id = "f@x",
	    .subject = "Quote", .body = "See the files.", .files = files, .n_files = 3 };
	size_t len;
	char *raw = mime_build(&o, &len);
	CHECK(raw != NULL);
	CHECK(strstr(raw, "Content-Type: multipart/mixed") != NULL);
	CHECK(strstr(raw, "Content-Transfer-Encoding: base64") != NULL);
	CHECK(strstr(raw, "filename*=utf-8''Angebot%20f%C3%BCr%20M%C3%BCller.pdf") != NULL ||
	    strstr(raw, "filename*=UTF-8''Angebot%20f%C3%BCr%20M%C3%BCller.pdf") != NULL);
	CHECK(strstr(raw, "name=\"Angebot =?UTF-8?b?") != NULL);   /* name: an encoded word */
	CHECK(strstr(raw, "X: y") == NULL);
	struct sync_msg m;
	char err[128];
	int rc = mime_parse(raw, len, &m, err, sizeof err);
	free(raw);
	CHECK_INT(rc, 0);
	CHECK_STR(m.body_text, "See the files.");
	CHECK_INT(m.n_attachments, 3);
	CHECK_STR(m.attachments[0].name, "Angebot für Müller.pdf");
	CHECK_STR(m.attachments[0].media_type, "application/pdf");
	CHECK_INT(m.attachments[0].size, sizeof bin);
	CHECK(memcmp(m.attachments[0].data, bin, sizeof bin) == 0);
	CHECK_STR(m.attachments[1].name, "data.csv");
	CHECK_INT(m.attachments[1].size, sizeof csv - 1);
	CHECK(memcmp(m.attachments[1].data, csv, sizeof csv - 1) == 0);   /* CRLF kept: base64 */
	CHECK_STR(m.attachments[2].media_type, "application/octet-stream");
	msg_free(&m);
	/* a file name with a line break would start a header of its own */
	files[1].name = "a\r\nBcc: x@y.test";
	CHECK(mime_build(&o, &len) == NULL);
}

T_MAIN(T(test_plain_mail_gives_headers_and_body),
    T(test_built_mail_carries_files_byte_for_byte),
    T(test_every_address_of_a_huge_list_is_kept),
    T(test_quoted_printable_latin1_becomes_utf8),
    T(test_base64_utf8_body_decoded),
    T(test_encoded_words_decoded_in_subject_and_names),
    T(test_html_only_mail_shown_as_text_without_script),
    T(test_alternative_prefers_plain_text),
    T(test_reply_keeps_thread_ids_and_skips_attachment),
    T(test_missing_message_id_synthesized_the_same_each_time),
    T(test_garbage_refused_with_reason),
    T(test_truncated_multipart_parsed_best_effort),
    T(test_groups_flattened_and_addresses_normalized),
    T(test_undeclared_charset_read_as_latin1),
    T(test_html_to_text_cases),
    T(test_deep_html_nesting_does_not_crash),
    T(test_absurd_mime_nesting_does_not_crash),
    T(test_mangled_corpus_never_crashes),
    T(test_built_reply_parses_back_the_same),
    T(test_build_refuses_header_injection_and_missing_fields),
    T(test_new_message_ids_are_unique))
