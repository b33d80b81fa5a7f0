/* A fake machine behind struct gdb_ops for the dispatcher's unit tests and fuzz target: a few vCPUs
 * with register files, 64 KiB of "RAM" mapped 1:1 at 0x10000 (virtual 0xffff800000010000 maps there
 * too), and counters of what the dispatcher asked. Header-only: each test program has its own. */
#ifndef VMON_GDBSTUB_FAKE_MACHINE_H
#define VMON_GDBSTUB_FAKE_MACHINE_H

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "gdbstub/cmd.h"

#define FAKE_CPUS 2
#define FAKE_RAM_BASE 0x10000ull
#define FAKE_RAM_SIZE 0x10000ull
#define FAKE_HIGH 0xffff800000000000ull

struct fake_machine {
    struct gdb_regs regs[FAKE_CPUS];
    struct vcpu_debug debug[FAKE_CPUS];
    uint8_t ram[FAKE_RAM_SIZE];
    int resumed, killed, monitors;
    bool no_hw_debug;              /* set_debug with hw_dr7 fails -ENOTSUP, as on a KVM without it */
};

static int fake_cpu_ok(int cpu) { return cpu >= 0 && cpu < FAKE_CPUS; }

static int fake_get_regs(void *o, int cpu, struct gdb_regs *r)
{
    struct fake_machine *m = o;
    if (!fake_cpu_ok(cpu))
        return -EINVAL;
    *r = m->regs[cpu];
    return 0;
}

static int fake_set_regs(void *o, int cpu, const struct gdb_regs *r)
{
    struct fake_machine *m = o;
    if (!fake_cpu_ok(cpu))
        return -EINVAL;
    m->regs[cpu] = *r;
    return 0;
}

static int fake_translate(void *o, int cpu, uint64_t addr, uint64_t *phys)
{
    (void)o;
    if (!fake_cpu_ok(cpu))
        return -EINVAL;
    *phys = addr >= FAKE_HIGH ? addr - FAKE_HIGH : addr;
    return 0;
}

static int fake_access(struct fake_machine *m, int cpu, bool phys, uint64_t addr, void *buf, size_t len,
                       bool write)
{
    uint64_t gpa = addr;
    if (!phys && fake_translate(m, cpu, addr, &gpa) < 0)
        return -EFAULT;
    if (gpa < FAKE_RAM_BASE || gpa - FAKE_RAM_BASE > FAKE_RAM_SIZE || len > FAKE_RAM_SIZE - (gpa - FAKE_RAM_BASE))
        return -EFAULT;
    if (write)
        memcpy(m->ram + (gpa - FAKE_RAM_BASE), buf, len);
    else
        memcpy(buf, m->ram + (gpa - FAKE_RAM_BASE), len);
    return 0;
}

static int fake_read_mem(void *o, int cpu, bool phys, uint64_t addr, void *buf, size_t len)
{
    return fake_access(o, cpu, phys, addr, buf, len, false);
}

static int fake_write_mem(void *o, int cpu, bool phys, uint64_t addr, const void *buf, size_t len)
{
    return fake_access(o, cpu, phys, addr, (void *)buf, len, true);
}

static int fake_set_debug(void *o, int cpu, const struct vcpu_debug *d)
{
    struct fake_machine *m = o;
    if (!fake_cpu_ok(cpu))
        return -EINVAL;
    if (m->no_hw_debug && d->hw_dr7)
        return -ENOTSUP;
    m->debug[cpu] = *d;
    return 0;
}

static void fake_resume(void *o) { ((struct fake_machine *)o)->resumed++; }
static void fake_kill(void *o) { ((struct fake_machine *)o)->killed++; }

static int fake_monitor(void *o, const char *line, char *out, size_t cap)
{
    ((struct fake_machine *)o)->monitors++;
    snprintf(out, cap, "ran: %s\n", line);
    return 0;
}

static inline void fake_ops(struct fake_machine *m, struct gdb_ops *ops)
{
    *ops = (struct gdb_ops){ fake_get_regs, fake_set_regs, fake_read_mem, fake_write_mem, fake_translate,
                             fake_set_debug, fake_resume, fake_kill, fake_monitor, m };
}

#endif
