/* The PIIX3 IDE controller (Intel 82371SB datasheet, 2.5 "IDE interface"; PCI 00:01.1) with ATA
 * disks and an ATAPI CD-ROM (ATA/ATAPI-6, T13/1410D: the task file, PIO and DMA protocols;
 * SFF-8038i for the bus-master DMA registers; MMC-3 for the packet commands). Two channels in
 * legacy mode (0x1f0/0x3f6 on IRQ 14, 0x170/0x376 on IRQ 15), two devices each; the bus-master
 * registers in BAR4. Commands run on the vCPU thread that writes the command register (or the
 * bus-master start bit): a request is complete, and its interrupt raised, when that write returns.
 * Everything the guest writes is checked: an out-of-range LBA, a bad PRD table or a DMA address
 * outside RAM ends the command with an error the guest sees. */
#ifndef VMON_HW_IDE_IDE_H
#define VMON_HW_IDE_IDE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hw/link.h"
#include "hw/pci/pci.h"
#include "mm/bus.h"
#include "mm/memory.h"

#define IDE_CHANNELS 2
#define IDE_SECTOR 512
#define IDE_CD_SECTOR 2048
#define IDE_BUF_SIZE (128 * 1024)      /* one PIO block or one DMA bounce chunk */
#define IDE_MAX_MULT 16                /* READ/WRITE MULTIPLE: sectors per DRQ block */

/* What a drive reads and writes: the block layer on the board, memory in the tests. Offsets and
 * lengths in bytes; each returns 0 or -errno. */
struct ide_media_ops {
    int (*read)(void *opaque, uint64_t off, void *buf, size_t len);
    int (*write)(void *opaque, uint64_t off, const void *buf, size_t len);
    int (*flush)(void *opaque);
};

struct ide_media {
    const struct ide_media_ops *ops;   /* NULL: no drive (a CD-ROM with no disc has ops, size 0) */
    void *opaque;
    uint64_t size;                     /* bytes */
    bool cdrom;                        /* an ATAPI CD-ROM: 2048-byte sectors, read-only */
    bool readonly;
    const char *serial, *model;        /* IDENTIFY strings; NULL: defaults */
};

enum ide_xfer { XFER_NONE, XFER_READ, XFER_WRITE, XFER_IDENTIFY, XFER_PACKET, XFER_ATAPI_IN };

struct ide_drive {
    struct ide_media media;
    bool present;
    uint8_t status, error;
    uint8_t *buf;                      /* IDE_BUF_SIZE */
    uint32_t pos, end;                 /* PIO: the data port's place in buf */
    enum ide_xfer xfer;
    uint64_t lba;                      /* ATA: next sector; ATAPI: next byte of the read */
    uint64_t left;                     /* ATA: sectors still to move; ATAPI: bytes */
    unsigned mult;                     /* SET MULTIPLE MODE's block size (sectors), 0: off */
    unsigned block;                    /* sectors in the current PIO block */
    int dma;                           /* a DMA command waits for the bus master: 1 read, 2 write */
    bool wcache;                       /* SET FEATURES 0x02/0x82 */
    uint8_t xfer_mode;                 /* SET FEATURES 0x03's value */
    /* ATAPI */
    uint8_t cdb[12];
    bool atapi_dma;                    /* the PACKET command's features bit 0 */
    bool from_media;                   /* ATAPI data comes from the disc (lba, left), not buf */
    uint32_t reply_len;                /* bytes of a reply in buf still to send, from pos */
    uint8_t sense_key, asc, ascq;
};

struct ide_channel {
    struct ide_drive drive[2];
    unsigned cur;                      /* the device the DEV bit selects */
    /* The task file, shared by both devices; hob_*: the previous write (48-bit commands). */
    uint8_t feature, nsector, sector, lcyl, hcyl, select;
    uint8_t hob_feature, hob_nsector, hob_sector, hob_lcyl, hob_hcyl;
    uint8_t ctrl;                      /* device control: nIEN bit 1, SRST bit 2, HOB bit 7 */
    bool intrq;                        /* the selected device's interrupt is pending */
    struct irq_line irq;
    /* Bus master (SFF-8038i): command, status, PRD table address */
    uint8_t bm_cmd, bm_status;
    uint32_t bm_prd;
    struct guest_mem *mem;
};

struct ide_ctrl {
    pthread_mutex_t lock;              /* every register access; taken on vCPU threads */
    struct ide_channel ch[IDE_CHANNELS];
    struct pci_dev pci;
};

/* Status and error bits (ATA/ATAPI-6, 7.15 and 7.9). */
#define ST_BSY  0x80
#define ST_DRDY 0x40
#define ST_DF   0x20
#define ST_DSC  0x10
#define ST_DRQ  0x08
#define ST_ERR  0x01
#define ER_UNC  0x40
#define ER_IDNF 0x10
#define ER_ABRT 0x04

/* Bus-master status bits (SFF-8038i, 3.1.2). */
#define BM_ACTIVE 0x01
#define BM_ERROR  0x02
#define BM_INT    0x04
#define BM_CMD_START 0x01
#define BM_CMD_READ  0x08   /* the bus master writes memory: a device-to-host transfer */

/* A controller with no drives; the guest's DMA goes to mem; channel c interrupts on irq[c].
 * NULL with errno set. */
struct ide_ctrl *ide_new(struct guest_mem *mem, const struct irq_line irq[IDE_CHANNELS]);
void ide_free(struct ide_ctrl *c);
/* Put media on channel ch, unit 0 (master) or 1 (slave); -EINVAL when out of range or taken. */
int ide_attach(struct ide_ctrl *c, unsigned ch, unsigned unit, const struct ide_media *m);
/* The machine's reset: every drive to its power-on state, the bus master idle. */
void ide_reset(struct ide_ctrl *c);

/* The register windows, dev the struct ide_ctrl: a channel's command block (8 ports), its control
 * block (1 port: alternate status / device control), the bus-master block (BAR4, 16 ports). */
extern const struct io_ops ide_cmd0_ops, ide_cmd1_ops, ide_ctl0_ops, ide_ctl1_ops, ide_bm_ops;
/* The legacy ports on pio: 0x1f0-0x1f7, 0x3f6, 0x170-0x177, 0x376. 0 or -errno. */
int ide_map_legacy(struct ide_ctrl *c, struct bus *pio);

/* ide-state.c, snapshots (issue 18) with no vCPU running: the channels, their devices and the PCI
 * configuration in one section (the PCI part last). load: 0, -ENOMEM, or -EINVAL for a bad section or
 * one saved with other media (kind or size) than this controller's. */
struct vms_writer;
struct vms_reader;
void ide_save(struct ide_ctrl *c, struct vms_writer *w);
int ide_load(struct ide_ctrl *c, struct vms_reader *r);

#endif
