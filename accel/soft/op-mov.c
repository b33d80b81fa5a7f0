/* Data movement: mov in its forms, lea, xchg, sign/zero extension, cmov/setcc, bswap, and the
 * atomic exchanges cmpxchg/xadd/cmpxchg8b/16b. */
#include <stdio.h>

#include "accel/soft/alu.h"
#include "accel/soft/ops.h"

OP(op_mov_rm_r)
{
    unsigned size = (i->op & 1) ? i->opsize : 1;
    rm_write(c, i, size, greg_read(c, i, i->reg, size));
}

OP(op_mov_r_rm)
{
    unsigned size = (i->op & 1) ? i->opsize : 1;
    greg_write(c, i, i->reg, size, rm_read(c, i, size));
}

OP(op_mov_rm_sreg)
{
    unsigned s = i->reg & 7;
    if (s > SEG_GS)
        cpu_raise_ud(c);
    /* To a register: zero-extended to the operand size; to memory: always 16 bits. */
    if (i->mod == 3)
        reg_write(c, i->rm, i->opsize == 2 ? 2 : i->opsize, c->seg[s].sel);
    else
        rm_write(c, i, 2, c->seg[s].sel);
}

OP(op_mov_sreg_rm)
{
    unsigned s = i->reg & 7;
    if (s == SEG_CS || s > SEG_GS)
        cpu_raise_ud(c);
    seg_load(c, (int)s, (uint16_t)rm_read(c, i, 2));
    if (s == SEG_SS)
        c->irq_shadow = c->db_shadow = true;
}

OP(op_lea)
{
    if (i->mod == 3)
        cpu_raise_ud(c);
    uint64_t ea = (uint64_t)(int64_t)i->disp;
    if (i->base != NO_REG)
        ea += i->base == RIP_REG ? c->rip : c->gpr[i->base];
    if (i->index != NO_REG)
        ea += c->gpr[i->index] << i->scale;
    reg_write(c, i->reg, i->opsize, ea & size_mask(i->addrsize));
}

OP(op_xchg_r_a)
{
    unsigned r = (i->op & 7) | ((i->rex & 1) << 3);
    if (r == R_RAX) {
        /* 90: nop, F3 90 pause. In 64-bit mode "xchg eax,eax" is a nop too (no zero-extension). */
        if (i->rep == 0xf3)
            op_pause(c, i);
        return;
    }
    uint64_t a = reg_read(c, R_RAX, i->opsize), b = reg_read(c, r, i->opsize);
    reg_write(c, R_RAX, i->opsize, b);
    reg_write(c, r, i->opsize, a);
}

static uint64_t rmw_xchg(struct cpu *c, unsigned size, uint64_t old, uint64_t arg, unsigned op)
{
    (void)c; (void)size; (void)old; (void)op;
    return arg;
}

OP(op_xchg_rm_r)
{
    unsigned size = (i->op & 1) ? i->opsize : 1;
    uint64_t r = greg_read(c, i, i->reg, size);
    if (i->mod == 3) {
        greg_write(c, i, i->reg, size, greg_read(c, i, i->rm, size));
        greg_write(c, i, i->rm, size, r);
        return;
    }
    /* xchg with memory is always locked (SDM vol. 2, XCHG). */
    uint64_t lin = ea_linear_rmw(c, i, size);
    void *p = lin_host_rmw(c, lin, size);
    uint64_t old;
    if (p) {
        switch (size) {
        case 1: old = __atomic_exchange_n((uint8_t *)p, (uint8_t)r, __ATOMIC_SEQ_CST); break;
        case 2: old = __atomic_exchange_n((uint16_t *)p, (uint16_t)r, __ATOMIC_SEQ_CST); break;
        case 4: old = __atomic_exchange_n((uint32_t *)p, (uint32_t)r, __ATOMIC_SEQ_CST); break;
        default: old = __atomic_exchange_n((uint64_t *)p, r, __ATOMIC_SEQ_CST); break;
        }
    } else {
        old = lin_read(c, lin, size, cpu_user(c));
        lin_write(c, lin, size, rmw_xchg(c, size, old, r, 0), cpu_user(c));
    }
    greg_write(c, i, i->reg, size, old);
}

OP(op_cbw)
{
    unsigned s = i->opsize;
    reg_write(c, R_RAX, s, (uint64_t)sext(reg_read(c, R_RAX, s / 2), s / 2));
}

OP(op_cwd)
{
    unsigned s = i->opsize;
    bool neg = reg_read(c, R_RAX, s) & sign_bit(s);
    reg_write(c, R_RDX, s, neg ? ~0ull : 0);
}

OP(op_sahf)
{
    (void)i;
    uint64_t f = cpu_get_flags(c);
    uint8_t ah = (uint8_t)(c->gpr[R_RAX] >> 8);
    flags_set_arith(c, (f & F_OF) | (ah & (F_SF | F_ZF | F_AF | F_PF | F_CF)));
}

OP(op_lahf)
{
    (void)i;
    uint8_t f = (uint8_t)cpu_get_flags(c);
    c->gpr[R_RAX] = (c->gpr[R_RAX] & ~0xff00ull) | ((uint64_t)(f | 2) << 8);
}

OP(op_mov_a_moffs)
{
    unsigned size = (i->op & 1) ? i->opsize : 1;
    uint64_t off = i->imm & size_mask(i->addrsize);
    if (i->op < 0xa2)
        reg_write(c, R_RAX, size, mem_read(c, i->seg, off, size));
    else
        mem_write(c, i->seg, off, size, reg_read(c, R_RAX, size));
}

OP(op_mov_r_imm)
{
    unsigned r = (i->op & 7) | ((i->rex & 1) << 3);
    if (i->op < 0xb8)
        reg8_write(c, i, r, (uint8_t)i->imm);
    else
        reg_write(c, r, i->opsize, i->imm);
}

OP(op_mov_rm_imm)
{
    if ((i->modrm >> 3) & 7)
        cpu_raise_ud(c);   /* xabort/xbegin (C6 F8, C7 F8): no RTM */
    rm_write(c, i, (i->op & 1) ? i->opsize : 1, i->imm);
}

OP(op_xlat)
{
    (void)i;
    uint64_t off = (c->gpr[R_RBX] + (c->gpr[R_RAX] & 0xff)) & size_mask(i->addrsize);
    reg_write(c, R_RAX, 1, mem_read(c, i->seg, off, 1));
}

/* 0F B6/B7 movzx, 0F BE/BF movsx. */
OP(op_movx)
{
    unsigned src = (i->op & 1) ? 2 : 1;
    uint64_t v = rm_read(c, i, src);
    if (i->op & 8)
        v = (uint64_t)sext(v, src);
    reg_write(c, i->reg, i->opsize, v);
}

/* 63: movsxd in 64-bit mode; arpl elsewhere (only meaningful in protected mode). */
OP(op_movsxd)
{
    if (c->code_size == 8) {
        /* With a 16-bit operand size Intel reads 16 bits, AMD all 32 (a fault on the upper two
         * bytes tells them apart); 16 bits are written. */
        uint64_t v = rm_read(c, i, i->opsize == 2 && c->vendor != CPU_VENDOR_AMD ? 2 : 4);
        reg_write(c, i->reg, i->opsize, i->opsize == 8 ? (uint64_t)(int64_t)(int32_t)v : v);
        return;
    }
    op_arpl(c, i);
}

OP(op_cmov)
{
    /* The source is read (and may fault) whatever the condition; a 32-bit destination is
     * zero-extended even when no move happens. */
    uint64_t v = rm_read(c, i, i->opsize);
    if (cpu_cond(c, i->op & 15))
        reg_write(c, i->reg, i->opsize, v);
    else if (i->opsize == 4)
        reg_write(c, i->reg, 4, c->gpr[i->reg]);
}

OP(op_setcc)
{
    rm_write(c, i, 1, cpu_cond(c, i->op & 15));
}

OP(op_bswap)
{
    unsigned r = (i->op & 7) | ((i->rex & 1) << 3);
    if (i->opsize == 8)
        c->gpr[r] = __builtin_bswap64(c->gpr[r]);
    else if (i->opsize == 4)
        reg_write(c, r, 4, __builtin_bswap32((uint32_t)c->gpr[r]));
    else
        reg_write(c, r, 2, 0);    /* undefined; real CPUs give 0 */
}

OP(op_cmpxchg)
{
    unsigned size = (i->op & 1) ? i->opsize : 1;
    uint64_t acc = reg_read(c, R_RAX, size), src = greg_read(c, i, i->reg, size), old;
    if (i->mod == 3) {
        old = greg_read(c, i, i->rm, size);
        alu_op(c, ALU_CMP, size, acc, old);
        if (old == acc)
            greg_write(c, i, i->rm, size, src);
        else
            reg_write(c, R_RAX, size, old);
        return;
    }
    uint64_t lin = ea_linear_rmw(c, i, size);
    void *p = lin_host_rmw(c, lin, size);
    bool ok;
    if (p) {
        switch (size) {
        case 1: { uint8_t e = (uint8_t)acc; ok = __atomic_compare_exchange_n((uint8_t *)p, &e, (uint8_t)src, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST); old = e; break; }
        case 2: { uint16_t e = (uint16_t)acc; ok = __atomic_compare_exchange_n((uint16_t *)p, &e, (uint16_t)src, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST); old = e; break; }
        case 4: { uint32_t e = (uint32_t)acc; ok = __atomic_compare_exchange_n((uint32_t *)p, &e, (uint32_t)src, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST); old = e; break; }
        default: { uint64_t e = acc; ok = __atomic_compare_exchange_n((uint64_t *)p, &e, src, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST); old = e; break; }
        }
    } else {
        old = lin_read(c, lin, size, cpu_user(c));
        ok = old == acc;
        /* The destination is written either way (with its old value on failure). */
        lin_write(c, lin, size, ok ? src : old, cpu_user(c));
    }
    alu_op(c, ALU_CMP, size, acc, old);
    if (!ok)
        reg_write(c, R_RAX, size, old);
}

static uint64_t rmw_xadd(struct cpu *c, unsigned size, uint64_t old, uint64_t arg, unsigned op)
{
    (void)op;
    return alu_op(c, ALU_ADD, size, old, arg);
}

OP(op_xadd)
{
    unsigned size = (i->op & 1) ? i->opsize : 1;
    uint64_t src = greg_read(c, i, i->reg, size);
    if (i->mod == 3) {
        uint64_t d = greg_read(c, i, i->rm, size);
        uint64_t sum = alu_op(c, ALU_ADD, size, d, src);
        greg_write(c, i, i->reg, size, d);
        greg_write(c, i, i->rm, size, sum);
        return;
    }
    uint64_t lin = ea_linear_rmw(c, i, size);
    void *p = i->lock ? lin_host_rmw(c, lin, size) : NULL;
    uint64_t old;
    if (p) {
        switch (size) {
        case 1: old = __atomic_fetch_add((uint8_t *)p, (uint8_t)src, __ATOMIC_SEQ_CST); break;
        case 2: old = __atomic_fetch_add((uint16_t *)p, (uint16_t)src, __ATOMIC_SEQ_CST); break;
        case 4: old = __atomic_fetch_add((uint32_t *)p, (uint32_t)src, __ATOMIC_SEQ_CST); break;
        default: old = __atomic_fetch_add((uint64_t *)p, src, __ATOMIC_SEQ_CST); break;
        }
        alu_op(c, ALU_ADD, size, old, src);
    } else {
        old = lin_read(c, lin, size, cpu_user(c));
        lin_write(c, lin, size, rmw_xadd(c, size, old, src, 0), cpu_user(c));
    }
    greg_write(c, i, i->reg, size, old);
}

static uint64_t rdrand64(struct cpu *c)
{
    /* xorshift64*: a PRNG, not a secure source; rdrand is not advertised in CPUID. */
    uint64_t x = c->rdrand_state ? c->rdrand_state : 0x9e3779b97f4a7c15ull;
    x ^= x >> 12; x ^= x << 25; x ^= x >> 27;
    c->rdrand_state = x;
    return x * 0x2545f4914f6cdd1dull;
}

/* The host's own cmpxchg16b (libatomic would want a lock for 16-byte atomics). */
static bool cas16(void *p, unsigned __int128 expect, unsigned __int128 desired,
                  unsigned __int128 *old)
{
    uint64_t lo = (uint64_t)expect, hi = (uint64_t)(expect >> 64);
    bool ok;
    __asm__ volatile("lock cmpxchg16b %1"
                     : "=@ccz"(ok), "+m"(*(unsigned __int128 *)p), "+a"(lo), "+d"(hi)
                     : "b"((uint64_t)desired), "c"((uint64_t)(desired >> 64))
                     : "memory");
    *old = lo | ((unsigned __int128)hi << 64);
    return ok;
}

/* 0F C7: /1 cmpxchg8b/16b, /6 rdrand, /7 rdseed or rdpid. */
OP(op_grp9)
{
    unsigned sub = (i->modrm >> 3) & 7;
    if (i->mod == 3) {
        if (sub == 6 || (sub == 7 && i->pfx != 2)) {
            reg_write(c, i->rm, i->opsize, rdrand64(c));
            flags_set_arith(c, F_CF);
            return;
        }
        if (sub == 7) {   /* rdpid */
            reg_write(c, i->rm, c->code_size == 8 ? 8 : 4, c->tsc_aux);
            return;
        }
        cpu_raise_ud(c);
    }
    if (sub != 1)
        cpu_raise_ud(c);
    bool wide = i->opsize == 8 && (i->rex & 8);
    unsigned size = wide ? 16 : 8;
    uint64_t off = insn_ea(c, i);
    if (wide && (off & 15))
        cpu_raise_gp(c, 0);
    uint64_t lin = seg_linear(c, i->seg, off, size, ACC_WRITE);
    mem_probe_write(c, i->seg, off, size);
    uint64_t f = cpu_get_flags(c) & ~(uint64_t)F_ZF;
    if (!wide) {
        uint64_t expect = (uint32_t)c->gpr[R_RAX] | (c->gpr[R_RDX] << 32);
        uint64_t desired = (uint32_t)c->gpr[R_RBX] | (c->gpr[R_RCX] << 32);
        void *p = lin_host_rmw(c, lin, 8);
        uint64_t old;
        bool ok;
        if (p) {
            old = expect;
            ok = __atomic_compare_exchange_n((uint64_t *)p, &old, desired, false,
                                             __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
        } else {
            old = lin_read(c, lin, 8, cpu_user(c));
            ok = old == expect;
            lin_write(c, lin, 8, ok ? desired : old, cpu_user(c));
        }
        if (ok) {
            f |= F_ZF;
        } else {
            reg_write(c, R_RAX, 4, (uint32_t)old);
            reg_write(c, R_RDX, 4, old >> 32);
        }
    } else {
        unsigned __int128 expect = c->gpr[R_RAX] | ((unsigned __int128)c->gpr[R_RDX] << 64);
        unsigned __int128 desired = c->gpr[R_RBX] | ((unsigned __int128)c->gpr[R_RCX] << 64);
        void *p = lin_host_rmw(c, lin, 8);   /* 16-byte aligned: both halves on one page */
        unsigned __int128 old;
        bool ok;
        if (p) {
            ok = cas16(p, expect, desired, &old);
        } else {
            old = lin_read(c, lin, 8, cpu_user(c)) |
                  ((unsigned __int128)lin_read(c, lin + 8, 8, cpu_user(c)) << 64);
            ok = old == expect;
            unsigned __int128 w = ok ? desired : old;
            lin_write(c, lin, 8, (uint64_t)w, cpu_user(c));
            lin_write(c, lin + 8, 8, (uint64_t)(w >> 64), cpu_user(c));
        }
        if (ok) {
            f |= F_ZF;
        } else {
            c->gpr[R_RAX] = (uint64_t)old;
            c->gpr[R_RDX] = (uint64_t)(old >> 64);
        }
    }
    flags_set_arith(c, f);
}

/* Hint nops with a ModRM (0F 18-1F, 0F 0D): the memory operand is not accessed. */
OP(op_nop_modrm)
{
    (void)c;
    (void)i;
}

OP(op_movnti)
{
    if (i->mod == 3)
        cpu_raise_ud(c);
    unsigned size = i->opsize == 8 ? 8 : 4;
    rm_write(c, i, size, reg_read(c, i->reg, size));
}

/* les/lds (C4/C5), lss/lfs/lgs (0F B2/B4/B5): offset then selector from memory. */
OP(op_load_far_ptr)
{
    if (i->mod == 3)
        cpu_raise_ud(c);
    int seg = i->op == 0xc4 ? SEG_ES : i->op == 0xc5 ? SEG_DS : i->op == 0x1b2 ? SEG_SS
            : i->op == 0x1b4 ? SEG_FS : SEG_GS;
    uint64_t off = insn_ea(c, i);
    uint64_t v = mem_read(c, i->seg, off, i->opsize);
    uint16_t sel = (uint16_t)mem_read(c, i->seg, (off + i->opsize) & size_mask(i->addrsize), 2);
    seg_load(c, seg, sel);
    reg_write(c, i->reg, i->opsize, v);
}
