/* HTML mail bodies to readable plain text: walk libxml2's HTML tree, keep text and breaks. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/HTMLparser.h>
#include <libxml/tree.h>

#include "providers/html_text.h"

/* The text being written, with collapsed-whitespace state. */
struct tout {
	char *s;
	size_t n, cap;
	int oom;
	int pending_nl;     /* line breaks owed before the next visible character (max 2) */
	int pending_space;  /* a collapsed run of blank space owed before the next character */
	int pre;            /* inside <pre>: keep blank space as written */
};

static void put(struct tout *t, const char *p, size_t n)
{
	if (t->oom)
		return;
	if (t->n + n + 1 > t->cap) {
		size_t ncap = t->cap ? t->cap : 256;
		while (ncap < t->n + n + 1)
			ncap *= 2;
		char *ns = realloc(t->s, ncap);
		if (!ns) {
			t->oom = 1;
			return;
		}
		t->s = ns;
		t->cap = ncap;
	}
	memcpy(t->s + t->n, p, n);
	t->n += n;
	t->s[t->n] = '\0';
}

/* Owe at least n line breaks (1: new line, 2: blank line) before the next text. */
static void breaks(struct tout *t, int n)
{
	if (t->pending_nl < n)
		t->pending_nl = n;
	t->pending_space = 0;
}

static void flush_pending(struct tout *t)
{
	if (t->n > 0 && t->pending_nl > 0) {
		put(t, "\n\n", (size_t)t->pending_nl);
	} else if (t->n > 0 && t->pending_space && t->s[t->n - 1] != '\n') {
		put(t, " ", 1);
	}
	t->pending_nl = 0;
	t->pending_space = 0;
}

static void text(struct tout *t, const char *s)
{
	size_t i = 0;
	while (s[i]) {
		unsigned char c = (unsigned char)s[i];
		int nbsp = c == 0xC2 && (unsigned char)s[i + 1] == 0xA0;
		if (t->pre) {
			if (c != '\r') {
				if (t->pending_nl || t->pending_space)
					flush_pending(t);
				put(t, s + i, 1);
			}
			i++;
			continue;
		}
		if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || nbsp) {
			t->pending_space = 1;
			i += nbsp ? 2 : 1;
			continue;
		}
		flush_pending(t);
		size_t j = i;
		while (s[j] && s[j] != ' ' && s[j] != '\t' && s[j] != '\n' && s[j] != '\r' &&
		    s[j] != '\f' && !((unsigned char)s[j] == 0xC2 && (unsigned char)s[j + 1] == 0xA0))
			j++;
		put(t, s + i, j - i);
		i = j;
	}
}

static int name_in(const char *name, const char *const *list)
{
	for (; *list; list++)
		if (strcasecmp(name, *list) == 0)
			return 1;
	return 0;
}

static const char *const skipped[] = { "script", "style", "head", "title", "noscript", "template",
	"iframe", "object", "embed", "svg", "math", "select", "button", NULL };
static const char *const para[] = { "p", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "ul",
	"ol", "table", "hr", "pre", "dl", NULL };
static const char *const line[] = { "div", "section", "article", "header", "footer", "nav",
	"aside", "address", "center", "form", "tr", "li", "dt", "dd", "fieldset", "main", "figure",
	"caption", "tbody", "thead", "tfoot", NULL };

/* Entering element e: returns 1 when its children are to be walked. */
static int enter(struct tout *t, xmlNode *e)
{
	const char *name = (const char *)e->name;
	if (name_in(name, skipped))
		return 0;
	if (strcasecmp(name, "br") == 0) {
		t->pending_nl = t->pending_nl < 2 ? t->pending_nl + 1 : 2;
		t->pending_space = 0;
		if (t->n == 0)
			t->pending_nl = 0;
		return 0;
	}
	if (name_in(name, para))
		breaks(t, 2);
	else if (name_in(name, line))
		breaks(t, 1);
	else if (strcasecmp(name, "td") == 0 || strcasecmp(name, "th") == 0)
		t->pending_space = 1;
	if (strcasecmp(name, "li") == 0) {
		flush_pending(t);
		put(t, "- ", 2);
	}
	if (strcasecmp(name, "pre") == 0)
		t->pre++;
	return 1;
}

static void leave(struct tout *t, xmlNode *e)
{
	const char *name = (const char *)e->name;
	if (name_in(name, para))
		breaks(t, 2);
	else if (name_in(name, line))
		breaks(t, 1);
	if (strcasecmp(name, "pre") == 0 && t->pre > 0)
		t->pre--;
}

/* Walk the tree without recursion so deep nesting cannot exhaust the stack. */
static void walk(struct tout *t, xmlNode *root)
{
	xmlNode *n = root;
	while (n) {
		int down = 0;
		if (n->type == XML_ELEMENT_NODE) {
			if (enter(t, n)) {
				down = n->children != NULL;
				if (!down)
					leave(t, n);
			}
		} else if (n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) {
			if (n->content)
				text(t, (const char *)n->content);
		}
		if (down) {
			n = n->children;
			continue;
		}
		while (n && n != root && !n->next) {
			n = n->parent;
			if (n && n->type == XML_ELEMENT_NODE)
				leave(t, n);
		}
		if (!n || n == root)
			break;
		n = n->next;
	}
}

/* Drop blank space at the end of each line and at both ends of the text. */
static void tidy(char *s)
{
	char *w = s, *line_end = s;
	for (char *r = s; *r; r++) {
		if (*r == '\n')
			w = line_end;
		*w++ = *r;
		if (*r != ' ' && *r != '\t')
			line_end = w;
	}
	*line_end = '\0';
	while (line_end > s && line_end[-1] == '\n')
		*--line_end = '\0';
	size_t lead = strspn(s, "\n ");
	if (lead)
		memmove(s, s + lead, strlen(s + lead) + 1);
}

char *html_to_text(const char *html, size_t len)
{
	struct tout t = { 0 };
	htmlDocPtr doc = NULL;
	char *res = NULL;

	if (len > (size_t)INT32_MAX)
		len = INT32_MAX;
	if (html && len > 0)
		doc = htmlReadMemory(html, (int)len, NULL, "UTF-8", HTML_PARSE_RECOVER |
		    HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING | HTML_PARSE_NONET);
	if (doc) {
		for (xmlNode *n = doc->children; n; n = n->next)
			walk(&t, n);
	}
	if (t.oom)
		goto out;
	if (!t.s) {
		res = strdup("");
		goto out;
	}
	tidy(t.s);
	res = t.s;
	t.s = NULL;
out:
	free(t.s);
	if (doc)
		xmlFreeDoc(doc);
	return res;
}
