/*
 * Barcode scanners: evdev key events, a serial tty, or a byte stream, assembled into scans.
 */
#define _GNU_SOURCE
#include "platform/scanner.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/input.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <termios.h>
#include <unistd.h>

#define INPUT_MAJOR_NUMBER 13

struct odo_scanner {
    int fd;
    bool owned; /* we opened fd (not stdin) */
    enum odo_scanner_kind kind;
    /* the scan being assembled */
    char text[ODO_SCAN_MAX + 1];
    size_t len;
    bool too_long;
    /* evdev */
    unsigned char partial[sizeof(struct input_event)];
    size_t npartial;
    bool shift;
};

static speed_t baud_constant(int baud)
{
    switch (baud) {
    case 1200:
        return B1200;
    case 2400:
        return B2400;
    case 4800:
        return B4800;
    case 9600:
        return B9600;
    case 19200:
        return B19200;
    case 38400:
        return B38400;
    case 57600:
        return B57600;
    case 115200:
        return B115200;
    case 230400:
        return B230400;
    }
    return 0;
}

int odo_scanner_open(const char *path, const struct odo_scanner_options *opt,
                     struct odo_scanner **out, struct odo_err *err)
{
    struct odo_scanner *s = calloc(1, sizeof(*s));
    struct stat st;

    *out = NULL;
    if (!s)
        return odo_err_set(err, ODO_ENOMEM, "out of memory");
    if (strcmp(path, "-") == 0) {
        s->fd = 0; /* left blocking: the descriptor is shared with whoever started us */
    } else {
        s->fd = open(path, O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
        if (s->fd < 0) {
            int e = errno;
            free(s);
            return odo_err_set(err, ODO_EIO, "cannot open scanner %s: %s%s", path, strerror(e),
                               e == EACCES ? " (is the user in the 'input' or 'dialout' group?)"
                                           : "");
        }
        s->owned = true;
    }
    s->kind = opt->kind;
    if (s->kind == ODO_SCANNER_AUTO) {
        if (fstat(s->fd, &st) == 0 && S_ISCHR(st.st_mode) &&
            major(st.st_rdev) == INPUT_MAJOR_NUMBER)
            s->kind = ODO_SCANNER_EVDEV;
        else if (s->owned && isatty(s->fd))
            s->kind = ODO_SCANNER_TTY;
        else
            s->kind = ODO_SCANNER_STREAM;
    }
    if (s->kind == ODO_SCANNER_TTY) {
        struct termios t;
        speed_t speed = baud_constant(opt->baud ? opt->baud : 9600);
        if (!speed) {
            odo_scanner_close(s);
            return odo_err_set(err, ODO_EINVAL,
                               "a serial scanner speed is one of 1200, 2400, "
                               "4800, 9600, 19200, 38400, 57600, 115200, 230400");
        }
        if (tcgetattr(s->fd, &t) != 0) {
            int e = errno;
            odo_scanner_close(s);
            return odo_err_set(err, ODO_EIO, "%s is not a serial port: %s", path, strerror(e));
        }
        cfmakeraw(&t);
        t.c_cflag |= CLOCAL | CREAD;
        t.c_cc[VMIN] = 0;
        t.c_cc[VTIME] = 0;
        cfsetispeed(&t, speed);
        cfsetospeed(&t, speed);
        if (tcsetattr(s->fd, TCSANOW, &t) != 0) {
            int e = errno;
            odo_scanner_close(s);
            return odo_err_set(err, ODO_EIO, "cannot set up serial port %s: %s", path, strerror(e));
        }
    }
    if (s->kind == ODO_SCANNER_EVDEV && opt->grab && ioctl(s->fd, EVIOCGRAB, 1) != 0 &&
        errno != ENOTTY) {
        int e = errno;
        odo_scanner_close(s);
        return odo_err_set(err, ODO_EIO, "cannot take scanner %s for ourselves: %s", path,
                           strerror(e));
    }
    *out = s;
    return 0;
}

void odo_scanner_close(struct odo_scanner *s)
{
    if (!s)
        return;
    if (s->owned)
        close(s->fd);
    free(s);
}

int odo_scanner_fd(const struct odo_scanner *s)
{
    return s->fd;
}

enum odo_scanner_kind odo_scanner_kind(const struct odo_scanner *s)
{
    return s->kind;
}

/* Ends the scan being assembled; returns fn's result (0 for an empty scan). */
static int finish(struct odo_scanner *s, int (*fn)(const char *, bool, void *), void *ctx)
{
    int rc = 0;
    if (s->len) {
        s->text[s->len] = '\0';
        rc = fn(s->text, s->too_long, ctx);
    }
    s->len = 0;
    s->too_long = false;
    return rc;
}

/* One character of a scan: printable ASCII is kept, terminators end the scan. */
static int take(struct odo_scanner *s, int c, int (*fn)(const char *, bool, void *), void *ctx)
{
    if (c == '\r' || c == '\n' || c == '\t')
        return finish(s, fn, ctx);
    if (c < 0x20 || c > 0x7e)
        return 0;
    if (s->len == ODO_SCAN_MAX) {
        s->too_long = true;
        return 0;
    }
    s->text[s->len++] = (char)c;
    return 0;
}

/* The character a key press gives (US layout, as scanners emulate), 0 for none. */
static int key_char(unsigned code, bool shift)
{
    static const char row1[] = "1234567890-="; /* KEY_1 .. KEY_EQUAL */
    static const char row1s[] = "!@#$%^&*()_+";
    static const char row2[] = "qwertyuiop"; /* KEY_Q .. KEY_P */
    static const char row3[] = "asdfghjkl";  /* KEY_A .. KEY_L */
    static const char row4[] = "zxcvbnm";    /* KEY_Z .. KEY_M */

    if (code >= KEY_1 && code <= KEY_EQUAL)
        return (shift ? row1s : row1)[code - KEY_1];
    if (code >= KEY_Q && code <= KEY_P)
        return shift ? row2[code - KEY_Q] - 32 : row2[code - KEY_Q];
    if (code >= KEY_A && code <= KEY_L)
        return shift ? row3[code - KEY_A] - 32 : row3[code - KEY_A];
    if (code >= KEY_Z && code <= KEY_M)
        return shift ? row4[code - KEY_Z] - 32 : row4[code - KEY_Z];
    switch (code) {
    case KEY_SPACE:
        return ' ';
    case KEY_DOT:
        return shift ? '>' : '.';
    case KEY_SLASH:
        return shift ? '?' : '/';
    case KEY_KPASTERISK:
        return '*';
    case KEY_KPMINUS:
        return '-';
    case KEY_KPPLUS:
        return '+';
    case KEY_KPDOT:
        return '.';
    case KEY_KP0:
        return '0';
    case KEY_KP1:
    case KEY_KP2:
    case KEY_KP3:
        return '1' + (int)(code - KEY_KP1);
    case KEY_KP4:
    case KEY_KP5:
    case KEY_KP6:
        return '4' + (int)(code - KEY_KP4);
    case KEY_KP7:
    case KEY_KP8:
    case KEY_KP9:
        return '7' + (int)(code - KEY_KP7);
    case KEY_ENTER:
    case KEY_KPENTER:
        return '\n';
    case KEY_TAB:
        return '\t';
    }
    return 0;
}

static int take_event(struct odo_scanner *s, const struct input_event *ev,
                      int (*fn)(const char *, bool, void *), void *ctx)
{
    if (ev->type != EV_KEY)
        return 0;
    if (ev->code == KEY_LEFTSHIFT || ev->code == KEY_RIGHTSHIFT) {
        s->shift = ev->value != 0;
        return 0;
    }
    if (ev->value != 1) /* releases and auto-repeats */
        return 0;
    int c = key_char(ev->code, s->shift);
    return c ? take(s, c, fn, ctx) : 0;
}

int odo_scanner_read(struct odo_scanner *s, int (*fn)(const char *text, bool too_long, void *ctx),
                     void *ctx, struct odo_err *err)
{
    unsigned char buf[4096];
    ssize_t n;
    int rc;

    for (;;) {
        n = read(s->fd, buf, sizeof(buf));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return 0;
        if (n < 0 && errno == EIO && s->kind == ODO_SCANNER_TTY)
            n = 0; /* the other end of a terminal hung up */
        if (n < 0)
            return odo_err_set(err, ODO_EIO, "reading the scanner: %s", strerror(errno));
        if (n == 0 && s->kind == ODO_SCANNER_TTY) {
            /* A raw tty reads 0 when it has nothing yet, and when the other end hung up. */
            struct pollfd p = {s->fd, POLLIN, 0};
            if (poll(&p, 1, 0) <= 0 || !(p.revents & (POLLHUP | POLLERR)))
                return 0;
        }
        if (n == 0) {
            if ((rc = finish(s, fn, ctx)))
                return rc;
            return 1;
        }
        if (s->kind == ODO_SCANNER_EVDEV) {
            size_t off = 0;
            while (off < (size_t)n) {
                size_t want = sizeof(struct input_event) - s->npartial;
                size_t got = (size_t)n - off < want ? (size_t)n - off : want;
                memcpy(s->partial + s->npartial, buf + off, got);
                s->npartial += got;
                off += got;
                if (s->npartial == sizeof(struct input_event)) {
                    struct input_event ev;
                    memcpy(&ev, s->partial, sizeof(ev));
                    s->npartial = 0;
                    if ((rc = take_event(s, &ev, fn, ctx)))
                        return rc;
                }
            }
        } else {
            for (ssize_t i = 0; i < n; i++)
                if ((rc = take(s, buf[i], fn, ctx)))
                    return rc;
        }
        /* A blocking stream returns after what it had: let the caller poll again. */
        if (!s->owned)
            return 0;
    }
}
