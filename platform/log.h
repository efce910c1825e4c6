/*
 * Logging: one line per event to stderr, with a syslog priority prefix ("<3>") when stderr is
 * the systemd journal, so daemons need no logging library. The threshold comes from the caller
 * (a daemon's configuration), not from a global.
 */
#ifndef ODO_PLATFORM_LOG_H
#define ODO_PLATFORM_LOG_H

#include "platform/error.h"

enum odo_log_level { ODO_LOG_ERROR = 3, ODO_LOG_WARN = 4, ODO_LOG_INFO = 6, ODO_LOG_DEBUG = 7 };

struct odo_log {
    enum odo_log_level threshold;
    const char *tag; /* program name, printed before each line */
    int journal;     /* nonzero: prefix lines with <N> for journald */
};

/* A logger for tag at threshold; journal prefixes are chosen from $JOURNAL_STREAM. */
void odo_log_init(struct odo_log *log, const char *tag, enum odo_log_level threshold);

/* Parses "error", "warn", "info" or "debug". Returns 0 or ODO_EINVAL. */
int odo_log_level_parse(const char *s, enum odo_log_level *out) ODO_MUST_CHECK;

/* Writes one line when level is at or above the logger's threshold (log may be NULL: silent). */
void odo_log(const struct odo_log *log, enum odo_log_level level, const char *fmt, ...)
    ODO_PRINTF(3, 4);

#endif
