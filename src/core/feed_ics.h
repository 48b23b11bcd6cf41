/* The private calendar feed's text: a VCALENDAR (RFC 5545, built with libical: CRLF, lines
 * folded at 75 octets, text escaped) of a user's appointments. Pure; see db_feed.h for the rows. */
#ifndef CORE_FEED_ICS_H
#define CORE_FEED_ICS_H

#include <stddef.h>
#include <stdint.h>

struct feed_event {
	const char *uid;              /* the appointment's iCalendar UID */
	const char *recurrence_id;    /* "" for a single event; else the occurrence's id */
	int64_t start_at;             /* UTC epoch */
	int duration_min;
	int all_day;                  /* shown as DATE values: start_at is 00:00 UTC of the date */
	const char *time_zone;        /* IANA zone the event was written in; NULL: UTC */
	int cancelled;
	int64_t updated_at;           /* LAST-MODIFIED */
	const char *title, *location, *description;   /* may be NULL or "" */
};

/* The feed's UID of one event: uid itself, or "uid-RECURRENCEID" for an occurrence, so that
 * every occurrence stands alone (no RECURRENCE-ID without its master in the feed). Malloc'd. */
char *feed_event_uid(const struct feed_event *e);

/* The VCALENDAR with one VEVENT per event (UID, DTSTAMP = now, DTSTART/DTEND in UTC or as dates,
 * SUMMARY, LOCATION, DESCRIPTION, STATUS, LAST-MODIFIED); name goes to X-WR-CALNAME. Returns a
 * malloc'd string or NULL (no memory, an event without uid). */
char *feed_ics_build(const struct feed_event *v, size_t n, const char *name, int64_t now);

#endif
