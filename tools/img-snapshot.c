/* vmon img: subcommands that change an image's structure: snapshot, resize, commit, rebase, amend, measure. */
#include <stdio.h>

#include "tools/img.h"

#define NOT_YET(fn, name)                                  \
    int fn(int argc, char **argv)                          \
    {                                                      \
        (void)argc; (void)argv;                            \
        img_err("%s: not implemented yet", name);          \
        return 1;                                          \
    }
NOT_YET(img_snapshot, "snapshot")
NOT_YET(img_resize, "resize")
NOT_YET(img_commit, "commit")
NOT_YET(img_rebase, "rebase")
NOT_YET(img_amend, "amend")
NOT_YET(img_measure, "measure")
