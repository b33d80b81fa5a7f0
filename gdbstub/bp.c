/* Breakpoints, watchpoints and resuming (GDB manual, E.2 "z type,addr,kind" / "Z type,addr,kind";
 * E.3 "Stop Reply Packets"). Software breakpoints (Z0) are int3 bytes written into guest RAM at the
 * physical address the virtual one maps to, the byte underneath kept (and shown to gdb in memory
 * reads); the accelerator turns int3 into a stop instead of #BP. Hardware breakpoints (Z1) and
 * watchpoints (Z2 write, Z3 read, Z4 access; x86 has no read-only kind, so Z3 also fires on writes)
 * take DR0-DR3 slots in DR7's encoding (SDM vol. 3, 17.2.4-17.2.5): aligned lengths 1, 2, 4, 8. */
#include "gdbstub/cmd.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static bool any_sw(const struct gdb_session *s)
{
    for (int i = 0; i < GDB_MAX_SW_BP; i++)
        if (s->sw[i].used)
            return true;
    return false;
}

/* DR7 for the hardware slots in use: L bit, R/W (00 exec, 01 write, 11 read/write), LEN. */
static uint64_t hw_dr7(const struct gdb_session *s, uint64_t addr[4])
{
    static const unsigned rw[5] = { 0, 0, 1, 3, 3 };
    uint64_t dr7 = 0;
    for (int n = 0; n < 4; n++) {
        const struct gdb_hw_bp *b = &s->hw[n];
        addr[n] = b->used ? b->addr : 0;
        if (!b->used)
            continue;
        unsigned len = b->len == 1 ? 0 : b->len == 2 ? 1 : b->len == 8 ? 2 : 3;
        dr7 |= 1ull << (2 * n);
        dr7 |= (uint64_t)(rw[b->type] | (b->type == 1 ? 0 : len << 2)) << (16 + 4 * n);
    }
    return dr7;
}

/* Give every vCPU the debug state: breakpoints, and single-step on step_cpu (-1: none). */
static int apply_debug(struct gdb_session *s, int step_cpu)
{
    struct vcpu_debug d = { .sw_bp = any_sw(s) };
    d.hw_dr7 = hw_dr7(s, d.hw_addr);
    bool wanted = d.sw_bp || d.hw_dr7;
    for (int i = 0; i < s->ncpus; i++) {
        d.single_step = i == step_cpu;
        int r = s->ops->set_debug(s->ops->opaque, i, &d);
        if (r < 0 && (wanted || d.single_step))
            return r;
    }
    return 0;
}

int gdb_resume(struct gdb_session *s, int step_cpu)
{
    int r = apply_debug(s, step_cpu);
    if (r < 0)
        return r;
    s->ops->resume(s->ops->opaque);
    return 0;
}

static int sw_insert(struct gdb_session *s, uint64_t addr)
{
    int cpu = s->g_cpu >= 0 && s->g_cpu < s->ncpus ? s->g_cpu : s->stop_cpu, slot = -1;
    for (int i = 0; i < GDB_MAX_SW_BP; i++) {
        if (s->sw[i].used && s->sw[i].addr == addr)
            return 0;              /* inserted already: Z0 is idempotent */
        if (!s->sw[i].used && slot < 0)
            slot = i;
    }
    if (slot < 0)
        return -ENOSPC;
    uint64_t gpa = addr;
    if (!s->phys_mode && s->ops->translate(s->ops->opaque, cpu, addr, &gpa) < 0)
        return -EFAULT;
    uint8_t saved, int3 = 0xcc;
    if (s->ops->read_mem(s->ops->opaque, cpu, true, gpa, &saved, 1) < 0 ||
        s->ops->write_mem(s->ops->opaque, cpu, true, gpa, &int3, 1) < 0)
        return -EFAULT;
    s->sw[slot] = (struct gdb_sw_bp){ true, addr, gpa, saved };
    return 0;
}

static void sw_remove_slot(struct gdb_session *s, int i)
{
    s->ops->write_mem(s->ops->opaque, s->stop_cpu, true, s->sw[i].gpa, &s->sw[i].saved, 1);
    s->sw[i].used = false;
}

static int sw_remove(struct gdb_session *s, uint64_t addr)
{
    for (int i = 0; i < GDB_MAX_SW_BP; i++)
        if (s->sw[i].used && s->sw[i].addr == addr) {
            sw_remove_slot(s, i);
            return 0;
        }
    return 0;                      /* not there: removing it is no error */
}

void gdb_bp_rewritten(struct gdb_session *s, uint64_t addr, const uint8_t *buf, size_t len)
{
    uint8_t int3 = 0xcc;
    for (int i = 0; i < GDB_MAX_SW_BP; i++) {
        struct gdb_sw_bp *b = &s->sw[i];
        uint64_t a = s->phys_mode ? b->gpa : b->addr;
        if (b->used && a - addr < len) {    /* gdb wrote over our int3: keep its byte underneath */
            b->saved = buf[a - addr];
            s->ops->write_mem(s->ops->opaque, s->stop_cpu, true, b->gpa, &int3, 1);
        }
    }
}

static int hw_insert(struct gdb_session *s, int type, uint64_t addr, uint64_t len)
{
    if (type == 1)
        len = 1;
    if ((len != 1 && len != 2 && len != 4 && len != 8) || (addr & (len - 1)))
        return -EINVAL;
    int slot = -1;
    for (int n = 3; n >= 0; n--) {
        if (s->hw[n].used && s->hw[n].type == type && s->hw[n].addr == addr && s->hw[n].len == len)
            return 0;
        if (!s->hw[n].used)
            slot = n;
    }
    if (slot < 0)
        return -ENOSPC;
    s->hw[slot] = (struct gdb_hw_bp){ true, type, addr, len };
    /* Tell the vCPUs now, so a host that cannot is refused here, where gdb reports it. */
    int r = apply_debug(s, -1);
    if (r < 0) {
        s->hw[slot].used = false;
        return r;
    }
    return 0;
}

static void hw_remove(struct gdb_session *s, int type, uint64_t addr)
{
    for (int n = 0; n < 4; n++)
        if (s->hw[n].used && s->hw[n].type == type && s->hw[n].addr == addr)
            s->hw[n].used = false;
}

size_t gdb_bp_packet(struct gdb_session *s, const char *pkt, char *reply)
{
    uint64_t type, addr, kind;
    const char *e;
    if (gdb_parse_hex(pkt + 1, &type, &e) < 0 || *e != ',' || gdb_parse_hex(e + 1, &addr, &e) < 0 ||
        *e != ',' || gdb_parse_hex(e + 1, &kind, &e) < 0 || (*e && *e != ';')) {
        strcpy(reply, "E16");
        return 3;
    }
    if (type > 4) {
        reply[0] = 0;              /* not supported: the empty reply */
        return 0;
    }
    int r = 0;
    if (pkt[0] == 'Z')
        r = type == 0 ? sw_insert(s, addr) : hw_insert(s, (int)type, addr, kind);
    else if (type == 0)
        r = sw_remove(s, addr);
    else
        hw_remove(s, (int)type, addr);
    if (r == -ENOTSUP) {           /* the accelerator cannot: gdb says it could not insert it */
        reply[0] = 0;
        return 0;
    }
    if (r < 0)
        return (size_t)snprintf(reply, 8, "E%02x", -r & 0xff);
    strcpy(reply, "OK");
    return 2;
}

void gdb_session_clear(struct gdb_session *s)
{
    for (int i = 0; i < GDB_MAX_SW_BP; i++)
        if (s->sw[i].used)
            sw_remove_slot(s, i);
    memset(s->hw, 0, sizeof(s->hw));
    struct vcpu_debug none = { 0 };
    for (int i = 0; i < s->ncpus; i++)
        s->ops->set_debug(s->ops->opaque, i, &none);
}

size_t gdb_stop_reply(struct gdb_session *s, int cpu, int sig, const struct vcpu_debug_event *ev,
                      char *reply, size_t cap)
{
    static const char *const watch[5] = { "", "", "watch", "rwatch", "awatch" };
    char why[48] = "";
    if (cpu < 0 || cpu >= s->ncpus)
        cpu = 0;
    s->stop_cpu = s->g_cpu = s->c_cpu = cpu;
    if (ev && ev->kind == VCPU_DBG_SW_BP)
        snprintf(why, sizeof(why), "swbreak:;");
    for (int n = 0; ev && ev->kind == VCPU_DBG_HW && n < 4; n++) {
        if (!(ev->hits & (1u << n)) || !s->hw[n].used)
            continue;
        if (s->hw[n].type == 1)
            snprintf(why, sizeof(why), "hwbreak:;");
        else
            snprintf(why, sizeof(why), "%s:%llx;", watch[s->hw[n].type], (unsigned long long)s->hw[n].addr);
        break;
    }
    int n = snprintf(reply, cap, "T%02xthread:%x;%s", (unsigned)sig & 0xff, (unsigned)cpu + 1, why);
    return n < 0 ? 0 : (size_t)n < cap ? (size_t)n : cap - 1;
}
