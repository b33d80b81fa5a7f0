/* Specialized handlers for moves, loads and stores, lea, push/pop, call/ret and jmp, the hottest
 * forms. The decoder picks one of these instead of
 * the general handler when the form allows (register operands, 32/64-bit sizes, no lock prefix),
 * so the choice made once at decode time saves the per-execution switches on opcode and size.
 * Each one must behave exactly as the general handler it replaces (the differential tests run both). */
#include "accel/soft/alu.h"
#include "accel/soft/fast-mem.h"
#include "accel/soft/fast.h"
#include "accel/soft/ops.h"

/* TLB-hit loads and stores; anything else (miss, page crossing, canonical fault, #AC) takes the
 * general path, which handles it precisely. */
static inline uint64_t fast_load(struct cpu *c, const struct insn *i, unsigned size)
{
    return ld(c, i, size);
}

static inline void fast_store(struct cpu *c, const struct insn *i, unsigned size, uint64_t v)
{
    uint64_t lin = lin64(c, i);
    const struct tlb_entry *e = &c->tlb[c->cpl == 3][(lin >> 12) & (TLB_SIZE - 1)];
    if (e->tag_write == (lin & ~0xfffull) && (lin & 0xfff) <= 4096 - size && !(c->flags & F_AC)) {
        uint8_t *p = (uint8_t *)e->host + (lin & 0xfff);
        if (size == 8) memcpy(p, &v, 8);
        else { uint32_t w = (uint32_t)v; memcpy(p, &w, 4); }
        return;
    }
    mem_write(c, i->seg, insn_ea(c, i), size, v);
}

static inline void push64(struct cpu *c, uint64_t v)
{
    uint64_t sp = c->gpr[R_RSP] - 8;
    struct tlb_entry *e = &c->tlb[c->cpl == 3][(sp >> 12) & (TLB_SIZE - 1)];
    if (e->tag_write == (sp & ~0xfffull) && (sp & 7) == 0) {
        memcpy((uint8_t *)e->host + (sp & 0xfff), &v, 8);
        c->gpr[R_RSP] = sp;
        return;
    }
    stack_push(c, 8, v);
}

static inline uint64_t pop64(struct cpu *c)
{
    uint64_t sp = c->gpr[R_RSP];
    const struct tlb_entry *e = &c->tlb[c->cpl == 3][(sp >> 12) & (TLB_SIZE - 1)];
    if (e->tag_read == (sp & ~0xfffull) && (sp & 7) == 0) {
        uint64_t v;
        memcpy(&v, (const uint8_t *)e->host + (sp & 0xfff), 8);
        c->gpr[R_RSP] = sp + 8;
        return v;
    }
    return stack_pop(c, 8);
}

static OP(fast_mov_mi64) { fast_store(c, i, 8, i->imm); }
static OP(fast_mov_mi32) { fast_store(c, i, 4, i->imm); }

static OP(fast_test_rr32)
{
    uint64_t r = (c->gpr[i->rm] & c->gpr[i->reg]) & 0xffffffffull;
    lf_set(c, LF_LOGIC, 4, r, r, 0);
}

static OP(fast_test_rr64)
{
    uint64_t r = c->gpr[i->rm] & c->gpr[i->reg];
    lf_set(c, LF_LOGIC, 8, r, r, 0);
}

static OP(fast_mov_rr32) { c->gpr[i->rm] = (uint32_t)c->gpr[i->reg]; }
static OP(fast_mov_rr64) { c->gpr[i->rm] = c->gpr[i->reg]; }
static OP(fast_mov_ri32) { c->gpr[(i->op & 7) | ((i->rex & 1) << 3)] = (uint32_t)i->imm; }
static OP(fast_mov_ri64) { c->gpr[(i->op & 7) | ((i->rex & 1) << 3)] = i->imm; }
static OP(fast_mov_rmi64) { c->gpr[i->rm] = i->imm; }
static OP(fast_load32) { c->gpr[i->reg] = fast_load(c, i, 4); }
static OP(fast_load64) { c->gpr[i->reg] = fast_load(c, i, 8); }
static OP(fast_store32) { fast_store(c, i, 4, c->gpr[i->reg]); }
static OP(fast_store64) { fast_store(c, i, 8, c->gpr[i->reg]); }
static OP(fast_lea64)
{
    uint64_t ea = (uint64_t)(int64_t)i->disp;
    if (i->base != NO_REG)
        ea += i->base == RIP_REG ? c->rip : c->gpr[i->base];
    if (i->index != NO_REG)
        ea += c->gpr[i->index] << i->scale;
    c->gpr[i->reg] = ea;
}

static OP(fast_jmp) { c->rip += i->imm; }
/* 32-bit code: eip wraps at 4 GiB. */
static OP(fast_jmp32) { c->rip = (uint32_t)(c->rip + i->imm); }
static OP(fast_push64) { push64(c, c->gpr[(i->op & 7) | ((i->rex & 1) << 3)]); }
static OP(fast_pop64) { c->gpr[(i->op & 7) | ((i->rex & 1) << 3)] = pop64(c); }

static OP(fast_call64)
{
    push64(c, c->rip);
    c->rip += i->imm;
}

/* A return to a non-canonical address is #GP at the ret, with rsp as it was (SDM vol. 2, RET). */
static OP(fast_ret64)
{
    (void)i;
    uint64_t sp = c->gpr[R_RSP], target = pop64(c);
    if (!cpu_canonical(c, target)) {
        c->gpr[R_RSP] = sp;
        cpu_raise_gp(c, 0);
    }
    c->rip = target;
}

/* 32-bit code: the register-only forms (memory operands need segment bases and wrapping). */
static void specialize32(struct insn *i)
{
    unsigned op = i->op;
    if (i->opsize != 4)
        return;
    switch (op) {
    case 0x85:
        if (i->mod == 3)
            i->fn = fast_test_rr32;
        break;
    case 0x89:
        if (i->mod == 3)
            i->fn = fast_mov_rr32;
        break;
    case 0x8b:
        if (i->mod == 3) {
            rm_is_destination(i);
            i->fn = fast_mov_rr32;
        }
        break;
    case 0xb8: case 0xb9: case 0xba: case 0xbb: case 0xbc: case 0xbd: case 0xbe: case 0xbf:
        i->fn = fast_mov_ri32;
        break;
    case 0xe9: case 0xeb:
        i->fn = fast_jmp32;
        break;
    default:
        break;
    }
}

/* Set the handler and the form (both widths: NAME##64 / NAME##32 and FORM##64 / FORM##32). */
#define SET(NAME, FORM)                                                                             \
    do {                                                                                            \
        i->fn = wide ? NAME##64 : NAME##32;                                                         \
        i->form = (uint8_t)(wide ? FORM##64 : FORM##32);                                            \
    } while (0)
#define SET1(NAME, FORM)                                                                            \
    do {                                                                                            \
        i->fn = NAME;                                                                               \
        i->form = FORM;                                                                             \
    } while (0)

/* The first tier: a handler and a form (insn_form) for the shapes the translator emits inline;
 * reg and rm may be swapped so rm is the destination. */
static void specialize_first(struct insn *i, unsigned code_size)
{
    if (i->lock)
        return;
    if (code_size == 4) {
        specialize32(i);
        return;
    }
    if (code_size != 8)
        return;
    unsigned op = i->op, sz = i->opsize;
    bool wide = sz == 8, word = sz == 4;
    if (!wide && !word)
        return;
    switch (op) {
    case 0x85:
        if (i->mod == 3)
            SET(fast_test_rr, FORM_TEST_RR);
        break;
    case 0x89:
        if (i->mod == 3)
            SET(fast_mov_rr, FORM_MOV_RR);
        else if (i->addrsize == 8 || i->addrsize == 4)
            SET(fast_store, FORM_STORE);
        break;
    case 0x8b:
        if (i->mod == 3) {
            rm_is_destination(i);
            SET(fast_mov_rr, FORM_MOV_RR);
        } else {
            SET(fast_load, FORM_LOAD);
        }
        break;
    case 0x8d:
        if (i->mod != 3 && wide && i->addrsize == 8)
            SET1(fast_lea64, FORM_LEA64);
        break;
    case 0xb8: case 0xb9: case 0xba: case 0xbb: case 0xbc: case 0xbd: case 0xbe: case 0xbf:
        SET(fast_mov_ri, FORM_MOV_RI);
        break;
    case 0xc7:
        if ((i->modrm >> 3) & 7)
            break;
        if (i->mod == 3 && wide)
            SET1(fast_mov_rmi64, FORM_MOV_RMI64);
        else if (i->mod != 3)
            SET(fast_mov_mi, FORM_MOV_MI);
        break;
    case 0x50: case 0x51: case 0x52: case 0x53: case 0x54: case 0x55: case 0x56: case 0x57:
        if (wide)
            SET1(fast_push64, FORM_PUSH64);
        break;
    case 0x58: case 0x59: case 0x5a: case 0x5b: case 0x5c: case 0x5d: case 0x5e: case 0x5f:
        if (wide)
            SET1(fast_pop64, FORM_POP64);
        break;
    case 0xe9: case 0xeb:
        SET1(fast_jmp, FORM_JMP);
        break;
    case 0xe8:
        SET1(fast_call64, FORM_CALL64);
        break;
    case 0xc3:
        SET1(fast_ret64, FORM_RET64);
        break;
    default:
        break;
    }
}

/* Pick a specialized handler for i (decoded in code of code_size), or leave i->fn alone. The second
 * tier (fast-int.c, fast-alu-cc.c: ALU ops, jcc and inc/dec split per operation and
 * condition, with the same forms, shifts, imul, movzx, cmov, setcc...) is asked first; this file's moves, loads, stores,
 * push/pop and branches take the rest. */
void decode_specialize(struct insn *i, unsigned code_size)
{
    if (!fast_int_specialize(i, code_size))
        specialize_first(i, code_size);
}
