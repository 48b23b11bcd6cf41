/* How the pages show an outbox item, and its Retry button (POST /outbox/{id}/retry). */
#include <stdio.h>
#include <string.h>

#include "core/db_web_mail.h"
#include "core/log.h"
#include "web/outbox_view.h"

static const char *provider_label(const char *p)
{
	static const struct {
		const char *id, *label;
	} names[] = {
		{ "google", "Google Calendar" }, { "microsoft", "Microsoft 365" },
		{ "nylas", "the Nylas calendar" }, { "imap", "the CalDAV calendar" },
	};
	for (size_t i = 0; p && i < sizeof names / sizeof names[0]; i++)
		if (strcmp(p, names[i].id) == 0)
			return names[i].label;
	return "the external calendar";
}

static void set(struct outbox_label *l, const char *cls, int64_t retry)
{
	snprintf(l->cls, sizeof l->cls, "%s", cls);
	l->retry_id = retry;
}

void outbox_label_mail(const struct outbox_state *s, struct outbox_label *l)
{
	const char *err = s->last_error && *s->last_error ? s->last_error : NULL;
	if (strcmp(s->state, "done") == 0) {
		set(l, "done", 0);
		snprintf(l->text, sizeof l->text, "Sent");
	} else if (strcmp(s->state, "failed") == 0) {
		set(l, "failed", s->id);
		snprintf(l->text, sizeof l->text, "Failed: %s", err ? err : "the mail was refused");
	} else if (err) {
		set(l, "pending", s->id);
		snprintf(l->text, sizeof l->text, "Sending... (the last try failed: %s; trying again)",
		    err);
	} else {
		set(l, "pending", 0);
		snprintf(l->text, sizeof l->text, "Sending...");
	}
}

void outbox_label_event(const struct outbox_state *s, const char *provider, struct outbox_label *l)
{
	const char *err = s->last_error && *s->last_error ? s->last_error : NULL;
	const char *to = provider_label(provider);
	if (strcmp(s->state, "done") == 0) {
		set(l, "done", 0);
		if (strcmp(s->kind, "event_delete") == 0)
			snprintf(l->text, sizeof l->text, "Deleted from %s", to);
		else
			snprintf(l->text, sizeof l->text, "Sent to %s%s%s", to, err ? " (" : "",
			    err ? err : "");
		if (err && strcmp(s->kind, "event_delete") != 0)
			strncat(l->text, ")", sizeof l->text - strlen(l->text) - 1);
	} else if (strcmp(s->state, "failed") == 0) {
		set(l, "failed", s->id);
		snprintf(l->text, sizeof l->text, "Failed: %s", err ? err : "refused by the calendar");
	} else if (!provider || !*provider) {
		set(l, "pending", 0);
		snprintf(l->text, sizeof l->text, "Pending: it goes to your calendar once you link it");
	} else if (err) {
		set(l, "pending", s->id);
		snprintf(l->text, sizeof l->text, "Pending: the last try failed (%s); trying again", err);
	} else {
		set(l, "pending", 0);
		snprintf(l->text, sizeof l->text, "Pending: being sent to %s", to);
	}
}

int outbox_label_for_message(struct ctx *c, int64_t msg_id, struct outbox_label *l)
{
	struct outbox_state s;
	memset(l, 0, sizeof *l);
	int rc = db_outbox_state_for_message(c->db, msg_id, &s);
	if (rc != 0)
		return rc < 0 ? -1 : 0;
	outbox_label_mail(&s, l);
	outbox_state_free(&s);
	return 0;
}

int outbox_label_for_appointment(struct ctx *c, int64_t appt_id, struct outbox_label *l)
{
	struct outbox_state s;
	char provider[16];
	memset(l, 0, sizeof *l);
	int rc = db_outbox_state_for_appointment(c->db, appt_id, &s);
	if (rc != 0)
		return rc < 0 ? -1 : 0;
	rc = db_web_outbox_provider(c->db, s.id, provider, sizeof provider);
	if (rc == 0)
		outbox_label_event(&s, provider, l);
	outbox_state_free(&s);
	return rc;
}

void outbox_label_view(struct view *v, const struct outbox_label *l)
{
	view_str(v, "push_state", l->cls);
	view_str(v, "push_text", l->text);
	view_int(v, "push_retry", (long)l->retry_id);
}

int page_outbox_retry(struct ctx *c)
{
	int64_t id = parse_id(c->arg), owner = 0, appt = 0, msg = 0;
	if (!id)
		return 404;
	int rc = db_web_outbox_item(c->db, id, &owner, &appt, &msg);
	if (rc != 0)
		return rc == 1 ? 404 : 500;
	if (owner != c->user.id && strcmp(c->user.role, "admin") != 0)
		return page_error(c, 403, "Only the person who queued this can retry it.");
	if ((rc = db_outbox_retry(c->db, id)) < 0)
		return 500;
	log_info("outbox %lld: retry asked by user %lld%s", (long long)id, (long long)c->user.id,
	    rc == 1 ? " (nothing to retry)" : "");
	char url[64];
	if (msg)
		snprintf(url, sizeof url, "/messages/%lld", (long long)msg);
	else if (appt)
		snprintf(url, sizeof url, "/appointments/%lld", (long long)appt);
	else
		snprintf(url, sizeof url, "/calendar");
	return resp_redirect(c->resp, url);
}
