/* The login test of an IMAP + CalDAV link before it is saved: log in to the IMAP server, then
 * ask the CalDAV URL for the current user principal with the same credentials. Blocking: it runs
 * on one of crm-sync's workers, never in the web app. */
#ifndef PROVIDERS_LOGIN_TEST_H
#define PROVIDERS_LOGIN_TEST_H

#include <stddef.h>

/* Which part a test was in when it ended (for the message of a test stopped at its deadline). */
enum login_test_phase { LOGIN_TEST_IMAP, LOGIN_TEST_CALDAV };

struct login_test {
	const char *address;        /* the mailbox address (the username when settings has none) */
	const char *settings;       /* link settings JSON: imap_host, imap_port, imap_tls, username,
	                             * caldav_url (optional) */
	const char *secret;         /* secret JSON: {"password": "..."} */
	int timeout_s;              /* the whole test's deadline */
	int (*cancelled)(void);     /* asked while waiting: non-zero stops the test now; NULL: never */
	volatile enum login_test_phase phase;   /* written by the test as it goes */
};

/* Run the test. Returns PROV_OK when both logins work; else PROV_AUTH (a login refused) or
 * another prov_status, with the message for the user in msg (the same whatever the network
 * failure, so the form tells nothing about what answers where) and the reason for the log in
 * detail. All strings borrowed. */
int login_test_run(struct login_test *t, char *msg, size_t msglen, char *detail,
    size_t detaillen);

/* The one message for a test that could not connect, whatever the cause (the address guard,
 * no answer by the deadline, TLS, an HTTP status), so the form tells nothing of what listens
 * where. Pure. */
void login_test_failed_msg(char *msg, size_t msglen);

#endif
