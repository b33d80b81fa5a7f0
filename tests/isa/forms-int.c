/* Integer instruction forms the generator covers: one-byte map, 0F and 0F38 (SDM vol. 2, appendix A
 * opcode maps). Each row is one opcode form; undefined flags per the SDM's "Flags Affected". */
#include "tests/isa/isa.h"

#define MR (E_MODRM | E_MEM | E_REG)
#define M (E_MODRM | E_MEM)
#define R (E_MODRM | E_REG)
#define F(n, mp, o, p, x, e, i, sz, fx, u) \
    { .name = n, .map = mp, .op = o, .pfx = p, .ext = x, .enc = e, .imm = i, .sizes = sz, .fix = fx, \
      .cls = CLS_INT, .undef = u }
#define FM(n, mp, o, p, x, e, i, sz, fx, u, ms) \
    { .name = n, .map = mp, .op = o, .pfx = p, .ext = x, .enc = e, .imm = i, .sizes = sz, .fix = fx, \
      .cls = CLS_INT, .undef = u, .memsize = ms }
#define FX(n, mp, o, md) \
    { .name = n, .map = mp, .op = o, .ext = -1, .enc = E_MODRM | E_FIXED, .modrm = md, .cls = CLS_INT }

#define ALU(nm, b, x, lk, u)                                                  \
    F(nm " Eb,Gb", 0, b + 0, 0, -1, MR | E_BYTE | lk, I_NONE, S8, 0, u),      \
    F(nm " Ev,Gv", 0, b + 1, 0, -1, MR | lk, I_NONE, SV, 0, u),               \
    F(nm " Gb,Eb", 0, b + 2, 0, -1, MR | E_BYTE, I_NONE, S8, 0, u),           \
    F(nm " Gv,Ev", 0, b + 3, 0, -1, MR, I_NONE, SV, 0, u),                    \
    F(nm " AL,Ib", 0, b + 4, 0, -1, 0, I_B, S8, 0, u),                        \
    F(nm " rAX,Iz", 0, b + 5, 0, -1, 0, I_Z, SV, 0, u),                       \
    F(nm " Eb,Ib", 0, 0x80, 0, x, MR | E_BYTE | lk, I_B, S8, 0, u),           \
    F(nm " Ev,Iz", 0, 0x81, 0, x, MR | lk, I_Z, SV, 0, u),                    \
    F(nm " Ev,Ib", 0, 0x83, 0, x, MR | lk, I_B, SV, 0, u)

#define SHG(nm, x, fx, u)                                                     \
    F(nm " Eb,Ib", 0, 0xc0, 0, x, MR | E_BYTE, I_B, S8, fx, u),               \
    F(nm " Ev,Ib", 0, 0xc1, 0, x, MR, I_B, SV, fx, u),                        \
    F(nm " Eb,1", 0, 0xd0, 0, x, MR | E_BYTE, I_NONE, S8, fx, u),             \
    F(nm " Ev,1", 0, 0xd1, 0, x, MR, I_NONE, SV, fx, u),                      \
    F(nm " Eb,CL", 0, 0xd2, 0, x, MR | E_BYTE, I_NONE, S8, fx, u),            \
    F(nm " Ev,CL", 0, 0xd3, 0, x, MR, I_NONE, SV, fx, u)

#define CC1(pre, c, post, mp, o, e, i, sz, fx) F(pre c post, mp, o, 0, -1, e, i, sz, fx, 0)
#define CC16(pre, post, mp, b, e, i, sz, fx)                                                      \
    CC1(pre, "o", post, mp, b + 0, e, i, sz, fx), CC1(pre, "no", post, mp, b + 1, e, i, sz, fx),    \
    CC1(pre, "b", post, mp, b + 2, e, i, sz, fx), CC1(pre, "ae", post, mp, b + 3, e, i, sz, fx),    \
    CC1(pre, "e", post, mp, b + 4, e, i, sz, fx), CC1(pre, "ne", post, mp, b + 5, e, i, sz, fx),    \
    CC1(pre, "be", post, mp, b + 6, e, i, sz, fx), CC1(pre, "a", post, mp, b + 7, e, i, sz, fx),    \
    CC1(pre, "s", post, mp, b + 8, e, i, sz, fx), CC1(pre, "ns", post, mp, b + 9, e, i, sz, fx),    \
    CC1(pre, "p", post, mp, b + 10, e, i, sz, fx), CC1(pre, "np", post, mp, b + 11, e, i, sz, fx),  \
    CC1(pre, "l", post, mp, b + 12, e, i, sz, fx), CC1(pre, "ge", post, mp, b + 13, e, i, sz, fx),  \
    CC1(pre, "le", post, mp, b + 14, e, i, sz, fx), CC1(pre, "g", post, mp, b + 15, e, i, sz, fx)

#define U_MUL (FL_SF | FL_ZF | FL_AF | FL_PF)
#define U_BT (FL_OF | FL_SF | FL_AF | FL_PF)
#define U_BSF (FL_CF | FL_OF | FL_SF | FL_AF | FL_PF)
#define STK (E_DEF64)

const struct isa_form isa_int_forms[] = {
    ALU("add", 0x00, 0, E_LOCK, 0),
    ALU("or", 0x08, 1, E_LOCK, FL_AF),
    ALU("adc", 0x10, 2, E_LOCK, 0),
    ALU("sbb", 0x18, 3, E_LOCK, 0),
    ALU("and", 0x20, 4, E_LOCK, FL_AF),
    ALU("sub", 0x28, 5, E_LOCK, 0),
    ALU("xor", 0x30, 6, E_LOCK, FL_AF),
    ALU("cmp", 0x38, 7, 0, 0),

    SHG("rol", 0, FX_ROT, U_ROT), SHG("ror", 1, FX_ROT, U_ROT),
    SHG("rcl", 2, FX_ROT, U_ROT), SHG("rcr", 3, FX_ROT, U_ROT),
    SHG("shl", 4, FX_SHIFT, U_SHIFT), SHG("shr", 5, FX_SHIFT, U_SHIFT),
    SHG("sal(/6)", 6, FX_SHIFT, U_SHIFT), SHG("sar", 7, FX_SHIFT, U_SHIFT),

    CC16("j", " Jb", 0, 0x70, STK, I_REL8, S64, FX_BRANCH),
    CC16("j", " Jz", 1, 0x80, STK, I_REL32, S64, FX_BRANCH),
    CC16("cmov", " Gv,Ev", 1, 0x40, MR, I_NONE, SV, FX_NONE),
    CC16("set", " Eb", 1, 0x90, MR | E_BYTE, I_NONE, S8, FX_NONE),

    F("push Zv", 0, 0x50, 0, -1, E_OPREG | STK, I_NONE, S16 | S64, 0, 0),
    F("pop Zv", 0, 0x58, 0, -1, E_OPREG | STK, I_NONE, S16 | S64, 0, 0),
    FM("movsxd Gv,Ed", 0, 0x63, 0, -1, MR, I_NONE, SV, 0, 0, 4),
    F("push Iz", 0, 0x68, 0, -1, STK, I_Z, S16 | S64, 0, 0),
    F("imul Gv,Ev,Iz", 0, 0x69, 0, -1, MR, I_Z, SV, 0, U_MUL),
    F("push Ib", 0, 0x6a, 0, -1, STK, I_B, S16 | S64, 0, 0),
    F("imul Gv,Ev,Ib", 0, 0x6b, 0, -1, MR, I_B, SV, 0, U_MUL),
    F("test Eb,Gb", 0, 0x84, 0, -1, MR | E_BYTE, I_NONE, S8, 0, FL_AF),
    F("test Ev,Gv", 0, 0x85, 0, -1, MR, I_NONE, SV, 0, FL_AF),
    F("xchg Eb,Gb", 0, 0x86, 0, -1, MR | E_BYTE | E_LOCK, I_NONE, S8, 0, 0),
    F("xchg Ev,Gv", 0, 0x87, 0, -1, MR | E_LOCK, I_NONE, SV, 0, 0),
    F("mov Eb,Gb", 0, 0x88, 0, -1, MR | E_BYTE, I_NONE, S8, 0, 0),
    F("mov Ev,Gv", 0, 0x89, 0, -1, MR, I_NONE, SV, 0, 0),
    F("mov Gb,Eb", 0, 0x8a, 0, -1, MR | E_BYTE, I_NONE, S8, 0, 0),
    F("mov Gv,Ev", 0, 0x8b, 0, -1, MR, I_NONE, SV, 0, 0),
    F("lea Gv,M", 0, 0x8d, 0, -1, M, I_NONE, SV, 0, 0),
    F("pop Ev", 0, 0x8f, 0, 0, MR | STK, I_NONE, S16 | S64, 0, 0),
    F("nop", 0, 0x90, 0, -1, 0, I_NONE, 0, 0, 0),
    F("pause", 0, 0x90, 0xf3, -1, 0, I_NONE, 0, 0, 0),
    F("xchg Zv,rAX", 0, 0x90, 0, -1, E_OPREG, I_NONE, SV, 0, 0),
    F("cbw/cwde/cdqe", 0, 0x98, 0, -1, 0, I_NONE, SV, 0, 0),
    F("cwd/cdq/cqo", 0, 0x99, 0, -1, 0, I_NONE, SV, 0, 0),
    F("pushf", 0, 0x9c, 0, -1, STK, I_NONE, S16 | S64, 0, 0),
    F("popf", 0, 0x9d, 0, -1, STK, I_NONE, S16 | S64, FX_POPF, 0),
    F("sahf", 0, 0x9e, 0, -1, 0, I_NONE, 0, 0, 0),
    F("lahf", 0, 0x9f, 0, -1, 0, I_NONE, 0, 0, 0),
    F("mov AL,Ob", 0, 0xa0, 0, -1, 0, I_MOFFS, S8, 0, 0),
    F("mov rAX,Ov", 0, 0xa1, 0, -1, 0, I_MOFFS, SV, 0, 0),
    F("mov Ob,AL", 0, 0xa2, 0, -1, 0, I_MOFFS, S8, 0, 0),
    F("mov Ov,rAX", 0, 0xa3, 0, -1, 0, I_MOFFS, SV, 0, 0),
    F("movsb", 0, 0xa4, 0, -1, E_REP, I_NONE, S8, FX_STRING, 0),
    F("movs", 0, 0xa5, 0, -1, E_REP, I_NONE, SV, FX_STRING, 0),
    F("cmpsb", 0, 0xa6, 0, -1, E_REP, I_NONE, S8, FX_STRING, 0),
    F("cmps", 0, 0xa7, 0, -1, E_REP, I_NONE, SV, FX_STRING, 0),
    F("test AL,Ib", 0, 0xa8, 0, -1, 0, I_B, S8, 0, FL_AF),
    F("test rAX,Iz", 0, 0xa9, 0, -1, 0, I_Z, SV, 0, FL_AF),
    F("stosb", 0, 0xaa, 0, -1, E_REP, I_NONE, S8, FX_STRING, 0),
    F("stos", 0, 0xab, 0, -1, E_REP, I_NONE, SV, FX_STRING, 0),
    F("lodsb", 0, 0xac, 0, -1, E_REP, I_NONE, S8, FX_STRING, 0),
    F("lods", 0, 0xad, 0, -1, E_REP, I_NONE, SV, FX_STRING, 0),
    F("scasb", 0, 0xae, 0, -1, E_REP, I_NONE, S8, FX_STRING, 0),
    F("scas", 0, 0xaf, 0, -1, E_REP, I_NONE, SV, FX_STRING, 0),
    F("mov Zb,Ib", 0, 0xb0, 0, -1, E_OPREG | E_BYTE, I_B, S8, 0, 0),
    F("mov Zv,Iv", 0, 0xb8, 0, -1, E_OPREG, I_V, SV, 0, 0),
    F("ret Iw", 0, 0xc2, 0, -1, STK, I_W, S64, FX_RET, 0),
    F("ret", 0, 0xc3, 0, -1, STK, I_NONE, S64, FX_RET, 0),
    F("mov Eb,Ib", 0, 0xc6, 0, 0, MR | E_BYTE, I_B, S8, 0, 0),
    F("mov Ev,Iz", 0, 0xc7, 0, 0, MR, I_Z, SV, 0, 0),
    F("enter Iw,Ib", 0, 0xc8, 0, -1, STK, I_ENTER, S64, FX_ENTER, 0),
    F("leave", 0, 0xc9, 0, -1, STK, I_NONE, S16 | S64, FX_LEAVE, 0),
    F("int3", 0, 0xcc, 0, -1, 0, I_NONE, 0, 0, 0),
    F("xlat", 0, 0xd7, 0, -1, 0, I_NONE, 0, FX_XLAT, 0),
    F("loopne Jb", 0, 0xe0, 0, -1, STK, I_REL8, S64, FX_BRANCH, 0),
    F("loope Jb", 0, 0xe1, 0, -1, STK, I_REL8, S64, FX_BRANCH, 0),
    F("loop Jb", 0, 0xe2, 0, -1, STK, I_REL8, S64, FX_BRANCH, 0),
    F("jrcxz Jb", 0, 0xe3, 0, -1, STK, I_REL8, S64, FX_BRANCH, 0),
    F("call Jz", 0, 0xe8, 0, -1, STK, I_REL32, S64, FX_BRANCH, 0),
    F("jmp Jz", 0, 0xe9, 0, -1, STK, I_REL32, S64, FX_BRANCH, 0),
    F("jmp Jb", 0, 0xeb, 0, -1, STK, I_REL8, S64, FX_BRANCH, 0),
    F("hlt (#GP)", 0, 0xf4, 0, -1, 0, I_NONE, 0, 0, 0),
    F("cmc", 0, 0xf5, 0, -1, 0, I_NONE, 0, 0, 0),
    F("test Eb,Ib", 0, 0xf6, 0, 0, MR | E_BYTE, I_B, S8, 0, FL_AF),
    F("not Eb", 0, 0xf6, 0, 2, MR | E_BYTE | E_LOCK, I_NONE, S8, 0, 0),
    F("neg Eb", 0, 0xf6, 0, 3, MR | E_BYTE | E_LOCK, I_NONE, S8, 0, 0),
    F("mul Eb", 0, 0xf6, 0, 4, MR | E_BYTE, I_NONE, S8, 0, U_MUL),
    F("imul Eb", 0, 0xf6, 0, 5, MR | E_BYTE, I_NONE, S8, 0, U_MUL),
    F("div Eb", 0, 0xf6, 0, 6, MR | E_BYTE, I_NONE, S8, FX_DIV, FL_ARITH),
    F("idiv Eb", 0, 0xf6, 0, 7, MR | E_BYTE, I_NONE, S8, FX_IDIV, FL_ARITH),
    F("test Ev,Iz", 0, 0xf7, 0, 0, MR, I_Z, SV, 0, FL_AF),
    F("not Ev", 0, 0xf7, 0, 2, MR | E_LOCK, I_NONE, SV, 0, 0),
    F("neg Ev", 0, 0xf7, 0, 3, MR | E_LOCK, I_NONE, SV, 0, 0),
    F("mul Ev", 0, 0xf7, 0, 4, MR, I_NONE, SV, 0, U_MUL),
    F("imul Ev", 0, 0xf7, 0, 5, MR, I_NONE, SV, 0, U_MUL),
    F("div Ev", 0, 0xf7, 0, 6, MR, I_NONE, SV, FX_DIV, FL_ARITH),
    F("idiv Ev", 0, 0xf7, 0, 7, MR, I_NONE, SV, FX_IDIV, FL_ARITH),
    F("clc", 0, 0xf8, 0, -1, 0, I_NONE, 0, 0, 0),
    F("stc", 0, 0xf9, 0, -1, 0, I_NONE, 0, 0, 0),
    F("cli (#GP)", 0, 0xfa, 0, -1, 0, I_NONE, 0, 0, 0),
    F("sti (#GP)", 0, 0xfb, 0, -1, 0, I_NONE, 0, 0, 0),
    F("cld", 0, 0xfc, 0, -1, 0, I_NONE, 0, 0, 0),
    F("std", 0, 0xfd, 0, -1, 0, I_NONE, 0, 0, 0),
    F("inc Eb", 0, 0xfe, 0, 0, MR | E_BYTE | E_LOCK, I_NONE, S8, 0, 0),
    F("dec Eb", 0, 0xfe, 0, 1, MR | E_BYTE | E_LOCK, I_NONE, S8, 0, 0),
    F("inc Ev", 0, 0xff, 0, 0, MR | E_LOCK, I_NONE, SV, 0, 0),
    F("dec Ev", 0, 0xff, 0, 1, MR | E_LOCK, I_NONE, SV, 0, 0),
    F("call Ev", 0, 0xff, 0, 2, MR | STK, I_NONE, S64, FX_CALLIND, 0),
    F("jmp Ev", 0, 0xff, 0, 4, MR | STK, I_NONE, S64, FX_CALLIND, 0),
    F("push Ev", 0, 0xff, 0, 6, MR | STK, I_NONE, S16 | S64, 0, 0),

    /* invalid in 64-bit mode: #UD (SDM vol. 2, appendix A.2.5 "i64") */
    F("push es (#UD)", 0, 0x06, 0, -1, 0, I_NONE, 0, 0, 0),
    F("daa (#UD)", 0, 0x27, 0, -1, 0, I_NONE, 0, 0, 0),
    F("aaa (#UD)", 0, 0x37, 0, -1, 0, I_NONE, 0, 0, 0),
    F("pusha (#UD)", 0, 0x60, 0, -1, 0, I_NONE, 0, 0, 0),
    F("into (#UD)", 0, 0xce, 0, -1, 0, I_NONE, 0, 0, 0),
    F("aam (#UD)", 0, 0xd4, 0, -1, 0, I_B, 0, 0, 0),
    F("salc (#UD)", 0, 0xd6, 0, -1, 0, I_NONE, 0, 0, 0),

    /* 0F map */
    F("ud2 (#UD)", 1, 0x0b, 0, -1, 0, I_NONE, 0, 0, 0),
    F("prefetchw M", 1, 0x0d, 0, 1, M, I_NONE, 0, 0, 0),
    F("prefetchnta M", 1, 0x18, 0, 0, M, I_NONE, 0, 0, 0),
    F("prefetcht0 M", 1, 0x18, 0, 1, M, I_NONE, 0, 0, 0),
    F("nop Ev", 1, 0x1f, 0, 0, MR, I_NONE, S16 | S32, 0, 0),
    F("bt Ev,Gv", 1, 0xa3, 0, -1, MR, I_NONE, SV, FX_BTMEM, U_BT),
    F("shld Ev,Gv,Ib", 1, 0xa4, 0, -1, MR, I_B, SV, FX_SHXD, U_SHIFT),
    F("shld Ev,Gv,CL", 1, 0xa5, 0, -1, MR, I_NONE, SV, FX_SHXD, U_SHIFT),
    F("bts Ev,Gv", 1, 0xab, 0, -1, MR | E_LOCK, I_NONE, SV, FX_BTMEM, U_BT),
    F("shrd Ev,Gv,Ib", 1, 0xac, 0, -1, MR, I_B, SV, FX_SHXD, U_SHIFT),
    F("shrd Ev,Gv,CL", 1, 0xad, 0, -1, MR, I_NONE, SV, FX_SHXD, U_SHIFT),
    F("imul Gv,Ev", 1, 0xaf, 0, -1, MR, I_NONE, SV, 0, U_MUL),
    F("cmpxchg Eb,Gb", 1, 0xb0, 0, -1, MR | E_BYTE | E_LOCK, I_NONE, S8, 0, 0),
    F("cmpxchg Ev,Gv", 1, 0xb1, 0, -1, MR | E_LOCK, I_NONE, SV, 0, 0),
    F("btr Ev,Gv", 1, 0xb3, 0, -1, MR | E_LOCK, I_NONE, SV, FX_BTMEM, U_BT),
    FM("movzx Gv,Eb", 1, 0xb6, 0, -1, MR, I_NONE, SV, 0, 0, 1),
    FM("movzx Gv,Ew", 1, 0xb7, 0, -1, MR, I_NONE, SV, 0, 0, 2),
    F("popcnt Gv,Ev", 1, 0xb8, 0xf3, -1, MR, I_NONE, SV, 0, 0),
    F("bt Ev,Ib", 1, 0xba, 0, 4, MR, I_B, SV, 0, U_BT),
    F("bts Ev,Ib", 1, 0xba, 0, 5, MR | E_LOCK, I_B, SV, 0, U_BT),
    F("btr Ev,Ib", 1, 0xba, 0, 6, MR | E_LOCK, I_B, SV, 0, U_BT),
    F("btc Ev,Ib", 1, 0xba, 0, 7, MR | E_LOCK, I_B, SV, 0, U_BT),
    F("btc Ev,Gv", 1, 0xbb, 0, -1, MR | E_LOCK, I_NONE, SV, FX_BTMEM, U_BT),
    F("bsf Gv,Ev", 1, 0xbc, 0, -1, MR, I_NONE, SV, 0, U_BSF),
    F("tzcnt Gv,Ev", 1, 0xbc, 0xf3, -1, MR, I_NONE, SV, 0, U_BT),
    F("bsr Gv,Ev", 1, 0xbd, 0, -1, MR, I_NONE, SV, 0, U_BSF),
    F("lzcnt Gv,Ev", 1, 0xbd, 0xf3, -1, MR, I_NONE, SV, 0, U_BT),
    FM("movsx Gv,Eb", 1, 0xbe, 0, -1, MR, I_NONE, SV, 0, 0, 1),
    FM("movsx Gv,Ew", 1, 0xbf, 0, -1, MR, I_NONE, SV, 0, 0, 2),
    F("xadd Eb,Gb", 1, 0xc0, 0, -1, MR | E_BYTE | E_LOCK, I_NONE, S8, 0, 0),
    F("xadd Ev,Gv", 1, 0xc1, 0, -1, MR | E_LOCK, I_NONE, SV, 0, 0),
    FM("cmpxchg8b Mq", 1, 0xc7, 0, 1, M | E_LOCK | E_NOW, I_NONE, S32, FX_CX16, 0, 8),
    FM("cmpxchg16b Mdq", 1, 0xc7, 0, 1, M | E_LOCK, I_NONE, S64, FX_CX16, 0, 16),
    F("bswap Zv", 1, 0xc8, 0, -1, E_OPREG, I_NONE, S32 | S64, 0, 0),
    FX("lfence", 1, 0xae, 0xe8),
    FX("mfence", 1, 0xae, 0xf0),
    FX("sfence", 1, 0xae, 0xf8),
    FM("clflush M", 1, 0xae, 0, 7, M, I_NONE, 0, 0, 0, 1),
    FM("movbe Gv,M", 2, 0xf0, 0, -1, M, I_NONE, SV, 0, 0, 0),
    FM("movbe M,Gv", 2, 0xf1, 0, -1, M, I_NONE, SV, 0, 0, 0),
    FM("crc32 Gd,Eb", 2, 0xf0, 0xf2, -1, MR, I_NONE, S32 | S64, 0, 0, 1),
    F("crc32 Gd,Ev", 2, 0xf1, 0xf2, -1, MR, I_NONE, SV, 0, 0),
};
const size_t isa_int_nforms = sizeof(isa_int_forms) / sizeof(isa_int_forms[0]);
