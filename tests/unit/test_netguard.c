/* The address guard: every spelling of a private address is refused, public ones pass,
 * allow_hosts opens exactly what it names, and the checked connections never reach a
 * refused listener. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <unistd.h>

#include "t.h"
#include "tmpdir.h"
#include "core/config.h"
#include "core/netguard.h"
#include "providers/imap.h"
#include "providers/smtp.h"

/* The first address getaddrinfo gives for host (numeric spellings included) at port. */
static int lookup(const char *host, int port, struct sockaddr_storage *ss)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM }, *res;
	char ps[16];
	snprintf(ps, sizeof ps, "%d", port);
	if (getaddrinfo(host, ps, &hints, &res) != 0)
		return -1;
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	freeaddrinfo(res);
	return 0;
}

static void test_every_spelling_of_a_private_address_is_blocked(void)
{
	static const char *const blocked[] = { "127.0.0.1", "localhost", "0.0.0.0", "2130706433",
		"0x7f000001", "127.1", "0177.0.0.1", "::1", "::", "::ffff:127.0.0.1", "::127.0.0.1",
		"::ffff:10.0.0.1", "::ffff:0:127.0.0.1", "64:ff9b::a00:1", "2002:7f00:1::1",
		"10.0.0.1", "172.16.0.1", "172.31.255.255", "192.168.1.1", "169.254.169.254",
		"100.64.0.1", "100.127.255.255", "0.1.2.3", "224.0.0.1", "239.255.255.250",
		"240.0.0.1", "255.255.255.255", "192.0.2.1", "198.18.0.1", "198.51.100.7",
		"203.0.113.9", "192.0.0.8", "fe80::1", "fc00::1", "fd12:3456::1", "ff02::1",
		"fec0::1", "2001:db8::1", "100::1", "::ffff:169.254.169.254" };
	for (size_t i = 0; i < sizeof blocked / sizeof blocked[0]; i++) {
		struct sockaddr_storage ss;
		if (lookup(blocked[i], 993, &ss) != 0) {
			if (strcmp(blocked[i], "localhost") == 0)
				continue;   /* a machine without a localhost entry */
			t_fail(__FILE__, __LINE__, blocked[i]);
			return;
		}
		if (!netguard_addr_blocked((struct sockaddr *)&ss)) {
			t_fail(__FILE__, __LINE__, blocked[i]);
			return;
		}
		CHECK(!netguard_rules_permit(NULL, blocked[i], (struct sockaddr *)&ss));
	}
}

static void test_public_addresses_pass(void)
{
	static const char *const public[] = { "8.8.8.8", "1.1.1.1", "172.32.0.1", "100.128.0.1",
		"11.0.0.1", "192.0.3.1", "193.0.0.1", "2606:4700::1111", "2a00:1450:4001::1",
		"::ffff:8.8.8.8", "2002:808:808::1" };
	for (size_t i = 0; i < sizeof public / sizeof public[0]; i++) {
		struct sockaddr_storage ss;
		CHECK_INT(lookup(public[i], 993, &ss), 0);
		if (netguard_addr_blocked((struct sockaddr *)&ss)) {
			t_fail(__FILE__, __LINE__, public[i]);
			return;
		}
	}
}

/* permit(rules, typed host, address text, port) */
static int permits(const struct netguard_rules *r, const char *host, const char *addr, int port)
{
	struct sockaddr_storage ss;
	if (lookup(addr, port, &ss) != 0)
		return -1;
	return netguard_rules_permit(r, host, (struct sockaddr *)&ss);
}

static void test_allow_hosts_opens_exactly_what_it_names(void)
{
	char err[256];
	struct netguard_rules *r = netguard_rules_parse("127.0.0.1:1143, 10.0.0.0/8 "
	    "mail.internal:993,[::1]:5232\tfd00::/8, 192.168.7.7", err, sizeof err);
	CHECK(r != NULL);
	/* host:port with an address: that address at that port, whatever the spelling */
	CHECK_INT(permits(r, "127.0.0.1", "127.0.0.1", 1143), 1);
	CHECK_INT(permits(r, "2130706433", "2130706433", 1143), 1);
	CHECK_INT(permits(r, "::ffff:127.0.0.1", "::ffff:127.0.0.1", 1143), 1);
	CHECK_INT(permits(r, "127.0.0.1", "127.0.0.1", 1144), 0);
	CHECK_INT(permits(r, "127.0.0.2", "127.0.0.2", 1143), 0);
	CHECK_INT(permits(r, "::1", "::1", 1143), 0);
	/* CIDR: any port inside the range only */
	CHECK_INT(permits(r, "10.200.1.1", "10.200.1.1", 22), 1);
	CHECK_INT(permits(r, "::ffff:10.1.1.1", "::ffff:10.1.1.1", 993), 1);
	CHECK_INT(permits(r, "172.16.0.1", "172.16.0.1", 993), 0);
	CHECK_INT(permits(r, "fd00::5", "fd00::5", 1), 1);
	CHECK_INT(permits(r, "fc01::5", "fc01::5", 1), 0);
	CHECK_INT(permits(r, "192.168.7.7", "192.168.7.7", 443), 1);
	CHECK_INT(permits(r, "192.168.7.8", "192.168.7.8", 443), 0);
	/* a name: that name as typed (any case), at that port */
	CHECK_INT(permits(r, "MAIL.Internal", "192.168.1.5", 993), 1);
	CHECK_INT(permits(r, "mail.internal", "192.168.1.5", 143), 0);
	CHECK_INT(permits(r, "other.internal", "192.168.1.5", 993), 0);
	/* a bracketed IPv6 entry */
	CHECK_INT(permits(r, "[::1]", "::1", 5232), 1);
	CHECK_INT(permits(r, "127.0.0.1", "127.0.0.1", 5232), 0);
	/* the rest stays blocked, and public addresses need no entry */
	CHECK_INT(permits(r, "169.254.169.254", "169.254.169.254", 80), 0);
	CHECK_INT(permits(r, "8.8.8.8", "8.8.8.8", 993), 1);
	netguard_rules_free(r);
	r = netguard_rules_parse("", err, sizeof err);
	CHECK(r != NULL);
	CHECK_INT(permits(r, "127.0.0.1", "127.0.0.1", 1143), 0);
	netguard_rules_free(r);
}

static void test_bad_allow_hosts_entries_are_refused(void)
{
	static const char *const bad[] = { "mail.internal", "1.2.3.4:0", "1.2.3.4:70000",
		"10.0.0.0/33", "fd00::/129", "10.0.0.0/", "/8", "[::1]", "[::1]:x", "[10.0.0.1]:5",
		"ho$t:1", "host:", ":993", "10.0.0.0/-1", "10.0.0.0/8x" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char err[256] = "";
		struct netguard_rules *r = netguard_rules_parse(bad[i], err, sizeof err);
		if (r) {
			netguard_rules_free(r);
			t_fail(__FILE__, __LINE__, bad[i]);
			return;
		}
		CHECK(strstr(err, "bad entry") != NULL);
	}
	const char *dir = t_tmpdir();
	const char *p = t_write(dir, "crm.conf", "[core]\ndatabase = x.db\n[security]\n"
	    "allow_hosts = 127.0.0.1:993, mail.internal\n");
	struct config c;
	char err[256];
	CHECK_INT(config_load(p, &c, err, sizeof err), -1);
	CHECK(strstr(err, ":4: security.allow_hosts: bad entry \"mail.internal\"") != NULL);
	p = t_write(dir, "crm.conf", "[security]\nallow_hosts = 127.0.0.1:993 10.0.0.0/8\n");
	CHECK_INT(config_load(p, &c, err, sizeof err), 0);
	CHECK_STR(c.allow_hosts, "127.0.0.1:993 10.0.0.0/8");
	config_free(&c);
}

/* A non-blocking listener on 127.0.0.1 and its port. */
static int listener(int *port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof sa;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(fd, 16) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &sl) < 0)
		return -1;
	*port = ntohs(sa.sin_port);
	return fd;
}

/* Connections waiting on the listener (accepted and closed). */
static int connections(int lfd)
{
	int n = 0, c;
	usleep(50000);
	while ((c = accept(lfd, NULL, NULL)) >= 0) {
		close(c);
		n++;
	}
	return n;
}

static void test_connect_reaches_only_permitted_listeners(void)
{
	char why[512], allow[64];
	int port, lfd = listener(&port);
	CHECK(lfd >= 0);
	CHECK_INT(netguard_configure("", why, sizeof why), 0);
	static const char *const spellings[] = { "127.0.0.1", "localhost", "0.0.0.0",
		"2130706433", "0x7f000001", "127.1", "[::1]", "::ffff:127.0.0.1",
		"[::ffff:127.0.0.1]" };
	for (size_t i = 0; i < sizeof spellings / sizeof spellings[0]; i++) {
		why[0] = '\0';
		int fd = netguard_connect(spellings[i], port, 2000, why, sizeof why);
		if (fd >= 0) {
			close(fd);
			t_fail(__FILE__, __LINE__, spellings[i]);
			break;
		}
	}
	CHECK_INT(connections(lfd), 0);
	CHECK(strstr(why, "refused by the address guard") != NULL);
	snprintf(allow, sizeof allow, "127.0.0.1:%d", port);
	CHECK_INT(netguard_configure(allow, why, sizeof why), 0);
	int fd = netguard_connect("127.1", port, 2000, why, sizeof why);
	CHECK(fd >= 0);
	close(fd);
	CHECK_INT(connections(lfd), 1);
	CHECK(netguard_connect("127.0.0.1", port + 1 == 65536 ? 1 : port + 1, 2000, why,
	    sizeof why) < 0);
	CHECK(strstr(why, "refused by the address guard") != NULL);
	CHECK_INT(netguard_configure("", why, sizeof why), 0);
	close(lfd);
}

static size_t discard(char *p, size_t s, size_t n, void *u)
{
	(void)p;
	(void)u;
	return s * n;
}

static void test_curl_transfers_reach_only_permitted_listeners(void)
{
	char why[256], url[128], allow[64];
	int port, lfd = listener(&port);
	CHECK(lfd >= 0);
	CHECK_INT(netguard_configure("", why, sizeof why), 0);
	static const char *const hosts[] = { "127.0.0.1", "localhost", "0.0.0.0", "2130706433",
		"0x7f000001", "127.1", "[::1]", "[::ffff:127.0.0.1]", "[::ffff:7f00:1]" };
	for (int allowed = 0; allowed < 2; allowed++) {
		for (size_t i = 0; i < sizeof hosts / sizeof hosts[0]; i++) {
			struct netguard_curl g;
			CURL *h = curl_easy_init();
			CHECK(h != NULL);
			snprintf(url, sizeof url, "http://%s:%d/x", hosts[i], port);
			curl_easy_setopt(h, CURLOPT_URL, url);
			CHECK_INT(netguard_curl(h, url, &g), 0);
			curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 300L);
			curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
			CURLcode rc = curl_easy_perform(h);
			curl_easy_cleanup(h);
			netguard_curl_free(&g);
			if (!allowed && (rc == CURLE_OK || !g.refused)) {
				t_fail(__FILE__, __LINE__, url);
				return;
			}
		}
		if (!allowed) {
			CHECK_INT(connections(lfd), 0);
			snprintf(allow, sizeof allow, "127.0.0.1:%d", port);
			CHECK_INT(netguard_configure(allow, why, sizeof why), 0);
		} else {
			/* with the entry, the IPv4 spellings get through (nothing answers HTTP here) */
			CHECK(connections(lfd) >= 5);
		}
	}
	CHECK_INT(netguard_configure("", why, sizeof why), 0);
	close(lfd);
}

/* The providers' own connections go through the guard: IMAP login and SMTP submission to a
 * refused listener fail without a connection, under every spelling. */
static void test_imap_and_smtp_reach_no_refused_listener(void)
{
	char why[256], err[512];
	int port, lfd = listener(&port);
	CHECK(lfd >= 0);
	CHECK_INT(netguard_configure("", why, sizeof why), 0);
	static const char *const hosts[] = { "127.0.0.1", "localhost", "0.0.0.0", "2130706433",
		"0x7f000001", "127.1", "[::ffff:127.0.0.1]", "::ffff:127.0.0.1" };
	static const char msg[] = "From: a@example.com\r\nTo: b@example.com\r\n\r\nhi\r\n";
	const char *rcpt[] = { "b@example.com" };
	for (size_t i = 0; i < sizeof hosts / sizeof hosts[0]; i++) {
		struct imap_conn *c = NULL;
		struct imap_login lg = { .host = hosts[i], .port = port, .user = "u", .password = "p",
			.timeout_s = 2 };
		CHECK_INT(imap_open(&lg, &c, err, sizeof err), PROV_TEMP);
		CHECK(strstr(err, "refused by the address guard") != NULL);
		if (strchr(hosts[i], ':') && hosts[i][0] != '[')
			continue;   /* an SMTP URL needs the brackets */
		struct smtp_conf sc = { .host = hosts[i], .port = port, .tls = SMTP_STARTTLS,
			.timeout_s = 2 };
		CHECK_INT(smtp_send(&sc, "a@example.com", rcpt, 1, msg, strlen(msg), err, sizeof err),
		    PROV_PERM);
		if (!strstr(err, "refused by the address guard")) {
			t_fail(__FILE__, __LINE__, err);
			return;
		}
	}
	CHECK_INT(connections(lfd), 0);
	close(lfd);
}

/* A server that greets, then reads one command and hangs up: the IMAP client reached it. */
struct greeter {
	int lfd;
	char got[64];
};

static void *greet_one(void *arg)
{
	struct greeter *g = arg;
	struct pollfd pfd = { .fd = g->lfd, .events = POLLIN };
	if (poll(&pfd, 1, 5000) != 1)   /* the listener does not block */
		return NULL;
	int c = accept(g->lfd, NULL, NULL);
	if (c < 0)
		return NULL;
	static const char hello[] = "* OK greeter ready\r\n";
	if (write(c, hello, sizeof hello - 1) > 0) {
		ssize_t n = read(c, g->got, sizeof g->got - 1);
		if (n > 0)
			g->got[n] = '\0';
	}
	close(c);
	return NULL;
}

/* IMAP streams wait with poll(): a connection whose descriptor is past FD_SETSIZE (libetpan's
 * own streams would abort the process in select() there) greets and takes a command. */
static void test_imap_connection_past_fd_setsize_works(void)
{
	char why[256], err[512] = "", allow[64];
	int port, lfd = listener(&port);
	CHECK(lfd >= 0);
	snprintf(allow, sizeof allow, "127.0.0.1:%d", port);
	CHECK_INT(netguard_configure(allow, why, sizeof why), 0);
	struct rlimit rl;
	CHECK_INT(getrlimit(RLIMIT_NOFILE, &rl), 0);
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < FD_SETSIZE + 64) {
		printf("# skipped: RLIMIT_NOFILE hard limit %ld\n", (long)rl.rlim_max);
		close(lfd);
		return;
	}
	struct rlimit raised = { FD_SETSIZE + 64, rl.rlim_max };
	CHECK_INT(setrlimit(RLIMIT_NOFILE, &raised), 0);
	struct greeter g = { .lfd = lfd };
	pthread_t t;
	CHECK_INT(pthread_create(&t, NULL, greet_one, &g), 0);
	int filler[FD_SETSIZE], n = 0, fd;
	while ((fd = open("/dev/null", O_RDONLY)) >= 0 && fd < FD_SETSIZE)
		filler[n++] = fd;   /* every descriptor below FD_SETSIZE taken */
	if (fd >= FD_SETSIZE)
		close(fd);
	struct imap_conn *c = NULL;
	struct imap_login lg = { .host = "127.0.0.1", .port = port, .user = "u", .password = "p",
		.timeout_s = 3 };
	int rc = imap_open(&lg, &c, err, sizeof err);
	for (int i = 0; i < n; i++)
		close(filler[i]);
	pthread_join(t, NULL);
	setrlimit(RLIMIT_NOFILE, &rl);
	CHECK_INT(netguard_configure("", why, sizeof why), 0);
	close(lfd);
	CHECK(n >= FD_SETSIZE - 16);
	CHECK(rc != PROV_OK);   /* the greeter hangs up after the command */
	CHECK(strstr(g.got, "LOGIN") != NULL || strstr(g.got, "CAPABILITY") != NULL);
}

static void test_same_origin_is_scheme_host_and_port(void)
{
	CHECK_INT(netguard_same_origin("https://dav.example.com/a/", "https://DAV.example.com:443/b"), 1);
	CHECK_INT(netguard_same_origin("http://dav.example.com/a/", "http://dav.example.com:80/"), 1);
	CHECK_INT(netguard_same_origin("https://dav.example.com/", "http://dav.example.com/"), 0);
	CHECK_INT(netguard_same_origin("https://dav.example.com/", "https://dav.example.com:8443/"), 0);
	CHECK_INT(netguard_same_origin("https://dav.example.com/", "https://evil.example.com/"), 0);
	CHECK_INT(netguard_same_origin("https://dav.example.com/", "https://dav.example.com.evil/"), 0);
	CHECK_INT(netguard_same_origin("https://dav.example.com/", NULL), 0);
	CHECK_INT(netguard_same_origin("https://dav.example.com/", "not a url"), 0);
}

T_MAIN(T(test_every_spelling_of_a_private_address_is_blocked), T(test_public_addresses_pass),
    T(test_allow_hosts_opens_exactly_what_it_names), T(test_bad_allow_hosts_entries_are_refused),
    T(test_connect_reaches_only_permitted_listeners),
    T(test_curl_transfers_reach_only_permitted_listeners),
    T(test_imap_and_smtp_reach_no_refused_listener),
    T(test_imap_connection_past_fd_setsize_works),
    T(test_same_origin_is_scheme_host_and_port))
