/* Link leases as the engine keeps them: a holder id, the held set, the periodic tick. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/db_leases.h"
#include "core/log.h"
#include "sync/leases.h"

#define MAX_HELD 100000
#define MAX_ON_HOST 64

struct leases {
	struct app *app;
	char holder[200];
	char host[128];
	int pid;
	int lease_s;
	int64_t *held;              /* ascending */
	size_t n_held;
	int64_t next_ms;
	int live, links;            /* at the last tick, for the log line */
};

static unsigned long long random64(void)
{
	unsigned long long v = 0;
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || read(fd, &v, sizeof v) != (ssize_t)sizeof v)
		v = ((unsigned long long)rand() << 32) ^ (unsigned long long)rand() ^
		    (unsigned long long)time(NULL);
	if (fd >= 0)
		close(fd);
	return v;
}

struct leases *leases_new(struct app *app)
{
	struct leases *l = calloc(1, sizeof *l);
	if (!l || !(l->held = malloc(MAX_HELD * sizeof *l->held))) {
		free(l);
		return NULL;
	}
	l->app = app;
	l->lease_s = app->cfg.lease_s > 0 ? app->cfg.lease_s : 30;
	l->pid = (int)getpid();
	if (gethostname(l->host, sizeof l->host - 1) != 0 || !l->host[0])
		snprintf(l->host, sizeof l->host, "localhost");
	snprintf(l->holder, sizeof l->holder, "%s:%d:%016llx", l->host, l->pid, random64());
	return l;
}

void leases_free(struct leases *l)
{
	if (!l)
		return;
	if (db_leases_release_all(l->app->db, l->holder) != 0)
		log_warnx("leases: not given back; the other daemons take them after %d s",
		    l->lease_s);
	else if (l->n_held)
		log_info("leases: %zu links given back", l->n_held);
	free(l->held);
	free(l);
}

const char *leases_holder(const struct leases *l)
{
	return l ? l->holder : NULL;
}

int64_t leases_next_ms(const struct leases *l)
{
	return l->next_ms;
}

size_t leases_count(const struct leases *l)
{
	return l->n_held;
}

static int cmp_id(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

int leases_holds(const struct leases *l, int64_t link)
{
	return bsearch(&link, l->held, l->n_held, sizeof *l->held, cmp_id) != NULL;
}

/* 1 when no process pid runs: none exists, or it has ended and waits for its parent to reap
 * it (a zombie, which kill() still finds). */
static int process_gone(int pid)
{
	if (kill(pid, 0) != 0)
		return errno == ESRCH;
	char path[64], buf[256];
	snprintf(path, sizeof path, "/proc/%d/stat", pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return 0;
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	const char *end = strrchr(buf, ')');   /* "pid (comm) S ...": comm may hold spaces */
	return end && end[1] == ' ' && end[2] == 'Z';
}

/* Holders on this host whose process no longer exists: their links are free at once. */
static void take_over_dead(struct leases *l)
{
	char *holders[MAX_ON_HOST];
	int pids[MAX_ON_HOST];
	int n = db_leases_on_host(l->app->db, l->host, l->holder, holders, pids, MAX_ON_HOST);
	for (int i = 0; i < n; i++) {
		if (pids[i] > 0 && pids[i] != l->pid && process_gone(pids[i])) {
			int freed = db_leases_drop_holder(l->app->db, holders[i]);
			if (freed >= 0)
				log_info("leases: %s is gone (no process %d): %d links free",
				    holders[i], pids[i], freed);
		}
		free(holders[i]);
	}
}

/* Give back over leases, the highest ids first, none that is running. */
static void give_back(struct leases *l, int over, int (*running)(void *, int64_t), void *ctx)
{
	for (size_t i = l->n_held; i > 0 && over > 0; i--) {
		int64_t id = l->held[i - 1];
		if (running && running(ctx, id))
			continue;
		if (db_lease_give_back(l->app->db, id, l->holder) == 0)
			over--;
	}
}

int leases_tick(struct leases *l, int64_t now_ms, int (*running)(void *ctx, int64_t link),
    void *ctx, int64_t *lost, size_t max_lost, size_t *n_lost)
{
	struct db *db = l->app->db;
	struct lease_tick t;
	int64_t now = time(NULL);
	static int64_t ids[MAX_HELD];
	size_t n = 0;
	*n_lost = 0;
	l->next_ms = now_ms + (int64_t)l->lease_s * 1000 / 3;
	take_over_dead(l);
	if (db_leases_tick(db, l->holder, l->host, l->pid, now, l->lease_s, &t) != 0) {
		log_warnx("leases: not renewed (database busy or failing); retried in %d s",
		    l->lease_s / 3);
		return -1;
	}
	if (t.over > 0)
		give_back(l, t.over, running, ctx);
	if (db_leases_held(db, l->holder, now, ids, MAX_HELD, &n) != 0)
		return -1;
	int changed = n != l->n_held || memcmp(ids, l->held, n * sizeof *ids) != 0;
	for (size_t i = 0; changed && i < l->n_held; i++)
		if (!bsearch(&l->held[i], ids, n, sizeof *ids, cmp_id) && *n_lost < max_lost)
			lost[(*n_lost)++] = l->held[i];
	memcpy(l->held, ids, n * sizeof *ids);
	l->n_held = n;
	if (changed || t.live != l->live || t.links != l->links)
		log_info("leases: %s holds %zu of %d links (%d daemons, share %d; %d taken, %zu lost)",
		    l->holder, n, t.links, t.live, t.share, t.claimed, *n_lost);
	l->live = t.live;
	l->links = t.links;
	return changed;
}

int leases_any_free(struct leases *l, int64_t now)
{
	return db_leases_any_free(l->app->db, now);
}

int leases_take_wakes(struct leases *l, int64_t now, int64_t *ids, size_t max, size_t *n)
{
	return db_leases_take_wakes(l->app->db, l->holder, now, ids, max, n);
}

int leases_due(struct leases *l, int64_t now, int64_t *ids, size_t max, size_t *n)
{
	return db_leases_due(l->app->db, l->holder, now, ids, max, n);
}
