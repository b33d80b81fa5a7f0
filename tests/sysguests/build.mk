# System-level test guests: multiboot v1 kernels testing one CPU behaviour each (tests/sysguests/README.md).
# Built with the host's gcc/as/ld, freestanding; the 64-bit ones are linked as ELF64 and converted to
# ELF32 (what multiboot loaders accept), their 32-bit entry switching to long mode.
SYSG_DIR    := tests/sysguests
SYSG_OUT    := $(BUILD)/sysguests
SYSG_CC     := gcc
SYSG_CFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Werror -ffreestanding -fno-builtin -nostdlib -fno-pic \
               -fno-pie -fno-stack-protector -fno-asynchronous-unwind-tables -fno-tree-loop-distribute-patterns \
               -mgeneral-regs-only -I$(SYSG_DIR)/lib
SYSG_CFLAGS64 := $(SYSG_CFLAGS) -m64 -mno-red-zone -mcmodel=small
SYSG_CFLAGS32 := $(SYSG_CFLAGS) -m32
SYSG_LD     := ld -static -nostdlib -z max-page-size=0x1000 -z noexecstack --no-warn-rwx-segments
SYSG_LIB    := entry.S gdt.S vectors.S setjmp.S probes.S user.S output.c exc.c
# Guests by mode: the name is the source file (tests/sysguests/<name>.c or .S) and the .out beside it.
SYSG_64     := cpuinfo crs codemem exc64 fpu ring3 iobitmap paging64 irq ioapic smp debug debug2 canon pku x2apic la57
SYSG_32     := modes paging32 pae prot32 task32 debug32
SYSG_ALL    := $(SYSG_64) $(SYSG_32)
SYSG_ELFS   := $(SYSG_ALL:%=$(SYSG_OUT)/%.elf)

define sysg_lib_rule
$(SYSG_OUT)/lib$(1)/%.o: $(SYSG_DIR)/lib/%.c $(SYSG_DIR)/lib/guest.h
	@mkdir -p $$(dir $$@)
	$(SYSG_CC) $(SYSG_CFLAGS$(1)) -c $$< -o $$@
$(SYSG_OUT)/lib$(1)/%.o: $(SYSG_DIR)/lib/%.S
	@mkdir -p $$(dir $$@)
	$(SYSG_CC) $(SYSG_CFLAGS$(1)) -c $$< -o $$@
$(SYSG_OUT)/$(1)/%.o: $(SYSG_DIR)/%.c $(SYSG_DIR)/lib/guest.h $(wildcard $(SYSG_DIR)/*.h)
	@mkdir -p $$(dir $$@)
	$(SYSG_CC) $(SYSG_CFLAGS$(1)) -c $$< -o $$@
$(SYSG_OUT)/$(1)/%.o: $(SYSG_DIR)/%.S
	@mkdir -p $$(dir $$@)
	$(SYSG_CC) $(SYSG_CFLAGS$(1)) -c $$< -o $$@
SYSG_LIBOBJS$(1) := $(patsubst %,$(SYSG_OUT)/lib$(1)/%.o,$(basename $(SYSG_LIB)))
endef
$(eval $(call sysg_lib_rule,64))
$(eval $(call sysg_lib_rule,32))

$(SYSG_64:%=$(SYSG_OUT)/%.elf): $(SYSG_OUT)/%.elf: $(SYSG_OUT)/64/%.o $(SYSG_LIBOBJS64) $(SYSG_DIR)/lib/guest.ld
	$(SYSG_LD) -m elf_x86_64 -T $(SYSG_DIR)/lib/guest.ld -o $@.64 $(filter %.o,$^)
	objcopy -O elf32-i386 $@.64 $@

$(SYSG_32:%=$(SYSG_OUT)/%.elf): $(SYSG_OUT)/%.elf: $(SYSG_OUT)/32/%.o $(SYSG_LIBOBJS32) $(SYSG_DIR)/lib/guest.ld
	$(SYSG_LD) -m elf_i386 -T $(SYSG_DIR)/lib/guest.ld -o $@ $(filter %.o,$^)

# Guests with a second source file.
$(SYSG_OUT)/modes.elf: $(SYSG_OUT)/32/modes-asm.o
$(SYSG_OUT)/smp.elf: $(SYSG_OUT)/64/smp-asm.o
$(SYSG_OUT)/la57.elf: $(SYSG_OUT)/64/la57-asm.o
$(SYSG_OUT)/debug2.elf: $(SYSG_OUT)/64/debug2-asm.o

sysguests: $(SYSG_ELFS)
TEST_DEPS   += $(SYSG_ELFS)
# One script per accelerator, so that each shows as passed or skipped (with its reason) on its own.
INTEG_TESTS += $(SYSG_DIR)/run-qemu.sh $(SYSG_DIR)/run-soft.sh $(SYSG_DIR)/run-kvm.sh
QUICK_TESTS += $(SYSG_DIR)/run-soft.sh $(SYSG_DIR)/run-kvm.sh
.PHONY: sysguests
