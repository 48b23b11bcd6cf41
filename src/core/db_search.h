/* Full-text search over mail, appointments, contacts and accounts (the FTS5 indexes of
 * schema.c), filtered by the visibility rules of the calendars (core/visibility.h). */
#ifndef CORE_DB_SEARCH_H
#define CORE_DB_SEARCH_H

#include <stddef.h>

#include "core/db.h"
#include "core/db_web.h"

/* Snippets mark each match between these two bytes; the page escapes the text and turns them
 * into <mark> (html_snippet), so no stored text ever reaches the HTML unescaped. */
#define SEARCH_MARK_OPEN '\001'
#define SEARCH_MARK_CLOSE '\002'

enum search_kind { SEARCH_MAIL, SEARCH_APPT, SEARCH_CONTACT, SEARCH_ACCOUNT, SEARCH_NKINDS };

/* The FTS5 query for what a user typed, for one kind: each run of letters and digits (any script)
 * becomes a quoted phrase, all of them required, at most 16. For mail and appointments each is a
 * whole word, which the index's Porter stemmer also matches in its other forms (invoice finds
 * invoices, invoiced); for contacts and accounts each is a prefix ("word"*), so the start of a
 * name, address or number finds them. (FTS5 answers a prefix by merging the matches of every
 * word that starts with it over the whole index: over a million mails a common one costs 100 ms
 * and more, a whole word a few.) Returns a malloc'd string, or NULL with *none set when the text
 * holds no word (nothing to search), or NULL on no memory (*none 0). Pure. */
char *search_fts_query(const char *text, enum search_kind kind, int *none);

/* The best matches of fts_query (from search_fts_query) of one kind that viewer may see, best
 * first, at most limit. Rows: id, then by kind
 *   mail:        c[0] subject, c[1] snippet, c[2] sender, c[3] sent_at (epoch, as text)
 *   appointment: c[0] title, c[1] snippet, c[2] start_at (epoch), c[3] location
 *   contact:     c[0] name, c[1] snippet, c[2] account number, c[3] account name
 *   account:     c[0] number, c[1] name, c[2] snippet
 * Returns 0 or -1. */
int db_search(struct db *db, enum search_kind kind, const char *fts_query, int64_t viewer,
    int limit, struct web_rows *out);

#endif
