/* The IDE controller's snapshot (hw/ide/ide-state.c): a PIO read cut in the middle of its first
 * block and an ATAPI IDENTIFY PACKET pending on the other channel go on in a second controller that
 * loaded the first one's section; a section saved with other media, cut short, or with a PIO place
 * outside the buffer is refused and leaves the controller as it was. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "hw/ide/ide-int.h"
#include "hw/ide/ide-rig.h"
#include "migration/vmstate.h"

static void taskfile(struct rig *r, uint32_t lba, unsigned count)
{
    rig_out(r, 0x1f2, count, 1);
    rig_out(r, 0x1f3, lba & 0xff, 1);
    rig_out(r, 0x1f4, (lba >> 8) & 0xff, 1);
    rig_out(r, 0x1f5, (lba >> 16) & 0xff, 1);
    rig_out(r, 0x1f6, 0x40, 1);
}

/* Save r's controller into w (one section, as the board writes it). */
static void save(struct rig *r, struct vms_writer *w)
{
    vms_writer_init(w);
    vms_begin(w, VMS_TAG('I', 'D', 'E', ' '), 0);
    ide_save(r->c, w);
    vms_end(w);
    assert_int_equal(vms_finish(w), 0);
    assert_int_equal(w->err, 0);
}

/* Load the section in buf (len bytes of the list) into r; the loader's answer. */
static int load(struct rig *r, const uint8_t *buf, size_t len)
{
    static struct vms_index idx;
    const char *why;
    if (vms_index_build(buf, len, &idx, &why) < 0)
        return -EINVAL;
    struct vms_reader rd;
    vms_reader_init(&rd, &idx.s[0]);
    return ide_load(r->c, &rd);
}

static void test_pio_goes_on(void **state)
{
    (void)state;
    struct rig a, b;
    assert_int_equal(rig_init(&a, 4096, 64), 0);
    assert_int_equal(rig_init(&b, 4096, 64), 0);
    taskfile(&a, 20, 2);
    rig_out(&a, 0x1f7, 0x20, 1);                       /* READ SECTORS: 2 blocks */
    uint16_t w[512];
    for (int i = 0; i < 100; i++)
        w[i] = (uint16_t)rig_in(&a, 0x1f0, 2);
    rig_out(&a, 0x176, 0xa0, 1);
    rig_out(&a, 0x177, 0xa1, 1);                       /* IDENTIFY PACKET DEVICE on the CD */
    struct vms_writer sw;
    save(&a, &sw);
    assert_int_equal(load(&b, sw.buf, sw.len), 0);
    assert_int_equal(b.irq[1], a.irq[1]);              /* the line follows the loaded INTRQ */
    for (int i = 100; i < 512; i++)
        w[i] = (uint16_t)rig_in(&b, 0x1f0, 2);
    assert_memory_equal(w, a.disk.data + 20 * 512, 1024);
    assert_int_equal(rig_in(&b, 0x1f7, 1), ST_DRDY | ST_DSC);
    uint16_t id[256], ida[256];
    for (int i = 0; i < 256; i++) {
        id[i] = (uint16_t)rig_in(&b, 0x170, 2);
        ida[i] = (uint16_t)rig_in(&a, 0x170, 2);
    }
    assert_memory_equal(id, ida, sizeof(id));
    assert_int_equal(id[0] >> 14, 2);                  /* ATAPI */
    vms_writer_free(&sw);
    rig_free(&a);
    rig_free(&b);
}

static void test_refused(void **state)
{
    (void)state;
    struct rig a, other, nocd, b;
    assert_int_equal(rig_init(&a, 4096, 64), 0);
    assert_int_equal(rig_init(&other, 2048, 64), 0);
    assert_int_equal(rig_init(&nocd, 4096, 0), 0);
    assert_int_equal(rig_init(&b, 4096, 64), 0);
    taskfile(&a, 20, 1);
    rig_out(&a, 0x1f7, 0x20, 1);
    struct vms_writer sw;
    save(&a, &sw);
    assert_int_equal(load(&other, sw.buf, sw.len), -EINVAL);   /* another disk size */
    assert_int_equal(load(&nocd, sw.buf, sw.len), -EINVAL);    /* no CD where one was */
    assert_int_equal(rig_in(&nocd, 0x1f7, 1), ST_DRDY | ST_DSC);   /* untouched */
    /* Cut short: the section's length says fewer bytes (12 bytes of header: tag, instance, length). */
    uint8_t *cut = malloc(sw.len);
    memcpy(cut, sw.buf, sw.len);
    uint32_t len = (uint32_t)vms_le_get(cut + 8, 4);
    for (uint32_t k = 1; k < len; k += len / 7 + 1) {
        memcpy(cut, sw.buf, sw.len);
        vms_le_put(cut + 8, len - k, 4);
        memcpy(cut + 12 + len - k, "END \0\0\0\0\0\0\0\0", 12);
        assert_int_equal(load(&b, cut, 12 + len - k + 12), -EINVAL);
    }
    /* The first drive's PIO end past the buffer: 1 version + 16 + 4 channel bytes, then the drive's
     * 15 flag bytes, its size (8) and pos (4): end is at 12 + 1 + 20 + 15 + 8 + 4. */
    memcpy(cut, sw.buf, sw.len);
    vms_le_put(cut + 12 + 1 + 20 + 15 + 8 + 4, IDE_BUF_SIZE + 1, 4);
    assert_int_equal(load(&b, cut, sw.len), -EINVAL);
    memcpy(cut, sw.buf, sw.len);
    assert_int_equal(load(&b, cut, sw.len), 0);        /* the untouched copy still loads */
    free(cut);
    vms_writer_free(&sw);
    rig_free(&a);
    rig_free(&other);
    rig_free(&nocd);
    rig_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pio_goes_on),
        cmocka_unit_test(test_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
