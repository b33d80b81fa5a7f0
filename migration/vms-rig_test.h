/* For unit tests of a device's state section: the section list a writer holds (vms_finish done),
 * parsed, and a reader over its first section. The index is the caller's (static: it is large). */
#ifndef VMON_MIGRATION_VMS_RIG_TEST_H
#define VMON_MIGRATION_VMS_RIG_TEST_H

#include "migration/vmstate.h"

static inline void vms_test_reader(const struct vms_writer *w, struct vms_index *idx, struct vms_reader *r)
{
    const char *why = NULL;
    assert_int_equal(vms_index_build(w->buf, w->len, idx, &why), 0);
    vms_reader_init(r, &idx->s[0]);
}

#endif
