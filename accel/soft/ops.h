/* Instruction handlers, by family; each has the signature of op_fn. */
#ifndef VMON_ACCEL_SOFT_OPS_H
#define VMON_ACCEL_SOFT_OPS_H

#include "accel/soft/cpu.h"

/* op-alu.c */
OP(op_alu); OP(op_grp1); OP(op_test_rm_r); OP(op_test_a_imm); OP(op_inc_r); OP(op_dec_r);
OP(op_grp4); OP(op_bcd); OP(op_aam); OP(op_aad); OP(op_salc);
/* op-mov.c */
OP(op_mov_rm_r); OP(op_mov_r_rm); OP(op_mov_rm_sreg); OP(op_lea); OP(op_mov_sreg_rm);
OP(op_xchg_r_a); OP(op_xchg_rm_r); OP(op_cbw); OP(op_cwd); OP(op_sahf); OP(op_lahf);
OP(op_mov_a_moffs); OP(op_mov_r_imm); OP(op_mov_rm_imm); OP(op_xlat); OP(op_movx); OP(op_movsxd);
OP(op_cmov); OP(op_setcc); OP(op_bswap); OP(op_cmpxchg); OP(op_xadd); OP(op_grp9);
OP(op_nop_modrm); OP(op_load_far_ptr); OP(op_movnti);
/* op-shift.c */
OP(op_grp2); OP(op_shld); OP(op_shrd);
/* op-muldiv.c */
OP(op_grp3); OP(op_imul_r_rm); OP(op_imul_r_rm_imm);
/* op-bit.c */
OP(op_bt); OP(op_grp8); OP(op_bsf); OP(op_bsr); OP(op_popcnt);
/* op-string.c */
OP(op_movs); OP(op_cmps); OP(op_stos); OP(op_lods); OP(op_scas); OP(op_ins); OP(op_outs);
/* op-stack.c */
OP(op_push_r); OP(op_pop_r); OP(op_push_imm); OP(op_push_sreg); OP(op_pop_sreg); OP(op_pusha);
OP(op_popa); OP(op_pushf); OP(op_popf); OP(op_enter); OP(op_leave); OP(op_pop_rm);
/* op-branch.c */
OP(op_jcc); OP(op_jmp_rel); OP(op_call_rel); OP(op_ret); OP(op_retf); OP(op_loop); OP(op_jmp_far);
OP(op_call_far); OP(op_grp5); OP(op_int3); OP(op_int); OP(op_into); OP(op_iret); OP(op_int1);
OP(op_bound);
/* op-system.c */
OP(op_hlt); OP(op_flagop); OP(op_in); OP(op_out); OP(op_grp6); OP(op_grp7); OP(op_lar); OP(op_lsl);
OP(op_syscall); OP(op_sysret); OP(op_sysenter); OP(op_sysexit); OP(op_clts); OP(op_nop);
OP(op_ud); OP(op_mov_cr); OP(op_mov_dr); OP(op_wrmsr); OP(op_rdmsr); OP(op_rdtsc); OP(op_rdpmc);
OP(op_cpuid); OP(op_grp15); OP(op_pause); OP(op_arpl);

#endif
