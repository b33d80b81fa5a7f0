/* FNV-1a and CRC-32, written once for the guest (freestanding) and the host (tests compare them). */
#include "fnv.h"

uint32_t fnv1a32(const char *s)
{
    uint32_t h = 0x811c9dc5u;
    while (*s) {
        h ^= (uint8_t)*s++;
        h *= 0x01000193u;
    }
    return h;
}

static uint32_t crc32_update(uint32_t crc, uint8_t b)
{
    crc ^= b;
    for (int k = 0; k < 8; k++)
        crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1)));
    return crc;
}

uint32_t crc32_rounds(const char *s, uint32_t rounds)
{
    uint32_t prev = 0;
    for (uint32_t r = 0; r < rounds; r++) {
        uint32_t crc = 0xffffffffu;
        for (const char *p = s; *p; p++)
            crc = crc32_update(crc, (uint8_t)*p);
        for (int i = 0; i < 4; i++)
            crc = crc32_update(crc, (uint8_t)(prev >> (8 * i)));
        prev = ~crc;
    }
    return prev;
}

uint64_t lcg_mix(uint64_t n)
{
    uint64_t x = 1, acc = 0;
    for (uint64_t i = 0; i < n; i++) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        acc ^= x >> 17;
        acc = (acc << 5) | (acc >> 59);
    }
    return acc;
}
