# vmon img's safety tests (issue 12): locking, probing, sparse detection, check statuses, failing
# writes, dirty bitmaps. The older tests/img scripts are listed in block/build.mk.
IMG_SAFETY := tests/img/lock.sh tests/img/probe.sh tests/img/sparse0.sh tests/img/check-status.sh tests/img/bitmaps.sh \
              tests/img/faults.sh
INTEG_TESTS += $(IMG_SAFETY)
QUICK_TESTS += $(IMG_SAFETY)

# Foreign formats (issue 19): vmdk, vpc, vdi, vhdx both ways against qemu-img; preallocation modes; dd.
INTEG_TESTS += tests/img/formats.sh tests/img/prealloc.sh tests/img/dd.sh tests/img/convert-m.sh tests/img/bitmap-cmd.sh tests/img/image-opts.sh tests/img/check-fmt.sh tests/img/bench-depth.sh
QUICK_TESTS += tests/img/formats.sh tests/img/prealloc.sh tests/img/dd.sh tests/img/convert-m.sh tests/img/bitmap-cmd.sh tests/img/image-opts.sh tests/img/check-fmt.sh tests/img/bench-depth.sh
