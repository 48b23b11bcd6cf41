/* IMAP mailboxes with libetpan: a synchronous API (login, Sent discovery, incremental pull by
 * UID, IDLE, append, CRM/Processed folders) and the imap_provider driver built on it.
 * Every call that talks to the server returns an enum prov_status: PROV_TEMP for network
 * failures and timeouts (the connection is then unusable: close it), PROV_AUTH for a refused
 * login, PROV_PERM for a command the server refused (missing mailbox, ...). */
#ifndef PROVIDERS_IMAP_H
#define PROVIDERS_IMAP_H

#include <stddef.h>
#include <stdint.h>

#include "providers/provider.h"

struct imap_conn;   /* one logged-in IMAP session; not shared between threads */

struct imap_login {
	const char *host;
	int port;           /* 0: 993 with TLS, 143 without */
	int tls;            /* implicit TLS (imaps) when non-zero; plain otherwise */
	const char *user;
	const char *password;
	int timeout_s;      /* connect and per-read/write timeout; 0: 30 s */
};

/* Connect and log in; *out is set on PROV_OK and freed with imap_close(). err gets a reason on
 * failure. All strings borrowed. */
int imap_open(const struct imap_login *lg, struct imap_conn **out, char *err, size_t errlen);

/* The same from a link: settings JSON {"imap_host", "imap_port", "imap_tls", "username"}
 * (username defaults to l->address) and secret JSON {"password"}. PROV_PERM when the settings
 * are unusable. */
int imap_open_link(const struct prov_link *l, struct imap_conn **out, char *err, size_t errlen);

/* Log out (best effort) and free; NULL is fine. */
void imap_close(struct imap_conn *c);
/* How many messages the pulls skipped (unreadable, or too big) since the last call; resets. */
long imap_take_skipped(struct imap_conn *c);
/* Hand the notes of those skipped messages (core/skipped.h) to so (NULL: drop them); resets. */
void imap_take_broken(struct imap_conn *c, struct step_out *so);

/* Name of the Sent mailbox: the one flagged \Sent (SPECIAL-USE), else a usual name ("Sent",
 * "Sent Items", "Sent Messages", "INBOX.Sent", "[Gmail]/Sent Mail"). *name is malloc'd, or NULL
 * with PROV_OK when the account has none. Asked once per connection (LIST), then remembered. */
int imap_find_sent(struct imap_conn *c, char **name);

/* A mailbox sync position, as text "v=<UIDVALIDITY>;u=<last UID seen>;m=<HIGHESTMODSEQ>" and,
 * when known, ";d=<date>": the arrival time (INTERNALDATE) of the newest message the cursor
 * covers, or the time the position was taken when it was placed at a mailbox's end. Mail past
 * the cursor arrived after that date, so after a mailbox reset a re-read from it (less a margin)
 * finds what was not yet imported. Cursors without ";d=" (stored before it existed) parse with
 * date 0 and gain it at their next pull. */
struct imap_cursor {
	uint32_t uidvalidity;
	uint32_t last_uid;
	uint64_t modseq;    /* 0 when the server has no CONDSTORE */
	int64_t date;       /* epoch seconds, 0 when unknown */
};
int imap_cursor_parse(const char *s, struct imap_cursor *cur);   /* 0, or -1 when malformed */
void imap_cursor_format(const struct imap_cursor *cur, char *buf, size_t len);

/* How far before a cursor's date a re-read after a reset starts: covers mail whose arrival
 * time is a little older than mail already seen (delivery delays, clocks, IMAP SEARCH SINCE
 * working by whole days in the server's zone). */
#define IMAP_REREAD_MARGIN (2 * 86400)

/* Where a re-read of a reset mailbox starts (epoch seconds; 0: the whole mailbox): old's date
 * less IMAP_REREAD_MARGIN, or floor (the link's start, prov_link.since) when old has no date;
 * never before floor. */
int64_t imap_reread_since(const struct imap_cursor *old, int64_t floor);

/* The date a pulled cursor keeps (see struct imap_cursor): date (the newest arrival seen) as it
 * is, except that a position at the mailbox's end (more 0) with no date yet gets now (everything
 * up to it is there as of now), and a date past now (a sender's clock set ahead) becomes now, so
 * it cannot push a later re-read's start past mail still to come. */
int64_t imap_cursor_dated(int64_t date, int more, int64_t now);

/* One page of new mail in mailbox (EXAMINEd, with CONDSTORE when offered): messages with a UID
 * above the cursor's, oldest first, at most max of them (0: 200), fetched with BODY.PEEK[] so
 * nothing is marked \Seen, each parsed with mime_parse() and appended to out with provider_id
 * "<mailbox>/<uidvalidity>/<uid>" and the given folder. A message that does not parse, or is
 * larger than 25 MB, is skipped with a log line. *new_cursor (malloc'd) is the cursor to store
 * with this page; *more is set when more new messages wait (call again with *new_cursor).
 * cursor NULL or "" (first sync): no messages, the cursor becomes the mailbox's current end, so
 * only mail arriving later syncs.
 * A changed UIDVALIDITY (the mailbox was rebuilt, or deleted and created again) loses nothing:
 * it is logged, and the mailbox is read again from imap_reread_since(old cursor, since) on (by
 * IMAP SEARCH SINCE), page by page like new mail. What was imported before comes again under
 * new provider ids; the engine drops it by Message-ID, so nothing is doubled. Mail whose
 * arrival time lies before that start (an old message appended by hand) is not re-read.
 * since is the link's start (prov_link.since), 0 when unknown (a reset then re-reads the
 * whole mailbox when the cursor has no date). */
int imap_pull_since(struct imap_conn *c, const char *mailbox, enum msg_folder folder,
    const char *cursor, int64_t since, size_t max, struct msg_list *out, char **new_cursor,
    int *more);
/* imap_pull_since() with since 0. */
int imap_pull(struct imap_conn *c, const char *mailbox, enum msg_folder folder,
    const char *cursor, size_t max, struct msg_list *out, char **new_cursor, int *more);

/* What STATUS tells of a mailbox without selecting it (one round trip). */
struct imap_status {
	uint32_t uidvalidity, uidnext;
	uint64_t highestmodseq;     /* 0 when the server has no CONDSTORE */
};
int imap_status(struct imap_conn *c, const char *mailbox, struct imap_status *out);
/* Leave the selected mailbox (UNSELECT, or CLOSE after EXAMINE), so a later STATUS of it on this
 * connection sees new mail; nothing to do when none is selected. imap_status() does it itself
 * for the mailbox it asks about. */
int imap_unselect(struct imap_conn *c);
/* 1 when a pull from cursor could bring something: the cursor is missing or unreadable, the
 * UIDVALIDITY changed, or UIDNEXT is past the cursor's last UID; 0 when nothing new arrived
 * (flag changes alone move only HIGHESTMODSEQ and bring nothing). */
int imap_status_moved(const struct imap_status *s, const char *cursor);

/* A back-fill start: a cursor for mailbox placed just before the first message received on or
 * after the UTC day of since (IMAP SEARCH SINCE works by day), or at the end when there is none.
 * imap_pull() from it then brings those messages page by page. *cursor is malloc'd. */
int imap_cursor_since(struct imap_conn *c, const char *mailbox, int64_t since, char **cursor);

/* Every message currently in mailbox (up to max, 0: 200, oldest first), parsed as above; used
 * for the CRM folder. *more is set when more remain (move these first, then call again). */
int imap_fetch_all(struct imap_conn *c, const char *mailbox, enum msg_folder folder, size_t max,
    struct msg_list *out, int *more);

/* Create the folders "CRM" and "Processed" when missing (checked once per connection). */
int imap_ensure_folders(struct imap_conn *c);

/* Move the message named by provider_id ("<mailbox>/<uidvalidity>/<uid>") to dest with UID MOVE,
 * or COPY + STORE \Deleted + (UID) EXPUNGE when the server lacks MOVE. PROV_PERM when the
 * id is malformed or its UIDVALIDITY no longer matches; PROV_OK when the message is gone. */
int imap_move(struct imap_conn *c, const char *provider_id, const char *dest);

/* Look in mailbox (SELECTed) for messages whose Subject holds word (UID SEARCH SUBJECT), read
 * only their Subject header, and delete (\Deleted, then UID EXPUNGE or EXPUNGE) each one for
 * which match(ctx, raw header, its length) returns 1; *found says how many. Used for the code
 * mail that proves a link's address, which is never imported. */
int imap_sweep(struct imap_conn *c, const char *mailbox, const char *word,
    int (*match)(void *ctx, const char *header, size_t len), void *ctx, int *found);

/* The message named by provider_id ("<mailbox>/<uidvalidity>/<uid>") fetched again (EXAMINE,
 * BODY.PEEK[]) and parsed as imap_pull() does, appended to out with the given folder (one that
 * does not parse is skipped and noted as there). PROV_PERM when the id is malformed, the
 * mailbox was recreated or the message is gone. */
int imap_fetch_one(struct imap_conn *c, const char *provider_id, enum msg_folder folder,
    struct msg_list *out);

/* Append raw[0..len) to mailbox, flagged \Seen when seen is non-zero (a sent copy). */
int imap_append(struct imap_conn *c, const char *mailbox, const char *raw, size_t len, int seen);

/* ---- Push (IDLE) on INBOX, on a connection kept for it -------------------------------------
 * imap_idle_start(); then wait until imap_idle_fd() is readable (poll it beside curl's sockets,
 * e.g. curl_multi_wait extra_fds) or imap_idle_pending() says data is already buffered; then
 * imap_idle_done() tells whether new mail came; pull, and start again. Restart at least every
 * 25 minutes (servers drop IDLE after 30). */

/* SELECT INBOX and enter IDLE. PROV_PERM when the server has no IDLE: poll instead. */
int imap_idle_start(struct imap_conn *c);
/* The socket to wait on for reading while idling, or -1 when not idling. */
int imap_idle_fd(const struct imap_conn *c);
/* 1 when server data is already buffered (do not wait on the fd then), else 0. */
int imap_idle_pending(const struct imap_conn *c);
/* Leave IDLE (DONE) and read what the server sent; *new_mail is set to 1 when the message count
 * grew (EXISTS), else 0. */
int imap_idle_done(struct imap_conn *c, int *new_mail);

/* The driver: STREAM_MAIL pulls INBOX and Sent (cursor "<inbox cursor>|<sent cursor>", either
 * part may be empty) with imap_pull_since() from the link's since, so a reset of either is read
 * again, committing each page with the combined cursor. On a first sync (no
 * cursor) only later mail comes, unless the link's since lies more than a day back (a
 * back-fill): then mail from that day on comes too (imap_cursor_since); STREAM_FOLDER imports
 * every message in "CRM" (folder FOLDER_CRM, committed with cursor "crm"), then moves it to
 * "Processed". step() does all its I/O at once and returns STEP_DONE or a prov_status.
 * push_begin() takes PUSH_FOLDER_SETUP, PUSH_FOLDER_MOVE (to "Processed") and PUSH_MAIL_SEND:
 * the raw message goes out over SMTP (smtp.h; settings smtp_host, smtp_port, smtp_tls), then is
 * appended to the Sent folder (SPECIAL-USE) flagged \Seen; res->provider_id is its Message-ID.
 * Progress is recorded through push_item.save_progress ("sent", "appended"), so a retry after a
 * crash between the two steps only appends. Events are refused with PROV_PERM.
 * begin_kept() reuses the connection the engine kept from the link's last pass (a stale one is
 * replaced once, quietly) and hands it back at end() unless an error happened on it; with it a
 * mail pass asks STATUS of INBOX and Sent first and pulls only a mailbox whose UIDNEXT or
 * UIDVALIDITY moved, so a pass with nothing new is one STATUS per mailbox. */
extern const struct provider imap_provider;

#endif
