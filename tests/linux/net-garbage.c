/* A guest program for tests/linux/virtio-net-garbage.sh (built with the host's gcc -static, put
 * in the initramfs): sends malformed frames out of an interface through AF_PACKET raw sockets, as
 * a hostile or broken guest could, so that vmon's virtio-net and its backend see them:
 *   runt        0 to 59 bytes (the kernel pads those under 14 to a bare Ethernet header)
 *   garbage     random bytes behind IPv4, IPv6, ARP and unknown EtherTypes, 14 to 1514 bytes
 *   lies        IPv4/TCP/UDP headers whose length, IHL and offsets point past the frame
 *   oversized   up to the interface's MTU (raised beforehand past what the backend takes)
 *   offloads    (PACKET_VNET_HDR) virtio_net_hdrs asking for checksums and TSO at odd offsets
 * Usage: net-garbage IFNAME COUNT SEED. Prints "SENT n" per kind, ignoring refusals (EINVAL,
 * EMSGSIZE): only what the guest kernel lets through reaches the device. */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <linux/virtio_net.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

static uint32_t rng_state;

static uint32_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return rng_state;
}

static void fill(uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)rnd();
}

static int open_raw(int ifindex, int vnet)
{
    int s = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
    if (s < 0)
        return -1;
    if (vnet && setsockopt(s, SOL_PACKET, PACKET_VNET_HDR, &vnet, sizeof(vnet)) < 0) {
        close(s);
        return -1;
    }
    struct sockaddr_ll a = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL),
                             .sll_ifindex = ifindex };
    if (bind(s, (struct sockaddr *)&a, sizeof(a)) < 0) {
        close(s);
        return -1;
    }
    return s;
}

/* An Ethernet header to slirp's gateway MAC (any unicast will do) with EtherType type. */
static void eth(uint8_t *f, uint16_t type)
{
    static const uint8_t dst[6] = { 0x52, 0x55, 0x0a, 0x00, 0x02, 0x02 };
    memcpy(f, dst, 6);
    memcpy(f + 6, "\x52\x54\x00\x12\x34\x56", 6);
    f[12] = (uint8_t)(type >> 8);
    f[13] = (uint8_t)type;
}

static const uint16_t types[] = { 0x0800, 0x86dd, 0x0806, 0x8100, 0x88cc, 0x0000, 0xffff };

/* An IPv4 header to 10.0.2.2 that lies: total length, IHL, fragment bits and protocol random. */
static size_t lying_ipv4(uint8_t *f, size_t cap)
{
    eth(f, 0x0800);
    size_t len = 14 + 20 + rnd() % 80;
    len = len < cap ? len : cap;
    fill(f + 14, len - 14);
    f[14] = (uint8_t)(0x40 | (rnd() % 16));               /* IHL 0..15 */
    uint16_t tot = (uint16_t)rnd();
    f[16] = (uint8_t)(tot >> 8);
    f[17] = (uint8_t)tot;
    f[23] = (uint8_t[]){ 6, 17, 1, 47, 255 }[rnd() % 5];  /* TCP, UDP, ICMP, GRE, reserved */
    memcpy(f + 26, "\x0a\x00\x02\x0f", 4);
    memcpy(f + 30, "\x0a\x00\x02\x02", 4);
    return len;
}

static int sendf(int s, const void *p, size_t len)
{
    return send(s, p, len, 0) == (ssize_t)len;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: net-garbage IFNAME COUNT SEED\n");
        return 2;
    }
    int ifindex = (int)if_nametoindex(argv[1]);
    int count = atoi(argv[2]);
    rng_state = (uint32_t)strtoul(argv[3], NULL, 0) | 1;
    int s = ifindex ? open_raw(ifindex, 0) : -1;
    int sv = ifindex ? open_raw(ifindex, 1) : -1;
    if (s < 0 || sv < 0) {
        perror("net-garbage: AF_PACKET socket");
        return 1;
    }
    struct ifreq ifr = { 0 };
    snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", argv[1]);
    int mtu = ioctl(s, SIOCGIFMTU, &ifr) == 0 ? ifr.ifr_mtu : 1500;
    static uint8_t f[65536 + sizeof(struct virtio_net_hdr)];
    int n = 0;
    for (int i = 0; i < count; i++) {
        size_t len = rnd() % 60;
        fill(f, len);
        n += sendf(s, f, len);
    }
    printf("SENT runt %d\n", n);
    n = 0;
    for (int i = 0; i < count; i++) {
        size_t len = 14 + rnd() % 1501;
        eth(f, types[rnd() % (sizeof(types) / sizeof(types[0]))]);
        fill(f + 14, len - 14);
        n += sendf(s, f, len);
    }
    printf("SENT garbage %d\n", n);
    n = 0;
    for (int i = 0; i < count; i++)
        n += sendf(s, f, lying_ipv4(f, sizeof(f)));
    printf("SENT lies %d\n", n);
    n = 0;
    for (int i = 0; i < count / 4 + 1; i++) {
        size_t len = 14 + (size_t)mtu - rnd() % 64;
        eth(f, types[rnd() % 3]);
        fill(f + 14, len - 14);
        n += sendf(s, f, len);
    }
    printf("SENT oversized %d (mtu %d)\n", n, mtu);
    n = 0;
    for (int i = 0; i < count; i++) {
        struct virtio_net_hdr h = { 0 };
        h.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
        h.gso_type = (uint8_t[]){ VIRTIO_NET_HDR_GSO_NONE, VIRTIO_NET_HDR_GSO_TCPV4,
                                  VIRTIO_NET_HDR_GSO_UDP, VIRTIO_NET_HDR_GSO_TCPV6 }[rnd() % 4];
        h.gso_size = (uint16_t)(1 + rnd() % 1500);
        h.hdr_len = (uint16_t)(rnd() % 128);
        h.csum_start = (uint16_t)(rnd() % 200);
        h.csum_offset = (uint16_t)(rnd() % 64);
        memcpy(f, &h, sizeof(h));
        size_t len = lying_ipv4(f + sizeof(h), sizeof(f) - sizeof(h));
        if (rnd() % 2) {                                   /* a plausible TCP header inside */
            f[sizeof(h) + 14] = 0x45;
            f[sizeof(h) + 23] = 6;
            f[sizeof(h) + 34 + 12] = 0x50;
            len = 14 + 40 + rnd() % 3000;
        }
        n += sendf(sv, f, sizeof(h) + len);
    }
    printf("SENT offloads %d\n", n);
    fflush(stdout);
    return 0;
}
