/* Corners of the debug architecture in 32-bit protected mode (SDM vol. 3, 6.8.3 and 17.3.1.4): the
 * POP SS shadow (pop ss is invalid in 64-bit mode, so it is checked here): a single step and a data
 * breakpoint hit by the pop ss itself are both held until the next instruction has run; TF across
 * sysenter/sysexit, which leave TF alone: the #DB lands on the SYSENTER_EIP entry at CPL 0, then
 * right after sysexit, each naming its CS. */
#include "guest.h"

#define DR6_BS 0x4000u
#define DR7_BP(n, type, len) ((1ul << (2 * (n))) | ((ulong)(type) << (16 + 4 * (n))) | ((ulong)(len) << (18 + 4 * (n))))
#define SET_DR(n, v) __asm__ volatile("mov %0, %%dr" #n :: "r"((ulong)(v)))
#define GET_DR(n) ({ ulong _v; __asm__ volatile("mov %%dr" #n ", %0" : "=r"(_v)); _v; })
#define MAX_DB 8

static volatile int db_count;
static volatile ulong db_ip[MAX_DB], db_cs[MAX_DB], db_dr6[MAX_DB];
/* pop ss reads popss_buf[32]; the words below it take the #DB frame. */
volatile uint32_t popss_buf[48] __attribute__((aligned(64)));
volatile uint32_t popss_saved_esp;
static uint8_t sysenter_stack[4096] __attribute__((aligned(16)));

static void db_hook(struct frame *f)
{
    int k = db_count < MAX_DB ? db_count : MAX_DB - 1;
    db_ip[k] = f->ip;
    db_cs[k] = f->cs;
    db_dr6[k] = GET_DR(6);
    SET_DR(6, 0);
    db_count++;
}

static void db_reset(void)
{
    db_count = 0;
    for (int k = 0; k < MAX_DB; k++)
        db_ip[k] = db_cs[k] = db_dr6[k] = ~0ul;
    SET_DR(6, 0);
}

static void expect_db(const char *name, int k, const void *label, ulong cs)
{
    check_eq(cat(name, ": #DB rip"), db_ip[k] - (ulong)label, 0);
    check_eq(cat(name, ": #DB cs"), db_cs[k], cs);
}

__asm__(
    ".text\n"
    "popss_tf_probe: pushfl; orl $0x100, (%esp); popfl\n"
    "  pushl %ss\n"
    "popss_insn: popl %ss\n"
    "popss_next1: nop\n"
    "popss_next2: pushfl; andl $~0x100, (%esp); popfl\n ret\n"
    "popss_bp_probe: movl %esp, popss_saved_esp\n"
    "  movl $popss_buf + 128, %esp\n"
    "  popl %ss\n"
    "popss_bp_next1: movl popss_saved_esp, %esp\n"
    "popss_bp_next2: ret\n"
    /* sysenter from ring 3 with TF set: ecx = user esp, edx = where sysexit returns. */
    "se_user: pushl %ebx; movl %esp, %ecx; movl $se_back, %edx\n"
    "  pushfl; orl $0x100, (%esp); popfl\n"
    "se_a: nop\n"
    "se_insn: sysenter\n"
    "se_back: nop\n"
    "se_c: pushfl; andl $~0x100, (%esp); popfl\n"
    "  popl %ebx; ret\n"
    "se_entry: nop\n"
    "se_exit: sysexit\n");
void popss_tf_probe(void), popss_bp_probe(void), se_user(ulong);
extern char popss_insn[], popss_next2[], popss_bp_next2[], se_insn[], se_entry[], se_exit[], se_back[], se_c[];

static void test_popss(void)
{
    db_reset();
    popss_tf_probe();
    expect_db("TF: after the push before pop ss", 0, popss_insn, SEL_KCODE);
    expect_db("TF over pop ss: the next #DB after the instruction following it", 1, popss_next2, SEL_KCODE);
    check_eq("TF over pop ss: DR6.BS", db_dr6[1] & (DR6_BS | 0xf), DR6_BS);

    popss_buf[32] = SEL_KDATA;
    SET_DR(0, (ulong)&popss_buf[32]);
    SET_DR(7, DR7_BP(0, 3, 3));
    db_reset();
    popss_bp_probe();
    SET_DR(7, 0);
    check_eq("pop ss hitting a read breakpoint: one #DB", db_count, 1);
    check_eq("pop ss hitting a read breakpoint: #DB after the next instruction", db_ip[0] - (ulong)popss_bp_next2, 0);
    check_eq("pop ss hitting a read breakpoint: DR6.B0", db_dr6[0] & (DR6_BS | 0xf), 1);
}

static void test_sysenter(void)
{
    wrmsr(MSR_SYSENTER_CS, SEL_KCODE);
    wrmsr(MSR_SYSENTER_ESP, (ulong)sysenter_stack + sizeof(sysenter_stack));
    wrmsr(MSR_SYSENTER_EIP, (ulong)se_entry);
    db_reset();
    check_no_fault("TF over sysenter/sysexit: back from ring 3", run_user(se_user, 0, 0));
    expect_db("TF over sysenter: before it", 0, se_insn, SEL_UCODE32);
    expect_db("TF over sysenter (TF kept): at the SYSENTER_EIP entry", 1, se_entry, SEL_KCODE);
    expect_db("TF in the sysenter handler", 2, se_exit, SEL_KCODE);
    expect_db("TF over sysexit: right after it, in ring 3", 3, se_back, SEL_UCODE32);
    expect_db("TF after sysexit: the next instruction", 4, se_c, SEL_UCODE32);
}

void guest_main(void)
{
    puts_uart("debug32: the pop ss shadow, TF across sysenter/sysexit\n");
    exc_set_hook(1, db_hook);
    test_popss();
    test_sysenter();
    exc_set_hook(1, 0);
}
