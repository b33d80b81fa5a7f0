/* Specialized handlers for the next tier of hot forms (after fast-move.c's mov/load/store/push/pop):
 * shifts and rotates by an immediate, 1 or CL, imul, movzx/movsx/movsxd, test, byte cmp, byte and
 * word stores, not/neg, inc/dec in memory, bt, picked once at decode time for register operands
 * and, in 64-bit mode, for memory operands that hit the soft TLB (fast-alu-cc.c has the ALU,
 * jcc, cmov and setcc ones). Each one must behave exactly as the general handler it replaces: the
 * differential tests (tests/isa) run these against the host CPU. */
#include "accel/soft/alu.h"
#include "accel/soft/fast.h"
#include "accel/soft/fast-mem.h"
#include "accel/soft/ops.h"

/* ---- shifts and rotates of a 32/64-bit register (C1, D1, D3 with mod = 3) ---- */

/* The count is masked to 5 bits (6 with REX.W); a masked count of 0 changes no flag, but a 32-bit
 * destination is still written, so its upper half is cleared (as the general handler does). */
#define SHIFT_FN(NAME, BITS, T, COUNT, BODY)                                                        \
    static OP(NAME)                                                                                 \
    {                                                                                               \
        unsigned n = (unsigned)(COUNT) & ((BITS) == 64 ? 63 : 31);                                  \
        uint64_t v = (T)c->gpr[i->rm];                                                              \
        if (n == 0) {                                                                               \
            c->gpr[i->rm] = v;                                                                      \
            return;                                                                                 \
        }                                                                                           \
        uint64_t r;                                                                                 \
        BODY                                                                                        \
        c->gpr[i->rm] = r;                                                                          \
    }

/* shl: CF is the last bit shifted out, OF = MSB(result) xor CF (SDM vol. 2, SAL/SAR/SHL/SHR). */
#define SHL_BODY(BITS, T)                                                                           \
    r = (T)(v << n);                                                                                \
    uint64_t cf = (v >> ((BITS) - n)) & 1;                                                          \
    lf_set(c, LF_SHIFT, (BITS) / 8, r, cf, (r >> ((BITS) - 1)) != cf);
/* shr: OF is the original MSB. */
#define SHR_BODY(BITS, T)                                                                           \
    r = v >> n;                                                                                     \
    lf_set(c, LF_SHIFT, (BITS) / 8, r, (v >> (n - 1)) & 1, v >> ((BITS) - 1));
/* sar: OF = 0. */
#define SAR_BODY(BITS, T)                                                                           \
    int64_t s = (BITS) == 64 ? (int64_t)v : (int64_t)(int32_t)v;                                    \
    r = (T)(s >> n);                                                                                \
    lf_set(c, LF_SHIFT, (BITS) / 8, r, (uint64_t)(s >> (n - 1)) & 1, 0);
/* rol/ror touch CF and OF only (flags_rotate keeps the rest lazy). */
#define ROL_BODY(BITS, T)                                                                           \
    r = (T)((v << n) | (v >> ((BITS) - n)));                                                        \
    flags_rotate(c, r & 1, (r >> ((BITS) - 1)) ^ (r & 1));
#define ROR_BODY(BITS, T)                                                                           \
    r = (T)((v >> n) | (v << ((BITS) - n)));                                                        \
    flags_rotate(c, r >> ((BITS) - 1), ((r >> ((BITS) - 1)) ^ (r >> ((BITS) - 2))) & 1);

#define SHIFT_SET(OPN, BODYM)                                                                       \
    SHIFT_FN(fast_##OPN##32_imm, 32, uint32_t, i->imm, BODYM(32, uint32_t))                           \
    SHIFT_FN(fast_##OPN##64_imm, 64, uint64_t, i->imm, BODYM(64, uint64_t))                           \
    SHIFT_FN(fast_##OPN##32_1, 32, uint32_t, 1, BODYM(32, uint32_t))                                  \
    SHIFT_FN(fast_##OPN##64_1, 64, uint64_t, 1, BODYM(64, uint64_t))                                  \
    SHIFT_FN(fast_##OPN##32_cl, 32, uint32_t, c->gpr[R_RCX], BODYM(32, uint32_t))                     \
    SHIFT_FN(fast_##OPN##64_cl, 64, uint64_t, c->gpr[R_RCX], BODYM(64, uint64_t))

SHIFT_SET(rol, ROL_BODY)
SHIFT_SET(ror, ROR_BODY)
SHIFT_SET(shl, SHL_BODY)
SHIFT_SET(shr, SHR_BODY)
SHIFT_SET(sar, SAR_BODY)

/* [op][count form: imm, 1, cl][size: 32, 64]; NULL for rcl/rcr, which stay general. */
#define SHIFT_ROW(OPN)                                                                              \
    { { fast_##OPN##32_imm, fast_##OPN##64_imm }, { fast_##OPN##32_1, fast_##OPN##64_1 },                   \
      { fast_##OPN##32_cl, fast_##OPN##64_cl } }
static const op_fn shift_fns[8][3][2] = {
    SHIFT_ROW(rol), SHIFT_ROW(ror), { { 0 } }, { { 0 } },
    SHIFT_ROW(shl), SHIFT_ROW(shr), SHIFT_ROW(shl) /* /6 is sal = shl */, SHIFT_ROW(sar),
};

/* ---- imul Gv, Ev (0F AF) and imul Gv, Ev, imm (69, 6B): CF = OF = the product did not fit ---- */

static inline uint64_t imul64(struct cpu *c, uint64_t a, uint64_t b)
{
    int64_t lo;
    bool ov = __builtin_mul_overflow((int64_t)a, (int64_t)b, &lo);
    lf_set(c, LF_SHIFT, 8, (uint64_t)lo, ov, ov);
    return (uint64_t)lo;
}

static inline uint64_t imul32(struct cpu *c, uint64_t a, uint64_t b)
{
    int64_t p = (int64_t)(int32_t)a * (int32_t)b;
    bool ov = p != (int32_t)p;
    lf_set(c, LF_SHIFT, 4, (uint32_t)p, ov, ov);
    return (uint32_t)p;
}

static OP(fast_imul_rr64) { c->gpr[i->reg] = imul64(c, c->gpr[i->reg], c->gpr[i->rm]); }
static OP(fast_imul_rr32) { c->gpr[i->reg] = imul32(c, c->gpr[i->reg], c->gpr[i->rm]); }
static OP(fast_imul_rm64) { uint64_t b = ld(c, i, 8); c->gpr[i->reg] = imul64(c, c->gpr[i->reg], b); }
static OP(fast_imul_rm32) { uint64_t b = ld(c, i, 4); c->gpr[i->reg] = imul32(c, c->gpr[i->reg], b); }
static OP(fast_imul_rri64) { c->gpr[i->reg] = imul64(c, c->gpr[i->rm], i->imm); }
static OP(fast_imul_rri32) { c->gpr[i->reg] = imul32(c, c->gpr[i->rm], i->imm); }
static OP(fast_imul_rmi64) { c->gpr[i->reg] = imul64(c, ld(c, i, 8), i->imm); }
static OP(fast_imul_rmi32) { c->gpr[i->reg] = imul32(c, ld(c, i, 4), i->imm); }

/* ---- movzx / movsx (0F B6 B7 BE BF) and movsxd (63) to a 32/64-bit register ---- */

static OP(fast_movzx_rr8) { c->gpr[i->reg] = r8(c, i, i->rm); }
static OP(fast_movzx_rr16) { c->gpr[i->reg] = (uint16_t)c->gpr[i->rm]; }
static OP(fast_movzx_rm8) { c->gpr[i->reg] = ld(c, i, 1); }
static OP(fast_movzx_rm16) { c->gpr[i->reg] = ld(c, i, 2); }
static OP(fast_movsx32_rr8) { c->gpr[i->reg] = (uint32_t)(int32_t)(int8_t)r8(c, i, i->rm); }
static OP(fast_movsx64_rr8) { c->gpr[i->reg] = (uint64_t)(int64_t)(int8_t)r8(c, i, i->rm); }
static OP(fast_movsx32_rr16) { c->gpr[i->reg] = (uint32_t)(int32_t)(int16_t)c->gpr[i->rm]; }
static OP(fast_movsx64_rr16) { c->gpr[i->reg] = (uint64_t)(int64_t)(int16_t)c->gpr[i->rm]; }
static OP(fast_movsx32_rm8) { c->gpr[i->reg] = (uint32_t)(int32_t)(int8_t)ld(c, i, 1); }
static OP(fast_movsx64_rm8) { c->gpr[i->reg] = (uint64_t)(int64_t)(int8_t)ld(c, i, 1); }
static OP(fast_movsx32_rm16) { c->gpr[i->reg] = (uint32_t)(int32_t)(int16_t)ld(c, i, 2); }
static OP(fast_movsx64_rm16) { c->gpr[i->reg] = (uint64_t)(int64_t)(int16_t)ld(c, i, 2); }
static OP(fast_movsxd_rr) { c->gpr[i->reg] = (uint64_t)(int64_t)(int32_t)c->gpr[i->rm]; }
static OP(fast_movsxd_rm) { c->gpr[i->reg] = (uint64_t)(int64_t)(int32_t)ld(c, i, 4); }

/* ---- test (84, 85 with memory, F6/F7 /0 with memory) ---- */

static OP(fast_test_rr8)
{
    uint64_t r = r8(c, i, i->rm) & r8(c, i, i->reg);
    lf_set(c, LF_LOGIC, 1, r, r, 0);
}

static OP(fast_test_mr8)
{
    uint64_t r = ld(c, i, 1) & r8(c, i, i->reg);
    lf_set(c, LF_LOGIC, 1, r, r, 0);
}

static OP(fast_test_mr32)
{
    uint64_t r = ld(c, i, 4) & (uint32_t)c->gpr[i->reg];
    lf_set(c, LF_LOGIC, 4, r, r, 0);
}

static OP(fast_test_mr64)
{
    uint64_t r = ld(c, i, 8) & c->gpr[i->reg];
    lf_set(c, LF_LOGIC, 8, r, r, 0);
}

static OP(fast_test_mi8)
{
    uint64_t r = ld(c, i, 1) & (uint8_t)i->imm;
    lf_set(c, LF_LOGIC, 1, r, r, 0);
}

static OP(fast_test_mi32)
{
    uint64_t r = ld(c, i, 4) & (uint32_t)i->imm;
    lf_set(c, LF_LOGIC, 4, r, r, 0);
}

static OP(fast_test_mi64)
{
    uint64_t r = ld(c, i, 8) & i->imm;
    lf_set(c, LF_LOGIC, 8, r, r, 0);
}

/* ---- cmp with a byte in memory (38, 3A, 80 /7) and cmp al, imm8 (3C) ---- */

static OP(fast_cmp_mi8)
{
    uint64_t a = ld(c, i, 1), b = (uint8_t)i->imm;
    lf_set(c, LF_SUB, 1, a - b, a, b);
}

static OP(fast_cmp_al_i8)
{
    uint64_t a = (uint8_t)c->gpr[R_RAX], b = (uint8_t)i->imm;
    lf_set(c, LF_SUB, 1, a - b, a, b);
}

static OP(fast_cmp_ri8)
{
    uint64_t a = r8(c, i, i->rm), b = (uint8_t)i->imm;
    lf_set(c, LF_SUB, 1, a - b, a, b);
}

static OP(fast_test_ri8)
{
    uint64_t r = r8(c, i, i->rm) & (uint8_t)i->imm;
    lf_set(c, LF_LOGIC, 1, r, r, 0);
}

static OP(fast_test_al_i8)
{
    uint64_t r = c->gpr[R_RAX] & (uint8_t)i->imm;
    lf_set(c, LF_LOGIC, 1, r, r, 0);
}

/* cmp Eb, Gb (38) and cmp Gb, Eb (3A) with memory. */
static OP(fast_cmp_mr8)
{
    uint64_t a = ld(c, i, 1), b = r8(c, i, i->reg);
    lf_set(c, LF_SUB, 1, a - b, a, b);
}

static OP(fast_cmp_rm8)
{
    uint64_t b = ld(c, i, 1), a = r8(c, i, i->reg);
    lf_set(c, LF_SUB, 1, a - b, a, b);
}

/* ---- byte and word stores (88, 66 89, C6) ---- */

static OP(fast_store8) { st8(c, i, r8(c, i, i->reg)); }
static OP(fast_store8_imm) { st8(c, i, (uint8_t)i->imm); }
static OP(fast_store16) { st16(c, i, (uint16_t)c->gpr[i->reg]); }

/* ---- not / neg of a 32/64-bit register (F7 /2, /3) ---- */

static OP(fast_not_r64) { c->gpr[i->rm] = ~c->gpr[i->rm]; }
static OP(fast_not_r32) { c->gpr[i->rm] = (uint32_t)~c->gpr[i->rm]; }

static OP(fast_neg_r64)
{
    uint64_t b = c->gpr[i->rm], r = 0 - b;
    lf_set(c, LF_SUB, 8, r, 0, b);
    c->gpr[i->rm] = r;
}

static OP(fast_neg_r32)
{
    uint64_t b = (uint32_t)c->gpr[i->rm], r = (uint32_t)(0 - b);
    lf_set(c, LF_SUB, 4, r, 0, b);
    c->gpr[i->rm] = r;
}

/* ---- inc / dec of a dword or qword in memory (FF /0, /1), in place on a TLB hit ---- */

#define INCDEC_MEM(NAME, SIZE, T)                                                                   \
    static OP(NAME)                                                                                 \
    {                                                                                               \
        uint8_t *p = host_rw(c, i, SIZE);                                                           \
        if (!p) {                                                                                   \
            op_grp5(c, i);                                                                          \
            return;                                                                                 \
        }                                                                                           \
        T v;                                                                                        \
        memcpy(&v, p, SIZE);                                                                        \
        v = (T)alu_incdec(c, SIZE, v, (i->modrm >> 3) & 1);                                         \
        memcpy(p, &v, SIZE);                                                                        \
    }
INCDEC_MEM(fast_incdec_m32, 4, uint32_t)
INCDEC_MEM(fast_incdec_m64, 8, uint64_t)

/* lea with a 32-bit destination in 64-bit mode: the address computed at 64 bits, truncated. */
static OP(fast_lea32)
{
    uint64_t ea = (uint64_t)(int64_t)i->disp;
    if (i->base != NO_REG)
        ea += i->base == RIP_REG ? c->rip : c->gpr[i->base];
    if (i->index != NO_REG)
        ea += c->gpr[i->index] << i->scale;
    c->gpr[i->reg] = (uint32_t)ea;
}

/* ---- bt of a 32/64-bit register by an immediate (0F BA /4) or a register (0F A3) ---- */

static OP(fast_bt_ri32) { flags_set_cf(c, (c->gpr[i->rm] >> (i->imm & 31)) & 1); }
static OP(fast_bt_ri64) { flags_set_cf(c, (c->gpr[i->rm] >> (i->imm & 63)) & 1); }
static OP(fast_bt_rr32) { flags_set_cf(c, (c->gpr[i->rm] >> (c->gpr[i->reg] & 31)) & 1); }
static OP(fast_bt_rr64) { flags_set_cf(c, (c->gpr[i->rm] >> (c->gpr[i->reg] & 63)) & 1); }

/* ---- the choice, made once per decoded instruction ---- */

bool fast_int_specialize(struct insn *i, unsigned code_size)
{
    if (i->lock || (code_size != 4 && code_size != 8))
        return false;
    if (fast_alu_cc_specialize(i, code_size))
        return true;
    op_fn general = i->fn;
    bool reg = i->mod == 3, mem64 = !reg && code_size == 8;
    unsigned sz = i->opsize, op = i->op, sub = (i->modrm >> 3) & 7;
    bool wide = sz == 8, word = sz == 4;
    switch (op) {
    case 0xc1: case 0xd1: case 0xd3: {
        unsigned form = op == 0xc1 ? 0 : op == 0xd1 ? 1 : 2;
        if (reg && (wide || word) && shift_fns[sub][form][wide])
            i->fn = shift_fns[sub][form][wide];
        break;
    }
    case 0x1af:
        if (reg && (wide || word))
            i->fn = wide ? fast_imul_rr64 : fast_imul_rr32;
        else if (mem64 && (wide || word))
            i->fn = wide ? fast_imul_rm64 : fast_imul_rm32;
        break;
    case 0x69: case 0x6b:
        if (reg && (wide || word))
            i->fn = wide ? fast_imul_rri64 : fast_imul_rri32;
        else if (mem64 && (wide || word))
            i->fn = wide ? fast_imul_rmi64 : fast_imul_rmi32;
        break;
    case 0x1b6: case 0x1b7:
        if (!(wide || word) || !(reg || mem64))
            break;
        if (op == 0x1b6)
            i->fn = reg ? fast_movzx_rr8 : fast_movzx_rm8;
        else
            i->fn = reg ? fast_movzx_rr16 : fast_movzx_rm16;
        break;
    case 0x1be:
        if (reg && (wide || word))
            i->fn = wide ? fast_movsx64_rr8 : fast_movsx32_rr8;
        else if (mem64 && (wide || word))
            i->fn = wide ? fast_movsx64_rm8 : fast_movsx32_rm8;
        break;
    case 0x1bf:
        if (reg && (wide || word))
            i->fn = wide ? fast_movsx64_rr16 : fast_movsx32_rr16;
        else if (mem64 && (wide || word))
            i->fn = wide ? fast_movsx64_rm16 : fast_movsx32_rm16;
        break;
    case 0x63:   /* movsxd only in 64-bit mode (arpl elsewhere) */
        if (code_size == 8 && wide)
            i->fn = reg ? fast_movsxd_rr : fast_movsxd_rm;
        break;
    case 0x84:
        if (reg)
            i->fn = fast_test_rr8;
        else if (mem64)
            i->fn = fast_test_mr8;
        break;
    case 0x85:
        if (mem64 && (wide || word))
            i->fn = wide ? fast_test_mr64 : fast_test_mr32;
        break;
    case 0xf6:
        if (sub < 2)
            i->fn = reg ? fast_test_ri8 : mem64 ? fast_test_mi8 : i->fn;
        break;
    case 0xf7:
        if (mem64 && sub < 2 && (wide || word))
            i->fn = wide ? fast_test_mi64 : fast_test_mi32;
        else if (reg && sub == 2 && (wide || word))
            i->fn = wide ? fast_not_r64 : fast_not_r32;
        else if (reg && sub == 3 && (wide || word))
            i->fn = wide ? fast_neg_r64 : fast_neg_r32;
        break;
    case 0x80:
        if (sub == 7)
            i->fn = reg ? fast_cmp_ri8 : mem64 ? fast_cmp_mi8 : i->fn;
        break;
    case 0x1ba:
        if (reg && sub == 4 && (wide || word))
            i->fn = wide ? fast_bt_ri64 : fast_bt_ri32;
        break;
    case 0x1a3:
        if (reg && (wide || word))
            i->fn = wide ? fast_bt_rr64 : fast_bt_rr32;
        break;
    case 0x3c:
        i->fn = fast_cmp_al_i8;
        break;
    case 0xa8:
        i->fn = fast_test_al_i8;
        break;
    case 0x38:
        if (mem64)
            i->fn = fast_cmp_mr8;
        break;
    case 0x3a:
        if (mem64)
            i->fn = fast_cmp_rm8;
        break;
    case 0x88:
        if (mem64)
            i->fn = fast_store8;
        break;
    case 0xc6:
        if (mem64 && sub == 0)
            i->fn = fast_store8_imm;
        break;
    case 0x89:
        if (mem64 && sz == 2)
            i->fn = fast_store16;
        break;
    case 0xff:
        if (mem64 && sub < 2 && (wide || word))
            i->fn = wide ? fast_incdec_m64 : fast_incdec_m32;
        break;
    case 0x8d:
        if (mem64 && word && i->addrsize == 8) {
            i->fn = fast_lea32;
            i->form = FORM_LEA32;
        }
        break;
    default:
        break;
    }
    return i->fn != general;
}
