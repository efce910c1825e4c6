/*
 * odologd's scanner, open, read and looked for again.
 */
#include "firmware/odologd/scanport.h"

#include <stddef.h>

#include "platform/clock.h"

void scanport_attach(struct scanport *p)
{
    struct odo_err err;

    if (!p->path || p->scanner || odo_mono_ms() < p->retry)
        return;
    if (odo_scanner_open(p->path, &p->opt, &p->scanner, &err) != 0) {
        if (p->retry <= 0)
            odo_log(p->log, ODO_LOG_WARN, "%s; looking again every 5 s", err.msg);
        p->retry = odo_mono_ms() + SCANPORT_RETRY_MS;
        return;
    }
    p->retry = 0;
    odo_log(p->log, ODO_LOG_INFO, "reading VIN scans from %s for %s", p->path, p->owner);
}

int scanport_fd(const struct scanport *p)
{
    return p->scanner ? odo_scanner_fd(p->scanner) : -1;
}

int64_t scanport_wait_ms(const struct scanport *p)
{
    int64_t wait;

    if (!p->path || p->scanner)
        return INT64_MAX;
    wait = p->retry - odo_mono_ms();
    return wait > 0 ? wait : 0;
}

void scanport_read(struct scanport *p)
{
    struct odo_err err;
    int rc;

    if (!p->scanner || (rc = odo_scanner_read(p->scanner, p->on_scan, p->ctx, &err)) == 0)
        return;
    if (rc < 0)
        odo_log(p->log, ODO_LOG_WARN, "%s", err.msg);
    else
        odo_log(p->log, ODO_LOG_WARN, "the scanner at %s went away; looking again every 5 s",
                p->path);
    scanport_close(p);
    p->retry = odo_mono_ms() + SCANPORT_RETRY_MS;
}

void scanport_close(struct scanport *p)
{
    odo_scanner_close(p->scanner);
    p->scanner = NULL;
}
