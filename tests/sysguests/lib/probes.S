/* Single faulting instructions with labels, so a test can compare the frame's IP with the label. */
    .text
    .globl probe_read8, probe_write8, probe_exec, probe_read8_insn, probe_write8_insn
#ifdef __x86_64__
probe_read8:
probe_read8_insn:
    movb (%rdi), %al
    ret
probe_write8:
    movq %rsi, %rax
probe_write8_insn:
    movb %al, (%rdi)
    ret
probe_exec:
    jmp *%rdi
#else
probe_read8:
    movl 4(%esp), %ecx
probe_read8_insn:
    movb (%ecx), %al
    ret
probe_write8:
    movl 4(%esp), %ecx
    movl 8(%esp), %eax
probe_write8_insn:
    movb %al, (%ecx)
    ret
probe_exec:
    movl 4(%esp), %ecx
    jmp *%ecx
#endif
