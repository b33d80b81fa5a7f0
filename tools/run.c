/* vmon run: placeholder until the core lands (issue 2). */
#include <stdio.h>
#include "tools/cli.h"
int run_main(int argc, char **argv)
{
    (void)argc; (void)argv;
    fprintf(stderr, "vmon: run: not built yet\n");
    return 1;
}
