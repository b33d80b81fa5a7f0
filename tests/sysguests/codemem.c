/* Code in memory, 64-bit mode: self-modifying code (through the same address, through an alias,
 * and a store into the rest of its own block), instructions straddling two pages that are not
 * physically contiguous and remapping of the second page, an instruction fetch crossing into a
 * not-present page (#PF: I/D bit, CR2 = the first byte of that page, RIP = the instruction), and a
 * rep movsb that faults halfway (RCX/RSI/RDI tell what was done, SDM vol. 2, REP). */
#include "guest.h"

#define TVA 0x40000000ul
extern uint64_t boot_pml4[512], boot_pdpt[512];
static uint64_t test_pd[512] __attribute__((aligned(4096))), test_pt[512] __attribute__((aligned(4096)));
static uint8_t code[4][4096] __attribute__((aligned(4096)));
static uint8_t dst[64];

static void map(unsigned idx, const void *page, uint64_t flags)
{
    barrier();
    test_pt[idx] = (ulong)page | flags;
    invlpg(TVA + idx * 4096);
}

/* mov $imm32, %eax; ret */
static void put_mov_ret(uint8_t *p, uint32_t imm)
{
    p[0] = 0xb8;
    memcpy(p + 1, &imm, 4);
    p[5] = 0xc3;
    barrier();
}

static ulong call(ulong addr)
{
    ulong r;
    __asm__ volatile("call *%1" : "=a"(r) : "r"(addr) : "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11",
                     "memory");
    return r;
}

/* A store into the immediate of the next instruction, in the same straight-line block. */
__asm__(".text\n"
        "smc_same_block:\n"
        "  movb $0x05, 1f+1(%rip)\n"
        "1: movl $0x04, %eax\n"
        "  ret\n");
ulong smc_same_block(void);

ulong rep_rcx, rep_rsi, rep_rdi;
__asm__(".text\n"
        "rep_probe:\n"               /* rdi = source, rsi = destination */
        "  xchgq %rdi, %rsi; movl $0x20, %ecx\n"
        "  movq %rcx, rep_rcx(%rip); movq %rsi, rep_rsi(%rip); movq %rdi, rep_rdi(%rip)\n"
        "rep_insn: rep movsb\n"
        "  ret\n");
void rep_probe(ulong src, ulong dstp);
extern char rep_insn[];
static ulong rep_src;
static struct frame rep_frame;
static void rep_hook(struct frame *f)
{
    rep_frame = *f;
    f->rcx = 0;             /* end the instruction: the test looks at the registers it faulted with */
}
static void run_rep(ulong unused)
{
    (void)unused;
    rep_probe(rep_src, (ulong)dst);
}

static void exec_at(ulong addr) { (void)call(addr); }

/* call addr with rax = a (the code there may jmp *%rax) */
static ulong call_rax(ulong addr, ulong a)
{
    ulong r = a;
    __asm__ volatile("call *%1" : "+a"(r) : "r"(addr) : "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11",
                     "memory");
    return r;
}

void guest_main(void)
{
    puts_uart("codemem: self-modifying code, page-straddling instructions, fetch faults, rep faults\n");
    boot_pdpt[1] = (ulong)test_pd | 7;
    test_pd[0] = (ulong)test_pt | 7;
    WRITE_CR(3, READ_CR(3));

    /* Self-modifying code: the same bytes executed, rewritten, executed again. */
    put_mov_ret(code[0], 1);
    check_eq("code in a data page runs", call((ulong)code[0]), 1);
    put_mov_ret(code[0], 2);
    check_eq("rewritten through the same address: new code runs", call((ulong)code[0]), 2);
    map(0, code[0], 7);
    check_eq("the same page through a second mapping", call(TVA), 2);
    put_mov_ret(code[0], 3);
    check_eq("rewritten through the first mapping, run through the second", call(TVA), 3);
    check_eq("a store into the next instruction of the same block", smc_same_block(), 5);
    check_eq("and again (the block was rebuilt with the new byte)", smc_same_block(), 5);

    /* An instruction straddling two pages whose frames are not adjacent. */
    memset(code[1], 0x90, 4096);
    memset(code[3], 0x90, 4096);
    code[1][0xffd] = 0xb8;
    code[1][0xffe] = 0x44;
    code[1][0xfff] = 0x33;
    code[3][0] = 0x22;
    code[3][1] = 0x11;
    code[3][2] = 0xc3;
    code[2][0] = 0x66;
    code[2][1] = 0x55;
    code[2][2] = 0xc3;
    map(1, code[1], 7);
    map(2, code[3], 7);
    check_eq("mov straddling two pages (frames 1 and 3)", call(TVA + 0x1ffd), 0x11223344);
    map(2, code[2], 7);
    check_eq("second page remapped (frame 2): the new bytes run", call(TVA + 0x1ffd), 0x55663344);
    ulong same = 0;
    for (int n = 0; n < 200; n++)
        same += call(TVA + 0x1ffd) == 0x55663344;
    check_eq("run 200 times (a kept block by now)", same, 200);
    code[2][1] = 0x77;
    barrier();
    check_eq("its second page rewritten: the new bytes run", call(TVA + 0x1ffd), 0x77663344);
    /* The same, rewritten from inside a hot loop: the loop's translated code reaches the kept
     * block through its chain (a jump-cache hit), which must look at the second page too. */
    same = 0;
    for (int n = 0; n < 200; n++) {
        if (n == 100) {
            code[2][1] = 0x99;
            barrier();
        }
        same += call(TVA + 0x1ffd) == (n < 100 ? 0x77663344u : 0x99663344u);
    }
    check_eq("its second page rewritten in a hot loop: the new bytes run", same, 200);
    map(2, code[3], 7);
    check_eq("second page remapped again (frame 3)", call(TVA + 0x1ffd), 0x11223344);
    map(2, code[2], 0);
    check_eq("second page not present: fetch #PF", (ulong)run_catch(exec_at, TVA + 0x1ffd), 14);
    check_eq("fetch #PF: error code (I/D, not present)", last_exc.error, 0x10);
    check_eq("fetch #PF: cr2 = the first byte of the missing page", last_exc.cr2, TVA + 0x2000);
    check_eq("fetch #PF: rip = the start of the instruction", last_exc.ip, TVA + 0x1ffd);

    /* One linear page over two frames in turn, each jumping within the page to its own code:
     * a jump chained under one mapping must not lead into the other frame's code. */
    for (int f = 0; f < 2; f++) {
        memset(code[f], 0x90, 4096);
        code[f][0] = 0xe9;                       /* jmp rel32 -> +0x100 */
        code[f][1] = 0xfb;
        code[f][2] = code[f][3] = code[f][4] = 0;
        put_mov_ret(code[f] + 0x100, 0x100 + (uint32_t)f);
    }
    ulong runs = 0;
    for (int n = 0; n < 60; n++) {
        map(4, code[n & 1], 7);
        runs += call(TVA + 0x4000) == 0x100u + (n & 1);
        runs += call(TVA + 0x4000) == 0x100u + (n & 1);
    }
    check_eq("one page, two frames in turn: each frame's own jump target", runs, 120);

    /* Frame 0 mapped at two pages, L1 (always) and L2 (frame 1 at first): its jmp *%rax to
     * L2+0x100 from L1 leads into frame 1; entered at L2 once L2 maps frame 0 too, the same jump
     * stays within its page and must land in frame 0's code, not where it led before. */
    ulong l1 = TVA + 0x5000, l2 = TVA + 0x6000;
    code[0][0] = 0xff;                           /* jmp *%rax */
    code[0][1] = 0xe0;
    put_mov_ret(code[0] + 0x100, 0xa);
    put_mov_ret(code[1] + 0x100, 0xb);
    map(5, code[0], 7);
    map(6, code[1], 7);
    runs = 0;
    for (int n = 0; n < 60; n++)
        runs += call_rax(l1, l2 + 0x100) == 0xb;
    check_eq("jmp *%rax from an alias into the other frame", runs, 60);
    map(6, code[0], 7);
    check_eq("the same jump within the page: frame 0's code", call_rax(l2, l2 + 0x100), 0xa);

    /* Two address spaces (CR3 values) that map the same linear pages: page 7 to one frame in
     * both, page 8 to frame 0 in one and frame 1 in the other, page 9 likewise to frames 2 and 3.
     * Page 7's jmp at 0xff0 leads into page 8 (another page: under each CR3 its own frame's
     * code); page 9's jmp at 0 stays within the page (each frame its own target). Switching CR3
     * back and forth with CR4.PGE set (then a CR3 write leaves global translations, so the
     * translator may keep links that cannot depend on the mapping: jit-link.c), each call must
     * end in the code of the frame mapped now. */
    static uint64_t pml4_b[512] __attribute__((aligned(4096))), pdpt_b[512] __attribute__((aligned(4096)));
    static uint64_t pd_b[512] __attribute__((aligned(4096))), pt_b[512] __attribute__((aligned(4096)));
    static uint8_t shared[4096] __attribute__((aligned(4096)));
    ulong cr3_a = READ_CR(3);
    memcpy(pml4_b, boot_pml4, sizeof(pml4_b));
    memcpy(pdpt_b, boot_pdpt, sizeof(pdpt_b));
    memcpy(pd_b, test_pd, sizeof(pd_b));
    pml4_b[0] = (ulong)pdpt_b | 7;
    pdpt_b[1] = (ulong)pd_b | 7;
    pd_b[0] = (ulong)pt_b | 7;
    memset(shared, 0x90, 4096);
    shared[0xff0] = 0xe9;                        /* jmp rel32 -> page 8 + 0x100 */
    uint32_t rel = 0x1100 - 0xff5;
    memcpy(shared + 0xff1, &rel, 4);
    for (int f = 0; f < 4; f++) {
        memset(code[f], 0x90, 4096);
        code[f][0] = 0xe9;                       /* jmp rel32 -> +0x100 */
        code[f][1] = 0xfb;
        code[f][2] = code[f][3] = code[f][4] = 0;
        put_mov_ret(code[f] + 0x100, 0x200 + (uint32_t)f);
    }
    map(7, shared, 7);
    map(8, code[0], 7);
    map(9, code[2], 7);
    memcpy(pt_b, test_pt, sizeof(pt_b));
    pt_b[8] = (ulong)code[1] | 7;
    pt_b[9] = (ulong)code[3] | 7;
    barrier();
    ulong cr4 = READ_CR(4);
    WRITE_CR(4, cr4 | CR4_PGE);                  /* (as Linux: CR3 writes keep global pages) */
    runs = 0;
    for (int n = 0; n < 60; n++) {
        WRITE_CR(3, n & 1 ? (ulong)pml4_b : cr3_a);
        for (int k = 0; k < 3; k++) {
            runs += call(TVA + 0x7ff0) == 0x200u + (n & 1);
            runs += call(TVA + 0x9000) == 0x202u + (n & 1);
        }
    }
    check_eq("two CR3s in turn: a jump into the next page, one within the page", runs, 360);

    /* The same frame at page 12 under one CR3 and at page 13 under the other, with a jmp *%rax to
     * page 13 + 0x100: under the first that is another frame's code, under the second the
     * frame's own (the jump stays within the page it runs at). */
    put_mov_ret(code[0] + 0x100, 0x300);
    put_mov_ret(code[1] + 0x100, 0x301);
    code[0][0] = 0xff;                           /* jmp *%rax */
    code[0][1] = 0xe0;
    map(12, code[0], 7);
    map(13, code[1], 7);
    pt_b[12] = (ulong)code[1] | 7;
    pt_b[13] = (ulong)code[0] | 7;
    barrier();
    runs = 0;
    for (int n = 0; n < 60; n++) {
        WRITE_CR(3, n & 1 ? (ulong)pml4_b : cr3_a);
        for (int k = 0; k < 3; k++)
            runs += n & 1 ? call_rax(TVA + 0xd000, TVA + 0xd100) == 0x300
                          : call_rax(TVA + 0xc000, TVA + 0xd100) == 0x301;
    }
    WRITE_CR(3, cr3_a);
    WRITE_CR(4, cr4);
    check_eq("two CR3s in turn: jmp *%rax within the page a frame runs at", runs, 180);

    /* rep movsb from a page into a not-present one: 0x10 bytes done, then #PF. */
    memset(code[1] + 0xff0, 0xab, 0x10);
    map(1, code[1], 7);
    rep_src = TVA + 0x1ff0;
    exc_set_hook(14, rep_hook);
    run_rep(0);
    exc_set_hook(14, 0);
    check_eq("rep movsb into a fault: vector", rep_frame.vector, 14);
    check_eq("rep movsb into a fault: cr2", last_exc.cr2, TVA + 0x2000);
    check_eq("rep movsb into a fault: rip = the rep movsb", rep_frame.ip - (ulong)rep_insn, 0);
    check_eq("rep movsb into a fault: rcx = bytes left", rep_frame.rcx, 0x10);
    check_eq("rep movsb into a fault: rsi advanced by the bytes done", rep_frame.rsi - rep_src, 0x10);
    check_eq("rep movsb into a fault: rdi advanced by the bytes done", rep_frame.rdi - (ulong)dst, 0x10);
    check_eq("rep movsb into a fault: the bytes done were stored", dst[0] == 0xab && dst[15] == 0xab && dst[16] == 0, 1);
}
