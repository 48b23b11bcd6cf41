/* Kept connections (see keep.h): a small array, least recently used first out. */
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "sync/keep.h"
#include "sync/workers.h"

#define CLOSE_TIMEOUT_S 10

struct kept {
	int64_t link;
	struct prov_keep k;
	int64_t used_s;
};

struct keeps {
	struct kept *v;
	int n, max, idle_s;
	struct workers *ws;         /* closes run there (LOGOUT waits for the server) */
};

struct keeps *keeps_new(int max, int idle_s)
{
	struct keeps *k = calloc(1, sizeof *k);
	if (!k)
		return NULL;
	k->max = max > 0 ? max : 0;
	k->idle_s = idle_s > 0 ? idle_s : 1;
	if (k->max && !(k->v = calloc((size_t)k->max, sizeof *k->v))) {
		free(k);
		return NULL;
	}
	return k;
}

void keep_close(struct prov_keep *slot)
{
	if (slot->conn && slot->close)
		slot->close(slot->conn);
	slot->conn = NULL;
}

void keeps_offload(struct keeps *k, struct workers *ws)
{
	if (k)
		k->ws = ws;
}

static int close_job(void *arg)
{
	struct prov_keep *slot = arg;
	keep_close(slot);
	free(slot);
	return 0;
}

/* Close slot's connection on a worker when there is one, else here; slot is emptied. */
static void close_slot(struct keeps *k, struct prov_keep *slot)
{
	struct prov_keep *c = k && k->ws && slot->conn ? malloc(sizeof *c) : NULL;
	if (c) {
		*c = *slot;
		/* A close waits for the server's LOGOUT: never urgent, and a silent server holds it. */
		if (workers_submit_in(k->ws, WORK_SUSPECT, close_job, c, NULL, CLOSE_TIMEOUT_S) == 0) {
			slot->conn = NULL;
			return;
		}
		free(c);
	}
	keep_close(slot);
}

static void drop(struct keeps *k, int i)
{
	close_slot(k, &k->v[i].k);
	k->v[i] = k->v[--k->n];
}

void keeps_free(struct keeps *k)
{
	if (!k)
		return;
	while (k->n)
		drop(k, k->n - 1);
	free(k->v);
	free(k);
}

void keeps_take(struct keeps *k, int64_t link, struct prov_keep *slot)
{
	for (int i = 0; i < k->n; i++) {
		if (k->v[i].link != link)
			continue;
		*slot = k->v[i].k;
		k->v[i] = k->v[--k->n];
		return;
	}
}

void keeps_put(struct keeps *k, int64_t link, struct prov_keep *slot, int64_t now_s)
{
	if (!slot->conn)
		return;
	if (!k || !k->max) {
		close_slot(k, slot);
		return;
	}
	for (int i = 0; i < k->n; i++)
		if (k->v[i].link == link)   /* cannot happen (taken at the start); keep the newer */
			drop(k, i);
	if (k->n == k->max) {
		int oldest = 0;
		for (int i = 1; i < k->n; i++)
			if (k->v[i].used_s < k->v[oldest].used_s)
				oldest = i;
		log_debug("link %lld: kept connection closed to make room",
		    (long long)k->v[oldest].link);
		drop(k, oldest);
	}
	k->v[k->n++] = (struct kept){ .link = link, .k = *slot, .used_s = now_s };
	slot->conn = NULL;
}

void keeps_expire(struct keeps *k, int64_t now_s)
{
	for (int i = 0; k && i < k->n;) {
		if (now_s - k->v[i].used_s >= k->idle_s)
			drop(k, i);
		else
			i++;
	}
}

void keeps_drop(struct keeps *k, int64_t link)
{
	for (int i = 0; k && i < k->n; i++) {
		if (k->v[i].link == link) {
			drop(k, i);
			return;
		}
	}
}

int keeps_count(const struct keeps *k)
{
	return k ? k->n : 0;
}
