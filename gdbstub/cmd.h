/* The gdb remote protocol's commands (GDB manual, E.2 "Packets", E.4 "General Query Packets", E.3
 * "Stop Reply Packets"), over a machine reached only through struct gdb_ops, so the dispatcher runs
 * as well against a fake machine (the unit tests, the fuzz target) as against the VM (server.c).
 * All-stop: when the target stops every vCPU stops; vCPU i is thread i + 1. */
#ifndef VMON_GDBSTUB_CMD_H
#define VMON_GDBSTUB_CMD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gdbstub/packet.h"
#include "gdbstub/regs.h"

/* The machine, as the dispatcher sees it. Every call returns 0 or -errno. */
struct gdb_ops {
    int (*get_regs)(void *o, int cpu, struct gdb_regs *r);
    int (*set_regs)(void *o, int cpu, const struct gdb_regs *r);
    /* Guest memory by virtual address through cpu's page tables, or by physical address. */
    int (*read_mem)(void *o, int cpu, bool phys, uint64_t addr, void *buf, size_t len);
    int (*write_mem)(void *o, int cpu, bool phys, uint64_t addr, const void *buf, size_t len);
    /* Virtual -> physical through cpu's page tables. */
    int (*translate)(void *o, int cpu, uint64_t addr, uint64_t *phys);
    int (*set_debug)(void *o, int cpu, const struct vcpu_debug *d);
    void (*resume)(void *o);                 /* let every vCPU run */
    void (*kill)(void *o);                   /* end the VM */
    /* A monitor command line; its output into out (NUL-terminated). -ENOTSUP: no monitor. */
    int (*monitor)(void *o, const char *line, char *out, size_t cap);
    void *opaque;
};

#define GDB_MAX_SW_BP 64
#define GDB_REPLY_MAX GDB_PACKET_MAX

enum gdb_action {
    GDB_ACT_REPLY,                 /* send reply */
    GDB_ACT_RESUMED,               /* the target runs: the stop reply comes later (gdb_stop_reply) */
    GDB_ACT_DETACH,                /* send reply, then close the connection (the target runs) */
    GDB_ACT_KILL,                  /* the VM was ended: close the connection */
};

struct gdb_hw_bp { bool used; int type; uint64_t addr, len; };   /* type: Z1..Z4's 1..4 */
struct gdb_sw_bp { bool used; uint64_t addr, gpa; uint8_t saved; };

struct gdb_session {
    const struct gdb_ops *ops;
    int ncpus;
    bool is64;                     /* the register view: amd64, or i386 for a guest not in long mode */
    bool no_ack;                   /* QStartNoAckMode */
    bool phys_mode;                /* Qqemu.PhyMemMode:1: memory packets use physical addresses */
    int g_cpu, c_cpu;              /* Hg / Hc: vCPU index, -1 for all */
    int stop_cpu;                  /* the vCPU the last stop was on */
    struct gdb_sw_bp sw[GDB_MAX_SW_BP];
    struct gdb_hw_bp hw[4];
    char err[160];                 /* why the last set_debug failed, for the user */
};

void gdb_session_init(struct gdb_session *s, const struct gdb_ops *ops, int ncpus, bool is64);
/* Handle one packet body; the reply (no framing) goes to reply[0..*rlen). */
enum gdb_action gdb_handle(struct gdb_session *s, const char *pkt, size_t len, char *reply, size_t *rlen);
/* The stop reply after vCPU cpu stopped: signal 5 (SIGTRAP) with its event, or 2 (SIGINT) for a
 * Ctrl-C (ev NULL). */
size_t gdb_stop_reply(struct gdb_session *s, int cpu, int sig, const struct vcpu_debug_event *ev,
                      char *reply, size_t cap);
/* Take every breakpoint out and the vCPUs' debug state off (detach, disconnect). */
void gdb_session_clear(struct gdb_session *s);

#endif
