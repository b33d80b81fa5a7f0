/* vmon img: placeholder until the block layer lands (issue 5). */
#include <stdio.h>
#include "tools/cli.h"
int img_main(int argc, char **argv)
{
    (void)argc; (void)argv;
    fprintf(stderr, "vmon img: not built yet\n");
    return 1;
}
