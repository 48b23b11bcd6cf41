/* A link's stored last error shown in user words: each class from the wording curl, libetpan,
 * the address guard and the providers store; no raw detail in what the user reads. */
#include "t.h"
#include "core/link_error.h"
#include "core/models.h"

struct error_case {
	const char *stored;
	enum link_error_kind kind;
};

static const struct error_case cases[] = {
	{ NULL, LINK_ERROR_NONE },
	{ "", LINK_ERROR_NONE },
	{ "mail: temporary failure (Timeout was reached)", LINK_ERROR_TIMEOUT },
	{ "events: temporary failure (Operation timed out after 10001 milliseconds with 0 bytes "
	  "received)", LINK_ERROR_TIMEOUT },
	{ "cannot connect to imap.example.com:993: Connection timed out", LINK_ERROR_TIMEOUT },
	{ "events: temporary failure (Couldn't connect to server)", LINK_ERROR_CONNECT },
	{ "events: temporary failure (Could not resolve host: cal.example.com)", LINK_ERROR_CONNECT },
	{ "cannot connect to 127.0.0.1:143: Connection refused", LINK_ERROR_CONNECT },
	{ "cannot connect to imap.example.com:993 (TLS, error 2)", LINK_ERROR_CONNECT },
	{ "cannot look up imap.example.com: Name or service not known", LINK_ERROR_CONNECT },
	{ "10.0.0.5:143 refused by the address guard (10.0.0.5 is not a public address)",
	  LINK_ERROR_CONNECT },
	{ "events: temporary failure (SSL peer certificate or SSH remote key was not OK)",
	  LINK_ERROR_TLS },
	{ "certificate of imap.example.com is not trusted: expired", LINK_ERROR_TLS },
	{ "events: temporary failure (SSL connect error)", LINK_ERROR_TLS },
	{ "mail: login refused, re-link needed", LINK_ERROR_LOGIN },
	{ "mail: login refused, re-link needed (HTTP 401)", LINK_ERROR_LOGIN },
	{ "invalid_grant: Token has been expired or revoked. (HTTP 400)", LINK_ERROR_LOGIN },
	{ "events: temporary failure (Weird server reply)", LINK_ERROR_INVALID },
	{ "mail: temporary failure (HTTP 503)", LINK_ERROR_INVALID },
	{ "events: permanent failure (HTTP 404)", LINK_ERROR_INVALID },
	{ "mail: temporary failure (Failure when receiving data from the peer)",
	  LINK_ERROR_INVALID },
	{ "mail: rate limited (HTTP 429)", LINK_ERROR_RATE },
	{ "mail: rate limited", LINK_ERROR_RATE },
	{ "disk full: the database cannot grow (SQLITE_FULL)", LINK_ERROR_LOCAL },
	{ "secret cannot be decrypted with this key", LINK_ERROR_LOCAL },
	{ "mail: temporary failure", LINK_ERROR_OTHER },
};

static void test_each_stored_error_has_its_class(void)
{
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		if (link_error_kind(cases[i].stored) != cases[i].kind)
			fprintf(stderr, "  case %zu: \"%s\"\n", i, cases[i].stored ? cases[i].stored :
			    "(null)");
		CHECK_INT(link_error_kind(cases[i].stored), cases[i].kind);
	}
}

/* Words that only a library or protocol would say. */
static const char *const raw[] = { "Couldn't", "curl", "SSH", "libetpan", "HTTP", "error ",
	"peer", "Weird", "Timeout was", "SQLITE", "127.0.0.1", "(" };

static void test_words_are_plain_and_carry_no_raw_detail(void)
{
	char out[256];
	const char *want[] = {
		[LINK_ERROR_TIMEOUT] = "did not answer in time: the connection timed out",
		[LINK_ERROR_CONNECT] = "Could not connect to the server",
		[LINK_ERROR_TLS] = "TLS certificate is not trusted",
		[LINK_ERROR_LOGIN] = "refused the login",
		[LINK_ERROR_INVALID] = "answered something that is not valid",
		[LINK_ERROR_RATE] = "rate limited",
		[LINK_ERROR_LOCAL] = "a problem in the CRM itself",
		[LINK_ERROR_OTHER] = "The last sync failed",
	};
	CHECK_STR(link_error_words(NULL, 0, "UTC", 0, out, sizeof out), "");
	CHECK_STR(link_error_words("", 0, "UTC", 0, out, sizeof out), "");
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		if (cases[i].kind == LINK_ERROR_NONE)
			continue;
		link_error_words(cases[i].stored, 0, "UTC", 0, out, sizeof out);
		if (!strstr(out, want[cases[i].kind]))
			fprintf(stderr, "  \"%s\" -> \"%s\"\n", cases[i].stored, out);
		CHECK(strstr(out, want[cases[i].kind]) != NULL);
		for (size_t j = 0; j < sizeof raw / sizeof raw[0]; j++) {
			if (strstr(out, raw[j]))
				fprintf(stderr, "  \"%s\" -> \"%s\" has \"%s\"\n", cases[i].stored, out,
				    raw[j]);
			CHECK(strstr(out, raw[j]) == NULL);
		}
	}
}

/* 2026-07-24 15:00 UTC is 10:00 in Chicago (CDT); a hold until 15:05 UTC reads 10:05 AM. */
static void test_rate_limit_names_the_retry_time_in_the_users_zone(void)
{
	char out[256];
	const int64_t now = 1784905200;   /* 2026-07-24 15:00:00 UTC */
	link_error_words("mail: rate limited (HTTP 429)", now + 300, "America/Chicago", now, out,
	    sizeof out);
	CHECK(strstr(out, "rate limited") != NULL);
	CHECK(strstr(out, "after 10:05 AM.") != NULL);
	link_error_words("mail: rate limited (HTTP 429)", now + 300, "Europe/Berlin", now, out,
	    sizeof out);
	CHECK(strstr(out, "after 5:05 PM.") != NULL);
	/* another day: the date too */
	link_error_words("mail: rate limited", now + 86400 * 2, "America/Chicago", now, out,
	    sizeof out);
	CHECK(strstr(out, "July 26, 2026 10:00 AM") != NULL);
	/* no known time: no made-up one */
	link_error_words("mail: rate limited", 0, "America/Chicago", now, out, sizeof out);
	CHECK(strstr(out, "later") != NULL && strstr(out, "after") == NULL);
}

static void test_retry_is_the_later_of_hold_and_due(void)
{
	struct link l = { .next_due_at = 100, .rate_limited_until = 250 };
	CHECK_INT(link_retry_at(&l), 250);
	l.rate_limited_until = 0;
	CHECK_INT(link_retry_at(&l), 100);
}

T_MAIN(T(test_each_stored_error_has_its_class),
    T(test_words_are_plain_and_carry_no_raw_detail),
    T(test_rate_limit_names_the_retry_time_in_the_users_zone),
    T(test_retry_is_the_later_of_hold_and_due))
