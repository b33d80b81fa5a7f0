/* The gdbstub test guest's entry: vmon's ELF loader enters in long mode at e_entry (flat segments,
 * identity-mapped low memory); set a stack and run the C side. */
    .text
    .globl _start
_start:
    lea stack_top(%rip), %rsp
    call gdb_guest_main
1:  hlt
    jmp 1b

    .bss
    .balign 16
    .space 16384
stack_top:
    .section .note.GNU-stack,"",@progbits
