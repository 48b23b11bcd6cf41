/* The notice relay's URL and the re-link notice's text; and the health view's lag in words. */
#include "t.h"
#include "core/db_health.h"
#include "core/notify.h"

struct relay_case {
	const char *url;
	int ok;
	const char *host;
	int port, tls;
};

static const struct relay_case relays[] = {
	{ "smtp://127.0.0.1:2525", 1, "127.0.0.1", 2525, 0 },
	{ "smtp://relay.corp.example", 1, "relay.corp.example", 0, 0 },
	{ "smtps://relay.corp.example:465/", 1, "relay.corp.example", 465, 1 },
	{ "SMTP://[::1]:25", 1, "::1", 25, 0 },
	{ "http://relay.corp.example", 0, NULL, 0, 0 },
	{ "smtp://", 0, NULL, 0, 0 },
	{ "smtp://user@relay.corp.example", 0, NULL, 0, 0 },
	{ "smtp://relay.corp.example:0", 0, NULL, 0, 0 },
	{ "smtp://relay.corp.example:70000", 0, NULL, 0, 0 },
	{ "smtp://relay.corp.example:25x", 0, NULL, 0, 0 },
	{ "smtp://relay.corp.example/path", 0, NULL, 0, 0 },
	{ "smtp://[::1", 0, NULL, 0, 0 },
	{ "", 0, NULL, 0, 0 },
};

static void test_relay_urls(void)
{
	for (size_t i = 0; i < sizeof relays / sizeof relays[0]; i++) {
		const struct relay_case *c = &relays[i];
		struct notify_relay r;
		int rc = notify_relay_parse(c->url, &r);
		if ((rc == 0) != c->ok) {
			fprintf(stderr, "  %s\n", c->url);
			CHECK(0);
		}
		if (!c->ok) {
			CHECK_STR(r.host, "");
			continue;
		}
		CHECK_STR(r.host, c->host);
		CHECK_INT(r.port, c->port);
		CHECK_INT(r.tls, c->tls);
	}
	CHECK(notify_relay_parse(NULL, &(struct notify_relay){ 0 }) == -1);
}

static void test_relink_mail_names_the_mailbox_and_the_way_back(void)
{
	char *m = notify_relink_mail("crm@corp.example", "ann@corp.example", "ann@gmail.com",
	    "google", "https://crm.corp.example/", "<relink-4-1@corp.example>", 1700000000);
	CHECK(m != NULL);
	int good = strstr(m, "From: crm@corp.example\r\n") && strstr(m, "To: ann@corp.example\r\n") &&
	    strstr(m, "Subject: Your mailbox ann@gmail.com needs re-linking\r\n") &&
	    strstr(m, "Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n") &&
	    strstr(m, "Message-ID: <relink-4-1@corp.example>\r\n") &&
	    strstr(m, "ann@gmail.com (Google)") &&
	    strstr(m, "\r\nhttps://crm.corp.example/settings/sync\r\n") &&
	    strstr(m, "\r\n\r\n") && !strstr(m, "\n\n");
	free(m);
	CHECK(good);
}

static void test_relink_mail_headers_take_no_line_breaks(void)
{
	char *m = notify_relink_mail("crm@corp.example", "ann@corp.example\r\nBcc: x@evil.example",
	    "box@corp.example\nX-Injected: 1", "imap", "http://crm", "<a@b>", 0);
	CHECK(m != NULL);
	int good = !strstr(m, "\r\nBcc:") && !strstr(m, "\nX-Injected") &&
	    strstr(m, "To: ann@corp.exampleBcc: x@evil.example\r\n") && strstr(m, "(IMAP)");
	free(m);
	CHECK(good);
}

static void test_lag_in_words(void)
{
	char b[32];
	CHECK_STR(fmt_lag(-1, b, sizeof b), "no items yet");
	CHECK_STR(fmt_lag(0, b, sizeof b), "0 s");
	CHECK_STR(fmt_lag(119, b, sizeof b), "119 s");
	CHECK_STR(fmt_lag(120, b, sizeof b), "2 min");
	CHECK_STR(fmt_lag(7300, b, sizeof b), "2 h");
	CHECK_STR(fmt_lag(3 * 86400, b, sizeof b), "3 days");
	struct link_health h = { .newest_item_at = 0 };
	CHECK_INT(link_health_lag(&h, 1000), -1);
	h.newest_item_at = 400;
	CHECK_INT(link_health_lag(&h, 1000), 600);
	h.newest_item_at = 2000;   /* a date in the future is no lag */
	CHECK_INT(link_health_lag(&h, 1000), 0);
}

T_MAIN(T(test_relay_urls),
    T(test_relink_mail_names_the_mailbox_and_the_way_back),
    T(test_relink_mail_headers_take_no_line_breaks),
    T(test_lag_in_words))
