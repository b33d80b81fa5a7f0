/* The translator's locked read-modify-writes: lock add/or/and/sub/xor (reg or imm source),
 * lock inc/dec, xchg with memory, cmpxchg and xadd (locked or not), all sizes, as host atomics on
 * the address the inline soft TLB gives (SDM vol. 2, LOCK, XCHG, CMPXCHG, XADD; vol. 3, 9.1.2).
 * The guest's flags are the op's flags on (old value, source), recomputed by the host's own
 * instruction at the same width after the atomic, and the lazy record (flags.c) is stored as
 * alu_compute/alu_incdec store it. A TLB miss, a page crossing or a misaligned operand (which the
 * handler does without a host atomic, as lin_host_rmw declines it) goes to the handler. */
#include "accel/soft/alu.h"
#include "accel/soft/jit-int.h"

/* op at size (1, 2, 4, 8) with [base+d] or a register: the byte form is the opcode with bit 0
 * clear (00/01, 86/87, 0FB0/0FB1, 0FC0/0FC1, 8A/8B, 88/89, FE/FF); 16 bits take 66. */
static void sized_mem(struct emit *e, unsigned size, bool lock, unsigned op, unsigned reg,
                      unsigned base, int32_t d)
{
    if (lock)
        e_byte(e, 0xf0);
    if (size == 2)
        e_byte(e, 0x66);
    e_op_mem(e, size == 8, size == 1 ? op & ~1u : op, reg, base, HNONE, 0, d);
}

static void sized_rr(struct emit *e, unsigned size, unsigned op, unsigned reg, unsigned rm)
{
    if (size == 2)
        e_byte(e, 0x66);
    e_op_rr(e, size == 8, size == 1 ? op & ~1u : op, reg, rm);
}

/* Host register h <- size bytes at [base+d], zero-extended. */
static void load_zx(struct emit *e, unsigned size, unsigned h, unsigned base, int32_t d)
{
    if (size == 1)
        e_op_mem(e, false, 0x0fb6, h, base, HNONE, 0, d);
    else if (size == 2)
        e_op_mem(e, false, 0x0fb7, h, base, HNONE, 0, d);
    else
        e_op_mem(e, size == 8, 0x8b, h, base, HNONE, 0, d);
}

/* Guest register r (ModRM.reg numbering: AH..BH without REX) at size, zero-extended into h. */
static void load_greg(struct jctx *j, const struct insn *i, unsigned size, unsigned h, unsigned r)
{
    if (size == 4 || size == 8)
        jit_load_reg(j, h, r, size);
    else
        load_zx(&j->e, size, h, RBX, size == 1 ? jit_reg8_off(i, r) : GPR(r));
}

/* Guest register r <- h at size, as greg_write writes it (32 bits zero-extend, 8 and 16 merge). */
static void store_greg(struct jctx *j, const struct insn *i, unsigned size, unsigned h, unsigned r)
{
    if (size == 4)
        e_mov_rr(&j->e, false, h, h);
    if (size == 4 || size == 8) {
        jit_store_reg(j, h, r);
    } else {
        sized_mem(&j->e, size, false, 0x89, h, RBX, size == 1 ? jit_reg8_off(i, r) : GPR(r));
        if (size == 1)
            jit_clobber8(j, i, r);
        else
            jit_clobber(j, r);
    }
}

/* rdx <- the host address of i's memory operand for a locked access of size bytes; a TLB miss,
 * a page crossing or a misaligned address goes to the handler (stub). */
static void locked_operand(struct jctx *j, const struct insn *i, unsigned size)
{
    jit_emit_mem_operand(j, j->k, i, size, true);
    if (size > 1) {
        e_op_rr(&j->e, false, 0xf7, 0, RSI);                           /* test esi, size-1 */
        e_u32(&j->e, size - 1);
        j->stubs[j->nstubs - 1].from[2] = e_jcc(&j->e, CC_NE);
    }
}

/* The guest's flags of ALU op on rax (old, zero-extended) and rcx (source) at size, left in
 * EFLAGS by the host's own op; the lazy record as alu_compute stores it unless a later
 * instruction rewrites it first. rax ends as the result. */
static void alu_flags(struct jctx *j, unsigned op, unsigned size)
{
    struct emit *e = &j->e;
    bool dead = jit_lf_dead(j, j->k, true);
    if (!dead) {
        e_store64(e, RAX, RBX, LF(src1));
        e_store64(e, RCX, RBX, LF(src2));
    }
    sized_rr(e, size, (op == ALU_CMP ? ALU_SUB : op) << 3 | 1, RCX, RAX);   /* op rax, rcx */
    if (!dead) {
        e_store64(e, RAX, RBX, LF(res));
        e_store_imm32(e, RBX, LF(cin), (alu_lf_kind(op) << 8) | (size << 16));
    }
    jit_flags_now_live(j);
}

/* lock add/sub/inc/dec: one lock xadd of the source (negated for sub), r9 <- the old value. */
static void atomic_add(struct jctx *j, unsigned size, bool neg)
{
    struct emit *e = &j->e;
    e_mov_rr(e, true, R9, RCX);
    if (neg)
        sized_rr(e, size, 0xf7, 3, R9);                                /* neg r9 */
    sized_mem(e, size, true, 0x0fc1, R9, RDX, 0);                      /* lock xadd [rdx], r9 */
}

/* lock and/or/xor: rax <- old, then a compare-and-swap loop of rax op rcx. */
static void atomic_logic(struct jctx *j, unsigned op, unsigned size)
{
    struct emit *e = &j->e;
    load_zx(e, size, RAX, RDX, 0);
    uint8_t *retry = e->p;
    e_mov_rr(e, true, R9, RAX);
    sized_rr(e, size, op << 3 | 1, RCX, R9);                           /* op r9, rcx */
    sized_mem(e, size, true, 0x0fb1, R9, RDX, 0);                      /* lock cmpxchg [rdx], r9 */
    e_patch(e_jcc(e, CC_NE), retry);
    e_mov_rr(e, true, R9, RAX);
}

/* lock op [mem], reg/imm for the five lockable ALU ops (adc/sbb: handler). */
static bool emit_lock_alu(struct jctx *j, const struct insn *i, unsigned op, unsigned size, bool imm)
{
    struct emit *e = &j->e;
    if (op == ALU_ADC || op == ALU_SBB || op == ALU_CMP)
        return false;
    locked_operand(j, i, size);
    if (imm)
        e_mov_imm(e, RCX, i->imm & size_mask(size));
    else
        load_greg(j, i, size, RCX, i->reg);
    if (op == ALU_ADD || op == ALU_SUB)
        atomic_add(j, size, op == ALU_SUB);
    else
        atomic_logic(j, op, size);
    e_mov_rr(e, true, RAX, R9);
    alu_flags(j, op, size);
    jit_stub_done(j);
    return true;
}

/* lock inc/dec [mem]: CF kept, so the record's cin is the CF from before (r8). */
static bool emit_lock_incdec(struct jctx *j, const struct insn *i, unsigned size, bool dec)
{
    struct emit *e = &j->e;
    jit_emit_cf_r8(j);
    locked_operand(j, i, size);
    e_mov_imm(e, RCX, 1);
    atomic_add(j, size, dec);
    e_mov_rr(e, true, RAX, R9);
    bool dead = jit_lf_dead(j, j->k, true);
    if (!dead) {
        e_store64(e, RAX, RBX, LF(src1));
        e_store_imm64(e, RBX, LF(src2), 1);
        e_op_mem(e, false, 0x88, R8, RBX, HNONE, 0, LF(cin));         /* mov [cin], r8b */
    }
    e_op_rr(e, false, 0x0fba, 4, R8);                                  /* bt r8d, 0: CF */
    e_byte(e, 0);
    sized_rr(e, size, 0xff, dec ? 1 : 0, RAX);                         /* inc/dec rax */
    if (!dead) {
        e_store64(e, RAX, RBX, LF(res));
        e_store_imm8(e, RBX, LF(op), dec ? LF_DEC : LF_INC);
        e_store_imm8(e, RBX, LF(size), (uint8_t)size);
    }
    jit_flags_now_live(j);
    jit_stub_done(j);
    return true;
}

/* xchg [mem], reg: always locked; no flags. */
static bool emit_xchg(struct jctx *j, const struct insn *i, unsigned size)
{
    struct emit *e = &j->e;
    locked_operand(j, i, size);
    load_greg(j, i, size, RCX, i->reg);
    sized_mem(e, size, false, 0x87, RCX, RDX, 0);                      /* xchg [rdx], rcx */
    store_greg(j, i, size, RCX, i->reg);
    jit_stub_done(j);
    return true;
}

/* xadd [mem], reg: memory <- old + reg, reg <- old, the flags of the add. */
static bool emit_xadd(struct jctx *j, const struct insn *i, unsigned size)
{
    struct emit *e = &j->e;
    locked_operand(j, i, size);
    load_greg(j, i, size, RCX, i->reg);
    atomic_add(j, size, false);
    e_mov_rr(e, true, RAX, R9);
    store_greg(j, i, size, R9, i->reg);
    alu_flags(j, ALU_ADD, size);
    jit_stub_done(j);
    return true;
}

/* cmpxchg [mem], reg: the host's own lock cmpxchg with the guest's accumulator; the flags of
 * cmp acc, old; on a mismatch the accumulator <- old. */
static bool emit_cmpxchg(struct jctx *j, const struct insn *i, unsigned size)
{
    struct emit *e = &j->e;
    locked_operand(j, i, size);
    load_greg(j, i, size, RCX, i->reg);
    load_greg(j, i, size, RAX, R_RAX);                                 /* not AH: R_RAX < 4 */
    e_mov_rr(e, true, R8, RAX);
    sized_mem(e, size, true, 0x0fb1, RCX, RDX, 0);                     /* lock cmpxchg [rdx], rcx */
    uint8_t *same = e_jcc(e, CC_E);
    store_greg(j, i, size, RAX, R_RAX);                                /* not AH: R_RAX < 4 */
    e_patch(same, e->p);
    e_mov_rr(e, true, RCX, RAX);
    e_mov_rr(e, true, RAX, R8);
    alu_flags(j, ALU_CMP, size);                                       /* cmp acc, old */
    jit_stub_done(j);
    return true;
}

/* Locked (and the always-atomic) read-modify-writes of memory in 64-bit code, by opcode. */
bool jit_lock_op(struct jctx *j, const struct insn *i)
{
    unsigned op = i->op, sub = (i->modrm >> 3) & 7;
    unsigned size = (op & 1) ? i->opsize : 1;
    if (i->mod == 3 || !jit_addr_ok(j, j->k, i))
        return false;
    if (op == 0x86 || op == 0x87)
        return emit_xchg(j, i, size);
    if (op == 0x1b0 || op == 0x1b1)
        return emit_cmpxchg(j, i, size);
    if (op == 0x1c0 || op == 0x1c1)
        return emit_xadd(j, i, size);
    if (!i->lock)
        return false;
    if (op < 0x40 && (op & 7) <= 1)
        return emit_lock_alu(j, i, (op >> 3) & 7, size, false);
    if (op == 0x80 || op == 0x81 || op == 0x83)
        return emit_lock_alu(j, i, sub, op == 0x80 ? 1 : i->opsize, true);
    if ((op == 0xfe || op == 0xff) && sub < 2)
        return emit_lock_incdec(j, i, size, sub == 1);
    return false;
}
