/* Logging to stderr: log_info, log_warn (appends errno's text), log_warnx, log_debug, and
 * log_warnx_limited for faults that repeat. */
#ifndef CORE_LOG_H
#define CORE_LOG_H

#include <time.h>

#define LOG_PRINTF(a, b) __attribute__((format(printf, a, b)))

/* Name shown in each line ("crm-sync", "crm.fcgi", "crmctl"); borrowed, set once in main. */
void log_init(const char *progname, int verbose);
void log_info(const char *fmt, ...) LOG_PRINTF(1, 2);
void log_debug(const char *fmt, ...) LOG_PRINTF(1, 2);
void log_warn(const char *fmt, ...) LOG_PRINTF(1, 2);
void log_warnx(const char *fmt, ...) LOG_PRINTF(1, 2);

#define LOG_REPEAT_S 60
/* log_warnx for a fault that may repeat: lines of the same key (say "link 7: temporary") are
 * written at most once per LOG_REPEAT_S seconds; the next one written ends with "repeated N
 * times in the last minute". key is copied (up to 95 bytes). */
void log_warnx_limited(const char *key, const char *fmt, ...) LOG_PRINTF(2, 3);
/* Tests: the clock of log_warnx_limited (NULL: time()). */
void log_set_clock(time_t (*now)(void));

#endif
