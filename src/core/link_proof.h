/* Proving an IMAP link's address with a one-time code (pure parts): the code, its hash, the
 * code mail, reading a code back from a subject, and the verdict on a typed code (expiry,
 * bounded tries with a growing wait). The table is in core/db_link_proof.h, the sending and
 * the INBOX check in sync/proofs.c, the page in web/page_link_proof.c. */
#ifndef CORE_LINK_PROOF_H
#define CORE_LINK_PROOF_H

#include <stddef.h>
#include <stdint.h>

#define LINK_PROOF_DIGITS 8
#define LINK_PROOF_HASH_LEN 64              /* hex characters */
#define LINK_PROOF_TTL_S (30 * 60)          /* a code is good this long after it is sent */
#define LINK_PROOF_MAX_TRIES 5              /* wrong codes typed before a new one is needed */
#define LINK_PROOF_WAIT_MAX_S 300           /* cap of the wait between wrong tries */
#define LINK_PROOF_RESEND_S 60              /* at most one new code a minute */
#define LINK_PROOF_SUBJECT "Your CRM mailbox code"
#define LINK_PROOF_MID_PREFIX "<crm-proof."  /* every code mail's Message-ID starts so */

/* A link's proof as stored (table link_proofs). */
struct link_proof {
	int64_t link_id, user_id;           /* user_id: the link's owner */
	char code_hash[LINK_PROOF_HASH_LEN + 1];   /* "" when no code is out */
	int64_t sent_at, expires_at, tried_at, proved_at;   /* 0: not (yet) */
	int tries;
	char error[256];                    /* why the last send failed, or "" */
	char address[320];                  /* the link's address */
	char link_status[16];               /* the link's status ("unlinked" when it lost) */
};

/* A fresh code of LINK_PROOF_DIGITS random digits (libsodium) into out. */
void link_proof_code(char out[LINK_PROOF_DIGITS + 1]);
/* The stored form of code for link_id: keyed BLAKE2b (crypto_generichash) as hex. */
void link_proof_hash(int64_t link_id, const char *code, char out[LINK_PROOF_HASH_LEN + 1]);

/* Seconds to wait before another try after `tries` wrong ones, the last at tried_at: 0 when
 * none is due; 2, 4, 8 ... s after the 1st, 2nd, 3rd wrong try, at most LINK_PROOF_WAIT_MAX_S. */
int64_t link_proof_wait(int tries, int64_t tried_at, int64_t now);

enum link_proof_verdict {
	PROOF_RIGHT,        /* the code is right: prove the link */
	PROOF_WRONG,        /* wrong: count the try */
	PROOF_WAIT,         /* too soon after a wrong try: *wait_s says how long; not counted */
	PROOF_SPENT,        /* LINK_PROOF_MAX_TRIES wrong tries: send a new code */
	PROOF_EXPIRED,      /* past expires_at: send a new code */
	PROOF_NO_CODE,      /* no code is out (being sent, or the send failed) */
	PROOF_PROVED,       /* proved already */
};
/* The verdict on typed (spaces and dashes ignored) for p at now. */
enum link_proof_verdict link_proof_judge(const struct link_proof *p, const char *typed,
    int64_t now, int64_t *wait_s);

/* The code in a subject "Your CRM mailbox code: 12345678" (as link_proof_mail writes it) into
 * out: 0, or -1 when subject is not one. */
int link_proof_subject_code(const char *subject, char out[LINK_PROOF_DIGITS + 1]);

/* The code mail from and to address (CRLF lines) with Message-ID mid (from
 * link_proof_message_id): malloc'd, NULL when out of memory. */
char *link_proof_mail(const char *address, const char *code, const char *mid, int64_t now);
/* A Message-ID "<crm-proof.LINK.RANDOM@domain-of-address>" into out (size >= 128). */
void link_proof_message_id(int64_t link_id, const char *address, char *out, size_t outsize);

#endif
