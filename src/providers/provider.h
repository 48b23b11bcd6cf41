/* The seam between the sync engine and each provider: error classes, the page a step hands
 * back, and the driver table every provider (imap, caldav, google, graph, nylas) fills. The
 * message and event shapes they produce are core's (core/items.h). */
#ifndef PROVIDERS_PROVIDER_H
#define PROVIDERS_PROVIDER_H

#include <stddef.h>
#include <stdint.h>

#include "core/addr.h"   /* struct addr */
#include "core/config.h"   /* struct provider_cfg */
#include "core/items.h"   /* struct sync_msg, sync_event, msg_list, event_list, push_kind, ... */
#include "core/skipped.h"   /* struct skipped_item: items left out, for the engine to record */
#include "core/link_cals.h"   /* struct link_cal: a link's calendars (CalDAV) */

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

/* Free and remove the single events (no recurrence_id) from index `from` on that end before t;
 * a first pass with a back-fill uses it to leave out what is older than the back-fill. Each
 * one dropped is noted in o (when not NULL) as SKIP_OLDER under provider_id. */
struct step_out;
void event_list_drop_ended(struct event_list *l, size_t from, int64_t t, struct step_out *o,
    const char *provider_id);

/* ---- The driver table ------------------------------------------------------------------- */

/* The streams a link syncs; a pass covers one stream of one link. */
enum stream { STREAM_MAIL = 1, STREAM_EVENTS = 2, STREAM_FOLDER = 4 };

/* A connection the engine keeps for a link between passes (IMAP), so an idle pass costs no
 * connect and login; see provider.begin_kept. */
struct prov_keep {
	void *conn;
	void (*close)(void *conn);
};

/* What a provider knows of a link during a pass. Everything borrowed from the engine. */
struct prov_link {
	int64_t id;
	const char *address;        /* the linked mailbox, lower-case */
	const char *settings;       /* JSON object of non-secret settings (servers, calendar URL, ...) */
	const char *secret;         /* JSON object of decrypted secrets (password, tokens) */
	int64_t since;              /* sync nothing older: link time minus the back-fill */
	const struct provider_cfg *cfg;
	int64_t now;                /* the pass's clock (clock_now()); 0: time(NULL) */
	int64_t linked_at;          /* when the link was made; since < linked_at: a back-fill */
	const char *owner_tz;       /* the linked user's IANA zone: floating times and unknown zone
	                             * names are read in it; NULL: UTC */
	const struct link_cal *cals;   /* the link's calendars as last found (link_calendars),
	                             * with the user's choice and each one's cursor */
	size_t n_cals;
};

/* l->now, or time(NULL) when the caller left it 0. */
int64_t prov_now(const struct prov_link *l);

/* An HTTP request a provider asks the engine to make (through the curl multi loop). The engine
 * takes ownership of url, headers and body when step() returns STEP_MORE. */
struct http_req {
	const char *method;         /* borrowed string literal: "GET", "REPORT", ... */
	char *url;
	char **headers;             /* NULL-terminated "Name: value" strings */
	char *body;
	size_t body_len;
	char *userpwd;              /* "user:password" for basic auth, or NULL */
	long timeout_ms;            /* 0: the engine's default */
	int guard;                  /* the URL came from a user (CalDAV): connect only where the
	                             * address guard permits (core/netguard.h) */
};

/* The answer to an http_req; owned by the engine, valid during the step() call that gets it. */
struct http_resp {
	long status;                /* HTTP status, 0 when the transfer itself failed */
	const char *body;           /* NUL-terminated for convenience */
	size_t body_len;
	const char *etag;           /* ETag header or NULL */
	const char *location;       /* Location header or NULL */
	long retry_after;           /* Retry-After in seconds, 0 if absent */
	const char *error;          /* transfer error text when status == 0 */
};

/* What one step() hands the engine besides its request. A driver never stores anything: it
 * puts a page of items with the stream's new cursor here (step_out_page), and the engine
 * commits the page and cursor in one transaction before it makes the step's request or calls
 * step() again, so a crash repeats at most one page. A refreshed secret (step_out_secret) is
 * stored before the request that follows, so later requests may depend on it. A push may note
 * durable progress (MAIL_SEND: "sent") the same way; the engine records it with the outbox's
 * save_progress and sets push_item.progress before the next step. The engine owns the struct,
 * zeroes it before each step() and clears it after. */
struct step_out {
	int has_page;
	enum stream stream;
	struct msg_list msgs;
	struct event_list events;
	char *cursor;               /* the stream's cursor after this page, NULL: unchanged */
	char *secret;               /* refreshed secret JSON, or NULL */
	const char *progress;       /* push progress to record (string literal), or NULL */
	int skipped;                /* broken items skipped (and logged) in this step: they count
	                             * on the link when the page's cursor is stored */
	struct skipped_list skips;  /* items seen and left out (broken, older than the link), for
	                             * the engine's record of what was not imported */
	struct link_cal_list cals;  /* what the pass learned of the link's calendars (found, gone,
	                             * a calendar's own cursor), written with the page in the
	                             * same transaction; a driver only sets it with a page */
	char *failed;               /* the detail of the failure step() returns, in the driver's
	                             * own words (the address guard's, libetpan's), for drivers
	                             * whose failures have no http_resp; the engine keeps it as
	                             * the link's last error. NULL: none */
};
/* Take the items of m and e (the lists are emptied; either may be NULL) and cursor into o as
 * its page; a second page in the same step joins the first, with the later cursor. 0 or -1. */
int step_out_page(struct step_out *o, enum stream s, struct msg_list *m, struct event_list *e,
    const char *cursor);
int step_out_secret(struct step_out *o, const char *secret_json);   /* 0 or -1 */
void step_out_clear(struct step_out *o);

/* Tell the engine one broken item was skipped (call it where the skip is logged). */
void prov_skipped(struct step_out *o);
/* Note an item seen and left out in o->skips (strings copied; core/skipped.h). 0 or -1. */
int prov_skip_note(struct step_out *o, const struct skipped_item *it);
/* A broken item: prov_skipped() and a SKIP_UNPARSABLE note with the parser's message why. */
void prov_skip_broken(struct step_out *o, enum skip_kind kind, const char *provider_id,
    int64_t at, const char *why);
/* An event left out for reason r (e's provider_id, UID, start, title, organizer, attendees). */
void prov_skip_event(struct step_out *o, const struct sync_event *e, const char *provider_id,
    enum skip_reason r);
/* Tell the engine why the step is failing (see step_out.failed). */
void prov_failed(struct step_out *o, const char *why);

/* step() results besides the prov_status errors: STEP_MORE, *req filled (the engine makes the
 * request and calls step() with its answer); STEP_PAGE, nothing asked (a blocking driver put a
 * page in its step_out: the engine commits it and calls step() again, resp NULL); STEP_DONE. */
enum { STEP_DONE = 1, STEP_MORE = 2, STEP_PAGE = 3 };
#define PROV_RESYNC "*resync*"

struct pass;   /* a provider's private state for one pass */

/* One outgoing item from the outbox. Everything borrowed from the engine for the whole push. */
struct push_item {
	enum push_kind kind;
	const char *idempotency_key;    /* stable across retries: use it as Google's client event
	                                 * id (base32hex), Graph's transactionId, Nylas
	                                 * Idempotency-Key; the CalDAV resource name is uid.ics */
	const struct sync_event *event; /* CREATE/UPDATE: the appointment (uid set, attendees) */
	const char *provider_id;        /* UPDATE/DELETE/FOLDER_MOVE: the provider's id */
	const char *etag;               /* UPDATE/DELETE: last known etag, may be NULL */
	const char *raw;                /* MAIL_SEND: RFC 5322 message built with mime_build */
	size_t raw_len;
	const struct sync_msg *mail;    /* MAIL_SEND: the same message parsed, for JSON APIs */
	const char *reply_to_id;        /* MAIL_SEND: the link's provider id of the message this
	                                 * one answers (its In-Reply-To), NULL when none is known */

	/* Filled by the outbox (src/sync/outbox.c); zero/NULL when absent, so older callers that
	 * only set the members above keep working. */
	const char *cursor;             /* the link's stored events cursor: CalDAV finds the
	                                 * calendar URL in it (see caldav.h) */
	int sequence;                   /* CREATE/UPDATE: iCalendar SEQUENCE, grows with CRM edits */
	const char *progress;           /* what an earlier attempt of this same item recorded with
	                                 * save_progress() (e.g. "sent"), or NULL on the first try */
	/* Record durable progress of a multi-step push before going on, so a retry after a crash
	 * skips what already happened (MAIL_SEND: "sent" once SMTP accepted the message, then
	 * "appended" once it is in Sent). May be NULL (nothing is recorded). Returns 0 or -1. */
	int (*save_progress)(void *ctx, const char *progress);
	void *progress_ctx;
};
/* What a push produced; the provider fills it (strings malloc'd, engine frees them). */
struct push_result {
	char *provider_id;              /* CREATE: the new event's id; MAIL_SEND: sent message id */
	char *etag;                     /* new etag if known */
	char *listed_id;                /* MAIL_SEND: the id the provider's mail listing gives the
	                                 * sent message (its Sent copy), when the send answer says */
	char *uid;                      /* CREATE/UPDATE: the UID the provider gives the event when
	                                 * it reports one (Graph, Nylas may not keep ours) */
	int conflict;                   /* UPDATE refused because the provider's copy changed: the
	                                 * engine keeps the provider's version (next pull shows it) */
	int gone;                       /* UPDATE/DELETE: already deleted at the provider */
	char error[256];                /* why, when step() returns an error */
};

/* One provider. Every operation is a step machine: step() gets the response to the request it
 * asked for last (NULL on the first call), may put a page, a refreshed secret or push progress
 * in *out (struct step_out), and returns STEP_MORE with *req filled, STEP_PAGE, STEP_DONE, or a
 * prov_status error (with retry_after set for PROV_RATE). Providers that speak another protocol
 * (IMAP) do their I/O inside step() and return STEP_PAGE after each page, STEP_DONE at the end.
 * A driver knows no SQL, contacts or accounts: what it found goes back in step_out. */
struct provider {
	const char *name;           /* "imap", "caldav", "google", "microsoft", "nylas" */
	unsigned streams;           /* STREAM_* it can serve */
	int blocking;               /* step() does its own blocking I/O (IMAP, SMTP): the engine
	                             * runs each step() as one worker job, which ends with
	                             * its page; the engine thread commits it */
	/* Start a pass; cursor NULL means first sync: remember "now" so only later items come.
	 * cursor PROV_RESYNC means the old cursor was refused (PROV_CURSOR): list everything
	 * again and emit the items newer than prov_link.since (the engine upserts, so nothing is
	 * duplicated), ending with a fresh cursor. A provider that cannot list treats it as NULL. */
	int (*begin)(const struct prov_link *l, enum stream s, const char *cursor, struct pass **out);
	int (*step)(struct pass *p, const struct http_resp *resp, struct http_req *req,
	    struct step_out *out, long *retry_after);
	void (*end)(struct pass *p);
	/* Optional: begin() with a slot for a connection kept between passes, valid until end().
	 * A driver that finds keep->conn set takes it (sets it NULL) and uses it; at end() it may
	 * put a healthy connection back (conn and close set) or close it after an error. The
	 * engine closes kept connections with close() when they idle too long or too many are
	 * kept. NULL: the engine calls begin(). */
	int (*begin_kept)(const struct prov_link *l, enum stream s, const char *cursor,
	    struct prov_keep *keep, struct pass **out);

	/* Outgoing work (CRM -> provider); NULL when the provider cannot do it. push_begin()
	 * starts one outbox item; then push_step() runs it like a pull (step_out may carry a
	 * refreshed secret or progress, never a page) and, on STEP_DONE, *res holds the outcome.
	 * end() frees the pass. An error class tells the engine to retry (TEMP, RATE), ask for a
	 * re-link (AUTH) or give up on the item (PERM, with res->error saying why). Pull (begin,
	 * step), push (push_begin, push_step) and subscribe (subscribe_begin, subscribe_step) are
	 * separate operations; end() frees the pass of any of them. */
	int (*push_begin)(const struct prov_link *l, const struct push_item *it,
	    struct push_result *res, struct pass **out);
	int (*push_step)(struct pass *p, const struct http_resp *resp, struct http_req *req,
	    struct step_out *out, long *retry_after);

	/* Provider webhooks (Google watch channels, Graph subscriptions); NULL when the provider
	 * has none. subscribe_begin() starts a step machine, run by subscribe_step(), that creates
	 * (sub->channel_id NULL) or renews/replaces sub for stream s, calling back notify_url
	 * (base_url + /hooks/NAME) with sub->token as the channel token / clientState; on
	 * STEP_DONE *sub holds the new channel id, resource id and expiry. The engine keeps
	 * push_channels rows, renews a channel before it expires, and only subscribes when
	 * base_url is https (a provider cannot reach a loopback URL). */
	int (*subscribe_begin)(const struct prov_link *l, enum stream s, const char *notify_url,
	    struct subscription *sub, struct pass **out);
	int (*subscribe_step)(struct pass *p, const struct http_resp *resp, struct http_req *req,
	    struct step_out *out, long *retry_after);

	/* Fetching one item again by its provider id (a mail of STREAM_MAIL, an event of
	 * STREAM_EVENTS), when a contact appears for an item left out for want of one (the
	 * engine's re-match). fetch_begin() gets the stream's stored cursor (NULL when none: CalDAV
	 * finds its calendar in it) and, like begin_kept(), the link's kept connection slot (may
	 * be NULL); fetch() runs like step() and hands the item (a series: its occurrences) as a
	 * page with no cursor (step_out_page with NULL), ending with STEP_DONE; PROV_PERM when the
	 * item is gone or cannot be fetched (the engine drops it from the queue). end() frees the
	 * pass. NULL: the provider cannot (its items are not re-matched). */
	int (*fetch_begin)(const struct prov_link *l, enum stream s, const char *provider_id,
	    const char *cursor, struct prov_keep *keep, struct pass **out);
	int (*fetch)(struct pass *p, const struct http_resp *resp, struct http_req *req,
	    struct step_out *out, long *retry_after);
};

void http_req_clear(struct http_req *r);   /* frees the owned members */

/* ---- Push watches ------------------------------------------------------------------------
 * A long-lived connection that tells the engine a stream has news (IMAP IDLE), so the engine
 * syncs the link within a second instead of at the next poll. The engine polls fd() for
 * reading beside its HTTP sockets (one thread for all links). */
struct watch;
struct watch_driver {
	enum stream stream;         /* the stream that has news */
	/* Open a watch for l (strings copied). PROV_PERM: the server cannot push, poll instead;
	 * other errors: retry later. */
	int (*open)(const struct prov_link *l, struct watch **out);
	int (*fd)(const struct watch *w);        /* fd to wait on for reading, -1 when none */
	int (*pending)(const struct watch *w);   /* 1 when news may already be buffered */
	/* After fd() turned readable, pending(), or refresh_s elapsed: read what came, set *news,
	 * and re-arm. On an error the engine closes the watch and opens it again later. */
	int (*check)(struct watch *w, int *news);
	void (*close)(struct watch *w);          /* NULL is fine */
	int refresh_s;              /* call check() at least this often (IDLE is renewed) */
};

#endif
