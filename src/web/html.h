/* Output buffers and the one place that escapes: HTML text and attributes, URL arguments. */
#ifndef WEB_HTML_H
#define WEB_HTML_H

#include <stdarg.h>
#include <stddef.h>

#include "core/log.h"

/* A growable byte buffer; s is NUL-terminated while not oom. Owned by its holder. */
struct buf {
	char *s;
	size_t len, cap;
	int oom;             /* an allocation failed: the content is incomplete */
};
void buf_free(struct buf *b);
void buf_add(struct buf *b, const char *s, size_t n);
void buf_puts(struct buf *b, const char *s);
void buf_printf(struct buf *b, const char *fmt, ...) LOG_PRINTF(2, 3);
/* Take the string out of b (b is left empty); NULL on oom. */
char *buf_take(struct buf *b);

/* Append s escaped for HTML text / a double-quoted attribute (& < > " ' all escaped, so one
 * escaping serves both). */
void html_txt(struct buf *b, const char *s);
void html_attr(struct buf *b, const char *s);
/* Append a search snippet: s escaped as by html_txt, each match marked by the bytes 0x01 (open)
 * and 0x02 (close) turned into <mark> and </mark>, always balanced; other control characters
 * are dropped. */
void html_snippet(struct buf *b, const char *s);
/* A malloc'd escaped copy of s, or NULL. */
char *html_escape_dup(const char *s);
/* Append s percent-encoded for a URL query value or path segment. */
void html_url_arg(struct buf *b, const char *s);
/* Decode %XX and (when plus) '+' of n bytes of in into a malloc'd string; NULL on bad
 * escapes, embedded NUL or no memory. */
char *url_decode(const char *in, size_t n, int plus);
/* 1 if s is valid UTF-8 without control characters other than tab, CR and LF. */
int text_clean(const char *s);

#endif
