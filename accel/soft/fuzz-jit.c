/* libFuzzer target: the binary translator (accel/soft/jit*.c) against the interpreter, its
 * reference (make fuzz-jit [FUZZ_TIME=600]). Each input becomes a short run of 64-bit ring-3 code
 * (generated instructions, fuzz-jit-gen.c, or the input's own bytes) and a starting state; the
 * flat runner (accel/soft/flat.c) runs it twice from that state over the same memory, interpreted
 * and with every block translated before it first runs, and the two must end alike: registers,
 * flags, rip, the exception raised (a fault in the middle of a block included: memory operands
 * reach past the accessible pages, some of which only the slow path sees) and every byte of memory
 * (the code page too: the code may store into itself). Some inputs run to the int3 after the code
 * rather than to a stop address, so that translated blocks chain into each other (jit-chain.c).
 * A difference aborts with both states.
 * Inputs whose code holds rdtsc, rdtscp, rdrand or rdseed bytes are skipped, and so is one whose
 * interpreted runs differ between themselves. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "accel/soft/flat.h"
#include "accel/soft/fuzz-jit.h"

/* Code page, two data pages (the stack at the top of the second), a page of which only the first
 * half is accessible (the MMIO path checks each access), and past it nothing. */
#define PG 4096u
#define MEM (4 * PG)
#define HALF 2048u
#define LIVE (3 * PG + HALF)   /* the bytes a run may change */

struct world {
    uint8_t *mem;              /* MEM bytes at a fixed host address: guest address == host address */
    uint8_t init[MEM];         /* what each run starts from */
    uint8_t after[2][MEM];
    struct flat_state st0, st[2];
    uint64_t end, stop;        /* the code's end; where the run stops (FLAT_NO_STOP: at a fault) */
    struct flat_region r[3];
};

static struct world *world(void)
{
    static struct world *w;
    if (!w) {
        w = calloc(1, sizeof(*w));
        void *m = mmap(NULL, MEM + PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (!w || m == MAP_FAILED)
            abort();
        munmap((uint8_t *)m + MEM, PG);      /* nothing mapped past the last page */
        w->mem = m;
        w->r[0] = (struct flat_region){ w->mem, PG, 1 };
        w->r[1] = (struct flat_region){ w->mem + PG, 2 * PG, 1 };
        w->r[2] = (struct flat_region){ w->mem + 3 * PG, HALF, 1 };
    }
    return w;
}

static uint64_t xorshift(uint64_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

/* The starting state and memory from the input's first 9 bytes (a mode and a seed); the rest is
 * the code. The pointer registers rbx, rbp, rsi, rdi point into the data pages, now and then into
 * the half page or past it. */
static void setup(struct world *w, struct fz_in *in)
{
    unsigned mode = fz_byte(in);
    uint64_t x = fz_u64(in) | 1;
    uint64_t data = (uintptr_t)w->mem + PG;
    struct flat_state *s = &w->st0;
    memset(s, 0, sizeof(*s));
    for (int k = 0; k < 16; k++) {
        uint64_t v = xorshift(&x);
        s->gpr[k] = (mode & 2) ? v : (v & 0xff) << (8 * (v >> 61)) >> (v >> 58 & 7);
    }
    static const int ptrs[4] = { 3, 5, 6, 7 };
    for (int k = 0; k < 4; k++)
        s->gpr[ptrs[k]] = data + xorshift(&x) % (2 * PG + HALF + 128);
    s->gpr[1] &= 0x3f;           /* rcx, rdx: indexes and counts */
    s->gpr[2] &= 0x3f;
    s->gpr[4] = data + 2 * PG - 256;
    s->rflags = 2 | (xorshift(&x) & 0x8d5) | ((mode & 4) ? 0x400 : 0);
    s->mxcsr = 0x1f80;
    s->fcw = 0x37f;
    for (int k = 0; k < 16; k++)
        for (int b = 0; b < 16; b += 8) {
            uint64_t v = xorshift(&x);
            memcpy(&s->xmm[k][b], &v, 8);
        }
    for (unsigned k = PG; k < MEM; k++)
        w->init[k] = (uint8_t)xorshift(&x);
    memset(w->init, 0xcc, PG);   /* int3 past the code: #BP */
    size_t n;
    if (mode & 1) {
        n = in->n < 192 ? in->n : 192;
        memcpy(w->init, in->p, n);
    } else {
        n = fz_gen_code(in, w->init, 192);
    }
    s->rip = (uintptr_t)w->mem;
    w->end = (uintptr_t)w->mem + n;
    w->stop = (mode & 8) ? FLAT_NO_STOP : w->end;   /* to the int3 after it: blocks chain */
}

/* Run the code interpreted or translated (jit) from the starting state; the end state and memory
 * go to slot. */
static int run(struct world *w, int jit, int slot, int *vec)
{
    memcpy(w->mem, w->init, LIVE);
    w->st[slot] = w->st0;
    *vec = -1;
    /* (A fixed TSC: a store may make an rdtsc of bytes that were none when screened.) */
    struct flat_cpu cpu = { .vendor = CPU_VENDOR_INTEL, .jit = jit != 0, .fixed_tsc = true };
    int rc = soft_flat_run(&w->st[slot], w->r, 3, w->stop, 2000, vec, &cpu);
    memcpy(w->after[slot], w->mem, LIVE);
    return rc;
}

static void dump(const struct world *w, const int rc[2], const int vec[2])
{
    fprintf(stderr, "fuzz-jit: interpreted rc %d vector %d, translated rc %d vector %d\ncode:", rc[0],
            vec[0], rc[1], vec[1]);
    for (uint64_t a = (uintptr_t)w->mem; a < w->end; a++)
        fprintf(stderr, " %02x", w->init[a - (uintptr_t)w->mem]);
    fprintf(stderr, "\n");
    static const char *names[16] = { "rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
                                     "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15" };
    for (int k = 0; k < 16; k++)
        fprintf(stderr, "%s%-4s start %016llx interp %016llx jit %016llx\n",
                w->st[0].gpr[k] != w->st[1].gpr[k] ? "*" : " ", names[k],
                (unsigned long long)w->st0.gpr[k], (unsigned long long)w->st[0].gpr[k],
                (unsigned long long)w->st[1].gpr[k]);
    fprintf(stderr, " rip   start +0 interp +%llx jit +%llx\n rflags start %llx interp %llx jit %llx\n",
            (unsigned long long)(w->st[0].rip - (uintptr_t)w->mem),
            (unsigned long long)(w->st[1].rip - (uintptr_t)w->mem), (unsigned long long)w->st0.rflags,
            (unsigned long long)w->st[0].rflags, (unsigned long long)w->st[1].rflags);
    for (unsigned k = 0; k < LIVE; k++)
        if (w->after[0][k] != w->after[1][k])
            fprintf(stderr, " memory +%#x: interp %02x jit %02x (start %02x)\n", k, w->after[0][k],
                    w->after[1][k], w->init[k]);
}

static int same(const struct world *w, const int rc[2], const int vec[2])
{
    return rc[0] == rc[1] && vec[0] == vec[1] && !memcmp(&w->st[0], &w->st[1], sizeof(w->st[0])) &&
           !memcmp(w->after[0], w->after[1], LIVE);
}

/* Code that may read the TSC or the host's random numbers (rdtsc 0F 31, rdtscp 0F 01 F9, rdrand
 * and rdseed 0F C7), at any alignment: its runs differ by themselves. */
static int nondeterministic(const struct world *w)
{
    size_t n = w->end - (uintptr_t)w->mem;
    for (size_t k = 0; k + 1 < n; k++)
        if (w->init[k] == 0x0f && (w->init[k + 1] == 0x31 || w->init[k + 1] == 0xc7 ||
                                   (w->init[k + 1] == 0x01 && k + 2 < n && w->init[k + 2] == 0xf9)))
            return 1;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct world *w = world();
    struct fz_in in = { data, size };
    setup(w, &in);
    if (nondeterministic(w))
        return 0;
    int rc[2], vec[2];
    rc[0] = run(w, 0, 0, &vec[0]);
    rc[1] = run(w, 1, 1, &vec[1]);
    if (same(w, rc, vec))
        return 0;
    /* Keep the translated run's end; is the interpreter repeatable on this input? */
    static struct flat_state jst;
    static uint8_t jmem[LIVE];
    int jrc = rc[1], jvec = vec[1];
    jst = w->st[1];
    memcpy(jmem, w->after[1], LIVE);
    for (int again = 0; again < 3; again++) {   /* (stores may write such code at run time) */
        rc[1] = run(w, 0, 1, &vec[1]);
        if (!same(w, rc, vec))
            return 0;
    }
    rc[1] = jrc;
    vec[1] = jvec;
    w->st[1] = jst;
    memcpy(w->after[1], jmem, LIVE);
    dump(w, rc, vec);
    abort();
}
