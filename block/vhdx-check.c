/*
 * qemu-img check for VHDX (QEMU block/vhdx.c's BAT check, [MS-VHDX] 2.0 sec. 2.5): every fully present
 * block must start and end inside the file, and a payload block may not overlap the header section, the
 * log, the BAT or the metadata region. Each is a corruption; nothing is repaired (vmon reads VHDX only,
 * and refuses a file whose log needs a replay, so no log is ever replayed on open). The same walk
 * refuses such a file on an ordinary open.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

#include "block/block.h"
#include "block/vhdx.h"

#define BAT_OFF_MASK 0xfffffffffff00000ull

static void say(void (*report)(void *, const char *), void *opq, const char *line)
{
    if (report)
        report(opq, line);
}

/* A payload block over one of the file's regions: the first one it overlaps is reported. */
static int overlaps(struct vhdx *s, uint64_t start, void (*report)(void *, const char *), void *opq)
{
    uint64_t end = start + s->block_size;
    for (int i = 0; i < VHDX_NR_REGIONS; i++) {
        const uint64_t *r = s->region[i];
        if (r[1] <= r[0] || start >= r[1] || end <= r[0])
            continue;
        char line[160];
        snprintf(line, sizeof(line), BLK_CHECK_MSG "VHDX region %" PRIu64 "-%" PRIu64 " overlaps with region %"
                 PRIu64 "-%" PRIu64 "\n", start, end, r[0], r[1]);
        say(report, opq, line);
        return 1;
    }
    return 0;
}

int vhdx_check_bat(struct blk *bs, void (*report)(void *, const char *), void *opq)
{
    struct vhdx *s = bs->opaque;
    int errors = 0;
    char line[200];
    for (uint64_t i = 0; i < s->bat_entries; i++) {
        if ((s->bat[i] & 7) != PB_FULLY_PRESENT)
            continue;
        uint64_t off = s->bat[i] & BAT_OFF_MASK;
        /* As QEMU: the last block may lie partly past the virtual size (and so past the file's end). */
        uint64_t rest = i * s->block_size < bs->size ? bs->size - i * s->block_size : s->block_size;
        uint64_t len = rest < s->block_size ? rest : s->block_size;
        line[0] = 0;
        if (off >= s->file_size)
            snprintf(line, sizeof(line), BLK_CHECK_MSG "VHDX BAT entry %" PRIu64 " start offset %" PRIu64
                     " points after end of file (%" PRIu64 "). Image has probably been truncated.\n",
                     i, off, s->file_size);
        else if (off + len > s->file_size)
            snprintf(line, sizeof(line), BLK_CHECK_MSG "VHDX BAT entry %" PRIu64 " end offset %" PRIu64
                     " points after end of file (%" PRIu64 "). Image has probably been truncated.\n",
                     i, off + len - 1, s->file_size);
        if (line[0]) {
            say(report, opq, line);
            errors++;
        }
        if ((i + 1) % (s->chunk_ratio + 1))      /* a payload block, not a sector bitmap */
            errors += overlaps(s, off, report, opq);
    }
    return errors;
}

int vhdx_check(struct blk *bs, struct blk_check *res, int fix, void (*report)(void *, const char *), void *opq)
{
    (void)fix;
    *res = (struct blk_check){ 0 };
    res->corruptions = vhdx_check_bat(bs, report, opq);
    return 0;
}
