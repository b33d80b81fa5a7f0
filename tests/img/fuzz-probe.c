/* libFuzzer target: block/probe.c's magic tests over any first bytes and any file name. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "block/probe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* The first byte picks a file name ending (dmg matches by name); the rest is the file's start. */
    static const char *const names[] = { "x.dmg", "x.qcow2", ".dmg", "dmg", "" };
    if (!size)
        return 0;
    const char *name = names[data[0] % 5];
    uint8_t *copy = malloc(size - 1 ? size - 1 : 1);   /* exact size: ASan sees any over-read */
    memcpy(copy, data + 1, size - 1);
    int score;
    const char *fmt = blk_probe_foreign(copy, size - 1, name, &score);
    if ((fmt != NULL) != (score > 0))
        abort();
    free(copy);
    return 0;
}
