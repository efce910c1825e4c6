/*
 * The gateway's side of sync protocol version 1 against PostgreSQL: applying a push batch,
 * serving a pull page or a reconcile page, and purging old tombstones. Every query is scoped by
 * the user the request's token names.
 *
 * A push batch is applied in one transaction, set-wise: each table group is staged with COPY
 * into a temporary table, then merged in SQL (aliases re-pointed, ownership checked, per-column
 * last-writer-wins by (HLC, device), one revision per accepted change), and the batch's record
 * and answer commit with its effects.
 */
#ifndef ODO_GATEWAY_APPLY_H
#define ODO_GATEWAY_APPLY_H

#include <libpq-fe.h>
#include <stdint.h>

#include "platform/clock.h"
#include "platform/log.h"
#include "sync/protocol/buf.h"
#include "sync/protocol/messages.h"

#define ODO_MAX_SKEW_MS (5 * 60 * 1000) /* an HLC may run this far ahead of the gateway */

/* What a request runs with: who asked, from which device, and the gateway's clock. */
struct odo_gw_call {
    PGconn *pg;
    const char *user;
    const char *device;
    odo_hlc *clock; /* the gateway's HLC, advanced by what arrives (caller serialises) */
    int64_t now_ms;
    const struct odo_log *log;
    int schema_min;   /* the oldest device schema served */
    size_t *rows_out; /* pull: receives the number of rows (or ids) sent; may be NULL */
};

/*
 * Applies req and writes its answer into ans. A batch number already applied gets the stored
 * answer again and changes nothing. Returns 0, or a negative code with *pe set to the protocol
 * error to send (ODO_PE_CONFLICT for a stale batch, ODO_PE_UNAVAILABLE for database trouble).
 */
int odo_gw_push(const struct odo_gw_call *call, const struct odo_push_req *req, struct odo_buf *ans,
                enum odo_pe *pe, struct odo_err *err) ODO_MUST_CHECK;

/* Serves a pull page (or the order to reconcile, or a reconcile page) into ans. */
int odo_gw_pull(const struct odo_gw_call *call, const struct odo_pull_req *req, struct odo_buf *ans,
                enum odo_pe *pe, struct odo_err *err) ODO_MUST_CHECK;

/*
 * Deletes tombstones older than older_than_s seconds (children before parents; a vehicle or a
 * maintenance item that still has rows or aliases stays) and raises the purge watermark to the
 * highest revision removed. *purged and *watermark receive the count and the new watermark.
 */
int odo_gw_purge(PGconn *pg, int64_t older_than_s, int64_t *purged, int64_t *watermark,
                 struct odo_err *err) ODO_MUST_CHECK;

#endif
