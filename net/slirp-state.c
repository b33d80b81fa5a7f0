/* The user backend in a snapshot (issue 18): libslirp's own state through slirp_state_save /
 * slirp_state_load (libslirp.h), tagged with slirp_state_version. What libslirp keeps there is its
 * IP id counter, its DHCP leases (which MAC has which address) and the sockets of guestfwd rules;
 * vmon adds no guestfwd, so a save holds no socket and a load takes none. Connections to the host
 * (the guest's own and hostfwd's) are host sockets libslirp does not save: after a restore in another
 * vmon they are gone and the guest's TCP sees them reset or time out; hostfwd's listeners are the new
 * vmon's, from its own command line. The Slirp is not thread-safe: its net thread stops meanwhile. */
#include "net/slirp-loop.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define SLIRP_STATE_MAX 65536          /* far above what libslirp writes (~130 bytes in 4.7) */

struct growbuf {
    uint8_t *p;
    size_t len, cap;
    bool err;
};

static ssize_t put(const void *buf, size_t len, void *opaque)
{
    struct growbuf *g = opaque;
    if (g->err || len > SLIRP_STATE_MAX - g->len) {
        g->err = true;
        return -1;
    }
    if (g->len + len > g->cap) {
        size_t cap = g->cap ? g->cap * 2 : 256;
        while (cap < g->len + len)
            cap *= 2;
        uint8_t *p = realloc(g->p, cap);
        if (!p) {
            g->err = true;
            return -1;
        }
        g->p = p;
        g->cap = cap;
    }
    memcpy(g->p + g->len, buf, len);
    g->len += len;
    return (ssize_t)len;
}

struct readbuf {
    const uint8_t *p;
    size_t len, pos;
};

static ssize_t get(void *buf, size_t len, void *opaque)
{
    struct readbuf *r = opaque;
    if (len > r->len - r->pos)
        return -1;
    memcpy(buf, r->p + r->pos, len);
    r->pos += len;
    return (ssize_t)len;
}

/* slirp_state_save into a new buffer; the net thread is stopped by the caller. */
static int save_now(struct slirp_loop *s, struct growbuf *g)
{
    slirp_state_save(s->slirp, put, g);
    if (g->err) {
        free(g->p);
        return -ENOMEM;
    }
    return 0;
}

int slirp_backend_save(struct net_backend *nb, uint8_t **buf, size_t *len, uint32_t *version)
{
    struct slirp_loop *s = (struct slirp_loop *)nb;
    struct growbuf g = { 0 };
    bool was = slirp_loop_pause(s);
    int r = save_now(s, &g);
    int e = slirp_loop_resume(s, was);
    if (r == 0 && e < 0) {
        free(g.p);
        r = e;
    }
    if (r == 0) {
        *buf = g.p;
        *len = g.len;
        *version = (uint32_t)slirp_state_version();
    }
    return r;
}

/* Whether the bytes have the shape this libslirp writes for vmon: its version, no socket record
 * (the first byte ends the list: sockets are guestfwd's, which libslirp would read unchecked), and
 * the length of its own save (the rest is fixed-size fields: the IP id and the DHCP leases). */
static bool plausible(struct slirp_loop *s, uint32_t version, const uint8_t *buf, size_t len)
{
    if (version != (uint32_t)slirp_state_version() || len == 0 || len > SLIRP_STATE_MAX || buf[0] != 0)
        return false;
    struct growbuf own = { 0 };
    if (save_now(s, &own) < 0)
        return false;
    bool same = own.len == len && own.p[0] == 0;
    free(own.p);
    return same;
}

int slirp_backend_load(struct net_backend *nb, uint32_t version, const uint8_t *buf, size_t len)
{
    struct slirp_loop *s = (struct slirp_loop *)nb;
    bool was = slirp_loop_pause(s);
    int r = -EINVAL;
    if (plausible(s, version, buf, len)) {
        struct readbuf rb = { .p = buf, .len = len };
        r = slirp_state_load(s->slirp, (int)version, get, &rb) < 0 || rb.pos != len ? -EINVAL : 0;
    }
    int e = slirp_loop_resume(s, was);
    return r < 0 ? r : e;
}
