/* Backend selection and the option values both spellings share (QEMU's -netdev user,hostfwd=
 * syntax, docs/system/invocation: "hostfwd=[tcp|udp]:[hostaddr]:hostport-[guestaddr]:guestport"). */
#include "net/net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct net_backend *net_backend_new(const struct net_config *c, char *err, size_t errlen)
{
    switch (c->kind) {
    case NET_USER: return net_slirp_new(c, err, errlen);
    case NET_TAP:  return net_tap_new(c, err, errlen);
    default:
        snprintf(err, errlen, "no network backend configured");
        errno = EINVAL;
        return NULL;
    }
}

void net_backend_free(struct net_backend *nb)
{
    if (nb)
        nb->ops->free(nb);
}

/* "ADDR:PORT" with ADDR possibly empty; port 1-65535. */
static int addr_port(const char *s, size_t n, uint32_t *addr, uint16_t *port)
{
    char buf[64];
    if (n >= sizeof(buf))
        return -1;
    memcpy(buf, s, n);
    buf[n] = 0;
    char *colon = strrchr(buf, ':');
    if (!colon)
        return -1;
    *colon = 0;
    struct in_addr a = { 0 };
    if (buf[0] && inet_pton(AF_INET, buf, &a) != 1)
        return -1;
    char *end;
    long p = strtol(colon + 1, &end, 10);
    if (!colon[1] || *end || p < 1 || p > 65535)
        return -1;
    *addr = a.s_addr;
    *port = (uint16_t)p;
    return 0;
}

int net_parse_hostfwd(const char *s, struct net_fwd *f, char *err, size_t errlen)
{
    memset(f, 0, sizeof(*f));
    const char *p = s;
    if (!strncmp(p, "tcp:", 4))
        p += 4;
    else if (!strncmp(p, "udp:", 4)) {
        f->udp = true;
        p += 4;
    } else if (*p != ':')
        goto bad;
    else
        p++;                           /* "::PORT-..." : tcp, as QEMU reads it */
    const char *dash = strchr(p, '-');
    if (!dash || addr_port(p, (size_t)(dash - p), &f->host_addr, &f->host_port) < 0 ||
        addr_port(dash + 1, strlen(dash + 1), &f->guest_addr, &f->guest_port) < 0)
        goto bad;
    return 0;
bad:
    snprintf(err, errlen, "hostfwd=%s: expected [tcp|udp]:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT", s);
    return -1;
}

int net_parse_mac(const char *s, uint8_t mac[6])
{
    unsigned b[6];
    char tail;
    if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5], &tail) != 6)
        return -1;
    if (strlen(s) != 17 || (b[0] & 1))  /* a multicast address cannot be a NIC's */
        return -1;
    for (int i = 0; i < 6; i++)
        mac[i] = (uint8_t)b[i];
    return 0;
}
