/* The 64-bit test guest as a bzImage: setup header with XLF_KERNEL_64, the protected-mode kernel
 * linked at 1 MiB with its 64-bit entry at +0x200 (boot.rst "64-bit boot protocol"), the interrupt
 * stubs the C tests use, and the 16-bit AP trampoline of the SMP test. */
#define SETUP_VERSION    0x020c
#define SETUP_XLOADFLAGS 1
#define SETUP_SYSSIZE    _syssize
#define SETUP_INIT_SIZE  _init_size

    .section .setup, "ax"
    .globl _start
_start:
#include "bzhdr.S"

setup_code:                     /* the real-mode entry: this guest has none to offer */
    mov $0x7c, %al
    out %al, $0xf4
1:  hlt
    jmp 1b
    .org 1024

    .section .head, "ax"
    .code32
startup_32:                     /* the 32-bit entry at code32_start: unsupported, stop */
    hlt
    jmp startup_32
    .org 0x200
    .code64
    .globl startup_64
startup_64:
    cli
    lea stack_top(%rip), %rsp
    mov %rsi, %rdi              /* boot_params */
    call main64
2:  hlt
    jmp 2b

/* Interrupt stubs: push a zero error code where the CPU does not, then the vector, then the general
 * registers, and call isr_dispatch(struct frame *). */
    .text
    .macro ISR vec
    .balign 16
isr_\vec:
    .if (\vec == 8) || (\vec >= 10 && \vec <= 14) || (\vec == 17) || (\vec == 21) || (\vec == 29) || (\vec == 30)
    .else
    push $0
    .endif
    push $\vec
    jmp isr_common
    .endm

    .altmacro
    .set v, 0
    .rept 32
    ISR %v
    .set v, v + 1
    .endr
    ISR 64
    ISR 128
    ISR 81
    ISR 82

    .macro ISRADDR vec
    .quad isr_\vec
    .endm
    .section .rodata
    .globl isr_table
isr_table:                      /* vectors 0..31, then 64 (timer), 128 (int 0x80), 81 and 82 (virtio) */
    .set v, 0
    .rept 32
    ISRADDR %v
    .set v, v + 1
    .endr
    ISRADDR 64
    ISRADDR 128
    ISRADDR 81
    ISRADDR 82
    .noaltmacro

    .text
isr_common:
    push %rax
    push %rcx
    push %rdx
    push %rbx
    push %rbp
    push %rsi
    push %rdi
    push %r8
    push %r9
    push %r10
    push %r11
    push %r12
    push %r13
    push %r14
    push %r15
    mov %rsp, %rdi
    call isr_dispatch
    pop %r15
    pop %r14
    pop %r13
    pop %r12
    pop %r11
    pop %r10
    pop %r9
    pop %r8
    pop %rdi
    pop %rsi
    pop %rbp
    pop %rbx
    pop %rdx
    pop %rcx
    pop %rax
    add $16, %rsp
    iretq

/* enter_user(rip, rsp): iretq to ring 3 (user code 0x23, user data 0x1b), interrupts off. */
    .globl enter_user
enter_user:
    push $0x1b
    push %rsi
    push $0x2
    push $0x23
    push %rdi
    iretq

/* syscall_entry: the LSTAR target. syscall left the user rip in rcx and rflags in r11 and did not
 * switch stacks: move to the kernel stack, then hand rax (result) and rdi (CPL) to the C side. */
    .globl syscall_entry
syscall_entry:
    lea syscall_stack_top(%rip), %rsp
    mov %rax, %rsi
    call syscall_dispatch
3:  hlt
    jmp 3b

/* The AP trampoline, copied to 0x10000 (SIPI vector 0x10): real mode, cs = 0x1000. Each AP takes the
 * spinlock at +0xf00, prints its initial APIC id (CPUID.1:EBX[31:24]), counts itself in +0xf04 and
 * halts. Only the lock holder uses the stack. */
#define TLOCK  0xf00
#define TCOUNT 0xf04
    .section .rodata
    .code16
    .globl tramp_start, tramp_end
tramp_start:
    cli
    mov %cs, %ax
    mov %ax, %ds
8:  mov $1, %al
    xchg %al, (TLOCK)
    test %al, %al
    jz 4f
    pause
    jmp 8b
4:  mov %cs, %ax
    mov %ax, %ss
    mov $0xe00, %sp
    mov $(t_cpu - tramp_start), %si
    call tputs
    mov $1, %eax
    cpuid
    shr $24, %ebx
    mov %bl, %al
    xor %ah, %ah
    mov $10, %cl
    div %cl                     /* al = id / 10, ah = id % 10 */
    test %al, %al
    jz 5f
    add $'0', %al
    call tputc
5:  mov %ah, %al
    add $'0', %al
    call tputc
    mov $(t_up - tramp_start), %si
    call tputs
    lock incl (TCOUNT)
    movb $0, (TLOCK)
6:  cli
    hlt
    jmp 6b
tputc:
    push %ax
    mov $0x3f8, %dx
    out %al, %dx
    pop %ax
    ret
tputs:
    lodsb
    test %al, %al
    jz 7f
    call tputc
    jmp tputs
7:  ret
t_cpu: .asciz "vmon-guest: smp cpu "
t_up:  .asciz " up\r\n"
tramp_end:
    .code64

    .section .bss
    .balign 16
    .skip 32768
stack_top:
    .skip 4096
syscall_stack_top:
