/* An item the sync saw and did not import, and the reason in codes and in words (pure; the
 * rows live in skipped_items, see core/db_skipped.h). Core type: providers hand these to the
 * engine in their step_out, the store makes them, the pages and crmctl read them. */
#ifndef CORE_SKIPPED_H
#define CORE_SKIPPED_H

#include <stddef.h>
#include <stdint.h>

enum skip_reason {
	SKIP_NO_CONTACT,   /* no address of it belongs to a contact */
	SKIP_COLLEAGUES,   /* every address belongs to a CRM user: colleague-only */
	SKIP_OLDER,        /* older than the link's start (its back-fill) */
	SKIP_DUPLICATE,    /* the same Message-ID is already the user's under another id */
	SKIP_UNPARSABLE,   /* the parser refused it (detail: its message) */
	SKIP_BLOCKED,      /* a blocked address takes part and no contact is left unblocked */
	SKIP_NREASONS
};
enum skip_kind { SKIP_MAIL, SKIP_EVENT };

/* Strings borrowed when recording; owned by the list (skipped_list_free) when read back. */
struct skipped_item {
	int64_t id, link_id;        /* set when read back */
	enum skip_kind kind;
	enum skip_reason reason;
	char *provider_id;          /* required */
	char *item_id;              /* Message-ID or iCalendar UID, NULL: unknown */
	int64_t item_at;            /* the mail's date or the event's start, 0: unknown */
	char *from_email;           /* From or the organizer, NULL: none */
	char *addresses;            /* every address, separated by spaces, NULL: none */
	char *subject;              /* subject or title, NULL: none */
	char *detail;               /* the parser's message, NULL: none */
	int64_t recorded_at;        /* set when read back */
	char *link_address, *user_email;   /* set when read back: the link's mailbox and owner */
};
struct skipped_list {
	struct skipped_item *v;
	size_t n, cap;
};
/* A new zeroed item at the end of l (NULL when out of memory). */
struct skipped_item *skipped_list_add(struct skipped_list *l);
/* Free what the items own (every string), then the array; l is left empty. */
void skipped_list_free(struct skipped_list *l);

/* The addresses column: each of emails that is a usable address, normalized, once, between
 * single spaces with one before and after (" a@b c@d "; "" for none). malloc'd, NULL when out
 * of memory. NULL entries are ignored. */
char *skipped_addresses(const char *const *emails, size_t n);

/* "no_contact", "colleagues", "older", "duplicate", "unparsable", "blocked" (the column's codes). */
const char *skip_reason_code(enum skip_reason r);
/* The code's reason (SKIP_*), or -1 for an unknown code. */
int skip_reason_parse(const char *code);
/* The reason in words for people ("No contact in the CRM for any address", ...). */
const char *skip_reason_words(enum skip_reason r);
const char *skip_kind_name(enum skip_kind k);   /* "mail" or "event" */

#endif
