/* Stored link errors to user words: one table of what curl, libetpan, the address guard and
 * the providers write, matched in order (the first matching class wins). */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/link_error.h"
#include "core/models.h"
#include "core/timeutil.h"

struct pattern {
	enum link_error_kind kind;
	const char *text;      /* matched anywhere, case-insensitive */
};

/* Order matters: "rate limited (HTTP 429)" is a rate limit, "login refused ... timed out" is
 * a login, "cannot connect ... Connection timed out" is a timeout; "TLS" alone is no class,
 * since the IMAP connect error names the mode ("cannot connect to h:993 (TLS, error 2)"). */
static const struct pattern patterns[] = {
	{ LINK_ERROR_LOCAL, "disk full" },
	{ LINK_ERROR_LOCAL, "cannot be decrypted" },
	{ LINK_ERROR_LOCAL, "unknown provider" },
	{ LINK_ERROR_LOCAL, "no trusted CA certificates" },
	{ LINK_ERROR_LOCAL, "are not JSON objects" },
	{ LINK_ERROR_LOCAL, "endpoints are not configured" },
	{ LINK_ERROR_RATE, "rate limited" },
	{ LINK_ERROR_RATE, "HTTP 429" },
	{ LINK_ERROR_LOGIN, "login refused" },
	{ LINK_ERROR_LOGIN, "invalid_grant" },
	{ LINK_ERROR_LOGIN, "HTTP 401" },
	{ LINK_ERROR_TIMEOUT, "timeout" },
	{ LINK_ERROR_TIMEOUT, "timed out" },
	{ LINK_ERROR_TLS, "certificate" },
	{ LINK_ERROR_TLS, "SSL" },
	{ LINK_ERROR_CONNECT, "couldn't connect" },
	{ LINK_ERROR_CONNECT, "cannot connect" },
	{ LINK_ERROR_CONNECT, "could not connect" },
	{ LINK_ERROR_CONNECT, "connection refused" },
	{ LINK_ERROR_CONNECT, "couldn't resolve" },
	{ LINK_ERROR_CONNECT, "could not resolve" },
	{ LINK_ERROR_CONNECT, "cannot look up" },
	{ LINK_ERROR_CONNECT, "address guard" },
	{ LINK_ERROR_CONNECT, "unreachable" },
	{ LINK_ERROR_CONNECT, "connection failed" },
	{ LINK_ERROR_INVALID, "weird server reply" },
	{ LINK_ERROR_INVALID, "parse" },
	{ LINK_ERROR_INVALID, "json" },
	{ LINK_ERROR_INVALID, "xml" },
	{ LINK_ERROR_INVALID, "invalid" },
	{ LINK_ERROR_INVALID, "not valid" },
	{ LINK_ERROR_INVALID, "unreadable" },
	{ LINK_ERROR_INVALID, "unexpected" },
	{ LINK_ERROR_INVALID, "protocol" },
	{ LINK_ERROR_INVALID, "empty reply" },
	{ LINK_ERROR_INVALID, "receiving data" },
	{ LINK_ERROR_INVALID, "HTTP 5" },
	{ LINK_ERROR_INVALID, "HTTP 4" },
};

int64_t link_retry_at(const struct link *l)
{
	return l->rate_limited_until > l->next_due_at ? l->rate_limited_until : l->next_due_at;
}

enum link_error_kind link_error_kind(const char *stored)
{
	if (!stored || !*stored)
		return LINK_ERROR_NONE;
	for (size_t i = 0; i < sizeof patterns / sizeof patterns[0]; i++)
		if (strcasestr(stored, patterns[i].text))
			return patterns[i].kind;
	return LINK_ERROR_OTHER;
}

/* "4:05 PM", or "Monday, July 24, 2023 4:05 PM" when retry_at is not on now's day in tz;
 * "" when the time or the zone is unknown. */
static const char *retry_time(int64_t retry_at, const char *tz, int64_t now, char *out,
    size_t size)
{
	struct local_time at, today;
	*out = '\0';
	if (retry_at <= 0 || tz_from_utc(tz && *tz ? tz : "UTC", retry_at, &at) != 0 ||
	    tz_from_utc(tz && *tz ? tz : "UTC", now, &today) != 0)
		return out;
	if (at.y == today.y && at.m == today.m && at.d == today.d)
		return fmt_clock(at.hour, at.min, out, size);
	return fmt_long_datetime(&at, out, size);
}

const char *link_error_words(const char *stored, int64_t retry_at, const char *tz,
    int64_t now, char *out, size_t size)
{
	char when[80];
	const char *w = "";
	switch (link_error_kind(stored)) {
	case LINK_ERROR_NONE:
		break;
	case LINK_ERROR_TIMEOUT:
		w = "The server did not answer in time: the connection timed out. Sync tries again by "
		    "itself.";
		break;
	case LINK_ERROR_CONNECT:
		w = "Could not connect to the server. Check the server name and port; sync tries "
		    "again by itself.";
		break;
	case LINK_ERROR_TLS:
		w = "The server's TLS certificate is not trusted, so nothing was sent to it.";
		break;
	case LINK_ERROR_LOGIN:
		w = "The server refused the login. Use Resync to sign in again.";
		break;
	case LINK_ERROR_INVALID:
		w = "The server answered something that is not valid. Sync tries again by itself.";
		break;
	case LINK_ERROR_RATE:
		if (*retry_time(retry_at, tz, now, when, sizeof when)) {
			snprintf(out, size, "The server asked the CRM to slow down: it is rate limited. Sync "
			    "tries again after %s.", when);
			return out;
		}
		w = "The server asked the CRM to slow down: it is rate limited. Sync tries again later.";
		break;
	case LINK_ERROR_LOCAL:
		w = "Sync stopped because of a problem in the CRM itself; an administrator has been "
		    "told in the log.";
		break;
	case LINK_ERROR_OTHER:
		w = "The last sync failed. Sync tries again by itself.";
		break;
	}
	snprintf(out, size, "%s", w);
	return out;
}
