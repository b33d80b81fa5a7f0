/* ACPI fixed hardware (ACPI 6.4, 4.8.3 "PM1 Event/Control Registers", 4.8.3.3 "Power Management
 * Timer"): the guest powers off by writing SLP_TYP=S5 with SLP_EN to PM1a_CNT. Also the PIIX/ICH
 * reset-control register 0xcf9 (bit 2 starts the reset), which the FADT's RESET_REG can name.
 * No SMI_CMD port exists, so ACPI mode is always on: SCI_EN reads as 1 (ACPI 4.8.3.2.1).
 * Lock: p->lock, from vCPU threads. */
#include "hw/acpi-pm.h"
#include "migration/vmstate.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "util/eventloop.h"

#define PM1_TMR_STS 0x0001
#define PM1_PWRBTN_STS 0x0100
#define PM1_WAK_STS 0x8000
#define PM1_CNT_SCI_EN 0x0001
#define PM1_CNT_SLP_TYP_SHIFT 10
#define PM1_CNT_SLP_EN 0x2000

struct acpi_pm {
    struct irq_line sci;
    struct stop_link stop;
    pthread_mutex_t lock;
    uint16_t sts, en, cnt;
    uint64_t t0_ns;            /* when the timer read 0 */
    uint16_t base;             /* where PM1a_EVT decodes now (0: nowhere); changed by acpi_pm_move */
};

/* The PM timer's value at time now_ns (CLOCK_MONOTONIC), counting from creation. */
static uint32_t acpi_pm_timer_at(const struct acpi_pm *p, uint64_t now_ns)
{
    uint64_t ns = now_ns - p->t0_ns;
    /* ticks = ns * 3579545 / 1e9 without overflowing for centuries of uptime */
    uint64_t ticks = (ns / 1000000000ull) * PM_TIMER_HZ + (ns % 1000000000ull) * PM_TIMER_HZ / 1000000000ull;
    return (uint32_t)ticks;
}

static void update_sci(struct acpi_pm *p)
{
    irq_line_set(&p->sci, (p->sts & p->en) != 0);
}

void acpi_pm_power_button(struct acpi_pm *p)
{
    pthread_mutex_lock(&p->lock);
    p->sts |= PM1_PWRBTN_STS;
    update_sci(p);
    pthread_mutex_unlock(&p->lock);
}

/* The event block is 4 bytes: status at 0-1, enable at 2-3; accesses of 1, 2 or 4 bytes. */
static uint64_t evt_read(void *dev, uint64_t off, unsigned size)
{
    struct acpi_pm *p = dev;
    pthread_mutex_lock(&p->lock);
    uint32_t both = p->sts | ((uint32_t)p->en << 16);
    pthread_mutex_unlock(&p->lock);
    uint64_t v = both >> (off * 8);
    return size >= 4 ? v : v & ((1u << (size * 8)) - 1);
}

static void evt_write(void *dev, uint64_t off, uint64_t val, unsigned size)
{
    struct acpi_pm *p = dev;
    uint32_t mask = size >= 4 ? 0xffffffffu : (1u << (size * 8)) - 1;
    uint32_t v = (uint32_t)(val & mask) << (off * 8);
    mask <<= off * 8;
    pthread_mutex_lock(&p->lock);
    p->sts &= (uint16_t)~(v & mask & 0xffff);          /* status bits are write-1-to-clear */
    if (mask >> 16)
        p->en = (uint16_t)((p->en & ~(mask >> 16)) | (v >> 16));
    update_sci(p);
    pthread_mutex_unlock(&p->lock);
}

static uint64_t cnt_read(void *dev, uint64_t off, unsigned size)
{
    struct acpi_pm *p = dev;
    pthread_mutex_lock(&p->lock);
    uint64_t v = (uint64_t)(p->cnt | PM1_CNT_SCI_EN) >> (off * 8);
    pthread_mutex_unlock(&p->lock);
    return size >= 2 ? v : v & 0xff;
}

static void cnt_write(void *dev, uint64_t off, uint64_t val, unsigned size)
{
    struct acpi_pm *p = dev;
    uint16_t mask = size >= 2 ? 0xffff : (uint16_t)(0xff << (off * 8));
    uint16_t v = (uint16_t)(val << (off * 8)) & mask;
    pthread_mutex_lock(&p->lock);
    p->cnt = (uint16_t)((p->cnt & ~mask) | v);
    uint16_t cnt = p->cnt;
    /* SLP_EN is write-only: it triggers the transition and never reads back. */
    p->cnt &= (uint16_t)~PM1_CNT_SLP_EN;
    pthread_mutex_unlock(&p->lock);
    /* Soft off: the _S5 value of vmon's DSDT, or 0, QEMU's PIIX4 _S5, which firmware built for
     * QEMU writes without reading any DSDT (OVMF's ResetShutdown). */
    unsigned typ = (cnt >> PM1_CNT_SLP_TYP_SHIFT) & 7;
    if ((cnt & PM1_CNT_SLP_EN) && (typ == ACPI_S5_SLP_TYP || typ == 0))
        stop_link_request(&p->stop, STOP_REQ_POWEROFF, 0);
}

static uint64_t tmr_read(void *dev, uint64_t off, unsigned size)
{
    struct acpi_pm *p = dev;
    uint64_t v = (uint64_t)acpi_pm_timer_at(p, clock_now_ns()) >> (off * 8);
    return size >= 4 ? v : v & ((1u << (size * 8)) - 1);
}

static void reset_write(void *dev, uint64_t off, uint64_t val, unsigned size)
{
    struct acpi_pm *p = dev;
    (void)off; (void)size;
    if (val & 0x04)            /* RST_CPU; 0x02 (SYS_RST) picks a hard reset, same for us */
        stop_link_request(&p->stop, STOP_REQ_RESET, 0);
}

static uint64_t reset_read(void *dev, uint64_t off, unsigned size)
{
    (void)dev; (void)off; (void)size;
    return 0;
}

static const struct io_ops evt_ops = { .read = evt_read, .write = evt_write };
static const struct io_ops cnt_ops = { .read = cnt_read, .write = cnt_write };
static const struct io_ops tmr_ops = { .read = tmr_read };
static const struct io_ops reset_ops = { .read = reset_read, .write = reset_write };

struct acpi_pm *acpi_pm_new(const struct irq_line *sci, const struct stop_link *stop)
{
    struct acpi_pm *p = calloc(1, sizeof(*p));
    if (!p)
        return NULL;
    p->sci = *sci;
    p->stop = *stop;
    pthread_mutex_init(&p->lock, NULL);
    p->t0_ns = clock_now_ns();
    return p;
}

void acpi_pm_reset(struct acpi_pm *p)
{
    pthread_mutex_lock(&p->lock);
    p->sts = p->en = p->cnt = 0;
    update_sci(p);
    pthread_mutex_unlock(&p->lock);
}

int acpi_pm_move(struct acpi_pm *p, struct bus *pio, uint16_t base)
{
    if (base == p->base)
        return 0;
    if (p->base) {
        bus_unmap(pio, p->base);
        bus_unmap(pio, p->base + 4u);
        bus_unmap(pio, p->base + 8u);
        p->base = 0;
    }
    if (!base)
        return 0;
    int r;
    if ((r = bus_map(pio, base, 4, &evt_ops, p, "acpi-pm1a-evt")) < 0 ||
        (r = bus_map(pio, base + 4u, 2, &cnt_ops, p, "acpi-pm1a-cnt")) < 0 ||
        (r = bus_map(pio, base + 8u, 4, &tmr_ops, p, "acpi-pm-tmr")) < 0) {
        bus_unmap(pio, base);
        bus_unmap(pio, base + 4u);
        return r;
    }
    p->base = base;
    return 0;
}

int acpi_pm_map(struct acpi_pm *p, struct bus *pio)
{
    int r = bus_map(pio, RESET_CONTROL_PORT, 1, &reset_ops, p, "reset-control");
    return r < 0 ? r : acpi_pm_move(p, pio, ACPI_PM1A_EVT);
}

void acpi_pm_free(struct acpi_pm *p)
{
    if (!p)
        return;
    pthread_mutex_destroy(&p->lock);
    free(p);
}

/* ---- snapshots: PM1a status/enable/control and the PM timer's count (ACPI 6.5, 4.8.3), which goes
 * on from its saved value ---- */

void acpi_pm_save(struct acpi_pm *p, struct vms_writer *w)
{
    pthread_mutex_lock(&p->lock);
    vms_put_u16(w, p->sts);
    vms_put_u16(w, p->en);
    vms_put_u16(w, p->cnt);
    vms_put_u32(w, acpi_pm_timer_at(p, clock_now_ns()));
    pthread_mutex_unlock(&p->lock);
}

int acpi_pm_load(struct acpi_pm *p, struct vms_reader *r)
{
    uint16_t sts = vms_get_u16(r), en = vms_get_u16(r), cnt = vms_get_u16(r);
    uint32_t ticks = vms_get_u32(r);
    if (vms_reader_done(r) < 0)
        return -EINVAL;
    pthread_mutex_lock(&p->lock);
    p->sts = sts;
    p->en = en;
    p->cnt = cnt;
    p->t0_ns = clock_now_ns() - (uint64_t)ticks * 1000000000ull / PM_TIMER_HZ;
    update_sci(p);
    pthread_mutex_unlock(&p->lock);
    return 0;
}
