/* Placeholder until the software CPU lands (issue 3). */
#include <stddef.h>
#include "accel/accel.h"
static bool soft_available(const char **why)
{
    *why = "the software CPU is not built yet";
    return false;
}
const struct accel_ops soft_accel_ops = { .name = "soft", .available = soft_available };
