/* Escaping for HTML and URLs, and the byte buffer everything is written into. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "web/html.h"

void buf_free(struct buf *b)
{
	free(b->s);
	memset(b, 0, sizeof *b);
}

static int buf_grow(struct buf *b, size_t more)
{
	if (b->oom)
		return -1;
	if (b->len + more + 1 <= b->cap)
		return 0;
	size_t ncap = b->cap ? b->cap : 256;
	while (ncap < b->len + more + 1)
		ncap *= 2;
	char *n = realloc(b->s, ncap);
	if (!n) {
		b->oom = 1;
		return -1;
	}
	b->s = n;
	b->cap = ncap;
	return 0;
}

void buf_add(struct buf *b, const char *s, size_t n)
{
	if (buf_grow(b, n) != 0)
		return;
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

void buf_puts(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

void buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || buf_grow(b, (size_t)n) != 0)
		return;
	va_start(ap, fmt);
	vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

char *buf_take(struct buf *b)
{
	if (b->oom) {
		buf_free(b);
		return NULL;
	}
	if (!b->s)
		return strdup("");
	char *s = b->s;
	memset(b, 0, sizeof *b);
	return s;
}

void html_txt(struct buf *b, const char *s)
{
	const char *run = s;
	for (; *s; s++) {
		const char *rep;
		switch (*s) {
		case '&': rep = "&amp;"; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '"': rep = "&quot;"; break;
		case '\'': rep = "&#39;"; break;
		default: continue;
		}
		buf_add(b, run, (size_t)(s - run));
		buf_puts(b, rep);
		run = s + 1;
	}
	buf_add(b, run, (size_t)(s - run));
}

void html_snippet(struct buf *b, const char *s)
{
	int open = 0;
	const char *run = s;
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		const char *rep;
		switch (ch) {
		case '&': rep = "&amp;"; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '"': rep = "&quot;"; break;
		case '\'': rep = "&#39;"; break;
		case 0x01: rep = open ? "" : "<mark>"; open = 1; break;
		case 0x02: rep = open ? "</mark>" : ""; open = 0; break;
		default:
			if (ch < 0x20 && ch != '\t' && ch != '\n' && ch != '\r')
				rep = "";
			else if (ch == 0x7f)
				rep = "";
			else
				continue;
		}
		buf_add(b, run, (size_t)(s - run));
		buf_puts(b, rep);
		run = s + 1;
	}
	buf_add(b, run, (size_t)(s - run));
	if (open)
		buf_puts(b, "</mark>");
}

void html_attr(struct buf *b, const char *s)
{
	html_txt(b, s);
}

char *html_escape_dup(const char *s)
{
	struct buf b = { 0 };
	html_txt(&b, s ? s : "");
	return buf_take(&b);
}

void html_url_arg(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '_' || c == '.' || c == '~' || c == '/') {
			buf_add(b, s, 1);
		} else {
			char e[3] = { '%', hex[c >> 4], hex[c & 15] };
			buf_add(b, e, 3);
		}
	}
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

char *url_decode(const char *in, size_t n, int plus)
{
	char *out = malloc(n + 1), *o = out;
	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		char c = in[i];
		if (c == '%') {
			int h, l;
			if (i + 2 >= n || (h = hexval(in[i + 1])) < 0 || (l = hexval(in[i + 2])) < 0)
				goto bad;
			c = (char)(h * 16 + l);
			i += 2;
		} else if (c == '+' && plus) {
			c = ' ';
		}
		if (c == '\0')
			goto bad;
		*o++ = c;
	}
	*o = '\0';
	return out;
bad:
	free(out);
	return NULL;
}

int text_clean(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		unsigned c = *p;
		if (c < 0x80) {
			if (c < 0x20 && c != '\t' && c != '\n' && c != '\r')
				return 0;
			if (c == 0x7f)
				return 0;
			p++;
			continue;
		}
		int n;
		unsigned cp;
		if ((c & 0xe0) == 0xc0) {
			n = 1;
			cp = c & 0x1f;
		} else if ((c & 0xf0) == 0xe0) {
			n = 2;
			cp = c & 0x0f;
		} else if ((c & 0xf8) == 0xf0) {
			n = 3;
			cp = c & 0x07;
		} else {
			return 0;
		}
		for (int i = 1; i <= n; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (p[i] & 0x3f);
		}
		if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		p += n + 1;
	}
	return 1;
}
