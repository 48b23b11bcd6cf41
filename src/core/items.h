/* The items a sync produces and the CRM stores: mail messages with their attachments,
 * appointments with their attendees, the lists a page of them comes in, the kinds of outbox
 * item and a provider's webhook subscription. Providers fill them (providers/provider.h), the
 * engine hands them to the storage code (core/db_sync.h, core/db_outbox.h). */
#ifndef CORE_ITEMS_H
#define CORE_ITEMS_H

#include <stddef.h>
#include <stdint.h>

#include "core/addr.h"   /* struct addr */

/* Where a message was seen in the mailbox. */
enum msg_folder { FOLDER_INBOX, FOLDER_SENT, FOLDER_CRM };

/* One attachment of a mail message (a MIME part that is not the body): owned by its message. */
struct sync_attach {
	char *name;             /* decoded and cleaned (attach_name_clean), never empty */
	char *media_type;       /* "type/subtype", lower-case */
	char *content_id;       /* without <>, NULL when none */
	int is_inline;          /* Content-Disposition inline with a Content-ID (an embedded image) */
	int unreadable;         /* an unknown Content-Transfer-Encoding: not decoded, not stored */
	unsigned char *data;    /* the decoded bytes (NULL when unreadable, empty or over the cap
	                         * of mime_set_attach_max) */
	size_t size;            /* decoded size; a size the part claims is not believed */
	char sha256[65];        /* hex of data's SHA-256 ("" when unreadable or over the cap) */
};

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
	struct sync_attach *attachments;   /* in MIME order, at most MIME_MAX_ATTACH */
	size_t n_attachments;
	size_t n_attach_left_out;   /* parts past MIME_MAX_ATTACH, not kept */
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
	int prefix;             /* with deleted: every item of the link whose provider_id starts
	                         * with this one goes (a calendar removed or no longer synced) */
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

/* What an outbox item does (core/db_outbox.h queues them, struct push_item carries one). */
enum push_kind {
	PUSH_EVENT_CREATE,   /* create ev in the user's calendar, contacts invited */
	PUSH_EVENT_UPDATE,   /* update provider_id (If-Match etag where the API has it) */
	PUSH_EVENT_DELETE,   /* delete provider_id */
	PUSH_MAIL_SEND,      /* send raw through the user's mailbox so it shows in Sent */
	PUSH_FOLDER_SETUP,   /* create the CRM and Processed folders (labels on Gmail) */
	PUSH_FOLDER_MOVE,    /* move provider_id (a message in CRM) to Processed */
};

/* A provider webhook subscription, as kept in push_channels. Strings malloc'd, owned by the
 * struct; subscription_clear() frees them. */
struct subscription {
	char *channel_id;     /* Google channel id / Graph subscription id; NULL: create one */
	char *resource_id;    /* Google resourceId (needed to stop a channel), or NULL */
	char *token;          /* secret the provider echoes back (X-Goog-Channel-Token, clientState) */
	int64_t expires_at;   /* epoch seconds */
};
void subscription_clear(struct subscription *s);

#endif
