/*
 * Document renewals: insurance, registration and emissions certificates, each with a document
 * number, an issuer, a validity period and a cost. The latest valid_until of each kind per
 * vehicle is what reminders watch; renewing means adding the new document.
 */
#ifndef ODO_STORAGE_RENEWALS_H
#define ODO_STORAGE_RENEWALS_H

#include <stdbool.h>
#include <stdint.h>

#include "platform/clock.h"
#include "platform/uuid.h"
#include "storage/store.h"
#include "storage/vehicles.h"

enum odo_renewal_kind { ODO_RENEWAL_INSURANCE, ODO_RENEWAL_REGISTRATION, ODO_RENEWAL_EMISSIONS };

struct odo_renewal {
    char id[ODO_UUID_TEXT_LEN + 1];
    char vehicle_id[ODO_UUID_TEXT_LEN + 1];
    enum odo_renewal_kind kind;
    char document_number[ODO_LABEL_MAX + 1];
    char issuer[ODO_LABEL_MAX + 1];
    int32_t valid_from;  /* days since 1970-01-01 */
    int32_t valid_until; /* inclusive */
    int64_t cost;        /* hundredths, or ODO_NONE */
    char currency[4];
    char notes[ODO_NOTES_MAX + 1];
    char created_at[ODO_TIME_TEXT_LEN + 1];
    char deleted_at[ODO_TIME_TEXT_LEN + 1];
};

const char *odo_renewal_kind_name(enum odo_renewal_kind k);
int odo_renewal_kind_parse(const char *s, enum odo_renewal_kind *out,
                           struct odo_err *err) ODO_MUST_CHECK;

/* Adds r to a live vehicle of user; valid_until must not precede valid_from. Fills r->id. */
int odo_renewal_add(struct odo_store *s, const char *user, struct odo_renewal *r,
                    struct odo_err *err) ODO_MUST_CHECK;

/* Rewrites live renewal r->id of vehicle r->vehicle_id with r's fields, checked as
 * odo_renewal_add checks them. ODO_EINVAL, ODO_ENOTFOUND, storage errors. */
int odo_renewal_update(struct odo_store *s, const char *user, struct odo_renewal *r,
                       struct odo_err *err) ODO_MUST_CHECK;

/* Reads renewal id, live or deleted. */
int odo_renewal_get(struct odo_store *s, const char *user, const char *id, struct odo_renewal *r,
                    struct odo_err *err) ODO_MUST_CHECK;

/* odo_renewal_resolve among the deleted renewals when `deleted`, else the live ones. */
int odo_renewal_find(struct odo_store *s, const char *user, const char *ref, bool deleted,
                     struct odo_renewal *r, struct odo_err *err) ODO_MUST_CHECK;

/* Undeletes renewal id when its vehicle is live. ODO_ENOTFOUND when it is not deleted. */
int odo_renewal_restore(struct odo_store *s, const char *user, const char *id,
                        struct odo_err *err) ODO_MUST_CHECK;

/* Finds a live renewal by id or unique id prefix (4+ characters). */
int odo_renewal_resolve(struct odo_store *s, const char *user, const char *ref,
                        struct odo_renewal *r, struct odo_err *err) ODO_MUST_CHECK;

/* Streams live renewals of one vehicle (all the user's when vehicle_id is NULL), latest
 * expiry first. */
int odo_renewal_list(struct odo_store *s, const char *user, const char *vehicle_id,
                     int (*fn)(const struct odo_renewal *r, void *ctx), void *ctx,
                     struct odo_err *err) ODO_MUST_CHECK;

/* Soft-deletes live renewal id. */
int odo_renewal_remove(struct odo_store *s, const char *user, const char *id,
                       struct odo_err *err) ODO_MUST_CHECK;

#endif
