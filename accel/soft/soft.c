/* The software accelerator: struct accel_ops over the soft CPU. Each vCPU runs cpu_exec on its own
 * thread; guest RAM comes straight from the VM's memory slots, everything else goes to the buses and
 * to the vCPU's userspace LAPIC (struct vcpu's lapic, which the board fills: machine/accel.h), whose
 * interrupts are taken at block boundaries; rdtsc reads the board's TSC (struct vcpu's tsc). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "accel/accel.h"
#include "accel/cpu-model.h"
#include "accel/soft/cpu.h"
#include "accel/soft/debug.h"
#include "accel/soft/jit.h"
#include "accel/soft/op-x87-util.h"
#include "accel/soft/soft-int.h"
#include "accel/soft/tb.h"
#include "machine/vm.h"
#include "util/tsc.h"

#define SOFT_CACHE_MAX (1ull << 30)  /* the default code cache: QEMU's tb-size default, 1 GiB */
#define SOFT_SLICE (1u << 22)       /* instructions between looks at the stop flag */

struct soft_vm {
    struct code_pages *pages;      /* shared: a write by any vCPU invalidates every vCPU's blocks */
    FILE *trace;
    struct cpuid_edit edits[CPUID_MAX_EDITS];   /* --cpu-features */
    int nedits;
};


static struct soft_vcpu *sv_of(struct cpu *c)
{
    return (struct soft_vcpu *)c;  /* cpu is the first member */
}

/* ---- what the CPU core asks of the machine ---- */

static bool is_apic_page(struct vcpu *v, uint64_t gpa)
{
    return v->lapic.dev && (gpa & ~0xfffull) == v->lapic.ops->mmio_base(v->lapic.dev);
}

/* The LAPIC's lock-free "maybe deliverable" and "events pending" flags (hw/apic.h's lapic_irq_hint
 * and lapic_events_pending). */
static bool lapic_hint(const struct vcpu_lapic *l)
{
    return atomic_load_explicit(l->irq_hint, memory_order_acquire);
}

static bool lapic_events(const struct vcpu_lapic *l)
{
    return atomic_load_explicit(l->events, memory_order_acquire) != 0;
}

static enum phys_kind soft_phys_page(struct cpu *c, uint64_t gpa, uint8_t **host, bool *writable)
{
    struct vcpu *v = sv_of(c)->v;
    if (is_apic_page(v, gpa))
        return PHYS_MMIO;
    const struct pam *pam = &v->vm->mem.pam;
    if (pam_covers(pam, gpa)) {
        /* Read (and fetch) one side; write RAM directly only in mode 3, else through the MMIO
         * bus (mm/pam.c: to RAM in mode 2, dropped in 0 and 1). */
        *host = (uint8_t *)(uintptr_t)pam_read_hva(pam, gpa);
        *writable = pam_mode_of(pam, pam_seg_of(gpa)) == PAM_RAM;
        return *writable ? PHYS_RAM : PHYS_ROM;
    }
    uint8_t *h = guest_mem_hva_peek(&v->vm->mem, gpa, 4096);   /* writes marked by tlb_fill */
    if (!h) {
        const uint8_t *rom = guest_mem_rom_hva(&v->vm->mem, gpa, 4096);
        if (!rom)
            return PHYS_MMIO;
        *host = (uint8_t *)(uintptr_t)rom;   /* never written through: see PHYS_ROM */
        *writable = false;
        return PHYS_ROM;
    }
    *host = h;
    *writable = true;
    return PHYS_RAM;
}

static uint64_t soft_mmio_read(struct cpu *c, uint64_t gpa, unsigned size)
{
    struct vcpu *v = sv_of(c)->v;
    if (is_apic_page(v, gpa)) {
        vm_count_exit(v->vm, EXIT_MMIO, gpa);
        return v->lapic.ops->mmio_read(v->lapic.dev, gpa & 0xfff, size);
    }
    return vm_mmio_read(v->vm, gpa, size);
}

static void soft_mmio_write(struct cpu *c, uint64_t gpa, uint64_t val, unsigned size)
{
    struct vcpu *v = sv_of(c)->v;
    if (is_apic_page(v, gpa)) {
        vm_count_exit(v->vm, EXIT_MMIO, gpa);
        v->lapic.ops->mmio_write(v->lapic.dev, gpa & 0xfff, val, size);
        return;
    }
    vm_mmio_write(v->vm, gpa, val, size);
}

static uint64_t soft_pio_in(struct cpu *c, uint16_t port, unsigned size)
{
    return vm_pio_in(sv_of(c)->v->vm, port, size);
}

static void soft_pio_out(struct cpu *c, uint16_t port, uint64_t val, unsigned size)
{
    vm_pio_out(sv_of(c)->v->vm, port, val, size);
}

static int soft_irq_pending(struct cpu *c)
{
    const struct vcpu_lapic *l = &sv_of(c)->v->lapic;
    return l->dev && lapic_hint(l) && l->ops->has_interrupt(l->dev) ? 1 : -1;
}

static int soft_irq_ack(struct cpu *c)
{
    const struct vcpu_lapic *l = &sv_of(c)->v->lapic;
    if (!l->dev || !lapic_hint(l))
        return -1;
    return l->ops->get_interrupt(l->dev);
}

static bool is_lapic_msr(uint32_t msr)
{
    return msr == VCPU_MSR_APIC_BASE || msr == VCPU_MSR_TSC_DEADLINE ||
           (msr >= VCPU_MSR_X2APIC_FIRST && msr <= VCPU_MSR_X2APIC_LAST);
}

/* IA32_TSC_DEADLINE is on this vCPU's TSC, the LAPIC's timer on the platform's; they differ by the
 * vCPU's offset (a guest's TSC write, or a restore writing the saved TSC after the platform clock went
 * on). 0 stays 0 (disarmed); a deadline before the platform's TSC 0 is due at once. */
static uint64_t deadline_to_platform(uint64_t val, uint64_t off)
{
    if (!val || !off)
        return val;
    if ((int64_t)off > 0)
        return val > off ? val - off : 1;
    uint64_t add = 0 - off;
    return val > UINT64_MAX - add ? UINT64_MAX : val + add;
}

static bool soft_msr_read(struct cpu *c, uint32_t msr, uint64_t *val)
{
    const struct vcpu_lapic *l = &sv_of(c)->v->lapic;
    if (!l->dev || !is_lapic_msr(msr))
        return false;
    if (l->ops->msr_read(l->dev, msr, val) < 0)
        cpu_raise_gp(c, 0);
    else if (msr == VCPU_MSR_TSC_DEADLINE && *val)
        *val += c->tsc_offset;
    return true;
}

static bool soft_msr_write(struct cpu *c, uint32_t msr, uint64_t val)
{
    const struct vcpu_lapic *l = &sv_of(c)->v->lapic;
    if (!l->dev || !is_lapic_msr(msr))
        return false;
    if (msr == VCPU_MSR_APIC_BASE && (val & VCPU_APIC_BASE_EXTD)) {
        uint32_t l1[4];
        cpuid_query(c, 1, 0, l1);
        if (!(l1[2] & CPUID_1_ECX_X2APIC))
            cpu_raise_gp(c, 0);   /* x2APIC mode only where CPUID offers it */
    }
    if (msr == VCPU_MSR_TSC_DEADLINE)
        val = deadline_to_platform(val, c->tsc_offset);
    if (l->ops->msr_write(l->dev, msr, val) < 0)
        cpu_raise_gp(c, 0);
    if (msr == VCPU_MSR_APIC_BASE)
        tlb_flush(c);   /* the APIC page may have moved */
    return true;
}

static void soft_set_tpr(struct cpu *c, unsigned tpr)
{
    const struct vcpu_lapic *l = &sv_of(c)->v->lapic;
    if (l->dev)
        l->ops->set_tpr(l->dev, (uint8_t)tpr);
}

static unsigned soft_get_tpr(struct cpu *c)
{
    const struct vcpu_lapic *l = &sv_of(c)->v->lapic;
    return l->dev ? l->ops->get_tpr(l->dev) : c->tpr;
}

static uint64_t soft_read_tsc(struct cpu *c)
{
    const struct tsc *t = sv_of(c)->v->tsc;
    return t ? tsc_read(t) : 0;
}

static void soft_count_event(struct cpu *c, int reason, uint64_t addr)
{
    vm_count_exit(sv_of(c)->v->vm, (enum exit_reason)reason, addr);
}

static const struct cpu_env_ops soft_env_ops = {
    .phys_page = soft_phys_page,
    .mmio_read = soft_mmio_read,
    .mmio_write = soft_mmio_write,
    .pio_in = soft_pio_in,
    .pio_out = soft_pio_out,
    .irq_pending = soft_irq_pending,
    .irq_ack = soft_irq_ack,
    .msr_read = soft_msr_read,
    .msr_write = soft_msr_write,
    .set_tpr = soft_set_tpr,
    .get_tpr = soft_get_tpr,
    .read_tsc = soft_read_tsc,
    .count_event = soft_count_event,
    .ram_write = soft_ram_write,
};

/* ---- state conversion ---- */

static void seg_to_state(const struct seg_cache *c, struct seg_state *s)
{
    s->base = c->base;
    s->limit = c->limit;
    s->selector = c->sel;
    s->type = c->attr & 0xf;
    s->s = (c->attr & SEG_A_S) != 0;
    s->dpl = SEG_A_DPL(c->attr);
    s->present = (c->attr & SEG_A_P) != 0;
    s->avl = (c->attr & SEG_A_AVL) != 0;
    s->l = (c->attr & SEG_A_L) != 0;
    s->db = (c->attr & SEG_A_DB) != 0;
    s->g = (c->attr & SEG_A_G) != 0;
    s->unusable = !s->present;
}

static void seg_from_state(struct seg_cache *c, const struct seg_state *s)
{
    c->base = s->base;
    c->limit = s->limit;
    c->sel = s->selector;
    c->attr = (uint16_t)((s->type & 0xf) | (s->s ? SEG_A_S : 0) | ((s->dpl & 3) << 5) |
                         (s->present && !s->unusable ? SEG_A_P : 0) | (s->avl ? SEG_A_AVL : 0) |
                         (s->l ? SEG_A_L : 0) | (s->db ? SEG_A_DB : 0) | (s->g ? SEG_A_G : 0));
}

static int soft_get_state(struct vcpu *v, struct cpu_state *s)
{
    struct cpu *c = &((struct soft_vcpu *)v->accel)->cpu;
    memcpy(s->gpr, c->gpr, sizeof(s->gpr));
    s->rip = c->rip;
    s->rflags = cpu_get_flags(c);
    for (int i = 0; i < SEG_COUNT; i++)
        seg_to_state(&c->seg[i], &s->seg[i]);
    s->gdt = c->gdt;
    s->idt = c->idt;
    s->cr0 = c->cr0;
    s->cr2 = c->cr2;
    s->cr3 = c->cr3;
    s->cr4 = c->cr4;
    s->cr8 = v->lapic.dev ? v->lapic.ops->get_tpr(v->lapic.dev) : c->tpr;
    s->efer = c->efer;
    s->apic_base = c->apic_base;
    if (v->lapic.dev)
        v->lapic.ops->msr_read(v->lapic.dev, VCPU_MSR_APIC_BASE, &s->apic_base);
    return 0;
}

static int soft_set_state(struct vcpu *v, const struct cpu_state *s)
{
    struct cpu *c = &((struct soft_vcpu *)v->accel)->cpu;
    memcpy(c->gpr, s->gpr, sizeof(c->gpr));
    c->rip = s->rip;
    cpu_set_flags(c, s->rflags);
    for (int i = 0; i < SEG_COUNT; i++)
        seg_from_state(&c->seg[i], &s->seg[i]);
    c->gdt = s->gdt;
    c->idt = s->idt;
    c->cr0 = s->cr0 | CR0_ET;
    c->cr2 = s->cr2;
    c->cr3 = s->cr3;
    c->cr4 = s->cr4;
    c->efer = s->efer;
    if ((c->efer & EFER_LME) && (c->cr0 & CR0_PG))
        c->efer |= EFER_LMA;
    c->tpr = (uint8_t)s->cr8;
    /* As KVM does: the CPL is the DPL of SS (CS's in real mode: 0). */
    c->cpl = (c->cr0 & CR0_PE) ? s->seg[SEG_SS].dpl : 0;
    cpu_update_mode(c);
    tlb_flush(c);
    return 0;
}

/* x87/SSE state for the debugger; ST(i) is physical register (top + i) & 7. */
static int soft_get_fpu(struct vcpu *v, struct fpu_state *f)
{
    const struct cpu *c = &((struct soft_vcpu *)v->accel)->cpu;
    for (int k = 0; k < 8; k++)
        memcpy(f->st[k], c->fpu.st[(c->fpu.top + k) & 7].b, 10);
    f->fcw = c->fpu.fcw;
    f->fsw = x87_status_word(&c->fpu);
    f->ftw = c->fpu.ftw;
    f->fop = c->fpu.fop;
    f->fip = c->fpu.fip;
    f->fdp = c->fpu.fdp;
    memcpy(f->xmm, c->xmm, sizeof(f->xmm));
    f->mxcsr = c->mxcsr;
    return 0;
}

static int soft_set_fpu(struct vcpu *v, const struct fpu_state *f)
{
    struct cpu *c = &((struct soft_vcpu *)v->accel)->cpu;
    c->fpu.top = (uint8_t)((f->fsw >> 11) & 7);
    for (int k = 0; k < 8; k++)
        memcpy(c->fpu.st[(c->fpu.top + k) & 7].b, f->st[k], 10);
    c->fpu.fcw = f->fcw;
    c->fpu.fsw = (uint16_t)(f->fsw & ~0x3800u);
    c->fpu.ftw = f->ftw;
    c->fpu.fop = f->fop;
    c->fpu.fip = f->fip;
    c->fpu.fdp = f->fdp;
    memcpy(c->xmm, f->xmm, sizeof(c->xmm));
    c->mxcsr = f->mxcsr;
    return 0;
}

static int soft_set_debug(struct vcpu *v, const struct vcpu_debug *d)
{
    struct cpu *c = &((struct soft_vcpu *)v->accel)->cpu;
    memcpy(c->hdr, d->hw_addr, sizeof(c->hdr));
    c->hdr7 = d->hw_dr7 & 0xffff00ffull;    /* L/G enables, R/W and LEN fields */
    c->hstep = d->single_step;
    c->hswbp = d->sw_bp;
    db_update(c);
    return 0;
}

static void soft_mem_written(struct vm *vm, uint64_t gpa, uint64_t len)
{
    struct soft_vm *sm = vm->accel_state;
    for (uint64_t p = gpa & ~0xfffull; len && p < gpa + len; p += 0x1000)
        code_pages_invalidate(sm->pages, p);
}

/* The PAM changed (machine/accel.h): code translated from the window is stale (its bytes may come
 * from the other side now) and so is every TLB entry of it, this vCPU's included; its out ended
 * the block, so the flush comes before the next instruction. */
static int soft_mem_remap(struct vm *vm, uint64_t gpa, uint64_t len)
{
    struct soft_vm *sm = vm->accel_state;
    soft_mem_written(vm, gpa, len);
    code_pages_map_changed(sm->pages);
    return 0;
}

/* ---- the accelerator ---- */

static bool soft_available(const char **why)
{
    (void)why;
    return true;
}

/* A model feature the software CPU does not implement is left out of its CPUID; say which, once per
 * VM, as QEMU's TCG does ("TCG doesn't support requested feature"). Those the user hid do not count. */
static void say_left_out(const struct cpu_model *m, const struct cpuid_edit *edits, int n)
{
    if (m->all)
        return;
    uint32_t have[CPU_WORDS], out[CPU_WORDS];
    cpuid_soft_have(m->vendor, have);
    for (int w = 0; w < CPU_WORDS; w++)
        out[w] = m->words[w] & ~have[w];
    for (int k = 0; k < n; k++) {
        const struct cpu_feature *f = edits[k].feature;
        int w = cpu_word_of(f->leaf, f->subleaf, f->reg);
        if (w >= 0 && !edits[k].enable)
            out[w] &= ~(1u << f->bit);
    }
    char names[512];
    if (cpu_words_names(out, names, sizeof(names)) > 0)
        fprintf(stderr, "vmon: -cpu %s: the software CPU leaves out %s\n", m->name, names);
}

static int soft_vm_init(struct vm *vm)
{
    struct soft_vm *s = calloc(1, sizeof(*s));
    if (!s)
        return -ENOMEM;
    int n = cpuid_parse_features(vm->cfg.cpu_features, s->edits, CPUID_MAX_EDITS, vm->accel_err,
                                 sizeof(vm->accel_err));
    if (n < 0 || cpuid_check_edits(s->edits, n, vm->accel_err, sizeof(vm->accel_err)) < 0) {
        free(s);
        return -EINVAL;
    }
    s->nedits = n;
    say_left_out(&vm->cfg.cpu_model, s->edits, n);
    s->pages = code_pages_new();
    if (!s->pages) {
        free(s);
        return -ENOMEM;
    }
    if (vm->cfg.trace) {
        s->trace = fopen(vm->cfg.trace, "w");
        if (!s->trace) {
            int e = errno;
            snprintf(vm->accel_err, sizeof(vm->accel_err), "--trace %s: %s", vm->cfg.trace,
                     strerror(e));
            code_pages_free(s->pages);
            free(s);
            return -EINVAL;
        }
    }
    vm->accel_state = s;
    return 0;
}

static int soft_map_slot(struct vm *vm, const struct mem_slot *slot)
{
    (void)vm;
    (void)slot;   /* guest RAM is read from vm->mem on each TLB fill */
    return 0;
}

/* A vCPU's share of the code cache: --jit-cache (QEMU's tb-size) over the vCPUs, or by default, as
 * QEMU sizes its buffer, 1 GiB or an eighth of host RAM when that is less (accel/tcg: "better
 * handle memory constrained systems"). Each vCPU has its own cache (no locks between them). */
static size_t soft_cache_share(const struct vm *vm)
{
    uint64_t total = vm->cfg.jit_cache;
    if (!total) {
        long pages = sysconf(_SC_PHYS_PAGES), psz = sysconf(_SC_PAGESIZE);
        total = SOFT_CACHE_MAX;
        if (pages > 0 && psz > 0 && (uint64_t)pages * (uint64_t)psz / 8 < total)
            total = (uint64_t)pages * (uint64_t)psz / 8;
    }
    uint64_t share = total / (uint64_t)(vm->ncpus > 0 ? vm->ncpus : 1);
    return (size_t)(share < TB_CACHE_MIN ? TB_CACHE_MIN : share);
}

static int soft_vcpu_init(struct vcpu *v)
{
    struct soft_vm *svm = v->vm->accel_state;
    struct soft_vcpu *s = calloc(1, sizeof(*s));
    if (!s)
        return -ENOMEM;
    s->v = v;
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->cond, NULL);
    struct cpu *c = &s->cpu;
    c->id = v->id;
    c->env = &soft_env_ops;
    c->opaque = v;
    c->pages = svm->pages;
    c->trace = svm->trace;
    c->jit_hot = v->vm->cfg.no_jit ? JIT_OFF : JIT_HOT;
    /* cpu_exec's slice (SOFT_SLICE) is only a look at the stop flag, which comes with a kick, as
     * interrupt requests and LAPIC events do (hw/apic.h): chained blocks need not count it. */
    c->kick_only = true;
    c->apic_id = v->apic_id;
    c->model = &v->vm->cfg.cpu_model;
    c->vendor = c->model->vendor;
    c->topo = &v->vm->topo;
    c->cpuid_edits = svm->edits;
    c->ncpuid_edits = svm->nedits;
    c->mmu_feats = 0;
    /* Checked at every block boundary, so a stop is seen even before the kick can be sent. */
    c->stop_flag = &v->vm->leave;
    if (v->lapic.dev)
        c->irq_line = v->lapic.irq_hint;
    c->tbs = tb_cache_new(soft_cache_share(v->vm));
    _Static_assert(VM_MAX_CPUS <= CODE_PAGES_WATCHERS, "every vCPU watches the code epoch");
    if (!c->tbs || !code_pages_watch(svm->pages, c)) {
        tb_cache_free(c->tbs);
        free(s);
        return -ENOMEM;
    }
    v->accel = s;
    cpu_reset(c);
    if (v->id == 0)
        return soft_set_state(v, &v->vm->boot_state);
    /* Application processors wait for INIT/SIPI from the BSP through their LAPIC. */
    s->wait_sipi = true;
    return 0;
}

/* A machine reset (vCPUs parked; machine/vm.c): the INIT state, no translated code (the kernel was
 * written to RAM again behind the code-page tracking), vCPU 0 at vm->boot_state. */
static int soft_vcpu_reset(struct vcpu *v)
{
    struct soft_vcpu *s = v->accel;
    struct cpu *c = &s->cpu;
    cpu_reset(c);
    tb_flush(c);   /* last_tb too: the first block after the reset would chain from it */
    c->halted = false;
    c->nmi_pending = false;
    pthread_mutex_lock(&s->lock);
    s->kicked = false;
    pthread_mutex_unlock(&s->lock);
    s->wait_sipi = v->id != 0;
    return v->id == 0 ? soft_set_state(v, &v->vm->boot_state) : 0;
}

static void soft_vcpu_kick(struct vcpu *v)
{
    struct soft_vcpu *s = v->accel;
    if (!s)
        return;
    atomic_store_explicit(&s->cpu.kick, 1, memory_order_release);
    pthread_mutex_lock(&s->lock);
    s->kicked = true;
    pthread_cond_signal(&s->cond);
    pthread_mutex_unlock(&s->lock);
}

/* NMI, INIT and SIPI from the LAPIC: taken whatever IF says (SDM vol. 3, 8.4 and 10.6). */
static void take_events(struct soft_vcpu *s)
{
    const struct vcpu_lapic *l = &s->v->lapic;
    struct cpu *c = &s->cpu;
    uint8_t vec = 0;
    unsigned ev = l->ops->take_events(l->dev, &vec);
    if (ev & VCPU_EVENT_INIT) {
        uint64_t apic_base = c->apic_base;
        cpu_reset(c);
        c->apic_base = apic_base;
        s->wait_sipi = true;
    }
    if ((ev & VCPU_EVENT_SIPI) && s->wait_sipi) {
        c->seg[SEG_CS].sel = (uint16_t)(vec << 8);
        c->seg[SEG_CS].base = (uint64_t)vec << 12;
        c->rip = 0;
        cpu_update_mode(c);
        s->wait_sipi = false;
        c->halted = false;
    }
    if ((ev & VCPU_EVENT_NMI) && !s->wait_sipi)
        c->nmi_pending = true;
}

/* Sleep in hlt or wait-for-SIPI until something can wake us: a kick (interrupt, event, stop). */
static void vcpu_sleep(struct soft_vcpu *s)
{
    struct vm *vm = s->v->vm;
    const struct vcpu_lapic *l = &s->v->lapic;
    pthread_mutex_lock(&s->lock);
    for (;;) {
        if (s->kicked || vm_should_stop(vm))
            break;
        if (l->dev && lapic_events(l))
            break;
        if (l->dev && !s->wait_sipi && (s->cpu.flags & F_IF) && lapic_hint(l))
            break;
        pthread_cond_wait(&s->cond, &s->lock);
    }
    s->kicked = false;
    pthread_mutex_unlock(&s->lock);
}

static int soft_vcpu_run(struct vcpu *v)
{
    struct soft_vcpu *s = v->accel;
    struct cpu *c = &s->cpu;
    struct vm *vm = v->vm;
    for (;;) {
        /* The kick is cleared before the stop flag and the LAPIC are looked at (a full barrier):
         * one sent after this look stays set for the chained blocks to see (jit-chain.c). */
        atomic_store_explicit(&c->kick, 0, memory_order_seq_cst);
        if (vm_should_stop(vm))
            return VCPU_STOP;
        if (v->lapic.dev && lapic_events(&v->lapic))
            take_events(s);
        if (s->wait_sipi) {
            vcpu_sleep(s);
            continue;
        }
        switch (cpu_exec(c, SOFT_SLICE)) {
        case STOP_SHUTDOWN:
            vm_count_exit(vm, EXIT_SHUTDOWN, 0);
            fprintf(stderr, "vmon: vCPU %d: triple fault (shutdown)\n", v->id);
            return VCPU_CRASH;
        case STOP_HLT:
            vm_count_exit(vm, EXIT_HLT, 0);
            vcpu_sleep(s);
            break;
        case STOP_BREAK:           /* the host debugger's (debug.c): the VM pauses for it */
            c->user_stop = false;
            if (c->hstop == VCPU_DBG_NONE)
                break;
            v->debug_event = (struct vcpu_debug_event){ c->hstop, c->hhits };
            c->hstop = VCPU_DBG_NONE;
            return VCPU_DEBUG;
        default:
            break;
        }
    }
}

/* --exit-stats: each vCPU's code cache (flushes, how full it got). */
static void soft_print_stats(struct vm *vm, FILE *f)
{
    for (int i = 0; i < vm->ncpus; i++) {
        struct soft_vcpu *s = vm->vcpus[i].accel;
        if (!s || !s->cpu.tbs)
            continue;
        struct tb_cache_stats st;
        tb_cache_get_stats(s->cpu.tbs, &st);
        fprintf(f, "jit cache vcpu %d: limit %zu, blocks high %zu, host code high %zu, %" PRIu64
                " translations, %" PRIu64 " flushes\n", i, st.limit, st.blocks_high, st.host_high,
                st.translations, st.flushes);
    }
}

static void soft_vcpu_destroy(struct vcpu *v)
{
    struct soft_vcpu *s = v->accel;
    if (!s)
        return;
    code_pages_unwatch(s->cpu.pages, &s->cpu);
    tb_cache_free(s->cpu.tbs);
    pthread_mutex_destroy(&s->lock);
    pthread_cond_destroy(&s->cond);
    free(s);
    v->accel = NULL;
}

static void soft_vm_destroy(struct vm *vm)
{
    struct soft_vm *s = vm->accel_state;
    if (!s)
        return;
    if (s->trace)
        fclose(s->trace);
    code_pages_free(s->pages);
    free(s);
    vm->accel_state = NULL;
}

const struct accel_ops soft_accel_ops = {
    .name = "soft",
    .irqchip_in_kernel = false,   /* the board provides the PC platform (machine/pc-soft.c) */
    .traces = true,
    .available = soft_available,
    .vm_init = soft_vm_init,
    .map_slot = soft_map_slot,
    .vcpu_init = soft_vcpu_init,
    .vcpu_run = soft_vcpu_run,
    .get_state = soft_get_state,
    .set_state = soft_set_state,
    .vcpu_reset = soft_vcpu_reset,
    .vcpu_kick = soft_vcpu_kick,
    .vcpu_destroy = soft_vcpu_destroy,
    .vm_destroy = soft_vm_destroy,
    .get_fpu = soft_get_fpu,
    .set_fpu = soft_set_fpu,
    .set_debug = soft_set_debug,
    .get_arch = soft_get_arch,
    .set_arch = soft_set_arch,
    .mem_written = soft_mem_written,
    .mem_remap = soft_mem_remap,
    .dirty_log = soft_dirty_log,
    .dirty_sync = soft_dirty_sync,
    .print_stats = soft_print_stats,
};
