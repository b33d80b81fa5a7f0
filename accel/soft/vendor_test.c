/* The vendor setting: each place where Intel and AMD processors differ gives that vendor's result
 * (tests/isa/FINDINGS.md, "Intel and AMD"), interpreted and translated. The differential test shows
 * the host's vendor; this shows both on any host. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <cmocka.h>

#include "accel/soft/flat.h"

/* A code page, then a data page that ends the accessible regions: an access past it is #PF. */
struct env {
    uint8_t *code, *data;
    struct flat_region r[2];
};

static const enum cpu_vendor vendors[2] = { CPU_VENDOR_INTEL, CPU_VENDOR_AMD };

static int setup(void **state)
{
    static struct env e;
    e.code = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(e.code != MAP_FAILED);
    e.data = e.code + 4096;
    e.r[0] = (struct flat_region){ e.code, 4096, 0 };
    e.r[1] = (struct flat_region){ e.data, 4096, 1 };
    *state = &e;
    return 0;
}

static int teardown(void **state)
{
    struct env *e = *state;
    munmap(e->code, 3 * 4096);
    return 0;
}

/* Runs the bytes from *st as `vendor`, interpreted and translated; both must agree. Returns the
 * exception vector, or -1 when the snippet ran to its end. */
static int run_as(struct env *e, const uint8_t *bytes, size_t n, struct flat_state *st, enum cpu_vendor vendor)
{
    struct flat_state out[2];
    int vec[2];
    uint8_t data[2][4096], before[4096];
    memcpy(before, e->data, 4096);
    for (int jit = 0; jit < 2; jit++) {
        memcpy(e->data, before, 4096);
        memset(e->code, 0xcc, 4096);
        memcpy(e->code, bytes, n);
        out[jit] = *st;
        out[jit].rip = (uintptr_t)e->code;
        vec[jit] = -1;
        struct flat_cpu cpu = { .vendor = vendor, .jit = jit != 0 };
        int rc = soft_flat_run(&out[jit], e->r, 2, (uintptr_t)e->code + n, 1000, &vec[jit], &cpu);
        assert_int_equal(rc, vec[jit] < 0 ? FLAT_DONE : FLAT_FAULT);
        memcpy(data[jit], e->data, 4096);
    }
    assert_int_equal(vec[0], vec[1]);
    assert_memory_equal(out[0].gpr, out[1].gpr, sizeof(out[0].gpr));
    assert_int_equal(out[0].fsw, out[1].fsw);
    assert_int_equal(out[0].mxcsr, out[1].mxcsr);
    assert_memory_equal(data[0], data[1], 4096);
    *st = out[0];
    return vec[0];
}

static struct flat_state initial(void)
{
    struct flat_state st;
    memset(&st, 0, sizeof(st));
    st.rflags = 2;
    st.mxcsr = 0x1f80;
    st.fcw = 0x37f;
    return st;
}

/* cpuid leaf 0: the vendor string in ebx, edx, ecx */
static void test_cpuid(void **state)
{
    static const uint8_t code[] = { 0x0f, 0xa2 };
    static const char *const want[2] = { "GenuineIntel", "AuthenticAMD" };
    for (int v = 0; v < 2; v++) {
        struct flat_state st = initial();
        assert_int_equal(run_as(*state, code, sizeof(code), &st, vendors[v]), -1);
        char s[13] = { 0 };
        memcpy(s, &st.gpr[3], 4), memcpy(s + 4, &st.gpr[2], 4), memcpy(s + 8, &st.gpr[1], 4);
        assert_string_equal(s, want[v]);
    }
}

/* rep movsb with a 32-bit address size (67h) and ECX = 0: Intel zero-extends rCX, rSI and rDI,
 * AMD leaves them. */
static void test_rep_zero_count(void **state)
{
    struct env *e = *state;
    static const uint8_t code[] = { 0x67, 0xf3, 0xa4 };
    for (int v = 0; v < 2; v++) {
        struct flat_state st = initial();
        st.gpr[1] = 0xdead000000000000ull;                      /* ECX = 0 */
        st.gpr[6] = 0x1234000000000000ull | (uintptr_t)e->data;
        st.gpr[7] = 0x5678000000000000ull | (uintptr_t)e->data;
        struct flat_state in = st;
        assert_int_equal(run_as(e, code, sizeof(code), &st, vendors[v]), -1);
        bool amd = vendors[v] == CPU_VENDOR_AMD;
        assert_int_equal(st.gpr[1], amd ? in.gpr[1] : 0);
        assert_int_equal(st.gpr[6], amd ? in.gpr[6] : (uint32_t)in.gpr[6]);
        assert_int_equal(st.gpr[7], amd ? in.gpr[7] : (uint32_t)in.gpr[7]);
    }
}

/* fstp m80 whose last two bytes fall off the data region: Intel has written the first 8 bytes
 * when the #PF comes, AMD nothing. */
static void test_fstp_m80_fault(void **state)
{
    struct env *e = *state;
    static const uint8_t code[] = { 0xdb, 0x3b };                 /* fstp tword [rbx] */
    for (int v = 0; v < 2; v++) {
        struct flat_state st = initial();
        st.ftw = 1;                                             /* ST(0) valid: 1.0 */
        st.st[0][7] = 0x80, st.st[0][8] = 0xff, st.st[0][9] = 0x3f;
        st.gpr[3] = (uintptr_t)e->data + 4096 - 8;
        memset(e->data + 4096 - 8, 0x55, 8);
        assert_int_equal(run_as(e, code, sizeof(code), &st, vendors[v]), 14);
        static const uint8_t untouched[8] = { 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55 };
        static const uint8_t mant[8] = { 0, 0, 0, 0, 0, 0, 0, 0x80 };
        assert_memory_equal(e->data + 4096 - 8, vendors[v] == CPU_VENDOR_AMD ? untouched : mant, 8);
    }
}

/* movq m64, mm0 that faults: TOP is 0 on Intel, unchanged on AMD. */
static void test_mmx_store_fault(void **state)
{
    struct env *e = *state;
    static const uint8_t code[] = { 0x0f, 0x7f, 0x03 };           /* movq [rbx], mm0 */
    for (int v = 0; v < 2; v++) {
        struct flat_state st = initial();
        st.fsw = 5u << 11;
        st.gpr[3] = (uintptr_t)e->data + 4096 - 4;
        assert_int_equal(run_as(e, code, sizeof(code), &st, vendors[v]), 14);
        assert_int_equal((st.fsw >> 11) & 7, vendors[v] == CPU_VENDOR_AMD ? 5 : 0);
    }
}

/* MXCSR bit 17 (AMD's MM): ldmxcsr takes it on AMD and raises #GP on Intel; fxsave's MXCSR_MASK
 * says so. */
static void test_mxcsr_mm(void **state)
{
    struct env *e = *state;
    static const uint8_t ld[] = { 0x0f, 0xae, 0x13 };             /* ldmxcsr [rbx] */
    static const uint8_t save[] = { 0x0f, 0xae, 0x03 };           /* fxsave [rbx] */
    for (int v = 0; v < 2; v++) {
        bool amd = vendors[v] == CPU_VENDOR_AMD;
        struct flat_state st = initial();
        uint32_t val = 0x21f80, mask;
        memcpy(e->data, &val, 4);
        st.gpr[3] = (uintptr_t)e->data;
        assert_int_equal(run_as(e, ld, sizeof(ld), &st, vendors[v]), amd ? -1 : 13);
        assert_int_equal(st.mxcsr, amd ? 0x21f80 : 0x1f80);
        st = initial();
        st.gpr[3] = (uintptr_t)e->data + 512;
        assert_int_equal(run_as(e, save, sizeof(save), &st, vendors[v]), -1);
        memcpy(&mask, e->data + 512 + 28, 4);
        assert_int_equal(mask, amd ? 0x2ffff : 0xffff);
    }
}

/* movsxd ax, [rbx] (66h, no REX.W) with only 2 bytes left in the region: Intel reads 2 bytes,
 * AMD 4 and faults. */
static void test_movsxd_r16(void **state)
{
    struct env *e = *state;
    static const uint8_t code[] = { 0x66, 0x63, 0x03 };
    for (int v = 0; v < 2; v++) {
        struct flat_state st = initial();
        st.gpr[0] = 0x1111111111111111ull;
        st.gpr[3] = (uintptr_t)e->data + 4096 - 2;
        e->data[4094] = 0x34, e->data[4095] = 0x92;
        bool amd = vendors[v] == CPU_VENDOR_AMD;
        assert_int_equal(run_as(e, code, sizeof(code), &st, vendors[v]), amd ? 14 : -1);
        assert_int_equal(st.gpr[0], amd ? 0x1111111111111111ull : 0x1111111111119234ull);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cpuid),
        cmocka_unit_test(test_rep_zero_count),
        cmocka_unit_test(test_fstp_m80_fault),
        cmocka_unit_test(test_mmx_store_fault),
        cmocka_unit_test(test_mxcsr_mm),
        cmocka_unit_test(test_movsxd_r16),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
