/*
 * libFuzzer target: every sync decoder (push, pull, their answers, VIN requests and answers,
 * errors) on arbitrary bytes. Built with -DODO_FUZZ=ON and clang;
 * run with: build-fuzz/tests/fuzz_messages -max_total_time=60 tests/fuzz/corpus
 */
#include <stddef.h>
#include <stdint.h>

#include "sync/protocol/messages.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    struct odo_push_req p;
    struct odo_push_ans pa;
    struct odo_pull_req q;
    struct odo_pull_ans qa;
    struct odo_err err;
    struct odo_vin_req vr;
    struct odo_vin_answer va;
    enum odo_pe e;
    char msg[64];
    int retry;

    if (odo_push_decode(text, size, &p, &err) == 0)
        odo_push_free(&p);
    if (odo_push_ans_decode(text, size, &pa, &err) == 0)
        odo_push_ans_free(&pa);
    if (odo_pull_decode(text, size, &q, &err) == 0)
        odo_pull_free(&q);
    if (odo_pull_ans_decode(text, size, &qa, &err) == 0)
        odo_pull_ans_free(&qa);
    if (odo_vin_req_decode(text, size, &vr, &err) == 0)
        odo_vin_req_free(&vr);
    if (odo_vin_answer_decode(text, size, &va, &err) == 0)
        odo_vin_answer_free(&va);
    (void)odo_error_decode(text, size, &e, msg, sizeof(msg), &retry);
    return 0;
}
