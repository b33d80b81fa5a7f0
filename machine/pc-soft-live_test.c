/* The platform on the real event loop and real threads: the LAPIC timer and the PIT (through the
 * IOAPIC) fire at host-clock rates while two "vCPU" threads sleep until kicked, take interrupts, EOI
 * them and IPI each other, and a "device" thread pulses an IOAPIC line and a PIC line (ExtINT through
 * the BSP's LINT0) at the same time. Checks rates against the host clock and that nothing deadlocks
 * (run it under -fsanitize=thread to check the locking too). A busy host delays the event loop and
 * the threads as it likes, and late ticks coalesce: so it runs until every source has delivered
 * enough (not for a fixed time), never more ticks than time may pass, and only a deadline of many
 * seconds, far beyond any scheduling delay, counts as a hang. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "hw/apic-int.h"
#include "util/eventloop.h"
#include "machine/fake-vm_test.h"
#include "hw/ioapic.h"
#include "machine/pc-soft.h"
#include "machine/vm.h"

#define TICKS 200              /* LAPIC timer and PIT ticks to see: 200 ms on an idle host */
#define DEADLINE_NS 30000000000ull

struct cpu {
    struct vm *vm;
    int index;
    pthread_mutex_t m;
    pthread_cond_t c;
    bool kicked;
    _Atomic int count[256];     /* read by the test thread while the run goes on */
};

static struct cpu cpus[2];
static _Atomic bool stop;

static void kick(struct vcpu *v)
{
    struct cpu *c = &cpus[v->id];
    pthread_mutex_lock(&c->m);
    c->kicked = true;
    pthread_cond_signal(&c->c);
    pthread_mutex_unlock(&c->m);
}

static const struct accel_ops fake_accel = { .name = "fake", .vcpu_kick = kick };

/* What the soft CPU does around hlt with IF=1: sleep until kicked or the hint is up, then take
 * every deliverable interrupt. */
static void *cpu_thread(void *opaque)
{
    struct cpu *c = opaque;
    struct lapic *l = c->vm->vcpus[c->index].lapic.dev;
    while (!atomic_load(&stop)) {
        pthread_mutex_lock(&c->m);
        while (!c->kicked && !lapic_irq_hint(l) && !atomic_load(&stop)) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_nsec += 10000000;
            if (ts.tv_nsec >= 1000000000) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000;
            }
            pthread_cond_timedwait(&c->c, &c->m, &ts);
        }
        c->kicked = false;
        pthread_mutex_unlock(&c->m);
        int v;
        while ((v = lapic_get_interrupt(l)) >= 0) {
            c->count[v]++;
            if (v == 0x33) {                        /* the PIC's IRQ3: EOI to the 8259 */
                bus_write(&c->vm->pio, 0x20, 0x20, 1);
                continue;
            }
            lapic_mmio_write(l, APIC_REG_EOI, 0, 4);
            if (c->index == 1 && v == 0x30) {      /* each PIT tick: an IPI to CPU 0 */
                lapic_mmio_write(l, APIC_REG_ICR_HI, 0, 4);
                lapic_mmio_write(l, APIC_REG_ICR_LO, 0x50, 4);
            }
        }
    }
    return NULL;
}

static _Atomic int pulses;

/* A device raising edges on ISA IRQ 1 (IOAPIC pin 1 -> CPU 1) and IRQ 3 (PIC -> BSP's LINT0). */
static void *device_thread(void *opaque)
{
    struct pc_soft *ps = opaque;
    while (!atomic_load(&stop)) {
        for (unsigned irq = 1; irq <= 3; irq += 2) {
            pc_soft_set_irq(ps, irq, 1);
            pc_soft_set_irq(ps, irq, 0);
        }
        atomic_fetch_add(&pulses, 1);
        struct timespec ts = { 0, 200000 };
        nanosleep(&ts, NULL);
    }
    return NULL;
}

static void test_live_rates(void **state)
{
    (void)state;
    struct vm *vm = fake_vm_new(&fake_accel, 2);
    vm->loop = evloop_new();
    assert_non_null(vm->loop);
    struct pc_soft *ps = pc_soft_new(vm);
    assert_non_null(ps);
    struct lapic *bsp = vm->vcpus[0].lapic.dev, *ap = vm->vcpus[1].lapic.dev;

    lapic_mmio_write(ap, APIC_REG_SVR, 0x1ff, 4);
    /* IOAPIC pin 2 (PIT) -> CPU 1, vector 0x30. */
    bus_write(&vm->mmio, IOAPIC_DEFAULT_BASE, 0x15, 4);
    bus_write(&vm->mmio, IOAPIC_DEFAULT_BASE + 0x10, 1u << 24, 4);
    bus_write(&vm->mmio, IOAPIC_DEFAULT_BASE, 0x14, 4);
    bus_write(&vm->mmio, IOAPIC_DEFAULT_BASE + 0x10, 0x30, 4);
    /* IOAPIC pin 1 -> CPU 1, vector 0x41. */
    bus_write(&vm->mmio, IOAPIC_DEFAULT_BASE, 0x13, 4);
    bus_write(&vm->mmio, IOAPIC_DEFAULT_BASE + 0x10, 1u << 24, 4);
    bus_write(&vm->mmio, IOAPIC_DEFAULT_BASE, 0x12, 4);
    bus_write(&vm->mmio, IOAPIC_DEFAULT_BASE + 0x10, 0x41, 4);
    /* PIC: vectors 0x30/0x38, only IRQ3 unmasked; it reaches the BSP through LINT0 (ExtINT). */
    static const uint8_t icw[2][4] = { { 0x11, 0x30, 0x04, 0x01 }, { 0x11, 0x38, 0x02, 0x01 } };
    for (int c = 0; c < 2; c++)
        for (int i = 0; i < 4; i++)
            bus_write(&vm->pio, (c ? 0xa0 : 0x20) + (i > 0), icw[c][i], 1);
    bus_write(&vm->pio, 0x21, 0xf7, 1);
    bus_write(&vm->pio, 0xa1, 0xff, 1);

    memset(cpus, 0, sizeof(cpus));
    atomic_store(&stop, false);
    pthread_t th[2];
    for (int i = 0; i < 2; i++) {
        cpus[i].vm = vm;
        cpus[i].index = i;
        pthread_mutex_init(&cpus[i].m, NULL);
        pthread_cond_init(&cpus[i].c, NULL);
        assert_int_equal(pthread_create(&th[i], NULL, cpu_thread, &cpus[i]), 0);
    }
    assert_int_equal(evloop_start(vm->loop), 0);
    atomic_store(&pulses, 0);
    pthread_t dev;
    assert_int_equal(pthread_create(&dev, NULL, device_thread, ps), 0);

    uint64_t t0 = clock_now_ns();
    /* The BSP's LAPIC timer: periodic 1 ms (1 GHz crystal, divide by 1). */
    lapic_mmio_write(bsp, APIC_REG_TIMER_DCR, 0xb, 4);
    lapic_mmio_write(bsp, APIC_REG_LVT, (APIC_TIMER_PERIODIC << 17) | 0xec, 4);
    lapic_mmio_write(bsp, APIC_REG_TIMER_INITIAL, 1000000, 4);
    /* PIT channel 0: mode 2 at 1 kHz. */
    bus_write(&vm->pio, 0x43, 0x34, 1);
    bus_write(&vm->pio, 0x40, 1193 & 0xff, 1);
    bus_write(&vm->pio, 0x40, 1193 >> 8, 1);

    while (clock_now_ns() - t0 < DEADLINE_NS &&
           (cpus[0].count[0xec] < TICKS || cpus[1].count[0x30] < TICKS || !cpus[0].count[0x50] ||
            !cpus[1].count[0x41] || !cpus[0].count[0x33])) {
        struct timespec ts = { 0, 10000000 };
        nanosleep(&ts, NULL);
    }
    atomic_store(&stop, true);
    pthread_join(dev, NULL);
    for (int i = 0; i < 2; i++) {
        kick(&vm->vcpus[i]);
        pthread_join(th[i], NULL);
    }
    evloop_stop(vm->loop);
    uint64_t ms = (clock_now_ns() - t0) / 1000000;

    int lapic_ticks = cpus[0].count[0xec], pit_ticks = cpus[1].count[0x30], ipis = cpus[0].count[0x50];
    int n = atomic_load(&pulses), irq1 = cpus[1].count[0x41], irq3 = cpus[0].count[0x33];
    print_message("%llu ms: LAPIC timer %d, PIT %d, IPIs %d; %d device pulses: IRQ1 %d, IRQ3 %d\n",
                  (unsigned long long)ms, lapic_ticks, pit_ticks, ipis, n, irq1, irq3);
    /* Late event-loop wakeups coalesce ticks, so allow losses, never more ticks than time. */
    assert_in_range(lapic_ticks, TICKS, ms + 1);
    assert_in_range(pit_ticks, TICKS, ms + 1);
    assert_in_range(ipis, 1, pit_ticks);
    /* Edges that arrive while one is pending merge, so at most one interrupt per pulse. */
    assert_in_range(irq1, 1, n);
    assert_in_range(irq3, 1, n);
    assert_int_equal(cpus[1].count[0x33] + cpus[0].count[0x41], 0);
    assert_true(tsc_read(vm->vcpus[0].tsc) >= ms * (TSC_DEFAULT_HZ / 1000));

    pc_soft_free(ps);
    evloop_free(vm->loop);
    for (int i = 0; i < 2; i++) {
        pthread_mutex_destroy(&cpus[i].m);
        pthread_cond_destroy(&cpus[i].c);
    }
    free(vm);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_live_rates),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
