/* Host virtual -> host physical through /proc/self/pagemap (the kernel's
 * Documentation/admin-guide/mm/pagemap.rst), for the monitor's four address spaces. */
#ifndef VMON_UTIL_PAGEMAP_H
#define VMON_UTIL_PAGEMAP_H

#include <stddef.h>
#include <stdint.h>

/* 0 with *hpa (the host physical address of the byte at hva), or -1 with why ("PFN hidden:
 * reading it needs CAP_SYS_ADMIN", "not backed by host memory yet", "swapped out", an open
 * error...). path: "/proc/self/pagemap" (tests give a file of their own). */
int pagemap_lookup(const char *path, const void *hva, uint64_t *hpa, char *why, size_t whylen);
/* The same from one 64-bit pagemap entry (pure: tests feed it values). */
int pagemap_decode(uint64_t entry, uint64_t hva, long page_size, uint64_t *hpa, char *why, size_t whylen);

#endif
