/* Attachments, the pure part: names, served types, Content-Disposition, blob paths (attach.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "core/attach.h"

#define EXT_MAX 16   /* an extension up to this many bytes survives a cut */

/* 1 for a character that is dropped from a name: controls, bidi overrides and isolates. */
static int name_drops(gunichar c)
{
	return c < 0x20 || c == 0x7f || (c >= 0x80 && c <= 0x9f) || (c >= 0x202a && c <= 0x202e) ||
	    (c >= 0x2066 && c <= 0x2069) || c == 0x200e || c == 0x200f || c == 0xfeff;
}

/* Cut s (valid UTF-8) to at most max bytes on a character boundary. */
static void utf8_cut(char *s, size_t max)
{
	size_t n = strlen(s);
	if (n <= max)
		return;
	const char *end = g_utf8_find_prev_char(s, s + max + 1);
	while (end && (size_t)(end - s) > max)
		end = g_utf8_find_prev_char(s, end);
	s[end ? (size_t)(end - s) : 0] = '\0';
}

/* Cut a name to ATTACH_NAME_MAX keeping its extension when that is short. */
static void name_cut(char *s)
{
	if (strlen(s) <= ATTACH_NAME_MAX)
		return;
	const char *dot = strrchr(s, '.');
	size_t ext = dot ? strlen(dot) : 0;
	if (ext == 0 || ext > EXT_MAX) {
		utf8_cut(s, ATTACH_NAME_MAX);
		return;
	}
	char keep[EXT_MAX + 1];
	memcpy(keep, dot, ext + 1);
	utf8_cut(s, ATTACH_NAME_MAX - ext);
	strcat(s, keep);
}

char *attach_name_clean(const char *raw)
{
	char *valid = g_utf8_make_valid(raw ? raw : "", -1);
	GString *out = g_string_new(NULL);
	for (const char *p = valid; *p; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);
		if (name_drops(c))
			continue;
		if (c == '/' || c == '\\')
			g_string_append_c(out, '_');
		else
			g_string_append_unichar(out, c);
	}
	g_free(valid);
	char *s = out->str;
	g_strstrip(s);
	size_t lead = strspn(s, ". ");
	memmove(s, s + lead, strlen(s + lead) + 1);
	name_cut(s);
	g_strchomp(s);
	char *res = strdup(*s ? s : "attachment");
	g_string_free(out, TRUE);
	return res;
}

/* 1 if s[0..n) is an RFC 2045 token (no specials, no blanks, no controls). */
static int token_ok(const char *s, size_t n)
{
	if (n == 0 || n > 60)
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c <= 0x20 || c >= 0x7f || strchr("()<>@,;:\\\"/[]?=", c))
			return 0;
	}
	return 1;
}

static int is_active(const char *t)
{
	static const char *const active[] = { "text/html", "application/xhtml+xml",
		"image/svg+xml", "text/xml", "application/xml", "text/xsl", "application/xslt+xml",
		"text/javascript", "application/javascript", "application/x-javascript",
		"text/ecmascript", "application/ecmascript", "text/jscript", "text/vbscript",
		"application/wasm", "multipart/x-mixed-replace", "text/cache-manifest" };
	for (size_t i = 0; i < sizeof active / sizeof active[0]; i++)
		if (strcmp(t, active[i]) == 0)
			return 1;
	size_t n = strlen(t);
	return (n > 4 && strcmp(t + n - 4, "+xml") == 0) || strstr(t, "script") != NULL ||
	    strstr(t, "html") != NULL;
}

void attach_served_type(const char *media_type, char *out, size_t size)
{
	const char *t = media_type ? media_type : "";
	const char *slash = strchr(t, '/');
	char low[128];
	size_t n = strlen(t);
	if (!slash || n >= sizeof low || !token_ok(t, (size_t)(slash - t)) ||
	    !token_ok(slash + 1, strlen(slash + 1))) {
		snprintf(out, size, "application/octet-stream");
		return;
	}
	for (size_t i = 0; i <= n; i++)
		low[i] = (char)g_ascii_tolower(t[i]);
	snprintf(out, size, "%s", is_active(low) ? "application/octet-stream" : low);
}

int attach_inline_ok(const char *media_type)
{
	static const char *const ok[] = { "image/png", "image/jpeg", "image/gif", "image/webp" };
	for (size_t i = 0; media_type && i < sizeof ok / sizeof ok[0]; i++)
		if (g_ascii_strcasecmp(media_type, ok[i]) == 0)
			return 1;
	return 0;
}

/* RFC 5987 attr-char: sent as it is in filename*=; everything else is %XX. */
static int attr_char(unsigned char c)
{
	return g_ascii_isalnum(c) || (c && strchr("!#$&+-.^_`|~", c));
}

int attach_disposition(const char *name, int is_inline, char *out, size_t size)
{
	GString *s = g_string_new(is_inline ? "inline" : "attachment");
	g_string_append(s, "; filename=\"");
	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		g_string_append_c(s, *p < 0x20 || *p >= 0x7f || strchr("\"\\<>:*?|/", *p) ? '_' :
		    (char)*p);
	g_string_append(s, "\"; filename*=UTF-8''");
	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		if (attr_char(*p))
			g_string_append_c(s, (char)*p);
		else
			g_string_append_printf(s, "%%%02X", *p);
	int rc = s->len < size ? 0 : -1;
	if (rc == 0)
		memcpy(out, s->str, s->len + 1);
	g_string_free(s, TRUE);
	return rc;
}

int attach_sha_ok(const char *s)
{
	if (!s || strlen(s) != 64)
		return 0;
	for (size_t i = 0; i < 64; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

int attach_rel_path(const char *sha, char *out, size_t size)
{
	if (!attach_sha_ok(sha))
		return -1;
	int n = snprintf(out, size, "%.2s/%s", sha, sha);
	return n > 0 && (size_t)n < size ? 0 : -1;
}

void attach_fmt_size(size_t size, char *out, size_t outsize)
{
	if (size < 1024)
		snprintf(out, outsize, "%zu bytes", size);
	else if (size < 1024 * 1024)
		snprintf(out, outsize, "%zu KB", (size + 1023) / 1024);
	else
		snprintf(out, outsize, "%.1f MB", (double)size / (1024.0 * 1024.0));
}
