/* Per-worker cache of rendered pages, invalidated by any database change. */
#include <stdlib.h>
#include <string.h>

#include "web/html.h"
#include "web/page_cache.h"

struct slot {
	char *key;
	char *body;
	size_t len;
	const char *content_type;
	int64_t data_version, changes, made_at, used_at;
};

struct page_cache {
	struct slot slots[PAGE_CACHE_SLOTS];
	int64_t tick;
};

struct page_cache *page_cache_new(void)
{
	return calloc(1, sizeof(struct page_cache));
}

static void slot_clear(struct slot *s)
{
	free(s->key);
	free(s->body);
	memset(s, 0, sizeof *s);
}

void page_cache_free(struct page_cache *pc)
{
	if (!pc)
		return;
	for (int i = 0; i < PAGE_CACHE_SLOTS; i++)
		slot_clear(&pc->slots[i]);
	free(pc);
}

int page_cache_get(struct page_cache *pc, struct db *db, const char *key, int64_t now,
    struct resp *out)
{
	int64_t v, ch;
	if (!pc || db_change_state(db, &v, &ch) != 0)
		return 0;
	for (int i = 0; i < PAGE_CACHE_SLOTS; i++) {
		struct slot *s = &pc->slots[i];
		if (!s->key || strcmp(s->key, key) != 0)
			continue;
		if (s->data_version != v || s->changes != ch || now - s->made_at >= PAGE_CACHE_TTL) {
			slot_clear(s);
			return 0;
		}
		buf_add(&out->body, s->body, s->len);
		if (out->body.oom)
			return 0;
		out->status = 200;
		out->content_type = s->content_type;
		s->used_at = ++pc->tick;
		return 1;
	}
	return 0;
}

void page_cache_put(struct page_cache *pc, struct db *db, const char *key, int64_t now,
    const struct resp *r)
{
	int64_t v, ch;
	if (!pc || r->status != 200 || r->n_cookies || r->location || r->body.oom ||
	    db_change_state(db, &v, &ch) != 0)
		return;
	struct slot *victim = &pc->slots[0];
	for (int i = 0; i < PAGE_CACHE_SLOTS; i++) {
		struct slot *s = &pc->slots[i];
		if (s->key && strcmp(s->key, key) == 0) {
			victim = s;
			break;
		}
		if (!s->key || s->used_at < victim->used_at)
			victim = s;
	}
	slot_clear(victim);
	victim->key = strdup(key);
	victim->body = malloc(r->body.len ? r->body.len : 1);
	if (!victim->key || !victim->body) {
		slot_clear(victim);
		return;
	}
	memcpy(victim->body, r->body.s, r->body.len);
	victim->len = r->body.len;
	victim->content_type = r->content_type;
	victim->data_version = v;
	victim->changes = ch;
	victim->made_at = now;
	victim->used_at = ++pc->tick;
}
