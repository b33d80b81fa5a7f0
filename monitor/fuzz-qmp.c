/* libFuzzer target over the QMP stream parser and dispatcher (monitor/qmp.c's qmp_feed, every command
 * including human-monitor-command into monitor/hmp.c and x-vmon-translate's page walk) on a VM
 * without vCPU threads: make fuzz-qmp [FUZZ_TIME=600]. Every reply must be one JSON object with
 * "return" or "error" (or an "event": the snapshot jobs' JOB_STATUS_CHANGE after their reply). The first byte picks how the rest is cut into reads and whether the session
 * starts negotiated. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "machine/vm.h"
#include "monitor/qmp.h"

#define FUZZ_RAM (2u << 20)

/* vCPU 0 in 4-level paging with its tables at 0x1000 (a PML4 whose entries the input wrote). */
static int fuzz_get_state(struct vcpu *v, struct cpu_state *s)
{
    memset(s, 0, sizeof(*s));
    s->cr0 = 0x80000011;
    s->cr4 = v->id ? 0x1020 : 0x20;   /* vCPU 1: 5-level */
    s->efer = 0x500;
    s->cr3 = 0x1000;
    s->rip = 0x2000;
    s->seg[SEG_CS].l = 1;
    return 0;
}

static const struct accel_ops fuzz_ops = { .name = "fuzz", .get_state = fuzz_get_state };

static void check_reply(void *opaque, const char *line)
{
    (void)opaque;
    struct json_object *o = json_tokener_parse(line);
    if (!o || !json_object_is_type(o, json_type_object) ||
        (!json_object_object_get_ex(o, "return", NULL) && !json_object_object_get_ex(o, "error", NULL) &&
         !json_object_object_get_ex(o, "event", NULL)))
        abort();
    json_object_put(o);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct vm *vm;
    if (!vm) {
        vm = calloc(1, sizeof(*vm));
        if (!vm || guest_mem_init(&vm->mem, FUZZ_RAM) < 0)
            abort();
        bus_init(&vm->pio, "pio");
        bus_init(&vm->mmio, "mmio");
        vm->accel = &fuzz_ops;
        vm->ncpus = 2;
        vm->cfg.no_reboot = true;      /* no main thread here to do an in-place reset */
        for (int i = 0; i < 2; i++)
            vm->vcpus[i] = (struct vcpu){ .vm = vm, .id = i };
    }
    /* A fresh run state per input; the page tables come from the input's tail (up to 4 KiB). */
    atomic_store(&vm->stop_reason, VCPU_CONTINUE);
    atomic_store(&vm->run_state, VM_STATE_RUNNING);
    atomic_store(&vm->leave, 0);
    uint8_t page[4096] = { 0 };
    size_t tail = size > 64 ? (size - 64 < sizeof(page) ? size - 64 : sizeof(page)) : 0;
    memcpy(page, data + size - tail, tail);
    guest_mem_write(&vm->mem, 0x1000, page, sizeof(page));
    if (!size)
        return 0;
    uint8_t mode = data[0];
    data++;
    size--;
    struct qmp_session s;
    if (qmp_session_init(&s, vm, "7.2.0") < 0)
        abort();
    if (mode & 1)
        s.command_mode = true;
    size_t chunk = (mode >> 1) ? (mode >> 1) : size;    /* reads of 1..127 bytes, or all at once */
    for (size_t off = 0; off < size; off += chunk)
        qmp_feed(&s, (const char *)data + off, size - off < chunk ? size - off : chunk, check_reply, NULL);
    qmp_session_fini(&s);
    return 0;
}
