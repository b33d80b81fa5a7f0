/* SSE placeholders: every form raises #UD (reported once) until the isa helper's implementation. */
#include "accel/soft/op-sse.h"

OP(op_sse) { cpu_unimplemented(c, i); }
OP(op_sse_0f38) { cpu_unimplemented(c, i); }
OP(op_sse_0f3a) { cpu_unimplemented(c, i); }
OP(op_sse_grp15) { cpu_unimplemented(c, i); }
