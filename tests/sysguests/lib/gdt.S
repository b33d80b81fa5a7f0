/* The GDT every test guest shares (selectors in guest.h). The TSS descriptor (0x30) is written by
 * tss_init(); the entries from 0x60 on are free for tests. */
    .section .data
    .p2align 4
    .globl gdt, gdt_desc
gdt:
    .quad 0                           /* 0x00 null */
#ifdef __x86_64__
    .quad 0x00af9a000000ffff          /* 0x08 kernel code, 64-bit */
#else
    .quad 0x00cf9a000000ffff          /* 0x08 kernel code, 32-bit */
#endif
    .quad 0x00cf92000000ffff          /* 0x10 kernel data */
    .quad 0x00cffa000000ffff          /* 0x18 user code, 32-bit */
    .quad 0x00cff2000000ffff          /* 0x20 user data */
    .quad 0x00affa000000ffff          /* 0x28 user code, 64-bit */
    .quad 0, 0                        /* 0x30 TSS (16 bytes in long mode) */
    .quad 0x00cf9a000000ffff          /* 0x40 kernel code, 32-bit */
    .quad 0x00009a000000ffff          /* 0x48 kernel code, 16-bit, limit 64 KiB */
    .quad 0x000092000000ffff          /* 0x50 kernel data, 16-bit, limit 64 KiB */
    .quad 0x00af9a000000ffff          /* 0x58 kernel code, 64-bit */
    .quad 0, 0, 0, 0                  /* 0x60..0x78 spare */
gdt_end:
    .p2align 3
    .word 0
gdt_desc:
    .word gdt_end - gdt - 1
#ifdef __x86_64__
    .quad gdt
#else
    .long gdt
#endif

    .text
    .globl gdt_reload
gdt_reload:
    lgdt gdt_desc
    ret
