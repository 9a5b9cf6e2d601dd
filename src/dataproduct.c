/*-------------------------------------------------------------------------
 *
 * dataproduct.c
 *		  Module entry point of the dataproduct extension
 *
 * The SQL-callable functions live with their concern: domain.c (domains and
 * products), publish.c (releases), compat.c (diff and next_version),
 * guard.c (the event triggers that guard live versions), access.c and
 * registry.c (the producer's side of sharing: access and consumers), and
 * subscribe.c and remote.c (the consumer's side, over postgres_fdw).
 * What they all share is here: module load and set-returning results.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "dataproduct.h"

#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/guc.h"
#include "utils/inval.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

/*
 * Module load: the emergency switch of the contract guard, and the cache
 * invalidation the guard relies on; usage tracking's settings, and with
 * shared_preload_libraries its shared memory and executor hooks (usage.c).
 * Nothing here touches the catalogs, so it is safe in any process that
 * loads the library.
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
	dp_usage_init();
	dp_odcs_init();
	dp_quality_init();
	MarkGUCPrefixReserved("dataproduct");
	CacheRegisterRelcacheCallback(dp_guard_relcache_callback, (Datum) 0);
}

/*
 * Set up the materialized result of a set-returning function.
 */
Tuplestorestate *
dp_materialized_result(FunctionCallInfo fcinfo, TupleDesc *tupdesc)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	MemoryContext oldcontext;
	Tuplestorestate *store;

	if (rsinfo == NULL || !IsA(rsinfo, ReturnSetInfo) ||
		(rsinfo->allowedModes & SFRM_Materialize) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("set-valued function called in context that cannot accept a set")));
	if (get_call_result_type(fcinfo, NULL, tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");

	oldcontext = MemoryContextSwitchTo(rsinfo->econtext->ecxt_per_query_memory);
	*tupdesc = CreateTupleDescCopy(*tupdesc);
	store = tuplestore_begin_heap(true, false, work_mem);
	MemoryContextSwitchTo(oldcontext);

	rsinfo->returnMode = SFRM_Materialize;
	rsinfo->setResult = store;
	rsinfo->setDesc = *tupdesc;
	return store;
}
