/*
 * Error codes to text, and the helpers that fill a struct odo_err.
 */
#include "platform/error.h"

#include <stdarg.h>
#include <stdio.h>

const char *odo_strerror(int code)
{
    switch (code) {
    case ODO_OK:
        return "success";
    case ODO_EINVAL:
        return "invalid input";
    case ODO_ENOTFOUND:
        return "not found";
    case ODO_EEXIST:
        return "already exists";
    case ODO_ESTORAGE:
        return "storage error";
    case ODO_ENOTDB:
        return "not an odolog database";
    case ODO_EMIGRATE:
        return "database migration failed";
    case ODO_EREADONLY:
        return "database is read-only";
    case ODO_ENOMEM:
        return "out of memory";
    case ODO_EBUSY:
        return "database is busy";
    case ODO_EIO:
        return "input/output error";
    case ODO_ETOOBIG:
        return "too large";
    case ODO_ENEWER:
        return "database is newer than this program";
    case ODO_ENET:
        return "network error";
    case ODO_EPROTO:
        return "protocol error";
    case ODO_EAUTH:
        return "not authorised";
    case ODO_EUPGRADE:
        return "upgrade required";
    case ODO_ESTOPPED:
        return "stopped";
    default:
        return "unknown error";
    }
}

int odo_err_set(struct odo_err *err, int code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        err->code = code;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
        va_end(ap);
    }
    return code;
}

void odo_err_clear(struct odo_err *err)
{
    if (err) {
        err->code = 0;
        err->msg[0] = '\0';
    }
}

const char *odo_err_text(const struct odo_err *err, int code)
{
    if (err && err->msg[0])
        return err->msg;
    return odo_strerror(code);
}
