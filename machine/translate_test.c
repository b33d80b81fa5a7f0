/* The page-table walk of info translate on page tables built in fake guest RAM: paging off, 32-bit
 * (4 KiB and PSE 4 MiB pages), PAE, 4-level (4 KiB, 2 MiB, 1 GiB), 5-level, a non-canonical address,
 * a missing entry, the flag names; and /proc/self/pagemap entries decoded (util/pagemap.c). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "machine/vm.h"
#include "util/pagemap.h"

static struct vm vm;

static void put(uint64_t gpa, uint64_t v, unsigned size)
{
    assert_int_equal(guest_mem_write(&vm.mem, gpa, &v, size), 0);
}

static int setup(void **state)
{
    (void)state;
    memset(&vm, 0, sizeof(vm));
    return guest_mem_init(&vm.mem, 16 << 20);
}

static int teardown(void **state)
{
    (void)state;
    guest_mem_destroy(&vm.mem);
    return 0;
}

static void test_paging_off(void **state)
{
    (void)state;
    struct cpu_state s = { .cr0 = 0x11 };
    struct vm_xlat x;
    assert_int_equal(vm_translate_walk(&vm, &s, 0x123456, &x), 0);
    assert_int_equal(x.mode, VM_PAGING_NONE);
    assert_int_equal(x.nlevels, 0);
    assert_int_equal(x.gpa, 0x123456);
}

static void test_32bit(void **state)
{
    (void)state;
    struct cpu_state s = { .cr0 = 0x80000011, .cr3 = 0x10000 };
    put(0x10000 + 1 * 4, 0x11000 | 0x27, 4);          /* PDE[1] -> PT at 0x11000: P RW US A */
    put(0x11000 + 2 * 4, 0x345000 | 0x61, 4);         /* PTE[2]: P A D */
    struct vm_xlat x;
    assert_int_equal(vm_translate_walk(&vm, &s, 0x402abc, &x), 0);
    assert_int_equal(x.mode, VM_PAGING_32);
    assert_int_equal(x.nlevels, 2);
    assert_string_equal(x.level[0].name, "PDE");
    assert_int_equal(x.level[1].index, 2);
    assert_true(x.level[1].leaf);
    assert_int_equal(x.gpa, 0x345abc);
    const char *f[12];
    assert_int_equal(vm_xlat_flags(&x, &x.level[1], f, 12), 3);
    assert_string_equal(f[2], "D");
    /* PSE: a 4 MiB page, bits 13-20 of the PDE are physical bits 32-39 */
    s.cr4 = 0x10;
    put(0x10000 + 3 * 4, 0x00c00000 | (1u << 13) | 0x83, 4);
    assert_int_equal(vm_translate_walk(&vm, &s, 0x00c12345, &x), 0);
    assert_int_equal(x.nlevels, 1);
    assert_int_equal(x.page_size, 4 << 20);
    assert_int_equal(x.gpa, 0x100c12345ull);
    /* without CR4.PSE the PS bit is ignored: the PDE points at a table (empty here) */
    s.cr4 = 0;
    assert_int_equal(vm_translate_walk(&vm, &s, 0x00c12345, &x), -EFAULT);
    assert_int_equal(x.nlevels, 2);
    assert_int_equal(x.level[1].table, 0xc02000);
}

static void test_pae(void **state)
{
    (void)state;
    struct cpu_state s = { .cr0 = 0x80000011, .cr4 = 0x20, .cr3 = 0x20020 };
    put(0x20020 + 2 * 8, 0x21000 | 1, 8);             /* PDPTE[2] */
    put(0x21000 + 1 * 8, 0x600000 | 0x83 | (1ull << 63), 8);   /* PDE[1]: 2 MiB, XD */
    struct vm_xlat x;
    assert_int_equal(vm_translate_walk(&vm, &s, 0x80212345, &x), 0);
    assert_int_equal(x.mode, VM_PAGING_PAE);
    assert_int_equal(x.nlevels, 2);
    assert_string_equal(x.level[0].name, "PDPTE");
    assert_int_equal(x.level[0].index, 2);
    assert_int_equal(x.gpa, 0x612345);
    const char *f[12];
    int n = vm_xlat_flags(&x, &x.level[1], f, 12);
    assert_string_equal(f[n - 1], "XD");
    assert_string_equal(f[n - 2], "PS");
}

/* PML4 at 0x30000 (or PML5 at 0x2f000 above it), PDPT 0x31000, PD 0x32000, PT 0x33000. */
static void long_tables(void)
{
    put(0x2f000 + 0x1ff * 8, 0x30000 | 3, 8);         /* PML5E[511] */
    put(0x30000 + 0x1ff * 8, 0x31000 | 3, 8);         /* PML4E[511] */
    put(0x31000 + 0x1fe * 8, 0x32000 | 3, 8);         /* PDPTE[510] */
    put(0x31000 + 0x1ff * 8, 0x40000000 | 0x83, 8);   /* PDPTE[511]: 1 GiB */
    put(0x32000 + 0 * 8, 0x33000 | 3, 8);             /* PDE[0] */
    put(0x32000 + 1 * 8, 0x200000 | 0x183, 8);        /* PDE[1]: 2 MiB, G */
    put(0x33000 + 5 * 8, 0x777000 | 0x3, 8);          /* PTE[5] */
}

static void test_4level(void **state)
{
    (void)state;
    long_tables();
    struct cpu_state s = { .cr0 = 0x80000011, .cr4 = 0x20, .cr3 = 0x30000, .efer = 0x500 };
    struct vm_xlat x;
    uint64_t base = 0xffffffff80000000ull;           /* PML4 511, PDPT 510 */
    assert_int_equal(vm_translate_walk(&vm, &s, base + 0x5123, &x), 0);
    assert_int_equal(x.mode, VM_PAGING_4LEVEL);
    assert_int_equal(x.nlevels, 4);
    assert_string_equal(x.level[0].name, "PML4E");
    assert_string_equal(x.level[3].name, "PTE");
    assert_int_equal(x.gpa, 0x777123);
    uint64_t phys;
    assert_int_equal(vm_translate(&vm, &s, base + 0x5123, &phys), 0);
    assert_int_equal(phys, 0x777123);
    assert_int_equal(vm_translate_walk(&vm, &s, base + 0x212345, &x), 0);
    assert_int_equal(x.nlevels, 3);
    assert_int_equal(x.page_size, 2 << 20);
    assert_int_equal(x.gpa, 0x212345);
    const char *f[12];
    int n = vm_xlat_flags(&x, &x.level[2], f, 12);
    assert_string_equal(f[n - 1], "G");
    assert_int_equal(vm_translate_walk(&vm, &s, 0xffffffffc0001234ull, &x), 0);   /* 1 GiB */
    assert_int_equal(x.nlevels, 2);
    assert_int_equal(x.gpa, 0x40001234);
    assert_int_equal(vm_translate_walk(&vm, &s, base + 0x6000, &x), -EFAULT);    /* PTE[6] empty */
    assert_int_equal(x.nlevels, 4);
    assert_string_equal(x.fault, "not present");
    assert_int_equal(vm_translate(&vm, &s, base + 0x6000, &phys), -1);
    assert_int_equal(vm_translate_walk(&vm, &s, 0x0000800000000000ull, &x), -EFAULT);
    assert_string_equal(x.fault, "not canonical");
    assert_int_equal(x.nlevels, 0);
    s.cr3 = 0xff0000;                                 /* zeroed RAM */
    assert_int_equal(vm_translate_walk(&vm, &s, 0x1000, &x), -EFAULT);
    assert_string_equal(x.fault, "not present");      /* RAM reads zero there... */
    s.cr3 = 0x7fff0000000ull;                         /* ...and outside it cannot be read */
    assert_int_equal(vm_translate_walk(&vm, &s, 0x1000, &x), -EFAULT);
    assert_string_equal(x.fault, "page table outside guest RAM");
}

static void test_5level(void **state)
{
    (void)state;
    long_tables();
    struct cpu_state s = { .cr0 = 0x80000011, .cr4 = 0x1020, .cr3 = 0x2f000, .efer = 0x500 };
    struct vm_xlat x;
    assert_int_equal(vm_translate_walk(&vm, &s, 0xffffffff80005123ull, &x), 0);
    assert_int_equal(x.mode, VM_PAGING_5LEVEL);
    assert_int_equal(x.nlevels, 5);
    assert_string_equal(x.level[0].name, "PML5E");
    assert_int_equal(x.gpa, 0x777123);
    /* canonical under 4-level rules but not 57-bit ones */
    assert_int_equal(vm_translate_walk(&vm, &s, 0x0100000000000000ull, &x), -EFAULT);
    assert_string_equal(x.fault, "not canonical");
}

static void test_pagemap(void **state)
{
    (void)state;
    uint64_t hpa = 0;
    char why[128];
    assert_int_equal(pagemap_decode((1ull << 63) | 0x1234, 0x7f0000000abc, 4096, &hpa, why, sizeof(why)), 0);
    assert_int_equal(hpa, 0x1234abc);
    assert_int_equal(pagemap_decode(1ull << 63, 0, 4096, &hpa, why, sizeof(why)), -1);
    assert_non_null(strstr(why, "CAP_SYS_ADMIN"));
    assert_int_equal(pagemap_decode(0, 0, 4096, &hpa, why, sizeof(why)), -1);
    assert_non_null(strstr(why, "never touched"));
    assert_int_equal(pagemap_decode(1ull << 62, 0, 4096, &hpa, why, sizeof(why)), -1);
    assert_string_equal(why, "swapped out");
    assert_int_equal(pagemap_lookup("/nonexistent/pagemap", &hpa, &hpa, why, sizeof(why)), -1);
    assert_non_null(strstr(why, "No such file"));
    /* the real file answers for a page this test wrote: an address or a reason */
    static char page[4096] = { 1 };
    why[0] = 0;
    int r = pagemap_lookup("/proc/self/pagemap", page, &hpa, why, sizeof(why));
    assert_true(r == 0 ? hpa % 4096 == (uintptr_t)page % 4096 : why[0] != 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_paging_off, setup, teardown),
        cmocka_unit_test_setup_teardown(test_32bit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pae, setup, teardown),
        cmocka_unit_test_setup_teardown(test_4level, setup, teardown),
        cmocka_unit_test_setup_teardown(test_5level, setup, teardown),
        cmocka_unit_test(test_pagemap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
