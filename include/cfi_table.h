/* The agent's unwind table for an ELF file, built from its .eh_frame (see
 * src/symbols/cfi_table.c). */
#ifndef NUMAMMA_CFI_TABLE_H
#define NUMAMMA_CFI_TABLE_H

#include <stddef.h>

#include "agent_abi.h"

/* The rows of every FDE of the file at path, sorted, with ELF vaddrs as
 * starts (add the load bias).  Returns the count and *out (malloc'd; NULL
 * when none). */
size_t cfi_table_build(const char *path, struct agent_unwind **out);

#endif
