/*
 * Device users and their PINs. The PIN is kept as "pbkdf2-sha256$<rounds>$<salt>$<hash>" (hex)
 * under the key "pin" of the settings table, which odo_settings_load passes over.
 */
#include "storage/users.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "platform/hash.h"
#include "platform/text.h"
#include "platform/uuid.h"
#include "storage/internal.h"

#define PIN_ROUNDS 20000 /* about 10 ms on a Cortex-A53: a guess costs, a driver does not wait */
#define PIN_SALT   16
#define PIN_HASH   32
#define PIN_TEXT   (sizeof("pbkdf2-sha256$4294967295$") + 2 * (PIN_SALT + PIN_HASH) + 2)
#define PIN_SCHEME "pbkdf2-sha256"

static const char SQL_USERS[] = "SELECT user_id FROM settings UNION SELECT user_id FROM sync_users "
                                "UNION SELECT user_id FROM vehicles ORDER BY 1";
static const char SQL_PIN_GET[] = "SELECT value FROM settings WHERE user_id = ?1 AND key = 'pin'";
static const char SQL_PIN_SET[] =
    "INSERT INTO settings (user_id, key, value, updated_at) VALUES (?1, 'pin', ?2, ?3) "
    "ON CONFLICT (user_id, key) DO UPDATE SET value = excluded.value, "
    "updated_at = excluded.updated_at";
static const char SQL_PIN_DEL[] = "DELETE FROM settings WHERE user_id = ?1 AND key = 'pin'";

int odo_users_list(struct odo_store *s, int (*fn)(const char *user, void *ctx), void *ctx,
                   struct odo_err *err)
{
    sqlite3_stmt *st = odo_store_stmt(s, SQL_USERS, err);
    char user[ODO_USER_MAX + 1];
    int rc;

    if (!st)
        return ODO_ESTORAGE;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        odo_column_text(st, 0, user, sizeof(user));
        if (odo_user_check(user, NULL) == 0 && fn(user, ctx) != 0)
            break;
    }
    sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0
                                                 : odo_store_sqlerr(s, rc, err, "listing users");
}

static void hex(const unsigned char *b, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++)
        snprintf(out + 2 * i, 3, "%02x", b[i]);
}

static int pin_read(struct odo_store *s, const char *user, char *out, size_t cap,
                    struct odo_err *err)
{
    sqlite3_stmt *st = odo_store_stmt(s, SQL_PIN_GET, err);

    if (!st)
        return ODO_ESTORAGE;
    sqlite3_bind_text(st, 1, user, -1, SQLITE_STATIC);
    return odo_store_text(s, st, out, cap, "reading the PIN", err);
}

int odo_users_pin_set(struct odo_store *s, const char *user, const char *pin, struct odo_err *err)
{
    unsigned char salt[PIN_SALT], hash[PIN_HASH];
    char text[PIN_TEXT], now[ODO_TIME_TEXT_LEN + 1];
    size_t n = pin ? strlen(pin) : 0;
    sqlite3_stmt *st;
    int rc;

    if ((rc = odo_user_check(user, err)))
        return rc;
    if (n == 0) {
        if (!(st = odo_store_stmt(s, SQL_PIN_DEL, err)))
            return ODO_ESTORAGE;
        sqlite3_bind_text(st, 1, user, -1, SQLITE_STATIC);
        return odo_store_step_done(s, st, err, "removing the PIN");
    }
    if (n < ODO_PIN_MIN || n > ODO_PIN_MAX || strspn(pin, "0123456789") != n)
        return odo_err_set(err, ODO_EINVAL, "a PIN is %d to %d digits", ODO_PIN_MIN, ODO_PIN_MAX);
    if (odo_random_bytes(salt, sizeof(salt)) != 0)
        return odo_err_set(err, ODO_EIO, "no randomness for the PIN's salt");
    if (odo_pbkdf2_sha256(pin, n, salt, sizeof(salt), PIN_ROUNDS, hash, sizeof(hash)))
        return odo_err_set(err, ODO_ENOMEM, "out of memory hashing the PIN");
    n = (size_t)snprintf(text, sizeof(text), PIN_SCHEME "$%u$", PIN_ROUNDS);
    hex(salt, sizeof(salt), text + n);
    n += 2 * sizeof(salt);
    text[n++] = '$';
    hex(hash, sizeof(hash), text + n);
    if (!(st = odo_store_stmt(s, SQL_PIN_SET, err)))
        return ODO_ESTORAGE;
    odo_store_now_text(s, now);
    sqlite3_bind_text(st, 1, user, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, text, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, now, -1, SQLITE_STATIC);
    return odo_store_step_done(s, st, err, "storing the PIN");
}

int odo_users_has_pin(struct odo_store *s, const char *user, bool *has, struct odo_err *err)
{
    char text[PIN_TEXT];
    int rc = pin_read(s, user, text, sizeof(text), err);

    *has = rc == 0 && text[0];
    return rc;
}

int odo_users_pin_check(struct odo_store *s, const char *user, const char *pin, bool *ok,
                        struct odo_err *err)
{
    unsigned char salt[PIN_SALT], want[PIN_HASH], got[PIN_HASH];
    char text[PIN_TEXT], *p, *q;
    unsigned long rounds;
    int rc;

    *ok = false;
    if ((rc = pin_read(s, user, text, sizeof(text), err)))
        return rc;
    if (!text[0]) {
        *ok = true;
        return 0;
    }
    /* A stored value this build cannot read (damaged, or a newer scheme) accepts no PIN. */
    if (strncmp(text, PIN_SCHEME "$", sizeof(PIN_SCHEME)) != 0)
        return 0;
    rounds = strtoul(text + sizeof(PIN_SCHEME), &p, 10);
    if (*p != '$' || rounds == 0 || rounds > 10000000 || !(q = strchr(p + 1, '$')))
        return 0;
    *q = '\0';
    if (odo_hex_decode(p + 1, salt, sizeof(salt)) != PIN_SALT ||
        odo_hex_decode(q + 1, want, sizeof(want)) != PIN_HASH)
        return 0;
    if (odo_pbkdf2_sha256(pin, strlen(pin), salt, sizeof(salt), (unsigned)rounds, got, sizeof(got)))
        return odo_err_set(err, ODO_ENOMEM, "out of memory checking the PIN");
    *ok = odo_equal_ct(got, want, sizeof(got));
    return 0;
}
