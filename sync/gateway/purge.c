/*
 * Purging old tombstones from PostgreSQL (apply.h): children before parents, and the purge
 * watermark raised to the highest revision removed, in one transaction. A tombstone that rows
 * still hang off (children, service records, aliases) stays.
 */
#include "sync/gateway/apply.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sync/gateway/pg.h"
#include "sync/gateway/sql.h"

int odo_gw_purge(PGconn *pg, int64_t older_than_s, int64_t *purged, int64_t *wm,
                 struct odo_err *err)
{
    static const char *const children[] = {"service_records", "fuel_logs", "odometer_readings",
                                           "renewals", "maintenance"};
    char age[32], sql[2048];
    const char *params[1] = {age};
    int64_t top = 0;
    int rc;

    *purged = 0;
    snprintf(age, sizeof(age), "%" PRId64 " seconds", older_than_s);
    if ((rc = odo_pg_exec(pg, "BEGIN", err)))
        return rc;
    for (size_t i = 0; i <= sizeof(children) / sizeof(children[0]); i++) {
        PGresult *r;
        if (i < sizeof(children) / sizeof(children[0]))
            snprintf(sql, sizeof(sql),
                     "WITH d AS (DELETE FROM %s WHERE deleted_at < now() - $1::interval%s "
                     "RETURNING rev) SELECT count(*), coalesce(max(rev), 0) FROM d",
                     children[i],
                     strcmp(children[i], "maintenance") == 0
                         ? " AND NOT EXISTS (SELECT 1 FROM service_records s WHERE "
                           "s.maintenance_id = maintenance.id) AND NOT EXISTS (SELECT 1 FROM "
                           "maintenance_aliases a WHERE a.canonical_id = maintenance.id)"
                         : "");
        else
            snprintf(sql, sizeof(sql),
                     "WITH d AS (DELETE FROM vehicles v WHERE deleted_at < now() - "
                     "$1::interval AND NOT EXISTS (SELECT 1 FROM vehicle_aliases a WHERE "
                     "a.canonical_id = v.id) AND NOT EXISTS (SELECT 1 FROM fuel_logs c WHERE "
                     "c.vehicle_id = v.id) AND NOT EXISTS (SELECT 1 FROM odometer_readings c "
                     "WHERE c.vehicle_id = v.id) AND NOT EXISTS (SELECT 1 FROM maintenance c "
                     "WHERE c.vehicle_id = v.id) AND NOT EXISTS (SELECT 1 FROM service_records c "
                     "WHERE c.vehicle_id = v.id) AND NOT EXISTS (SELECT 1 FROM renewals c WHERE "
                     "c.vehicle_id = v.id) RETURNING rev) SELECT count(*), coalesce(max(rev), 0) "
                     "FROM d");
        r = odo_gw_run(pg, sql, 1, params, "purging tombstones", err);
        if (!r) {
            odo_pg_rollback(pg);
            return ODO_ESTORAGE;
        }
        *purged += atoll(PQgetvalue(r, 0, 0));
        if (atoll(PQgetvalue(r, 0, 1)) > top)
            top = atoll(PQgetvalue(r, 0, 1));
        PQclear(r);
    }
    {
        char t[24];
        const char *p1[1] = {t};
        PGresult *r;
        snprintf(t, sizeof(t), "%" PRId64, top);
        r = odo_gw_run(
            pg,
            "UPDATE sync_meta SET value = greatest(value::bigint, $1::bigint)::text WHERE "
            "key = 'purge_watermark' RETURNING value::bigint",
            1, p1, "raising the watermark", err);
        if (!r) {
            odo_pg_rollback(pg);
            return ODO_ESTORAGE;
        }
        *wm = atoll(PQgetvalue(r, 0, 0));
        PQclear(r);
    }
    return odo_pg_exec(pg, "COMMIT", err);
}
