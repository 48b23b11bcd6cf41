/* Blocklists: addresses and domains whose mail and meetings are never imported, a user's own
 * and the company's (pure: the typed pattern and the one matcher that the store and the hiding
 * of imported items both use; the rows live in blocklist, see core/db_blocklist.h). */
#ifndef CORE_BLOCKLIST_H
#define CORE_BLOCKLIST_H

#include <stddef.h>
#include <stdint.h>

enum block_kind { BLOCK_ADDRESS, BLOCK_DOMAIN };

struct block {
	int64_t id;                 /* 0 when not read from the table */
	int company;                /* 1: the company's (user_id 0), 0: user_id's own */
	int64_t user_id;
	enum block_kind kind;
	char *pattern;              /* owned: a normalized address, or a domain (no '@') */
	int64_t created_by;         /* 0: crmctl, or the user is gone */
	int64_t created_at;
	char *created_by_email;     /* owned, NULL when not read back or no one */
};
struct blocklist {
	struct block *v;
	size_t n, cap;
};

/* Append a copy of pattern (already normalized by blocklist_pattern) as a block of kind; the
 * new entry (zeroed but for those two) or NULL when out of memory. */
struct block *blocklist_add(struct blocklist *l, enum block_kind kind, const char *pattern);
/* Free what the entries own, then the array; l is left empty. */
void blocklist_free(struct blocklist *l);

/* The pattern typed ("Ann@Example.com", "example.com", "@example.com", "*.example.com") as it is
 * stored: trimmed and lower-cased into out (size bytes), *kind an address (when it holds '@'
 * before a local part) or a domain (labels of letters, digits and '-', at least two, no empty
 * one). Returns 0, or -1 when it is neither or does not fit. */
int blocklist_pattern(const char *text, char *out, size_t size, enum block_kind *kind);

/* The first block of l that address falls under (any case, trimmed): an address block equal to
 * it, or a domain block equal to its domain or to a parent of it ("example.com" takes
 * "a@example.com" and "a@mail.example.com", never "a@evilexample.com"). NULL when none. */
const struct block *blocklist_match(const struct blocklist *l, const char *address);

const char *block_kind_name(enum block_kind k);   /* "address" or "domain" */

#endif
