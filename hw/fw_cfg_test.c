/* fw_cfg as a guest reads it: select a key, read bytes. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "hw/fw_cfg.h"
#include "util/bytes.h"

static void select_key(struct fw_cfg *f, uint16_t key)
{
    fw_cfg_io_ops.write(f, 0, key, 2);
}

static void read_bytes(struct fw_cfg *f, uint8_t *buf, size_t n)
{
    for (size_t i = 0; i < n; i++)
        buf[i] = (uint8_t)fw_cfg_io_ops.read(f, 1, 1);
}

static void test_signature_and_id(void **state)
{
    (void)state;
    struct fw_cfg *f = fw_cfg_new();
    uint8_t b[8];
    select_key(f, FW_CFG_SIGNATURE);
    read_bytes(f, b, 6);
    assert_memory_equal(b, "QEMU\0\0", 6);     /* past the end reads 0 */
    select_key(f, FW_CFG_ID);
    read_bytes(f, b, 4);
    assert_int_equal(b[0], 1);                 /* traditional interface, no DMA */
    assert_int_equal(b[1] | b[2] | b[3], 0);
    select_key(f, 0x7ff);                      /* no such item */
    read_bytes(f, b, 2);
    assert_int_equal(b[0] | b[1], 0);
    fw_cfg_free(f);
}

static void test_integers_little_endian(void **state)
{
    (void)state;
    struct fw_cfg *f = fw_cfg_new();
    assert_int_equal(fw_cfg_add_u64(f, FW_CFG_RAM_SIZE, 0x20000000ull), 0);
    assert_int_equal(fw_cfg_add_u16(f, FW_CFG_NB_CPUS, 3), 0);
    assert_int_equal(fw_cfg_add_u16(f, FW_CFG_NB_CPUS, 4), -EEXIST);
    uint8_t b[8];
    select_key(f, FW_CFG_RAM_SIZE);
    read_bytes(f, b, 8);
    assert_memory_equal(b, "\x00\x00\x00\x20\x00\x00\x00\x00", 8);
    select_key(f, FW_CFG_NB_CPUS | 0x4000);    /* the write bit does not change the item */
    read_bytes(f, b, 2);
    assert_int_equal(b[0], 3);
    assert_int_equal(b[1], 0);
    /* The arch bit does: 0x8005 is an arch-local key of its own (none here), which reads as 0
     * (SeaBIOS reads 0x8000, QEMU's ACPI table count, expecting 0 where it is absent). */
    select_key(f, FW_CFG_NB_CPUS | 0x8000);
    read_bytes(f, b, 2);
    assert_int_equal(b[0], 0);
    assert_int_equal(b[1], 0);
    /* A 4-byte read of the data port returns the next four bytes, first byte lowest. */
    select_key(f, FW_CFG_SIGNATURE);
    assert_int_equal(fw_cfg_io_ops.read(f, 1, 4), 0x554d4551);
    fw_cfg_free(f);
}

static void test_file_dir(void **state)
{
    (void)state;
    struct fw_cfg *f = fw_cfg_new();
    uint8_t b[4 + 64 * 2];
    select_key(f, FW_CFG_FILE_DIR);
    read_bytes(f, b, 4);
    assert_int_equal(get_be32(b), 0);
    assert_int_equal(fw_cfg_add_file(f, "etc/e820", "0123456789", 10), 0);
    assert_int_equal(fw_cfg_add_file(f, "opt/vmon/test", "xy", 2), 0);
    select_key(f, FW_CFG_FILE_DIR);
    read_bytes(f, b, sizeof(b));
    assert_int_equal(get_be32(b), 2);
    assert_int_equal(get_be32(b + 4), 10);                      /* size */
    assert_int_equal(b[8] << 8 | b[9], FW_CFG_FILE_FIRST);  /* select */
    assert_string_equal((char *)b + 12, "etc/e820");
    assert_int_equal(get_be32(b + 68), 2);
    assert_int_equal(b[72] << 8 | b[73], FW_CFG_FILE_FIRST + 1);
    assert_string_equal((char *)b + 76, "opt/vmon/test");
    select_key(f, FW_CFG_FILE_FIRST + 1);
    read_bytes(f, b, 3);
    assert_memory_equal(b, "xy\0", 3);
    char longname[80];
    memset(longname, 'a', sizeof(longname) - 1);
    longname[79] = 0;
    assert_int_equal(fw_cfg_add_file(f, longname, "", 0), -ENAMETOOLONG);
    fw_cfg_free(f);
}

static void test_host_file(void **state)
{
    (void)state;
    char path[] = "/tmp/vmon-fwcfg-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    static char data[10000];
    for (size_t i = 0; i < sizeof(data); i++)
        data[i] = (char)(i * 7);
    assert_int_equal(write(fd, data, sizeof(data)), (ssize_t)sizeof(data));
    close(fd);
    struct fw_cfg *f = fw_cfg_new();
    uint64_t size = 0;
    assert_int_equal(fw_cfg_add_host_file(f, FW_CFG_KERNEL_DATA, path, &size), 0);
    assert_int_equal(size, sizeof(data));
    assert_true(fw_cfg_add_host_file(f, FW_CFG_INITRD_DATA, "/nonexistent", &size) < 0);
    select_key(f, FW_CFG_KERNEL_DATA);
    static uint8_t got[10002];
    read_bytes(f, got, sizeof(got));
    assert_memory_equal(got, data, sizeof(data));           /* across the 4 KiB read chunks */
    assert_int_equal(got[10000] | got[10001], 0);
    fw_cfg_free(f);
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_signature_and_id), cmocka_unit_test(test_integers_little_endian),
        cmocka_unit_test(test_file_dir),         cmocka_unit_test(test_host_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
