/* The address guard for servers a user names (IMAP, SMTP and CalDAV hosts and URLs): which
 * addresses may be connected to, the [security] allow_hosts exceptions, and the connection
 * helpers (a checked socket for libetpan, a checked curl handle) that make the guard hold on
 * the address actually connected to, not on a name looked up again later. */
#ifndef CORE_NETGUARD_H
#define CORE_NETGUARD_H

#include <stddef.h>
#include <sys/socket.h>

#include <curl/curl.h>

/* 1 when sa is an address no user-named server may have: loopback, unspecified and 0.0.0.0/8,
 * RFC 1918 and unique local (fc00::/7), link-local, CGNAT (100.64.0.0/10), multicast,
 * documentation, benchmarking and other reserved ranges, and every IPv6 form that embeds such
 * an IPv4 address (IPv4-mapped ::ffff:0:0/96, IPv4-compatible ::/96, NAT64 64:ff9b::/96,
 * 6to4 2002::/16). Families other than IPv4 and IPv6 are blocked too. Pure. */
int netguard_addr_blocked(const struct sockaddr *sa);

/* The exceptions of `[security] allow_hosts`: entries separated by commas or spaces, each
 * "host:port" (a name, an IPv4 address or a bracketed IPv6 address, and a port: that server
 * only) or a CIDR range "10.0.0.0/8", "fd00::/8" (a bare address is a single-address range;
 * any port). Names match the host as the user typed it (case-insensitive); addresses match the
 * address connected to, whatever spelling led to it. */
struct netguard_rules;

/* Parse allow_hosts (NULL or "" is an empty list). Returns the rules, or NULL with the bad
 * entry named in err. Free with netguard_rules_free(). */
struct netguard_rules *netguard_rules_parse(const char *allow_hosts, char *err, size_t errlen);
void netguard_rules_free(struct netguard_rules *r);

/* 1 when a connection to sa (address and port), reached from the typed host, may be made:
 * the address is not blocked, or an entry of r allows it. Pure; r may be NULL. */
int netguard_rules_permit(const struct netguard_rules *r, const char *host,
    const struct sockaddr *sa);

/* The process-wide rules, set once at start from the config (before any thread connects).
 * Returns 0, or -1 with err set (the old rules stay). */
int netguard_configure(const char *allow_hosts, char *err, size_t errlen);
/* netguard_rules_permit() with the process-wide rules. */
int netguard_permit(const char *host, const struct sockaddr *sa);

/* Look host up once (a bracketed IPv6 literal is fine) and connect a TCP socket to port on the
 * first address the guard permits, within timeout_ms (0: 30 s) as a whole. Returns the
 * connected (blocking) socket, or -1 with a reason for the log in why: refused by the guard,
 * unknown host, or the connection failed. Blocking; interrupted by a signal it fails. */
int netguard_connect(const char *host, int port, int timeout_ms, char *why, size_t whylen);

/* The guard on one curl transfer; lives as long as the handle it is set on. */
struct netguard_curl {
	char host[256];     /* the URL's host as typed (brackets taken off) */
	int refused;        /* set when the guard stopped a connection of the transfer */
	char why[400];      /* then what it refused, for the log */
	struct curl_slist *pin;   /* owned; netguard_curl_free() */
};

/* Guard every connection h makes for url: curl's socket opening checks the address it is
 * about to connect to (so the name is looked up once, by curl, and that exact address is
 * checked), connections are kept apart from unguarded transfers' (no reuse of a connection the
 * guard did not check), no proxy is used, and redirects are not followed. Call after
 * CURLOPT_URL with the same url; g must outlive the transfer, then netguard_curl_free(g)
 * (after curl_easy_cleanup, or once the handle is done). Returns 0, or -1 when url has no host
 * (the handle's URL is then cleared, so it connects nowhere). */
int netguard_curl(CURL *h, const char *url, struct netguard_curl *g);
void netguard_curl_free(struct netguard_curl *g);

/* 1 when URLs a and b have the same origin (scheme, host case-insensitively, port with the
 * scheme's default): credentials given for one may go to the other. 0 otherwise or when
 * either does not parse. */
int netguard_same_origin(const char *a, const char *b);

#endif
