/*
 * The people who use this device, as the head unit's "who is driving" screen lists them, and
 * the optional PIN each can set. A user is known to the device once they have settings (odolog
 * init, or a new driver on the head unit), a sync login or a vehicle. A PIN is 4 to 12 digits;
 * only a salted PBKDF2-HMAC-SHA-256 of it is stored, in the user's device-local settings, so it
 * never leaves the device.
 */
#ifndef ODO_STORAGE_USERS_H
#define ODO_STORAGE_USERS_H

#include <stdbool.h>

#include "platform/error.h"
#include "storage/store.h"

#define ODO_PIN_MIN 4
#define ODO_PIN_MAX 12

/* Calls fn for each user of the device, in name order; fn returns nonzero to stop. */
int odo_users_list(struct odo_store *s, int (*fn)(const char *user, void *ctx), void *ctx,
                   struct odo_err *err) ODO_MUST_CHECK;

/* Sets user's PIN (4 to 12 digits, else ODO_EINVAL with a sentence), or removes it when pin is
 * NULL or empty. */
int odo_users_pin_set(struct odo_store *s, const char *user, const char *pin,
                      struct odo_err *err) ODO_MUST_CHECK;

/* Whether user has a PIN. */
int odo_users_has_pin(struct odo_store *s, const char *user, bool *has,
                      struct odo_err *err) ODO_MUST_CHECK;

/* Whether pin is user's PIN (*ok); a user without a PIN accepts any. Returns 0 or a storage
 * error. */
int odo_users_pin_check(struct odo_store *s, const char *user, const char *pin, bool *ok,
                        struct odo_err *err) ODO_MUST_CHECK;

#endif
