/* E-mail addresses: normalisation and validation (the one place that decides when two addresses
 * are "the same": trimmed, lower-cased), and the one RFC 5322 address-list parser and formatter
 * (GMime underneath) that compose, reply, storage, display and sent mail all use. */
#ifndef CORE_ADDR_H
#define CORE_ADDR_H

#include <stddef.h>

/* An e-mail address with an optional display name. email is trimmed and lower-cased. */
struct addr {
	char *name;   /* owned, may be NULL; UTF-8, unquoted and decoded */
	char *email;  /* owned, never NULL in a filled addr */
};

/* Trim and lower-case s into out (size bytes). Returns out, or NULL if it does not fit. */
char *addr_normalize(const char *s, char *out, size_t size);
/* 1 if s (already normalized) looks like a usable address: local@domain.tld, no spaces. */
int addr_valid(const char *s);

/* Initialise GMime once per process (any thread, any number of times). Every function below
 * calls it; code elsewhere that uses GMime calls it instead of g_mime_init. */
void addr_init(void);

/* One address as RFC 5322 text for display, storage and form fields: the name as it is when it
 * is a plain phrase, else as a quoted-string (\" and \\ escaped); UTF-8 names kept as UTF-8
 * (RFC 6532). "Name <a@b>", or "a@b" without a name. Malloc'd, NULL when out of memory. */
char *addr_format(const char *name, const char *email);
/* addr_format of each address joined with ", " ("" for none). Malloc'd or NULL. */
char *addr_list_format(const struct addr *v, size_t n);
/* The list as a header value: quoted as above, non-ASCII names RFC 2047 encoded (GMime's
 * internet_address_list_to_string). Malloc'd or NULL. */
char *addr_list_header(const struct addr *v, size_t n);

/* Parse a typed list strictly ("a@b.com, Ann Lee <ann@c.org>; \"Lee, Ann\" <x@y.io>, Team: c@d.io;"):
 * items separated by ',' or ';' outside quoted-strings, comments, <> and groups; each item read
 * by GMime (quoted-strings, escapes, RFC 2047 words, comments); group members flattened; empty
 * items skipped; every address normalized and checked with addr_valid. On success *out
 * (calloc'd with room for max entries, NULL when *n is 0) holds *n addresses, owned by the
 * caller (addr_list_free(v, max)). Returns 0, or -1 with the offending item copied to bad (also
 * for more than max addresses or no memory); *out is then NULL. */
int addr_list_parse(const char *text, size_t max, struct addr **out, size_t *n, char *bad,
    size_t badlen);
/* Read a stored or received list leniently, as GMime reads a header: whatever yields a usable
 * address is kept (groups flattened), the rest dropped. *out malloc'd (NULL when *n is 0).
 * Returns 0, or -1 when out of memory. */
int addr_list_read(const char *text, struct addr **out, size_t *n);
/* Free the names and addresses of v[0..n) (unfilled entries are zero) and v. */
void addr_list_free(struct addr *v, size_t n);

#endif
