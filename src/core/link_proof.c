/* One-time codes that prove an IMAP link's address (see link_proof.h). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "core/crypto.h"
#include "core/link_proof.h"

void link_proof_code(char out[LINK_PROOF_DIGITS + 1])
{
	for (int i = 0; i < LINK_PROOF_DIGITS; i++)
		out[i] = (char)('0' + randombytes_uniform(10));
	out[LINK_PROOF_DIGITS] = '\0';
}

void link_proof_hash(int64_t link_id, const char *code, char out[LINK_PROOF_HASH_LEN + 1])
{
	/* the link id as key binds a code to its link: the same code of another link differs */
	unsigned char key[crypto_generichash_KEYBYTES] = { 0 };
	unsigned char h[LINK_PROOF_HASH_LEN / 2];
	char id[32];
	int n = snprintf(id, sizeof id, "%lld", (long long)link_id);
	memcpy(key, "crm link proof", 14);
	memcpy(key + 16, id, (size_t)n < 16 ? (size_t)n : 16);
	crypto_generichash(h, sizeof h, (const unsigned char *)code, strlen(code), key, sizeof key);
	sodium_bin2hex(out, LINK_PROOF_HASH_LEN + 1, h, sizeof h);
}

int64_t link_proof_wait(int tries, int64_t tried_at, int64_t now)
{
	if (tries <= 0)
		return 0;
	int64_t gap = tries >= 9 ? LINK_PROOF_WAIT_MAX_S : (int64_t)1 << tries;
	if (gap > LINK_PROOF_WAIT_MAX_S)
		gap = LINK_PROOF_WAIT_MAX_S;
	int64_t left = tried_at + gap - now;
	return left > 0 ? left : 0;
}

/* typed without spaces and dashes into out; 0, or -1 when it is not LINK_PROOF_DIGITS digits. */
static int clean_code(const char *typed, char out[LINK_PROOF_DIGITS + 1])
{
	size_t n = 0;
	for (const char *s = typed ? typed : ""; *s; s++) {
		if (*s == ' ' || *s == '-' || *s == '\t')
			continue;
		if (!isdigit((unsigned char)*s) || n == LINK_PROOF_DIGITS)
			return -1;
		out[n++] = *s;
	}
	out[n] = '\0';
	return n == LINK_PROOF_DIGITS ? 0 : -1;
}

enum link_proof_verdict link_proof_judge(const struct link_proof *p, const char *typed,
    int64_t now, int64_t *wait_s)
{
	char code[LINK_PROOF_DIGITS + 1], h[LINK_PROOF_HASH_LEN + 1];
	*wait_s = 0;
	if (p->proved_at)
		return PROOF_PROVED;
	if (!p->code_hash[0])
		return PROOF_NO_CODE;
	if (now >= p->expires_at)
		return PROOF_EXPIRED;
	if (p->tries >= LINK_PROOF_MAX_TRIES)
		return PROOF_SPENT;
	if ((*wait_s = link_proof_wait(p->tries, p->tried_at, now)) > 0)
		return PROOF_WAIT;
	if (clean_code(typed, code) != 0)
		return PROOF_WRONG;
	link_proof_hash(p->link_id, code, h);
	return crypto_streq(h, p->code_hash) ? PROOF_RIGHT : PROOF_WRONG;
}

int link_proof_subject_code(const char *subject, char out[LINK_PROOF_DIGITS + 1])
{
	static const char prefix[] = LINK_PROOF_SUBJECT ":";
	const char *s = subject ? strstr(subject, prefix) : NULL;
	if (!s)
		return -1;
	s += sizeof prefix - 1;
	while (*s == ' ')
		s++;
	size_t n = strspn(s, "0123456789");
	if (n != LINK_PROOF_DIGITS || (s[n] && !isspace((unsigned char)s[n])))
		return -1;
	memcpy(out, s, n);
	out[n] = '\0';
	return 0;
}

void link_proof_message_id(int64_t link_id, const char *address, char *out, size_t outsize)
{
	char tok[32];
	const char *at = address ? strrchr(address, '@') : NULL;
	crypto_token(tok, sizeof tok, 12);
	snprintf(out, outsize, LINK_PROOF_MID_PREFIX "%lld.%s@%s>", (long long)link_id, tok,
	    at && at[1] ? at + 1 : "crm.invalid");
}

char *link_proof_mail(const char *address, const char *code, const char *mid, int64_t now)
{
	char date[64], *out = NULL;
	time_t t = (time_t)now;
	struct tm tm;
	if (!gmtime_r(&t, &tm) || !strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S +0000", &tm))
		return NULL;
	if (asprintf(&out,
	    "From: <%s>\r\nTo: <%s>\r\nSubject: " LINK_PROOF_SUBJECT ": %s\r\nDate: %s\r\n"
	    "Message-ID: %s\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
	    "Auto-Submitted: auto-generated\r\n\r\n"
	    "This mailbox is being linked to a CRM account. The CRM finds this message in the\r\n"
	    "mailbox by itself and then deletes it; if it does not, type this code on the\r\n"
	    "linking page:\r\n\r\n    %s\r\n\r\nThe code is good for %d minutes. If you did not "
	    "link this mailbox, ignore this message.\r\n",
	    address, address, code, date, mid, code, LINK_PROOF_TTL_S / 60) < 0)
		return NULL;
	return out;
}
