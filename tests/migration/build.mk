# Live migration tests (issue 18): the snapshot tests' counting guest migrated between two vmon
# processes on localhost (soft -> soft over tcp:, exec:/file:; with a guest dirtying memory; between
# the accelerators where KVM runs it), refused streams, and a Linux guest with a virtio-blk disk on
# shared storage (linux-blk.sh).
TEST_DEPS += $(BUILD)/snapshot/count-guest.elf
INTEG_TESTS += tests/migration/count-soft.sh tests/migration/dirty.sh tests/migration/refuse.sh \
               tests/migration/count-kvm.sh tests/migration/cancel.sh tests/migration/linux-blk.sh \
               tests/migration/firmware.sh
QUICK_TESTS += tests/migration/refuse.sh tests/migration/count-soft.sh tests/migration/cancel.sh
# make bench: downtime and total time of a 512 MiB Linux guest's migration against QEMU TCG
BENCHES += tests/migration/bench-downtime.sh
