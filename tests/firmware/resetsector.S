/* A boot sector for tests/firmware/pam.sh: a machine reset under SeaBIOS. The first boot marks CMOS
 * byte 0x38, makes the BIOS's shadow writable through PAM0 (82441FX 3.2.18) and overwrites 4 KiB
 * of it, then resets through 0xcf9; the reset must give SeaBIOS back its ROM (PAM0 0: the segment
 * reads the PCI side), so it boots this sector again, which sees the mark, prints vmon-reset-second
 * and exits through isa-debug-exit 0x10 (status 33). */
    .code16
    .globl _start
_start:
    cli
    xor %ax, %ax
    mov %ax, %ds
    mov $0x38, %al
    out %al, $0x70
    in $0x71, %al
    cmp $0x5a, %al
    je second
    mov $0x38, %al
    out %al, $0x70
    mov $0x5a, %al
    out %al, $0x71
    mov $first, %si
    call puts
    mov $0x80000058, %eax           /* PAM0 (0x59) := 0x30: 0xf0000-0xfffff read/write RAM */
    mov $0xcf8, %dx
    out %eax, %dx
    mov $0xcfd, %dx
    mov $0x30, %al
    out %al, %dx
    mov $0xf000, %ax
    mov %ax, %es
    mov $0xe000, %di
    mov $0xf4f4, %ax                /* hlt; hlt over SeaBIOS's code at 0xfe000 */
    mov $0x800, %cx
    rep stosw
    mov $0xcf9, %dx
    mov $0x06, %al                  /* reset control: hard reset */
    out %al, %dx
1:  hlt
    jmp 1b
second:
    mov $0x38, %al                  /* leave CMOS as found for a next run */
    out %al, $0x70
    xor %al, %al
    out %al, $0x71
    mov $msg2, %si
    call puts
    mov $0xf4, %dx
    mov $0x10, %al
    out %al, %dx
2:  hlt
    jmp 2b
puts:
    mov $0x3f8, %dx
3:  lodsb
    test %al, %al
    jz 4f
    out %al, %dx
    jmp 3b
4:  ret
first: .asciz "vmon-reset-first\r\n"
msg2:  .asciz "vmon-reset-second\r\n"
    .org 510
    .byte 0x55, 0xaa
