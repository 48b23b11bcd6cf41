/* E-mail address normalisation, a pragmatic validity check, and RFC 5322 address lists read and
 * written through GMime's InternetAddressList. */
#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gmime/gmime.h>

#include "core/addr.h"

char *addr_normalize(const char *s, char *out, size_t size)
{
	if (!s || !size)
		return NULL;
	while (isspace((unsigned char)*s))
		s++;
	size_t n = strlen(s);
	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	if (n >= size)
		return NULL;
	for (size_t i = 0; i < n; i++)
		out[i] = (char)tolower((unsigned char)s[i]);
	out[n] = '\0';
	return out;
}

int addr_valid(const char *s)
{
	const char *at = strchr(s, '@');
	if (!at || at == s || strchr(at + 1, '@') || strlen(s) > 254)
		return 0;
	for (const char *p = s; *p; p++)
		if (isspace((unsigned char)*p) || *p == '<' || *p == '>' || *p == ',' || *p == ';' ||
		    *p == '"' || (unsigned char)*p < 0x20)
			return 0;
	const char *dot = strrchr(at + 1, '.');
	return dot && dot > at + 1 && dot[1] != '\0';
}

/* ---- GMime ------------------------------------------------------------------------------- */

static pthread_once_t addr_once = PTHREAD_ONCE_INIT;
static GMimeParserOptions *addr_opts;   /* shared read-only after init */

static void addr_init_once(void)
{
	g_mime_init();
	addr_opts = g_mime_parser_options_new();
	g_mime_parser_options_set_address_compliance_mode(addr_opts, GMIME_RFC_COMPLIANCE_LOOSE);
	g_mime_parser_options_set_rfc2047_compliance_mode(addr_opts, GMIME_RFC_COMPLIANCE_LOOSE);
}

void addr_init(void)
{
	pthread_once(&addr_once, addr_init_once);
}

/* ---- Formatting -------------------------------------------------------------------------- */

/* 1 when name may stand unquoted: words of atext (or UTF-8) separated by single spaces. */
static int plain_phrase(const char *name)
{
	static const char atext_specials[] = "!#$%&'*+-/=?^_`{|}~";
	if (!*name || *name == ' ')
		return 0;
	for (const char *p = name; *p; p++) {
		unsigned char ch = (unsigned char)*p;
		if (ch == ' ' && (p[1] == ' ' || p[1] == '\0'))
			return 0;
		if (ch != ' ' && ch < 0x80 && !isalnum(ch) && !strchr(atext_specials, ch))
			return 0;
	}
	return 1;
}

static void put_addr(FILE *f, const char *name, const char *email)
{
	if (!name || !*name) {
		fputs(email, f);
		return;
	}
	if (plain_phrase(name)) {
		fprintf(f, "%s <%s>", name, email);
		return;
	}
	fputc('"', f);
	for (const char *p = name; *p; p++) {
		if (*p == '"' || *p == '\\')
			fputc('\\', f);
		fputc((unsigned char)*p < 0x20 ? ' ' : *p, f);
	}
	fprintf(f, "\" <%s>", email);
}

/* Close the memstream f and return its text, or NULL (freed) when writing failed. */
static char *memstream_done(FILE *f, char **out)
{
	if (fclose(f) != 0) {
		free(*out);
		return NULL;
	}
	return *out;
}

char *addr_format(const char *name, const char *email)
{
	return addr_list_format(&(struct addr){ (char *)name, (char *)email }, 1);
}

char *addr_list_format(const struct addr *v, size_t n)
{
	char *out = NULL;
	size_t len = 0;
	int any = 0;
	FILE *f = open_memstream(&out, &len);
	if (!f)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (!v[i].email)
			continue;
		if (any++)
			fputs(", ", f);
		put_addr(f, v[i].name, v[i].email);
	}
	return memstream_done(f, &out);
}

char *addr_list_header(const struct addr *v, size_t n)
{
	addr_init();
	InternetAddressList *list = internet_address_list_new();
	for (size_t i = 0; i < n; i++) {
		if (!v[i].email)
			continue;
		InternetAddress *ia = internet_address_mailbox_new(v[i].name ? v[i].name : "",
		    v[i].email);
		internet_address_list_add(list, ia);
		g_object_unref(ia);
	}
	GMimeFormatOptions *fo = g_mime_format_options_new();
	char *s = internet_address_list_to_string(list, fo, TRUE);
	char *res = strdup(s ? s : "");
	g_free(s);
	g_mime_format_options_free(fo);
	g_object_unref(list);
	return res;
}

/* ---- Parsing ----------------------------------------------------------------------------- */

void addr_list_free(struct addr *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++) {
		free(v[i].name);
		free(v[i].email);
	}
	free(v);
}

/* A growing list of parsed addresses, bounded by max. */
struct addr_acc {
	struct addr *v;
	size_t n, cap, max;
};

/* Append a normalized copy of (name, email). Returns 1 added, 0 when email is not usable, -1
 * when full (n == max) or out of memory. */
static int acc_add(struct addr_acc *a, const char *name, const char *email)
{
	char norm[320];
	if (!email || !addr_normalize(email, norm, sizeof norm) || !addr_valid(norm))
		return 0;
	if (a->n == a->max)
		return -1;
	if (a->n == a->cap) {
		size_t ncap = a->cap ? a->cap * 2 : 8;
		if (ncap > a->max)
			ncap = a->max;
		struct addr *nv = realloc(a->v, ncap * sizeof *nv);
		if (!nv)
			return -1;
		memset(nv + a->cap, 0, (ncap - a->cap) * sizeof *nv);
		a->v = nv;
		a->cap = ncap;
	}
	struct addr *d = &a->v[a->n];
	if (!(d->email = strdup(norm)))
		return -1;
	if (name && *name) {
		char *t = g_strstrip(g_strdup(name));
		d->name = *t ? strdup(t) : NULL;
		g_free(t);
	}
	a->n++;
	return 1;
}

/* Add the mailboxes of list (groups flattened, nested ones too) to a. Returns the number of
 * mailboxes seen, or -1 when one is not usable and strict is set, or when a is full. */
static int acc_list(struct addr_acc *a, InternetAddressList *list, int strict, int depth)
{
	int seen = 0, len = list ? internet_address_list_length(list) : 0;
	for (int i = 0; i < len; i++) {
		InternetAddress *ia = internet_address_list_get_address(list, i);
		if (INTERNET_ADDRESS_IS_GROUP(ia)) {
			int k = depth < 4 ? acc_list(a, internet_address_group_get_members(
			    INTERNET_ADDRESS_GROUP(ia)), strict, depth + 1) : 0;
			if (k < 0)
				return -1;
			seen += k;
			continue;
		}
		if (!INTERNET_ADDRESS_IS_MAILBOX(ia))
			continue;
		seen++;
		int rc = acc_add(a, internet_address_get_name(ia),
		    internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(ia)));
		if (rc < 0 || (rc == 0 && strict))
			return -1;
	}
	return seen;
}

int addr_list_read(const char *text, struct addr **out, size_t *n)
{
	struct addr_acc a = { .max = (size_t)-1 };
	*out = NULL;
	*n = 0;
	if (!text || !*text)
		return 0;
	addr_init();
	InternetAddressList *list = internet_address_list_parse(addr_opts, text);
	int rc = acc_list(&a, list, 0, 0) < 0 ? -1 : 0;
	if (list)
		g_object_unref(list);
	if (rc != 0) {
		addr_list_free(a.v, a.n);
		return -1;
	}
	*out = a.v;
	*n = a.n;
	return 0;
}

/* Length of the item starting at s: up to the first ',' or ';' that is outside a quoted-string,
 * a comment, <> and a group ("name: ... ;"). GMime reads the item itself; this only finds where
 * it ends, so that an error can name it and ';' can separate as people type it. *open_angle
 * is set when a '<' is left unclosed. */
static size_t item_len(const char *s, int *open_angle)
{
	int quoted = 0, comment = 0, angle = 0, group = 0;
	size_t i = 0;
	for (; s[i]; i++) {
		char ch = s[i];
		if ((quoted || comment) && ch == '\\' && s[i + 1]) {
			i++;
		} else if (quoted) {
			quoted = ch != '"';
		} else if (comment) {
			comment += (ch == '(') - (ch == ')');
		} else if (ch == '"') {
			quoted = 1;
		} else if (ch == '(') {
			comment = 1;
		} else if (angle) {
			angle = ch != '>';
		} else if (ch == '<') {
			angle = 1;
		} else if (ch == ':' && !group) {
			group = 1;
		} else if (ch == ';' && group) {
			group = 0;
		} else if (!group && (ch == ',' || ch == ';')) {
			break;
		}
	}
	*open_angle = angle;
	return i;
}

/* Parse one item (NUL-terminated) into a. Returns 0, or -1 when it is not an address (or a
 * group of them), or a is full. */
static int parse_item(struct addr_acc *a, const char *item, int open_angle)
{
	if (open_angle)
		return -1;
	InternetAddressList *list = internet_address_list_parse(addr_opts, item);
	int len = list ? internet_address_list_length(list) : 0, rc = -1;
	/* one item is one mailbox or one group: more means GMime found text it had to split */
	if (len == 1) {
		InternetAddress *ia = internet_address_list_get_address(list, 0);
		int k = acc_list(a, list, 1, 0);
		rc = k < 0 || (k == 0 && !INTERNET_ADDRESS_IS_GROUP(ia)) ? -1 : 0;
	}
	if (list)
		g_object_unref(list);
	return rc;
}

int addr_list_parse(const char *text, size_t max, struct addr **out, size_t *n, char *bad,
    size_t badlen)
{
	struct addr_acc a = { .max = max };
	char *item = NULL;
	*out = NULL;
	*n = 0;
	if (bad && badlen)
		bad[0] = '\0';
	if (!text)
		return 0;
	addr_init();
	for (const char *p = text; *p;) {
		int open_angle = 0;
		size_t len = item_len(p, &open_angle);
		if (!(item = g_strstrip(g_strndup(p, len))))
			goto fail;
		p += len + (p[len] != '\0');
		if (!*item) {
			g_free(item);
			continue;
		}
		if (a.n == max) {
			snprintf(bad, badlen, "more than %zu addresses", max);
			goto fail;
		}
		if (parse_item(&a, item, open_angle) != 0) {
			if (a.n == max)
				snprintf(bad, badlen, "more than %zu addresses", max);
			else
				snprintf(bad, badlen, "%s", item);
			goto fail;
		}
		g_free(item);
	}
	item = NULL;
	if (a.n && a.cap < max) {
		/* room for max entries, as promised: callers may append up to max */
		struct addr *nv = realloc(a.v, max * sizeof *nv);
		if (!nv)
			goto fail;
		memset(nv + a.cap, 0, (max - a.cap) * sizeof *nv);
		a.v = nv;
		a.cap = max;
	}
	*out = a.n ? a.v : NULL;
	if (!a.n)
		free(a.v);
	*n = a.n;
	return 0;
fail:
	g_free(item);
	addr_list_free(a.v, a.n);
	return -1;
}
