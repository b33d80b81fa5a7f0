/* Corners of the debug architecture in 64-bit mode (SDM vol. 3, chapter 17 and 6.8.3):
 * - RF in the frames the CPU pushes (17.3.1.1): 1 for every fault but an instruction-breakpoint
 *   #DB, the old value (0) for traps and int n; iretq with RF=1 skips the instruction breakpoint of
 *   the one instruction it returns to; a breakpoint on an instruction that then faults is taken
 *   once across the fault and the restart;
 * - the MOV SS shadow (6.8.3): a data breakpoint hit by the mov ss itself is reported after the
 *   next instruction, with a single step in the same #DB; ICEBP (INT1) inside the shadow; the
 *   periodic local APIC timer never interrupts between mov ss and the next instruction;
 * - TF across control transfers (17.3.1.4): int n (the handler runs with TF clear, the #DB comes
 *   after the first instruction following iretq), far call/jmp/ret and iretq between code
 *   segments (the #DB names the target's CS:RIP), syscall/sysret (SFMASK.TF keeps the #DB out of
 *   the kernel, sysret setting TF traps right after it, before the first user instruction; without
 *   SFMASK.TF the #DB lands on the LSTAR entry at CPL 0). */
#include "guest.h"

#define DR6_BS 0x4000u
#define FL_RF (1ul << 16)
#define DR7_BP(n, type, len) ((1ul << (2 * (n))) | ((ulong)(type) << (16 + 4 * (n))) | ((ulong)(len) << (18 + 4 * (n))))
#define SET_DR(n, v) __asm__ volatile("mov %0, %%dr" #n :: "r"((ulong)(v)))
#define GET_DR(n) ({ ulong _v; __asm__ volatile("mov %%dr" #n ", %0" : "=r"(_v)); _v; })
#define MAX_DB 8

static volatile int db_count, db_set_rf;
static volatile ulong db_ip[MAX_DB], db_cs[MAX_DB], db_dr6[MAX_DB], db_flags[MAX_DB];
volatile uint16_t ss_sel = SEL_KDATA;
volatile int irq_count;
volatile uint32_t far_call_ptr[2], far_jmp_ptr[2], far_back_ptr[2], far_iret_back[2];

/* #DB: record the frame and DR6 (then clear it); set RF to get past an instruction breakpoint. */
static void db_hook(struct frame *f)
{
    int k = db_count < MAX_DB ? db_count : MAX_DB - 1;
    db_ip[k] = f->ip;
    db_cs[k] = f->cs;
    db_flags[k] = f->flags;
    db_dr6[k] = GET_DR(6);
    SET_DR(6, 0);
    if (db_set_rf)
        f->flags |= FL_RF;
    db_count++;
}

static void db_reset(int set_rf)
{
    db_count = 0;
    db_set_rf = set_rf;
    for (int k = 0; k < MAX_DB; k++)
        db_ip[k] = db_cs[k] = db_dr6[k] = db_flags[k] = ~0ul;
    SET_DR(6, 0);
}

static void expect_db(const char *name, int k, const void *label, ulong cs)
{
    check_eq(cat(name, ": #DB rip"), db_ip[k] - (ulong)label, 0);
    check_eq(cat(name, ": #DB cs"), db_cs[k], cs);
}

void ud_fn(ulong), gp_fn(ulong), pf_fn(ulong), int3_fn(ulong), int42_fn(ulong), rf_probe(void),
    rf_gp_probe(ulong, ulong), ss_data_probe(void), ss_data_tf_probe(void), ss_int_probe(void), ss_icebp_probe(void),
    tf_int_probe(void), tf_far_probe(void), tf_iret_probe(void), tf_sc_user(ulong),
    ss_irq_probe(ulong);
extern char rf_x[], rf_y[], ss_data_next2[], ss_data_tf_next2[], ss_icebp_next[], tf_int_insn[],
    tf_int_c[], tf_int_d[], tf_far_back[], tf_far_end[], far_ctarget[], far_jtarget[],
    tf_iret_insn[], iret_target[], iret_t2[], tf_iret_end[], tf_sc_entry[], tf_sc_ret[], tf_sc_insn[],
    tf_sc_b[], tf_sc_c[], ss_irq_after[];

/* ---- RF in pushed frames ---- */

static volatile ulong hook_flags, hook_own_flags;
static volatile int ud_rf_mode;   /* 0: iretq with the pushed RF, 1: set it, 2: clear it */

static void ud_hook(struct frame *f)
{
    hook_flags = f->flags;
    f->ip += 2;
    if (ud_rf_mode == 1)
        f->flags |= FL_RF;
    else if (ud_rf_mode == 2)
        f->flags &= ~FL_RF;
}

static volatile ulong gp_fix;
static void gp_hook(struct frame *f)
{
    hook_flags = f->flags;
    f->rsi = gp_fix;
}

static void int_hook(struct frame *f)
{
    hook_flags = f->flags;
    hook_own_flags = read_flags();
}

static volatile uint64_t scratch;

static void test_rf_frames(void)
{
    check_eq("#UD frame: RF=1 (a fault)", (ulong)run_catch(ud_fn, 0) == 6 ? last_exc.flags & FL_RF : 1, FL_RF);
    check_eq("#GP frame: RF=1 (a fault)", (ulong)run_catch(gp_fn, 0) == 13 ? last_exc.flags & FL_RF : 1, FL_RF);
    check_eq("#PF frame: RF=1 (a fault)", (ulong)run_catch(pf_fn, 0) == 14 ? last_exc.flags & FL_RF : 1, FL_RF);
    exc_set_hook(3, int_hook);
    hook_flags = ~0ul;
    int3_fn(0);
    check_eq("#BP (int3) frame: RF=0 (a trap)", hook_flags & FL_RF, 0);
    exc_set_hook(3, 0);
    exc_set_hook(0x42, int_hook);
    hook_flags = ~0ul;
    int42_fn(0);
    check_eq("int $0x42 frame: RF=0 (a software interrupt)", hook_flags & FL_RF, 0);

    /* iretq with RF=1 skips one instruction breakpoint: rf_x's, not rf_y's right after it. */
    exc_set_hook(1, db_hook);
    exc_set_hook(6, ud_hook);
    SET_DR(0, (ulong)rf_x);
    SET_DR(1, (ulong)rf_y);
    SET_DR(7, DR7_BP(0, 0, 0) | DR7_BP(1, 0, 0));
    db_reset(1);
    ud_rf_mode = 1;
    rf_probe();
    check_eq("iretq with RF=1: one #DB", db_count, 1);
    check_eq("iretq with RF=1: the #DB is the next instruction's breakpoint (B1)", db_dr6[0] & 0xf, 2);
    check_eq("iretq with RF=1: #DB rip", db_ip[0] - (ulong)rf_y, 0);
    db_reset(1);
    ud_rf_mode = 2;
    rf_probe();
    check_eq("iretq with RF=0: both breakpoints hit", db_count, 2);
    check_eq("iretq with RF=0: first #DB rip", db_ip[0] - (ulong)rf_x, 0);
    db_reset(1);
    ud_rf_mode = 0;
    rf_probe();
    check_eq("iretq with the RF the #UD pushed: one #DB", db_count, 1);
    check_eq("iretq with the RF the #UD pushed: #DB rip", db_ip[0] - (ulong)rf_y, 0);
    exc_set_hook(6, 0);

    /* A breakpoint on a store that faults: #DB (RF=0 pushed, the handler sets it), the store runs
     * and faults with RF=1 pushed, the handler fixes it, and the restart is not stopped again. */
    exc_set_hook(13, gp_hook);
    SET_DR(0, (ulong)rf_gp_probe);
    SET_DR(7, DR7_BP(0, 0, 0));
    db_reset(1);
    gp_fix = (ulong)&scratch;
    scratch = 0;
    hook_flags = ~0ul;
    rf_gp_probe(0x1234, 0x8000000000000000ul);
    SET_DR(7, 0);
    check_eq("breakpoint on a faulting store: the #DB frame has RF=0", db_flags[0] & FL_RF, 0);
    check_eq("breakpoint on a faulting store: the #GP frame has RF=1", hook_flags & FL_RF, FL_RF);
    check_eq("breakpoint on a faulting store: one #DB across fault and restart", db_count, 1);
    check_eq("breakpoint on a faulting store: the store done", scratch, 0x1234);
    exc_set_hook(13, 0);
}

/* ---- the mov ss shadow ---- */

static volatile int icebp_ud;
static void icebp_ud_hook(struct frame *f)
{
    icebp_ud++;
    f->ip += 1;
}

static void test_movss(void)
{
    SET_DR(0, (ulong)&ss_sel);
    SET_DR(7, DR7_BP(0, 3, 1));
    db_reset(0);
    ss_data_probe();
    check_eq("mov ss hitting a read breakpoint: one #DB", db_count, 1);
    check_eq("mov ss hitting a read breakpoint: #DB after the next instruction", db_ip[0] - (ulong)ss_data_next2, 0);
    check_eq("mov ss hitting a read breakpoint: DR6.B0", db_dr6[0] & (0xf | DR6_BS), 1);
    db_reset(0);
    ss_data_tf_probe();
    check_eq("mov ss, read breakpoint and TF: #DB after the next instruction",
             db_ip[0] - (ulong)ss_data_tf_next2, 0);
    check_eq("mov ss, read breakpoint and TF: DR6.BS and B0", db_dr6[0] & (0xf | DR6_BS), DR6_BS | 1);
    exc_set_hook(0x42, int_hook);
    hook_flags = ~0ul;
    db_reset(0);
    ss_int_probe();
    exc_set_hook(0x42, 0);
    check_eq("mov ss hitting a breakpoint, then int n: one #DB", db_count, 1);
    expect_db("mov ss hitting a breakpoint, then int n: at the handler's first instruction", 0,
              (void *)idt_stub(0x42), SEL_KCODE);
    check_eq("mov ss hitting a breakpoint, then int n: DR6.B0", db_dr6[0] & (0xf | DR6_BS), 1);
    check_eq("mov ss hitting a breakpoint, then int n: the handler ran", hook_flags != ~0ul, 1);
    SET_DR(7, 0);

    exc_set_hook(6, icebp_ud_hook);
    icebp_ud = 0;
    db_reset(0);
    ss_icebp_probe();
    exc_set_hook(6, 0);
    check_eq("icebp after mov ss: not #UD", icebp_ud, 0);
    check_eq("icebp after mov ss: one #DB", db_count, 1);
    check_eq("icebp after mov ss: #DB rip after the icebp", db_ip[0] - (ulong)ss_icebp_next, 0);
    check_eq("icebp after mov ss: DR6 B0-B3, BD, BS clear", db_dr6[0] & (0xf | 0x2000 | DR6_BS), 0);
}

/* The local APIC timer, periodic (SDM vol. 3, 10.5.4), through a 2 MiB uncached page. */
#define APIC_BASE 0xfee00000ul
#define TIMER_VEC 0x40
extern uint64_t boot_pdpt[512];
static uint64_t apic_pd[512] __attribute__((aligned(4096)));
static volatile int irq_in_shadow;
static void apic_write(unsigned reg, uint32_t v) { *(volatile uint32_t *)(APIC_BASE + reg) = v; }

static void timer_hook(struct frame *f)
{
    irq_count++;
    if (f->ip == (ulong)ss_irq_after)
        irq_in_shadow++;
    apic_write(0xb0, 0);   /* EOI */
}

static void test_movss_irq(void)
{
    boot_pdpt[3] = (ulong)apic_pd | 3;
    apic_pd[(APIC_BASE >> 21) & 511] = (APIC_BASE & ~0x1ffffful) | 0x9b;   /* P RW PWT PCD PS */
    WRITE_CR(3, READ_CR(3));
    outb(0x21, 0xff);   /* the 8259s masked: the timer is the only interrupt source */
    outb(0xa1, 0xff);
    exc_set_hook(TIMER_VEC, timer_hook);
    apic_write(0xf0, 0x1ff);                  /* SVR: software enable */
    apic_write(0x3e0, 0xb);                   /* divide by 1 */
    apic_write(0x320, TIMER_VEC | 1u << 17);  /* periodic */
    apic_write(0x380, 20000);
    irq_count = irq_in_shadow = 0;
    __asm__ volatile("sti");
    ss_irq_probe(20);
    __asm__ volatile("cli");
    apic_write(0x320, TIMER_VEC | 1u << 16);  /* masked */
    apic_write(0x380, 0);
    exc_set_hook(TIMER_VEC, 0);
    check("mov ss loop with the timer: 20 interrupts taken", irq_count >= 20);
    check_eq("mov ss loop with the timer: none between mov ss and the next instruction", irq_in_shadow, 0);
}

/* ---- TF across control transfers ---- */

static void test_tf_int(void)
{
    exc_set_hook(0x42, int_hook);
    hook_flags = hook_own_flags = ~0ul;
    db_reset(0);
    tf_int_probe();
    expect_db("TF over int n: first", 0, tf_int_insn, SEL_KCODE);
    check_eq("TF over int n: the frame keeps TF", hook_flags & FL_TF, FL_TF);
    check_eq("TF over int n: the handler runs with TF clear", hook_own_flags & FL_TF, 0);
    expect_db("TF over int n: after iretq, once the next instruction ran", 1, tf_int_c, SEL_KCODE);
    expect_db("TF over int n: then each instruction", 2, tf_int_d, SEL_KCODE);
    exc_set_hook(0x42, 0);
}

static void test_tf_far(void)
{
    far_call_ptr[0] = (uint32_t)(ulong)far_ctarget;
    far_call_ptr[1] = SEL_KCODE64;
    far_jmp_ptr[0] = (uint32_t)(ulong)far_jtarget;
    far_jmp_ptr[1] = SEL_KCODE64;
    far_back_ptr[0] = (uint32_t)(ulong)tf_far_end;
    far_back_ptr[1] = SEL_KCODE;
    far_iret_back[0] = (uint32_t)(ulong)tf_iret_end;
    far_iret_back[1] = SEL_KCODE;
    db_reset(0);
    tf_far_probe();
    /* popf sets TF: the first trap is after the instruction that follows it, the far call. */
    expect_db("TF: after far call to 0x58", 0, far_ctarget, SEL_KCODE64);
    expect_db("TF: after far ret to 0x08", 1, tf_far_back, SEL_KCODE);
    expect_db("TF: after far jmp to 0x58", 2, far_jtarget, SEL_KCODE64);
    expect_db("TF: after far jmp back to 0x08", 3, tf_far_end, SEL_KCODE);

    db_reset(0);
    tf_iret_probe();
    expect_db("TF over iretq: before it", 0, tf_iret_insn, SEL_KCODE);
    expect_db("TF over iretq to 0x58 (TF in the frame too): after it", 1, iret_target, SEL_KCODE64);
    expect_db("TF over iretq: the next instruction", 2, iret_t2, SEL_KCODE64);
    expect_db("TF over iretq: far jmp back", 3, tf_iret_end, SEL_KCODE);
}

static void test_tf_syscall(void)
{
    wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SCE);
    wrmsr(MSR_STAR, (uint64_t)0x18 << 48 | (uint64_t)SEL_KCODE << 32);
    wrmsr(MSR_LSTAR, (ulong)tf_sc_entry);
    wrmsr(MSR_SFMASK, FL_TF);
    db_reset(0);
    int v = run_user(tf_sc_user, 0, 0);
    check_no_fault("TF over syscall, SFMASK.TF: back from ring 3", v);
    expect_db("TF over syscall, SFMASK.TF: first", 0, tf_sc_insn, SEL_UCODE64);
    /* sysret restoring TF traps at once, before the first user instruction (unlike iretq): as if the
     * syscall had been single-stepped (Linux's syscall exit path relies on it). */
    expect_db("TF over syscall, SFMASK.TF: none in the kernel; right after sysret", 1, tf_sc_b, SEL_UCODE64);
    expect_db("TF over syscall, SFMASK.TF: then each instruction", 2, tf_sc_c, SEL_UCODE64);

    wrmsr(MSR_SFMASK, 0);
    db_reset(0);
    v = run_user(tf_sc_user, 0, 0);
    check_no_fault("TF over syscall, SFMASK=0: back from ring 3", v);
    expect_db("TF over syscall, SFMASK=0: first", 0, tf_sc_insn, SEL_UCODE64);
    expect_db("TF over syscall, SFMASK=0: at the LSTAR entry", 1, tf_sc_entry, SEL_KCODE);
    expect_db("TF over syscall, SFMASK=0: in the kernel", 2, tf_sc_ret, SEL_KCODE);
    expect_db("TF over syscall, SFMASK=0: after sysret", 3, tf_sc_b, SEL_UCODE64);
    wrmsr(MSR_SFMASK, 0);
    wrmsr(MSR_EFER, rdmsr(MSR_EFER) & ~(uint64_t)EFER_SCE);
}

void guest_main(void)
{
    puts_uart("debug2: RF in frames, the mov ss shadow, TF across int n, far transfers, iretq, syscall\n");
    test_rf_frames();
    exc_set_hook(1, db_hook);
    test_movss();
    test_movss_irq();
    test_tf_int();
    test_tf_far();
    test_tf_syscall();
    exc_set_hook(1, 0);
    SET_DR(7, 0);
}
