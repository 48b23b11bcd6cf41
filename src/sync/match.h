/* Pure helpers of the engine: sets of normalized addresses and of Message-IDs, the reference
 * chain of a message, and address lists as shown. No I/O; unit-tested in test_match.c and
 * test_thread.c. */
#ifndef SYNC_MATCH_H
#define SYNC_MATCH_H

#include <stddef.h>

#include "providers/provider.h"

/* A small set of distinct strings, in insertion order; owns its strings. */
struct strset {
	char **v;
	size_t n, cap;
};
/* Add a copy of s unless present; returns 1 added, 0 present, -1 out of memory. */
int strset_add(struct strset *s, const char *str);
int strset_has(const struct strset *s, const char *str);
void strset_free(struct strset *s);

/* Add the normalized (trimmed, lower-cased) form of email when it is a usable address. */
int addrset_add(struct strset *s, const char *email);
/* Every address of a message (From, To, Cc) or an event (organizer, attendees). */
int addrset_of_msg(struct strset *s, const struct sync_msg *m);
int addrset_of_event(struct strset *s, const struct sync_event *e);

/* The Message-IDs a message refers to (References oldest first, then In-Reply-To), without
 * <> or blanks, distinct, never its own id, at most 64. */
int msg_refs(struct strset *s, const struct sync_msg *m);
/* The strings of s joined with one space (malloc'd, "" when empty), NULL when out of memory. */
char *strset_join(const struct strset *s);

/* The list as stored for display: the first ADDR_LIST_SHOWN addresses as addr_list_format
 * gives them, then " and N more" for the rest (malloc'd, NULL when out of memory). Matching
 * reads the message's own lists, never this one. */
#define ADDR_LIST_SHOWN 100
char *addr_list_shown(const struct addr *v, size_t n);

/* 1 when the message was written by the link's own address (or sits in its Sent folder). */
int msg_is_sent(const struct sync_msg *m, const char *link_address);

#endif
