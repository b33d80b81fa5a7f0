/* The I/O permission bitmap (SDM vol. 1, 19.5): in/out from ring 3 with IOPL 0 are allowed only where
 * every bit of the accessed ports is clear in the TSS bitmap and the bitmap lies within the TSS limit;
 * otherwise #GP(0). IOPL 3 allows all ports. The allowed port is the 16550's scratch register (COM1
 * + 7), so an allowed access is seen to happen: what is written there reads back. */
#include "guest.h"

#define SCR 0x3ff   /* COM1 scratch register */

uint8_t io_result[8];
__asm__(
    ".text\n"
    "user_scr_rw:\n"                 /* out %al,(%dx) then in (%dx),%al on the scratch register */
    "  movw $0x3ff, %dx; movb %dil, %al\n"
    "scr_out_insn: outb %al, %dx\n"
    "  xorl %eax, %eax\n"
    "scr_in_insn: inb %dx, %al\n"
    "  movb %al, io_result(%rip); ret\n"
    "user_out80:\n"
    "out80_insn: outb %al, $0x80\n ret\n"
    "user_inw:\n"                    /* 16-bit in from the port in rdi */
    "  movl %edi, %edx\n"
    "inw_insn: inw %dx, %ax\n ret\n"
    "user_insb:\n"                   /* rep insb: four reads of the scratch register */
    "  leaq io_result(%rip), %rdi; movl $4, %ecx; movw $0x3ff, %dx\n"
    "insb_insn: rep insb\n ret\n"
    "user_outsb:\n"
    "  leaq io_result(%rip), %rsi; movl $1, %ecx; movw $0x80, %dx\n"
    "outsb_insn: rep outsb\n ret\n");
void user_scr_rw(ulong), user_out80(ulong), user_inw(ulong), user_insb(ulong), user_outsb(ulong);
extern char scr_out_insn[], scr_in_insn[], out80_insn[], inw_insn[], insb_insn[], outsb_insn[];

static void expect_gp(const char *what, int got, ulong ip)
{
    check_eq(cat(what, ": vector"), (ulong)got, 13);
    check_eq(cat(what, ": error code"), last_exc.error, 0);
    check_eq(cat(what, ": frame rip - the in/out"), last_exc.ip - ip, 0);
    check_eq(cat(what, ": frame cs"), last_exc.cs, SEL_UCODE64);
}

void guest_main(void)
{
    puts_uart("iobitmap: in/out from ring 3 against the TSS I/O permission bitmap\n");
    /* tss_init() denied every port. */
    io_bitmap_set(SCR, 0);
    io_result[0] = 0;
    check_no_fault("ring 3, IOPL 0, port allowed: out/in scratch register, no fault", run_user(user_scr_rw, 0x5a, 0));
    check_eq("ring 3, IOPL 0, port allowed: value read back", io_result[0], 0x5a);
    expect_gp("ring 3, IOPL 0, port 0x80 denied: out", run_user(user_out80, 0, 0), (ulong)out80_insn);
    /* 16-bit accesses check both ports' bits; ports 0x700-0x702 have no device behind them. */
    io_bitmap_set(0x701, 0);
    expect_gp("ring 3, inw 0x700: 0x700 denied, 0x701 allowed", run_user(user_inw, 0x700, 0), (ulong)inw_insn);
    expect_gp("ring 3, inw 0x701: 0x701 allowed, 0x702 denied", run_user(user_inw, 0x701, 0), (ulong)inw_insn);
    io_bitmap_set(0x702, 0);
    check_no_fault("ring 3, inw 0x701 with 0x701 and 0x702 allowed: no fault", run_user(user_inw, 0x701, 0));
    expect_gp("ring 3, port 0x1400 beyond the bitmap (TSS limit): in", run_user(user_inw, 0x1400, 0),
              (ulong)inw_insn);
    memset(io_result, 0, sizeof(io_result));
    outb(SCR, 0xa5);
    check_no_fault("ring 3, rep insb from an allowed port: no fault", run_user(user_insb, 0, 0));
    check_eq("ring 3, rep insb: four bytes read", io_result[0] | io_result[1] << 8 | io_result[2] << 16 |
             (ulong)io_result[3] << 24, 0xa5a5a5a5);
    expect_gp("ring 3, rep outsb to a denied port", run_user(user_outsb, 0, 0), (ulong)outsb_insn);
    check_no_fault("ring 3, IOPL 3: port 0x80 allowed whatever the bitmap", run_user(user_out80, 0, FL_IOPL3));
    check_no_fault("ring 0, IOPL 0: port 0x80 allowed whatever the bitmap", run_catch(user_out80, 0));

    /* The map base beyond the TSS limit: no bitmap, every port denied at CPL > IOPL. */
    tss_set_io_bitmap(0);
    expect_gp("ring 3, no bitmap in the TSS: scratch register denied", run_user(user_scr_rw, 0x11, 0),
              (ulong)scr_out_insn);
    tss_set_io_bitmap(1);
    io_result[0] = 0;
    check_no_fault("ring 3, bitmap back: scratch register allowed again", run_user(user_scr_rw, 0x77, 0));
    check_eq("ring 3, bitmap back: value read back", io_result[0], 0x77);
}
