/* A boot sector for the keyboard test: it says "kbd-ready" on COM1, then echoes each key the BIOS
 * reads from the PS/2 keyboard (int 16h, AH=0: the ASCII code in AL) to COM1, and on 'q' ends
 * the run through isa-debug-exit (status 33). */
    .code16
    .globl _start
_start:
    xor %ax, %ax
    mov %ax, %ds
    sti
    mov $0x40, %ax                /* first let a few BIOS ticks pass: SeaBIOS's serial console */
    mov %ax, %es                  /* prints what it buffered from its timer interrupt */
    mov %es:0x6c, %bx
    add $4, %bx
0:  hlt
    cmp %es:0x6c, %bx
    jns 0b
    mov $0x3f8, %dx
    mov $ready, %si
1:  lodsb
    test %al, %al
    jz 2f
    out %al, %dx
    jmp 1b
2:  xor %ah, %ah
    int $0x16
    mov $0x3f8, %dx
    out %al, %dx
    cmp $'q', %al
    jne 2b
    mov $0xf4, %dx
    mov $0x10, %al
    out %al, %dx
3:  hlt
    jmp 3b
ready: .asciz "kbd-ready\r\n"
    .org 510
    .byte 0x55, 0xaa
