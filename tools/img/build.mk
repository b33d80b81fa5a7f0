# vmon img, the qemu-img compatible front end: reaches image formats only through block/block.h.
VMON_SRCS += tools/img/img.c tools/img/info.c tools/img/convert.c tools/img/convert-run.c tools/img/change.c tools/img/bench.c tools/img/dd.c tools/img/bitmap.c tools/img/imgopts.c
UNIT_TESTS += tools/img/imgopts_test.c
