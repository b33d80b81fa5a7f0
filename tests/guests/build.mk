# Test guests: small bare-metal kernels, one per entry path (real-mode bzImage, 64-bit bzImage, PVH
# ELF, multiboot ELF and a.out kludge), built freestanding with gcc/as/ld; plus fnv-host, the host
# build of the guests' checkable computation; plus the integration scripts that run them.
GUEST_DIR := $(BUILD)/guests
GUEST_CFLAGS := -std=c11 -O2 -Wall -Wextra -Werror -ffreestanding -fno-builtin -nostdlib -fno-pic -fno-pie \
                -fno-stack-protector -fno-asynchronous-unwind-tables -fcf-protection=none \
                -mgeneral-regs-only -mno-red-zone -fno-tree-loop-distribute-patterns -I. -Itests/guests
GUEST_LDFLAGS := -nostdlib -static -z max-page-size=0x1000 --no-warn-rwx-segments
GUEST_C64 := $(GUEST_DIR)/guest.o64 $(GUEST_DIR)/guest64.o64 $(GUEST_DIR)/fnv.o64 \
             $(GUEST_DIR)/virtio.o64 $(GUEST_DIR)/virtio-blk.o64 $(GUEST_DIR)/virtio-hostile.o64
GUEST_C32 := $(GUEST_DIR)/guest.o32 $(GUEST_DIR)/fnv.o32
GUESTS := $(GUEST_DIR)/real.bzImage $(GUEST_DIR)/bz64.bzImage $(GUEST_DIR)/elf64.elf $(GUEST_DIR)/pvh.elf \
          $(GUEST_DIR)/mb.elf $(GUEST_DIR)/mbaout.bin $(GUEST_DIR)/mblow.elf $(GUEST_DIR)/mbclash.elf \
          $(GUEST_DIR)/fnv-host

$(GUEST_DIR)/%.o64: tests/guests/%.c tests/guests/guest.h tests/guests/fnv.h tests/guests/virtio.h
	@mkdir -p $(dir $@)
	$(CC) $(GUEST_CFLAGS) -m64 -c $< -o $@
$(GUEST_DIR)/%.o32: tests/guests/%.c tests/guests/guest.h tests/guests/fnv.h
	@mkdir -p $(dir $@)
	$(CC) $(GUEST_CFLAGS) -m32 -march=i686 -c $< -o $@
$(GUEST_DIR)/guest32-aout.o32: tests/guests/guest32.c tests/guests/guest.h
	@mkdir -p $(dir $@)
	$(CC) $(GUEST_CFLAGS) -m32 -march=i686 -DAOUT -c $< -o $@

$(GUEST_DIR)/real.bzImage: tests/guests/real.S tests/guests/bzhdr.S
	@mkdir -p $(dir $@)
	$(CC) -m32 -Itests/guests -c $< -o $(GUEST_DIR)/real.o
	ld -m elf_i386 -Ttext=0 --oformat binary -e 0 -o $@ $(GUEST_DIR)/real.o

$(GUEST_DIR)/bz64.bzImage: tests/guests/bz64.S tests/guests/bzhdr.S tests/guests/bz64.ld $(GUEST_C64)
	$(CC) -m64 -Itests/guests -c $< -o $(GUEST_DIR)/bz64.o
	ld -m elf_x86_64 $(GUEST_LDFLAGS) -T tests/guests/bz64.ld -o $(GUEST_DIR)/bz64.elf $(GUEST_DIR)/bz64.o $(GUEST_C64)
	objcopy -O binary $(GUEST_DIR)/bz64.elf $@

$(GUEST_DIR)/elf64.elf: $(GUEST_DIR)/bz64.bzImage tests/guests/elf64.ld
	ld -m elf_x86_64 $(GUEST_LDFLAGS) -T tests/guests/elf64.ld -o $@ $(GUEST_DIR)/bz64.o $(GUEST_C64)

$(GUEST_DIR)/pvh.elf: tests/guests/entry32.S tests/guests/guest32.ld $(GUEST_C32) $(GUEST_DIR)/guest32.o32
	$(CC) -m32 -I. -DPVH -c $< -o $(GUEST_DIR)/pvh-entry.o
	ld -m elf_i386 $(GUEST_LDFLAGS) -T tests/guests/guest32.ld -e pvh_start -o $@ \
	    $(GUEST_DIR)/pvh-entry.o $(GUEST_DIR)/guest32.o32 $(GUEST_C32)

$(GUEST_DIR)/mb.elf: tests/guests/entry32.S tests/guests/guest32.ld $(GUEST_C32) $(GUEST_DIR)/guest32.o32
	$(CC) -m32 -I. -c $< -o $(GUEST_DIR)/mb-entry.o
	ld -m elf_i386 $(GUEST_LDFLAGS) -T tests/guests/guest32.ld -e mb_start -o $@ \
	    $(GUEST_DIR)/mb-entry.o $(GUEST_DIR)/guest32.o32 $(GUEST_C32)

# The multiboot ELF linked in conventional memory: at 0x8000 (loads), and at 0x6000 over the page
# vmon puts the multiboot information in (refused).
$(GUEST_DIR)/mblow.elf $(GUEST_DIR)/mbclash.elf: $(GUEST_DIR)/mb.elf
	ld -m elf_i386 $(GUEST_LDFLAGS) --defsym=LOAD_BASE=$(if $(findstring clash,$@),0x6000,0x8000) \
	    -T tests/guests/guest32.ld -e mb_start -o $@ \
	    $(GUEST_DIR)/mb-entry.o $(GUEST_DIR)/guest32.o32 $(GUEST_C32)

$(GUEST_DIR)/mbaout.bin: tests/guests/entry32.S tests/guests/guest32.ld $(GUEST_C32) $(GUEST_DIR)/guest32-aout.o32
	$(CC) -m32 -I. -DAOUT -c $< -o $(GUEST_DIR)/mbaout-entry.o
	ld -m elf_i386 $(GUEST_LDFLAGS) -T tests/guests/guest32.ld -e mb_start -o $(GUEST_DIR)/mbaout.elf \
	    $(GUEST_DIR)/mbaout-entry.o $(GUEST_DIR)/guest32-aout.o32 $(GUEST_C32)
	objcopy -O binary $(GUEST_DIR)/mbaout.elf $@

$(GUEST_DIR)/fnv-host: tests/guests/fnv-host.c tests/guests/fnv.c tests/guests/fnv.h
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -O2 -Wall -Wextra -Werror -o $@ tests/guests/fnv-host.c tests/guests/fnv.c

guests: $(GUESTS)
TEST_DEPS += $(GUESTS)
.PHONY: guests

# Integration tests: each guest test under each accelerator, as links <test>-<accel> to check.sh
# (which reads the test and accelerator from its name). KVM runs skip where /dev/kvm does not open;
# soft runs skip while the software CPU (or, for hlt and smp, its APIC) is not there.
GUEST_TESTS := entry-real entry-bz64 entry-elf64 entry-pvh entry-mb-elf entry-mb-aout entry-mb-low \
               entry-mb-clash mmio hlt reset reset-port92 poweroff \
               exit cpus ring3 ring3-syscall ring3-int smp
GUEST_QUICK := entry-real entry-bz64 entry-pvh entry-mb-aout ring3 smp
GUEST_TEST_DIR := $(BUILD)/guest-tests
GUEST_LINKS := $(foreach t,$(GUEST_TESTS),$(GUEST_TEST_DIR)/$(t)-kvm $(GUEST_TEST_DIR)/$(t)-soft)

$(GUEST_LINKS): tests/guests/check.sh
	@mkdir -p $(dir $@)
	ln -sf $(CURDIR)/tests/guests/check.sh $@

# The guest's own virtio driver against virtio-blk-pci (virtio.sh), under each accelerator.
VIRTIO_GUEST_LINKS := $(foreach t,virtio-blk virtio-hostile,$(GUEST_TEST_DIR)/$(t)-kvm $(GUEST_TEST_DIR)/$(t)-soft)
$(VIRTIO_GUEST_LINKS): tests/guests/virtio.sh
	@mkdir -p $(dir $@)
	ln -sf $(CURDIR)/tests/guests/virtio.sh $@

TEST_DEPS += $(GUEST_LINKS) $(VIRTIO_GUEST_LINKS)
INTEG_TESTS += $(GUEST_LINKS) $(VIRTIO_GUEST_LINKS)
QUICK_TESTS += $(VIRTIO_GUEST_LINKS)
QUICK_TESTS += $(foreach t,$(GUEST_QUICK),$(GUEST_TEST_DIR)/$(t)-kvm $(GUEST_TEST_DIR)/$(t)-soft)
# The Debian kernel itself (needs scripts/fetch-guest.sh's build/guest; skips without it).
INTEG_TESTS += tests/guests/linux-kvm.sh
# A rep string instruction of 2^32 - 1 iterations ends within a second of SIGTERM or Ctrl-A x.
INTEG_TESTS += tests/guests/rep-stop.sh
QUICK_TESTS += tests/guests/rep-stop.sh
