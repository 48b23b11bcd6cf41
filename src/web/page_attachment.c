/* Download of one attachment: the viewer's right checked as for its message, then the bytes
 * (small blobs from the database) or an X-Accel-Redirect to nginx's internal /_files/ location
 * (files), always as a download unless ?inline=1 asks for an image that may be shown. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/attach.h"
#include "core/db_attach.h"
#include "core/db_calendar.h"
#include "web/web.h"

#define FILES_LOCATION "/_files/"   /* nginx.conf.example: location /_files/ { internal; ... } */

int page_attachment(struct ctx *c)
{
	int64_t id = parse_id(c->arg);
	struct attach_row a = { 0 };
	char type[128], disp[1200], rel[80];
	int st = 500, rc;
	if (!id)
		return 404;
	if ((rc = db_attach_get(c->db, id, 1, &a)) != 0)
		return rc == 1 ? 404 : 500;
	/* not visible answers as not there: an attachment id says nothing of other users' mail */
	if ((rc = db_msg_visible(c->db, a.message_id, c->user.id)) != 1) {
		st = rc == 0 ? 404 : 500;
		goto done;
	}
	if (strcmp(a.state, "stored") != 0 || !a.blob) {
		st = page_error(c, 404, strcmp(a.state, "too_large") == 0 ?
		    "This attachment was not stored (too large)." :
		    "This attachment was not stored (it could not be decoded).");
		goto done;
	}
	const char *want = q_get(c, "inline");
	int show = want && strcmp(want, "1") == 0 && attach_inline_ok(a.media_type);
	attach_served_type(a.media_type, type, sizeof type);
	if (attach_disposition(a.name, show, disp, sizeof disp) != 0 &&
	    attach_disposition("attachment", show, disp, sizeof disp) != 0)
		goto done;
	struct buf h = { 0 };
	buf_printf(&h, "Content-Disposition: %s\r\n", disp);
	if (a.in_file) {
		if (attach_rel_path(a.blob, rel, sizeof rel) != 0)
			goto done;
		buf_printf(&h, "X-Accel-Redirect: %s%s\r\n", FILES_LOCATION, rel);
	} else {
		buf_free(&c->resp->body);
		buf_add(&c->resp->body, (const char *)(a.data ? a.data : (unsigned char *)""),
		    a.data_len);
	}
	if (h.oom || c->resp->body.oom || !(c->resp->ctype = strdup(type))) {
		buf_free(&h);
		goto done;
	}
	c->resp->headers = buf_take(&h);
	st = c->resp->headers ? 200 : 500;
done:
	attach_row_free(&a);
	return st;
}
