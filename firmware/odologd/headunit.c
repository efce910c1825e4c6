/*
 * The UI's thread: one poll over the UI's descriptor, the scanner's and a stop eventfd.
 */
#include "firmware/odologd/headunit.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "platform/clock.h"

struct headunit {
    struct odo_ui *ui;
    struct scanport *port;
    pthread_t thread;
    int stop_fd;
    _Atomic int64_t tick; /* monotonic ms of the loop's last round */
};

static int on_scan(const char *text, bool too_long, void *ctx)
{
    odo_ui_scan(ctx, text, too_long);
    return 0;
}

static void *run(void *arg)
{
    struct headunit *h = arg;

    for (;;) {
        struct pollfd fds[3] = {{h->stop_fd, POLLIN, 0},
                                {odo_ui_fd(h->ui), POLLIN, 0},
                                {h->port ? scanport_fd(h->port) : -1, POLLIN, 0}};
        int timeout = odo_ui_timeout_ms(h->ui);

        atomic_store(&h->tick, odo_mono_ms());
        if (h->port) {
            int64_t wait = scanport_wait_ms(h->port);
            if (wait < timeout)
                timeout = (int)wait;
        }
        if (poll(fds, 3, timeout) < 0 && errno != EINTR)
            break;
        if (fds[0].revents & POLLIN)
            break;
        if (h->port) {
            scanport_attach(h->port);
            if (fds[2].revents & (POLLIN | POLLHUP | POLLERR))
                scanport_read(h->port);
        }
        odo_ui_run(h->ui);
    }
    return NULL;
}

int headunit_start(const struct odo_ui_options *opt, struct scanport *port, struct headunit **out,
                   struct odo_err *err)
{
    struct headunit *h = calloc(1, sizeof(*h));
    int rc;

    *out = NULL;
    if (!h)
        return odo_err_set(err, ODO_ENOMEM, "out of memory starting the UI");
    h->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    h->port = port;
    if (h->stop_fd < 0) {
        free(h);
        return odo_err_set(err, ODO_ENOMEM, "cannot make the UI's stop event");
    }
    if ((rc = odo_ui_open(opt, &h->ui, err))) {
        close(h->stop_fd);
        free(h);
        return rc;
    }
    if (port) {
        port->on_scan = on_scan;
        port->ctx = h->ui;
    }
    atomic_store(&h->tick, odo_mono_ms());
    if (pthread_create(&h->thread, NULL, run, h) != 0) {
        odo_ui_close(h->ui);
        close(h->stop_fd);
        free(h);
        return odo_err_set(err, ODO_ENOMEM, "cannot start the UI's thread");
    }
    *out = h;
    return 0;
}

bool headunit_alive(const struct headunit *h, int64_t max_ms)
{
    return !h || odo_mono_ms() - atomic_load(&((struct headunit *)h)->tick) <= max_ms;
}

void headunit_address(const struct headunit *h, char *out, size_t cap)
{
    odo_ui_address(h->ui, out, cap);
}

void headunit_stop(struct headunit *h)
{
    uint64_t one = 1;

    if (!h)
        return;
    if (write(h->stop_fd, &one, sizeof(one)) != sizeof(one))
        pthread_cancel(h->thread); /* cannot happen with an eventfd; never leave it running */
    pthread_join(h->thread, NULL);
    if (h->port)
        scanport_close(h->port);
    odo_ui_close(h->ui);
    close(h->stop_fd);
    free(h);
}
