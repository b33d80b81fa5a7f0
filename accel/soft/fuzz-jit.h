/* The translator fuzzer (fuzz-jit.c): the code generator's interface (fuzz-jit-gen.c). */
#ifndef VMON_ACCEL_SOFT_FUZZ_JIT_H
#define VMON_ACCEL_SOFT_FUZZ_JIT_H

#include <stddef.h>
#include <stdint.h>

/* A reader of the fuzzer's input: bytes run out as zeros. */
struct fz_in {
    const uint8_t *p;
    size_t n;
};

static inline unsigned fz_byte(struct fz_in *in)
{
    if (!in->n)
        return 0;
    in->n--;
    return *in->p++;
}

static inline uint64_t fz_u64(struct fz_in *in)
{
    uint64_t v = 0;
    for (int k = 0; k < 8; k++)
        v |= (uint64_t)fz_byte(in) << (8 * k);
    return v;
}

/* Write up to cap bytes of 64-bit code at out from the input:
 * instructions of the shapes the translator handles inline (moves, ALU ops, loads and stores
 * through the pointer registers rbx/rsi/rdi/rbp, the stack, jumps, calls), others it hands to
 * handlers, raw bytes, and stores into the code being run. Returns the length. */
size_t fz_gen_code(struct fz_in *in, uint8_t *out, size_t cap);

#endif
