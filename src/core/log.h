/* Logging to stderr: log_info, log_warn (appends errno's text), log_warnx, log_debug. */
#ifndef CORE_LOG_H
#define CORE_LOG_H

#define LOG_PRINTF(a, b) __attribute__((format(printf, a, b)))

/* Name shown in each line ("crm-sync", "crm.fcgi", "crmctl"); borrowed, set once in main. */
void log_init(const char *progname, int verbose);
void log_info(const char *fmt, ...) LOG_PRINTF(1, 2);
void log_debug(const char *fmt, ...) LOG_PRINTF(1, 2);
void log_warn(const char *fmt, ...) LOG_PRINTF(1, 2);
void log_warnx(const char *fmt, ...) LOG_PRINTF(1, 2);

#endif
