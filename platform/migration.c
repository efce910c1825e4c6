/*
 * The migration runner of platform/migration.h: the rules, and the sentences that report them,
 * over whichever database the backend table speaks to.
 */
#include "platform/migration.h"

#include <stdbool.h>
#include <string.h>

const char *odo_migration_state_name(enum odo_migration_state s)
{
    static const char *const names[] = {"applied", "pending", "changed", "unknown"};
    return names[s];
}

static bool in_set(const struct odo_migration *set, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(set[i].name, name) == 0)
            return true;
    return false;
}

/* What check_unknown hands to the backend's `each`. */
struct unknown_check {
    const struct odo_migration_backend *b;
    const struct odo_migration *set;
    size_t n;
    struct odo_err *err;
};

static int refuse_unknown(const char *name, const struct odo_migration_record *rec, void *arg)
{
    const struct unknown_check *u = arg;
    (void)rec;

    if (in_set(u->set, u->n, name))
        return 0;
    return odo_err_set(u->err, ODO_ENEWER,
                       "the database has migration %s, which this %s does not know: it was "
                       "written by a newer version; upgrade %s",
                       name, u->b->program, u->b->upgrade);
}

/* Refuses a database whose record names a migration the set does not have. */
static int check_unknown(const struct odo_migration_backend *b, void *db,
                         const struct odo_migration *set, size_t n, struct odo_err *err)
{
    struct unknown_check u = {b, set, n, err};
    return b->each(db, refuse_unknown, &u, err);
}

static int changed_error(const struct odo_migration *m, struct odo_err *err)
{
    return odo_err_set(err, ODO_EMIGRATE,
                       "migration %s was changed after it was applied to this database; "
                       "applied migrations must never be edited: restore the file and put the "
                       "change in a new migration",
                       m->name);
}

/*
 * Applies m, which the fast look-up found pending: under the lock, looks again (another runner
 * may have applied it meanwhile), then runs and records it in one transaction. *ran says whether
 * it ran here.
 */
static int apply_one(const struct odo_migration_backend *b, void *db, const struct odo_migration *m,
                     const struct odo_migration_record *want, bool *ran, struct odo_err *err)
{
    struct odo_migration_record have;
    char where[ODO_MIGRATION_WHERE_MAX] = "";
    struct odo_err why = {0};
    int rc;

    *ran = false;
    if ((rc = b->begin(db, err)))
        return rc;
    if ((rc = b->read(db, m->name, &have, err)) < 0)
        goto out_rollback;
    if (rc == 1) {
        b->rollback(db);
        return strcmp(have.checksum, want->checksum) == 0 ? 0 : changed_error(m, err);
    }
    if ((rc = b->apply(db, m, where, &why)) != 0) {
        rc = odo_err_set(err, ODO_EMIGRATE,
                         "migration %s failed%s%s: %s; the database was left as it was before "
                         "this file",
                         m->name, where[0] ? " at " : "", where, odo_err_text(&why, rc));
        goto out_rollback;
    }
    if ((rc = b->record(db, m, want, err)))
        goto out_rollback;
    if ((rc = b->commit(db, err)))
        return rc;
    *ran = true;
    return 0;
out_rollback:
    b->rollback(db);
    return rc;
}

int odo_migration_run(const struct odo_migration_backend *b, void *db,
                      const struct odo_migration *set, size_t n, int *applied, struct odo_err *err)
{
    int rc;

    if (applied)
        *applied = 0;
    if ((rc = check_unknown(b, db, set, n, err)))
        return rc;
    for (size_t i = 0; i < n; i++) {
        struct odo_migration_record want = {.applied_at = ""}, have;
        bool ran;

        odo_sha256_hex(set[i].sql, set[i].len, want.checksum);
        /* Look without the lock first: the common case is "all applied". */
        if ((rc = b->read(db, set[i].name, &have, err)) < 0)
            return rc;
        if (rc == 1) {
            if (strcmp(have.checksum, want.checksum) != 0)
                return changed_error(&set[i], err);
            continue;
        }
        if ((rc = apply_one(b, db, &set[i], &want, &ran, err)))
            return rc;
        if (applied && ran)
            (*applied)++;
    }
    return 0;
}

/* What odo_migration_status hands to the backend's `each`. */
struct status_walk {
    const struct odo_migration *set;
    size_t n;
    void (*fn)(const struct odo_migration_status *st, void *ctx);
    void *ctx;
};

static int report_unknown(const char *name, const struct odo_migration_record *rec, void *arg)
{
    const struct status_walk *w = arg;

    if (!in_set(w->set, w->n, name)) {
        struct odo_migration_status st = {name, ODO_MIGRATION_UNKNOWN, NULL, rec->applied_at};
        w->fn(&st, w->ctx);
    }
    return 0;
}

int odo_migration_status(const struct odo_migration_backend *b, void *db,
                         const struct odo_migration *set, size_t n,
                         void (*fn)(const struct odo_migration_status *st, void *ctx), void *ctx,
                         struct odo_err *err)
{
    struct status_walk w = {set, n, fn, ctx};
    int rc;

    for (size_t i = 0; i < n; i++) {
        char want[ODO_SHA256_HEX_LEN + 1];
        struct odo_migration_record have;
        struct odo_migration_status st = {set[i].name, ODO_MIGRATION_PENDING, want, NULL};

        odo_sha256_hex(set[i].sql, set[i].len, want);
        if ((rc = b->read(db, set[i].name, &have, err)) < 0)
            return rc;
        if (rc == 1) {
            st.state =
                strcmp(have.checksum, want) == 0 ? ODO_MIGRATION_APPLIED : ODO_MIGRATION_CHANGED;
            st.applied_at = have.applied_at;
        }
        fn(&st, ctx);
    }
    return b->each(db, report_unknown, &w, err);
}
