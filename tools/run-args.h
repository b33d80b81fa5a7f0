/* vmon run's command line: vmon's own options and the qemu-system-x86_64 spellings of them. */
#ifndef VMON_TOOLS_RUN_ARGS_H
#define VMON_TOOLS_RUN_ARGS_H

#include <stddef.h>
#include <stdint.h>

#include "machine/vm.h"

enum run_args_result {
    RUN_ARGS_OK = 0,
    RUN_ARGS_HELP = 1,         /* --help: print run_usage, exit 0 */
    RUN_ARGS_VERSION = 2,      /* --version */
    RUN_ARGS_ERROR = -1,       /* err holds one line (without "vmon: "): exit 2 */
};

/* Parse argv[1..argc-1] into cfg (strings point into argv). Pure: touches no file. */
int run_parse_args(int argc, char **argv, struct vm_config *cfg, char *err, size_t errlen);
/* Sizes as --mem and -m take them: a number of MiB, or with a K/M/G/T suffix (optionally followed
 * by B or iB); at least 1 MiB, rounded up to 4 KiB. 0 or -EINVAL. */
int run_parse_size(const char *s, uint64_t *bytes);
/* What the files and the host allow: the kernel and initrd are readable regular files, the initrd
 * fits in RAM, RAM fits in the host's MemTotal (read from meminfo, e.g. "/proc/meminfo"). */
int run_check_config(const struct vm_config *cfg, const char *meminfo, char *err, size_t errlen);
void run_usage(FILE *f);

/* run-drive.c: one -drive/--drive value; one -device virtio-blk-pci's options (after the name);
 * after the whole command line, -snapshot applied and every -device's drive= resolved. 0 or -1
 * with one line in err. */
int run_parse_drive(const char *v, struct vm_config *cfg, char *err, size_t errlen);
/* tools/run-ide.c: -hda..-hdd / -cdrom (opt without its dash; any other opt: a bare image, the
 * first free index), a -drive for IDE (d parsed; media NULL or "disk"/"cdrom", index -1: the
 * first free), and -boot. 0, or -1 with err. */
int run_ide_hdx(const char *opt, const char *file, struct vm_config *cfg, char *err, size_t errlen);
int run_ide_drive(const char *spec, struct vm_drive *d, const char *media, int index,
                  struct vm_config *cfg, char *err, size_t errlen);
int run_parse_boot(const char *v, struct vm_config *cfg, char *err, size_t errlen);
/* mmio: -device virtio-blk-device (QEMU's virtio-mmio disk), else virtio-blk-pci. */
int run_device_virtio_blk(const char *opts, bool mmio, struct vm_config *cfg, char *err, size_t errlen);
int run_drives_finish(struct vm_config *cfg, char *err, size_t errlen);

#endif
