/* Unit tests of the link flow's pure parts: the provider guessed from an address, sync health,
 * and the providers' origins for the CSP form-action. */
#include <stdlib.h>

#include "core/config.h"
#include "core/db_link_flow.h"
#include "t.h"
#include "web/link_save.h"

static void test_provider_is_guessed_from_the_domain(void)
{
	static const char *const cases[][2] = {
		{ "ann@gmail.com", "google" }, { "ann@GoogleMail.com", "google" },
		{ "bob@outlook.com", "microsoft" }, { "bob@hotmail.com", "microsoft" },
		{ "bob@live.com", "microsoft" }, { "x@contoso.onmicrosoft.com", "microsoft" },
		{ "x@onmicrosoft.com", "imap" }, { "demo@example.com", "imap" },
		{ "gmail.com@example.org", "imap" }, { "no-at-sign", "imap" }, { "", "imap" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		CHECK_STR(link_guess_provider(cases[i][0]), cases[i][1]);
	CHECK_STR(link_guess_provider(NULL), "imap");
	CHECK_STR(link_provider_label("microsoft"), "Microsoft 365");
	CHECK_STR(link_provider_label("imap"), "IMAP + CalDAV");
	CHECK_STR(link_provider_label("other"), "");
}

static void test_health_flags_stale_relink_and_refused_cursors(void)
{
	const int64_t now = 1700000000, poll = 900;
	struct {
		const char *status;
		int64_t linked, success, refused;
		int bad;
	} cases[] = {
		{ "active", now - 100, 0, 0, 0 },                   /* new link, no pass yet */
		{ "active", now - 3 * poll - 1, 0, 0, 1 },          /* never synced for 3 intervals */
		{ "active", now - 90000, now - 60, 0, 0 },          /* synced a minute ago */
		{ "active", now - 90000, now - 3 * poll - 1, 0, 1 },  /* stale */
		{ "active", now - 90000, now - 3 * poll + 1, 0, 0 },  /* just inside */
		{ "relink", now - 90000, now - 60, 0, 1 },          /* sign-in refused */
		{ "active", now - 90000, now - 60, now - 30, 1 },   /* cursor refused just now */
		{ "active", now - 90000, now - 60, now - 3 * poll - 5, 0 },  /* refused long ago */
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct link l = { .status = (char *)cases[i].status, .linked_at = cases[i].linked,
			.last_success_at = cases[i].success, .cursor_refused_at = cases[i].refused };
		CHECK_INT(link_health_problem(&l, (int)poll, now) != NULL, cases[i].bad);
	}
}

static void test_csp_origins_of_the_authorize_urls(void)
{
	struct config cfg = { 0 };
	cfg.google.auth_url = "https://accounts.google.com/o/oauth2/v2/auth";
	cfg.microsoft.auth_url = "http://127.0.0.1:8081/microsoft/common/oauth2/v2.0/authorize";
	cfg.nylas.auth_url = "http://127.0.0.1:8081/nylas/v3/connect/auth";
	char *s = link_oauth_origins(&cfg);
	CHECK_STR(s, "https://accounts.google.com http://127.0.0.1:8081");
	free(s);
	cfg.google.auth_url = "https://evil.example;script-src *";   /* never reaches a header */
	cfg.microsoft.auth_url = "";
	cfg.nylas.auth_url = "javascript:alert(1)";
	s = link_oauth_origins(&cfg);
	CHECK(s == NULL);
}

T_MAIN(T(test_provider_is_guessed_from_the_domain),
    T(test_health_flags_stale_relink_and_refused_cursors),
    T(test_csp_origins_of_the_authorize_urls))
