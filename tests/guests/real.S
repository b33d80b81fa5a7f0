/* The real-mode test guest: a bzImage without the 64-bit entry, so the loader runs its setup code
 * in real mode at setup_seg+0x20:0, as the boot protocol's real-mode entry does. The setup prints
 * through the UART, reads its cmdline and the loader's fields back from its own header, and ends
 * with isa-debug-exit 0x10 (vmon exits 33). */
#define SETUP_VERSION    0x0206
#define SETUP_XLOADFLAGS 0
#define SETUP_SYSSIZE    1
#define SETUP_INIT_SIZE  0x1000
    .section .text
    .globl _start
_start:
#include "bzhdr.S"

setup_code:
    cli
    mov %cs, %ax
    sub $0x20, %ax              /* cs = setup base + 0x20 paragraphs */
    mov %ax, %ds
    mov %ax, %es
    lea msg_entry, %si
    call puts
    mov %ds, %ax
    call puthex16
    lea msg_cmdline, %si
    call puts
    /* cmd_line_ptr is a linear address: reach it as fs:bx */
    mov cmd_line_ptr, %eax
    mov %eax, %ebx
    shr $4, %eax
    mov %ax, %fs
    and $0xf, %bx
1:  mov %fs:(%bx), %al
    test %al, %al
    jz 2f
    call putc
    inc %bx
    jmp 1b
2:  lea msg_loader, %si
    call puts
    mov type_of_loader, %al
    xor %ah, %ah
    call puthex16
    lea msg_heap, %si
    call puts
    mov heap_end_ptr, %ax
    call puthex16
    lea msg_nl, %si
    call puts
    /* 32-bit arithmetic in real mode, the operand-size prefix at work: 0x12345678 * 16 */
    lea msg_arith, %si
    call puts
    mov $0x12345678, %eax
    shl $4, %eax
    shr $16, %eax
    call puthex16
    lea msg_nl, %si
    call puts
    mov $0x10, %al
    out %al, $0xf4
3:  hlt
    jmp 3b

/* putc: al -> COM1, after waiting (boundedly) for the transmitter. */
putc:
    push %dx
    push %cx
    push %ax
    mov $0x3fd, %dx
    mov $0xffff, %cx
4:  in %dx, %al
    test $0x20, %al
    jnz 5f
    loop 4b
5:  pop %ax
    mov $0x3f8, %dx
    out %al, %dx
    pop %cx
    pop %dx
    ret

puts:                           /* ds:si, NUL-terminated */
    lodsb
    test %al, %al
    jz 6f
    call putc
    jmp puts
6:  ret

puthex16:                       /* ax as 4 hex digits */
    push %cx
    mov $4, %cx
7:  rol $4, %ax
    push %ax
    and $0xf, %al
    add $'0', %al
    cmp $'9', %al
    jbe 8f
    add $('a' - '9' - 1), %al
8:  call putc
    pop %ax
    loop 7b
    pop %cx
    ret

msg_entry:   .asciz "vmon-guest: entry=real ds=0x"
msg_cmdline: .asciz " cmdline=\""
msg_loader:  .asciz "\"\r\nvmon-guest: type_of_loader=0x"
msg_heap:    .asciz " heap_end_ptr=0x"
msg_arith:   .asciz "vmon-guest: 0x12345678<<4>>16=0x"
msg_nl:      .asciz "\r\n"

type_of_loader = 0x210
heap_end_ptr = 0x224
cmd_line_ptr = 0x228

    .org 1024
    /* the protected-mode "kernel": 16 bytes that never run */
    hlt
    .org 1024 + 16
