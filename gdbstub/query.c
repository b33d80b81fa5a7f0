/* The gdb remote protocol's general queries (GDB manual, E.4 "General Query Packets"): qSupported,
 * QStartNoAckMode, qXfer:features:read (the target description, regs.c), the thread list, qRcmd
 * (monitor commands: the human monitor's), and QEMU's Qqemu.PhyMemMode (memory packets by physical
 * address: "maintenance packet Qqemu.PhyMemMode:1"). */
#include "gdbstub/cmd.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

size_t gdb_query(struct gdb_session *s, const char *pkt, size_t len, char *reply);

#define XML_MAX 12288

static size_t reply_str(char *reply, const char *text)
{
    size_t n = strlen(text);
    memcpy(reply, text, n + 1);
    return n;
}

/* qXfer:features:read:ANNEX:OFFSET,LENGTH */
static size_t xfer_features(struct gdb_session *s, const char *p, char *reply)
{
    char xml[XML_MAX];
    uint64_t off, len;
    const char *e;
    if (strncmp(p, "target.xml:", 11))
        return reply_str(reply, "E00");
    p += 11;
    if (gdb_parse_hex(p, &off, &e) < 0 || *e != ',' || gdb_parse_hex(e + 1, &len, &e) < 0 || *e)
        return reply_str(reply, "E16");
    size_t n = gdb_target_xml(s->is64, xml, sizeof(xml));
    if (off >= n)
        return reply_str(reply, "l");
    /* The reply is framed with escapes: keep it well under the packet size. */
    if (len > GDB_REPLY_MAX / 2)
        len = GDB_REPLY_MAX / 2;
    size_t take = n - off < len ? n - (size_t)off : (size_t)len;
    reply[0] = off + take < n ? 'm' : 'l';
    memcpy(reply + 1, xml + off, take);
    reply[1 + take] = 0;
    return 1 + take;
}

static size_t thread_list(const struct gdb_session *s, char *reply)
{
    size_t o = 0;
    reply[o++] = 'm';
    for (int i = 0; i < s->ncpus; i++)
        o += (size_t)snprintf(reply + o, 16, "%s%x", i ? "," : "", (unsigned)i + 1);
    return o;
}

static size_t thread_extra(const struct gdb_session *s, const char *p, char *reply)
{
    uint64_t t;
    const char *e;
    char text[32];
    if (gdb_parse_hex(p, &t, &e) < 0 || *e || t < 1 || t > (uint64_t)s->ncpus)
        return reply_str(reply, "E16");
    snprintf(text, sizeof(text), "vCPU %u", (unsigned)t - 1);
    gdb_tohex(text, strlen(text), reply);
    return 2 * strlen(text);
}

/* qRcmd,HEX: a monitor command; its output comes back hex-encoded as the reply. */
static size_t monitor_cmd(struct gdb_session *s, const char *hex, char *reply)
{
    char line[1024], out[GDB_REPLY_MAX / 2];
    size_t n = strlen(hex);
    if (n % 2 || n / 2 >= sizeof(line) || gdb_fromhex(hex, n / 2, line) < 0)
        return reply_str(reply, "E16");
    line[n / 2] = 0;
    if (strlen(line) != n / 2)
        return reply_str(reply, "E16");
    out[0] = 0;
    int r = s->ops->monitor ? s->ops->monitor(s->ops->opaque, line, out, sizeof(out)) : -ENOTSUP;
    if (r == -ENOTSUP)
        snprintf(out, sizeof(out), "vmon: no monitor here\n");
    size_t len = strnlen(out, sizeof(out) - 1);
    if (!len)
        return reply_str(reply, "OK");
    gdb_tohex(out, len, reply);
    return 2 * len;
}

size_t gdb_query(struct gdb_session *s, const char *pkt, size_t len, char *reply)
{
    (void)len;
    reply[0] = 0;
    if (!strncmp(pkt, "qSupported", 10))
        return (size_t)snprintf(reply, GDB_REPLY_MAX, "PacketSize=%x;qXfer:features:read+;QStartNoAckMode+;"
                                "vContSupported+;swbreak+;hwbreak+", GDB_PACKET_MAX);
    if (!strcmp(pkt, "QStartNoAckMode")) {
        s->no_ack = true;          /* server.c acked this packet already; none from now on */
        return reply_str(reply, "OK");
    }
    if (!strncmp(pkt, "qXfer:features:read:", 20))
        return xfer_features(s, pkt + 20, reply);
    if (!strcmp(pkt, "qAttached"))
        return reply_str(reply, "1");
    if (!strcmp(pkt, "qC"))
        return (size_t)snprintf(reply, 16, "QC%x", (unsigned)s->stop_cpu + 1);
    if (!strcmp(pkt, "qfThreadInfo"))
        return thread_list(s, reply);
    if (!strcmp(pkt, "qsThreadInfo"))
        return reply_str(reply, "l");
    if (!strncmp(pkt, "qThreadExtraInfo,", 17))
        return thread_extra(s, pkt + 17, reply);
    if (!strncmp(pkt, "qRcmd,", 6))
        return monitor_cmd(s, pkt + 6, reply);
    if (!strncmp(pkt, "qSymbol:", 8))
        return reply_str(reply, "OK");
    if (!strcmp(pkt, "qqemu.PhyMemMode"))
        return reply_str(reply, s->phys_mode ? "1" : "0");
    if (!strcmp(pkt, "Qqemu.PhyMemMode:1") || !strcmp(pkt, "Qqemu.PhyMemMode:0")) {
        s->phys_mode = pkt[17] == '1';
        return reply_str(reply, "OK");
    }
    return 0;                      /* unknown: the empty reply */
}
