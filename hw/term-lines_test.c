/* COM1 and the VGA mirror on one terminal (hw/term-lines.c): the mirror waits while COM1 is mid-line
 * and writing, prints on a new line once COM1 went quiet, and either writer taking over the other's
 * unfinished line starts a new one. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "hw/term-lines.h"

#define MS 1000000ull

static void main_text(struct term_lines *l, const char *s, uint64_t now, bool *newline_before_first)
{
    for (size_t i = 0; s[i]; i++) {
        bool nl = term_lines_main(l, (uint8_t)s[i], now);
        if (i == 0)
            *newline_before_first = nl;
        else
            assert_false(nl);
    }
}

static void test_mirror_waits_for_com1(void **state)
{
    (void)state;
    struct term_lines l = { 0 };
    bool nl;
    main_text(&l, "kb", 1000 * MS, &nl);
    assert_false(nl);
    assert_int_equal(term_lines_aside(&l, "\r\nBoot", 6, 0, 1010 * MS, &nl), TERM_ASIDE_LATER);
    main_text(&l, "d-ready\n", 1020 * MS, &nl);
    assert_false(nl);                        /* nothing came between */
    assert_int_equal(term_lines_aside(&l, "\r\nBoot", 6, 0, 1030 * MS, &nl), TERM_ASIDE_WRITE);
    assert_false(nl);                        /* COM1's line was done */
    main_text(&l, "login: ", 1040 * MS, &nl);
    assert_true(nl);                         /* the mirror's line was open */
    assert_int_equal(term_lines_aside(&l, "\r\nx", 3, 0, 1040 * MS + TERM_LINES_HOLD_NS - 1, &nl),
                     TERM_ASIDE_LATER);
    assert_int_equal(term_lines_aside(&l, "\r\nx", 3, 0, 1040 * MS + TERM_LINES_HOLD_NS, &nl),
                     TERM_ASIDE_WRITE);      /* a prompt left waiting: the mirror goes on */
    assert_true(nl);                         /* ... below it */
    main_text(&l, "\r\n", 2000 * MS, &nl);
    assert_false(nl);                        /* COM1's own newline ends the mirror's line */
}

static void test_continuation_and_now(void **state)
{
    (void)state;
    struct term_lines l = { 0 };
    bool nl;
    assert_int_equal(term_lines_aside(&l, "more", 4, TERM_ASIDE_CONT, 0, &nl), TERM_ASIDE_NEW_LINE);
    assert_int_equal(term_lines_aside(&l, "\r\nline", 6, 0, 0, &nl), TERM_ASIDE_WRITE);
    assert_int_equal(term_lines_aside(&l, "more", 4, TERM_ASIDE_CONT, 0, &nl), TERM_ASIDE_WRITE);
    assert_false(nl);
    main_text(&l, "\n", 5 * MS, &nl);
    assert_int_equal(term_lines_aside(&l, "more", 4, TERM_ASIDE_CONT, 6 * MS, &nl),
                     TERM_ASIDE_NEW_LINE);   /* COM1 wrote since: the line is not the mirror's */
    main_text(&l, "half", 7 * MS, &nl);
    assert_int_equal(term_lines_aside(&l, "\r\nend", 5, TERM_ASIDE_NOW, 8 * MS, &nl),
                     TERM_ASIDE_WRITE);      /* the last text at exit is never put off */
    assert_true(nl);
    assert_int_equal(term_lines_aside(&l, "", 0, 0, 9 * MS, &nl), TERM_ASIDE_WRITE);
    assert_false(nl);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mirror_waits_for_com1),
        cmocka_unit_test(test_continuation_and_now),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
