/*
 * Inside the sync engine (engine.h): what engine.c (the cycle: push, settle, pull, reconcile)
 * and outbox.c (building a batch) share. Nothing outside sync/client/ includes this header.
 */
#ifndef ODO_SYNC_ENGINE_IMPL_H
#define ODO_SYNC_ENGINE_IMPL_H

#include <stdint.h>

#include "storage/store.h"
#include "sync/client/engine.h"

/*
 * Builds the next batch of user's pending changes (at most opt->batch_rows, announced as
 * opt->schema) and seals it, in one write transaction so that another process syncing the same
 * user cannot interleave. A merge group of the wire schema travels whole. *batch is 0 when
 * there was nothing to push.
 */
int odo_sync_build_batch(struct odo_store *s, const char *user, const struct odo_sync_options *opt,
                         int64_t *batch, struct odo_err *err) ODO_MUST_CHECK;

#endif
