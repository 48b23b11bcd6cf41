/* Mail messages to and from raw RFC 5322 text with GMime 3: parse for sync, build for sending. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include <gmime/gmime.h>

#include "core/addr.h"
#include "core/attach.h"
#include "providers/html_text.h"
#include "providers/mime.h"

#define MAX_PART_DEPTH 32      /* deeper MIME nesting is not searched for a body */

static pthread_once_t mime_once = PTHREAD_ONCE_INIT;
static size_t attach_max;                /* set once at start, before any parse */
static GMimeParserOptions *parse_opts;   /* shared read-only after init */

static void mime_init_once(void)
{
	static const char *fallback[] = { "UTF-8", "windows-1252", NULL };

	addr_init();
	parse_opts = g_mime_parser_options_new();
	g_mime_parser_options_set_fallback_charsets(parse_opts, fallback);
	g_mime_parser_options_set_address_compliance_mode(parse_opts, GMIME_RFC_COMPLIANCE_LOOSE);
	g_mime_parser_options_set_rfc2047_compliance_mode(parse_opts, GMIME_RFC_COMPLIANCE_LOOSE);
}

void mime_init(void)
{
	pthread_once(&mime_once, mime_init_once);
}

void mime_set_attach_max(size_t max)
{
	attach_max = max;
}

static void set_err(char *err, size_t errlen, const char *msg)
{
	if (err && errlen)
		snprintf(err, errlen, "%s", msg);
}

/* Valid UTF-8 copy of s (malloc'd): bytes that are not UTF-8 are read as windows-1252. */
static char *utf8_dup(const char *s)
{
	if (!s)
		return NULL;
	if (g_utf8_validate(s, -1, NULL))
		return strdup(s);
	char *conv = g_convert_with_fallback(s, -1, "UTF-8", "WINDOWS-1252", "?", NULL, NULL, NULL);
	if (!conv)
		conv = g_utf8_make_valid(s, -1);
	char *res = conv ? strdup(conv) : NULL;
	g_free(conv);
	return res;
}

/* Trimmed, lower-cased copy of an address, or NULL when nothing is left. */
static char *email_norm(const char *e)
{
	if (!e)
		return NULL;
	char *tmp = utf8_dup(e);
	if (!tmp)
		return NULL;
	g_strstrip(tmp);
	char *low = *tmp ? g_utf8_strdown(tmp, -1) : NULL;
	free(tmp);
	char *res = low ? strdup(low) : NULL;
	g_free(low);
	return res;
}

static int fill_addr(struct addr *a, InternetAddress *ia)
{
	const char *name = internet_address_get_name(ia);
	a->email = email_norm(internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(ia)));
	if (!a->email)
		return -1;
	if (name && *name) {
		a->name = utf8_dup(name);
		if (a->name)
			g_strstrip(a->name);
	}
	return 0;
}

/* Append the mailboxes of list (groups flattened, one level) to *v: every one of them, so a
 * contact named late in a huge list still matches (the list shown is bounded when stored). */
static void add_addrs(InternetAddressList *list, struct addr **v, size_t *n, int depth)
{
	int len = list ? internet_address_list_length(list) : 0;
	for (int i = 0; i < len; i++) {
		InternetAddress *ia = internet_address_list_get_address(list, i);
		if (INTERNET_ADDRESS_IS_GROUP(ia)) {
			if (depth < 2)
				add_addrs(internet_address_group_get_members(INTERNET_ADDRESS_GROUP(ia)),
				    v, n, depth + 1);
			continue;
		}
		if (!INTERNET_ADDRESS_IS_MAILBOX(ia))
			continue;
		struct addr a = { 0 };
		if (fill_addr(&a, ia) < 0) {
			free(a.name);
			continue;
		}
		if ((*n & (*n - 1)) == 0) {   /* capacity doubles at each power of two */
			struct addr *nv = realloc(*v, (*n ? *n * 2 : 1) * sizeof **v);
			if (!nv) {
				free(a.name);
				free(a.email);
				return;
			}
			*v = nv;
		}
		(*v)[(*n)++] = a;
	}
}

static void parse_from(GMimeMessage *msg, struct sync_msg *out)
{
	struct addr *v = NULL;
	size_t n = 0;
	add_addrs(g_mime_message_get_from(msg), &v, &n, 0);
	if (n > 0) {
		out->from = v[0];
		for (size_t i = 1; i < n; i++) {
			free(v[i].name);
			free(v[i].email);
		}
	}
	free(v);
}

static void parse_references(GMimeMessage *msg, struct sync_msg *out)
{
	const char *h = g_mime_object_get_header(GMIME_OBJECT(msg), "References");
	GMimeReferences *refs = h ? g_mime_references_parse(parse_opts, h) : NULL;
	int n = refs ? g_mime_references_length(refs) : 0;
	if (n > 0)
		out->references = calloc((size_t)n, sizeof *out->references);
	for (int i = 0; out->references && i < n; i++) {
		char *id = utf8_dup(g_mime_references_get_message_id(refs, i));
		if (id && *id)
			out->references[out->n_references++] = id;
		else
			free(id);
	}
	if (refs)
		g_mime_references_free(refs);
}

/* "synth-<hash>@crm.invalid" from From, Date and Subject as written (the whole message when it
 * has none of them), so the same message seen twice gets the same id. */
static char *synth_message_id(GMimeMessage *msg, const char *raw, size_t len)
{
	static const char *const names[] = { "From", "Date", "Subject" };
	GChecksum *ck = g_checksum_new(G_CHECKSUM_SHA256);
	int any = 0;
	for (size_t i = 0; i < 3; i++) {
		const char *v = g_mime_object_get_header(GMIME_OBJECT(msg), names[i]);
		g_checksum_update(ck, (const guchar *)names[i], -1);
		g_checksum_update(ck, (const guchar *)":", 1);
		if (v) {
			g_checksum_update(ck, (const guchar *)v, -1);
			any = 1;
		}
		g_checksum_update(ck, (const guchar *)"\n", 1);
	}
	if (!any)
		g_checksum_update(ck, (const guchar *)raw, (gssize)len);
	char buf[128];
	snprintf(buf, sizeof buf, "synth-%.32s@crm.invalid", g_checksum_get_string(ck));
	g_checksum_free(ck);
	return strdup(buf);
}

struct bodies {
	GMimeTextPart *plain, *html;
};

static int find_attachments(GMimeObject *o, int depth, const struct bodies *b,
    struct sync_msg *out);

/* First inline text/plain and text/html parts; attached messages are not looked into. */
static void find_bodies(GMimeObject *o, int depth, struct bodies *b)
{
	if (!o || depth > MAX_PART_DEPTH || (b->plain && b->html))
		return;
	if (GMIME_IS_MULTIPART(o)) {
		int n = g_mime_multipart_get_count(GMIME_MULTIPART(o));
		for (int i = 0; i < n; i++)
			find_bodies(g_mime_multipart_get_part(GMIME_MULTIPART(o), i), depth + 1, b);
		return;
	}
	if (!GMIME_IS_TEXT_PART(o) || g_mime_part_is_attachment(GMIME_PART(o)))
		return;
	GMimeContentType *ct = g_mime_object_get_content_type(o);
	if (!b->plain && g_mime_content_type_is_type(ct, "text", "plain"))
		b->plain = GMIME_TEXT_PART(o);
	else if (!b->html && g_mime_content_type_is_type(ct, "text", "html"))
		b->html = GMIME_TEXT_PART(o);
}

/* Decoded UTF-8 text of a part with CRLF turned into LF; malloc'd. */
static char *part_text(GMimeTextPart *p)
{
	char *raw = g_mime_text_part_get_text(p);
	char *s = utf8_dup(raw ? raw : "");
	g_free(raw);
	if (!s)
		return NULL;
	char *w = s;
	for (char *r = s; *r; r++)
		if (!(*r == '\r' && r[1] == '\n'))
			*w++ = *r;
	*w = '\0';
	return s;
}

static int parse_body(GMimeMessage *msg, struct sync_msg *out)
{
	struct bodies b = { 0 };
	find_bodies(g_mime_message_get_mime_part(msg), 0, &b);
	if (find_attachments(g_mime_message_get_mime_part(msg), 0, &b, out) != 0)
		return -1;
	if (b.plain) {
		out->body_text = part_text(b.plain);
	} else if (b.html) {
		char *html = part_text(b.html);
		out->body_text = html ? html_to_text(html, strlen(html)) : NULL;
		free(html);
	} else {
		out->body_text = strdup("");
	}
	return out->body_text ? 0 : -1;
}

/* ---- Attachments -------------------------------------------------------------------------- */

/* 1 if the part's Content-Transfer-Encoding is one GMime decodes (or there is none). */
static int encoding_known(GMimeObject *o)
{
	static const char *const known[] = { "7bit", "8bit", "binary", "base64", "quoted-printable",
		"x-uuencode", "uuencode", "x-uue" };
	const char *h = g_mime_object_get_header(o, "Content-Transfer-Encoding");
	if (!h)
		return 1;
	char *v = g_strstrip(g_ascii_strdown(h, -1));
	int ok = 0;
	for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
		ok |= strcmp(v, known[i]) == 0;
	g_free(v);
	return ok;
}

/* The decoded bytes of a part into a->data / a->size with their SHA-256. Returns 0 or -1. */
static int attach_read(GMimePart *part, struct sync_attach *a)
{
	GMimeDataWrapper *w = g_mime_part_get_content(part);   /* NULL: an empty part */
	GByteArray *bytes = g_byte_array_new();
	GMimeStream *mem = g_mime_stream_mem_new_with_byte_array(bytes);
	g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(mem), FALSE);
	int rc = w && g_mime_data_wrapper_write_to_stream(w, mem) < 0 ? -1 : 0;
	g_object_unref(mem);
	a->size = bytes->len;
	if (rc == 0 && attach_max && bytes->len > attach_max) {
		g_byte_array_free(bytes, TRUE);
		return 0;   /* too large to store: the size is all that is kept */
	}
	if (rc == 0 && bytes->len > 0) {
		if (!(a->data = malloc(bytes->len)))
			rc = -1;
		else
			memcpy(a->data, bytes->data, bytes->len);
	}
	if (rc == 0) {
		GChecksum *ck = g_checksum_new(G_CHECKSUM_SHA256);
		g_checksum_update(ck, bytes->data, bytes->len);
		snprintf(a->sha256, sizeof a->sha256, "%s", g_checksum_get_string(ck));
		g_checksum_free(ck);
	}
	g_byte_array_free(bytes, TRUE);
	return rc;
}

/* 1 if a leaf part (not a chosen body) is an attachment: it says so, has a file name, or is
 * not text (an inline image, a PDF sent without a disposition). */
static int is_attachment(GMimeObject *o, const struct bodies *b)
{
	if (!GMIME_IS_PART(o) || o == (GMimeObject *)b->plain || o == (GMimeObject *)b->html)
		return 0;
	GMimePart *p = GMIME_PART(o);
	GMimeContentType *ct = g_mime_object_get_content_type(o);
	return g_mime_part_is_attachment(p) || g_mime_part_get_filename(p) ||
	    !g_mime_content_type_is_type(ct, "text", "*");
}

static int attach_add(GMimeObject *o, struct sync_msg *out)
{
	if (out->n_attachments >= MIME_MAX_ATTACH) {
		out->n_attach_left_out++;
		return 0;
	}
	if (!out->attachments && !(out->attachments = calloc(MIME_MAX_ATTACH,
	    sizeof *out->attachments)))
		return -1;
	struct sync_attach *a = &out->attachments[out->n_attachments++];
	GMimePart *part = GMIME_PART(o);
	char *name = utf8_dup(g_mime_part_get_filename(part));
	a->name = attach_name_clean(name);
	free(name);
	GMimeContentType *ct = g_mime_object_get_content_type(o);
	char *mt = ct ? g_mime_content_type_get_mime_type(ct) : NULL;
	char *low = g_ascii_strdown(mt ? mt : "application/octet-stream", -1);
	a->media_type = strdup(low);
	g_free(low);
	g_free(mt);
	const char *cid = g_mime_part_get_content_id(part);
	if (cid && *cid && !(a->content_id = utf8_dup(cid)))
		return -1;
	GMimeContentDisposition *cd = g_mime_object_get_content_disposition(o);
	a->is_inline = a->content_id && (!cd || !g_mime_content_disposition_is_attachment(cd));
	if (!a->name || !a->media_type)
		return -1;
	if (!encoding_known(o)) {
		a->unreadable = 1;
		return 0;
	}
	return attach_read(part, a);
}

/* Every attachment below o, in MIME order; attached messages are not looked into. */
static int find_attachments(GMimeObject *o, int depth, const struct bodies *b,
    struct sync_msg *out)
{
	if (!o || depth > MAX_PART_DEPTH)
		return 0;
	if (GMIME_IS_MULTIPART(o)) {
		int n = g_mime_multipart_get_count(GMIME_MULTIPART(o));
		for (int i = 0; i < n; i++)
			if (find_attachments(g_mime_multipart_get_part(GMIME_MULTIPART(o), i),
			    depth + 1, b, out) != 0)
				return -1;
		return 0;
	}
	return is_attachment(o, b) ? attach_add(o, out) : 0;
}

static int has_mail_headers(GMimeMessage *msg)
{
	static const char *const names[] = { "From", "To", "Cc", "Date", "Subject", "Message-ID",
		"Received", "Return-Path", "Sender" };
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (g_mime_object_get_header(GMIME_OBJECT(msg), names[i]))
			return 1;
	return 0;
}

int mime_parse(const char *raw, size_t len, struct sync_msg *out, char *err, size_t errlen)
{
	GMimeStream *stream = NULL;
	GMimeParser *parser = NULL;
	GMimeMessage *msg = NULL;
	int rc = -1;

	memset(out, 0, sizeof *out);
	mime_init();
	if (!raw || len == 0) {
		set_err(err, errlen, "empty message");
		goto out;
	}
	stream = g_mime_stream_mem_new_with_buffer(raw, len);
	parser = g_mime_parser_new_with_stream(stream);
	g_mime_parser_set_format(parser, GMIME_FORMAT_MESSAGE);
	msg = g_mime_parser_construct_message(parser, parse_opts);
	if (!msg || !has_mail_headers(msg)) {
		set_err(err, errlen, "no mail headers found");
		goto out;
	}
	const char *mid = g_mime_message_get_message_id(msg);
	out->message_id = mid && *mid ? utf8_dup(mid) : synth_message_id(msg, raw, len);
	const char *irt = g_mime_object_get_header(GMIME_OBJECT(msg), "In-Reply-To");
	if (irt) {
		char *id = g_mime_utils_decode_message_id(irt);
		if (id && *id)
			out->in_reply_to = utf8_dup(id);
		g_free(id);
	}
	parse_references(msg, out);
	const char *subj = g_mime_message_get_subject(msg);
	out->subject = utf8_dup(subj ? subj : "");
	parse_from(msg, out);
	add_addrs(g_mime_message_get_to(msg), &out->to, &out->n_to, 0);
	add_addrs(g_mime_message_get_cc(msg), &out->cc, &out->n_cc, 0);
	GDateTime *dt = g_mime_message_get_date(msg);
	out->date = dt ? (int64_t)g_date_time_to_unix(dt) : 0;
	if (!out->message_id || !out->subject || parse_body(msg, out) < 0) {
		set_err(err, errlen, "out of memory");
		goto out;
	}
	rc = 0;
out:
	if (msg)
		g_object_unref(msg);
	if (parser)
		g_object_unref(parser);
	if (stream)
		g_object_unref(stream);
	return rc;
}

/* ---- Building ---------------------------------------------------------------------------- */

static int has_crlf(const char *s)
{
	return s && strpbrk(s, "\r\n") != NULL;
}

static int email_ok(const char *e)
{
	return e && *e && strchr(e, '@') && !strpbrk(e, " \t\r\n<>,;\"()");
}

static int addrs_ok(const struct addr *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!email_ok(v[i].email) || has_crlf(v[i].name))
			return 0;
	return 1;
}

static int build_ok(const struct mime_out *m)
{
	if (!m || !email_ok(m->from_email) || has_crlf(m->from_name) || m->n_to + m->n_cc == 0)
		return 0;
	if (!m->message_id || !*m->message_id || strpbrk(m->message_id, " \t\r\n"))
		return 0;
	if (has_crlf(m->subject) || has_crlf(m->in_reply_to))
		return 0;
	for (size_t i = 0; i < m->n_references; i++)
		if (!m->references[i] || strpbrk(m->references[i], " \t\r\n<>"))
			return 0;
	if (m->in_reply_to && strpbrk(m->in_reply_to, " \t<>"))
		return 0;
	for (size_t i = 0; i < m->n_files; i++)
		if (!m->files[i].name || !*m->files[i].name || has_crlf(m->files[i].name) ||
		    (!m->files[i].data && m->files[i].len))
			return 0;
	return addrs_ok(m->to, m->n_to) && addrs_ok(m->cc, m->n_cc);
}

/* The id without its angle brackets, in buf. */
static const char *bare_id(const char *id, char *buf, size_t len)
{
	size_t n = strlen(id);
	if (n >= 2 && id[0] == '<' && id[n - 1] == '>')
		snprintf(buf, len, "%.*s", (int)(n - 2), id + 1);
	else
		snprintf(buf, len, "%s", id);
	return buf;
}

static void set_thread_headers(GMimeMessage *msg, const struct mime_out *m)
{
	if (m->in_reply_to && *m->in_reply_to) {
		char *v = g_strdup_printf("<%s>", m->in_reply_to);
		g_mime_object_set_header(GMIME_OBJECT(msg), "In-Reply-To", v, NULL);
		g_free(v);
	}
	if (m->n_references > 0) {
		GString *s = g_string_new(NULL);
		for (size_t i = 0; i < m->n_references; i++)
			g_string_append_printf(s, "%s<%s>", i ? " " : "", m->references[i]);
		g_mime_object_set_header(GMIME_OBJECT(msg), "References", s->str, NULL);
		g_string_free(s, TRUE);
	}
}

/* A text/plain UTF-8 quoted-printable part holding body with line ends made LF (GMime
 * writes them as CRLF). The bytes are kept as UTF-8: no charset is guessed. */
static GMimeTextPart *body_part(const char *body)
{
	GMimeTextPart *part = g_mime_text_part_new_with_subtype("plain");
	GByteArray *bytes = g_byte_array_new();
	for (const char *r = body ? body : ""; *r; r++)
		if (!(*r == '\r' && r[1] == '\n'))
			g_byte_array_append(bytes, (const guint8 *)r, 1);
	GMimeStream *stream = g_mime_stream_mem_new_with_byte_array(bytes);
	GMimeDataWrapper *content = g_mime_data_wrapper_new_with_stream(stream,
	    GMIME_CONTENT_ENCODING_DEFAULT);
	g_mime_part_set_content(GMIME_PART(part), content);
	g_mime_text_part_set_charset(part, "utf-8");
	g_mime_part_set_content_encoding(GMIME_PART(part), GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE);
	g_object_unref(content);
	g_object_unref(stream);
	return part;
}

/* 1 if t is a plain "type/subtype" of RFC 2045 token characters. */
static int media_type_ok(const char *t)
{
	static const char tspecials[] = "()<>@,;:\\\"/[]?= \t";
	const char *slash = t ? strchr(t, '/') : NULL;
	if (!slash || slash == t || !slash[1] || strlen(t) > 100)
		return 0;
	for (const char *c = t; *c; c++)
		if (c != slash && ((unsigned char)*c <= 32 || (unsigned char)*c >= 127 ||
		    strchr(tspecials, *c)))
			return 0;
	return 1;
}

/* One attachment part: base64, Content-Disposition attachment; filename (RFC 2231), and the
 * Content-Type's name as an encoded word. */
static GMimePart *file_part(const struct mime_file *f)
{
	const char *type = media_type_ok(f->media_type) ? f->media_type : "application/octet-stream";
	char major[64], *slash = strchr(type, '/');
	snprintf(major, sizeof major, "%.*s", (int)(slash - type), type);
	GMimePart *part = g_mime_part_new_with_type(major, slash + 1);
	GMimeStream *stream = g_mime_stream_mem_new_with_buffer((const char *)(f->data ?
	    f->data : (const unsigned char *)""), f->len);
	GMimeDataWrapper *content = g_mime_data_wrapper_new_with_stream(stream,
	    GMIME_CONTENT_ENCODING_DEFAULT);
	g_mime_part_set_content(part, content);
	g_mime_part_set_content_encoding(part, GMIME_CONTENT_ENCODING_BASE64);
	g_mime_object_set_disposition(GMIME_OBJECT(part), "attachment");
	g_mime_part_set_filename(part, f->name);
	GMimeContentType *ct = g_mime_object_get_content_type(GMIME_OBJECT(part));
	GMimeParam *nm = g_mime_param_list_get_parameter(g_mime_content_type_get_parameters(ct),
	    "name");
	if (nm) {
		g_mime_param_set_encoding_method(nm, GMIME_PARAM_ENCODING_METHOD_RFC2047);
		g_mime_param_set_charset(nm, "utf-8");
	}
	GMimeContentDisposition *cd = g_mime_object_get_content_disposition(GMIME_OBJECT(part));
	GMimeParam *fn = cd ? g_mime_param_list_get_parameter(
	    g_mime_content_disposition_get_parameters(cd), "filename") : NULL;
	if (fn) {
		g_mime_param_set_encoding_method(fn, GMIME_PARAM_ENCODING_METHOD_RFC2231);
		g_mime_param_set_charset(fn, "utf-8");
	}
	g_object_unref(content);
	g_object_unref(stream);
	return part;
}

char *mime_build(const struct mime_out *m, size_t *len)
{
	GMimeMessage *msg = NULL;
	GMimeTextPart *part = NULL;
	GMimeFormatOptions *fo = NULL;
	char *str = NULL, *res = NULL;
	char idbuf[998];

	mime_init();
	if (!build_ok(m))
		goto out;
	msg = g_mime_message_new(TRUE);
	g_mime_message_add_mailbox(msg, GMIME_ADDRESS_TYPE_FROM, m->from_name ? m->from_name : "",
	    m->from_email);
	for (size_t i = 0; i < m->n_to; i++)
		g_mime_message_add_mailbox(msg, GMIME_ADDRESS_TYPE_TO,
		    m->to[i].name ? m->to[i].name : "", m->to[i].email);
	for (size_t i = 0; i < m->n_cc; i++)
		g_mime_message_add_mailbox(msg, GMIME_ADDRESS_TYPE_CC,
		    m->cc[i].name ? m->cc[i].name : "", m->cc[i].email);
	g_mime_message_set_subject(msg, m->subject ? m->subject : "", "utf-8");
	GDateTime *dt = g_date_time_new_from_unix_utc(m->date ? m->date : (int64_t)time(NULL));
	if (dt) {
		g_mime_message_set_date(msg, dt);
		g_date_time_unref(dt);
	}
	g_mime_message_set_message_id(msg, bare_id(m->message_id, idbuf, sizeof idbuf));
	set_thread_headers(msg, m);
	part = body_part(m->body);
	if (m->n_files) {
		GMimeMultipart *mixed = g_mime_multipart_new_with_subtype("mixed");
		g_mime_multipart_add(mixed, GMIME_OBJECT(part));
		for (size_t i = 0; i < m->n_files; i++) {
			GMimePart *fp = file_part(&m->files[i]);
			g_mime_multipart_add(mixed, GMIME_OBJECT(fp));
			g_object_unref(fp);
		}
		g_mime_message_set_mime_part(msg, GMIME_OBJECT(mixed));
		g_object_unref(mixed);
	} else {
		g_mime_message_set_mime_part(msg, GMIME_OBJECT(part));
	}
	fo = g_mime_format_options_new();
	g_mime_format_options_set_newline_format(fo, GMIME_NEWLINE_FORMAT_DOS);
	str = g_mime_object_to_string(GMIME_OBJECT(msg), fo);
	if (!str)
		goto out;
	res = strdup(str);
	if (res && len)
		*len = strlen(res);
out:
	g_free(str);
	if (fo)
		g_mime_format_options_free(fo);
	if (part)
		g_object_unref(part);
	if (msg)
		g_object_unref(msg);
	return res;
}

char *mime_new_message_id(const char *domain)
{
	unsigned char rnd[16];
	char hex[33], buf[300];

	if (getrandom(rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd)
		return NULL;
	for (size_t i = 0; i < sizeof rnd; i++)
		snprintf(hex + 2 * i, 3, "%02x", rnd[i]);
	snprintf(buf, sizeof buf, "%s.%lld@%s", hex, (long long)time(NULL),
	    domain && *domain && !strpbrk(domain, " \t\r\n<>@") ? domain : "crm.localdomain");
	return strdup(buf);
}
