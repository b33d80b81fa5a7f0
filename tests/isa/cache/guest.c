/* The code-cache guest: a multiboot kernel (tests/sysguests/lib) whose code is bigger than a small
 * --jit-cache, so the software CPU must flush its cache (accel/soft/tb.c) while the guest runs, and
 * must still get every result right.
 *
 * It writes NBLK distinct blocks into a buffer, each "add rax, imm32; rol rax, n; inc rcx;
 * cmp rcx, rdi; jb next; ret" with its own immediate and count, then runs windows of W consecutive
 * blocks REPS times each (hot enough to be translated to host code, JIT_HOT) and the whole chain
 * once, checking rax against the same arithmetic done in C and rcx against the count. Then it
 * rewrites every block with other constants (self-modifying code across flushes) and does it again. */
#include "guest.h"

#define NBLK 32768u
#define BLK 32u
#define W 128u
#define REPS 12u

static uint8_t code[NBLK * BLK] __attribute__((aligned(4096)));

static uint32_t imm_of(uint32_t k, uint32_t seed)
{
    uint32_t x = (k + seed) * 0x9e3779b1u;
    return x ^ (x >> 15);
}

static unsigned rot_of(uint32_t k, uint32_t seed)
{
    return 1 + (imm_of(k, seed) >> 7) % 63;
}

static void put32(uint8_t *p, uint32_t v)
{
    for (int b = 0; b < 4; b++)
        p[b] = (uint8_t)(v >> (8 * b));
}

static void write_blocks(uint32_t seed)
{
    for (uint32_t k = 0; k < NBLK; k++) {
        uint8_t *p = code + k * BLK;
        p[0] = 0x48; p[1] = 0x05; put32(p + 2, imm_of(k, seed));            /* add rax, imm32 */
        p[6] = 0x48; p[7] = 0xc1; p[8] = 0xc0; p[9] = (uint8_t)rot_of(k, seed); /* rol rax, n */
        p[10] = 0x48; p[11] = 0xff; p[12] = 0xc1;                           /* inc rcx */
        p[13] = 0x48; p[14] = 0x39; p[15] = 0xf9;                           /* cmp rcx, rdi */
        p[16] = 0x0f; p[17] = 0x82; put32(p + 18, BLK - 22);                /* jb next block */
        p[22] = 0xc3;                                                       /* ret */
        for (unsigned b = 23; b < BLK; b++)
            p[b] = 0xcc;
    }
    barrier();
}

/* The reference: the same steps in C. */
static uint64_t expect(uint64_t x, uint32_t from, uint32_t n, uint32_t seed)
{
    for (uint32_t k = from; k < from + n; k++) {
        x += (uint64_t)(int64_t)(int32_t)imm_of(k, seed);
        unsigned r = rot_of(k, seed);
        x = (x << r) | (x >> (64 - r));
    }
    return x;
}

static uint64_t run(uint32_t from, uint32_t n, uint64_t x, uint64_t *count)
{
    uint64_t rcx = 0;
    __asm__ volatile("call *%[f]"
                     : "+a"(x), "+c"(rcx)
                     : [f] "r"((ulong)(code + from * BLK)), "D"((ulong)n)
                     : "rdx", "rsi", "r8", "r9", "r10", "r11", "memory", "cc");
    *count = rcx;
    return x;
}

static void round_of(uint32_t seed)
{
    write_blocks(seed);
    uint64_t x = seed, want = seed, n, bad = 0, sum = 0;
    for (uint32_t w = 0; w < NBLK; w += W) {
        for (unsigned r = 0; r < REPS; r++) {
            x = run(w, W, x, &n);
            want = expect(want, w, W, seed);
            bad += n != W || x != want;
        }
        sum += x;
    }
    gprintf("round %x: windows %lx\n", seed, (ulong)sum);
    check_eq("windows of blocks give the reference results", bad, 0);
    x = run(0, NBLK, seed, &n);
    check_eq("the whole chain counts every block", n, NBLK);
    check_eq("the whole chain gives the reference result", x, expect(seed, 0, NBLK, seed));
}

void guest_main(void)
{
    puts_uart("jitcache: code bigger than the code cache, run hot and cold, then rewritten\n");
    round_of(1);
    round_of(0x5eed);
    finish();
}
