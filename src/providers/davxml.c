/* WebDAV/CalDAV XML: PROPFIND and REPORT bodies, multistatus parsing (libxml2), href helpers. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "providers/davxml.h"

#define NS_DAV "DAV:"
#define NS_CAL "urn:ietf:params:xml:ns:caldav"
#define NS_CS "http://calendarserver.org/ns/"
#define NS_ICAL "http://apple.com/ns/ical/"

static int is(const xmlNode *n, const char *ns, const char *name)
{
	return n->type == XML_ELEMENT_NODE && n->ns && n->ns->href &&
	    strcmp((const char *)n->ns->href, ns) == 0 && strcmp((const char *)n->name, name) == 0;
}

/* Trimmed text content of n, malloc'd (NULL when empty or out of memory). */
static char *text(xmlNode *n)
{
	xmlChar *c = xmlNodeGetContent(n);
	char *s = NULL;
	if (!c)
		return NULL;
	const char *b = (const char *)c;
	while (isspace((unsigned char)*b))
		b++;
	size_t len = strlen(b);
	while (len && isspace((unsigned char)b[len - 1]))
		len--;
	if (len)
		s = strndup(b, len);
	xmlFree(c);
	return s;
}

/* The text of the first D:href child of n. */
static char *child_href(xmlNode *n)
{
	for (xmlNode *c = n->children; c; c = c->next)
		if (is(c, NS_DAV, "href"))
			return text(c);
	return NULL;
}

/* "HTTP/1.1 404 Not Found" -> 404; 0 when unreadable. */
static int status_code(xmlNode *n)
{
	char *s = text(n);
	int code = 0;
	if (s) {
		const char *sp = strchr(s, ' ');
		if (sp)
			code = atoi(sp + 1);
		free(s);
	}
	return code;
}

static void set_str(char **dst, char *v)
{
	if (!v)
		return;
	free(*dst);
	*dst = v;
}

static void parse_props(xmlNode *prop, struct dav_resp *r)
{
	for (xmlNode *c = prop->children; c; c = c->next) {
		if (is(c, NS_DAV, "getetag"))
			set_str(&r->etag, text(c));
		else if (is(c, NS_CAL, "calendar-data"))
			set_str(&r->calendar_data, text(c));
		else if (is(c, NS_DAV, "sync-token"))
			set_str(&r->sync_token, text(c));
		else if (is(c, NS_DAV, "displayname"))
			set_str(&r->displayname, text(c));
		else if (is(c, NS_ICAL, "calendar-color"))
			set_str(&r->color, text(c));
		else if (is(c, NS_DAV, "current-user-principal"))
			set_str(&r->principal, child_href(c));
		else if (is(c, NS_CAL, "calendar-home-set"))
			set_str(&r->home, child_href(c));
		else if (is(c, NS_DAV, "resourcetype")) {
			for (xmlNode *t = c->children; t; t = t->next) {
				if (is(t, NS_DAV, "collection"))
					r->is_collection = 1;
				if (is(t, NS_CAL, "calendar"))
					r->is_calendar = 1;
			}
		} else if (is(c, NS_CAL, "supported-calendar-component-set")) {
			r->comp_set = 1;
			for (xmlNode *t = c->children; t; t = t->next) {
				xmlChar *name = is(t, NS_CAL, "comp") ? xmlGetProp(t, BAD_CAST "name") : NULL;
				if (name && strcasecmp((const char *)name, "VEVENT") == 0)
					r->has_vevent = 1;
				xmlFree(name);
			}
		}
	}
}

static void parse_response(xmlNode *resp, struct dav_resp *r)
{
	for (xmlNode *c = resp->children; c; c = c->next) {
		if (is(c, NS_DAV, "href") && !r->href)
			r->href = text(c);
		else if (is(c, NS_DAV, "status"))
			r->status = status_code(c);
		else if (is(c, NS_DAV, "propstat")) {
			int st = 200;
			for (xmlNode *s = c->children; s; s = s->next)
				if (is(s, NS_DAV, "status"))
					st = status_code(s);
			if (st < 200 || st > 299)
				continue;
			for (xmlNode *p = c->children; p; p = p->next)
				if (is(p, NS_DAV, "prop"))
					parse_props(p, r);
		}
	}
}

static void resp_free(struct dav_resp *r)
{
	free(r->href);
	free(r->etag);
	free(r->calendar_data);
	free(r->sync_token);
	free(r->principal);
	free(r->home);
	free(r->displayname);
	free(r->color);
}

void dav_ms_free(struct dav_ms *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->n; i++)
		resp_free(&m->v[i]);
	free(m->v);
	free(m->sync_token);
	memset(m, 0, sizeof *m);
}

static void seterr(char *err, size_t errlen, const char *msg)
{
	if (err && errlen)
		snprintf(err, errlen, "%s", msg);
}

int dav_parse_multistatus(const char *xml, size_t len, struct dav_ms *out, char *err, size_t errlen)
{
	xmlDoc *doc = NULL;
	int rc = -1;

	xmlInitParser();
	if (!xml || !len || len > (size_t)0x7fffffff) {
		seterr(err, errlen, "empty multistatus");
		return -1;
	}
	doc = xmlReadMemory(xml, (int)len, "multistatus.xml", NULL,
	    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	xmlNode *root = doc ? xmlDocGetRootElement(doc) : NULL;
	if (!root || !is(root, NS_DAV, "multistatus")) {
		seterr(err, errlen, doc ? "not a DAV:multistatus" : "malformed XML");
		goto out;
	}
	for (xmlNode *c = root->children; c; c = c->next) {
		if (is(c, NS_DAV, "sync-token")) {
			set_str(&out->sync_token, text(c));
			continue;
		}
		if (!is(c, NS_DAV, "response"))
			continue;
		if (out->n == out->cap) {
			size_t ncap = out->cap ? out->cap * 2 : 16;
			struct dav_resp *nv = realloc(out->v, ncap * sizeof *nv);
			if (!nv) {
				seterr(err, errlen, "out of memory");
				goto out;
			}
			out->v = nv;
			out->cap = ncap;
		}
		struct dav_resp *r = &out->v[out->n];
		memset(r, 0, sizeof *r);
		parse_response(c, r);
		if (!r->href) {
			resp_free(r);
			continue;
		}
		out->n++;
	}
	rc = 0;
out:
	if (doc)
		xmlFreeDoc(doc);
	if (rc < 0)
		dav_ms_free(out);
	return rc;
}

int dav_is_sync_token_error(const char *body, size_t len)
{
	return body && memmem(body, len, "valid-sync-token", 16) != NULL;
}

/* ---- Request bodies -------------------------------------------------------------------- */

#define XML_HEAD "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"

char *dav_body_principal(void)
{
	return strdup(XML_HEAD "<D:propfind xmlns:D=\"DAV:\" xmlns:C=\"" NS_CAL "\"><D:prop>"
	    "<D:current-user-principal/><C:calendar-home-set/></D:prop></D:propfind>\n");
}

char *dav_body_home(void)
{
	return strdup(XML_HEAD "<D:propfind xmlns:D=\"DAV:\" xmlns:C=\"" NS_CAL "\"><D:prop>"
	    "<C:calendar-home-set/></D:prop></D:propfind>\n");
}

char *dav_body_calendars(void)
{
	return strdup(XML_HEAD "<D:propfind xmlns:D=\"DAV:\" xmlns:C=\"" NS_CAL "\" xmlns:I=\""
	    NS_ICAL "\"><D:prop><D:resourcetype/><D:displayname/><I:calendar-color/>"
	    "<C:supported-calendar-component-set/><D:sync-token/></D:prop></D:propfind>\n");
}

char *dav_body_etags(void)
{
	return strdup(XML_HEAD "<D:propfind xmlns:D=\"DAV:\"><D:prop>"
	    "<D:resourcetype/><D:getetag/></D:prop></D:propfind>\n");
}

/* XML-escape s onto the end of *buf (open_memstream). */
static void put_escaped(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		default: fputc(*s, f);
		}
	}
}

char *dav_body_sync(const char *token)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return NULL;
	fputs(XML_HEAD "<D:sync-collection xmlns:D=\"DAV:\"><D:sync-token>", f);
	if (token)
		put_escaped(f, token);
	fputs("</D:sync-token><D:sync-level>1</D:sync-level><D:prop><D:getetag/></D:prop>"
	    "</D:sync-collection>\n", f);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

char *dav_body_multiget(char *const *hrefs, size_t n)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return NULL;
	fputs(XML_HEAD "<C:calendar-multiget xmlns:D=\"DAV:\" xmlns:C=\"" NS_CAL "\">"
	    "<D:prop><D:getetag/><C:calendar-data/></D:prop>", f);
	for (size_t i = 0; i < n; i++) {
		fputs("<D:href>", f);
		put_escaped(f, hrefs[i]);
		fputs("</D:href>", f);
	}
	fputs("</C:calendar-multiget>\n", f);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* ---- URLs -------------------------------------------------------------------------------- */

char *dav_origin(const char *url)
{
	const char *p = url ? strstr(url, "://") : NULL;
	if (!p)
		return NULL;
	const char *slash = strchr(p + 3, '/');
	return slash ? strndup(url, (size_t)(slash - url)) : strdup(url);
}

char *dav_resolve(const char *base, const char *href)
{
	char *res = NULL;
	if (!href)
		return NULL;
	if (strstr(href, "://"))
		return strdup(href);
	if (href[0] == '/') {
		char *o = dav_origin(base);
		if (o && asprintf(&res, "%s%s", o, href) < 0)
			res = NULL;
		free(o);
		return res;
	}
	const char *slash = base ? strrchr(base, '/') : NULL;
	if (!slash || slash < strstr(base, "://") + 3)
		return NULL;
	if (asprintf(&res, "%.*s/%s", (int)(slash - base), base, href) < 0)
		return NULL;
	return res;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

char *dav_path(const char *href)
{
	if (!href)
		return NULL;
	const char *p = strstr(href, "://");
	if (p) {
		p = strchr(p + 3, '/');
		href = p ? p : "/";
	}
	char *s = strdup(href), *w = s;
	if (!s)
		return NULL;
	for (const char *r = s; *r; ) {
		int hi, lo;
		if (r[0] == '%' && (hi = hexval((unsigned char)r[1])) >= 0 &&
		    (lo = hexval((unsigned char)r[2])) >= 0 && (hi || lo)) {
			*w++ = (char)(hi * 16 + lo);
			r += 3;
		} else {
			*w++ = *r++;
		}
	}
	*w = 0;
	return s;
}

char *dav_escape_segment(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	char *out = malloc(strlen(s) * 3 + 1), *w = out;
	if (!out)
		return NULL;
	for (const unsigned char *r = (const unsigned char *)s; *r; r++) {
		if (isalnum(*r) || *r == '-' || *r == '.' || *r == '_' || *r == '~') {
			*w++ = (char)*r;
		} else {
			*w++ = '%';
			*w++ = hex[*r >> 4];
			*w++ = hex[*r & 15];
		}
	}
	*w = 0;
	return out;
}
