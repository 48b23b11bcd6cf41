/* crm.fcgi: the web app. Opens the FastCGI socket named in the config, runs a fixed pool of
 * worker threads (each with its own database connection and templates) and stops on
 * SIGTERM/SIGINT. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <fcgiapp.h>

#include "core/app.h"
#include "core/crypto.h"
#include "core/log.h"
#include "core/netguard.h"
#include "web/page_cache.h"
#include "web/server.h"

static pthread_mutex_t accept_lock = PTHREAD_MUTEX_INITIALIZER;
static volatile sig_atomic_t stopping;
static int listen_fd = -1;

struct thread_arg {
	struct worker w;
	pthread_t tid;
	int started;
};

static void *worker_main(void *p)
{
	struct thread_arg *a = p;
	FCGX_Request fr;
	if (FCGX_InitRequest(&fr, listen_fd, 0) != 0) {
		log_warnx("FCGX_InitRequest failed");
		return NULL;
	}
	while (!stopping) {
		pthread_mutex_lock(&accept_lock);
		int rc = stopping ? -1 : FCGX_Accept_r(&fr);
		pthread_mutex_unlock(&accept_lock);
		if (rc < 0)
			break;
		server_handle(&a->w, &fr);
		FCGX_Finish_r(&fr);
	}
	FCGX_Free(&fr, 1);
	return NULL;
}

/* Open (replacing a stale one) the unix socket, 0660: the web server's workers reach it by
 * running as this program's user or by being in its group (nginx.conf.example's user line). */
static int open_socket(const char *path)
{
	unlink(path);
	int fd = FCGX_OpenSocket(path, 128);
	if (fd < 0) {
		log_warn("listen %s", path);
		return -1;
	}
	if (chmod(path, 0660) != 0)
		log_warn("chmod %s", path);
	return fd;
}

int main(int argc, char **argv)
{
	char err[512];
	struct config cfg;
	struct thread_arg *threads = NULL;
	int status = 1, n = 0;
	log_init("crm.fcgi", getenv("CRM_DEBUG") != NULL);
	const char *path = app_config_path(&argc, argv);
	if (config_load(path, &cfg, err, sizeof err) != 0) {
		fprintf(stderr, "crm.fcgi: %s\n", err);
		return 1;
	}
	if (netguard_configure(cfg.allow_hosts, err, sizeof err) != 0) {   /* checked by the load */
		fprintf(stderr, "crm.fcgi: %s\n", err);
		config_free(&cfg);
		return 1;
	}
	if (crypto_init() != 0 || FCGX_Init() != 0) {
		log_warnx("library initialisation failed");
		goto done;
	}
	/* Signals go to the main thread only, which waits for them below (libfcgi would
	 * otherwise swallow SIGTERM). */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	/* The secrets key, for the link pages that seal tokens and app passwords. */
	static uint8_t key[CRYPTO_KEY_BYTES];
	int have_key = crypto_key_load(cfg.secret_key_file, 0, key, err, sizeof err) == 0;
	if (!have_key)
		log_warnx("secret key: %s (linking mailboxes is disabled)", err);
	if ((listen_fd = open_socket(cfg.listen)) < 0)
		goto done;
	threads = calloc((size_t)cfg.threads, sizeof *threads);
	if (!threads)
		goto done;
	for (n = 0; n < cfg.threads; n++) {
		struct worker *w = &threads[n].w;
		w->cfg = &cfg;
		w->key = have_key ? key : NULL;
		if (!(w->db = db_open(cfg.database, err, sizeof err))) {
			log_warnx("database: %s", err);
			goto stop;
		}
		if (!(w->tpl = templates_load(cfg.templates)))
			goto stop;
		if (cfg.page_cache)
			w->cache = page_cache_new();
		if (pthread_create(&threads[n].tid, NULL, worker_main, &threads[n]) != 0) {
			log_warnx("cannot start worker thread");
			goto stop;
		}
		threads[n].started = 1;
	}
	log_info("listening on %s with %d threads", cfg.listen, cfg.threads);
	int sig = 0;
	sigwait(&set, &sig);
	log_info("signal %d: stopping", sig);
	status = 0;
stop:
	stopping = 1;
	FCGX_ShutdownPending();
	shutdown(listen_fd, SHUT_RDWR);   /* wakes the thread blocked in accept() */
	for (int i = 0; i < cfg.threads && threads; i++) {
		if (threads[i].started)
			pthread_join(threads[i].tid, NULL);
		db_close(threads[i].w.db);
		templates_free(threads[i].w.tpl);
		page_cache_free(threads[i].w.cache);
	}
	close(listen_fd);
	unlink(cfg.listen);
done:
	free(threads);
	config_free(&cfg);
	return status;
}
