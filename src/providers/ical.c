/* iCalendar on libical: VEVENTs (with RRULE/RDATE/EXDATE/overrides expanded) to sync_event, and
 * a sync_event to the VCALENDAR pushed for a CRM appointment. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <libical/ical.h>

#include "core/log.h"
#include "core/timeutil.h"
#include "core/tzwin.h"
#include "providers/ical.h"

/* Iterations of one RRULE before giving up (a SECONDLY rule from 1970 must not spin). */
#define ICAL_MAX_STEPS 200000

struct ctx {
	icalcomponent *root;
	int64_t ws, we;
	const char *owner_tz;   /* floating times and unknown TZIDs are read here; NULL: UTC */
	struct event_list *out;
	char *err;
	size_t errlen;
};

/* A time resolved to UTC, with what is needed to read the series' other times the same way and
 * to write the event back. */
struct when {
	int64_t epoch;
	int all_day;
	icaltimezone *zone;     /* the file's VTIMEZONE or libical's zone; NULL: see glib_tz */
	const char *glib_tz;    /* without zone: the IANA zone wall times are read in through GLib
	                         * (a Windows name's zone libical lacks, the owner's zone for a
	                         * floating time or an unknown TZID); NULL: UTC or a date */
	const char *iana;       /* borrowed from libical, the table or the caller, may be NULL */
};

static void set_err(struct ctx *c, const char *fmt, ...) LOG_PRINTF(2, 3);
static void set_err(struct ctx *c, const char *fmt, ...)
{
	va_list ap;
	if (!c->err || !c->errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(c->err, c->errlen, fmt, ap);
	va_end(ap);
}

static char *dup_or_null(const char *s)
{
	return s && *s ? strdup(s) : NULL;
}

/* A built-in zone by IANA name, NULL when libical does not know it. */
static icaltimezone *builtin(const char *name)
{
	if (!name || !*name || strcasecmp(name, "UTC") == 0)
		return NULL;
	return icaltimezone_get_builtin_timezone(name);
}

/* Resolve a TZID: the file's VTIMEZONE first, then libical's zones, then Windows names.
 * *iana gets the IANA name when one is known, else the TZID itself. NULL: libical has no such
 * zone (the caller tries GLib, then the owner's zone). */
static icaltimezone *zone_for(icalcomponent *root, const char *tzid, const char **iana)
{
	icaltimezone *tz = icalcomponent_get_timezone(root, tzid);
	const char *win = tzwin_to_iana(tzid);
	icaltimezone *bi = builtin(tzid);

	*iana = tzid;
	if (bi)
		*iana = icaltimezone_get_location(bi);
	else if (win)
		*iana = win;
	else {
		icaltimezone *pre = icaltimezone_get_builtin_timezone_from_tzid(tzid);
		if (pre && icaltimezone_get_location(pre)) {
			bi = pre;
			*iana = icaltimezone_get_location(pre);
		} else if (tz && icaltimezone_get_location(tz) && builtin(icaltimezone_get_location(tz))) {
			*iana = icaltimezone_get_location(tz);
		}
	}
	if (!*iana)
		*iana = tzid;
	if (tz)
		return tz;
	if (bi)
		return bi;
	if (win)
		return builtin(win);
	return NULL;
}

/* The UTC epoch of wall time t read the way w reads its times (a date or a UTC time as UTC). */
static int64_t epoch_as(const struct when *w, struct icaltimetype t)
{
	icaltimezone *utc = icaltimezone_get_utc_timezone();
	int64_t e;

	if (!t.is_date && !icaltime_is_utc(t) && w->zone) {
		t.zone = NULL;
		return icaltime_as_timet_with_zone(t, w->zone);
	}
	if (!t.is_date && !icaltime_is_utc(t) && w->glib_tz &&
	    tz_to_utc(w->glib_tz, t.year, t.month, t.day, t.hour, t.minute, &e) == 0)
		return e + t.second;
	t.zone = NULL;
	return icaltime_as_timet_with_zone(t, utc);
}

/* The UTC epoch of a DATE or DATE-TIME value of property p: a date at 00:00 UTC, a UTC time as
 * it is, a TZID through the file's VTIMEZONE, libical's zones, the Windows table or GLib's zones;
 * a floating time and a TZID none of them knows in the owner's zone (logged for a TZID). */
static int when_of(struct ctx *c, icalproperty *p, struct icaltimetype t, struct when *w)
{
	memset(w, 0, sizeof *w);
	if (icaltime_is_null_time(t) || !icaltime_is_valid_time(t) || t.year < 1 || t.year > 9999)
		return -1;
	w->all_day = t.is_date;
	if (t.is_date || icaltime_is_utc(t)) {
		w->epoch = epoch_as(w, t);
		return 0;
	}
	icalparameter *tp = icalproperty_get_first_parameter(p, ICAL_TZID_PARAMETER);
	const char *tzid = tp ? icalparameter_get_tzid(tp) : NULL;
	if (tzid && *tzid)
		w->zone = zone_for(c->root, tzid, &w->iana);
	if (!w->zone) {
		w->glib_tz = tzid && *tzid ? tz_resolve(tzid) : NULL;
		if (!w->glib_tz) {
			const char *owner = c->owner_tz && tz_valid(c->owner_tz) ? c->owner_tz : NULL;
			if (tzid && *tzid)
				log_warnx("ical: unknown TZID \"%s\", read in the owner's zone %s", tzid,
				    owner ? owner : "UTC");
			w->glib_tz = owner;
		}
		w->iana = w->glib_tz;
	}
	w->epoch = epoch_as(w, t);
	return 0;
}

static int prop_when(struct ctx *c, icalcomponent *comp, icalproperty_kind kind, struct when *w)
{
	icalproperty *p = icalcomponent_get_first_property(comp, kind);
	if (!p)
		return -1;
	struct icaltimetype t;
	if (kind == ICAL_DTSTART_PROPERTY)
		t = icalproperty_get_dtstart(p);
	else if (kind == ICAL_DTEND_PROPERTY)
		t = icalproperty_get_dtend(p);
	else
		t = icalproperty_get_recurrenceid(p);
	return when_of(c, p, t, w);
}

/* Start and duration of a VEVENT; -1 when DTSTART is missing or unreadable. */
static int event_time(struct ctx *c, icalcomponent *ev, struct when *start, int *dur_min)
{
	struct when end;
	icalproperty *dp;

	if (prop_when(c, ev, ICAL_DTSTART_PROPERTY, start) < 0)
		return -1;
	*dur_min = start->all_day ? 1440 : 0;
	if (prop_when(c, ev, ICAL_DTEND_PROPERTY, &end) == 0) {
		*dur_min = end.epoch > start->epoch ? (int)((end.epoch - start->epoch) / 60) : 0;
	} else if ((dp = icalcomponent_get_first_property(ev, ICAL_DURATION_PROPERTY))) {
		struct icaldurationtype d = icalproperty_get_duration(dp);
		int secs = icaldurationtype_as_int(d);
		if (!icaldurationtype_is_bad_duration(d) && secs > 0)
			*dur_min = secs / 60;
	}
	return 0;
}

/* "mailto:Ann@X.org " -> "ann@x.org"; NULL for an empty value. */
static char *clean_email(const char *v)
{
	if (!v)
		return NULL;
	while (isspace((unsigned char)*v))
		v++;
	if (strncasecmp(v, "mailto:", 7) == 0)
		v += 7;
	char *s = strdup(v);
	if (!s)
		return NULL;
	size_t n = strlen(s);
	while (n && isspace((unsigned char)s[n - 1]))
		s[--n] = 0;
	for (char *q = s; *q; q++)
		*q = (char)tolower((unsigned char)*q);
	if (!*s) {
		free(s);
		return NULL;
	}
	return s;
}

/* CN with RFC 6868 escapes (^' ^n ^^) decoded; malloc'd or NULL. */
static char *param_cn(icalproperty *p)
{
	icalparameter *cp = icalproperty_get_first_parameter(p, ICAL_CN_PARAMETER);
	char *s = cp ? dup_or_null(icalparameter_get_cn(cp)) : NULL;
	char *r = s, *w = s;

	if (!s)
		return NULL;
	while (*r) {
		if (r[0] == '^' && (r[1] == '\'' || r[1] == 'n' || r[1] == '^')) {
			*w++ = r[1] == '\'' ? '"' : r[1] == 'n' ? '\n' : '^';
			r += 2;
		} else {
			*w++ = *r++;
		}
	}
	*w = 0;
	return s;
}

static char *param_partstat(icalproperty *p)
{
	icalparameter *pp = icalproperty_get_first_parameter(p, ICAL_PARTSTAT_PARAMETER);
	if (!pp)
		return NULL;
	icalparameter_partstat v = icalparameter_get_partstat(pp);
	if (v == ICAL_PARTSTAT_X)
		return dup_or_null(icalparameter_get_xvalue(pp));
	return dup_or_null(icalparameter_enum_to_string(v));
}

static int fill_people(struct sync_event *e, icalcomponent *ev)
{
	icalproperty *p = icalcomponent_get_first_property(ev, ICAL_ORGANIZER_PROPERTY);
	size_t n = 0;

	if (p) {
		e->organizer.email = clean_email(icalproperty_get_organizer(p));
		e->organizer.name = param_cn(p);
	}
	for (p = icalcomponent_get_first_property(ev, ICAL_ATTENDEE_PROPERTY); p;
	    p = icalcomponent_get_next_property(ev, ICAL_ATTENDEE_PROPERTY))
		n++;
	if (!n)
		return 0;
	e->attendees = calloc(n, sizeof *e->attendees);
	if (!e->attendees)
		return -1;
	for (p = icalcomponent_get_first_property(ev, ICAL_ATTENDEE_PROPERTY); p;
	    p = icalcomponent_get_next_property(ev, ICAL_ATTENDEE_PROPERTY)) {
		struct attendee *a = &e->attendees[e->n_attendees];
		a->who.email = clean_email(icalproperty_get_attendee(p));
		if (!a->who.email)
			continue;
		e->n_attendees++;
		a->who.name = param_cn(p);
		a->partstat = param_partstat(p);
	}
	return 0;
}

/* Everything but the time: uid, texts, people, status, LAST-MODIFIED. */
static int fill_fields(struct sync_event *e, icalcomponent *ev)
{
	icalproperty *p;

	e->uid = dup_or_null(icalcomponent_get_uid(ev));
	e->title = dup_or_null(icalcomponent_get_summary(ev));
	e->location = dup_or_null(icalcomponent_get_location(ev));
	e->description = dup_or_null(icalcomponent_get_description(ev));
	e->cancelled = icalcomponent_get_status(ev) == ICAL_STATUS_CANCELLED;
	if ((p = icalcomponent_get_first_property(ev, ICAL_LASTMODIFIED_PROPERTY))) {
		struct icaltimetype t = icalproperty_get_lastmodified(p);
		if (!icaltime_is_null_time(t) && icaltime_is_valid_time(t)) {
			t.zone = NULL;
			e->updated = icaltime_as_timet_with_zone(t, icaltimezone_get_utc_timezone());
		}
	}
	return fill_people(e, ev);
}

static void fmt_recid(int64_t epoch, int all_day, char *buf, size_t len)
{
	time_t t = (time_t)epoch;
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(buf, len, all_day ? "%Y%m%d" : "%Y%m%dT%H%M%SZ", &tm);
}

/* Append one item for ev; start/duration from w/dur, recurrence id from recid (or none). */
static int emit(struct ctx *c, icalcomponent *ev, const struct when *w, int dur,
    const struct when *recid, int complete)
{
	struct sync_event *e = event_list_add(c->out);
	char buf[32];

	if (!e)
		return -1;
	e->start = w->epoch;
	e->all_day = w->all_day;
	e->duration_min = dur;
	e->tzid = !w->all_day && (w->zone || w->glib_tz) && w->iana ? strdup(w->iana) : NULL;
	e->series_complete = complete;
	if (recid) {
		fmt_recid(recid->epoch, recid->all_day, buf, sizeof buf);
		e->recurrence_id = strdup(buf);
	}
	return fill_fields(e, ev);
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

/* A growable set of epochs. */
struct times {
	int64_t *v;
	size_t n, cap;
};

static int times_add(struct times *t, int64_t x)
{
	if (t->n == t->cap) {
		size_t ncap = t->cap ? t->cap * 2 : 32;
		int64_t *nv = realloc(t->v, ncap * sizeof *nv);
		if (!nv)
			return -1;
		t->v = nv;
		t->cap = ncap;
	}
	t->v[t->n++] = x;
	return 0;
}

static int times_has(const struct times *t, int64_t x)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->v[i] == x)
			return 1;
	return 0;
}

/* EXDATEs (into ex) and RDATEs in the window (into occ) of a master. */
static int collect_dates(struct ctx *c, icalcomponent *m, struct times *occ, struct times *ex)
{
	icalproperty *p;
	struct when w;

	for (p = icalcomponent_get_first_property(m, ICAL_EXDATE_PROPERTY); p;
	    p = icalcomponent_get_next_property(m, ICAL_EXDATE_PROPERTY))
		if (when_of(c, p, icalproperty_get_exdate(p), &w) == 0 && times_add(ex, w.epoch) < 0)
			return -1;
	for (p = icalcomponent_get_first_property(m, ICAL_RDATE_PROPERTY); p;
	    p = icalcomponent_get_next_property(m, ICAL_RDATE_PROPERTY)) {
		struct icaldatetimeperiodtype rd = icalproperty_get_rdate(p);
		struct icaltimetype t = icaltime_is_null_time(rd.time) ? rd.period.start : rd.time;
		if (when_of(c, p, t, &w) == 0 && w.epoch >= c->ws && w.epoch < c->we &&
		    times_add(occ, w.epoch) < 0)
			return -1;
	}
	return 0;
}

/* RRULE occurrences starting in the window, into occ. */
static int collect_rrule(struct ctx *c, icalcomponent *m, const struct when *start, struct times *occ)
{
	icalproperty *p = icalcomponent_get_first_property(m, ICAL_RRULE_PROPERTY);
	icalproperty *dp = icalcomponent_get_first_property(m, ICAL_DTSTART_PROPERTY);

	if (!p)
		return 0;
	struct icalrecurrencetype r = icalproperty_get_rrule(p);
	if (r.freq == ICAL_NO_RECURRENCE)
		return 0;
	struct icaltimetype t0 = icalproperty_get_dtstart(dp);
	if (!t0.is_date && !icaltime_is_utc(t0))
		t0.zone = start->zone;
	icalrecur_iterator *it = icalrecur_iterator_new(r, t0);
	if (!it)
		return 0;
	size_t steps = 0, kept = 0;
	for (struct icaltimetype t = icalrecur_iterator_next(it); !icaltime_is_null_time(t);
	    t = icalrecur_iterator_next(it)) {
		if (++steps > ICAL_MAX_STEPS || kept >= ICAL_MAX_OCCURRENCES) {
			log_warnx("ical: series %s cut after %zu steps", icalcomponent_get_uid(m), steps);
			break;
		}
		int64_t e = epoch_as(start, t);
		if (e >= c->we)
			break;
		if (e < c->ws)
			continue;
		if (times_add(occ, e) < 0) {
			icalrecur_iterator_free(it);
			return -1;
		}
		kept++;
	}
	icalrecur_iterator_free(it);
	return 0;
}

/* Expand master m with its overrides ov[0..n) (used[] marks those consumed). */
static int expand(struct ctx *c, icalcomponent *m, icalcomponent **ov, int *used, size_t n)
{
	struct times occ = { 0 }, ex = { 0 };
	struct when start, w, rid;
	int dur, rc = -1, od;
	size_t emitted = 0;

	if (event_time(c, m, &start, &dur) < 0)
		return 0;   /* checked by the caller */
	if (start.epoch >= c->ws && start.epoch < c->we && times_add(&occ, start.epoch) < 0)
		goto out;
	if (collect_rrule(c, m, &start, &occ) < 0 || collect_dates(c, m, &occ, &ex) < 0)
		goto out;
	if (occ.n)
		qsort(occ.v, occ.n, sizeof *occ.v, cmp_i64);
	for (size_t i = 0; i < occ.n; i++) {
		if ((i > 0 && occ.v[i] == occ.v[i - 1]) || times_has(&ex, occ.v[i]))
			continue;
		if (emitted++ >= ICAL_MAX_OCCURRENCES)
			break;
		w = start;
		w.epoch = occ.v[i];
		size_t k;
		for (k = 0; k < n; k++)
			if (prop_when(c, ov[k], ICAL_RECURRENCEID_PROPERTY, &rid) == 0 && rid.epoch == occ.v[i])
				break;
		if (k < n && event_time(c, ov[k], &w, &od) == 0) {
			used[k] = 1;
			if (emit(c, ov[k], &w, od, &rid, 1) < 0)
				goto out;
			continue;
		}
		w = start;
		w.epoch = occ.v[i];
		if (emit(c, m, &w, dur, &w, 1) < 0)
			goto out;
	}
	/* Overrides moved into the window from a slot outside it. */
	for (size_t k = 0; k < n; k++) {
		if (used[k] || prop_when(c, ov[k], ICAL_RECURRENCEID_PROPERTY, &rid) < 0 ||
		    times_has(&ex, rid.epoch) || event_time(c, ov[k], &w, &od) < 0)
			continue;
		used[k] = 1;
		if (w.epoch >= c->ws && w.epoch < c->we && emit(c, ov[k], &w, od, &rid, 1) < 0)
			goto out;
	}
	rc = 0;
out:
	free(occ.v);
	free(ex.v);
	return rc;
}

static int is_recurring(icalcomponent *ev)
{
	return icalcomponent_get_first_property(ev, ICAL_RRULE_PROPERTY) ||
	    icalcomponent_get_first_property(ev, ICAL_RDATE_PROPERTY);
}

/* Every VEVENT must have a UID and a readable DTSTART, else the object is refused. */
static int check_events(struct ctx *c, icalcomponent **evs, size_t n)
{
	struct when w;
	int dur;

	if (!n) {
		set_err(c, "no VEVENT in the calendar");
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		const char *uid = icalcomponent_get_uid(evs[i]);
		if (!uid || !*uid) {
			set_err(c, "VEVENT without UID");
			return -1;
		}
		if (event_time(c, evs[i], &w, &dur) < 0) {
			set_err(c, "VEVENT %s: missing or bad DTSTART", uid);
			return -1;
		}
	}
	return 0;
}

/* Masters and their overrides, then overrides whose master is not in the file. */
static int walk(struct ctx *c, icalcomponent **evs, size_t n)
{
	int *used = calloc(n ? n : 1, sizeof *used);
	icalcomponent **ov = calloc(n ? n : 1, sizeof *ov);
	int *ovused = calloc(n ? n : 1, sizeof *ovused);
	size_t *idx = calloc(n ? n : 1, sizeof *idx);
	int rc = -1;
	struct when w, rid;
	int dur;

	if (!used || !ov || !ovused || !idx)
		goto out;
	for (size_t i = 0; i < n; i++) {
		if (icalcomponent_get_first_property(evs[i], ICAL_RECURRENCEID_PROPERTY))
			continue;
		used[i] = 1;
		size_t no = 0;
		for (size_t j = 0; j < n; j++)
			if (!used[j] && icalcomponent_get_first_property(evs[j], ICAL_RECURRENCEID_PROPERTY) &&
			    strcmp(icalcomponent_get_uid(evs[j]), icalcomponent_get_uid(evs[i])) == 0) {
				idx[no] = j;
				ovused[no] = 0;
				ov[no++] = evs[j];
			}
		if (!is_recurring(evs[i])) {
			if (event_time(c, evs[i], &w, &dur) < 0 || emit(c, evs[i], &w, dur, NULL, 0) < 0)
				goto out;
			for (size_t k = 0; k < no; k++)
				used[idx[k]] = 1;
			continue;
		}
		if (expand(c, evs[i], ov, ovused, no) < 0)
			goto out;
		for (size_t k = 0; k < no; k++)
			used[idx[k]] = 1;
	}
	for (size_t i = 0; i < n; i++) {
		if (used[i] || event_time(c, evs[i], &w, &dur) < 0 ||
		    prop_when(c, evs[i], ICAL_RECURRENCEID_PROPERTY, &rid) < 0)
			continue;
		if (emit(c, evs[i], &w, dur, &rid, 0) < 0)
			goto out;
	}
	rc = 0;
out:
	free(used);
	free(ov);
	free(ovused);
	free(idx);
	return rc;
}

int ical_parse(const char *ics, size_t len, int64_t window_start, int64_t window_end,
    const char *owner_tz, struct event_list *out, char *err, size_t errlen)
{
	struct ctx c = { NULL, window_start, window_end, owner_tz, out, err, errlen };
	icalcomponent **evs = NULL;
	size_t n = 0, cap = 0, before = out->n;
	char *buf = NULL;
	int rc = -1;

	if (err && errlen)
		err[0] = 0;
	icalerror_set_errors_are_fatal(0);
	if (!ics || !len || memchr(ics, 0, len)) {
		set_err(&c, "empty or binary data");
		return -1;
	}
	if (!(buf = malloc(len + 1))) {
		set_err(&c, "out of memory");
		return -1;
	}
	memcpy(buf, ics, len);
	buf[len] = 0;
	c.root = icalparser_parse_string(buf);
	if (!c.root || icalcomponent_isa(c.root) != ICAL_VCALENDAR_COMPONENT) {
		set_err(&c, "not a VCALENDAR");
		goto out;
	}
	for (icalcomponent *ev = icalcomponent_get_first_component(c.root, ICAL_VEVENT_COMPONENT); ev;
	    ev = icalcomponent_get_next_component(c.root, ICAL_VEVENT_COMPONENT)) {
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 8;
			icalcomponent **nv = realloc(evs, ncap * sizeof *nv);
			if (!nv)
				goto out;
			evs = nv;
			cap = ncap;
		}
		evs[n++] = ev;
	}
	if (check_events(&c, evs, n) < 0)
		goto out;
	if (walk(&c, evs, n) < 0) {
		set_err(&c, "out of memory");
		goto out;
	}
	rc = (int)(out->n - before);
out:
	if (rc < 0)
		while (out->n > before)
			event_free(&out->v[--out->n]);
	free(evs);
	if (c.root)
		icalcomponent_free(c.root);
	free(buf);
	icalerror_clear_errno();
	return rc;
}

/* ---- Building ------------------------------------------------------------------------- */

static icalproperty *person_prop(icalproperty *p, const struct addr *a)
{
	if (a->name && *a->name)
		icalproperty_add_parameter(p, icalparameter_new_cn(a->name));
	return p;
}

static char *mailto(const char *email)
{
	char *s = NULL;
	if (asprintf(&s, "mailto:%s", email) < 0)
		return NULL;
	return s;
}

static int add_people(icalcomponent *ev, const struct sync_event *e)
{
	char *m;

	if (e->organizer.email && *e->organizer.email) {
		if (!(m = mailto(e->organizer.email)))
			return -1;
		icalcomponent_add_property(ev, person_prop(icalproperty_new_organizer(m), &e->organizer));
		free(m);
	}
	for (size_t i = 0; i < e->n_attendees; i++) {
		const struct attendee *a = &e->attendees[i];
		if (!a->who.email || !*a->who.email)
			continue;
		if (!(m = mailto(a->who.email)))
			return -1;
		icalproperty *p = person_prop(icalproperty_new_attendee(m), &a->who);
		free(m);
		icalproperty_add_parameter(p, icalparameter_new_role(ICAL_ROLE_REQPARTICIPANT));
		icalparameter *ps = a->partstat ?
		    icalparameter_new_from_value_string(ICAL_PARTSTAT_PARAMETER, a->partstat) : NULL;
		icalproperty_add_parameter(p, ps ? ps : icalparameter_new_partstat(ICAL_PARTSTAT_NEEDSACTION));
		icalproperty_add_parameter(p, icalparameter_new_rsvp(ICAL_RSVP_TRUE));
		icalcomponent_add_property(ev, p);
	}
	return 0;
}

/* DTSTART/DTEND, with a VTIMEZONE added to cal when the event has a known zone. */
static int add_times(icalcomponent *cal, icalcomponent *ev, const struct sync_event *e)
{
	icaltimezone *utc = icaltimezone_get_utc_timezone();
	const char *iana = NULL;
	icaltimezone *zone = NULL;
	icalproperty *ps, *pe = NULL;

	if (e->all_day) {
		int days = e->duration_min > 0 ? (e->duration_min + 1439) / 1440 : 1;
		struct icaltimetype s = icaltime_from_timet_with_zone((time_t)e->start, 1, utc);
		struct icaltimetype en = icaltime_from_timet_with_zone((time_t)e->start + days * 86400, 1, utc);
		s.zone = en.zone = NULL;
		icalcomponent_add_property(ev, icalproperty_new_dtstart(s));
		icalcomponent_add_property(ev, icalproperty_new_dtend(en));
		return 0;
	}
	if (e->tzid && *e->tzid && strcasecmp(e->tzid, "UTC") != 0) {
		iana = tzwin_to_iana(e->tzid) ? tzwin_to_iana(e->tzid) : e->tzid;
		if (!(zone = builtin(iana)))
			return -1;
	}
	struct icaltimetype s = icaltime_from_timet_with_zone((time_t)e->start, 0, zone ? zone : utc);
	struct icaltimetype en = icaltime_from_timet_with_zone((time_t)e->start + e->duration_min * 60,
	    0, zone ? zone : utc);
	if (zone)
		s.zone = en.zone = NULL;   /* local wall time; the TZID parameter says where */
	ps = icalproperty_new_dtstart(s);
	if (e->duration_min > 0)
		pe = icalproperty_new_dtend(en);
	if (zone) {
		icalcomponent *vtz = icalcomponent_new_clone(icaltimezone_get_component(zone));
		if (!vtz) {
			icalproperty_free(ps);
			if (pe)
				icalproperty_free(pe);
			return -1;
		}
		struct icaltimetype from = icaltime_from_timet_with_zone((time_t)e->start, 0, utc);
		icaltimezone_truncate_vtimezone(vtz, from, icaltime_null_time(), 1);
		icalproperty *tp = icalcomponent_get_first_property(vtz, ICAL_TZID_PROPERTY);
		if (tp)
			icalproperty_set_tzid(tp, iana);
		icalcomponent_add_component(cal, vtz);
		icalproperty_add_parameter(ps, icalparameter_new_tzid(iana));
		if (pe)
			icalproperty_add_parameter(pe, icalparameter_new_tzid(iana));
	}
	icalcomponent_add_property(ev, ps);
	if (pe)
		icalcomponent_add_property(ev, pe);
	return 0;
}

char *ical_build_seq(const struct sync_event *e, const char *prodid, int sequence)
{
	icaltimezone *utc = icaltimezone_get_utc_timezone();
	char *res = NULL;

	if (!e || !e->uid || !*e->uid)
		return NULL;
	icalerror_set_errors_are_fatal(0);
	icalcomponent *cal = icalcomponent_new(ICAL_VCALENDAR_COMPONENT);
	icalcomponent *ev = icalcomponent_new(ICAL_VEVENT_COMPONENT);
	if (!cal || !ev)
		goto out;
	icalcomponent_add_property(cal, icalproperty_new_version("2.0"));
	icalcomponent_add_property(cal, icalproperty_new_prodid(prodid ? prodid : "-//crm//sync//EN"));
	icalcomponent_add_property(cal, icalproperty_new_calscale("GREGORIAN"));
	icalcomponent_add_property(ev, icalproperty_new_uid(e->uid));
	icalcomponent_add_property(ev, icalproperty_new_dtstamp(
	    icaltime_from_timet_with_zone(time(NULL), 0, utc)));
	if (add_times(cal, ev, e) < 0)
		goto out;
	icalcomponent_add_property(ev, icalproperty_new_sequence(sequence));
	if (e->title)
		icalcomponent_add_property(ev, icalproperty_new_summary(e->title));
	if (e->location && *e->location)
		icalcomponent_add_property(ev, icalproperty_new_location(e->location));
	if (e->description && *e->description)
		icalcomponent_add_property(ev, icalproperty_new_description(e->description));
	icalcomponent_add_property(ev, icalproperty_new_status(
	    e->cancelled ? ICAL_STATUS_CANCELLED : ICAL_STATUS_CONFIRMED));
	if (add_people(ev, e) < 0)
		goto out;
	icalcomponent_add_component(cal, ev);
	ev = NULL;
	res = icalcomponent_as_ical_string_r(cal);
out:
	if (ev)
		icalcomponent_free(ev);
	if (cal)
		icalcomponent_free(cal);
	icalerror_clear_errno();
	return res;
}

char *ical_build(const struct sync_event *e, const char *prodid)
{
	return ical_build_seq(e, prodid, 0);
}
