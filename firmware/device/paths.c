/*
 * The device's paths and user, from options and the environment: one rule per thing, the same
 * for every device program.
 */
#include "firmware/device/paths.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "platform/fs.h"

#define DB_FILE   "odolog.db"
#define VPIC_FILE "vpic.db"

/* The environment variable name's value when it is set and not empty, else NULL. */
static const char *env_value(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

int odo_device_db_path(const char *given, char *buf, size_t cap, const char **out,
                       struct odo_err *err)
{
    char dir[ODO_DEVICE_PATH_MAX];
    int n, rc;

    *out = NULL;
    if (given && *given) {
        *out = given;
        return 0;
    }
    if ((*out = env_value("ODOLOG_DB")))
        return 0;
    if ((rc = odo_fs_data_dir(dir, sizeof(dir), err)))
        return rc;
    /* The whole path must fit before anything is created for it. */
    n = snprintf(buf, cap, "%s/" DB_FILE, dir);
    if (n < 0 || (size_t)n >= cap)
        return odo_err_set(err, ODO_ETOOBIG, "the data directory path is too long");
    if ((rc = odo_fs_mkdirs(dir, 0700, err)))
        return rc;
    *out = buf;
    return 0;
}

int odo_device_vpic_path(const char *db_given, char *buf, size_t cap, const char **out,
                         struct odo_err *err)
{
    char dbbuf[ODO_DEVICE_PATH_MAX], dir[ODO_DEVICE_PATH_MAX];
    const char *db;
    int n, rc;

    if ((*out = env_value("ODOLOG_VPIC")))
        return 0;
    if ((rc = odo_device_db_path(db_given, dbbuf, sizeof(dbbuf), &db, err)))
        return rc;
    if (odo_fs_dirname(db, dir, sizeof(dir)) != 0 ||
        (n = snprintf(buf, cap, "%s/" VPIC_FILE, dir)) < 0 || (size_t)n >= cap)
        return odo_err_set(err, ODO_ETOOBIG,
                           "the database path is too long to find " VPIC_FILE
                           " beside it: set ODOLOG_VPIC");
    *out = buf;
    return 0;
}

const char *odo_device_user(const char *given)
{
    const char *env;

    if (given)
        return given;
    env = env_value("ODOLOG_USER");
    return env ? env : "default";
}
