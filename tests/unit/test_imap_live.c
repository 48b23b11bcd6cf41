/* IMAP provider against a real server: run by tests/integration/test_imap (which starts a
 * private Dovecot and sets IMAP_TEST_PORT/USER/PASS); without IMAP_TEST_PORT only the pure
 * cursor cases run and the live ones are skipped. */
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <libetpan/libetpan.h>

#include "providers/imap.h"
#include "t.h"
#include "step_sink.h"
#include "live_allow.h"

static struct imap_login login;

static int live(void)
{
	const char *port = getenv("IMAP_TEST_PORT");
	if (!port || !*port)
		return 0;
	login.host = "127.0.0.1";
	login.port = atoi(port);
	login.user = getenv("IMAP_TEST_USER") ? getenv("IMAP_TEST_USER") : "alice";
	login.password = getenv("IMAP_TEST_PASS") ? getenv("IMAP_TEST_PASS") : "secret";
	login.timeout_s = 10;
	return live_allow(port, getenv("IMAP_TEST_TLS_PORT"), NULL) == 0;
}

/* Without a server the case passes vacuously; the "# skip" line says so. */
#define NEED_LIVE() do { if (!live()) { printf("# skip %s: no IMAP_TEST_PORT\n", \
	__func__); return; } } while (0)

static struct imap_conn *conn(void)
{
	struct imap_conn *c = NULL;
	char err[256];
	if (imap_open(&login, &c, err, sizeof err) != PROV_OK)
		fprintf(stderr, "  open: %s\n", err);
	return c;
}

static char *make_msg(const char *subject, const char *msgid)
{
	char *s = NULL;
	if (asprintf(&s, "From: Maria <maria@example.com>\r\nTo: office@fieldco.test\r\n"
	    "Subject: %s\r\nDate: Mon, 31 Jul 2023 11:30:00 -0500\r\nMessage-ID: <%s>\r\n"
	    "Content-Type: text/plain; charset=utf-8\r\n\r\nBody of %s\r\n",
	    subject, msgid, subject) < 0)
		return NULL;
	return s;
}

static int append_msg(struct imap_conn *c, const char *mb, const char *subject, const char *id)
{
	char *raw = make_msg(subject, id);
	int rc = raw ? imap_append(c, mb, raw, strlen(raw), 0) : -1;
	free(raw);
	return rc;
}

/* Delete and create a mailbox with plain libetpan (the product never deletes folders). */
static int recreate_box(const char *mb)
{
	mailimap *s = mailimap_new(0, NULL);
	int ok = s && mailimap_socket_connect(s, login.host, (uint16_t)login.port) ==
	    MAILIMAP_NO_ERROR_NON_AUTHENTICATED &&
	    mailimap_login(s, login.user, login.password) == MAILIMAP_NO_ERROR;
	if (ok) {
		mailimap_delete(s, mb);
		ok = mailimap_create(s, mb) == MAILIMAP_NO_ERROR;
		mailimap_logout(s);
	}
	if (s)
		mailimap_free(s);
	return ok ? 0 : -1;
}

/* Whether message uid of mb carries \\Seen, asked over a separate plain libetpan session. */
static int is_seen(const char *mb, uint32_t uid)
{
	mailimap *s = mailimap_new(0, NULL);
	int seen = -1;
	clist *res = NULL;
	if (!s || mailimap_socket_connect(s, login.host, (uint16_t)login.port) !=
	    MAILIMAP_NO_ERROR_NON_AUTHENTICATED ||
	    mailimap_login(s, login.user, login.password) != MAILIMAP_NO_ERROR ||
	    mailimap_examine(s, mb) != MAILIMAP_NO_ERROR)
		goto out;
	struct mailimap_set *set = mailimap_set_new_single(uid);
	struct mailimap_fetch_type *ft = mailimap_fetch_type_new_fetch_att(mailimap_fetch_att_new_flags());
	if (mailimap_uid_fetch(s, set, ft, &res) == MAILIMAP_NO_ERROR && res && clist_begin(res)) {
		struct mailimap_msg_att *ma = clist_content(clist_begin(res));
		seen = 0;
		for (clistiter *it = clist_begin(ma->att_list); it; it = clist_next(it)) {
			struct mailimap_msg_att_item *item = clist_content(it);
			if (item->att_type != MAILIMAP_MSG_ATT_ITEM_DYNAMIC || !item->att_data.att_dyn->att_list)
				continue;
			for (clistiter *f = clist_begin(item->att_data.att_dyn->att_list); f; f = clist_next(f)) {
				struct mailimap_flag_fetch *ff = clist_content(f);
				if (ff->fl_type == MAILIMAP_FLAG_FETCH_OTHER && ff->fl_flag &&
				    ff->fl_flag->fl_type == MAILIMAP_FLAG_SEEN)
					seen = 1;
			}
		}
	}
	if (res)
		mailimap_fetch_list_free(res);
	mailimap_fetch_type_free(ft);
	mailimap_set_free(set);
	mailimap_logout(s);
out:
	if (s)
		mailimap_free(s);
	return seen;
}

static int create_box(struct imap_conn *c, const char *mb)
{
	(void)c;
	mailimap *s = mailimap_new(0, NULL);
	int ok = s && mailimap_socket_connect(s, login.host, (uint16_t)login.port) ==
	    MAILIMAP_NO_ERROR_NON_AUTHENTICATED &&
	    mailimap_login(s, login.user, login.password) == MAILIMAP_NO_ERROR;
	if (ok) {
		mailimap_create(s, mb);
		mailimap_logout(s);
	}
	if (s)
		mailimap_free(s);
	return ok ? 0 : -1;
}

static void test_cursor_text_round_trips(void)
{
	struct imap_cursor c = { 1234, 56, 789, 0 }, d;
	char buf[96];
	imap_cursor_format(&c, buf, sizeof buf);
	CHECK_STR(buf, "v=1234;u=56;m=789");
	CHECK_INT(imap_cursor_parse(buf, &d), 0);
	CHECK_INT(d.uidvalidity, 1234);
	CHECK_INT(d.last_uid, 56);
	CHECK_INT(d.modseq, 789);
	CHECK_INT(d.date, 0);
	c.date = 1796083200;
	imap_cursor_format(&c, buf, sizeof buf);
	CHECK_STR(buf, "v=1234;u=56;m=789;d=1796083200");
	CHECK_INT(imap_cursor_parse(buf, &d), 0);
	CHECK_INT(d.last_uid, 56);
	CHECK(d.date == 1796083200);
	static const char *bad[] = { "", "v=0;u=1;m=2", "v=1;u=2", "v=1;u=2;m=3x", "junk",
		"v=99999999999;u=1;m=1", "v=-1;u=1;m=1", "v=1;u=2;m=3;d=", "v=1;u=2;m=3;d=x",
		"v=1;u=2;m=3;d=-5", "v=1;u=2;m=3;x=1", "v=1;u=2;m=3;d=4;" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		CHECK_INT(imap_cursor_parse(bad[i], &d), -1);
}

static void test_reset_reread_starts_two_days_before_the_last_mail(void)
{
	const int64_t day = 86400, linked = 1796083200;
	static const struct {
		int64_t date, floor, want;
	} cases[] = {
		{ linked + 30 * day, linked, linked + 28 * day },   /* last mail's date, less 2 days */
		{ linked + day, linked, linked },                   /* never before the link's start */
		{ 0, linked, linked },                              /* no date: from the link's start */
		{ linked + 10 * day, 0, linked + 8 * day },
		{ 0, 0, 0 },                                        /* nothing known: everything */
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct imap_cursor c = { 7, 100, 0, cases[i].date };
		CHECK(imap_reread_since(&c, cases[i].floor) == cases[i].want);
	}
}

static void test_cursor_date_is_never_missing_at_the_end_nor_ahead_of_now(void)
{
	const int64_t now = 1796083200;
	static const struct {
		int64_t date;
		int more;
		int64_t want;
	} cases[] = {
		{ now - 3600, 0, now - 3600 },   /* the newest mail's arrival stands */
		{ now - 3600, 1, now - 3600 },
		{ 0, 0, now },                   /* at the end without a date: everything is there now */
		{ 0, 1, 0 },                     /* mid-way, unknown: stays unknown */
		{ now + 40 * 86400, 0, now },    /* an arrival date in the future (a wrong clock) */
		{ now + 40 * 86400, 1, now },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		CHECK(imap_cursor_dated(cases[i].date, cases[i].more, now) == cases[i].want);
}

static void test_wrong_password_is_an_auth_error(void)
{
	NEED_LIVE();
	struct imap_login bad = login;
	bad.password = "wrong";
	struct imap_conn *c = NULL;
	char err[256];
	CHECK_INT(imap_open(&bad, &c, err, sizeof err), PROV_AUTH);
	CHECK(c == NULL);
}

static void test_unreachable_server_is_temporary(void)
{
	NEED_LIVE();
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(0x7f000001) };
	socklen_t sl = sizeof sa;
	CHECK(fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0);
	CHECK(getsockname(fd, (struct sockaddr *)&sa, &sl) == 0);
	close(fd);   /* nothing listens there now */
	struct imap_login gone = login;
	gone.port = ntohs(sa.sin_port);
	struct imap_conn *c = NULL;
	char err[256];
	CHECK_INT(imap_open(&gone, &c, err, sizeof err), PROV_TEMP);
	CHECK(c == NULL);
}

static void test_untrusted_tls_certificate_is_refused_before_login(void)
{
	NEED_LIVE();
	const char *port = getenv("IMAP_TEST_TLS_PORT");
	if (!port || !*port) {
		printf("# skip %s: no IMAP_TEST_TLS_PORT\n", __func__);
		return;
	}
	struct imap_login tls = login;
	tls.port = atoi(port);
	tls.tls = 1;
	struct imap_conn *c = NULL;
	char err[512] = "";
	CHECK_INT(imap_open(&tls, &c, err, sizeof err), PROV_TEMP);
	CHECK(c == NULL);
	CHECK(strstr(err, "not trusted") != NULL);
}

static void test_sent_folder_found_by_special_use(void)
{
	NEED_LIVE();
	struct imap_conn *c = conn();
	CHECK(c != NULL);
	char *name = NULL;
	int rc = imap_find_sent(c, &name);
	imap_close(c);
	CHECK_INT(rc, PROV_OK);
	CHECK_STR(name, "Sent");
	free(name);
}

static void test_first_sync_takes_nothing_old_then_new_mail_comes(void)
{
	NEED_LIVE();
	struct imap_conn *c = conn(), *other = conn();
	struct msg_list l = { 0 };
	char *cur = NULL, *cur2 = NULL, *cur3 = NULL;
	int more;
	CHECK(c && other);
	CHECK_INT(append_msg(other, "INBOX", "old one", "old-1@example.com"), PROV_OK);
	CHECK_INT(append_msg(other, "INBOX", "old two", "old-2@example.com"), PROV_OK);
	CHECK_INT(imap_pull(c, "INBOX", FOLDER_INBOX, NULL, 0, &l, &cur, &more), PROV_OK);
	CHECK_INT(l.n, 0);
	CHECK(cur && strstr(cur, ";u=2;"));
	CHECK_INT(append_msg(other, "INBOX", "new one", "new-1@example.com"), PROV_OK);
	CHECK_INT(imap_pull(c, "INBOX", FOLDER_INBOX, cur, 0, &l, &cur2, &more), PROV_OK);
	CHECK_INT(l.n, 1);
	CHECK_INT(more, 0);
	CHECK_STR(l.v[0].subject, "new one");
	CHECK_STR(l.v[0].message_id, "new-1@example.com");
	CHECK_INT(l.v[0].folder, FOLDER_INBOX);
	struct imap_cursor pc;
	CHECK_INT(imap_cursor_parse(cur2, &pc), 0);
	char want[64];
	snprintf(want, sizeof want, "INBOX/%" PRIu32 "/3", pc.uidvalidity);
	CHECK_STR(l.v[0].provider_id, want);
	CHECK_INT(pc.last_uid, 3);
	CHECK_INT(is_seen("INBOX", 3), 0);   /* syncing does not mark mail read */
	msg_list_free(&l);
	CHECK_INT(imap_pull(c, "INBOX", FOLDER_INBOX, cur2, 0, &l, &cur3, &more), PROV_OK);
	CHECK_INT(l.n, 0);
	CHECK_STR(cur3, cur2);
	imap_close(c);
	imap_close(other);
	free(cur);
	free(cur2);
	free(cur3);
}

static void test_sent_mail_comes_through_as_sent(void)
{
	NEED_LIVE();
	struct imap_conn *c = conn();
	struct msg_list l = { 0 };
	char *cur = NULL, *cur2 = NULL, *raw = make_msg("sent copy", "sent-1@fieldco.test");
	int more;
	CHECK(c && raw);
	CHECK_INT(imap_pull(c, "Sent", FOLDER_SENT, NULL, 0, &l, &cur, &more), PROV_OK);
	CHECK_INT(imap_append(c, "Sent", raw, strlen(raw), 1), PROV_OK);
	CHECK_INT(imap_pull(c, "Sent", FOLDER_SENT, cur, 0, &l, &cur2, &more), PROV_OK);
	CHECK_INT(l.n, 1);
	CHECK_INT(l.v[0].folder, FOLDER_SENT);
	CHECK(strncmp(l.v[0].provider_id, "Sent/", 5) == 0);
	CHECK_STR(l.v[0].message_id, "sent-1@fieldco.test");
	msg_list_free(&l);
	imap_close(c);
	free(raw);
	free(cur);
	free(cur2);
}

static void test_burst_comes_in_pages_and_bad_mail_is_skipped(void)
{
	NEED_LIVE();
	struct imap_conn *c = conn();
	struct msg_list l = { 0 };
	char *cur = NULL, id[64], subj[64];
	int more = 0;
	CHECK(c != NULL);
	CHECK_INT(create_box(c, "Burst"), 0);
	CHECK_INT(imap_pull(c, "Burst", FOLDER_INBOX, NULL, 0, &l, &cur, &more), PROV_OK);
	for (int i = 0; i < 450; i++) {
		snprintf(id, sizeof id, "burst-%d@example.com", i);
		snprintf(subj, sizeof subj, "burst %d", i);
		CHECK_INT(append_msg(c, "Burst", subj, id), PROV_OK);
		if (i == 10)
			CHECK_INT(imap_append(c, "Burst", "\x01garbage\n", 9, 0), PROV_OK);
	}
	size_t pages = 0, total = 0;
	do {
		char *next = NULL;
		CHECK_INT(imap_pull(c, "Burst", FOLDER_INBOX, cur, 200, &l, &next, &more), PROV_OK);
		free(cur);
		cur = next;
		pages++;
		total = l.n;
	} while (more && pages < 10);
	CHECK_INT(pages, 3);
	CHECK_INT(total, 450);
	CHECK_INT(imap_take_skipped(c), 1);   /* the garbage, once */
	CHECK_INT(imap_take_skipped(c), 0);
	for (size_t i = 0; i < l.n; i++) {
		snprintf(id, sizeof id, "burst-%zu@example.com", i);
		CHECK_STR(l.v[i].message_id, id);
	}
	struct imap_cursor pc;
	CHECK_INT(imap_cursor_parse(cur, &pc), 0);
	CHECK_INT(pc.last_uid, 451);
	msg_list_free(&l);
	imap_close(c);
	free(cur);
}

/* Append with a given INTERNALDATE, as mail received in the past. */
static int append_dated(const char *mb, const char *id, time_t when)
{
	char *raw = make_msg(id, id);
	struct tm tm;
	gmtime_r(&when, &tm);
	mailimap *s = mailimap_new(0, NULL);
	int ok = raw && s && mailimap_socket_connect(s, login.host, (uint16_t)login.port) ==
	    MAILIMAP_NO_ERROR_NON_AUTHENTICATED &&
	    mailimap_login(s, login.user, login.password) == MAILIMAP_NO_ERROR;
	if (ok) {
		struct mailimap_date_time *dt = mailimap_date_time_new(tm.tm_mday, tm.tm_mon + 1,
		    tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec, 0);
		ok = mailimap_append(s, mb, NULL, dt, raw, strlen(raw)) == MAILIMAP_NO_ERROR;
		mailimap_date_time_free(dt);
		mailimap_logout(s);
	}
	if (s)
		mailimap_free(s);
	free(raw);
	return ok ? 0 : -1;
}

/* A mailbox deleted and created again with its mail (old, arrived meanwhile, new): the pull
 * after the reset reads it again from two days before the last mail seen, so the mail that came
 * meanwhile is not lost; what was already read comes again under the new UIDVALIDITY (the store
 * drops it by Message-ID), and mail older than that start is not fetched. */
static void test_recreated_mailbox_is_read_again_from_its_last_mail(void)
{
	NEED_LIVE();
	struct imap_conn *c = conn();
	struct msg_list l = { 0 };
	char *cur = NULL, *cur2 = NULL, *cur3 = NULL, *cur4 = NULL, want[64];
	struct imap_cursor before, after;
	int more;
	time_t now = time(NULL);
	CHECK(c != NULL);
	CHECK_INT(recreate_box("Box"), 0);
	CHECK_INT(imap_pull(c, "Box", FOLDER_INBOX, NULL, 0, &l, &cur, &more), PROV_OK);
	CHECK_INT(append_msg(c, "Box", "first", "box-1@example.com"), PROV_OK);
	CHECK_INT(imap_pull(c, "Box", FOLDER_INBOX, cur, 0, &l, &cur2, &more), PROV_OK);
	CHECK_INT(l.n, 1);
	CHECK_INT(imap_cursor_parse(cur2, &before), 0);
	CHECK(before.date >= now - 5 && before.date <= now + 5);   /* INTERNALDATE of "first" */
	msg_list_free(&l);
	imap_close(c);   /* each pass has its own connection; this one had Box selected */
	sleep(1);        /* Dovecot's UIDVALIDITY is a timestamp */
	CHECK_INT(recreate_box("Box"), 0);
	CHECK_INT(append_dated("Box", "archived@example.com", now - 30 * 86400), 0);
	CHECK_INT(append_dated("Box", "box-1@example.com", now), 0);
	CHECK_INT(append_dated("Box", "meanwhile@example.com", now), 0);
	c = conn();
	CHECK(c != NULL);
	CHECK_INT(imap_pull(c, "Box", FOLDER_INBOX, cur2, 0, &l, &cur3, &more), PROV_OK);
	CHECK_INT(more, 0);
	CHECK_INT(l.n, 2);
	CHECK_INT(imap_cursor_parse(cur3, &after), 0);
	CHECK(after.uidvalidity != before.uidvalidity);
	CHECK_INT(after.last_uid, 3);
	if (l.n == 2) {
		CHECK_STR(l.v[0].message_id, "box-1@example.com");
		CHECK_STR(l.v[1].message_id, "meanwhile@example.com");
		snprintf(want, sizeof want, "Box/%" PRIu32 "/3", after.uidvalidity);
		CHECK_STR(l.v[1].provider_id, want);
	}
	msg_list_free(&l);
	CHECK_INT(append_msg(c, "Box", "second", "box-2@example.com"), PROV_OK);
	CHECK_INT(imap_pull(c, "Box", FOLDER_INBOX, cur3, 0, &l, &cur4, &more), PROV_OK);
	CHECK_INT(l.n, 1);
	if (l.n == 1)
		CHECK_STR(l.v[0].message_id, "box-2@example.com");
	msg_list_free(&l);
	imap_close(c);
	free(cur);
	free(cur2);
	free(cur3);
	free(cur4);
}

/* A cursor stored before cursors had a date: a reset re-reads from the link's start, and a
 * pull on an unchanged mailbox gives the cursor its date. */
static void test_reset_of_an_undated_cursor_reads_from_the_links_start(void)
{
	NEED_LIVE();
	struct imap_conn *c = conn();
	struct msg_list l = { 0 };
	char *cur = NULL, *cur2 = NULL, old[96];
	struct imap_cursor pc;
	int more;
	time_t now = time(NULL);
	CHECK(c != NULL);
	CHECK_INT(recreate_box("Undated"), 0);
	CHECK_INT(imap_pull(c, "Undated", FOLDER_INBOX, NULL, 0, &l, &cur, &more), PROV_OK);
	CHECK_INT(imap_cursor_parse(cur, &pc), 0);
	pc.date = 0;
	imap_cursor_format(&pc, old, sizeof old);
	CHECK(strstr(old, "d=") == NULL);
	CHECK_INT(imap_pull(c, "Undated", FOLDER_INBOX, old, 0, &l, &cur2, &more), PROV_OK);
	CHECK_INT(imap_cursor_parse(cur2, &pc), 0);
	CHECK(pc.date >= now - 5 && pc.date <= now + 5);
	free(cur);
	free(cur2);
	imap_close(c);
	sleep(1);
	CHECK_INT(recreate_box("Undated"), 0);
	CHECK_INT(append_dated("Undated", "before-link@example.com", now - 20 * 86400), 0);
	CHECK_INT(append_dated("Undated", "after-link@example.com", now - 6 * 86400), 0);
	c = conn();
	CHECK(c != NULL);
	CHECK_INT(imap_pull_since(c, "Undated", FOLDER_INBOX, old, now - 10 * 86400, 0, &l, &cur,
	    &more), PROV_OK);
	CHECK_INT(l.n, 1);
	if (l.n == 1)
		CHECK_STR(l.v[0].message_id, "after-link@example.com");
	msg_list_free(&l);
	free(cur);
	imap_close(c);
}

static void test_back_fill_brings_mail_from_the_chosen_day_on(void)
{
	NEED_LIVE();
	struct imap_conn *c = conn();
	struct msg_list l = { 0 };
	char *cur = NULL, *next = NULL;
	int more;
	time_t now = time(NULL);
	CHECK(c != NULL);
	CHECK_INT(create_box(c, "Old"), 0);
	CHECK_INT(append_dated("Old", "ten-days@example.com", now - 10 * 86400), 0);
	CHECK_INT(append_dated("Old", "three-days@example.com", now - 3 * 86400), 0);
	CHECK_INT(append_dated("Old", "today@example.com", now), 0);
	CHECK_INT(imap_cursor_since(c, "Old", now - 5 * 86400, &cur), PROV_OK);
	CHECK(cur && strstr(cur, ";u=1;"));
	CHECK_INT(imap_pull(c, "Old", FOLDER_INBOX, cur, 0, &l, &next, &more), PROV_OK);
	CHECK_INT(l.n, 2);
	CHECK_STR(l.v[0].message_id, "three-days@example.com");
	CHECK_STR(l.v[1].message_id, "today@example.com");
	msg_list_free(&l);
	free(cur);
	free(next);
	CHECK_INT(imap_cursor_since(c, "Old", now + 3 * 86400, &cur), PROV_OK);
	CHECK(cur && strstr(cur, ";u=3;"));
	free(cur);
	imap_close(c);
}

static void test_idle_notices_new_mail_within_two_seconds(void)
{
	NEED_LIVE();
	struct imap_conn *c = conn(), *other = conn();
	CHECK(c && other);
	CHECK_INT(imap_idle_start(c), PROV_OK);
	int fd = imap_idle_fd(c);
	CHECK(fd >= 0);
	CHECK_INT(append_msg(other, "INBOX", "pushed", "push-1@example.com"), PROV_OK);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	int ready = imap_idle_pending(c) || poll(&pfd, 1, 2000) == 1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	CHECK(ready);
	int new_mail = 0;
	CHECK_INT(imap_idle_done(c, &new_mail), PROV_OK);
	CHECK_INT(new_mail, 1);
	CHECK(t1.tv_sec - t0.tv_sec < 2 || (t1.tv_sec - t0.tv_sec == 2 && t1.tv_nsec < t0.tv_nsec));
	CHECK_INT(imap_idle_fd(c), -1);
	/* IDLE can start again, and a quiet period reports nothing. */
	CHECK_INT(imap_idle_start(c), PROV_OK);
	CHECK_INT(imap_idle_done(c, &new_mail), PROV_OK);
	CHECK_INT(new_mail, 0);
	imap_close(c);
	imap_close(other);
}

static void test_crm_folder_created_and_message_moved_to_processed(void)
{
	NEED_LIVE();
	struct imap_conn *c = conn();
	struct msg_list l = { 0 };
	int more;
	CHECK(c != NULL);
	CHECK_INT(imap_ensure_folders(c), PROV_OK);
	CHECK_INT(imap_ensure_folders(c), PROV_OK);
	CHECK_INT(append_msg(c, "CRM", "dragged", "crm-1@example.com"), PROV_OK);
	CHECK_INT(imap_fetch_all(c, "CRM", FOLDER_CRM, 0, &l, &more), PROV_OK);
	CHECK_INT(l.n, 1);
	CHECK_INT(l.v[0].folder, FOLDER_CRM);
	CHECK(strncmp(l.v[0].provider_id, "CRM/", 4) == 0);
	CHECK_INT(imap_move(c, l.v[0].provider_id, "Processed"), PROV_OK);
	msg_list_free(&l);
	CHECK_INT(imap_fetch_all(c, "CRM", FOLDER_CRM, 0, &l, &more), PROV_OK);
	CHECK_INT(l.n, 0);
	CHECK_INT(imap_fetch_all(c, "Processed", FOLDER_CRM, 0, &l, &more), PROV_OK);
	CHECK_INT(l.n, 1);
	CHECK_STR(l.v[0].message_id, "crm-1@example.com");
	msg_list_free(&l);
	CHECK_INT(imap_move(c, "nonsense", "Processed"), PROV_PERM);
	imap_close(c);
}

/* A sink that keeps what the driver commits. */
struct kept {
	struct msg_list msgs;
	char *cursor;
	int commits;
};

static int keep_commit(void *ctx, enum stream s, struct msg_list *msgs, struct event_list *evs,
    const char *cursor)
{
	struct kept *k = ctx;
	(void)s;
	(void)evs;
	for (size_t i = 0; i < msgs->n; i++) {
		struct sync_msg *slot = msg_list_add(&k->msgs);
		if (!slot)
			return -1;
		*slot = msgs->v[i];
	}
	msgs->n = 0;
	free(k->cursor);
	k->cursor = strdup(cursor);
	k->commits++;
	return 0;
}

static int run_pass(enum stream s, const char *cursor, struct kept *k)
{
	char settings[256], secret[128];
	snprintf(settings, sizeof settings, "{\"imap_host\":\"127.0.0.1\",\"imap_port\":%d,"
	    "\"imap_tls\":false,\"username\":\"%s\"}", login.port, login.user);
	snprintf(secret, sizeof secret, "{\"password\":\"%s\"}", login.password);
	struct prov_link l = { .id = 7, .address = "alice@fieldco.test", .settings = settings,
		.secret = secret };
	struct test_sink sink = { .ctx = k, .commit = keep_commit };
	struct pass *p = NULL;
	struct http_req req = { 0 };
	long retry = 0;
	int rc = imap_provider.begin(&l, s, cursor, &p);
	if (rc == PROV_OK)
		rc = test_step(imap_provider.step, p, NULL, &req, &sink, &retry);
	imap_provider.end(p);
	return rc;
}

static void test_driver_syncs_inbox_and_sent_with_one_cursor(void)
{
	NEED_LIVE();
	struct kept k = { 0 }, k2 = { 0 };
	struct imap_conn *other = conn();
	CHECK(other != NULL);
	CHECK_INT(run_pass(STREAM_MAIL, NULL, &k), STEP_DONE);
	CHECK_INT(k.msgs.n, 0);
	CHECK(k.cursor && strchr(k.cursor, '|') && strstr(strchr(k.cursor, '|'), "v="));
	CHECK_INT(append_msg(other, "INBOX", "driver in", "drv-in@example.com"), PROV_OK);
	CHECK_INT(append_msg(other, "Sent", "driver out", "drv-out@example.com"), PROV_OK);
	CHECK_INT(run_pass(STREAM_MAIL, k.cursor, &k2), STEP_DONE);
	CHECK_INT(k2.msgs.n, 2);
	CHECK_STR(k2.msgs.v[0].message_id, "drv-in@example.com");
	CHECK_INT(k2.msgs.v[0].folder, FOLDER_INBOX);
	CHECK_STR(k2.msgs.v[1].message_id, "drv-out@example.com");
	CHECK_INT(k2.msgs.v[1].folder, FOLDER_SENT);
	CHECK(strcmp(k.cursor, k2.cursor) != 0);
	struct kept k3 = { 0 };
	CHECK_INT(run_pass(STREAM_MAIL, k2.cursor, &k3), STEP_DONE);
	CHECK_INT(k3.msgs.n, 0);
	CHECK_STR(k3.cursor, k2.cursor);
	imap_close(other);
	msg_list_free(&k.msgs);
	msg_list_free(&k2.msgs);
	msg_list_free(&k3.msgs);
	free(k.cursor);
	free(k2.cursor);
	free(k3.cursor);
}

static void test_driver_imports_crm_folder_and_empties_it(void)
{
	NEED_LIVE();
	struct kept k = { 0 }, k2 = { 0 };
	struct imap_conn *other = conn();
	CHECK(other != NULL);
	CHECK_INT(imap_ensure_folders(other), PROV_OK);
	CHECK_INT(append_msg(other, "CRM", "to import", "crm-drv@example.com"), PROV_OK);
	CHECK_INT(run_pass(STREAM_FOLDER, NULL, &k), STEP_DONE);
	CHECK_INT(k.msgs.n, 1);
	CHECK_INT(k.msgs.v[0].folder, FOLDER_CRM);
	CHECK_INT(run_pass(STREAM_FOLDER, NULL, &k2), STEP_DONE);
	CHECK_INT(k2.msgs.n, 0);
	imap_close(other);
	msg_list_free(&k.msgs);
	free(k.cursor);
	free(k2.cursor);
}

static int run_push(const struct push_item *it, struct push_result *res)
{
	char settings[256], secret[128];
	snprintf(settings, sizeof settings, "{\"imap_host\":\"127.0.0.1\",\"imap_port\":%d,"
	    "\"imap_tls\":false,\"username\":\"%s\"}", login.port, login.user);
	snprintf(secret, sizeof secret, "{\"password\":\"%s\"}", login.password);
	struct prov_link l = { .id = 7, .address = "alice@fieldco.test", .settings = settings,
		.secret = secret };
	struct kept k = { 0 };
	struct test_sink sink = { .ctx = &k, .commit = keep_commit };
	struct pass *p = NULL;
	struct http_req req = { 0 };
	long retry = 0;
	int rc = imap_provider.push_begin(&l, it, res, &p);
	if (rc == PROV_OK)
		rc = test_step(imap_provider.push_step, p, NULL, &req, &sink, &retry);
	imap_provider.end(p);
	free(k.cursor);
	return rc;
}

static void test_driver_push_sets_up_folders_and_moves_to_processed(void)
{
	NEED_LIVE();
	struct imap_conn *c = conn();
	struct msg_list l = { 0 };
	int more;
	CHECK(c != NULL);
	struct push_item setup = { .kind = PUSH_FOLDER_SETUP };
	struct push_result res = { 0 };
	CHECK_INT(run_push(&setup, &res), STEP_DONE);
	CHECK_INT(append_msg(c, "CRM", "push move", "push-move@example.com"), PROV_OK);
	CHECK_INT(imap_fetch_all(c, "CRM", FOLDER_CRM, 0, &l, &more), PROV_OK);
	CHECK_INT(l.n, 1);
	struct push_item mv = { .kind = PUSH_FOLDER_MOVE, .provider_id = l.v[0].provider_id };
	CHECK_INT(run_push(&mv, &res), STEP_DONE);
	msg_list_free(&l);
	CHECK_INT(imap_fetch_all(c, "CRM", FOLDER_CRM, 0, &l, &more), PROV_OK);
	CHECK_INT(l.n, 0);
	struct push_item send = { .kind = PUSH_MAIL_SEND, .raw = "x", .raw_len = 1 };
	struct push_result res2 = { 0 };
	CHECK_INT(run_push(&send, &res2), PROV_PERM);
	CHECK(res2.error[0] != '\0');
	imap_close(c);
}

/* A pass of stream s begun as the engine begins one; settings and secret are the caller's. */
static struct pass *begin_pass(enum stream s, const char *cursor, char *settings, char *secret)
{
	snprintf(settings, 256, "{\"imap_host\":\"127.0.0.1\",\"imap_port\":%d,"
	    "\"imap_tls\":false,\"username\":\"%s\"}", login.port, login.user);
	snprintf(secret, 128, "{\"password\":\"%s\"}", login.password);
	struct prov_link l = { .id = 7, .address = "alice@fieldco.test", .settings = settings,
		.secret = secret };
	struct pass *p = NULL;
	return imap_provider.begin(&l, s, cursor, &p) == PROV_OK ? p : NULL;
}

/* The driver stores nothing itself: each step hands back one page with the cursor after it,
 * INBOX first, then Sent, and the step after the last page ends the pass. */
static void test_driver_hands_back_one_page_per_step(void)
{
	NEED_LIVE();
	struct kept k = { 0 };
	struct imap_conn *other = conn();
	char settings[256], secret[128];
	struct http_req req = { 0 };
	struct step_out o = { 0 };
	long retry = 0;
	CHECK(other != NULL);
	CHECK_INT(run_pass(STREAM_MAIL, NULL, &k), STEP_DONE);
	CHECK_INT(append_msg(other, "INBOX", "page in", "page-in@example.com"), PROV_OK);
	CHECK_INT(append_msg(other, "Sent", "page out", "page-out@example.com"), PROV_OK);
	struct pass *p = begin_pass(STREAM_MAIL, k.cursor, settings, secret);
	CHECK(p != NULL);

	CHECK_INT(imap_provider.step(p, NULL, &req, &o, &retry), STEP_PAGE);
	CHECK_INT(o.has_page, 1);
	CHECK_INT(o.stream, STREAM_MAIL);
	CHECK_INT(o.msgs.n, 1);
	CHECK_STR(o.msgs.v[0].message_id, "page-in@example.com");
	CHECK(o.cursor && strcmp(o.cursor, k.cursor) != 0);
	char *after_inbox = o.cursor ? strdup(o.cursor) : NULL;
	step_out_clear(&o);

	CHECK_INT(imap_provider.step(p, NULL, &req, &o, &retry), STEP_PAGE);
	CHECK_INT(o.msgs.n, 1);
	CHECK_STR(o.msgs.v[0].message_id, "page-out@example.com");
	CHECK_INT(o.msgs.v[0].folder, FOLDER_SENT);
	CHECK(o.cursor && after_inbox && strcmp(o.cursor, after_inbox) != 0);
	/* the INBOX part of the cursor stays as the first page left it */
	CHECK(o.cursor && after_inbox &&
	    strncmp(o.cursor, after_inbox, (size_t)(strchr(after_inbox, '|') - after_inbox)) == 0);
	step_out_clear(&o);

	CHECK_INT(imap_provider.step(p, NULL, &req, &o, &retry), STEP_DONE);
	CHECK_INT(o.msgs.n, 0);
	step_out_clear(&o);
	imap_provider.end(p);
	imap_close(other);
	free(after_inbox);
	msg_list_free(&k.msgs);
	free(k.cursor);
}

/* A message of CRM is moved to Processed only at the step after the one that handed it back,
 * that is once the engine stored it: a crash in between imports it again, never loses it. */
static void test_driver_moves_crm_mail_only_after_its_page_was_handed_back(void)
{
	NEED_LIVE();
	struct imap_conn *other = conn();
	struct msg_list l = { 0 };
	char settings[256], secret[128];
	struct http_req req = { 0 };
	struct step_out o = { 0 };
	long retry = 0;
	int more;
	CHECK(other != NULL);
	CHECK_INT(imap_ensure_folders(other), PROV_OK);
	CHECK_INT(append_msg(other, "CRM", "move later", "crm-later@example.com"), PROV_OK);
	struct pass *p = begin_pass(STREAM_FOLDER, NULL, settings, secret);
	CHECK(p != NULL);
	CHECK_INT(imap_provider.step(p, NULL, &req, &o, &retry), STEP_PAGE);
	CHECK_INT(o.has_page, 1);
	CHECK_INT(o.stream, STREAM_FOLDER);
	CHECK_INT(o.msgs.n, 1);
	CHECK_STR(o.msgs.v[0].message_id, "crm-later@example.com");
	step_out_clear(&o);
	CHECK_INT(imap_fetch_all(other, "CRM", FOLDER_CRM, 0, &l, &more), PROV_OK);
	CHECK_INT(l.n, 1);
	msg_list_free(&l);

	CHECK_INT(imap_provider.step(p, NULL, &req, &o, &retry), STEP_DONE);
	CHECK_INT(o.has_page, 0);
	step_out_clear(&o);
	CHECK_INT(imap_fetch_all(other, "CRM", FOLDER_CRM, 0, &l, &more), PROV_OK);
	CHECK_INT(l.n, 0);
	msg_list_free(&l);
	imap_provider.end(p);
	imap_close(other);
}

static void test_driver_with_wrong_password_asks_for_relink(void)
{
	NEED_LIVE();
	struct imap_login saved = login;
	login.password = "nope";
	struct kept k = { 0 };
	int rc = run_pass(STREAM_MAIL, NULL, &k);
	login = saved;
	CHECK_INT(rc, PROV_AUTH);
	CHECK_INT(k.commits, 0);
}

T_MAIN(T(test_cursor_text_round_trips),
    T(test_reset_reread_starts_two_days_before_the_last_mail),
    T(test_cursor_date_is_never_missing_at_the_end_nor_ahead_of_now),
    T(test_wrong_password_is_an_auth_error),
    T(test_unreachable_server_is_temporary),
    T(test_untrusted_tls_certificate_is_refused_before_login),
    T(test_sent_folder_found_by_special_use),
    T(test_first_sync_takes_nothing_old_then_new_mail_comes),
    T(test_sent_mail_comes_through_as_sent),
    T(test_burst_comes_in_pages_and_bad_mail_is_skipped),
    T(test_recreated_mailbox_is_read_again_from_its_last_mail),
    T(test_reset_of_an_undated_cursor_reads_from_the_links_start),
    T(test_back_fill_brings_mail_from_the_chosen_day_on),
    T(test_idle_notices_new_mail_within_two_seconds),
    T(test_crm_folder_created_and_message_moved_to_processed),
    T(test_driver_syncs_inbox_and_sent_with_one_cursor),
    T(test_driver_imports_crm_folder_and_empties_it),
    T(test_driver_push_sets_up_folders_and_moves_to_processed),
    T(test_driver_hands_back_one_page_per_step),
    T(test_driver_moves_crm_mail_only_after_its_page_was_handed_back),
    T(test_driver_with_wrong_password_asks_for_relink))
