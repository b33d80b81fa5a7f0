# migration/: the VM state file's format (vmstate.h): header, tagged sections, checked readers. A leaf:
# it includes only util/ and migration/, so devices (hw/), the machine and the accelerators all use it.
VMON_SRCS += migration/vmstate.c
UNIT_TESTS += migration/vmstate_test.c
