/*
 * Applying a push batch in PostgreSQL (apply.h): each table group staged with COPY into a
 * temporary table, then checked and merged set-wise (merge.h: natural keys in natural.c, the merge
 * in merge.c), and the answer written by the protocol's writer and stored with the batch record
 * in the same transaction.
 *
 * Nothing a device sends can make a batch fail again and again. Each group is merged under a
 * savepoint; when a rule of the database breaks in the set-wise merge (a unique key two rows of
 * the batch claim, a CHECK, a foreign key, a value that does not fit), the group is merged again
 * row by row, each row under its own savepoint, and only the rows that still break a rule are
 * refused, with a reason. Foreign keys are checked as each statement runs (groups go parents
 * first), so COMMIT has nothing left to fail on. Only database trouble (a lost connection, a
 * full disk) fails the batch, and the device retries it.
 */
#include "sync/gateway/apply.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sync/gateway/merge.h"
#include "sync/gateway/pg.h"
#include "sync/gateway/sql.h"

/* ---- the state of a batch (merge.h) ------------------------------------------------------ */

PGresult *odo_gw_ps_run(struct odo_gw_push_state *ps, const char *sql, int n,
                        const char *const *params, const char *doing)
{
    const char *mine[2] = {ps->call->user, ps->call->device};
    PGresult *r = PQexecParams(ps->call->pg, sql, n, NULL, params ? params : mine, NULL, NULL, 0);
    ExecStatusType st = PQresultStatus(r);

    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
        return r;
    {
        const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
        const char *name = r ? PQresultErrorField(r, PG_DIAG_CONSTRAINT_NAME) : NULL;
        snprintf(ps->sqlstate, sizeof(ps->sqlstate), "%s", state ? state : "");
        snprintf(ps->constraint, sizeof(ps->constraint), "%s", name ? name : "");
    }
    (void)odo_pg_check(r, doing, ps->err);
    PQclear(r);
    return NULL;
}

int odo_gw_ps_run_ok(struct odo_gw_push_state *ps, const char *sql, int n,
                     const char *const *params, const char *doing)
{
    PGresult *r = odo_gw_ps_run(ps, sql, n, params, doing);
    if (!r)
        return ODO_ESTORAGE;
    PQclear(r);
    return 0;
}

void odo_gw_ps_only(const struct odo_gw_push_state *ps, struct odo_buf *sql, const char *alias)
{
    if (ps->only >= 0)
        odo_buf_printf(sql, " AND %s.ord = %" PRId64, alias, ps->only);
}

int odo_gw_ps_col(const struct odo_gw_push_state *ps, const char *name)
{
    for (int j = 0; j < ps->g->ncols; j++)
        if (strcmp(ps->g->table->cols[ps->g->cols[j]].name, name) == 0)
            return j;
    return -1;
}

void odo_gw_ps_cast(struct odo_buf *sql, const struct odo_wire_col *c, const char *alias, int j)
{
    if (c->type == ODO_W_TIME) /* milliseconds since 1970, exactly */
        odo_buf_printf(sql, "(timestamptz 'epoch' + %s.v%d::bigint * interval '1 millisecond')",
                       alias, j);
    else
        odo_buf_printf(sql, "%s.v%d::%s", alias, j, c->pg_type);
}

int odo_gw_ps_winner(struct odo_gw_push_state *ps, const struct odo_wire_table *t, const char *id)
{
    for (size_t i = 0; i < ps->nwinners; i++)
        if (ps->winners[i].table == t && strcmp(ps->winners[i].id, id) == 0)
            return 0;
    if (ps->nwinners == ps->capwinners) {
        size_t cap = ps->capwinners ? ps->capwinners * 2 : 16;
        struct odo_gw_row_ref *w = realloc(ps->winners, cap * sizeof(*w));
        if (!w)
            return odo_err_set(ps->err, ODO_ENOMEM, "out of memory");
        ps->winners = w;
        ps->capwinners = cap;
    }
    ps->winners[ps->nwinners].table = t;
    snprintf(ps->winners[ps->nwinners].id, ODO_UUID_TEXT_LEN + 1, "%s", id);
    ps->nwinners++;
    return 0;
}

int odo_gw_ps_rekey(struct odo_gw_push_state *ps, const struct odo_wire_table *t, const char *from,
                    const char *to)
{
    if (ps->nrekeys == ps->caprekeys) {
        size_t cap = ps->caprekeys ? ps->caprekeys * 2 : 8;
        struct odo_gw_rekey *k = realloc(ps->rekeys, cap * sizeof(*k));
        if (!k)
            return odo_err_set(ps->err, ODO_ENOMEM, "out of memory");
        ps->rekeys = k;
        ps->caprekeys = cap;
    }
    ps->rekeys[ps->nrekeys].table = t;
    snprintf(ps->rekeys[ps->nrekeys].from, ODO_UUID_TEXT_LEN + 1, "%s", from);
    snprintf(ps->rekeys[ps->nrekeys].to, ODO_UUID_TEXT_LEN + 1, "%s", to);
    ps->nrekeys++;
    return 0;
}

/* A refused change of a row the gateway holds brings the row back (write_winners reads only the
 * caller's rows, so another user's row is never sent). */
int odo_gw_ps_refuse(struct odo_gw_push_state *ps, size_t ord, const char *id, const char *reason)
{
    struct odo_gw_result *r = &ps->results[ord];

    if (!r->reason[0])
        snprintf(r->reason, sizeof(r->reason), "%s", reason);
    r->rev = 0;
    return odo_gw_ps_winner(ps, ps->g->table, id);
}

/* ---- one group -------------------------------------------------------------------------- */

/* The steps of a group's merge, on every staged row or on ps->only. *twice: a row is staged
 * twice (pushed under an alias id and its own), which only row by row can merge. */
static int merge_steps(struct odo_gw_push_state *ps, struct odo_buf *sql, bool *twice)
{
    int rc;

    if ((rc = odo_gw_keys_rewrite(ps, sql, twice)) || *twice)
        return rc;
    if ((rc = odo_gw_keys_alias_new(ps, sql)) || (rc = odo_gw_keys_check(ps, sql)) ||
        (rc = odo_gw_merge(ps, sql)) || (rc = odo_gw_merge_derive(ps, sql)))
        return rc;
    return 0;
}

/* Whether the last failure was the data breaking a rule (a constraint, a value that does not
 * fit), which a row-by-row merge can pin on rows, rather than database trouble. */
static bool rule_broken(const struct odo_gw_push_state *ps)
{
    return (strncmp(ps->sqlstate, "23", 2) == 0 || strncmp(ps->sqlstate, "22", 2) == 0) &&
           PQstatus(ps->call->pg) == CONNECTION_OK;
}

/* What a rolled-back attempt must forget: the winners and re-keys it added, and the results of
 * the rows it covered (from first, n of them). */
struct attempt {
    size_t nwinners, nrekeys, first, n;
    struct odo_gw_result *results;
};

static int attempt_begin(struct odo_gw_push_state *ps, struct attempt *a, size_t first, size_t n)
{
    a->nwinners = ps->nwinners;
    a->nrekeys = ps->nrekeys;
    a->first = first;
    a->n = n;
    if (!(a->results = malloc((n + 1) * sizeof(*a->results))))
        return odo_err_set(ps->err, ODO_ENOMEM, "out of memory");
    memcpy(a->results, &ps->results[first], n * sizeof(*a->results));
    return odo_pg_exec(ps->call->pg, "SAVEPOINT merging", ps->err);
}

static int attempt_end(struct odo_gw_push_state *ps, struct attempt *a, bool keep)
{
    int rc;

    if (keep) {
        rc = odo_pg_exec(ps->call->pg, "RELEASE SAVEPOINT merging", ps->err);
    } else {
        ps->nwinners = a->nwinners;
        ps->nrekeys = a->nrekeys;
        memcpy(&ps->results[a->first], a->results, a->n * sizeof(*a->results));
        rc = odo_pg_exec(ps->call->pg, "ROLLBACK TO SAVEPOINT merging; RELEASE SAVEPOINT merging",
                         ps->err);
    }
    free(a->results);
    a->results = NULL;
    return rc;
}

/*
 * One pass over the staged rows ords[0..n), each under its own savepoint: a row that breaks a
 * rule is refused alone. Before the last pass, a row that takes a key another row holds is put
 * off into deferred[] instead: a row after it may free the key.
 */
static int row_pass(struct odo_gw_push_state *ps, struct odo_buf *sql, const size_t *ords, size_t n,
                    bool last, size_t *deferred, size_t *ndeferred)
{
    const struct odo_push_group *g = ps->g;
    int rc = 0;

    for (size_t i = 0; i < n && rc == 0; i++) {
        size_t ord = ords[i];
        const char *id = g->rows[ord - g->first].id;
        struct attempt a;
        bool twice = false;

        ps->only = (int64_t)ord;
        ps->defer_keys = !last;
        ps->deferred = false;
        if ((rc = attempt_begin(ps, &a, ord, 1))) {
            free(a.results);
            break;
        }
        rc = merge_steps(ps, sql, &twice);
        if (rc == 0) {
            rc = attempt_end(ps, &a, true);
        } else if (!last && (ps->deferred || odo_gw_keys_broken(ps))) {
            deferred[(*ndeferred)++] = ord;
            rc = attempt_end(ps, &a, false);
        } else if (rule_broken(ps)) {
            char reason[ODO_REASON_MAX];
            odo_gw_keys_reason(ps, reason);
            odo_log(ps->call->log, ODO_LOG_WARN, "user %s: %s %s refused: %s (%s)", ps->call->user,
                    g->table->name, id, reason, ps->err->msg);
            if ((rc = attempt_end(ps, &a, false)) == 0)
                rc = odo_gw_ps_refuse(ps, ord, id, reason);
        } else {
            (void)attempt_end(ps, &a, false);
        }
    }
    ps->only = -1;
    ps->defer_keys = false;
    return rc;
}

/* The group again, one staged row at a time, in two passes: the rows put off by the first
 * meet the keys as the first left them. */
static int merge_row_by_row(struct odo_gw_push_state *ps, struct odo_buf *sql)
{
    const struct odo_push_group *g = ps->g;
    size_t *ords = calloc(g->nrows + 1, sizeof(*ords)),
           *later = calloc(g->nrows + 1, sizeof(*later));
    size_t n = 0, nlater = 0;
    PGresult *r = NULL;
    int rc;

    if (!ords || !later) {
        rc = odo_err_set(ps->err, ODO_ENOMEM, "out of memory");
        goto out;
    }
    odo_buf_reset(sql);
    odo_buf_printf(sql, "SELECT ord FROM s%d ORDER BY ord", ps->k);
    if (!(r = odo_gw_ps_run(ps, sql->data, 0, NULL, "merging row by row"))) {
        rc = ODO_ESTORAGE;
        goto out;
    }
    for (int i = 0; i < PQntuples(r); i++) {
        size_t ord = (size_t)atol(PQgetvalue(r, i, 0));
        if (ord >= g->first && ord < g->first + g->nrows && n < g->nrows)
            ords[n++] = ord;
    }
    if ((rc = row_pass(ps, sql, ords, n, false, later, &nlater)) == 0 && nlater)
        rc = row_pass(ps, sql, later, nlater, true, NULL, NULL);
out:
    PQclear(r);
    free(ords);
    free(later);
    return rc;
}

/* Stages group g as s<k> and merges it: set-wise, or row by row when a rule breaks. */
static int apply_group(struct odo_gw_push_state *ps, const struct odo_push_group *g, int k,
                       struct odo_buf *sql)
{
    struct attempt a;
    bool twice = false;
    int rc;

    ps->g = g;
    ps->k = k;
    ps->only = -1;
    ps->defer_keys = true; /* set-wise, a change into a held key is merged row by row */
    ps->deferred = false;
    for (size_t i = 0; i < g->nrows; i++)
        if (g->rows[i].refused[0] &&
            (rc = odo_gw_ps_refuse(ps, g->first + i, g->rows[i].id, g->rows[i].refused)))
            return rc;
    if ((rc = odo_gw_stage(ps->call, ps->req, g, k, sql, ps->err)))
        return rc;
    if ((rc = attempt_begin(ps, &a, g->first, g->nrows))) {
        free(a.results);
        return rc;
    }
    rc = merge_steps(ps, sql, &twice);
    ps->defer_keys = false;
    if (rc == 0 && !twice)
        return attempt_end(ps, &a, true);
    if (rc != 0 && !ps->deferred && !rule_broken(ps)) {
        (void)attempt_end(ps, &a, false);
        return rc;
    }
    if (rc)
        odo_log(ps->call->log, ODO_LOG_INFO, "user %s: %s merged row by row: %s", ps->call->user,
                g->table->name, ps->err->msg);
    if ((rc = attempt_end(ps, &a, false)))
        return rc;
    return merge_row_by_row(ps, sql);
}

/* ---- the answer ------------------------------------------------------------------------- */

/* The winning rows, read again as they now stand, one group per table. */
static int write_winners(struct odo_gw_push_state *ps, struct odo_push_ans_writer *w,
                         struct odo_buf *sql)
{
    size_t n;
    const struct odo_wire_table *tables = odo_wire_tables(&n);

    for (size_t ti = 0; ti < n; ti++) {
        const struct odo_wire_table *t = &tables[ti];
        int cols[ODO_WIRE_COLS_MAX], ncols, nrows = 0;
        PGresult *r;

        odo_buf_reset(sql);
        odo_gw_select_list(sql, t, ps->req->schema, cols, &ncols);
        odo_buf_puts(sql, " WHERE user_id = $1 AND id = ANY($2::uuid[])");
        {
            struct odo_buf ids;
            odo_buf_init(&ids, 1u << 20);
            odo_buf_putc(&ids, '{');
            for (size_t i = 0; i < ps->nwinners; i++)
                if (ps->winners[i].table == t)
                    odo_buf_printf(&ids, "%s%s", nrows++ ? "," : "", ps->winners[i].id);
            odo_buf_putc(&ids, '}');
            if (nrows == 0) {
                odo_buf_free(&ids);
                continue;
            }
            const char *params[2] = {ps->call->user, ids.data};
            r = odo_gw_run(ps->call->pg, sql->data, 2, params, "reading winners", ps->err);
            odo_buf_free(&ids);
        }
        if (!r)
            return ODO_ESTORAGE;
        odo_push_ans_write_winners(w, t, cols, ncols);
        for (int i = 0; i < PQntuples(r); i++) {
            struct odo_val vals[ODO_WIRE_COLS_MAX];
            const char *id;
            int64_t rev;
            odo_gw_row_vals(t, cols, ncols, r, i, &id, &rev, vals);
            odo_push_ans_write_winner(w, id, rev, vals, ncols);
        }
        PQclear(r);
    }
    return 0;
}

static int write_answer(struct odo_gw_push_state *ps, struct odo_buf *ans, struct odo_buf *sql)
{
    struct odo_push_ans_writer w;
    int rc;

    odo_push_ans_write_begin(&w, ans, ps->req->batch, *ps->call->clock);
    for (size_t i = 0; i < ps->req->nrows; i++)
        odo_push_ans_write_rev(&w, ps->results[i].reason[0] ? 0 : ps->results[i].rev);
    for (size_t i = 0; i < ps->req->nrows; i++)
        if (ps->results[i].reason[0])
            odo_push_ans_write_refused(&w, i, ps->results[i].reason);
    if ((rc = write_winners(ps, &w, sql)))
        return rc;
    for (size_t i = 0; i < ps->nrekeys; i++)
        odo_push_ans_write_rekey(&w, ps->rekeys[i].table, ps->rekeys[i].from, ps->rekeys[i].to);
    odo_push_ans_write_end(&w);
    return ans->overflow ? odo_err_set(ps->err, ODO_ETOOBIG, "the answer is too large") : 0;
}

/* ---- push ------------------------------------------------------------------------------- */

/* A group that can only change rows that exist: it lacks a column a new row must have. */
static bool updates_only(const struct odo_push_group *g)
{
    for (size_t c = 0; c < g->table->ncols; c++) {
        bool present = false;
        for (int j = 0; j < g->ncols; j++)
            present |= g->cols[j] == (int)c;
        if (!present && !g->table->cols[c].nullable)
            return true;
    }
    return false;
}

/*
 * The order groups are merged in: parents before children (vehicles, then maintenance, then
 * the rest; tables in the wire schema's order), and within a table changes of existing rows
 * before groups that may hold new rows, so that a key a batch frees (an item deleted, a VIN
 * changed) can be taken by a row the same batch adds. Otherwise the order of the request.
 */
static bool group_before(const struct odo_push_group *a, const struct odo_push_group *b)
{
    if (a->table->apply_order != b->table->apply_order)
        return a->table->apply_order < b->table->apply_order;
    if (a->table != b->table)
        return a->table < b->table; /* both point into the wire schema's array of tables */
    return updates_only(a) && !updates_only(b);
}

/*
 * Moves the gateway's clock past the changes it accepted (clamped): a refused change, however
 * far ahead its clock, moves nothing, and neither does the batch's own stamp.
 */
static void receive_clock(const struct odo_gw_push_state *ps)
{
    const struct odo_gw_call *call = ps->call;
    const struct odo_push_req *req = ps->req;
    bool clamped = false;
    odo_hlc seen = 0;

    for (size_t g = 0; g < req->ngroups; g++)
        for (size_t i = 0; i < req->groups[g].nrows; i++) {
            const struct odo_push_group *grp = &req->groups[g];
            const struct odo_gw_result *r = &ps->results[grp->first + i];
            odo_hlc h = grp->rows[i].hlc;
            if (r->reason[0] || r->rev <= 0)
                continue;
            for (int j = 0; j < grp->ncols; j++)
                if (grp->rows[i].vals[j].hlc > h)
                    h = grp->rows[i].vals[j].hlc;
            h = odo_gw_clamp(call, h, &clamped);
            if (h > seen)
                seen = h;
        }
    if (seen)
        *call->clock = odo_hlc_recv(*call->clock, seen, call->now_ms);
    else
        *call->clock = odo_hlc_tick(*call->clock, call->now_ms);
}

int odo_gw_push(const struct odo_gw_call *call, const struct odo_push_req *req, struct odo_buf *ans,
                enum odo_pe *pe, struct odo_err *err)
{
    const char *p2[2] = {call->device, call->user};
    struct odo_gw_push_state ps;
    struct odo_buf sql;
    size_t order[ODO_GROUPS_MAX];
    int64_t last;
    PGresult *r;
    int rc;

    *pe = ODO_PE_UNAVAILABLE;
    memset(&ps, 0, sizeof(ps));
    ps.call = call;
    ps.req = req;
    ps.err = err;
    ps.results = calloc(req->nrows + 1, sizeof(*ps.results));
    odo_buf_init(&sql, ODO_GW_SQL_MAX);
    if (!ps.results) {
        rc = odo_err_set(err, ODO_ENOMEM, "out of memory");
        goto out;
    }
    if ((rc = odo_pg_exec(call->pg, "BEGIN", err)))
        goto out;
    /* Foreign keys checked by each statement, inside the savepoint of its group. */
    if ((rc = odo_pg_exec(call->pg, "SET CONSTRAINTS ALL IMMEDIATE", err)))
        goto out_rollback;
    /* One batch of a user at a time, so that revisions commit in order for each user. */
    if ((rc = odo_gw_run_ok(call->pg, "SELECT pg_advisory_xact_lock(hashtextextended($1, 7))", 1,
                            &call->user, "locking", err)) ||
        (rc = odo_gw_run_ok(call->pg,
                            "INSERT INTO device_batches (device_id, user_id) VALUES ($1, $2) "
                            "ON CONFLICT DO NOTHING",
                            2, p2, "recording the device", err)))
        goto out_rollback;
    r = odo_gw_run(
        call->pg,
        "SELECT last_batch, answer FROM device_batches WHERE device_id = $1 AND user_id = $2 "
        "FOR UPDATE",
        2, p2, "reading the device's batches", err);
    if (!r) {
        rc = ODO_ESTORAGE;
        goto out_rollback;
    }
    last = atoll(PQgetvalue(r, 0, 0));
    if (req->batch <= last) {
        /* Exactly once: a batch already applied changes nothing and gets its answer again. */
        if (req->batch == last && !PQgetisnull(r, 0, 1)) {
            odo_buf_puts(ans, PQgetvalue(r, 0, 1));
            rc = 0;
            odo_log(call->log, ODO_LOG_INFO, "device %s user %s: batch %" PRId64 " replayed",
                    call->device, call->user, req->batch);
        } else {
            *pe = ODO_PE_CONFLICT;
            rc = odo_err_set(err, ODO_EPROTO,
                             "batch %" PRId64 " is older than the last applied (%" PRId64 ")",
                             req->batch, last);
        }
        PQclear(r);
        goto out_rollback;
    }
    PQclear(r);

    for (size_t i = 0; i < req->ngroups; i++)
        order[i] = i;
    for (size_t i = 1; i < req->ngroups; i++)
        for (size_t j = i;
             j > 0 && group_before(&req->groups[order[j]], &req->groups[order[j - 1]]); j--) {
            size_t tmp = order[j];
            order[j] = order[j - 1];
            order[j - 1] = tmp;
        }
    for (size_t i = 0; i < req->ngroups; i++) {
        if ((rc = apply_group(&ps, &req->groups[order[i]], (int)i, &sql)))
            goto out_rollback;
    }
    receive_clock(&ps);
    if ((rc = write_answer(&ps, ans, &sql)))
        goto out_rollback;
    {
        char batch[24];
        const char *p4[4] = {call->device, call->user, batch, ans->data};
        snprintf(batch, sizeof(batch), "%" PRId64, req->batch);
        if ((rc = odo_gw_run_ok(
                 call->pg,
                 "UPDATE device_batches SET last_batch = $3, answer = $4, updated_at = "
                 "now() WHERE device_id = $1 AND user_id = $2",
                 4, p4, "recording the batch", err)))
            goto out_rollback;
    }
    if ((rc = odo_pg_exec(call->pg, "COMMIT", err)))
        goto out;
    goto out;
out_rollback:
    odo_pg_rollback(call->pg);
out:
    if (rc != 0 && *pe == ODO_PE_UNAVAILABLE && rc == ODO_ETOOBIG)
        *pe = ODO_PE_TOO_LARGE;
    odo_buf_free(&sql);
    free(ps.results);
    free(ps.winners);
    free(ps.rekeys);
    return rc;
}
