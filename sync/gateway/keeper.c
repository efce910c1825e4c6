/*
 * The gateway's background thread, on a PostgreSQL connection of its own: it LISTENs for
 * changes of device keys and reloads them, writes the last_seen_at of devices whose handshakes
 * completed in one statement per interval, and writes the summary of refused traffic. When the
 * database goes away it says so once, keeps the keys it has (handshakes go on; requests get
 * 5.03), and reloads everything when the database is back.
 */
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "sync/gateway/internal.h"

#define TICK_MS      250  /* how often the thread looks at the clock and its stop flag */
#define RECONNECT_MS 2000 /* between attempts while the database is away */
#define CHANNEL      "odolog_devices"

struct odo_gw_keeper {
    struct odo_gw *gw;
    pthread_t thread;
    atomic_int stop;
    PGconn *conn;
    bool outage_told; /* the database's absence was logged */
    int64_t next_connect_ms, next_seen_ms;
};

/* PostgreSQL's notices on this connection ("terminating connection due to ...") go to the log. */
static void on_notice(void *arg, const char *message)
{
    odo_gw_log_line(arg, ODO_LOG_WARN, "database: %s", message);
}

/* Connects, listens and reloads every key. Returns 0, or -1 (conn closed) when it cannot. */
static int connect_and_load(struct odo_gw_keeper *k)
{
    struct odo_gw *gw = k->gw;
    struct odo_err err;
    int loaded, unreadable;

    k->conn = PQconnectdb(gw->cfg.database_url);
    PQsetNoticeProcessor(k->conn, on_notice, gw);
    if (PQstatus(k->conn) != CONNECTION_OK || odo_pg_exec(k->conn, "LISTEN " CHANNEL, &err) != 0 ||
        odo_gw_keys_load(gw->keys, k->conn, &loaded, &unreadable, &err) != 0) {
        if (!k->outage_told)
            odo_gw_log_line(gw, ODO_LOG_ERROR,
                            "the database is unreachable: serving the device keys held in "
                            "memory; requests get 5.03 until it is back (%s)",
                            PQstatus(k->conn) != CONNECTION_OK ? PQerrorMessage(k->conn) : err.msg);
        k->outage_told = true;
        PQfinish(k->conn);
        k->conn = NULL;
        return -1;
    }
    if (k->outage_told)
        odo_log(&gw->log, ODO_LOG_INFO, "the database is back: %d device keys reloaded", loaded);
    if (unreadable)
        odo_log(&gw->log, ODO_LOG_ERROR,
                "%d device keys were sealed under another ODOLOG_DEVICE_KEY_SECRET: those "
                "devices cannot connect until re-keyed (odolog-gateway device add --id ...)",
                unreadable);
    k->outage_told = false;
    return 0;
}

static void drop_connection(struct odo_gw_keeper *k)
{
    PQfinish(k->conn);
    k->conn = NULL;
    k->next_connect_ms = odo_mono_ms();
}

/* Reloads the keys the notifications name. */
static void take_notifications(struct odo_gw_keeper *k)
{
    PGnotify *n;
    struct odo_err err;

    if (!PQconsumeInput(k->conn)) {
        drop_connection(k);
        return;
    }
    while ((n = PQnotifies(k->conn)) != NULL) {
        if (odo_gw_keys_reload(k->gw->keys, k->conn, n->extra, &err) != 0)
            odo_gw_log_line(k->gw, ODO_LOG_ERROR, "device %.36s: %s", n->extra, err.msg);
        PQfreemem(n);
    }
}

static void write_seen(struct odo_gw_keeper *k)
{
    struct odo_err err;
    int written;

    if (odo_gw_keys_flush_seen(k->gw->keys, k->conn, &written, &err) != 0) {
        odo_gw_log_line(k->gw, ODO_LOG_WARN, "%s (kept for the next batch)", err.msg);
        if (PQstatus(k->conn) != CONNECTION_OK)
            drop_connection(k);
    }
}

static void *run(void *arg)
{
    struct odo_gw_keeper *k = arg;
    const int64_t seen_every = (int64_t)k->gw->cfg.limits.last_seen_interval_s * 1000;

    k->next_seen_ms = odo_mono_ms() + seen_every;
    while (!atomic_load(&k->stop)) {
        int64_t now = odo_mono_ms();
        if (!k->conn && now >= k->next_connect_ms && connect_and_load(k) != 0)
            k->next_connect_ms = now + RECONNECT_MS;
        if (k->conn) {
            struct pollfd p = {PQsocket(k->conn), POLLIN, 0};
            if (poll(&p, 1, TICK_MS) > 0)
                take_notifications(k);
        } else {
            poll(NULL, 0, TICK_MS);
        }
        if (k->conn && odo_mono_ms() >= k->next_seen_ms) {
            write_seen(k);
            k->next_seen_ms = odo_mono_ms() + seen_every;
        }
        odo_gw_events_flush(k->gw, false);
    }
    if (k->conn)
        write_seen(k);
    odo_gw_events_flush(k->gw, true);
    return NULL;
}

int odo_gw_keeper_start(struct odo_gw *gw, struct odo_gw_keeper **out, struct odo_err *err)
{
    struct odo_gw_keeper *k = calloc(1, sizeof(*k));

    *out = NULL;
    if (!k)
        return odo_err_set(err, ODO_ENOMEM, "out of memory");
    k->gw = gw;
    if (connect_and_load(k) != 0) {
        free(k);
        return odo_err_set(err, ODO_ENET, "cannot read the device keys from PostgreSQL");
    }
    if (pthread_create(&k->thread, NULL, run, k) != 0) {
        PQfinish(k->conn);
        free(k);
        return odo_err_set(err, ODO_ENOMEM, "cannot start the gateway's background thread");
    }
    *out = k;
    return 0;
}

void odo_gw_keeper_stop(struct odo_gw_keeper *k)
{
    if (!k)
        return;
    atomic_store(&k->stop, 1);
    pthread_join(k->thread, NULL);
    PQfinish(k->conn);
    free(k);
}
