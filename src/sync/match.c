/* Address and Message-ID sets, reference chains and address lists: the pure half of matching
 * and threading. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/addr.h"
#include "sync/match.h"

#define MAX_REFS 64

int strset_has(const struct strset *s, const char *str)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->v[i], str) == 0)
			return 1;
	return 0;
}

int strset_add(struct strset *s, const char *str)
{
	if (strset_has(s, str))
		return 0;
	if (s->n == s->cap) {
		size_t ncap = s->cap ? s->cap * 2 : 8;
		char **nv = realloc(s->v, ncap * sizeof *nv);
		if (!nv)
			return -1;
		s->v = nv;
		s->cap = ncap;
	}
	if (!(s->v[s->n] = strdup(str)))
		return -1;
	s->n++;
	return 1;
}

void strset_free(struct strset *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	memset(s, 0, sizeof *s);
}

int addrset_add(struct strset *s, const char *email)
{
	char norm[320];
	if (!email || !addr_normalize(email, norm, sizeof norm) || !addr_valid(norm))
		return 0;
	return strset_add(s, norm) < 0 ? -1 : 0;
}

static int add_list(struct strset *s, const struct addr *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (addrset_add(s, v[i].email) < 0)
			return -1;
	return 0;
}

int addrset_of_msg(struct strset *s, const struct sync_msg *m)
{
	if (addrset_add(s, m->from.email) < 0 || add_list(s, m->to, m->n_to) < 0 ||
	    add_list(s, m->cc, m->n_cc) < 0)
		return -1;
	return 0;
}

int addrset_of_event(struct strset *s, const struct sync_event *e)
{
	if (addrset_add(s, e->organizer.email) < 0)
		return -1;
	for (size_t i = 0; i < e->n_attendees; i++)
		if (addrset_add(s, e->attendees[i].who.email) < 0)
			return -1;
	return 0;
}

/* Add id to s without surrounding blanks and <>; ignores empty ids and self. */
static int ref_add(struct strset *s, const char *id, const char *self)
{
	char buf[1024];
	if (!id)
		return 0;
	while (*id == ' ' || *id == '\t' || *id == '<')
		id++;
	size_t n = strlen(id);
	while (n && (id[n - 1] == ' ' || id[n - 1] == '\t' || id[n - 1] == '>' ||
	    id[n - 1] == '\r' || id[n - 1] == '\n'))
		n--;
	if (!n || n >= sizeof buf || s->n >= MAX_REFS)
		return 0;
	memcpy(buf, id, n);
	buf[n] = '\0';
	if (strpbrk(buf, " \t\r\n") || (self && strcmp(buf, self) == 0))
		return 0;
	return strset_add(s, buf) < 0 ? -1 : 0;
}

int msg_refs(struct strset *s, const struct sync_msg *m)
{
	for (size_t i = 0; i < m->n_references; i++)
		if (ref_add(s, m->references[i], m->message_id) < 0)
			return -1;
	return ref_add(s, m->in_reply_to, m->message_id);
}

char *strset_join(const struct strset *s)
{
	size_t len = 1;
	for (size_t i = 0; i < s->n; i++)
		len += strlen(s->v[i]) + 1;
	char *out = malloc(len), *p = out;
	if (!out)
		return NULL;
	*p = '\0';
	for (size_t i = 0; i < s->n; i++)
		p += sprintf(p, "%s%s", i ? " " : "", s->v[i]);
	return out;
}

char *addr_list_shown(const struct addr *v, size_t n)
{
	size_t shown = 0, kept = 0;
	while (kept < n && shown < ADDR_LIST_SHOWN)
		shown += v[kept++].email != NULL;
	size_t more = 0;
	for (size_t i = kept; i < n; i++)
		more += v[i].email != NULL;
	char *head = addr_list_format(v, kept);
	if (!head || !more)
		return head;
	char *out = NULL;
	if (asprintf(&out, "%s and %zu more", head, more) < 0)
		out = NULL;
	free(head);
	return out;
}

int msg_is_sent(const struct sync_msg *m, const char *link_address)
{
	char from[320], own[320];
	if (m->folder == FOLDER_SENT)
		return 1;
	if (!m->from.email || !link_address || !addr_normalize(m->from.email, from, sizeof from) ||
	    !addr_normalize(link_address, own, sizeof own))
		return 0;
	return strcmp(from, own) == 0;
}
