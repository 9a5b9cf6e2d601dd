/*-------------------------------------------------------------------------
 *
 * usage.c
 *		  Who reads what: usage counters of version views in shared memory
 *
 * With dataproduct in shared_preload_libraries, executor hooks count every
 * execution of a statement that reads a view of a live version schema, at
 * any nesting level (a function's statements too), once it ends without
 * error.  A counter is kept per (database, version schema, view, role) in a
 * fixed-size hash table in shared memory, the pg_stat_statements design: an
 * LWLock taken in shared mode to find a counter and in exclusive mode only
 * to add one, and a spinlock per counter, so that readers never wait on
 * each other's statements.  The role is the current user when the
 * statement starts: over postgres_fdw, the role of the consumer's user
 * mapping.  A statement that reads several version views counts once for
 * each, with its whole execution time.
 *
 * Which columns were read comes from the range table: the rewriter keeps
 * the relation entry of every view it expands, with the columns the query
 * selected from it, so that the executor can check privileges on the view.
 * A whole-row reference reads every column.
 *
 * Which views are version views is decided from a per-backend cache, by
 * relation and by schema; a schema is looked up in the catalog once until
 * dataproduct.major_version or any schema changes, or the relation is
 * invalidated.  The same lookup tells whether the major is deprecated, for
 * the warning its readers get once per session.
 *
 * Counters are written to a file when the postmaster exits, at a clean or
 * an immediate shutdown, and read back at start.  The file is kept, so a
 * crash (after which the postmaster reinitializes shared memory and reads
 * the file again) loses only the counts since the server last started;
 * dataproduct.usage_reset() removes it with the counters.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "dataproduct.h"

#include <unistd.h>

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/catalog.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "executor/executor.h"
#include "executor/instrument.h"
#include "lib/ilist.h"
#include "miscadmin.h"
#include "storage/fd.h"
#include "storage/ipc.h"
#include "storage/lmgr.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
#include "storage/spin.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

PG_FUNCTION_INFO_V1(dp_usage_counters);
PG_FUNCTION_INFO_V1(dp_usage_reset);

#define USAGE_FILE		"pg_stat/dataproduct_usage.stat"
#define USAGE_FILE_MAGIC 0x44505502 /* "DPU", format 2 */
#define USAGE_COLUMN_BYTES ((MaxHeapAttributeNumber + 7) / 8)

/* What a counter is kept for */
typedef struct UsageKey
{
	Oid			dbid;
	Oid			role;
	NameData	schema;
	NameData	output;
} UsageKey;

typedef struct UsageCounters
{
	int64		queries;
	double		total_time_ms;
	TimestampTz first_read;
	TimestampTz last_read;
	bool		all_columns;	/* a whole-row reference read them all */
	bits8		columns[USAGE_COLUMN_BYTES];	/* bit n - 1: column n */
} UsageCounters;

typedef struct UsageEntry
{
	UsageKey	key;
	slock_t		mutex;			/* protects the counters */
	UsageCounters counters;
} UsageEntry;

typedef struct UsageShared
{
	LWLock	   *lock;			/* exclusive to add or remove entries */
	slock_t		mutex;			/* protects the fields below */
	int64		untracked;		/* reads not counted: the table was full */
	TimestampTz last_untracked; /* when the last of them was not counted */
	TimestampTz complete_since; /* every read since then was counted, but
								 * for "untracked" ones */
} UsageShared;

/* A schema as this backend last looked it up */
typedef struct SchemaInfo
{
	Oid			nspid;			/* hash key */
	bool		live;			/* serves a live major version */
	NameData	schema;
	char		product[NAMEDATALEN];
	int32		major;
	bool		deprecated;
	char	   *sunset;			/* YYYY-MM-DD, or NULL */
	char	   *message;		/* or NULL */
} SchemaInfo;

/* A view as this backend last looked it up */
typedef struct ViewInfo
{
	Oid			relid;			/* hash key */
	SchemaInfo *schema;			/* NULL: not in a live version schema */
	NameData	output;
} ViewInfo;

/* One version view a running statement reads */
typedef struct UsageRead
{
	UsageKey	key;
	bool		all_columns;	/* a whole-row reference */
	bits8		column_bits[USAGE_COLUMN_BYTES];	/* as in UsageCounters */
} UsageRead;

/* A running statement that reads version views */
typedef struct UsageQuery
{
	QueryDesc  *queryDesc;
	int			nreads;
	UsageRead  *reads;
	dlist_node	node;
	MemoryContextCallback unlink;	/* when its executor state goes away */
} UsageQuery;

static int	max_usage_entries = 5000;
static bool warn_deprecated = true;

static UsageShared *usage_shared = NULL;
static HTAB *usage_hash = NULL;

static shmem_request_hook_type prev_shmem_request_hook = NULL;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;
static ExecutorStart_hook_type prev_ExecutorStart = NULL;
static ExecutorEnd_hook_type prev_ExecutorEnd = NULL;

/* the per-backend caches, valid while built_generation == generation */
static MemoryContext cache_context = NULL;
static HTAB *schema_cache = NULL;
static HTAB *view_cache = NULL;
static uint64 generation = 1;
static uint64 built_generation = 0;
static Oid	extension_schema = InvalidOid;
static Oid	major_version_relid = InvalidOid;

static dlist_head running = DLIST_STATIC_INIT(running);

/*
 * In the postmaster: shared memory was set up before, so this start follows
 * a crash, and the reads since the counters were last saved are lost.
 */
static bool crash_restart = false;
static bool in_lookup = false;
static List *warned_schemas = NIL;
static bool notified_off = false;

/*
 * The size of the shared state.
 */
static Size
usage_memsize(void)
{
	return add_size(MAXALIGN(sizeof(UsageShared)),
					hash_estimate_size(max_usage_entries, sizeof(UsageEntry)));
}

static void
usage_shmem_request(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	RequestAddinShmemSpace(usage_memsize());
	RequestNamedLWLockTranche("dataproduct usage", 1);
}

/*
 * Read the counters a clean shutdown saved.  A file that is not ours, or
 * cut short, is reported and what it held so far is kept.
 */
static void
load_counters(void)
{
	FILE	   *file;
	uint32		magic;
	int32		count;
	TimestampTz complete_since;

	file = AllocateFile(USAGE_FILE, PG_BINARY_R);
	if (file == NULL)
	{
		if (errno != ENOENT)
			ereport(LOG,
					(errcode_for_file_access(),
					 errmsg("could not read file \"%s\": %m", USAGE_FILE)));
		return;
	}
	if (fread(&magic, sizeof(magic), 1, file) != 1 ||
		magic != USAGE_FILE_MAGIC ||
		fread(&complete_since, sizeof(complete_since), 1, file) != 1 ||
		fread(&count, sizeof(count), 1, file) != 1)
		count = -1;
	else if (!crash_restart)
		usage_shared->complete_since = complete_since;
	for (int32 i = 0; i < count; i++)
	{
		UsageKey	key;
		UsageCounters counters;
		UsageEntry *entry;

		if (fread(&key, sizeof(key), 1, file) != 1 ||
			fread(&counters, sizeof(counters), 1, file) != 1)
		{
			count = -1;
			break;
		}
		/* names that end within their field, whatever the file says */
		key.schema.data[NAMEDATALEN - 1] = '\0';
		key.output.data[NAMEDATALEN - 1] = '\0';
		if (hash_get_num_entries(usage_hash) >= max_usage_entries)
		{
			ereport(LOG,
					(errmsg("dropped %d usage counters of file \"%s\": dataproduct.max_usage_entries is %d",
							count - i, USAGE_FILE, max_usage_entries)));
			break;
		}
		entry = hash_search(usage_hash, &key, HASH_ENTER, NULL);
		SpinLockInit(&entry->mutex);
		entry->counters = counters;
	}
	if (count < 0)
		ereport(LOG,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("ignoring the rest of invalid usage counter file \"%s\"",
						USAGE_FILE)));
	FreeFile(file);
}

/*
 * When the postmaster exits, no backend being left, save the counters.  Not
 * when it reinitializes shared memory after a crash: that may be
 * inconsistent.
 */
static void
usage_shmem_shutdown(int code, Datum arg)
{
	FILE	   *file;
	HASH_SEQ_STATUS scan;
	UsageEntry *entry;
	uint32		magic = USAGE_FILE_MAGIC;
	int32		count;
	bool		ok;

	if (code != 0 || usage_shared == NULL || usage_hash == NULL)
		return;
	file = AllocateFile(USAGE_FILE ".tmp", PG_BINARY_W);
	if (file == NULL)
	{
		ereport(LOG,
				(errcode_for_file_access(),
				 errmsg("could not write file \"%s\": %m", USAGE_FILE ".tmp")));
		return;
	}
	count = hash_get_num_entries(usage_hash);
	ok = fwrite(&magic, sizeof(magic), 1, file) == 1 &&
		fwrite(&usage_shared->complete_since,
			   sizeof(usage_shared->complete_since), 1, file) == 1 &&
		fwrite(&count, sizeof(count), 1, file) == 1;
	hash_seq_init(&scan, usage_hash);
	while ((entry = hash_seq_search(&scan)) != NULL)
		ok = ok && fwrite(&entry->key, sizeof(entry->key), 1, file) == 1 &&
			fwrite(&entry->counters, sizeof(entry->counters), 1, file) == 1;
	if (FreeFile(file) != 0 || !ok)
	{
		ereport(LOG,
				(errcode_for_file_access(),
				 errmsg("could not write file \"%s\": %m", USAGE_FILE ".tmp")));
		unlink(USAGE_FILE ".tmp");
		return;
	}
	(void) durable_rename(USAGE_FILE ".tmp", USAGE_FILE, LOG);
}

static void
usage_shmem_startup(void)
{
	HASHCTL		info;
	bool		found;

	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();

	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	usage_shared = ShmemInitStruct("dataproduct usage", sizeof(UsageShared),
								   &found);
	if (!found)
	{
		usage_shared->lock = &(GetNamedLWLockTranche("dataproduct usage"))->lock;
		SpinLockInit(&usage_shared->mutex);
		usage_shared->untracked = 0;
		usage_shared->last_untracked = 0;
		/* the file may say since when; else from now on */
		usage_shared->complete_since = GetCurrentTimestamp();
	}
	info.keysize = sizeof(UsageKey);
	info.entrysize = sizeof(UsageEntry);
	usage_hash = ShmemInitHash("dataproduct usage counters",
							   max_usage_entries, max_usage_entries,
							   &info, HASH_ELEM | HASH_BLOBS);
	LWLockRelease(AddinShmemInitLock);

	if (!IsUnderPostmaster)
		on_shmem_exit(usage_shmem_shutdown, (Datum) 0);
	if (!found)
		load_counters();
	/* a later start in this postmaster follows a crash */
	crash_restart = true;
}

/*
 * Cache invalidation: a change to dataproduct.major_version (a publish, a
 * deprecation, a retirement), to a cached view, to any schema, or a reset of
 * all caches makes every cached answer stale.
 */
static void
usage_relcache_callback(Datum arg, Oid relid)
{
	if (relid == InvalidOid || relid == major_version_relid ||
		(view_cache != NULL &&
		 hash_search(view_cache, &relid, HASH_FIND, NULL) != NULL))
		generation++;
}

static void
usage_syscache_callback(Datum arg, int cacheid, uint32 hashvalue)
{
	generation++;
}

/*
 * Start afresh if anything changed since the caches were built.  Returns
 * whether the extension is installed in this database.
 */
static bool
prepare_caches(void)
{
	HASHCTL		ctl;

	if (built_generation == generation)
		return OidIsValid(major_version_relid);

	schema_cache = NULL;
	view_cache = NULL;
	if (cache_context == NULL)
		cache_context = AllocSetContextCreate(CacheMemoryContext,
											  "dataproduct usage cache",
											  ALLOCSET_SMALL_SIZES);
	MemoryContextReset(cache_context);
	built_generation = generation;

	ctl.keysize = sizeof(Oid);
	ctl.hcxt = cache_context;
	ctl.entrysize = sizeof(SchemaInfo);
	schema_cache = hash_create("dataproduct usage schemas", 16, &ctl,
							   HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	ctl.entrysize = sizeof(ViewInfo);
	view_cache = hash_create("dataproduct usage views", 64, &ctl,
							 HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);

	/* installed in this database: its pg_extension row, not a schema name */
	extension_schema = OidIsValid(get_extension_oid("dataproduct", true)) ?
		dp_extension_schema() : InvalidOid;
	major_version_relid = OidIsValid(extension_schema) ?
		get_relname_relid("major_version", extension_schema) : InvalidOid;
	return OidIsValid(major_version_relid);
}

/* A copy of a string, or NULL, that lives as long as the caches */
static char *
cache_strdup(const char *str)
{
	return str ? MemoryContextStrdup(cache_context, str) : NULL;
}

/*
 * Look a schema up in the catalog: the live major version it serves, with
 * its deprecation.  The message column comes with extension version 0.4.0:
 * a database still at an earlier version has none.
 */
static void
lookup_schema(SchemaInfo *info)
{
	bool		has_message = get_attnum(major_version_relid, "message") !=
		InvalidAttrNumber;
	Oid			argtypes[1] = {NAMEOID};
	Datum		values[1] = {NameGetDatum(&info->schema)};
	DpRows	   *rows;

	rows = dp_catalog_query(DP_READ_LATEST, psprintf(
					"SELECT m.product, m.major,"
					" m.status OPERATOR(pg_catalog.=) 'deprecated',"
					" pg_catalog.to_char(m.sunset, 'YYYY-MM-DD'), %s"
					" FROM dataproduct.major_version m"
					" WHERE m.schema_name OPERATOR(pg_catalog.=) $1"
					" AND m.status OPERATOR(pg_catalog.<>) 'retired'",
					has_message ? "m.message" : "NULL::pg_catalog.text"),
					1, argtypes, values, NULL);
	if (rows->count == 0)
		return;
	info->live = true;
	strlcpy(info->product, dp_rows_text(rows, 0, 1), NAMEDATALEN);
	info->major = DatumGetInt32(dp_rows_datum(rows, 0, 2));
	info->deprecated = DatumGetBool(dp_rows_datum(rows, 0, 3));
	info->sunset = cache_strdup(dp_rows_text(rows, 0, 4));
	info->message = cache_strdup(dp_rows_text(rows, 0, 5));
}

/*
 * What a schema serves.  The catalog is read only for schemas that may
 * serve a version, and the answer kept only if no invalidation arrived
 * meanwhile; the lookup's own statements are not tracked.
 */
static SchemaInfo *
schema_info(Oid nspid)
{
	SchemaInfo *info;
	SchemaInfo	found;
	uint64		started = generation;
	char	   *name;

	info = hash_search(schema_cache, &nspid, HASH_FIND, NULL);
	if (info != NULL)
		return info;

	memset(&found, 0, sizeof(found));
	found.nspid = nspid;
	name = get_namespace_name(nspid);
	if (name != NULL && nspid != extension_schema &&
		!IsCatalogNamespace(nspid) && !isAnyTempNamespace(nspid))
	{
		/*
		 * A reader's statement does not wait for ALTER EXTENSION or VACUUM
		 * FULL of the catalog: its read goes uncounted instead, and nothing
		 * is remembered.
		 */
		if (!ConditionalLockRelationOid(major_version_relid, AccessShareLock))
		{
			info = palloc0(sizeof(SchemaInfo));
			info->nspid = nspid;
			return info;
		}
		namestrcpy(&found.schema, name);
		in_lookup = true;
		PG_TRY();
		{
			lookup_schema(&found);
		}
		PG_FINALLY();
		{
			in_lookup = false;
		}
		PG_END_TRY();
	}
	if (started != generation || built_generation != generation)
	{
		info = palloc(sizeof(SchemaInfo));
		*info = found;
		return info;
	}
	info = hash_search(schema_cache, &nspid, HASH_ENTER, NULL);
	*info = found;
	return info;
}

/*
 * The version schema a view is in, or NULL.
 */
static ViewInfo *
view_info(Oid relid)
{
	ViewInfo   *info;
	ViewInfo	found;
	uint64		started = generation;
	Oid			nspid;
	char	   *name;

	info = hash_search(view_cache, &relid, HASH_FIND, NULL);
	if (info != NULL)
		return info;

	memset(&found, 0, sizeof(found));
	found.relid = relid;
	nspid = get_rel_namespace(relid);
	name = get_rel_name(relid);
	if (OidIsValid(nspid) && name != NULL)
	{
		namestrcpy(&found.output, name);
		found.schema = schema_info(nspid);
		if (!found.schema->live)
			found.schema = NULL;
	}
	if (started != generation || built_generation != generation)
	{
		info = palloc(sizeof(ViewInfo));
		*info = found;
		return info;
	}
	info = hash_search(view_cache, &relid, HASH_ENTER, NULL);
	*info = found;
	return info;
}

/*
 * Warn a reader of a deprecated major, once per session and major.
 */
static void
warn_if_deprecated(SchemaInfo *schema)
{
	MemoryContext oldcontext;
	ListCell   *lc;

	if (!schema->deprecated || !warn_deprecated)
		return;
	foreach(lc, warned_schemas)
	{
		if (strcmp(lfirst(lc), NameStr(schema->schema)) == 0)
			return;
	}
	oldcontext = MemoryContextSwitchTo(TopMemoryContext);
	warned_schemas = lappend(warned_schemas, pstrdup(NameStr(schema->schema)));
	MemoryContextSwitchTo(oldcontext);

	ereport(WARNING,
			(errcode(ERRCODE_WARNING_DEPRECATED_FEATURE),
			 errmsg("major version %d of data product \"%s\" is deprecated",
					schema->major, schema->product),
			 schema->sunset ?
			 errdetail("It will be retired on or after %s.", schema->sunset) : 0,
			 schema->message ?
			 errhint("The producing domain says: %s", schema->message) : 0));
}

static void
forget_query(void *arg)
{
	dlist_delete(&((UsageQuery *) arg)->node);
}

/*
 * The columns of a view a statement reads, offset by
 * FirstLowInvalidHeapAttributeNumber (0 for a whole-row reference).
 */
static Bitmapset *
selected_columns(QueryDesc *queryDesc, RangeTblEntry *rte)
{
#if PG_VERSION_NUM >= 160000
	return getRTEPermissionInfo(queryDesc->plannedstmt->permInfos, rte)->selectedCols;
#else
	return rte->selectedCols;
#endif
}

/*
 * Add columns to a read, as the bits its counter keeps: computed here, so
 * that counting needs no more than an OR under the counter's spinlock.
 */
static void
add_columns(UsageRead *read, Bitmapset *columns)
{
	int			x = -1;

	while ((x = bms_next_member(columns, x)) >= 0)
	{
		int			attno = x + FirstLowInvalidHeapAttributeNumber;

		if (attno == 0)
			read->all_columns = true;
		else if (attno > 0 && attno <= MaxHeapAttributeNumber)
			read->column_bits[(attno - 1) / 8] |= 1 << ((attno - 1) % 8);
	}
}

/*
 * Add a version view to what a statement reads, once per view.
 */
static void
add_read(UsageQuery *query, ViewInfo *view, RangeTblEntry *rte)
{
	UsageRead  *read;

	for (int i = 0; i < query->nreads; i++)
	{
		read = &query->reads[i];
		if (strcmp(NameStr(read->key.schema), NameStr(view->schema->schema)) == 0 &&
			strcmp(NameStr(read->key.output), NameStr(view->output)) == 0)
		{
			add_columns(read, selected_columns(query->queryDesc, rte));
			return;
		}
	}
	read = &query->reads[query->nreads++];
	memset(read, 0, sizeof(*read));
	read->key.dbid = MyDatabaseId;
	read->key.role = GetUserId();
	read->key.schema = view->schema->schema;
	read->key.output = view->output;
	add_columns(read, selected_columns(query->queryDesc, rte));
	warn_if_deprecated(view->schema);
}

/*
 * The version views a statement reads, in its executor state's memory, or
 * NULL when it reads none.
 */
static UsageQuery *
version_views_read(QueryDesc *queryDesc)
{
	List	   *rtable = queryDesc->plannedstmt->rtable;
	UsageQuery *query = NULL;
	ListCell   *lc;

	foreach(lc, rtable)
	{
		RangeTblEntry *rte = lfirst(lc);
		ViewInfo   *view;

		/* a view's entry stays for its permissions: RTE_SUBQUERY from 16 on */
		if ((rte->rtekind != RTE_RELATION && rte->rtekind != RTE_SUBQUERY) ||
			rte->relkind != RELKIND_VIEW)
			continue;
		view = view_info(rte->relid);
		if (view->schema == NULL)
			continue;
		if (query == NULL)
		{
			query = MemoryContextAllocZero(queryDesc->estate->es_query_cxt,
										   sizeof(UsageQuery));
			query->queryDesc = queryDesc;
			query->reads = MemoryContextAlloc(queryDesc->estate->es_query_cxt,
											  sizeof(UsageRead) * list_length(rtable));
		}
		add_read(query, view, rte);
	}
	return query;
}

/*
 * Whether to look at a statement: tracking is on, the statement runs (not
 * EXPLAIN without ANALYZE), and it is not the extension's own (its script,
 * the lookups here).  Not in parallel mode either: a worker runs a share of
 * a statement its leader counts, and a statement nested in a parallel
 * query (a function marked parallel safe that reads a version view) could
 * not look the catalog up; those are not counted.
 */
static bool
tracked(QueryDesc *queryDesc, int eflags)
{
	return usage_hash != NULL && !in_lookup && !creating_extension &&
		!IsInParallelMode() && (eflags & EXEC_FLAG_EXPLAIN_ONLY) == 0;
}

static void
usage_ExecutorStart(QueryDesc *queryDesc, int eflags)
{
	UsageQuery *query;
	MemoryContext oldcontext;

	if (prev_ExecutorStart)
		prev_ExecutorStart(queryDesc, eflags);
	else
		standard_ExecutorStart(queryDesc, eflags);

	if (!tracked(queryDesc, eflags) || !prepare_caches())
		return;
	query = version_views_read(queryDesc);
	if (query == NULL)
		return;

	dlist_push_head(&running, &query->node);
	query->unlink.func = forget_query;
	query->unlink.arg = query;
	MemoryContextRegisterResetCallback(queryDesc->estate->es_query_cxt,
									   &query->unlink);
	/* all of it, as pg_stat_statements, which may use it after us */
	if (queryDesc->totaltime == NULL)
	{
		oldcontext = MemoryContextSwitchTo(queryDesc->estate->es_query_cxt);
		queryDesc->totaltime = InstrAlloc(1, INSTRUMENT_ALL, false);
		MemoryContextSwitchTo(oldcontext);
	}
}

/*
 * Add a statement's read of one view to its counter, which is created if
 * there is room.
 */
static void
count_read(UsageRead *read, double time_ms, TimestampTz now)
{
	UsageEntry *entry;
	UsageCounters *c;

	LWLockAcquire(usage_shared->lock, LW_SHARED);
	entry = hash_search(usage_hash, &read->key, HASH_FIND, NULL);
	if (entry == NULL)
	{
		bool		found;

		LWLockRelease(usage_shared->lock);
		LWLockAcquire(usage_shared->lock, LW_EXCLUSIVE);
		entry = hash_search(usage_hash, &read->key, HASH_FIND, NULL);
		if (entry == NULL &&
			hash_get_num_entries(usage_hash) < max_usage_entries)
		{
			entry = hash_search(usage_hash, &read->key, HASH_ENTER, &found);
			SpinLockInit(&entry->mutex);
			memset(&entry->counters, 0, sizeof(entry->counters));
		}
	}
	if (entry == NULL)
	{
		SpinLockAcquire(&usage_shared->mutex);
		usage_shared->untracked++;
		usage_shared->last_untracked = now;
		SpinLockRelease(&usage_shared->mutex);
		LWLockRelease(usage_shared->lock);
		return;
	}

	SpinLockAcquire(&entry->mutex);
	c = &entry->counters;
	if (c->queries == 0)
		c->first_read = now;
	c->queries++;
	c->total_time_ms += time_ms;
	c->last_read = now;
	c->all_columns |= read->all_columns;
	for (int i = 0; i < USAGE_COLUMN_BYTES; i++)
		c->columns[i] |= read->column_bits[i];
	SpinLockRelease(&entry->mutex);
	LWLockRelease(usage_shared->lock);
}

static void
usage_ExecutorEnd(QueryDesc *queryDesc)
{
	dlist_iter	iter;

	dlist_foreach(iter, &running)
	{
		UsageQuery *query = dlist_container(UsageQuery, node, iter.cur);
		double		time_ms = 0;
		TimestampTz now;

		if (query->queryDesc != queryDesc)
			continue;
		if (queryDesc->totaltime != NULL)
		{
			InstrEndLoop(queryDesc->totaltime);
			time_ms = queryDesc->totaltime->total * 1000.0;
			/* a cursor closed before any fetch read nothing */
			if (queryDesc->totaltime->nloops == 0)
				break;
		}
		now = GetCurrentStatementStartTimestamp();
		for (int i = 0; i < query->nreads; i++)
			count_read(&query->reads[i], time_ms, now);
		break;
	}

	if (prev_ExecutorEnd)
		prev_ExecutorEnd(queryDesc);
	else
		standard_ExecutorEnd(queryDesc);
}

/*
 * Module load: the settings, and with shared_preload_libraries the shared
 * memory and the executor hooks.
 */
void
dp_usage_init(void)
{
	DefineCustomBoolVariable("dataproduct.warn_deprecated",
							 "Warns readers of a deprecated major version of a data product, once per session.",
							 "Takes effect with dataproduct in shared_preload_libraries.",
							 &warn_deprecated,
							 true,
							 PGC_USERSET,
							 0,
							 NULL,
							 NULL,
							 NULL);
	if (!process_shared_preload_libraries_in_progress)
		return;

	DefineCustomIntVariable("dataproduct.max_usage_entries",
							"Maximum number of usage counters, one per database, version view and reading role.",
							"Reads that would need a counter beyond it are not counted.",
							&max_usage_entries,
							5000,
							100,
							1000000,
							PGC_POSTMASTER,
							0,
							NULL,
							NULL,
							NULL);

	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = usage_shmem_request;
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = usage_shmem_startup;
	prev_ExecutorStart = ExecutorStart_hook;
	ExecutorStart_hook = usage_ExecutorStart;
	prev_ExecutorEnd = ExecutorEnd_hook;
	ExecutorEnd_hook = usage_ExecutorEnd;

	CacheRegisterRelcacheCallback(usage_relcache_callback, (Datum) 0);
	CacheRegisterSyscacheCallback(NAMESPACEOID, usage_syscache_callback,
								  (Datum) 0);
}

bool
dp_usage_enabled(void)
{
	return usage_hash != NULL;
}

/*
 * Since when the counters hold every read: since they started (the first
 * start with tracking, the last reset, or a restart after a crash, which
 * loses the reads since the last save), and after the last read that found
 * no free counter.  0 when tracking is off.
 */
TimestampTz
dp_usage_complete_since(void)
{
	TimestampTz since;

	if (usage_shared == NULL)
		return 0;
	SpinLockAcquire(&usage_shared->mutex);
	since = Max(usage_shared->complete_since, usage_shared->last_untracked);
	SpinLockRelease(&usage_shared->mutex);
	return since;
}

/* A counter and its key, copied out of shared memory */
typedef struct UsageCopy
{
	UsageKey	key;
	UsageCounters counters;
} UsageCopy;

/*
 * Copy the counters of this database, of one schema or all.
 */
static UsageCopy *
copy_counters(const char *schema, int *count)
{
	HASH_SEQ_STATUS scan;
	UsageEntry *entry;
	UsageCopy  *copies;
	int			n = 0;

	LWLockAcquire(usage_shared->lock, LW_SHARED);
	copies = palloc(sizeof(UsageCopy) * Max(hash_get_num_entries(usage_hash), 1));
	hash_seq_init(&scan, usage_hash);
	while ((entry = hash_seq_search(&scan)) != NULL)
	{
		if (entry->key.dbid != MyDatabaseId ||
			(schema != NULL && strcmp(NameStr(entry->key.schema), schema) != 0))
			continue;
		copies[n].key = entry->key;
		SpinLockAcquire(&entry->mutex);
		copies[n].counters = entry->counters;
		SpinLockRelease(&entry->mutex);
		n++;
	}
	LWLockRelease(usage_shared->lock);
	*count = n;
	return copies;
}

/*
 * The names of the columns a counter says were read, as the view has them
 * now; none if the view is gone.
 */
static List *
columns_read(UsageCopy *copy)
{
	Oid			nspid = get_namespace_oid(NameStr(copy->key.schema), true);
	Oid			relid;
	List	   *names = NIL;

	relid = OidIsValid(nspid) ?
		get_relname_relid(NameStr(copy->key.output), nspid) : InvalidOid;
	if (!OidIsValid(relid))
		return NIL;
	for (int attno = 1; attno <= MaxHeapAttributeNumber; attno++)
	{
		char	   *name = get_attname(relid, attno, true);

		if (name == NULL)
			break;
		if (copy->counters.all_columns ||
			(copy->counters.columns[(attno - 1) / 8] & (1 << ((attno - 1) % 8))) != 0)
			names = lappend(names, name);
	}
	return names;
}

List *
dp_usage_of_schema(const char *schema)
{
	List	   *usages = NIL;
	UsageCopy  *copies;
	int			count;

	if (!dp_usage_enabled())
		return NIL;
	copies = copy_counters(schema, &count);
	for (int i = 0; i < count; i++)
	{
		DpUsage    *usage = palloc(sizeof(DpUsage));

		usage->schema = pstrdup(NameStr(copies[i].key.schema));
		usage->output = pstrdup(NameStr(copies[i].key.output));
		usage->role = copies[i].key.role;
		usage->queries = copies[i].counters.queries;
		usage->total_time_ms = copies[i].counters.total_time_ms;
		usage->first_read = copies[i].counters.first_read;
		usage->last_read = copies[i].counters.last_read;
		usage->columns = columns_read(&copies[i]);
		usages = lappend(usages, usage);
	}
	return usages;
}

/* A version schema with its product, major and domain owner */
typedef struct MajorOfSchema
{
	NameData	schema;			/* hash key */
	char	   *product;
	int32		major;
	Oid			owner;
} MajorOfSchema;

/*
 * Every major version, retired ones too, by schema.
 */
static HTAB *
majors_by_schema(void)
{
	DpRows	   *rows;
	HASHCTL		ctl;
	HTAB	   *majors;

	rows = dp_catalog_query(DP_READ_LATEST,
							"SELECT m.schema_name, m.product, m.major,"
							" d.owner::pg_catalog.oid"
							" FROM dataproduct.major_version m"
							" JOIN dataproduct.product p"
							" ON p.name OPERATOR(pg_catalog.=) m.product"
							" JOIN dataproduct.domain d"
							" ON d.name OPERATOR(pg_catalog.=) p.domain",
							0, NULL, NULL, NULL);
	ctl.keysize = NAMEDATALEN;
	ctl.entrysize = sizeof(MajorOfSchema);
	ctl.hcxt = CurrentMemoryContext;
	majors = hash_create("dataproduct majors by schema", Max(rows->count, 16),
						 &ctl, HASH_ELEM | HASH_STRINGS | HASH_CONTEXT);
	for (uint64 i = 0; i < rows->count; i++)
	{
		MajorOfSchema *major;

		major = hash_search(majors, dp_rows_text(rows, i, 1), HASH_ENTER, NULL);
		major->product = dp_rows_text(rows, i, 2);
		major->major = DatumGetInt32(dp_rows_datum(rows, i, 3));
		major->owner = DatumGetObjectId(dp_rows_datum(rows, i, 4));
	}
	return majors;
}

/*
 * Whether tracking is on; if not, say so once per session.
 */
static bool
tracking_on(void)
{
	if (dp_usage_enabled())
		return true;
	if (!notified_off)
		ereport(NOTICE,
				(errmsg("usage tracking is off"),
				 errhint("Add dataproduct to shared_preload_libraries and restart the server.")));
	notified_off = true;
	return false;
}

/*
 * Say how many reads went uncounted because the counters were full.
 */
static void
notify_untracked(void)
{
	int64		untracked;

	SpinLockAcquire(&usage_shared->mutex);
	untracked = usage_shared->untracked;
	SpinLockRelease(&usage_shared->mutex);
	if (untracked > 0)
		ereport(NOTICE,
				(errmsg_plural("%lld read was not counted: all %d usage counters are in use",
							   "%lld reads were not counted: all %d usage counters are in use",
							   untracked, (long long) untracked, max_usage_entries),
				 errhint("Raise dataproduct.max_usage_entries, or reset the counters with dataproduct.usage_reset().")));
}

/*
 * dataproduct.usage_counters(): the counters of this database the caller
 * may see: those of roles whose privileges it has, and those of the majors
 * of domains whose owner's privileges it has (superusers see all).
 */
Datum
dp_usage_counters(PG_FUNCTION_ARGS)
{
	TupleDesc	tupdesc;
	Tuplestorestate *store = dp_materialized_result(fcinfo, &tupdesc);
	Oid			caller = GetUserId();
	HTAB	   *majors;
	UsageCopy  *copies;
	int			count;

	if (!tracking_on())
		PG_RETURN_NULL();
	notify_untracked();
	majors = majors_by_schema();
	copies = copy_counters(NULL, &count);
	for (int i = 0; i < count; i++)
	{
		UsageCopy  *copy = &copies[i];
		MajorOfSchema *major;
		Datum		values[10];
		bool		nulls[10] = {false};

		major = hash_search(majors, NameStr(copy->key.schema), HASH_FIND, NULL);
		if (major == NULL ||
			!SearchSysCacheExists1(AUTHOID, ObjectIdGetDatum(copy->key.role)) ||
			!(has_privs_of_role(caller, copy->key.role) ||
			  has_privs_of_role(caller, major->owner)))
			continue;
		values[0] = CStringGetTextDatum(major->product);
		values[1] = Int32GetDatum(major->major);
		values[2] = NameGetDatum(&copy->key.schema);
		values[3] = NameGetDatum(&copy->key.output);
		values[4] = ObjectIdGetDatum(copy->key.role);
		values[5] = Int64GetDatum(copy->counters.queries);
		values[6] = Float8GetDatum(copy->counters.total_time_ms);
		values[7] = dp_names_array(columns_read(copy));
		values[8] = TimestampTzGetDatum(copy->counters.first_read);
		values[9] = TimestampTzGetDatum(copy->counters.last_read);
		tuplestore_putvalues(store, tupdesc, values, nulls);
	}
	PG_RETURN_NULL();
}

/*
 * dataproduct.usage_reset(): forget every counter, of every database, and
 * the file the last clean shutdown saved.
 */
Datum
dp_usage_reset(PG_FUNCTION_ARGS)
{
	HASH_SEQ_STATUS scan;
	UsageEntry *entry;

	if (!tracking_on())
		PG_RETURN_VOID();
	LWLockAcquire(usage_shared->lock, LW_EXCLUSIVE);
	hash_seq_init(&scan, usage_hash);
	while ((entry = hash_seq_search(&scan)) != NULL)
		hash_search(usage_hash, &entry->key, HASH_REMOVE, NULL);
	SpinLockAcquire(&usage_shared->mutex);
	usage_shared->untracked = 0;
	usage_shared->last_untracked = 0;
	usage_shared->complete_since = GetCurrentTimestamp();
	SpinLockRelease(&usage_shared->mutex);
	if (unlink(USAGE_FILE) != 0 && errno != ENOENT)
		ereport(WARNING,
				(errcode_for_file_access(),
				 errmsg("could not remove file \"%s\": %m", USAGE_FILE)));
	LWLockRelease(usage_shared->lock);
	PG_RETURN_VOID();
}
