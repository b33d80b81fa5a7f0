/* Unit tests for boot/smbios.c: the structures are walked as a firmware or dmidecode walks them
 * (formatted length, then strings up to a double NUL): every structure well formed with a unique
 * handle, the types in QEMU's order, the entry point's count, length and largest structure right,
 * the fields that say what the VM is (sockets, cores, RAM in DIMMs and ranges) as built. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <errno.h>

#include "boot/smbios.h"

#define GIB (1ull << 30)
#define MAX_SEEN 600

struct seen {
    const uint8_t *s[MAX_SEEN];     /* each structure */
    size_t size[MAX_SEEN];          /* with its strings */
    int n;
};

static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t get32(const uint8_t *p) { return get16(p) | (uint32_t)get16(p + 2) << 16; }
static uint64_t get64(const uint8_t *p) { return get32(p) | (uint64_t)get32(p + 4) << 32; }

/* String number n of structure s (1-based); NULL for 0 or past the last. */
static const char *string_of(const uint8_t *s, uint8_t n)
{
    const char *p = (const char *)s + s[1];
    if (!n)
        return NULL;
    while (--n) {
        if (!*p)
            return NULL;
        p += strlen(p) + 1;
    }
    return *p ? p : NULL;
}

static void walk(const struct smbios_fw_files *f, struct seen *w)
{
    size_t off = 0, max = 0;
    w->n = 0;
    while (off < f->tables_len) {
        const uint8_t *s = f->tables + off;
        assert_true(off + 4 <= f->tables_len);
        assert_true(s[1] >= 4);
        size_t end = off + s[1];
        assert_true(end + 2 <= f->tables_len);
        if (f->tables[end] == 0 && f->tables[end + 1] == 0) {
            end += 2;                               /* no strings */
        } else {
            while (!(f->tables[end] == 0 && f->tables[end + 1] == 0)) {
                end++;
                assert_true(end + 1 < f->tables_len);
            }
            end += 2;
        }
        assert_true(w->n < MAX_SEEN);
        for (int i = 0; i < w->n; i++)
            assert_int_not_equal(get16(w->s[i] + 2), get16(s + 2));
        w->s[w->n] = s;
        w->size[w->n++] = end - off;
        if (end - off > max)
            max = end - off;
        off = end;
        if (s[0] == 127)
            break;
    }
    assert_int_equal(off, f->tables_len);
    const uint8_t *a = f->anchor;
    assert_memory_equal(a, "_SM_", 4);
    assert_int_equal(a[5], SMBIOS_ANCHOR_LEN);
    assert_int_equal(a[6], 2);
    assert_memory_equal(a + 16, "_DMI_", 5);
    assert_int_equal(get16(a + 22), f->tables_len);
    assert_int_equal(get16(a + 28), w->n);
    assert_int_equal(get16(a + 8), max);
}

static const uint8_t *find(const struct seen *w, uint8_t type, int nth)
{
    for (int i = 0; i < w->n; i++)
        if (w->s[i][0] == type && nth-- == 0)
            return w->s[i];
    return NULL;
}

static int count(const struct seen *w, uint8_t type)
{
    int n = 0;
    while (find(w, type, n))
        n++;
    return n;
}

static void test_small_vm(void **state)
{
    (void)state;
    struct smbios_fw_files *f = malloc(sizeof(*f));
    struct seen *w = malloc(sizeof(*w));
    assert_non_null(f);
    assert_non_null(w);
    struct smbios_board b = { .sockets = 2, .cores = 2, .threads = 1, .cpu_signature = 0x906ed,
                              .cpu_features = 0x0f8bfbff, .ram_below_4g = 2 * GIB };
    memset(b.uuid, 0xab, 16);
    assert_int_equal(smbios_build(f, &b), 0);
    walk(f, w);
    static const uint8_t order[] = { 1, 3, 4, 4, 16, 17, 19, 32, 127 };
    assert_int_equal(w->n, (int)sizeof(order));
    for (int i = 0; i < w->n; i++)
        assert_int_equal(w->s[i][0], order[i]);

    const uint8_t *t1 = find(w, 1, 0);
    assert_string_equal(string_of(t1, t1[4]), "vmon");
    assert_memory_equal(t1 + 8, b.uuid, 16);
    const uint8_t *t4 = find(w, 4, 1);
    assert_int_equal(get16(t4 + 2), 0x401);
    assert_string_equal(string_of(t4, t4[4]), "CPU 1");
    assert_int_equal(get32(t4 + 8), 0x906ed);
    assert_int_equal(get32(t4 + 12), 0x0f8bfbff);
    assert_int_equal(t4[35], 2);                      /* cores */
    assert_int_equal(t4[37], 2);                      /* threads */
    const uint8_t *t16 = find(w, 16, 0);
    assert_int_equal(get32(t16 + 7), 2 * GIB / 1024);
    assert_int_equal(get16(t16 + 13), 1);
    const uint8_t *t17 = find(w, 17, 0);
    assert_int_equal(get16(t17 + 4), get16(t16 + 2)); /* in that array */
    assert_int_equal(get16(t17 + 12), 2048);          /* MiB */
    assert_string_equal(string_of(t17, t17[16]), "DIMM 0");
    const uint8_t *t19 = find(w, 19, 0);
    assert_int_equal(get32(t19 + 4), 0);
    assert_int_equal(get32(t19 + 8), 2 * GIB / 1024 - 1);
    assert_int_equal(find(w, 127, 0)[1], 4);
    free(f);
    free(w);
}

static void test_ram_above_4g(void **state)
{
    (void)state;
    struct smbios_fw_files *f = malloc(sizeof(*f));
    struct seen *w = malloc(sizeof(*w));
    assert_non_null(f);
    assert_non_null(w);
    const struct smbios_board b = { .sockets = 1, .cores = 4, .threads = 2,
                                    .ram_below_4g = 3 * GIB, .ram_above_4g = 17 * GIB };
    assert_int_equal(smbios_build(f, &b), 0);
    walk(f, w);
    assert_int_equal(count(w, 4), 1);
    assert_int_equal(find(w, 4, 0)[37], 8);
    assert_int_equal(count(w, 17), 2);               /* 16 GiB + 4 GiB */
    assert_int_equal(get16(find(w, 17, 0) + 12), 16384);
    assert_int_equal(get16(find(w, 17, 1) + 12), 4096);
    assert_int_equal(count(w, 19), 2);
    const uint8_t *hi = find(w, 19, 1);
    assert_int_equal(get32(hi + 4), 4 * GIB / 1024);
    assert_int_equal(get32(hi + 8), 21 * GIB / 1024 - 1);
    free(f);
    free(w);
}

/* 8 TiB: 512 DIMMs of 16 GiB, the array's capacity and the addresses past 4 TiB in the extended
 * fields. */
static void test_huge_ram(void **state)
{
    (void)state;
    struct smbios_fw_files *f = malloc(sizeof(*f));
    struct seen *w = malloc(sizeof(*w));
    assert_non_null(f);
    assert_non_null(w);
    const struct smbios_board b = { .sockets = 1, .cores = 1, .threads = 1,
                                    .ram_below_4g = 3 * GIB, .ram_above_4g = 8189 * GIB };
    assert_int_equal(smbios_build(f, &b), 0);
    walk(f, w);
    assert_int_equal(count(w, 17), 512);
    const uint8_t *d = find(w, 17, 0);
    assert_int_equal(get16(d + 12), 16384);
    assert_int_equal(get16(find(w, 17, 511) + 2), 0x1100 + 511);
    const uint8_t *t16 = find(w, 16, 0);
    assert_int_equal(get32(t16 + 7), 0x80000000u);
    assert_true(get64(t16 + 15) == 8192 * GIB);
    const uint8_t *hi = find(w, 19, 1);
    assert_int_equal(get32(hi + 4), 0xffffffffu);
    assert_true(get64(hi + 15) == 4 * GIB);
    assert_true(get64(hi + 23) == 8193 * GIB - 1);
    free(f);
    free(w);
}

static void test_bad_boards(void **state)
{
    (void)state;
    struct smbios_fw_files *f = malloc(sizeof(*f));
    assert_non_null(f);
    const struct smbios_board ok = { .sockets = 1, .cores = 1, .threads = 1, .ram_below_4g = GIB };
    struct smbios_board b = ok;
    b.sockets = 0;
    assert_int_equal(smbios_build(f, &b), -EINVAL);
    b = ok;
    b.sockets = SMBIOS_MAX_SOCKETS + 1;
    assert_int_equal(smbios_build(f, &b), -EINVAL);
    b = ok;
    b.ram_below_4g = 0;
    assert_int_equal(smbios_build(f, &b), -EINVAL);
    b = ok;
    b.ram_below_4g = 5 * GIB;
    assert_int_equal(smbios_build(f, &b), -EINVAL);
    b = ok;
    b.ram_above_4g = 9000 * GIB;                     /* more DIMMs than described */
    assert_int_equal(smbios_build(f, &b), -EINVAL);
    b = ok;
    b.sockets = SMBIOS_MAX_SOCKETS;                  /* the most: fits */
    assert_int_equal(smbios_build(f, &b), 0);
    free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_small_vm),
        cmocka_unit_test(test_ram_above_4g),
        cmocka_unit_test(test_huge_ram),
        cmocka_unit_test(test_bad_boards),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
