/* IDT, TSS and exception dispatch of the test guests, and the ring-0/ring-3 "run and catch" helpers
 * (SDM vol. 3 ch. 6 for the gates and frames, ch. 7 for the TSS; vol. 1, 19.5 for the I/O bitmap). */
#include "guest.h"

extern char exc_stubs[];
void user_enter(void (*fn)(ulong), ulong arg, ulong flags, ulong sp);

struct gate {
#ifdef __x86_64__
    uint16_t off_lo, sel;
    uint8_t ist, type_attr;
    uint16_t off_mid;
    uint32_t off_hi, zero;
#else
    uint16_t off_lo, sel;
    uint8_t zero, type_attr;
    uint16_t off_hi;
#endif
} __attribute__((packed));

static struct gate idt[256] __attribute__((aligned(16)));

/* Both TSS formats put the I/O map base at offset 102; the map ends with an all-ones byte. */
#define TSS_HDR 104
static struct {
    uint8_t hdr[TSS_HDR];
    uint8_t bitmap[IO_BITMAP_PORTS / 8];
    uint8_t terminator;
} __attribute__((packed, aligned(16))) tss;

uint8_t ist_stack1[IST_STACK_SIZE] __attribute__((aligned(16)));
uint8_t ist_stack2[IST_STACK_SIZE] __attribute__((aligned(16)));
static uint8_t ring0_stack[16384] __attribute__((aligned(16)));
static uint8_t user_stack[16384] __attribute__((aligned(16)));

volatile struct exc_info last_exc;
volatile int exc_count;
static exc_hook hooks[256];
static struct jmpbuf catch_buf;
static volatile int catch_armed;

ulong idt_stub(unsigned vector)
{
    return (ulong)exc_stubs + 16 * vector;
}

void idt_set(unsigned vector, ulong handler, unsigned dpl, unsigned ist, unsigned type)
{
    struct gate *g = &idt[vector];
    memset_g(g, 0, sizeof(*g));
    g->off_lo = handler & 0xffff;
    g->sel = SEL_KCODE;
    g->type_attr = (uint8_t)(0x80 | (dpl << 5) | type);
#ifdef __x86_64__
    g->ist = (uint8_t)ist;
    g->off_mid = (handler >> 16) & 0xffff;
    g->off_hi = (uint32_t)(handler >> 32);
#else
    (void)ist;
    g->off_hi = (uint16_t)(handler >> 16);
#endif
}

void idt_set_selector(unsigned vector, uint16_t sel)
{
    idt[vector].sel = sel;
}

void idt_set_present(unsigned vector, int present)
{
    idt[vector].type_attr = (uint8_t)((idt[vector].type_attr & 0x7f) | (present ? 0x80 : 0));
}

void idt_init(void)
{
    for (unsigned v = 0; v < 256; v++)
        idt_set(v, idt_stub(v), 0, 0, 0xe);
    idt_set(0x80, idt_stub(0x80), 3, 0, 0xe);
    struct __attribute__((packed)) { uint16_t limit; ulong base; } d = { sizeof(idt) - 1, (ulong)idt };
    __asm__ volatile("lidt %0" :: "m"(d));
}

static void tss_write_descriptor(uint32_t limit)
{
    uint64_t base = (ulong)&tss;
    gdt[SEL_TSS >> 3] = (limit & 0xffff) | ((base & 0xffffff) << 16) | (0x89ull << 40) |
                        ((uint64_t)(limit >> 16 & 0xf) << 48) | ((base >> 24 & 0xff) << 56);
#ifdef __x86_64__
    gdt[(SEL_TSS >> 3) + 1] = base >> 32;
#endif
    __asm__ volatile("ltr %w0" :: "r"(SEL_TSS));   /* marks it busy; we rewrite it as available */
}

void tss_set_io_bitmap(int present)
{
    uint16_t base = present ? TSS_HDR : sizeof(tss);
    memcpy(&tss.hdr[102], &base, 2);
    tss_write_descriptor(present ? sizeof(tss) - 1 : TSS_HDR - 1);
}

void io_bitmap_set(unsigned port, int deny)
{
    if (deny)
        tss.bitmap[port / 8] |= (uint8_t)(1u << (port % 8));
    else
        tss.bitmap[port / 8] &= (uint8_t)~(1u << (port % 8));
}

void tss_set_sp0(ulong sp)
{
    memcpy(&tss.hdr[4], &sp, sizeof(sp));
#ifndef __x86_64__
    uint32_t ss0 = SEL_KDATA;
    memcpy(&tss.hdr[8], &ss0, 4);
#endif
}

ulong tss_get_sp0(void)
{
    ulong sp;
    memcpy(&sp, &tss.hdr[4], sizeof(sp));
    return sp;
}

void tss_set_backlink(uint16_t sel)
{
    memcpy(&tss.hdr[0], &sel, 2);
}

void tss_set_ist(unsigned n, ulong sp)
{
#ifdef __x86_64__
    memcpy(&tss.hdr[36 + 8 * (n - 1)], &sp, 8);
#else
    (void)n, (void)sp;
#endif
}

void tss_init(void)
{
    memset_g(&tss, 0, sizeof(tss));
    memset_g(tss.bitmap, 0xff, sizeof(tss.bitmap));
    tss.terminator = 0xff;
    tss_set_sp0((ulong)ring0_stack + sizeof(ring0_stack));
    tss_set_io_bitmap(1);
}

void exc_set_hook(unsigned vector, exc_hook hook)
{
    hooks[vector] = hook;
}

void exc_dispatch(struct frame *f)
{
#ifndef __x86_64__
    int from_user = (f->cs & 3) != 0;
#endif
    last_exc.vector = f->vector;
    last_exc.error = f->error;
    last_exc.ip = f->ip;
    last_exc.cs = f->cs;
    last_exc.flags = f->flags;
#ifdef __x86_64__
    last_exc.sp = f->sp;
    last_exc.ss = f->ss;
    last_exc.ax = f->rax;
#else
    /* Without a privilege change the CPU pushed no ESP/SS: the old ESP is just above EFLAGS. */
    last_exc.sp = from_user ? f->sp : (ulong)&f->sp;
    last_exc.ss = from_user ? f->ss : SEL_KDATA;
    last_exc.ax = f->eax;
#endif
    last_exc.cr2 = READ_CR(2);
    last_exc.handler_sp = (ulong)f;
    exc_count++;
    if (hooks[f->vector]) {
        hooks[f->vector](f);
        return;
    }
    if (catch_armed) {
        catch_armed = 0;
        glongjmp(&catch_buf, 1);
    }
    gprintf("FAIL unexpected exception: vector 0x%lx error 0x%lx ip 0x%lx cs 0x%lx cr2 0x%lx\n",
            f->vector, f->error, f->ip, f->cs, (ulong)last_exc.cr2);
    finish();
}

/* After a fault from ring 3 or in the middle of a segment test. In 64-bit mode FS and GS are left
 * alone: loading them would reset the bases that the tests set through the MSRs. SS is reloaded:
 * a handler entered through an IST stack or from ring 3 may have had a null SS loaded, and we
 * leave it by longjmp, not iretq. */
static void restore_data_segments(void)
{
#ifdef __x86_64__
    __asm__ volatile("mov %0, %%ds; mov %0, %%es; mov %0, %%ss" :: "r"(SEL_KDATA));
#else
    __asm__ volatile("mov %0, %%ds; mov %0, %%es; mov %0, %%fs; mov %0, %%gs" :: "r"(SEL_KDATA));
#endif
}

/* Before each run: a check of a field that no exception wrote must fail. */
static void exc_clear(void)
{
    last_exc.vector = last_exc.error = last_exc.ip = last_exc.cs = ~0ul;
    last_exc.flags = last_exc.sp = last_exc.ss = last_exc.cr2 = last_exc.handler_sp = ~0ul;
}

int run_catch(void (*fn)(ulong), ulong arg)
{
    if (gsetjmp(&catch_buf)) {
        restore_data_segments();
        return (int)last_exc.vector;
    }
    exc_clear();
    catch_armed = 1;
    fn(arg);
    catch_armed = 0;
    return -1;
}

int check_no_fault(const char *name, int vector)
{
    if (vector < 0)
        return check(name, 1);
    gprintf("%sFAIL %s: exception 0x%x, error code 0x%lx, ip 0x%lx\n", opt_mode ? "opt: " : "", name, vector,
            (ulong)last_exc.error, (ulong)last_exc.ip);
    check_count_failure();
    return 0;
}

void user_exit_handler(struct frame *f)
{
#ifdef __x86_64__
    ulong ax = f->rax;
#else
    ulong ax = f->eax;
#endif
    if ((f->cs & 3) == 3 && ax == USER_EXIT && catch_armed) {
        catch_armed = 0;
        glongjmp(&catch_buf, 2);
    }
    gprintf("FAIL unexpected int 0x80: ax 0x%lx cs 0x%lx\n", ax, f->cs);
    finish();
}

int run_user(void (*fn)(ulong), ulong arg, ulong flags)
{
    int r = gsetjmp(&catch_buf);
    if (r) {
        restore_data_segments();
        return r == 2 ? -1 : (int)last_exc.vector;
    }
    exc_clear();
    catch_armed = 1;
    user_enter(fn, arg, (flags | 2) & ~(ulong)FL_IF, (ulong)user_stack + sizeof(user_stack));
    return -3;   /* not reached */
}

void guest_start(void)
{
    idt_init();
    tss_init();
    exc_set_hook(0x80, user_exit_handler);
    restore_data_segments();
    putc_uart('\n');   /* the loader or firmware may have left a partial line */
    guest_main();
    finish();
}
