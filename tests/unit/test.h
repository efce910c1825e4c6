/*
 * The unit-test runner: each test file defines TESTS as a list of functions and includes this
 * header last-but-one; `RUN_TESTS()` gives it a main() that runs them all (or those whose name
 * contains argv[1]) and exits non-zero when any assertion failed. An assertion failure ends
 * the current test and names the file, line and values.
 */
#ifndef ODO_TESTS_TEST_H
#define ODO_TESTS_TEST_H

#include <inttypes.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "platform/error.h"

struct test_state {
    jmp_buf fail;
    const char *name;
};

extern struct test_state test_state;

#define TEST_FAIL(...)                                                                             \
    do {                                                                                           \
        fprintf(stderr, "  %s:%d: ", __FILE__, __LINE__);                                          \
        fprintf(stderr, __VA_ARGS__);                                                              \
        fputc('\n', stderr);                                                                       \
        longjmp(test_state.fail, 1);                                                               \
    } while (0)

#define ASSERT(cond)                                                                               \
    do {                                                                                           \
        if (!(cond))                                                                               \
            TEST_FAIL("assertion failed: %s", #cond);                                              \
    } while (0)

#define ASSERT_INT(a, op, b)                                                                       \
    do {                                                                                           \
        int64_t a_ = (int64_t)(a), b_ = (int64_t)(b);                                              \
        if (!(a_ op b_))                                                                           \
            TEST_FAIL("%s %s %s: %" PRId64 " vs %" PRId64, #a, #op, #b, a_, b_);                   \
    } while (0)

#define ASSERT_EQ(a, b) ASSERT_INT(a, ==, b)

#define ASSERT_STR(a, b)                                                                           \
    do {                                                                                           \
        const char *a_ = (a), *b_ = (b);                                                           \
        if (!a_ || !b_ || strcmp(a_, b_) != 0)                                                     \
            TEST_FAIL("%s == %s: \"%s\" vs \"%s\"", #a, #b, a_ ? a_ : "(null)",                    \
                      b_ ? b_ : "(null)");                                                         \
    } while (0)

#define ASSERT_CONTAINS(hay, needle)                                                               \
    do {                                                                                           \
        const char *h_ = (hay), *n_ = (needle);                                                    \
        if (!h_ || !strstr(h_, n_))                                                                \
            TEST_FAIL("\"%s\" does not contain \"%s\"", h_ ? h_ : "(null)", n_);                   \
    } while (0)

static inline const char *test_errmsg(const struct odo_err *e)
{
    return e ? e->msg : "";
}

/* Succeeds (rc 0) or fails the test showing the error sentence. */
#define ASSERT_OK(rc, errp)                                                                        \
    do {                                                                                           \
        int rc_ = (rc);                                                                            \
        if (rc_ != 0)                                                                              \
            TEST_FAIL("%s failed (%d): %s", #rc, rc_, test_errmsg(errp));                          \
    } while (0)

typedef void (*test_fn)(void);
struct test_case {
    const char *name;
    test_fn fn;
};

#define TEST_CASE(fn)                                                                              \
    {                                                                                              \
#fn, fn                                                                                    \
    }

/* Runs one case; 0 when it passed. The setjmp lives here so no caller local is clobbered. */
static inline int test_run_one(const struct test_case *c)
{
    test_state.name = c->name;
    if (setjmp(test_state.fail) == 0) {
        c->fn();
        printf("ok   %s\n", c->name);
        return 0;
    }
    printf("FAIL %s\n", c->name);
    return 1;
}

#define RUN_TESTS(...)                                                                             \
    struct test_state test_state;                                                                  \
    int main(int argc, char **argv)                                                                \
    {                                                                                              \
        static const struct test_case cases[] = {__VA_ARGS__};                                     \
        int run = 0, failed = 0;                                                                   \
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {                            \
            if (argc > 1 && !strstr(cases[i].name, argv[1]))                                       \
                continue;                                                                          \
            run++;                                                                                 \
            failed += test_run_one(&cases[i]);                                                     \
        }                                                                                          \
        printf("%d test%s, %d failed\n", run, run == 1 ? "" : "s", failed);                        \
        return failed || run == 0 ? 1 : 0;                                                         \
    }

/* A fresh directory under $TMPDIR for one test; the caller removes it with test_rmdir. */
static inline void test_tmpdir(char out[256])
{
    const char *base = getenv("TMPDIR");
    snprintf(out, 256, "%s/odotest.XXXXXX", base && *base ? base : "/tmp");
    if (!mkdtemp(out))
        TEST_FAIL("mkdtemp failed");
}

static inline void test_rmdir(const char *dir)
{
    char cmd[512];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "  could not remove %s\n", dir);
}

#endif
