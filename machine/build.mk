# machine/: what assembles a PC: the VM (RAM, buses, vCPU threads, run state), the board (which device
# where, IRQ routing), the userspace PC platform for accelerators without an in-kernel irqchip, the
# accelerator interface (accel.h) and the register dump.
VMON_SRCS += machine/vm.c machine/vm-debug.c machine/reset.c machine/cpu-dump.c machine/translate.c machine/pc.c machine/pc-plug.c \
             machine/pc-ide.c \
             machine/pc-soft.c machine/pc-drive.c machine/eventfd.c machine/msi-route.c machine/pc-fwcfg.c machine/pc-vga.c machine/pc-rom.c machine/pc-pam.c \
             machine/pc-vdev.c machine/pc-state.c machine/pc-state-dev.c machine/pc-migrate.c machine/snapshot.c machine/snapshot-load.c \
             machine/snapshot-cpu.c machine/migrate.c machine/migrate-precopy.c machine/migrate-send.c machine/migrate-disk.c machine/migrate-in.c \
             machine/savevm.c machine/savevm-info.c
UNIT_TESTS += machine/vm_test.c machine/translate_test.c machine/pc-soft_test.c machine/pc-soft-live_test.c \
              machine/eventfd_test.c machine/snapshot-cpu_test.c
