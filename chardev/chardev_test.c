/* -chardev parsing, and the socket backend end to end on a real event loop: a client's bytes
 * reach the frontend, a frontend that takes nothing pauses input until accept_input, and writes
 * reach the client; the file backend writes its file. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <cmocka.h>

#include "chardev/chardev.h"
#include "util/eventloop.h"

static void parse(void **state)
{
    (void)state;
    struct chardev_spec s;
    char err[128];
    assert_int_equal(chardev_parse("socket,id=c1,path=/tmp/x.sock,server=on,wait=off", &s, err,
                                   sizeof(err)), 0);
    assert_int_equal(s.kind, CHARDEV_SOCKET);
    assert_string_equal(s.id, "c1");
    assert_string_equal(s.path, "/tmp/x.sock");
    assert_true(s.server);
    assert_false(s.wait);
    assert_int_equal(chardev_parse("socket,id=c,path=/p,server,nowait", &s, err, sizeof(err)), 0);
    assert_true(s.server && !s.wait);
    assert_int_equal(chardev_parse("stdio,id=s", &s, err, sizeof(err)), 0);
    assert_int_equal(s.kind, CHARDEV_STDIO);
    assert_int_equal(chardev_parse("file,id=f,path=/tmp/o", &s, err, sizeof(err)), 0);
    assert_int_equal(s.kind, CHARDEV_FILE);
    assert_true(chardev_parse("pty,id=p", &s, err, sizeof(err)) < 0);
    assert_non_null(strstr(err, "unsupported backend"));
    assert_true(chardev_parse("file,path=/tmp/o", &s, err, sizeof(err)) < 0);
    assert_non_null(strstr(err, "no id="));
    assert_true(chardev_parse("socket,id=c", &s, err, sizeof(err)) < 0);
    assert_true(chardev_parse("socket,id=c,path=/p,server=maybe", &s, err, sizeof(err)) < 0);
    assert_true(chardev_parse("file,id=f,path=/o,bogus=1", &s, err, sizeof(err)) < 0);
}

struct fe_state {
    char got[64];
    size_t n;
    bool refuse;
    pthread_mutex_t lock;
};

static size_t fe_receive(void *opaque, const uint8_t *buf, size_t n)
{
    struct fe_state *f = opaque;
    pthread_mutex_lock(&f->lock);
    size_t take = f->refuse ? 0 : n;
    memcpy(f->got + f->n, buf, take);
    f->n += take;
    pthread_mutex_unlock(&f->lock);
    return take;
}

static size_t fe_count(struct fe_state *f)
{
    pthread_mutex_lock(&f->lock);
    size_t n = f->n;
    pthread_mutex_unlock(&f->lock);
    return n;
}

static void socket_roundtrip(void **state)
{
    (void)state;
    char dir[] = "/tmp/vmon-chr-XXXXXX", err[128];
    assert_non_null(mkdtemp(dir));
    struct chardev_spec s = { .kind = CHARDEV_SOCKET, .server = true, .wait = false };
    strcpy(s.id, "c");
    snprintf(s.path, sizeof(s.path), "%s/s", dir);
    struct evloop *l = evloop_new();
    assert_int_equal(evloop_start(l), 0);
    struct chardev *c = chardev_open(&s, l, err, sizeof(err));
    assert_non_null(c);
    struct chr_link link = chardev_link(c);
    struct fe_state f = { .refuse = true };
    pthread_mutex_init(&f.lock, NULL);
    struct chr_frontend fe = { fe_receive, &f };
    link.set_frontend(link.be, &fe);
    struct sockaddr_un a = { .sun_family = AF_UNIX };
    memcpy(a.sun_path, s.path, strlen(s.path) + 1);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    usleep(100000);                          /* the loop accepts */
    assert_int_equal(write(fd, "abc", 3), 3);
    usleep(100000);
    assert_int_equal(fe_count(&f), 0);       /* refused: held */
    pthread_mutex_lock(&f.lock);
    f.refuse = false;
    pthread_mutex_unlock(&f.lock);
    link.accept_input(link.be);
    for (int i = 0; i < 50 && fe_count(&f) < 3; i++)
        usleep(20000);
    assert_int_equal(fe_count(&f), 3);
    assert_memory_equal(f.got, "abc", 3);
    link.write(link.be, (const uint8_t *)"xyz", 3);
    char back[4] = { 0 };
    assert_int_equal(read(fd, back, 3), 3);
    assert_string_equal(back, "xyz");
    close(fd);
    evloop_stop(l);
    chardev_free(c);
    evloop_free(l);
    assert_int_equal(access(s.path, F_OK), -1);   /* the socket path is removed */
    rmdir(dir);
}

static void file_backend(void **state)
{
    (void)state;
    char path[] = "/tmp/vmon-chr-file-XXXXXX", err[128];
    close(mkstemp(path));
    struct chardev_spec s = { .kind = CHARDEV_FILE };
    strcpy(s.id, "f");
    strcpy(s.path, path);
    struct chardev *c = chardev_open(&s, NULL, err, sizeof(err));
    assert_non_null(c);
    struct chr_link link = chardev_link(c);
    link.write(link.be, (const uint8_t *)"line\n", 5);
    chardev_free(c);
    FILE *f = fopen(path, "r");
    char buf[16] = { 0 };
    assert_non_null(fgets(buf, sizeof(buf), f));
    fclose(f);
    assert_string_equal(buf, "line\n");
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parse),
        cmocka_unit_test(socket_roundtrip),
        cmocka_unit_test(file_backend),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
