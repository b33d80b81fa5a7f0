/* isa-debug-exit (QEMU hw/misc/debugexit.c semantics): test kernels report pass/fail through it. */
#include "hw/debug-exit.h"

int debug_exit_status(uint64_t val)
{
    return (int)(((val << 1) | 1) & 0xff);
}

/* A write of any width, at any offset of the window, ends the VM; reads see nothing there. */
static void debug_exit_write(void *dev, uint64_t off, uint64_t val, unsigned size)
{
    (void)off;
    if (size < 8)
        val &= (1ull << (size * 8)) - 1;
    stop_link_request(dev, STOP_REQ_DEBUG_EXIT, debug_exit_status(val));
}

static uint64_t debug_exit_read(void *dev, uint64_t off, unsigned size)
{
    (void)dev; (void)off; (void)size;
    return 0;
}

const struct io_ops debug_exit_io_ops = { .read = debug_exit_read, .write = debug_exit_write };
