/* Mail messages to and from raw RFC 5322 text: parse into struct sync_msg, build one to send. */
#ifndef PROVIDERS_MIME_H
#define PROVIDERS_MIME_H

#include <stddef.h>
#include <stdint.h>

#include "providers/provider.h"

#define MIME_MAX_ATTACH 100   /* attachments kept of one message; more are counted, not kept */

/* Initialise GMime once per process; safe to call from any thread, any number of times.
 * mime_parse() and mime_build() call it themselves. */
void mime_init(void);

/* Attachments larger than max bytes (0: no limit, the default) keep their size but not their
 * bytes (sync_attach.data NULL): crm-sync sets [sync] attachment_max_mb once at start, so a
 * part it will not store is not copied. */
void mime_set_attach_max(size_t max);

/* Parse the raw message raw[0..len) into *out (zeroed first; the caller frees it with
 * msg_free(), also after a failure). provider_id and folder are left for the caller.
 * Message-ID without <>, synthesized from From+Date+Subject when missing; header text decoded
 * to UTF-8; addresses trimmed and lower-cased (groups flattened); date in UTC epoch seconds
 * (0 when absent or unreadable); body_text from the first text/plain part, else the first
 * text/html part turned into plain text; body_html_safe is left NULL (raw HTML is never kept).
 * attachments: every other leaf part that is an attachment, a named part or not text, up to
 * MIME_MAX_ATTACH: name decoded (RFC 2231, encoded words) and cleaned, media type, content id,
 * the decoded bytes and their SHA-256; a part with an unknown transfer encoding is kept marked
 * unreadable, without bytes; a size the part claims (Content-Disposition size=) is ignored.
 * Returns 0, or -1 with a reason in err when the input is not a mail message at all. */
int mime_parse(const char *raw, size_t len, struct sync_msg *out, char *err, size_t errlen);

/* A file mime_build() attaches: a base64 part with Content-Disposition attachment and the name
 * as filename (RFC 2231 when not ASCII) and Content-Type name (an RFC 2047 encoded word, for
 * older readers). Borrowed. */
struct mime_file {
	const char *name;               /* cleaned (attach_name_clean), UTF-8, no CR or LF */
	const char *media_type;         /* "type/subtype"; NULL or bad: application/octet-stream */
	const unsigned char *data;
	size_t len;
};

/* What mime_build() turns into a message. Everything borrowed. */
struct mime_out {
	const char *from_name;          /* may be NULL */
	const char *from_email;         /* required */
	const struct addr *to;          /* at least one of to/cc */
	size_t n_to;
	const struct addr *cc;
	size_t n_cc;
	const char *subject;            /* UTF-8, may be NULL */
	int64_t date;                   /* epoch seconds; 0 means now */
	const char *message_id;         /* required, with or without <> */
	const char *in_reply_to;        /* without <>, may be NULL */
	const char *const *references;  /* without <>, oldest first; may be NULL */
	size_t n_references;
	const char *body;               /* UTF-8 plain text, may be NULL */
	const struct mime_file *files;  /* attachments, may be NULL */
	size_t n_files;
};

/* Build a raw RFC 5322 message (CRLF line ends, text/plain UTF-8 quoted-printable body; with
 * files a multipart/mixed of that body and one part per file).
 * Returns a malloc'd NUL-terminated string with its length in *len, or NULL when a required
 * field is missing or a header value holds CR or LF. */
char *mime_build(const struct mime_out *m, size_t *len);

/* A fresh Message-ID "<random hex>@domain" (without <>), malloc'd; NULL when out of memory. */
char *mime_new_message_id(const char *domain);

#endif
