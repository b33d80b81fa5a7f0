/* isa-diff: the software CPU against the host CPU, snippet by snippet (issue 3, "How it is checked").
 * Every form of the tables gets the same share of a fixed-seed corpus; one snippet in five is a short
 * sequence (lazy flags across instructions). Prints the first mismatch of each form and a coverage
 * table; exits 0 when no implemented form fails, 1 otherwise, 77 when there is no software CPU. */
#include <capstone/capstone.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "accel/soft/decode.h"
#include "tests/isa/isa.h"
#include "tests/isa/record.h"

/* The software CPU's decoder, when it is linked in: a third opinion on instruction lengths. */
#pragma weak decode_insn

struct form_stat {
    uint32_t runs;          /* snippets containing the form */
    uint32_t single, ok, fail, unimpl, native_fault;
    uint32_t printed;
};

struct opts {
    uint64_t seed;
    long count;
    const char *only;       /* form name substring */
    int show;               /* mismatches printed per form */
    bool table, strict, self, check_gen;
    bool jit;               /* the software CPU translates every block to host code first */
    enum cpu_vendor vendor; /* the software CPU's vendor setting (default: the host's, -cpu host) */
    long index;             /* run only this snippet number (reproduce a report) */
    const char *record;     /* write the software CPU's results as a recording (record.c) */
    const char *recorded;   /* check the software CPU's results against a recording */
};

static void usage(void)
{
    fprintf(stderr,
            "usage: isa-diff [--seed N] [--count N] [--forms SUBSTR] [--index K] [--failures] [--no-table]\n"
            "                [--strict] [--self] [--no-check-gen] [--jit]\n"
            "  --failures   print up to 20 mismatches per form (default: the first; env ISA_FAILURES=1)\n"
            "  --no-table   leave out the coverage table, one row per form (env ISA_TABLE=0)\n"
            "  --strict     forms the software CPU does not implement fail too\n"
            "  --self       run the host CPU twice and compare (checks the harness)\n"
            "  --jit        the software CPU runs each snippet as translated host code (jit.c)\n"
            "  --vendor V   the software CPU's vendor setting (default host: it must match the host)\n"
            "  --no-check-gen  do not check the generator's instruction lengths against capstone's\n"
            "  --record FILE   run only the software CPU and write its results, a digest per form\n"
            "  --recorded FILE run only the software CPU and compare its results with a recording\n"
            "  VMON_QUICK=1 makes the default corpus 20000 snippets instead of 200000\n");
    exit(2);
}

static void parse(int argc, char **argv, struct opts *o)
{
    const char *q = getenv("VMON_QUICK");
    *o = (struct opts){ .seed = 1, .count = (q && *q == '1') ? 20000 : 200000, .show = 1, .index = -1,
                        .check_gen = true, .vendor = cpu_vendor_host() };
    if (getenv("ISA_FAILURES"))
        o->show = 20;
    o->table = !(getenv("ISA_TABLE") && !strcmp(getenv("ISA_TABLE"), "0"));
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--seed") && v) o->seed = strtoull(v, NULL, 0), i++;
        else if (!strcmp(a, "--count") && v) o->count = strtol(v, NULL, 0), i++;
        else if (!strcmp(a, "--forms") && v) o->only = v, i++;
        else if (!strcmp(a, "--index") && v) o->index = strtol(v, NULL, 0), i++;
        else if (!strcmp(a, "--failures")) o->show = 20;
        else if (!strcmp(a, "--table")) o->table = true;
        else if (!strcmp(a, "--no-table")) o->table = false;
        else if (!strcmp(a, "--strict")) o->strict = true;
        else if (!strcmp(a, "--self")) o->self = true;
        else if (!strcmp(a, "--jit")) o->jit = true;
        else if (!strcmp(a, "--check-gen")) o->check_gen = true;
        else if (!strcmp(a, "--no-check-gen")) o->check_gen = false;
        else if (!strcmp(a, "--vendor") && v) {
            struct cpu_model m;
            if (cpu_model_lookup(v, strlen(v), &m) < 0)
                usage();
            o->vendor = m.vendor;
            i++;
        }
        else if (!strcmp(a, "--record") && v) o->record = v, i++;
        else if (!strcmp(a, "--recorded") && v) o->recorded = v, i++;
        else usage();
    }
    if (o->count <= 0 || ((o->record || o->recorded) && (o->only || o->index >= 0 || o->self)))
        usage();
}

enum { BATCH = 2000 };      /* snippets per forked runner child */

static void *shared_alloc(size_t len)
{
    void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        perror("isa-diff: mmap");
        exit(1);
    }
    return p;
}

/* Snippets base..base+n-1 of the corpus: snippet i gets the i-th allowed form (all forms when allowed
 * is NULL) in a state seeded by (seed, i); every fifth round over the forms is of sequences. */
static void gen_batch(uint64_t seed, const int *allowed, long nallowed, long base, int n, struct snippet *sn)
{
    for (int k = 0; k < n; k++) {
        long i = base + k;
        struct isa_rng r;
        rng_seed(&r, seed * 0x9e3779b97f4a7c15ull + (uint64_t)i);
        gen_snippet(&r, &sn[k], allowed ? allowed[i % nallowed] : (int)(i % nallowed), (i / nallowed) % 5 == 4);
    }
}

/* --record / --recorded: the software CPU alone over the corpus, digested per form (record.c). */
static int run_recording(const struct opts *o)
{
    struct record *rec = record_new();
    struct snippet *sn = malloc(BATCH * sizeof(*sn));
    struct isa_out *out = shared_alloc(BATCH * sizeof(*out));
    size_t nf = isa_nforms();
    int col = o->count <= record_corpus[0] ? 0 : 1;
    if (!rec || !sn || o->count != record_corpus[col]) {
        fprintf(stderr, "isa-diff: a recording is made over %ld or %ld snippets\n", record_corpus[0],
                record_corpus[1]);
        return 2;
    }
    for (long base = 0; base < o->count; base += BATCH) {
        int n = (int)(o->count - base < BATCH ? o->count - base : BATCH);
        gen_batch(o->seed, NULL, (long)nf, base, n, sn);
        soft_run_batch(sn, out, n, &(struct flat_cpu){ .vendor = o->vendor, .jit = o->jit });
        for (int k = 0; k < n; k++)
            record_add(rec, &sn[k], &out[k], base + k);
    }
    int rc;
    if (o->record) {
        char what[160];
        snprintf(what, sizeof(what), "isa-diff --record: software CPU results, seed %llu, %s, %s",
                 (unsigned long long)o->seed, cpu_vendor_name(o->vendor), o->jit ? "translated" : "interpreted");
        rc = record_write(rec, o->record, what) ? 1 : 0;
        printf("isa-diff: recorded %ld snippets in %s\n", o->count, o->record);
    } else {
        int bad = record_check(rec, o->recorded, col);
        if (bad < 0)
            fprintf(stderr, "isa-diff: cannot read %s\n", o->recorded);
        else
            printf("isa-diff: %ld snippets, seed %llu, %s, %s: %d forms differ from %s\n", o->count,
                   (unsigned long long)o->seed, cpu_vendor_name(o->vendor), o->jit ? "translated" : "interpreted",
                   bad, o->recorded);
        rc = bad < 0 ? 2 : bad ? 1 : 0;
    }
    free(rec), free(sn);
    munmap(out, BATCH * sizeof(*out));
    return rc;
}

/* capstone as a second opinion on the generator's encodings: the same length for the first
 * instruction. Capstone decodes neither what 64-bit mode makes invalid nor 0F 1F with a register
 * operand (a valid nop), so those are not asked. */
static int check_lengths(csh h, const struct snippet *s)
{
    cs_insn *insn;
    const struct isa_form *f = isa_form_at((size_t)s->forms[0]);
    if (strstr(f->name, "(#UD)") || !strcmp(f->name, "nop Ev") || s->ilen[0] > 15)
        return 0;                       /* over 15 bytes: #GP, no length to agree on */
    size_t n = cs_disasm(h, s->code, (size_t)s->len, s->start, 1, &insn);
    int bad = n != 1 || insn[0].size != s->ilen[0];
    if (n)
        cs_free(insn, n);
    return bad;
}

/* The software CPU's decoder must find the generator's instruction boundaries (capstone checks the
 * generator with --check-gen). Returns the index of the first instruction it disagrees on, or -1. */
static int check_decoder(const struct snippet *s, int *got)
{
    int off = 0;
    if (!decode_insn)
        return -1;
    for (int k = 0; k < s->nforms; off += s->ilen[k], k++) {
        struct insn in;
        if (strstr(isa_form_at((size_t)s->forms[k])->name, "(#UD)"))
            return -1;                          /* nothing to decode after an invalid opcode */
        memset(&in, 0, sizeof(in));
        int n = s->len - off < 15 ? s->len - off : 15;  /* as the software CPU's fetch does */
        *got = decode_insn(&in, s->code + off, (unsigned)n, 8);
        /* over 15 bytes: -#GP, or 0 ("needs more than the 15 bytes given", which the fetch turns
         * into #GP) */
        if (s->ilen[k] > 15 ? (*got != -13 && *got != 0) : *got != s->ilen[k])
            return k;
    }
    return -1;
}

static const char *row_status(const struct form_stat *st)
{
    if (!st->runs)
        return "not covered";
    if (st->fail)
        return "FAIL";
    if (st->unimpl && st->unimpl == st->single)
        return "not implemented";
    if (st->unimpl)
        return "partly implemented";
    return "ok";
}

static void print_list(const char *title, struct form_stat *stats, size_t nf, const char *want)
{
    int n = 0, col = 0;
    for (size_t i = 0; i < nf; i++) {
        if (strcmp(row_status(&stats[i]), want))
            continue;
        const char *name = isa_form_at(i)->name;
        if (!n++)
            printf("%s:\n ", title), col = 1;
        if (col + (int)strlen(name) + 2 > 100)
            printf("\n "), col = 1;
        col += printf(" %s;", name);
    }
    if (n)
        printf("\n");
}

int main(int argc, char **argv)
{
    struct opts o;
    parse(argc, argv, &o);
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (isa_map_regions() < 0) {
        fprintf(stderr, "isa-diff: cannot map the snippet regions at %#lx\n", ISA_CODE_BASE);
        return 1;
    }
    bool have_soft = soft_present(), auto_self = !have_soft && !o.self;
    if (o.record || o.recorded) {
        if (!have_soft) {
            printf("skip: soft_flat_run is not linked in\n");
            return 77;
        }
        return run_recording(&o);
    }
    if (auto_self) {
        printf("skip: soft_flat_run is not linked in (the software CPU's flat runner is not built yet); "
               "running the host side twice as a harness check\n");
        o.self = true;
        if (o.count > 20000)
            o.count = 20000;
    }
    size_t nf = isa_nforms();
    int *allowed = calloc(nf, sizeof(int));
    struct form_stat *stats = calloc(nf, sizeof(*stats));
    int nallowed = 0;
    for (size_t i = 0; i < nf; i++)
        if (!o.only || strstr(isa_form_at(i)->name, o.only))
            allowed[nallowed++] = (int)i;
    if (!nallowed) {
        fprintf(stderr, "isa-diff: no form matches '%s'\n", o.only);
        return 2;
    }
    csh cs;
    if (cs_open(CS_ARCH_X86, CS_MODE_64, &cs) != CS_ERR_OK)
        return 1;

    struct snippet *sn = malloc(BATCH * sizeof(*sn));
    struct isa_out *nat = shared_alloc(BATCH * sizeof(*nat)), *soft = shared_alloc(BATCH * sizeof(*soft));
    long first = o.index >= 0 ? o.index : 0, last = o.index >= 0 ? o.index + 1 : o.count;
    uint32_t seq_runs = 0, seq_fail = 0, seq_unimpl = 0, harness_bad = 0, gen_bad = 0, seq_printed = 0, dec_bad = 0;
    struct isa_diff diff;

    for (long base = first; base < last; base += BATCH) {
        int n = (int)(last - base < BATCH ? last - base : BATCH);
        gen_batch(o.seed, allowed, nallowed, base, n, sn);
        native_run_batch(sn, nat, n);
        if (o.self)
            native_run_batch(sn, soft, n);
        else
            soft_run_batch(sn, soft, n, &(struct flat_cpu){ .vendor = o.vendor, .jit = o.jit });
        for (int k = 0; k < n; k++) {
            struct snippet *s = &sn[k];
            struct form_stat *st = &stats[s->forms[0]];
            bool single = s->nforms == 1;
            for (int j = 0; j < s->nforms; j++)
                stats[s->forms[j]].runs++;
            if (o.check_gen && check_lengths(cs, s)) {
                if (gen_bad++ < 20) {
                    printf("generator/capstone length disagreement (snippet %ld, length %d):\n", base + k, s->ilen[0]);
                    isa_print_snippet(s, &nat[k], &soft[k], &(struct isa_diff){ "" });
                }
            }
            int dlen = 0, dk = check_decoder(s, &dlen);
            if (dk >= 0 && dec_bad++ < 20) {
                printf("DECODER length of %s: soft's decode_insn says %d, the encoding has %d (snippet %ld)\n",
                       isa_form_at((size_t)s->forms[dk])->name, dlen, s->ilen[dk], base + k);
                isa_print_snippet(s, &nat[k], &soft[k], &(struct isa_diff){ "" });
            }
            if (single)
                st->single++;
            else
                seq_runs++;
            if (nat[k].status == OUT_FAULT && single)
                st->native_fault++;
            if (nat[k].status == OUT_CRASH)
                harness_bad++;
            if (isa_compare(s, &nat[k], &soft[k], &diff))
                st->ok += single;
            else {
                /* #UD from the software CPU where the host went on: not implemented */
                bool unimpl = soft[k].status == OUT_FAULT && soft[k].vector == 6 &&
                              !(nat[k].status == OUT_FAULT && nat[k].vector == 6 && nat[k].st.rip == soft[k].st.rip);
                uint32_t *printed = single ? &st->printed : &seq_printed;
                if (single)
                    unimpl ? st->unimpl++ : st->fail++;
                else
                    unimpl ? seq_unimpl++ : seq_fail++;
                if ((!unimpl || o.show > 1) && (int)*printed < (single ? o.show : o.show * 5)) {
                    (*printed)++;
                    printf("MISMATCH %s (snippet %ld, seed %llu)\n", single ? isa_form_at((size_t)s->forms[0])->name
                           : "sequence", base + k, (unsigned long long)o.seed);
                    isa_print_snippet(s, &nat[k], &soft[k], &diff);
                }
            }
        }
    }
    cs_close(&cs);

    uint32_t covered = 0, ok = 0, failing = 0, unimpl = 0, partial = 0;
    if (o.table && o.index < 0)
        printf("%-26s %8s %8s %8s %8s %8s  %s\n", "form", "snippets", "single", "fault%", "fail", "unimpl", "status");
    for (size_t i = 0; i < nf; i++) {
        const char *rs = row_status(&stats[i]);
        covered += stats[i].runs > 0;
        ok += !strcmp(rs, "ok");
        failing += !strcmp(rs, "FAIL");
        unimpl += !strcmp(rs, "not implemented");
        partial += !strcmp(rs, "partly implemented");
        if (o.table && o.index < 0 && stats[i].runs)
            printf("%-26s %8u %8u %7.1f%% %8u %8u  %s\n", isa_form_at(i)->name, stats[i].runs, stats[i].single,
                   stats[i].single ? 100.0 * stats[i].native_fault / stats[i].single : 0.0, stats[i].fail,
                   stats[i].unimpl, rs);
    }
    print_list("failing forms", stats, nf, "FAIL");
    print_list("forms the software CPU does not implement (#UD where the host ran them)", stats, nf, "not implemented");
    print_list("forms partly implemented (#UD on some snippets)", stats, nf, "partly implemented");
    printf("isa-diff: %ld snippets, seed %llu, %s%s%s: %u of %zu forms covered; %u ok, %u failing, "
           "%u not implemented, %u partly; sequences %u run, %u failing, %u hit #UD; decoder lengths: %s%s%s\n",
           last - first, (unsigned long long)o.seed, o.self ? "host vs host" : "host vs soft as ",
           o.self ? "" : cpu_vendor_name(o.vendor), o.self ? "" : (o.jit ? ", translated" : ", interpreted"), covered, nf, ok,
           failing, unimpl, partial, seq_runs, seq_fail, seq_unimpl,
           !decode_insn ? "not checked" : dec_bad ? "MISMATCHES" : "agree",
           harness_bad ? "; HARNESS CRASHES" : "", gen_bad ? "; GENERATOR/CAPSTONE LENGTH MISMATCHES" : "");
    free(sn), free(stats), free(allowed);
    munmap(nat, BATCH * sizeof(*nat)), munmap(soft, BATCH * sizeof(*soft));
    if (harness_bad || gen_bad || dec_bad || failing || seq_fail || (o.strict && (unimpl || partial)))
        return 1;
    return auto_self ? 77 : 0;
}
