/* A link's stored last error (which keeps the raw curl, libetpan or HTTP detail) in the
 * words a user reads on Sync settings and in `crmctl links`; the log keeps the raw text. */
#ifndef CORE_LINK_ERROR_H
#define CORE_LINK_ERROR_H
#include <stddef.h>
#include <stdint.h>

enum link_error_kind {
	LINK_ERROR_NONE,       /* no error stored */
	LINK_ERROR_TIMEOUT,    /* the server did not answer in time */
	LINK_ERROR_CONNECT,    /* no connection: refused, unreachable, name not found, guard */
	LINK_ERROR_TLS,        /* the server's certificate is not trusted */
	LINK_ERROR_LOGIN,      /* the server refused the login (or the grant) */
	LINK_ERROR_INVALID,    /* the server answered something that is not valid */
	LINK_ERROR_RATE,       /* rate limited: sync waits until rate_limited_until */
	LINK_ERROR_LOCAL,      /* a problem on the CRM's side (disk full, key, settings) */
	LINK_ERROR_OTHER,      /* anything else the server answered */
};

/* The class of a stored last_error (NULL or "" is LINK_ERROR_NONE). */
enum link_error_kind link_error_kind(const char *stored);

/* The stored error in user words, written to out (size bytes) and returned; "" when none. A
 * rate limit names the time sync tries again (retry_at, UTC seconds; 0 when unknown) as a
 * clock time in tz, with the date when it is not today (now, UTC seconds). */
const char *link_error_words(const char *stored, int64_t retry_at, const char *tz,
    int64_t now, char *out, size_t size);

struct link;
/* When sync tries the link again: the later of its rate-limit hold and its next due time. */
int64_t link_retry_at(const struct link *l);

#endif
