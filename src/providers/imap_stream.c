/* libetpan streams that wait with poll() (see imap_stream.h): a non-blocking socket, plain or
 * with GnuTLS on it, behind libetpan's mailstream_low driver table. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <fcntl.h>

#include <gnutls/gnutls.h>
#include <libetpan/libetpan.h>

#include "providers/imap_stream.h"

struct pstream {
	int fd;
	int timeout_s;                          /* when the stream has none of its own */
	gnutls_session_t tls;                   /* NULL: plain */
	gnutls_certificate_credentials_t cred;
};

static int stream_timeout_ms(mailstream_low *s, const struct pstream *p)
{
	time_t t = mailstream_low_get_timeout(s);
	if (t <= 0)
		t = p->timeout_s > 0 ? p->timeout_s : mailstream_network_delay.tv_sec;
	return t > 0 ? (int)(t * 1000) : 30000;
}

/* Wait until fd can be read (or written): 0, or -1 on the timeout, an error or a signal (a
 * cancelled job is interrupted by one, and must end). */
static int wait_fd(int fd, short events, int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = events };
	int r = poll(&pfd, 1, timeout_ms);
	return r > 0 ? 0 : -1;
}

static short tls_wait_events(const struct pstream *p)
{
	return gnutls_record_get_direction(p->tls) ? POLLOUT : POLLIN;
}

static ssize_t ps_read(mailstream_low *s, void *buf, size_t count)
{
	struct pstream *p = s->data;
	int tmo = stream_timeout_ms(s, p);
	if (p->fd < 0)
		return -1;
	for (;;) {
		if (p->tls) {
			ssize_t n = gnutls_record_recv(p->tls, buf, count);
			if (n >= 0)
				return n;
			if (n == GNUTLS_E_PREMATURE_TERMINATION)
				return 0;
			if (n != GNUTLS_E_AGAIN || wait_fd(p->fd, tls_wait_events(p), tmo) < 0)
				return -1;
			continue;
		}
		ssize_t n = recv(p->fd, buf, count, 0);
		if (n >= 0)
			return n;
		if ((errno != EAGAIN && errno != EWOULDBLOCK) || wait_fd(p->fd, POLLIN, tmo) < 0)
			return -1;
	}
}

static ssize_t ps_write(mailstream_low *s, const void *buf, size_t count)
{
	struct pstream *p = s->data;
	int tmo = stream_timeout_ms(s, p);
	if (p->fd < 0)
		return -1;
	for (;;) {
		if (p->tls) {
			ssize_t n = gnutls_record_send(p->tls, buf, count);
			if (n >= 0)
				return n;
			if (n != GNUTLS_E_AGAIN || wait_fd(p->fd, tls_wait_events(p), tmo) < 0)
				return -1;
			continue;
		}
		ssize_t n = send(p->fd, buf, count, MSG_NOSIGNAL);
		if (n >= 0)
			return n;
		if ((errno != EAGAIN && errno != EWOULDBLOCK) || wait_fd(p->fd, POLLOUT, tmo) < 0)
			return -1;
	}
}

static int ps_close(mailstream_low *s)
{
	struct pstream *p = s->data;
	if (p->tls && p->fd >= 0)
		gnutls_bye(p->tls, GNUTLS_SHUT_WR);   /* non-blocking: one try, no wait */
	if (p->fd >= 0)
		close(p->fd);
	p->fd = -1;
	return 0;
}

static int ps_get_fd(mailstream_low *s)
{
	return ((struct pstream *)s->data)->fd;
}

static void pstream_free(struct pstream *p)
{
	if (!p)
		return;
	if (p->fd >= 0)
		close(p->fd);
	if (p->tls)
		gnutls_deinit(p->tls);
	if (p->cred)
		gnutls_certificate_free_credentials(p->cred);
	free(p);
}

static void ps_free(mailstream_low *s)
{
	pstream_free(s->data);
	free(s);
}

/* libetpan's own cancel (mailstream_cancel) is not used: a job is cancelled by a signal. */
static void ps_cancel(mailstream_low *s)
{
	struct pstream *p = s->data;
	if (p->fd >= 0)
		shutdown(p->fd, SHUT_RDWR);
}

static struct mailstream_cancel *ps_get_cancel(mailstream_low *s)
{
	(void)s;
	return NULL;
}

/* The peer's certificates, DER, for verify_peer() (imap.c); NULL on a plain stream. */
static carray *ps_chain(mailstream_low *s)
{
	struct pstream *p = s->data;
	unsigned n = 0;
	const gnutls_datum_t *certs = p->tls ? gnutls_certificate_get_peers(p->tls, &n) : NULL;
	if (!certs)
		return NULL;
	carray *a = carray_new(n ? n : 1);
	for (unsigned i = 0; a && i < n; i++) {
		MMAPString *der = mmap_string_new_len((const char *)certs[i].data, certs[i].size);
		if (!der || carray_add(a, der, NULL) < 0) {
			if (der)
				mmap_string_free(der);
			break;
		}
	}
	return a;
}

static int ps_no_idle(mailstream_low *s)
{
	(void)s;
	return -1;
}

static mailstream_low_driver pstream_driver = {
	.mailstream_read = ps_read,
	.mailstream_write = ps_write,
	.mailstream_close = ps_close,
	.mailstream_get_fd = ps_get_fd,
	.mailstream_free = ps_free,
	.mailstream_cancel = ps_cancel,
	.mailstream_get_cancel = ps_get_cancel,
	.mailstream_get_certificate_chain = ps_chain,
	.mailstream_setup_idle = ps_no_idle,
	.mailstream_unsetup_idle = ps_no_idle,
	.mailstream_interrupt_idle = ps_no_idle,
};

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int tls_start(struct pstream *p, const char *sni, int timeout_ms, char *err,
    size_t errlen)
{
	unsigned char a[16];
	int r;
	if (gnutls_certificate_allocate_credentials(&p->cred) < 0 ||
	    gnutls_init(&p->tls, GNUTLS_CLIENT | GNUTLS_NONBLOCK) < 0 ||
	    gnutls_set_default_priority(p->tls) < 0 ||
	    gnutls_credentials_set(p->tls, GNUTLS_CRD_CERTIFICATE, p->cred) < 0) {
		snprintf(err, errlen, "cannot set up TLS");
		return -1;
	}
	if (sni && *sni && inet_pton(AF_INET, sni, a) != 1 && inet_pton(AF_INET6, sni, a) != 1)
		gnutls_server_name_set(p->tls, GNUTLS_NAME_DNS, sni, strlen(sni));
	gnutls_transport_set_int(p->tls, p->fd);
	int64_t until = mono_ms() + timeout_ms;
	while ((r = gnutls_handshake(p->tls)) < 0) {
		int left = (int)(until - mono_ms());
		if (gnutls_error_is_fatal(r) || left <= 0 ||
		    wait_fd(p->fd, tls_wait_events(p), left) < 0) {
			snprintf(err, errlen, "TLS handshake failed (%s)",
			    gnutls_error_is_fatal(r) ? gnutls_strerror(r) : "timed out");
			return -1;
		}
	}
	return 0;
}

mailstream *imap_stream_open(int fd, int tls, const char *sni, int timeout_s, char *err,
    size_t errlen)
{
	struct pstream *p = calloc(1, sizeof *p);
	mailstream_low *low = NULL;
	mailstream *ms = NULL;
	int fl = fcntl(fd, F_GETFL);
	if (!p) {
		close(fd);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	p->fd = fd;
	p->timeout_s = timeout_s > 0 ? timeout_s : 30;
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) {
		snprintf(err, errlen, "cannot set up the connection");
		goto fail;
	}
	if (tls && tls_start(p, sni, p->timeout_s * 1000, err, errlen) < 0)
		goto fail;
	if (!(low = mailstream_low_new(p, &pstream_driver))) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if (!(ms = mailstream_new(low, 8192))) {
		mailstream_low_free(low);   /* frees p, closes fd */
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	return ms;
fail:
	pstream_free(p);
	return NULL;
}
