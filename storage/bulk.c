/*
 * Writing many rows at once (an import): ids for new rows, drawn from a pool of kernel
 * randomness and sorting in the order they were made, and the temporary tables rows are staged
 * in before one INSERT ... SELECT (storage/capture.c writes their outbox entries).
 */
#include <stdio.h>
#include <string.h>

#include "platform/uuid.h"
#include "storage/internal.h"

/* The staging tables: fill-ups and readings, in the order they were staged (seq). */
static const char SQL_STAGE_TABLES[] =
    "CREATE TEMP TABLE IF NOT EXISTS fuel_staged (seq INTEGER PRIMARY KEY, id, user_id, "
    "vehicle_id, filled_at, odometer, volume, volume_unit, unit_price, total_cost, currency, "
    "is_full, missed, station, notes, created_at);"
    "CREATE TEMP TABLE IF NOT EXISTS readings_staged (seq INTEGER PRIMARY KEY, id, user_id, "
    "vehicle_id, read_at, odometer, forced, notes, created_at)";

int odo_store_new_id(struct odo_store *s, char out[ODO_UUID_TEXT_LEN + 1], struct odo_err *err)
{
    enum { ID_RANDOM = 10 };
    int64_t now = odo_clock_now(s->clock);
    unsigned char *rnd;

    if (s->random_used == 0 || s->random_used + ID_RANDOM > sizeof(s->random)) {
        if (odo_random_bytes(s->random, sizeof(s->random)) != 0)
            return odo_err_set(err, ODO_EIO, "the kernel gave no random bytes for a new id");
        s->random_used = 0;
    }
    rnd = s->random + s->random_used;
    if (now <= s->last_id_ms) {
        /* The same millisecond (or a clock set back): the next count after the last id's. */
        now = s->last_id_ms;
        if (++s->last_id_seq > 0xfff) {
            now++;
            s->last_id_seq = 0;
        }
    } else {
        s->last_id_seq = 0;
    }
    s->last_id_ms = now;
    rnd[0] = (unsigned char)(s->last_id_seq >> 8); /* rand_a: the version's byte keeps 4 bits */
    rnd[1] = (unsigned char)(s->last_id_seq & 0xff);
    odo_uuid_v7_from(now, rnd, out);
    /* Each byte serves one id only; the pool is wiped as it is used. */
    memset(s->random + s->random_used, 0, ID_RANDOM);
    s->random_used += ID_RANDOM;
    if (s->random_used + ID_RANDOM > sizeof(s->random))
        s->random_used = 0;
    return 0;
}

int odo_store_staging(struct odo_store *s, struct odo_err *err)
{
    int rc;

    if (s->staging)
        return 0;
    if ((rc = odo_store_exec(s, SQL_STAGE_TABLES, err, "preparing to stage rows")) == 0)
        s->staging = true;
    return rc;
}
