/* Proving IMAP links' addresses (see proofs.h): claim -> open the link's secret -> worker job
 * (send the code mail, or sweep the INBOX for it) -> outcome written on the engine thread. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "core/crypto.h"
#include "core/db_link_proof.h"
#include "core/link_proof.h"
#include "core/log.h"
#include "core/models.h"
#include "providers/imap.h"
#include "providers/provider.h"
#include "providers/smtp.h"
#include "sync/proofs.h"
#include "sync/workers.h"

static const char MSG_NOT_SENT[] = "The code could not be sent through the mailbox's SMTP "
    "server. Check its SMTP settings (Resync), then send a new code.";

enum proof_job { JOB_SEND, JOB_CHECK };

struct proof_run {
	enum proof_job kind;
	struct link link;
	char *secret;                                 /* the opened secret JSON; wiped at free */
	struct prov_link pl;
	char code[LINK_PROOF_DIGITS + 1];             /* JOB_SEND: the code mailed (wiped) */
	char hash[LINK_PROOF_HASH_LEN + 1];           /* the code's hash */
	char mid[128];                                /* JOB_SEND: the mail's Message-ID */
	char err[256];                                /* written by the job */
	int found;                                    /* JOB_CHECK: code mails seen and deleted */
	int timeout_s;
	struct proof_run *next;
};

struct proofs {
	struct app *app;
	struct workers *ws;
	struct proof_run *runs;
	int n;
};

struct proofs *proofs_new(struct app *app, struct workers *ws)
{
	struct proofs *ps = calloc(1, sizeof *ps);
	if (ps) {
		ps->app = app;
		ps->ws = ws;
	}
	return ps;
}

static void run_free(struct proof_run *r)
{
	if (r->secret)
		explicit_bzero(r->secret, strlen(r->secret));
	free(r->secret);
	explicit_bzero(r->code, sizeof r->code);
	link_free(&r->link);
	free(r);
}

/* On a worker: mail the code to the address, from the address, through the link's SMTP. */
static int send_job(void *arg)
{
	struct proof_run *r = arg;
	struct smtp_conf conf;
	void *json[2] = { NULL, NULL };
	const char *rcpt[1] = { r->link.address };
	int rc = smtp_conf_of_link(&r->pl, &conf, json, r->err, sizeof r->err);
	char *mail = rc == PROV_OK ? link_proof_mail(r->link.address, r->code, r->mid, time(NULL)) :
	    NULL;
	if (rc == PROV_OK && !mail)
		rc = PROV_TEMP;
	if (mail) {
		conf.timeout_s = r->timeout_s;
		rc = smtp_send(&conf, r->link.address, rcpt, 1, mail, strlen(mail), r->err,
		    sizeof r->err);
		explicit_bzero(mail, strlen(mail));
	}
	free(mail);
	json_decref(json[0]);
	json_decref(json[1]);
	return rc;
}

/* imap_sweep's test: the Subject header holds this link's live code. */
static int is_code_mail(void *ctx, const char *header, size_t len)
{
	struct proof_run *r = ctx;
	char subject[256], code[LINK_PROOF_DIGITS + 1], h[LINK_PROOF_HASH_LEN + 1];
	snprintf(subject, sizeof subject, "%.*s", (int)(len < 255 ? len : 255), header);
	if (link_proof_subject_code(subject, code) != 0)
		return 0;
	link_proof_hash(r->link.id, code, h);
	return crypto_streq(h, r->hash);
}

/* On a worker: look for the code mail in the INBOX, deleting it when found. */
static int check_job(void *arg)
{
	struct proof_run *r = arg;
	struct imap_conn *c = NULL;
	int rc = imap_open_link(&r->pl, &c, r->err, sizeof r->err);
	if (rc == PROV_OK)
		rc = imap_sweep(c, "INBOX", LINK_PROOF_SUBJECT, is_code_mail, r, &r->found);
	imap_close(c);
	return rc;
}

/* Load link_id and open its secret into a new run; NULL (logged) when it cannot be. */
static struct proof_run *run_new(struct proofs *ps, enum proof_job kind, int64_t link_id)
{
	struct proof_run *r = calloc(1, sizeof *r);
	if (!r)
		return NULL;
	r->kind = kind;
	r->timeout_s = ps->app->cfg.op_timeout_s;
	if (db_links_get(ps->app->db, link_id, &r->link) != 0 ||
	    !(r->secret = crypto_open(ps->app->key, r->link.secret, r->link.secret_len))) {
		log_warnx("link %lld: proof: the link or its secret cannot be read", (long long)link_id);
		run_free(r);
		return NULL;
	}
	r->pl = (struct prov_link){ .id = r->link.id, .address = r->link.address,
	    .settings = r->link.settings, .secret = r->secret, .linked_at = r->link.linked_at };
	return r;
}

static int submit(struct proofs *ps, struct proof_run *r, int (*job)(void *))
{
	if (workers_submit(ps->ws, job, r, r, r->timeout_s) != 0)
		return -1;
	r->next = ps->runs;
	ps->runs = r;
	ps->n++;
	return 0;
}

/* Claim one code to send and start it: 1 when one was claimed, 0 when none waits. */
static int start_send(struct proofs *ps, int64_t now)
{
	int64_t id = 0;
	if (db_link_proof_claim_send(ps->app->db, now, &id) != 1)
		return 0;
	struct proof_run *r = run_new(ps, JOB_SEND, id);
	if (r) {
		link_proof_code(r->code);
		link_proof_hash(id, r->code, r->hash);
		link_proof_message_id(id, r->link.address, r->mid, sizeof r->mid);
		if (submit(ps, r, send_job) == 0)
			return 1;
		run_free(r);
	}
	db_link_proof_send_failed(ps->app->db, id, MSG_NOT_SENT);
	return 1;
}

/* Claim one INBOX to look at and start it: 1 when one was claimed, 0 when none is due. */
static int start_check(struct proofs *ps, int64_t now)
{
	int64_t id = 0;
	char hash[LINK_PROOF_HASH_LEN + 1];
	if (db_link_proof_claim_check(ps->app->db, now, PROOFS_CHECK_S, &id, hash) != 1)
		return 0;
	struct proof_run *r = run_new(ps, JOB_CHECK, id);
	if (r) {
		memcpy(r->hash, hash, sizeof r->hash);
		if (submit(ps, r, check_job) == 0)
			return 1;
		run_free(r);
	}
	return 1;
}

void proofs_start(struct proofs *ps, int max)
{
	if (!ps)
		return;
	int64_t now = time(NULL);
	while (ps->n < max && start_send(ps, now))
		;
	while (ps->n < max && start_check(ps, now))
		;
}

int proofs_owns(const struct proofs *ps, const void *owner)
{
	for (const struct proof_run *r = ps ? ps->runs : NULL; r; r = r->next)
		if (r == owner)
			return 1;
	return 0;
}

/* Write the outcome of r's job (rc a prov_status). */
static void record(struct proofs *ps, struct proof_run *r, int rc)
{
	struct db *db = ps->app->db;
	int64_t id = r->link.id, now = time(NULL);
	if (r->kind == JOB_SEND) {
		if (rc == PROV_OK) {
			log_info("link %lld: proof code sent to %s", (long long)id, r->link.address);
			if (db_link_proof_sent(db, id, r->hash, r->mid, now + LINK_PROOF_TTL_S) != 0)
				log_warnx("link %lld: proof: the sent code could not be stored",
				    (long long)id);
		} else {
			log_info("link %lld: proof code to %s not sent: %s", (long long)id,
			    r->link.address, r->err[0] ? r->err : "failed");
			db_link_proof_send_failed(db, id, MSG_NOT_SENT);
		}
		return;
	}
	if (rc != PROV_OK) {
		log_info("link %lld: proof: INBOX not read: %s", (long long)id,
		    r->err[0] ? r->err : "failed");
		return;
	}
	if (!r->found)
		return;
	int pr = db_link_proof_prove(db, id, now);
	if (pr == 0)
		log_info("link %lld: %s proved by the code mail in its INBOX", (long long)id,
		    r->link.address);
	else if (pr == 1)
		log_info("link %lld: %s: code mail seen, but the link cannot hold the address",
		    (long long)id, r->link.address);
}

void proofs_stepped(struct proofs *ps, void *owner, int rc, int timed_out_s)
{
	for (struct proof_run **pr = ps ? &ps->runs : NULL; pr && *pr; pr = &(*pr)->next) {
		struct proof_run *r = *pr;
		if (r != owner)
			continue;
		if (timed_out_s) {
			snprintf(r->err, sizeof r->err, "timed out after %d s", timed_out_s);
			rc = PROV_TEMP;
		}
		record(ps, r, rc);
		*pr = r->next;
		ps->n--;
		run_free(r);
		return;
	}
}

void proofs_free(struct proofs *ps, int left_behind)
{
	if (!ps)
		return;
	while (ps->runs) {
		struct proof_run *r = ps->runs;
		ps->runs = r->next;
		if (!left_behind)
			run_free(r);   /* else a thread left behind may still use it: the process ends */
	}
	free(ps);
}
