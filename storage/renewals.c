/*
 * The renewal repository.
 */
#include "storage/renewals.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "storage/internal.h"

#define RENEWAL_COLS                                                                               \
    "id, vehicle_id, kind, document_number, issuer, valid_from, valid_until, cost, currency, "     \
    "notes, created_at, deleted_at"

static const char SQL_INSERT[] =
    "INSERT INTO renewals (id, user_id, vehicle_id, kind, document_number, issuer, valid_from, "
    "valid_until, cost, currency, notes, created_at, updated_at) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?12)";
static const char SQL_UPDATE[] =
    "UPDATE renewals SET kind = ?4, document_number = ?5, issuer = ?6, valid_from = ?7, "
    "valid_until = ?8, cost = ?9, currency = ?10, notes = ?11, updated_at = ?12 "
    "WHERE id = ?1 AND user_id = ?2 AND vehicle_id = ?3 AND deleted_at IS NULL";
static const char SQL_GET[] =
    "SELECT " RENEWAL_COLS " FROM renewals WHERE user_id = ?1 AND id = ?2";
static const char SQL_BY_REF[] =
    "SELECT " RENEWAL_COLS " FROM renewals WHERE user_id = ?1 AND " ODO_SQL_ID_MATCH(
        "id", "?2") " AND (deleted_at IS NULL) = (?3 = 0) LIMIT 2";
static const char SQL_LIST[] =
    "SELECT " RENEWAL_COLS " FROM renewals r WHERE user_id = ?1 AND deleted_at IS NULL "
    "AND (?2 IS NULL OR vehicle_id = ?2) "
    "AND EXISTS (SELECT 1 FROM vehicles v WHERE v.id = r.vehicle_id AND v.deleted_at IS NULL) "
    "ORDER BY valid_until DESC, kind";
static const struct odo_soft_delete REMOVE = {
    "renewal", "removing the renewal", {ODO_SQL_SOFT_DELETE("renewals", "id")}};
static const struct odo_soft_delete RESTORE = {
    "renewal", "restoring the renewal", {ODO_SQL_RESTORE("renewals", "id")}};

static const char *const kinds[] = {"insurance", "registration", "emissions"};

const char *odo_renewal_kind_name(enum odo_renewal_kind k)
{
    return kinds[k];
}

int odo_renewal_kind_parse(const char *s, enum odo_renewal_kind *out, struct odo_err *err)
{
    for (size_t i = 0; i < ODO_ARRAY_LEN(kinds); i++) {
        if (strcasecmp(s, kinds[i]) == 0) {
            *out = (enum odo_renewal_kind)i;
            return 0;
        }
    }
    return odo_err_set(err, ODO_EINVAL,
                       "unknown renewal kind '%s': use insurance, registration or emissions", s);
}

static void read_row(sqlite3_stmt *st, void *out)
{
    struct odo_renewal *r = out;
    char kind[16], d[ODO_DATE_TEXT_LEN + 1];

    memset(r, 0, sizeof(*r));
    odo_column_text(st, 0, r->id, sizeof(r->id));
    odo_column_text(st, 1, r->vehicle_id, sizeof(r->vehicle_id));
    odo_column_text(st, 2, kind, sizeof(kind));
    if (odo_renewal_kind_parse(kind, &r->kind, NULL) != 0)
        r->kind = ODO_RENEWAL_INSURANCE;
    odo_column_text(st, 3, r->document_number, sizeof(r->document_number));
    odo_column_text(st, 4, r->issuer, sizeof(r->issuer));
    odo_column_text(st, 5, d, sizeof(d));
    if (odo_date_parse(d, &r->valid_from, NULL) != 0)
        r->valid_from = 0;
    odo_column_text(st, 6, d, sizeof(d));
    if (odo_date_parse(d, &r->valid_until, NULL) != 0)
        r->valid_until = 0;
    r->cost = odo_column_int(st, 7, ODO_NONE);
    odo_column_text(st, 8, r->currency, sizeof(r->currency));
    odo_column_text(st, 9, r->notes, sizeof(r->notes));
    odo_column_text(st, 10, r->created_at, sizeof(r->created_at));
    odo_column_text(st, 11, r->deleted_at, sizeof(r->deleted_at));
}

/* The checks every write makes. */
static int check_fields(const char *user, struct odo_renewal *r, struct odo_err *err)
{
    int rc;

    if ((rc = odo_user_check(user, err)) ||
        (rc = odo_text_check(r->document_number, ODO_LABEL_MAX, "the document number", err)) ||
        (rc = odo_text_check(r->issuer, ODO_LABEL_MAX, "the issuer", err)) ||
        (rc = odo_text_check(r->notes, ODO_NOTES_MAX, "the notes", err)) ||
        (rc = odo_currency_check(r->currency, err)))
        return rc;
    if (r->valid_until < r->valid_from)
        return odo_err_set(err, ODO_EINVAL, "the document expires before it becomes valid");
    if (r->valid_until - r->valid_from > 366 * 15)
        return odo_err_set(err, ODO_EINVAL, "a validity of more than 15 years is not plausible");
    if (r->cost != ODO_NONE && (r->cost < 0 || r->cost > 1000000000LL))
        return odo_err_set(err, ODO_EINVAL, "the cost must be between 0 and 10000000");
    return 0;
}

/* add and update: the insert or the update of r, stamped now, in one transaction. */
static int write_row(struct odo_store *s, const char *user, struct odo_renewal *r, bool is_new,
                     struct odo_err *err)
{
    char now[ODO_TIME_TEXT_LEN + 1], from[ODO_DATE_TEXT_LEN + 1], until[ODO_DATE_TEXT_LEN + 1];
    sqlite3_stmt *st;
    int rc;

    if ((rc = check_fields(user, r, err)))
        return rc;
    if ((rc = odo_store_begin(s, err)))
        return rc;
    if ((rc = odo_vehicle_require_live(s, user, r->vehicle_id, NULL, err)) ||
        (is_new && (rc = odo_store_new_id(s, r->id, err))))
        goto out_rollback;
    st = odo_store_bound(s, is_new ? SQL_INSERT : SQL_UPDATE, r->id, user, err);
    if (!st) {
        rc = ODO_ESTORAGE;
        goto out_rollback;
    }
    odo_store_now_text(s, now);
    odo_date_format(r->valid_from, from);
    odo_date_format(r->valid_until, until);
    sqlite3_bind_text(st, 3, r->vehicle_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, kinds[r->kind], -1, SQLITE_STATIC);
    odo_bind_text(st, 5, r->document_number);
    odo_bind_text(st, 6, r->issuer);
    sqlite3_bind_text(st, 7, from, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 8, until, -1, SQLITE_STATIC);
    odo_bind_int(st, 9, r->cost, r->cost != ODO_NONE);
    odo_bind_text(st, 10, r->cost != ODO_NONE ? r->currency : NULL);
    odo_bind_text(st, 11, r->notes);
    sqlite3_bind_text(st, 12, now, -1, SQLITE_STATIC);
    if ((rc =
             odo_store_step_done(s, st, err, is_new ? "adding the renewal" : "saving the renewal")))
        goto out_rollback;
    if (!is_new && sqlite3_changes(s->db) != 1) {
        rc = odo_err_set(err, ODO_ENOTFOUND, "no live renewal %s of that vehicle", r->id);
        goto out_rollback;
    }
    if ((rc = odo_store_commit(s, err)))
        return rc;
    if (is_new)
        memcpy(r->created_at, now, sizeof(now));
    return 0;
out_rollback:
    odo_store_rollback(s);
    return rc;
}

int odo_renewal_add(struct odo_store *s, const char *user, struct odo_renewal *r,
                    struct odo_err *err)
{
    return write_row(s, user, r, true, err);
}

int odo_renewal_update(struct odo_store *s, const char *user, struct odo_renewal *r,
                       struct odo_err *err)
{
    return write_row(s, user, r, false, err);
}

int odo_renewal_get(struct odo_store *s, const char *user, const char *id, struct odo_renewal *r,
                    struct odo_err *err)
{
    sqlite3_stmt *st = odo_store_bound(s, SQL_GET, user, id, err);

    return odo_store_one(s, st, read_row, r, "renewal", id, err);
}

int odo_renewal_find(struct odo_store *s, const char *user, const char *ref, bool deleted,
                     struct odo_renewal *r, struct odo_err *err)
{
    sqlite3_stmt *st = odo_store_bound(s, SQL_BY_REF, user, ref, err);

    if (st)
        sqlite3_bind_int(st, 3, deleted);
    return odo_store_one(s, st, read_row, r, deleted ? "deleted renewal" : "live renewal", ref,
                         err);
}

int odo_renewal_restore(struct odo_store *s, const char *user, const char *id, struct odo_err *err)
{
    struct odo_renewal r;
    int rc;

    if ((rc = odo_store_begin(s, err)))
        return rc;
    if ((rc = odo_renewal_get(s, user, id, &r, err)))
        goto out_rollback;
    if (!r.deleted_at[0]) {
        rc = odo_err_set(err, ODO_ENOTFOUND, "renewal %s is not deleted", id);
        goto out_rollback;
    }
    if ((rc = odo_vehicle_require_live(s, user, r.vehicle_id, NULL, err)) ||
        (rc = odo_store_soft_delete(s, &RESTORE, user, id, r.deleted_at, err)))
        goto out_rollback;
    return odo_store_commit(s, err);
out_rollback:
    odo_store_rollback(s);
    return rc;
}

int odo_renewal_resolve(struct odo_store *s, const char *user, const char *ref,
                        struct odo_renewal *r, struct odo_err *err)
{
    return odo_renewal_find(s, user, ref, false, r, err);
}

ODO_STORE_LISTING(list, struct odo_renewal, read_row)

int odo_renewal_list(struct odo_store *s, const char *user, const char *vehicle_id,
                     int (*fn)(const struct odo_renewal *r, void *ctx), void *ctx,
                     struct odo_err *err)
{
    sqlite3_stmt *st = odo_store_bound(s, SQL_LIST, user, NULL, err);
    struct list l = {fn, ctx};

    if (st)
        odo_bind_text(st, 2, vehicle_id);
    return odo_store_each(s, st, list_row, &l, "listing renewals", err);
}

int odo_renewal_remove(struct odo_store *s, const char *user, const char *id, struct odo_err *err)
{
    return odo_store_soft_delete(s, &REMOVE, user, id, NULL, err);
}
