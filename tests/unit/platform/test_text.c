/*
 * UUIDv7 ids, bounded UTF-8 copies, the durable replace of a file, hex decoding.
 */
#include <sys/stat.h>

#include "platform/fs.h"
#include "platform/text.h"
#include "platform/uuid.h"
#include "test.h"

static void test_uuid_v7_carries_version_variant_and_time_order(void)
{
    char a[ODO_UUID_TEXT_LEN + 1], b[ODO_UUID_TEXT_LEN + 1];

    ASSERT_OK(odo_uuid_v7(1700000000000LL, a), (struct odo_err *)NULL);
    ASSERT_OK(odo_uuid_v7(1700000000001LL, b), (struct odo_err *)NULL);
    ASSERT(odo_uuid_valid(a));
    ASSERT_EQ(a[14], '7');
    ASSERT(strchr("89ab", a[19]) != NULL);
    ASSERT(strcmp(a, b) < 0);
    ASSERT(strncmp(a, "018bcfe5-6800", 13) == 0); /* 1700000000000 = 0x18bcfe56800 */
    ASSERT(!odo_uuid_valid("018bcfe5-6800-7000-8000-00000000000"));
    ASSERT(!odo_uuid_valid("018bcfe5x6800-7000-8000-000000000000"));
}

static void test_uuid_v7_ids_do_not_collide(void)
{
    char prev[ODO_UUID_TEXT_LEN + 1] = "", id[ODO_UUID_TEXT_LEN + 1];

    for (int i = 0; i < 10000; i++) {
        ASSERT_OK(odo_uuid_v7(1700000000000LL, id), (struct odo_err *)NULL);
        ASSERT(strcmp(prev, id) != 0);
        memcpy(prev, id, sizeof(id));
    }
}

static void test_strlcpy_never_splits_a_utf8_character(void)
{
    char out[6];

    ASSERT_EQ(odo_strlcpy(out, "abc", sizeof(out)), 3);
    ASSERT_STR(out, "abc");
    /* "aéé" is 5 bytes; "aééé" is 7 and must be cut before the third é, not inside it. */
    ASSERT_EQ(odo_strlcpy(out, "a\xc3\xa9\xc3\xa9\xc3\xa9", sizeof(out)), 7);
    ASSERT_STR(out, "a\xc3\xa9\xc3\xa9");
    ASSERT_EQ(odo_utf8_width("a\xc3\xa9\xc3\xa9"), 3);
}

/* A finished file written the plain way, for odo_fs_replace to put in place. */
static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    if (!f || fputs(text, f) < 0 || fclose(f) != 0)
        TEST_FAIL("cannot write %s", path);
}

static void test_replace_puts_the_finished_file_in_place_whole_and_a_failure_keeps_the_old(void)
{
    char dir[256], path[300], tmp[310], *data = NULL;
    size_t len = 0;
    struct odo_err err;
    struct stat sb;

    test_tmpdir(dir);
    snprintf(path, sizeof(path), "%s/config", dir);
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    write_file(tmp, "first version");
    ASSERT_OK(odo_fs_replace(tmp, path, &err), &err);
    write_file(tmp, "second");
    ASSERT_OK(odo_fs_replace(tmp, path, &err), &err);
    ASSERT(stat(tmp, &sb) != 0); /* moved, not copied */
    ASSERT_OK(odo_fs_read_all(path, 1024, &data, &len, &err), &err);
    ASSERT_EQ(len, 6);
    ASSERT_STR(data, "second");
    free(data);
    ASSERT_EQ(odo_fs_read_all(path, 3, &data, &len, &err), ODO_ETOOBIG);
    /* No finished file to put in place: an error that names it, and the old file stays. */
    ASSERT_EQ(odo_fs_replace(tmp, path, &err), ODO_EIO);
    ASSERT_CONTAINS(err.msg, "config.tmp");
    ASSERT_OK(odo_fs_read_all(path, 1024, &data, &len, &err), &err);
    ASSERT_STR(data, "second");
    free(data);
    test_rmdir(dir);
}

static void test_hex_decode_takes_only_whole_hex_strings_that_fit(void)
{
    unsigned char out[4] = {0};

    ASSERT_EQ(odo_hex_decode("00Ff7a", out, sizeof(out)), 3);
    ASSERT(out[0] == 0x00 && out[1] == 0xff && out[2] == 0x7a);
    ASSERT_EQ(odo_hex_decode("", out, sizeof(out)), 0);
    ASSERT_EQ(odo_hex_decode("abc", out, sizeof(out)), -1);        /* odd */
    ASSERT_EQ(odo_hex_decode("0x12", out, sizeof(out)), -1);       /* not a digit */
    ASSERT_EQ(odo_hex_decode("1 2 ", out, sizeof(out)), -1);       /* spaces */
    ASSERT_EQ(odo_hex_decode("0011223344", out, sizeof(out)), -1); /* 5 bytes, room for 4 */
    ASSERT_EQ(odo_hex_decode("aabbccdd", out, sizeof(out)), 4);
    ASSERT_EQ(odo_hex_decode("aabbccgg", out, sizeof(out)), -1);
    ASSERT(out[0] == 0 && out[1] == 0 && out[2] == 0 && out[3] == 0); /* a failure wipes */
}

RUN_TESTS(TEST_CASE(test_uuid_v7_carries_version_variant_and_time_order),
          TEST_CASE(test_uuid_v7_ids_do_not_collide),
          TEST_CASE(test_strlcpy_never_splits_a_utf8_character),
          TEST_CASE(test_replace_puts_the_finished_file_in_place_whole_and_a_failure_keeps_the_old),
          TEST_CASE(test_hex_decode_takes_only_whole_hex_strings_that_fit))
