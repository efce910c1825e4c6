/*
 * Where the device programs (odolog, odologd, the head unit's UI) find their data and whose it
 * is: the database file, the vPIC database beside it, and the user a command acts for. One rule
 * each, read from the same options and environment variables by every program, so that the
 * programs on one device always agree on which file they share.
 */
#ifndef ODO_FIRMWARE_DEVICE_PATHS_H
#define ODO_FIRMWARE_DEVICE_PATHS_H

#include <stddef.h>

#include "platform/error.h"

/* A path buffer's size: Linux's PATH_MAX, the longest path the kernel takes. */
#define ODO_DEVICE_PATH_MAX 4096

/*
 * The database file: given (--db) when it is not NULL or empty, else $ODOLOG_DB when it is not
 * empty, else odolog.db in the user's data directory ($XDG_DATA_HOME/odolog or
 * ~/.local/share/odolog), which is created (mode 0700) here on first use. *out points at
 * given, at the environment, or at buf (cap bytes, the caller's); NULL on failure. Returns 0,
 * or the data directory's error (ODO_EINVAL no HOME, ODO_ETOOBIG, ODO_EIO cannot create) with a
 * sentence in err.
 */
int odo_device_db_path(const char *given, char *buf, size_t cap, const char **out,
                       struct odo_err *err) ODO_MUST_CHECK;

/*
 * The vPIC database for offline VIN decoding: $ODOLOG_VPIC when it is not empty, else vpic.db
 * beside the database that odo_device_db_path(db_given) names (a resolved path passes through
 * that unchanged; the default data directory is created as there, and only when needed). *out
 * points at the environment or at buf (cap bytes, the caller's). Returns 0, or an error of
 * odo_device_db_path, or ODO_ETOOBIG when the path does not fit, with a sentence in err.
 */
int odo_device_vpic_path(const char *db_given, char *buf, size_t cap, const char **out,
                         struct odo_err *err) ODO_MUST_CHECK;

/* The user a program acts for: given (--user, --scan-user) when not NULL, else $ODOLOG_USER
 * when it is not empty, else "default". Not checked: odo_user_check says whether it is valid. */
const char *odo_device_user(const char *given);

#endif
