/* delvm and info snapshots (machine/savevm.h; QEMU's hmp_delvm, hmp_info_snapshots with
 * block/qapi.c bdrv_snapshot_dump's columns, the table qemu-img snapshot -l prints). */
#include "machine/savevm.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "machine/savevm-int.h"
#include "machine/vm-int.h"

int vm_delvm(struct vm *vm, const char *tag, char *err, size_t errlen)
{
    struct savevm_disk d[SAVEVM_MAX_DISKS];
    int n = savevm_disks(vm, d, err, errlen);
    if (n < 0)
        return n;
    bool ran = vm_pause_quiet(vm) == 0;      /* no guest write races the tables' rewrite */
    if (vm->board && vm->board->quiesce)
        vm->board->quiesce(vm, true);
    int found = 0, r = 0;
    char berr[BLK_ERR_LEN];
    for (int i = 0; i < n && r == 0; i++) {
        struct blk_snapshot sn;
        while (r == 0 && savevm_find(d[i].bs, tag, &sn, d[i].id, sizeof(d[i].id)) == 0) {
            found++;
            if ((r = d[i].bs->drv->snapshot_delete(d[i].bs, d[i].id, berr)) < 0)
                snprintf(err, errlen, "Error while deleting snapshot on device '%s': %s", d[i].name, berr);
        }
    }
    if (vm->board && vm->board->quiesce)
        vm->board->quiesce(vm, false);
    if (ran)
        vm_resume_quiet(vm);
    if (r == 0 && !found) {
        snprintf(err, errlen, "Snapshot '%s' does not exist in any device", tag);
        r = -ENOENT;
    }
    return r;
}

int vm_savevm_disk_names(struct vm *vm, char (*names)[VM_DISK_NAME_LEN], int max, char *err, size_t errlen)
{
    struct savevm_disk d[SAVEVM_MAX_DISKS];
    int n = savevm_disks(vm, d, err, errlen);
    for (int i = 0; i < n && i < max; i++)
        memcpy(names[i], d[i].name, VM_DISK_NAME_LEN);
    return n < max ? n : max;
}

/* QEMU's size_to_str: three significant digits and a binary unit. */
static void size_str(uint64_t v, char *buf, size_t len)
{
    static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
    double x = (double)v;
    int i = 0;
    while (x >= 1024 * 0.95 && i < 6) {      /* QEMU switches unit at 0.95 of the next one */
        x /= 1024;
        i++;
    }
    snprintf(buf, len, i ? "%0.3g %s" : "%.0f %s", x, unit[i]);
}

void vm_snapshots_print(struct vm *vm, FILE *out)
{
    struct savevm_disk d[SAVEVM_MAX_DISKS];
    char err[200];
    int nd = savevm_disks(vm, d, err, sizeof(err));
    if (nd < 0) {
        fprintf(out, "%s\n", err);
        return;
    }
    struct blk_snapshot *l = NULL;
    int n = d[0].bs->drv->snapshot_list(d[0].bs, &l);
    if (n <= 0) {
        fprintf(out, "There is no snapshot available.\n");
        free(l);
        return;
    }
    fprintf(out, "List of snapshots present on all disks:\n");
    fprintf(out, "%-9s %-16s %8s%20s%13s%11s\n", "ID", "TAG", "VM SIZE", "DATE", "VM CLOCK", "ICOUNT");
    for (int i = 0; i < n; i++) {
        bool everywhere = true;
        for (int k = 1; k < nd && everywhere; k++) {
            struct blk_snapshot sn;
            everywhere = savevm_find(d[k].bs, l[i].name, &sn, d[k].id, sizeof(d[k].id)) == 0;
        }
        if (!everywhere)
            continue;
        char vs[32], date[32], clk[32], ic[32] = "";
        size_str(l[i].vm_state_size, vs, sizeof(vs));
        time_t t = l[i].date_sec;
        struct tm tm;
        localtime_r(&t, &tm);
        strftime(date, sizeof(date), "%Y-%m-%d %H:%M:%S", &tm);
        uint64_t s = l[i].vm_clock_nsec / 1000000000ull;
        snprintf(clk, sizeof(clk), "%02" PRIu64 ":%02" PRIu64 ":%02" PRIu64 ".%03" PRIu64, s / 3600, s / 60 % 60,
                 s % 60, l[i].vm_clock_nsec / 1000000 % 1000);
        if (l[i].icount != UINT64_MAX)
            snprintf(ic, sizeof(ic), "%" PRIu64, l[i].icount);
        fprintf(out, "%-9s %-16s %8s%20s%13s%11s\n", "--", l[i].name, vs, date, clk, ic);
    }
    free(l);
}
