/*
 * Line logger to stderr.
 */
#include "platform/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void odo_log_init(struct odo_log *log, const char *tag, enum odo_log_level threshold)
{
    log->threshold = threshold;
    log->tag = tag;
    log->journal = getenv("JOURNAL_STREAM") != NULL;
}

int odo_log_level_parse(const char *s, enum odo_log_level *out)
{
    static const struct {
        const char *name;
        enum odo_log_level level;
    } names[] = {{"error", ODO_LOG_ERROR},
                 {"warn", ODO_LOG_WARN},
                 {"info", ODO_LOG_INFO},
                 {"debug", ODO_LOG_DEBUG}};

    for (size_t i = 0; i < ODO_ARRAY_LEN(names); i++) {
        if (strcmp(s, names[i].name) == 0) {
            *out = names[i].level;
            return 0;
        }
    }
    return ODO_EINVAL;
}

void odo_log(const struct odo_log *log, enum odo_log_level level, const char *fmt, ...)
{
    static const char *const names[] = {"", "", "", "error", "warn", "", "info", "debug"};
    char line[2048];
    va_list ap;

    if (!log || level > log->threshold)
        return;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    if (log->journal)
        fprintf(stderr, "<%d>%s\n", (int)level, line);
    else
        fprintf(stderr, "%s: %s: %s\n", log->tag, names[level], line);
}
