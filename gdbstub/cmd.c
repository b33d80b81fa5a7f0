/* The gdb remote protocol's run-control, register, memory and breakpoint packets (GDB manual, E.2
 * "Packets"; vCont; Z/z types 0-4; stop replies, E.3). Queries (q/Q) are in query.c. Every field of
 * a packet is checked: a malformed one gets "E16" (EINVAL), an unknown one the empty reply. */
#include "gdbstub/cmd.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* query.c and bp.c */
size_t gdb_query(struct gdb_session *s, const char *pkt, size_t len, char *reply);
size_t gdb_bp_packet(struct gdb_session *s, const char *pkt, char *reply);
void gdb_bp_rewritten(struct gdb_session *s, uint64_t addr, const uint8_t *buf, size_t len);
int gdb_resume(struct gdb_session *s, int step_cpu);

static size_t put(char *reply, const char *text)
{
    size_t n = strlen(text);
    memcpy(reply, text, n + 1);
    return n;
}

static size_t put_err(char *reply, int e)
{
    return (size_t)snprintf(reply, 8, "E%02x", (unsigned)(e < 0 ? -e : e) & 0xff);
}

void gdb_session_init(struct gdb_session *s, const struct gdb_ops *ops, int ncpus, bool is64)
{
    memset(s, 0, sizeof(*s));
    s->ops = ops;
    s->ncpus = ncpus;
    s->is64 = is64;
    s->g_cpu = s->c_cpu = 0;
}

/* The vCPU register and memory packets act on: Hg's, or the one last stopped on. */
static int g_cpu(const struct gdb_session *s)
{
    return s->g_cpu >= 0 && s->g_cpu < s->ncpus ? s->g_cpu : s->stop_cpu;
}

/* A thread id: hex 1..ncpus, 0 (any: the current one) or -1 (all). */
static int parse_thread(const struct gdb_session *s, const char *p, int *cpu)
{
    uint64_t t;
    const char *end;
    if (!strcmp(p, "-1")) {
        *cpu = -1;
        return 0;
    }
    if (gdb_parse_hex(p, &t, &end) < 0 || *end || t > (uint64_t)s->ncpus)
        return -EINVAL;
    *cpu = t == 0 ? s->stop_cpu : (int)t - 1;
    return 0;
}

/* "ADDR,LEN" (then *rest at what follows). */
static int parse_addr_len(const char *p, uint64_t *addr, uint64_t *len, const char **rest)
{
    const char *e;
    if (gdb_parse_hex(p, addr, &e) < 0 || *e != ',' || gdb_parse_hex(e + 1, len, &e) < 0)
        return -EINVAL;
    *rest = e;
    return 0;
}

/* ---- registers ---- */

static size_t cmd_read_regs(struct gdb_session *s, char *reply)
{
    struct gdb_regs r;
    uint8_t bytes[1024];
    int e = s->ops->get_regs(s->ops->opaque, g_cpu(s), &r);
    if (e < 0)
        return put_err(reply, e);
    size_t n = gdb_regs_bytes(s->is64, &r, bytes, sizeof(bytes));
    gdb_tohex(bytes, n, reply);
    return 2 * n;
}

static size_t cmd_write_regs(struct gdb_session *s, const char *hex, size_t len, char *reply)
{
    struct gdb_regs r;
    uint8_t bytes[1024];
    if (len % 2 || len / 2 > sizeof(bytes) || gdb_fromhex(hex, len / 2, bytes) < 0)
        return put_err(reply, EINVAL);
    int cpu = g_cpu(s), e = s->ops->get_regs(s->ops->opaque, cpu, &r);
    if (e < 0)
        return put_err(reply, e);
    size_t o = 0;
    for (int n = 0; n < gdb_reg_count(s->is64); n++) {
        unsigned sz = gdb_reg_size(s->is64, n);
        if (o + sz > len / 2)
            break;
        gdb_reg_set(s->is64, n, &r, bytes + o);
        o += sz;
    }
    e = s->ops->set_regs(s->ops->opaque, cpu, &r);
    return e < 0 ? put_err(reply, e) : put(reply, "OK");
}

static size_t cmd_reg(struct gdb_session *s, const char *p, char *reply, bool write)
{
    uint64_t n;
    const char *e;
    struct gdb_regs r;
    uint8_t val[16];
    if (gdb_parse_hex(p, &n, &e) < 0 || n >= (uint64_t)gdb_reg_count(s->is64) || (write ? *e != '=' : *e))
        return put_err(reply, EINVAL);
    unsigned sz = gdb_reg_size(s->is64, (int)n);
    if (write && (strlen(e + 1) != 2 * sz || gdb_fromhex(e + 1, sz, val) < 0))
        return put_err(reply, EINVAL);
    int cpu = g_cpu(s), err = s->ops->get_regs(s->ops->opaque, cpu, &r);
    if (err < 0)
        return put_err(reply, err);
    if (!write) {
        gdb_reg_get(s->is64, (int)n, &r, val);
        gdb_tohex(val, sz, reply);
        return 2 * sz;
    }
    gdb_reg_set(s->is64, (int)n, &r, val);
    err = s->ops->set_regs(s->ops->opaque, cpu, &r);
    return err < 0 ? put_err(reply, err) : put(reply, "OK");
}

/* ---- memory ---- */

/* What gdb must see there: the guest's bytes with our breakpoints' int3s taken out. */
static void unshadow(const struct gdb_session *s, uint64_t addr, uint8_t *buf, size_t len)
{
    for (int i = 0; i < GDB_MAX_SW_BP; i++) {
        const struct gdb_sw_bp *b = &s->sw[i];
        uint64_t a = s->phys_mode ? b->gpa : b->addr;
        if (b->used && a - addr < len)
            buf[a - addr] = b->saved;
    }
}

static size_t cmd_read_mem(struct gdb_session *s, const char *p, char *reply)
{
    uint64_t addr, len;
    const char *e;
    uint8_t buf[GDB_REPLY_MAX / 2];
    if (parse_addr_len(p, &addr, &len, &e) < 0 || *e)
        return put_err(reply, EINVAL);
    if (len > sizeof(buf))
        len = sizeof(buf);             /* a shorter reply is allowed: gdb asks for the rest */
    int cpu = g_cpu(s);
    size_t got = len;
    if (s->ops->read_mem(s->ops->opaque, cpu, s->phys_mode, addr, buf, len) < 0) {
        for (got = 0; got < len; got++)   /* up to the first byte that cannot be read */
            if (s->ops->read_mem(s->ops->opaque, cpu, s->phys_mode, addr + got, buf + got, 1) < 0)
                break;
        if (!got)
            return put_err(reply, EFAULT);
    }
    unshadow(s, addr, buf, got);
    gdb_tohex(buf, got, reply);
    return 2 * got;
}

static size_t cmd_write_mem(struct gdb_session *s, const char *p, size_t plen, char *reply, bool binary)
{
    uint64_t addr, len;
    const char *e;
    uint8_t buf[GDB_PACKET_MAX];
    if (parse_addr_len(p, &addr, &len, &e) < 0 || *e != ':')
        return put_err(reply, EINVAL);
    const char *data = e + 1;
    size_t dlen = plen - (size_t)(data - p);
    if (binary ? dlen != len : dlen != 2 * len || len > sizeof(buf))
        return put_err(reply, EINVAL);
    if (binary)
        memcpy(buf, data, len);
    else if (gdb_fromhex(data, len, buf) < 0)
        return put_err(reply, EINVAL);
    if (!len)
        return put(reply, "OK");
    int r = s->ops->write_mem(s->ops->opaque, g_cpu(s), s->phys_mode, addr, buf, len);
    if (r < 0)
        return put_err(reply, r);
    gdb_bp_rewritten(s, addr, buf, len);
    return put(reply, "OK");
}

/* ---- run control ---- */

/* c/s/C/S [sig;][addr]: an address given resumes there. */
static enum gdb_action cmd_resume(struct gdb_session *s, char op, const char *p, char *reply, size_t *rlen)
{
    uint64_t addr, sig;
    const char *e = p;
    if ((op == 'C' || op == 'S') && (gdb_parse_hex(p, &sig, &e) < 0 || (*e && *e++ != ';'))) {
        *rlen = put_err(reply, EINVAL);
        return GDB_ACT_REPLY;
    }
    int cpu = s->c_cpu >= 0 && s->c_cpu < s->ncpus ? s->c_cpu : s->stop_cpu;
    if (*e) {
        struct gdb_regs r;
        const char *end;
        if (gdb_parse_hex(e, &addr, &end) < 0 || *end || s->ops->get_regs(s->ops->opaque, cpu, &r) < 0) {
            *rlen = put_err(reply, EINVAL);
            return GDB_ACT_REPLY;
        }
        r.cpu.rip = addr;
        s->ops->set_regs(s->ops->opaque, cpu, &r);
    }
    int err = gdb_resume(s, op == 's' || op == 'S' ? cpu : -1);
    if (err < 0) {
        *rlen = put_err(reply, err);
        return GDB_ACT_REPLY;
    }
    return GDB_ACT_RESUMED;
}

/* vCont;ACTION[:TID][;ACTION[:TID]]...: c, C sig, s, S sig. All-stop: every vCPU runs; the first
 * step action names the one that single-steps. */
static enum gdb_action cmd_vcont(struct gdb_session *s, const char *p, char *reply, size_t *rlen)
{
    int step = -1;
    bool any = false;
    while (*p == ';') {
        char a = p[1];
        const char *e = p + 2;
        uint64_t sig;
        if ((a == 'C' || a == 'S') && gdb_parse_hex(e, &sig, &e) < 0)
            break;
        if (a != 'c' && a != 'C' && a != 's' && a != 'S')
            break;
        int cpu = s->stop_cpu;
        if (*e == ':') {
            char tid[24];
            size_t n = strcspn(e + 1, ";");
            if (n >= sizeof(tid))
                break;
            memcpy(tid, e + 1, n);
            tid[n] = 0;
            if (parse_thread(s, tid, &cpu) < 0)
                break;
            e += 1 + n;
        }
        if ((a == 's' || a == 'S') && step < 0)
            step = cpu < 0 ? s->stop_cpu : cpu;
        any = true;
        p = e;
    }
    if (*p || !any) {
        *rlen = put_err(reply, EINVAL);
        return GDB_ACT_REPLY;
    }
    int err = gdb_resume(s, step);
    if (err < 0) {
        *rlen = put_err(reply, err);
        return GDB_ACT_REPLY;
    }
    return GDB_ACT_RESUMED;
}

static size_t cmd_set_thread(struct gdb_session *s, const char *p, char *reply)
{
    int cpu;
    if ((p[0] != 'g' && p[0] != 'c') || parse_thread(s, p + 1, &cpu) < 0)
        return put_err(reply, EINVAL);
    *(p[0] == 'g' ? &s->g_cpu : &s->c_cpu) = cpu;
    return put(reply, "OK");
}

enum gdb_action gdb_handle(struct gdb_session *s, const char *pkt, size_t len, char *reply, size_t *rlen)
{
    int cpu;
    *rlen = 0;
    reply[0] = 0;
    if (!len)
        return GDB_ACT_REPLY;
    if (strlen(pkt) != len && pkt[0] != 'X') {   /* a NUL inside: only binary writes may hold one */
        *rlen = put_err(reply, EINVAL);
        return GDB_ACT_REPLY;
    }
    const char *p = pkt + 1;
    switch (pkt[0]) {
    case '?':
        *rlen = gdb_stop_reply(s, s->stop_cpu, 5, NULL, reply, GDB_REPLY_MAX);
        break;
    case 'g': *rlen = cmd_read_regs(s, reply); break;
    case 'G': *rlen = cmd_write_regs(s, p, len - 1, reply); break;
    case 'p': *rlen = cmd_reg(s, p, reply, false); break;
    case 'P': *rlen = cmd_reg(s, p, reply, true); break;
    case 'm': *rlen = cmd_read_mem(s, p, reply); break;
    case 'M': *rlen = cmd_write_mem(s, p, len - 1, reply, false); break;
    case 'X': *rlen = cmd_write_mem(s, p, len - 1, reply, true); break;
    case 'c': case 's': case 'C': case 'S':
        return cmd_resume(s, pkt[0], p, reply, rlen);
    case 'H': *rlen = cmd_set_thread(s, p, reply); break;
    case 'T':
        *rlen = parse_thread(s, p, &cpu) < 0 || cpu < 0 ? put_err(reply, EINVAL) : put(reply, "OK");
        break;
    case 'Z': case 'z': *rlen = gdb_bp_packet(s, pkt, reply); break;
    case 'D':
        gdb_session_clear(s);
        s->ops->resume(s->ops->opaque);
        *rlen = put(reply, "OK");
        return GDB_ACT_DETACH;
    case 'k':
        s->ops->kill(s->ops->opaque);
        return GDB_ACT_KILL;
    case 'v':
        if (!strcmp(pkt, "vCont?")) {
            *rlen = put(reply, "vCont;c;C;s;S");
        } else if (!strncmp(pkt, "vCont;", 6)) {
            return cmd_vcont(s, pkt + 5, reply, rlen);
        } else if (!strncmp(pkt, "vKill", 5)) {
            s->ops->kill(s->ops->opaque);
            *rlen = put(reply, "OK");
            return GDB_ACT_KILL;
        }
        break;                     /* vMustReplyEmpty and the rest: the empty reply */
    case 'q': case 'Q': *rlen = gdb_query(s, pkt, len, reply); break;
    default: break;
    }
    return GDB_ACT_REPLY;
}
