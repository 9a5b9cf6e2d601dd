/*-------------------------------------------------------------------------
 *
 * dataproduct.c
 *		  Module entry point of the dataproduct extension
 *
 * The SQL-callable functions live with their concern: domain.c (domains and
 * products), publish.c (releases) and compat.c (diff and next_version).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"

PG_MODULE_MAGIC;
