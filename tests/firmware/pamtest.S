/* A 64 KiB firmware image for tests/firmware/pam.sh: from the reset vector (the high alias, CS base
 * 0xffff0000) it copies itself to RAM at 0x10000 and runs there, untouched by the PAM; it programs the i440FX's PAM registers through
 * 0xcf8/0xcfc (82441FX datasheet 3.2.18), checking in each mode what reads of 0xf0000 (PAM0) and of
 * 0xc0000/0xc4000 (PAM1) see and where writes land, and that code called at 0xf000:func runs from
 * the side the mode reads. Pass: "pam-ok" on COM1 and isa-debug-exit 0x10 (status 33); a failed
 * step n: "pam-fail" and exit n (status 2n+1). The image's first byte, 0xa5, is the ROM marker.
 * Built with --defsym WO_READS_RAM=1 it leaves out the reads in mode 2 (write-only), which QEMU 7.2
 * sends to RAM (its hw/pci-host/pam.c maps mode 2 as RAM: "should distinguish read/write cases"),
 * so QEMU can cross-check the rest. */
    .code16
    .globl _start
_start:
    .byte 0xa5

/* PAM register reg (0x59-0x5f) := val */
.macro setpam reg, val
    mov $(0x80000000 | (\reg & 0xfc)), %eax
    mov $0xcf8, %dx
    out %eax, %dx
    mov $(0xcfc + (\reg & 3)), %dx
    mov $\val, %al
    out %al, %dx
.endm
/* byte at seg:0 must be val, else fail with step */
.macro expect seg, val, step
    mov $\seg, %ax
    mov %ax, %ds
    mov $\step, %bl
    cmpb $\val, %ds:0
    jne fail
.endm
.macro poke seg, val
    mov $\seg, %ax
    mov %ax, %ds
    movb $\val, %ds:0
.endm
/* a far call of func must return al == val */
.macro callfn val, step
    mov $\step, %bl
    lcall $0xf000, $func
    cmp $\val, %al
    jne fail
.endm

    .org 0x100
func:
    mov $1, %al
    lret

start:
    cli
    xor %ax, %ax
    mov %ax, %ss
    mov $0x7000, %sp
    mov $0x1000, %ax
    mov %ax, %es
    xor %si, %si
    xor %di, %di
    mov $0x8000, %cx
    rep movsw %cs:(%si), %es:(%di)
    ljmp $0x1000, $main
main:
    /* 0xf0000: mode 0 reads the ROM; mode 3 is RAM both ways */
    setpam 0x59, 0x00
    expect 0xf000, 0xa5, 1
    setpam 0x59, 0x30
    poke 0xf000, 0x5e
    expect 0xf000, 0x5e, 2
    /* mode 0 drops writes */
    setpam 0x59, 0x00
    expect 0xf000, 0xa5, 3
    poke 0xf000, 0x11
    expect 0xf000, 0xa5, 4
    /* mode 1: the RAM (the mode-0 write did not reach it), read-only */
    setpam 0x59, 0x10
    expect 0xf000, 0x5e, 5
    poke 0xf000, 0x33
    expect 0xf000, 0x5e, 6
    /* mode 2: writes go to RAM, reads still the ROM */
    setpam 0x59, 0x20
    poke 0xf000, 0x22
.ifndef WO_READS_RAM
    expect 0xf000, 0xa5, 7
.endif
    setpam 0x59, 0x10
    expect 0xf000, 0x22, 8
    setpam 0x59, 0x30
    poke 0xf000, 0x44
    expect 0xf000, 0x44, 9
    setpam 0x59, 0x00
    expect 0xf000, 0xa5, 10
    /* 0xc0000 (PAM1 bits 1:0) and 0xc4000 (bits 5:4): the PCI side reads zeros */
    setpam 0x5a, 0x00
    expect 0xc000, 0x00, 11
    poke 0xc000, 0x5a
    expect 0xc000, 0x00, 12
    setpam 0x5a, 0x03
    expect 0xc000, 0x00, 13
    poke 0xc000, 0x66
    expect 0xc000, 0x66, 14
    poke 0xc400, 0x77
    expect 0xc400, 0x00, 15
    setpam 0x5a, 0x30
    expect 0xc400, 0x00, 16
    expect 0xc000, 0x00, 17
    setpam 0x5a, 0x01
    expect 0xc000, 0x66, 18
    poke 0xc000, 0x99
    expect 0xc000, 0x66, 19
    setpam 0x5a, 0x02
    poke 0xc000, 0x88
.ifndef WO_READS_RAM
    expect 0xc000, 0x00, 20
.endif
    setpam 0x5a, 0x03
    expect 0xc000, 0x88, 21
    /* code at 0xf000:func from the RAM (a patched copy) or from the ROM, as the mode says */
    setpam 0x59, 0x30
    mov $0xf000, %ax
    mov %ax, %ds
    movw $0x02b0, %ds:func          /* mov $2, %al */
    movb $0xcb, %ds:func+2          /* lret */
    callfn 2, 22
    setpam 0x59, 0x00
    callfn 1, 23
    setpam 0x59, 0x10
    callfn 2, 24
.ifndef WO_READS_RAM
    setpam 0x59, 0x20
    callfn 1, 25
.endif
    setpam 0x59, 0x30
    callfn 2, 26

    mov $msg_ok, %si
    call puts
    mov $0x10, %al
    jmp done
fail:
    mov $msg_fail, %si
    call puts
    mov %bl, %al
done:
    mov $0xf4, %dx
    out %al, %dx
1:  hlt
    jmp 1b

/* the string at cs:si to COM1 (the UART takes bytes without setup, as bootsector.S relies on) */
puts:
    mov $0x3f8, %dx
1:  cs lodsb
    test %al, %al
    jz 2f
    out %al, %dx
    jmp 1b
2:  ret

msg_ok:   .asciz "pam-ok\r\n"
msg_fail: .asciz "pam-fail\r\n"

    .org 0xfff0
    jmp start
    .org 0x10000
