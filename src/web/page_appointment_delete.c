/* Delete an appointment: hide the user's own copy for good (a later sync keeps it hidden; the
 * colleagues who have it keep theirs; a CRM one's delete is queued for its owner's calendar). */
#include <stdio.h>

#include "core/db_web.h"
#include "core/log.h"
#include "core/timeutil.h"
#include "web/web.h"

int page_appointment_delete(struct ctx *c)
{
	int64_t id = parse_id(c->arg);
	struct appt_view a;
	if (!id)
		return 404;
	int rc = db_web_appt_get(c->db, id, &a);
	if (rc != 0)
		return rc == 1 ? 404 : 500;
	int access = db_web_appt_access(c->db, id, c->user.id), status;
	if (access != ACCESS_EDIT) {
		status = access < 0 ? 500 : 403;
	} else if (db_web_appt_hide(c->db, id, c->user.id) != 0) {
		status = 500;
	} else {
		log_info("appointment %lld hidden by user %lld", (long long)id, (long long)c->user.id);
		char url[32];
		struct local_time lt;
		if (tz_item_local(c->user.time_zone, a.start_at, a.all_day, &lt) == 0)
			snprintf(url, sizeof url, "/calendar?month=%04d-%02d", lt.y, lt.m);
		else
			snprintf(url, sizeof url, "/calendar");
		status = resp_redirect(c->resp, url);
	}
	appt_view_free(&a);
	return status;
}
