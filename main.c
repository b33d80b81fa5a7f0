/* vmon: a virtual machine monitor. Subcommands, as kvmtool's kvm-cmd.c lists them. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "tools/cli.h"

static const struct subcmd {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *help;
} subcmds[] = {
    { "run", run_main, "boot a guest kernel (QEMU's -kernel spellings are accepted too)" },
    { "img", img_main, "create, inspect and convert disk images (qemu-img compatible)" },
};

static void usage(FILE *f)
{
    fprintf(f, "usage: vmon <command> [options]\n       vmon [qemu-system-x86_64 options]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof(subcmds) / sizeof(subcmds[0]); i++)
        fprintf(f, "  %-5s %s\n", subcmds[i].name, subcmds[i].help);
    fprintf(f, "\n'vmon <command> --help' describes each command.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("vmon %s\n", VMON_VERSION);
        return 0;
    }
    for (size_t i = 0; i < sizeof(subcmds) / sizeof(subcmds[0]); i++)
        if (!strcmp(argv[1], subcmds[i].name))
            return subcmds[i].fn(argc - 1, argv + 1);
    /* A qemu-system-x86_64 command line (it starts with an option or a disk image that exists):
     * run it as 'vmon run'. */
    if (argv[1][0] == '-' || access(argv[1], F_OK) == 0)
        return run_main(argc, argv);
    fprintf(stderr, "vmon: unknown command '%s' (try 'vmon --help')\n", argv[1]);
    return 2;
}
