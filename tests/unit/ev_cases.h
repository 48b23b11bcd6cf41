/* Table cases for the API providers' event mapping (Google, Graph, Nylas JSON -> sync_event):
 * one case shape and one runner, each provider test keeping its own table. Header-only. */
#ifndef EV_CASES_H
#define EV_CASES_H
#include <stdio.h>
#include <string.h>
#include <jansson.h>
#include "providers/provider.h"

struct ev_case {
	const char *name, *json;
	int rc;
	const char *provider_id, *uid, *recurrence_id, *tzid, *title;
	long long start;
	int duration, all_day, deleted, cancelled;
};

__attribute__((unused)) static int str_eq(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* Parse every case with parse and compare; returns how many cases went wrong (each told on
 * stderr). */
static int ev_cases_run(const struct ev_case *cases, size_t n, int (*parse)(const json_t *,
    struct sync_event *))
{
	int bad = 0;
	for (size_t i = 0; i < n; i++) {
		const struct ev_case *c = &cases[i];
		json_t *j = json_loads(c->json, 0, NULL);
		struct sync_event e;
		int rc = parse(j, &e);
		int good = rc == c->rc && (rc != 0 || (str_eq(e.provider_id, c->provider_id) &&
		    str_eq(e.uid, c->uid) && str_eq(e.recurrence_id, c->recurrence_id) &&
		    str_eq(e.tzid, c->tzid) && str_eq(e.title, c->title) && e.start == c->start &&
		    e.duration_min == c->duration && e.all_day == c->all_day && e.deleted == c->deleted &&
		    e.cancelled == c->cancelled));
		if (!good) {
			fprintf(stderr, "  case \"%s\": rc %d id %s uid %s rid %s start %lld dur %d\n", c->name,
			    rc, e.provider_id, e.uid, e.recurrence_id, (long long)e.start, e.duration_min);
			bad++;
		}
		event_free(&e);
		json_decref(j);
	}
	return bad;
}

#endif
