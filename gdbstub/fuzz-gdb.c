/* libFuzzer target over the gdbstub's receiver and dispatcher: the input is the byte stream a
 * debugger would send (make fuzz-gdb FUZZ_TIME=600). Every packet it frames goes to gdb_handle
 * against a fake machine (fake-machine.h); the replies are framed as the server would. The
 * sanitizers catch any out-of-bounds access, overflow or undefined behaviour. */
#include <stdlib.h>

#include "gdbstub/fake-machine.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct fake_machine m;      /* large: kept off the stack, reset per input */
    static struct gdb_rx rx;
    static char reply[GDB_REPLY_MAX + 1], out[2 * GDB_REPLY_MAX + 8];
    struct gdb_ops ops;
    struct gdb_session s;
    memset(&m, 0, sizeof(m));
    m.no_hw_debug = size && (data[0] & 1);
    fake_ops(&m, &ops);
    gdb_session_init(&s, &ops, FAKE_CPUS, !(size && (data[0] & 2)));
    gdb_rx_init(&rx);
    for (size_t i = 0; i < size; i++) {
        enum gdb_rx_event ev = gdb_rx_byte(&rx, data[i]);
        if (ev == GDB_RX_INTERRUPT) {
            size_t n = gdb_stop_reply(&s, (int)(i % 4) - 1, 2, NULL, reply, sizeof(reply));
            gdb_frame(reply, n, out, sizeof(out));
        }
        if (ev != GDB_RX_PACKET)
            continue;
        size_t len;
        enum gdb_action a = gdb_handle(&s, rx.buf, rx.len, reply, &len);
        if (len > GDB_REPLY_MAX)
            abort();
        gdb_frame(reply, len, out, sizeof(out));
        if (a == GDB_ACT_RESUMED) {
            struct vcpu_debug_event e = { (int)(i % 4), (unsigned)(data[i] & 15) };
            size_t n = gdb_stop_reply(&s, (int)(i % 3), 5, &e, reply, sizeof(reply));
            gdb_frame(reply, n, out, sizeof(out));
        }
    }
    gdb_session_clear(&s);
    return 0;
}
