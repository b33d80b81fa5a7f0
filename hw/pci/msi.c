/* MSI's registers and masking (PCI Local Bus 3.0, 6.8.1.1-6.8.1.8): the layout follows the 64-bit
 * and per-vector-masking flags; the guest's writes reach the capability through config space
 * (wmask), and the pending bits are the device's (read-only to the guest). */
#include "hw/pci/msi.h"

#include <errno.h>
#include <string.h>

static uint32_t cfg32(const struct msi_cap *m, unsigned off)
{
    const uint8_t *p = m->d->cfg + m->cap + off;
    uint32_t v = 0;
    for (int i = 0; i < 4; i++)
        v |= (uint32_t)__atomic_load_n(&p[i], __ATOMIC_ACQUIRE) << (8 * i);
    return v;
}

static void set_cfg32(struct msi_cap *m, unsigned off, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        __atomic_store_n(&m->d->cfg[m->cap + off + i], (uint8_t)(v >> (8 * i)), __ATOMIC_RELEASE);
}

static uint16_t control(const struct msi_cap *m) { return (uint16_t)cfg32(m, 2); }
static unsigned data_off(const struct msi_cap *m) { return m->is64 ? 12 : 8; }
static unsigned mask_off(const struct msi_cap *m) { return data_off(m) + 4; }
static unsigned pending_off(const struct msi_cap *m) { return data_off(m) + 8; }

bool msi_cap_enabled(const struct msi_cap *m)
{
    return m->d && (control(m) & MSI_CTRL_ENABLE);
}

unsigned msi_cap_vectors(const struct msi_cap *m)
{
    unsigned mme = (control(m) >> 4) & 7;
    unsigned n = mme > 5 ? 32 : 1u << mme;
    return n < m->nvec ? n : m->nvec;
}

/* Vector v's message if it may go out now; otherwise its pending bit is set. Lock held. */
static bool take_locked(struct msi_cap *m, unsigned v, uint64_t *addr, uint32_t *data)
{
    uint32_t bit = 1u << v;
    if (m->maskable && (cfg32(m, mask_off(m)) & bit)) {
        set_cfg32(m, pending_off(m), cfg32(m, pending_off(m)) | bit);
        return false;
    }
    if (m->maskable)
        set_cfg32(m, pending_off(m), cfg32(m, pending_off(m)) & ~bit);
    *addr = cfg32(m, 4) & ~3u;
    if (m->is64)
        *addr |= (uint64_t)cfg32(m, 8) << 32;
    unsigned n = msi_cap_vectors(m);
    *data = ((cfg32(m, data_off(m)) & 0xffff) & ~(n - 1)) | v;   /* 6.8.1.6: v in the low bits */
    return true;
}

static void deliver(struct msi_cap *m, unsigned v, bool only_pending)
{
    uint64_t addr;
    uint32_t data;
    pthread_mutex_lock(&m->lock);
    bool send = msi_cap_enabled(m) && v < msi_cap_vectors(m) &&
                (!only_pending || (m->maskable && (cfg32(m, pending_off(m)) >> v & 1))) &&
                take_locked(m, v, &addr, &data);
    pthread_mutex_unlock(&m->lock);
    if (send)
        msi_send(&m->d->msi, addr, data);
}

void msi_cap_notify(struct msi_cap *m, unsigned vector)
{
    if (m->d && vector < MSI_MAX_VECTORS)
        deliver(m, vector, false);
}

void msi_cap_config_written(struct msi_cap *m)
{
    if (!m->maskable)
        return;
    for (unsigned v = 0; v < m->nvec; v++)
        deliver(m, v, true);
}

int msi_cap_init(struct msi_cap *m, struct pci_dev *d, unsigned nvec, bool is64, bool maskable)
{
    memset(m, 0, sizeof(*m));
    if (nvec < 1 || nvec > MSI_MAX_VECTORS || (nvec & (nvec - 1)))
        return -EINVAL;
    uint8_t len = (uint8_t)((is64 ? 14 : 10) + (maskable ? 10 : 0));
    uint8_t at = pci_add_cap(d, PCI_CAP_ID_MSI, len);
    if (!at)
        return -ENOSPC;
    pthread_mutex_init(&m->lock, NULL);
    m->d = d;
    m->cap = at;
    m->is64 = is64;
    m->maskable = maskable;
    m->nvec = nvec;
    unsigned mmc = 0;
    while ((1u << mmc) < nvec)
        mmc++;
    uint16_t ctrl = (uint16_t)(mmc << 1 | (is64 ? MSI_CTRL_64BIT : 0) | (maskable ? MSI_CTRL_MASKABLE : 0));
    d->cfg[at + 2] = (uint8_t)ctrl;
    d->cfg[at + 3] = (uint8_t)(ctrl >> 8);
    d->wmask[at + 2] = 0x71;           /* enable, Multiple Message Enable */
    d->wmask[at + 4] = 0xfc;           /* the address is dword aligned */
    memset(d->wmask + at + 5, 0xff, is64 ? 7 : 3);
    unsigned dat = at + data_off(m);
    d->wmask[dat] = d->wmask[dat + 1] = 0xff;
    if (maskable) {
        uint32_t bits = nvec == 32 ? ~0u : (1u << nvec) - 1;
        for (int i = 0; i < 4; i++)
            d->wmask[at + mask_off(m) + i] = (uint8_t)(bits >> (8 * i));
    }
    d->msi_cap = m;
    return 0;
}

void msi_cap_destroy(struct msi_cap *m)
{
    if (m->d) {
        m->d->msi_cap = NULL;
        pthread_mutex_destroy(&m->lock);
    }
    m->d = NULL;
}
