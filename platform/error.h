/*
 * Error codes and the error report shared by every odolog module.
 *
 * Fallible functions return int: 0 on success, a negative ODO_E* code on failure. Where a
 * person will read the failure, the function also fills an optional struct odo_err with one
 * sentence that says what was wrong and, when there is something to do, what to do.
 */
#ifndef ODO_PLATFORM_ERROR_H
#define ODO_PLATFORM_ERROR_H

#include <stddef.h>

#define ODO_MUST_CHECK        __attribute__((warn_unused_result))
#define ODO_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))

enum odo_status {
    ODO_OK = 0,
    ODO_EINVAL = -1,    /* input refused: malformed, out of range, against a rule */
    ODO_ENOTFOUND = -2, /* no such row (for this user) */
    ODO_EEXIST = -3,    /* would duplicate something unique (a live VIN, a maintenance type) */
    ODO_ESTORAGE = -4,  /* the database failed: I/O, full disk, corruption */
    ODO_ENOTDB = -5,    /* the file is not an odolog database */
    ODO_EMIGRATE = -6,  /* a migration could not be applied, or was edited after it was */
    ODO_EREADONLY = -7, /* the database or its directory cannot be written */
    ODO_ENOMEM = -8,    /* out of memory, or a buffer cap was reached */
    ODO_EBUSY = -9,     /* another process holds the database for too long */
    ODO_EIO = -10,      /* an operating-system call on a file or device failed */
    ODO_ETOOBIG = -11,  /* over a documented size limit */
    ODO_ENEWER = -12,   /* the database was written by a newer odolog */
    ODO_ENET = -13,     /* the network or the peer failed */
    ODO_EPROTO = -14,   /* the peer broke the protocol */
    ODO_EAUTH = -15,    /* credentials missing, expired or forged */
    ODO_EUPGRADE = -16, /* the peer requires a newer schema version */
    ODO_ESTOPPED = -17, /* stopped on request between steps; nothing lost */
};

/* What a person reads when an operation fails: the code and one explanatory sentence. */
struct odo_err {
    int code;
    char msg[320];
};

/* A short fixed description of an ODO_E* code; never NULL. */
const char *odo_strerror(int code);

/*
 * Records code and a formatted sentence in *err when err is not NULL, and returns code so a
 * caller can write `return odo_err_set(err, ODO_EINVAL, "...")`.
 */
int odo_err_set(struct odo_err *err, int code, const char *fmt, ...) ODO_PRINTF(3, 4);

/* Clears *err (err may be NULL). */
void odo_err_clear(struct odo_err *err);

/* The message in *err, or odo_strerror(code) when no sentence was recorded. */
const char *odo_err_text(const struct odo_err *err, int code);

#define ODO_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#endif
