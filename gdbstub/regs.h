/* The registers gdb sees (GDB manual, G.5 "i386 Features": core, sse, segments; plus vmon's control
 * register feature): their order in g/G packets, their values from struct cpu_state and struct
 * fpu_state, and the target description XML that names them (G.2 "Target Description Format").
 * Two views: amd64 (64-bit registers, xmm0-15) and i386 (32-bit, xmm0-7) for a guest not in long
 * mode. */
#ifndef VMON_GDBSTUB_REGS_H
#define VMON_GDBSTUB_REGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "machine/accel.h"

struct gdb_regs {
    struct cpu_state cpu;
    struct fpu_state fpu;
};

/* How many registers the view has; register n's size in bytes (0: no such register). */
int gdb_reg_count(bool is64);
unsigned gdb_reg_size(bool is64, int n);
/* Register n's value, little-endian, into out (gdb_reg_size bytes); set it from in. */
void gdb_reg_get(bool is64, int n, const struct gdb_regs *r, uint8_t *out);
void gdb_reg_set(bool is64, int n, struct gdb_regs *r, const uint8_t *in);
/* All registers' bytes in order (the g packet's body, before hex); returns the length. */
size_t gdb_regs_bytes(bool is64, const struct gdb_regs *r, uint8_t *out, size_t cap);
/* The target description for the view into out (NUL-terminated); returns its length, 0 if too small. */
size_t gdb_target_xml(bool is64, char *out, size_t cap);

#endif
