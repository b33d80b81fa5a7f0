/* The mode switches of the modes guest (SDM vol. 3, 9.9 "Mode switching" and 10.8.5 "Initializing
 * IA-32e mode"). Entered from 32-bit C code with the cdecl convention; results go to mode_results[]:
 *   0 esp delta of a 16-bit push in a 16-bit code segment   1 eax after the 16-bit far call
 *   2 real mode: IP pushed by #UD (ud2 offset in the blob)   3 real mode: int $0x40 handler ran (0x4040)
 *   4 real mode: eax after a 66-prefixed mov                  5 EFER low word in compatibility mode
 *   6 esp delta of a push in compatibility mode               7 high half of a 64-bit register
 *   8 rsp delta of a push in 64-bit mode                      9 eax from compat code far-called from 64-bit
 *  10 rsp delta across that far call (8 = CS and EIP, 4 bytes each)  11 EFER low word back in legacy mode
 *  12 CS in 64-bit mode                                      13 CS in compatibility mode
 * The 16-bit code is copied to BLOB_BASE (0x8000) so that it can run in real mode; the 16-bit
 * protected-mode selector 0x48 gets the same base, so offsets are the same in both. */
#define BLOB_BASE 0x8000
#define OFF(x) ((x) - blob_start)

    .data
    .globl mode_results, saved_esp, lm_pml4
    .p2align 2
mode_results: .fill 16, 4, 0xffffffff
saved_esp: .long 0
saved_idt: .word 0
    .long 0
rm_idt: .word 0x3ff
    .long 0
farptr_compat: .long compat_fn
    .word 0x40

    .text
    .globl blob_start, blob_end, call_pm16, go_real, go_long
    .code32
/* eax = call_pm16(): far call into the 16-bit protected-mode segment, which returns with lretl. */
call_pm16:
    lcall $0x48, $OFF(pm16_fn)
    ret

/* go_real(): 32-bit protected mode -> 16-bit protected mode -> real mode -> back. */
go_real:
    pushal
    movl %esp, saved_esp
    sidt saved_idt
    ljmp $0x48, $OFF(rm_prep)
pm_back:
    movw $0x10, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %fs
    movw %ax, %gs
    movw %ax, %ss
    movl saved_esp, %esp
    lidt saved_idt
    popal
    ret

/* go_long(pml4): 32-bit protected mode -> compatibility mode -> 64-bit mode -> far call to
 * compatibility-mode code and back -> compatibility mode -> paging off, legacy protected mode. */
go_long:
    pushal
    movl %esp, saved_esp
    movl 36(%esp), %eax
    movl %eax, %cr3
    movl %cr4, %eax
    orl $0x20, %eax                   /* PAE */
    movl %eax, %cr4
    movl $0xc0000080, %ecx
    rdmsr
    orl $0x100, %eax                  /* LME */
    wrmsr
    movl %cr0, %eax
    orl $0x80000000, %eax             /* PG: LMA becomes 1, CS is still 32-bit: compatibility mode */
    movl %eax, %cr0
    movl $0xc0000080, %ecx
    rdmsr
    movl %eax, mode_results + 5*4
    movl %esp, %ebx
    pushl $0
    subl %esp, %ebx
    popl %eax
    movl %ebx, mode_results + 6*4
    movw %cs, %ax
    movzwl %ax, %eax
    movl %eax, mode_results + 13*4
    ljmp $0x58, $lm64
    .code64
    /* An ELF32 object cannot hold 64-bit-mode absolute addresses: go through a register. */
lm64:
    movl $mode_results, %edi
    movabsq $0x123456789abcdef0, %rax
    shrq $32, %rax
    movl %eax, 7*4(%rdi)
    movq %rsp, %rbx
    pushq $0
    subq %rsp, %rbx
    popq %rax
    movl %ebx, 8*4(%rdi)
    movw %cs, %ax
    movzwl %ax, %eax
    movl %eax, 12*4(%rdi)
    /* Far call through a m16:32 pointer: 32-bit operand size, so CS and EIP are pushed as 4 bytes. */
    movq %rsp, %rbx
    movl $farptr_compat, %edx
    lcall *(%rdx)
    movl $mode_results, %edi
    movl %eax, 9*4(%rdi)
    /* Back to compatibility mode with a far return to the 32-bit selector. */
    pushq $0x40
    movl $compat_exit, %eax
    pushq %rax
    lretq
    .code32
compat_fn:
    movl %ebx, %ecx
    subl %esp, %ecx
    movl %ecx, mode_results + 10*4
    movl $0xc0de, %eax
    lret
compat_exit:
    movl %cr0, %eax
    andl $0x7fffffff, %eax            /* PG off: leaves IA-32e mode (LMA = 0) */
    movl %eax, %cr0
    movl $0xc0000080, %ecx
    rdmsr
    andl $~0x100, %eax                /* LME off */
    wrmsr
    rdmsr
    movl %eax, mode_results + 11*4
    movl %cr4, %eax
    andl $~0x20, %eax
    movl %eax, %cr4
    ljmp $0x08, $1f
1:  movl saved_esp, %esp
    popal
    ret

/* ---- the 16-bit blob, copied to BLOB_BASE ---- */
    .code16
    .p2align 4
blob_start:
pm16_fn:                              /* 16-bit protected mode, called from 32-bit code */
    movl %esp, %ebx
    pushw %ax
    movl %esp, %ecx
    popw %ax
    subl %ecx, %ebx
    movl $mode_results, %esi          /* DS is still the flat 32-bit segment: a 32-bit address */
    addr32 movl %ebx, (%esi)
    movl $0x1616, %eax
    lretl                             /* the caller pushed a 32-bit CS:EIP */

rm_prep:                              /* 16-bit protected mode: real-mode-like segment limits, PE off */
    movw $0x50, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %fs
    movw %ax, %gs
    movw %ax, %ss
    movl %cr0, %eax
    andl $~1, %eax
    movl %eax, %cr0
    ljmp $(BLOB_BASE >> 4), $OFF(rm_entry)
rm_entry:                             /* real mode, CS = 0x0800 */
    xorw %ax, %ax
    movw %ax, %ds
    movw %ax, %ss
    movw $0x7c00, %sp
    lidt %cs:OFF(rm_idt_copy)
    /* IVT[6] and IVT[0x40] point into the blob. */
    movw $OFF(rm_ud_handler), 6*4
    movw $(BLOB_BASE >> 4), 6*4+2
    movw $OFF(rm_int40_handler), 0x40*4
    movw $(BLOB_BASE >> 4), 0x40*4+2
    movw $(BLOB_BASE >> 4), %ax
    movw %ax, %ds                     /* DS = the blob: its data at their offsets */
rm_ud_insn:
    ud2
    int $0x40
    movl $0x12345678, %eax
    movl %eax, OFF(rm_results) + 8
    /* Segment arithmetic: 0x0123:0x0045 is linear 0x1275. */
    movw $0x0123, %ax
    movw %ax, %es
    movw $0xbeef, %es:0x0045
    /* Back to protected mode: GDTR was never changed; set PE and far jump with a 32-bit offset. */
    cli
    movl %cr0, %eax
    orl $1, %eax
    movl %eax, %cr0
    ljmpl $0x08, $pm_back
rm_ud_handler:                        /* #UD in real mode: record the pushed IP, skip the ud2 */
    pushw %bp
    movw %sp, %bp
    movw 2(%bp), %ax
    movw %ax, OFF(rm_results) + 0
    addw $2, 2(%bp)
    popw %bp
    iret
rm_int40_handler:
    movw $0x4040, OFF(rm_results) + 4
    iret
    .p2align 2
rm_idt_copy: .word 0x3ff
    .long 0
    .globl rm_results, rm_ud_insn_off
rm_results: .long 0, 0, 0
blob_end:
    .data
rm_ud_insn_off: .long OFF(rm_ud_insn)
rm_results_off: .long OFF(rm_results)
    .globl rm_results_off
