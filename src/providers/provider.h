/* The seam between the sync engine and each provider: one internal message and event shape,
 * error classes, and the driver table every provider (imap, caldav, google, graph, nylas) fills. */
#ifndef PROVIDERS_PROVIDER_H
#define PROVIDERS_PROVIDER_H

#include <stddef.h>
#include <stdint.h>

/* What a provider call returns. The engine decides from the class whether to retry at the next
 * pass with back-off (TEMP), wait the given seconds (RATE), stop and ask the user to re-link
 * (AUTH), or throw the cursor away and start a fresh full sync without duplicates (CURSOR). */
enum prov_status {
	PROV_OK = 0,
	PROV_TEMP = -1,     /* network error, 5xx, timeout: retry later with back-off */
	PROV_RATE = -2,     /* 429/503 with Retry-After: wait retry_after seconds */
	PROV_AUTH = -3,     /* login refused, invalid_grant: permanent until re-linked */
	PROV_CURSOR = -4,   /* sync token / history id / UIDVALIDITY refused: resync from scratch */
	PROV_PERM = -5,     /* a permanent failure of this one operation (bad request, 404 on push) */
};
const char *prov_status_str(enum prov_status s);

/* An e-mail address with an optional display name. email is trimmed and lower-cased. */
struct addr {
	char *name;   /* owned, may be NULL */
	char *email;  /* owned, never NULL in a filled addr */
};

/* Where a message was seen in the mailbox. */
enum msg_folder { FOLDER_INBOX, FOLDER_SENT, FOLDER_CRM };

/* One mail message as every provider hands it to the engine. All strings owned by the struct;
 * msg_free() releases them. */
struct sync_msg {
	char *provider_id;      /* stable id inside the link: "INBOX/<uidvalidity>/<uid>", Gmail id */
	enum msg_folder folder;
	char *message_id;       /* RFC 5322 Message-ID without <>; synthesized if missing */
	char *in_reply_to;      /* without <>, may be NULL */
	char **references;      /* without <>, oldest first */
	size_t n_references;
	char *subject;          /* decoded to UTF-8, "" if absent */
	struct addr from;
	struct addr *to;
	size_t n_to;
	struct addr *cc;
	size_t n_cc;
	int64_t date;           /* Date: header as UTC epoch seconds */
	char *body_text;        /* plain-text body in UTF-8 (HTML-only mail converted to text) */
	char *body_html_safe;   /* sanitized HTML (no script, style, handlers, remote loads) or NULL */
};
void msg_free(struct sync_msg *m);   /* frees members, not m itself */

/* RFC 5545 PARTSTAT of an attendee, kept as text ("ACCEPTED", "NEEDS-ACTION", ...). */
struct attendee {
	struct addr who;
	char *partstat;         /* owned, may be NULL */
};

/* One appointment. A recurring series arrives expanded: one sync_event per occurrence, all with
 * the series' provider_id and uid and each with its own recurrence_id, and series_complete set:
 * the engine then removes stored occurrences of that provider_id that the batch does not list. */
struct sync_event {
	char *provider_id;      /* provider's event id (CalDAV: href; Google/Graph/Nylas: event id) */
	char *uid;              /* iCalendar UID (iCalUID on Google, iCalUId on Graph) */
	char *recurrence_id;    /* NULL for a single event; else "YYYYMMDDTHHMMSSZ" (UTC) or "YYYYMMDD" */
	char *etag;             /* change tag if the provider has one, may be NULL */
	int series_complete;    /* see above */
	int deleted;            /* removed at the provider: only provider_id (and uid if known) set;
	                         * for a series, every occurrence goes */
	int cancelled;          /* STATUS:CANCELLED (or a cancelled occurrence) */
	int64_t start;          /* UTC epoch seconds; for all-day, midnight UTC of the date */
	int duration_min;
	int all_day;
	char *tzid;             /* IANA name the event was written in, may be NULL (UTC/floating) */
	char *title;            /* SUMMARY */
	char *location;
	char *description;
	struct addr organizer;  /* email may be NULL when there is no organizer */
	struct attendee *attendees;
	size_t n_attendees;
	int64_t updated;        /* LAST-MODIFIED / updated as epoch, 0 if unknown */
};
void event_free(struct sync_event *e);   /* frees members, not e itself */

/* Growable arrays the providers fill and the engine drains. */
struct msg_list {
	struct sync_msg *v;
	size_t n, cap;
};
struct event_list {
	struct sync_event *v;
	size_t n, cap;
};
/* Append a zeroed element and return it, or NULL when out of memory. */
struct sync_msg *msg_list_add(struct msg_list *l);
struct sync_event *event_list_add(struct event_list *l);
void msg_list_free(struct msg_list *l);
void event_list_free(struct event_list *l);

#endif
