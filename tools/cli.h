/* Entry points of vmon's subcommands; argv[0] is the subcommand's name. */
#ifndef VMON_TOOLS_CLI_H
#define VMON_TOOLS_CLI_H

#define VMON_VERSION "0.1.0"

int run_main(int argc, char **argv);   /* tools/run.c: vmon run */
int img_main(int argc, char **argv);   /* tools/img/img.c: vmon img (qemu-img compatible) */

#endif
