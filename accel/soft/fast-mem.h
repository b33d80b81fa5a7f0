/* Inline memory operands for the specialized handlers (fast-move.c, fast-int.c, fast-alu-cc.c): in 64-bit mode a
 * soft-TLB hit is a host load or store; everything else (miss, page crossing, alignment check,
 * fault) takes the general path, which handles it precisely. */
#ifndef VMON_ACCEL_SOFT_FAST_MEM_H
#define VMON_ACCEL_SOFT_FAST_MEM_H

#include "accel/soft/cpu.h"

/* ---- memory operands in 64-bit mode: TLB hits inline, everything else by the general path ---- */

/* Only FS and GS have a base in 64-bit mode (SDM vol. 1, 3.4.2.1). A non-canonical address never
 * hits: the TLB holds canonical pages only, so the general path raises the fault. */
static inline uint64_t lin64(struct cpu *c, const struct insn *i)
{
    uint64_t ea = (uint64_t)(int64_t)i->disp;
    if (i->base != NO_REG)
        ea += i->base == RIP_REG ? c->rip : c->gpr[i->base];
    if (i->index != NO_REG)
        ea += c->gpr[i->index] << i->scale;
    if (i->addrsize == 4)
        ea = (uint32_t)ea;
    if (i->seg == SEG_FS || i->seg == SEG_GS)
        ea += c->seg[i->seg].base;
    return ea;
}

static inline uint64_t load_n(const uint8_t *p, unsigned size)
{
    switch (size) {
    case 1: return *p;
    case 2: { uint16_t v; memcpy(&v, p, 2); return v; }
    case 4: { uint32_t v; memcpy(&v, p, 4); return v; }
    default: { uint64_t v; memcpy(&v, p, 8); return v; }
    }
}

/* size is a constant at every call, so the switch folds away. */
static inline uint64_t ld(struct cpu *c, const struct insn *i, unsigned size)
{
    uint64_t lin = lin64(c, i);
    const struct tlb_entry *e = &c->tlb[c->cpl == 3][(lin >> 12) & (TLB_SIZE - 1)];
    if (e->tag_read == (lin & ~0xfffull) && (lin & 0xfff) <= 4096 - size && !(c->flags & F_AC))
        return load_n((const uint8_t *)e->host + (lin & 0xfff), size);
    return mem_read(c, i->seg, insn_ea(c, i), size);
}

static inline void st8(struct cpu *c, const struct insn *i, uint8_t v)
{
    uint64_t lin = lin64(c, i);
    const struct tlb_entry *e = &c->tlb[c->cpl == 3][(lin >> 12) & (TLB_SIZE - 1)];
    if (e->tag_write == (lin & ~0xfffull)) {
        *((uint8_t *)e->host + (lin & 0xfff)) = v;
        return;
    }
    mem_write(c, i->seg, insn_ea(c, i), 1, v);
}

static inline void st16(struct cpu *c, const struct insn *i, uint16_t v)
{
    uint64_t lin = lin64(c, i);
    const struct tlb_entry *e = &c->tlb[c->cpl == 3][(lin >> 12) & (TLB_SIZE - 1)];
    if (e->tag_write == (lin & ~0xfffull) && (lin & 0xfff) <= 4094 && !(c->flags & F_AC)) {
        memcpy((uint8_t *)e->host + (lin & 0xfff), &v, 2);
        return;
    }
    mem_write(c, i->seg, insn_ea(c, i), 2, v);
}

static inline uint8_t *host_rw(struct cpu *c, const struct insn *i, unsigned size)
{
    uint64_t lin = lin64(c, i);
    const struct tlb_entry *e = &c->tlb[c->cpl == 3][(lin >> 12) & (TLB_SIZE - 1)];
    if (e->tag_write == (lin & ~0xfffull) && (lin & 0xfff) <= 4096 - size && !(c->flags & F_AC))
        return (uint8_t *)e->host + (lin & 0xfff);
    return NULL;
}

/* An 8-bit register operand: without REX, 4-7 name AH, CH, DH, BH. */
static inline uint8_t r8(struct cpu *c, const struct insn *i, unsigned r)
{
    return reg8_read(c, i, r);
}

/* A zero-extended value is the same at 32 and 64 bits: one handler serves both sizes. */

#endif
