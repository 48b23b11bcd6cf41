/* The blocklists on the pages: Sync settings' "Blocked addresses" (the user's own) and the
 * admin page's company list, their notices, and the POSTs that add and remove a block
 * (page_blocklist.c; the admin ones are R_ADMIN routes, CSRF-checked like every POST). */
#ifndef WEB_BLOCKLIST_VIEW_H
#define WEB_BLOCKLIST_VIEW_H

#include "web/web.h"

/* Set blocks (rows: id, pattern, kind, added by, added on), blocks_count and block_notice
 * (from ?done= and ?n=, "" when none) in v for the company's list (company 1) or the user's.
 * Returns 0 or -1. */
int blocklist_view(struct ctx *c, struct view *v, int company);

#endif
