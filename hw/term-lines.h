/* One terminal, two writers: the guest's serial line (COM1, the main writer) and a writer aside
 * (the VGA text mirror). Neither may cut the other's line in two: the aside's text waits while COM1
 * is in the middle of a line it is still writing, and a writer taking over an unfinished line of
 * the other starts a new one. Pure bookkeeping: the caller holds its lock and does the writes. */
#ifndef VMON_HW_TERM_LINES_H
#define VMON_HW_TERM_LINES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* COM1's unfinished line holds the aside back this long after its last byte; past it (a prompt
 * waiting for input) the aside prints on a new line. */
#define TERM_LINES_HOLD_NS 200000000ull

struct term_lines {
    int owner;                 /* who wrote the terminal's last byte: TERM_NONE, _MAIN or _ASIDE */
    bool open;                 /* that byte was not '\n': its line is unfinished */
    uint64_t main_ns;          /* when COM1 last wrote (CLOCK_MONOTONIC) */
};
enum { TERM_NONE, TERM_MAIN, TERM_ASIDE };

/* COM1 writes byte at now_ns; true when "\r\n" must go out before it (the aside's line is open). */
bool term_lines_main(struct term_lines *l, uint8_t byte, uint64_t now_ns);

/* What the aside may do with its text buf[0..n). */
enum term_aside {
    TERM_ASIDE_WRITE,          /* write it (after "\r\n" when *newline_first) */
    TERM_ASIDE_LATER,          /* COM1 is mid-line: keep it for the next try */
    TERM_ASIDE_NEW_LINE,       /* it continues a line that is no longer the terminal's last: redo
                                  it as a new line */
};
#define TERM_ASIDE_CONT 1u     /* buf continues the aside's own last line */
#define TERM_ASIDE_NOW 2u      /* never LATER (the last text at exit) */
enum term_aside term_lines_aside(struct term_lines *l, const char *buf, size_t n, unsigned flags,
                                 uint64_t now_ns, bool *newline_first);

#endif
