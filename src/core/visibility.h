/* Who may see what: the one rule, as SQL fragments the queries of every page splice in, with the
 * viewer's id as a bound parameter (for example "?4").
 *
 * A copy is one user's row for a mail (message_users) or a meeting (appointment_users). A viewer
 * sees a copy when it is their own, when its owner's calendar is Public, or when the owner's
 * Private calendar is shared with them (calendar_shares). Admins manage users and links; they
 * see colleagues' copies by this same rule (they may also change any visible item's Regarding).
 * A hidden copy shows to no one: hidden 1, its owner deleted it; hidden 2, a blocklist hid it
 * (core/db_blocklist.h), until the block goes.
 *
 * A mail is shown when the viewer sees one of its copies, and each message of a thread is judged
 * alone: what the viewer does not see shows nowhere (subject, date, quote, count). A meeting's
 * details are shown when the viewer sees one of its copies; the calendars show it as a Busy
 * block otherwise.
 *
 * Not copies, and never shared: the records of what a link's sync did not import
 * (skipped_items) are its owner's alone on the pages (db_skipped_list); `crmctl why` shows all. */
#ifndef CORE_VISIBILITY_H
#define CORE_VISIBILITY_H

/* The copy owned by user id expression owner is open to viewer. */
#define VIS_COPY(owner, viewer) \
	"(" owner " = " viewer " OR EXISTS (SELECT 1 FROM users vo WHERE vo.id = " owner \
	" AND (vo.calendar_privacy = 'public' OR EXISTS (SELECT 1 FROM calendar_shares vs" \
	" WHERE vs.owner_id = vo.id AND vs.viewer_id = " viewer "))))"

/* The message row id expression msg has a copy open to viewer. */
#define VIS_MSG(msg, viewer) \
	"EXISTS (SELECT 1 FROM message_users vmu WHERE vmu.message_id = " msg \
	" AND vmu.hidden = 0 AND " VIS_COPY("vmu.user_id", viewer) ")"

/* The appointment row a has a copy open to viewer. A CRM appointment whose assigned user has no
 * copy row (older rows) counts as that user's copy. */
#define VIS_APPT(a, viewer) \
	"(EXISTS (SELECT 1 FROM appointment_users vau WHERE vau.appointment_id = " a ".id" \
	" AND vau.hidden = 0 AND " VIS_COPY("vau.user_id", viewer) ") OR (" a ".assigned_user_id" \
	" IS NOT NULL AND NOT EXISTS (SELECT 1 FROM appointment_users vah WHERE" \
	" vah.appointment_id = " a ".id AND vah.user_id = " a ".assigned_user_id) AND " \
	VIS_COPY(a ".assigned_user_id", viewer) "))"

/* The appointment row a has a copy that is not hidden (it is on someone's calendar). */
#define APPT_HELD(a) \
	"(EXISTS (SELECT 1 FROM appointment_users hau WHERE hau.appointment_id = " a ".id" \
	" AND hau.hidden = 0) OR (" a ".assigned_user_id IS NOT NULL AND NOT EXISTS (SELECT 1" \
	" FROM appointment_users hah WHERE hah.appointment_id = " a ".id AND hah.user_id = " \
	a ".assigned_user_id)))"

/* The appointment row a is on user's own calendar: their copy, not hidden. */
#define APPT_MINE(a, user) \
	"(EXISTS (SELECT 1 FROM appointment_users mau WHERE mau.appointment_id = " a ".id" \
	" AND mau.user_id = " user " AND mau.hidden = 0) OR (" a ".assigned_user_id = " user \
	" AND NOT EXISTS (SELECT 1 FROM appointment_users mah WHERE mah.appointment_id = " a ".id" \
	" AND mah.user_id = " user ")))"

#endif
