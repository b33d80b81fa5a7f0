/* Comparing the host CPU's result with the software CPU's, and printing a mismatch so that it can be
 * read without running anything: bytes, capstone's disassembly, initial state, the differences. */
#include <capstone/capstone.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "tests/isa/isa.h"

static const char *const gpr_name[16] = { "rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
                                          "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15" };

static void addf(struct isa_diff *d, const char *fmt, ...)
{
    size_t n = strlen(d->text);
    va_list ap;
    if (n + 1 >= sizeof(d->text))
        return;
    va_start(ap, fmt);
    vsnprintf(d->text + n, sizeof(d->text) - n, fmt, ap);
    va_end(ap);
}

static void hex(char *buf, const uint8_t *p, int n)
{
    for (int i = 0; i < n; i++)
        sprintf(buf + 2 * i, "%02x", p[n - 1 - i]);    /* most significant byte first */
}

/* 80-bit values within 2 units in the last place (same sign; mantissas compared as integers,
 * which carries across the exponent boundary correctly for normal numbers). */
static bool st_close(const uint8_t *a, const uint8_t *b)
{
    uint64_t ma, mb;
    uint16_t ea, eb;
    memcpy(&ma, a, 8), memcpy(&mb, b, 8), memcpy(&ea, a + 8, 2), memcpy(&eb, b + 8, 2);
    if ((ea ^ eb) & 0x8000)
        return ma == 0 && mb == 0;
    if (ea == eb) {
        uint64_t d = ma > mb ? ma - mb : mb - ma;
        return d <= 2;
    }
    return false;
}

static const char *status_name(int st)
{
    switch (st) {
    case OUT_DONE: return "done";
    case OUT_FAULT: return "fault";
    case OUT_LIMIT: return "instruction limit";
    case OUT_CRASH: return "CRASHED";
    case OUT_NOSOFT: return "no soft CPU";
    default: return "not run";
    }
}

bool isa_compare(const struct snippet *s, const struct isa_out *nat, const struct isa_out *soft,
                 struct isa_diff *d)
{
    d->text[0] = 0;
    if (nat->status != soft->status || (nat->status == OUT_FAULT && nat->vector != soft->vector) ||
        nat->status == OUT_CRASH || soft->status == OUT_CRASH) {
        addf(d, "  outcome: native %s", status_name(nat->status));
        if (nat->status == OUT_FAULT || nat->status == OUT_CRASH)
            addf(d, " (%s %d)", nat->status == OUT_FAULT ? "vector" : "signal", nat->vector);
        addf(d, ", soft %s", status_name(soft->status));
        if (soft->status == OUT_FAULT || soft->status == OUT_CRASH)
            addf(d, " (%s %d)", soft->status == OUT_FAULT ? "vector" : "signal", soft->vector);
        addf(d, "\n");
        if (nat->status != OUT_FAULT || soft->status != OUT_FAULT)
            return false;
    }
    bool both_fault = nat->status == OUT_FAULT && soft->status == OUT_FAULT && nat->vector == soft->vector;
    const struct flat_state *a = &nat->st, *b = &soft->st;
    for (int i = 0; i < 16; i++)
        if (a->gpr[i] != b->gpr[i])
            addf(d, "  %-6s native %016" PRIx64 " soft %016" PRIx64 "\n", gpr_name[i], a->gpr[i], b->gpr[i]);
    if (a->rip != b->rip)
        addf(d, "  rip    native %016" PRIx64 " soft %016" PRIx64 "\n", a->rip, b->rip);
    uint32_t fm = FL_ALL & ~s->undef;
    if ((a->rflags ^ b->rflags) & fm)
        addf(d, "  rflags native %04" PRIx64 " soft %04" PRIx64 " (compared bits %04x)\n",
             a->rflags & FL_ALL, b->rflags & FL_ALL, fm);
    for (int i = 0; i < 16; i++)
        if (memcmp(a->xmm[i], b->xmm[i], 16)) {
            char x[33], y[33];
            hex(x, a->xmm[i], 16), hex(y, b->xmm[i], 16);
            addf(d, "  xmm%-3d native %s soft %s\n", i, x, y);
        }
    if (a->mxcsr != b->mxcsr)
        addf(d, "  mxcsr  native %08x soft %08x\n", a->mxcsr, b->mxcsr);
    uint16_t swm = s->x87_loose ? (uint16_t)~0x0220 : 0xffff;    /* C1 and PE vary with rounding */
    if (a->fcw != b->fcw || ((a->fsw ^ b->fsw) & swm) || a->ftw != b->ftw)
        addf(d, "  x87    native fcw %04x fsw %04x ftw %02x, soft fcw %04x fsw %04x ftw %02x\n",
             a->fcw, a->fsw, a->ftw, b->fcw, b->fsw, b->ftw);
    for (int i = 0; i < 8; i++) {
        bool same = s->x87_loose ? st_close(a->st[i], b->st[i]) : !memcmp(a->st[i], b->st[i], 10);
        if (!same) {
            char x[21], y[21];
            hex(x, a->st[i], 10), hex(y, b->st[i], 10);
            addf(d, "  st(%d)  native %s soft %s\n", i, x, y);
        }
    }
    int ndiff = 0;
    for (uint32_t i = 0; i < ISA_DATA_SIZE; i++) {
        if (nat->data[i] == soft->data[i] || (i >= s->skip_off && i < (uint32_t)s->skip_off + s->skip_len))
            continue;
        if (ndiff++ < 8)
            addf(d, "  mem    %08" PRIx64 ": native %02x soft %02x (was %02x)\n", ISA_DATA_BASE + i,
                 nat->data[i], soft->data[i], s->data[i]);
    }
    if (ndiff > 8)
        addf(d, "  mem    ... %d bytes differ\n", ndiff);
    if (d->text[0] && both_fault) {
        char head[80];
        int n = snprintf(head, sizeof(head), "  outcome: both fault with vector %d, in states that differ:\n", nat->vector);
        size_t len = strlen(d->text);
        if (len + (size_t)n >= sizeof(d->text))
            len = sizeof(d->text) - (size_t)n - 1;
        memmove(d->text + n, d->text, len);
        memcpy(d->text, head, (size_t)n);
        d->text[len + (size_t)n] = 0;
    }
    return d->text[0] == 0;
}

int isa_disasm(const uint8_t *code, size_t len, uint64_t addr, char *buf, size_t bufsz, int *lens, int maxn)
{
    csh h;
    cs_insn *insn;
    buf[0] = 0;
    if (cs_open(CS_ARCH_X86, CS_MODE_64, &h) != CS_ERR_OK)
        return -1;
    size_t n = cs_disasm(h, code, len, addr, 0, &insn);
    size_t used = 0;
    for (size_t i = 0; i < n; i++) {
        if ((int)i < maxn && lens)
            lens[i] = insn[i].size;
        int w = snprintf(buf + used, bufsz - used, "%s%s %s", i ? "; " : "", insn[i].mnemonic, insn[i].op_str);
        if (w < 0 || (size_t)w >= bufsz - used)
            break;
        used += (size_t)w;
    }
    if (n)
        cs_free(insn, n);
    cs_close(&h);
    return (int)n;
}

void isa_print_snippet(const struct snippet *s, const struct isa_out *nat, const struct isa_out *soft,
                       const struct isa_diff *d)
{
    char dis[1024], bytes[3 * ISA_MAX_CODE + 1] = "";
    for (int i = 0; i < s->len; i++)
        sprintf(bytes + 3 * i, "%02x ", s->code[i]);
    isa_disasm(s->code, (size_t)s->len, ISA_CODE_BASE, dis, sizeof(dis), NULL, 0);
    printf("  forms: ");
    for (int i = 0; i < s->nforms; i++)
        printf("%s%s", i ? " | " : "", isa_form_at((size_t)s->forms[i])->name);
    printf("\n  bytes: %s\n  asm:   %s\n  init: ", bytes, dis);
    for (int i = 0; i < 16; i++)
        printf("%s=%" PRIx64 "%s", gpr_name[i], s->init.gpr[i], i == 7 ? "\n        " : " ");
    printf("\n        rflags=%03" PRIx64 " mxcsr=%04x fcw=%04x fsw=%04x ftw=%02x undefined-flags=%03x\n",
           s->init.rflags & FL_ALL, s->init.mxcsr, s->init.fcw, s->init.fsw, s->init.ftw, s->undef & FL_ALL);
    bool x87 = false;
    for (int i = 0; i < s->nforms; i++)
        x87 |= isa_form_at((size_t)s->forms[i])->cls == CLS_X87;
    if (x87) {
        printf("        x87 stack (ST(i), * = valid):");
        for (int i = 0; i < 8; i++) {
            char x[21];
            int phys = ((s->init.fsw >> 11) + i) & 7;
            hex(x, s->init.st[i], 10);
            printf("%s %s%s", i % 4 ? "" : "\n         ", x, (s->init.ftw >> phys) & 1 ? "*" : " ");
        }
        printf("\n");
    }
    (void)nat, (void)soft;
    printf("%s", d->text);
}
