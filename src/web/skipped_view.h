/* Sync settings' "Not imported" list: the records of items the sync saw and did not import on
 * the signed-in user's own links (core/db_skipped.h), newest first, searched by ?q= (an address
 * or words of the subject) and paged by ?page=N, SKIPPED_PAGE to a page. */
#ifndef WEB_SKIPPED_VIEW_H
#define WEB_SKIPPED_VIEW_H

#include "web/web.h"

#define SKIPPED_PAGE 50

/* Set skipped_q, skipped_days ([sync] skipped_days), skipped_total, skipped_first, skipped_last, skipped (rows: date, kind, from,
 * subject, reason in words, the parser's message, addresses, provider id), skipped_newer_href
 * and skipped_older_href ("" when none) in v. Returns 0 or -1. */
int skipped_view(struct ctx *c, struct view *v);

#endif
