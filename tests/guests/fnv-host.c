/* Host twin of the C test guests' computations: prints what a guest must print.
 *   fnv-host hash STRING ROUNDS    "fnv1a=XXXXXXXX crc=XXXXXXXX" of a cmdline
 *   fnv-host lcg N                 the ring-3 loop's result as 16 hex digits */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fnv.h"

int main(int argc, char **argv)
{
    if (argc == 4 && !strcmp(argv[1], "hash")) {
        printf("fnv1a=%08x crc=%08x\n", fnv1a32(argv[2]),
               crc32_rounds(argv[2], (uint32_t)strtoul(argv[3], NULL, 0)));
        return 0;
    }
    if (argc == 3 && !strcmp(argv[1], "lcg")) {
        printf("%016llx\n", (unsigned long long)lcg_mix(strtoull(argv[2], NULL, 0)));
        return 0;
    }
    fprintf(stderr, "usage: fnv-host hash STRING ROUNDS | fnv-host lcg N\n");
    return 2;
}
