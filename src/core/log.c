/* Logging to stderr with a time stamp and program name; safe from several threads. */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/log.h"

static const char *log_prog = "crm";
static int log_verbose;

/* Keys of the rate-limited lines seen lately; the least recent one makes room for a new key. */
#define LOG_KEYS 128
static struct log_key {
	char key[96];
	time_t last;        /* when a line of this key was last written */
	long held;          /* lines held back since */
} log_keys[LOG_KEYS];
static pthread_mutex_t log_keys_lock = PTHREAD_MUTEX_INITIALIZER;
static time_t (*log_clock)(void);

void log_init(const char *progname, int verbose)
{
	log_prog = progname;
	log_verbose = verbose;
}

static void log_vline(const char *level, const char *fmt, va_list ap, const char *suffix)
{
	char msg[2048], stamp[32];
	struct tm tm;
	time_t now = time(NULL);

	vsnprintf(msg, sizeof msg, fmt, ap);
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
	/* One fprintf per line keeps lines from several threads whole. */
	fprintf(stderr, "%s %s %s: %s%s%s\n", stamp, log_prog, level, msg,
	    suffix ? ": " : "", suffix ? suffix : "");
}

void log_info(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_vline("info", fmt, ap, NULL);
	va_end(ap);
}

void log_debug(const char *fmt, ...)
{
	va_list ap;
	if (!log_verbose)
		return;
	va_start(ap, fmt);
	log_vline("debug", fmt, ap, NULL);
	va_end(ap);
}

void log_warn(const char *fmt, ...)
{
	char err[256];
	va_list ap;
	int saved = errno;
	const char *e = strerror_r(saved, err, sizeof err);
	va_start(ap, fmt);
	log_vline("warn", fmt, ap, e);
	va_end(ap);
}

void log_warnx(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_vline("warn", fmt, ap, NULL);
	va_end(ap);
}

void log_set_clock(time_t (*now)(void))
{
	log_clock = now;
}

/* Whether a line of key may be written now; *held gets the lines held back before it. */
static int key_may_write(const char *key, long *held)
{
	time_t now = log_clock ? log_clock() : time(NULL);
	struct log_key *k = NULL, *oldest = &log_keys[0];
	int ok = 1;
	*held = 0;
	pthread_mutex_lock(&log_keys_lock);
	for (size_t i = 0; i < LOG_KEYS && !k; i++) {
		if (log_keys[i].key[0] && strcmp(log_keys[i].key, key) == 0)
			k = &log_keys[i];
		else if (log_keys[i].last < oldest->last)
			oldest = &log_keys[i];
	}
	if (!k) {
		k = oldest;
		snprintf(k->key, sizeof k->key, "%s", key);
		k->held = 0;
	} else if (now - k->last < LOG_REPEAT_S) {
		k->held++;
		ok = 0;
	}
	if (ok) {
		*held = k->held;
		k->held = 0;
		k->last = now;
	}
	pthread_mutex_unlock(&log_keys_lock);
	return ok;
}

void log_warnx_limited(const char *key, const char *fmt, ...)
{
	char suffix[64];
	long held;
	va_list ap;
	if (!key_may_write(key, &held))
		return;
	snprintf(suffix, sizeof suffix, "repeated %ld times in the last minute", held);
	va_start(ap, fmt);
	log_vline("warn", fmt, ap, held ? suffix : NULL);
	va_end(ap);
}
