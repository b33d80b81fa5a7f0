/* Snippet generator internals shared by gen.c and gen-state.c. */
#ifndef VMON_TESTS_ISA_GEN_H
#define VMON_TESTS_ISA_GEN_H

#include "tests/isa/isa.h"

double gen_double(struct isa_rng *r);
float gen_float(struct isa_rng *r);
void gen_xmm(struct isa_rng *r, uint8_t x[16]);
uint32_t gen_mxcsr(struct isa_rng *r);
uint16_t gen_fcw(struct isa_rng *r);
void gen_st(struct isa_rng *r, uint8_t st[10]);
void gen_x87(struct isa_rng *r, struct flat_state *st);
void gen_data(struct isa_rng *r, uint8_t *d, size_t len);
void gen_state(struct isa_rng *r, struct snippet *s);

#endif
