/* struct gdb_ops over the VM (machine/vm.h): registers and FPU state of parked vCPUs, guest memory
 * by virtual address through a vCPU's page tables (SDM vol. 3A, 4.3-4.5, via vm_translate) or by
 * physical address, the accelerator's debug controls, and the human monitor for qRcmd. */
#include "gdbstub/machine.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "monitor/hmp.h"

static int m_get_regs(void *o, int cpu, struct gdb_regs *r)
{
    struct gdb_machine *m = o;
    int e = vm_get_cpu_state(m->vm, cpu, &r->cpu);
    if (e < 0)
        return e;
    e = vm_get_fpu(m->vm, cpu, &r->fpu);
    return e == -ENOTSUP ? 0 : e;
}

static int m_set_regs(void *o, int cpu, const struct gdb_regs *r)
{
    struct gdb_machine *m = o;
    int e = vm_set_cpu_state(m->vm, cpu, &r->cpu);
    if (e < 0)
        return e;
    e = vm_set_fpu(m->vm, cpu, &r->fpu);
    return e == -ENOTSUP ? 0 : e;
}

static int m_translate(void *o, int cpu, uint64_t addr, uint64_t *phys)
{
    struct gdb_machine *m = o;
    struct cpu_state s;
    int e = vm_get_cpu_state(m->vm, cpu, &s);
    if (e < 0)
        return e;
    return vm_translate(m->vm, &s, addr, phys) < 0 ? -EFAULT : 0;
}

/* Page by page: a virtual range may be scattered in guest RAM. */
static int m_access(struct gdb_machine *m, int cpu, bool phys, uint64_t addr, void *buf, size_t len,
                    bool write)
{
    while (len) {
        size_t n = 0x1000 - (addr & 0xfff);
        if (n > len)
            n = len;
        uint64_t gpa = addr;
        if (!phys && m_translate(m, cpu, addr, &gpa) < 0)
            return -EFAULT;
        int e = write ? vm_write_phys(m->vm, gpa, buf, n) : vm_read_phys(m->vm, gpa, buf, n);
        if (e < 0)
            return e;
        addr += n;
        buf = (uint8_t *)buf + n;
        len -= n;
    }
    return 0;
}

static int m_read_mem(void *o, int cpu, bool phys, uint64_t addr, void *buf, size_t len)
{
    return m_access(o, cpu, phys, addr, buf, len, false);
}

static int m_write_mem(void *o, int cpu, bool phys, uint64_t addr, const void *buf, size_t len)
{
    return m_access(o, cpu, phys, addr, (void *)buf, len, true);
}

static int m_set_debug(void *o, int cpu, const struct vcpu_debug *d)
{
    struct gdb_machine *m = o;
    int e = vm_set_debug(m->vm, cpu, d);
    bool wanted = d->single_step || d->sw_bp || d->hw_dr7;
    if (e < 0 && wanted && !m->said_no_debug) {    /* once: gdb itself only says it failed */
        fprintf(stderr, "vmon: gdb: %s: %s\n", m->vm->accel->name,
                m->vm->accel_err[0] ? m->vm->accel_err : "guest debugging is not offered");
        m->said_no_debug = true;
    }
    return e;
}

static void m_resume(void *o)
{
    struct gdb_machine *m = o;
    vm_resume(m->vm);
}

static void m_kill(void *o)
{
    struct gdb_machine *m = o;
    vm_request_stop(m->vm, VCPU_STOP, 0);
}

static int m_monitor(void *o, const char *line, char *out, size_t cap)
{
    struct gdb_machine *m = o;
    FILE *f = fmemopen(out, cap, "w");
    if (!f)
        return -errno;
    bool quit = hmp_run(m->vm, m->version, line, f);
    fclose(f);
    out[cap - 1] = 0;
    if (quit)
        vm_request_stop(m->vm, VCPU_STOP, 0);
    return 0;
}

void gdb_machine_ops(struct gdb_machine *m, struct gdb_ops *ops)
{
    *ops = (struct gdb_ops){ m_get_regs, m_set_regs, m_read_mem, m_write_mem, m_translate, m_set_debug,
                             m_resume, m_kill, m_monitor, m };
}
