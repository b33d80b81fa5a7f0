/* A boot sector for tests/firmware/pam.sh: after SeaBIOS has shadowed itself and made 0xf0000-0xfffff
 * read-only through PAM0 (82441FX 3.2.18), a stray write to its date string at 0xffff5 must not
 * change it. Prints vmon-stray-ok and exits through isa-debug-exit 0x10 (status 33), or
 * vmon-stray-bad and 0x11 (status 35). */
    .code16
    .globl _start
_start:
    cli
    xor %ax, %ax
    mov %ax, %ds
    mov $0xf000, %ax
    mov %ax, %es
    mov %es:0xfff5, %bl
    notb %es:0xfff5
    mov %es:0xfff5, %al
    mov $ok, %si
    mov $0x10, %cl
    cmp %al, %bl
    je 1f
    mov $bad, %si
    mov $0x11, %cl
1:  mov $0x3f8, %dx
2:  lodsb
    test %al, %al
    jz 3f
    out %al, %dx
    jmp 2b
3:  mov $0xf4, %dx
    mov %cl, %al
    out %al, %dx
4:  hlt
    jmp 4b
ok:  .asciz "vmon-stray-ok\r\n"
bad: .asciz "vmon-stray-bad\r\n"
    .org 510
    .byte 0x55, 0xaa
