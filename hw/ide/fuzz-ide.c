/* libFuzzer target over the IDE controller's guest-facing paths: task-file and control registers,
 * ATA commands by PIO and DMA, ATAPI packets, the bus-master registers and PRD tables in guest
 * memory. The input is a program: each step picks a register and a value, a data-port burst, or
 * bytes written into guest RAM (where PRD tables and packets may point). A small disk and CD with
 * memory backends; a failing backend is one of the choices. make fuzz-ide [FUZZ_TIME=600] */
#include <stddef.h>
#include <stdint.h>

#include "hw/ide/ide-rig.h"

static const uint16_t ports[] = { 0x1f0, 0x1f1, 0x1f2, 0x1f3, 0x1f4, 0x1f5, 0x1f6, 0x1f7, 0x3f6,
                                  0x170, 0x171, 0x172, 0x173, 0x174, 0x175, 0x176, 0x177, 0x376,
                                  0xc000, 0xc002, 0xc004, 0xc008, 0xc00a, 0xc00c };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct rig r;
    static int ready;
    if (!ready) {
        if (rig_init(&r, 64, 16) < 0)
            return 0;
        ready = 1;
    }
    ide_reset(r.c);
    r.disk.fail = r.cd.fail = 0;
    size_t i = 0;
    while (i + 3 <= size) {
        uint8_t op = data[i], a = data[i + 1], b = data[i + 2];
        i += 3;
        uint16_t port = ports[a % (sizeof(ports) / sizeof(ports[0]))];
        unsigned sz = 1u << ((op >> 4) & 3);
        if (sz == 8)
            sz = 4;
        switch (op & 7) {
        case 0: case 1:                /* a register write */
            rig_out(&r, port, b | (uint32_t)b << 8 | (uint32_t)b << 16, sz);
            break;
        case 2:                        /* a register read */
            rig_in(&r, port, sz);
            break;
        case 3:                        /* a data-port burst: b words read */
            for (unsigned k = 0; k < b * 4u; k++)
                rig_in(&r, a & 1 ? 0x170 : 0x1f0, 2);
            break;
        case 4:                        /* a data-port burst of writes */
            for (unsigned k = 0; k < b * 4u; k++)
                rig_out(&r, a & 1 ? 0x170 : 0x1f0, k * 0x0101u + b, 2);
            break;
        case 5: {                      /* guest RAM: up to 16 bytes at page a, offset b */
            size_t n = size - i < 16 ? size - i : 16;
            guest_mem_write(&r.mem, (uint64_t)a << 12 | b, data + i, n);
            i += n;
            break;
        }
        case 6:                        /* a PRD table address (dword): in RAM or just past it */
            rig_out(&r, a & 1 ? 0xc00c : 0xc004, ((uint32_t)b << 12 | (uint32_t)a << 4) & 0x1ffff0u, 4);
            break;
        default:                       /* the backends fail from now on */
            r.disk.fail = r.cd.fail = b & 1;
            break;
        }
    }
    return 0;
}
