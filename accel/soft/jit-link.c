/* Direct links between translated blocks (QEMU's goto_tb with patched jumps, tcg_tb_link in
 * accel/tcg/cpu-exec.c, in spirit): a block that ends in a direct jump, a conditional jump or a
 * direct call knows its one or two successors' rips at translation time (block start + offset),
 * and for each it gets a link site in its chain code (jit-chain.c) that, once linked, jumps
 * straight into the successor's host code without looking at chain slots or the jump cache:
 *
 *   lea rax, [r12 + off]; cmp rcx, rax; jne next     rcx = c->rip: is this the successor?
 *   cmp dword [rbx + chain_epoch], E; jne miss       the virtual -> block mappings the link was
 *   cmp dword [rbx + X], N; jne miss                 made under (X: chain_epoch_ng, or chain_epoch
 *                                                    again when the successor is on a global page)
 *   call rel32                                       the successor's direct entry, or the link stub
 *   R: 8 bytes, the link stub's address; 1 byte, the privilege the block is translated for; 1 byte,
 *   whether the successor is on the block's own page (then the second compare is left out: below)
 *
 * The call's return address R names the site: nothing returns to it. Unlinked, the call goes to
 * the block's link stub, which pops R and leaves for cpu_exec with c->link_site = R and
 * c->link_rip = rcx; next_tb (exec.c) then finds the successor as it always did and calls
 * jit_link, which patches E, X, N and the call. A block's direct entry (JIT_DIRECT_SIZE bytes
 * before its host code) pops R, checks that its code page was not written since translation
 * (else it leaves the same way, so the site is relinked to the new block), sets last_tb (and
 * the instruction count, where kept: cpu.h) and enters the block past its prologue
 * (JIT_CHAIN_ENTRY) with r12 = rcx, as jit-chain.c does.
 * Everything else a chained jump needs (privilege, the attention word, the budget) is checked
 * before the sites. Links live as long as the arena: a cache flush empties both. (Also here, at
 * the end: the stores that end an sti's interrupt shadow in a block that ends after it.) */
#include <string.h>

#include "accel/soft/jit-int.h"

/* Offsets from R (the call's return address) of the patched fields; SITE_KIND's byte: 1 for a
 * same-page site (SITE_SAME_E_IMM its one epoch), 0 for the layout above. */
enum { SITE_E_IMM = -31, SITE_X_DISP = -19, SITE_N_IMM = -15, SITE_CALL_DISP = -4, SITE_KIND = 9,
       SITE_DATA = 10, SITE_SAME_E_IMM = -15 };

static void put32(uint8_t *at, uint32_t v)
{
    memcpy(at, &v, 4);
}

/* The store both ways out share: c->link_site <- rdx, c->link_rip <- rcx, then cpu_exec. */
static uint8_t *emit_store(struct jctx *j)
{
    struct emit *e = &j->e;
    uint8_t *at = e->p;
    e_store64(e, RDX, RBX, OFF(link_site));
    e_store64(e, RCX, RBX, OFF(link_rip));
    j->link_out = e_jmp(e);
    return at;
}

void jit_emit_direct_entry(struct jctx *j)
{
    struct emit *e = &j->e;
    uint8_t *at = e->p;
    e_pop(e, RDX);                                                     /* R: the site */
    e_mov_imm(e, RSI, (uint64_t)(uintptr_t)j->tb);
    e_mov_imm(e, RAX, (uint64_t)(uintptr_t)j->tb->page);
    e_op_mem(e, false, 0x81, 7, RAX, HNONE, 0, (int32_t)offsetof(struct code_page, gen));
    e_u32(e, j->tb->gen);                                              /* cmp [page->gen], gen */
    j->direct_stale = e_jcc(e, CC_NE);
    e_store64(e, RSI, RBX, OFF(last_tb));
    if (j->budget)
        e_alu_mi(e, true, 0, RBX, OFF(icount), j->tb->ninsn);         /* add [icount], n */
    e_mov_rr(e, true, R12, RCX);                                       /* r12 <- the site's rcx */
    j->direct_enter = e_jmp(e);
    if (e->p - at > JIT_DIRECT_SIZE)
        e->overflow = true;            /* (the encoder changed: make JIT_DIRECT_SIZE larger) */
    while (e->p - at < JIT_DIRECT_SIZE && !e->overflow)
        e_byte(e, 0xcc);
}

/* The successor at block start + off is on the block's own 4 KiB page (the block's page offset
 * is its physical address's, tb->gpa). Such a link is a jump within one physical page, right
 * under any mapping the block runs at: the block was entered at a virtual page that maps to its
 * physical page, so the same virtual page's other bytes are that physical page's (TCG links
 * within a page for the same reason). Its site looks at chain_epoch only (a flush of the cache
 * or the TLB, an invlpg of a code page, a change of the decode mode), not at chain_epoch_ng: a
 * CR3 write, which a context switch makes, leaves it linked. */
static bool same_page(const struct jctx *j, int64_t off)
{
    int64_t at = (int64_t)(j->tb->gpa & 0xfff) + off;
    return at >= 0 && at < 4096;
}

/* A site for the successor at block start + off (the layout above, or with chain_epoch alone for
 * a successor on the same page); known: the chain code gets here only with rip = that
 * successor's (no rip compare). */
static void emit_site(struct jctx *j, int64_t off, bool known)
{
    struct emit *e = &j->e;
    if (!fits32(off) || j->nsites == 2)
        return;
    uint8_t *next = NULL;
    if (!known) {
        e_lea(e, RAX, R12, (int32_t)off);
        e_op_rr(e, true, 0x39, RAX, RCX);                              /* cmp rcx, rax */
        next = e_jcc(e, CC_NE);
    }
    bool same = same_page(j, off);
    uint8_t *base = e->p, *miss2 = NULL;
    e_op_mem(e, false, 0x81, 7, RBX, HNONE, 0, OFF(chain_epoch));
    e_u32(e, ~0u);
    uint8_t *miss1 = e_jcc(e, CC_NE);
    if (!same) {
        e_op_mem(e, false, 0x81, 7, RBX, HNONE, 0, OFF(chain_epoch_ng));
        e_u32(e, ~0u);
        miss2 = e_jcc(e, CC_NE);
    }
    e_byte(e, 0xe8);
    uint8_t *call = e->p;
    e_u32(e, 0);
    uint8_t *r = e->p;
    e_u64(e, 0);                       /* the link stub's address, when it is known */
    e_byte(e, j->tb_cpl);
    e_byte(e, same);
    if (r - base != -(same ? SITE_SAME_E_IMM : SITE_E_IMM) + 6 || call != r + SITE_CALL_DISP ||
        e->p != r + SITE_DATA)
        e->overflow = true;            /* (the encoder changed: fix the SITE_ offsets) */
    if (next)
        e_patch(next, e->p);
    struct link_site *s = &j->sites[j->nsites++];
    s->r = r;
    s->miss[0] = miss1;
    s->miss[1] = miss2;
    s->call = call;
}

/* The sites of a block whose exit is not known at translation (a jcc left to a cmov), with
 * rcx = c->rip. */
void jit_emit_links(struct jctx *j)
{
    const struct insn *last = &j->tb->insn[j->tb->ninsn - 1];
    int64_t end = j->off[j->tb->ninsn];
    if (last->form == FORM_JCC) {
        emit_site(j, end + (int64_t)last->imm, false);
        emit_site(j, end, false);
    }
}

/* The one exit of a block ending in a jmp or call rel32: the chain code is reached only past it
 * (its handler, where it ran one, sets the same rip; a fault leaves for cpu_exec), so the rip is
 * start + *off. */
bool jit_exit_known(const struct jctx *j, int64_t *off)
{
    const struct insn *last = &j->tb->insn[j->tb->ninsn - 1];
    if (last->form != FORM_JMP && last->form != FORM_CALL64)
        return false;
    *off = (int64_t)j->off[j->tb->ninsn] + (int64_t)last->imm;
    return fits32(*off);
}

/* The site of an exit known to leave rip = start + off (rcx holds it too). */
void jit_emit_link_to(struct jctx *j, int64_t off)
{
    emit_site(j, off, true);
}

/* After the block's epilogue: the sites' link and miss stubs, the direct entry's way out, and
 * the direct entry's jump past the prologue. */
void jit_emit_link_tail(struct jctx *j, const uint8_t *start, const uint8_t *epilogue)
{
    struct emit *e = &j->e;
    e_patch(j->direct_enter, start + JIT_CHAIN_ENTRY);
    uint8_t *store = emit_store(j);
    e_patch(j->direct_stale, store);
    uint8_t *link = e->p;              /* unlinked: the call came here */
    e_pop(e, RDX);
    e_patch(e_jmp(e), store);
    for (unsigned k = 0; k < j->nsites && !e->overflow; k++) {
        struct link_site *s = &j->sites[k];
        uint8_t *miss = e->p;          /* an epoch moved: relink through cpu_exec */
        e_byte(e, 0x48);
        e_byte(e, 0x8d);
        e_byte(e, 0x15);               /* lea rdx, [rip + disp32] */
        e_u32(e, (uint32_t)(int32_t)(s->r - (e->p + 4)));
        e_patch(e_jmp(e), store);
        e_patch(s->miss[0], miss);
        e_patch(s->miss[1], miss);
        e_patch(s->call, link);
        uint64_t a = (uint64_t)(uintptr_t)link;
        memcpy(s->r, &a, 8);
    }
    e_patch(j->link_out, epilogue);
}

void jit_link(struct cpu *c, uint8_t *r, const struct tb *t, bool global, const struct tb *from)
{
    uint64_t unlinked;
    memcpy(&unlinked, r, 8);
    const uint8_t *to = (const uint8_t *)(uintptr_t)unlinked;
    bool same = r[SITE_KIND];
    /* (Not into a block on two pages: its direct entry checks the first page only. A same-page
     * site only to a block on the physical page of the block it is in, from: a handler of that
     * block may have changed the mapping its rip was looked up under.) */
    if (t && t->cached && t->jit && t->jit_cpl == c->cpl && r[8] == c->cpl && !c->trace &&
        !t->page2 && (!same || (from && from->gpa >> 12 == t->gpa >> 12)))
        to = (const uint8_t *)(const void *)t->jit - JIT_DIRECT_SIZE;
    if (same) {
        put32(r + SITE_SAME_E_IMM, c->chain_epoch);
    } else {
        put32(r + SITE_E_IMM, c->chain_epoch);
        put32(r + SITE_X_DISP, (uint32_t)(global ? OFF(chain_epoch) : OFF(chain_epoch_ng)));
        put32(r + SITE_N_IMM, global ? c->chain_epoch : c->chain_epoch_ng);
    }
    e_patch(r + SITE_CALL_DISP, to);
}

/* A block that ends after an sti (tb.c: shadow_done): the instruction after it has run, so the
 * interrupt shadow is over; as the interpreter does, clear it and let cpu_exec look at interrupts
 * (attn) rather than step one more instruction on its own. Stores only: the host's flags may hold
 * the guest's. */
void jit_emit_shadow_done(struct jctx *j)
{
    struct emit *e = &j->e;
    if (!j->tb->shadow_done)
        return;
    e_op_mem(e, false, 0xc6, 0, RBX, HNONE, 0, OFF(irq_shadow));
    e_byte(e, 0);
    e_op_mem(e, false, 0xc6, 0, RBX, HNONE, 0, OFF(db_shadow));
    e_byte(e, 0);
    e_op_mem(e, false, 0xc6, 0, RBX, HNONE, 0, OFF(attn));
    e_byte(e, 1);
}
