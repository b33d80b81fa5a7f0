/* The host terminal in raw mode while a guest owns it, put back at exit. */
#ifndef VMON_HW_TERM_RAW_H
#define VMON_HW_TERM_RAW_H

/* Raw mode on fd (output keeps the host's newline handling) when it is a terminal in our
 * foreground; the first call also hooks exit() and the fatal signals to put it back. */
void term_raw(int fd);
/* Puts the saved mode back (once; nothing when none was saved). */
void term_restore(void);

#endif
