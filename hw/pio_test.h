/* Byte-wide port I/O for unit tests that drive devices through a PIO bus as a guest would: every
 * access must hit a mapped device, so a port a test gets wrong fails at once. Header-only, included
 * by *_test.c files after cmocka.h. */
#ifndef VMON_HW_PIO_TEST_H
#define VMON_HW_PIO_TEST_H

#include <stdint.h>
#include "mm/bus.h"

static inline void pio_outb(struct bus *pio, uint16_t port, uint8_t v)
{
    assert_true(bus_write(pio, port, v, 1));
}

static inline uint8_t pio_inb(struct bus *pio, uint16_t port)
{
    uint64_t v;
    assert_true(bus_read(pio, port, 1, &v));
    return (uint8_t)v;
}

#endif
