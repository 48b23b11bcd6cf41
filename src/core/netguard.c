/* The address guard for user-named servers: blocked ranges, allow_hosts rules, checked
 * connections for libetpan (a socket) and libcurl (socket opening checked). */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "core/curl_set.h"
#include "core/netguard.h"

struct ng_entry {
	unsigned char net[16];  /* IPv4 as ::ffff:a.b.c.d */
	int bits;               /* prefix length over the 16 bytes; -1 for a name entry */
	char *host;             /* a name entry's host, else NULL */
	int port;               /* 0: any port (ranges) */
};

struct netguard_rules {
	struct ng_entry *v;
	size_t n;
};

/* ---- Address ranges ---------------------------------------------------------------------- */

/* sa as 16 bytes (IPv4 mapped into ::ffff:0:0/96) and its port; -1 for other families. */
static int to16(const struct sockaddr *sa, unsigned char a[16], int *port)
{
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;
		memset(a, 0, 10);
		a[10] = a[11] = 0xff;
		memcpy(a + 12, &s4->sin_addr, 4);
		*port = ntohs(s4->sin_port);
		return 0;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
		memcpy(a, &s6->sin6_addr, 16);
		*port = ntohs(s6->sin6_port);
		return 0;
	}
	return -1;
}

static int in_prefix(const unsigned char *a, const unsigned char *net, int bits)
{
	int whole = bits / 8, rest = bits % 8;
	if (memcmp(a, net, (size_t)whole) != 0)
		return 0;
	if (!rest)
		return 1;
	unsigned char mask = (unsigned char)(0xff << (8 - rest));
	return (a[whole] & mask) == (net[whole] & mask);
}

static int blocked4(const unsigned char v4[4])
{
	static const struct { unsigned char net[4]; int bits; } ranges[] = {
		{ { 0, 0, 0, 0 }, 8 },          /* "this network", 0.0.0.0 reaches the local host */
		{ { 10, 0, 0, 0 }, 8 },         /* RFC 1918 */
		{ { 100, 64, 0, 0 }, 10 },      /* CGNAT */
		{ { 127, 0, 0, 0 }, 8 },        /* loopback */
		{ { 169, 254, 0, 0 }, 16 },     /* link-local (cloud metadata) */
		{ { 172, 16, 0, 0 }, 12 },      /* RFC 1918 */
		{ { 192, 0, 0, 0 }, 24 },       /* IETF protocol assignments */
		{ { 192, 0, 2, 0 }, 24 },       /* documentation */
		{ { 192, 88, 99, 0 }, 24 },     /* 6to4 relay anycast */
		{ { 192, 168, 0, 0 }, 16 },     /* RFC 1918 */
		{ { 198, 18, 0, 0 }, 15 },      /* benchmarking */
		{ { 198, 51, 100, 0 }, 24 },    /* documentation */
		{ { 203, 0, 113, 0 }, 24 },     /* documentation */
		{ { 224, 0, 0, 0 }, 4 },        /* multicast */
		{ { 240, 0, 0, 0 }, 4 },        /* reserved, and the broadcast address */
	};
	for (size_t i = 0; i < sizeof ranges / sizeof ranges[0]; i++)
		if (in_prefix(v4, ranges[i].net, ranges[i].bits))
			return 1;
	return 0;
}

static int blocked16(const unsigned char a[16])
{
	static const unsigned char zero[16];
	static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	static const unsigned char translated[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0 };
	static const unsigned char nat64[12] = { 0, 0x64, 0xff, 0x9b };
	static const struct { unsigned char net[16]; int bits; } ranges[] = {
		{ { 0x00, 0x64, 0xff, 0x9b, 0x00, 0x01 }, 48 },   /* local-use NAT64 */
		{ { 0x01, 0x00 }, 64 },                           /* discard */
		{ { 0x20, 0x01, 0x00, 0x02 }, 48 },               /* benchmarking */
		{ { 0x20, 0x01, 0x00, 0x10 }, 28 },               /* ORCHID */
		{ { 0x20, 0x01, 0x00, 0x20 }, 28 },               /* ORCHIDv2 */
		{ { 0x20, 0x01, 0x0d, 0xb8 }, 32 },               /* documentation */
		{ { 0x3f, 0xff }, 20 },                           /* documentation */
		{ { 0x5f, 0x00 }, 16 },                           /* segment routing */
		{ { 0xfc, 0x00 }, 7 },                            /* unique local */
		{ { 0xfe, 0x80 }, 10 },                           /* link-local */
		{ { 0xfe, 0xc0 }, 10 },                           /* site-local (deprecated) */
		{ { 0xff, 0x00 }, 8 },                            /* multicast */
	};
	/* IPv4-mapped, IPv4-translated, IPv4-compatible (with :: and ::1) and NAT64 carry an IPv4
	 * address in their last four bytes; 6to4 carries one after its first two. */
	if (memcmp(a, mapped, 12) == 0 || memcmp(a, translated, 12) == 0 ||
	    memcmp(a, zero, 12) == 0 || memcmp(a, nat64, 12) == 0)
		return blocked4(a + 12);
	if (a[0] == 0x20 && a[1] == 0x02 && blocked4(a + 2))
		return 1;
	for (size_t i = 0; i < sizeof ranges / sizeof ranges[0]; i++)
		if (in_prefix(a, ranges[i].net, ranges[i].bits))
			return 1;
	return 0;
}

int netguard_addr_blocked(const struct sockaddr *sa)
{
	unsigned char a[16];
	int port;
	if (!sa || to16(sa, a, &port) < 0)
		return 1;
	return blocked16(a);
}

/* ---- allow_hosts ------------------------------------------------------------------------- */

/* text as an address in 16 bytes; 1 when it is an IPv4 (dotted quad only) address, 2 IPv6,
 * 0 when neither. */
static int parse_addr(const char *text, unsigned char a[16])
{
	struct in_addr v4;
	if (inet_pton(AF_INET, text, &v4) == 1) {
		memset(a, 0, 10);
		a[10] = a[11] = 0xff;
		memcpy(a + 12, &v4, 4);
		return 1;
	}
	return inet_pton(AF_INET6, text, a) == 1 ? 2 : 0;
}

static int valid_name(const char *s)
{
	if (!*s || strlen(s) > 253)
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '-' && *s != '.' && *s != '_')
			return 0;
	return 1;
}

static int parse_port(const char *s)
{
	char *end;
	long p = strtol(s, &end, 10);
	return *s && isdigit((unsigned char)*s) && !*end && p >= 1 && p <= 65535 ? (int)p : 0;
}

/* One entry into e; 0, or -1 when it is none of the forms. */
static int parse_entry(char *tok, struct ng_entry *e)
{
	char *slash = strchr(tok, '/'), *colon;
	memset(e, 0, sizeof *e);
	if (slash) {
		*slash = '\0';
		int kind = parse_addr(tok, e->net), bits = parse_port(slash + 1);
		if (slash[1] == '0' && slash[2] == '\0')
			bits = 0;
		if (!kind || (bits == 0 && strcmp(slash + 1, "0") != 0) ||
		    bits > (kind == 1 ? 32 : 128))
			return -1;
		e->bits = kind == 1 ? bits + 96 : bits;
		return 0;
	}
	if (parse_addr(tok, e->net)) {      /* a bare address: that one, any port */
		e->bits = 128;
		return 0;
	}
	if (tok[0] == '[') {
		char *close = strchr(tok, ']');
		if (!close || close[1] != ':' || !(e->port = parse_port(close + 2)))
			return -1;
		*close = '\0';
		if (parse_addr(tok + 1, e->net) != 2)
			return -1;
		e->bits = 128;
		return 0;
	}
	if (!(colon = strrchr(tok, ':')) || !(e->port = parse_port(colon + 1)))
		return -1;
	*colon = '\0';
	if (parse_addr(tok, e->net) == 1) {
		e->bits = 128;
		return 0;
	}
	if (!valid_name(tok) || !(e->host = strdup(tok)))
		return -1;
	e->bits = -1;
	return 0;
}

void netguard_rules_free(struct netguard_rules *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++)
		free(r->v[i].host);
	free(r->v);
	free(r);
}

struct netguard_rules *netguard_rules_parse(const char *allow_hosts, char *err, size_t errlen)
{
	struct netguard_rules *r = calloc(1, sizeof *r);
	char *copy = strdup(allow_hosts ? allow_hosts : ""), *save = NULL;
	if (!r || !copy) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	for (char *tok = strtok_r(copy, ", \t", &save); tok; tok = strtok_r(NULL, ", \t", &save)) {
		struct ng_entry e, *nv;
		char shown[128];
		snprintf(shown, sizeof shown, "%s", tok);
		if (parse_entry(tok, &e) < 0) {
			snprintf(err, errlen, "bad entry \"%s\" (host:port, an address or a CIDR range)",
			    shown);
			goto fail;
		}
		if (!(nv = realloc(r->v, (r->n + 1) * sizeof *nv))) {
			free(e.host);
			snprintf(err, errlen, "out of memory");
			goto fail;
		}
		r->v = nv;
		r->v[r->n++] = e;
	}
	free(copy);
	return r;
fail:
	free(copy);
	netguard_rules_free(r);
	return NULL;
}

/* host without brackets into out (size 256). */
static void bare_host(const char *host, char *out)
{
	size_t n = host ? strlen(host) : 0;
	if (n >= 2 && host[0] == '[' && host[n - 1] == ']')
		snprintf(out, 256, "%.*s", (int)(n - 2), host + 1);
	else
		snprintf(out, 256, "%s", host ? host : "");
}

int netguard_rules_permit(const struct netguard_rules *r, const char *host,
    const struct sockaddr *sa)
{
	unsigned char a[16];
	char name[256];
	int port;
	if (!sa || to16(sa, a, &port) < 0)
		return 0;
	if (!blocked16(a))
		return 1;
	bare_host(host, name);
	for (size_t i = 0; r && i < r->n; i++) {
		const struct ng_entry *e = &r->v[i];
		if (e->port && e->port != port)
			continue;
		if (e->host ? strcasecmp(e->host, name) == 0 : in_prefix(a, e->net, e->bits))
			return 1;
	}
	return 0;
}

static pthread_rwlock_t rules_lock = PTHREAD_RWLOCK_INITIALIZER;
static struct netguard_rules *rules;

int netguard_configure(const char *allow_hosts, char *err, size_t errlen)
{
	struct netguard_rules *r = netguard_rules_parse(allow_hosts, err, errlen), *old;
	if (!r)
		return -1;
	pthread_rwlock_wrlock(&rules_lock);
	old = rules;
	rules = r;
	pthread_rwlock_unlock(&rules_lock);
	netguard_rules_free(old);
	return 0;
}

int netguard_permit(const char *host, const struct sockaddr *sa)
{
	pthread_rwlock_rdlock(&rules_lock);
	int ok = netguard_rules_permit(rules, host, sa);
	pthread_rwlock_unlock(&rules_lock);
	return ok;
}

/* ---- Connecting -------------------------------------------------------------------------- */

static void addr_text(const struct sockaddr *sa, char *out, size_t len)
{
	const void *p = sa->sa_family == AF_INET ?
	    (const void *)&((const struct sockaddr_in *)sa)->sin_addr :
	    (const void *)&((const struct sockaddr_in6 *)sa)->sin6_addr;
	if (!inet_ntop(sa->sa_family, p, out, (socklen_t)len))
		snprintf(out, len, "?");
}

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Connect fd to ai within the time left; 0, or -1 with errno set. */
static int connect_by(int fd, const struct addrinfo *ai, long long deadline)
{
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
		return 0;
	if (errno != EINPROGRESS)
		return -1;
	long long left = deadline - now_ms();
	struct pollfd pfd = { .fd = fd, .events = POLLOUT };
	int r = left > 0 ? poll(&pfd, 1, (int)left) : 0;
	if (r < 0)
		return -1;
	if (r == 0) {
		errno = ETIMEDOUT;
		return -1;
	}
	int soerr = 0;
	socklen_t sl = sizeof soerr;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0)
		return -1;
	if (soerr) {
		errno = soerr;
		return -1;
	}
	return 0;
}

int netguard_connect(const char *host, int port, int timeout_ms, char *why, size_t whylen)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
		.ai_flags = AI_NUMERICSERV }, *res = NULL;
	char name[256], ps[16], shown[INET6_ADDRSTRLEN] = "";
	long long deadline = now_ms() + (timeout_ms > 0 ? timeout_ms : 30000);
	int fd = -1, tried = 0, last = 0;

	bare_host(host, name);
	snprintf(ps, sizeof ps, "%d", port);
	int e = getaddrinfo(name, ps, &hints, &res);
	if (e != 0) {
		snprintf(why, whylen, "cannot look up %s: %s", name, gai_strerror(e));
		return -1;
	}
	for (const struct addrinfo *ai = res; ai; ai = ai->ai_next) {
		if (!netguard_permit(name, ai->ai_addr)) {
			if (!*shown)
				addr_text(ai->ai_addr, shown, sizeof shown);
			continue;
		}
		tried++;
		fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
		if (fd >= 0 && connect_by(fd, ai, deadline) == 0)
			break;
		last = errno;
		if (fd >= 0)
			close(fd);
		fd = -1;
		if (last == EINTR || now_ms() >= deadline)
			break;
	}
	freeaddrinfo(res);
	if (fd < 0) {
		if (!tried)
			snprintf(why, whylen, "%s:%d refused by the address guard (%s is not a public "
			    "address; see [security] allow_hosts)", name, port, shown);
		else
			snprintf(why, whylen, "cannot connect to %s:%d: %s", name, port, strerror(last));
		return -1;
	}
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0) {
		snprintf(why, whylen, "cannot connect to %s:%d: %s", name, port, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

static curl_socket_t open_checked(void *ud, curlsocktype purpose, struct curl_sockaddr *a)
{
	struct netguard_curl *g = ud;
	if (purpose != CURLSOCKTYPE_IPCXN || !netguard_permit(g->host, &a->addr)) {
		char shown[INET6_ADDRSTRLEN] = "?";
		if (a->family == AF_INET || a->family == AF_INET6)
			addr_text(&a->addr, shown, sizeof shown);
		g->refused = 1;
		snprintf(g->why, sizeof g->why, "%s refused by the address guard (%s is not a public "
		    "address; see [security] allow_hosts)", g->host, shown);
		return CURL_SOCKET_BAD;
	}
	return socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
}

/* The host and port (the scheme's default when none) of url; 0 or -1. */
static int url_parts(const char *url, char **scheme, char **host, char **port)
{
	CURLU *u = curl_url();
	int rc = -1;
	*scheme = *host = *port = NULL;
	if (u && curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_SCHEME, scheme, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, host, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_PORT, port, CURLU_DEFAULT_PORT) == CURLUE_OK)
		rc = 0;
	curl_url_cleanup(u);
	if (rc < 0) {
		curl_free(*scheme);
		curl_free(*host);
		curl_free(*port);
		*scheme = *host = *port = NULL;
	}
	return rc;
}

int netguard_curl(CURL *h, const char *url, struct netguard_curl *g)
{
	char *scheme = NULL, *host = NULL, *port = NULL, pin[300];
	int rc = -1;
	memset(g, 0, sizeof *g);
	if (url && url_parts(url, &scheme, &host, &port) == 0 && *host) {
		bare_host(host, g->host);
		/* A connect-to entry that changes nothing: curl keeps connections made with one apart
		 * from those made without, so this transfer never reuses an unguarded transfer's
		 * connection (one the guard did not check), and no unguarded transfer reuses its. */
		snprintf(pin, sizeof pin, "::%s:%s", host, port);
		g->pin = curl_slist_append(NULL, pin);
		rc = g->pin ? 0 : -1;
	}
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	/* Without any of these the guard would not hold: a refused one is the caller's error. */
	if (CURL_SET(h, CURLOPT_OPENSOCKETFUNCTION, open_checked) ||
	    CURL_SET(h, CURLOPT_OPENSOCKETDATA, g) || CURL_SET(h, CURLOPT_CONNECT_TO, g->pin) ||
	    CURL_SET(h, CURLOPT_NOPROXY, "*") || CURL_SET(h, CURLOPT_FOLLOWLOCATION, 0L))
		rc = -1;
	if (rc < 0)   /* nothing to check it against: make sure nothing is connected to */
		curl_easy_setopt(h, CURLOPT_URL, "");
	return rc;
}

void netguard_curl_free(struct netguard_curl *g)
{
	curl_slist_free_all(g->pin);
	g->pin = NULL;
}

int netguard_same_origin(const char *a, const char *b)
{
	char *sa, *ha, *pa, *sb, *hb, *pb;
	int same = 0;
	if (!a || !b || url_parts(a, &sa, &ha, &pa) < 0)
		return 0;
	if (url_parts(b, &sb, &hb, &pb) == 0) {
		same = strcasecmp(sa, sb) == 0 && strcasecmp(ha, hb) == 0 && strcmp(pa, pb) == 0;
		curl_free(sb);
		curl_free(hb);
		curl_free(pb);
	}
	curl_free(sa);
	curl_free(ha);
	curl_free(pa);
	return same;
}
