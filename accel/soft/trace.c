/* --trace output. QEMU prints, per translation block executed ("-d exec"), a "Trace" line, and with
 * "-d cpu" the register state at block entry (target/i386/cpu-dump.c); with -singlestep each block is
 * one instruction. We print the same lines before every instruction (but QEMU's internal CCS/CCD/CCO
 * lazy-flag line), so `diff` of the RIP/EIP and register lines finds the first divergence. */
#include <stdio.h>

#include "accel/soft/trace.h"

static unsigned qemu_seg_flags(uint16_t attr)
{
    /* QEMU shows the descriptor's high dword bits 8-23: type/S/DPL/P, then AVL/L/DB/G. */
    return ((attr & 0xffu) << 8) | (((attr >> 8) & 0xfu) << 20);
}

void trace_insn(struct cpu *c, const struct insn *i)
{
    FILE *f = c->trace;
    uint64_t fl = cpu_get_flags(c);
    bool lma = (c->efer & EFER_LMA) != 0;
    (void)i;
    fprintf(f, "Trace %d: 0x0 [%016llx/%016llx/%08x/%08x] \n", c->id,
            (unsigned long long)(c->code_size == 8 ? 0 : c->seg[SEG_CS].base),
            (unsigned long long)(c->code_size == 8 ? c->rip : c->seg[SEG_CS].base + c->rip), 0u, 0u);
    char fc[8] = {
        fl & F_DF ? 'D' : '-', fl & F_OF ? 'O' : '-', fl & F_SF ? 'S' : '-', fl & F_ZF ? 'Z' : '-',
        fl & F_AF ? 'A' : '-', fl & F_PF ? 'P' : '-', fl & F_CF ? 'C' : '-', 0 };
    const uint64_t *g = c->gpr;
    if (lma) {
        fprintf(f, "RAX=%016llx RBX=%016llx RCX=%016llx RDX=%016llx\n"
                   "RSI=%016llx RDI=%016llx RBP=%016llx RSP=%016llx\n"
                   "R8 =%016llx R9 =%016llx R10=%016llx R11=%016llx\n"
                   "R12=%016llx R13=%016llx R14=%016llx R15=%016llx\n"
                   "RIP=%016llx RFL=%08llx [%s] CPL=%u II=0 A20=1 SMM=0 HLT=%d\n",
                (unsigned long long)g[R_RAX], (unsigned long long)g[R_RBX],
                (unsigned long long)g[R_RCX], (unsigned long long)g[R_RDX],
                (unsigned long long)g[R_RSI], (unsigned long long)g[R_RDI],
                (unsigned long long)g[R_RBP], (unsigned long long)g[R_RSP],
                (unsigned long long)g[8], (unsigned long long)g[9], (unsigned long long)g[10],
                (unsigned long long)g[11], (unsigned long long)g[12], (unsigned long long)g[13],
                (unsigned long long)g[14], (unsigned long long)g[15], (unsigned long long)c->rip,
                (unsigned long long)fl, fc, c->cpl, c->halted);
    } else {
        fprintf(f, "EAX=%08x EBX=%08x ECX=%08x EDX=%08x\n"
                   "ESI=%08x EDI=%08x EBP=%08x ESP=%08x\n"
                   "EIP=%08x EFL=%08x [%s] CPL=%u II=0 A20=1 SMM=0 HLT=%d\n",
                (unsigned)g[R_RAX], (unsigned)g[R_RBX], (unsigned)g[R_RCX], (unsigned)g[R_RDX],
                (unsigned)g[R_RSI], (unsigned)g[R_RDI], (unsigned)g[R_RBP], (unsigned)g[R_RSP],
                (unsigned)c->rip, (unsigned)fl, fc, c->cpl, c->halted);
    }
    static const char *const sn[6] = { "ES =", "CS =", "SS =", "DS =", "FS =", "GS =" };
    for (int s = 0; s < 6; s++) {
        const struct seg_cache *sc = &c->seg[s];
        if (lma)
            fprintf(f, "%s%04x %016llx %08x %08x\n", sn[s], sc->sel, (unsigned long long)sc->base,
                    sc->limit, qemu_seg_flags(sc->attr));
        else
            fprintf(f, "%s%04x %08x %08x %08x\n", sn[s], sc->sel, (unsigned)sc->base, sc->limit,
                    qemu_seg_flags(sc->attr));
    }
    const struct seg_cache *l = &c->seg[SEG_LDTR], *t = &c->seg[SEG_TR];
    if (lma) {
        fprintf(f, "LDT=%04x %016llx %08x %08x\n", l->sel, (unsigned long long)l->base, l->limit,
                qemu_seg_flags(l->attr));
        fprintf(f, "TR =%04x %016llx %08x %08x\n", t->sel, (unsigned long long)t->base, t->limit,
                qemu_seg_flags(t->attr));
        fprintf(f, "GDT=     %016llx %08x\nIDT=     %016llx %08x\n", (unsigned long long)c->gdt.base,
                c->gdt.limit, (unsigned long long)c->idt.base, c->idt.limit);
        fprintf(f, "CR0=%08llx CR2=%016llx CR3=%016llx CR4=%08llx\n", (unsigned long long)c->cr0,
                (unsigned long long)c->cr2, (unsigned long long)c->cr3, (unsigned long long)c->cr4);
        fprintf(f, "DR0=%016llx DR1=%016llx DR2=%016llx DR3=%016llx \nDR6=%016llx DR7=%016llx\n",
                (unsigned long long)c->dr[0], (unsigned long long)c->dr[1], (unsigned long long)c->dr[2],
                (unsigned long long)c->dr[3], (unsigned long long)(c->dr[6] ? c->dr[6] : 0xffff0ff0),
                (unsigned long long)(c->dr[7] ? c->dr[7] : 0x400));
        fprintf(f, "EFER=%016llx\n", (unsigned long long)c->efer);
    } else {
        fprintf(f, "LDT=%04x %08x %08x %08x\n", l->sel, (unsigned)l->base, l->limit, qemu_seg_flags(l->attr));
        fprintf(f, "TR =%04x %08x %08x %08x\n", t->sel, (unsigned)t->base, t->limit, qemu_seg_flags(t->attr));
        fprintf(f, "GDT=     %08x %08x\nIDT=     %08x %08x\n", (unsigned)c->gdt.base, c->gdt.limit,
                (unsigned)c->idt.base, c->idt.limit);
        fprintf(f, "CR0=%08x CR2=%08x CR3=%08x CR4=%08x\n", (unsigned)c->cr0, (unsigned)c->cr2,
                (unsigned)c->cr3, (unsigned)c->cr4);
        fprintf(f, "DR0=%016llx DR1=%016llx DR2=%016llx DR3=%016llx \nDR6=%016llx DR7=%016llx\n",
                (unsigned long long)c->dr[0], (unsigned long long)c->dr[1], (unsigned long long)c->dr[2],
                (unsigned long long)c->dr[3], (unsigned long long)(c->dr[6] ? c->dr[6] : 0xffff0ff0),
                (unsigned long long)(c->dr[7] ? c->dr[7] : 0x400));
        fprintf(f, "EFER=%016llx\n", (unsigned long long)c->efer);
    }
}
