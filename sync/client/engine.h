/*
 * The device's sync engine: one cycle pushes the user's outbox in bounded batches and pulls
 * what changed centrally, page by page, over any transport.
 *
 * Push: the oldest pending changes (at most batch_rows) are read with their rows' current
 * values, written as one batch, and sealed in the store with their batch number before anything
 * is sent; a retry after a lost answer sends the very same batch, which the gateway answers from
 * its record. The answer is settled in one transaction: revisions recorded, refusals counted,
 * aliases re-keyed, winning rows applied, the batch's outbox entries removed, the clock moved.
 * Pull: each page is applied with its cursor in one transaction; columns with an unpushed local
 * change keep the local value. When the gateway says the cursor is behind its purge watermark,
 * the engine reconciles (lists the live rows, drops local synced rows that are gone) first.
 */
#ifndef ODO_SYNC_ENGINE_H
#define ODO_SYNC_ENGINE_H

#include <stdbool.h>
#include <stdint.h>

#include "storage/store.h"
#include "sync/client/transport.h"

struct odo_sync_options {
    bool push, pull;
    int batch_rows; /* rows per push batch; 0: 2000 */
    int page_rows;  /* rows per pull page; 0: 1000 */
    int schema;     /* the device schema to announce; 0: this build's */
    /* Called after every round trip, once its result is committed; a non-zero return stops
     * the cycle there with ODO_ESTOPPED (a long first sync stays stoppable, and a daemon can
     * feed its watchdog). May be NULL. */
    int (*progress)(void *ctx);
    void *progress_ctx;
};

struct odo_sync_report {
    int batches, pushed, refused, rekeyed, winners;
    int pages, pulled, dropped;
    bool reconciled, replayed;
    int64_t cursor;
    char last_refusal[128];
    int retry_after_s; /* the gateway asked to be left alone this long (429, 503); 0: it did not */
};

/*
 * Runs one cycle for user over t. Returns 0, or: ODO_ENET (unreachable, retry later; nothing
 * lost), ODO_ESTOPPED (progress asked to stop; what was done is kept), ODO_EAUTH (the token was
 * refused or is missing), ODO_EUPGRADE (the gateway needs a newer odolog; the outbox is kept),
 * ODO_EPROTO, or a storage error. The outcome is recorded for `odolog sync status`.
 */
int odo_sync_cycle(struct odo_store *s, const char *user, struct odo_transport *t,
                   const struct odo_sync_options *opt, struct odo_sync_report *rep,
                   struct odo_err *err) ODO_MUST_CHECK;

/* Opens the transport the device is configured for (odolog login): gateway URL, this device's
 * id and pre-shared key for coaps, the CA file for HTTPS. */
int odo_sync_connect(struct odo_store *s, struct odo_transport **out,
                     struct odo_err *err) ODO_MUST_CHECK;
/* The same with a per-request timeout (0: the transport's default of 30 s). */
int odo_sync_connect_timeout(struct odo_store *s, int timeout_ms, struct odo_transport **out,
                             struct odo_err *err) ODO_MUST_CHECK;

#endif
