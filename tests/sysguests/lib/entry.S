/* Multiboot v1 entry of the system-level test guests. The loader leaves us in 32-bit protected mode,
 * paging off, EAX = 0x2badb002, EBX = the info struct (multiboot spec 0.6.96, section 3.2). The 64-bit
 * guests build an identity map of the first GiB (2 MiB pages, U=1) and enter long mode here. */
#define MB_MAGIC 0x1badb002
#define MB_FLAGS 0x00000003           /* page-aligned modules, memory info */

    .section .multiboot, "a"
    .p2align 2
    .long MB_MAGIC, MB_FLAGS, -(MB_MAGIC + MB_FLAGS)

    .section .text.entry, "ax"
    .code32
    .globl _start
_start:
    cli
    movl $boot_stack_top, %esp
    movl %eax, mb_magic
    movl %ebx, mb_info
    lgdt gdt_desc
#ifdef __x86_64__
    ljmp $0x40, $1f                   /* SEL_KCODE32 */
#else
    ljmp $0x08, $1f                   /* SEL_KCODE: 32-bit here */
#endif
1:  movw $0x10, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %ss
    movw %ax, %fs
    movw %ax, %gs
#ifdef __x86_64__
    /* PML4[0] -> PDPT, PDPT[0] -> PD, PD[i] = i * 2 MiB (P, RW, US, PS). */
    movl $boot_pdpt, %eax
    orl $7, %eax
    movl %eax, boot_pml4
    movl $boot_pd, %eax
    orl $7, %eax
    movl %eax, boot_pdpt
    xorl %ecx, %ecx
2:  movl %ecx, %eax
    shll $21, %eax
    orl $0x87, %eax
    movl %eax, boot_pd(,%ecx,8)
    incl %ecx
    cmpl $512, %ecx
    jne 2b
    movl %cr4, %eax
    orl $0x20, %eax                   /* CR4.PAE */
    movl %eax, %cr4
    movl $boot_pml4, %eax
    movl %eax, %cr3
    /* EFER.LME, and NXE where CPUID 0x80000001 EDX[20] advertises NX. */
    movl $0x80000001, %eax
    cpuid
    xorl %ebx, %ebx
    btl $20, %edx
    jnc 3f
    movl $0x800, %ebx
3:  movl $0xc0000080, %ecx
    rdmsr
    orl $0x100, %eax
    orl %ebx, %eax
    wrmsr
    movl %cr0, %eax
    orl $0x80000001, %eax             /* CR0.PG (and PE, already set) */
    movl %eax, %cr0
    ljmp $0x08, $4f
    .code64
4:  movq $boot_stack_top, %rsp
    xorl %ebp, %ebp
    call guest_start
5:  hlt
    jmp 5b
#else
    xorl %ebp, %ebp
    call guest_start
5:  hlt
    jmp 5b
#endif

    .section .bss
    .p2align 12
#ifdef __x86_64__
    .globl boot_pml4, boot_pdpt, boot_pd
boot_pml4: .skip 4096
boot_pdpt: .skip 4096
boot_pd:   .skip 4096
#endif
    .globl boot_stack_top
boot_stack: .skip 16384
boot_stack_top:

    .section .data
    .globl mb_magic, mb_info
mb_magic: .long 0
mb_info:  .long 0
