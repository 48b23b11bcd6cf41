/* Compose: the e-mail form (GET /compose?contact=ID | ?account=NUMBER | ?reply=MESSAGE_ID) and
 * sending it (POST /compose): the mail is built here, stored at once as the user's Sent activity
 * and queued in the same transaction for crm-sync, which sends it through the user's mailbox. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/addr.h"
#include "core/attach.h"
#include "core/db_calendar.h"
#include "core/db_outbox.h"
#include "core/db_web.h"
#include "core/db_web_mail.h"
#include "core/log.h"
#include "core/models.h"
#include "core/timeutil.h"
#include "providers/graph.h"
#include "providers/mime.h"
#include "sync/match.h"
#include "web/compose_files.h"
#include "web/compose_text.h"
#include "web/web.h"

#define COMPOSE_ERRORS_MAX 6
#define COMPOSE_REFS_MAX 20
#define COMPOSE_BODY_MAX 50000

/* What the form is about: the account whose contacts can be ticked, the replied message. */
struct compose {
	struct account acct;          /* id 0 when none */
	struct web_rows contacts;     /* the account's contacts */
	struct reply_src src;         /* id 0 when not a reply */
	struct link link;             /* id 0 when the user has none */
	struct attach_rows src_files; /* the replied message's attachments */
	struct compose_files files;   /* what goes with the mail (POST) */
	char file_err[300];
	const char *errors[COMPOSE_ERRORS_MAX];
	char bad[2][300];             /* texts of address errors */
	int n_errors;
	int no_link;
};

static void compose_free(struct compose *k)
{
	account_free(&k->acct);
	web_rows_free(&k->contacts);
	reply_src_free(&k->src);
	link_free(&k->link);
	attach_rows_free(&k->src_files);
	compose_files_free(&k->files);
}

static void add_error(struct compose *k, const char *msg)
{
	if (k->n_errors < COMPOSE_ERRORS_MAX)
		k->errors[k->n_errors++] = msg;
}

/* 1 if contact id was ticked in the posted form. */
static int ticked(const struct ctx *c, int64_t id)
{
	for (size_t i = 0; i < c->req->form.n; i++)
		if (strcmp(c->req->form.v[i].key, "contact") == 0 &&
		    parse_id(c->req->form.v[i].val) == id)
			return 1;
	return 0;
}

/* addr_format(name, email) into out, cut to size; "" when out of memory. */
static void fmt_addr(char *out, size_t size, const char *name, const char *email)
{
	char *s = addr_format(name, email);
	snprintf(out, size, "%s", s ? s : "");
	free(s);
}

/* The To of a reply to the user's own mail: its stored To list read and written again by the
 * one address parser and formatter, so names with commas or quotes stay one recipient. */
static void fmt_stored_list(char *out, size_t size, const char *stored)
{
	struct addr *v = NULL;
	size_t n = 0;
	out[0] = '\0';
	if (addr_list_read(stored, &v, &n) != 0)
		return;
	char *s = addr_list_format(v, n);
	snprintf(out, size, "%s", s ? s : "");
	free(s);
	addr_list_free(v, n);
}

/* Load the account, the replied message and the user's link named by the request. Returns 0,
 * or an HTTP status. */
static int compose_load(struct ctx *c, struct compose *k, int post)
{
	const char *number = post ? f_get(c, "account") : q_get(c, "account");
	int64_t reply = parse_id(post ? f_get(c, "reply") : q_get(c, "reply")), thread;
	int rc;
	if (number && *number) {
		if ((rc = db_accounts_get_by_number(c->db, number, &k->acct)) != 0)
			return rc == 1 ? 404 : 500;
		if (db_web_account_contacts(c->db, k->acct.id, &k->contacts) != 0)
			return 500;
	}
	if (reply) {
		if ((rc = db_web_msg_thread_of(c->db, reply, &thread)) != 0)
			return rc == 1 ? 404 : 500;
		if ((rc = db_msg_visible(c->db, reply, c->user.id)) != 1)
			return rc == 0 ? 403 : 500;
		if ((rc = db_web_mail_reply_src(c->db, reply, c->user.id, &k->src)) != 0)
			return rc == 1 ? 404 : 500;
		compose_bare_id(k->src.message_id);   /* rows written by other tools may keep <> */
		if (db_attach_list(c->db, reply, &k->src_files) != 0)
			return 500;
	}
	rc = db_links_get_for_user(c->db, c->user.id, &k->link);
	if (rc < 0)
		return 500;
	k->no_link = rc == 1 || strcmp(k->link.status, "active") != 0;
	return 0;
}

/* The form's first values on GET: To from the contact or the replied message, subject, quote. */
static int prefill(struct ctx *c, struct compose *k, struct view *v)
{
	char to[700] = "";
	char *subject = NULL, *body = NULL;
	int64_t contact = parse_id(q_get(c, "contact"));
	if (contact) {
		struct web_row row = { 0 };
		int rc = db_web_contact_get(c->db, contact, &row);
		if (rc != 0)
			return rc == 1 ? 404 : 500;
		char first[320];
		snprintf(first, sizeof first, "%s", row.c[1]);
		first[strcspn(first, ", ")] = '\0';
		if (first[0])
			fmt_addr(to, sizeof to, row.c[0], first);
		web_row_free(&row);
	}
	if (k->src.id) {
		if (strcmp(k->src.direction, "sent") == 0)
			fmt_stored_list(to, sizeof to, k->src.to_list);
		else
			fmt_addr(to, sizeof to, k->src.from_name, k->src.from_email);
		struct local_time lt;
		char when[80] = "", who[400], intro[520];
		if (tz_from_utc(c->user.time_zone, k->src.sent_at, &lt) == 0)
			fmt_long_datetime(&lt, when, sizeof when);
		fmt_addr(who, sizeof who, k->src.from_name, k->src.from_email);
		snprintf(intro, sizeof intro, "On %s, %s wrote:", when, who);
		subject = compose_reply_subject(k->src.subject);
		body = compose_quote(intro, k->src.body_text);
		if (!subject || !body) {
			free(subject);
			free(body);
			return 500;
		}
	}
	view_str(v, "to", to);
	view_str(v, "cc", "");
	view_str(v, "subject", subject ? subject : "");
	view_str(v, "body", body ? body : "");
	free(subject);
	free(body);
	return 0;
}

static int show(struct ctx *c, struct compose *k, int post, int status)
{
	struct view *v = view_new();
	int st = 500;
	if (!v)
		return 500;
	if (post) {
		static const char *const keep[] = { "to", "cc", "subject", "body" };
		for (size_t i = 0; i < sizeof keep / sizeof keep[0]; i++)
			view_str(v, keep[i], f_get(c, keep[i]) ? f_get(c, keep[i]) : "");
	} else if ((st = prefill(c, k, v)) != 0) {
		goto done;
	}
	char from[400];
	fmt_addr(from, sizeof from, c->user.name, k->link.id ? k->link.address : c->user.email);
	view_str(v, "from", from);
	view_str(v, "csrf", c->csrf);
	view_int(v, "no_link", k->no_link);
	view_int(v, "relink", k->link.id && k->no_link);
	view_int(v, "reply", (long)k->src.id);
	view_str(v, "acct_number", k->acct.id ? k->acct.number : "");
	view_str(v, "acct_name", k->acct.id ? k->acct.name : "");
	char back[64] = "/calendar";
	if (k->src.id)
		snprintf(back, sizeof back, "/messages/%lld", (long long)k->src.id);
	else if (k->acct.id)
		snprintf(back, sizeof back, "/accounts/%s/calendar", k->acct.number);
	view_str(v, "back", back);
	struct vlist *errs = vlist_new();
	for (int i = 0; i < k->n_errors; i++)
		vrow_str(vlist_row(errs), k->errors[i]);
	view_list(v, "errors", errs);
	struct vlist *cl = vlist_new();
	for (size_t i = 0; i < k->contacts.n; i++) {
		const struct web_row *r = &k->contacts.v[i];
		if (!r->c[1][0])
			continue;   /* no address to write to */
		struct vlist *row = vlist_row(cl);
		vrow_int(row, (long)r->id);
		vrow_str(row, r->c[0]);
		vrow_str(row, r->c[1]);
		vrow_int(row, post && ticked(c, r->id));
	}
	view_int(v, "has_contacts", (long)vlist_len(cl));
	view_list(v, "contacts", cl);
	/* the replied message's stored attachments, each with a box to send it again */
	struct vlist *ol = vlist_new();
	for (size_t i = 0; i < k->src_files.n; i++) {
		const struct attach_row *a = &k->src_files.v[i];
		char size[32];
		if (strcmp(a->state, "stored") != 0)
			continue;
		attach_fmt_size((size_t)a->size, size, sizeof size);
		struct vlist *row = vlist_row(ol);
		vrow_int(row, (long)a->id);
		vrow_str(row, a->name);
		vrow_str(row, size);
		vrow_int(row, post && compose_reattach_ticked(c, a->id));
	}
	view_int(v, "has_originals", (long)vlist_len(ol));
	view_list(v, "originals", ol);
	view_int(v, "file_max_mb", c->w->cfg->send_file_max_mb);
	view_int(v, "total_max_mb", c->w->cfg->send_total_max_mb);
	st = page_render(c, "compose", k->src.id ? "Reply" : "New e-mail", v, status);
done:
	view_free(v);
	return st;
}

/* The recipients: the typed To (+ ticked contacts) and Cc. Returns the number of problems. */
static int read_rcpt(struct ctx *c, struct compose *k, struct addr **to, size_t *n_to,
    struct addr **cc, size_t *n_cc)
{
	static const char *const keys[2] = { "to", "cc" }, *const labels[2] = { "To", "Cc" };
	struct addr **lists[2] = { to, cc };
	size_t *counts[2] = { n_to, n_cc };
	int before = k->n_errors;
	for (int i = 0; i < 2; i++) {
		char bad[256] = "";
		if (f_invalid(c, keys[i])) {
			snprintf(k->bad[i], sizeof k->bad[i], "%s: the list is too long.", labels[i]);
			add_error(k, k->bad[i]);
		} else if (compose_addrs_parse(f_get(c, keys[i]), lists[i], counts[i], bad,
		    sizeof bad) != 0) {
			snprintf(k->bad[i], sizeof k->bad[i], "%s: \"%s\" is not an e-mail address.",
			    labels[i], bad);
			add_error(k, k->bad[i]);
		}
	}
	/* ticked contacts of the account join To */
	for (size_t i = 0; i < k->contacts.n && k->n_errors == before; i++) {
		const struct web_row *r = &k->contacts.v[i];
		if (!r->c[1][0] || !ticked(c, r->id))
			continue;
		if (*n_to == COMPOSE_MAX_ADDRS || (!*to && !(*to = calloc(COMPOSE_MAX_ADDRS, sizeof **to)))) {
			add_error(k, "Too many recipients.");
			break;
		}
		char email[320];
		if (!addr_normalize(r->c[1], email, sizeof email) || !addr_valid(email))
			continue;
		(*to)[*n_to].email = strdup(email);
		(*to)[*n_to].name = strdup(r->c[0]);
		(*n_to)++;
	}
	if (k->n_errors == before && *n_to + *n_cc == 0)
		add_error(k, "Add at least one recipient.");
	return k->n_errors - before;
}

/* Build, store and queue the mail. Returns 0 with *msg_id, 1 when the provider cannot take a
 * message this large (an error added to k), or -1. */
static int send_mail(struct ctx *c, struct compose *k, const struct addr *to, size_t n_to,
    const struct addr *cc, size_t n_cc, int64_t *msg_id)
{
	const char *refv[COMPOSE_REFS_MAX], *rcpt[2 * COMPOSE_MAX_ADDRS];
	size_t n_refs = 0, n_rcpt = 0, raw_len = 0;
	char *refbuf = NULL, *refs_text = NULL, *raw = NULL, *to_list = NULL, *cc_list = NULL;
	const char *at = strrchr(k->link.address, '@');
	char *mid = mime_new_message_id(at ? at + 1 : "crm.invalid");
	int rc = -1;
	int64_t now = time(NULL);
	if (!mid)
		goto out;
	if (k->src.id && !(refbuf = compose_refs(k->src.refs, k->src.message_id, refv,
	    COMPOSE_REFS_MAX, &n_refs)))
		goto out;
	struct mime_out m = {
		.from_name = c->user.name, .from_email = k->link.address, .to = to, .n_to = n_to,
		.cc = cc, .n_cc = n_cc, .subject = f_get(c, "subject"), .date = now,
		.message_id = mid, .in_reply_to = k->src.id ? k->src.message_id : NULL,
		.references = n_refs ? refv : NULL, .n_references = n_refs, .body = f_get(c, "body"),
		.n_files = k->files.n,
	};
	struct mime_file files[COMPOSE_FILES_MAX];
	compose_files_mime(&k->files, files);
	m.files = files;
	if (!(raw = mime_build(&m, &raw_len)))
		goto out;
	if (k->link.provider && strcmp(k->link.provider, "microsoft") == 0 &&
	    raw_len > GRAPH_SEND_RAW_MAX) {
		add_error(k, "Microsoft 365 takes at most 3 MB of mail with its attachments from the "
		    "CRM; leave out a file or send a smaller one.");
		rc = 1;
		goto out;
	}
	for (size_t i = 0; i < n_to; i++)
		rcpt[n_rcpt++] = to[i].email;
	for (size_t i = 0; i < n_cc; i++)
		rcpt[n_rcpt++] = cc[i].email;
	if (!(to_list = addr_list_format(to, n_to)) || !(cc_list = addr_list_format(cc, n_cc)))
		goto out;
	if (n_refs) {
		/* the stored refs: space-separated like the sync writes them */
		size_t len = 0;
		for (size_t i = 0; i < n_refs; i++)
			len += strlen(refv[i]) + 1;
		if (!(refs_text = calloc(1, len + 1)))
			goto out;
		for (size_t i = 0; i < n_refs; i++) {
			if (i)
				strcat(refs_text, " ");
			strcat(refs_text, refv[i]);
		}
	}
	struct sent_mail sm = {
		.user_id = c->user.id, .link_id = k->link.id, .thread_id = k->src.thread_id,
		.sent_at = now, .message_id = mid, .in_reply_to = m.in_reply_to, .refs = refs_text,
		.subject = m.subject ? m.subject : "", .from_name = c->user.name,
		.from_email = k->link.address, .to_list = to_list, .cc_list = cc_list, .body = m.body,
		.rcpt = rcpt, .n_rcpt = n_rcpt,
	};
	if (db_begin(c->db) != 0)
		goto out;
	if (db_web_mail_store_sent(c->db, &sm, msg_id) != 0 ||
	    compose_files_store(c, *msg_id, &k->files) != 0 ||
	    db_outbox_mail(c->db, c->user.id, *msg_id, raw, raw_len, NULL) != 0 ||
	    db_commit(c->db) != 0) {
		db_rollback(c->db);
		goto out;
	}
	log_info("mail %s queued by user %lld (message %lld, %lu recipients, %zu files)", mid,
	    (long long)c->user.id, (long long)*msg_id, (unsigned long)n_rcpt, k->files.n);
	rc = 0;
out:
	free(mid);
	free(refbuf);
	free(refs_text);
	free(raw);
	free(to_list);
	free(cc_list);
	return rc;
}

static int post_compose(struct ctx *c, struct compose *k)
{
	struct addr *to = NULL, *cc = NULL;
	size_t n_to = 0, n_cc = 0;
	int64_t msg_id = 0;
	int status;
	if (k->no_link)
		add_error(k, k->link.id ? "Your mailbox needs to be linked again before mail can go out."
		    : "Link your mailbox first: mail goes out through your own mailbox.");
	read_rcpt(c, k, &to, &n_to, &cc, &n_cc);
	if (f_invalid(c, "subject"))
		add_error(k, "The subject is too long or holds characters that cannot be sent.");
	if (f_invalid(c, "body"))
		add_error(k, "The message is too long or holds characters that cannot be sent.");
	int frc = compose_files_take(c, &k->src_files, &k->files, k->file_err, sizeof k->file_err);
	if (frc < 0) {
		status = 500;
		goto out;
	}
	if (frc > 0)
		add_error(k, k->file_err);
	int sent = k->n_errors ? 1 : send_mail(c, k, to, n_to, cc, n_cc, &msg_id);
	if (sent > 0 && c->req->files.n)
		add_error(k, "Choose the files again: a form shown again cannot keep them.");
	if (sent > 0) {
		status = show(c, k, 1, 400);
	} else if (sent < 0) {
		status = 500;
	} else {
		char url[48];
		snprintf(url, sizeof url, "/messages/%lld", (long long)msg_id);
		status = resp_redirect(c->resp, url);
	}
out:
	compose_addrs_free(to, COMPOSE_MAX_ADDRS);
	compose_addrs_free(cc, COMPOSE_MAX_ADDRS);
	return status;
}

int page_compose(struct ctx *c)
{
	struct compose k;
	memset(&k, 0, sizeof k);
	int post = strcmp(c->req->method, "POST") == 0;
	int status = compose_load(c, &k, post);
	if (status == 0)
		status = post ? post_compose(c, &k) : show(c, &k, 0, 200);
	compose_free(&k);
	return status;
}
