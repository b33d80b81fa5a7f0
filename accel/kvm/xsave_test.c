/* KVM snapshots keep the XSAVE area (accel/kvm/snapshot.c): with XCR0 enabling AVX, the AVX
 * registers' upper halves written into a vCPU come back from get_arch, go through a VM state
 * section (machine/snapshot-cpu.c) and into a second vCPU with set_arch; a file holding them is
 * refused by the soft CPU, which has no such registers. No guest code runs. Skipped (77) where
 * /dev/kvm cannot be opened or KVM offers this guest no AVX. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "accel/accel.h"
#include "machine/snapshot.h"
#include "machine/vm.h"
#include "migration/vmstate.h"
#include "util/bytes.h"

#define YMM_H 576                /* SDM vol. 1 13.5.3: the upper halves in the standard format */

static int init_vm(struct vm *vm, const struct accel_ops *ops)
{
    struct vm_config cfg = { .mem_size = 16 << 20, .ncpus = 1, .accel = ops->name };
    char err[256];
    int r = vm_init(vm, &cfg, ops, err, sizeof(err));
    if (r < 0)
        fprintf(stderr, "vm_init: %s\n", err);
    else if ((r = ops->vcpu_init(&vm->vcpus[0])) < 0)      /* as vm_run does before the first run */
        fprintf(stderr, "vcpu_init: %s\n", strerror(-r));
    return r;
}

static void fill_ymm(struct vcpu_arch_state *a)
{
    put_le64(a->xsave + 512, get_le64(a->xsave + 512) | 4);     /* XSTATE_BV: AVX state present */
    for (int i = 0; i < 256; i++)
        a->xsave[YMM_H + i] = (uint8_t)(0x5a ^ i);
}

static void test_ymm_survive(void **state)
{
    (void)state;
    static struct vm vm, vm2;
    static struct vcpu_arch_state a, b;
    if (init_vm(&vm, &kvm_accel_ops) < 0)
        skip();
    assert_int_equal(vm.accel->get_arch(&vm.vcpus[0], &a), 0);
    assert_int_equal(a.xsave_len, 0);                            /* XCR0 = 1: the FPU state says all */
    a.xcr0 = 7;
    if (vm.accel->set_arch(&vm.vcpus[0], &a) < 0) {
        fprintf(stderr, "skip: KVM refuses XCR0 = 7 for this guest: %s\n", vm.accel_err);
        vm_destroy(&vm);
        skip();
    }
    assert_int_equal(vm.accel->get_arch(&vm.vcpus[0], &a), 0);
    assert_int_equal(a.xcr0, 7);
    assert_int_equal(a.xsave_len, VCPU_XSAVE_MAX);
    fill_ymm(&a);
    assert_int_equal(vm.accel->set_arch(&vm.vcpus[0], &a), 0);
    memset(&a, 0, sizeof(a));
    assert_int_equal(vm.accel->get_arch(&vm.vcpus[0], &a), 0);
    struct vcpu_arch_state want = a;
    fill_ymm(&want);
    assert_memory_equal(a.xsave + YMM_H, want.xsave + YMM_H, 256);

    /* Through a state section, into another VM's vCPU. */
    struct cpu_state s;
    struct fpu_state f;
    assert_int_equal(vm.accel->get_state(&vm.vcpus[0], &s), 0);
    assert_int_equal(vm.accel->get_fpu(&vm.vcpus[0], &f), 0);
    struct vms_writer w;
    vms_writer_init(&w);
    vms_begin(&w, VMS_TAG_CPU, 0);
    snapshot_cpu_put(&w, &s, &f, &a);
    vms_end(&w);
    assert_int_equal(vms_finish(&w), 0);
    static struct vms_index idx;
    const char *why = NULL;
    assert_int_equal(vms_index_build(w.buf, w.len, &idx, &why), 0);
    struct vms_section *sec = vms_index_take(&idx, VMS_TAG_CPU, 0);
    assert_non_null(sec);
    struct vms_reader r;
    vms_reader_init(&r, sec);
    memset(&b, 0, sizeof(b));
    assert_int_equal(snapshot_cpu_get(&r, &s, &f, &b), 0);
    assert_int_equal(b.xsave_len, VCPU_XSAVE_MAX);
    assert_int_equal(init_vm(&vm2, &kvm_accel_ops), 0);
    assert_int_equal(vm2.accel->set_arch(&vm2.vcpus[0], &b), 0);
    memset(&b, 0, sizeof(b));
    assert_int_equal(vm2.accel->get_arch(&vm2.vcpus[0], &b), 0);
    assert_memory_equal(b.xsave + YMM_H, want.xsave + YMM_H, 256);
    vm_destroy(&vm2);

    /* The soft CPU has no upper halves: refused, not dropped. */
    assert_int_equal(init_vm(&vm2, &soft_accel_ops), 0);
    assert_true(vm2.accel->set_arch(&vm2.vcpus[0], &a) < 0);
    assert_non_null(strstr(vm2.accel_err, "AVX"));
    vm_destroy(&vm2);
    vms_writer_free(&w);
    vm_destroy(&vm);
}

int main(void)
{
    if (access("/dev/kvm", R_OK | W_OK) != 0) {
        printf("skip: /dev/kvm cannot be opened\n");
        return 77;
    }
    const struct CMUnitTest tests[] = { cmocka_unit_test(test_ymm_survive) };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
