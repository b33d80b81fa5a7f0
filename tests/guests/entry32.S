/* 32-bit entries: PVH (the ELF note names pvh_start) and multiboot v1 (ELF, or the a.out kludge when
 * AOUT is defined: the header then carries the load addresses). Flat protected mode, paging off. */
#include "boot/multiboot.h"

    .code32
#ifdef PVH
    /* XEN_ELFNOTE_PHYS32_ENTRY: namesz 4, descsz 4, type 18, "Xen", the entry address. */
    .section .note.Xen, "a", @note
    .balign 4
    .long 4, 4, 18
    .asciz "Xen"
    .long pvh_start

    .section .text.head, "ax"
    .globl pvh_start
pvh_start:
    cli
    mov $stack_top, %esp
    push %ebx
    call pvh_main
1:  hlt
    jmp 1b
#else
#ifdef AOUT
#define MB_FLAGS (MB_PAGE_ALIGN | MB_MEMORY_INFO | MB_AOUT_KLUDGE)
#else
#define MB_FLAGS (MB_PAGE_ALIGN | MB_MEMORY_INFO)
#endif
    .section .text.head, "ax"
    .balign 4
mb_header:
    .long MULTIBOOT_HEADER_MAGIC, MB_FLAGS, -(MULTIBOOT_HEADER_MAGIC + MB_FLAGS)
#ifdef AOUT
    .long mb_header, _load_start, _load_end, _bss_end, mb_start
#endif
    .globl mb_start
mb_start:
    cli
    mov $stack_top, %esp
    push %ebx
    push %eax
    call mb_main
1:  hlt
    jmp 1b
#endif

    .section .bss
    .balign 16
    .skip 16384
stack_top:
