/* MC146818 RTC and CMOS memory (ports 0x70/0x71, IRQ 8), with the PC's memory-size bytes. */
#ifndef VMON_HW_RTC_H
#define VMON_HW_RTC_H

#include <stdint.h>

#include "hw/link.h"
#include "mm/bus.h"

#define RTC_PORT 0x70
#define RTC_IRQ 8

struct evloop;
struct rtc;

/* irq: its line (IRQ 8); its interrupts are timed on loop (NULL: no timer, for tests). */
struct rtc *rtc_new(const struct irq_line *irq, struct evloop *loop);
void rtc_free(struct rtc *r);
int rtc_map(struct rtc *r, struct bus *pio);
/* Fill the CMOS bytes firmware and old kernels read for the memory size (below and above 4 GiB). */
void rtc_set_mem_size(struct rtc *r, uint64_t low_end, uint64_t high_bytes);

/* Snapshots: save into the open section; load: 0, or -EINVAL for a bad section. */
struct vms_writer;
struct vms_reader;
void rtc_save(struct rtc *d, struct vms_writer *w);
int rtc_load(struct rtc *d, struct vms_reader *r);

#endif
