/* /proc/self/pagemap reader: one 8-byte entry per host page, bit 63 present, bit 62 swapped, bits
 * 0-54 the page frame number, which reads as 0 without CAP_SYS_ADMIN (pagemap.rst, since Linux 4.2). */
#include "util/pagemap.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define PM_PRESENT (1ull << 63)
#define PM_SWAPPED (1ull << 62)
#define PM_PFN_MASK ((1ull << 55) - 1)

int pagemap_decode(uint64_t entry, uint64_t hva, long page_size, uint64_t *hpa, char *why, size_t whylen)
{
    if (entry & PM_SWAPPED) {
        snprintf(why, whylen, "swapped out");
        return -1;
    }
    if (!(entry & PM_PRESENT)) {
        snprintf(why, whylen, "not backed by host memory yet (never touched)");
        return -1;
    }
    uint64_t pfn = entry & PM_PFN_MASK;
    if (!pfn) {
        snprintf(why, whylen, "PFN hidden: reading it needs CAP_SYS_ADMIN");
        return -1;
    }
    *hpa = pfn * (uint64_t)page_size + hva % (uint64_t)page_size;
    return 0;
}

int pagemap_lookup(const char *path, const void *hva, uint64_t *hpa, char *why, size_t whylen)
{
    long page = sysconf(_SC_PAGESIZE);
    uint64_t va = (uint64_t)(uintptr_t)hva, entry = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(why, whylen, "%s: %s", path, strerror(errno));
        return -1;
    }
    ssize_t n = pread(fd, &entry, sizeof(entry), (off_t)(va / (uint64_t)page * sizeof(entry)));
    int e = errno;
    close(fd);
    if (n != (ssize_t)sizeof(entry)) {
        snprintf(why, whylen, "%s: %s", path, n < 0 ? strerror(e) : "short read");
        return -1;
    }
    return pagemap_decode(entry, va, page, hpa, why, whylen);
}
