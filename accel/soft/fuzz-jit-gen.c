/* The translator fuzzer's code generator: from the fuzzer's bytes, a short run of 64-bit
 * instructions biased towards the shapes accel/soft/jit*.c translates inline (fast-move.c's forms:
 * register and memory moves and ALU ops at 32 and 64 bits, inc/dec, lea, push/pop/call/ret, jcc,
 * shifts and rotates at every width by an immediate, 1 or CL (and mov cl, imm8), imul, bt,
 * setcc/cmov/movzx; jit-alu8.c's byte ALU, test, not/neg, cbw/cwd, bswap, movsxd forms; jit-sse.c's
 * SSE2 moves, packed-integer ops, shifts, shuffles, pmovmskb and movd/movq on xmm0-15 and on
 * memory, aligned or not), mixed
 * with forms the translator calls handlers for (string instructions, xchg, lock-prefixed ops),
 * raw bytes, and stores into the code page ahead of or inside the block being run
 * (self-modifying code). Encodings: SDM vol. 2, chapter 2 and the
 * opcode map of appendix A. */
#include <stdbool.h>
#include <string.h>

#include "accel/soft/fuzz-jit.h"

/* Registers a memory operand may use as a base: rbx, rbp, rsi, rdi point into the data area. */
static const uint8_t bases[4] = { 3, 5, 6, 7 };

struct out {
    uint8_t *p;
    size_t n, cap;
};

static void put(struct out *o, unsigned b)
{
    if (o->n < o->cap)
        o->p[o->n++] = (uint8_t)b;
}

static void put32(struct out *o, uint32_t v)
{
    for (int k = 0; k < 4; k++)
        put(o, (v >> (8 * k)) & 0xff);
}

/* REX with W and the high bits of reg (R) and rm (B). */
static void rex(struct out *o, int w, unsigned reg, unsigned rm)
{
    unsigned r = 0x40 | (w ? 8 : 0) | ((reg & 8) ? 4 : 0) | ((rm & 8) ? 1 : 0);
    if (r != 0x40 || (reg & 8) || (rm & 8))
        put(o, r);
}

static void modrm_rr(struct out *o, unsigned reg, unsigned rm)
{
    put(o, 0xc0 | ((reg & 7) << 3) | (rm & 7));
}

/* [base + disp8] (rbp needs the disp8 form anyway), sometimes with an index (SIB). */
static void modrm_mem(struct out *o, struct fz_in *in, unsigned reg)
{
    unsigned sel = fz_byte(in);
    unsigned base = bases[sel & 3];
    if (sel & 4) {
        put(o, 0x44 | ((reg & 7) << 3));                  /* mod 01, SIB */
        unsigned index = (sel >> 3) & 1 ? 1 : 2;          /* rcx or rdx, small values */
        put(o, ((sel >> 4) & 3) << 6 | index << 3 | base);
    } else {
        put(o, 0x40 | ((reg & 7) << 3) | base);
    }
    put(o, fz_byte(in));
}

static unsigned reg_of(struct fz_in *in)
{
    return fz_byte(in) & 15;
}

/* A destination register: not rsp (the stack pointer stays in the data area). */
static unsigned dst_of(struct fz_in *in)
{
    unsigned r = reg_of(in);
    return r == 4 ? 0 : r;
}

static void gen_alu(struct out *o, struct fz_in *in, unsigned kind)
{
    unsigned op = fz_byte(in) & 7, w = fz_byte(in) & 1, r = dst_of(in), m = dst_of(in);
    switch (kind) {
    case 0: rex(o, w, r, m); put(o, op << 3 | 1); modrm_rr(o, r, m); break;        /* op r/m, r */
    case 1: rex(o, w, 0, m); put(o, 0x83); modrm_rr(o, op, m); put(o, fz_byte(in)); break;
    case 2: rex(o, w, 0, m); put(o, 0x81); modrm_rr(o, op, m); put32(o, (uint32_t)fz_u64(in)); break;
    case 3: rex(o, w, r, 0); put(o, op << 3 | 3); modrm_mem(o, in, r); break;      /* op r, [m] */
    case 4: rex(o, w, r, 0); put(o, op << 3 | 1); modrm_mem(o, in, r); break;      /* op [m], r */
    case 5: rex(o, w, 0, 0); put(o, 0x83); modrm_mem(o, in, op); put(o, fz_byte(in)); break;
    case 6: rex(o, w, r, m); put(o, 0x85); modrm_rr(o, r, m); break;               /* test */
    default: put(o, op << 3 | (fz_byte(in) & 1)); modrm_rr(o, r, m); break;        /* 8-bit */
    }
}

static void gen_move(struct out *o, struct fz_in *in, unsigned kind)
{
    unsigned w = fz_byte(in) & 1, r = dst_of(in), m = dst_of(in);
    switch (kind) {
    case 0: rex(o, w, r, m); put(o, 0x89); modrm_rr(o, r, m); break;
    case 1: rex(o, w, r, 0); put(o, 0x8b); modrm_mem(o, in, r); break;             /* load */
    case 2: rex(o, w, r, 0); put(o, 0x89); modrm_mem(o, in, r); break;             /* store */
    case 3: rex(o, w, 0, 0); put(o, 0xc7); modrm_mem(o, in, 0); put32(o, (uint32_t)fz_u64(in)); break;
    case 4: rex(o, 1, r, 0); put(o, 0x8d); modrm_mem(o, in, r); break;             /* lea */
    case 5: rex(o, w, 0, m); put(o, 0xb8 + (m & 7));                               /* mov r, imm */
        put32(o, (uint32_t)fz_u64(in));
        if (w)
            put32(o, (uint32_t)fz_u64(in));
        break;
    case 6: rex(o, w, r, m); put(o, 0x0f); put(o, 0x40 | (fz_byte(in) & 15)); modrm_rr(o, r, m); break;
    case 7: rex(o, 0, 0, m); put(o, 0x0f); put(o, 0x90 | (fz_byte(in) & 15)); modrm_rr(o, 0, m); break;
    case 8: rex(o, w, r, m); put(o, 0x0f); put(o, 0xb6 | (fz_byte(in) & 9)); modrm_rr(o, r, m); break;
    case 9: rex(o, 1, r, m); put(o, 0x63); modrm_rr(o, r, m); break;               /* movsxd */
    case 10: rex(o, w, 0, m); put(o, 0xff); modrm_rr(o, fz_byte(in) & 1, m); break; /* inc/dec */
    default: rex(o, w, 0, 0); put(o, 0xff); modrm_mem(o, in, fz_byte(in) & 1); break;
    }
}

/* Group 2 (C0/C1, D0/D1, D2/D3) at 8, 16, 32 or 64 bits by the low bits of sel. */
static void grp2(struct out *o, unsigned sel, unsigned w, unsigned op, unsigned m, unsigned base)
{
    if ((sel & 3) == 1)
        put(o, 0x66);
    rex(o, w, 0, m);
    put(o, (sel & 3) == 2 ? base - 1 : base);
    modrm_rr(o, op, m);
}

static void gen_shift(struct out *o, struct fz_in *in, unsigned kind)
{
    unsigned w = fz_byte(in) & 1, r = dst_of(in), m = dst_of(in), op = fz_byte(in) & 7;
    switch (kind) {
    case 0: grp2(o, fz_byte(in), w, op, m, 0xc1); put(o, fz_byte(in) & 0x7f); break;
    case 1: grp2(o, fz_byte(in), w, op, m, 0xd1); break;
    case 2: grp2(o, fz_byte(in), w, op, m, 0xd3); break;
    case 7: put(o, 0xb1); put(o, fz_byte(in)); break;                           /* mov cl, imm8 */
    case 3: rex(o, w, r, m); put(o, 0x0f); put(o, 0xaf); modrm_rr(o, r, m); break;  /* imul */
    case 4: rex(o, w, r, m); put(o, 0x6b); modrm_rr(o, r, m); put(o, fz_byte(in)); break;
    case 5: rex(o, w, 0, m); put(o, 0x0f); put(o, 0xba); modrm_rr(o, 4 | (op & 3), m);
        put(o, fz_byte(in)); break;                                                 /* bt/bts/btr/btc */
    default: rex(o, w, r, m); put(o, 0x0f); put(o, 0xa3 | ((op & 3) << 3)); modrm_rr(o, r, m);
        break;                                                          /* bt/bts/btr/btc Ev,Gv */
    }
}

/* n bytes of immediate. */
static void put_imm(struct out *o, struct fz_in *in, unsigned n)
{
    for (unsigned k = 0; k < n; k++)
        put(o, fz_byte(in));
}

/* Byte and one-operand forms (jit-alu8.c): op r8, imm8 and op r8, r8 with AH..BH (no REX), SPL..DIL
 * (REX 40) or R8B..R15B, or at 16 bits (66); test with an immediate, not and neg at every size; cbw/cwd, bswap, movsxd
 * from memory; then, now and then, a reader of the flags they leave (adc/sbb, setc, pushf). */
static void gen_narrow(struct out *o, struct fz_in *in, unsigned kind)
{
    unsigned sel = fz_byte(in), r = dst_of(in), m = dst_of(in), op = fz_byte(in) & 7;
    unsigned pfx = sel & 3, wide = (sel >> 2) & 1, sub = (sel >> 3) & 3;
    unsigned isz = pfx == 3 ? 2 : 4;                    /* pfx 0: none, 1: REX 40/R/B, 2: REX.W, 3: 66 */
    bool byte = (kind <= 1 && pfx != 3) || (kind == 2 && !wide);
    if ((pfx == 0 || pfx == 3) && !byte && (m & 7) == 4)
        m = 0;                                          /* without REX.B: not sp/esp */
    unsigned mm = pfx == 0 && byte && (sel & 0x40) ? 4 : m, rr = pfx == 0 && byte && (sel & 0x20) ? 4 : r;
    if (pfx == 3)
        put(o, 0x66);
    else if (pfx == 1)
        put(o, 0x40 | ((r & 8) ? 4 : 0) | ((m & 8) ? 1 : 0));
    else if (pfx == 2)
        rex(o, 1, r, m);
    switch (kind) {
    case 0: put(o, pfx == 3 ? 0x83 : 0x80); modrm_rr(o, op, mm); put(o, fz_byte(in)); break;
    case 1: put(o, op << 3 | (wide ? 2 : 0) | (pfx == 3)); modrm_rr(o, rr, mm); break;  /* r8/r16 */
    case 2: put(o, 0xf6 | wide); modrm_rr(o, sub, mm);                           /* test/not/neg */
        if (sub <= 1)
            put_imm(o, in, wide ? isz : 1);
        break;
    case 3: put(o, 0xa8 | wide); put_imm(o, in, wide ? isz : 1); break;          /* test al/eax, imm */
    case 4: put(o, 0x98 | wide); break;                                          /* cbw/cwd */
    case 5: put(o, 0x0f); put(o, 0xc8 + (m & 7)); break;                         /* bswap */
    case 6: put(o, wide ? op << 3 | 2 : 0x63); modrm_mem(o, in, r); break;       /* op r8/movsxd, [m] */
    default: put(o, 0xf7); modrm_mem(o, in, 0); put_imm(o, in, isz); break;      /* test [m], imm */
    }
    switch (fz_byte(in) & 7) {
    case 0: rex(o, 0, r, m); put(o, (sel & 0x80) ? 0x19 : 0x11); modrm_rr(o, r, m); break;
    case 1: put(o, 0x0f); put(o, 0x92); modrm_rr(o, 0, m); break;                /* setc */
    case 2: put(o, 0x9c); put(o, 0x58 + (r & 7)); break;                         /* pushf; pop */
    case 3: put(o, 0x6a); put(o, fz_byte(in)); put(o, 0x58 + (r & 7)); break;    /* push imm8; pop */
    default: break;
    }
}

/* Control flow and the stack; jumps go a few bytes either way (into instructions too). */
static void gen_flow(struct out *o, struct fz_in *in, unsigned kind)
{
    unsigned r = dst_of(in);
    switch (kind) {
    case 0: put(o, 0x70 | (fz_byte(in) & 15)); put(o, fz_byte(in) & 0x1f); break;   /* jcc fwd */
    case 1: put(o, 0x70 | (fz_byte(in) & 15)); put(o, (uint8_t)-(int)(fz_byte(in) & 0x3f)); break;
    case 2: put(o, 0xeb); put(o, fz_byte(in) & 0x0f); break;
    case 3: rex(o, 0, 0, r); put(o, 0x50 + (r & 7)); break;                          /* push */
    case 4: rex(o, 0, 0, r); put(o, 0x58 + (r & 7)); break;                          /* pop */
    case 5: put(o, 0xe8); put32(o, 0); rex(o, 0, 0, r); put(o, 0x58 + (r & 7)); break;  /* call; pop */
    default: put(o, 0xe8); put32(o, 1); put(o, 0xc3); break;                       /* call over a ret */
    }
}

/* Handler-run forms: strings (a few bytes), xchg, lock-prefixed ops, 16-bit ops. */
static void gen_other(struct out *o, struct fz_in *in, unsigned kind)
{
    unsigned w = fz_byte(in) & 1, r = dst_of(in), m = dst_of(in);
    switch (kind) {
    case 0: put(o, 0xb9); put32(o, fz_byte(in) & 15);                                /* mov ecx, n */
        put(o, 0xf3); put(o, 0xa4 + (fz_byte(in) & 1) * 6 + (fz_byte(in) & 1)); break;  /* rep movs/stos */
    case 1: rex(o, w, r, 0); put(o, 0x87); modrm_mem(o, in, r); break;
    case 2: put(o, 0xf0); rex(o, w, r, 0); put(o, (fz_byte(in) & 7) << 3 | 1); modrm_mem(o, in, r); break;
    case 3: put(o, 0x66); rex(o, 0, r, m); put(o, (fz_byte(in) & 7) << 3 | 1); modrm_rr(o, r, m); break;
    case 4: put(o, fz_byte(in) & 1 ? 0xfc : 0xfd); break;                           /* cld/std */
    default: put(o, 0x9c); put(o, 0x58 + (r & 7)); break;                           /* pushf; pop */
    }
}

/* SSE2 (jit-sse.c): a 66 0F packed-integer op, the 128-bit moves with their mandatory prefix,
 * pshufd/hw/lw, shifts by imm8, pmovmskb, movd/movq. Memory operands land anywhere in the data
 * (the aligned forms mostly fault with #GP: an early end the translator must match). */
static void gen_sse(struct out *o, struct fz_in *in, unsigned kind)
{
    static const uint8_t ops[16] = { 0x60, 0x62, 0x69, 0x6c, 0x74, 0x75, 0x76, 0xd4,
                                     0xdb, 0xdf, 0xeb, 0xef, 0xfa, 0xfb, 0xfe, 0xd1 };
    static const uint8_t moves[8][2] = { { 0xf3, 0x6f }, { 0xf3, 0x7f }, { 0x66, 0x6f }, { 0x66, 0x7f },
                                         { 0, 0x10 }, { 0, 0x11 }, { 0, 0x28 }, { 0x66, 0x29 } };
    static const uint16_t shifts[6] = { 0x71 << 3 | 2, 0x72 << 3 | 4, 0x72 << 3 | 6, 0x73 << 3 | 2,
                                       0x73 << 3 | 3, 0x73 << 3 | 7 };
    unsigned sel = fz_byte(in), x = reg_of(in), y = reg_of(in), mem = sel & 1;
    const uint8_t *mv = moves[(sel >> 1) & 7];
    switch (kind) {
    case 0: case 1:                                            /* op x, x/m128 */
        put(o, 0x66); rex(o, 0, x, mem ? 0 : y); put(o, 0x0f); put(o, ops[(sel >> 1) & 15]);
        break;
    case 2:                                                    /* the moves */
        if (mv[0])
            put(o, mv[0]);
        rex(o, 0, x, mem ? 0 : y); put(o, 0x0f); put(o, mv[1]);
        break;
    case 3:                                                    /* pshufd/hw/lw x, x/m128, ib */
        put(o, (sel & 6) == 0 ? 0xf3 : (sel & 6) == 2 ? 0xf2 : 0x66); rex(o, 0, x, mem ? 0 : y);
        put(o, 0x0f); put(o, 0x70);
        break;
    case 4: {                                                  /* shift x, ib; pmovmskb r, x */
        unsigned sh = shifts[(sel >> 1) % 6], r = dst_of(in);
        put(o, 0x66);
        if (sel & 1) {
            rex(o, 0, 0, y); put(o, 0x0f); put(o, sh >> 3); modrm_rr(o, sh & 7, y); put(o, fz_byte(in) & 0x7f);
        } else {
            rex(o, 0, r, y); put(o, 0x0f); put(o, 0xd7); modrm_rr(o, r, y);
        }
        return;
    }
    default: {                                                 /* movd/movq, both ways */
        static const uint8_t mq[4][2] = { { 0x66, 0x6e }, { 0x66, 0x7e }, { 0xf3, 0x7e }, { 0x66, 0xd6 } };
        const uint8_t *m = mq[(sel >> 1) & 3];
        unsigned w = (sel >> 3) & 1 && m[0] == 0x66 && m[1] != 0xd6, r = m[1] == 0xd6 || m[0] == 0xf3 ? y : dst_of(in);
        put(o, m[0]); rex(o, w, x, mem ? 0 : r); put(o, 0x0f); put(o, m[1]);
        y = r;
        break;
    }
    }
    if (mem)
        modrm_mem(o, in, x);
    else
        modrm_rr(o, x, y);
    if (kind == 3)
        put(o, fz_byte(in));
}

/* A store into the code page: mov byte [rip + d], imm8, d reaching the bytes just written or up to
 * 64 bytes ahead (the rest of this block, or a later one). */
static void gen_smc(struct out *o, struct fz_in *in)
{
    int target = (int)o->n - 16 + (int)(fz_byte(in) & 0x5f);
    if (target < 0)
        target = 0;
    int end = (int)o->n + 7;
    put(o, 0xc6); put(o, 0x05); put32(o, (uint32_t)(target - end)); put(o, fz_byte(in));
}

size_t fz_gen_code(struct fz_in *in, uint8_t *code, size_t cap)
{
    struct out o = { code, 0, cap };
    unsigned count = 1 + fz_byte(in) % 48;
    for (unsigned k = 0; k < count && in->n && o.n + 16 < cap; k++) {
        unsigned pick = fz_byte(in);
        switch (pick % 17) {
        case 0: case 1: case 2: case 3: gen_alu(&o, in, pick / 16 % 8); break;
        case 4: case 5: case 6: case 7: gen_move(&o, in, pick / 16 % 12); break;
        case 8: case 9: gen_shift(&o, in, pick / 16 % 8); break;
        case 10: case 11: gen_flow(&o, in, pick / 16 % 7); break;
        case 12: gen_other(&o, in, pick / 16 % 6); break;
        case 13: gen_smc(&o, in); break;
        case 14: gen_narrow(&o, in, pick / 16 % 8); break;
        case 15: gen_sse(&o, in, pick / 16 % 6); break;
        default: {
            unsigned n = 1 + pick / 16 % 4;                                         /* raw bytes */
            for (unsigned b = 0; b < n; b++)
                put(&o, fz_byte(in));
        }
        }
    }
    return o.n;
}
