/* A boot sector for the VGA test: it prints one line through the video BIOS (int 10h teletype,
 * which SeaBIOS's serial console also sees) and one straight into text memory at 0xb8000 row 12
 * (which only the VGA mirror sees), waits about half a second of BIOS ticks so the mirror runs,
 * and ends the run through isa-debug-exit (status 33). */
    .code16
    .globl _start
_start:
    xor %ax, %ax
    mov %ax, %ds
    sti
    mov $bios_msg, %si
1:  lodsb
    test %al, %al
    jz 2f
    mov $0x0e, %ah
    mov $0x0007, %bx
    int $0x10
    jmp 1b
2:  mov $0xb800, %ax
    mov %ax, %es
    mov $(12 * 160), %di
    mov $direct_msg, %si
3:  lodsb
    test %al, %al
    jz 4f
    mov $0x07, %ah
    stosw
    jmp 3b
4:  mov $0x40, %ax
    mov %ax, %es
    mov %es:0x6c, %bx
    add $10, %bx
5:  hlt
    cmp %es:0x6c, %bx
    jns 5b
    mov $0xf4, %dx
    mov $0x10, %al
    out %al, %dx
6:  hlt
    jmp 6b
bios_msg: .asciz "vga-bios-text\r\n"
direct_msg: .asciz "vga-direct-text"
    .org 510
    .byte 0x55, 0xaa
