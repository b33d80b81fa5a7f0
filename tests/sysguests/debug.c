/* Debug registers in 64-bit mode (SDM vol. 3, chapter 17): DR4/DR5 aliasing and CR4.DE, DR7.GD,
 * instruction breakpoints (faults, skipped once with RF), data write and read/write breakpoints of
 * each length (traps after the access), disabled breakpoints, a breakpoint hit together with a
 * single step, and the #GP of a DR7 write with a bit of 63:32 set. */
#include "guest.h"

#define CR4_DE (1u << 3)
#define DR6_BS 0x4000u
#define DR6_BD 0x2000u
#define DR7_GD 0x2000u
/* DR7 for breakpoint n: local enable, type (0 exec, 1 write, 3 read/write), length code
 * (0: 1 byte, 1: 2, 3: 4, 2: 8 bytes). */
#define DR7_BP(n, type, len) ((1ul << (2 * (n))) | ((ulong)(type) << (16 + 4 * (n))) | ((ulong)(len) << (18 + 4 * (n))))

#define SET_DR(n, v) __asm__ volatile("mov %0, %%dr" #n :: "r"((ulong)(v)))
#define GET_DR(n) ({ ulong _v; __asm__ volatile("mov %%dr" #n ", %0" : "=r"(_v)); _v; })

volatile uint64_t watched[4] __attribute__((aligned(64)));
static volatile int db_count;
static volatile ulong db_ip[4], db_dr6[4];

/* #DB handler: record rip and DR6 (then clear it); an instruction breakpoint is a fault, so set RF
 * in the frame to run the instruction on return (SDM vol. 3, 17.3.1.1). */
static void db_hook(struct frame *f)
{
    int k = db_count < 4 ? db_count : 3;
    db_ip[k] = f->ip;
    db_dr6[k] = GET_DR(6);
    SET_DR(6, 0);
    f->flags |= 1ul << 16;
    db_count++;
}

static void db_reset(void)
{
    db_count = 0;
    for (int k = 0; k < 4; k++)
        db_ip[k] = db_dr6[k] = 0;
    SET_DR(6, 0);
}

__asm__(
    ".text\n"
    "bp_func: nop\n"
    "bp_target: incl %eax\n"
    "  ret\n"
    "write_probe: movl $1, watched+4(%rip)\n"
    "write_next: ret\n"
    "read_probe: movl watched+4(%rip), %eax\n"
    "read_next: ret\n"
    "read1_probe: movb watched+1(%rip), %al\n"
    "  ret\n"
    "write_last_probe: movb $7, watched+15(%rip)\n"
    "write_last_next: ret\n"
    /* TF and a data breakpoint on the same instruction: one #DB with BS and B0. */
    "tf_write_probe: pushfq; orq $0x100, (%rsp); popfq\n"
    "tf_write_insn: movl $2, watched+4(%rip)\n"
    "tf_write_next: pushfq; andq $~0x100, (%rsp); popfq; ret\n"
    "movdr7_probe: mov %rdi, %dr7\n ret\n"
    "movdr4_probe: mov %dr4, %rax\n ret\n"
    "gd_probe: mov %dr0, %rax\n"
    "  ret\n");
int bp_func(void);
void write_probe(void), read_probe(void), read1_probe(void), write_last_probe(void), tf_write_probe(void);
void movdr7_probe(ulong), movdr4_probe(ulong), gd_probe(ulong);
extern char bp_target[], write_next[], read_next[], write_last_next[], tf_write_insn[], tf_write_next[];

static void test_registers(void)
{
    /* DR6 bit 16 reads 1 unless the CPU has RTM (CPUID.7.0:EBX[11]), SDM vol. 3, 17.2.3. */
    uint32_t r[4];
    cpuid(0, 0, r);
    ulong fixed = 0xffff0ff0;
    if (r[0] >= 7) {
        cpuid(7, 0, r);
        if (r[1] & (1u << 11))
            fixed &= ~0x10000ul;
    }
    WRITE_CR(4, READ_CR(4) & ~(ulong)CR4_DE);
    SET_DR(6, 0);
    opt_check_eq("DR6 reads its fixed ones", GET_DR(6), fixed);   /* differs with RTM */
    opt_check_eq("CR4.DE=0: DR4 is DR6", GET_DR(4), fixed);
    SET_DR(5, 0x400);
    check_eq("CR4.DE=0: DR5 is DR7", GET_DR(7), 0x400);
    WRITE_CR(4, READ_CR(4) | CR4_DE);
    check_eq("CR4.DE=1: mov from DR4: #UD", (ulong)run_catch(movdr4_probe, 0), 6);
    WRITE_CR(4, READ_CR(4) & ~(ulong)CR4_DE);
    check_eq("mov to DR7 with bit 32 set: #GP", (ulong)run_catch(movdr7_probe, 1ul << 32), 13);
    check_eq("mov to DR7 with bit 32 set: error code", last_exc.error, 0);
    SET_DR(0, 0x1234);
    check_eq("DR0 holds a linear address", GET_DR(0), 0x1234);

    /* General detect: the next mov to or from a debug register is a #DB fault with BD; the CPU
     * clears GD on entry to the handler (17.2.4). */
    SET_DR(6, 0);
    SET_DR(7, 0x400 | DR7_GD);
    int v = run_catch(gd_probe, 0);
    ulong dr7 = GET_DR(7), dr6 = GET_DR(6);
    check_eq("DR7.GD: mov from DR0: #DB", (ulong)v, 1);
    check_eq("DR7.GD: frame rip = the mov (a fault)", last_exc.ip - (ulong)(void *)gd_probe, 0);
    check_eq("DR7.GD: DR6.BD", dr6 & DR6_BD, DR6_BD);
    check_eq("DR7.GD: cleared on #DB", dr7 & DR7_GD, 0);
}

static void test_breakpoints(void)
{
    exc_set_hook(1, db_hook);

    /* Instruction breakpoint: fault before the instruction, then RF lets it run once. */
    db_reset();
    SET_DR(0, (ulong)bp_target);
    SET_DR(7, DR7_BP(0, 0, 0));
    int r = bp_func();
    check_eq("instruction breakpoint: one #DB", db_count, 1);
    check_eq("instruction breakpoint: rip = the instruction (fault)", db_ip[0] - (ulong)bp_target, 0);
    check_eq("instruction breakpoint: DR6.B0", db_dr6[0] & 0xf, 1);
    (void)r;
    db_reset();
    bp_func();
    bp_func();
    check_eq("instruction breakpoint: hit again on each call", db_count, 2);
    SET_DR(7, 0);
    db_reset();
    bp_func();
    check_eq("instruction breakpoint disabled (DR7 = 0): no #DB", db_count, 0);

    /* Data write breakpoint, 4 bytes at watched+4 in DR1: a trap after the write; reads pass. */
    db_reset();
    SET_DR(1, (ulong)&watched[0] + 4);
    SET_DR(7, DR7_BP(1, 1, 3));
    write_probe();
    check_eq("write breakpoint: one #DB", db_count, 1);
    check_eq("write breakpoint: rip after the write (trap)", db_ip[0] - (ulong)write_next, 0);
    check_eq("write breakpoint: DR6.B1", db_dr6[0] & 0xf, 2);
    check_eq("write breakpoint: the write happened", watched[0] >> 32, 1);
    db_reset();
    read_probe();
    check_eq("write breakpoint: a read does not hit", db_count, 0);

    /* Read/write breakpoint of 1 byte at watched+1 in DR2; +4 and +0 are outside it. */
    db_reset();
    SET_DR(2, (ulong)&watched[0] + 1);
    SET_DR(7, DR7_BP(2, 3, 0));
    read1_probe();
    check_eq("read/write breakpoint, 1 byte: read hits", db_count, 1);
    check_eq("read/write breakpoint: DR6.B2", db_dr6[0] & 0xf, 4);
    db_reset();
    read_probe();
    check_eq("read/write breakpoint, 1 byte: a read beside it does not hit", db_count, 0);

    /* Length 8 (64-bit mode): the qword at watched+8; its last byte hits. */
    db_reset();
    SET_DR(3, (ulong)&watched[1]);
    SET_DR(7, DR7_BP(3, 1, 2));
    write_last_probe();
    check_eq("8-byte write breakpoint: a write to its last byte hits", db_count, 1);
    check_eq("8-byte write breakpoint: rip after the write", db_ip[0] - (ulong)write_last_next, 0);
    check_eq("8-byte write breakpoint: DR6.B3", db_dr6[0] & 0xf, 8);

    /* Enable bits clear, type and address still set: nothing. */
    db_reset();
    SET_DR(7, DR7_BP(1, 1, 3) & ~(3ul << 2));
    write_probe();
    check_eq("write breakpoint with L1/G1 clear: no #DB", db_count, 0);

    /* A single step and a data breakpoint on one instruction: one #DB reporting both. */
    db_reset();
    SET_DR(1, (ulong)&watched[0] + 4);
    SET_DR(7, DR7_BP(1, 1, 3));
    tf_write_probe();
    SET_DR(7, 0);
    check_eq("TF and a write breakpoint: #DB after the write", db_ip[0] - (ulong)tf_write_next, 0);
    check_eq("TF and a write breakpoint: DR6.BS and B1", db_dr6[0] & (DR6_BS | 0xf), DR6_BS | 2);
    exc_set_hook(1, 0);
    SET_DR(7, 0);
}

void guest_main(void)
{
    puts_uart("debug: DR0-DR7, instruction and data breakpoints, DR6 status, RF, GD\n");
    test_registers();
    test_breakpoints();
}
