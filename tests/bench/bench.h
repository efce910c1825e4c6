/*
 * What the benchmarks (tests/bench) share: a monotonic clock in seconds, medians and quantiles
 * of timings, their working directory and database files, how one gives up and how one exits.
 * Header-only, like tests/unit/test.h; a benchmark defines BENCH_NAME (its program's name, for
 * its messages) before including it.
 */
#ifndef ODO_TESTS_BENCH_H
#define ODO_TESTS_BENCH_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#ifndef BENCH_NAME
#error "define BENCH_NAME before including tests/bench/bench.h"
#endif

/* The monotonic clock in seconds. Not platform/clock.h's odo_mono_us: a warm lookup takes a few
 * microseconds, so the benchmarks read the clock to the nanosecond. */
static inline double bench_now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static inline int bench_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Sorts n timings in increasing order. */
static inline void bench_sort(double *v, int n)
{
    qsort(v, (size_t)n, sizeof(double), bench_cmp_double);
}

/* The median of n timings (it sorts them). */
static inline double bench_median(double *v, int n)
{
    bench_sort(v, n);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* The q-quantile (0..1) of n sorted timings. */
static inline double bench_quantile(const double *v, int n, double q)
{
    int i = (int)(q * (n - 1) + 0.5);
    return v[i < 0 ? 0 : i >= n ? n - 1 : i];
}

/* Gives up: "BENCH_NAME: what: msg" on stderr, exit 2. */
static inline void bench_die(const char *what, const char *msg)
{
    fprintf(stderr, BENCH_NAME ": %s: %s\n", what, msg);
    exit(2);
}

/* The directory a benchmark works in: `given` (its first argument) when not NULL, else a new
 * temporary one. */
static inline void bench_dir(char *dir, size_t cap, const char *given)
{
    if (given) {
        snprintf(dir, cap, "%s", given);
        return;
    }
    snprintf(dir, cap, "/tmp/odobench.XXXXXX");
    if (!mkdtemp(dir))
        bench_die("mkdtemp", "failed");
}

/* Removes an SQLite database file with its -wal and -shm files. */
static inline void bench_remove_db(const char *path)
{
    char p[512];

    unlink(path);
    snprintf(p, sizeof(p), "%s-wal", path);
    unlink(p);
    snprintf(p, sizeof(p), "%s-shm", path);
    unlink(p);
}

/* The exit code of a benchmark: 1 when its target was missed and ODO_BENCH_ENFORCE is set (a
 * benchmark informs; it gates only when asked to), else 0. */
static inline int bench_exit_code(bool met)
{
    return !met && getenv("ODO_BENCH_ENFORCE") ? 1 : 0;
}

#endif
