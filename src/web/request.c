/* Query strings, urlencoded bodies and cookies; the response's headers. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "web/request.h"

int params_parse(struct params *p, const char *s, size_t n)
{
	size_t i = 0;
	while (i < n) {
		size_t j = i;
		while (j < n && s[j] != '&' && s[j] != ';')
			j++;
		if (j > i) {
			const char *eq = memchr(s + i, '=', j - i);
			size_t klen = eq ? (size_t)(eq - (s + i)) : j - i;
			if (p->n >= REQ_MAX_PARAMS)
				return -1;
			struct param *nv = realloc(p->v, (p->n + 1) * sizeof *nv);
			if (!nv)
				return -1;
			p->v = nv;
			struct param *pp = &p->v[p->n];
			memset(pp, 0, sizeof *pp);
			pp->key = url_decode(s + i, klen, 1);
			pp->val = eq ? url_decode(eq + 1, (size_t)(s + j - eq - 1), 1) : strdup("");
			if (!pp->key || !pp->val) {
				free(pp->key);
				free(pp->val);
				return -1;
			}
			p->n++;
		}
		i = j + 1;
	}
	return 0;
}

void params_free(struct params *p)
{
	for (size_t i = 0; i < p->n; i++) {
		free(p->v[i].key);
		free(p->v[i].val);
	}
	free(p->v);
	memset(p, 0, sizeof *p);
}

const struct param *params_find(const struct params *p, const char *key)
{
	for (size_t i = 0; i < p->n; i++)
		if (strcmp(p->v[i].key, key) == 0)
			return &p->v[i];
	return NULL;
}

const char *params_get(const struct params *p, const char *key)
{
	const struct param *pp = params_find(p, key);
	return pp ? pp->val : NULL;
}

char *cookie_get(const char *header, const char *name)
{
	size_t nlen = strlen(name);
	const char *s = header;
	while (s && *s) {
		while (*s == ' ' || *s == ';')
			s++;
		const char *end = strchr(s, ';');
		size_t len = end ? (size_t)(end - s) : strlen(s);
		if (len > nlen && strncmp(s, name, nlen) == 0 && s[nlen] == '=')
			return strndup(s + nlen + 1, len - nlen - 1);
		s = end;
	}
	return NULL;
}

void uploads_free(struct uploads *u)
{
	for (size_t i = 0; i < u->n; i++) {
		free(u->v[i].field);
		free(u->v[i].filename);
		free(u->v[i].ctype);
		free(u->v[i].data);
	}
	free(u->v);
	memset(u, 0, sizeof *u);
}

void req_free(struct req *r)
{
	free(r->path);
	params_free(&r->query);
	params_free(&r->form);
	uploads_free(&r->files);
	free(r->cookie_session);
	free(r->cookie_pre);
	free(r->body);
	memset(r, 0, sizeof *r);
}

void resp_free(struct resp *r)
{
	buf_free(&r->body);
	free(r->csp_form_action);
	free(r->location);
	free(r->ctype);
	free(r->headers);
	for (int i = 0; i < r->n_cookies; i++)
		free(r->cookies[i]);
	memset(r, 0, sizeof *r);
}

void resp_cookie(struct resp *r, const char *fmt, ...)
{
	if (r->n_cookies >= 4)
		return;
	va_list ap;
	va_start(ap, fmt);
	char *s = NULL;
	if (vasprintf(&s, fmt, ap) >= 0)
		r->cookies[r->n_cookies++] = s;
	va_end(ap);
}

int resp_redirect(struct resp *r, const char *url)
{
	free(r->location);
	r->location = strdup(url);
	r->status = 303;
	return 303;
}

const char *http_reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 303: return "See Other";
	case 400: return "Bad Request";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 413: return "Payload Too Large";
	case 429: return "Too Many Requests";
	case 503: return "Service Unavailable";
	default: return status < 500 ? "Error" : "Internal Server Error";
	}
}
