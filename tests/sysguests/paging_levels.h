/* Page-fault error codes level by level (SDM vol. 3, 4.7): for every entry on the path to the test
 * page (the upper levels with rights, the PDE, the PTE), a not-present entry, a read-only,
 * supervisor or XD entry over permissive ones, and reserved bits (above MAXPHYADDR, PAE's 62:52, XD
 * while EFER.NXE=0), each reached by a read, a write and a fetch from ring 0 and ring 3, with the
 * error code and CR2 checked every time. Included by paging_tests.h. */

#define ACC_N 6

struct pf_access {
    const char *name;
    void (*fn)(ulong);
    int user;
    ulong err;   /* bits this access adds to the error code: W, U (I is added where it applies) */
};

static const struct pf_access accesses[ACC_N] = {
    { "ring 0 read", read_fn, 0, 0 },           { "ring 0 write", write_fn, 0, PF_W },
    { "ring 0 fetch", exec_fn, 0, PF_I },       { "ring 3 read", read_fn, 1, PF_U },
    { "ring 3 write", write_fn, 1, PF_W | PF_U }, { "ring 3 fetch", exec_fn, 1, PF_U | PF_I },
};

/* The test page of this file: tva + 0x1000 (pt[1]), its first byte a ret. */
#define LV_PAGE 0x1000ul
#define LV_FULL (PG_P | PG_RW | PG_US)

static void lv_set(volatile pte_t *p, pte_t v)
{
    barrier();
    *p = v;
    barrier();
    WRITE_CR(3, READ_CR(3));
}

/* The entries on the path, top first, the PTE last; returns their number. */
static int lv_entries(const struct paging_env *e, volatile pte_t **ent, const char **name)
{
    int n = 0;
    for (; n < e->nlvl; n++) {
        ent[n] = e->lvl[n];
        name[n] = e->lvl_name[n];
    }
    ent[n] = &e->pt[1];
    name[n] = "PTE";
    return n + 1;
}

/* One access: the fault it should raise (err, with I/D only where SDM 4.7 reports it), or none. */
static void lv_access(const struct paging_env *e, const char *what, const struct pf_access *a, ulong off,
                      ulong err, int rsvd)
{
    ulong addr = e->tva + LV_PAGE + off;
    int got = a->user ? run_user(a->fn, addr, 0) : run_catch(a->fn, addr);
    ulong want = err | (a->err & ~(ulong)PF_I);
    if ((a->err & PF_I) && e->id_on_fetch)
        want |= PF_I;
    char n[160];
    const char *full = cat(cat(what, ", "), a->name);
    unsigned i = 0;
    for (; full[i] && i < sizeof(n) - 1; i++)
        n[i] = full[i];
    n[i] = 0;
    check_eq(cat(n, ": vector"), (ulong)got, 14);
    /* Named apart so that an oracle's known error-code bug on reserved-bit faults excuses only it. */
    check_eq(rsvd ? cat("RSVD error code: ", n) : cat(n, ": error code"), last_exc.error, want);
    check_eq(cat(n, ": cr2 - address"), last_exc.cr2 - addr, 0);
    if (a->fn == exec_fn)
        check_eq(cat(n, ": frame ip - the target"), last_exc.ip - addr, 0);
    else
        check_eq(cat(n, ": frame ip - the access"), last_exc.ip - (ulong)(a->fn == read_fn ? probe_read8_insn
                                                                                           : probe_write8_insn), 0);
}

static void lv_not_present(const struct paging_env *e, volatile pte_t **ent, const char **name, int n)
{
    for (int l = 0; l < n; l++) {
        pte_t old = *ent[l];
        lv_set(ent[l], old & ~(pte_t)PG_P);
        for (int k = 0; k < ACC_N; k++)
            lv_access(e, cat("not-present ", name[l]), &accesses[k], 0x10 + 8 * k, 0, 0);
        lv_set(ent[l], old);
    }
}

static void lv_protection(const struct paging_env *e, volatile pte_t **ent, const char **name, int n)
{
    ulong cr0 = READ_CR(0);
    WRITE_CR(0, cr0 | CR0_WP);
    for (int l = 0; l < n; l++) {
        pte_t old = *ent[l];
        lv_set(ent[l], old & ~(pte_t)PG_RW);
        check_no_fault(cat(cat("read-only ", name[l]), ": ring 0 read"), run_catch(read_fn, e->tva + LV_PAGE));
        lv_access(e, cat("read-only ", name[l]), &accesses[1], 0x20, PF_P, 0);
        lv_access(e, cat("read-only ", name[l]), &accesses[4], 0x28, PF_P, 0);
        lv_set(ent[l], old & ~(pte_t)PG_US);
        check_no_fault(cat(cat("supervisor ", name[l]), ": ring 0 read"), run_catch(read_fn, e->tva + LV_PAGE));
        for (int k = 3; k < ACC_N; k++)
            lv_access(e, cat("supervisor ", name[l]), &accesses[k], 0x30 + 8 * k, PF_P, 0);
        if (e->has_nx) {
            lv_set(ent[l], old | PG_XD);
            check_no_fault(cat(cat("XD ", name[l]), ": ring 0 read"), run_catch(read_fn, e->tva + LV_PAGE));
            lv_access(e, cat("XD ", name[l]), &accesses[2], 0, PF_P, 0);
            lv_access(e, cat("XD ", name[l]), &accesses[5], 0, PF_P, 0);
        }
        lv_set(ent[l], old);
    }
    WRITE_CR(0, cr0);
}

static void lv_reserved(const struct paging_env *e, volatile pte_t **ent, const char **name, int n)
{
    for (int l = 0; l < n; l++) {
        pte_t old = *ent[l];
        if (e->rsvd_bit) {
            lv_set(ent[l], old | ((pte_t)1 << e->rsvd_bit));
            for (int k = 0; k < ACC_N; k++)
                lv_access(e, cat(name[l], " bit above MAXPHYADDR"), &accesses[k], 0x40 + 8 * k, PF_P | PF_RSVD, 1);
        }
        if (e->hi_rsvd) {
            lv_set(ent[l], old | e->hi_rsvd);
            lv_access(e, cat(name[l], " reserved bit 55"), &accesses[0], 0x70, PF_P | PF_RSVD, 1);
            lv_access(e, cat(name[l], " reserved bit 55"), &accesses[1], 0x78, PF_P | PF_RSVD, 1);
        }
        if (e->ign_bit) {
            lv_set(ent[l], old | e->ign_bit);
            check_no_fault(cat(name[l], " bit 55 is ignored: read"), run_catch(read_fn, e->tva + LV_PAGE));
        }
        if (e->has_nx) {
            /* With EFER.NXE=0 bit 63 is reserved, and a fetch reports no I/D (SDM 4.7). */
            lv_set(ent[l], old | PG_XD);
            wrmsr(MSR_EFER, rdmsr(MSR_EFER) & ~(uint64_t)EFER_NXE);
            struct paging_env x = *e;
            x.id_on_fetch = 0;
            lv_access(&x, cat(name[l], " XD while NXE=0"), &accesses[0], 0x80, PF_P | PF_RSVD, 1);
            lv_access(&x, cat(name[l], " XD while NXE=0"), &accesses[2], 0, PF_P | PF_RSVD, 1);
            lv_access(&x, cat(name[l], " XD while NXE=0"), &accesses[4], 0x88, PF_P | PF_RSVD, 1);
            wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_NXE);
        }
        lv_set(ent[l], old);
    }
}

static void test_levels(const struct paging_env *e)
{
    volatile pte_t *ent[5];
    const char *name[5];
    int n = lv_entries(e, ent, name);
    pages[1][0] = 0xc3;   /* ret: a fetch that does not fault returns */
    barrier();
    map(e, 1, pages[1], LV_FULL);
    check_no_fault("all levels permissive: ring 3 fetch", run_user(exec_fn, e->tva + LV_PAGE, 0));
    lv_not_present(e, ent, name, n);
    lv_protection(e, ent, name, n);
    lv_reserved(e, ent, name, n);
    map(e, 1, pages[1], 0);
}

/* The bits of a large-page entry between PAT (bit 12) and the page's address that are reserved, and
 * PAT itself, which is not. */
static void test_large_reserved(const struct paging_env *e, const char *name)
{
    *e->large = (pte_t)(PG_P | PG_RW | PG_PS | 0x1000u);
    invlpg(e->large_va + 0x40);
    check_no_fault(cat(name, " entry with bit 12 (PAT): read"), run_catch(read_fn, e->large_va + 0x40));
    for (int b = 13; b < 64; b++) {
        if (!((e->large_rsvd >> b) & 1))
            continue;
        /* Named by number where it does not depend on MAXPHYADDR. */
        char what[40] = " entry bit ";
        unsigned len = 11;
        if (b >= 10)
            what[len++] = (char)('0' + b / 10);
        what[len++] = (char)('0' + b % 10);
        what[len] = 0;
        if (b == e->rsvd_bit)
            memcpy(what, " entry bit MAXPHYADDR", 22);
        *e->large = (pte_t)(PG_P | PG_RW | PG_PS) | ((pte_t)1 << b);
        invlpg(e->large_va + 0x40);
        int got = run_catch(read_fn, e->large_va + 0x40);
        const char *n = cat(name, what);
        check_eq(cat(n, ": vector"), (ulong)got, 14);
        check_eq(cat("RSVD error code: ", n), last_exc.error, PF_P | PF_RSVD);
        check_eq(cat(n, ": cr2 - address"), last_exc.cr2 - (e->large_va + 0x40), 0);
    }
    *e->large = 0;
    invlpg(e->large_va + 0x40);
}
