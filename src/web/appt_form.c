/* Reading and showing the appointment form. */
#include <stdio.h>
#include <string.h>

#include "core/timeutil.h"
#include "web/appt_form.h"

const char *const appt_types[] = { "Appointment", "Follow Up", "Site Visit", "Sales Call",
	"Service Review", "Estimate", NULL };

char *fmt_duration(int minutes, char *out, size_t size)
{
	if (minutes >= 60 && minutes % 60 == 0)
		snprintf(out, size, "%dh", minutes / 60);
	else if (minutes > 60)
		snprintf(out, size, "%dh %dm", minutes / 60, minutes % 60);
	else
		snprintf(out, size, "%dm", minutes);
	return out;
}

static void add_error(struct appt_input *in, const char *msg)
{
	if (in->n_errors < APPT_ERRORS_MAX)
		in->errors[in->n_errors++] = msg;
}

static const char *text_field(const struct ctx *c, struct appt_input *in, const char *key,
    const char *msg)
{
	const char *s = f_get(c, key);
	if (s && f_invalid(c, key)) {
		add_error(in, msg);
		return "";
	}
	return s ? s : "";
}

int appt_form_read(const struct ctx *c, int provider_fields, struct appt_input *in)
{
	memset(in, 0, sizeof *in);
	in->note = text_field(c, in, "note", "The note is too long or holds invalid characters.");
	in->completion_note = text_field(c, in, "completion_note",
	    "The completion note is too long or holds invalid characters.");
	const char *complete = f_get(c, "complete");
	in->complete = complete && (strcmp(complete, "1") == 0 || strcmp(complete, "on") == 0);
	if (!provider_fields)
		return in->n_errors;
	struct ymd d = { 0 };
	int h = 0, m = 0, ok_date, ok_time;
	const char *date = f_get(c, "date"), *time = f_get(c, "time"), *dur = f_get(c, "duration");
	ok_date = date && !f_invalid(c, "date") && date_parse(date, &d) == 0;
	ok_time = time && !f_invalid(c, "time") && clock_parse(time, &h, &m) == 0;
	if (!ok_date)
		add_error(in, "Date: enter a real date as YYYY-MM-DD, for example 2023-07-31.");
	if (!ok_time)
		add_error(in, "Time: enter a time such as 11:30 AM or 14:30.");
	if (!dur || f_invalid(c, "duration") || duration_parse(dur, &in->duration_min) != 0)
		add_error(in, "Duration: enter a length such as 30m, 1h or 1h 30m (up to 14 days).");
	if (ok_date && ok_time &&
	    tz_to_utc(c->user.time_zone, d.y, d.m, d.d, h, m, &in->start_at) != 0)
		add_error(in, "Date and time: that time does not exist in your time zone.");
	in->location = text_field(c, in, "location", "Location: too long or invalid characters.");
	in->title = text_field(c, in, "title", "Title: too long or invalid characters.");
	in->type = text_field(c, in, "type", "Type: not a known appointment type.");
	if (!*in->title)
		add_error(in, "Title: enter a title.");
	int known = 0;
	for (int i = 0; appt_types[i]; i++)
		known |= strcmp(appt_types[i], in->type) == 0;
	if (!known)
		add_error(in, "Type: choose one of the listed types.");
	return in->n_errors;
}

static const char *posted_or(const struct ctx *c, int posted, const char *key, const char *dflt)
{
	const char *s = posted ? f_get(c, key) : NULL;
	return s ? s : dflt;
}

void appt_form_view(const struct ctx *c, struct view *v, const struct appt_view *a,
    const char *day, int posted)
{
	char date[16] = "", clk[16] = "9:00 AM", dur[32] = "30m";
	struct local_time lt;
	if (day)
		snprintf(date, sizeof date, "%s", day);
	if (a && tz_item_local(c->user.time_zone, a->start_at, a->all_day, &lt) == 0) {
		snprintf(date, sizeof date, "%04d-%02d-%02d", lt.y, lt.m, lt.d);
		fmt_clock(lt.hour, lt.min, clk, sizeof clk);
		fmt_duration(a->duration_min, dur, sizeof dur);
	}
	/* Imported appointments always show the stored provider fields. */
	int p = posted && !(a && a->imported);
	view_str(v, "date", posted_or(c, p, "date", date));
	view_str(v, "time", posted_or(c, p, "time", clk));
	view_str(v, "duration", posted_or(c, p, "duration", dur));
	view_str(v, "location", posted_or(c, p, "location", a ? a->location : ""));
	view_str(v, "title", posted_or(c, p, "title", a ? a->title : ""));
	view_str(v, "note", posted_or(c, posted, "note", a ? a->note : ""));
	view_str(v, "completion_note", posted_or(c, posted, "completion_note",
	    a ? a->completion_note : ""));
	int complete = a ? a->complete : 0;
	if (posted) {
		const char *cm = f_get(c, "complete");
		complete = cm && (strcmp(cm, "1") == 0 || strcmp(cm, "on") == 0);
	}
	view_int(v, "complete", complete);
	const char *type = posted_or(c, p, "type", a ? a->type : "Appointment");
	view_str(v, "type", type);
	struct vlist *types = vlist_new();
	for (int i = 0; appt_types[i]; i++) {
		struct vlist *r = vlist_row(types);
		vrow_str(r, appt_types[i]);
		vrow_int(r, strcmp(appt_types[i], type) == 0);
	}
	view_list(v, "types", types);
	view_str(v, "csrf", c->csrf);
}
