/* Two writers on one terminal without torn lines (hw/term-lines.h). QEMU has no such sharing: its
 * VGA goes to a window and COM1 to stdio; vmon prints both on the terminal when there is no display,
 * so the text of one must not land in the middle of a line of the other. */
#include "hw/term-lines.h"

bool term_lines_main(struct term_lines *l, uint8_t byte, uint64_t now_ns)
{
    bool newline = l->owner == TERM_ASIDE && l->open && byte != '\r' && byte != '\n';
    l->owner = TERM_MAIN;
    l->open = byte != '\n';
    l->main_ns = now_ns;
    return newline;
}

enum term_aside term_lines_aside(struct term_lines *l, const char *buf, size_t n, unsigned flags,
                                 uint64_t now_ns, bool *newline_first)
{
    *newline_first = false;
    bool main_mid_line = l->owner == TERM_MAIN && l->open;
    if (main_mid_line && !(flags & TERM_ASIDE_NOW) && now_ns - l->main_ns < TERM_LINES_HOLD_NS)
        return TERM_ASIDE_LATER;
    if ((flags & TERM_ASIDE_CONT) && l->owner != TERM_ASIDE)
        return TERM_ASIDE_NEW_LINE;
    if (!n)
        return TERM_ASIDE_WRITE;
    *newline_first = main_mid_line;
    l->owner = TERM_ASIDE;
    l->open = buf[n - 1] != '\n';
    return TERM_ASIDE_WRITE;
}
