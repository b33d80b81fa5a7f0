/* A recording of the software CPU's results on a fixed-seed corpus: one digest per form (over the
 * snippets whose first instruction is that form, in corpus order) of everything isa_compare looks
 * at, with the same exclusions (undefined flags, fxsave's implementation fields, x87 C1/PE of
 * transcendentals). It keeps a vendor's behaviour proven on hosts of another vendor: the Intel
 * results were recorded while the software CPU was bit-exact with an Intel Xeon, and make test
 * checks the Intel setting against them on any host (tests/isa/intel-seed1.rec).
 *
 * Left out of every digest: snippets with an instruction whose result is the host's own
 * implementation rather than the architecture's (the approximations rcpps/rsqrtps and the x87
 * transcendentals run as host instructions, so they follow the host, whatever the vendor setting). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/isa/isa.h"
#include "tests/isa/record.h"

static const char *const host_impl[] = {
    "rsqrtps", "rsqrtss", "rcpps", "rcpss", "f2xm1", "fyl2x", "fptan", "fpatan", "fyl2xp1", "fsincos",
    "fsin", "fcos",
};

static bool form_is_host_impl(int form)
{
    const char *name = isa_form_at((size_t)form)->name;
    for (size_t k = 0; k < sizeof(host_impl) / sizeof(host_impl[0]); k++)
        if (!strcmp(name, host_impl[k]))
            return true;
    return false;
}

bool record_counts(const struct snippet *s)
{
    for (int k = 0; k < s->nforms; k++)
        if (form_is_host_impl(s->forms[k]))
            return false;
    return true;
}

/* FNV-1a, 64-bit */
static void mix(uint64_t *h, const void *p, size_t n)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        *h = (*h ^ b[i]) * 0x100000001b3ull;
}

static void mix64(uint64_t *h, uint64_t v) { mix(h, &v, sizeof(v)); }

uint64_t record_digest(const struct snippet *s, const struct isa_out *o)
{
    uint64_t h = 0xcbf29ce484222325ull;
    const struct flat_state *st = &o->st;
    mix64(&h, (uint64_t)o->status);
    mix64(&h, o->status == OUT_FAULT || o->status == OUT_CRASH ? (uint64_t)o->vector : 0);
    mix(&h, st->gpr, sizeof(st->gpr));
    mix64(&h, st->rip);
    mix64(&h, st->rflags & FL_ALL & ~s->undef);
    mix(&h, st->xmm, sizeof(st->xmm));
    mix64(&h, st->mxcsr);
    mix64(&h, st->fcw);
    mix64(&h, st->fsw & (s->x87_loose ? (uint16_t)~0x0220 : 0xffff));
    mix64(&h, st->ftw);
    if (!s->x87_loose)
        mix(&h, st->st, sizeof(st->st));
    for (uint32_t i = 0; i < ISA_DATA_SIZE; i++)
        if (i < s->skip_off || i >= (uint32_t)s->skip_off + s->skip_len)
            mix(&h, &o->data[i], 1);
    return h;
}

void record_add(struct record *r, const struct snippet *s, const struct isa_out *o, long index)
{
    if (!record_counts(s))
        return;
    struct record_row *row = &r->rows[s->forms[0]];
    uint64_t d = record_digest(s, o);
    for (int c = 0; c < RECORD_COLUMNS; c++) {
        if (index >= record_corpus[c])
            continue;
        row->count[c]++;
        mix64(&row->digest[c], d);
    }
}

struct record *record_new(void)
{
    size_t nf = isa_nforms();
    struct record *r = calloc(1, sizeof(*r) + nf * sizeof(r->rows[0]));
    if (!r)
        return NULL;
    r->nforms = nf;
    for (size_t i = 0; i < nf; i++)
        for (int c = 0; c < RECORD_COLUMNS; c++)
            r->rows[i].digest[c] = 0xcbf29ce484222325ull;
    return r;
}

int record_write(const struct record *r, const char *path, const char *what)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fprintf(f, "# %s\n# form  snippets(first %ld)  digest  snippets(first %ld)  digest\n", what,
            record_corpus[0], record_corpus[1]);
    for (size_t i = 0; i < r->nforms; i++) {
        const struct record_row *w = &r->rows[i];
        fprintf(f, "%s\t%u\t%016" PRIx64 "\t%u\t%016" PRIx64 "\n", isa_form_at(i)->name, w->count[0],
                w->digest[0], w->count[1], w->digest[1]);
    }
    return fclose(f);
}

/* Compares column `col` of this run with the file; prints each form that differs. Returns the
 * number of forms that differ, or -1 when the file cannot be read. */
int record_check(const struct record *r, const char *path, int col)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    char line[256];
    int bad = 0;
    size_t seen = 0;
    while (fgets(line, sizeof(line), f)) {
        if (line[0] == '#')
            continue;
        char name[64];
        unsigned cnt[2];
        uint64_t dig[2];
        if (sscanf(line, "%63[^\t]\t%u\t%" SCNx64 "\t%u\t%" SCNx64, name, &cnt[0], &dig[0], &cnt[1], &dig[1]) != 5)
            continue;
        size_t i = 0;
        while (i < r->nforms && strcmp(isa_form_at(i)->name, name))
            i++;
        if (i == r->nforms) {
            printf("RECORDING: form '%s' of %s is not in the corpus any more\n", name, path);
            bad++;
            continue;
        }
        seen++;
        const struct record_row *w = &r->rows[i];
        if (w->count[col] != cnt[col] || w->digest[col] != dig[col]) {
            printf("RECORDING: %s differs from %s (%u snippets, digest %016" PRIx64 "; recorded %u, %016" PRIx64 ")\n",
                   name, path, w->count[col], w->digest[col], cnt[col], dig[col]);
            bad++;
        }
    }
    fclose(f);
    if (seen != r->nforms) {
        printf("RECORDING: %zu forms of the corpus are not in %s\n", r->nforms - seen, path);
        bad++;
    }
    return bad;
}
