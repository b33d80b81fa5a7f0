/* The soft CPU's write tracking for a live migration's dirty log (accel/soft/dirty.c, mem.c's
 * tlb_fill, mmu.c's A/D updates) on a fake guest RAM whose env logs ram_write: the first write to a
 * clean page takes the slow path and marks it, later writes use the cached shortcut, a read never
 * caches a write shortcut for a clean page, a sync (marks taken, shortcuts dropped) makes the next
 * write mark again, and the page walk's A and D updates mark the page-table pages they write. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "accel/soft/cpu.h"
#include "accel/soft/tb.h"

#define RAM_SIZE (1u << 20)
#define PAGES (RAM_SIZE / 4096)
static uint8_t *ram;
static bool marked[PAGES];
static unsigned marks;                 /* ram_write calls with writing */

static enum phys_kind fake_phys(struct cpu *c, uint64_t gpa, uint8_t **host, bool *writable)
{
    (void)c;
    if (gpa >= RAM_SIZE)
        return PHYS_MMIO;
    *host = ram + gpa;
    *writable = true;
    return PHYS_RAM;
}

static uint64_t fake_mmio_read(struct cpu *c, uint64_t gpa, unsigned size)
{
    (void)c; (void)gpa; (void)size;
    return ~0ull;
}

static void fake_mmio_write(struct cpu *c, uint64_t gpa, uint64_t v, unsigned size)
{
    (void)c; (void)gpa; (void)v; (void)size;
}

/* As soft_ram_write with the log on. */
static bool fake_ram_write(struct cpu *c, const uint8_t *host, bool writing)
{
    (void)c;
    size_t page = (size_t)(host - ram) / 4096;
    assert_true(page < PAGES);
    if (writing) {
        marked[page] = true;
        marks++;
        return true;
    }
    return marked[page];
}

static const struct cpu_env_ops env = {
    .phys_page = fake_phys, .mmio_read = fake_mmio_read, .mmio_write = fake_mmio_write,
    .ram_write = fake_ram_write,
};

/* A sync, as soft_dirty_sync does with the marks taken. */
static void sync_log(struct cpu *c)
{
    memset(marked, 0, sizeof(marked));
    marks = 0;
    for (int u = 0; u < 2; u++)
        for (unsigned k = 0; k < TLB_SIZE; k++)
            c->tlb[u][k].tag_write = ~0ull;
}

static struct cpu *new_cpu(void)
{
    struct cpu *c = calloc(1, sizeof(*c));
    c->env = &env;
    c->pages = code_pages_new();
    cpu_reset(c);
    c->exc_vector = -1;
    c->delivering = -1;
    memset(marked, 0, sizeof(marked));
    marks = 0;
    return c;
}

static void free_cpu(struct cpu *c)
{
    code_pages_free(c->pages);
    free(c);
}

static void test_first_write_marks(void **state)
{
    (void)state;
    struct cpu *c = new_cpu();                    /* paging off: linear == physical */
    assert_int_equal(lin_read(c, 0x5000, 4, false), 0);
    assert_false(marked[5]);                      /* a read marks nothing */
    lin_write(c, 0x5004, 4, 0x11223344, false);   /* no shortcut from the read: slow path */
    assert_true(marked[5]);
    assert_int_equal(marks, 1);
    lin_write(c, 0x5008, 4, 1, false);            /* the shortcut, no call */
    lin_write(c, 0x5ffc, 4, 2, false);
    assert_int_equal(marks, 1);
    lin_write(c, 0x6000, 8, 3, false);
    assert_true(marked[6]);
    assert_int_equal(marks, 2);
    sync_log(c);
    lin_write(c, 0x5010, 4, 4, false);            /* after a sync the next write marks again */
    assert_true(marked[5]);
    assert_false(marked[6]);
    assert_int_equal(marks, 1);
    uint32_t v;
    memcpy(&v, ram + 0x5004, 4);
    assert_int_equal(v, 0x11223344);
    free_cpu(c);
}

static void test_read_of_marked_page_caches_write(void **state)
{
    (void)state;
    struct cpu *c = new_cpu();
    marked[7] = true;                             /* marked already (a device wrote it) */
    lin_read(c, 0x7000, 4, false);
    lin_write(c, 0x7000, 4, 5, false);            /* the read's fill gave the shortcut */
    assert_int_equal(marks, 0);
    free_cpu(c);
}

static void put32(uint64_t gpa, uint32_t v) { memcpy(ram + gpa, &v, 4); }

static void test_page_walk_marks_tables(void **state)
{
    (void)state;
    struct cpu *c = new_cpu();
    memset(ram, 0, RAM_SIZE);
    c->cr0 = CR0_PE | CR0_PG;
    c->cr3 = 0x1000;
    put32(0x1000, 0x2000 | 0x3);                  /* PDE 0: page table, rw */
    put32(0x2000 + 5 * 4, 0x9000 | 0x3);          /* 0x5000 -> 0x9000 rw */
    lin_read(c, 0x5000, 4, false);                /* A bits in the PDE and PTE */
    assert_true(marked[1]);
    assert_true(marked[2]);
    assert_false(marked[9]);
    sync_log(c);
    lin_read(c, 0x5000, 4, false);                /* cached: no walk, no mark */
    assert_int_equal(marks, 0);
    lin_write(c, 0x5000, 4, 6, false);            /* the walk sets D in the PTE, the write marks 0x9000 */
    assert_true(marked[2]);
    assert_true(marked[9]);
    assert_false(marked[1]);                      /* the PDE's A was set already */
    free_cpu(c);
}

static int setup(void **state)
{
    (void)state;
    ram = calloc(1, RAM_SIZE);
    return ram ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    free(ram);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_first_write_marks),
        cmocka_unit_test(test_read_of_marked_page_caches_write),
        cmocka_unit_test(test_page_walk_marks_tables),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
