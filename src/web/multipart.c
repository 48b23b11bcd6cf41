/* multipart/form-data bodies: boundary, parts, their headers; text fields and files. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "web/multipart.h"

#define PART_HEADERS_MAX 8192   /* bytes of one part's header block */

/* RFC 2046 bchars: what a boundary may hold (a space not last). */
static int boundary_ok(const char *b, size_t n)
{
	static const char extra[] = "'()+_,-./:=? ";
	if (n == 0 || n > 70 || b[n - 1] == ' ')
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)b[i]) && !strchr(extra, b[i]))
			return 0;
	return 1;
}

/* The value of parameter name in a header value "x; a=1; b=\"q\"" into out (quoted strings
 * unquoted, \-escapes undone). Returns 1 when found, 0 when not, -1 when malformed or longer
 * than size - 1. */
static int header_param(const char *v, const char *name, char *out, size_t size)
{
	size_t nlen = strlen(name);
	const char *s = v;
	int in_q = 0;
	/* skip the first item (the type or "form-data") */
	for (;;) {
		while (*s && (in_q || *s != ';')) {
			if (*s == '"')
				in_q = !in_q;
			else if (in_q && *s == '\\' && s[1])
				s++;
			s++;
		}
		if (!*s)
			return 0;
		s++;
		while (*s == ' ' || *s == '\t')
			s++;
		const char *eq = strchr(s, '=');
		const char *semi = strchr(s, ';');
		if (!eq || (semi && semi < eq))
			continue;
		size_t klen = (size_t)(eq - s);
		while (klen && (s[klen - 1] == ' ' || s[klen - 1] == '\t'))
			klen--;
		int match = klen == nlen && strncasecmp(s, name, nlen) == 0;
		s = eq + 1;
		while (*s == ' ' || *s == '\t')
			s++;
		size_t o = 0;
		if (*s == '"') {
			s++;
			while (*s && *s != '"') {
				if (*s == '\\' && s[1])
					s++;
				if (match && o + 1 >= size)
					return -1;
				if (match)
					out[o++] = *s;
				s++;
			}
			if (*s != '"')
				return -1;
			s++;
		} else {
			while (*s && *s != ';' && *s != ' ' && *s != '\t') {
				if (match && o + 1 >= size)
					return -1;
				if (match)
					out[o++] = *s;
				s++;
			}
		}
		if (match) {
			out[o] = '\0';
			return 1;
		}
	}
}

int multipart_boundary(const char *ctype, char *out, size_t size)
{
	static const char type[] = "multipart/form-data";
	if (!ctype || strncasecmp(ctype, type, sizeof type - 1) != 0 ||
	    (ctype[sizeof type - 1] && ctype[sizeof type - 1] != ';' &&
	    ctype[sizeof type - 1] != ' '))
		return -1;
	if (header_param(ctype, "boundary", out, size) != 1)
		return -1;
	return boundary_ok(out, strlen(out)) ? 0 : -1;
}

/* The value of header name (case-insensitive) in the block h[0..n) as a malloc'd string:
 * *out NULL when absent. Returns 0, or -1 on no memory. */
static int header_get(const char *h, size_t n, const char *name, char **out)
{
	size_t nlen = strlen(name);
	const char *s = h, *end = h + n;
	*out = NULL;
	while (s < end) {
		const char *eol = memmem(s, (size_t)(end - s), "\r\n", 2);
		if (!eol)
			eol = end;
		if ((size_t)(eol - s) > nlen && strncasecmp(s, name, nlen) == 0 && s[nlen] == ':') {
			const char *v = s + nlen + 1;
			while (v < eol && (*v == ' ' || *v == '\t'))
				v++;
			return (*out = strndup(v, (size_t)(eol - v))) ? 0 : -1;
		}
		s = eol + 2;
	}
	return 0;
}

static int add_field(struct params *form, const char *name, const char *val, size_t len)
{
	if (form->n >= REQ_MAX_PARAMS)
		return -1;
	struct param *nv = realloc(form->v, (form->n + 1) * sizeof *nv);
	if (!nv)
		return -1;
	form->v = nv;
	struct param *p = &form->v[form->n];
	memset(p, 0, sizeof *p);
	p->key = strdup(name);
	p->val = strndup(val, len);
	if (!p->key || !p->val) {
		free(p->key);
		free(p->val);
		return -1;
	}
	form->n++;
	return 0;
}

static int add_file(struct uploads *files, const char *name, const char *filename, char **ctype,
    const char *data, size_t len, size_t file_max)
{
	struct upload *nv = realloc(files->v, (files->n + 1) * sizeof *nv);
	if (!nv)
		return -1;
	files->v = nv;
	struct upload *u = &files->v[files->n];
	memset(u, 0, sizeof *u);
	u->len = len;
	u->too_big = file_max && len > file_max;
	u->field = strdup(name);
	u->filename = strdup(filename);
	u->ctype = *ctype;
	*ctype = NULL;
	if (!u->too_big && (u->data = malloc(len ? len : 1)))
		memcpy(u->data, data, len);
	files->n++;
	return u->field && u->filename && (u->too_big || u->data) ? 0 : -1;
}

/* One part: headers h[0..hn), content c[0..cn). Returns 0 or -1 with err. */
static int part_take(const char *h, size_t hn, const char *c, size_t cn, size_t file_max,
    struct params *form, struct uploads *files, char *err, size_t errlen)
{
	char *disp = NULL, *ctype = NULL, name[256], filename[1024];
	int rc = -1, has_file;
	if (header_get(h, hn, "Content-Disposition", &disp) != 0 ||
	    header_get(h, hn, "Content-Type", &ctype) != 0) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	if (!disp || strncasecmp(disp, "form-data", 9) != 0 ||
	    header_param(disp, "name", name, sizeof name) != 1 || !name[0]) {
		snprintf(err, errlen, "a part has no form-data name");
		goto out;
	}
	if ((has_file = header_param(disp, "filename", filename, sizeof filename)) < 0) {
		snprintf(err, errlen, "a file name is malformed or too long");
		goto out;
	}
	if (has_file) {
		if (!filename[0] && cn == 0) {
			rc = 0;   /* a file input left empty */
			goto out;
		}
		if (files->n >= MULTIPART_FILES_MAX) {
			snprintf(err, errlen, "more than %d files", MULTIPART_FILES_MAX);
			goto out;
		}
		if (add_file(files, name, filename, &ctype, c, cn, file_max) != 0) {
			snprintf(err, errlen, "out of memory");
			goto out;
		}
	} else {
		if (memchr(c, '\0', cn)) {
			snprintf(err, errlen, "the field \"%.60s\" holds a NUL byte", name);
			goto out;
		}
		if (add_field(form, name, c, cn) != 0) {
			snprintf(err, errlen, "too many fields");
			goto out;
		}
	}
	rc = 0;
out:
	free(disp);
	free(ctype);
	return rc;
}

int multipart_parse(const char *boundary, const char *body, size_t n, size_t file_max,
    size_t total_max, struct params *form, struct uploads *files, char *err, size_t errlen)
{
	char delim[80];
	size_t dlen = (size_t)snprintf(delim, sizeof delim, "\r\n--%s", boundary);
	const char *end = body + n, *p;
	size_t parts = 0, total = 0;

	if (dlen >= sizeof delim || !boundary_ok(boundary, strlen(boundary))) {
		snprintf(err, errlen, "the boundary is not valid");
		return -1;
	}
	/* the first delimiter: at the very start, or after a preamble and CRLF */
	if (n >= dlen - 2 && memcmp(body, delim + 2, dlen - 2) == 0)
		p = body + dlen - 2;
	else if ((p = memmem(body, n, delim, dlen)))
		p += dlen;
	else {
		snprintf(err, errlen, "no part begins");
		return -1;
	}
	for (;;) {
		/* after a delimiter: "--" ends the body, else transport padding and CRLF */
		if (end - p >= 2 && p[0] == '-' && p[1] == '-')
			break;
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		if (end - p < 2 || p[0] != '\r' || p[1] != '\n') {
			snprintf(err, errlen, "a delimiter is not followed by a line end");
			return -1;
		}
		p += 2;
		if (++parts > REQ_MAX_PARAMS) {
			snprintf(err, errlen, "too many parts");
			return -1;
		}
		size_t hmax = (size_t)(end - p) < PART_HEADERS_MAX ? (size_t)(end - p) :
		    PART_HEADERS_MAX;
		const char *hend = memmem(p, hmax, "\r\n\r\n", 4);
		if (!hend) {
			snprintf(err, errlen, "a part's headers do not end");
			return -1;
		}
		const char *c = hend + 4;
		const char *next = memmem(c, (size_t)(end - c), delim, dlen);
		if (!next) {
			snprintf(err, errlen, "the body ends inside a part (no closing delimiter)");
			return -1;
		}
		size_t before = files->n;
		if (part_take(p, (size_t)(hend - p) + 2, c, (size_t)(next - c), file_max, form, files,
		    err, errlen) != 0)
			return -1;
		if (files->n > before && !files->v[before].too_big) {
			total += files->v[before].len;
			if (total_max && total > total_max)
				files->over_total = 1;
		}
		p = next + dlen;
	}
	return 0;
}
