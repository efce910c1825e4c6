/*
 * A device and the in-process gateway of memgateway.h, for the sync engine's unit tests
 * (test_engine.c, test_engine_collide.c): a real store on a real SQLite file, logged in as
 * USER, syncing over the gateway. Header-only, like test.h; include test.h first.
 */
#ifndef ODO_TESTS_ENGINE_FIXTURE_H
#define ODO_TESTS_ENGINE_FIXTURE_H

#include "storage/replica.h"
#include "sync/client/engine.h"
#include "sync/client/login.h"

#include "memgateway.h"
#include "store_fixture.h"

#define TOKEN "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl"
#define USER  "alice"
#define VIN_A "2HKRW2H20NH207506"

/* ---- the device ------------------------------------------------------------------------- */

struct fixture {
    struct store_fixture dev;
    struct gateway *gw;
    struct odo_sync_options opt;
    struct odo_sync_report rep;
};

static inline void setup(struct fixture *f)
{
    struct odo_sync_login login = {.token = TOKEN};

    memset(f, 0, sizeof(*f));
    fixture_setup(&f->dev);
    ASSERT_OK(odo_sync_login(f->dev.s, USER, &login, &f->dev.err), &f->dev.err);
    f->gw = gw_open(&f->dev, TOKEN);
    f->opt.push = f->opt.pull = true;
}

static inline void teardown(struct fixture *f)
{
    gw_free(f->gw);
    fixture_teardown(&f->dev);
}

static inline int sync_cycle(struct fixture *f)
{
    return odo_sync_cycle(f->dev.s, USER, &f->gw->base, &f->opt, &f->rep, &f->dev.err);
}

static inline int64_t outbox(struct fixture *f)
{
    return FIXTURE_SQL_INT(&f->dev, "SELECT count(*) FROM outbox");
}

static inline int64_t local_rev(struct fixture *f, const char *tbl, const char *id)
{
    return FIXTURE_SQL_INT(&f->dev, "SELECT rev FROM %s WHERE id = '%s'", tbl, id);
}

static inline struct odo_sync_state state(struct fixture *f)
{
    struct odo_sync_state st;
    ASSERT_OK(odo_replica_state(f->dev.s, USER, &st, &f->dev.err), &f->dev.err);
    return st;
}

/* An id for a row born centrally. */
static inline const char *central_id(int n)
{
    static char ids[8][ODO_UUID_TEXT_LEN + 1];
    snprintf(ids[n % 8], sizeof(ids[0]), "01a2013e-f2de-7666-bb2a-%012d", n);
    return ids[n % 8];
}

#endif
