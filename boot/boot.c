/* Placeholder until the loaders land (issue 2). */
#include <stdio.h>
#include "boot/boot.h"
int boot_load(struct vm *vm, char *err, size_t errlen)
{
    (void)vm;
    snprintf(err, errlen, "kernel loaders are not built yet");
    return -1;
}
