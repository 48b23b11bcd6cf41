/* crm-sync: the sync daemon. `crm-sync -c CONFIG [--once] [--link ID] [--no-push] [-v]`. */
#include <signal.h>
#include <sys/resource.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "core/app.h"
#include "core/db_attach.h"
#include "core/log.h"
#include "providers/mime.h"
#include "sync/engine.h"

static volatile sig_atomic_t stop_flag;

static void on_stop(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static void usage(void)
{
	fprintf(stderr, "usage: crm-sync [-c CONFIG] [--once] [--link ID] [--no-push] [-v]\n"
	    "  --once     one pass over every due link (or the --link one), then exit\n"
	    "             (status 1 when a link's pass failed)\n"
	    "  --link ID  only this link\n"
	    "  --no-push  no IMAP IDLE connections; poll only\n");
}

/* One descriptor per IMAP connection (push, kept, passes) and per HTTP one: take the hard limit
 * of open files, not the soft one (often 1,024). */
static void raise_open_files(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

int main(int argc, char **argv)
{
	struct engine_opts o = { .push = 1 };
	struct app app;
	char err[512];
	int verbose = getenv("CRM_DEBUG") != NULL;
	const char *cfg = app_config_path(&argc, argv);

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--once") == 0) {
			o.once = 1;
		} else if (strcmp(argv[i], "--link") == 0 && i + 1 < argc) {
			char *end;
			o.link_id = strtoll(argv[++i], &end, 10);
			if (*end || o.link_id <= 0) {
				usage();
				return 2;
			}
		} else if (strcmp(argv[i], "--no-push") == 0) {
			o.push = 0;
		} else if (strcmp(argv[i], "-v") == 0) {
			verbose = 1;
		} else {
			usage();
			return 2;
		}
	}
	log_init("crm-sync", verbose);
	struct sigaction sa = { .sa_handler = on_stop, .sa_flags = SA_RESTART };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	raise_open_files();
	srand((unsigned)time(NULL) ^ (unsigned)getpid());
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		log_warnx("curl cannot start");
		return 1;
	}
	mime_init();
	if (app_open(cfg, 0, &app, err, sizeof err) != 0) {
		log_warnx("%s", err);
		curl_global_cleanup();
		return 1;
	}
	mime_set_attach_max((size_t)app.cfg.attachment_max_mb * 1024 * 1024);
	long swept = attach_sweep(app.db, app.cfg.files, (int64_t)time(NULL), 3600);
	if (swept > 0)
		log_info("attachments: %ld files or blobs no mail refers to removed", swept);
	log_info("started (%s%s)", o.once ? "one pass" : "daemon", o.push && !o.once ? ", push" : "");
	int rc = engine_run(&app, &o, &stop_flag);
	log_info("stopped%s", stop_flag ? " on signal" : "");
	app_close(&app);
	curl_global_cleanup();
	return rc == 0 ? 0 : 1;
}
