/* Sending mail over SMTP with libcurl (submission with STARTTLS, implicit TLS, or plain on
 * loopback), for IMAP links: the IMAP driver sends, then appends the same message to Sent. */
#ifndef PROVIDERS_SMTP_H
#define PROVIDERS_SMTP_H

#include <stddef.h>

#include "providers/provider.h"

enum smtp_tls {
	SMTP_STARTTLS,  /* smtp://, STARTTLS required (tried only, when the server is loopback) */
	SMTP_TLS,       /* smtps:// (implicit TLS, usually port 465) */
	SMTP_NONE,      /* smtp:// without TLS: refused unless the server is loopback */
};

/* Where and how to send; strings borrowed. */
struct smtp_conf {
	const char *host;
	int port;               /* 0: 587, 465 (TLS) or 25 (none) */
	enum smtp_tls tls;
	const char *user;       /* AUTH (PLAIN/LOGIN/... as the server offers) when password set */
	const char *password;
	int timeout_s;          /* 0: 60 */
};

/* Read the link's SMTP settings into *c (strings point into the parsed JSON, kept in *json
 * until the caller json_decref()s the two objects in json[0], json[1]). Settings keys:
 * smtp_host (default imap_host), smtp_port, smtp_tls ("starttls" default, "tls", "none"),
 * username (default the link address); secret key password. Returns PROV_OK or PROV_PERM with
 * a reason in err. */
int smtp_conf_of_link(const struct prov_link *l, struct smtp_conf *c, void *json[2], char *err,
    size_t errlen);

/* 1 when host names this machine (127.0.0.0/8, ::1, localhost). Pure. */
int smtp_host_is_loopback(const char *host);

/* The envelope recipients of m: every To and Cc address once, in order. rcpts[] points into m;
 * returns the count (at most max). Pure. */
size_t smtp_envelope(const struct sync_msg *m, const char **rcpts, size_t max);

/* Send raw[0..len) from `from` to rcpts. Returns PROV_OK; PROV_AUTH when the login is refused;
 * PROV_TEMP for network trouble and 4xx answers (greylisting, 451); PROV_PERM for 5xx answers,
 * a server without the required TLS, or bad settings. err gets the reason. */
/* fn() says (from the sending thread) that the send must stop now, e.g. past its deadline; it
 * is asked about once a second and whenever the transfer moves. NULL: never. */
void smtp_set_cancel(int (*fn)(void));
int smtp_send(const struct smtp_conf *c, const char *from, const char *const *rcpts,
    size_t n_rcpts, const char *raw, size_t len, char *err, size_t errlen);

#endif
