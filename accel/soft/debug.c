/* Debug registers and #DB (SDM vol. 3, chapter 17; debug.h says how it stays free when unused).
 *
 * DR7 enables breakpoint n with its L/G bits (2n, 2n+1) and gives it a type (R/W, bits 16+4n:
 * 00 instruction, 01 data write, 11 data read or write, 10 I/O, which is not implemented) and a
 * length (LEN, bits 18+4n: 1, 2, 8 or 4 bytes; the address is aligned down to it, 17.2.5).
 * Instruction breakpoints are faults taken before the instruction executes unless EFLAGS.RF is set
 * (17.3.1.1), data breakpoints traps taken after the instruction that touched the range (17.3.1.2),
 * and the single-step trap (TF) joins them in the same #DB (DR6.BS; 17.3.1.4). */
#include "accel/soft/debug.h"

#define DR6_BS 0x4000u
#define DR6_FIXED 0xffff0ff0u      /* bits that read as 1 (no RTM: bit 16 too) */

/* The debug registers breakpoints match against: the host debugger's while it has any enabled
 * (as KVM_SET_GUEST_DEBUG's USE_HW_BP loads its own), else the guest's. */
static uint64_t dr7_of(const struct cpu *c) { return c->hdr7 ? c->hdr7 : c->dr[7]; }
static uint64_t dr_of(const struct cpu *c, unsigned n) { return c->hdr7 ? c->hdr[n] : c->dr[n]; }

static unsigned bp_enabled(const struct cpu *c, unsigned n) { return (dr7_of(c) >> (2 * n)) & 3; }
static unsigned bp_type(const struct cpu *c, unsigned n) { return (dr7_of(c) >> (16 + 4 * n)) & 3; }

static unsigned bp_len(const struct cpu *c, unsigned n)
{
    static const uint8_t len[4] = { 1, 2, 8, 4 };
    return len[(dr7_of(c) >> (18 + 4 * n)) & 3];
}

uint64_t db_dr6(const struct cpu *c)
{
    return c->dr[6] | DR6_FIXED;
}

void db_update(struct cpu *c)
{
    unsigned armed = 0;
    for (unsigned n = 0; n < 4; n++) {
        if (!bp_enabled(c, n))
            continue;
        if (bp_type(c, n) == 0)
            armed |= DB_ARMED_EXEC;
        else if (bp_type(c, n) != 2)
            armed |= DB_ARMED_DATA;
    }
    if (c->hstep)
        armed |= DB_ARMED_EXEC;    /* every instruction through db_step */
    c->dr_armed = (uint8_t)armed;
    /* Pages now watched must leave the TLB fast path (tlb_fill asks db_watched). */
    tlb_flush(c);
}

bool db_watched(const struct cpu *c, uint64_t vpage)
{
    for (unsigned n = 0; n < 4; n++)
        if (bp_enabled(c, n) && (bp_type(c, n) & 1) && (dr_of(c, n) & ~0xfffull) == vpage)
            return true;
    return false;
}

void db_access(struct cpu *c, uint64_t lin, unsigned size, bool write)
{
    for (unsigned n = 0; n < 4; n++) {
        unsigned t = bp_type(c, n);
        if (!bp_enabled(c, n) || !(t & 1) || (t == 1 && !write))
            continue;
        unsigned len = bp_len(c, n);
        uint64_t a = dr_of(c, n) & ~(uint64_t)(len - 1);
        if (lin < a + len && a < lin + size)
            c->db_hits |= (uint8_t)(1u << n);
    }
}

/* The enabled instruction breakpoints at linear address lin, as DR6 B0-B3 bits. */
static unsigned exec_hits(const struct cpu *c, uint64_t lin)
{
    unsigned hits = 0;
    for (unsigned n = 0; n < 4; n++)
        if (bp_enabled(c, n) && bp_type(c, n) == 0 && dr_of(c, n) == lin)
            hits |= 1u << n;
    return hits;
}

/* A stop for the host debugger: cpu_exec returns STOP_BREAK with hstop set (soft.c reports it). */
void db_host_stop(struct cpu *c, int kind, unsigned hits)
{
    c->hstop = (uint8_t)kind;
    c->hhits = (uint8_t)hits;
    c->user_stop = true;
    c->tb_end = true;
}

static void deliver_db(struct cpu *c)
{
    c->insn_rip = c->rip;
    c->delivering = 256 + EXC_DB;
    cpu_deliver(c, EXC_DB, false, 0, false, c->rip);
    c->delivering = -1;
}

void db_step(struct cpu *c)
{
    bool rf = (c->flags & F_RF) != 0, tf = (c->flags & F_TF) != 0;
    c->flags &= ~(uint64_t)F_RF;
    if (!rf && (c->dr_armed & DB_ARMED_EXEC)) {
        uint64_t lin = c->code_size == 8 ? c->rip : (uint32_t)(c->seg[SEG_CS].base + c->rip);
        unsigned hits = exec_hits(c, lin);
        if (hits && c->hdr7) {
            db_host_stop(c, VCPU_DBG_HW, hits);   /* before the instruction, as the #DB fault */
            return;
        }
        if (hits) {
            /* A fault: the instruction has not run; the handler returns with RF set to run it. */
            c->dr[6] = (db_dr6(c) & ~0xfull) | hits;
            deliver_db(c);
            return;
        }
    }
    /* Hits held back by mov ss / pop ss (db_shadow) are still in db_hits. */
    bool held = c->db_shadow;
    if (!held)
        c->db_hits = 0;
    step_one(c);
    if (c->user_stop)
        return;
    /* mov ss / pop ss hold debug traps back until after the next instruction (SDM vol. 3, 6.8.3). */
    if (c->db_shadow && !held)
        return;
    c->db_shadow = false;
    unsigned status = c->db_hits & 0xfu;
    if (c->hdr7 && status) {
        c->db_hits = 0;
        db_host_stop(c, VCPU_DBG_HW, status);
        return;
    }
    if (c->hstep) {
        db_host_stop(c, VCPU_DBG_STEP, 0);
        if (!tf)
            return;
        status = 0;    /* the guest's own TF trap is still taken, the debugger stops after it */
    }
    if (tf)
        status |= DR6_BS;
    c->db_hits = 0;
    if (!status)
        return;
    /* Breakpoint hits replace B0-B3; a single step alone only adds BS (17.2.3). */
    c->dr[6] = (status & 0xf ? db_dr6(c) & ~0xfull : db_dr6(c)) | status;
    deliver_db(c);
}
