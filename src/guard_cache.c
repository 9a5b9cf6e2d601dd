/*-------------------------------------------------------------------------
 *
 * guard_cache.c
 *		  Which schemas serve live versions: the guard's per-backend cache
 *
 * The guard asks, for every schema a DDL statement touches, whether it
 * serves a live major version.  The answer comes from the latest committed
 * state of dataproduct.major_version and release, plus what this
 * transaction changed (DP_READ_LATEST), never from the statement's or a
 * REPEATABLE READ transaction's snapshot: a session whose snapshot predates
 * another session's publish() must still see the version it made.
 *
 * Answers are kept per schema name until the catalog changes.  A statement
 * trigger on those tables invalidates their relcache entries (see
 * dp_guard_catalog_changed), which every backend receives; pending
 * invalidations are absorbed at the start of every guard call.  An answer
 * is kept only if it was computed completely with no invalidation arriving
 * meanwhile: a lookup cut short by an error or a cancel leaves nothing
 * behind, and the next call asks again.  While another transaction that
 * changes major_version holds its lock, which it keeps until after its
 * invalidations went out, no cached answer is trusted.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "guard.h"

#include "storage/lmgr.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

/*
 * The schemas looked up since the catalog last changed, live version
 * schemas or not, and whether any version is live at all.  The cache is
 * valid while "built_generation" equals "generation", which every
 * invalidation advances.
 */
static HTAB *version_schemas = NULL;

/* beyond this, schemas that serve no version are looked up every time */
#define MAX_CACHED_SCHEMAS 4096
static bool any_live_version = false;
static uint64 generation = 1;
static uint64 built_generation = 0;
static Oid	extension_schema = InvalidOid;
static Oid	major_version_relid = InvalidOid;
static Oid	release_relid = InvalidOid;

static void wait_for_catalog_writers(void);

/*
 * Relcache callback: a change to dataproduct.major_version or release, or
 * a reset of all caches, makes every answer stale.
 */
void
dp_guard_relcache_callback(Datum arg, Oid relid)
{
	if (relid == InvalidOid || relid == major_version_relid ||
		relid == release_relid)
		generation++;
}

/*
 * A transaction becomes visible to others before it sends its cache
 * invalidations, and sends them before it releases its locks.  So absorb
 * what others sent, and if a transaction that writes major_version still
 * holds its lock (it may have committed already), trust no cached answer
 * in this call: the lookups then read the latest committed catalog.
 */
static void
wait_for_catalog_writers(void)
{
	AcceptInvalidationMessages();
	if (!OidIsValid(major_version_relid))
		return;
	if (ConditionalLockRelationOid(major_version_relid, ShareLock))
		UnlockRelationOid(major_version_relid, ShareLock);
	else
		generation++;
}

/*
 * Start a guard call: absorb invalidations other sessions sent, and start
 * afresh if the catalog changed.  Returns whether any version is live.
 */
bool
dp_guard_prepare(void)
{
	uint64		started;
	HASHCTL		ctl;
	Oid			nspid;
	bool		any;

	wait_for_catalog_writers();
	started = generation;
	if (version_schemas != NULL && built_generation == started)
		return any_live_version;

	nspid = dp_extension_schema();
	extension_schema = nspid;
	major_version_relid = get_relname_relid("major_version", nspid);
	release_relid = get_relname_relid("release", nspid);
	any = dp_any_live_major();

	if (version_schemas != NULL)
		hash_destroy(version_schemas);
	version_schemas = NULL;
	ctl.keysize = NAMEDATALEN;
	ctl.entrysize = sizeof(DpVersionSchema);
	ctl.hcxt = CacheMemoryContext;
	version_schemas = hash_create("dataproduct version schemas", 16, &ctl,
								  HASH_ELEM | HASH_STRINGS | HASH_CONTEXT);
	any_live_version = any;
	built_generation = started;
	return any;
}

/*
 * The extension's schema, as the last dp_guard_prepare() found it: the
 * schema cannot be renamed, and recreating the extension recreates the
 * catalog, whose invalidation starts the guard afresh.
 */
Oid
dp_guard_extension_schema(void)
{
	Assert(OidIsValid(extension_schema));
	return extension_schema;
}

/*
 * The live version a schema serves, or NULL.  An answer is cached only
 * once computed, and only while no invalidation arrived during the lookup.
 */
DpVersionSchema *
dp_version_schema_by_name(const char *name)
{
	DpVersionSchema *vs;
	DpVersionSchema found;
	uint64		started = generation;
	char	   *product;
	char	   *version;

	if (name == NULL || strlen(name) >= NAMEDATALEN || version_schemas == NULL)
		return NULL;
	if (!any_live_version && built_generation == generation)
		return NULL;
	vs = hash_search(version_schemas, name, HASH_FIND, NULL);
	if (vs != NULL && built_generation == generation)
		return vs->live ? vs : NULL;

	memset(&found, 0, sizeof(found));
	strlcpy(NameStr(found.schema), name, NAMEDATALEN);
	found.live = dp_find_live_major(name, &product, &found.major, &version);
	if (found.live)
	{
		strlcpy(found.product, product, NAMEDATALEN);
		/* a major whose first release is being published has none yet */
		strlcpy(found.version, version ? version : "(none)", sizeof(found.version));
	}
	if (built_generation == started && started == generation &&
		(found.live || hash_get_num_entries(version_schemas) < MAX_CACHED_SCHEMAS))
	{
		vs = hash_search(version_schemas, name, HASH_ENTER, NULL);
		*vs = found;
	}
	else
	{
		vs = palloc(sizeof(DpVersionSchema));
		*vs = found;
	}
	return vs->live ? vs : NULL;
}

DpVersionSchema *
dp_version_schema_of(Oid nspid)
{
	char	   *name = get_namespace_name(nspid);

	return name ? dp_version_schema_by_name(name) : NULL;
}

/*
 * "data product "orders" version 1.2.0 from schema "orders_v1""
 */
char *
dp_version_label(DpVersionSchema *vs)
{
	return psprintf("data product \"%s\" version %s from schema \"%s\"",
					vs->product, vs->version, NameStr(vs->schema));
}
