/* The monitors' live migration commands (machine/migrate.h): HMP migrate [-d] URI, info migrate,
 * migrate_cancel, migrate_set_parameter; QMP migrate, query-migrate, migrate_cancel,
 * migrate-set-parameters (QEMU's qapi/migration.json names and fields). */
#ifndef VMON_MONITOR_MIGRATION_H
#define VMON_MONITOR_MIGRATION_H

#include <stdbool.h>
#include <stdio.h>

#include "machine/vm.h"

struct json_object;

/* HMP: line is the whole command line; true when it was one of the migration commands. */
bool hmp_migration(struct vm *vm, const char *cmd, const char *line, FILE *out);
void hmp_info_migrate(struct vm *vm, FILE *out);

/* QMP: 0 with *ret (NULL: an empty return), or -1 with desc (class GenericError). */
int qmp_migration(struct vm *vm, const char *name, struct json_object *args, struct json_object **ret,
                  char *desc, size_t dlen);
/* The MIGRATION event's data ({"status": ...}). */
struct json_object *qmp_migration_event_data(int status);

#endif
