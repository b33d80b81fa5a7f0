/* MC146818A real-time clock with 128 bytes of CMOS (Motorola MC146818A datasheet): time of day from
 * the host clock plus an offset the guest sets by writing the time registers, BCD or binary, 12 or
 * 24 hour; periodic, alarm and update-ended interrupts on IRQ 8 through one event-loop timer.
 * Lock: r->lock, from vCPU threads and the event loop (timer); the IRQ line is set inside it. */
#include "hw/rtc.h"
#include "migration/vmstate.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/eventloop.h"

enum { SEC = 0, SEC_ALARM = 1, MIN = 2, MIN_ALARM = 3, HOUR = 4, HOUR_ALARM = 5, WDAY = 6,
       MDAY = 7, MONTH = 8, YEAR = 9, REG_A = 10, REG_B = 11, REG_C = 12, REG_D = 13,
       CENTURY = 0x32 };

#define A_UIP 0x80
#define B_SET 0x80
#define B_PIE 0x40
#define B_AIE 0x20
#define B_UIE 0x10
#define B_DM_BINARY 0x04
#define B_24H 0x02
#define C_IRQF 0x80
#define C_PF 0x40
#define C_AF 0x20
#define C_UF 0x10
#define D_VRT 0x80

struct rtc {
    struct irq_line irq_line;
    pthread_mutex_t lock;
    uint8_t cmos[128];
    uint8_t index;
    int64_t offset_s;          /* guest time - host time, seconds */
    uint64_t next_periodic_ns, next_second_ns;
    struct evtimer *timer;
};

static uint8_t to_reg(const struct rtc *r, int v)
{
    return (r->cmos[REG_B] & B_DM_BINARY) ? (uint8_t)v : (uint8_t)(((v / 10) << 4) | (v % 10));
}

static int from_reg(const struct rtc *r, uint8_t v)
{
    return (r->cmos[REG_B] & B_DM_BINARY) ? v : ((v >> 4) * 10 + (v & 0xf));
}

static time_t guest_now(const struct rtc *r)
{
    return time(NULL) + r->offset_s;
}

static uint8_t hour_to_reg(const struct rtc *r, int h)
{
    if (r->cmos[REG_B] & B_24H)
        return to_reg(r, h);
    int h12 = h % 12 ? h % 12 : 12;
    return (uint8_t)(to_reg(r, h12) | (h >= 12 ? 0x80 : 0));
}

static int hour_from_reg(const struct rtc *r, uint8_t v)
{
    if (r->cmos[REG_B] & B_24H)
        return from_reg(r, v);
    int h = from_reg(r, v & 0x7f) % 12;
    return (v & 0x80) ? h + 12 : h;
}

/* Copy the current guest time into the time registers (unless the guest holds SET). */
static void latch_time(struct rtc *r)
{
    if (r->cmos[REG_B] & B_SET)
        return;
    time_t t = guest_now(r);
    struct tm tm;
    gmtime_r(&t, &tm);
    r->cmos[SEC] = to_reg(r, tm.tm_sec);
    r->cmos[MIN] = to_reg(r, tm.tm_min);
    r->cmos[HOUR] = hour_to_reg(r, tm.tm_hour);
    r->cmos[WDAY] = to_reg(r, tm.tm_wday + 1);
    r->cmos[MDAY] = to_reg(r, tm.tm_mday);
    r->cmos[MONTH] = to_reg(r, tm.tm_mon + 1);
    /* Century 0 (a guest may write it) puts the clock before 1900: tm_year is negative there, so
     * the registers are worked out from the year itself (never below 0 from the registers). */
    int year = tm.tm_year + 1900 < 0 ? 0 : tm.tm_year + 1900;
    r->cmos[YEAR] = to_reg(r, year % 100);
    r->cmos[CENTURY] = to_reg(r, year / 100);
}

/* The guest wrote the time registers: the clock now runs from what they say. */
static void adopt_time(struct rtc *r)
{
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    tm.tm_sec = from_reg(r, r->cmos[SEC]);
    tm.tm_min = from_reg(r, r->cmos[MIN]);
    tm.tm_hour = hour_from_reg(r, r->cmos[HOUR]);
    tm.tm_mday = from_reg(r, r->cmos[MDAY]);
    tm.tm_mon = from_reg(r, r->cmos[MONTH]) - 1;
    tm.tm_year = from_reg(r, r->cmos[CENTURY]) * 100 + from_reg(r, r->cmos[YEAR]) - 1900;
    time_t t = timegm(&tm);
    if (t != (time_t)-1)
        r->offset_s = (int64_t)(t - time(NULL));
}

static void update_irq(struct rtc *r)
{
    uint8_t c = r->cmos[REG_C] & (C_PF | C_AF | C_UF);
    bool level = c & (r->cmos[REG_B] & (B_PIE | B_AIE | B_UIE));
    r->cmos[REG_C] = (uint8_t)(c | (level ? C_IRQF : 0));
    irq_line_set(&r->irq_line, level);
}

/* Periodic rate from register A's rate bits: 32768 Hz >> (rate - 1), rates 1 and 2 as 3 and 4. */
static uint64_t periodic_ns(const struct rtc *r)
{
    unsigned rate = r->cmos[REG_A] & 0xf;
    if (!rate)
        return 0;
    if (rate < 3)
        rate += 7;
    return 1000000000ull * (1u << (rate - 1)) / 32768;
}

static void rearm_locked(struct rtc *r)
{
    if (!r->timer)
        return;                /* no event loop (unit tests): no interrupts from the clock */
    uint64_t now = clock_now_ns(), next = 0;
    uint64_t period = periodic_ns(r);
    if ((r->cmos[REG_B] & B_PIE) && period) {
        if (r->next_periodic_ns <= now)
            r->next_periodic_ns = now + period;
        next = r->next_periodic_ns;
    }
    if (r->cmos[REG_B] & (B_UIE | B_AIE)) {
        if (r->next_second_ns <= now)
            r->next_second_ns = now + 1000000000ull - now % 1000000000ull;
        if (!next || r->next_second_ns < next)
            next = r->next_second_ns;
    }
    evtimer_arm(r->timer, next);
}

static void rtc_tick(void *opaque)
{
    struct rtc *r = opaque;
    uint64_t now = clock_now_ns();
    pthread_mutex_lock(&r->lock);
    if (r->next_periodic_ns && r->next_periodic_ns <= now) {
        r->cmos[REG_C] |= C_PF;
        r->next_periodic_ns += periodic_ns(r);
    }
    if (r->next_second_ns && r->next_second_ns <= now) {
        r->cmos[REG_C] |= C_UF;
        r->next_second_ns += 1000000000ull;
        latch_time(r);
        if (r->cmos[SEC_ALARM] == r->cmos[SEC] && r->cmos[MIN_ALARM] == r->cmos[MIN] &&
            r->cmos[HOUR_ALARM] == r->cmos[HOUR])
            r->cmos[REG_C] |= C_AF;
    }
    update_irq(r);
    rearm_locked(r);
    pthread_mutex_unlock(&r->lock);
}

static uint64_t rtc_read(void *dev, uint64_t off, unsigned size)
{
    struct rtc *r = dev;
    (void)size;
    if (off == 0)
        return 0xff;           /* the index port is write-only */
    pthread_mutex_lock(&r->lock);
    uint8_t idx = r->index, v;
    if (idx <= YEAR || idx == CENTURY)
        latch_time(r);
    v = r->cmos[idx];
    if (idx == REG_C) {        /* reading C acknowledges the interrupt */
        r->cmos[REG_C] = 0;
        update_irq(r);
    }
    pthread_mutex_unlock(&r->lock);
    return v;
}

static void rtc_write(void *dev, uint64_t off, uint64_t val, unsigned size)
{
    struct rtc *r = dev;
    uint8_t v = (uint8_t)val;
    (void)size;
    pthread_mutex_lock(&r->lock);
    if (off == 0) {
        r->index = v & 0x7f;   /* bit 7 is the NMI mask, not part of the index */
        pthread_mutex_unlock(&r->lock);
        return;
    }
    switch (r->index) {
    case REG_A:
        r->cmos[REG_A] = v & 0x7f;   /* UIP is read-only */
        r->next_periodic_ns = 0;
        rearm_locked(r);
        break;
    case REG_B: {
        bool was_set = r->cmos[REG_B] & B_SET;
        if (!was_set && (v & B_SET))
            latch_time(r);     /* freeze the registers at the current time, for the guest to edit */
        r->cmos[REG_B] = v;
        if (was_set && !(v & B_SET))
            adopt_time(r);
        update_irq(r);
        rearm_locked(r);
        break;
    }
    case REG_C: case REG_D:
        break;                 /* read-only */
    case SEC: case MIN: case HOUR: case WDAY: case MDAY: case MONTH: case YEAR: case CENTURY:
        if (!(r->cmos[REG_B] & B_SET))
            latch_time(r);
        r->cmos[r->index] = v;
        if (!(r->cmos[REG_B] & B_SET))
            adopt_time(r);
        break;
    default:
        r->cmos[r->index] = v;
        break;
    }
    pthread_mutex_unlock(&r->lock);
}

static const struct io_ops rtc_ops = { .read = rtc_read, .write = rtc_write };

struct rtc *rtc_new(const struct irq_line *irq, struct evloop *loop)
{
    struct rtc *r = calloc(1, sizeof(*r));
    if (!r)
        return NULL;
    r->irq_line = *irq;
    pthread_mutex_init(&r->lock, NULL);
    r->cmos[REG_A] = 0x26;     /* 32.768 kHz time base, 1024 Hz periodic rate */
    r->cmos[REG_B] = B_24H;    /* BCD, 24-hour: what PC firmware leaves */
    r->cmos[REG_D] = D_VRT;    /* the battery is good */
    if (loop && !(r->timer = evtimer_new(loop, rtc_tick, r))) {
        rtc_free(r);
        return NULL;
    }
    return r;
}

void rtc_set_mem_size(struct rtc *r, uint64_t low_end, uint64_t high_bytes)
{
    /* Bytes 0x15-0x18/0x30-0x31: base and extended memory in KiB; 0x34-0x35: RAM above 16 MiB in
     * 64 KiB units; 0x5b-0x5d: RAM above 4 GiB in 64 KiB units (as SeaBIOS reads them). */
    uint64_t ext_kb = low_end > (1u << 20) ? (low_end - (1u << 20)) / 1024 : 0;
    if (ext_kb > 0xfc00)
        ext_kb = 0xfc00;
    uint64_t above16 = low_end > (16u << 20) ? (low_end - (16u << 20)) >> 16 : 0;
    if (above16 > 0xffff)
        above16 = 0xffff;
    uint64_t above4g = high_bytes >> 16;
    pthread_mutex_lock(&r->lock);
    r->cmos[0x15] = 640 & 0xff;
    r->cmos[0x16] = 640 >> 8;
    r->cmos[0x17] = r->cmos[0x30] = (uint8_t)ext_kb;
    r->cmos[0x18] = r->cmos[0x31] = (uint8_t)(ext_kb >> 8);
    r->cmos[0x34] = (uint8_t)above16;
    r->cmos[0x35] = (uint8_t)(above16 >> 8);
    r->cmos[0x5b] = (uint8_t)above4g;
    r->cmos[0x5c] = (uint8_t)(above4g >> 8);
    r->cmos[0x5d] = (uint8_t)(above4g >> 16);
    pthread_mutex_unlock(&r->lock);
}

int rtc_map(struct rtc *r, struct bus *pio)
{
    return bus_map(pio, RTC_PORT, 2, &rtc_ops, r, "rtc");
}

void rtc_free(struct rtc *r)
{
    if (!r)
        return;
    evtimer_free(r->timer);
    pthread_mutex_destroy(&r->lock);
    free(r);
}

/* ---- snapshots: the CMOS bytes, the index register and the guest's offset from host time (the
 * clock reads the host's wall time after a restore, as a resumed machine's does) ---- */

void rtc_save(struct rtc *r, struct vms_writer *w)
{
    pthread_mutex_lock(&r->lock);
    vms_put_bytes(w, r->cmos, sizeof(r->cmos));
    vms_put_u8(w, r->index);
    vms_put_u64(w, (uint64_t)r->offset_s);
    pthread_mutex_unlock(&r->lock);
}

int rtc_load(struct rtc *r, struct vms_reader *rd)
{
    uint8_t cmos[128];
    vms_get_bytes(rd, cmos, sizeof(cmos));
    uint8_t index = vms_get_u8(rd);
    int64_t offset = (int64_t)vms_get_u64(rd);
    if (vms_reader_done(rd) < 0 || offset > (INT64_C(1) << 40) || offset < -(INT64_C(1) << 40))
        return -EINVAL;
    pthread_mutex_lock(&r->lock);
    memcpy(r->cmos, cmos, sizeof(cmos));
    r->index = index & 0x7f;
    r->offset_s = offset;
    r->next_periodic_ns = r->next_second_ns = 0;
    update_irq(r);
    rearm_locked(r);
    pthread_mutex_unlock(&r->lock);
    return 0;
}
