/* The IMAP driver entry (mail and CRM folder streams) over the synchronous API in imap.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "core/link_proof.h"
#include "core/log.h"
#include "providers/imap.h"
#include "providers/mime.h"
#include "providers/smtp.h"

#define DEFAULT_PAGE 200

int imap_open_link(const struct prov_link *l, struct imap_conn **out, char *err, size_t errlen)
{
	json_error_t jerr;
	json_t *set = l->settings ? json_loads(l->settings, 0, &jerr) : NULL;
	json_t *sec = l->secret ? json_loads(l->secret, 0, &jerr) : NULL;
	struct imap_login lg = { 0 };
	int rc = PROV_PERM;

	*out = NULL;
	if (!json_is_object(set) || !json_is_object(sec)) {
		snprintf(err, errlen, "link settings or secret are not JSON objects");
		goto out;
	}
	lg.host = json_string_value(json_object_get(set, "imap_host"));
	json_t *port = json_object_get(set, "imap_port");
	lg.port = json_is_integer(port) ? (int)json_integer_value(port) :
	    json_is_string(port) ? atoi(json_string_value(port)) : 0;
	json_t *tls = json_object_get(set, "imap_tls");
	lg.tls = tls ? json_is_true(tls) : 1;
	lg.user = json_string_value(json_object_get(set, "username"));
	if (!lg.user || !*lg.user)
		lg.user = l->address;
	lg.password = json_string_value(json_object_get(sec, "password"));
	if (lg.port < 0 || lg.port > 65535) {
		snprintf(err, errlen, "imap_port %d is out of range", lg.port);
		goto out;
	}
	rc = imap_open(&lg, out, err, errlen);
out:
	json_decref(set);
	json_decref(sec);
	return rc;
}

struct pass {
	enum stream s;
	struct prov_link link;      /* strings below are this pass's copies */
	char *address, *settings, *secret;
	char *cursor;
	struct imap_conn *c;
	int push;                   /* a push_kind + 1 when this pass runs an outbox item, else 0 */
	char *push_id;
	struct push_result *res;    /* borrowed from the engine */
	const struct push_item *it; /* MAIL_SEND: borrowed for the whole push */
	struct prov_keep *keep;     /* the engine's kept connection slot, or NULL */
	int reused;                 /* c came from keep: it may have gone stale meanwhile */
	int broken;                 /* an error happened on c: do not keep it */
	/* Where a pull stands between its steps (one page per step, see imap_step). */
	int phase;
	char *inbox, *sent, *sent_name;   /* mail: the cursor's parts as pages went, Sent's name */
	int pulled;                 /* mail: a mailbox was pulled (its pages carry the cursor) */
	int box_begun;              /* mail: the current mailbox's back-fill check is done */
	int more;                   /* the last page said more is there */
	int pages;                  /* folder: pages imported this pass */
	char **ids;                 /* folder: the page just handed out, to move once stored */
	size_t n_ids;
	char *fetch_id;             /* a re-match fetch of this one message (fetch_begin) */
};

static void close_conn(void *c)
{
	imap_close(c);
}

/* A pass with its own copies of the link's strings, or NULL when out of memory. */
static struct pass *pass_new(const struct prov_link *l)
{
	struct pass *p = calloc(1, sizeof *p);
	if (!p)
		return NULL;
	p->link = *l;
	p->address = l->address ? strdup(l->address) : NULL;
	p->settings = l->settings ? strdup(l->settings) : NULL;
	p->secret = l->secret ? strdup(l->secret) : NULL;
	p->link.address = p->address;
	p->link.settings = p->settings;
	p->link.secret = p->secret;
	return p;
}

static int imap_begin_kept(const struct prov_link *l, enum stream s, const char *cursor,
    struct prov_keep *keep, struct pass **out)
{
	*out = NULL;
	if (s != STREAM_MAIL && s != STREAM_FOLDER)
		return PROV_PERM;
	struct pass *p = pass_new(l);
	if (!p)
		return PROV_TEMP;
	p->s = s;
	p->cursor = cursor ? strdup(cursor) : NULL;
	p->keep = keep;
	if (keep && keep->conn) {
		p->c = p->keep->conn;
		p->keep->conn = NULL;
		p->reused = 1;
	}
	*out = p;
	return PROV_OK;
}

static int imap_begin(const struct prov_link *l, enum stream s, const char *cursor,
    struct pass **out)
{
	return imap_begin_kept(l, s, cursor, NULL, out);
}

/* One message fetched again by its id (a re-match), on the kept connection when there is one. */
static int imap_fetch_begin(const struct prov_link *l, enum stream s, const char *provider_id,
    const char *cursor, struct prov_keep *keep, struct pass **out)
{
	(void)cursor;
	*out = NULL;
	if (s != STREAM_MAIL || !provider_id)
		return PROV_PERM;
	int rc = imap_begin_kept(l, s, NULL, keep, out);
	if (rc == PROV_OK && !((*out)->fetch_id = strdup(provider_id)))
		rc = PROV_TEMP;
	return rc;
}

/* The re-match fetch: the message as a page without a cursor. A mail from INBOX is received,
 * from any other mailbox (Sent) sent. */
static int step_fetch(struct pass *p, struct step_out *so)
{
	struct msg_list msgs = { 0 };
	enum msg_folder folder = strncmp(p->fetch_id, "INBOX/", 6) == 0 ? FOLDER_INBOX :
	    FOLDER_SENT;
	int rc = imap_fetch_one(p->c, p->fetch_id, folder, &msgs);
	imap_take_skipped(p->c);   /* a broken one is noted as such, not counted again */
	imap_take_broken(p->c, so);
	if (rc == PROV_OK && step_out_page(so, STREAM_MAIL, &msgs, NULL, NULL) < 0)
		rc = PROV_TEMP;
	msg_list_free(&msgs);
	if (rc == PROV_OK && p->keep)
		rc = imap_unselect(p->c);
	return rc == PROV_OK ? STEP_DONE : rc;
}

/* Outgoing work IMAP can do: set up the CRM folders, move a CRM message to Processed, send a
 * message over SMTP and keep its copy in Sent. */
static int imap_push_begin(const struct prov_link *l, const struct push_item *it,
    struct push_result *res, struct pass **out)
{
	*out = NULL;
	if (it->kind != PUSH_FOLDER_SETUP && it->kind != PUSH_FOLDER_MOVE &&
	    it->kind != PUSH_MAIL_SEND) {
		snprintf(res->error, sizeof res->error, "IMAP links cannot do this (no calendar over"
		    " IMAP)");
		return PROV_PERM;
	}
	if (it->kind == PUSH_MAIL_SEND && (!it->raw || !it->raw_len)) {
		snprintf(res->error, sizeof res->error, "no message to send");
		return PROV_PERM;
	}
	if (it->kind == PUSH_FOLDER_MOVE && !it->provider_id) {
		snprintf(res->error, sizeof res->error, "no message to move");
		return PROV_PERM;
	}
	struct pass *p = pass_new(l);
	if (!p)
		return PROV_TEMP;
	p->push = (int)it->kind + 1;
	p->res = res;
	p->push_id = it->provider_id ? strdup(it->provider_id) : NULL;
	p->it = it;
	*out = p;
	return PROV_OK;
}

static int progressed(const struct push_item *it, const char *step)
{
	return it->progress && (strcmp(it->progress, step) == 0 ||
	    (strcmp(step, "sent") == 0 && strcmp(it->progress, "appended") == 0));
}

/* Send through SMTP, then put the same message in Sent (\Seen), each step once: progress from an
 * earlier attempt skips what already happened, so a retry never sends twice. Once SMTP took the
 * message the step ends with STEP_PAGE and progress "sent" for the engine to record; the next
 * step (it->progress now "sent") appends. */
static int step_send(struct pass *p, struct step_out *so)
{
	const struct push_item *it = p->it;
	struct sync_msg parsed = { 0 };
	const struct sync_msg *m = it->mail;
	const char *rcpts[100];
	char *sent = NULL, err[200];
	void *json[2] = { NULL, NULL };
	struct smtp_conf conf;
	int rc;

	if (!m) {
		if (mime_parse(it->raw, it->raw_len, &parsed, err, sizeof err) != 0) {
			snprintf(p->res->error, sizeof p->res->error, "not a mail message: %s", err);
			rc = PROV_PERM;
			goto out;
		}
		m = &parsed;
	}
	if ((rc = imap_find_sent(p->c, &sent)) != PROV_OK) {
		snprintf(p->res->error, sizeof p->res->error, "finding Sent: %s", prov_status_str(rc));
		goto out;
	}
	if (!progressed(it, "sent")) {
		size_t n = smtp_envelope(m, rcpts, sizeof rcpts / sizeof rcpts[0]);
		rc = smtp_conf_of_link(&p->link, &conf, json, err, sizeof err);
		if (rc == PROV_OK)
			rc = smtp_send(&conf, p->link.address, rcpts, n, it->raw, it->raw_len, err,
			    sizeof err);
		if (rc != PROV_OK) {
			snprintf(p->res->error, sizeof p->res->error, "sending: %s", err);
			goto out;
		}
		so->progress = "sent";
		rc = STEP_PAGE;
		goto out;
	}
	if (!sent) {
		log_warnx("imap link %lld: no Sent folder, the sent copy of <%s> is not kept",
		    (long long)p->link.id, m->message_id);
	} else if (!progressed(it, "appended")) {
		if ((rc = imap_append(p->c, sent, it->raw, it->raw_len, 1)) != PROV_OK) {
			snprintf(p->res->error, sizeof p->res->error, "sent, but copying to %s failed:"
			    " %s", sent, prov_status_str(rc));
			goto out;
		}
		so->progress = "appended";
	}
	if (!(p->res->provider_id = strdup(m->message_id)))
		rc = PROV_TEMP;
out:
	json_decref(json[0]);
	json_decref(json[1]);
	msg_free(&parsed);
	free(sent);
	return rc;
}

static int step_push(struct pass *p, struct step_out *so)
{
	if (p->push == (int)PUSH_MAIL_SEND + 1)
		return step_send(p, so);
	int setup = p->push == (int)PUSH_FOLDER_SETUP + 1;
	int rc = setup ? imap_ensure_folders(p->c) :
	    imap_move(p->c, p->push_id, "Processed");
	if (rc != PROV_OK)
		snprintf(p->res->error, sizeof p->res->error, "%s failed: %s",
		    setup ? "creating CRM folders" : "moving to Processed",
		    prov_status_str(rc));
	return rc;
}

/* "<inbox>|<sent>" (malloc'd); NULL parts are empty. */
static char *join_cursor(const char *inbox, const char *sent)
{
	char *s = NULL;
	if (asprintf(&s, "%s|%s", inbox ? inbox : "", sent ? sent : "") < 0)
		return NULL;
	return s;
}

/* Split a mail stream cursor into its INBOX and Sent parts (malloc'd, NULL when empty). */
static void split_cursor(const char *cursor, char **inbox, char **sent)
{
	*inbox = *sent = NULL;
	if (!cursor || !*cursor)
		return;
	const char *bar = strchr(cursor, '|');
	size_t n = bar ? (size_t)(bar - cursor) : strlen(cursor);
	if (n)
		*inbox = strndup(cursor, n);
	if (bar && bar[1])
		*sent = strdup(bar + 1);
}

/* Leave out the mails that proved the link's address (core/link_proof.h): one the INBOX check
 * did not delete (a code sent again, or typed before the mail came) is never imported. */
static void drop_proof_mails(struct msg_list *l)
{
	size_t k = 0, skip = strlen(LINK_PROOF_MID_PREFIX) - 1;   /* message_id lacks the '<' */
	for (size_t i = 0; i < l->n; i++) {
		const char *mid = l->v[i].message_id;
		if (mid && strncmp(mid, LINK_PROOF_MID_PREFIX + 1, skip) == 0)
			msg_free(&l->v[i]);
		else
			l->v[k++] = l->v[i];
	}
	l->n = k;
}

/* One page of a mailbox, handed out with the combined cursor. *mine is the mailbox's part of the
 * cursor (replaced by the page's), other the other mailbox's part; *more says another page is
 * there. Returns PROV_OK or a prov_status. */
static int box_page(struct pass *p, struct step_out *so, const char *mailbox,
    enum msg_folder folder, char **mine, char **other, int mine_first, int *more)
{
	struct msg_list msgs = { 0 };
	int rc;
	*more = 0;
	if (!p->box_begun) {
		p->box_begun = 1;
		if (!*mine && p->link.since > 0 && p->link.since < (int64_t)time(NULL) - 86400) {
			rc = imap_cursor_since(p->c, mailbox, p->link.since, mine);
			if (rc != PROV_OK)
				return rc;
			log_info("imap link %lld: %s: back-fill from %s", (long long)p->link.id,
			    mailbox, *mine);
		}
	}
	char *next = NULL;
	rc = imap_pull_since(p->c, mailbox, folder, *mine, p->link.since, DEFAULT_PAGE, &msgs,
	    &next, more);
	if (rc == PROV_OK) {
		free(*mine);
		*mine = next;
		for (long k = imap_take_skipped(p->c); k > 0; k--)
			prov_skipped(so);
		imap_take_broken(p->c, so);
		drop_proof_mails(&msgs);
		char *both = mine_first ? join_cursor(*mine, *other) : join_cursor(*other, *mine);
		if (!both || step_out_page(so, STREAM_MAIL, &msgs, NULL, both) < 0)
			rc = PROV_TEMP;
		free(both);
	}
	msg_list_free(&msgs);
	return rc;
}

/* Whether mailbox may hold mail past its cursor part, asked with STATUS (no SELECT); a box
 * without a cursor yet always goes through imap_pull(). */
static int box_moved(struct pass *p, const char *mailbox, const char *mine, int *moved)
{
	struct imap_status st;
	*moved = 1;
	if (!mine)
		return PROV_OK;
	int rc = imap_status(p->c, mailbox, &st);
	if (rc == PROV_OK)
		*moved = imap_status_moved(&st, mine);
	return rc;
}

enum { M_START, M_INBOX, M_FIND_SENT, M_SENT, M_END };

/* INBOX, then Sent; each is pulled only when STATUS says something arrived, so a pass with
 * nothing new costs one STATUS per mailbox on a kept connection. One page per step: STEP_PAGE
 * after each page (the engine stores it before the next is read), STEP_DONE at the end. */
static int step_mail(struct pass *p, struct step_out *so)
{
	int moved, rc;
	for (;;) {
		switch (p->phase) {
		case M_START:
			split_cursor(p->cursor, &p->inbox, &p->sent);
			if ((rc = box_moved(p, "INBOX", p->inbox, &moved)) != PROV_OK)
				return rc;
			p->pulled |= moved;
			p->box_begun = 0;
			p->phase = moved ? M_INBOX : M_FIND_SENT;
			break;
		case M_INBOX:
			rc = box_page(p, so, "INBOX", FOLDER_INBOX, &p->inbox, &p->sent, 1, &p->more);
			if (rc != PROV_OK)
				return rc;
			if (!p->more)
				p->phase = M_FIND_SENT;
			return STEP_PAGE;
		case M_FIND_SENT:
			if ((rc = imap_find_sent(p->c, &p->sent_name)) != PROV_OK)
				return rc;
			moved = 0;
			if (p->sent_name &&
			    (rc = box_moved(p, p->sent_name, p->sent, &moved)) != PROV_OK)
				return rc;
			p->pulled |= moved;
			p->box_begun = 0;
			p->phase = moved ? M_SENT : M_END;
			break;
		case M_SENT:
			rc = box_page(p, so, p->sent_name, FOLDER_SENT, &p->sent, &p->inbox, 0,
			    &p->more);
			if (rc != PROV_OK)
				return rc;
			if (!p->more)
				p->phase = M_END;
			return STEP_PAGE;
		default:
			/* nothing new: the cursor stands, as a pull would say */
			if (!p->pulled && step_out_page(so, STREAM_MAIL, NULL, NULL, p->cursor) < 0)
				return PROV_TEMP;
			if (p->keep && (rc = imap_unselect(p->c)) != PROV_OK)  /* the next pass's */
				return rc;                           /* STATUS must see new mail */
			return STEP_DONE;
		}
	}
}

static void free_ids(struct pass *p)
{
	for (size_t i = 0; i < p->n_ids; i++)
		free(p->ids[i]);
	free(p->ids);
	p->ids = NULL;
	p->n_ids = 0;
}

enum { F_START, F_FETCH, F_MOVE };

/* Import what the user dropped into CRM, then move each imported message to Processed: a page
 * per step (STEP_PAGE), its messages moved at the next step, once the engine stored them. */
static int step_folder(struct pass *p, struct step_out *so)
{
	struct msg_list msgs = { 0 };
	int rc;
	for (;;) {
		switch (p->phase) {
		case F_START:
			if ((rc = imap_ensure_folders(p->c)) != PROV_OK)
				return rc;
			p->phase = F_FETCH;
			break;
		case F_FETCH:
			if (p->pages >= 50)
				return STEP_DONE;
			rc = imap_fetch_all(p->c, "CRM", FOLDER_CRM, DEFAULT_PAGE, &msgs, &p->more);
			/* a broken mail stays in the CRM folder and is met again each pass: not counted */
			imap_take_skipped(p->c);
			imap_take_broken(p->c, so);
			if (rc != PROV_OK || msgs.n == 0) {
				msg_list_free(&msgs);
				return rc != PROV_OK ? rc : STEP_DONE;
			}
			p->ids = calloc(msgs.n, sizeof *p->ids);
			p->n_ids = p->ids ? msgs.n : 0;
			for (size_t i = 0; i < p->n_ids; i++)
				p->ids[i] = strdup(msgs.v[i].provider_id);
			rc = !p->ids || step_out_page(so, STREAM_FOLDER, &msgs, NULL, "crm") < 0 ?
			    PROV_TEMP : STEP_PAGE;
			msg_list_free(&msgs);
			if (rc != STEP_PAGE)
				return rc;
			p->pages++;
			p->phase = F_MOVE;
			return STEP_PAGE;
		default:
			rc = PROV_OK;
			for (size_t i = 0; i < p->n_ids && rc == PROV_OK; i++) {
				int mr = p->ids[i] ? imap_move(p->c, p->ids[i], "Processed") : PROV_TEMP;
				if (mr == PROV_TEMP || mr == PROV_AUTH)
					rc = mr;
			}
			free_ids(p);
			if (rc != PROV_OK)
				return rc;
			if (!p->more)
				return STEP_DONE;
			p->phase = F_FETCH;
			break;
		}
	}
}

static int imap_step(struct pass *p, const struct http_resp *resp, struct http_req *req,
    struct step_out *so, long *retry_after)
{
	char err[256];
	(void)resp;
	(void)req;
	(void)retry_after;
	for (int attempt = 0;; attempt++) {
		if (!p->c) {
			int rc = imap_open_link(&p->link, &p->c, err, sizeof err);
			if (rc != PROV_OK) {
				char key[48];
				snprintf(key, sizeof key, "imap link %lld: open", (long long)p->link.id);
				log_warnx_limited(key, "imap link %lld: %s", (long long)p->link.id, err);
				prov_failed(so, err);
				if (p->res)
					snprintf(p->res->error, sizeof p->res->error, "%s", err);
				return rc;
			}
		}
		int rc = p->push ? step_push(p, so) : p->fetch_id ? step_fetch(p, so) :
		    p->s == STREAM_MAIL ? step_mail(p, so) : step_folder(p, so);
		if (rc == PROV_OK)
			rc = STEP_DONE;
		if (rc == STEP_DONE || rc == STEP_PAGE) {
			p->reused = 0;   /* the connection answered: a later failure is no stale one */
			return rc;
		}
		if (rc == PROV_TEMP && p->reused && attempt == 0) {
			/* The kept connection went stale (server timeout): once more on a new one. */
			log_info("imap link %lld: kept connection lost, connecting again",
			    (long long)p->link.id);
			imap_close(p->c);
			p->c = NULL;
			p->reused = 0;
			continue;
		}
		/* Closed here, on the thread that does the I/O, not by end() on the engine's. */
		p->broken = 1;
		imap_close(p->c);
		p->c = NULL;
		return rc;
	}
}

static void imap_end(struct pass *p)
{
	if (!p)
		return;
	if (p->keep && p->c && !p->broken && !p->keep->conn) {
		p->keep->conn = p->c;
		p->keep->close = close_conn;
	} else {
		imap_close(p->c);
	}
	free(p->address);
	free(p->settings);
	free(p->secret);
	free(p->cursor);
	free(p->push_id);
	free(p->fetch_id);
	free(p->inbox);
	free(p->sent);
	free(p->sent_name);
	free_ids(p);
	free(p);
}

const struct provider imap_provider = {
	.name = "imap",
	.streams = STREAM_MAIL | STREAM_FOLDER,
	.blocking = 1,
	.begin = imap_begin,
	.begin_kept = imap_begin_kept,
	.step = imap_step,
	.end = imap_end,
	.push_begin = imap_push_begin,
	.push_step = imap_step,   /* the pass knows it is a push (pass.push) */
	.fetch_begin = imap_fetch_begin,
	.fetch = imap_step,       /* likewise a fetch (pass.fetch_id) */
};
