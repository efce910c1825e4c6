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

int odo_uuid_v7(int64_t now_ms, char out[ODO_UUID_TEXT_LEN + 1])
{
    unsigned char b[16];
    uint64_t ts = (uint64_t)now_ms & 0xffffffffffffULL;

    if (odo_random_bytes(b + 6, 10) != 0)
        return ODO_EIO;
    for (int i = 0; i < 6; i++)
        b[i] = (unsigned char)(ts >> (40 - 8 * i));
    b[6] = (unsigned char)(0x70 | (b[6] & 0x0f)); /* version 7 */
    b[8] = (unsigned char)(0x80 | (b[8] & 0x3f)); /* variant 10 */
    snprintf(out, ODO_UUID_TEXT_LEN + 1,
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
             b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
             b[15]);
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
