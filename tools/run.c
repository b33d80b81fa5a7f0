/* vmon run: parse the command line, build the machine, load the kernel, run it, report. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "accel/accel.h"
#include "boot/boot.h"
#include "machine/vm.h"
#include "tools/cli.h"
#include "tools/run-args.h"

int run_main(int argc, char **argv)
{
    struct vm_config cfg;
    char err[512];
    switch (run_parse_args(argc, argv, &cfg, err, sizeof(err))) {
    case RUN_ARGS_HELP:
        run_usage(stdout);
        return 0;
    case RUN_ARGS_VERSION:
        printf("vmon %s\n", VMON_VERSION);
        return 0;
    case RUN_ARGS_OK:
        break;
    default:
        fprintf(stderr, "vmon: %s\n", err);
        return 2;
    }
    if (run_check_config(&cfg, "/proc/meminfo", err, sizeof(err)) < 0) {
        fprintf(stderr, "vmon: %s\n", err);
        return 2;
    }
    const char *why = NULL, *note = NULL;
    const struct accel_ops *accel = accel_pick(cfg.accel, &why, &note);
    if (!accel) {
        fprintf(stderr, "vmon: accel %s: %s\n", cfg.accel, why);
        return 2;
    }

    /* A console whose reader went away must not kill the VM: writes just fail. */
    signal(SIGPIPE, SIG_IGN);

    struct vm *vm = calloc(1, sizeof(*vm));
    if (!vm) {
        fprintf(stderr, "vmon: out of memory\n");
        return 1;
    }
    int status;
    int r = vm_init(vm, &cfg, accel, err, sizeof(err));
    if (r >= 0 && note)        /* once the VM stands: a refused configuration says only why */
        fprintf(stderr, "vmon: accel kvm: %s\n", note);
    if (r < 0) {
        fprintf(stderr, "vmon: %s\n", err);
        status = r == -EINVAL ? 2 : 1;
    } else if (boot_load(vm, err, sizeof(err)) < 0) {
        fprintf(stderr, "vmon: %s\n", err);
        status = 2;
    } else {
        status = vm_run(vm);
    }
    vm_destroy(vm);
    free(vm);
    return status;
}
