/* Attachments: names decoded and cleaned, served types, Content-Disposition, MIME parts found
 * (and bounded), stored once per content in the database or a file, the orphan sweep. */
#include <sys/stat.h>
#include <unistd.h>
#include <utime.h>

#include "t.h"
#include "sync_fixture.h"
#include "core/attach.h"
#include "core/db_attach.h"
#include "providers/mime.h"

static void test_names_are_cleaned_of_paths_controls_and_length(void)
{
	static const struct { const char *in, *want; } cases[] = {
		{ "quote.pdf", "quote.pdf" },
		{ "../../etc/passwd", "_.._etc_passwd" },
		{ "..\\..\\boot.ini", "_.._boot.ini" },
		{ "/etc/shadow", "_etc_shadow" },
		{ "<script>alert(1)</script>.html", "<script>alert(1)<_script>.html" },
		{ "a\r\nb\tc\x01.txt", "abc.txt" },
		{ "invoice\xe2\x80\xae" "fdp.exe", "invoicefdp.exe" },   /* U+202E right-to-left override */
		{ "  .hidden  ", "hidden" },
		{ "", "attachment" },
		{ NULL, "attachment" },
		{ "\x01\x02", "attachment" },
		{ "Fa\xc3\xa7" "ade.jpg", "Fa\xc3\xa7" "ade.jpg" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *s = attach_name_clean(cases[i].in);
		CHECK_STR(s, cases[i].want);
		free(s);
	}
	char longname[1000];
	memset(longname, 'x', 600);
	strcpy(longname + 600, ".pdf");
	char *s = attach_name_clean(longname);
	CHECK_INT(strlen(s), ATTACH_NAME_MAX);
	CHECK_STR(s + ATTACH_NAME_MAX - 4, ".pdf");
	free(s);
	/* a cut never splits a character: 300 two-byte letters */
	char wide[700] = "";
	for (int i = 0; i < 300; i++)
		strcat(wide, "\xc3\xa9");
	s = attach_name_clean(wide);
	CHECK(strlen(s) <= ATTACH_NAME_MAX && strlen(s) % 2 == 0);
	free(s);
}

static void test_active_types_are_served_as_octet_stream(void)
{
	static const struct { const char *in, *want; int show; } cases[] = {
		{ "application/pdf", "application/pdf", 0 },
		{ "image/png", "image/png", 1 },
		{ "IMAGE/JPEG", "image/jpeg", 1 },
		{ "image/gif", "image/gif", 1 },
		{ "image/webp", "image/webp", 1 },
		{ "text/plain", "text/plain", 0 },
		{ "text/html", "application/octet-stream", 0 },
		{ "TEXT/HTML", "application/octet-stream", 0 },
		{ "image/svg+xml", "application/octet-stream", 0 },
		{ "application/xhtml+xml", "application/octet-stream", 0 },
		{ "application/javascript", "application/octet-stream", 0 },
		{ "text/javascript", "application/octet-stream", 0 },
		{ "text/xml", "application/octet-stream", 0 },
		{ "application/rss+xml", "application/octet-stream", 0 },
		{ "text/plain\r\nX-Evil: 1", "application/octet-stream", 0 },
		{ "nonsense", "application/octet-stream", 0 },
		{ "", "application/octet-stream", 0 },
	};
	char out[128];
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		attach_served_type(cases[i].in, out, sizeof out);
		CHECK_STR(out, cases[i].want);
		CHECK_INT(attach_inline_ok(cases[i].in), cases[i].show);
	}
	CHECK_INT(attach_inline_ok("image/svg+xml"), 0);
	CHECK_INT(attach_inline_ok("text/html"), 0);
}

static void test_content_disposition_has_utf8_name_and_ascii_fallback(void)
{
	char out[300];
	CHECK(attach_disposition("quote.pdf", 0, out, sizeof out) == 0);
	CHECK_STR(out, "attachment; filename=\"quote.pdf\"; filename*=UTF-8''quote.pdf");
	CHECK(attach_disposition("Fa\xc3\xa7" "ade \"1\".jpg", 1, out, sizeof out) == 0);
	CHECK_STR(out, "inline; filename=\"Fa__ade _1_.jpg\"; "
	    "filename*=UTF-8''Fa%C3%A7ade%20%221%22.jpg");
	CHECK(attach_disposition("a;b=c\\d%e", 0, out, sizeof out) == 0);
	CHECK_STR(out, "attachment; filename=\"a;b=c_d%e\"; filename*=UTF-8''a%3Bb%3Dc%5Cd%25e");
	CHECK(attach_disposition("x.pdf", 0, out, 10) == -1);
}

static void test_blob_paths_fan_out_by_hash_prefix(void)
{
	char p[80];
	const char *sha = "ab01ab01ab01ab01ab01ab01ab01ab01ab01ab01ab01ab01ab01ab01ab01ab01";
	CHECK(attach_rel_path(sha, p, sizeof p) == 0);
	CHECK_STR(p, "ab/ab01ab01ab01ab01ab01ab01ab01ab01ab01ab01ab01ab01ab01ab01ab01ab01");
	CHECK(attach_rel_path("../../etc/passwd", p, sizeof p) == -1);
	CHECK(attach_rel_path("AB01ab01ab01ab01ab01ab01ab01ab01ab01ab01ab01ab01ab01ab01ab01ab01", p,
	    sizeof p) == -1);
}

/* ---- Parsing ----------------------------------------------------------------------------- */

#define HEAD "From: John <john.smith@example.net>\r\nTo: alice@crm.example\r\n" \
	"Subject: Files\r\nMessage-ID: <files-1@example.net>\r\nMIME-Version: 1.0\r\n"

static int parse(const char *raw, struct sync_msg *m)
{
	char err[128];
	return mime_parse(raw, strlen(raw), m, err, sizeof err);
}

static void test_attachment_names_are_decoded_rfc2231_and_encoded_words(void)
{
	static const char raw[] = HEAD
	    "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n"
	    "--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nSee the files.\r\n"
	    "--b\r\nContent-Type: application/pdf\r\n"
	    "Content-Disposition: attachment; filename*=UTF-8''Angebot%20M%C3%BCller.pdf\r\n"
	    "Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n"
	    "--b\r\nContent-Type: image/png; name=\"=?UTF-8?B?RmHDp2FkZS5wbmc=?=\"\r\n"
	    "Content-Disposition: inline\r\nContent-ID: <img1@example.net>\r\n"
	    "Content-Transfer-Encoding: base64\r\n\r\niVBORw0KGgo=\r\n"
	    "--b\r\nContent-Type: text/plain; name=\"../../etc/passwd\"\r\n"
	    "Content-Disposition: attachment; filename=\"../../etc/passwd\"; size=999999\r\n\r\n"
	    "root:x:0:0\r\n"
	    "--b\r\nContent-Type: application/octet-stream; name=\"empty.bin\"\r\n\r\n"
	    "--b--\r\n";
	struct sync_msg m;
	CHECK(parse(raw, &m) == 0);
	CHECK_STR(m.body_text, "See the files.");
	CHECK_INT(m.n_attachments, 4);
	CHECK_STR(m.attachments[0].name, "Angebot M\xc3\xbcller.pdf");
	CHECK_STR(m.attachments[0].media_type, "application/pdf");
	CHECK_INT(m.attachments[0].size, 9);
	CHECK(memcmp(m.attachments[0].data, "%PDF-1.4\n", 9) == 0);
	CHECK(attach_sha_ok(m.attachments[0].sha256));
	CHECK(m.attachments[0].content_id == NULL && !m.attachments[0].is_inline);
	CHECK_STR(m.attachments[1].name, "Fa\xc3\xa7" "ade.png");
	CHECK_STR(m.attachments[1].content_id, "img1@example.net");
	CHECK_INT(m.attachments[1].is_inline, 1);
	CHECK_INT(m.attachments[1].size, 8);
	/* the claimed size=999999 is not believed: the size is what the part holds */
	CHECK_STR(m.attachments[2].name, "_.._etc_passwd");
	CHECK_INT(m.attachments[2].size, 10);
	CHECK(memcmp(m.attachments[2].data, "root:x:0:0", 10) == 0);
	/* an empty part is an empty file, with the hash of nothing */
	CHECK_STR(m.attachments[3].name, "empty.bin");
	CHECK_INT(m.attachments[3].size, 0);
	CHECK_STR(m.attachments[3].sha256,
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	msg_free(&m);
}

static void test_unknown_transfer_encoding_is_kept_unreadable(void)
{
	static const char raw[] = HEAD
	    "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n"
	    "--b\r\nContent-Type: text/plain\r\n\r\nHi\r\n"
	    "--b\r\nContent-Type: application/octet-stream; name=\"x.bin\"\r\n"
	    "Content-Transfer-Encoding: x-made-up\r\n\r\n%%%%garbage%%%%\r\n"
	    "--b--\r\n";
	struct sync_msg m;
	CHECK(parse(raw, &m) == 0);
	CHECK_INT(m.n_attachments, 1);
	CHECK_INT(m.attachments[0].unreadable, 1);
	CHECK(m.attachments[0].data == NULL);
	CHECK_STR(m.attachments[0].name, "x.bin");
	msg_free(&m);
}

static void test_a_thousand_tiny_parts_are_bounded(void)
{
	struct buf { char *s; size_t n; } b = { malloc(200000), 0 };
	CHECK(b.s != NULL);
	b.n = (size_t)sprintf(b.s, "%sContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n"
	    "--b\r\nContent-Type: text/plain\r\n\r\nMany\r\n", HEAD);
	for (int i = 0; i < 1000; i++)
		b.n += (size_t)sprintf(b.s + b.n, "--b\r\nContent-Type: application/octet-stream;"
		    " name=\"p%d.bin\"\r\n\r\n%d\r\n", i, i);
	b.n += (size_t)sprintf(b.s + b.n, "--b--\r\n");
	struct sync_msg m;
	char err[128];
	CHECK(mime_parse(b.s, b.n, &m, err, sizeof err) == 0);
	free(b.s);
	CHECK_INT(m.n_attachments, MIME_MAX_ATTACH);
	CHECK_INT(m.n_attach_left_out, 1000 - MIME_MAX_ATTACH);
	CHECK_STR(m.attachments[0].name, "p0.bin");
	msg_free(&m);
}

static void test_plain_mail_has_no_attachments(void)
{
	struct sync_msg m;
	CHECK(parse(HEAD "Content-Type: text/plain\r\n\r\nJust text.\r\n", &m) == 0);
	CHECK_INT(m.n_attachments, 0);
	msg_free(&m);
}

/* ---- Storing ----------------------------------------------------------------------------- */

static void add_attach(struct sync_msg *m, const char *name, const char *type, size_t size,
    unsigned char fill)
{
	m->attachments = realloc(m->attachments, (m->n_attachments + 1) * sizeof *m->attachments);
	struct sync_attach *a = &m->attachments[m->n_attachments++];
	memset(a, 0, sizeof *a);
	a->name = strdup(name);
	a->media_type = strdup(type);
	a->size = size;
	a->data = malloc(size ? size : 1);
	memset(a->data, fill, size);
	/* a stand-in hash: the store trusts the parser's, and only needs it to name the content */
	snprintf(a->sha256, sizeof a->sha256, "%02x%062zx", fill, size);
}

static void test_same_file_in_two_mails_is_stored_once(void)
{
	struct fx f;
	struct msg_list l = { 0 };
	char files[200], path[400];
	CHECK(fx_open(&f) == 0);
	snprintf(files, sizeof files, "%s/files", t_tmpdir());
	f.sa.files_dir = files;
	f.sa.attach_max = 1024 * 1024;
	struct sync_msg *m = fx_msg(&l, "INBOX/1/1", "a1@x", "john.smith@example.net",
	    "alice@crm.example", NULL, NULL, 1690000000);
	add_attach(m, "small.txt", "text/plain", 100, 's');
	add_attach(m, "big.bin", "application/octet-stream", 200 * 1024, 'b');
	add_attach(m, "huge.bin", "application/octet-stream", 2 * 1024 * 1024, 'h');
	m = fx_msg(&l, "INBOX/1/2", "a2@x", "john.smith@example.net", "alice@crm.example", NULL,
	    NULL, 1690000100);
	add_attach(m, "again.txt", "text/plain", 100, 's');
	add_attach(m, "big copy.bin", "application/octet-stream", 200 * 1024, 'b');
	CHECK(store_commit(&f.sa, STREAM_MAIL, &l, NULL, "c1") == 0);
	CHECK_INT(fx_int(&f, "SELECT count(*) FROM attachments", 0), 5);
	CHECK_INT(fx_int(&f, "SELECT count(*) FROM blobs", 0), 2);
	CHECK_INT(fx_int(&f, "SELECT count(*) FROM blobs WHERE data IS NULL AND size = 204800", 0), 1);
	CHECK_INT(fx_int(&f, "SELECT length(data) FROM blobs WHERE size = 100", 0), 100);
	CHECK_INT(fx_int(&f, "SELECT count(*) FROM attachments WHERE state = 'too_large'"
	    " AND blob IS NULL AND size = 2097152", 0), 1);
	struct attach_rows rows;
	int64_t msg = fx_int(&f, "SELECT id FROM messages WHERE message_id = 'a1@x'", 0);
	CHECK(db_attach_list(f.db, msg, &rows) == 0);
	CHECK_INT(rows.n, 3);
	CHECK_STR(rows.v[1].name, "big.bin");
	CHECK_INT(rows.v[1].in_file, 1);
	snprintf(path, sizeof path, "%s/62/%s", files, rows.v[1].blob);
	struct stat sb;
	CHECK(stat(path, &sb) == 0 && sb.st_size == 200 * 1024);
	struct attach_row one;
	CHECK(db_attach_get(f.db, rows.v[0].id, 1, &one) == 0);
	CHECK_INT(one.data_len, 100);
	CHECK(one.data[0] == 's' && !one.in_file);
	attach_row_free(&one);
	attach_rows_free(&rows);
	/* the sweep keeps what a row refers to and removes old files nothing refers to */
	snprintf(path, sizeof path, "%s/62/%s", files,
	    "6200000000000000000000000000000000000000000000000000000000000001");
	FILE *o = fopen(path, "w");
	CHECK(o != NULL);
	fputs("orphan", o);
	fclose(o);
	struct utimbuf old = { 1000, 1000 };
	CHECK(utime(path, &old) == 0);
	char kept[400];
	snprintf(kept, sizeof kept, "%s/62/62%062zx", files, (size_t)200 * 1024);
	CHECK(utime(kept, &old) == 0);
	CHECK(attach_sweep(f.db, files, 1700000000, 3600) == 1);
	CHECK(access(path, F_OK) != 0);
	CHECK(access(kept, F_OK) == 0);
	CHECK_INT(fx_int(&f, "SELECT count(*) FROM blobs", 0), 2);
	fx_close(&f);
}

T_MAIN(T(test_names_are_cleaned_of_paths_controls_and_length),
    T(test_active_types_are_served_as_octet_stream),
    T(test_content_disposition_has_utf8_name_and_ascii_fallback),
    T(test_blob_paths_fan_out_by_hash_prefix),
    T(test_attachment_names_are_decoded_rfc2231_and_encoded_words),
    T(test_unknown_transfer_encoding_is_kept_unreadable),
    T(test_a_thousand_tiny_parts_are_bounded),
    T(test_plain_mail_has_no_attachments),
    T(test_same_file_in_two_mails_is_stored_once))
