/* iCalendar (RFC 5545) to and from struct sync_event: parse with recurrence expansion, build. */
#ifndef PROVIDERS_ICAL_H
#define PROVIDERS_ICAL_H

#include <stddef.h>
#include <stdint.h>

#include "providers/provider.h"

/* Most occurrences one series yields in one window; the rest is dropped with a log line. */
#define ICAL_MAX_OCCURRENCES 1000

/* Parse one VCALENDAR (ics, len bytes, need not be NUL-terminated) and append its events to out.
 * Every VEVENT without RECURRENCE-ID is one item; a VEVENT with RRULE or RDATE is expanded into
 * its occurrences starting in [window_start, window_end) (UTC epoch seconds), honouring EXDATE and
 * the RECURRENCE-ID overrides of the same UID (a moved occurrence carries the override's time and
 * fields, a STATUS:CANCELLED override comes with cancelled=1, an EXDATE'd one does not come).
 * Occurrences have recurrence_id ("YYYYMMDDTHHMMSSZ" UTC of the original start, or "YYYYMMDD"
 * for all-day) and series_complete=1. Single events come whatever the window. An override whose
 * master is not in the file comes alone with series_complete=0.
 * provider_id and etag are left NULL (the caller knows them). TZID is resolved through the
 * file's VTIMEZONE, libical's built-in zones, the CLDR Windows zone table (core/tzwin.h) and the
 * machine's zones; a floating time, and a TZID none of these knows (logged), is read in owner_tz
 * (the linked user's zone; NULL or unknown: UTC). tzid is set to the IANA name the times were
 * read in when one is known (owner_tz for floating ones). All-day events start at 00:00 UTC of
 * their date and last whole days (DTEND exclusive). Returns the number of items appended (>= 0), or -1 with a reason
 * in err (out is left as it was) for input that is not a usable iCalendar object. */
int ical_parse(const char *ics, size_t len, int64_t window_start, int64_t window_end,
    const char *owner_tz, struct event_list *out, char *err, size_t errlen);

/* A VCALENDAR with one VEVENT for e (uid required; start, duration_min, all_day, tzid, title,
 * location, description, organizer, attendees with RSVP=TRUE, cancelled), with a VTIMEZONE when
 * e->tzid names a known zone. SEQUENCE is 0 for ical_build and `sequence` for ical_build_seq.
 * Returns a malloc'd string the caller frees, or NULL (no uid, unknown tzid, out of memory). */
char *ical_build(const struct sync_event *e, const char *prodid);
char *ical_build_seq(const struct sync_event *e, const char *prodid, int sequence);

#endif
