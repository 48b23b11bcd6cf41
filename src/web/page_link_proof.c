/* Proving an IMAP + CalDAV link's address (GET/POST /profile/link/imap/proof/ID): the state of
 * the proof (code being sent, sent, proved, lost to another user), the form to type the code
 * (bounded tries with a growing wait) and "send a new code" (once a minute). crm-sync sends
 * the code and finds it in the INBOX by itself (sync/proofs.c); see core/link_proof.h. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/db_link_proof.h"
#include "core/log.h"
#include "web/web.h"

#define SEND_STUCK_S (2 * LINK_PROOF_RESEND_S)   /* a code still not sent after this: failed */

/* The page for proof p, with an error (or NULL). */
static int show(struct ctx *c, const struct link_proof *p, const char *error, int status)
{
	struct view *v = view_new();
	if (!v)
		return 500;
	int64_t now = time(NULL);
	int lost = strcmp(p->link_status, "unlinked") == 0;
	int proved = p->proved_at && !lost;
	int sending = !proved && !lost && !p->code_hash[0] && !p->error[0];
	int stuck = sending && p->sent_at && now - p->sent_at > SEND_STUCK_S;
	int expired = !proved && !lost && p->code_hash[0] && now >= p->expires_at;
	int waiting = !proved && !lost && p->code_hash[0] && !expired;
	struct vlist *errs = vlist_new();
	if (error)
		vrow_str(vlist_row(errs), error);
	if (p->error[0] && !p->code_hash[0])
		vrow_str(vlist_row(errs), p->error);
	if (stuck)   /* crm-sync stopped during the send, or is not running */
		vrow_str(vlist_row(errs), "The code was not sent in time. Send a new code.");
	if (expired && !error)
		vrow_str(vlist_row(errs), "The code has expired. Send a new code.");
	sending = sending && !stuck;
	view_int(v, "id", (long)p->link_id);
	view_str(v, "email", p->address);
	view_str(v, "csrf", c->csrf);
	view_int(v, "proved", proved);
	view_int(v, "sending", sending);
	view_int(v, "waiting", waiting);
	view_int(v, "can_resend", !proved && !lost && !sending);
	view_int(v, "ttl_min", LINK_PROOF_TTL_S / 60);
	view_list(v, "errors", errs);
	if (sending)
		c->refresh_s = 2;
	int st = page_render(c, "link_proof", "Prove the mailbox", v, status);
	view_free(v);
	return st;
}

/* A typed code. */
static int check(struct ctx *c, struct link_proof *p)
{
	int64_t now = time(NULL), wait = 0;
	char msg[200];
	enum link_proof_verdict verdict = link_proof_judge(p, f_get(c, "code"), now, &wait);
	if (verdict == PROOF_RIGHT || verdict == PROOF_WRONG) {
		int rc = db_link_proof_try(c->db, p->link_id, p->tries, now);
		if (rc < 0)
			return 500;
		if (rc == 1)   /* a parallel try took this one: as if typed during its wait */
			return show(c, p, "Wait a few seconds before trying again.", 429);
	}
	switch (verdict) {
	case PROOF_RIGHT: {
		int rc = db_link_proof_prove(c->db, p->link_id, now);
		if (rc < 0)
			return 500;
		log_info("link %lld: %s proved by the code typed by user %lld", (long long)p->link_id,
		    p->address, (long long)c->user.id);
		if (db_link_proof_get(c->db, p->link_id, c->user.id, p) != 0)
			return 500;
		return show(c, p, NULL, rc == 0 ? 200 : 409);
	}
	case PROOF_WRONG:
		log_info("link %lld: wrong proof code typed (%d before)", (long long)p->link_id,
		    p->tries);
		if (p->tries + 1 >= LINK_PROOF_MAX_TRIES)
			snprintf(msg, sizeof msg, "That code is not right, and that was the last try "
			    "for it. Send a new code.");
		else
			snprintf(msg, sizeof msg, "That code is not right. Try again in %lld seconds.",
			    (long long)link_proof_wait(p->tries + 1, now, now));
		p->tries++;
		return show(c, p, msg, 400);
	case PROOF_WAIT:
		snprintf(msg, sizeof msg, "Wait %lld seconds before trying again.", (long long)wait);
		return show(c, p, msg, 429);
	case PROOF_SPENT:
		return show(c, p, "Too many wrong codes. Send a new code.", 429);
	case PROOF_EXPIRED:
		return show(c, p, "The code has expired. Send a new code.", 400);
	case PROOF_NO_CODE:
		return show(c, p, "No code is out yet.", 409);
	case PROOF_PROVED:
		break;
	}
	return show(c, p, NULL, 200);
}

int page_link_proof(struct ctx *c)
{
	struct link_proof p;
	int64_t id = parse_id(c->arg);
	int rc = id ? db_link_proof_get(c->db, id, c->user.id, &p) : 1;
	if (rc < 0)
		return 500;
	if (rc == 1)
		return 404;   /* none, or another user's */
	if (strcmp(c->req->method, "POST") != 0)
		return show(c, &p, NULL, 200);
	const char *action = f_get(c, "action");
	if (action && strcmp(action, "resend") == 0) {
		if (p.proved_at || strcmp(p.link_status, "unlinked") == 0)
			return show(c, &p, NULL, 409);
		rc = db_link_proof_resend(c->db, p.link_id, time(NULL));
		if (rc < 0)
			return 500;
		if (rc == 1)
			return show(c, &p, "A new code can be sent once a minute. Wait a little, then "
			    "try again.", 429);
		char where[96];
		snprintf(where, sizeof where, "/profile/link/imap/proof/%lld", (long long)p.link_id);
		return resp_redirect(c->resp, where);
	}
	return check(c, &p);
}
