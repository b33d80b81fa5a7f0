/* The first 0x26c bytes of a bzImage: boot sector and setup_header (Documentation/arch/x86/boot.rst).
 * Define before including: SETUP_VERSION, SETUP_XLOADFLAGS, SETUP_SYSSIZE, SETUP_INIT_SIZE and a
 * label setup_code (the real-mode code the jump at 0x200 goes to). One setup sector follows the
 * boot sector (setup_sects = 1), so the protected-mode kernel starts at file offset 1024. */
    .code16
    .org 0x1f1
    .byte 1                     /* setup_sects */
    .word 0                     /* root_flags */
    .long SETUP_SYSSIZE         /* syssize, 16-byte units */
    .word 0, 0xffff, 0          /* ram_size, vid_mode (normal), root_dev */
    .word 0xaa55                /* boot_flag */
    .byte 0xeb, setup_code - 0x202   /* 0x200: jmp; the byte is also the header's length - 2 */
    .ascii "HdrS"
    .word SETUP_VERSION
    .long 0                     /* realmode_swtch */
    .word 0, 0                  /* start_sys_seg, kernel_version */
    .byte 0                     /* type_of_loader: the loader writes 0xff */
    .byte 0x01                  /* loadflags: LOADED_HIGH */
    .word 0                     /* setup_move_size */
    .long 0x100000              /* code32_start */
    .long 0, 0                  /* ramdisk_image, ramdisk_size */
    .long 0                     /* bootsect_kludge */
    .word 0                     /* heap_end_ptr */
    .byte 0, 0                  /* ext_loader_ver, ext_loader_type */
    .long 0                     /* cmd_line_ptr */
    .long 0x7fffffff            /* initrd_addr_max */
    .long 0x200000              /* kernel_alignment */
    .byte 0                     /* relocatable_kernel: no, it runs at 1 MiB */
    .byte 0                     /* min_alignment */
    .word SETUP_XLOADFLAGS
    .long 1023                  /* cmdline_size */
    .long 0                     /* hardware_subarch */
    .quad 0                     /* hardware_subarch_data */
    .long 0, 0                  /* payload_offset, payload_length */
    .quad 0                     /* setup_data */
    .quad 0x100000              /* pref_address */
    .long SETUP_INIT_SIZE
    .long 0                     /* handover_offset */
    .long 0                     /* kernel_info_offset */
