/* Full-text search: the user's words as a safe FTS5 query, and one ranked, visibility-filtered
 * query per kind. */
#include <stdlib.h>
#include <string.h>

#include "core/db_search.h"
#include "core/visibility.h"

#define SEARCH_MAX_TERMS 16

/* snippet(): the column chosen by FTS5 (-1), the marks, an ellipsis, about 12 tokens. */
#define SNIP(t) "snippet(" t ", -1, char(1), char(2), '…', 12)"

/* Ranking every match of a common word costs in proportion to the history (bm25 over hundreds
 * of thousands of rows). So the best matches are sought among the newest RECENT matches the
 * viewer may see: the rowid of the oldest of them bounds the ranked scan (FTS5 reads a rowid
 * range directly), and a word with fewer matches is ranked over all of them. */
#define RECENT "1000"
#define SINCE(t, row, from, vis) \
	t ".rowid >= (SELECT min(r) FROM (SELECT " t ".rowid AS r FROM " t " JOIN " from " ON " \
	row " = " t ".rowid WHERE " t " MATCH ?1 AND " vis " ORDER BY " t ".rowid DESC LIMIT " \
	RECENT "))"

static const char SQL_MAIL[] =
    "SELECT m.id, m.subject, " SNIP("messages_fts") ", CASE WHEN m.from_name != '' THEN"
    " m.from_name ELSE m.from_email END, m.sent_at FROM messages_fts"
    " JOIN messages m ON m.id = messages_fts.rowid WHERE messages_fts MATCH ?1 AND "
    SINCE("messages_fts", "m.id", "messages m", VIS_MSG("m.id", "?2")) " AND "
    VIS_MSG("m.id", "?2") " ORDER BY crm_rank(messages_fts) DESC, m.sent_at DESC LIMIT ?3";
static const char SQL_APPT[] =
    "SELECT a.id, a.title, " SNIP("appointments_fts") ", a.start_at, a.location"
    " FROM appointments_fts JOIN appointments a ON a.id = appointments_fts.rowid"
    " WHERE appointments_fts MATCH ?1 AND "
    SINCE("appointments_fts", "a.id", "appointments a", "a.hidden = 0 AND " VIS_APPT("a", "?2"))
    " AND a.hidden = 0 AND " VIS_APPT("a", "?2")
    " ORDER BY crm_rank(appointments_fts) DESC, a.start_at DESC LIMIT ?3";
static const char SQL_CONTACT[] =
    "SELECT c.id, c.name, " SNIP("contacts_fts") ", ac.number, ac.name FROM contacts_fts"
    " JOIN contacts c ON c.id = contacts_fts.rowid JOIN accounts ac ON ac.id = c.account_id"
    " WHERE contacts_fts MATCH ?1 ORDER BY contacts_fts.rank, c.name LIMIT ?3";
static const char SQL_ACCOUNT[] =
    "SELECT ac.id, ac.number, ac.name, " SNIP("accounts_fts") " FROM accounts_fts"
    " JOIN accounts ac ON ac.id = accounts_fts.rowid WHERE accounts_fts MATCH ?1"
    " ORDER BY accounts_fts.rank, ac.number LIMIT ?3";

/* PostgreSQL: the <kind>_fts tables of schema_pg.c (a tsvector per row, GIN-indexed), the
 * query as a tsquery (pg_query below), ts_rank for the order and ts_headline for the snippet,
 * with the same marks. The newest RECENT matches bound the ranked rows as above. */
#define PG_SNIP(cfg, text) \
	"ts_headline('" cfg "', " text ", q, 'StartSel=' || chr(1) || ', StopSel=' || chr(2) ||" \
	" ', MaxWords=12, MinWords=4, ShortWord=0, MaxFragments=1, FragmentDelimiter=…')"
#define PG_SINCE(t, row, from, vis) \
	"f.id >= (SELECT min(r) FROM (SELECT g.id AS r FROM " t " g JOIN " from " ON " row \
	" = g.id WHERE g.doc @@ q AND " vis " ORDER BY g.id DESC LIMIT " RECENT ") ra)"

static const char PG_MAIL[] =
    "SELECT m.id, m.subject, " PG_SNIP("crm_words", "m.subject || ' ' || m.body_text") ","
    " CASE WHEN m.from_name != '' THEN m.from_name ELSE m.from_email END, m.sent_at"
    " FROM to_tsquery('crm_words', ?1) q, messages_fts f JOIN messages m ON m.id = f.id"
    " WHERE f.doc @@ q AND " PG_SINCE("messages_fts", "m2.id", "messages m2",
    VIS_MSG("m2.id", "?2")) " AND " VIS_MSG("m.id", "?2")
    " ORDER BY ts_rank(f.doc, q, 1) DESC, m.sent_at DESC LIMIT ?3";
static const char PG_APPT[] =
    "SELECT a.id, a.title, " PG_SNIP("crm_words", "a.title || ' ' || a.location || ' ' || a.note")
    ", a.start_at, a.location"
    " FROM to_tsquery('crm_words', ?1) q, appointments_fts f JOIN appointments a ON a.id = f.id"
    " WHERE f.doc @@ q AND " PG_SINCE("appointments_fts", "a2.id", "appointments a2",
    "a2.hidden = 0 AND " VIS_APPT("a2", "?2")) " AND a.hidden = 0 AND " VIS_APPT("a", "?2")
    " ORDER BY ts_rank(f.doc, q, 1) DESC, a.start_at DESC LIMIT ?3";
static const char PG_CONTACT[] =
    "SELECT c.id, c.name, " PG_SNIP("crm_names", "c.name || ' ' || coalesce((SELECT"
    " string_agg(email, ' ') FROM contact_emails WHERE contact_id = c.id), '') || ' ' || c.phone")
    ", ac.number, ac.name FROM to_tsquery('crm_names', ?1) q, contacts_fts f"
    " JOIN contacts c ON c.id = f.id JOIN accounts ac ON ac.id = c.account_id"
    " WHERE f.doc @@ q ORDER BY ts_rank(f.doc, q, 1) DESC, c.name LIMIT ?3";
static const char PG_ACCOUNT[] =
    "SELECT ac.id, ac.number, ac.name, " PG_SNIP("crm_names", "ac.number || ' ' || ac.name"
    " || ' ' || ac.address1 || ' ' || ac.address2 || ' ' || ac.city || ' ' || ac.state || ' ' ||"
    " ac.zip") " FROM to_tsquery('crm_names', ?1) q, accounts_fts f"
    " JOIN accounts ac ON ac.id = f.id WHERE f.doc @@ q"
    " ORDER BY ts_rank(f.doc, q, 1) DESC, ac.number LIMIT ?3";

/* The character at p: its length in bytes (*len, at least 1) and 1 when it belongs to a word:
 * an ASCII letter or digit, or a character above ASCII outside the punctuation and symbol
 * blocks (letters of any script; the tokenizer sorts out the rest). Input is valid UTF-8 (the
 * input table checks it); a stray byte counts as one separator. */
static int word_char(const unsigned char *p, size_t *len)
{
	unsigned char ch = p[0];
	*len = 1;
	if (ch < 0x80)
		return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
	unsigned cp;
	size_t n;
	if ((ch & 0xe0) == 0xc0) {
		cp = ch & 0x1f;
		n = 2;
	} else if ((ch & 0xf0) == 0xe0) {
		cp = ch & 0x0f;
		n = 3;
	} else if ((ch & 0xf8) == 0xf0) {
		cp = ch & 0x07;
		n = 4;
	} else {
		return 0;
	}
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	*len = n;
	return !((cp >= 0x80 && cp <= 0xbf) || cp == 0xd7 || cp == 0xf7 ||
	    (cp >= 0x2000 && cp <= 0x2bff) || (cp >= 0x3000 && cp <= 0x303f) ||
	    (cp >= 0xfe30 && cp <= 0xfe4f) || (cp >= 0xff00 && cp <= 0xff0f) ||
	    (cp >= 0x1f000 && cp <= 0x1faff));
}

char *search_fts_query(const char *text, enum search_kind kind, int *none)
{
	int prefixes = kind == SEARCH_CONTACT || kind == SEARCH_ACCOUNT;
	*none = 0;
	size_t len = strlen(text);
	/* each byte at most once, plus per term two quotes, '*' and a space */
	char *q = malloc(len + 4 * SEARCH_MAX_TERMS + 1);
	if (!q)
		return NULL;
	size_t n = 0, cl;
	int terms = 0;
	for (const unsigned char *p = (const unsigned char *)text; *p && terms < SEARCH_MAX_TERMS;) {
		if (!word_char(p, &cl)) {
			p += cl;
			continue;
		}
		const unsigned char *start = p;
		while (*p && word_char(p, &cl))
			p += cl;
		if (terms++)
			q[n++] = ' ';
		q[n++] = '"';
		memcpy(q + n, start, (size_t)(p - start));
		n += (size_t)(p - start);
		q[n++] = '"';
		if (prefixes)
			q[n++] = '*';
	}
	q[n] = '\0';
	if (!terms) {
		free(q);
		*none = 1;
		return NULL;
	}
	return q;
}

/* The FTS5 query search_fts_query wrote ("w1" "w2"*: every word, quoted, a prefix starred) as
 * a tsquery: 'w1' & 'w2':*. The words hold no quote or backslash (word_char). */
static char *pg_query(const char *fts)
{
	size_t n = 0;
	char *q = malloc(strlen(fts) * 3 + 1);   /* a space becomes three bytes */
	if (!q)
		return NULL;
	for (const char *p = fts; *p; p++) {
		if (*p == '"')
			q[n++] = '\'';
		else if (*p == '*') {
			q[n++] = ':';
			q[n++] = '*';
		} else if (*p == ' ') {
			memcpy(q + n, " & ", 3);
			n += 3;
		} else
			q[n++] = *p;
	}
	q[n] = '\0';
	return q;
}

int db_search(struct db *db, enum search_kind kind, const char *fts_query, int64_t viewer,
    int limit, struct web_rows *out)
{
	static const char *const sql[SEARCH_NKINDS] = { SQL_MAIL, SQL_APPT, SQL_CONTACT,
	    SQL_ACCOUNT };
	static const char *const pg[SEARCH_NKINDS] = { PG_MAIL, PG_APPT, PG_CONTACT, PG_ACCOUNT };
	static const int ncols[SEARCH_NKINDS] = { 4, 4, 4, 3 };
	if ((unsigned)kind >= SEARCH_NKINDS)
		return -1;
	struct db_stmt *st = db_stmt2(db, sql[kind], pg[kind]);
	if (!st)
		return -1;
	char *tsq = NULL;
	if (strcmp(db_engine(db), "postgresql") == 0 && !(tsq = pg_query(fts_query)))
		return -1;
	db_bind_text(st, 1, tsq ? tsq : fts_query);
	free(tsq);
	db_bind_int64(st, 2, viewer);
	db_bind_int(st, 3, limit);
	return db_web_rows_collect(db, st, 1, ncols[kind], out);
}
