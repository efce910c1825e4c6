/*
 * Kernel randomness and UUIDv7 text.
 */
#include "platform/uuid.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

int odo_random_bytes(void *buf, size_t n)
{
    unsigned char *p = buf;

    while (n > 0) {
        ssize_t got = getrandom(p, n, 0);
        if (got < 0) {
            if (errno == EINTR)
                continue;
            return ODO_EIO;
        }
        p += got;
        n -= (size_t)got;
    }
    return 0;
}

void odo_uuid_v7_from(int64_t now_ms, const unsigned char rnd[10], char out[ODO_UUID_TEXT_LEN + 1])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char b[16];
    uint64_t ts = (uint64_t)now_ms & 0xffffffffffffULL;
    char *p = out;

    for (int i = 0; i < 6; i++)
        b[i] = (unsigned char)(ts >> (40 - 8 * i));
    memcpy(b + 6, rnd, 10);
    b[6] = (unsigned char)(0x70 | (b[6] & 0x0f)); /* version 7 */
    b[8] = (unsigned char)(0x80 | (b[8] & 0x3f)); /* variant 10 */
    /* By hand rather than snprintf: an import makes one for every row. */
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            *p++ = '-';
        *p++ = hex[b[i] >> 4];
        *p++ = hex[b[i] & 15];
    }
    *p = '\0';
}

int odo_uuid_v7(int64_t now_ms, char out[ODO_UUID_TEXT_LEN + 1])
{
    unsigned char rnd[10];

    if (odo_random_bytes(rnd, sizeof(rnd)) != 0)
        return ODO_EIO;
    odo_uuid_v7_from(now_ms, rnd, out);
    return 0;
}

bool odo_uuid_valid(const char *s)
{
    if (!s || strlen(s) != ODO_UUID_TEXT_LEN)
        return false;
    for (int i = 0; i < ODO_UUID_TEXT_LEN; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i] != '-')
                return false;
        } else if (!isxdigit((unsigned char)s[i])) {
            return false;
        }
    }
    return true;
}
