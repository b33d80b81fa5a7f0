# The interrupt-delivery guest (tests/timers/timers.c): a multiboot guest built with the system-level
# guests' library and flags. Fragments are included in sorted order, so tests/sysguests/build.mk,
# whose variables this uses, has been read already.
TIMERS_DIR := tests/timers
TIMERS_ELF := $(SYSG_OUT)/timers.elf

$(SYSG_OUT)/timers/timers.o: $(TIMERS_DIR)/timers.c $(SYSG_DIR)/lib/guest.h
	@mkdir -p $(dir $@)
	$(SYSG_CC) $(SYSG_CFLAGS64) -c $< -o $@

$(TIMERS_ELF): $(SYSG_OUT)/timers/timers.o $(SYSG_LIBOBJS64) $(SYSG_DIR)/lib/guest.ld
	ld -m elf_x86_64 -static -nostdlib -z max-page-size=0x1000 -T $(SYSG_DIR)/lib/guest.ld -o $@.64 $< $(SYSG_LIBOBJS64)
	objcopy -O elf32-i386 $@.64 $@

TEST_DEPS   += $(TIMERS_ELF)
INTEG_TESTS += $(TIMERS_DIR)/run-timers.sh
QUICK_TESTS += $(TIMERS_DIR)/run-timers.sh
