/* Logging to stderr with a time stamp and program name; safe from several threads. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/log.h"

static const char *log_prog = "crm";
static int log_verbose;

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
