/* The binary translator: a hot translation block of 64-bit code becomes one host function (QEMU's
 * TCG backend in miniature). The interpreter stays the reference: every instruction the translator
 * does not know is a call to the same handler the interpreter would run. */
#ifndef VMON_ACCEL_SOFT_JIT_H
#define VMON_ACCEL_SOFT_JIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cpu;
struct tb;

/* Executable memory for one vCPU's translations, emptied together with its block cache. */
struct jit_arena;
struct jit_arena *jit_arena_new(size_t bytes);
void jit_arena_free(struct jit_arena *a);
void jit_arena_reset(struct jit_arena *a);
size_t jit_arena_used(const struct jit_arena *a);   /* bytes of host code in it (0 for NULL) */
const uint8_t *jit_arena_base(const struct jit_arena *a);

/* Translate tb (64-bit code, run at c's current privilege) into tb->jit. False when the arena is
 * full (the caller flushes the cache) or the block cannot be translated. */
bool jit_translate(struct cpu *c, struct tb *tb, struct jit_arena *a);

/* When the translator runs: a block is translated on its JIT_HOT'th execution (0: translate before
 * the first; JIT_OFF: never). */
#define JIT_HOT 8u
#define JIT_OFF 0xffffffffu

/* A block's direct entry is this many bytes before its host code (jit-link.c). */
#define JIT_DIRECT_SIZE 64

/* Link the direct-link site r (c->link_site, left by block from's chain code; from may be NULL)
 * to block t, the block at c->rip under the current chain epochs, t's page global or not: or
 * unlink it when t has no host code for c's privilege (or, for a site to the block's own page, t
 * is not on from's physical page). */
void jit_link(struct cpu *c, uint8_t *r, const struct tb *t, bool global, const struct tb *from);

#endif
