/* libFuzzer target over fw_cfg's guest interface (port and DMA): the input is a script of port
 * accesses and the first 64 KiB of guest RAM, where the DMA records and their targets live.
 * Each 8-byte op: u8 kind (0 select, 1 data read, 2 DMA high half, 3 DMA low half = start, 4 DMA
 * signature read), u8 size, u16 unused, u32 value; then the rest of the input is RAM's contents. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "hw/fw_cfg.h"
#include "mm/memory.h"

#define RAM (64u << 10)
#define MAX_OPS 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    if (len < 1)
        return 0;
    size_t nops = data[0] % (MAX_OPS + 1);
    data++;
    len--;
    if (len < nops * 8)
        nops = len / 8;
    struct guest_mem m;
    if (guest_mem_init(&m, RAM) < 0)
        return 0;
    size_t ram_bytes = len - nops * 8 < RAM ? len - nops * 8 : RAM;
    guest_mem_write(&m, 0, data + nops * 8, ram_bytes);
    struct fw_cfg *f = fw_cfg_new();
    static const char big[5000] = "file contents";
    if (!f || fw_cfg_enable_dma(f, &m) < 0 || fw_cfg_add_file(f, "etc/a", "abc", 3) < 0 ||
        fw_cfg_add_file(f, "etc/big", big, sizeof(big)) < 0 || fw_cfg_add_u32(f, 0x05, 2) < 0)
        goto out;
    for (size_t i = 0; i < nops; i++) {
        const uint8_t *op = data + i * 8;
        unsigned size = 1u << (op[1] & 3);
        uint32_t v;
        memcpy(&v, op + 4, 4);
        switch (op[0] % 5) {
        case 0: fw_cfg_io_ops.write(f, 0, v, size); break;
        case 1: (void)fw_cfg_io_ops.read(f, 1, size); break;
        case 2: fw_cfg_dma_io_ops.write(f, op[2] & 7, v, size); break;
        case 3: fw_cfg_dma_io_ops.write(f, 4, v, size); break;
        default: (void)fw_cfg_dma_io_ops.read(f, op[2] & 7, size); break;
        }
    }
out:
    fw_cfg_free(f);
    guest_mem_destroy(&m);
    return 0;
}
