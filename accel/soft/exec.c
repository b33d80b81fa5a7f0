/* The execution loop (QEMU's accel/tcg/cpu-exec.c shape): find the translation block at rip, run it,
 * and between blocks look at exceptions, interrupts, halts and stop requests. Faults are precise:
 * a handler that faults rewinds rip to its instruction and longjmps back here; the delivery of
 * exceptions and interrupts is deliver.c. */
#include <stdio.h>

#include "accel/soft/cpu.h"
#include "accel/soft/debug.h"
#include "accel/soft/decode.h"
#include "accel/soft/jit.h"
#include "accel/soft/op-x87.h"
#include "accel/soft/tb.h"
#include "accel/soft/trace.h"

/* Exception classes for double faults (SDM vol. 3, table 6-4/6-5). */
static bool contributory(int v)
{
    return v == EXC_DE || v == EXC_TS || v == EXC_NP || v == EXC_SS || v == EXC_GP;
}

void cpu_raise(struct cpu *c, int vector, bool has_err, uint32_t err)
{
    c->rip = c->insn_rip;
    int prev = c->delivering;
    if (prev >= 0 && prev < 32) {
        if (prev == EXC_DF) {
            c->triple_fault = true;
            longjmp(c->jmp, 1);
        }
        if ((contributory(prev) && contributory(vector)) ||
            (prev == EXC_PF && (contributory(vector) || vector == EXC_PF))) {
            vector = EXC_DF;
            has_err = true;
            err = 0;
        }
    }
    c->exc_vector = vector;
    c->exc_has_err = has_err;
    c->exc_err = err;
    longjmp(c->jmp, 1);
}

void cpu_raise_ud(struct cpu *c)
{
    cpu_raise(c, EXC_UD, false, 0);
}

void cpu_unimplemented(struct cpu *c, const struct insn *i)
{
    if (!c->warned_ud && !c->no_deliver) {
        c->warned_ud = true;
        uint64_t lin = c->code_size == 8 ? c->insn_rip : (uint32_t)(c->seg[SEG_CS].base + c->insn_rip);
        fprintf(stderr, "vmon: soft cpu %d: unimplemented instruction at %#llx (#UD to the guest):",
                c->id, (unsigned long long)lin);
        unsigned n = i && i->len ? i->len : 15;
        for (unsigned k = 0; k < n; k++) {
            uint64_t gpa;
            unsigned prot;
            uint8_t *host;
            bool w;
            if (!mmu_translate(c, lin + k, ACC_READ, false, &gpa, &prot, true) ||
                !phys_is_mem(c->env->phys_page(c, gpa & ~0xfffull, &host, &w)))
                break;
            fprintf(stderr, " %02x", host[gpa & 0xfff]);
        }
        fputc('\n', stderr);
    }
    cpu_raise_ud(c);
}

/* ---- the loop ---- */

static bool try_interrupt(struct cpu *c)
{
    if (c->nmi_pending && !c->nmi_blocked) {
        c->nmi_pending = false;
        c->nmi_blocked = true;
        c->insn_rip = c->rip;
        c->delivering = 256 + EXC_NMI;
        cpu_deliver(c, EXC_NMI, false, 0, false, c->rip);
        c->delivering = -1;
        return true;
    }
    if (!(c->flags & F_IF) || !c->irq_line ||
        !atomic_load_explicit(c->irq_line, memory_order_acquire))
        return false;
    int v = c->env->irq_ack(c);   /* INTA: cheap when nothing is pending (one flag load) */
    if (v >= 0) {
        c->insn_rip = c->rip;
        c->delivering = 256 + v;  /* an external event: never a double-fault partner */
        cpu_deliver(c, v, false, 0, false, c->rip);
        c->delivering = -1;
    }
    /* The acknowledge may leave the hint up with no kick (another request behind this one):
     * chained blocks do not read the hint, so they stop for it here if IF lets it in. */
    cpu_attend_flags(c, 0);
    return v >= 0;
}

bool cpu_wants_exit(struct cpu *c)
{
    if (atomic_load_explicit(&c->kick, memory_order_acquire) ||
        (c->stop_flag && atomic_load_explicit(c->stop_flag, memory_order_relaxed)))
        return true;
    if (c->nmi_pending && !c->nmi_blocked)
        return true;
    return (c->flags & F_IF) && c->irq_line && atomic_load_explicit(c->irq_line, memory_order_acquire);
}

static void check_code_epoch(struct cpu *c)
{
    /* Cleared before the epoch is read: a bump after this read raises it again (tb.c). */
    if (atomic_load_explicit(&c->code_attn, memory_order_relaxed))
        atomic_exchange_explicit(&c->code_attn, 0, memory_order_seq_cst);
    unsigned ep = atomic_load_explicit(&c->pages->epoch, memory_order_acquire);
    if (ep != c->code_epoch_seen) {
        /* Another vCPU started translating some page: drop our write shortcuts. */
        tlb_drop_writes(c);
        c->code_epoch_seen = ep;
    }
    unsigned mep = atomic_load_explicit(&c->pages->map_epoch, memory_order_acquire);
    if (mep != c->map_epoch_seen) {
        /* The PAM sent physical pages elsewhere (soft.c's mem_remap): no entry may outlive it. */
        tlb_flush(c);
        c->map_epoch_seen = mep;
    }
}

static void run_tb(struct cpu *c, struct tb *tb)
{
    uint64_t ripmask = c->code_size == 8 ? ~0ull : 0xffffffffull;
    c->tb_end = false;
    c->last_tb = tb->cached ? tb : NULL;
    if (!c->trace) {
        /* A hot block runs as host code (jit.c), which counts and ends early like the loop below. */
        if (tb->jit && tb->jit_cpl == c->cpl) {
            c->icount += tb->ninsn;
            tb->jit(c, tb);
            return;
        }
        if (tb->cached && tb->mode == 8 && c->jit_hot != JIT_OFF && tb->hits++ >= c->jit_hot &&
            tb_jit(c, tb)) {
            c->icount += tb->ninsn;
            tb->jit(c, tb);
            return;
        }
        /* The common loop: no per-instruction checks but the block-ending flag. */
        unsigned n = tb->ninsn;
        const struct insn *i = tb->insn;
        c->icount += n;
        for (unsigned k = 0; k < n; k++, i++) {
            c->insn_rip = c->rip;
            c->rip = (c->rip + i->len) & ripmask;
            i->fn(c, i);
            if (c->tb_end) {
                c->icount -= n - 1 - k;
                return;
            }
        }
        if (tb->shadow_done)
            c->irq_shadow = c->db_shadow = false;   /* the instruction after sti has run */
        return;
    }
    for (unsigned k = 0; k < tb->ninsn; k++) {
        const struct insn *i = &tb->insn[k];
        if (c->has_stop_rip && c->stop_rip == c->rip) {
            c->user_stop = true;
            return;
        }
        if (c->trace)
            trace_insn(c, i);
        c->insn_rip = c->rip;
        c->rip = (c->rip + i->len) & ripmask;
        c->icount++;
        i->fn(c, i);
        if (c->tb_end)
            return;
    }
}

/* Is the TLB's entry for the page the last block was entered on still there, and global. */
static bool entry_page_global(struct cpu *c)
{
    const struct tlb_entry *e = &c->tlb[cpu_user(c)][(c->entry_rip >> 12) & (TLB_SIZE - 1)];
    return e->tag_exec == (c->entry_rip & ~0xfffull) && e->global;
}

/* A chain slot of block p filled under an earlier epoch (before a TLB flush or a CR3 write) that
 * still holds: p was entered on the page rip is on, at this privilege and under the epochs of
 * now (nothing was remapped while it ran), so that linear page still maps to p's physical page,
 * and rip to the slot's block if that block starts at the same offset in it. QEMU chains such
 * jumps within a page for good; here the slot takes this epoch again (so translated code follows
 * it) and the other slot stays for this function only. 64-bit code: no CS base. Not for a
 * block on two pages (tb.h's page2): nothing here says where its second page maps now. */
static struct tb *chain_same_page(struct cpu *c, struct tb *p, bool *global)
{
    if (c->code_size != 8 || ((c->rip ^ c->entry_rip) >> 12) != 0 || c->entry_cpl != c->cpl ||
        c->entry_epochs != chain_epochs(c) || c->trace)
        return NULL;
    uint64_t gpa = (p->gpa & ~0xfffull) | (c->rip & 0xfff);
    for (int k = 0; k < 2; k++) {
        struct tb *tb = p->chain[k];
        if (p->chain_rip[k] != c->rip || p->chain_cpl[k] != c->cpl || !tb || tb->gpa != gpa ||
            tb->mode != 8 || tb->page2 || !tb_current(tb))
            continue;
        if (p->chain_epoch != c->chain_epoch) {
            p->chain_epoch = c->chain_epoch;
            p->chain_global[1 - k] = false;            /* stale for translated code and the */
            p->chain_epoch_ng[1 - k] = c->chain_epoch_ng - 1;   /* check above */
        }
        p->chain_epoch_ng[k] = c->chain_epoch_ng;
        p->chain_global[k] = *global = entry_page_global(c);
        return tb;
    }
    return NULL;
}

/* The block at rip: through the previous block's chain when it is still valid, else looked up
 * (and then chained from the previous block). */
static struct tb *next_tb(struct cpu *c)
{
    struct tb *p = c->last_tb, *tb = NULL;
    /* A direct-link site the last block left by (jit-link.c): for the block at its rip only. */
    uint8_t *site = c->link_site && c->link_rip == c->rip ? c->link_site : NULL;
    c->link_site = NULL;
    if (p && p->chain_epoch == c->chain_epoch) {
        bool global = false;
        for (int k = 0; k < 2; k++)
            if (p->chain_rip[k] == c->rip && p->chain_cpl[k] == c->cpl &&
                (p->chain_global[k] || p->chain_epoch_ng[k] == c->chain_epoch_ng)) {
                tb = p->chain[k];
                global = p->chain_global[k];
                break;
            }
        if (tb && tb->mode == c->code_size && tb_current(tb)) {
            if (site && !c->trace)
                jit_link(c, site, tb, global, p);
            return tb;
        }
    }
    bool global;
    if (p && (tb = chain_same_page(c, p, &global)) != NULL) {
        if (site)
            jit_link(c, site, tb, global, p);
        return tb;
    }
    uint32_t epoch = c->chain_epoch, epoch_ng = c->chain_epoch_ng;
    tb = tb_find(c);
    if (tb->cached && epoch == c->chain_epoch && epoch_ng == c->chain_epoch_ng && !c->trace) {
        if (site)
            jit_link(c, site, tb, c->fetch_global, p);
        if (!p)
            return tb;
        if (p->chain_epoch != epoch) {
            p->chain_epoch = epoch;
            for (int k = 0; k < 2; k++) {
                p->chain_rip[k] = ~0ull;
                p->chain_cpl[k] = 0xff;   /* matches no privilege: rip ~0 is canonical */
                p->chain[k] = NULL;
            }
        }
        unsigned slot = p->chain_rip[0] == ~0ull || p->chain_rip[0] == c->rip ? 0 : 1;
        p->chain_rip[slot] = c->rip;
        p->chain_cpl[slot] = c->cpl;
        p->chain_global[slot] = c->fetch_global;
        p->chain_epoch_ng[slot] = epoch_ng;
        p->chain[slot] = tb;
    }
    return tb;
}

/* Run exactly one instruction (the first of the block at rip). EFLAGS.TF and armed debug registers
 * run every instruction this way, through db_step (debug.c): TF is looked at every block start,
 * since popf/iret/sysret that change it end their block, as does a write to DR7. */
void step_one(struct cpu *c)
{
    const struct tb *tb = tb_find(c);
    const struct insn *i = &tb->insn[0];
    c->last_tb = NULL;
    if (c->trace)
        trace_insn(c, i);
    c->insn_rip = c->rip;
    c->cur = i;
    c->tb_end = false;
    c->rip = (c->rip + i->len) & (c->code_size == 8 ? ~0ull : 0xffffffffull);
    i->fn(c, i);
    c->icount++;
}

enum cpu_stop cpu_exec(struct cpu *c, uint64_t max_insns)
{
    uint64_t limit = c->icount + max_insns;
    c->icount_limit = limit;
    int jumped = setjmp(c->jmp);
    if (jumped) {
        /* A fault: rip is back at the faulting instruction (or past an int n: jumped == 2). */
        c->last_tb = NULL;
        if (c->triple_fault)
            return STOP_SHUTDOWN;
        c->icount++;
        if (c->no_deliver)
            return STOP_FAULT;
    }
    for (;;) {
        /* Only this thread sets attn, and everything it stands for is looked at below. */
        c->attn = false;
        if (c->exc_vector >= 0) {
            int v = c->exc_vector;
            c->exc_vector = -1;
            c->delivering = v;
            c->insn_rip = c->rip;
            cpu_deliver(c, v, c->exc_has_err, c->exc_err, false, c->rip);
            c->delivering = -1;
        }
        if (c->sysret_tf)
            db_sysret_trap(c);
        if (atomic_load_explicit(&c->kick, memory_order_acquire) ||
            (c->stop_flag && atomic_load_explicit(c->stop_flag, memory_order_relaxed)))
            return STOP_KICK;
        if (c->user_stop)
            return STOP_BREAK;
        if (c->has_stop_rip && c->rip == c->stop_rip) {
            c->user_stop = true;
            return STOP_BREAK;
        }
        /* After sti / mov ss one more instruction runs before interrupts are looked at; a
         * block is the smallest unit here, which only delays them a little more. */
        if (c->irq_shadow && !c->halted) {
            /* sti / mov ss: exactly one more instruction, then interrupts are looked at. */
            c->irq_shadow = false;
            check_code_epoch(c);
            if ((c->flags & F_TF) || c->dr_armed) {
                db_step(c);
            } else {
                step_one(c);
                c->db_shadow = false;
            }
            continue;
        }
        c->irq_shadow = false;
        if ((!c->hstep || c->halted) && try_interrupt(c))   /* a debugger's step: none between */
            c->last_tb = NULL;
        if (c->halted)
            return STOP_HLT;
        if (c->icount >= limit)
            return STOP_LIMIT;
        check_code_epoch(c);
        if ((c->flags & F_TF) || c->dr_armed) {
            db_step(c);
            continue;
        }
        struct tb *tb = next_tb(c);
        c->entry_rip = c->rip;
        c->entry_epochs = chain_epochs(c);
        c->entry_cpl = (uint8_t)c->cpl;
        run_tb(c, tb);
    }
}

bool cpu_io_allowed(struct cpu *c, uint16_t port, unsigned size)
{
    if (!(c->cr0 & CR0_PE))
        return true;
    if (!(c->flags & F_VM) && c->cpl <= ((c->flags & F_IOPL) >> 12))
        return true;
    /* The TSS's I/O permission bitmap (SDM vol. 1, 19.5.2). */
    const struct seg_cache *tr = &c->seg[SEG_TR];
    if ((tr->attr & 0xf) != 9 && (tr->attr & 0xf) != 11)
        return false;
    if (tr->limit < 0x67)
        return false;
    uint16_t io_base = (uint16_t)lin_read(c, tr->base + 0x66, 2, false);
    uint32_t off = io_base + port / 8u;
    if (off + 1 > tr->limit)
        return false;
    uint16_t bits = (uint16_t)lin_read(c, tr->base + off, 2, false);
    return ((bits >> (port & 7)) & ((1u << size) - 1)) == 0;
}

void cpu_reset(struct cpu *c)
{
    memset(c->gpr, 0, sizeof(c->gpr));
    c->rip = 0xfff0;
    cpu_set_flags(c, 2);
    for (int s = 0; s < SEG_COUNT; s++) {
        c->seg[s].sel = 0;
        c->seg[s].base = 0;
        c->seg[s].limit = 0xffff;
        c->seg[s].attr = SEG_A_P | SEG_A_S | 3;   /* present, read/write data, accessed */
    }
    c->seg[SEG_CS].sel = 0xf000;
    c->seg[SEG_CS].base = 0xffff0000;
    c->seg[SEG_CS].attr = SEG_A_P | SEG_A_S | 0xb;
    c->seg[SEG_LDTR].attr = SEG_A_P | 2;
    c->seg[SEG_TR].attr = SEG_A_P | 0xb;
    c->gdt.base = c->idt.base = 0;
    c->gdt.limit = c->idt.limit = 0xffff;
    c->cr0 = CR0_ET | CR0_CD | CR0_NW;
    c->cr2 = c->cr3 = c->cr4 = c->efer = 0;
    c->xcr0 = 1;
    c->pkru = 0;
    c->kvm_system_time = c->kvm_wall_clock = 0;
    c->tpr = 0;
    c->cpl = 0;
    c->mxcsr = 0x1f80;
    memset(c->xmm, 0, sizeof(c->xmm));
    x87_init(&c->fpu);
    c->pat = 0x0007040600070406ull;
    c->misc_enable = 1;   /* fast string operations enabled, as firmware leaves it */
    c->apic_base = 0xfee00000ull | 0x800 | (c->id == 0 ? 0x100 : 0);
    c->gpr[R_RDX] = 0x000806f8;   /* family/model/stepping, as CPUID leaf 1 reports */
    c->exc_vector = -1;
    c->delivering = -1;
    c->halted = false;
    c->irq_shadow = false;
    c->attn = false;
    c->attn_pad = 0;
    c->tf_after = c->sysret_tf = false;
    c->triple_fault = false;
    c->has_stop_rip = false;
    c->lf.op = LF_NONE;
    cpu_update_mode(c);
    tlb_flush(c);
}

void cpu_dump(struct cpu *c, void *file)
{
    FILE *f = file;
    static const char *const names[16] = { "RAX", "RCX", "RDX", "RBX", "RSP", "RBP", "RSI", "RDI",
                                           "R8", "R9", "R10", "R11", "R12", "R13", "R14", "R15" };
    for (int r = 0; r < 16; r++)
        fprintf(f, "%-3s=%016llx%s", names[r], (unsigned long long)c->gpr[r], (r & 3) == 3 ? "\n" : " ");
    fprintf(f, "RIP=%016llx RFL=%08llx CPL=%u CR0=%08llx CR2=%016llx CR3=%016llx CR4=%08llx EFER=%llx\n",
            (unsigned long long)c->rip, (unsigned long long)cpu_get_flags(c), c->cpl,
            (unsigned long long)c->cr0, (unsigned long long)c->cr2, (unsigned long long)c->cr3,
            (unsigned long long)c->cr4, (unsigned long long)c->efer);
    static const char *const sn[SEG_COUNT] = { "ES", "CS", "SS", "DS", "FS", "GS", "TR", "LDT" };
    for (int s = 0; s < SEG_COUNT; s++)
        fprintf(f, "%-3s=%04x %016llx %08x %04x\n", sn[s], c->seg[s].sel,
                (unsigned long long)c->seg[s].base, c->seg[s].limit, c->seg[s].attr);
    fprintf(f, "GDT=%016llx %04x IDT=%016llx %04x\n", (unsigned long long)c->gdt.base, c->gdt.limit,
            (unsigned long long)c->idt.base, c->idt.limit);
    uint64_t lin = c->code_size == 8 ? c->rip : (uint32_t)(c->seg[SEG_CS].base + c->rip);
    fprintf(f, "bytes at RIP (%#llx):", (unsigned long long)lin);
    for (unsigned k = 0; k < 16; k++) {
        uint64_t gpa;
        unsigned prot;
        uint8_t *host;
        bool w;
        if (!mmu_translate(c, lin + k, ACC_READ, false, &gpa, &prot, true) ||
            !phys_is_mem(c->env->phys_page(c, gpa & ~0xfffull, &host, &w))) {
            fprintf(f, " ??");
            continue;
        }
        fprintf(f, " %02x", host[gpa & 0xfff]);
    }
    fputc('\n', f);
}
