/* Saving and restoring a whole VM (machine/snapshot.h): the vCPUs through the accelerator's
 * get/set_state, get/set_fpu and get/set_arch, the devices through the board (vm_board_ops'
 * save_state/load_state, each device saving its own section), RAM written page aligned (its
 * all-zero pages left as holes) and mapped back MAP_PRIVATE | MAP_FIXED over the VM's RAM mapping,
 * so the accelerator's memory slots (same host addresses) see it and pages are read from the file
 * on first touch. */
#include "machine/snapshot.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "machine/vm-int.h"
#include "mm/memory.h"

const char *vm_snapshot_model(const struct vm *vm)
{
    return vm->cfg.cpu_model.name ? vm->cfg.cpu_model.name : "max";
}

static int save_cpus(struct vm *vm, struct vms_writer *w, char *err, size_t errlen)
{
    if (!vm->accel->get_fpu || !vm->accel->get_arch) {
        snprintf(err, errlen, "the %s accelerator cannot save vCPU state", vm->accel->name);
        return -ENOTSUP;
    }
    for (int i = 0; i < vm->ncpus; i++) {
        struct vcpu *v = &vm->vcpus[i];
        struct cpu_state s;
        struct fpu_state f;
        struct vcpu_arch_state a;
        int r;
        memset(&s, 0, sizeof(s));
        memset(&f, 0, sizeof(f));
        if ((r = vm->accel->get_state(v, &s)) < 0 || (r = vm->accel->get_fpu(v, &f)) < 0 ||
            (r = vm->accel->get_arch(v, &a)) < 0) {
            snprintf(err, errlen, "vCPU %d: %s", i, strerror(-r));
            return r;
        }
        vms_begin(w, VMS_TAG_CPU, (uint32_t)i);
        snapshot_cpu_put(w, &s, &f, &a);
        vms_end(w);
    }
    return 0;
}

static int write_all(int fd, const void *buf, uint64_t len, uint64_t off)
{
    const uint8_t *p = buf;
    while (len) {
        ssize_t n = pwrite(fd, p, len > (1u << 30) ? (1u << 30) : len, (off_t)off);
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

static int fd_pwrite(void *opaque, const void *buf, size_t len, uint64_t off)
{
    return write_all(*(int *)opaque, buf, len, off);
}

/* RAM at off: in one write, or with io->sparse only its runs of pages that are not all zeros. */
static int write_ram(const struct vm *vm, const struct vm_state_io *io, uint64_t off)
{
    const uint8_t *ram = vm->mem.base;
    uint64_t n = vm->mem.ram_size / 4096, i = 0;
    if (!io->sparse)
        return io->pwrite(io->opaque, ram, vm->mem.ram_size, off);
    while (i < n) {
        while (i < n && guest_page_zero(ram + i * 4096))
            i++;
        uint64_t j = i;
        while (j < n && !guest_page_zero(ram + j * 4096))
            j++;
        int r = j > i ? io->pwrite(io->opaque, ram + i * 4096, (j - i) * 4096, off + i * 4096) : 0;
        if (r)
            return r;
        i = j;
    }
    uint64_t tail = vm->mem.ram_size - n * 4096;   /* a RAM size that is not whole pages */
    return tail ? io->pwrite(io->opaque, ram + n * 4096, tail, off + n * 4096) : 0;
}

/* Header, sections, then RAM page aligned; *len: where the state ends. */
static int write_state(struct vm *vm, const struct vms_writer *w, const struct vm_state_io *io, uint64_t *len)
{
    struct vms_header h = { .version = VMS_VERSION, .ram_size = vm->mem.ram_size,
                            .ncpus = (uint32_t)vm->ncpus, .sect_off = VMS_HEADER_SIZE,
                            .sect_len = w->len };
    snprintf(h.cpu_model, sizeof(h.cpu_model), "%s", vm_snapshot_model(vm));
    h.sect_crc = (uint32_t)crc32(0, w->buf, (uInt)w->len);
    h.ram_off = (VMS_HEADER_SIZE + w->len + 4095) & ~4095ull;
    h.ram_len = vm->mem.ram_size;
    uint8_t *hdr = calloc(1, VMS_HEADER_SIZE);
    if (!hdr)
        return -ENOMEM;
    vms_header_encode(&h, hdr);
    int r = io->pwrite(io->opaque, hdr, VMS_HEADER_SIZE, 0);
    if (r == 0)
        r = io->pwrite(io->opaque, w->buf, w->len, VMS_HEADER_SIZE);
    if (r == 0 && h.ram_off > VMS_HEADER_SIZE + w->len) {   /* the gap up to RAM, zeros */
        memset(hdr, 0, VMS_HEADER_SIZE);
        r = io->pwrite(io->opaque, hdr, h.ram_off - VMS_HEADER_SIZE - w->len, VMS_HEADER_SIZE + w->len);
    }
    if (r == 0)
        r = write_ram(vm, io, h.ram_off);
    free(hdr);
    *len = h.ram_off + h.ram_len;
    return r;
}

static int write_file(struct vm *vm, const char *path, const struct vms_writer *w, char *err,
                      size_t errlen)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    struct vm_state_io io = { .pwrite = fd_pwrite, .opaque = &fd, .sparse = true };
    uint64_t len;
    int r = fd < 0 ? -errno : write_state(vm, w, &io, &len);
    if (r == 0 && ftruncate(fd, (off_t)len) < 0)   /* zero pages at RAM's end: holes up to len */
        r = -errno;
    if (r == 0 && fsync(fd) < 0)
        r = -errno;
    if (r < 0)
        snprintf(err, errlen, "%s: %s", path, strerror(-r));
    if (fd >= 0)
        close(fd);
    return r;
}

/* Every vCPU's and device's section into w, the vCPUs parked (also a live migration's last phase). */
int vm_state_sections(struct vm *vm, struct vms_writer *w, char *err, size_t errlen)
{
    int r = save_cpus(vm, w, err, errlen);
    if (r == 0 && vm->board && vm->board->save_state)
        r = vm->board->save_state(vm, w, err, errlen);
    if (r == 0 && (r = vms_finish(w)) < 0)
        snprintf(err, errlen, "%s", strerror(-r));
    return r;
}

/* Where save_parked puts the sections: a state file at path, or io (savevm's qcow2 area). */
struct save_sink {
    const char *path;
    const struct vm_state_io *io;
    uint64_t *len;
};

/* The vCPUs parked (as they were after), every section built, then written to the sink. */
static int save_parked(struct vm *vm, const struct save_sink *to, char *err, size_t errlen)
{
    int p = vm_pause_quiet(vm);
    if (p == -ESHUTDOWN) {
        snprintf(err, errlen, "the VM has shut down");
        return p;
    }
    struct vms_writer w;
    vms_writer_init(&w);
    if (vm->board && vm->board->quiesce)   /* devices with threads of their own leave RAM alone */
        vm->board->quiesce(vm, true);
    int r = vm_state_sections(vm, &w, err, errlen);
    if (r == 0 && to->io && (r = write_state(vm, &w, to->io, to->len)) < 0)
        snprintf(err, errlen, "writing the VM state: %s", strerror(-r));
    else if (r == 0 && !to->io)
        r = write_file(vm, to->path, &w, err, errlen);
    if (vm->board && vm->board->quiesce)
        vm->board->quiesce(vm, false);
    vms_writer_free(&w);
    if (p == 0)
        vm_resume_quiet(vm);
    return r;
}

int vm_save_state_io(struct vm *vm, const struct vm_state_io *io, uint64_t *len, char *err, size_t errlen)
{
    const struct save_sink to = { .io = io, .len = len };
    return save_parked(vm, &to, err, errlen);
}

int vm_save_state(struct vm *vm, const char *path, char *err, size_t errlen)
{
    const struct save_sink to = { .path = path };
    return save_parked(vm, &to, err, errlen);
}
