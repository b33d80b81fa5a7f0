/* The QMP dispatcher on a fake VM (no vCPU threads, no socket): negotiation, each command's reply,
 * the error classes for bad input, events, and human-monitor-command through monitor/hmp.c. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <json-c/json.h>

#include "machine/fake-vm_test.h"
#include "machine/migrate.h"
#include "monitor/qmp.h"
#include "monitor/server.h"

static const struct accel_ops fake_ops = { .name = "soft" };

/* Dispatch text (NULL result of a parse: a parse error) and return the parsed reply. */
static struct json_object *call(struct qmp_session *s, const char *text)
{
    struct json_object *req = json_tokener_parse(text);
    char *line = qmp_dispatch(s, req);
    json_object_put(req);
    assert_non_null(line);
    struct json_object *r = json_tokener_parse(line);
    assert_non_null(r);
    free(line);
    return r;
}

static const char *err_class(struct json_object *r)
{
    struct json_object *e, *c;
    if (!json_object_object_get_ex(r, "error", &e) || !json_object_object_get_ex(e, "class", &c))
        return "";
    return json_object_get_string(c);
}

static const char *ret_str(struct json_object *r, const char *key)
{
    struct json_object *ret, *v;
    if (!json_object_object_get_ex(r, "return", &ret))
        return "";
    if (!key)
        return json_object_get_string(ret);
    return json_object_object_get_ex(ret, key, &v) ? json_object_get_string(v) : "";
}

static void expect_class(struct qmp_session *s, const char *text, const char *cls)
{
    struct json_object *r = call(s, text);
    assert_string_equal(err_class(r), cls);
    json_object_put(r);
}

static void expect_ok(struct qmp_session *s, const char *text)
{
    struct json_object *r = call(s, text);
    assert_string_equal(err_class(r), "");
    json_object_put(r);
}

static struct qmp_session negotiated(struct vm *vm)
{
    struct qmp_session s = { .vm = vm, .version = "1.2.3" };
    expect_ok(&s, "{\"execute\":\"qmp_capabilities\"}");
    return s;
}

static void test_greeting_and_negotiation(void **state)
{
    (void)state;
    struct vm *vm = fake_vm_new(&fake_ops, 1);
    struct qmp_session s = { .vm = vm, .version = "1.2.3" };
    char *g = qmp_greeting(&s);
    assert_non_null(strstr(g, "\"QMP\":{\"version\":{\"qemu\":{\"major\":1,\"minor\":2,\"micro\":3}"));
    free(g);
    expect_class(&s, "{\"execute\":\"query-status\"}", "CommandNotFound");
    expect_ok(&s, "{\"execute\":\"qmp_capabilities\"}");
    expect_class(&s, "{\"execute\":\"qmp_capabilities\"}", "CommandNotFound");
    free(vm);
}

static void test_bad_input(void **state)
{
    (void)state;
    struct vm *vm = fake_vm_new(&fake_ops, 1);
    struct qmp_session s = negotiated(vm);
    expect_class(&s, "{\"execute\":", "GenericError");              /* parse error: NULL */
    expect_class(&s, "[1,2]", "GenericError");
    expect_class(&s, "42", "GenericError");
    expect_class(&s, "{}", "GenericError");
    expect_class(&s, "{\"execute\":7}", "GenericError");
    expect_class(&s, "{\"execute\":\"stop\",\"arguments\":[]}", "GenericError");
    expect_class(&s, "{\"execute\":\"stop\",\"arguments\":{\"x\":1}}", "GenericError");
    expect_class(&s, "{\"execute\":\"stop\",\"extra\":1}", "GenericError");
    expect_class(&s, "{\"execute\":\"no-such\"}", "CommandNotFound");
    expect_class(&s, "{\"execute\":\"human-monitor-command\",\"arguments\":{\"command-line\":1}}",
                 "GenericError");
    expect_class(&s, "{\"execute\":\"human-monitor-command\"}", "GenericError");
    expect_class(&s, "{\"execute\":\"system_powerdown\"}", "GenericError");   /* no board */
    struct json_object *r = call(&s, "{\"execute\":\"nope\",\"id\":\"abc\"}");
    struct json_object *id;
    assert_true(json_object_object_get_ex(r, "id", &id));
    assert_string_equal(json_object_get_string(id), "abc");
    json_object_put(r);
    free(vm);
}

static void test_run_state_commands(void **state)
{
    (void)state;
    struct vm *vm = fake_vm_new(&fake_ops, 2);
    vm->cfg.name = "guest1";
    struct qmp_session s = negotiated(vm);
    struct json_object *r = call(&s, "{\"execute\":\"query-status\"}");
    assert_string_equal(ret_str(r, "status"), "running");
    json_object_put(r);
    expect_ok(&s, "{\"execute\":\"stop\"}");
    r = call(&s, "{\"execute\":\"query-status\"}");
    assert_string_equal(ret_str(r, "status"), "paused");
    assert_string_equal(ret_str(r, "running"), "false");
    json_object_put(r);
    r = call(&s, "{\"execute\":\"human-monitor-command\",\"arguments\":{\"command-line\":\"info status\"}}");
    assert_string_equal(ret_str(r, NULL), "VM status: paused\n");
    json_object_put(r);
    expect_ok(&s, "{\"execute\":\"cont\"}");
    r = call(&s, "{\"execute\":\"query-name\"}");
    assert_string_equal(ret_str(r, "name"), "guest1");
    json_object_put(r);
    r = call(&s, "{\"execute\":\"query-kvm\"}");
    assert_string_equal(ret_str(r, "enabled"), "false");
    json_object_put(r);
    r = call(&s, "{\"execute\":\"query-cpus-fast\"}");
    struct json_object *ret;
    assert_true(json_object_object_get_ex(r, "return", &ret));
    assert_int_equal(json_object_array_length(ret), 2);
    json_object_put(r);
    r = call(&s, "{\"execute\":\"query-commands\"}");
    assert_non_null(strstr(json_object_to_json_string(r), "\"human-monitor-command\""));
    json_object_put(r);
    r = call(&s, "{\"execute\":\"human-monitor-command\",\"arguments\":{\"command-line\":\"xp /2x 0\"}}");
    assert_non_null(strstr(ret_str(r, NULL), "(unmapped)"));              /* the fake has no RAM */
    json_object_put(r);
    r = call(&s, "{\"execute\":\"human-monitor-command\",\"arguments\":{\"command-line\":\"frobnicate\"}}");
    assert_non_null(strstr(ret_str(r, NULL), "unknown command"));
    json_object_put(r);
    assert_false(s.quit);
    expect_ok(&s, "{\"execute\":\"quit\"}");
    assert_true(s.quit);
    free(vm);
}

static void test_events(void **state)
{
    (void)state;
    char *e = qmp_event_line(VM_EVENT_SHUTDOWN, VM_CAUSE_GUEST_SHUTDOWN);
    struct json_object *o = json_tokener_parse(e);
    assert_non_null(o);
    assert_non_null(strstr(e, "\"event\":\"SHUTDOWN\""));
    assert_non_null(strstr(e, "\"guest\":true,\"reason\":\"guest-shutdown\""));
    assert_non_null(strstr(e, "\"timestamp\":{\"seconds\":"));
    json_object_put(o);
    free(e);
    e = qmp_event_line(VM_EVENT_RESET, VM_CAUSE_HOST_QMP_SYSTEM_RESET);
    assert_non_null(strstr(e, "\"guest\":false,\"reason\":\"host-qmp-system-reset\""));
    free(e);
    e = qmp_event_line(VM_EVENT_SHUTDOWN, VM_CAUSE_HOST_SIGNAL);
    assert_non_null(strstr(e, "\"guest\":false,\"reason\":\"host-signal\""));
    free(e);
    e = qmp_event_line(VM_EVENT_STOP, 0);
    assert_non_null(strstr(e, "\"event\":\"STOP\""));
    assert_null(strstr(e, "\"data\""));
    free(e);
}

/* qmp_feed: values split over reads, several in one read, a parse error answered once with the
 * rest of its line dropped, and the next line served. */
static char replies[8][256];
static int nreplies;
static void collect(void *opaque, const char *line)
{
    (void)opaque;
    if (nreplies < 8)
        snprintf(replies[nreplies++], sizeof(replies[0]), "%s", line);
}

static void feed(struct qmp_session *s, const char *text)
{
    qmp_feed(s, text, strlen(text), collect, NULL);
}

static void test_feed(void **state)
{
    (void)state;
    struct vm *vm = fake_vm_new(&fake_ops, 1);
    struct qmp_session s;
    assert_int_equal(qmp_session_init(&s, vm, "1.2.3"), 0);
    nreplies = 0;
    feed(&s, "{\"execute\":");
    assert_int_equal(nreplies, 0);
    feed(&s, " \"qmp_capabilities\"}\r\n{\"execute\":\"query-name\",\"id\":1} {\"execute\":\"query-name\"}\n");
    assert_int_equal(nreplies, 3);
    assert_string_equal(replies[0], "{\"return\":{}}");
    assert_string_equal(replies[1], "{\"return\":{},\"id\":1}");
    feed(&s, "{\"execute\": ] {\"execute\":\"query-name\"}");   /* the error's line is dropped... */
    assert_int_equal(nreplies, 4);
    assert_non_null(strstr(replies[3], "JSON parse error"));
    feed(&s, " still the same line\n{\"execute\":\"query-name\"}\n");   /* ...up to its newline */
    assert_int_equal(nreplies, 5);
    assert_string_equal(replies[4], "{\"return\":{}}");
    char deep[3000];
    memset(deep, '[', sizeof(deep) - 1);
    deep[sizeof(deep) - 1] = 0;
    feed(&s, deep);                            /* json-c's depth limit: one error however long */
    feed(&s, deep);
    feed(&s, "\n");
    assert_int_equal(nreplies, 6);
    qmp_session_fini(&s);
    qmp_session_fini(&s);                      /* safe twice */
    free(vm);
}

/* x-vmon-translate and query-block on the fake VM: argument checks and the shapes of the replies. */
static void test_translate_and_block(void **state)
{
    (void)state;
    struct vm *vm = fake_vm_new(&fake_ops, 1);
    struct qmp_session s = negotiated(vm);
    expect_class(&s, "{\"execute\":\"x-vmon-translate\"}", "GenericError");
    expect_class(&s, "{\"execute\":\"x-vmon-translate\",\"arguments\":{\"addr\":\"1\"}}", "GenericError");
    expect_class(&s, "{\"execute\":\"x-vmon-translate\",\"arguments\":{\"addr\":1,\"x\":1}}", "GenericError");
    /* the fake accelerator has no registers to walk with */
    expect_class(&s, "{\"execute\":\"x-vmon-translate\",\"arguments\":{\"addr\":1}}", "GenericError");
    struct json_object *r = call(&s, "{\"execute\":\"query-block\"}");
    assert_string_equal(ret_str(r, NULL), "[ ]");
    json_object_put(r);
    vm->cfg.ndrives = 1;
    snprintf(vm->cfg.drives[0].file, sizeof(vm->cfg.drives[0].file), "/x/disk.qcow2");
    snprintf(vm->cfg.drives[0].format, sizeof(vm->cfg.drives[0].format), "qcow2");
    vm->cfg.drives[0].readonly = true;
    r = call(&s, "{\"execute\":\"query-block\"}");
    const char *txt = json_object_to_json_string_ext(r, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
    assert_non_null(strstr(txt, "\"device\":\"virtio0\""));
    assert_non_null(strstr(txt, "\"file\":\"/x/disk.qcow2\",\"ro\":true,\"drv\":\"qcow2\""));
    json_object_put(r);
    free(vm);
}

/* The migration commands on the fake VM (its accelerator logs no dirty pages): query-migrate before
 * any, migrate refused with the reason, argument checks, parameters set and read back. */
static void test_migration(void **state)
{
    (void)state;
    struct vm *vm = fake_vm_new(&fake_ops, 1);
    struct qmp_session s = negotiated(vm);
    struct json_object *r = call(&s, "{\"execute\":\"query-migrate\"}");
    assert_string_equal(ret_str(r, NULL), "{ }");                /* no migration yet */
    json_object_put(r);
    expect_class(&s, "{\"execute\":\"migrate\"}", "GenericError");
    expect_class(&s, "{\"execute\":\"migrate\",\"arguments\":{\"uri\":1}}", "GenericError");
    r = call(&s, "{\"execute\":\"migrate\",\"arguments\":{\"uri\":\"tcp:127.0.0.1:1\"}}");
    assert_string_equal(err_class(r), "GenericError");
    const char *txt = json_object_to_json_string(r);
    assert_non_null(strstr(txt, "cannot log dirty pages"));
    json_object_put(r);
    expect_ok(&s, "{\"execute\":\"migrate_cancel\"}");        /* nothing to cancel: no error */
    expect_class(&s, "{\"execute\":\"migrate-set-parameters\",\"arguments\":{\"x\":1}}", "GenericError");
    expect_class(&s, "{\"execute\":\"migrate-set-parameters\",\"arguments\":{\"downtime-limit\":0}}",
                 "GenericError");
    expect_ok(&s, "{\"execute\":\"migrate-set-parameters\",\"arguments\":{\"downtime-limit\":50,"
                  "\"max-bandwidth\":1000000}}");
    struct vm_mig_info i;
    vm_migrate_query(vm, &i);
    assert_int_equal(i.downtime_limit_ms, 50);
    assert_int_equal(i.max_bandwidth, 1000000);
    assert_int_equal(i.status, VM_MIG_NONE);
    char *ev = qmp_event_line(VM_EVENT_MIGRATION, VM_MIG_ACTIVE);
    assert_non_null(strstr(ev, "\"event\":\"MIGRATION\",\"data\":{\"status\":\"active\"}"));
    free(ev);
    vm_migrate_fini(vm);
    free(vm);
}

static void test_parse_addr(void **state)
{
    (void)state;
    struct monitor_addr a;
    char err[256];
    assert_int_equal(monitor_parse_addr("unix:/tmp/q.sock,server,wait=off", &a, err, sizeof(err)), 0);
    assert_true(a.is_unix);
    assert_false(a.wait);
    assert_string_equal(a.path, "/tmp/q.sock");
    assert_int_equal(monitor_parse_addr("tcp:127.0.0.1:4444,server", &a, err, sizeof(err)), 0);
    assert_false(a.is_unix);
    assert_true(a.wait);                       /* QEMU's default for a server */
    assert_string_equal(a.host, "127.0.0.1");
    assert_string_equal(a.port, "4444");
    assert_int_equal(monitor_parse_addr("tcp::4444,server=on,nowait", &a, err, sizeof(err)), 0);
    assert_string_equal(a.host, "");
    assert_false(a.wait);
    static const char *const bad[] = { "unix:/tmp/q", "tcp:host,server", "udp:x:1,server", "unix:,server",
                                       "unix:/tmp/q,server,bogus", "", ",server" };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(monitor_parse_addr(bad[i], &a, err, sizeof(err)), -EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_greeting_and_negotiation),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_run_state_commands),
        cmocka_unit_test(test_events),
        cmocka_unit_test(test_parse_addr),
        cmocka_unit_test(test_feed),
        cmocka_unit_test(test_translate_and_block),
        cmocka_unit_test(test_migration),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
