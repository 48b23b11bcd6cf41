/* Planning a CalDAV pass over every calendar of the principal (caldav_cals.h). */
#include <stdlib.h>
#include <string.h>

#include "providers/caldav_cals.h"
#include "providers/davxml.h"

struct dav_cal *dav_cal_list_add(struct dav_cal_list *l)
{
	if (l->n == l->cap) {
		size_t ncap = l->cap ? l->cap * 2 : 8;
		struct dav_cal *nv = realloc(l->v, ncap * sizeof *nv);
		if (!nv)
			return NULL;
		l->v = nv;
		l->cap = ncap;
	}
	struct dav_cal *c = &l->v[l->n++];
	memset(c, 0, sizeof *c);
	return c;
}

void dav_cal_list_free(struct dav_cal_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].url);
		free(l->v[i].name);
		free(l->v[i].color);
		free(l->v[i].token);
	}
	free(l->v);
	*l = (struct dav_cal_list){ 0 };
}

void cal_plan_free(struct cal_plan *p)
{
	for (size_t i = 0; i < p->n; i++) {
		free(p->v[i].url);
		free(p->v[i].cursor);
		free(p->v[i].token);
	}
	free(p->v);
	free(p->default_url);
	*p = (struct cal_plan){ 0 };
}

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

static const struct link_cal *known_of(const struct link_cal *known, size_t n, const char *url)
{
	for (size_t i = 0; i < n; i++)
		if (known[i].href && strcmp(known[i].href, url) == 0)
			return &known[i];
	return NULL;
}

static int found_has(const struct dav_cal_list *found, const char *url)
{
	for (size_t i = 0; i < found->n; i++)
		if (strcmp(found->v[i].url, url) == 0)
			return 1;
	return 0;
}

static int note(struct link_cal_list *notes, enum cal_op op, const char *url, const char *name,
    const char *color, int chosen)
{
	struct link_cal *n = link_cal_list_add(notes);
	if (!n)
		return -1;
	n->op = op;
	n->chosen = chosen;
	n->href = strdup(url);
	n->name = dup_or_null(name);
	n->color = dup_or_null(color);
	return n->href && (!name || n->name) && (!color || n->color) ? 0 : -1;
}

/* A deletion of everything under the calendar's path. */
static int drop(struct event_list *drops, const char *url)
{
	struct sync_event *e = event_list_add(drops);
	if (!e || !(e->provider_id = dav_path(url)))
		return -1;
	e->deleted = 1;
	e->prefix = 1;
	return 0;
}

int caldav_plan(const struct link_cal *known, size_t n_known, const struct dav_cal_list *found,
    int use_cursors, const char *old_default, const char *legacy_url, const char *legacy_cursor,
    struct link_cal_list *notes, struct event_list *drops, struct cal_plan *plan)
{
	*plan = (struct cal_plan){ 0 };
	if (found->n && !(plan->v = calloc(found->n, sizeof *plan->v)))
		return -1;
	for (size_t i = 0; i < found->n; i++) {
		const struct dav_cal *f = &found->v[i];
		const struct link_cal *k = known_of(known, n_known, f->url);
		int chosen = k ? k->chosen : 1;
		if (note(notes, CAL_SEEN, f->url, f->name, f->color, 1) < 0)
			goto fail;
		if (!chosen) {
			if (drop(drops, f->url) < 0)
				goto fail;
			continue;
		}
		struct cal_work *w = &plan->v[plan->n++];
		const char *cur = k && k->cursor ? k->cursor :
		    legacy_url && strcmp(legacy_url, f->url) == 0 ? legacy_cursor : NULL;
		if (!(w->url = strdup(f->url)) || (use_cursors && cur && !(w->cursor = strdup(cur))) ||
		    (f->token && !(w->token = strdup(f->token))))
			goto fail;
		if (!plan->default_url && old_default && strcmp(old_default, f->url) == 0 &&
		    !(plan->default_url = strdup(f->url)))
			goto fail;
	}
	for (size_t i = 0; i < n_known; i++)
		if (known[i].href && !found_has(found, known[i].href) &&
		    (note(notes, CAL_GONE, known[i].href, NULL, NULL, 0) < 0 ||
		    drop(drops, known[i].href) < 0))
			goto fail;
	if (!plan->default_url && plan->n && !(plan->default_url = strdup(plan->v[0].url)))
		goto fail;
	return 0;
fail:
	cal_plan_free(plan);
	return -1;
}
