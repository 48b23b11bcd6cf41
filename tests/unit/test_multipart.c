/* multipart/form-data bodies: fields, files byte for byte, limits, malformed bodies; the media
 * type of an upload against a mime.types table. */
#include <unistd.h>

#include "t.h"
#include "core/attach.h"
#include "core/mime_types.h"
#include "web/multipart.h"

#define B "----x7MA4YWxkTrZu0gW"

static int parse(const char *body, size_t n, size_t file_max, size_t total_max,
    struct params *form, struct uploads *files)
{
	char err[160];
	memset(form, 0, sizeof *form);
	memset(files, 0, sizeof *files);
	return multipart_parse(B, body, n, file_max, total_max, form, files, err, sizeof err);
}

static void test_fields_and_a_binary_file_arrive_byte_for_byte(void)
{
	/* NULs, CRLF, the boundary not after a line end (so not a delimiter), a lone CR */
	static const char file[] = "\x00\x01\r\n-" B "\r\nx--" B "\r\r\n\xff\xfe end\r";
	char body[1024];
	int n = snprintf(body, sizeof body, "--" B "\r\n"
	    "Content-Disposition: form-data; name=\"csrf\"\r\n\r\ntok123\r\n"
	    "--" B "\r\nContent-Disposition: form-data; name=\"body\"\r\n\r\nline 1\r\nline 2\r\n"
	    "--" B "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"quote.pdf\"\r\n"
	    "Content-Type: application/pdf\r\n\r\n");
	memcpy(body + n, file, sizeof file - 1);
	n += (int)sizeof file - 1;
	n += snprintf(body + n, sizeof body - (size_t)n, "\r\n--" B "--\r\n");
	struct params form;
	struct uploads files;
	CHECK_INT(parse(body, (size_t)n, 1000, 1000, &form, &files), 0);
	CHECK_STR(params_get(&form, "csrf"), "tok123");
	CHECK_STR(params_get(&form, "body"), "line 1\r\nline 2");
	CHECK_INT(files.n, 1);
	CHECK_STR(files.v[0].field, "file");
	CHECK_STR(files.v[0].filename, "quote.pdf");
	CHECK_STR(files.v[0].ctype, "application/pdf");
	CHECK_INT(files.v[0].len, sizeof file - 1);
	CHECK(memcmp(files.v[0].data, file, sizeof file - 1) == 0);
	params_free(&form);
	uploads_free(&files);
}

static void test_the_boundary_comes_from_the_content_type(void)
{
	char b[80];
	CHECK_INT(multipart_boundary("multipart/form-data; boundary=" B, b, sizeof b), 0);
	CHECK_STR(b, B);
	CHECK_INT(multipart_boundary("Multipart/Form-Data; charset=utf-8; boundary=\"a b'c\"", b,
	    sizeof b), 0);
	CHECK_STR(b, "a b'c");
	CHECK_INT(multipart_boundary("multipart/form-data", b, sizeof b), -1);
	CHECK_INT(multipart_boundary("multipart/form-data; boundary=", b, sizeof b), -1);
	CHECK_INT(multipart_boundary("multipart/mixed; boundary=abc", b, sizeof b), -1);
	CHECK_INT(multipart_boundary("application/x-www-form-urlencoded", b, sizeof b), -1);
	CHECK_INT(multipart_boundary("multipart/form-data; boundary=\"a\r\nb\"", b, sizeof b), -1);
	CHECK_INT(multipart_boundary("multipart/form-data; boundary=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", b, sizeof b), -1);   /* 75 > 70 */
	CHECK_INT(multipart_boundary(NULL, b, sizeof b), -1);
}

static void test_broken_bodies_are_refused(void)
{
	static const char *const bad[] = {
		/* no closing delimiter */
		"--" B "\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nvalue",
		/* headers never end */
		"--" B "\r\nContent-Disposition: form-data; name=\"a\"\r\nvalue\r\n--" B "--",
		/* no name */
		"--" B "\r\nContent-Disposition: form-data\r\n\r\nv\r\n--" B "--",
		/* not form-data */
		"--" B "\r\nContent-Disposition: attachment; name=\"a\"\r\n\r\nv\r\n--" B "--",
		/* no disposition at all */
		"--" B "\r\nContent-Type: text/plain\r\n\r\nv\r\n--" B "--",
		/* an unterminated quoted name */
		"--" B "\r\nContent-Disposition: form-data; name=\"a\r\n\r\nv\r\n--" B "--",
		/* garbage after a delimiter */
		"--" B "xyz\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nv\r\n--" B "--",
		/* no delimiter at all */
		"a=1&b=2",
		"",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct params form;
		struct uploads files;
		int rc = parse(bad[i], strlen(bad[i]), 1000, 1000, &form, &files);
		params_free(&form);
		uploads_free(&files);
		if (rc != -1)
			fprintf(stderr, "  case %zu parsed\n", i);
		CHECK_INT(rc, -1);
	}
	/* a NUL byte inside a text field */
	static const char nul[] = "--" B "\r\nContent-Disposition: form-data; name=\"to\"\r\n\r\na\0b\r\n--" B "--\r\n";
	struct params form;
	struct uploads files;
	CHECK_INT(parse(nul, sizeof nul - 1, 1000, 1000, &form, &files), -1);
	params_free(&form);
	uploads_free(&files);
}

static void test_files_over_the_limits_keep_only_their_name_and_size(void)
{
	const char *body = "--" B "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.bin\"\r\n\r\n"
	    "0123456789\r\n--" B "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\n\r\n"
	    "12345\r\n--" B "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"b.txt\"\r\n\r\n"
	    "12345\r\n--" B "--\r\n";
	struct params form;
	struct uploads files;
	CHECK_INT(parse(body, strlen(body), 8, 9, &form, &files), 0);
	CHECK_INT(files.n, 3);
	CHECK(files.v[0].too_big);
	CHECK(files.v[0].data == NULL);
	CHECK_INT(files.v[0].len, 10);
	CHECK(!files.v[1].too_big);
	CHECK(files.over_total);   /* 5 + 5 > 9 */
	params_free(&form);
	uploads_free(&files);
	CHECK_INT(parse(body, strlen(body), 100, 100, &form, &files), 0);
	CHECK(!files.over_total && !files.v[0].too_big);
	params_free(&form);
	uploads_free(&files);
}

static void test_an_empty_file_input_is_no_file(void)
{
	const char *body = "preamble to ignore\r\n--" B "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"\"\r\n"
	    "Content-Type: application/octet-stream\r\n\r\n\r\n--" B "\r\n"
	    "Content-Disposition: form-data; name=\"subject\"\r\n\r\nHi\r\n--" B "--";
	struct params form;
	struct uploads files;
	CHECK_INT(parse(body, strlen(body), 100, 100, &form, &files), 0);
	CHECK_INT(files.n, 0);
	CHECK_STR(params_get(&form, "subject"), "Hi");
	params_free(&form);
	uploads_free(&files);
}

static void test_too_many_files_make_the_body_bad(void)
{
	char body[8192];
	size_t n = 0;
	for (int i = 0; i <= MULTIPART_FILES_MAX; i++)
		n += (size_t)snprintf(body + n, sizeof body - n, "--" B "\r\nContent-Disposition: "
		    "form-data; name=\"file\"; filename=\"f%d\"\r\n\r\nx\r\n", i);
	n += (size_t)snprintf(body + n, sizeof body - n, "--" B "--\r\n");
	struct params form;
	struct uploads files;
	CHECK_INT(parse(body, n, 100, 1000, &form, &files), -1);
	params_free(&form);
	uploads_free(&files);
}

static void test_file_names_with_paths_and_controls_are_cleaned(void)
{
	const char *body = "--" B "\r\nContent-Disposition: form-data; name=\"file\"; "
	    "filename=\"..\\\\..\\\\etc/passwd\x01\x7f.txt\"\r\n\r\nx\r\n--" B "--\r\n";
	struct params form;
	struct uploads files;
	CHECK_INT(parse(body, strlen(body), 100, 100, &form, &files), 0);
	CHECK_INT(files.n, 1);
	CHECK_STR(files.v[0].filename, "..\\..\\etc/passwd\x01\x7f.txt");   /* as sent */
	char *clean = attach_name_clean(files.v[0].filename);
	CHECK(clean != NULL);
	CHECK(!strchr(clean, '/') && !strchr(clean, '\\') && !strchr(clean, '\x01') &&
	    !strchr(clean, '\x7f'));
	CHECK(clean[0] != '.');
	free(clean);
	params_free(&form);
	uploads_free(&files);
}

static void test_upload_types_are_checked_against_mime_types(void)
{
	char path[] = "/tmp/test_multipart_mt_XXXXXX", t[128];
	int fd = mkstemp(path);
	CHECK(fd >= 0);
	FILE *f = fdopen(fd, "w");
	fputs("# comment\napplication/pdf\t\t\tpdf\nimage/png\t\tpng\ntext/plain\t\ttxt text\n"
	    "application/x-empty\n", f);
	fclose(f);
	mime_types_use(path);
	mime_types_pick("application/pdf", "q.pdf", t, sizeof t);
	CHECK_STR(t, "application/pdf");
	mime_types_pick("IMAGE/PNG; name=x", "x", t, sizeof t);
	CHECK_STR(t, "image/png");
	mime_types_pick("application/octet-stream", "notes.TXT", t, sizeof t);
	CHECK_STR(t, "text/plain");   /* generic claim: the extension decides */
	mime_types_pick("application/x-made-up", "scan.png", t, sizeof t);
	CHECK_STR(t, "image/png");    /* unknown claim: the extension decides */
	mime_types_pick("text/html\r\nX: y", "a.zzz", t, sizeof t);
	CHECK_STR(t, "application/octet-stream");
	mime_types_pick(NULL, NULL, t, sizeof t);
	CHECK_STR(t, "application/octet-stream");
	unlink(path);
}

T_MAIN(T(test_fields_and_a_binary_file_arrive_byte_for_byte),
    T(test_the_boundary_comes_from_the_content_type),
    T(test_broken_bodies_are_refused),
    T(test_files_over_the_limits_keep_only_their_name_and_size),
    T(test_an_empty_file_input_is_no_file),
    T(test_too_many_files_make_the_body_bad),
    T(test_file_names_with_paths_and_controls_are_cleaned),
    T(test_upload_types_are_checked_against_mime_types))
