/* System instructions: control/debug registers, descriptor tables, task register, MSRs, CPUID,
 * syscall/sysret/sysenter/sysexit, swapgs, invlpg, hlt, cli/sti, in/out and the fences. */
#include "accel/soft/alu.h"
#include "accel/soft/debug.h"
#include "accel/soft/ops.h"
#include "accel/soft/op-sse.h"

static void need_cpl0(struct cpu *c)
{
    if (c->cpl != 0)
        cpu_raise_gp(c, 0);
}

OP(op_hlt)
{
    (void)i;
    need_cpl0(c);
    c->halted = true;
    c->tb_end = true;
}

OP(op_pause)
{
    (void)c;
    (void)i;
    __builtin_ia32_pause();
}

OP(op_nop)
{
    (void)i;
    if (i->op == 0x108 || i->op == 0x109)   /* invd, wbinvd */
        need_cpl0(c);
}

OP(op_ud)
{
    (void)i;
    cpu_raise_ud(c);
}

/* F5 cmc, F8 clc, F9 stc, FA cli, FB sti, FC cld, FD std. */
OP(op_flagop)
{
    uint64_t f;
    switch (i->op) {
    case 0xf5: f = cpu_get_flags(c); flags_set_arith(c, f ^ F_CF); break;
    case 0xf8: f = cpu_get_flags(c); flags_set_arith(c, f & ~(uint64_t)F_CF); break;
    case 0xf9: f = cpu_get_flags(c); flags_set_arith(c, f | F_CF); break;
    case 0xfc: c->flags &= ~(uint64_t)F_DF; break;
    case 0xfd: c->flags |= F_DF; break;
    default: {
        /* cli/sti need CPL <= IOPL in protected mode (no VME/PVI here). */
        if ((c->cr0 & CR0_PE) && c->cpl > ((c->flags & F_IOPL) >> 12))
            cpu_raise_gp(c, 0);
        if (i->op == 0xfa) {
            c->flags &= ~(uint64_t)F_IF;
        } else if (!(c->flags & F_IF)) {
            c->flags |= F_IF;
            c->irq_shadow = true;
        }
        break;
    }
    }
}

static unsigned io_size(const struct insn *i)
{
    return (i->op & 1) ? (i->opsize == 2 ? 2 : 4) : 1;
}

OP(op_in)
{
    unsigned size = io_size(i);
    uint16_t port = i->op & 8 ? (uint16_t)c->gpr[R_RDX] : (uint16_t)i->imm;
    if (!cpu_io_allowed(c, port, size))
        cpu_raise_gp(c, 0);
    reg_write(c, R_RAX, size, c->env->pio_in(c, port, size));
}

OP(op_out)
{
    unsigned size = io_size(i);
    uint16_t port = i->op & 8 ? (uint16_t)c->gpr[R_RDX] : (uint16_t)i->imm;
    if (!cpu_io_allowed(c, port, size))
        cpu_raise_gp(c, 0);
    c->env->pio_out(c, port, c->gpr[R_RAX] & size_mask(size), size);
}

/* ---- control registers ---- */

void cpu_set_cr0(struct cpu *c, uint64_t v)
{
    v |= CR0_ET;
    if (v >> 32)
        cpu_raise_gp(c, 0);
    if ((v & CR0_PG) && !(v & CR0_PE))
        cpu_raise_gp(c, 0);
    if ((v & CR0_NW) && !(v & CR0_CD))
        cpu_raise_gp(c, 0);
    /* Setting PG (or changing CD/NW) under PAE paging loads the PDPTEs (SDM vol. 3, 4.4.1); with
     * EFER.LME it enters 4-level paging instead. */
    if ((v & CR0_PG) && (c->cr4 & CR4_PAE) && !(c->efer & (EFER_LME | EFER_LMA)) &&
        ((c->cr0 ^ v) & (CR0_PG | CR0_CD | CR0_NW)) && !mmu_pdptes_valid(c, c->cr3))
        cpu_raise_gp(c, 0);
    /* Enabling paging with EFER.LME activates long mode (SDM vol. 3, 9.8.5). */
    if ((v & CR0_PG) && !(c->cr0 & CR0_PG) && (c->efer & EFER_LME)) {
        if (!(c->cr4 & CR4_PAE))
            cpu_raise_gp(c, 0);
        c->efer |= EFER_LMA;
    }
    if (!(v & CR0_PG) && (c->cr0 & CR0_PG) && (c->efer & EFER_LMA)) {
        if (c->code_size == 8)
            cpu_raise_gp(c, 0);
        c->efer &= ~(uint64_t)EFER_LMA;
    }
    /* Translations depend on PG, WP (cached write rights) and PE; a write of TS, MP, EM... alone
     * (the FPU's bits) keeps the TLB. */
    bool flush = ((c->cr0 ^ v) & (CR0_PG | CR0_WP | CR0_PE)) != 0;
    c->cr0 = v;
    if (!(v & CR0_PE))
        c->cpl = 0;
    cpu_update_mode(c);
    if (flush)
        tlb_flush(c);
    c->tb_end = true;
}

void cpu_set_cr3(struct cpu *c, uint64_t v)
{
    /* Bits 63:40 are reserved (40 physical address bits, no PCID): #GP (SDM vol. 2, MOV CR). */
    if ((c->efer & EFER_LMA) && (v >> 40))
        cpu_raise_gp(c, 0);
    if ((c->cr0 & CR0_PG) && (c->cr4 & CR4_PAE) && !(c->efer & EFER_LMA) && !mmu_pdptes_valid(c, v))
        cpu_raise_gp(c, 0);   /* PAE: a PDPTE with a reserved bit (4.4.1) */
    c->cr3 = v;
    tlb_flush_nonglobal(c);
}

void cpu_set_cr4(struct cpu *c, uint64_t v)
{
    uint64_t ok = CR4_VME | CR4_PVI | CR4_TSD | CR4_DE | CR4_PSE | CR4_PAE | CR4_MCE | CR4_PGE |
                  CR4_PCE | CR4_OSFXSR | CR4_OSXMMEXCPT | CR4_FSGSBASE;
    uint32_t l7[4];
    cpuid_query(c, 7, 0, l7);
    if (l7[2] & CPUID_7_ECX_PKU)
        ok |= CR4_PKE;
    if (l7[2] & CPUID_7_ECX_LA57)
        ok |= CR4_LA57;
    if (v & ~ok)
        cpu_raise_gp(c, 0);
    if ((c->efer & EFER_LMA) && ((c->cr4 ^ v) & CR4_LA57))
        cpu_raise_gp(c, 0);   /* the paging depth changes only outside IA-32e mode (SDM 4.1.1) */
    if ((c->efer & EFER_LMA) && !(v & CR4_PAE))
        cpu_raise_gp(c, 0);
    uint64_t pdpte_load = CR4_PAE | CR4_PGE | CR4_PSE | CR4_SMEP;
    if ((c->cr0 & CR0_PG) && (v & CR4_PAE) && !(c->efer & EFER_LMA) && ((c->cr4 ^ v) & pdpte_load) &&
        !mmu_pdptes_valid(c, c->cr3))
        cpu_raise_gp(c, 0);   /* PAE: the PDPTEs are loaded again (4.4.1) */
    /* Only the paging bits change translations (toggling PGE is how a guest flushes globals). */
    uint64_t paging = CR4_PSE | CR4_PAE | CR4_PGE | CR4_SMEP | CR4_SMAP | CR4_PCIDE | CR4_PKE | CR4_LA57;
    bool flush = ((c->cr4 ^ v) & paging) != 0;
    c->cr4 = v;
    if (flush)
        tlb_flush(c);
}

OP(op_mov_cr)
{
    need_cpl0(c);
    unsigned cr = i->reg, size = c->code_size == 8 ? 8 : 4;
    bool to_cr = i->op == 0x122;
    uint64_t v;
    if (to_cr) {
        v = reg_read(c, i->rm, size);
        switch (cr) {
        case 0: cpu_set_cr0(c, v); break;
        case 2: c->cr2 = v; break;
        case 3: cpu_set_cr3(c, v); break;
        case 4: cpu_set_cr4(c, v); break;
        case 8:
            if (v & ~0xfull)
                cpu_raise_gp(c, 0);
            c->tpr = (uint8_t)v;
            if (c->env->set_tpr)
                c->env->set_tpr(c, (unsigned)v);
            break;
        default: cpu_raise_ud(c);
        }
        return;
    }
    switch (cr) {
    case 0: v = c->cr0; break;
    case 2: v = c->cr2; break;
    case 3: v = c->cr3; break;
    case 4: v = c->cr4; break;
    case 8: v = c->env->get_tpr ? c->env->get_tpr(c) : c->tpr; break;
    default: cpu_raise_ud(c);
    }
    reg_write(c, i->rm, size, v);
}

/* mov to/from DR0-DR7 (SDM vol. 2, MOV DR; vol. 3, 17.2): DR4/DR5 alias DR6/DR7 unless CR4.DE,
 * DR7.GD turns the access into a #DB fault, and DR0-DR3/DR7 writes re-arm the breakpoints. */
OP(op_mov_dr)
{
    need_cpl0(c);
    unsigned dr = i->reg, size = c->code_size == 8 ? 8 : 4;
    if (dr > 7)
        cpu_raise_ud(c);
    if (dr == 4 || dr == 5) {
        if (c->cr4 & CR4_DE)
            cpu_raise_ud(c);
        dr += 2;
    }
    if (c->dr[7] & 0x2000) {
        /* General detect: BD in DR6, GD cleared so the handler may use the registers. */
        c->dr[7] &= ~0x2000ull;
        c->dr[6] = (db_dr6(c) & ~0xfull) | 0x2000;
        cpu_raise(c, EXC_DB, false, 0);
    }
    if (i->op == 0x123) {
        uint64_t v = reg_read(c, i->rm, size);
        if ((dr == 6 || dr == 7) && (v >> 32))
            cpu_raise_gp(c, 0);
        if (dr == 6)
            v = (v & 0xf00f) | 0xffff0ff0;
        else if (dr == 7)
            v = (v & 0xffff2fff) | 0x400;
        c->dr[dr] = v;
        if (dr != 6) {
            db_update(c);
            c->tb_end = true;      /* armed or not, the next instruction must know */
        }
    } else {
        uint64_t v = dr == 6 ? db_dr6(c) : c->dr[dr];
        if (dr == 7)
            v |= 0x400;
        reg_write(c, i->rm, size, v);
    }
}

OP(op_clts)
{
    (void)i;
    need_cpl0(c);
    c->cr0 &= ~(uint64_t)CR0_TS;
}

/* ---- descriptor tables ---- */

/* 0F 00: /0 sldt, /1 str, /2 lldt, /3 ltr, /4 verr, /5 verw. */
OP(op_grp6)
{
    unsigned sub = (i->modrm >> 3) & 7;
    if (!(c->cr0 & CR0_PE) || (c->flags & F_VM))
        cpu_raise_ud(c);
    switch (sub) {
    case 0: case 1: {
        uint16_t sel = c->seg[sub == 0 ? SEG_LDTR : SEG_TR].sel;
        if (i->mod == 3)
            reg_write(c, i->rm, i->opsize, sel);
        else
            rm_write(c, i, 2, sel);
        break;
    }
    case 2: need_cpl0(c); seg_load_ldt(c, (uint16_t)rm_read(c, i, 2)); break;
    case 3: need_cpl0(c); seg_load_tr(c, (uint16_t)rm_read(c, i, 2)); break;
    case 4: case 5: {
        uint16_t sel = (uint16_t)rm_read(c, i, 2);
        uint64_t d[2];
        bool ok = (sel & ~3u) && seg_read_desc(c, sel, d, false, 0) && ((d[0] >> 44) & 1);
        if (ok) {
            unsigned type = (d[0] >> 40) & 0xf, dpl = (d[0] >> 45) & 3;
            bool code = type & 8, conforming = code && (type & 4);
            if (!conforming && (dpl < c->cpl || dpl < (sel & 3u)))
                ok = false;
            else if (sub == 4)
                ok = !code || (type & 2);
            else
                ok = !code && (type & 2);
        }
        uint64_t f = cpu_get_flags(c) & ~(uint64_t)F_ZF;
        flags_set_arith(c, f | (ok ? F_ZF : 0));
        break;
    }
    default: cpu_raise_ud(c);
    }
}

static void desc_table_store(struct cpu *c, const struct insn *i, const struct dtable_state *t)
{
    uint64_t ea = insn_ea(c, i);
    mem_write(c, i->seg, ea, 2, t->limit);
    mem_write(c, i->seg, (ea + 2) & size_mask(i->addrsize), c->code_size == 8 ? 8 : 4,
              c->code_size == 8 ? t->base : t->base & 0xffffffff);
}

static void desc_table_load(struct cpu *c, const struct insn *i, struct dtable_state *t)
{
    need_cpl0(c);
    uint64_t ea = insn_ea(c, i);
    uint16_t limit = (uint16_t)mem_read(c, i->seg, ea, 2);
    uint64_t base = mem_read(c, i->seg, (ea + 2) & size_mask(i->addrsize), c->code_size == 8 ? 8 : 4);
    if (c->code_size != 8 && i->opsize == 2)
        base &= 0xffffff;
    if (c->code_size == 8 && !cpu_canonical(c, base))
        cpu_raise_gp(c, 0);   /* SDM vol. 2, LGDT/LIDT: a non-canonical base in 64-bit mode */
    t->limit = limit;
    t->base = base;
}

/* rdpkru/wrpkru (SDM vol. 2): any privilege level, with CR4.PKE; ecx (and edx for wrpkru) must
 * be 0. The rights are checked at translation (mmu.c), so a new PKRU drops the soft TLB. */
static void op_rdpkru(struct cpu *c)
{
    if (!(c->cr4 & CR4_PKE))
        cpu_raise_ud(c);
    if ((uint32_t)c->gpr[R_RCX])
        cpu_raise_gp(c, 0);
    reg_write(c, R_RAX, 4, c->pkru);
    reg_write(c, R_RDX, 4, 0);
}

static void op_wrpkru(struct cpu *c)
{
    if (!(c->cr4 & CR4_PKE))
        cpu_raise_ud(c);
    if ((uint32_t)c->gpr[R_RCX] || (uint32_t)c->gpr[R_RDX])
        cpu_raise_gp(c, 0);
    if (c->pkru != (uint32_t)c->gpr[R_RAX]) {
        c->pkru = (uint32_t)c->gpr[R_RAX];
        tlb_flush_data(c);     /* Linux writes it on every exec and fork: keep the chains */
    }
    c->tb_end = true;
}

static void op_rdtscp(struct cpu *c)
{
    if ((c->cr4 & CR4_TSD) && c->cpl)
        cpu_raise_gp(c, 0);
    uint64_t t = cpu_rdtsc(c);
    reg_write(c, R_RAX, 4, (uint32_t)t);
    reg_write(c, R_RDX, 4, t >> 32);
    reg_write(c, R_RCX, 4, (uint32_t)c->tsc_aux);
}

/* 0F 01: memory forms sgdt/sidt/lgdt/lidt/smsw/lmsw/invlpg; register forms by the whole ModRM. */
/* invlpg's address: segmentation applies, but no limit or type check and no canonical check (it
 * never faults on its operand, SDM vol. 2, INVLPG). */
static uint64_t invlpg_linear(struct cpu *c, const struct insn *i)
{
    uint64_t ea = insn_ea(c, i);
    if (c->code_size == 8)
        return ea + (i->seg == SEG_FS || i->seg == SEG_GS ? c->seg[i->seg].base : 0);
    return (uint32_t)(c->seg[i->seg].base + ea);
}

OP(op_grp7)
{
    unsigned sub = (i->modrm >> 3) & 7;
    if (i->mod == 3) {
        switch (i->modrm) {
        case 0xf8:   /* swapgs */
            if (c->code_size != 8)
                cpu_raise_ud(c);
            need_cpl0(c);
            {
                uint64_t t = c->seg[SEG_GS].base;
                c->seg[SEG_GS].base = c->kernel_gs_base;
                c->kernel_gs_base = t;
            }
            return;
        case 0xf9: op_rdtscp(c); return;
        case 0xc1: case 0xd9:   /* vmcall, vmmcall: KVM's hypercall under kvm=on */
            if (pv_hypercall(c))
                return;
            cpu_raise_ud(c);
        case 0xee: op_rdpkru(c); return;
        case 0xef: op_wrpkru(c); return;
        default: break;
        }
        if (sub == 4) {
            reg_write(c, i->rm, i->opsize, c->cr0 & 0xffffffff);
            return;
        }
        if (sub == 6) {
            need_cpl0(c);
            uint64_t v = reg_read(c, i->rm, 2);
            cpu_set_cr0(c, (c->cr0 & ~0xeull) | (v & 0xf) | (c->cr0 & CR0_PE));
            return;
        }
        cpu_unimplemented(c, i);
    }
    switch (sub) {
    case 0: desc_table_store(c, i, &c->gdt); break;
    case 1: desc_table_store(c, i, &c->idt); break;
    case 2: desc_table_load(c, i, &c->gdt); break;
    case 3: desc_table_load(c, i, &c->idt); break;
    case 4: rm_write(c, i, 2, c->cr0 & 0xffff); break;
    case 6: {
        need_cpl0(c);
        uint64_t v = rm_read(c, i, 2);
        /* lmsw changes MP/EM/TS and can set, never clear, PE. */
        cpu_set_cr0(c, (c->cr0 & ~0xeull) | (v & 0xf) | (c->cr0 & CR0_PE));
        break;
    }
    case 7:
        need_cpl0(c);
        tlb_flush_page(c, invlpg_linear(c, i));
        break;
    default:
        cpu_raise_ud(c);
    }
}

static void load_desc_common(struct cpu *c, const struct insn *i, bool limit)
{
    uint16_t sel = (uint16_t)rm_read(c, i, 2);
    uint64_t d[2];
    uint64_t f = cpu_get_flags(c) & ~(uint64_t)F_ZF;
    if (!(c->cr0 & CR0_PE) || (c->flags & F_VM))
        cpu_raise_ud(c);
    bool ok = (sel & ~3u) && seg_read_desc(c, sel, d, false, 0);
    if (ok) {
        unsigned type = (d[0] >> 40) & 0xf, dpl = (d[0] >> 45) & 3;
        bool s = (d[0] >> 44) & 1;
        if (!s) {
            /* Valid system types: LDT, TSS (and 16-bit TSS / call gates outside long mode). */
            static const bool lar_ok[16] = { [1] = 1, [2] = 1, [3] = 1, [4] = 1, [5] = 1, [9] = 1,
                                             [11] = 1, [12] = 1 };
            static const bool lsl_ok[16] = { [1] = 1, [2] = 1, [3] = 1, [9] = 1, [11] = 1 };
            ok = limit ? lsl_ok[type] : lar_ok[type];
            if ((c->efer & EFER_LMA) && (type == 1 || type == 3 || type == 4 || type == 5))
                ok = false;
        }
        bool conforming = s && (type & 0xc) == 0xc;
        if (ok && !conforming && (dpl < c->cpl || dpl < (sel & 3u)))
            ok = false;
    }
    if (ok) {
        uint64_t v;
        if (limit) {
            struct seg_cache sc;
            seg_from_desc(&sc, sel, d);
            v = sc.limit;
        } else {
            v = d[0] >> 32 & 0x00f0ff00;
        }
        reg_write(c, i->reg, i->opsize, v);
    }
    flags_set_arith(c, f | (ok ? F_ZF : 0));
}

OP(op_lar) { load_desc_common(c, i, false); }
OP(op_lsl) { load_desc_common(c, i, true); }

OP(op_arpl)
{
    if (!(c->cr0 & CR0_PE) || (c->flags & F_VM))
        cpu_raise_ud(c);
    uint64_t d = rm_read(c, i, 2), s = reg_read(c, i->reg, 2);
    uint64_t f = cpu_get_flags(c) & ~(uint64_t)F_ZF;
    if ((d & 3) < (s & 3)) {
        rm_write(c, i, 2, (d & ~3ull) | (s & 3));
        f |= F_ZF;
    }
    flags_set_arith(c, f);
}

/* ---- fast system calls (SDM vol. 2, SYSCALL/SYSRET/SYSENTER/SYSEXIT) ---- */

static void flat_cs(struct cpu *c, uint16_t sel, unsigned dpl, bool l)
{
    struct seg_cache *s = &c->seg[SEG_CS];
    s->sel = sel;
    s->base = 0;
    s->limit = 0xffffffff;
    s->attr = (uint16_t)(0xb | SEG_A_S | (dpl << 5) | SEG_A_P | SEG_A_G | (l ? SEG_A_L : SEG_A_DB));
}

static void flat_ss(struct cpu *c, uint16_t sel, unsigned dpl)
{
    struct seg_cache *s = &c->seg[SEG_SS];
    s->sel = sel;
    s->base = 0;
    s->limit = 0xffffffff;
    s->attr = (uint16_t)(0x3 | SEG_A_S | (dpl << 5) | SEG_A_P | SEG_A_G | SEG_A_DB);
}

OP(op_syscall)
{
    (void)i;
    if (!(c->efer & EFER_SCE) || !(c->cr0 & CR0_PE))
        cpu_raise_ud(c);
    uint16_t sel = (uint16_t)((c->star >> 32) & 0xfffc);
    uint64_t f = cpu_get_flags(c);
    c->tf_after = true;   /* TF as SFMASK leaves it decides the single-step trap (as QEMU does) */
    if (c->efer & EFER_LMA) {
        c->gpr[R_RCX] = c->rip;
        c->gpr[R_R11] = f & ~(uint64_t)F_RF;
        uint64_t target = c->code_size == 8 ? c->lstar : c->cstar;
        flat_cs(c, sel, 0, true);
        flat_ss(c, (uint16_t)(sel + 8), 0);
        cpu_set_flags(c, f & ~(c->sfmask | F_RF));
        c->rip = target;
    } else {
        c->gpr[R_RCX] = (uint32_t)c->rip;
        flat_cs(c, sel, 0, false);
        flat_ss(c, (uint16_t)(sel + 8), 0);
        cpu_set_flags(c, f & ~(uint64_t)(F_VM | F_IF | F_RF));
        c->rip = (uint32_t)c->star;
    }
    c->cpl = 0;
    cpu_update_mode(c);
}

OP(op_sysret)
{
    if (!(c->efer & EFER_SCE) || !(c->cr0 & CR0_PE))
        cpu_raise_ud(c);
    need_cpl0(c);
    uint16_t base = (uint16_t)((c->star >> 48) & 0xffff);
    /* TF restored from R11 traps at once, before the first user instruction, as if the syscall
     * had been single-stepped (unlike iret; Linux's syscall exit path relies on it). */
    c->tf_after = true;
    if (c->efer & EFER_LMA) {
        bool to64 = i->opsize == 8;
        uint64_t target = to64 ? c->gpr[R_RCX] : (uint32_t)c->gpr[R_RCX];
        if (to64 && !cpu_canonical(c, target))
            cpu_raise_gp(c, 0);   /* Intel faults in ring 0 on a non-canonical rcx */
        flat_cs(c, (uint16_t)((to64 ? base + 16 : base) | 3), 3, to64);
        cpu_set_flags(c, (c->gpr[R_R11] & 0x3c7fd7) | 2);
        c->rip = target;
    } else {
        flat_cs(c, (uint16_t)(base | 3), 3, false);
        uint64_t old = c->flags;
        c->flags |= F_IF;
        cpu_attend_flags(c, old);
        c->rip = (uint32_t)c->gpr[R_RCX];
    }
    /* SS's selector is STAR[63:48]+8 with RPL 3; its cached attributes are forced flat. */
    flat_ss(c, (uint16_t)((base + 8) | 3), 3);
    c->cpl = 3;
    cpu_update_mode(c);
    c->sysret_tf = (c->flags & F_TF) != 0;
}

OP(op_sysenter)
{
    (void)i;
    uint16_t cs = (uint16_t)(c->sysenter_cs & 0xfffc);
    if (!(c->cr0 & CR0_PE) || !cs)
        cpu_raise_gp(c, 0);
    bool lm = (c->efer & EFER_LMA) != 0;
    flat_cs(c, cs, 0, lm);
    flat_ss(c, (uint16_t)(cs + 8), 0);
    c->flags &= ~(uint64_t)(F_VM | F_IF | F_RF);
    c->rip = lm ? c->sysenter_eip : (uint32_t)c->sysenter_eip;
    c->gpr[R_RSP] = lm ? c->sysenter_esp : (uint32_t)c->sysenter_esp;
    c->cpl = 0;
    cpu_update_mode(c);
}

OP(op_sysexit)
{
    uint16_t cs = (uint16_t)(c->sysenter_cs & 0xfffc);
    if (!(c->cr0 & CR0_PE) || !cs || c->cpl)
        cpu_raise_gp(c, 0);
    bool to64 = i->opsize == 8;
    flat_cs(c, (uint16_t)((cs + (to64 ? 32 : 16)) | 3), 3, to64);
    flat_ss(c, (uint16_t)((cs + (to64 ? 40 : 24)) | 3), 3);
    c->rip = to64 ? c->gpr[R_RDX] : (uint32_t)c->gpr[R_RDX];
    c->gpr[R_RSP] = to64 ? c->gpr[R_RCX] : (uint32_t)c->gpr[R_RCX];
    c->cpl = 3;
    cpu_update_mode(c);
}

/* ---- MSRs, TSC, CPUID ---- */

OP(op_rdmsr)
{
    (void)i;
    need_cpl0(c);
    uint64_t v;
    if (!msr_read(c, (uint32_t)c->gpr[R_RCX], &v))
        cpu_raise_gp(c, 0);
    reg_write(c, R_RAX, 4, (uint32_t)v);
    reg_write(c, R_RDX, 4, v >> 32);
}

OP(op_wrmsr)
{
    (void)i;
    need_cpl0(c);
    uint64_t v = (uint32_t)c->gpr[R_RAX] | (c->gpr[R_RDX] << 32);
    if (!msr_write(c, (uint32_t)c->gpr[R_RCX], v))
        cpu_raise_gp(c, 0);
}

OP(op_rdtsc)
{
    (void)i;
    if ((c->cr4 & CR4_TSD) && c->cpl)
        cpu_raise_gp(c, 0);
    uint64_t t = cpu_rdtsc(c);
    reg_write(c, R_RAX, 4, (uint32_t)t);
    reg_write(c, R_RDX, 4, t >> 32);
}

OP(op_rdpmc)
{
    (void)i;
    cpu_raise_gp(c, 0);    /* no performance counters are advertised */
}

OP(op_cpuid)
{
    (void)i;
    uint32_t r[4];
    cpuid_query(c, (uint32_t)c->gpr[R_RAX], (uint32_t)c->gpr[R_RCX], r);
    reg_write(c, R_RAX, 4, r[0]);
    reg_write(c, R_RBX, 4, r[1]);
    reg_write(c, R_RCX, 4, r[2]);
    reg_write(c, R_RDX, 4, r[3]);
}

/* 0F AE: fxsave/fxrstor/ldmxcsr/stmxcsr (SSE code), clflush, and the fences. */
OP(op_grp15)
{
    unsigned sub = (i->modrm >> 3) & 7;
    if (i->mod == 3) {
        if (i->pfx == 2 && sub < 4) {
            /* rdfsbase rdgsbase wrfsbase wrgsbase: 64-bit mode with CR4.FSGSBASE. */
            if (c->code_size != 8 || !(c->cr4 & CR4_FSGSBASE))
                cpu_raise_ud(c);
            struct seg_cache *sg = &c->seg[(sub & 1) ? SEG_GS : SEG_FS];
            unsigned size = i->opsize == 8 ? 8 : 4;
            if (sub < 2) {
                reg_write(c, i->rm, size, sg->base);
            } else {
                uint64_t v = reg_read(c, i->rm, size);
                if (!cpu_canonical(c, v))
                    cpu_raise_gp(c, 0);
                sg->base = v;
            }
            return;
        }
        if (i->pfx != 0 || sub < 5)
            cpu_raise_ud(c);
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
        return;
    }
    if (sub <= 3 && i->pfx != 2) {
        op_sse_grp15(c, i);
        return;
    }
    if (sub == 7 && (i->pfx == 0 || i->pfx == 1)) {
        /* clflush / clflushopt: caches are coherent here; the address must still be valid. */
        lin_read(c, seg_linear(c, i->seg, insn_ea(c, i), 1, ACC_READ), 1, cpu_user(c));
        return;
    }
    cpu_unimplemented(c, i);   /* xsave family: not advertised */
}
