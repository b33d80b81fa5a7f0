/* Unit tests of a vCPU's section in a state file (machine/snapshot-cpu.c): every field round-trips;
 * a short or long section, too many MSRs, and values no CPU can hold (reserved CR0/CR4/RFLAGS bits,
 * an unknown MP state) are refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <string.h>
#include <cmocka.h>

#include "machine/snapshot.h"

static void sample(struct cpu_state *s, struct fpu_state *f, struct vcpu_arch_state *a)
{
    memset(s, 0, sizeof(*s));
    memset(f, 0, sizeof(*f));
    memset(a, 0, sizeof(*a));
    for (int i = 0; i < 16; i++)
        s->gpr[i] = 0x1111111111111111ull * (uint64_t)(i + 1);
    s->rip = 0xffffffff81000000ull;
    s->rflags = 0x246;
    s->seg[SEG_CS] = (struct seg_state){ .base = 0, .limit = 0xffffffff, .selector = 0x10, .type = 11,
                                         .s = 1, .present = 1, .l = 1, .g = 1 };
    s->seg[SEG_TR] = (struct seg_state){ .base = 0xfffffe0000003000ull, .limit = 0x4087, .selector = 0x40,
                                         .type = 11, .present = 1 };
    s->gdt = (struct dtable_state){ 0xfffffe0000001000ull, 0x7f };
    s->cr0 = 0x80050033;
    s->cr3 = 0x1234000;
    s->cr4 = 0x3606f0;
    s->efer = 0xd01;
    s->apic_base = 0xfee00900;
    f->fcw = 0x37f;
    f->st[3][9] = 0x40;
    f->xmm[15][0] = 0xaa;
    f->mxcsr = 0x1f80;
    a->xcr0 = 3;
    a->dr[7] = 0x400;
    a->nmsrs = 2;
    a->msrs[0] = (struct vcpu_msr){ 0xc0000082, 0xffffffff81a00000ull };
    a->msrs[1] = (struct vcpu_msr){ 0x10, 123456789 };
    a->mp_state = VCPU_MP_HALTED;
    a->nmi_masked = true;
}

static int decode(struct vms_writer *w, struct cpu_state *s, struct fpu_state *f, struct vcpu_arch_state *a)
{
    struct vms_section sec = { .data = w->buf, .len = (uint32_t)w->len };
    struct vms_reader r;
    vms_reader_init(&r, &sec);
    return snapshot_cpu_get(&r, s, f, a);
}

static void test_roundtrip(void **state)
{
    (void)state;
    struct cpu_state s, s2;
    struct fpu_state f, f2;
    struct vcpu_arch_state a, a2;
    sample(&s, &f, &a);
    struct vms_writer w;
    vms_writer_init(&w);
    snapshot_cpu_put(&w, &s, &f, &a);
    memset(&s2, 0, sizeof(s2));
    memset(&f2, 0, sizeof(f2));
    memset(&a2, 0, sizeof(a2));
    assert_int_equal(decode(&w, &s2, &f2, &a2), 0);
    assert_memory_equal(&s, &s2, sizeof(s));
    assert_memory_equal(&f, &f2, sizeof(f));
    assert_memory_equal(&a, &a2, sizeof(a));
    w.len--;                                         /* one byte short */
    assert_int_equal(decode(&w, &s2, &f2, &a2), -EINVAL);
    vms_writer_free(&w);
}

static void test_refused(void **state)
{
    (void)state;
    struct cpu_state s;
    struct fpu_state f;
    struct vcpu_arch_state a;
    for (int k = 0; k < 4; k++) {
        sample(&s, &f, &a);
        if (k == 0) s.cr0 |= 1ull << 32;
        if (k == 1) s.rflags |= 1ull << 40;
        if (k == 2) a.mp_state = 7;
        struct vms_writer w;
        vms_writer_init(&w);
        snapshot_cpu_put(&w, &s, &f, &a);
        if (k == 3)
            vms_put_u8(&w, 0);                       /* one byte too many */
        assert_int_equal(decode(&w, &s, &f, &a), -EINVAL);
        vms_writer_free(&w);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip),
        cmocka_unit_test(test_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
