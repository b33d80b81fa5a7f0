/* Restoring a VM state file (machine/snapshot.h). Every check on the file comes before the VM is
 * touched where it can: header (magic, version, CPU model, RAM size, vCPU count, where the sections
 * and RAM lie), the sections' CRC and lengths; then each owner parses its own section; a section no
 * owner took is refused; RAM is mapped last. */
#include "machine/snapshot.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "machine/vm-int.h"

static int read_all(int fd, void *buf, uint64_t len, uint64_t off)
{
    uint8_t *p = buf;
    while (len) {
        ssize_t n = pread(fd, p, len, (off_t)off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return n < 0 ? -errno : -EIO;
        p += n;
        off += (uint64_t)n;
        len -= (uint64_t)n;
    }
    return 0;
}

static int bad(char *err, size_t errlen, const char *why)
{
    snprintf(err, errlen, "%s", why);
    return -EINVAL;
}

static int check_shape(const struct vm *vm, const struct vms_header *h, char *err, size_t errlen)
{
    if (strcmp(h->cpu_model, vm_snapshot_model(vm)) != 0) {
        snprintf(err, errlen, "saved with CPU model %s, this VM has %s (give --cpu %s)", h->cpu_model,
                 vm_snapshot_model(vm), h->cpu_model);
        return -EINVAL;
    }
    if (h->ram_size != vm->mem.ram_size) {
        snprintf(err, errlen, "saved with %llu MiB of RAM, this VM has %llu MiB (give --mem %lluM)",
                 (unsigned long long)(h->ram_size >> 20), (unsigned long long)(vm->mem.ram_size >> 20),
                 (unsigned long long)(h->ram_size >> 20));
        return -EINVAL;
    }
    if (h->ncpus != (uint32_t)vm->ncpus) {
        snprintf(err, errlen, "saved with %u vCPUs, this VM has %d (give --cpus %u)", h->ncpus, vm->ncpus,
                 h->ncpus);
        return -EINVAL;
    }
    return 0;
}

static int load_cpus(struct vm *vm, struct vms_index *idx, char *err, size_t errlen)
{
    if (!vm->accel->set_fpu || !vm->accel->set_arch)
        return bad(err, errlen, "this accelerator cannot load vCPU state");
    for (int i = 0; i < vm->ncpus; i++) {
        struct vms_section *sec = vms_index_take(idx, VMS_TAG_CPU, (uint32_t)i);
        if (!sec) {
            snprintf(err, errlen, "no state for vCPU %d", i);
            return -EINVAL;
        }
        struct vms_reader r;
        vms_reader_init(&r, sec);
        struct cpu_state s;
        struct fpu_state f;
        struct vcpu_arch_state a;
        memset(&a, 0, sizeof(a));
        if (snapshot_cpu_get(&r, &s, &f, &a) < 0) {
            snprintf(err, errlen, "vCPU %d: corrupted section", i);
            return -EINVAL;
        }
        struct vcpu *v = &vm->vcpus[i];
        vm->accel_err[0] = 0;
        int e = vm->accel->set_state(v, &s);
        if (e == 0)
            e = vm->accel->set_fpu(v, &f);
        if (e == 0)
            e = vm->accel->set_arch(v, &a);
        if (e < 0) {
            snprintf(err, errlen, "vCPU %d: %s: %s", i, vm->accel->name,
                     vm->accel_err[0] ? vm->accel_err : strerror(-e));
            return -EINVAL;
        }
    }
    return 0;
}

static int load_sections(struct vm *vm, struct vms_index *idx, char *err, size_t errlen)
{
    /* The board first: a soft platform's clock and TSC go on from the save before the vCPUs' TSC
     * MSRs are written against them. */
    int r = vm->board && vm->board->load_state ? vm->board->load_state(vm, idx, err, errlen) : 0;
    if (r == 0)
        r = load_cpus(vm, idx, err, errlen);
    for (unsigned i = 0; r == 0 && i < idx->n; i++) {
        if (!idx->s[i].used) {
            char t[5];
            vms_tag_name(idx->s[i].tag, t);
            snprintf(err, errlen, "section '%s' %u: state this VM has no device for", t, idx->s[i].instance);
            r = -EINVAL;
        }
    }
    return r;
}

int vm_state_load_sections(struct vm *vm, const uint8_t *buf, size_t len, char *err, size_t errlen)
{
    const char *why = "";
    struct vms_index *idx = calloc(1, sizeof(*idx));
    int r = !idx ? -ENOMEM : vms_index_build(buf, len, idx, &why) < 0 ? bad(err, errlen, why) : 0;
    if (r == 0)
        r = load_sections(vm, idx, err, errlen);
    free(idx);
    return r;
}

/* A state's bytes: a file (RAM mapped from it) or a vm_state_io (RAM read in). */
struct src {
    int fd;
    const struct vm_state_io *io;
};

static int src_read(const struct src *src, void *buf, uint64_t len, uint64_t off)
{
    return src->io ? src->io->pread(src->io->opaque, buf, len, off) : read_all(src->fd, buf, len, off);
}

static int map_ram(struct vm *vm, const struct src *src, const struct vms_header *h, char *err, size_t errlen)
{
    if (src->io) {
        int r = src_read(src, vm->mem.base, h->ram_len, h->ram_off);
        if (r < 0) {
            snprintf(err, errlen, "reading guest RAM: %s", strerror(-r));
            return r;
        }
    } else if (mmap(vm->mem.base, h->ram_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED, src->fd,
                    (off_t)h->ram_off) == MAP_FAILED) {
        snprintf(err, errlen, "mapping guest RAM: %s", strerror(errno));
        return -errno;
    }
    if (vm->accel->mem_written)
        vm->accel->mem_written(vm, 0, vm->mem.ram_size);   /* translated code is stale */
    return 0;
}

static int restore_src(struct vm *vm, const struct src *src, uint64_t size, bool *touched, char *err,
                       size_t errlen)
{
    uint8_t *hdr = calloc(1, VMS_HEADER_SIZE);
    if (!hdr)
        return -ENOMEM;
    struct vms_header h;
    const char *why = "truncated (shorter than its header)";
    int r = size < VMS_HEADER_SIZE ? -EINVAL : src_read(src, hdr, VMS_HEADER_SIZE, 0);
    if (r == 0)
        r = vms_header_decode(hdr, VMS_HEADER_SIZE, size, &h, &why);
    free(hdr);
    if (r == -EINVAL)
        return bad(err, errlen, why);
    if (r < 0 || (r = check_shape(vm, &h, err, errlen)) < 0)
        return r;
    uint8_t *sect = malloc(h.sect_len ? h.sect_len : 1);
    struct vms_index *idx = calloc(1, sizeof(*idx));
    r = !sect || !idx ? -ENOMEM : src_read(src, sect, h.sect_len, h.sect_off);
    if (r == 0 && (uint32_t)crc32(0, sect, (uInt)h.sect_len) != h.sect_crc)
        r = bad(err, errlen, "corrupted (the sections' checksum does not match)");
    else if (r == 0 && vms_index_build(sect, h.sect_len, idx, &why) < 0)
        r = bad(err, errlen, why);
    if (r == 0) {
        *touched = true;       /* from here a failure leaves the VM half loaded */
        r = load_sections(vm, idx, err, errlen);
    }
    if (r == 0)
        r = map_ram(vm, src, &h, err, errlen);
    if (r == 0 && vm->board && vm->board->state_loaded)
        vm->board->state_loaded(vm);
    free(idx);
    free(sect);
    return r;
}

static int restore_fd(struct vm *vm, int fd, bool *touched, char *err, size_t errlen)
{
    struct stat st;
    if (fstat(fd, &st) < 0)
        return -errno;
    if (!S_ISREG(st.st_mode))
        return bad(err, errlen, "not a regular file");
    struct src src = { .fd = fd };
    return restore_src(vm, &src, (uint64_t)st.st_size, touched, err, errlen);
}

static int restore_path(struct vm *vm, const char *path, bool *touched, char *err, size_t errlen)
{
    char why[400] = "";
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);   /* a FIFO does not hold us */
    int r = fd < 0 ? -errno : restore_fd(vm, fd, touched, why, sizeof(why));
    if (fd >= 0)
        close(fd);
    if (r < 0)
        snprintf(err, errlen, "%s: %s", path, why[0] ? why : strerror(-r));
    return r == -EINVAL || r == -ENOENT ? -EINVAL : r;
}

static int restore_io(struct vm *vm, const struct vm_state_io *io, bool *touched, char *err, size_t errlen)
{
    struct src src = { .fd = -1, .io = io };
    char why[400] = "";
    int r = restore_src(vm, &src, io->size, touched, why, sizeof(why));
    if (r < 0)
        snprintf(err, errlen, "%s", why[0] ? why : strerror(-r));
    return r == -EINVAL || r == -ENOENT ? -EINVAL : r;
}

int vm_restore_state(struct vm *vm, const char *path, char *err, size_t errlen)
{
    bool touched = false;
    return restore_path(vm, path, &touched, err, errlen);
}

/* Into a running VM (vCPUs parked, disks quiesced meanwhile): from path, or from io when path is NULL. */
static int load_running(struct vm *vm, const char *path, const struct vm_state_io *io, char *err, size_t errlen)
{
    int p = vm_pause_quiet(vm);
    if (p == -ESHUTDOWN) {
        snprintf(err, errlen, "the VM has shut down");
        return p;
    }
    if (vm->board && vm->board->quiesce)
        vm->board->quiesce(vm, true);
    bool touched = false;
    int r = path ? restore_path(vm, path, &touched, err, errlen) : restore_io(vm, io, &touched, err, errlen);
    if (vm->board && vm->board->quiesce)
        vm->board->quiesce(vm, false);
    if (r < 0 && touched) {
        size_t n = strlen(err);
        snprintf(err + n, errlen - n, " (the VM is left paused, partly loaded)");
    } else if (p == 0) {
        vm_resume_quiet(vm);
    }
    return r;
}

int vm_load_state(struct vm *vm, const char *path, char *err, size_t errlen)
{
    return load_running(vm, path, NULL, err, errlen);
}

int vm_load_state_io(struct vm *vm, const struct vm_state_io *io, bool running, char *err, size_t errlen)
{
    bool touched = false;
    return running ? load_running(vm, NULL, io, err, errlen) : restore_io(vm, io, &touched, err, errlen);
}
