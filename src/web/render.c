/* ctpl rendering. Lists are built as CtplValue arrays by prepending (ctpl's own append is
 * quadratic and copies) and reversed once when handed to a view; CtplValue's fields are
 * public in ctpl-value.h, which is what makes this possible. */
#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ctpl/ctpl.h>
#include <gio/gio.h>

#include "core/log.h"
#include "web/render.h"

struct tpl_entry {
	char *name;
	CtplToken *tree;
};
struct templates {
	struct tpl_entry *v;
	size_t n;
};
struct view {
	CtplEnviron *env;
};

struct templates *templates_load(const char *dir)
{
	struct templates *t = calloc(1, sizeof *t);
	DIR *d = opendir(dir);
	if (!t || !d) {
		log_warn("templates: %s", dir);
		goto fail;
	}
	struct dirent *de;
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name);
		if (len < 6 || strcmp(de->d_name + len - 5, ".html") != 0 || de->d_name[0] == '.')
			continue;
		char path[4096];
		snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
		GError *err = NULL;
		CtplToken *tree = ctpl_lexer_lex_path(path, &err);
		if (!tree) {
			log_warnx("templates: %s: %s", path, err ? err->message : "lex failed");
			g_clear_error(&err);
			goto fail;
		}
		struct tpl_entry *n = realloc(t->v, (t->n + 1) * sizeof *n);
		if (!n) {
			ctpl_token_free(tree);
			goto fail;
		}
		t->v = n;
		t->v[t->n].name = strndup(de->d_name, len - 5);
		t->v[t->n].tree = tree;
		t->n++;
	}
	closedir(d);
	return t;
fail:
	if (d)
		closedir(d);
	templates_free(t);
	return NULL;
}

void templates_free(struct templates *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n; i++) {
		free(t->v[i].name);
		ctpl_token_free(t->v[i].tree);
	}
	free(t->v);
	free(t);
}

struct view *view_new(void)
{
	struct view *v = calloc(1, sizeof *v);
	if (v)
		v->env = ctpl_environ_new();
	return v;
}

void view_free(struct view *v)
{
	if (!v)
		return;
	ctpl_environ_unref(v->env);
	free(v);
}

void view_str(struct view *v, const char *name, const char *raw)
{
	char *e = html_escape_dup(raw ? raw : "");
	ctpl_environ_push_string(v->env, name, e ? e : "");
	free(e);
}

void view_strf(struct view *v, const char *name, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	view_str(v, name, s);
	free(s);
}

void view_int(struct view *v, const char *name, long n)
{
	ctpl_environ_push_int(v->env, name, n);
}

void view_html(struct view *v, const char *name, const char *html)
{
	size_t len = strlen(name);
	if (len < 5 || strcmp(name + len - 5, "_html") != 0) {
		log_warnx("render: %s: trusted HTML needs a name ending in _html", name);
		return;
	}
	ctpl_environ_push_string(v->env, name, html ? html : "");
}

/* struct vlist is a CtplValue array whose GSList is kept in reverse until finished. */
static CtplValue *as_value(struct vlist *l)
{
	return (CtplValue *)l;
}

struct vlist *vlist_new(void)
{
	CtplValue *v = ctpl_value_new();
	ctpl_value_set_array(v, CTPL_VTYPE_INT, 0, NULL);
	return (struct vlist *)v;
}

void vlist_free(struct vlist *l)
{
	if (l)
		ctpl_value_free(as_value(l));
}

size_t vlist_len(const struct vlist *l)
{
	return g_slist_length(((const CtplValue *)l)->value.v_array);
}

static void vlist_prepend(struct vlist *l, CtplValue *item)
{
	CtplValue *v = as_value(l);
	v->value.v_array = g_slist_prepend(v->value.v_array, item);
}

struct vlist *vlist_row(struct vlist *l)
{
	struct vlist *row = vlist_new();
	vlist_prepend(l, as_value(row));
	return row;
}

void vrow_str(struct vlist *row, const char *raw)
{
	char *e = html_escape_dup(raw ? raw : "");
	vlist_prepend(row, ctpl_value_new_string(e ? e : ""));
	free(e);
}

void vrow_strf(struct vlist *row, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	vrow_str(row, s);
	free(s);
}

void vrow_snippet(struct vlist *row, const char *raw)
{
	struct buf b = { 0 };
	html_snippet(&b, raw ? raw : "");
	char *e = buf_take(&b);
	vlist_prepend(row, ctpl_value_new_string(e ? e : ""));
	free(e);
}

void vrow_int(struct vlist *row, long n)
{
	vlist_prepend(row, ctpl_value_new_int(n));
}

void vrow_list(struct vlist *row, struct vlist *sub)
{
	vlist_prepend(row, as_value(sub));
}

static void finish(CtplValue *v)
{
	if (!CTPL_VALUE_HOLDS_ARRAY(v))
		return;
	v->value.v_array = g_slist_reverse(v->value.v_array);
	for (GSList *i = v->value.v_array; i; i = i->next)
		finish(i->data);
}

void view_list(struct view *v, const char *name, struct vlist *list)
{
	finish(as_value(list));
	ctpl_environ_push(v->env, name, as_value(list));
	vlist_free(list);
}

int render(const struct templates *t, const char *name, struct view *v, struct buf *out)
{
	const struct tpl_entry *e = NULL;
	for (size_t i = 0; i < t->n && !e; i++)
		if (strcmp(t->v[i].name, name) == 0)
			e = &t->v[i];
	if (!e) {
		log_warnx("render: no template %s", name);
		return -1;
	}
	GOutputStream *mem = g_memory_output_stream_new_resizable();
	CtplOutputStream *os = ctpl_output_stream_new(mem);
	GError *err = NULL;
	int ret = 0;
	if (!ctpl_parser_parse(e->tree, v->env, os, &err)) {
		log_warnx("render: %s: %s", name, err ? err->message : "failed");
		g_clear_error(&err);
		ret = -1;
	} else {
		GMemoryOutputStream *m = G_MEMORY_OUTPUT_STREAM(mem);
		buf_add(out, g_memory_output_stream_get_data(m),
		    g_memory_output_stream_get_data_size(m));
	}
	ctpl_output_stream_unref(os);
	g_object_unref(mem);
	return ret;
}
