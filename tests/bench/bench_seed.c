/*
 * Seeds a device database for the sync benchmarks: N fill-ups of user over a small fleet (one
 * vehicle per 10,000 fills, to stay inside the odometer's range), added
 * through the store exactly as `odolog fuel add` adds them (validated, captured in the outbox),
 * but in one transaction so that seeding 100,000 rows takes seconds rather than an hour of
 * durable commits. The values vary the way a real logbook does: a fill every few days, 300 to
 * 700 km apart, 25 to 60 litres, prices and stations that change, a partial fill now and then.
 *
 * usage: bench_seed DB USER N     (the database must exist: odolog init)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "storage/fuel.h"
#include "storage/store.h"
#include "storage/vehicles.h"

static const char *const stations[] = {"Aral", "Shell", "Esso", "TotalEnergies", "Jet", "OMV"};

int main(int argc, char **argv)
{
    struct odo_store *s;
    struct odo_err err;
    struct odo_vehicle v[64];
    int64_t odo[64];
    long n, nv;
    int64_t when = 946684800000LL; /* 2000-01-01: 400,000 fills end before 2023 */
    uint32_t rnd = 12345;

    if (argc != 4 || (n = strtol(argv[3], NULL, 10)) <= 0 || n > 400000) {
        fprintf(stderr, "usage: bench_seed DB USER N\n");
        return 1;
    }
    if (odo_store_open(argv[1], NULL, &s, &err) != 0 || odo_store_begin(s, &err) != 0) {
        fprintf(stderr, "bench_seed: %s\n", err.msg);
        return 4;
    }
    nv = (n + 9999) / 10000;
    for (long i = 0; i < nv; i++) {
        memset(&v[i], 0, sizeof(v[i]));
        snprintf(v[i].name, sizeof(v[i].name), "Fleet %ld", i + 1);
        strcpy(v[i].make, "Skoda");
        strcpy(v[i].model, "Octavia");
        v[i].odometer_unit = ODO_DIST_KM;
        odo[i] = 120000;
        if (odo_vehicle_add(s, argv[2], &v[i], &err) != 0) {
            fprintf(stderr, "bench_seed: vehicle: %s\n", err.msg);
            return 4;
        }
    }
    for (long i = 0; i < n; i++) {
        struct odo_fuel_log l;
        long k = i % nv;
        rnd = rnd * 1103515245u + 12345u;
        memset(&l, 0, sizeof(l));
        memcpy(l.vehicle_id, v[k].id, sizeof(v[k].id));
        when += 60000LL * (20 + rnd % 20); /* the fleet fills every half hour or so */
        odo[k] += 3000 + (int64_t)(rnd >> 8) % 4000;
        l.filled_at = when;
        l.odometer = odo[k];
        l.volume = 25000 + (int64_t)(rnd >> 12) % 35000;
        l.volume_unit = ODO_VOL_L;
        l.unit_price = 1559 + (int64_t)(rnd >> 16) % 400;
        l.total_cost = ODO_NONE;
        strcpy(l.currency, "EUR");
        strcpy(l.station, stations[(rnd >> 20) % 6]);
        l.full = (rnd >> 24) % 10 != 0;
        if (odo_fuel_add(s, argv[2], &l, &err) != 0) {
            fprintf(stderr, "bench_seed: fill-up %ld: %s\n", i, err.msg);
            return 4;
        }
    }
    if (odo_store_commit(s, &err) != 0) {
        fprintf(stderr, "bench_seed: %s\n", err.msg);
        return 4;
    }
    odo_store_close(s);
    return 0;
}
