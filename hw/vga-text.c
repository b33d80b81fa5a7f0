/* The VGA's text mirror: with no display, the screen's text goes to the console as a teletype
 * would have printed it. Each step compares the screen with the previous one: a screen that moved
 * up by k rows (a scroll) moves what was printed with it; then each row whose text differs from
 * what was printed for it is printed: a row that only grew at its end (the line being typed)
 * prints its new characters on the same output line, any other change prints the row as a new
 * line. Blank rows print nothing. Character codes are CP437 (IBM VGA Technical Reference,
 * "Character Set"); the line-drawing and block characters become ASCII look-alikes. */
#include <assert.h>
#include <string.h>

#include "hw/vga-int.h"

char vga_cp437_ascii(uint8_t ch)
{
    if (ch >= 0x20 && ch < 0x7f)
        return (char)ch;
    if (ch == 0 || ch == 0xff)
        return ' ';
    if (ch == 0xb3 || ch == 0xba)
        return '|';
    if (ch == 0xc4 || ch == 0xcd)
        return '-';
    if (ch >= 0xb4 && ch <= 0xda)
        return '+';                          /* corners, tees and crossings (the lines are above) */
    if (ch >= 0xb0 && ch <= 0xb2)
        return '#';                          /* shades */
    if (ch >= 0xdb && ch <= 0xdf)
        return '#';                          /* blocks */
    if (ch == 0x10 || ch == 0x1a)
        return '>';
    if (ch == 0x11 || ch == 0x1b)
        return '<';
    return '?';
}

static void trim(char *s)
{
    size_t n = strlen(s);
    while (n && s[n - 1] == ' ')
        s[--n] = 0;
}

static bool blank(const char *s)
{
    return s[0] == 0;
}

/* The smallest k > 0 such that the screen is the last one moved up k rows (with some text in the
 * part that moved), or 0. */
static int scrolled_by(const struct vga_tty *t, const struct vga_screen *s)
{
    for (int k = 1; k < s->rows; k++) {
        bool same = true, text = false;
        for (int r = 0; r + k < s->rows && same; r++) {
            same = strcmp(s->text[r], t->last[r + k]) == 0;
            text |= !blank(s->text[r]);
        }
        if (same && text)
            return k;
    }
    return 0;
}

static void follow_scroll(struct vga_tty *t, int rows, int k)
{
    for (int r = 0; r < rows; r++) {
        if (r + k < rows)
            memcpy(t->shown[r], t->shown[r + k], sizeof(t->shown[r]));
        else
            t->shown[r][0] = 0;
    }
    t->row = t->row >= k ? t->row - k : -1;
}

/* Appends to out what printing row r takes; false when out is full. */
static bool print_row(struct vga_tty *t, int r, const char *text, char *out, size_t *n, size_t cap)
{
    size_t have = strlen(t->shown[r]);
    bool grows = r == t->row && strncmp(text, t->shown[r], have) == 0;
    const char *from = grows ? text + have : text;
    size_t need = strlen(from) + (grows ? 0 : 2);
    if (*n + need > cap)
        return false;
    if (!grows) {
        memcpy(out + *n, "\r\n", 2);
        *n += 2;
    }
    memcpy(out + *n, from, strlen(from));
    *n += strlen(from);
    t->row = r;
    strcpy(t->shown[r], text);
    return true;
}

/* What printing screen s takes (into out, at most cap bytes), t updated as if it was printed. */
static size_t mirror_text(struct vga_tty *t, const struct vga_screen *s, char *out, size_t cap)
{
    if (t->last_rows != s->rows) {
        memset(t->last, 0, sizeof(t->last));
        memset(t->shown, 0, sizeof(t->shown));   /* a new mode: its text is all new */
    } else {
        int k = scrolled_by(t, s);
        if (k)
            follow_scroll(t, s->rows, k);
    }
    size_t n = 0;
    for (int r = 0; r < s->rows; r++) {
        if (strcmp(s->text[r], t->shown[r]) == 0)
            continue;
        if (blank(s->text[r]))
            t->shown[r][0] = 0;              /* cleared: nothing to print */
        else if (!print_row(t, r, s->text[r], out, &n, cap))
            break;
    }
    memcpy(t->last, s->text, sizeof(t->last));
    t->last_rows = s->rows;
    return n;
}

/* Offers the text to the link: a first row that only grows continues the mirror's last output line
 * (TERM_ASIDE_CONT), which the link may refuse when other text came after it: then the row prints
 * whole on a new line. The mirror's state moves on only when the text went out. */
static void mirror_print(struct vga *v, const struct vga_screen *s, unsigned flags)
{
    struct vga_tty t = v->tty;
    char out[VGA_MAX_ROWS * (VGA_MAX_COLS + 2)];
    size_t n = mirror_text(&t, s, out, sizeof(out));
    enum term_aside r = TERM_ASIDE_WRITE;
    if (n && v->link.write) {
        r = v->link.write(v->link.opaque, out, n, flags | (out[0] != '\r' ? TERM_ASIDE_CONT : 0));
        if (r == TERM_ASIDE_NEW_LINE) {
            t = v->tty;
            t.row = -1;
            n = mirror_text(&t, s, out, sizeof(out));
            r = v->link.write(v->link.opaque, out, n, flags);
        }
    }
    if (r == TERM_ASIDE_WRITE)
        v->tty = t;
}

void vga_mirror_step(struct vga *v, unsigned flags)
{
    static_assert(sizeof(((struct vga_screen *)0)->text) == sizeof(v->tty.last), "screen size");
    struct vga_screen s;
    memset(&s, 0, sizeof(s));
    struct vga_tty *t = &v->tty;
    if (!vga_read_screen(v, &s)) {
        t->last_rows = 0;                    /* graphics or no mode yet: quiet */
        return;
    }
    for (int r = 0; r < s.rows; r++)
        trim(s.text[r]);
    if (t->last_rows == s.rows && memcmp(t->last, s.text, sizeof(t->last)) == 0)
        return;
    mirror_print(v, &s, flags);
}
