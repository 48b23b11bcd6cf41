/* The config file: defaults, overrides, and one-line errors naming file, line and key. */
#include "t.h"
#include "tmpdir.h"
#include "core/config.h"

static void test_defaults_fill_what_the_file_leaves_out(void)
{
	const char *dir = t_tmpdir();
	const char *p = t_write(dir, "crm.conf", "[core]\ndatabase = my.db\n");
	struct config c;
	char err[256];
	CHECK_INT(config_load(p, &c, err, sizeof err), 0);
	CHECK(strstr(c.database, "/my.db") != NULL);   /* relative to the config's folder */
	CHECK_INT(c.poll_interval, 900);
	CHECK_INT(c.threads, 4);
	CHECK_STR(c.google.token_url, "https://oauth2.googleapis.com/token");
	CHECK_STR(c.notify_smtp_url, "");   /* no notices unless a relay is named */
	config_free(&c);
}

static void test_provider_endpoints_can_point_elsewhere(void)
{
	const char *dir = t_tmpdir();
	const char *p = t_write(dir, "crm.conf",
	    "; test config\n[sync]\npoll_interval = 60\n[google]\nclient_id = abc\n"
	    "token_url = http://127.0.0.1:9/token\n[nylas]\napi_base = http://127.0.0.1:9/nylas\n");
	struct config c;
	char err[256];
	CHECK_INT(config_load(p, &c, err, sizeof err), 0);
	CHECK_INT(c.poll_interval, 60);
	CHECK_STR(config_provider(&c, "google")->client_id, "abc");
	CHECK_STR(c.google.token_url, "http://127.0.0.1:9/token");
	CHECK_STR(config_provider(&c, "nylas")->api_base, "http://127.0.0.1:9/nylas");
	CHECK(config_provider(&c, "yahoo") == NULL);
	config_free(&c);
}

static void test_bad_keys_name_file_line_and_key(void)
{
	const char *dir = t_tmpdir();
	struct { const char *text, *want; } cases[] = {
		{ "[core]\nthreads = lots\n", ":2: core.threads: expected a whole number" },
		{ "[core]\n\nfoo = 1\n", ":3: core.foo: unknown key" },
		{ "[sync]\npoll_interval = 0\n", ":2: sync.poll_interval:" },
		{ "[core]\nthis line has no equals\n", ":2: syntax error" },
		{ "[notify]\nsmtp_url = http://relay.example\n", ":2: notify.smtp_url: not smtp://" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const char *p = t_write(dir, "bad.conf", cases[i].text);
		struct config c;
		char err[256] = "";
		CHECK_INT(config_load(p, &c, err, sizeof err), -1);
		if (!strstr(err, cases[i].want) || strncmp(err, p, strlen(p)) != 0) {
			fprintf(stderr, "  got: %s\n", err);
			CHECK(0);
		}
	}
	struct config c;
	char err[256];
	CHECK_INT(config_load("/nonexistent/crm.conf", &c, err, sizeof err), -1);
	CHECK(strstr(err, "/nonexistent/crm.conf:0: cannot open") != NULL);
}

static void test_a_postgresql_url_is_kept_as_written(void)
{
	const char *dir = t_tmpdir();
	const char *p = t_write(dir, "crm.conf",
	    "[core]\ndatabase = postgresql://crm@127.0.0.1:5432/crm\n");
	struct config c;
	char err[256];
	CHECK_INT(config_load(p, &c, err, sizeof err), 0);
	CHECK_STR(c.database, "postgresql://crm@127.0.0.1:5432/crm");
	config_free(&c);
}

T_MAIN(T(test_defaults_fill_what_the_file_leaves_out), T(test_a_postgresql_url_is_kept_as_written), T(test_provider_endpoints_can_point_elsewhere),
    T(test_bad_keys_name_file_line_and_key))
