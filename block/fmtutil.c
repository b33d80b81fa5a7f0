/* Helpers shared by the foreign image formats: CRC-32C (RFC 3720 B.4 polynomial), GUID text, randomness. */
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "block/fmtutil.h"

uint32_t fu_crc32c(uint32_t crc, const void *buf, size_t len)
{
    const uint8_t *p = buf;
    crc = ~crc;
    while (len--) {
        crc ^= *p++;
        for (int k = 0; k < 8; k++)
            crc = (crc >> 1) ^ (0x82f63b78u & (0u - (crc & 1)));
    }
    return ~crc;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return 0;
}

void fu_guid(const char *text, uint8_t out[16])
{
    uint8_t b[16];
    int n = 0;
    for (const char *p = text; *p && p[1] && n < 16; p++) {
        if (*p == '-')
            continue;
        b[n++] = (uint8_t)(hexval(p[0]) << 4 | hexval(p[1]));
        p++;
    }
    static const int order[16] = { 3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15 };
    for (int i = 0; i < 16; i++)
        out[i] = b[order[i]];
}

void fu_random(void *buf, size_t len)
{
    if (getrandom(buf, len, 0) == (ssize_t)len)
        return;
    unsigned seed = (unsigned)time(NULL) ^ (unsigned)getpid();
    for (size_t i = 0; i < len; i++)
        ((uint8_t *)buf)[i] = (uint8_t)rand_r(&seed);
}
