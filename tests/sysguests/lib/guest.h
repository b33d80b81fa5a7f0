/* Common library of the system-level test guests: UART output, checks, descriptors, exceptions. */
#ifndef SYSGUEST_GUEST_H
#define SYSGUEST_GUEST_H

#include <stdint.h>
#include <stddef.h>

typedef unsigned long ulong;   /* register width: 32 or 64 bits, as the guest is built */

/* Selectors of the shared GDT (lib/gdt.S). SEL_KCODE is the native kernel code segment: 64-bit in
 * the long-mode guests, 32-bit in the protected-mode ones. The user selectors sit where SYSRET
 * (STAR[63:48] = 0x18) and SYSENTER (SYSENTER_CS = 0x08) expect them. */
#define SEL_KCODE   0x08
#define SEL_KDATA   0x10
#define SEL_UCODE32 0x1b
#define SEL_UDATA   0x23
#define SEL_UCODE64 0x2b
#define SEL_TSS     0x30
#define SEL_KCODE32 0x40
#define SEL_KCODE16 0x48
#define SEL_KDATA16 0x50
#define SEL_KCODE64 0x58
#define SEL_SPARE0  0x60   /* 0x60..0x78: free for tests */
#define GDT_ENTRIES 16

extern uint64_t gdt[GDT_ENTRIES];
void gdt_reload(void);

/* ---- output (COM1) and results ---- */
void putc_uart(char c);
void puts_uart(const char *s);
void gprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "PASS name = 0x.." or "FAIL name: got 0x.. expected 0x.." */
int check_eq(const char *name, uint64_t got, uint64_t expected);
int check(const char *name, int ok);
/* For a run_catch()/run_user() result: "PASS name" when no exception, else a FAIL line with it. */
int check_no_fault(const char *name, int vector);
void check_count_failure(void);
/* Optional features (not advertised on every CPU): lines start with "opt:", which the comparison
 * with the .out file ignores; a FAIL in them still fails the run. */
int opt_check_eq(const char *name, uint64_t got, uint64_t expected);
void opt_skip(const char *name, const char *why);
extern int opt_mode;   /* while set, check() and check_eq() print "opt:" lines */
/* Print the summary and leave through isa-debug-exit: value 0 (status 1) when all passed, else 1. */
void __attribute__((noreturn)) finish(void);
void __attribute__((noreturn)) debug_exit(int value);

/* Tests write memory that they then reach through another mapping: keep the compiler's order. */
#define barrier() __asm__ volatile("" ::: "memory")

/* ---- port I/O, control registers, MSRs ---- */
static inline void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" :: "a"(v), "Nd"(port)); }
static inline uint8_t inb(uint16_t port) { uint8_t v; __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline void outl(uint16_t port, uint32_t v) { __asm__ volatile("outl %0, %1" :: "a"(v), "Nd"(port)); }
#define READ_CR(n) ({ ulong _v; __asm__ volatile("mov %%cr" #n ", %0" : "=r"(_v)); _v; })
#define WRITE_CR(n, v) __asm__ volatile("mov %0, %%cr" #n :: "r"((ulong)(v)) : "memory")
static inline uint64_t rdmsr(uint32_t msr)
{
    uint32_t lo, hi;
    __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
    return ((uint64_t)hi << 32) | lo;
}
static inline void wrmsr(uint32_t msr, uint64_t v)
{
    __asm__ volatile("wrmsr" :: "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)) : "memory");
}
static inline void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
    __asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(sub));
}
static inline void invlpg(ulong va) { __asm__ volatile("invlpg (%0)" :: "r"(va) : "memory"); }
static inline ulong read_flags(void) { ulong f; __asm__ volatile("pushf; pop %0" : "=r"(f)); return f; }

#define MSR_EFER           0xc0000080
#define MSR_STAR           0xc0000081
#define MSR_LSTAR          0xc0000082
#define MSR_CSTAR          0xc0000083
#define MSR_SFMASK         0xc0000084
#define MSR_FS_BASE        0xc0000100
#define MSR_GS_BASE        0xc0000101
#define MSR_KERNEL_GS_BASE 0xc0000102
#define MSR_TSC_AUX        0xc0000103
#define MSR_SYSENTER_CS    0x174
#define MSR_SYSENTER_ESP   0x175
#define MSR_SYSENTER_EIP   0x176
#define MSR_TSC            0x10
#define EFER_SCE (1u << 0)
#define EFER_LME (1u << 8)
#define EFER_LMA (1u << 10)
#define EFER_NXE (1u << 11)
#define CR0_PE (1u << 0)
#define CR0_WP (1u << 16)
#define CR0_AM (1u << 18)
#define CR0_PG (1u << 31)
#define CR4_PSE (1u << 4)
#define CR4_PAE (1u << 5)
#define CR4_PGE (1u << 7)
#define CR4_FSGSBASE (1u << 16)
#define FL_CF (1u << 0)
#define FL_TF (1u << 8)
#define FL_IF (1u << 9)
#define FL_DF (1u << 10)
#define FL_OF (1u << 11)
#define FL_IOPL3 (3u << 12)
#define FL_NT (1u << 14)
#define FL_AC (1u << 18)

/* ---- exceptions ---- */
/* The frame the stubs of lib/vectors.S build: saved registers, vector, error code (0 where the CPU
 * pushes none), then what the CPU pushed. In 32-bit mode sp/ss are there only on a privilege change. */
struct frame {
#ifdef __x86_64__
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8, rbp, rdi, rsi, rdx, rcx, rbx, rax;
#else
    uint32_t edi, esi, ebp, esp_ignored, ebx, edx, ecx, eax;
#endif
    ulong vector, error;
    ulong ip, cs, flags, sp, ss;
};

struct exc_info {
    ulong vector, error, ip, cs, flags, sp, ss, cr2;
    ulong handler_sp;          /* where the frame was: tells which stack (IST) the CPU switched to */
    ulong ax;                  /* the interrupted code's rax/eax */
};
extern volatile struct exc_info last_exc;
extern volatile int exc_count;
/* A handler the test installs for one vector; it runs instead of the default (record, then go back to
 * the run_catch caller) and returns to the interrupted code via iret. */
typedef void (*exc_hook)(struct frame *f);
void exc_set_hook(unsigned vector, exc_hook hook);

void idt_init(void);
/* type: 0xe interrupt gate, 0xf trap gate; ist: 0 or 1..7 (64-bit only). */
void idt_set(unsigned vector, ulong handler, unsigned dpl, unsigned ist, unsigned type);
ulong idt_stub(unsigned vector);
void idt_set_present(unsigned vector, int present);
void idt_set_selector(unsigned vector, uint16_t sel);
/* "<a><b>" in a static buffer, for building check names. */
const char *cat(const char *a, const char *b);
/* The TSS, with its I/O permission bitmap: IO_BITMAP_PORTS ports then the 0xff terminator byte. */
#define IO_BITMAP_PORTS 0x1000
void tss_init(void);
void tss_set_io_bitmap(int present);          /* limit ends before (0) or after (1) the bitmap */
void io_bitmap_set(unsigned port, int deny);
void tss_set_sp0(ulong sp);
ulong tss_get_sp0(void);
void tss_set_ist(unsigned n, ulong sp);
void tss_set_backlink(uint16_t sel);   /* 32-bit TSS: previous task link, for iret with NT=1 */
#define IST_STACK_SIZE 8192
extern uint8_t ist_stack1[IST_STACK_SIZE], ist_stack2[IST_STACK_SIZE];

/* Run fn(arg) at CPL 0; returns -1, or the vector of the exception it raised (details in last_exc). */
int run_catch(void (*fn)(ulong), ulong arg);
/* Run fn(arg) at CPL 3 with the given flags (IF is kept clear); it returns to ring 0 by returning
 * (the trampoline then does int $0x80 with eax=USER_EXIT). Returns -1 or the vector of an exception. */
#define USER_EXIT 0x5a5a
int run_user(void (*fn)(ulong), ulong arg, ulong flags);
/* The user trampoline's int $0x80: tests may hook vector 0x80 for other calls. */
void user_exit_handler(struct frame *f);

struct jmpbuf { ulong r[8]; };
int gsetjmp(struct jmpbuf *b) __attribute__((returns_twice));
void __attribute__((noreturn)) glongjmp(struct jmpbuf *b, int v);

/* Probes (lib/probes.S): the *_insn labels are the faulting instructions, for checking the frame. */
uint8_t probe_read8(ulong addr);
void probe_write8(ulong addr, ulong val);   /* writes the low byte of val */
void probe_exec(ulong addr);                /* call addr */
extern char probe_read8_insn[], probe_write8_insn[];

void guest_main(void);
extern uint32_t mb_magic, mb_info;

void *memcpy(void *d, const void *s, size_t n);
void *memset(void *d, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);

static inline void *memset_g(void *d, int c, size_t n)
{
    uint8_t *p = d;
    while (n--)
        *p++ = (uint8_t)c;
    return d;
}

#endif
