/* The x86 decoder (SDM vol. 2, chapter 2): prefixes, REX, opcode maps, ModRM/SIB, displacement and
 * immediates, in 16-, 32- and 64-bit code. It is pure: bytes in, struct insn out. */
#include "accel/soft/decode.h"
#include "accel/soft/ops.h"

/* 16-bit addressing forms (SDM vol. 2, table 2-1): base and index of each ModRM.rm. */
static const uint8_t rm16_base[8]  = { R_RBX, R_RBX, R_RBP, R_RBP, NO_REG, NO_REG, R_RBP, R_RBX };
static const uint8_t rm16_index[8] = { R_RSI, R_RDI, R_RSI, R_RDI, R_RSI, R_RDI, NO_REG, NO_REG };

static int take_imm(const uint8_t *b, unsigned pos, unsigned n, unsigned avail, uint64_t *out)
{
    if (pos + n > avail)
        return -1;
    uint64_t v = 0;
    for (unsigned k = 0; k < n; k++)
        v |= (uint64_t)b[pos + k] << (8 * k);
    *out = v;
    return 0;
}

static int decode_modrm(struct insn *i, const uint8_t *b, unsigned *pos, unsigned avail,
                        unsigned code_size, bool force_reg)
{
    if (*pos >= avail)
        return 0;
    uint8_t m = b[(*pos)++];
    i->modrm = m;
    i->has_modrm = 1;
    i->mod = m >> 6;
    i->reg = ((m >> 3) & 7) | ((i->rex & 4) << 1);
    unsigned rm = m & 7;
    if (force_reg)
        i->mod = 3;
    if (i->mod == 3) {
        i->rm = rm | ((i->rex & 1) << 3);
        return 1;
    }
    i->base = NO_REG;
    i->index = NO_REG;
    i->scale = 0;
    unsigned dispsz = 0;
    bool ss_default = false;
    if (i->addrsize == 2) {
        i->base = rm16_base[rm];
        i->index = rm16_index[rm];
        if (i->mod == 0 && rm == 6) {
            i->base = NO_REG;
            dispsz = 2;
        } else {
            dispsz = i->mod == 1 ? 1 : i->mod == 2 ? 2 : 0;
        }
        ss_default = i->base == R_RBP;
    } else {
        if (rm == 4) {
            if (*pos >= avail)
                return 0;
            uint8_t sib = b[(*pos)++];
            unsigned base = sib & 7, index = ((sib >> 3) & 7) | ((i->rex & 2) << 2);
            i->scale = sib >> 6;
            i->index = index == 4 ? NO_REG : (uint8_t)index;
            if (base == 5 && i->mod == 0) {
                i->base = NO_REG;
                dispsz = 4;
            } else {
                i->base = (uint8_t)(base | ((i->rex & 1) << 3));
            }
        } else if (rm == 5 && i->mod == 0) {
            /* disp32 alone: RIP-relative in 64-bit mode (SDM vol. 2, 2.2.1.6). */
            i->base = code_size == 8 ? RIP_REG : NO_REG;
            dispsz = 4;
        } else {
            i->base = (uint8_t)(rm | ((i->rex & 1) << 3));
        }
        if (i->mod == 1)
            dispsz = 1;
        else if (i->mod == 2)
            dispsz = 4;
        ss_default = i->base == R_RSP || i->base == R_RBP;
    }
    if (!i->seg_override)
        i->seg = ss_default ? SEG_SS : SEG_DS;
    if (dispsz) {
        uint64_t d;
        if (take_imm(b, *pos, dispsz, avail, &d) < 0)
            return 0;
        *pos += dispsz;
        i->disp = dispsz == 1 ? (int8_t)d : dispsz == 2 ? (int16_t)d : (int32_t)d;
    }
    return 1;
}

/* Lock is allowed only on the read-modify-write forms with a memory destination (SDM vol. 2, LOCK). */
static bool lockable(const struct insn *i)
{
    unsigned op = i->op, sub = (i->modrm >> 3) & 7;
    if (!i->has_modrm || i->mod == 3)
        return false;
    if (op < 0x40)
        return (op & 7) < 2 && (op >> 3) != 7;          /* add..xor Eb/Ev,G (not cmp) */
    switch (op) {
    case 0x80: case 0x81: case 0x82: case 0x83: return sub != 7;
    case 0x86: case 0x87: return true;
    case 0xf6: case 0xf7: return sub == 2 || sub == 3;
    case 0xfe: case 0xff: return sub < 2;
    case 0x1ab: case 0x1b3: case 0x1bb: case 0x1b0: case 0x1b1: case 0x1c0: case 0x1c1: return true;
    case 0x1ba: return sub >= 5;
    case 0x1c7: return sub == 1;
    default: return false;
    }
}

int decode_insn(struct insn *i, const uint8_t *b, unsigned avail, unsigned code_size)
{
    memset(i, 0, sizeof(*i));
    unsigned pos = 0;
    bool p66 = false, p67 = false;
    uint8_t last_rep = 0;
    i->seg = SEG_DS;
    i->base = i->index = NO_REG;
    /* Legacy prefixes, then REX immediately before the opcode (a REX followed by a legacy prefix
     * is ignored, SDM vol. 2, 2.2.1). */
    for (;;) {
        if (pos >= avail)
            return avail >= 15 ? -EXC_GP : 0;
        if (pos >= 15)
            return -EXC_GP;
        uint8_t p = b[pos];
        switch (p) {
        case 0xf0: i->lock = 1; break;
        case 0xf2: case 0xf3: i->rep = p; last_rep = p; break;
        case 0x26: case 0x2e: case 0x36: case 0x3e:
            /* In 64-bit mode these name segments whose base is 0: no override at all. */
            if (code_size != 8) {
                i->seg = p == 0x26 ? SEG_ES : p == 0x2e ? SEG_CS : p == 0x36 ? SEG_SS : SEG_DS;
                i->seg_override = 1;
            }
            break;
        case 0x64: i->seg = SEG_FS; i->seg_override = 1; break;
        case 0x65: i->seg = SEG_GS; i->seg_override = 1; break;
        case 0x66: p66 = true; break;
        case 0x67: p67 = true; break;
        default:
            if (code_size == 8 && (p & 0xf0) == 0x40) {
                i->rex = p;
                pos++;
                continue;
            }
            goto opcode;
        }
        i->rex = 0;
        pos++;
    }
opcode:
    i->opsize_pfx = p66;
    i->pfx = last_rep == 0xf3 ? 2 : last_rep == 0xf2 ? 3 : p66 ? 1 : 0;
    if (code_size == 8)
        i->addrsize = p67 ? 4 : 8;
    else
        i->addrsize = (code_size == 4) != p67 ? 4 : 2;
    unsigned op = b[pos++];
    if (op == 0x0f) {
        if (pos >= avail)
            return 0;
        op = b[pos++];
        if (op == 0x38 || op == 0x3a) {
            if (pos >= avail)
                return 0;
            op = (op == 0x38 ? 0x200 : 0x300) | b[pos++];
        } else {
            op |= 0x100;
        }
    }
    i->op = (uint16_t)op;
    const struct opcode *oc = &opcode_table[op];
    unsigned fl = oc->flags;
    if (!oc->fn)
        return -EXC_UD;
    /* Invalid in 64-bit mode: still decoded to its end, as the hardware does, so that one longer
     * than 15 bytes is #GP rather than #UD (found by tests/isa's prefix padding). */
    bool inv64 = code_size == 8 && (fl & D_INV64);
    i->fn = oc->fn;

    /* Operand size (SDM vol. 2, 2.2.1.2 and table 2-4). */
    if (code_size == 8) {
        if (i->rex & 8)
            i->opsize = 8;
        else if (fl & D_F64)
            i->opsize = 8;
        else if (fl & D_D64)
            i->opsize = p66 ? 2 : 8;
        else
            i->opsize = p66 ? 2 : 4;
    } else {
        i->opsize = (code_size == 4) != p66 ? 4 : 2;
    }

    if (fl & D_M) {
        int r = decode_modrm(i, b, &pos, avail, code_size, (fl & D_MREG) != 0);
        if (r <= 0)
            return r;
    }

    unsigned isz = 0;
    bool sx = false;
    if (fl & (D_IB | D_IBS)) {
        isz = 1;
        sx = (fl & D_IBS) != 0;
    } else if (fl & D_IW) {
        isz = 2;
    } else if (fl & D_IZ) {
        isz = i->opsize == 2 ? 2 : 4;
        sx = true;
    } else if (fl & D_IV) {
        isz = i->opsize;
    } else if (fl & D_MOFFS) {
        isz = i->addrsize;
    } else if (fl & D_GRP3) {
        if (((i->modrm >> 3) & 7) < 2) {
            isz = (op & 1) ? (i->opsize == 2 ? 2 : 4) : 1;
            sx = true;
        }
    }
    if (fl & (D_FAR | D_ENTER)) {
        unsigned first = (fl & D_ENTER) ? 2 : (i->opsize == 2 ? 2 : 4);
        uint64_t v, w;
        if (take_imm(b, pos, first, avail, &v) < 0)
            return pos + first > 15 ? -EXC_GP : 0;
        pos += first;
        unsigned second = (fl & D_ENTER) ? 1 : 2;
        if (take_imm(b, pos, second, avail, &w) < 0)
            return pos + second > 15 ? -EXC_GP : 0;
        pos += second;
        i->imm = v;
        i->imm2 = (uint16_t)w;
    } else if (isz) {
        uint64_t v;
        if (take_imm(b, pos, isz, avail, &v) < 0)
            return pos + isz > 15 ? -EXC_GP : 0;
        pos += isz;
        i->imm = sx ? (uint64_t)sext(v, isz) : v;
    }
    if (pos > 15)
        return -EXC_GP;
    if (inv64)
        return -EXC_UD;
    i->len = (uint8_t)pos;
    if (i->lock && !lockable(i))
        i->fn = op_ud;      /* a valid encoding whose lock prefix makes it #UD */
    else
        decode_specialize(i, code_size);
    return (int)pos;
}
