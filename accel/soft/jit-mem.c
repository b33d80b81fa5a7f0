/* The translator's memory operands: effective addresses from the guest's registers, and the soft
 * TLB (tlb.c) probed in host code, a miss leaving through a slow-path stub that runs the handler
 * (page walk, MMIO, faults: SDM vol. 3, 4.10). */
#include "accel/soft/jit-int.h"

/* Can the effective address of i be formed with 32-bit displacements? (RIP-relative adds the
 * instruction's offset in the block to disp.) */
bool jit_addr_ok(const struct jctx *j, unsigned k, const struct insn *i)
{
    if (i->base == RIP_REG)
        return fits32((int64_t)j->off[k + 1] + i->disp);
    return true;
}

/* rsi <- the linear address of i's memory operand (with_seg: plus the FS/GS base). */
void jit_emit_addr(struct jctx *j, unsigned k, const struct insn *i, bool with_seg)
{
    struct emit *e = &j->e;
    if (i->base == RIP_REG) {
        e_lea(e, RSI, R12, (int32_t)((int64_t)j->off[k + 1] + i->disp));
        if (i->index != NO_REG) {
            jit_load_reg(j, RAX, i->index, 8);
            e_op_mem(e, true, 0x8d, RSI, RSI, RAX, i->scale, 0);
        }
    } else if (i->base == NO_REG && i->index == NO_REG) {
        e_mov_imm(e, RSI, (uint64_t)(int64_t)i->disp);
    } else {
        /* Base and index straight from their host registers where cached (jit-regs.c). */
        unsigned base = i->base == NO_REG ? HNONE : jit_cached(j, i->base);
        unsigned index = i->index == NO_REG ? HNONE : jit_cached(j, i->index);
        if (i->base == NO_REG) {
            e_mov_imm(e, RSI, 0);
            base = RSI;
        } else if (base == HNONE) {
            jit_load_reg(j, RSI, i->base, 8);
            base = RSI;
        }
        if (i->index != NO_REG && index == HNONE) {
            jit_load_reg(j, RAX, i->index, 8);
            index = RAX;
        }
        if (index != HNONE)
            e_op_mem(e, true, 0x8d, RSI, base, index, i->scale, i->disp); /* lea rsi, [b+x*s+d] */
        else if (i->disp || base != RSI)
            e_lea(e, RSI, base, i->disp);
    }
    if (i->addrsize == 4)
        e_mov_rr(e, false, RSI, RSI);                                  /* mov esi, esi */
    if (with_seg && (i->seg == SEG_FS || i->seg == SEG_GS)) {
        e_op_mem(e, true, 0x03, RSI, RBX, HNONE, 0,
                 OFF(seg) + (int32_t)(i->seg * sizeof(struct seg_cache) + offsetof(struct seg_cache, base)));
        j->flags_live = false;
    }
}

/* The soft TLB in host code: rsi holds a linear address; on a hit for size bytes with the
 * access's tag, rdx <- the host address. A miss (or a page crossing, or EFLAGS.AC at CPL 3)
 * jumps to the slow-path stub this creates for instruction k. Clobbers rax and the flags.
 * The probe: the entry's offset by a shift and a mask, one compare of the page of the access's
 * last byte with the entry's tag (a page crossing never matches), and the host address as
 * lin + the entry's addend. */
void jit_emit_tlb(struct jctx *j, unsigned k, unsigned size, bool write)
{
    struct emit *e = &j->e;
    int32_t tlb = OFF(tlb) + (j->user ? (int32_t)(TLB_SIZE * sizeof(struct tlb_entry)) : 0);
    e_mov_rr(e, false, RDX, RSI);                                      /* edx = lin */
    e_shift_ri(e, false, 5, RDX, 12 - TLB_ENTRY_SHIFT);
    e_alu_ri(e, false, 4, RDX, (TLB_SIZE - 1) << TLB_ENTRY_SHIFT);     /* edx = entry offset */
    if (size == 1)
        e_mov_rr(e, true, RAX, RSI);
    else
        e_lea(e, RAX, RSI, (int32_t)size - 1);                         /* page of the last byte */
    e_alu_ri(e, true, 4, RAX, -4096);
    e_op_mem(e, true, 0x3b, RAX, RBX, RDX, 0, tlb + (write ? TLBE(tag_write) : TLBE(tag_read)));
    if (j->nstubs == sizeof(j->stubs) / sizeof(j->stubs[0])) {
        e->overflow = true;            /* (an emitter made more than its two: fix it) */
        return;
    }
    struct stub *s = &j->stubs[j->nstubs];
    s->k = k;
    s->n = 1;
    s->dirty = j->dirty;
    s->from[0] = e_jcc(e, CC_NE);
    s->from[1] = s->from[2] = NULL;
    if (j->user) {
        e_op_mem(e, false, 0xf7, 0, RBX, HNONE, 0, OFF(flags));       /* test dword [flags], AC */
        e_u32(e, F_AC);
        s->from[1] = e_jcc(e, CC_NE);
    }
    e_op_mem(e, true, 0x8b, RDX, RBX, RDX, 0, tlb + TLBE(addend));     /* rdx = addend */
    e_op_rr(e, true, 0x01, RSI, RDX);                                  /* add rdx, rsi */
    j->nstubs++;
    j->flags_live = false;
}

/* The instruction's stub resumes after it; if the instruction left its flags live, the stub is
 * the one that must cover a later jump on them. */
void jit_stub_done(struct jctx *j)
{
    j->stubs[j->nstubs - 1].resume = j->e.p;
    j->stubs[j->nstubs - 1].valid = j->valid;
    if (j->flags_live)
        j->flags_stub = (int)j->nstubs - 1;
}

/* rdx <- the host address of i's memory operand (size bytes, for a read or a write), through the
 * soft TLB; a miss goes to instruction k's slow path. */
void jit_emit_mem_operand(struct jctx *j, unsigned k, const struct insn *i, unsigned size, bool write)
{
    jit_emit_addr(j, k, i, true);
    jit_emit_tlb(j, k, size, write);
}

/* The offset in struct cpu of 8-bit register r (without REX, 4-7 are AH, CH, DH, BH). */
int32_t jit_reg8_off(const struct insn *i, unsigned r)
{
    if (r >= 4 && r < 8 && !i->rex)
        return GPR(r - 4) + 1;
    return GPR(r);
}
