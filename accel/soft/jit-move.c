/* The translator's per-form emitters for moves, loads and stores, lea, push/pop/call/ret and
 * jumps (the forms fast-move.c picks), and by opcode nop, movsxd, movzx/movsx, setcc and cmov.
 * Each does what the handler of its form does (SDM vol. 2, MOV, LEA, PUSH, POP, CALL, RET, JMP,
 * Jcc, MOVSX/MOVZX, SETcc, CMOVcc). */
#include "accel/soft/jit-int.h"

/* push rcx (64-bit): rsi = the new rsp, through the TLB (a slow-path stub for instruction k). */
void jit_emit_push_rcx(struct jctx *j, unsigned k)
{
    struct emit *e = &j->e;
    jit_load_reg(j, RSI, R_RSP, 8);
    e_lea(e, RSI, RSI, -8);
    jit_emit_tlb(j, k, 8, true);
    e_store64(e, RCX, RDX, 0);
    jit_store_reg(j, RSI, R_RSP);
}

/* insn_rip <- instruction k's address: a transfer to a non-canonical rip is #GP there (tb_find). */
void jit_emit_insn_rip(struct jctx *j, unsigned k)
{
    e_lea(&j->e, RAX, R12, (int32_t)j->off[k]);
    e_store64(&j->e, RAX, RBX, OFF(insn_rip));
}

/* rip <- the block's start + off (a jump whose target is known at translation). */
void jit_emit_set_rip(struct jctx *j, int64_t off)
{
    e_lea(&j->e, RAX, R12, (int32_t)off);
    e_store64(&j->e, RAX, RBX, OFF(rip));
}

/* The register of the push/pop/mov-immediate forms: op & 7, REX.B. */
static unsigned opcode_reg(const struct insn *i)
{
    return (i->op & 7) | ((i->rex & 1) << 3);
}

bool jit_mov_rr(struct jctx *j, const struct insn *i, unsigned sz)
{
    jit_load_reg(j, RAX, i->reg, sz);
    jit_store_reg(j, RAX, i->rm);
    return true;
}

bool jit_mov_ri(struct jctx *j, const struct insn *i, unsigned sz)
{
    e_mov_imm(&j->e, RAX, sz == 4 ? (uint32_t)i->imm : i->imm);
    jit_store_reg(j, RAX, opcode_reg(i));
    return true;
}

bool jit_mov_rmi(struct jctx *j, const struct insn *i, unsigned sz)
{
    (void)sz;
    e_mov_imm(&j->e, RAX, i->imm);
    jit_store_reg(j, RAX, i->rm);
    return true;
}

bool jit_lea(struct jctx *j, const struct insn *i, unsigned sz)
{
    if (!jit_addr_ok(j, j->k, i))
        return false;
    jit_emit_addr(j, j->k, i, false);
    if (sz == 4)
        e_mov_rr(&j->e, false, RSI, RSI);            /* mov esi, esi: the address truncated */
    jit_store_reg(j, RSI, i->reg);
    return true;
}

bool jit_load(struct jctx *j, const struct insn *i, unsigned sz)
{
    if (!jit_addr_ok(j, j->k, i))
        return false;
    jit_emit_mem_operand(j, j->k, i, sz, false);
    e_op_mem(&j->e, sz == 8, 0x8b, RAX, RDX, HNONE, 0, 0);
    jit_store_reg(j, RAX, i->reg);
    jit_stub_done(j);
    return true;
}

bool jit_store(struct jctx *j, const struct insn *i, unsigned sz)
{
    if (!jit_addr_ok(j, j->k, i))
        return false;
    jit_emit_mem_operand(j, j->k, i, sz, true);
    jit_load_reg(j, RCX, i->reg, 8);
    e_op_mem(&j->e, sz == 8, 0x89, RCX, RDX, HNONE, 0, 0);
    jit_stub_done(j);
    return true;
}

bool jit_mov_mi(struct jctx *j, const struct insn *i, unsigned sz)
{
    if (!jit_addr_ok(j, j->k, i))
        return false;
    jit_emit_mem_operand(j, j->k, i, sz, true);
    e_op_mem(&j->e, sz == 8, 0xc7, 0, RDX, HNONE, 0, 0);
    e_u32(&j->e, (uint32_t)i->imm);
    jit_stub_done(j);
    return true;
}

bool jit_push(struct jctx *j, const struct insn *i, unsigned sz)
{
    (void)sz;
    jit_load_reg(j, RCX, opcode_reg(i), 8);
    jit_emit_push_rcx(j, j->k);
    jit_stub_done(j);
    return true;
}

/* rcx <- the qword at rsp through the TLB, rsp += 8 (pop and ret); ret checks the address. */
static void emit_pop_rcx(struct jctx *j, bool ret)
{
    struct emit *e = &j->e;
    jit_load_reg(j, RSI, R_RSP, 8);
    jit_emit_tlb(j, j->k, 8, false);
    e_load64(e, RCX, RDX, 0);
    if (ret) {
        /* A non-canonical return address: the handler raises #GP with rsp unmoved. */
        e_mov_rr(e, true, RAX, RCX);
        e_shift_ri(e, true, 4, RAX, 16);
        e_shift_ri(e, true, 7, RAX, 16);                               /* sar rax, 16 */
        e_op_rr(e, true, 0x39, RCX, RAX);                              /* cmp rax, rcx */
        j->stubs[j->nstubs - 1].from[2] = e_jcc(e, CC_NE);
    }
    e_lea(e, RSI, RSI, 8);
    jit_store_reg(j, RSI, R_RSP);
}

bool jit_pop(struct jctx *j, const struct insn *i, unsigned sz)
{
    (void)sz;
    emit_pop_rcx(j, false);
    jit_store_reg(j, RCX, opcode_reg(i));
    jit_stub_done(j);
    return true;
}

bool jit_ret(struct jctx *j, const struct insn *i, unsigned sz)
{
    (void)i, (void)sz;
    emit_pop_rcx(j, true);
    jit_emit_insn_rip(j, j->k);
    e_store64(&j->e, RCX, RBX, OFF(rip));
    j->rip_set = true;
    jit_stub_done(j);
    return true;
}

bool jit_call(struct jctx *j, const struct insn *i, unsigned sz)
{
    (void)sz;
    int64_t next = j->off[j->k + 1];
    if (!fits32(next + (int64_t)i->imm))
        return false;
    e_lea(&j->e, RCX, R12, (int32_t)next);
    jit_emit_push_rcx(j, j->k);
    jit_emit_insn_rip(j, j->k);
    jit_emit_set_rip(j, next + (int64_t)i->imm);
    jit_stub_done(j);
    j->rip_set = true;
    return true;
}

bool jit_jmp(struct jctx *j, const struct insn *i, unsigned sz)
{
    (void)sz;
    int64_t next = j->off[j->k + 1];
    if (!fits32(next + (int64_t)i->imm))
        return false;
    jit_emit_insn_rip(j, j->k);
    jit_emit_set_rip(j, next + (int64_t)i->imm);
    j->rip_set = true;
    return true;
}

/* jcc: both targets formed, the condition picks one by cmov (lea and mov keep EFLAGS). */
bool jit_jcc(struct jctx *j, const struct insn *i, unsigned sz)
{
    (void)sz;
    struct emit *e = &j->e;
    int64_t next = j->off[j->k + 1];
    if (!fits32(next + (int64_t)i->imm))
        return false;
    unsigned cc = i->op & 15;
    jit_emit_cond(j, &cc);
    if (j->chain && j->k + 1 == j->tb->ninsn && j->cover < 0) {
        /* The block's last, no slow path coming back after it: the chain code branches on
         * EFLAGS and sets the rip on each way, insn_rip on each but a self loop's back edge
         * (jit-chain.c). */
        j->split = true;
        j->split_cc = (uint8_t)cc;
        j->split_off[0] = next;
        j->split_off[1] = next + (int64_t)i->imm;
        j->rip_set = true;
        return true;
    }
    jit_emit_insn_rip(j, j->k);
    e_lea(e, RAX, R12, (int32_t)next);
    e_lea(e, RCX, R12, (int32_t)(next + (int64_t)i->imm));
    e_cmov(e, cc, RAX, RCX);
    e_store64(e, RAX, RBX, OFF(rip));
    j->rip_set = true;
    return true;
}

/* Moves fast-move.c has no form for, by opcode (register operands or a byte/word load, push imm). */
bool jit_move_op(struct jctx *j, const struct insn *i)
{
    struct emit *e = &j->e;
    unsigned sz = i->opsize, op = i->op;
    bool w = sz == 8, reg = i->mod == 3, wide = sz == 4 || sz == 8;
    if (i->lock)
        return false;
    if (op == 0x90 && !(i->rex & 1) && i->rep != 0xf3)
        return true;                                                   /* nop */
    if (op == 0x11f)
        return true;                                                   /* nop Ev */
    if ((op == 0x6a || op == 0x68) && w) {                             /* push imm */
        e_mov_imm(e, RCX, i->imm);
        jit_emit_push_rcx(j, j->k);
        jit_stub_done(j);
        return true;
    }
    if (op == 0x63 && reg && wide) {                                   /* movsxd */
        if (w)
            e_op_mem(e, true, 0x63, RAX, RBX, HNONE, 0, GPR(i->rm));
        else
            jit_load_reg(j, RAX, i->rm, 4);
        jit_store_reg(j, RAX, i->reg);
        return true;
    }
    if ((op == 0x1b6 || op == 0x1be) && reg && wide) {                 /* movzx/movsx r, r8 */
        e_op_mem(e, w && op == 0x1be, op == 0x1b6 ? 0x0fb6 : 0x0fbe, RAX, RBX, HNONE, 0,
                 jit_reg8_off(i, i->rm));
        jit_store_reg(j, RAX, i->reg);
        return true;
    }
    if ((op == 0x1b7 || op == 0x1bf) && reg && wide) {                 /* movzx/movsx r, r16 */
        e_op_mem(e, w && op == 0x1bf, op == 0x1b7 ? 0x0fb7 : 0x0fbf, RAX, RBX, HNONE, 0, GPR(i->rm));
        jit_store_reg(j, RAX, i->reg);
        return true;
    }
    if ((op == 0x1b6 || op == 0x1b7 || op == 0x1be || op == 0x1bf) && !reg && wide &&
        jit_addr_ok(j, j->k, i)) {                                     /* movzx/movsx r, m8/m16 */
        unsigned msz = (op & 1) ? 2 : 1;
        jit_emit_mem_operand(j, j->k, i, msz, false);
        e_op_mem(e, w && op >= 0x1be, 0x0f00 | (op & 0xff), RAX, RDX, HNONE, 0, 0);
        jit_store_reg(j, RAX, i->reg);
        jit_stub_done(j);
        return true;
    }
    if (op >= 0x190 && op <= 0x19f && reg) {                           /* setcc r8 */
        unsigned cc = op & 15;
        jit_emit_cond(j, &cc);
        e_op_mem(e, false, 0x0f90 + cc, 0, RBX, HNONE, 0, jit_reg8_off(i, i->rm));
        jit_clobber8(j, i, i->rm);
        return true;
    }
    if (op >= 0x140 && op <= 0x14f && reg && wide) {                   /* cmovcc r, r */
        unsigned cc = op & 15;
        jit_emit_cond(j, &cc);
        jit_load_reg(j, RAX, i->reg, sz);
        e_op_mem(e, w, 0x0f40 + cc, RAX, RBX, HNONE, 0, GPR(i->rm));
        jit_store_reg(j, RAX, i->reg);
        return true;
    }
    return false;
}
