/* Every input key the app accepts, with its validator, checked before any page runs. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/timeutil.h"
#include "web/web.h"

typedef int (*validator)(const char *s, size_t max);

static int v_id(const char *s, size_t max)
{
	(void)max;
	return parse_id(s) > 0;
}

/* A count: digits, 0 included. */
static int v_count(const char *s, size_t max)
{
	(void)max;
	return strcmp(s, "0") == 0 || parse_id(s) > 0;
}

static int v_date(const char *s, size_t max)
{
	(void)max;
	struct ymd d;
	return date_parse(s, &d) == 0;
}

static int v_month(const char *s, size_t max)
{
	(void)max;
	int y, m;
	return month_parse(s, &y, &m) == 0;
}

static int v_clock(const char *s, size_t max)
{
	(void)max;
	int h, m;
	return clock_parse(s, &h, &m) == 0;
}

static int v_duration(const char *s, size_t max)
{
	(void)max;
	int m;
	return duration_parse(s, &m) == 0;
}

static int v_flag(const char *s, size_t max)
{
	(void)max;
	return strcmp(s, "1") == 0 || strcmp(s, "0") == 0 || strcmp(s, "on") == 0 || !*s;
}

static int v_kind(const char *s, size_t max)
{
	(void)max;
	return strcmp(s, "email") == 0 || strcmp(s, "appt") == 0;
}

/* Letters, digits, '-' and '_' only (tokens, account numbers). */
static int v_word(const char *s, size_t max)
{
	size_t n = 0;
	for (; s[n]; n++)
		if (!isalnum((unsigned char)s[n]) && s[n] != '-' && s[n] != '_')
			return 0;
	return n <= max;
}

static int v_text(const char *s, size_t max)
{
	return strlen(s) <= max && text_clean(s);
}

/* One line of text: what goes into a mail or calendar header (Subject, To, a title, a host) can
 * hold no CR or LF, or it would start a header of its own. */
static int v_line(const char *s, size_t max)
{
	return v_text(s, max) && !strpbrk(s, "\r\n");
}

/* A local path to go back to after logging in: "/x...", never "//host" or a backslash. */
static int v_next(const char *s, size_t max)
{
	return s[0] == '/' && s[1] != '/' && !strchr(s, '\\') && strlen(s) <= max && text_clean(s) &&
	    !strpbrk(s, "\r\n\t");
}

/* Link flow and Sync settings (page_link.c, page_imap_link.c, page_settings.c, page_hooks.c). */
static int v_provider(const char *s, size_t max)
{
	(void)max;
	return strcmp(s, "google") == 0 || strcmp(s, "microsoft") == 0 || strcmp(s, "nylas") == 0 ||
	    strcmp(s, "imap") == 0;
}

static int v_port(const char *s, size_t max)
{
	(void)max;
	if (!*s)
		return 1;
	long n = parse_id(s);
	return n > 0 && n < 65536;
}

static int v_privacy(const char *s, size_t max)
{
	(void)max;
	return strcmp(s, "public") == 0 || strcmp(s, "private") == 0;
}

/* The calendar feed's settings (page_feed.c). */
static int v_feed(const char *s, size_t max)
{
	(void)max;
	return strcmp(s, "on") == 0 || strcmp(s, "off") == 0 || strcmp(s, "regenerate") == 0;
}

struct input_key {
	const char *key;
	validator check;
	size_t max;
	int soft;   /* in a form: keep a failing value and let the page explain */
};

static const struct input_key input_keys[] = {
	{ "email", v_line, 254, 0 },
	{ "password", v_text, 1024, 0 },
	{ "next", v_next, 512, 0 },
	{ "csrf", v_word, 64, 0 },
	{ "month", v_month, 0, 0 },
	{ "date", v_date, 0, 1 },
	{ "week", v_date, 0, 0 },
	{ "user", v_id, 0, 0 },
	{ "account", v_word, 32, 0 },
	{ "contact", v_id, 0, 0 },
	{ "partial", v_flag, 0, 0 },
	{ "inline", v_flag, 0, 0 },
	{ "saved", v_flag, 0, 0 },
	{ "q", v_text, 100, 0 },
	{ "time", v_clock, 0, 1 },
	{ "duration", v_duration, 0, 1 },
	{ "location", v_line, 500, 1 },
	{ "title", v_line, 500, 1 },
	{ "type", v_line, 60, 1 },
	{ "note", v_text, 10000, 1 },
	{ "completion_note", v_text, 10000, 1 },
	{ "complete", v_flag, 0, 0 },
	{ "kind", v_kind, 0, 0 },
	{ "item", v_id, 0, 0 },
	{ "regarding", v_line, 200, 1 },
	/* link flow, Sync settings, webhooks */
	{ "provider", v_provider, 0, 0 },
	{ "purpose", v_word, 10, 0 },
	{ "state", v_line, 200, 0 },
	{ "code", v_text, 2048, 0 },
	{ "error", v_line, 200, 0 },
	{ "error_description", v_line, 500, 0 },
	{ "imap_host", v_line, 253, 1 },
	{ "imap_port", v_port, 0, 1 },
	{ "imap_tls", v_flag, 0, 0 },
	{ "username", v_line, 254, 1 },
	{ "caldav_url", v_line, 500, 1 },
	{ "smtp_host", v_line, 253, 1 },
	{ "smtp_port", v_port, 0, 1 },
	{ "sync_email", v_flag, 0, 0 },
	{ "sync_calendar", v_flag, 0, 0 },
	{ "sync_folder", v_flag, 0, 0 },
	{ "privacy", v_privacy, 0, 0 },
	{ "share", v_id, 0, 0 },
	{ "cals", v_flag, 0, 0 },
	{ "cal", v_line, 2000, 0 },   /* a calendar's URL, compared with the link's own */
	{ "validationToken", v_text, 1024, 0 },
	{ "challenge", v_text, 1024, 0 },
	{ "done", v_word, 20, 0 },
	{ "action", v_word, 10, 0 },
	{ "page", v_id, 0, 0 },
	{ "pattern", v_line, 254, 1 },   /* a blocked address or domain, checked by the page */
	{ "block", v_id, 0, 0 },
	{ "n", v_count, 0, 0 },
	{ "m", v_count, 0, 0 },
	/* compose, unmatched, calendar feed */
	{ "to", v_line, 4000, 1 },
	{ "cc", v_line, 4000, 1 },
	{ "subject", v_line, 500, 1 },
	{ "body", v_text, 50000, 1 },
	{ "reply", v_id, 0, 0 },
	{ "reattach", v_id, 0, 0 },   /* an attachment of the replied message to send again */
	{ "result", v_word, 20, 0 },
	{ "feed", v_feed, 0, 0 },
};

static const struct input_key *input_find(const char *key)
{
	for (size_t i = 0; i < sizeof input_keys / sizeof input_keys[0]; i++)
		if (strcmp(input_keys[i].key, key) == 0)
			return &input_keys[i];
	return NULL;
}

/* Unknown keys are dropped (never reach a page); known ones must pass. */
static int check_params(struct params *p, int is_form, char *err, size_t errlen)
{
	size_t keep = 0;
	for (size_t i = 0; i < p->n; i++) {
		struct param *pp = &p->v[i];
		const struct input_key *k = input_find(pp->key);
		if (!k) {
			free(pp->key);
			free(pp->val);
			continue;
		}
		if (!k->check(pp->val, k->max)) {
			if (!(is_form && k->soft)) {
				snprintf(err, errlen, "The value of \"%s\" is not valid.", k->key);
				p->v[keep++] = *pp;
				for (size_t j = i + 1; j < p->n; j++)
					p->v[keep++] = p->v[j];
				p->n = keep;
				return 400;
			}
			pp->invalid = 1;
		}
		p->v[keep++] = *pp;
	}
	p->n = keep;
	return 0;
}

int input_check(struct req *r, char *err, size_t errlen)
{
	int rc = check_params(&r->query, 0, err, errlen);
	if (rc)
		return rc;
	return check_params(&r->form, 1, err, errlen);
}

int64_t parse_id(const char *s)
{
	if (!s || !*s || strlen(s) > 15)
		return 0;
	int64_t v = 0;
	for (; *s; s++) {
		if (!isdigit((unsigned char)*s))
			return 0;
		v = v * 10 + (*s - '0');
	}
	return v;
}

const char *q_get(const struct ctx *c, const char *key)
{
	return params_get(&c->req->query, key);
}

const char *f_get(const struct ctx *c, const char *key)
{
	return params_get(&c->req->form, key);
}

int f_invalid(const struct ctx *c, const char *key)
{
	const struct param *p = params_find(&c->req->form, key);
	return p && p->invalid;
}
