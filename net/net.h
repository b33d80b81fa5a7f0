/* Network backends: where a NIC's frames go on the host. A device (hw/virtio/net.c) reaches a
 * backend only through this interface, never libslirp or /dev/net/tun directly:
 *   user  libslirp (net/slirp.c): DHCP, DNS, guest->host connections, hostfwd, restrict=on
 *   tap   a Linux tap interface (net/tap.c), with the virtio-net header when the kernel takes it
 * Frames cross as Ethernet frames; a backend with vnet_hdr puts a 12-byte virtio_net_hdr
 * (virtio 1.2, 5.1.6) in front of each in both directions and takes checksum/TSO offloads. */
#ifndef VMON_NET_NET_H
#define VMON_NET_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#define NET_MAX_PAIRS 4          /* queue pairs a device may have (tap: one fd each) */
#define NET_MAX_FWDS  8
#define NET_HDR_LEN   12         /* struct virtio_net_hdr with num_buffers (5.1.6) */
#define NET_MAX_FRAME 65550      /* Ethernet header + the largest IP datagram a GSO frame holds */
#define NET_MTU_MIN   576        /* user: mtu= bounds (slirp takes up to 65521) */
#define NET_MTU_MAX   65520

enum net_kind { NET_NONE, NET_USER, NET_TAP };

/* hostfwd=[tcp|udp]:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT; addresses in network order. */
struct net_fwd {
    bool udp;
    uint32_t host_addr, guest_addr;    /* 0: any host address / the guest's DHCP address */
    uint16_t host_port, guest_port;
};

/* One NIC and its backend, as the command line gave them. */
struct net_config {
    enum net_kind kind;
    char id[32];                       /* -netdev id= (matched by -device netdev=) */
    char ifname[16];                   /* tap */
    bool restricted;                   /* user: restrict=on (the guest reaches only slirp) */
    bool no_ipv6;                      /* user: ipv6=off (QEMU's default is on: fec0::/64) */
    struct net_fwd fwds[NET_MAX_FWDS];
    int nfwds;
    uint8_t mac[6];
    bool has_mac;
    unsigned queues;                   /* queue pairs (tap: queues=N), 1 when not given */
    unsigned mtu;                      /* user: mtu=N; 0: not given (1500, not announced) */
    char tftp[256];                    /* user: tftp=DIR, served by slirp's TFTP server ("": none) */
    char bootfile[128];                /* user: bootfile=NAME, what its DHCP names as boot file */
    int mrg_rxbuf;                     /* the NIC's mrg_rxbuf=on (1) / off (-1); 0: the device picks */
    int guest_tso4, guest_tso6;        /* the NIC's guest_tso4/6=on (1) / off (-1); 0: the device picks */
};

/* The device side, as a backend sees it. receive takes one frame (after the vnet header when the
 * backend has vnet_hdr) for queue pair q; it returns 0 once it took or dropped the frame, or
 * -EAGAIN when the guest has no buffer posted: the backend keeps the frame and offers it again
 * after rx_ready. Called on the backend's thread. */
struct net_peer {
    int (*receive)(void *opaque, unsigned q, const struct iovec *iov, int iovcnt);
    void *opaque;
    /* As receive, for a backend without vnet_hdr that made a frame itself (user: net/coalesce.c)
     * and hands its 12-byte virtio_net_hdr apart; only GSO kinds set_offload said the guest
     * takes. NULL: such frames are dropped. */
    int (*receive_hdr)(void *opaque, unsigned q, const uint8_t *hdr, const struct iovec *iov,
                       int iovcnt);
};

struct net_backend;

struct net_backend_ops {
    const char *name;
    /* Starts delivering frames to peer (spawns the backend's thread). */
    int (*start)(struct net_backend *nb, const struct net_peer *peer);
    /* One frame from the guest on queue pair q (vnet header first when vnet_hdr). Any thread;
     * never calls back into the peer. Returns 0 or -errno (the frame is dropped). */
    int (*send)(struct net_backend *nb, unsigned q, const struct iovec *iov, int iovcnt);
    /* The guest posted receive buffers on pair q: frames held back may go now. Any thread. */
    void (*rx_ready)(struct net_backend *nb, unsigned q);
    /* Which offloads the guest takes on receive (tap: TUNSETOFFLOAD). NULL where none apply. */
    int (*set_offload)(struct net_backend *nb, bool csum, bool tso4, bool tso6);
    void (*free)(struct net_backend *nb);
    /* Optional: the backend's own state for a snapshot (user: libslirp's, slirp_state_save), as
     * bytes the NIC's section carries. save: a malloc'd *buf (the caller frees it) in format
     * *version, or -errno. load: bytes from a state file (hostile): 0, or -EINVAL for bytes this
     * backend would not have written. Either from any thread: the backend pauses its own. */
    int (*save)(struct net_backend *nb, uint8_t **buf, size_t *len, uint32_t *version);
    int (*load)(struct net_backend *nb, uint32_t version, const uint8_t *buf, size_t len);
};

struct net_backend {
    const struct net_backend_ops *ops;
    bool vnet_hdr;                     /* frames carry the 12-byte header; offloads pass through */
    bool csum_valid;                   /* frames it delivers carry correct checksums (slirp) */
    bool rx_coalesce;                  /* merges TCP segments into GSO frames once the guest takes
                                        * tso4/tso6 (user), so the device offers GUEST_TSO4/6 */
    unsigned pairs;                    /* queue pairs it serves */
    unsigned mtu;                      /* the largest IP packet it passes; 0: not said (1500) */
};

/* The backend a config names; NULL with a one-line reason in err. */
struct net_backend *net_backend_new(const struct net_config *c, char *err, size_t errlen);
void net_backend_free(struct net_backend *nb);

/* Parses one hostfwd= value into f; 0, or -1 with a reason in err. */
int net_parse_hostfwd(const char *s, struct net_fwd *f, char *err, size_t errlen);
/* Parses aa:bb:cc:dd:ee:ff; 0 or -1. */
int net_parse_mac(const char *s, uint8_t mac[6]);

/* Backends (net/slirp.c, net/tap.c). */
struct net_backend *net_slirp_new(const struct net_config *c, char *err, size_t errlen);
struct net_backend *net_tap_new(const struct net_config *c, char *err, size_t errlen);

#endif
