/* Sync settings (GET/POST /settings/sync): which streams and calendars sync, calendar privacy and who it is
 * shared with, the link's status and health, what was not imported and why (skipped_view.c),
 * the user's blocked addresses (blocklist_view.c);
 * POST /settings/sync/{now,unlink} wakes or unlinks
 * the link. Resync goes through the link pages (OAuth flow or the IMAP form). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/db_link_cals.h"
#include "core/db_link_flow.h"
#include "core/db_outbox.h"
#include "core/link_error.h"
#include "core/log.h"
#include "core/timeutil.h"
#include "web/blocklist_view.h"
#include "web/link_save.h"
#include "web/skipped_view.h"

#define SHARES_MAX 200

/* "Monday, July 24, 2023 4:23 PM" in the user's zone, or never. */
static void view_when(struct ctx *c, struct view *v, const char *name, int64_t t,
    const char *never)
{
	struct local_time lt;
	char buf[80];
	if (t <= 0 || tz_from_utc(c->user.time_zone, t, &lt) != 0)
		view_str(v, name, never);
	else
		view_str(v, name, fmt_long_datetime(&lt, buf, sizeof buf));
}

static void view_link(struct ctx *c, struct view *v, const struct link *l)
{
	int64_t now = time(NULL);
	const char *problem = link_health_problem(l, c->w->cfg->poll_interval, now);
	view_str(v, "address", l->address);
	view_str(v, "provider", l->provider);
	view_str(v, "provider_label", link_provider_label(l->provider));
	view_int(v, "oauth", strcmp(l->provider, "imap") != 0);
	view_str(v, "status", l->proved_at ? l->status : "waiting for the address proof");
	view_int(v, "proving", !l->proved_at);
	view_int(v, "link_id", (long)l->id);
	view_when(c, v, "last_success", l->last_success_at, "Not yet");
	if (!l->proved_at)
		view_str(v, "next_sync", "Not scheduled (the address is not proved yet)");
	else if (strcmp(l->status, "active") != 0)
		view_str(v, "next_sync", "Not scheduled (needs Resync)");
	else if (l->next_due_at <= now)
		view_str(v, "next_sync", "Now");
	else
		view_when(c, v, "next_sync", l->next_due_at, "");
	char err[256];
	view_str(v, "last_error", link_error_words(l->last_error, link_retry_at(l), c->user.time_zone,
	    now, err, sizeof err));
	view_int(v, "items_imported", (long)l->items_imported);
	view_int(v, "items_skipped", (long)l->items_skipped);
	view_int(v, "healthy", problem == NULL);
	view_str(v, "health", problem ? problem : "Healthy");
	view_int(v, "sync_email", l->sync_email);
	view_int(v, "sync_calendar", l->sync_calendar);
	view_int(v, "sync_folder", l->sync_folder);
}

/* The link's calendars (CalDAV) with a checkbox each: [href, name, chosen]; none without a
 * link (link_id 0). */
static int view_calendars(struct ctx *c, struct view *v, int64_t link_id)
{
	struct link_cal_list cals = { 0 };
	if (link_id && db_link_cals_get(c->db, link_id, &cals) != 0)
		return -1;
	struct vlist *kl = vlist_new();
	for (size_t i = 0; i < cals.n; i++) {
		struct vlist *r = vlist_row(kl);
		vrow_str(r, cals.v[i].href);
		vrow_str(r, cals.v[i].name && *cals.v[i].name ? cals.v[i].name : cals.v[i].href);
		vrow_int(r, cals.v[i].chosen);
	}
	view_list(v, "calendars", kl);
	view_int(v, "has_calendars", cals.n > 0);
	link_cal_list_free(&cals);
	return 0;
}

/* The calendars checked on the form (when it listed them); 1 when a choice changed (the link is
 * then woken so it takes effect at once), 0 when none did, -1 on a database error. */
static int save_calendars(struct ctx *c, int64_t link_id)
{
	struct link_cal_list cals = { 0 };
	int changed = 0;
	if (!f_get(c, "cals"))
		return 0;
	if (db_link_cals_get(c->db, link_id, &cals) != 0)
		return -1;
	for (size_t i = 0; i < cals.n && changed >= 0; i++) {
		int on = 0;
		for (size_t k = 0; k < c->req->form.n && !on; k++)
			on = strcmp(c->req->form.v[k].key, "cal") == 0 &&
			    strcmp(c->req->form.v[k].val, cals.v[i].href) == 0;
		int rc = db_link_cals_choose(c->db, link_id, cals.v[i].href, on);
		if (rc < 0)
			changed = -1;
		else if (rc > 0) {
			changed = 1;
			log_info("user %lld: link %lld: calendar %s %s", (long long)c->user.id,
			    (long long)link_id, cals.v[i].href, on ? "chosen" : "no longer synced");
		}
	}
	link_cal_list_free(&cals);
	return changed;
}

static const char *notice_of(const struct ctx *c)
{
	const char *done = q_get(c, "done");
	if (q_get(c, "saved") && strcmp(q_get(c, "saved"), "1") == 0)
		return "Saved";
	if (done && strcmp(done, "unlinked") == 0)
		return "Unlinked. Sync has stopped and the saved sign-in was deleted; everything "
		    "already imported stays.";
	if (done && strcmp(done, "woken") == 0)
		return "Sync requested; it starts within seconds.";
	if (done && strcmp(done, "folder") == 0)
		return "Saved. The CRM and Processed folders are being set up in your mailbox.";
	return "";
}

static int show(struct ctx *c)
{
	struct link l = { 0 };
	struct web_rows people = { 0 };
	struct view *v = view_new();
	int st = 500;
	if (!v)
		return 500;
	int has = db_links_get_for_user(c->db, c->user.id, &l);
	if (has < 0 || db_user_colleagues(c->db, c->user.id, &people) != 0 ||
	    skipped_view(c, v) != 0 || blocklist_view(c, v, 0) != 0)
		goto out;
	view_str(v, "csrf", c->csrf);
	view_str(v, "notice", notice_of(c));
	view_int(v, "linked", has == 0);
	if (has == 0)
		view_link(c, v, &l);
	if (view_calendars(c, v, has == 0 ? l.id : 0) != 0)
		goto out;
	view_int(v, "private", strcmp(c->user.calendar_privacy, "private") == 0);
	struct vlist *pl = vlist_new();
	for (size_t i = 0; i < people.n; i++) {
		struct vlist *r = vlist_row(pl);
		vrow_int(r, (long)people.v[i].id);
		vrow_str(r, people.v[i].c[0]);
		vrow_str(r, people.v[i].c[1]);
		vrow_int(r, strcmp(people.v[i].c[2], "1") == 0);
	}
	view_list(v, "people", pl);
	c->resp->csp_form_action = link_oauth_origins(c->w->cfg);   /* the Resync form */
	st = page_render(c, "settings", "Sync settings", v, 200);
out:
	view_free(v);
	web_rows_free(&people);
	link_free(&l);
	return st;
}

static int flag(const struct ctx *c, const char *key)
{
	const char *s = f_get(c, key);
	return s && (strcmp(s, "1") == 0 || strcmp(s, "on") == 0);
}

/* Save streams, privacy and shares in one transaction; queue the CRM folder set-up when it is
 * turned on. */
static int save(struct ctx *c)
{
	int64_t viewers[SHARES_MAX];
	size_t n = 0;
	struct link l = { 0 };
	const char *privacy = f_get(c, "privacy");
	int folder_on = 0;
	for (size_t i = 0; i < c->req->form.n && n < SHARES_MAX; i++)
		if (strcmp(c->req->form.v[i].key, "share") == 0)
			viewers[n++] = parse_id(c->req->form.v[i].val);
	int has = db_links_get_for_user(c->db, c->user.id, &l);
	if (has < 0 || db_begin(c->db) != 0) {
		link_free(&l);
		return 500;
	}
	if (has == 0) {
		folder_on = !l.sync_folder && flag(c, "sync_folder");
		int cals = save_calendars(c, l.id);
		if (cals < 0 || (cals > 0 && db_links_wake(c->db, l.id) != 0))
			goto fail;
		if (db_link_set_streams(c->db, l.id, flag(c, "sync_email"), flag(c, "sync_calendar"),
		    flag(c, "sync_folder")) != 0 ||
		    (folder_on && db_outbox_folder(c->db, c->user.id, PUSH_FOLDER_SETUP, NULL,
		    NULL) != 0))
			goto fail;
	}
	if ((privacy && db_user_set_privacy(c->db, c->user.id, privacy) != 0) ||
	    db_user_shares_set(c->db, c->user.id, viewers, n) != 0 || db_commit(c->db) != 0)
		goto fail;
	link_free(&l);
	log_info("user %lld saved sync settings", (long long)c->user.id);
	return resp_redirect(c->resp, folder_on ? "/settings/sync?done=folder" :
	    "/settings/sync?saved=1");
fail:
	db_rollback(c->db);
	link_free(&l);
	return 500;
}

int page_settings(struct ctx *c)
{
	return strcmp(c->req->method, "POST") == 0 ? save(c) : show(c);
}

int page_settings_action(struct ctx *c)
{
	struct link l = { 0 };
	const char *action = c->arg ? c->arg : "";
	int is_now = strcmp(action, "now") == 0, is_unlink = strcmp(action, "unlink") == 0;
	if (!is_now && !is_unlink)
		return 404;
	int has = db_links_get_for_user(c->db, c->user.id, &l);
	if (has < 0)
		return 500;
	if (has == 1)
		return resp_redirect(c->resp, "/settings/sync");
	int rc = is_now ? db_links_wake(c->db, l.id) : db_link_unlink(c->db, l.id);
	if (rc == 0)
		log_info("user %lld: link %lld %s", (long long)c->user.id, (long long)l.id,
		    is_now ? "woken" : "unlinked");
	link_free(&l);
	if (rc != 0)
		return 500;
	return resp_redirect(c->resp, is_now ? "/settings/sync?done=woken" :
	    "/settings/sync?done=unlinked");
}
