/* A 512-byte boot sector for the firmware tests: a BIOS loads it at 0x7c00 and jumps there in real
 * mode; it writes a marker to COM1 (no BIOS calls, no UART setup: both vmon's and QEMU's 16550
 * accept bytes as they come) and ends the run through isa-debug-exit (status (0x10 << 1) | 1 = 33). */
    .code16
    .globl _start
_start:
    cli
    xor %ax, %ax
    mov %ax, %ds
    mov $msg, %si
    mov $0x3f8, %dx
1:  lodsb
    test %al, %al
    jz 2f
    out %al, %dx
    jmp 1b
2:  mov $0xf4, %dx
    mov $0x10, %al
    out %al, %dx
3:  hlt
    jmp 3b
msg: .asciz "vmon-bootsector-ok\r\n"
    .org 510
    .byte 0x55, 0xaa
