/* Pure text work of the compose form: address lists as typed, reply subject, quoted body and
 * the References of a reply. No I/O; unit-tested in tests/unit/test_compose.c. */
#ifndef WEB_COMPOSE_TEXT_H
#define WEB_COMPOSE_TEXT_H

#include <stddef.h>

#include "providers/provider.h"

/* At most this many addresses in one To or Cc field. */
#define COMPOSE_MAX_ADDRS 50

/* Parse a typed To or Cc field with addr_list_parse (at most COMPOSE_MAX_ADDRS addresses, *out
 * with room for that many, freed with compose_addrs_free(v, COMPOSE_MAX_ADDRS)). 0 or -1 with
 * the offending item in bad. */
int compose_addrs_parse(const char *text, struct addr **out, size_t *n, char *bad, size_t badlen);
void compose_addrs_free(struct addr *v, size_t n);

/* "Re: " + subject, without piling up prefixes ("Re: re: RE: x" -> "Re: x"). Malloc'd or NULL. */
char *compose_reply_subject(const char *subject);

/* The body of a reply: two empty lines, "intro", then every line of body prefixed "> "
 * (CRLF and CR read as LF). Malloc'd or NULL. */
char *compose_quote(const char *intro, const char *body);

/* The References of a reply: the parent's refs (space-separated Message-IDs, may be NULL) then
 * the parent's Message-ID, keeping the first and the last ones when more than max. Fills
 * v[0..*n) with pointers into the malloc'd buffer returned (free it, not the pointers); NULL on
 * no memory. */
char *compose_refs(const char *refs, const char *parent_id, const char **v, size_t max,
    size_t *n);

/* Drop one pair of surrounding <> (and blanks) from a Message-ID, in place; returns s. */
char *compose_bare_id(char *s);

#endif
