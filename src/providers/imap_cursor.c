/* IMAP mailbox cursors as text, and where a re-read starts after a mailbox reset (pure code). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "providers/imap.h"

int imap_cursor_parse(const char *s, struct imap_cursor *cur)
{
	unsigned long long v, u, m;
	long long d = 0;
	int n = 0, k = 0;
	memset(cur, 0, sizeof *cur);
	if (!s || sscanf(s, "v=%llu;u=%llu;m=%llu%n", &v, &u, &m, &n) != 3)
		return -1;
	/* ";d=" came later: cursors stored without it stay readable (date 0: unknown). */
	if (s[n] == ';' && (sscanf(s + n, ";d=%lld%n", &d, &k) != 1 || d < 0))
		return -1;
	if (s[n + k] != '\0' || v == 0 || v > UINT32_MAX || u > UINT32_MAX)
		return -1;
	cur->uidvalidity = (uint32_t)v;
	cur->last_uid = (uint32_t)u;
	cur->modseq = m;
	cur->date = d;
	return 0;
}

void imap_cursor_format(const struct imap_cursor *cur, char *buf, size_t len)
{
	int n = snprintf(buf, len, "v=%" PRIu32 ";u=%" PRIu32 ";m=%" PRIu64, cur->uidvalidity,
	    cur->last_uid, cur->modseq);
	if (cur->date > 0 && n > 0 && (size_t)n < len)
		snprintf(buf + n, len - (size_t)n, ";d=%" PRId64, cur->date);
}

int64_t imap_reread_since(const struct imap_cursor *old, int64_t floor)
{
	int64_t since = old->date > 0 ? old->date - IMAP_REREAD_MARGIN : floor;
	return since < floor ? floor : since > 0 ? since : 0;
}

int64_t imap_cursor_dated(int64_t date, int more, int64_t now)
{
	if ((date <= 0 && !more) || date > now)
		return now;
	return date > 0 ? date : 0;
}
