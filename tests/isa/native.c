/* The two runners: a snippet on the host CPU (native-stub.S enters and leaves it; a signal handler
 * turns a host fault into the exception vector the kernel saw) and on the software CPU
 * (soft_flat_run). Both run batches in forked children, so neither a snippet nor a software-CPU
 * crash can take the harness down. */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include "tests/isa/isa.h"

/* Matches the offsets in native-stub.S. */
struct native_ctx {
    uint64_t gpr[16];
    uint64_t rflags;
    uint64_t host_rsp;
    uint64_t pad0[2];
    uint8_t fx_in[512];
    uint64_t out_gpr[16];
    uint64_t out_rflags;
    uint64_t pad1;
    uint8_t fx_out[512];
} __attribute__((aligned(16)));

_Static_assert(offsetof(struct native_ctx, fx_in) == 160, "stub offsets");
_Static_assert(offsetof(struct native_ctx, out_gpr) == 672, "stub offsets");
_Static_assert(offsetof(struct native_ctx, out_rflags) == 800, "stub offsets");
_Static_assert(offsetof(struct native_ctx, fx_out) == 816, "stub offsets");

void isa_native_enter(struct native_ctx *ctx);
void isa_native_exit(void);
extern uint64_t isa_native_entry;

int soft_flat_run(struct flat_state *st, const struct flat_region *regions, int nregions,
                  uint64_t stop_rip, uint64_t max_insns, int *vector, const struct flat_cpu *cpu)
    __attribute__((weak));

bool soft_present(void)
{
    return soft_flat_run != NULL;
}

int isa_map_regions(void)
{
    /* guard pages first, so nothing else ever lands next to the regions */
    void *lo = mmap((void *)(ISA_CODE_BASE - 4096), 4096, PROT_NONE,
                    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    void *hi = mmap((void *)(ISA_DATA_BASE + ISA_DATA_SIZE), 4096, PROT_NONE,
                    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    void *code = mmap((void *)ISA_CODE_BASE, ISA_CODE_SIZE, PROT_READ | PROT_WRITE | PROT_EXEC,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    void *data = mmap((void *)ISA_DATA_BASE, ISA_DATA_SIZE, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (lo != (void *)(ISA_CODE_BASE - 4096) || hi != (void *)(ISA_DATA_BASE + ISA_DATA_SIZE) ||
        code != (void *)ISA_CODE_BASE || data != (void *)ISA_DATA_BASE)
        return -EEXIST;
    return 0;
}

/* Code region: the snippet at s->start, then `jmp [rip+0]; .quad isa_native_exit` at stop_rip,
 * hlt (#GP in ring 3) everywhere else. */
void isa_install(const struct snippet *s)
{
    uint8_t *code = (uint8_t *)(uintptr_t)s->start;
    uint64_t exit_addr = (uint64_t)(uintptr_t)isa_native_exit;
    static const uint8_t jmp_rip0[6] = { 0xff, 0x25, 0, 0, 0, 0 };
    memset((void *)ISA_CODE_BASE, 0xf4, ISA_CODE_SIZE);
    memcpy(code, s->code, (size_t)s->len);
    memcpy(code + s->len, jmp_rip0, 6);
    memcpy(code + s->len + 6, &exit_addr, 8);
    memcpy((void *)ISA_DATA_BASE, s->data, ISA_DATA_SIZE);
}

/* fxsave layout: SDM vol. 1, 10.5.1 table 10-2 */
static void fx_from_state(uint8_t *fx, const struct flat_state *st)
{
    memset(fx, 0, 512);
    memcpy(fx, &st->fcw, 2);
    memcpy(fx + 2, &st->fsw, 2);
    fx[4] = st->ftw;
    memcpy(fx + 24, &st->mxcsr, 4);
    for (int i = 0; i < 8; i++)
        memcpy(fx + 32 + 16 * i, st->st[i], 10);
    memcpy(fx + 160, st->xmm, 256);
}

static void fx_to_state(struct flat_state *st, const uint8_t *fx)
{
    memcpy(&st->fcw, fx, 2);
    memcpy(&st->fsw, fx + 2, 2);
    st->ftw = fx[4];
    memcpy(&st->mxcsr, fx + 24, 4);
    for (int i = 0; i < 8; i++)
        memcpy(st->st[i], fx + 32 + 16 * i, 10);
    memcpy(st->xmm, fx + 160, 256);
}

/* Per child process: the batch loop and the signal handler share these (one snippet at a time). */
static sigjmp_buf fault_env;
static struct isa_out *volatile fault_out;

static const int greg_of[16] = { REG_RAX, REG_RCX, REG_RDX, REG_RBX, REG_RSP, REG_RBP, REG_RSI, REG_RDI,
                                 REG_R8, REG_R9, REG_R10, REG_R11, REG_R12, REG_R13, REG_R14, REG_R15 };

static void on_fault(int sig, siginfo_t *si, void *ucv)
{
    ucontext_t *uc = ucv;
    struct isa_out *o = fault_out;
    (void)si;
    if (!o) {                           /* a fault in the harness itself: die with it */
        signal(sig, SIG_DFL);
        return;
    }
    for (int i = 0; i < 16; i++)
        o->st.gpr[i] = (uint64_t)uc->uc_mcontext.gregs[greg_of[i]];
    o->st.rip = (uint64_t)uc->uc_mcontext.gregs[REG_RIP];
    o->st.rflags = (uint64_t)uc->uc_mcontext.gregs[REG_EFL];
    if (uc->uc_mcontext.fpregs)
        fx_to_state(&o->st, (const uint8_t *)uc->uc_mcontext.fpregs);
    o->status = OUT_FAULT;
    o->vector = (int)uc->uc_mcontext.gregs[REG_TRAPNO];
    siglongjmp(fault_env, 1);
}

static void native_setup_child(void)
{
    static uint8_t altstack[65536] __attribute__((aligned(16)));
    stack_t ss = { .ss_sp = altstack, .ss_size = sizeof(altstack) };
    struct sigaction sa;
    sigaltstack(&ss, NULL);
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = on_fault;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    int sigs[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP };
    for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
        sigaction(sigs[i], &sa, NULL);
}

struct batch_arg {
    const struct snippet *s;
    struct isa_out *out;
    bool setup_done;
    struct flat_cpu cpu;
};

static void native_one(void *argv, int i)
{
    struct batch_arg *a = argv;
    const struct snippet *s = &a->s[i];
    struct isa_out *o = &a->out[i];
    static struct native_ctx ctx;
    if (!a->setup_done) {
        native_setup_child();
        a->setup_done = true;
    }
    /* the code page is read-only while the snippet runs, as the software CPU's code region is */
    isa_install(s);
    mprotect((void *)ISA_CODE_BASE, ISA_CODE_SIZE, PROT_READ | PROT_EXEC);
    memcpy(ctx.gpr, s->init.gpr, sizeof(ctx.gpr));
    ctx.rflags = s->init.rflags;
    fx_from_state(ctx.fx_in, &s->init);
    isa_native_entry = s->start;
    o->status = OUT_NONE;
    alarm(5);
    if (sigsetjmp(fault_env, 1) == 0) {
        fault_out = o;
        isa_native_enter(&ctx);
        fault_out = NULL;
        memcpy(o->st.gpr, ctx.out_gpr, sizeof(ctx.out_gpr));
        o->st.rip = s->start + (uint64_t)s->len;
        o->st.rflags = ctx.out_rflags;
        fx_to_state(&o->st, ctx.fx_out);
        o->status = OUT_DONE;
        o->vector = -1;
    } else {
        fault_out = NULL;
    }
    memcpy(o->data, (void *)ISA_DATA_BASE, ISA_DATA_SIZE);
    mprotect((void *)ISA_CODE_BASE, ISA_CODE_SIZE, PROT_READ | PROT_WRITE | PROT_EXEC);
}

static void mark_dead(void *argv, int i, int sig)
{
    struct batch_arg *a = argv;
    a->out[i].status = OUT_CRASH;
    a->out[i].vector = sig;
}

void native_run_batch(const struct snippet *s, struct isa_out *out, int n)
{
    struct batch_arg a = { .s = s, .out = out };
    batch_fork(n, native_one, mark_dead, &a);
}

static void soft_one(void *argv, int i)
{
    struct batch_arg *a = argv;
    const struct snippet *s = &a->s[i];
    struct isa_out *o = &a->out[i];
    struct flat_region regions[2] = {
        { (void *)ISA_CODE_BASE, ISA_CODE_SIZE, 0 },
        { (void *)ISA_DATA_BASE, ISA_DATA_SIZE, 1 },
    };
    if (!soft_present()) {
        o->status = OUT_NOSOFT;
        return;
    }
    alarm(5);
    isa_install(s);
    o->st = s->init;
    o->vector = -1;
    /* Translated, every other snippet starts with its pages in the soft TLB: the inline memory
     * paths run as well as the slow paths a cold TLB takes. */
    struct flat_cpu cpu = a->cpu;
    cpu.warm_tlb = cpu.jit && (i & 1);
    int rc = soft_flat_run(&o->st, regions, 2, s->start + (uint64_t)s->len, ISA_MAX_INSNS, &o->vector, &cpu);
    o->status = rc == FLAT_DONE ? OUT_DONE : rc == FLAT_FAULT ? OUT_FAULT : OUT_LIMIT;
    memcpy(o->data, (void *)ISA_DATA_BASE, ISA_DATA_SIZE);
}

void soft_run_batch(const struct snippet *s, struct isa_out *out, int n, const struct flat_cpu *cpu)
{
    struct batch_arg a = { .s = s, .out = out, .cpu = *cpu };
    batch_fork(n, soft_one, mark_dead, &a);
}
