/*
 * Benchmark: offline VIN decodes over the installed vPIC database, warm and cold.
 *
 *   warm   every VIN of the sample decoded ROUNDS times on one open database (the pages the
 *          decoder reads stay in SQLite's and the kernel's caches): decodes per second and the
 *          latency distribution.
 *   cold   for each VIN: the file's pages dropped from the kernel's cache
 *          (posix_fadvise(DONTNEED)), the database opened afresh, one decode: its latency, as a
 *          technician's first scan after the device started.
 *   base   the same sample, one indexed WMI lookup each (what any decode does first), in the
 *          same run, as the yardstick: the decode is reported as a multiple of it.
 *
 * The sample is the VINs of tests/data (vpic_expectations.tsv and vins-public.tsv). Target:
 * p99 under 20 ms per decode, cold and warm. Peak RSS is reported, with the RSS after opening
 * for comparison.
 *
 * usage: bench_vpic [VPIC_DB] [ROUNDS]   (defaults: $ODOLOG_VPIC, 20)
 * Exits 1 when a target is missed and ODO_BENCH_ENFORCE=1 is set.
 */
#include <fcntl.h>
#include <stdbool.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#define BENCH_NAME "bench_vpic"
#include "storage/vin/vpic.h"
#include "tests/bench/bench.h"

#define TARGET_P99_MS 20.0
#define MAX_VINS      512
#define REF_YEAR      2026

static long rss_kib(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kib = 0;
    while (f && fgets(line, sizeof(line), f))
        if (strncmp(line, "VmRSS:", 6) == 0)
            kib = atol(line + 6);
    if (f)
        fclose(f);
    return kib;
}

static int load_vins(char vins[][18], int cap)
{
    static const char *const files[] = {ODO_TEST_DATA "/vpic_expectations.tsv",
                                        ODO_TEST_DATA "/vins-public.tsv"};
    int n = 0;
    for (size_t f = 0; f < 2; f++) {
        FILE *fp = fopen(files[f], "r");
        char line[512];
        while (fp && fgets(line, sizeof(line), fp) && n < cap) {
            size_t len = strcspn(line, "\t\r\n");
            if (len != 17 || line[0] == '#')
                continue;
            memcpy(vins[n], line, 17);
            vins[n++][17] = '\0';
        }
        if (fp)
            fclose(fp);
    }
    return n;
}

/* Drops the file's pages from the kernel's page cache (clean pages go; nothing is lost). */
static void evict(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        bench_die("evict", path);
    (void)posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
    close(fd);
}

int main(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : getenv("ODOLOG_VPIC");
    int rounds = argc > 2 ? atoi(argv[2]) : 20;
    static char vins[MAX_VINS][18];
    struct odo_vpic *v;
    struct odo_vin_decoded d;
    struct odo_err err;
    int n, total;
    double *warm, *cold, *base, t0, t_warm;
    long rss_open, rss_peak;
    struct rusage ru;

    if (!path || !*path)
        bench_die("usage", "bench_vpic VPIC_DB [ROUNDS] (or set ODOLOG_VPIC)");
    n = load_vins(vins, MAX_VINS);
    if (n < 50 || rounds < 1)
        bench_die("sample", "too few VINs in tests/data");
    total = n * rounds;
    warm = calloc((size_t)total, sizeof(double));
    cold = calloc((size_t)n, sizeof(double));
    base = calloc((size_t)total, sizeof(double));

    /* Cold: a fresh open after the file left the page cache, then one decode. */
    double open_sum = 0;
    for (int i = 0; i < n; i++) {
        evict(path);
        t0 = bench_now_s();
        if (odo_vpic_open(path, &v, &err) != 0)
            bench_die("open", err.msg);
        double t1 = bench_now_s();
        if (odo_vpic_decode(v, vins[i], REF_YEAR, &d, &err) != 0 && err.code != ODO_EINVAL)
            bench_die("decode", err.msg);
        cold[i] = (bench_now_s() - t1) * 1e3;
        open_sum += (t1 - t0) * 1e3;
        odo_vpic_close(v);
    }

    if (odo_vpic_open(path, &v, &err) != 0)
        bench_die("open", err.msg);
    rss_open = rss_kib();
    /* Baseline: one indexed WMI lookup per VIN, on a connection of its own. */
    {
        sqlite3 *db;
        sqlite3_stmt *st;
        char uri[4200];
        snprintf(uri, sizeof(uri), "file:%s?mode=ro&immutable=1", path);
        if (sqlite3_open_v2(uri, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL) != SQLITE_OK ||
            sqlite3_prepare_v2(db, "SELECT Id, MakeId, VehicleTypeId FROM Wmi WHERE Wmi = ?1", -1,
                               &st, NULL) != SQLITE_OK)
            bench_die("baseline", sqlite3_errmsg(db));
        for (int r = 0, k = 0; r < rounds; r++)
            for (int i = 0; i < n; i++, k++) {
                t0 = bench_now_s();
                sqlite3_bind_text(st, 1, vins[i], 3, SQLITE_STATIC);
                while (sqlite3_step(st) == SQLITE_ROW)
                    ;
                sqlite3_reset(st);
                base[k] = (bench_now_s() - t0) * 1e3;
            }
        sqlite3_finalize(st);
        sqlite3_close(db);
    }
    /* Warm. */
    t_warm = bench_now_s();
    for (int r = 0, k = 0; r < rounds; r++)
        for (int i = 0; i < n; i++, k++) {
            t0 = bench_now_s();
            if (odo_vpic_decode(v, vins[i], REF_YEAR, &d, &err) != 0 && err.code != ODO_EINVAL)
                bench_die("decode", err.msg);
            warm[k] = (bench_now_s() - t0) * 1e3;
        }
    t_warm = bench_now_s() - t_warm;
    odo_vpic_close(v);
    getrusage(RUSAGE_SELF, &ru);
    rss_peak = ru.ru_maxrss;

    bench_sort(warm, total);
    bench_sort(cold, n);
    bench_sort(base, total);
    double wp50 = bench_quantile(warm, total, 0.5), wp99 = bench_quantile(warm, total, 0.99);
    double cp50 = bench_quantile(cold, n, 0.5), cp99 = bench_quantile(cold, n, 0.99);
    double bp50 = bench_quantile(base, total, 0.5);
    printf("sample: %d VINs; warm: %d decodes\n", n, total);
    printf("warm:  %.0f decodes/s; p50 %.3f ms, p99 %.3f ms, max %.3f ms\n", total / t_warm, wp50,
           wp99, warm[total - 1]);
    printf("cold:  p50 %.3f ms, p99 %.3f ms, max %.3f ms (+ open %.3f ms on average)\n", cp50, cp99,
           cold[n - 1], open_sum / n);
    printf("base:  indexed WMI lookup p50 %.4f ms; a warm decode is %.0fx that\n", bp50,
           wp50 / bp50);
    printf("rss:   %.1f MiB after opening, %.1f MiB peak\n", rss_open / 1024.0, rss_peak / 1024.0);
    bool ok = wp99 < TARGET_P99_MS && cp99 < TARGET_P99_MS;
    printf("p99 target < %.0f ms: warm %.3f, cold %.3f: %s\n", TARGET_P99_MS, wp99, cp99,
           ok ? "met" : "MISSED");
    free(warm);
    free(cold);
    free(base);
    return bench_exit_code(ok);
}
