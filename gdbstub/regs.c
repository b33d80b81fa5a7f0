/* gdb's x86 register views (GDB manual G.5.1 "i386 Features"). The core feature lists the general
 * registers in gdb's own order (amd64: rax rbx rcx rdx rsi rdi rbp rsp r8-r15; i386: eax ecx edx ebx
 * esp ebp esi edi), rip/eip, eflags, the six selectors, st0-st7 and the x87 control registers; the
 * sse feature xmm registers and mxcsr; the segments feature fs_base/gs_base; vmon's control feature
 * cr0, cr2, cr3, cr4, cr8 and efer. Register numbers follow the XML's order, which is this table's. */
#include "gdbstub/regs.h"

#include <stdio.h>
#include <string.h>

enum kind { K_GPR, K_RIP, K_FLAGS, K_SEG, K_ST, K_FPC, K_XMM, K_MXCSR, K_BASE, K_CR };
struct reg { const char *name; enum kind kind; int idx; unsigned bits64, bits32; const char *type, *feat; };

static const char *const gpr64[16] = { "rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp",
                                       "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15" };
static const int gpr64_idx[16] = { R_RAX, R_RBX, R_RCX, R_RDX, R_RSI, R_RDI, R_RBP, R_RSP,
                                   8, 9, 10, 11, 12, 13, 14, 15 };
static const char *const gpr32[8] = { "eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi" };
static const char *const segs[6] = { "cs", "ss", "ds", "es", "fs", "gs" };
static const int seg_idx[6] = { SEG_CS, SEG_SS, SEG_DS, SEG_ES, SEG_FS, SEG_GS };
static const char *const fpc[8] = { "fctrl", "fstat", "ftag", "fiseg", "fioff", "foseg", "fooff", "fop" };
static const char *const crs[6] = { "cr0", "cr2", "cr3", "cr4", "cr8", "efer" };
static const char *const sts[8] = { "st0", "st1", "st2", "st3", "st4", "st5", "st6", "st7" };
static const char *const xmms[16] = { "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8",
                                      "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15" };

#define CORE "org.gnu.gdb.i386.core"
#define SSE "org.gnu.gdb.i386.sse"
#define SEGF "org.gnu.gdb.i386.segments"
#define CTL "org.vmon.x86.control"

/* Register n of the view, described; false past the end. */
static bool reg_at(bool is64, int n, struct reg *r)
{
    int ngpr = is64 ? 16 : 8, nxmm = is64 ? 16 : 8;
    if (n < 0)
        return false;
    if (n < ngpr) {
        bool ptr = is64 ? n == 6 || n == 7 : n == 4 || n == 5;    /* the stack and frame pointers */
        *r = (struct reg){ is64 ? gpr64[n] : gpr32[n], K_GPR, is64 ? gpr64_idx[n] : n, 64, 32,
                           ptr ? "data_ptr" : is64 ? "int64" : "int32", CORE };
        return true;
    }
    n -= ngpr;
    if (n == 0) { *r = (struct reg){ is64 ? "rip" : "eip", K_RIP, 0, 64, 32, "code_ptr", CORE }; return true; }
    if (n == 1) { *r = (struct reg){ "eflags", K_FLAGS, 0, 32, 32, "int32", CORE }; return true; }
    n -= 2;
    if (n < 6) { *r = (struct reg){ segs[n], K_SEG, seg_idx[n], 32, 32, "int32", CORE }; return true; }
    n -= 6;
    if (n < 8) {
        *r = (struct reg){ sts[n], K_ST, n, 80, 80, "i387_ext", CORE };
        return true;
    }
    n -= 8;
    if (n < 8) { *r = (struct reg){ fpc[n], K_FPC, n, 32, 32, "int", CORE }; return true; }
    n -= 8;
    if (n < nxmm) {
        *r = (struct reg){ xmms[n], K_XMM, n, 128, 128, "vec128", SSE };
        return true;
    }
    n -= nxmm;
    if (n == 0) { *r = (struct reg){ "mxcsr", K_MXCSR, 0, 32, 32, "int", SSE }; return true; }
    n -= 1;
    if (n < 2) {
        *r = (struct reg){ n ? "gs_base" : "fs_base", K_BASE, n ? SEG_GS : SEG_FS, 64, 32,
                           is64 ? "int64" : "int32", SEGF };
        return true;
    }
    n -= 2;
    if (n < 6) { *r = (struct reg){ crs[n], K_CR, n, 64, 64, "int64", CTL }; return true; }
    return false;
}

int gdb_reg_count(bool is64)
{
    int n = 0;
    struct reg r;
    while (reg_at(is64, n, &r))
        n++;
    return n;
}

unsigned gdb_reg_size(bool is64, int n)
{
    struct reg r;
    if (!reg_at(is64, n, &r))
        return 0;
    return (is64 ? r.bits64 : r.bits32) / 8;
}

static uint64_t *cr_field(struct cpu_state *c, int idx)
{
    uint64_t *f[6] = { &c->cr0, &c->cr2, &c->cr3, &c->cr4, &c->cr8, &c->efer };
    return f[idx];
}

static uint32_t *fpc32(struct fpu_state *f, int idx, uint32_t *scratch)
{
    *scratch = 0;
    switch (idx) {
    case 0: *scratch = f->fcw; break;
    case 1: *scratch = f->fsw; break;
    case 2: *scratch = f->ftw; break;
    case 4: *scratch = (uint32_t)f->fip; break;
    case 6: *scratch = (uint32_t)f->fdp; break;
    case 7: *scratch = f->fop; break;
    default: break;              /* fiseg, foseg: not kept (flat code and data) */
    }
    return scratch;
}

void gdb_reg_get(bool is64, int n, const struct gdb_regs *rs, uint8_t *out)
{
    struct reg r;
    if (!reg_at(is64, n, &r))
        return;
    struct gdb_regs g = *rs;     /* a copy: fpc32 and cr_field take mutable pointers */
    unsigned size = (is64 ? r.bits64 : r.bits32) / 8;
    uint64_t v = 0;
    uint32_t scratch;
    switch (r.kind) {
    case K_GPR: v = g.cpu.gpr[r.idx]; break;
    case K_RIP: v = g.cpu.rip; break;
    case K_FLAGS: v = g.cpu.rflags; break;
    case K_SEG: v = g.cpu.seg[r.idx].selector; break;
    case K_ST: memcpy(out, g.fpu.st[r.idx], 10); return;
    case K_FPC: v = *fpc32(&g.fpu, r.idx, &scratch); break;
    case K_XMM: memcpy(out, g.fpu.xmm[r.idx], 16); return;
    case K_MXCSR: v = g.fpu.mxcsr; break;
    case K_BASE: v = g.cpu.seg[r.idx].base; break;
    case K_CR: v = *cr_field(&g.cpu, r.idx); break;
    }
    for (unsigned i = 0; i < size; i++)
        out[i] = (uint8_t)(v >> (8 * i));
}

void gdb_reg_set(bool is64, int n, struct gdb_regs *g, const uint8_t *in)
{
    struct reg r;
    if (!reg_at(is64, n, &r))
        return;
    unsigned size = (is64 ? r.bits64 : r.bits32) / 8;
    uint64_t v = 0;
    for (unsigned i = 0; i < size && i < 8; i++)
        v |= (uint64_t)in[i] << (8 * i);
    switch (r.kind) {
    case K_GPR: g->cpu.gpr[r.idx] = is64 ? v : (g->cpu.gpr[r.idx] & ~0xffffffffull) | v; break;
    case K_RIP: g->cpu.rip = v; break;
    case K_FLAGS: g->cpu.rflags = (v & 0x3f7fd7) | 2; break;   /* reserved bits as the CPU keeps them */
    case K_SEG: g->cpu.seg[r.idx].selector = (uint16_t)v; break;
    case K_ST: memcpy(g->fpu.st[r.idx], in, 10); break;
    case K_FPC:
        switch (r.idx) {
        case 0: g->fpu.fcw = (uint16_t)v; break;
        case 1: g->fpu.fsw = (uint16_t)v; break;
        case 2: g->fpu.ftw = (uint16_t)v; break;
        case 4: g->fpu.fip = v; break;
        case 6: g->fpu.fdp = v; break;
        case 7: g->fpu.fop = (uint16_t)(v & 0x7ff); break;
        default: break;
        }
        break;
    case K_XMM: memcpy(g->fpu.xmm[r.idx], in, 16); break;
    case K_MXCSR: g->fpu.mxcsr = (uint32_t)v; break;
    case K_BASE: g->cpu.seg[r.idx].base = v; break;
    case K_CR: *cr_field(&g->cpu, r.idx) = v; break;
    }
}

size_t gdb_regs_bytes(bool is64, const struct gdb_regs *r, uint8_t *out, size_t cap)
{
    size_t o = 0;
    for (int n = 0, c = gdb_reg_count(is64); n < c; n++) {
        unsigned s = gdb_reg_size(is64, n);
        if (o + s > cap)
            break;
        gdb_reg_get(is64, n, r, out + o);
        o += s;
    }
    return o;
}

/* The 128-bit vector type gdb's own i386 descriptions give the xmm registers. */
static const char vec128[] =
    "<vector id=\"v4f\" type=\"ieee_single\" count=\"4\"/>"
    "<vector id=\"v2d\" type=\"ieee_double\" count=\"2\"/>"
    "<vector id=\"v16i8\" type=\"int8\" count=\"16\"/>"
    "<vector id=\"v8i16\" type=\"int16\" count=\"8\"/>"
    "<vector id=\"v4i32\" type=\"int32\" count=\"4\"/>"
    "<vector id=\"v2i64\" type=\"int64\" count=\"2\"/>"
    "<union id=\"vec128\"><field name=\"v4_float\" type=\"v4f\"/><field name=\"v2_double\" type=\"v2d\"/>"
    "<field name=\"v16_int8\" type=\"v16i8\"/><field name=\"v8_int16\" type=\"v8i16\"/>"
    "<field name=\"v4_int32\" type=\"v4i32\"/><field name=\"v2_int64\" type=\"v2i64\"/>"
    "<field name=\"uint128\" type=\"uint128\"/></union>";

size_t gdb_target_xml(bool is64, char *out, size_t cap)
{
    size_t o = 0;
    int w = snprintf(out, cap, "<?xml version=\"1.0\"?><!DOCTYPE target SYSTEM \"gdb-target.dtd\">"
                     "<target><architecture>%s</architecture>", is64 ? "i386:x86-64" : "i386");
    if (w < 0 || (size_t)w >= cap)
        return 0;
    o = (size_t)w;
    const char *feat = NULL;
    struct reg r;
    for (int n = 0; reg_at(is64, n, &r); n++) {
        if (!feat || strcmp(feat, r.feat)) {
            w = snprintf(out + o, cap - o, "%s<feature name=\"%s\">%s", feat ? "</feature>" : "", r.feat,
                         !strcmp(r.feat, SSE) ? vec128 : "");
            if (w < 0 || (size_t)w >= cap - o)
                return 0;
            o += (size_t)w;
            feat = r.feat;
        }
        const char *group = r.kind == K_ST || r.kind == K_FPC ? " group=\"float\"" :
                            r.kind == K_XMM || r.kind == K_MXCSR ? " group=\"vector\"" :
                            r.kind == K_CR ? " group=\"system\"" : "";
        w = snprintf(out + o, cap - o, "<reg name=\"%s\" bitsize=\"%u\" type=\"%s\" regnum=\"%d\"%s/>",
                     r.name, is64 ? r.bits64 : r.bits32, r.type, n, group);
        if (w < 0 || (size_t)w >= cap - o)
            return 0;
        o += (size_t)w;
    }
    w = snprintf(out + o, cap - o, "</feature></target>");
    if (w < 0 || (size_t)w >= cap - o)
        return 0;
    return o + (size_t)w;
}
