/* A recording of the software CPU's results on the fixed-seed corpus, one digest per form (record.c). */
#ifndef VMON_TESTS_ISA_RECORD_H
#define VMON_TESTS_ISA_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tests/isa/isa.h"

/* Two columns: the quick pass's corpus (VMON_QUICK=1) and make test's. */
#define RECORD_COLUMNS 2
static const long record_corpus[RECORD_COLUMNS] = { 20000, 200000 };

struct record_row {
    uint32_t count[RECORD_COLUMNS];
    uint64_t digest[RECORD_COLUMNS];
};

struct record {
    size_t nforms;
    struct record_row rows[];
};

struct record *record_new(void);
/* Is the snippet part of a recording (no host-implementation results in it)? */
bool record_counts(const struct snippet *s);
uint64_t record_digest(const struct snippet *s, const struct isa_out *o);
/* Adds snippet number `index` of the corpus. */
void record_add(struct record *r, const struct snippet *s, const struct isa_out *o, long index);
int record_write(const struct record *r, const char *path, const char *what);
int record_check(const struct record *r, const char *path, int col);

#endif
