/*-------------------------------------------------------------------------
 *
 * dataproduct.c
 *		  Module entry point of the dataproduct extension
 *
 * The SQL-callable functions live with their concern: domain.c (domains and
 * products), publish.c (releases), compat.c (diff and next_version) and
 * guard.c (the event triggers that guard live versions).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "dataproduct.h"

#include "fmgr.h"
#include "utils/guc.h"
#include "utils/inval.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

/*
 * Module load: the emergency switch of the contract guard, and the cache
 * invalidation the guard relies on.  Nothing here touches the catalogs, so
 * it is safe in any process that loads the library.
 */
void
_PG_init(void)
{
	DefineCustomBoolVariable("dataproduct.guard",
							 "Refuses DDL that would break a live version of a data product.",
							 "Turning it off, for emergencies, lets such DDL through with a warning.",
							 &dp_guard_enabled,
							 true,
							 PGC_SUSET,
							 0,
							 NULL,
							 NULL,
							 NULL);
	MarkGUCPrefixReserved("dataproduct");
	CacheRegisterRelcacheCallback(dp_guard_relcache_callback, (Datum) 0);
}
