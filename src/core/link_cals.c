/* Lists of a link's calendars (link_cals.h). */
#include <stdlib.h>
#include <string.h>

#include "core/link_cals.h"

struct link_cal *link_cal_list_add(struct link_cal_list *l)
{
	if (l->n == l->cap) {
		size_t ncap = l->cap ? l->cap * 2 : 8;
		struct link_cal *nv = realloc(l->v, ncap * sizeof *nv);
		if (!nv)
			return NULL;
		l->v = nv;
		l->cap = ncap;
	}
	struct link_cal *c = &l->v[l->n++];
	memset(c, 0, sizeof *c);
	return c;
}

void link_cal_list_free(struct link_cal_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].href);
		free(l->v[i].name);
		free(l->v[i].color);
		free(l->v[i].cursor);
	}
	free(l->v);
	*l = (struct link_cal_list){ 0 };
}
