/* IMAP mailboxes with libetpan: login, Sent discovery, incremental pull by UID, folders, IDLE. */
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <libetpan/libetpan.h>

#include "core/log.h"
#include "core/netguard.h"
#include "providers/imap.h"
#include "providers/imap_stream.h"
#include "providers/mime.h"

#define DEFAULT_PAGE 200
#define MAX_MSG_BYTES (25u << 20)     /* bigger messages are skipped */
#define MAX_PAGE_BYTES (64u << 20)    /* a page stops growing past this many message bytes */

struct imap_conn {
	mailimap *s;
	char *user;             /* for log lines */
	uint64_t modseq;        /* HIGHESTMODSEQ of the last SELECT/EXAMINE, 0 if none */
	int idling;
	uint32_t idle_exists;   /* EXISTS count when IDLE started */
	char *sent_name;        /* imap_find_sent()'s answer, kept while the connection lives */
	int sent_known;
	int folders_ok;         /* imap_ensure_folders() succeeded on this connection */
	char *selected;         /* the mailbox last SELECTed/EXAMINEd, NULL after unselecting */
	int selected_rw;
	long skipped;           /* broken or oversized messages skipped, see imap_take_skipped() */
	struct step_out broken; /* ... and their notes (only .skips used), see imap_take_broken() */
};

/* Note a message of mailbox left out as broken (why: the parser's message). */
static void note_broken(struct imap_conn *c, const char *id, int64_t at, const char *why)
{
	struct skipped_item it = { .kind = SKIP_MAIL, .reason = SKIP_UNPARSABLE,
	    .provider_id = (char *)id, .item_at = at, .detail = (char *)why };
	prov_skip_note(&c->broken, &it);
}

/* Map a libetpan result to a prov_status, logging failures with the server's words. */
static int st(struct imap_conn *c, int r, const char *what)
{
	switch (r) {
	case MAILIMAP_NO_ERROR:
	case MAILIMAP_NO_ERROR_AUTHENTICATED:
	case MAILIMAP_NO_ERROR_NON_AUTHENTICATED:
		return PROV_OK;
	case MAILIMAP_ERROR_STREAM:
	case MAILIMAP_ERROR_CONNECTION_REFUSED:
	case MAILIMAP_ERROR_MEMORY:
	case MAILIMAP_ERROR_FATAL:
	case MAILIMAP_ERROR_PARSE:
	case MAILIMAP_ERROR_PROTOCOL:
	case MAILIMAP_ERROR_DONT_ACCEPT_CONNECTION:
	case MAILIMAP_ERROR_SSL:
	case MAILIMAP_ERROR_BAD_STATE:
		log_warnx("imap %s: %s: connection failed (libetpan error %d)",
		    c->user ? c->user : "?", what, r);
		return PROV_TEMP;
	case MAILIMAP_ERROR_LOGIN:
		log_warnx("imap %s: login refused: %s", c->user ? c->user : "?",
		    c->s && c->s->imap_response ? c->s->imap_response : "");
		return PROV_AUTH;
	default:
		log_warnx("imap %s: %s refused: %s", c->user ? c->user : "?", what,
		    c->s && c->s->imap_response ? c->s->imap_response : "(no text)");
		return PROV_PERM;
	}
}

static void ignore_sigpipe(void)
{
	signal(SIGPIPE, SIG_IGN);   /* a dropped connection must be an error, not a dead daemon */
}

/* Check the server's certificate chain against the system's trusted CAs and the host name:
 * libetpan's GnuTLS backend checks nothing itself. Returns 0, or -1 with a reason in err. */
static int verify_peer(mailimap *s, const char *host, char *err, size_t errlen)
{
	carray *chain = mailstream_get_certificate_chain(s->imap_stream);
	gnutls_x509_trust_list_t tl = NULL;
	gnutls_x509_crt_t crts[16];
	unsigned n = 0, status = 0;
	int rc = -1;

	if (!chain || carray_count(chain) == 0) {
		snprintf(err, errlen, "%s sent no certificate", host);
		goto out;
	}
	if (gnutls_x509_trust_list_init(&tl, 0) < 0 ||
	    gnutls_x509_trust_list_add_system_trust(tl, 0, 0) <= 0) {
		snprintf(err, errlen, "no trusted CA certificates on this system");
		goto out;
	}
	for (unsigned i = 0; i < carray_count(chain) && n < 16; i++) {
		MMAPString *der = carray_get(chain, i);
		gnutls_datum_t d = { (unsigned char *)der->str, (unsigned)der->len };
		if (gnutls_x509_crt_init(&crts[n]) < 0)
			goto out;
		if (gnutls_x509_crt_import(crts[n], &d, GNUTLS_X509_FMT_DER) < 0) {
			gnutls_x509_crt_deinit(crts[n]);
			snprintf(err, errlen, "%s sent an unreadable certificate", host);
			goto out;
		}
		n++;
	}
	gnutls_typed_vdata_st vd = { .type = GNUTLS_DT_DNS_HOSTNAME,
		.data = (unsigned char *)host, .size = 0 };
	if (gnutls_x509_trust_list_verify_crt2(tl, crts, n, &vd, 1, 0, &status, NULL) < 0 ||
	    status != 0) {
		gnutls_datum_t why = { 0 };
		gnutls_certificate_verification_status_print(status, GNUTLS_CRT_X509, &why, 0);
		snprintf(err, errlen, "certificate of %s is not trusted: %s", host,
		    why.data ? (const char *)why.data : "verification failed");
		gnutls_free(why.data);
		goto out;
	}
	rc = 0;
out:
	for (unsigned i = 0; i < n; i++)
		gnutls_x509_crt_deinit(crts[i]);
	if (tl)
		gnutls_x509_trust_list_deinit(tl, 1);
	if (chain)
		mailstream_certificate_chain_free(chain);
	return rc;
}

/* Connect s to the server through the address guard (netguard.h): the host is looked up once,
 * the socket goes to an address the guard permits, and libetpan gets a stream over that socket
 * (plain or TLS with the typed name for SNI; verify_peer() checks the certificate against it). Returns
 * a libetpan result; MAILIMAP_ERROR_CONNECTION_REFUSED with err set when no socket came. */
static int guarded_connect(mailimap *s, const struct imap_login *lg, uint16_t port, char *err,
    size_t errlen)
{
	char host[256];
	size_t n = strlen(lg->host);
	if (n >= 2 && lg->host[0] == '[' && lg->host[n - 1] == ']')
		snprintf(host, sizeof host, "%.*s", (int)(n - 2), lg->host + 1);
	else
		snprintf(host, sizeof host, "%s", lg->host);
	int timeout = lg->timeout_s > 0 ? lg->timeout_s : 30;
	int fd = netguard_connect(host, port, timeout * 1000, err, errlen);
	if (fd < 0)
		return MAILIMAP_ERROR_CONNECTION_REFUSED;
	/* Our own stream (imap_stream.h): it waits with poll(), so any descriptor number works. */
	char why[200];
	mailstream *ms = imap_stream_open(fd, lg->tls, host, timeout, why, sizeof why);
	if (!ms) {
		snprintf(err, errlen, "cannot connect to %s:%u (%s, %s)", lg->host, port,
		    lg->tls ? "TLS" : "plain", why);
		return MAILIMAP_ERROR_CONNECTION_REFUSED;
	}
	return mailimap_connect(s, ms);   /* s owns ms from here, also on failure */
}

int imap_open(const struct imap_login *lg, struct imap_conn **out, char *err, size_t errlen)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	struct imap_conn *c = NULL;
	int rc = PROV_TEMP, r;

	*out = NULL;
	pthread_once(&once, ignore_sigpipe);
	if (!lg || !lg->host || !*lg->host || !lg->user || !lg->password) {
		snprintf(err, errlen, "IMAP host, user and password are required");
		return PROV_PERM;
	}
	c = calloc(1, sizeof *c);
	if (!c || !(c->user = strdup(lg->user)) || !(c->s = mailimap_new(0, NULL))) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	mailimap_set_timeout(c->s, lg->timeout_s > 0 ? lg->timeout_s : 30);
	uint16_t port = (uint16_t)(lg->port > 0 ? lg->port : lg->tls ? 993 : 143);
	r = guarded_connect(c->s, lg, port, err, errlen);
	if (r != MAILIMAP_NO_ERROR_NON_AUTHENTICATED && r != MAILIMAP_NO_ERROR) {
		if (r != MAILIMAP_ERROR_CONNECTION_REFUSED)
			snprintf(err, errlen, "cannot connect to %s:%u (%s, error %d)", lg->host, port,
			    lg->tls ? "TLS" : "plain", r);
		char key[96];
		snprintf(key, sizeof key, "imap connect %s %s:%u", lg->user, lg->host, port);
		log_warnx_limited(key, "imap %s: %s", lg->user, err);
		rc = PROV_TEMP;
		goto out;
	}
	if (lg->tls && verify_peer(c->s, lg->host, err, errlen) < 0) {
		log_warnx("imap %s: %s", lg->user, err);
		rc = PROV_TEMP;   /* nothing was sent; a later pass may meet the right server */
		goto out;
	}
	r = mailimap_login(c->s, lg->user, lg->password);
	rc = st(c, r, "LOGIN");
	if (rc != PROV_OK) {
		snprintf(err, errlen, rc == PROV_AUTH ? "login refused for %s" :
		    "login failed for %s", lg->user);
		goto out;
	}
	struct mailimap_capability_data *caps = NULL;
	if (mailimap_capability(c->s, &caps) == MAILIMAP_NO_ERROR && caps)
		mailimap_capability_data_free(caps);
	*out = c;
	c = NULL;
out:
	imap_close(c);
	return rc;
}

void imap_close(struct imap_conn *c)
{
	if (!c)
		return;
	if (c->s) {
		if (c->idling)
			mailimap_idle_done(c->s);
		if (c->s->imap_stream)
			mailimap_logout(c->s);
		mailimap_free(c->s);
	}
	free(c->sent_name);
	free(c->selected);
	free(c->user);
	step_out_clear(&c->broken);
	free(c);
}

/* ---- Mailboxes --------------------------------------------------------------------------- */

static int select_mb(struct imap_conn *c, const char *mb, int rw)
{
	int r;
	c->modseq = 0;
	if (mailimap_has_condstore(c->s))
		r = rw ? mailimap_select_condstore(c->s, mb, &c->modseq) :
		    mailimap_examine_condstore(c->s, mb, &c->modseq);
	else
		r = rw ? mailimap_select(c->s, mb) : mailimap_examine(c->s, mb);
	if (r == MAILIMAP_NO_ERROR && !c->s->imap_selection_info)
		return PROV_TEMP;
	free(c->selected);
	c->selected = r == MAILIMAP_NO_ERROR ? strdup(mb) : NULL;
	c->selected_rw = rw;
	return st(c, r, rw ? "SELECT" : "EXAMINE");
}

void imap_take_broken(struct imap_conn *c, struct step_out *so)
{
	if (!c)
		return;
	for (size_t i = 0; so && i < c->broken.skips.n; i++)
		prov_skip_note(so, &c->broken.skips.v[i]);
	step_out_clear(&c->broken);
}

long imap_take_skipped(struct imap_conn *c)
{
	long n = c ? c->skipped : 0;
	if (c)
		c->skipped = 0;
	return n;
}

int imap_unselect(struct imap_conn *c)
{
	int rc = PROV_OK;
	if (!c->selected)
		return PROV_OK;
	if (mailimap_has_extension(c->s, "UNSELECT"))
		rc = st(c, mailimap_custom_command(c->s, "UNSELECT"), "UNSELECT");
	else if (!c->selected_rw)   /* CLOSE would expunge a mailbox opened read-write */
		rc = st(c, mailimap_close(c->s), "CLOSE");
	else
		return PROV_OK;
	free(c->selected);
	c->selected = NULL;
	return rc;
}

static int flagged(struct mailimap_mailbox_list *mb, const char *flag)
{
	if (!mb->mb_flag || !mb->mb_flag->mbf_oflags)
		return 0;
	for (clistiter *it = clist_begin(mb->mb_flag->mbf_oflags); it; it = clist_next(it)) {
		struct mailimap_mbx_list_oflag *of = clist_content(it);
		if (of->of_type == MAILIMAP_MBX_LIST_OFLAG_FLAG_EXT && of->of_flag_ext &&
		    strcasecmp(of->of_flag_ext, flag) == 0)
			return 1;
	}
	return 0;
}

static int list_all(struct imap_conn *c, clist **res)
{
	*res = NULL;
	int rc = st(c, mailimap_list(c->s, "", "*", res), "LIST");
	if (rc == PROV_OK && !*res)
		rc = PROV_TEMP;
	return rc;
}

int imap_find_sent(struct imap_conn *c, char **name)
{
	static const char *const usual[] = { "Sent", "Sent Items", "Sent Messages", "Sent Mail",
		"INBOX.Sent", "INBOX/Sent", "[Gmail]/Sent Mail", NULL };
	clist *list;
	*name = NULL;
	if (c->sent_known)
		return !c->sent_name || (*name = strdup(c->sent_name)) ? PROV_OK : PROV_TEMP;
	int rc = list_all(c, &list);
	if (rc != PROV_OK)
		return rc;
	const char *best = NULL;
	int best_rank = 100;
	for (clistiter *it = clist_begin(list); it; it = clist_next(it)) {
		struct mailimap_mailbox_list *mb = clist_content(it);
		if (flagged(mb, "Sent")) {
			best = mb->mb_name;
			break;
		}
		for (int i = 0; usual[i] && i < best_rank; i++)
			if (strcasecmp(mb->mb_name, usual[i]) == 0) {
				best = mb->mb_name;
				best_rank = i;
			}
	}
	if (best && !(*name = strdup(best)))
		rc = PROV_TEMP;
	free(c->sent_name);
	c->sent_name = NULL;
	c->sent_known = rc == PROV_OK && (!best || (c->sent_name = strdup(best)));
	mailimap_list_result_free(list);
	return rc;
}

int imap_ensure_folders(struct imap_conn *c)
{
	static const char *const wanted[] = { "CRM", "Processed" };
	clist *list;
	if (c->folders_ok)
		return PROV_OK;
	int rc = list_all(c, &list);
	if (rc != PROV_OK)
		return rc;
	for (size_t i = 0; i < 2 && rc == PROV_OK; i++) {
		int found = 0;
		for (clistiter *it = clist_begin(list); it && !found; it = clist_next(it)) {
			struct mailimap_mailbox_list *mb = clist_content(it);
			found = strcmp(mb->mb_name, wanted[i]) == 0;
		}
		if (found)
			continue;
		rc = st(c, mailimap_create(c->s, wanted[i]), "CREATE");
		if (rc == PROV_OK) {
			log_info("imap %s: created folder %s", c->user, wanted[i]);
			mailimap_subscribe(c->s, wanted[i]);
		}
	}
	mailimap_list_result_free(list);
	c->folders_ok = rc == PROV_OK;
	return rc;
}

/* ---- Cheap checks ------------------------------------------------------------------------ */

int imap_status(struct imap_conn *c, const char *mailbox, struct imap_status *out)
{
	struct mailimap_status_att_list *atts = mailimap_status_att_list_new_empty();
	struct mailimap_mailbox_data_status *res = NULL;
	int rc = PROV_TEMP;

	memset(out, 0, sizeof *out);
	if (!atts)
		return PROV_TEMP;
	/* A server may answer STATUS of the selected mailbox from the session's older view. */
	if (c->selected && strcmp(c->selected, mailbox) == 0 && (rc = imap_unselect(c)) != PROV_OK) {
		mailimap_status_att_list_free(atts);
		return rc;
	}
	mailimap_status_att_list_add(atts, MAILIMAP_STATUS_ATT_UIDNEXT);
	mailimap_status_att_list_add(atts, MAILIMAP_STATUS_ATT_UIDVALIDITY);
	if (mailimap_has_condstore(c->s))
		mailimap_status_att_list_add(atts, MAILIMAP_STATUS_ATT_HIGHESTMODSEQ);
	rc = st(c, mailimap_status(c->s, mailbox, atts, &res), "STATUS");
	for (clistiter *it = rc == PROV_OK && res && res->st_info_list ?
	    clist_begin(res->st_info_list) : NULL; it; it = clist_next(it)) {
		struct mailimap_status_info *si = clist_content(it);
		struct mailimap_extension_data *x = si->st_ext_data;
		if (si->st_att == MAILIMAP_STATUS_ATT_UIDNEXT)
			out->uidnext = si->st_value;
		else if (si->st_att == MAILIMAP_STATUS_ATT_UIDVALIDITY)
			out->uidvalidity = si->st_value;
		else if (x && x->ext_extension == &mailimap_extension_condstore &&
		    x->ext_type == MAILIMAP_CONDSTORE_TYPE_STATUS_INFO && x->ext_data)
			out->highestmodseq = ((struct mailimap_condstore_status_info *)
			    x->ext_data)->cs_highestmodseq_value;
	}
	if (res)
		mailimap_mailbox_data_status_free(res);
	mailimap_status_att_list_free(atts);
	return rc;
}

int imap_status_moved(const struct imap_status *s, const char *cursor)
{
	struct imap_cursor cur;
	if (!cursor || imap_cursor_parse(cursor, &cur) != 0)
		return 1;
	if (!s->uidvalidity || !s->uidnext || s->uidvalidity != cur.uidvalidity)
		return 1;
	return s->uidnext > cur.last_uid + 1;
}

/* ---- Fetching ---------------------------------------------------------------------------- */

struct uid_size {
	uint32_t uid, size;
};

static int cmp_uid(const void *a, const void *b)
{
	uint32_t x = ((const struct uid_size *)a)->uid, y = ((const struct uid_size *)b)->uid;
	return x < y ? -1 : x > y;
}

/* Attributes of one FETCH response. */
struct fetched {
	uint32_t uid, size;
	const char *body;
	size_t body_len;
	int64_t internal;   /* INTERNALDATE as epoch, 0 if absent */
};

static int64_t date_epoch(const struct mailimap_date_time *d)
{
	struct tm tm = { .tm_year = d->dt_year - 1900, .tm_mon = d->dt_month - 1,
		.tm_mday = d->dt_day, .tm_hour = d->dt_hour, .tm_min = d->dt_min, .tm_sec = d->dt_sec };
	int z = d->dt_zone < 0 ? -d->dt_zone : d->dt_zone;
	int64_t off = (int64_t)(z / 100) * 3600 + (z % 100) * 60;
	return (int64_t)timegm(&tm) - (d->dt_zone < 0 ? -off : off);
}

static void read_att(struct mailimap_msg_att *ma, struct fetched *f)
{
	memset(f, 0, sizeof *f);
	for (clistiter *it = clist_begin(ma->att_list); it; it = clist_next(it)) {
		struct mailimap_msg_att_item *item = clist_content(it);
		if (item->att_type != MAILIMAP_MSG_ATT_ITEM_STATIC)
			continue;
		struct mailimap_msg_att_static *s = item->att_data.att_static;
		switch (s->att_type) {
		case MAILIMAP_MSG_ATT_UID:
			f->uid = s->att_data.att_uid;
			break;
		case MAILIMAP_MSG_ATT_RFC822_SIZE:
			f->size = s->att_data.att_rfc822_size;
			break;
		case MAILIMAP_MSG_ATT_INTERNALDATE:
			if (s->att_data.att_internal_date)
				f->internal = date_epoch(s->att_data.att_internal_date);
			break;
		case MAILIMAP_MSG_ATT_BODY_SECTION:
			if (s->att_data.att_body_section) {
				f->body = s->att_data.att_body_section->sec_body_part;
				f->body_len = s->att_data.att_body_section->sec_length;
			}
			break;
		}
	}
}

/* UIDs (with sizes) above after in the selected mailbox, ascending; *v malloc'd. */
static int list_uids(struct imap_conn *c, uint32_t after, struct uid_size **v, size_t *n)
{
	struct mailimap_set *set = mailimap_set_new_interval(after + 1, 0);
	struct mailimap_fetch_type *ft = mailimap_fetch_type_new_fetch_att_list_empty();
	clist *res = NULL;
	int rc = PROV_TEMP;

	*v = NULL;
	*n = 0;
	if (!set || !ft)
		goto out;
	mailimap_fetch_type_new_fetch_att_list_add(ft, mailimap_fetch_att_new_uid());
	mailimap_fetch_type_new_fetch_att_list_add(ft, mailimap_fetch_att_new_rfc822_size());
	rc = st(c, mailimap_uid_fetch(c->s, set, ft, &res), "UID FETCH (list)");
	if (rc != PROV_OK || !res)
		goto out;
	*v = calloc((size_t)clist_count(res) + 1, sizeof **v);
	if (!*v) {
		rc = PROV_TEMP;
		goto out;
	}
	for (clistiter *it = clist_begin(res); it; it = clist_next(it)) {
		struct fetched f;
		read_att(clist_content(it), &f);
		if (f.uid > after)   /* "n:*" also names the last message when n is past it */
			(*v)[(*n)++] = (struct uid_size){ f.uid, f.size };
	}
	qsort(*v, *n, sizeof **v, cmp_uid);
out:
	if (res)
		mailimap_fetch_list_free(res);
	if (ft)
		mailimap_fetch_type_free(ft);
	if (set)
		mailimap_set_free(set);
	return rc;
}

static void add_parsed(struct imap_conn *c, const struct fetched *f, const char *mailbox,
    uint32_t uidvalidity, enum msg_folder folder, struct msg_list *out)
{
	const char *user = c->user;
	struct sync_msg m;
	char err[200], id[600];

	snprintf(id, sizeof id, "%s/%" PRIu32 "/%" PRIu32, mailbox, uidvalidity, f->uid);
	if (!f->body || mime_parse(f->body, f->body_len, &m, err, sizeof err) < 0) {
		log_warnx("imap %s: skipping message %s: %s", user, id,
		    f->body ? err : "no body returned");
		c->skipped++;
		note_broken(c, id, f->internal, f->body ? err : "no body returned");
		if (f->body)
			msg_free(&m);
		return;
	}
	m.provider_id = strdup(id);
	m.folder = folder;
	if (m.date == 0)
		m.date = f->internal;
	struct sync_msg *slot = m.provider_id ? msg_list_add(out) : NULL;
	if (!slot) {
		log_warnx("imap %s: skipping message %s: out of memory", user, id);
		msg_free(&m);
		return;
	}
	*slot = m;
}

/* Fetch and parse the messages uids[0..n) of the selected mailbox into out; *newest (when not
 * NULL) is raised to the latest INTERNALDATE among them. */
static int fetch_page(struct imap_conn *c, const char *mailbox, enum msg_folder folder,
    const struct uid_size *uids, size_t n, struct msg_list *out, int64_t *newest)
{
	struct mailimap_set *set = mailimap_set_new_empty();
	struct mailimap_fetch_type *ft = mailimap_fetch_type_new_fetch_att_list_empty();
	clist *res = NULL;
	int rc = PROV_TEMP;
	uint32_t uidvalidity = c->s->imap_selection_info->sel_uidvalidity;

	if (!set || !ft)
		goto out;
	for (size_t i = 0; i < n; i++)
		mailimap_set_add_single(set, uids[i].uid);
	mailimap_fetch_type_new_fetch_att_list_add(ft, mailimap_fetch_att_new_uid());
	mailimap_fetch_type_new_fetch_att_list_add(ft, mailimap_fetch_att_new_internaldate());
	mailimap_fetch_type_new_fetch_att_list_add(ft,
	    mailimap_fetch_att_new_body_peek_section(mailimap_section_new(NULL)));
	rc = st(c, mailimap_uid_fetch(c->s, set, ft, &res), "UID FETCH (bodies)");
	if (rc != PROV_OK || !res)
		goto out;
	for (clistiter *it = clist_begin(res); it; it = clist_next(it)) {
		struct fetched f;
		read_att(clist_content(it), &f);
		if (f.uid)
			add_parsed(c, &f, mailbox, uidvalidity, folder, out);
		if (f.uid && newest && f.internal > *newest)
			*newest = f.internal;
	}
out:
	if (res)
		mailimap_fetch_list_free(res);
	if (ft)
		mailimap_fetch_type_free(ft);
	if (set)
		mailimap_set_free(set);
	return rc;
}

/* How many of uids[0..n) make one page (at least one), skipping none; oversized ones are
 * dropped from the fetch by fetch_sized(). */
static size_t page_len(const struct uid_size *uids, size_t n, size_t max)
{
	size_t k = 0, bytes = 0;
	while (k < n && k < max) {
		size_t sz = uids[k].size > MAX_MSG_BYTES ? 0 : uids[k].size;
		if (k > 0 && bytes + sz > MAX_PAGE_BYTES)
			break;
		bytes += sz;
		k++;
	}
	return k;
}

/* Fetch uids[0..k) except oversized ones, which are logged and skipped; newest as above. */
static int fetch_sized(struct imap_conn *c, const char *mailbox, enum msg_folder folder,
    struct uid_size *uids, size_t k, struct msg_list *out, int64_t *newest)
{
	size_t w = 0;
	for (size_t i = 0; i < k; i++) {
		if (uids[i].size > MAX_MSG_BYTES) {
			log_warnx("imap %s: skipping message %s uid %" PRIu32 ": %" PRIu32 " bytes",
			    c->user, mailbox, uids[i].uid, uids[i].size);
			c->skipped++;
			char id[600], why[80];
			snprintf(id, sizeof id, "%s/%" PRIu32 "/%" PRIu32, mailbox,
			    c->s->imap_selection_info->sel_uidvalidity, uids[i].uid);
			snprintf(why, sizeof why, "larger than 25 MB (%" PRIu32 " bytes)", uids[i].size);
			note_broken(c, id, 0, why);
			continue;
		}
		uids[w++] = uids[i];
	}
	return w ? fetch_page(c, mailbox, folder, uids, w, out, newest) : PROV_OK;
}

/* The UID of the newest message in the selected mailbox (0 when empty). */
static int mailbox_end(struct imap_conn *c, uint32_t *last)
{
	struct mailimap_selection_info *si = c->s->imap_selection_info;
	*last = 0;
	if (si->sel_uidnext > 0) {
		*last = si->sel_uidnext - 1;
		return PROV_OK;
	}
	if (si->sel_exists == 0)
		return PROV_OK;
	struct uid_size *v;
	size_t n;
	int rc = list_uids(c, 0, &v, &n);
	if (rc == PROV_OK && n > 0)
		*last = v[n - 1].uid;
	free(v);
	return rc;
}

/* In the selected mailbox, *last = the UID just before the first message that arrived on or
 * after the UTC day of since (IMAP SEARCH SINCE), left as it is (the mailbox's end) when none
 * did; since 0 means every message: *last = 0. */
static int before_since(struct imap_conn *c, int64_t since, uint32_t *last)
{
	struct mailimap_search_key *key = NULL;
	clist *res = NULL;
	struct tm tm;
	time_t t = (time_t)since;

	if (since <= 0) {
		*last = 0;
		return PROV_OK;
	}
	if (!gmtime_r(&t, &tm))
		return PROV_PERM;
	key = mailimap_search_key_new_since(mailimap_date_new(tm.tm_mday, tm.tm_mon + 1,
	    tm.tm_year + 1900));
	int rc = key ? st(c, mailimap_uid_search(c->s, NULL, key, &res), "UID SEARCH SINCE") :
	    PROV_TEMP;
	for (clistiter *it = rc == PROV_OK && res ? clist_begin(res) : NULL; it; it = clist_next(it)) {
		uint32_t uid = *(uint32_t *)clist_content(it);
		if (uid > 0 && uid - 1 < *last)
			*last = uid - 1;
	}
	if (res)
		mailimap_search_result_free(res);
	if (key)
		mailimap_search_key_free(key);
	return rc;
}

/* The position a reset mailbox is read again from (see imap_pull_since), logged once. */
static int reset_position(struct imap_conn *c, const char *mailbox, const struct imap_cursor *old,
    int64_t floor, struct imap_cursor *now)
{
	int64_t since = imap_reread_since(old, floor);
	char day[32] = "the first message";
	time_t t = (time_t)since;
	struct tm tm;
	if (since > 0 && gmtime_r(&t, &tm))
		strftime(day, sizeof day, "%Y-%m-%d", &tm);
	log_warnx("imap %s: %s UIDVALIDITY changed %" PRIu32 " -> %" PRIu32 ": re-reading since %s",
	    c->user, mailbox, old->uidvalidity, now->uidvalidity, day);
	now->date = since;
	int rc = mailbox_end(c, &now->last_uid);
	return rc == PROV_OK ? before_since(c, since, &now->last_uid) : rc;
}

int imap_pull_since(struct imap_conn *c, const char *mailbox, enum msg_folder folder,
    const char *cursor, int64_t since, size_t max, struct msg_list *out, char **new_cursor,
    int *more)
{
	struct imap_cursor cur, now = { 0 };
	struct uid_size *uids = NULL;
	size_t n = 0;
	char buf[128];
	int rc;

	*new_cursor = NULL;
	*more = 0;
	int have = cursor && *cursor && imap_cursor_parse(cursor, &cur) == 0;
	if (cursor && *cursor && !have)
		log_warnx("imap %s: %s: unreadable cursor \"%s\", starting from now", c->user,
		    mailbox, cursor);
	rc = select_mb(c, mailbox, 0);
	if (rc != PROV_OK)
		goto out;
	struct mailimap_selection_info *si = c->s->imap_selection_info;
	now.uidvalidity = si->sel_uidvalidity;
	now.modseq = c->modseq;
	if (!have) {
		rc = mailbox_end(c, &now.last_uid);
		goto done;
	}
	if (cur.uidvalidity != now.uidvalidity) {
		rc = reset_position(c, mailbox, &cur, since, &now);
		if (rc != PROV_OK)
			goto out;
	} else {
		now.last_uid = cur.last_uid;
		now.date = cur.date;
	}
	if (si->sel_exists == 0 || (si->sel_uidnext > 0 && si->sel_uidnext <= now.last_uid + 1))
		goto done;
	rc = list_uids(c, now.last_uid, &uids, &n);
	if (rc != PROV_OK || n == 0)
		goto done;
	size_t k = page_len(uids, n, max ? max : DEFAULT_PAGE);
	uint32_t page_last = uids[k - 1].uid;
	rc = fetch_sized(c, mailbox, folder, uids, k, out, &now.date);
	if (rc != PROV_OK)
		goto out;
	now.last_uid = page_last;
	*more = k < n;
done:
	now.date = imap_cursor_dated(now.date, *more, (int64_t)time(NULL));
	if (rc == PROV_OK) {
		imap_cursor_format(&now, buf, sizeof buf);
		if (!(*new_cursor = strdup(buf)))
			rc = PROV_TEMP;
	}
out:
	free(uids);
	return rc;
}

int imap_pull(struct imap_conn *c, const char *mailbox, enum msg_folder folder,
    const char *cursor, size_t max, struct msg_list *out, char **new_cursor, int *more)
{
	return imap_pull_since(c, mailbox, folder, cursor, 0, max, out, new_cursor, more);
}

int imap_cursor_since(struct imap_conn *c, const char *mailbox, int64_t since, char **cursor)
{
	struct imap_cursor now = { 0 };
	char buf[128];

	*cursor = NULL;
	int rc = select_mb(c, mailbox, 0);
	if (rc != PROV_OK)
		return rc;
	now.uidvalidity = c->s->imap_selection_info->sel_uidvalidity;
	now.modseq = c->modseq;
	now.date = since;
	rc = mailbox_end(c, &now.last_uid);
	if (rc == PROV_OK)
		rc = before_since(c, since, &now.last_uid);
	if (rc == PROV_OK) {
		imap_cursor_format(&now, buf, sizeof buf);
		if (!(*cursor = strdup(buf)))
			rc = PROV_TEMP;
	}
	return rc;
}

int imap_fetch_all(struct imap_conn *c, const char *mailbox, enum msg_folder folder, size_t max,
    struct msg_list *out, int *more)
{
	struct uid_size *uids = NULL;
	size_t n = 0;

	*more = 0;
	int rc = select_mb(c, mailbox, 1);
	if (rc != PROV_OK || c->s->imap_selection_info->sel_exists == 0)
		return rc;
	rc = list_uids(c, 0, &uids, &n);
	if (rc == PROV_OK && n > 0) {
		size_t k = page_len(uids, n, max ? max : DEFAULT_PAGE);
		*more = k < n;
		rc = fetch_sized(c, mailbox, folder, uids, k, out, NULL);
	}
	free(uids);
	return rc;
}

/* ---- Changing the mailbox ---------------------------------------------------------------- */

/* Split "<mailbox>/<uidvalidity>/<uid>" (the mailbox may hold '/'); *mb is malloc'd. */
static int split_id(const char *id, char **mb, uint32_t *v, uint32_t *uid)
{
	const char *b = id ? strrchr(id, '/') : NULL;
	const char *a = b ? memrchr(id, '/', (size_t)(b - id)) : NULL;
	unsigned long long x, y;
	char tail[64];
	*mb = NULL;
	if (!a || a == id || strlen(a) >= sizeof tail)
		return -1;
	strcpy(tail, a);
	int used = 0;
	if (sscanf(tail, "/%llu/%llu%n", &x, &y, &used) != 2 || tail[used] || !x || !y ||
	    x > UINT32_MAX || y > UINT32_MAX)
		return -1;
	*v = (uint32_t)x;
	*uid = (uint32_t)y;
	*mb = strndup(id, (size_t)(a - id));
	return *mb ? 0 : -1;
}

static int move_fallback(struct imap_conn *c, struct mailimap_set *set, const char *dest)
{
	int rc = st(c, mailimap_uid_copy(c->s, set, dest), "UID COPY");
	if (rc != PROV_OK)
		return rc;
	struct mailimap_flag_list *fl = mailimap_flag_list_new_empty();
	mailimap_flag_list_add(fl, mailimap_flag_new_deleted());
	struct mailimap_store_att_flags *sf = mailimap_store_att_flags_new_add_flags_silent(fl);
	rc = st(c, mailimap_uid_store(c->s, set, sf), "UID STORE \\Deleted");
	mailimap_store_att_flags_free(sf);
	if (rc != PROV_OK)
		return rc;
	if (mailimap_has_extension(c->s, "UIDPLUS"))
		return st(c, mailimap_uid_expunge(c->s, set), "UID EXPUNGE");
	return st(c, mailimap_expunge(c->s), "EXPUNGE");
}

int imap_move(struct imap_conn *c, const char *provider_id, const char *dest)
{
	char *mb = NULL;
	uint32_t v, uid;
	struct mailimap_set *set = NULL;
	int rc = PROV_PERM;

	if (split_id(provider_id, &mb, &v, &uid) < 0) {
		log_warnx("imap %s: cannot move \"%s\": not an IMAP message id", c->user,
		    provider_id ? provider_id : "");
		goto out;
	}
	rc = select_mb(c, mb, 1);
	if (rc != PROV_OK)
		goto out;
	if (c->s->imap_selection_info->sel_uidvalidity != v) {
		log_warnx("imap %s: cannot move %s: mailbox was recreated", c->user, provider_id);
		rc = PROV_PERM;
		goto out;
	}
	set = mailimap_set_new_single(uid);
	if (!set) {
		rc = PROV_TEMP;
		goto out;
	}
	if (mailimap_has_extension(c->s, "MOVE"))
		rc = st(c, mailimap_uid_move(c->s, set, dest), "UID MOVE");
	else
		rc = move_fallback(c, set, dest);
out:
	if (set)
		mailimap_set_free(set);
	free(mb);
	return rc;
}

/* The UIDs of mailbox's messages whose Subject holds word, with each one's Subject header
 * (fetched alone, BODY.PEEK[HEADER.FIELDS (SUBJECT)]) handed to match; those it takes are
 * flagged \Deleted into del. */
static int sweep_matching(struct imap_conn *c, const char *word,
    int (*match)(void *ctx, const char *header, size_t len), void *ctx,
    struct mailimap_set *del, int *found)
{
	struct mailimap_search_key *key = mailimap_search_key_new_subject(strdup(word));
	struct mailimap_fetch_type *ft = NULL;
	struct mailimap_set *set = NULL;
	clist *uids = NULL, *res = NULL, *names = NULL;
	int rc = key ? st(c, mailimap_uid_search(c->s, NULL, key, &uids), "UID SEARCH SUBJECT") :
	    PROV_TEMP;
	if (rc != PROV_OK || !uids || clist_count(uids) == 0)
		goto out;
	rc = PROV_TEMP;
	if (!(set = mailimap_set_new_empty()))
		goto out;
	for (clistiter *it = clist_begin(uids); it; it = clist_next(it))
		mailimap_set_add_single(set, *(uint32_t *)clist_content(it));
	char *subject = strdup("Subject");
	if (!(names = clist_new()) || !subject || clist_append(names, subject) < 0) {
		free(subject);
		goto out;
	}
	struct mailimap_section *sec = mailimap_section_new_header_fields(
	    mailimap_header_list_new(names));
	names = NULL;   /* sec owns it */
	if (!sec || !(ft = mailimap_fetch_type_new_fetch_att_list_empty()))
		goto out;
	mailimap_fetch_type_new_fetch_att_list_add(ft, mailimap_fetch_att_new_uid());
	mailimap_fetch_type_new_fetch_att_list_add(ft, mailimap_fetch_att_new_body_peek_section(sec));
	rc = st(c, mailimap_uid_fetch(c->s, set, ft, &res), "UID FETCH (subjects)");
	for (clistiter *it = rc == PROV_OK && res ? clist_begin(res) : NULL; it;
	    it = clist_next(it)) {
		struct fetched f;
		read_att(clist_content(it), &f);
		if (f.uid && f.body && match(ctx, f.body, f.body_len)) {
			mailimap_set_add_single(del, f.uid);
			(*found)++;
		}
	}
out:
	if (names)
		clist_free(names);
	if (res)
		mailimap_fetch_list_free(res);
	if (ft)
		mailimap_fetch_type_free(ft);
	if (set)
		mailimap_set_free(set);
	if (uids)
		mailimap_search_result_free(uids);
	if (key)
		mailimap_search_key_free(key);
	return rc;
}

int imap_sweep(struct imap_conn *c, const char *mailbox, const char *word,
    int (*match)(void *ctx, const char *header, size_t len), void *ctx, int *found)
{
	*found = 0;
	int rc = select_mb(c, mailbox, 1);
	if (rc != PROV_OK)
		return rc;
	struct mailimap_set *del = mailimap_set_new_empty();
	if (!del)
		return PROV_TEMP;
	rc = sweep_matching(c, word, match, ctx, del, found);
	if (rc == PROV_OK && *found) {
		struct mailimap_flag_list *fl = mailimap_flag_list_new_empty();
		mailimap_flag_list_add(fl, mailimap_flag_new_deleted());
		struct mailimap_store_att_flags *sf = mailimap_store_att_flags_new_add_flags_silent(fl);
		rc = st(c, mailimap_uid_store(c->s, del, sf), "UID STORE \\Deleted");
		mailimap_store_att_flags_free(sf);
		if (rc == PROV_OK)
			rc = mailimap_has_extension(c->s, "UIDPLUS") ?
			    st(c, mailimap_uid_expunge(c->s, del), "UID EXPUNGE") :
			    st(c, mailimap_expunge(c->s), "EXPUNGE");
	}
	mailimap_set_free(del);
	return rc;
}

int imap_fetch_one(struct imap_conn *c, const char *provider_id, enum msg_folder folder,
    struct msg_list *out)
{
	char *mb = NULL;
	uint32_t v, uid;
	int rc = PROV_PERM;
	size_t before = out->n;
	long broken = c->skipped;

	if (split_id(provider_id, &mb, &v, &uid) < 0) {
		log_warnx("imap %s: cannot fetch \"%s\": not an IMAP message id", c->user,
		    provider_id ? provider_id : "");
		goto out;
	}
	if ((rc = select_mb(c, mb, 0)) != PROV_OK)
		goto out;
	if (c->s->imap_selection_info->sel_uidvalidity != v) {
		log_info("imap %s: %s not fetched again: its mailbox was recreated", c->user,
		    provider_id);
		rc = PROV_PERM;
		goto out;
	}
	struct uid_size one = { uid, 0 };
	rc = fetch_page(c, mb, folder, &one, 1, out, NULL);
	if (rc == PROV_OK && out->n == before && c->skipped == broken)
		rc = PROV_PERM;   /* no such UID any more */
out:
	free(mb);
	return rc;
}

int imap_append(struct imap_conn *c, const char *mailbox, const char *raw, size_t len, int seen)
{
	struct mailimap_flag_list *fl = NULL;
	if (seen) {
		fl = mailimap_flag_list_new_empty();
		mailimap_flag_list_add(fl, mailimap_flag_new_seen());
	}
	int rc = st(c, mailimap_append(c->s, mailbox, fl, NULL, raw, len), "APPEND");
	if (fl)
		mailimap_flag_list_free(fl);
	return rc;
}

/* ---- IDLE -------------------------------------------------------------------------------- */

int imap_idle_start(struct imap_conn *c)
{
	if (c->idling)
		return PROV_OK;
	if (!mailimap_has_idle(c->s))
		return PROV_PERM;
	int rc = select_mb(c, "INBOX", 0);
	if (rc != PROV_OK)
		return rc;
	c->idle_exists = c->s->imap_selection_info->sel_exists;
	rc = st(c, mailimap_idle(c->s), "IDLE");
	c->idling = rc == PROV_OK;
	return rc;
}

int imap_idle_fd(const struct imap_conn *c)
{
	return c && c->idling ? mailimap_idle_get_fd(c->s) : -1;
}

int imap_idle_pending(const struct imap_conn *c)
{
	return c && c->idling && c->s->imap_stream && c->s->imap_stream->read_buffer_len > 0;
}

int imap_idle_done(struct imap_conn *c, int *new_mail)
{
	*new_mail = 0;
	if (!c->idling)
		return PROV_OK;
	c->idling = 0;
	int rc = st(c, mailimap_idle_done(c->s), "IDLE DONE");
	if (rc == PROV_OK && c->s->imap_selection_info)
		*new_mail = c->s->imap_selection_info->sel_exists > c->idle_exists;
	return rc;
}
