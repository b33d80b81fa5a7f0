/* Network options in both spellings (QEMU's docs/system/invocation: -netdev, -nic, -device):
 *   --net user[,hostfwd=tcp::HP-:GP]...[,restrict=on][,ipv6=off][,mtu=N][,mac=..][,mrg_rxbuf=on|off]
 *             [,guest_tso4=on|off][,guest_tso6=on|off]
 *             | tap,ifname=NAME[,queues=N]
 *   -netdev user|tap,id=ID,...   then   -device virtio-net-pci,netdev=ID[,mac=..]
 *   -nic user|tap,...[,model=virtio-net-pci][,mac=..]
 * Each NIC is a virtio-net-pci; a -netdev no device uses is refused, as is any option vmon
 * does not implement (by name). */
#include "tools/run-net.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const opt_names[] = { "--net", "-netdev", "-nic" };

/* Splits a copy of v at commas: up to max "key[=value]" items. */
static int split(const char *v, char *buf, size_t cap, char **items, int max)
{
    if (strlen(v) >= cap)
        return -1;
    strcpy(buf, v);
    int n = 0;
    for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        if (n == max)
            return -1;
        items[n++] = t;
    }
    return n;
}

static int bool_val(const char *v, bool *on)
{
    *on = !strcmp(v, "on") || !strcmp(v, "yes") || !strcmp(v, "true");
    return *on || !strcmp(v, "off") || !strcmp(v, "no") || !strcmp(v, "false") ? 0 : -1;
}

/* The NIC's on/off switches (QEMU's virtio-net-pci property names): 1 on, -1 off, 0 not given. */
static int *nic_switch(struct net_config *c, const char *key)
{
    return !strcmp(key, "mrg_rxbuf") ? &c->mrg_rxbuf : !strcmp(key, "guest_tso4") ? &c->guest_tso4 :
           !strcmp(key, "guest_tso6") ? &c->guest_tso6 : NULL;
}

/* One key=value of a backend (or, for --net and -nic, of the NIC too). */
static int net_key(enum run_net_opt which, struct net_config *c, const char *key, const char *val,
                   char *err, size_t errlen)
{
    const char *o = opt_names[which];
    bool user = c->kind == NET_USER, nic = which != RUN_NETDEV;
    if (!strcmp(key, "id") && which == RUN_NETDEV)
        snprintf(c->id, sizeof(c->id), "%s", val);
    else if (!strcmp(key, "hostfwd") && user) {
        if (c->nfwds == NET_MAX_FWDS)
            return snprintf(err, errlen, "%s: at most %d hostfwd rules", o, NET_MAX_FWDS), -1;
        return net_parse_hostfwd(val, &c->fwds[c->nfwds++], err, errlen);
    } else if (!strcmp(key, "restrict") && user) {
        if (bool_val(val, &c->restricted) < 0)
            return snprintf(err, errlen, "%s restrict=%s: expected on or off", o, val), -1;
    } else if (!strcmp(key, "ipv6") && user) {
        bool on;
        if (bool_val(val, &on) < 0)
            return snprintf(err, errlen, "%s ipv6=%s: expected on or off", o, val), -1;
        c->no_ipv6 = !on;
    } else if (!strcmp(key, "mtu") && user) {
        char *end;
        long m = strtol(val, &end, 10);
        if (*end || m < NET_MTU_MIN || m > NET_MTU_MAX)
            return snprintf(err, errlen, "%s mtu=%s: %d to %d", o, val, NET_MTU_MIN, NET_MTU_MAX), -1;
        c->mtu = (unsigned)m;
    } else if ((!strcmp(key, "tftp") || !strcmp(key, "bootfile")) && user) {
        bool dir = key[0] == 't';
        size_t cap = dir ? sizeof(c->tftp) : sizeof(c->bootfile);
        if (!val[0] || strlen(val) >= cap)
            return snprintf(err, errlen, "%s %s=%s: empty or too long", o, key, val), -1;
        snprintf(dir ? c->tftp : c->bootfile, cap, "%s", val);
    } else if (!strcmp(key, "ifname") && !user) {
        if (!val[0] || strlen(val) >= sizeof(c->ifname))
            return snprintf(err, errlen, "%s ifname=%s: not an interface name", o, val), -1;
        snprintf(c->ifname, sizeof(c->ifname), "%s", val);
    } else if (!strcmp(key, "queues") && !user) {
        char *end;
        long q = strtol(val, &end, 10);
        if (*end || q < 1 || q > NET_MAX_PAIRS)
            return snprintf(err, errlen, "%s queues=%s: 1 to %d", o, val, NET_MAX_PAIRS), -1;
        c->queues = (unsigned)q;
    } else if (!strcmp(key, "vhost") && !user) {
        bool on;
        if (bool_val(val, &on) < 0)
            return snprintf(err, errlen, "%s vhost=%s: expected on or off", o, val), -1;
    } else if (!strcmp(key, "script") || !strcmp(key, "downscript")) {
        if (strcmp(val, "no"))
            return snprintf(err, errlen, "%s %s=%s: vmon runs no scripts (only %s=no)", o, key, val, key), -1;
    } else if (!strcmp(key, "mac") && nic) {
        if (net_parse_mac(val, c->mac) < 0)
            return snprintf(err, errlen, "%s mac=%s: not a unicast MAC address", o, val), -1;
        c->has_mac = true;
    } else if (nic_switch(c, key) && nic) {
        bool on;
        if (bool_val(val, &on) < 0)
            return snprintf(err, errlen, "%s %s=%s: expected on or off", o, key, val), -1;
        *nic_switch(c, key) = on ? 1 : -1;
    } else if (!strcmp(key, "model") && which == RUN_NIC) {
        if (strcmp(val, "virtio-net-pci") && strcmp(val, "virtio"))
            return snprintf(err, errlen, "-nic model=%s: vmon has only virtio-net-pci", val), -1;
    } else
        return snprintf(err, errlen, "%s: unsupported option '%s' for %s", o, key,
                        user ? "user" : "tap"), -1;
    return 0;
}

int run_parse_net(enum run_net_opt which, const char *v, struct vm_config *cfg, char *err, size_t errlen)
{
    const char *o = opt_names[which];
    if (which == RUN_NIC && !strcmp(v, "none"))
        return 0;                      /* QEMU's "no NIC": vmon has no default one anyway */
    if (cfg->nnics == VM_MAX_NICS)
        return snprintf(err, errlen, "%s: at most %d NICs", o, VM_MAX_NICS), -1;
    char buf[1024], *items[32];
    int n = split(v, buf, sizeof(buf), items, 32);
    if (n <= 0)
        return snprintf(err, errlen, "%s %s: too long or empty", o, v), -1;
    struct vm_nic *nic = &cfg->nics[cfg->nnics];
    memset(nic, 0, sizeof(*nic));
    struct net_config *c = &nic->net;
    c->queues = 1;
    if (!strcmp(items[0], "user"))
        c->kind = NET_USER;
    else if (!strcmp(items[0], "tap"))
        c->kind = NET_TAP;
    else
        return snprintf(err, errlen, "%s %s: unsupported backend (user or tap)", o, items[0]), -1;
    for (int i = 1; i < n; i++) {
        char *eq = strchr(items[i], '=');
        if (!eq)
            return snprintf(err, errlen, "%s: '%s' needs a value", o, items[i]), -1;
        *eq = 0;
        if (net_key(which, c, items[i], eq + 1, err, errlen) < 0)
            return -1;
    }
    if (c->kind == NET_TAP && !c->ifname[0])
        return snprintf(err, errlen, "%s tap: ifname= is needed (vmon does not pick a name)", o), -1;
    if (which == RUN_NETDEV && !c->id[0])
        return snprintf(err, errlen, "-netdev %s: id= is needed", v), -1;
    for (int i = 0; i < cfg->nnics && c->id[0]; i++)
        if (!strcmp(cfg->nics[i].net.id, c->id))
            return snprintf(err, errlen, "-netdev id=%s: used twice", c->id), -1;
    nic->plugged = which != RUN_NETDEV;
    cfg->nnics++;
    return 0;
}

int run_parse_net_device(const char *v, struct vm_config *cfg, char *err, size_t errlen)
{
    char buf[512], *items[16];
    int n = split(v, buf, sizeof(buf), items, 16);
    struct vm_nic *nic = NULL;
    uint8_t mac[6];
    bool has_mac = false, has_rom = false;
    char romfile[sizeof(((struct vm_nic *)0)->romfile)] = "";
    struct net_config sw = { 0 };      /* the switches given here */
    for (int i = 1; i < n; i++) {
        char *eq = strchr(items[i], '=');
        const char *val = eq ? eq + 1 : "";
        if (eq)
            *eq = 0;
        if (!strcmp(items[i], "netdev")) {
            for (int k = 0; k < cfg->nnics; k++)
                if (!strcmp(cfg->nics[k].net.id, val))
                    nic = &cfg->nics[k];
            if (!nic)
                return snprintf(err, errlen, "-device virtio-net-pci: no -netdev id=%s (give -netdev first)", val), -1;
        } else if (!strcmp(items[i], "mac")) {
            if (net_parse_mac(val, mac) < 0)
                return snprintf(err, errlen, "-device virtio-net-pci: mac=%s: not a unicast MAC address", val), -1;
            has_mac = true;
        } else if (nic_switch(&sw, items[i])) {
            bool on;
            if (bool_val(val, &on) < 0)
                return snprintf(err, errlen, "-device virtio-net-pci: %s=%s: expected on or off", items[i], val), -1;
            *nic_switch(&sw, items[i]) = on ? 1 : -1;
        } else if (!strcmp(items[i], "romfile")) {
            if (strlen(val) >= sizeof(romfile))
                return snprintf(err, errlen, "-device virtio-net-pci: romfile=%s: too long", val), -1;
            snprintf(romfile, sizeof(romfile), "%s", val);
            has_rom = true;
        } else if (!strcmp(items[i], "mq") && strcmp(val, "on"))
            return snprintf(err, errlen, "-device virtio-net-pci: mq=%s: vmon offers MQ whenever the "
                            "netdev has queues=N > 1 (only mq=on)", val), -1;
        else if (strcmp(items[i], "id") && strcmp(items[i], "mq"))
            return snprintf(err, errlen, "-device virtio-net-pci: unsupported option '%s'", items[i]), -1;
    }
    if (n <= 0 || !nic)
        return snprintf(err, errlen, "-device virtio-net-pci: netdev= is needed"), -1;
    if (nic->plugged)
        return snprintf(err, errlen, "-device virtio-net-pci: netdev %s already has a device", nic->net.id), -1;
    nic->plugged = true;
    static const char *const switches[] = { "mrg_rxbuf", "guest_tso4", "guest_tso6" };
    for (int i = 0; i < 3; i++)
        if (*nic_switch(&sw, switches[i]))
            *nic_switch(&nic->net, switches[i]) = *nic_switch(&sw, switches[i]);
    if (has_mac) {
        memcpy(nic->net.mac, mac, 6);
        nic->net.has_mac = true;
    }
    if (has_rom) {
        memcpy(nic->romfile, romfile, sizeof(romfile));
        nic->romfile_set = true;
    }
    return 0;
}

int run_check_nets(const struct vm_config *cfg, char *err, size_t errlen)
{
    for (int i = 0; i < cfg->nnics; i++)
        if (!cfg->nics[i].plugged)
            return snprintf(err, errlen, "-netdev id=%s: no -device virtio-net-pci,netdev=%s uses it",
                            cfg->nics[i].net.id, cfg->nics[i].net.id), -1;
    return 0;
}
