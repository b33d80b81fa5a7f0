/* The migration stream: a stream written by the mig_put_* calls reads back (pages, zero runs, passes,
 * the stop time, the device state); the parser refuses truncation anywhere, bad magic and version,
 * pages outside RAM, over-long runs, a bad checksum, a second state, an unknown record and an END
 * before the state, each with its one-line reason. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "migration/stream.h"

#define RAM_PAGES 16u

struct buf {
    uint8_t data[1 << 17];
    size_t len, pos, limit;      /* limit: a reader sees only this many bytes (truncation) */
};

static uint8_t disk0[1 << 16];

static int disk_write(void *opaque, unsigned disk, uint64_t off, const uint8_t *data, uint32_t len)
{
    (void)opaque;
    if (disk != 0 || off > sizeof(disk0) || len > sizeof(disk0) - off)
        return -EINVAL;
    memcpy(disk0 + off, data, len);
    return 0;
}

static int buf_write(void *o, void *p, size_t n)
{
    struct buf *b = o;
    if (n > sizeof(b->data) - b->len)
        return -ENOSPC;
    memcpy(b->data + b->len, p, n);
    b->len += n;
    return 0;
}

static int buf_read(void *o, void *p, size_t n)
{
    struct buf *b = o;
    if (n > b->limit - b->pos)
        return -EPIPE;
    memcpy(p, b->data + b->pos, n);
    b->pos += n;
    return 0;
}

static struct buf *good_stream(void)
{
    struct buf *b = calloc(1, sizeof(*b));
    struct mig_io io = { buf_write, b, 0 };
    struct mig_header h = { .version = MIG_VERSION, .ram_size = RAM_PAGES * 4096, .ncpus = 1 };
    strcpy(h.cpu_model, "max");
    uint8_t page[2 * 4096];
    memset(page, 0xab, sizeof(page));
    uint8_t state[10] = "sections!";
    assert_int_equal(mig_put_header(&io, &h), 0);
    assert_int_equal(mig_put_pass(&io, 1), 0);
    assert_int_equal(mig_put_pages(&io, 3, 2, page), 0);
    assert_int_equal(mig_put_zero(&io, 0, 3), 0);
    uint8_t sector[1024];
    memset(sector, 0x77, sizeof(sector));
    assert_int_equal(mig_put_disk(&io, 0, 512, sector, 1024), 0);
    assert_int_equal(mig_put_disk(&io, 0, 1, sector, 512), -EINVAL);      /* not a sector */
    assert_int_equal(mig_put_disk(&io, 0, 0, sector, 100), -EINVAL);
    assert_int_equal(mig_put_pass(&io, 2), 0);
    assert_int_equal(mig_put_stop(&io, 12345), 0);
    assert_int_equal(mig_put_state(&io, state, sizeof(state)), 0);
    assert_int_equal(mig_put_end(&io), 0);
    assert_int_equal(io.bytes, b->len);
    b->limit = b->len;
    return b;
}

/* Parse b into a fresh RAM; returns the result and why. */
static int parse(struct buf *b, uint8_t *ram, struct mig_in *in, const char **why)
{
    struct mig_io *io = calloc(1, sizeof(*io));
    *io = (struct mig_io){ buf_read, b, 0 };
    b->pos = 0;
    struct mig_header h;
    int r = mig_get_header(io, &h, why);
    *in = (struct mig_in){ .io = io, .ram = ram, .ram_pages = RAM_PAGES, .disk = disk_write };
    if (r == 0)
        r = mig_get_records(in, why);
    return r;
}

static void done(struct mig_in *in, struct buf *b)
{
    free(in->state);
    free(in->io);
    free(b);
}

static void test_round_trip(void **state)
{
    (void)state;
    struct buf *b = good_stream();
    static uint8_t ram[RAM_PAGES * 4096];
    memset(ram, 0x11, sizeof(ram));
    struct mig_in in;
    const char *why = "";
    assert_int_equal(parse(b, ram, &in, &why), 0);
    assert_int_equal(ram[0], 0);                 /* zero run */
    assert_int_equal(ram[3 * 4096 - 1], 0);
    assert_int_equal(ram[3 * 4096], 0xab);       /* pages 3 and 4 */
    assert_int_equal(ram[5 * 4096 - 1], 0xab);
    assert_int_equal(ram[5 * 4096], 0x11);       /* untouched */
    assert_int_equal(in.passes, 2);
    assert_int_equal(in.pages, 2);
    assert_int_equal(in.zero_pages, 3);
    assert_int_equal(in.stop_ns, 12345);
    assert_int_equal(in.disk_bytes, 1024);
    assert_int_equal(disk0[511], 0);
    assert_int_equal(disk0[512], 0x77);
    assert_int_equal(disk0[1535], 0x77);
    assert_int_equal(disk0[1536], 0);
    assert_int_equal(in.state_len, 10);
    assert_string_equal((char *)in.state, "sections!");
    done(&in, b);
}

static void test_truncated_anywhere(void **state)
{
    (void)state;
    struct buf *b = good_stream();
    static uint8_t ram[RAM_PAGES * 4096];
    size_t full = b->len;
    for (size_t cut = 0; cut < full; cut++) {
        b->limit = cut;
        struct mig_in in;
        const char *why = "";
        assert_int_equal(parse(b, ram, &in, &why), -EPIPE);
        assert_non_null(strstr(why, "truncated"));
        free(in.state);
        free(in.io);
    }
    free(b);
}

/* Replace the record at the good stream's first record (offset 64) and parse. */
static void expect_refused(const void *rec, size_t n, const char *reason)
{
    struct buf *b = good_stream();
    memcpy(b->data + MIG_HEADER_SIZE, rec, n);
    static uint8_t ram[RAM_PAGES * 4096];
    struct mig_in in;
    const char *why = "";
    assert_int_equal(parse(b, ram, &in, &why), -EINVAL);
    assert_non_null(strstr(why, reason));
    done(&in, b);
}

static void test_bad_records(void **state)
{
    (void)state;
    uint8_t r[16] = "PAGE";
    r[4] = 1;
    r[8] = RAM_PAGES;                             /* page 16 of 16 */
    expect_refused(r, 16, "past the end");
    memset(r + 4, 0, 12);
    r[4] = 2;
    r[8] = RAM_PAGES - 1;                         /* pages 15-16 */
    expect_refused(r, 16, "past the end");
    memset(r + 4, 0, 12);
    r[4] = MIG_MAX_RUN + 1;
    expect_refused(r, 16, "past the end");
    memcpy(r, "ZERO", 4);
    memset(r + 4, 0xff, 12);                      /* count and first wrap around */
    expect_refused(r, 16, "past the end");
    memset(r + 4, 0, 12);                         /* ZERO of no pages */
    expect_refused(r, 16, "past the end");
    memcpy(r, "STAT", 4);
    memset(r + 4, 0xff, 4);
    expect_refused(r, 16, "bad device state");
    memcpy(r, "DISK", 4);
    memset(r + 4, 0, 12);
    r[5] = 2;                                     /* 512 bytes at 64 KiB: past disk 0 */
    r[10] = 1;
    expect_refused(r, 16, "past the end of the destination's disk");
    memset(r + 4, 0, 12);
    r[5] = 2;
    r[15] = 1;                                    /* disk 1: none */
    expect_refused(r, 16, "does not have");
    memset(r + 4, 0, 12);
    r[4] = 100;                                   /* not whole sectors */
    expect_refused(r, 16, "bad disk record");
    memset(r + 4, 0, 12);
    r[6] = 2;                                     /* 128 KiB: over MIG_MAX_DISK */
    expect_refused(r, 16, "bad disk record");
    memcpy(r, "WHAT", 4);
    expect_refused(r, 16, "unknown record");
    memcpy(r, "END ", 4);
    memset(r + 4, 0, 12);
    expect_refused(r, 16, "without the device state");
}

static void test_bad_header_and_state(void **state)
{
    (void)state;
    struct buf *b = good_stream();
    b->data[0] = 'X';
    static uint8_t ram[RAM_PAGES * 4096];
    struct mig_in in;
    const char *why = "";
    assert_int_equal(parse(b, ram, &in, &why), -EINVAL);
    assert_non_null(strstr(why, "bad magic"));
    free(in.io);
    b->data[0] = 'V';
    b->data[8] = 2;
    assert_int_equal(parse(b, ram, &in, &why), -EINVAL);
    assert_non_null(strstr(why, "version"));
    free(in.io);
    b->data[8] = 1;
    b->data[b->len - 16 - 3] ^= 1;                /* a byte of the state */
    assert_int_equal(parse(b, ram, &in, &why), -EINVAL);
    assert_non_null(strstr(why, "checksum"));
    done(&in, b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_truncated_anywhere),
        cmocka_unit_test(test_bad_records),
        cmocka_unit_test(test_bad_header_and_state),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
