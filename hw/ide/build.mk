# hw/ide/: the PIIX3 IDE controller, ATA disks and the ATAPI CD-ROM (issue 15).
VMON_SRCS += hw/ide/core.c hw/ide/ata.c hw/ide/atapi.c hw/ide/atapi-data.c hw/ide/bmdma.c hw/ide/piix.c hw/ide/ide-state.c
UNIT_TESTS += hw/ide/ide_test.c hw/ide/atapi_test.c hw/ide/ide-state_test.c

# libFuzzer target over the IDE register, ATA, ATAPI packet and PRD paths: make fuzz-ide [FUZZ_TIME=600]
IDE_FUZZ_SRCS := hw/ide/core.c hw/ide/ata.c hw/ide/atapi.c hw/ide/atapi-data.c hw/ide/bmdma.c \
                 hw/ide/piix.c hw/pci/pci.c hw/pci/msi.c hw/pci/msix.c mm/memory.c mm/pam.c mm/dirty.c mm/bus.c migration/vmstate.c
build/fuzz/fuzz-ide: hw/ide/fuzz-ide.c hw/ide/ide-rig.h hw/ide/ide.h hw/ide/ide-int.h $(IDE_FUZZ_SRCS)
	@mkdir -p build/fuzz
	clang -std=c11 -D_GNU_SOURCE -g -O1 -I. -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
		-o $@ hw/ide/fuzz-ide.c $(IDE_FUZZ_SRCS) -lpthread
fuzz-ide: build/fuzz/fuzz-ide
	@mkdir -p build/fuzz/ide-corpus
	build/fuzz/fuzz-ide -max_total_time=$(FUZZ_TIME) -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix=build/fuzz/ide- build/fuzz/ide-corpus
.PHONY: fuzz-ide
