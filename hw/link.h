/* How a device reaches the machine: small links the board fills when it creates the device, so no
 * device knows struct vm, the accelerator or the board (serial_link in hw/serial.h is the model).
 * Besides these, a device gets the bus to register on (mm/bus.h), guest memory (mm/memory.h) or the
 * event loop (util/eventloop.h) where it needs them. */
#ifndef VMON_HW_LINK_H
#define VMON_HW_LINK_H

#include <stdbool.h>
#include <stdint.h>

/* An interrupt line the device drives; the board routes it (an ISA IRQ or a GSI). Level: 0 or 1.
 * Called from the thread of the guest access or timer, possibly with the device's lock held. */
struct irq_line {
    void (*set)(void *opaque, int level);
    void *opaque;
};

static inline void irq_line_set(const struct irq_line *l, int level)
{
    if (l->set)
        l->set(l->opaque, level);
}

/* A message-signalled interrupt (PCI 3.0, 6.8): the address/data pair a device would write to
 * 0xfeexxxxx. The board delivers it to the interrupt controllers it has (the userspace LAPICs, or
 * the accelerator's: KVM_SIGNAL_MSI). Any thread, possibly with the device's lock held. */
struct msi_link {
    void (*send)(void *opaque, uint64_t addr, uint32_t data);
    void *opaque;
};

static inline void msi_send(const struct msi_link *l, uint64_t addr, uint32_t data)
{
    if (l->send)
        l->send(l->opaque, addr, data);
}

/* What a device may ask of the machine as a whole: to end the run (first request wins). */
enum stop_request {
    STOP_REQ_QUIT,             /* the host side ends it (Ctrl-A x): vmon exits 0 */
    STOP_REQ_POWEROFF,         /* ACPI S5: exits 0 */
    STOP_REQ_RESET,            /* reset line (i8042, 0xcf9): exits 0 */
    STOP_REQ_DEBUG_EXIT,       /* isa-debug-exit: exits with status */
};

/* Any thread; it returns at once (vCPUs are kicked, not waited for). */
struct stop_link {
    void (*request)(void *opaque, enum stop_request what, int status);
    void *opaque;
};

static inline void stop_link_request(const struct stop_link *l, enum stop_request what, int status)
{
    if (l->request)
        l->request(l->opaque, what, status);
}

/* A doorbell fast path the board may offer a device (an accelerator's ioeventfd): guest writes of
 * len bytes at MMIO address addr signal eventfd fd instead of reaching the device's bus window.
 * Returns 0 or -errno (-ENOTSUP where not offered: the writes then keep coming through the bus). */
struct doorbell_link {
    int (*watch)(void *opaque, uint64_t addr, unsigned len, int fd, bool on);
    void *opaque;
};

#endif
