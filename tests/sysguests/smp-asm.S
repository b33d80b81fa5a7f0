/* The application processor's start-up code for the smp guest, copied to TRAMP (0x9000): after
 * INIT and SIPI with vector 0x09 the AP starts in real mode at 0x0900:0000 (SDM vol. 3, 9.4.4 and
 * 11.6.1), records CR0 and its arrival, enters protected mode with a GDT of its own, reads its local
 * APIC ID, counts itself in and spins, counting in tramp_spin (so the BSP can see it run, and stop
 * when an INIT puts it back into wait-for-SIPI). Everything is addressed as TRAMP + offset: no relocations. */
#define TRAMP 0x9000
#define OFF(x) ((x) - tramp_start)

    .text
    .globl tramp_start, tramp_end, tramp_arrived, tramp_cr0, tramp_apic_id, tramp_count, tramp_cs
    .globl tramp_spin
    .code16
    .p2align 4
tramp_start:
    cli
    movw %cs, %ax
    movw %ax, %ds
    movw %ax, OFF(tramp_cs)
    movl %cr0, %eax
    movl %eax, OFF(tramp_cr0)
    movl $0x52454131, OFF(tramp_arrived)          /* "1AER": here, in real mode */
    lgdtl OFF(tramp_gdt_desc)
    movl %cr0, %eax
    orl $1, %eax
    movl %eax, %cr0
    ljmpl $0x08, $(TRAMP + OFF(tramp_pm32))
    .code32
tramp_pm32:
    movw $0x10, %ax
    movw %ax, %ds
    movl 0xfee00020, %eax                           /* local APIC ID register */
    shrl $24, %eax
    movl %eax, TRAMP + OFF(tramp_apic_id)
    lock incl TRAMP + OFF(tramp_count)
1:  incl TRAMP + OFF(tramp_spin)
    jmp 1b
    .p2align 3
tramp_gdt:
    .quad 0
    .quad 0x00cf9a000000ffff
    .quad 0x00cf92000000ffff
tramp_gdt_desc:
    .word 23
    .long TRAMP + OFF(tramp_gdt)
    .p2align 2
tramp_arrived: .long 0
tramp_cr0:     .long 0
tramp_apic_id: .long 0xffffffff
tramp_count:   .long 0
tramp_cs:      .word 0
    .p2align 2
tramp_spin:    .long 0
tramp_end:
