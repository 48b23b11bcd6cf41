/* The private calendar feed's text, built with libical. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libical/ical.h>

#include "core/feed_ics.h"
#include "core/log.h"
#include "core/timeutil.h"

char *feed_event_uid(const struct feed_event *e)
{
	char *out = NULL;
	if (e->recurrence_id && *e->recurrence_id)
		return asprintf(&out, "%s-%s", e->uid, e->recurrence_id) < 0 ? NULL : out;
	return strdup(e->uid);
}

static struct icaltimetype utc_time(int64_t t)
{
	return icaltime_from_timet_with_zone((time_t)t, 0, icaltimezone_get_utc_timezone());
}

/* DTSTART and DTEND: UTC date-times, or for an all-day event its dates (VALUE=DATE, DTEND the
 * day after the last), the same in every zone. */
static void add_times(icalcomponent *ev, const struct feed_event *e)
{
	int minutes = e->duration_min > 0 ? e->duration_min : 0;
	if (e->all_day) {
		struct ymd day = ymd_of_utc(e->start_at);
		struct icaltimetype d = icaltime_null_date();
		d.year = day.y;
		d.month = day.m;
		d.day = day.d;
		struct icaltimetype end = d;
		icaltime_adjust(&end, all_day_days(minutes), 0, 0, 0);
		icalcomponent_add_property(ev, icalproperty_new_dtstart(d));
		icalcomponent_add_property(ev, icalproperty_new_dtend(end));
		return;
	}
	icalcomponent_add_property(ev, icalproperty_new_dtstart(utc_time(e->start_at)));
	icalcomponent_add_property(ev, icalproperty_new_dtend(utc_time(e->start_at +
	    (int64_t)minutes * 60)));
}

static icalcomponent *event_of(const struct feed_event *e, int64_t now)
{
	char *uid = feed_event_uid(e);
	icalcomponent *ev = uid ? icalcomponent_new_vevent() : NULL;
	if (!ev) {
		free(uid);
		return NULL;
	}
	icalcomponent_add_property(ev, icalproperty_new_uid(uid));
	free(uid);
	icalcomponent_add_property(ev, icalproperty_new_dtstamp(utc_time(now)));
	add_times(ev, e);
	icalcomponent_add_property(ev, icalproperty_new_summary(e->title ? e->title : ""));
	if (e->location && *e->location)
		icalcomponent_add_property(ev, icalproperty_new_location(e->location));
	if (e->description && *e->description)
		icalcomponent_add_property(ev, icalproperty_new_description(e->description));
	icalcomponent_add_property(ev, icalproperty_new_status(
	    e->cancelled ? ICAL_STATUS_CANCELLED : ICAL_STATUS_CONFIRMED));
	if (e->updated_at > 0)
		icalcomponent_add_property(ev, icalproperty_new_lastmodified(utc_time(e->updated_at)));
	return ev;
}

char *feed_ics_build(const struct feed_event *v, size_t n, const char *name, int64_t now)
{
	char *res = NULL;
	icalcomponent *cal = icalcomponent_new_vcalendar();
	if (!cal)
		return NULL;
	icalcomponent_add_property(cal, icalproperty_new_version("2.0"));
	icalcomponent_add_property(cal, icalproperty_new_prodid("-//crm//calendar feed//EN"));
	icalcomponent_add_property(cal, icalproperty_new_calscale("GREGORIAN"));
	icalcomponent_add_property(cal, icalproperty_new_method(ICAL_METHOD_PUBLISH));
	char clean[200];
	snprintf(clean, sizeof clean, "%s", name ? name : "");
	for (char *q = clean; *q; q++)
		if (strchr(",;\\\r\n", *q))
			*q = ' ';   /* X- values are not escaped by libical: keep TEXT specials out */
	if (clean[0]) {
		icalproperty *p = icalproperty_new_x(clean);
		if (p) {
			icalproperty_set_x_name(p, "X-WR-CALNAME");
			icalcomponent_add_property(cal, p);
		}
	}
	for (size_t i = 0; i < n; i++) {
		if (!v[i].uid || !*v[i].uid) {
			log_warnx("feed: an event without a UID is left out");
			continue;
		}
		icalcomponent *ev = event_of(&v[i], now);
		if (!ev)
			goto out;
		icalcomponent_add_component(cal, ev);
	}
	res = icalcomponent_as_ical_string_r(cal);
out:
	icalcomponent_free(cal);
	icalerror_clear_errno();
	return res;
}
