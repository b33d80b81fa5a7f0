/* The human monitor on the console terminal: Ctrl-A c gives it the keyboard (hw/stdio.c's mux), it
 * edits a line itself (the terminal is raw: echo, backspace, Enter) and runs it with hmp_run.
 * Everything here runs on the event-loop thread, where the console's input arrives. */
#include "monitor/console.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "monitor/hmp.h"

#define CONSOLE_LINE_MAX 256

struct monitor_console {
    struct vm *vm;
    const char *version;
    char line[CONSOLE_LINE_MAX];
    size_t len;
};

static void con_write(struct monitor_console *c, const char *s, size_t n)
{
    c->vm->board->console_write(c->vm, s, n);
}

static void con_puts(struct monitor_console *c, const char *s)
{
    con_write(c, s, strlen(s));
}

/* The command's output, with \n as \r\n: the raw terminal may not translate it. */
static void con_put_text(struct monitor_console *c, const char *text, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (text[i] == '\n')
            con_write(c, "\r\n", 2);
        else
            con_write(c, &text[i], 1);
    }
}

static void con_run_line(struct monitor_console *c)
{
    c->line[c->len] = 0;
    c->len = 0;
    con_puts(c, "\r\n");
    char *text = NULL;
    size_t n = 0;
    FILE *out = open_memstream(&text, &n);
    bool quit = out && hmp_run(c->vm, c->version, c->line, out);
    if (out)
        fclose(out);
    con_put_text(c, text ? text : "", n);
    free(text);
    if (quit) {
        vm_shutdown(c->vm, VCPU_STOP, 0, VM_CAUSE_HOST_QMP_QUIT);
        return;
    }
    con_puts(c, "(vmon) ");
}

static void con_input(void *opaque, const uint8_t *buf, size_t n)
{
    struct monitor_console *c = opaque;
    for (size_t i = 0; i < n; i++) {
        uint8_t b = buf[i];
        if (b == '\r' || b == '\n') {
            con_run_line(c);
        } else if (b == 0x7f || b == 0x08) {   /* DEL / backspace */
            if (c->len) {
                c->len--;
                con_puts(c, "\b \b");
            }
        } else if (b >= 0x20 && b < 0x7f && c->len < sizeof(c->line) - 1) {
            c->line[c->len++] = (char)b;
            con_write(c, (const char *)&b, 1);
        }
    }
}

static void con_focus(void *opaque, bool has_focus)
{
    struct monitor_console *c = opaque;
    if (has_focus)
        con_puts(c, "\r\nvmon monitor - type 'help' for more information\r\n(vmon) ");
    else
        con_puts(c, "\r\n");
}

struct monitor_console *monitor_console_new(struct vm *vm, const char *version)
{
    if (!vm->board || !vm->board->console_mux || !vm->board->console_write) {
        errno = ENOTSUP;
        return NULL;
    }
    struct monitor_console *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->vm = vm;
    c->version = version;
    struct vm_console_link l = { .input = con_input, .focus = con_focus, .opaque = c };
    vm->board->console_mux(vm, &l);
    return c;
}

void monitor_console_focus(struct monitor_console *c)
{
    struct vm_console_link l = { .input = con_input, .focus = con_focus, .opaque = c, .focused = true };
    c->vm->board->console_mux(c->vm, &l);
}

void monitor_console_free(struct monitor_console *c)
{
    if (!c)
        return;
    if (c->vm->board && c->vm->board->console_mux)
        c->vm->board->console_mux(c->vm, &(struct vm_console_link){ 0 });
    free(c);
}
