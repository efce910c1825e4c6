/*
 * Installing vPIC data for the decoder of vpic.c: a (gzipped) vPIC SQLite database is checked,
 * copied, indexed for the decoder's lookups and moved into place whole, so a device never
 * decodes against a half-written file. See vpic.h and docs/vin.md.
 */
#include "storage/vin/vpic.h"

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "platform/clock.h"
#include "platform/fs.h"
#include "platform/text.h"
#include "storage/vin/internal.h"

#define INSTALL_MAX ((int64_t)2 << 30) /* bytes of an unpacked database, at most */

/* ---- installing ------------------------------------------------------------------------- */

static const char *const index_sql[] = {
    "CREATE INDEX IF NOT EXISTS odo_wmi ON Wmi (Wmi)",
    "CREATE INDEX IF NOT EXISTS odo_wmi_vinschema ON Wmi_VinSchema (WmiId, YearFrom)",
    "CREATE INDEX IF NOT EXISTS odo_pattern_schema ON Pattern (VinSchemaId)",
    "CREATE INDEX IF NOT EXISTS odo_wmi_make ON Wmi_Make (WmiId)",
    "CREATE INDEX IF NOT EXISTS odo_make_model ON Make_Model (ModelId)",
    "CREATE INDEX IF NOT EXISTS odo_engine_model ON EngineModel (Name)",
    "CREATE INDEX IF NOT EXISTS odo_engine_model_pattern ON EngineModelPattern (EngineModelId)",
};

/* Tables and columns the decoder reads; their absence means this is not vPIC data. */
static const char *const required_sql[] = {
    "SELECT Id, Wmi, MakeId, ManufacturerId, VehicleTypeId FROM Wmi LIMIT 1",
    "SELECT WmiId, VinSchemaId, YearFrom, YearTo FROM Wmi_VinSchema LIMIT 1",
    "SELECT Id, VinSchemaId, Keys, ElementId, AttributeId FROM Pattern LIMIT 1",
    "SELECT Id, Name, LookupTable, IsPrivate FROM Element LIMIT 1",
    "SELECT WmiId, MakeId FROM Wmi_Make LIMIT 1",
    "SELECT Id, Name FROM Make LIMIT 1",
    "SELECT Id, Name FROM Model LIMIT 1",
    "SELECT ModelId, MakeId FROM Make_Model LIMIT 1",
    "SELECT Id, Name FROM Manufacturer LIMIT 1",
    "SELECT Id, Name FROM VehicleType LIMIT 1",
    "SELECT Id, Name FROM EngineModel LIMIT 1",
    "SELECT EngineModelId, ElementId, AttributeId FROM EngineModelPattern LIMIT 1",
};

/* Copies (inflating if gzipped) src into the open file fd; at most INSTALL_MAX bytes. */
static int unpack(const char *src, int fd, struct odo_err *err)
{
    gzFile in = gzopen(src, "rb"); /* reads plain files through unchanged */
    char buf[1 << 16];
    int64_t total = 0;
    int n;

    if (!in)
        return odo_err_set(err, ODO_EIO, "cannot read %s: %s", src, strerror(errno));
    gzbuffer(in, 1 << 17);
    while ((n = gzread(in, buf, sizeof(buf))) > 0) {
        total += n;
        if (total > INSTALL_MAX) {
            gzclose(in);
            return odo_err_set(err, ODO_ETOOBIG, "%s unpacks to more than 2 GiB: refused", src);
        }
        for (char *p = buf; n > 0;) {
            ssize_t w = write(fd, p, (size_t)n);
            if (w < 0 && errno == EINTR)
                continue;
            if (w < 0) {
                gzclose(in);
                return odo_err_set(err, ODO_EIO, "writing the vPIC database: %s", strerror(errno));
            }
            p += w;
            n -= (int)w;
        }
    }
    if (n < 0) {
        int zerr;
        char why[128];
        odo_strlcpy(why, gzerror(in, &zerr), sizeof(why)); /* gzclose frees the message */
        gzclose(in);
        return odo_err_set(err, ODO_EINVAL, "%s is damaged: %s", src, why);
    }
    gzclose(in);
    return total == 0 ? odo_err_set(err, ODO_EINVAL, "%s is empty", src) : 0;
}

static int exec_sql(sqlite3 *db, const char *sql, struct odo_err *err, const char *doing)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        int rc = odo_err_set(err, ODO_EINVAL, "%s: %s", doing, msg ? msg : "failed");
        sqlite3_free(msg);
        return rc;
    }
    return 0;
}

int odo_vpic_install(const char *src, const char *dst, struct odo_err *err)
{
    char tmp[4200], dir[4096], meta[512], stamp[ODO_TIME_TEXT_LEN + 1];
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    int fd, rc;

    if (odo_fs_dirname(dst, dir, sizeof(dir)) != 0 ||
        snprintf(tmp, sizeof(tmp), "%s.installing", dst) >= (int)sizeof(tmp))
        return odo_err_set(err, ODO_ETOOBIG, "path too long: %s", dst);
    if ((rc = odo_fs_mkdirs(dir, 0755, err)))
        return rc;
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return odo_err_set(err, ODO_EIO, "cannot create %s: %s", tmp, strerror(errno));
    rc = unpack(src, fd, err);
    if (rc == 0 && fsync(fd) != 0)
        rc = odo_err_set(err, ODO_EIO, "cannot sync %s: %s", tmp, strerror(errno));
    close(fd);
    if (rc)
        goto fail;

    if (sqlite3_open_v2(tmp, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
        rc = odo_err_set(err, ODO_EINVAL, "%s is not an SQLite database", src);
        goto fail;
    }
    /* An intact file first (a truncated download shows here), then the tables we read. */
    if (sqlite3_prepare_v2(db, "PRAGMA quick_check", -1, &st, NULL) != SQLITE_OK ||
        sqlite3_step(st) != SQLITE_ROW || strcmp((const char *)sqlite3_column_text(st, 0), "ok")) {
        rc = odo_err_set(err, ODO_EINVAL, "%s is not an intact SQLite database", src);
        goto fail;
    }
    sqlite3_finalize(st);
    st = NULL;
    for (size_t i = 0; i < sizeof(required_sql) / sizeof(required_sql[0]); i++) {
        if (sqlite3_prepare_v2(db, required_sql[i], -1, &st, NULL) != SQLITE_OK) {
            rc = odo_err_set(err, ODO_EINVAL, "%s is not vPIC data: %s", src, sqlite3_errmsg(db));
            goto fail;
        }
        sqlite3_finalize(st);
        st = NULL;
    }
    if ((rc = exec_sql(db, "PRAGMA journal_mode = DELETE; BEGIN", err, "installing")))
        goto fail;
    for (size_t i = 0; i < sizeof(index_sql) / sizeof(index_sql[0]); i++)
        if ((rc = exec_sql(db, index_sql[i], err, "indexing the vPIC database")))
            goto fail;
    /* The lookup tables are read by Id. */
    if (sqlite3_prepare_v2(db,
                           "SELECT DISTINCT e.LookupTable FROM Element e JOIN sqlite_master m "
                           "ON m.type = 'table' AND m.name = e.LookupTable",
                           -1, &st, NULL) != SQLITE_OK) {
        rc = odo_err_set(err, ODO_EINVAL, "reading vPIC elements: %s", sqlite3_errmsg(db));
        goto fail;
    }
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *t = (const char *)sqlite3_column_text(st, 0);
        char sql[200];
        if (!t || !odo_vpic_identifier(t) || strlen(t) > 60)
            continue;
        snprintf(sql, sizeof(sql), "CREATE INDEX IF NOT EXISTS \"odo_%s_id\" ON \"%s\" (Id)", t, t);
        if ((rc = exec_sql(db, sql, err, "indexing the vPIC database")))
            goto fail;
    }
    sqlite3_finalize(st);
    st = NULL;
    odo_time_format(odo_clock_now(odo_clock_system()), stamp);
    snprintf(meta, sizeof(meta),
             "CREATE TABLE IF NOT EXISTS odo_vpic_meta (key TEXT PRIMARY KEY, value TEXT); "
             "INSERT OR REPLACE INTO odo_vpic_meta VALUES ('format', '" ODO_VPIC_FORMAT "'), "
             "('installed_at', '%s'); COMMIT; ANALYZE",
             stamp);
    if ((rc = exec_sql(db, meta, err, "installing")))
        goto fail;
    if (sqlite3_close(db) != SQLITE_OK) {
        db = NULL;
        rc = odo_err_set(err, ODO_EIO, "closing %s", tmp);
        goto fail;
    }
    db = NULL;
    if ((rc = odo_fs_replace(tmp, dst, err)))
        goto fail;
    return 0;
fail:
    sqlite3_finalize(st);
    sqlite3_close(db);
    unlink(tmp);
    {
        char side[4300];
        snprintf(side, sizeof(side), "%s-journal", tmp);
        unlink(side);
    }
    return rc;
}
