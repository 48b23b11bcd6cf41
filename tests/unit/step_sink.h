/* For tests that drive a driver by hand: run step() and hand what each step put in its
 * struct step_out to callbacks, as the engine does (page, then refreshed secret, then push
 * progress). STEP_PAGE steps are repeated at once, so a caller sees STEP_MORE, STEP_DONE or an
 * error, and counts one commit per page. */
#ifndef TESTS_UNIT_STEP_SINK_H
#define TESTS_UNIT_STEP_SINK_H

#include "providers/provider.h"

struct test_sink {
	void *ctx;
	int (*commit)(void *ctx, enum stream s, struct msg_list *msgs, struct event_list *events,
	    const char *cursor);
	int (*save_secret)(void *ctx, const char *secret_json);
	struct push_item *it;       /* progress goes to it->save_progress and it->progress */
	int pages;                  /* steps that handed back a page */
	void (*skipped)(void *ctx); /* once per broken item a step skipped, or NULL */
	/* a page's notes of the link's calendars (CalDAV), before its commit; may be NULL */
	void (*cals)(void *ctx, const struct link_cal_list *cals);
};

/* Hand o to t and clear it. -1 when a commit failed. */
static inline int test_sink_take(struct test_sink *t, struct step_out *o)
{
	int rc = 0;
	for (int i = 0; t && t->skipped && i < o->skipped; i++)
		t->skipped(t->ctx);
	if (o->secret && t && t->save_secret)
		t->save_secret(t->ctx, o->secret);
	if (o->has_page && t) {
		t->pages++;
		if (t->cals && o->cals.n)
			t->cals(t->ctx, &o->cals);
		if (t->commit && t->commit(t->ctx, o->stream, &o->msgs, &o->events, o->cursor) < 0)
			rc = -1;
	}
	if (o->progress && t && t->it) {
		if (t->it->save_progress)
			t->it->save_progress(t->it->progress_ctx, o->progress);
		t->it->progress = o->progress;
	}
	step_out_clear(o);
	return rc;
}

/* step: a driver's step, push_step or subscribe_step. */
typedef int (*test_step_fn)(struct pass *p, const struct http_resp *resp, struct http_req *req,
    struct step_out *out, long *retry_after);

static inline int test_step(test_step_fn step, struct pass *p, const struct http_resp *resp,
    struct http_req *req, struct test_sink *t, long *retry_after)
{
	int rc;
	do {
		struct step_out o = { 0 };
		rc = step(p, resp, req, &o, retry_after);
		if (test_sink_take(t, &o) < 0 && rc >= STEP_DONE)
			rc = PROV_TEMP;
		resp = NULL;
	} while (rc == STEP_PAGE);
	return rc;
}

#endif
