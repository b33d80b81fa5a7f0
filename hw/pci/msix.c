/* MSI-X table, PBA and masking (PCI Local Bus 3.0, 6.8.2.6-6.8.2.9). The table decodes dword and
 * qword accesses (6.8.2: naturally aligned); anything else reads as zeroes and writes nothing. */
#include "hw/pci/msix.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "migration/vmstate.h"
#include "util/bytes.h"

static uint16_t control(const struct msix *m)
{
    const uint8_t *c = m->d->cfg + m->cap + 2;
    return (uint16_t)(__atomic_load_n(&c[0], __ATOMIC_ACQUIRE) |
                      __atomic_load_n(&c[1], __ATOMIC_ACQUIRE) << 8);
}

bool msix_enabled(const struct msix *m)
{
    return m->d && (control(m) & MSIX_CTRL_ENABLE);
}

static bool masked_locked(const struct msix *m, unsigned v)
{
    return (control(m) & MSIX_CTRL_MASKALL) ||
           (get_le32(m->table + v * MSIX_ENTRY_SIZE + 12) & MSIX_ENTRY_MASKED);
}

/* Take vector v's message if it may go out now; otherwise leave it pending. */
static bool take_locked(struct msix *m, unsigned v, uint64_t *addr, uint32_t *data)
{
    if (masked_locked(m, v)) {
        m->pba |= 1ull << v;
        return false;
    }
    m->pba &= ~(1ull << v);
    const uint8_t *e = m->table + v * MSIX_ENTRY_SIZE;
    *addr = get_le32(e) | (uint64_t)get_le32(e + 4) << 32;
    *data = get_le32(e + 8);
    return true;
}

/* The eventfd that delivers (addr, data) for vector v, or -1 (send it instead). Lock held. */
static int route_fd_locked(struct msix *m, unsigned v, uint64_t addr, uint32_t data)
{
    const struct msi_link *l = &m->d->msi;
    struct msix_route *r = &m->route[v];
    if (!l->route_set || m->no_routes)
        return -1;
    if (r->id >= 0 && r->addr == addr && r->data == data)
        return r->fd;
    int fd = l->route_set(l->opaque, &r->id, addr, data);
    if (fd < 0) {
        if (r->id < 0)
            m->no_routes = true;       /* none to be had: do not ask at every interrupt */
        r->fd = -1;
        r->addr = ~0ull;               /* an existing route's message is unknown now: ask again */
        return -1;
    }
    r->fd = fd;
    r->addr = addr;
    r->data = data;
    return fd;
}

/* Vector v goes out now, or is left pending while masked. only_pending: only if its bit is set. */
static void deliver(struct msix *m, unsigned v, bool only_pending)
{
    uint64_t addr;
    uint32_t data;
    int fd = -1;
    pthread_mutex_lock(&m->lock);
    bool send = (!only_pending || (m->pba & 1ull << v)) && msix_enabled(m) &&
                take_locked(m, v, &addr, &data);
    if (send)
        fd = route_fd_locked(m, v, addr, data);
    pthread_mutex_unlock(&m->lock);
    if (!send)
        return;
    uint64_t one = 1;
    if (fd >= 0 && write(fd, &one, sizeof(one)) == (ssize_t)sizeof(one))
        return;
    msi_send(&m->d->msi, addr, data);
}

void msix_notify(struct msix *m, unsigned vector)
{
    if (vector >= m->nvec || !msix_enabled(m))
        return;
    deliver(m, vector, false);
}

/* Every pending vector that is no longer masked goes out (6.8.2.9). */
static void flush_pending(struct msix *m)
{
    for (unsigned v = 0; v < m->nvec; v++)
        deliver(m, v, true);
}

void msix_config_written(struct msix *m)
{
    flush_pending(m);
}

static uint64_t bar_read(void *dev, uint64_t off, unsigned size)
{
    struct msix *m = dev;
    uint64_t v = 0;
    if ((size != 4 && size != 8) || (off & (size - 1)))
        return 0;
    pthread_mutex_lock(&m->lock);
    if (off + size <= m->nvec * MSIX_ENTRY_SIZE) {
        memcpy(&v, m->table + off, size);
    } else if (off >= MSIX_PBA_OFFSET && off + size <= MSIX_PBA_OFFSET + 8) {
        v = m->pba >> (8 * (off - MSIX_PBA_OFFSET));
        if (size == 4)
            v &= 0xffffffffu;
    }
    pthread_mutex_unlock(&m->lock);
    return v;
}

static void bar_write(void *dev, uint64_t off, uint64_t val, unsigned size)
{
    struct msix *m = dev;
    if ((size != 4 && size != 8) || (off & (size - 1)) || off + size > m->nvec * MSIX_ENTRY_SIZE)
        return;                        /* the PBA is read-only (6.8.2.7) */
    pthread_mutex_lock(&m->lock);
    memcpy(m->table + off, &val, size);
    pthread_mutex_unlock(&m->lock);
    if ((off + size - 1) % MSIX_ENTRY_SIZE >= 12)   /* Vector Control written: maybe unmasked */
        flush_pending(m);
}

static const struct io_ops msix_bar_ops = { .read = bar_read, .write = bar_write };

int msix_init(struct msix *m, struct pci_dev *d, unsigned nvec, int bar)
{
    memset(m, 0, sizeof(*m));
    if (nvec < 1 || nvec > MSIX_MAX_VECTORS || bar < 0 || bar >= PCI_BARS)
        return -EINVAL;
    uint8_t at = pci_add_cap(d, PCI_CAP_ID_MSIX, 12);
    if (!at)
        return -ENOSPC;
    pthread_mutex_init(&m->lock, NULL);
    m->d = d;
    m->cap = at;
    m->nvec = nvec;
    for (unsigned v = 0; v < nvec; v++) {
        m->table[v * MSIX_ENTRY_SIZE + 12] = MSIX_ENTRY_MASKED;
        m->route[v] = (struct msix_route){ .id = -1, .fd = -1 };
    }
    uint16_t ctrl = (uint16_t)(nvec - 1);              /* Table Size is N - 1 */
    d->cfg[at + 2] = (uint8_t)ctrl;
    d->cfg[at + 3] = (uint8_t)(ctrl >> 8);
    d->wmask[at + 3] = (MSIX_CTRL_ENABLE | MSIX_CTRL_MASKALL) >> 8;
    uint32_t table = (uint32_t)bar, pba = MSIX_PBA_OFFSET | (uint32_t)bar;   /* offset | BIR */
    memcpy(d->cfg + at + 4, &table, 4);
    memcpy(d->cfg + at + 8, &pba, 4);
    pci_dev_set_bar(d, bar, MSIX_BAR_SIZE, false, &msix_bar_ops, m);
    d->msix = m;
    return 0;
}

void msix_destroy(struct msix *m)
{
    if (m->d) {
        for (unsigned v = 0; v < m->nvec; v++)
            if (m->route[v].id >= 0 && m->d->msi.route_free)
                m->d->msi.route_free(m->d->msi.opaque, m->route[v].id);
        pthread_mutex_destroy(&m->lock);
    }
    m->d = NULL;
}

/* ---- snapshots: the vector table and the pending bits (PCI 3.0 6.8.2); the eventfd routes are
 * asked again at the next message ---- */

void msix_save(struct msix *m, struct vms_writer *w)
{
    pthread_mutex_lock(&m->lock);
    vms_put_u32(w, m->nvec);
    vms_put_bytes(w, m->table, m->nvec * MSIX_ENTRY_SIZE);
    vms_put_u64(w, m->pba);
    pthread_mutex_unlock(&m->lock);
}

int msix_load(struct msix *m, struct vms_reader *r)
{
    if (vms_get_u32(r) != m->nvec)
        return -EINVAL;
    uint8_t table[MSIX_MAX_VECTORS * MSIX_ENTRY_SIZE];
    vms_get_bytes(r, table, m->nvec * MSIX_ENTRY_SIZE);
    uint64_t pba = vms_get_u64(r);
    if (r->err)                        /* what follows in the section is its owner's to check */
        return -EINVAL;
    pthread_mutex_lock(&m->lock);
    memcpy(m->table, table, m->nvec * MSIX_ENTRY_SIZE);
    m->pba = m->nvec >= 64 ? pba : pba & ((1ull << m->nvec) - 1);
    pthread_mutex_unlock(&m->lock);
    return 0;
}
