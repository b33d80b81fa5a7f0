/* Unit tests for boot/acpi-loader.c: a small linker/loader run as a firmware runs it places the two
 * files at chosen addresses; then the RSDP, RSDT, XSDT and FADT must point at the right tables there
 * and every checksum must hold. It runs twice: with SeaBIOS's ADD_CHECKSUM (romfile_loader.c: the
 * byte minus the range's sum) and with OVMF's (QemuFwCfgAcpi.c: the byte set to the negated sum of
 * the range, the byte included, so it holds only if the file had it 0). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "boot/acpi-loader.h"
#include "boot/loader.h"

#define RSDP_AT   0x000f5a40u
#define TABLES_AT 0x7ffe0000u

struct placed {
    uint8_t rsdp[36];
    uint8_t tables[ACPI_FW_TABLES_MAX];
};

static uint8_t *file_of(struct placed *p, const char *name, uint32_t *addr, size_t *len,
                        const struct acpi_fw_files *a)
{
    if (!strcmp(name, ACPI_FW_RSDP)) {
        *addr = RSDP_AT;
        *len = sizeof(p->rsdp);
        return p->rsdp;
    }
    assert_string_equal(name, ACPI_FW_TABLES);
    *addr = TABLES_AT;
    *len = a->tables_len;
    return p->tables;
}

static uint8_t sum8(const uint8_t *b, size_t len)
{
    uint8_t s = 0;
    while (len--)
        s += *b++;
    return s;
}

/* Run the loader's commands over copies of the files; allocation happens before use. */
enum checksum_style { SEABIOS, OVMF };

static void run_loader(const struct acpi_fw_files *a, struct placed *p, enum checksum_style style)
{
    int allocated = 0;
    memcpy(p->rsdp, a->rsdp, sizeof(p->rsdp));
    memcpy(p->tables, a->tables, a->tables_len);
    assert_int_equal(a->loader_len % 128, 0);
    for (size_t off = 0; off < a->loader_len; off += 128) {
        const uint8_t *c = a->loader + off;
        uint32_t cmd, addr, saddr, o, start, len;
        size_t flen, slen;
        memcpy(&cmd, c, 4);
        const char *name = (const char *)c + 4;
        assert_true(memchr(name, 0, ACPI_FW_NAME_LEN) != NULL);
        if (cmd == 1) {
            allocated++;
            continue;
        }
        assert_int_equal(allocated, 2);
        uint8_t *f = file_of(p, name, &addr, &flen, a);
        if (cmd == 2) {
            file_of(p, (const char *)c + 4 + ACPI_FW_NAME_LEN, &saddr, &slen, a);
            memcpy(&o, c + 4 + 2 * ACPI_FW_NAME_LEN, 4);
            uint8_t size = c[8 + 2 * ACPI_FW_NAME_LEN];
            assert_true(size == 4 || size == 8);
            assert_true(o + size <= flen);
            uint64_t v = 0;
            memcpy(&v, f + o, size);
            assert_true(v < slen);            /* an offset into the pointee file */
            v += saddr;
            memcpy(f + o, &v, size);
        } else {
            assert_int_equal(cmd, 3);
            memcpy(&o, c + 4 + ACPI_FW_NAME_LEN, 4);
            memcpy(&start, c + 8 + ACPI_FW_NAME_LEN, 4);
            memcpy(&len, c + 12 + ACPI_FW_NAME_LEN, 4);
            assert_true(o < flen && start <= flen && len <= flen - start);
            if (style == SEABIOS)
                f[o] = (uint8_t)(f[o] - sum8(f + start, len));
            else
                f[o] = (uint8_t)(0 - sum8(f + start, len));
        }
    }
}

static const uint8_t *at(const struct placed *p, uint64_t gpa)
{
    assert_true(gpa >= TABLES_AT && gpa < TABLES_AT + ACPI_FW_TABLES_MAX);
    return p->tables + (gpa - TABLES_AT);
}

static uint32_t len_of(const uint8_t *t)
{
    uint32_t l;
    memcpy(&l, t + 4, 4);
    return l;
}

static void check_linked_tables(enum checksum_style style)
{
    static const uint8_t ids[2] = { 0, 1 };
    struct acpi_fw_files *a = malloc(sizeof(*a));
    struct placed *p = malloc(sizeof(*p));
    assert_non_null(a);
    assert_non_null(p);
    const struct acpi_board board = { .pm_base = 0xb000, .vga = true };
    assert_int_equal(acpi_fw_build(a, ids, 2, 0, &board), 0);
    run_loader(a, p, style);

    assert_memory_equal(p->rsdp, "RSD PTR ", 8);
    assert_int_equal(sum8(p->rsdp, 20), 0);
    assert_int_equal(sum8(p->rsdp, 36), 0);
    uint32_t rsdt;
    uint64_t xsdt;
    memcpy(&rsdt, p->rsdp + 16, 4);
    memcpy(&xsdt, p->rsdp + 24, 8);
    const uint8_t *r = at(p, rsdt), *x = at(p, xsdt);
    assert_memory_equal(r, "RSDT", 4);
    assert_memory_equal(x, "XSDT", 4);
    assert_int_equal(sum8(r, len_of(r)), 0);
    assert_int_equal(sum8(x, len_of(x)), 0);
    int n = (int)(len_of(r) - 36) / 4, seen_facp = 0;
    assert_int_equal((len_of(x) - 36) / 8, n);
    for (int i = 0; i < n; i++) {
        uint32_t e32;
        uint64_t e64;
        memcpy(&e32, r + 36 + 4 * i, 4);
        memcpy(&e64, x + 36 + 8 * i, 8);
        assert_int_equal(e32, e64);
        const uint8_t *t = at(p, e32);
        assert_int_equal(sum8(t, len_of(t)), 0);
        if (memcmp(t, "FACP", 4))
            continue;
        seen_facp = 1;
        uint32_t facs, dsdt;
        uint64_t xdsdt;
        memcpy(&facs, t + 36, 4);
        memcpy(&dsdt, t + 40, 4);
        memcpy(&xdsdt, t + 140, 8);
        assert_int_equal(dsdt, xdsdt);
        assert_memory_equal(at(p, facs), "FACS", 4);
        assert_int_equal(facs % 64, 0);
        assert_memory_equal(at(p, dsdt), "DSDT", 4);
        assert_int_equal(sum8(at(p, dsdt), len_of(at(p, dsdt))), 0);
    }
    assert_true(seen_facp);
    /* The tables file holds no second RSDP for an OS's scan to find. */
    assert_null(memmem(p->tables, a->tables_len, "RSD PTR ", 8));
    free(a);
    free(p);
}

static void test_linked_seabios(void **state)
{
    (void)state;
    check_linked_tables(SEABIOS);
}

static void test_linked_ovmf(void **state)
{
    (void)state;
    check_linked_tables(OVMF);
}

static void test_bad_cpu_count(void **state)
{
    (void)state;
    static const uint8_t ids[1] = { 0 };
    struct acpi_fw_files *a = malloc(sizeof(*a));
    assert_non_null(a);
    assert_true(acpi_fw_build(a, ids, 0, 0, &(struct acpi_board){ .pm_base = 0xb000 }) < 0);
    free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_linked_seabios),
        cmocka_unit_test(test_linked_ovmf),
        cmocka_unit_test(test_bad_cpu_count),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
