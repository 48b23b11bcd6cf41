/* The relay URL of [notify] and the text of the notices mailed to users (see notify.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/notify.h"

int notify_relay_parse(const char *url, struct notify_relay *out)
{
	memset(out, 0, sizeof *out);
	const char *p;
	if (!url)
		return -1;
	if (strncasecmp(url, "smtp://", 7) == 0)
		p = url + 7;
	else if (strncasecmp(url, "smtps://", 8) == 0) {
		p = url + 8;
		out->tls = 1;
	} else
		return -1;
	const char *end;
	if (*p == '[') {
		end = strchr(p, ']');
		if (!end || end == p + 1)
			goto bad;
		snprintf(out->host, sizeof out->host, "%.*s", (int)(end - p - 1), p + 1);
		end++;
	} else {
		end = p + strcspn(p, ":/");
		if (end == p || (size_t)(end - p) >= sizeof out->host)
			goto bad;
		snprintf(out->host, sizeof out->host, "%.*s", (int)(end - p), p);
	}
	if (strpbrk(out->host, "@?# \t\r\n"))
		goto bad;
	if (*end == ':') {
		char *e;
		long port = strtol(end + 1, &e, 10);
		if (e == end + 1 || port < 1 || port > 65535)
			goto bad;
		out->port = (int)port;
		end = e;
	}
	if (*end == '/')
		end++;
	if (*end)
		goto bad;
	return 0;
bad:
	memset(out, 0, sizeof *out);
	return -1;
}

/* s without control characters (CR and LF above all), into out. */
static const char *clean(const char *s, char *out, size_t size)
{
	size_t n = 0;
	for (; s && *s && n + 1 < size; s++)
		if ((unsigned char)*s >= 0x20 && *s != 0x7f)
			out[n++] = *s;
	out[n] = '\0';
	return out;
}

static const char *provider_name(const char *p)
{
	if (strcmp(p, "google") == 0)
		return "Google";
	if (strcmp(p, "microsoft") == 0)
		return "Microsoft 365";
	if (strcmp(p, "nylas") == 0)
		return "Nylas";
	return "IMAP";
}

char *notify_relink_mail(const char *from, const char *to, const char *address,
    const char *provider, const char *base_url, const char *message_id, int64_t now)
{
	static const char *const wd[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char *const mon[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug",
	    "Sep", "Oct", "Nov", "Dec" };
	char f[320], t[320], a[320], mid[256], base[512], date[64];
	time_t tt = (time_t)now;
	struct tm tm;
	gmtime_r(&tt, &tm);
	snprintf(date, sizeof date, "%s, %02d %s %04d %02d:%02d:%02d +0000", wd[tm.tm_wday],
	    tm.tm_mday, mon[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
	clean(base_url, base, sizeof base);
	size_t bl = strlen(base);
	if (bl && base[bl - 1] == '/')
		base[bl - 1] = '\0';
	char *out = NULL;
	if (asprintf(&out,
	    "From: %s\r\n"
	    "To: %s\r\n"
	    "Subject: Your mailbox %s needs re-linking\r\n"
	    "Date: %s\r\n"
	    "Message-ID: %s\r\n"
	    "MIME-Version: 1.0\r\n"
	    "Content-Type: text/plain; charset=utf-8\r\n"
	    "Content-Transfer-Encoding: 8bit\r\n"
	    "Auto-Submitted: auto-generated\r\n"
	    "\r\n"
	    "The CRM can no longer sync your mailbox %s (%s): the provider refused its sign-in.\r\n"
	    "New mail and meetings are not imported until you link it again.\r\n"
	    "\r\n"
	    "Sign in to the CRM and open Sync settings to link the mailbox again:\r\n"
	    "%s/settings/sync\r\n"
	    "\r\n"
	    "This is the only notice until the mailbox syncs again.\r\n",
	    clean(from, f, sizeof f), clean(to, t, sizeof t), clean(address, a, sizeof a), date,
	    clean(message_id, mid, sizeof mid), a, provider_name(provider ? provider : ""),
	    base) < 0)
		return NULL;
	return out;
}
