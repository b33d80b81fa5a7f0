# Block layer (raw, qcow2) and vmon img's subcommands beyond tools/img.c.
VMON_SRCS += block/block.c block/file.c block/raw.c block/qcow2.c block/qcow2-cluster.c \
             block/qcow2-refcount.c block/qcow2-cache.c block/qcow2-check.c block/qcow2-snapshot.c
VMON_SRCS += tools/img-convert.c tools/img-snapshot.c
