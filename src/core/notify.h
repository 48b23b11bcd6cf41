/* Notices crm-sync mails to users through the company's relay ([notify] smtp_url): the relay's
 * URL and the text of the "your mailbox needs re-linking" mail. Pure. */
#ifndef CORE_NOTIFY_H
#define CORE_NOTIFY_H

#include <stddef.h>
#include <stdint.h>

struct notify_relay {
	char host[256];
	int port;       /* 0: the scheme's default */
	int tls;        /* 1: smtps:// (implicit TLS); 0: smtp:// (STARTTLS, or plain on loopback) */
};

/* Parse "smtp://host[:port]" or "smtps://host[:port]" (an optional trailing "/"; a bracketed
 * IPv6 address is fine; no user or path). Returns 0, or -1 with *out cleared. */
int notify_relay_parse(const char *url, struct notify_relay *out);

/* The notice mail (CRLF lines, headers and a text/plain body) telling `to` that the mailbox
 * `address` (provider) can no longer be synced and must be linked again at base_url's Sync
 * settings. Control characters in the values are dropped from headers. Returns a malloc'd
 * string, or NULL when out of memory. */
char *notify_relink_mail(const char *from, const char *to, const char *address,
    const char *provider, const char *base_url, const char *message_id, int64_t now);

#endif
