/*-------------------------------------------------------------------------
 *
 * catalog.c
 *		  Reading and writing the extension's catalog tables
 *
 * The catalog (dataproduct.domain, product, major_version, release,
 * release_output, release_column, and for sharing access, consumer and
 * subscription) belongs to the role that owns the extension and is not
 * writable by anyone else.  The SQL-callable functions run with the
 * caller's privileges, check them like core commands do, and then read and
 * write the catalog as its owner, the way REFRESH MATERIALIZED VIEW
 * switches to the view's owner.
 *
 * Every statement goes through one primitive, dp_run_as(): it runs one
 * statement as a role, with every user-supplied value as a parameter,
 * under a stated snapshot policy (DpAccess), undoes any setting the
 * statement changed, and copies the rows into the caller's memory context,
 * so that no result outlives the SPI connection that made it.  Catalog
 * reads see the latest committed catalog and this transaction's changes,
 * whatever the isolation level, so that a check never passes on a stale
 * snapshot; writes use the transaction's snapshot and row locks, which
 * make a concurrent change wait or, above READ COMMITTED, fail to
 * serialize.  The statements on the release catalog are here; those on the
 * sharing tables live with their functions (access.c, registry.c,
 * subscribe.c).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "dataproduct.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/indexing.h"
#include "catalog/namespace.h"
#include "catalog/pg_extension.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"

static void extension_row(Oid *nspid, Oid *owner);
static List *release_output_names(int64 release_id);
static void column_arrays(List *columns, Datum *arrays);
static bool has_security_columns(void);

/*
 * Run one statement through SPI as "role" (InvalidOid: as the caller), and
 * return its rows copied into the caller's memory context, which outlives
 * the SPI connection this opens and closes.  As another role, a statement
 * runs as a security restricted operation with search_path pg_catalog,
 * pg_temp; settings a statement changes (a function's SET clause,
 * set_config()) are undone afterwards.
 * On error, transaction abort restores the user, the settings, SPI and the
 * snapshot stack.
 */
DpRows *
dp_run_as(Oid role, DpAccess access, const char *sql, int nargs,
		  Oid *argtypes, Datum *values, const char *nulls)
{
	MemoryContext callercxt = CurrentMemoryContext;
	Oid			save_userid;
	int			save_sec_context;
	int			save_nestlevel;
	int			ret;
	DpRows	   *rows;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	GetUserIdAndSecContext(&save_userid, &save_sec_context);
	if (OidIsValid(role))
		SetUserIdAndSecContext(role, save_sec_context |
							   SECURITY_LOCAL_USERID_CHANGE |
							   SECURITY_RESTRICTED_OPERATION);
	save_nestlevel = NewGUCNestLevel();
	/* catalog-sized queries: compiling them would take longer than running */
	(void) set_config_option("jit", "off", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	/* as another role, resolve nothing through the caller's search_path */
	if (OidIsValid(role))
		(void) set_config_option("search_path", "pg_catalog, pg_temp",
								 PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE,
								 true, 0, false);
	if (access == DP_READ_LATEST)
		PushActiveSnapshot(GetLatestSnapshot());
	ret = SPI_execute_with_args(sql, nargs, argtypes, values, nulls,
								access != DP_WRITE, 0);
	if (access == DP_READ_LATEST)
		PopActiveSnapshot();
	AtEOXact_GUC(false, save_nestlevel);
	SetUserIdAndSecContext(save_userid, save_sec_context);
	if (ret < 0)
		elog(ERROR, "SPI_execute_with_args failed: %s", SPI_result_code_string(ret));

	rows = MemoryContextAllocZero(callercxt, sizeof(DpRows));
	if (SPI_tuptable != NULL)
	{
		MemoryContext oldcxt = MemoryContextSwitchTo(callercxt);

		rows->count = SPI_processed;
		rows->desc = CreateTupleDescCopy(SPI_tuptable->tupdesc);
		rows->tuples = palloc(sizeof(HeapTuple) * Max(rows->count, 1));
		for (uint64 i = 0; i < rows->count; i++)
			rows->tuples[i] = heap_copytuple(SPI_tuptable->vals[i]);
		MemoryContextSwitchTo(oldcxt);
	}
	if (SPI_finish() != SPI_OK_FINISH)
		elog(ERROR, "SPI_finish failed");
	return rows;
}

/*
 * Run one statement on the catalog as the catalog owner.
 */
DpRows *
dp_catalog_query(DpAccess access, const char *sql, int nargs, Oid *argtypes,
				 Datum *values, const char *nulls)
{
	return dp_run_as(dp_catalog_owner(), access, sql, nargs, argtypes,
					 values, nulls);
}

/* A value of a row as text; NULL for SQL NULL */
char *
dp_rows_text(DpRows *rows, uint64 row, int col)
{
	Assert(row < rows->count);
	return SPI_getvalue(rows->tuples[row], rows->desc, col);
}

bool
dp_rows_isnull(DpRows *rows, uint64 row, int col)
{
	bool		isnull;

	Assert(row < rows->count);
	(void) heap_getattr(rows->tuples[row], col, rows->desc, &isnull);
	return isnull;
}

/* A value that the statement guarantees is not NULL, as a Datum */
Datum
dp_rows_datum(DpRows *rows, uint64 row, int col)
{
	bool		isnull;
	Datum		d;

	Assert(row < rows->count);
	d = heap_getattr(rows->tuples[row], col, rows->desc, &isnull);
	if (isnull)
		elog(ERROR, "unexpected null in column %d of a dataproduct catalog row", col);
	return d;
}

/*
 * The extension's row in pg_extension, found by its name and not through
 * a schema name, which a rename would change: its schema and its owner.
 * An error if the extension is not installed.
 */
static void
extension_row(Oid *nspid, Oid *owner)
{
	Relation	rel;
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tuple;
	bool		found = false;

	rel = table_open(ExtensionRelationId, AccessShareLock);
	ScanKeyInit(&key, Anum_pg_extension_extname, BTEqualStrategyNumber,
				F_NAMEEQ, CStringGetDatum("dataproduct"));
	scan = systable_beginscan(rel, ExtensionNameIndexId, true, NULL, 1, &key);
	tuple = systable_getnext(scan);
	if (HeapTupleIsValid(tuple))
	{
		*nspid = ((Form_pg_extension) GETSTRUCT(tuple))->extnamespace;
		*owner = ((Form_pg_extension) GETSTRUCT(tuple))->extowner;
		found = true;
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	if (!found)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("extension \"dataproduct\" is not installed")));
}

Oid
dp_extension_schema(void)
{
	Oid			nspid;
	Oid			owner;

	extension_row(&nspid, &owner);
	return nspid;
}

/*
 * The role that owns the extension, and so its catalog tables: the role
 * that ran CREATE EXTENSION.  (Not the owner of its schema, which ALTER
 * SCHEMA could change.)
 */
Oid
dp_catalog_owner(void)
{
	Oid			nspid;
	Oid			owner;

	extension_row(&nspid, &owner);
	return owner;
}

/* A text argument and its null flag */
Datum
dp_text_or_null(const char *str, char *null)
{
	*null = str ? ' ' : 'n';
	return str ? CStringGetTextDatum(str) : (Datum) 0;
}

/*
 * A name[] of a list of names.
 */
Datum
dp_names_array(List *names)
{
	Datum	   *elems = palloc(sizeof(Datum) * Max(list_length(names), 1));
	int			i = 0;
	ListCell   *lc;

	foreach(lc, names)
		elems[i++] = dp_name_datum(lfirst(lc));
	return PointerGetDatum(construct_array(elems, i, NAMEOID, NAMEDATALEN,
										   false, TYPALIGN_CHAR));
}

/*
 * A text[] of a list of strings.
 */
Datum
dp_text_array(List *strings)
{
	Datum	   *elems = palloc(sizeof(Datum) * Max(list_length(strings), 1));
	int			i = 0;
	ListCell   *lc;

	foreach(lc, strings)
		elems[i++] = CStringGetTextDatum(lfirst(lc));
	return PointerGetDatum(construct_array(elems, i, TEXTOID, -1, false,
										   TYPALIGN_INT));
}

Datum
dp_name_datum(const char *str)
{
	return DirectFunctionCall1(namein, CStringGetDatum(str));
}

/*
 * Look a product up, with the owner of its domain.  With "lock", its row is
 * updated with the time of this release, which serializes releases of one
 * product: a concurrent publish() waits for this transaction and then, at
 * READ COMMITTED, sees what it committed, or, at REPEATABLE READ and above,
 * fails to serialize instead of checking against stale releases.
 */
DpProduct *
dp_get_product(const char *name, bool lock)
{
	DpRows	   *rows;
	Oid			argtypes[1] = {TEXTOID};
	Datum		values[1] = {CStringGetTextDatum(name)};
	DpProduct  *product;

	rows = dp_catalog_query(lock ? DP_WRITE : DP_READ_LATEST, lock ?
				"UPDATE dataproduct.product p SET released_at = pg_catalog.now()"
				" FROM dataproduct.domain d"
				" WHERE d.name OPERATOR(pg_catalog.=) p.domain"
				" AND p.name OPERATOR(pg_catalog.=) $1"
				" RETURNING p.name, p.domain, d.owner::pg_catalog.oid" :
				"SELECT p.name, p.domain, d.owner::pg_catalog.oid"
				" FROM dataproduct.product p"
				" JOIN dataproduct.domain d ON d.name OPERATOR(pg_catalog.=) p.domain"
				" WHERE p.name OPERATOR(pg_catalog.=) $1",
				1, argtypes, values, NULL);
	if (rows->count == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("data product \"%s\" does not exist", name),
				 errhint("Create it with dataproduct.create_product().")));

	product = palloc(sizeof(DpProduct));
	product->name = dp_rows_text(rows, 0, 1);
	product->domain = dp_rows_text(rows, 0, 2);
	product->owner = DatumGetObjectId(dp_rows_datum(rows, 0, 3));
	dp_check_domain_owner_exists(product->domain, product->owner);
	return product;
}

/*
 * The releases of a product in version order; all of them, or those of one
 * major version when "major" is zero or more.
 */
List *
dp_get_releases(const char *product, int32 major)
{
	DpRows	   *rows;
	Oid			argtypes[2] = {TEXTOID, INT4OID};
	Datum		values[2] = {CStringGetTextDatum(product), Int32GetDatum(major)};
	List	   *releases = NIL;

	rows = dp_catalog_query(DP_READ_LATEST, "SELECT release_id, major, minor, patch"
				" FROM dataproduct.release"
				" WHERE product OPERATOR(pg_catalog.=) $1"
				" AND ($2 OPERATOR(pg_catalog.<) 0 OR major OPERATOR(pg_catalog.=) $2)"
				" ORDER BY major, minor, patch",
				2, argtypes, values, NULL);
	for (uint64 i = 0; i < rows->count; i++)
	{
		DpRelease  *r = palloc(sizeof(DpRelease));

		r->id = DatumGetInt64(dp_rows_datum(rows, i, 1));
		r->version.major = DatumGetInt32(dp_rows_datum(rows, i, 2));
		r->version.minor = DatumGetInt32(dp_rows_datum(rows, i, 3));
		r->version.patch = DatumGetInt32(dp_rows_datum(rows, i, 4));
		releases = lappend(releases, r);
	}
	return releases;
}

/*
 * One release of a product, or an error naming the missing version.
 */
DpRelease *
dp_find_release(const char *product, DpVersion version)
{
	ListCell   *lc;

	foreach(lc, dp_get_releases(product, version.major))
	{
		DpRelease  *r = lfirst(lc);

		if (dp_version_cmp(r->version, version) == 0)
			return r;
	}
	ereport(ERROR,
			(errcode(ERRCODE_UNDEFINED_OBJECT),
			 errmsg("version %s of data product \"%s\" does not exist",
					dp_version_string(version), product),
			 errhint("The published versions are listed in dataproduct.versions.")));
	return NULL;				/* keep compiler quiet */
}

/*
 * The contract of a published release: its outputs in name order, each with
 * its columns in position order.
 */
List *
dp_release_contract(int64 release_id)
{
	DpRows	   *rows;
	DpRows	   *columns;
	Oid			argtypes[1] = {INT8OID};
	Datum		values[1] = {Int64GetDatum(release_id)};
	List	   *outputs = NIL;
	ListCell   *lc;
	uint64		row = 0;

	rows = dp_catalog_query(DP_READ_LATEST, has_security_columns() ?
							"SELECT name, source, source_kind, definition, description,"
							" security_barrier, security_invoker"
							" FROM dataproduct.release_output"
							" WHERE release_id OPERATOR(pg_catalog.=) $1 ORDER BY name" :
							"SELECT name, source, source_kind, definition, description,"
							" false, false"
				" FROM dataproduct.release_output"
				" WHERE release_id OPERATOR(pg_catalog.=) $1 ORDER BY name",
				1, argtypes, values, NULL);
	for (uint64 i = 0; i < rows->count; i++)
	{
		DpOutput   *o = palloc0(sizeof(DpOutput));

		o->name = dp_rows_text(rows, i, 1);
		o->source = dp_rows_text(rows, i, 2);
		o->source_kind = dp_rows_text(rows, i, 3);
		o->definition = dp_rows_text(rows, i, 4);
		o->description = dp_rows_text(rows, i, 5);
		o->security_barrier = DatumGetBool(dp_rows_datum(rows, i, 6));
		o->security_invoker = DatumGetBool(dp_rows_datum(rows, i, 7));
		outputs = lappend(outputs, o);
	}

	columns = dp_catalog_query(DP_READ_LATEST, "SELECT output, name, type, not_null, description"
				" FROM dataproduct.release_column"
				" WHERE release_id OPERATOR(pg_catalog.=) $1"
				" ORDER BY output, position",
				1, argtypes, values, NULL);
	foreach(lc, outputs)
	{
		DpOutput   *o = lfirst(lc);

		for (; row < columns->count &&
			 strcmp(dp_rows_text(columns, row, 1), o->name) == 0; row++)
		{
			DpColumn   *c = palloc(sizeof(DpColumn));

			c->name = dp_rows_text(columns, row, 2);
			c->type = dp_rows_text(columns, row, 3);
			c->not_null = DatumGetBool(dp_rows_datum(columns, row, 4));
			c->description = dp_rows_text(columns, row, 5);
			o->columns = lappend(o->columns, c);
		}
	}
	return outputs;
}

/*
 * The owner of a domain.  If there is no such domain, InvalidOid when
 * "missing_ok", else an error.
 */
Oid
dp_get_domain_owner(const char *name, bool missing_ok)
{
	DpRows	   *rows;
	Oid			argtypes[1] = {TEXTOID};
	Datum		values[1] = {CStringGetTextDatum(name)};

	rows = dp_catalog_query(DP_READ_LATEST, "SELECT owner::pg_catalog.oid FROM dataproduct.domain"
				" WHERE name OPERATOR(pg_catalog.=) $1",
				1, argtypes, values, NULL);
	if (rows->count == 0 && missing_ok)
		return InvalidOid;
	if (rows->count == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("domain \"%s\" does not exist", name),
				 errhint("Create it with dataproduct.create_domain().")));
	return DatumGetObjectId(dp_rows_datum(rows, 0, 1));
}

bool
dp_product_exists(const char *name)
{
	DpRows	   *rows;
	Oid			argtypes[1] = {TEXTOID};
	Datum		values[1] = {CStringGetTextDatum(name)};

	rows = dp_catalog_query(DP_READ_LATEST, "SELECT 1 FROM dataproduct.product"
				" WHERE name OPERATOR(pg_catalog.=) $1",
				1, argtypes, values, NULL);
	return rows->count > 0;
}

bool
dp_major_exists(const char *product, int32 major)
{
	DpRows	   *rows;
	Oid			argtypes[2] = {TEXTOID, INT4OID};
	Datum		values[2] = {CStringGetTextDatum(product), Int32GetDatum(major)};

	rows = dp_catalog_query(DP_READ_LATEST, "SELECT 1 FROM dataproduct.major_version"
				" WHERE product OPERATOR(pg_catalog.=) $1"
				" AND major OPERATOR(pg_catalog.=) $2",
				2, argtypes, values, NULL);
	return rows->count > 0;
}

/*
 * Is this namespace the schema of some product's major version?
 */
bool
dp_is_version_schema(Oid nspid)
{
	DpRows	   *rows;
	Oid			argtypes[1] = {NAMEOID};
	Datum		values[1];
	char	   *nspname = get_namespace_name(nspid);

	if (nspname == NULL)
		return false;
	values[0] = dp_name_datum(nspname);
	rows = dp_catalog_query(DP_READ_LATEST, "SELECT 1 FROM dataproduct.major_version"
				" WHERE schema_name OPERATOR(pg_catalog.=) $1",
				1, argtypes, values, NULL);
	return rows->count > 0;
}

void
dp_insert_domain(const char *name, Oid owner, const char *description)
{
	Oid			argtypes[4] = {TEXTOID, OIDOID, TEXTOID, NAMEOID};
	Datum		values[4];
	char		nulls[4] = "   ";

	values[0] = CStringGetTextDatum(name);
	values[1] = ObjectIdGetDatum(owner);
	values[2] = dp_text_or_null(description, &nulls[2]);
	values[3] = dp_name_datum(GetUserNameFromId(GetUserId(), false));
	(void) dp_catalog_query(DP_WRITE, "INSERT INTO dataproduct.domain (name, owner, description, created_by)"
				" VALUES ($1, $2::pg_catalog.regrole, $3, $4)",
				4, argtypes, values, nulls);
}

void
dp_insert_product(const char *name, const char *domain,
				  const char *description)
{
	Oid			argtypes[4] = {TEXTOID, TEXTOID, TEXTOID, NAMEOID};
	Datum		values[4];
	char		nulls[4] = "   ";

	values[0] = CStringGetTextDatum(name);
	values[1] = CStringGetTextDatum(domain);
	values[2] = dp_text_or_null(description, &nulls[2]);
	values[3] = dp_name_datum(GetUserNameFromId(GetUserId(), false));
	(void) dp_catalog_query(DP_WRITE, "INSERT INTO dataproduct.product (name, domain, description, created_by)"
				" VALUES ($1, $2, $3, $4)",
				4, argtypes, values, nulls);
}

void
dp_insert_major(const char *product, int32 major, const char *schema)
{
	Oid			argtypes[3] = {TEXTOID, INT4OID, NAMEOID};
	Datum		values[3];

	values[0] = CStringGetTextDatum(product);
	values[1] = Int32GetDatum(major);
	values[2] = dp_name_datum(schema);
	(void) dp_catalog_query(DP_WRITE, "INSERT INTO dataproduct.major_version (product, major, schema_name)"
				" VALUES ($1, $2, $3)",
				3, argtypes, values, NULL);
}

int64
dp_insert_release(const char *product, DpVersion version, const char *notes)
{
	DpRows	   *rows;
	Oid			argtypes[6] = {TEXTOID, INT4OID, INT4OID, INT4OID, TEXTOID, NAMEOID};
	Datum		values[6];
	char		nulls[6] = "     ";

	values[0] = CStringGetTextDatum(product);
	values[1] = Int32GetDatum(version.major);
	values[2] = Int32GetDatum(version.minor);
	values[3] = Int32GetDatum(version.patch);
	values[4] = dp_text_or_null(notes, &nulls[4]);
	values[5] = dp_name_datum(GetUserNameFromId(GetUserId(), false));
	rows = dp_catalog_query(DP_WRITE, "INSERT INTO dataproduct.release"
				" (product, major, minor, patch, notes, published_by)"
				" VALUES ($1, $2, $3, $4, $5, $6)"
				" RETURNING release_id",
				6, argtypes, values, nulls);
	return DatumGetInt64(dp_rows_datum(rows, 0, 1));
}

/*
 * Record the outputs and columns a release promises: one statement per
 * output, so that a wide output costs one round trip through SPI.
 */
void
dp_insert_contract(int64 release_id, List *outputs)
{
	bool		security = has_security_columns();
	ListCell   *lc;

	foreach(lc, outputs)
	{
		DpOutput   *o = lfirst(lc);
		Oid			types[12] = {INT8OID, NAMEOID, TEXTOID, TEXTOID, TEXTOID,
		TEXTOID, BOOLOID, BOOLOID, NAMEARRAYOID, TEXTARRAYOID, BOOLARRAYOID,
		TEXTARRAYOID};
		Datum		values[12];
		char		nulls[12] = "            ";

		values[0] = Int64GetDatum(release_id);
		values[1] = dp_name_datum(o->name);
		values[2] = CStringGetTextDatum(o->source);
		values[3] = CStringGetTextDatum(o->source_kind);
		values[4] = CStringGetTextDatum(o->definition);
		values[5] = dp_text_or_null(o->description, &nulls[5]);
		values[6] = BoolGetDatum(o->security_barrier);
		values[7] = BoolGetDatum(o->security_invoker);
		column_arrays(o->columns, &values[8]);
		(void) dp_catalog_query(DP_WRITE,
								psprintf("WITH output AS ("
										 " INSERT INTO dataproduct.release_output"
										 " (release_id, name, source, source_kind,"
										 "  definition, description%s)"
										 " VALUES ($1, $2, $3, $4, $5, $6%s))"
										 " INSERT INTO dataproduct.release_column"
										 " (release_id, output, position, name, type,"
										 "  not_null, description)"
										 " SELECT $1, $2, c.position, c.name, c.type,"
										 "  c.not_null, c.description"
										 " FROM ROWS FROM (pg_catalog.unnest($9),"
										 "  pg_catalog.unnest($10), pg_catalog.unnest($11),"
										 "  pg_catalog.unnest($12)) WITH ORDINALITY"
										 "  AS c(name, type, not_null, description, position)",
										 security ? ", security_barrier, security_invoker" : "",
										 security ? ", $7, $8" : ""),
								12, types, values, nulls);
	}
}

/*
 * Does the catalog record a view's security options?  Not before ALTER
 * EXTENSION dataproduct UPDATE TO '0.3.0', while the library is already
 * new: releases published then promise none, as 0.2.0 did.
 */
static bool
has_security_columns(void)
{
	Oid			relid = get_relname_relid("release_output", dp_extension_schema());

	return get_attnum(relid, "security_barrier") != InvalidAttrNumber;
}

/*
 * The columns of an output as four arrays, in column order: names, types,
 * NOT NULL promises and descriptions (NULL where there is none).
 */
static void
column_arrays(List *columns, Datum *arrays)
{
	int			n = list_length(columns);
	Datum	   *names = palloc(sizeof(Datum) * Max(n, 1));
	Datum	   *types = palloc(sizeof(Datum) * Max(n, 1));
	Datum	   *not_null = palloc(sizeof(Datum) * Max(n, 1));
	Datum	   *descriptions = palloc(sizeof(Datum) * Max(n, 1));
	bool	   *no_description = palloc(sizeof(bool) * Max(n, 1));
	int			dims[1] = {n};
	int			lbs[1] = {1};
	int			i = 0;
	ListCell   *lc;

	foreach(lc, columns)
	{
		DpColumn   *c = lfirst(lc);

		names[i] = dp_name_datum(c->name);
		types[i] = CStringGetTextDatum(c->type);
		not_null[i] = BoolGetDatum(c->not_null);
		no_description[i] = c->description == NULL;
		descriptions[i] = no_description[i] ? (Datum) 0 :
			CStringGetTextDatum(c->description);
		i++;
	}
	arrays[0] = PointerGetDatum(construct_array(names, n, NAMEOID,
												NAMEDATALEN, false, TYPALIGN_CHAR));
	arrays[1] = PointerGetDatum(construct_array(types, n, TEXTOID,
												-1, false, TYPALIGN_INT));
	arrays[2] = PointerGetDatum(construct_array(not_null, n, BOOLOID,
												1, true, TYPALIGN_CHAR));
	arrays[3] = PointerGetDatum(construct_md_array(descriptions, no_description,
												   1, dims, lbs, TEXTOID,
												   -1, false, TYPALIGN_INT));
}

/*
 * Is any major version of any product live?
 */
bool
dp_any_live_major(void)
{
	DpRows	   *rows;
	rows = dp_catalog_query(DP_READ_LATEST, "SELECT 1 FROM dataproduct.major_version"
				" WHERE status OPERATOR(pg_catalog.<>) 'retired' LIMIT 1",
				0, NULL, NULL, NULL);
	return rows->count > 0;
}

/*
 * The live major version a schema serves, with its latest release; false
 * if it serves none.  One index lookup.
 */
bool
dp_find_live_major(const char *schema, char **product, int32 *major,
				   char **version)
{
	DpRows	   *rows;
	Oid			argtypes[1] = {NAMEOID};
	Datum		values[1];

	values[0] = dp_name_datum(schema);
	rows = dp_catalog_query(DP_READ_LATEST, "SELECT m.product, m.major,"
				" (SELECT pg_catalog.format('%s.%s.%s', r.major, r.minor, r.patch)"
				"    FROM dataproduct.release r"
				"   WHERE r.product OPERATOR(pg_catalog.=) m.product"
				"     AND r.major OPERATOR(pg_catalog.=) m.major"
				"   ORDER BY r.minor DESC, r.patch DESC LIMIT 1)"
				" FROM dataproduct.major_version m"
				" WHERE m.schema_name OPERATOR(pg_catalog.=) $1"
				" AND m.status OPERATOR(pg_catalog.<>) 'retired'",
				1, argtypes, values, NULL);
	if (rows->count == 0)
		return false;
	*product = dp_rows_text(rows, 0, 1);
	*major = DatumGetInt32(dp_rows_datum(rows, 0, 2));
	*version = dp_rows_text(rows, 0, 3);
	return true;
}

/*
 * The schemas of all live major versions, in name order.
 */
List *
dp_live_major_schemas(void)
{
	DpRows	   *rows;
	List	   *schemas = NIL;

	rows = dp_catalog_query(DP_READ_LATEST, "SELECT schema_name FROM dataproduct.major_version"
				" WHERE status OPERATOR(pg_catalog.<>) 'retired'"
				" ORDER BY schema_name",
				0, NULL, NULL, NULL);
	for (uint64 i = 0; i < rows->count; i++)
		schemas = lappend(schemas, dp_rows_text(rows, i, 1));
	return schemas;
}

/*
 * What the latest release of a major version promises for one output, or
 * NULL if it has no such output.
 */
DpOutput *
dp_promised_output(const char *product, int32 major, const char *output)
{
	List	   *releases = dp_get_releases(product, major);
	ListCell   *lc;

	if (releases == NIL)
		return NULL;
	foreach(lc, dp_release_contract(((DpRelease *) llast(releases))->id))
	{
		DpOutput   *o = lfirst(lc);

		if (strcmp(o->name, output) == 0)
			return o;
	}
	return NULL;
}

/*
 * A major version that is not retired, with its latest release and that
 * release's outputs; NULL if the product has no such major version.
 */
DpMajor *
dp_get_live_major(DpProduct *product, int32 major)
{
	DpRows	   *rows;
	Oid			argtypes[2] = {TEXTOID, INT4OID};
	Datum		values[2] = {CStringGetTextDatum(product->name), Int32GetDatum(major)};
	DpMajor    *m;

	rows = dp_catalog_query(DP_READ_LATEST, "SELECT m.schema_name, m.status, r.release_id, r.minor, r.patch"
					" FROM dataproduct.major_version m"
					" JOIN dataproduct.release r"
					"   ON r.product OPERATOR(pg_catalog.=) m.product"
					"  AND r.major OPERATOR(pg_catalog.=) m.major"
					" WHERE m.product OPERATOR(pg_catalog.=) $1"
					" AND m.major OPERATOR(pg_catalog.=) $2"
					" AND m.status OPERATOR(pg_catalog.<>) 'retired'"
					" ORDER BY r.minor DESC, r.patch DESC LIMIT 1",
					2, argtypes, values, NULL);
	if (rows->count == 0)
		return NULL;
	m = palloc(sizeof(DpMajor));
	m->product = product;
	m->schema = dp_rows_text(rows, 0, 1);
	m->status = dp_rows_text(rows, 0, 2);
	m->latest_release = DatumGetInt64(dp_rows_datum(rows, 0, 3));
	m->latest.major = major;
	m->latest.minor = DatumGetInt32(dp_rows_datum(rows, 0, 4));
	m->latest.patch = DatumGetInt32(dp_rows_datum(rows, 0, 5));
	m->outputs = release_output_names(m->latest_release);
	return m;
}

/*
 * The names of the outputs of a release, in name order.
 */
static List *
release_output_names(int64 release_id)
{
	DpRows	   *rows;
	Oid			argtypes[1] = {INT8OID};
	Datum		values[1] = {Int64GetDatum(release_id)};
	List	   *names = NIL;

	rows = dp_catalog_query(DP_READ_LATEST, "SELECT name FROM dataproduct.release_output"
					" WHERE release_id OPERATOR(pg_catalog.=) $1 ORDER BY name",
					1, argtypes, values, NULL);
	for (uint64 i = 0; i < rows->count; i++)
		names = lappend(names, dp_rows_text(rows, i, 1));
	return names;
}

/*
 * Lock a major version's row: exclusively while its access is revoked,
 * shared while a consumer registers, so that a registration is checked
 * against the privileges a concurrent revoke_access() leaves.
 */
void
dp_lock_major(const char *product, int32 major, bool exclusive)
{
	Oid			argtypes[2] = {TEXTOID, INT4OID};
	Datum		values[2] = {CStringGetTextDatum(product), Int32GetDatum(major)};

	(void) dp_catalog_query(DP_WRITE, exclusive ?
					"SELECT 1 FROM dataproduct.major_version"
					" WHERE product OPERATOR(pg_catalog.=) $1"
					" AND major OPERATOR(pg_catalog.=) $2 FOR UPDATE" :
					"SELECT 1 FROM dataproduct.major_version"
					" WHERE product OPERATOR(pg_catalog.=) $1"
					" AND major OPERATOR(pg_catalog.=) $2 FOR SHARE",
					2, argtypes, values, NULL);
}

/*
 * Wait for releases of a product in progress, as changes to who may read
 * its versions must: the row lock publish() takes by updating the row.
 */
void
dp_lock_product(const char *product)
{
	Oid			argtypes[1] = {TEXTOID};
	Datum		values[1] = {CStringGetTextDatum(product)};

	(void) dp_catalog_query(DP_WRITE, "SELECT 1 FROM dataproduct.product"
					" WHERE name OPERATOR(pg_catalog.=) $1 FOR UPDATE",
					1, argtypes, values, NULL);
}
