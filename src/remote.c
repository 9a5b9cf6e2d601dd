/*-------------------------------------------------------------------------
 *
 * remote.c
 *		  Talking to a producer's database over a postgres_fdw server
 *
 * The consumer side never opens a connection of its own.  Everything it
 * asks of a producer goes through postgres_fdw, with the user mapping of
 * the calling role: it reads the producer's dataproduct.catalog and
 * contract_columns, and registers in its dataproduct.consumers, through
 * temporary foreign tables that live for one call.  So the credentials stay
 * in the user mapping, where postgres_fdw keeps and checks them (a
 * non-superuser must use a password), nothing here ever reads them, and
 * all remote work of a call, including IMPORT FOREIGN SCHEMA, happens in
 * postgres_fdw's remote transaction, which commits or aborts with the
 * caller's transaction.
 *
 * remote_catalog() lives here too: it is the producer's catalog, read over
 * the same channel.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "dataproduct.h"

#include "access/htup_details.h"
#include "access/xlog.h"
#include "catalog/pg_proc.h"
#include "commands/dbcommands.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "foreign/foreign.h"
#include "funcapi.h"
#include "access/xact.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"

PG_FUNCTION_INFO_V1(dp_remote_catalog);

/* the oldest producer that can share: it has dataproduct.consumers */
#define DP_SHARING_VERSION "0.2.0"

static bool is_postgres_fdw(ForeignDataWrapper *fdw);
static bool user_mapping_exists(Oid userid, Oid serverid);
static void check_remote_extension(ForeignServer *server);
static void connection_context(void *arg);
static void consumer_key(const char *product, int32 major,
						 ForeignServer *server, Datum *values);
static void no_remote_major(ForeignServer *server, const char *product,
							int32 major, List *majors);

/*
 * The postgres_fdw server a consumer reaches a producer through, once the
 * caller may use it: it exists, is a postgres_fdw server, the caller has
 * USAGE on it and a user mapping for it.
 */
ForeignServer *
dp_remote_server(const char *name)
{
	ForeignServer *server = GetForeignServerByName(name, true);
	ForeignDataWrapper *fdw;
	const char *role = GetUserNameFromId(GetUserId(), false);

	if (server == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("server \"%s\" does not exist", name),
				 errhint("Create a postgres_fdw server for the producer's database with CREATE SERVER %s FOREIGN DATA WRAPPER postgres_fdw OPTIONS (host '...', dbname '...').",
						 quote_identifier(name))));
	fdw = GetForeignDataWrapper(server->fdwid);
	if (!is_postgres_fdw(fdw))
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("server \"%s\" is not a postgres_fdw server", name),
				 errdetail("It uses foreign-data wrapper \"%s\"; data products are shared over postgres_fdw.",
						   fdw->fdwname),
				 errhint("Create a server with FOREIGN DATA WRAPPER postgres_fdw for the producer's database.")));
	if (dp_foreign_server_aclcheck(server->serverid, GetUserId(), ACL_USAGE) != ACLCHECK_OK)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied for foreign server %s", name),
				 errhint("The owner of server \"%s\" can GRANT USAGE ON FOREIGN SERVER %s TO %s.",
						 name, quote_identifier(name), quote_identifier(role))));
	if (!user_mapping_exists(GetUserId(), server->serverid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("user mapping for role \"%s\" on server \"%s\" does not exist",
						role, name),
				 errdetail("postgres_fdw logs in to the producer with the user name and password in the user mapping of the calling role."),
				 errhint("Create one with CREATE USER MAPPING FOR CURRENT_USER SERVER %s OPTIONS (user '...', password '...').",
						 quote_identifier(name))));
	return server;
}

/*
 * A wrapper whose handler is postgres_fdw's, whatever the wrapper is called.
 */
static bool
is_postgres_fdw(ForeignDataWrapper *fdw)
{
	HeapTuple	tuple;
	Datum		probin;
	bool		isnull;
	bool		result;

	if (!OidIsValid(fdw->fdwhandler))
		return false;
	tuple = SearchSysCache1(PROCOID, ObjectIdGetDatum(fdw->fdwhandler));
	if (!HeapTupleIsValid(tuple))
		elog(ERROR, "cache lookup failed for function %u", fdw->fdwhandler);
	probin = SysCacheGetAttr(PROCOID, tuple, Anum_pg_proc_probin, &isnull);
	result = !isnull &&
		strcmp(NameStr(((Form_pg_proc) GETSTRUCT(tuple))->proname),
			   "postgres_fdw_handler") == 0 &&
		strcmp(TextDatumGetCString(probin), "$libdir/postgres_fdw") == 0;
	ReleaseSysCache(tuple);
	return result;
}

/* A mapping for the role, or for PUBLIC, as postgres_fdw looks them up */
static bool
user_mapping_exists(Oid userid, Oid serverid)
{
	return SearchSysCacheExists2(USERMAPPINGUSERSERVER,
								 ObjectIdGetDatum(userid),
								 ObjectIdGetDatum(serverid)) ||
		SearchSysCacheExists2(USERMAPPINGUSERSERVER,
							  ObjectIdGetDatum(InvalidOid),
							  ObjectIdGetDatum(serverid));
}

/*
 * Open the channel to the producer: temporary foreign tables over what the
 * producer exposes, created as the caller inside SPI, then a first remote
 * query that checks the producer runs dataproduct.  Names the consumer
 * sends are text here: postgres_fdw does not ship conditions on a Param of
 * type name (its collation is "C"), and unregistering needs the whole
 * DELETE shipped, since a view has no ctid.  dp_remote_close()
 * drops them; an error drops them with the transaction.
 */
void
dp_remote_open(ForeignServer *server)
{
	const char *srv = quote_identifier(server->servername);

	if (XactReadOnly)
		ereport(ERROR,
				(errcode(ERRCODE_READ_ONLY_SQL_TRANSACTION),
				 errmsg("cannot read the catalog of a producer in a read-only transaction"),
				 errdetail("dataproduct reads it through temporary foreign tables, which a read-only transaction cannot create.")));
	if (dp_database_aclcheck(MyDatabaseId, GetUserId(), ACL_CREATE_TEMP) != ACLCHECK_OK)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to create temporary tables in database \"%s\"",
						get_database_name(MyDatabaseId)),
				 errdetail("dataproduct reads the producer's catalog through temporary foreign tables that last for one call."),
				 errhint("Grant it with GRANT TEMPORARY ON DATABASE %s TO %s.",
						 quote_identifier(get_database_name(MyDatabaseId)),
						 quote_identifier(GetUserNameFromId(GetUserId(), false)))));
	dp_execute(psprintf("CREATE FOREIGN TABLE pg_temp.dataproduct_remote_extension"
							" (extname name, extversion text) SERVER %s"
							" OPTIONS (schema_name 'pg_catalog', table_name 'pg_extension');"
							"CREATE FOREIGN TABLE pg_temp.dataproduct_remote_catalog"
							" (product text, domain text, owner text, version text,"
							"  schema name, status text, published_at timestamptz,"
							"  sunset date, outputs name[], consumers bigint) SERVER %s"
							" OPTIONS (schema_name 'dataproduct', table_name 'catalog');"
							"CREATE FOREIGN TABLE pg_temp.dataproduct_remote_contract"
							" (product text, version text, output name, position integer,"
							"  column_name name, type text, not_null boolean, description text) SERVER %s"
							" OPTIONS (schema_name 'dataproduct', table_name 'contract_columns');"
							"CREATE FOREIGN TABLE pg_temp.dataproduct_remote_consumers"
							" (product text, major integer, version text,"
							"  consumer_system text, consumer_database text,"
							"  consumer_server text, consumer_schema text,"
							"  consumer_role text) SERVER %s"
							" OPTIONS (schema_name 'dataproduct', table_name 'consumers',"
							"          updatable 'true')",
							srv, srv, srv, srv),
				   0, NULL, NULL);
	check_remote_extension(server);
}

void
dp_remote_close(void)
{
	dp_execute("DROP FOREIGN TABLE pg_temp.dataproduct_remote_extension,"
				   " pg_temp.dataproduct_remote_catalog,"
				   " pg_temp.dataproduct_remote_contract,"
				   " pg_temp.dataproduct_remote_consumers",
				   0, NULL, NULL);
}

/*
 * The producer's database must run a dataproduct that can share.  This is
 * the first remote query, so connection errors surface here, as
 * postgres_fdw reports them.
 */
static void
check_remote_extension(ForeignServer *server)
{
	ErrorContextCallback callback;
	char	   *version;

	callback.callback = connection_context;
	callback.arg = server;
	callback.previous = error_context_stack;
	error_context_stack = &callback;
	dp_execute("SELECT extversion FROM pg_temp.dataproduct_remote_extension"
				   " WHERE extname OPERATOR(pg_catalog.=) 'dataproduct'",
				   0, NULL, NULL);
	error_context_stack = callback.previous;
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("extension \"dataproduct\" is not installed in the database of server \"%s\"",
						server->servername),
				 errdetail("Server \"%s\" must lead to the producer's database, where data products are published.",
						   server->servername),
				 errhint("Check the server's dbname option, or CREATE EXTENSION dataproduct in that database.")));
	version = dp_result_text(0, 1);
	if (dp_version_cmp(dp_parse_version(version),
					   dp_parse_version(DP_SHARING_VERSION)) < 0)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("the database of server \"%s\" runs dataproduct %s, which cannot share data products",
						server->servername, version),
				 errhint("Update it there with ALTER EXTENSION dataproduct UPDATE; sharing needs version %s.",
						 DP_SHARING_VERSION)));
}

/* Where a connection error comes from, and what to check */
static void
connection_context(void *arg)
{
	ForeignServer *server = arg;

	errcontext("connecting to the producer through server \"%s\" with the user mapping of role \"%s\"",
			   server->servername, GetUserNameFromId(GetUserId(), false));
}

/*
 * A live major version of a product in the producer's catalog, or an
 * error that says what is published instead.
 */
DpRemoteMajor *
dp_remote_major(ForeignServer *server, const char *product, int32 major)
{
	Oid			argtypes[1] = {TEXTOID};
	Datum		values[1] = {CStringGetTextDatum(product)};
	List	   *majors = NIL;

	dp_execute("SELECT domain, version, schema, status, sunset"
				   " FROM pg_temp.dataproduct_remote_catalog"
				   " WHERE product OPERATOR(pg_catalog.=) $1",
				   1, argtypes, values);
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		DpVersion	version = dp_parse_version(dp_result_text(i, 2));
		DpRemoteMajor *m;

		if (version.major != major)
		{
			majors = lappend_int(majors, version.major);
			continue;
		}
		m = palloc(sizeof(DpRemoteMajor));
		m->product = pstrdup(product);
		m->domain = dp_result_text(i, 1);
		m->latest = version;
		m->schema = dp_result_text(i, 3);
		m->status = dp_result_text(i, 4);
		m->sunset = dp_result_text(i, 5);
		return m;
	}
	no_remote_major(server, product, major, majors);
	return NULL;				/* keep compiler quiet */
}

static void
no_remote_major(ForeignServer *server, const char *product, int32 major,
				List *majors)
{
	StringInfoData list;
	ListCell   *lc;

	if (majors == NIL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("data product \"%s\" is not published in the database of server \"%s\"",
						product, server->servername),
				 errhint("SELECT * FROM dataproduct.remote_catalog(%s) lists the data products published there.",
						 quote_literal_cstr(server->servername))));

	list_sort(majors, list_int_cmp);
	initStringInfo(&list);
	foreach(lc, majors)
		appendStringInfo(&list, "%s%d", list.len > 0 ? ", " : "", lfirst_int(lc));
	ereport(ERROR,
			(errcode(ERRCODE_UNDEFINED_OBJECT),
			 errmsg("major version %d of data product \"%s\" is not published in the database of server \"%s\"",
					major, product, server->servername),
			 errdetail("Its live major versions there: %s.", list.data),
			 errhint("Subscribe to one of them.")));
}

/*
 * What a release of a remote product promises: its outputs in name order,
 * each with its columns in order: names, types (text, as the producer
 * formatted them), NOT NULL promises and descriptions.
 */
List *
dp_remote_contract(const char *product, DpVersion version)
{
	Oid			argtypes[2] = {TEXTOID, TEXTOID};
	Datum		values[2];
	List	   *outputs = NIL;
	DpOutput   *current = NULL;

	values[0] = CStringGetTextDatum(product);
	values[1] = CStringGetTextDatum(dp_version_string(version));
	dp_execute("SELECT output, column_name, type, not_null, description"
				   " FROM pg_temp.dataproduct_remote_contract"
				   " WHERE product OPERATOR(pg_catalog.=) $1"
				   " AND version OPERATOR(pg_catalog.=) $2"
				   " ORDER BY output, position",
				   2, argtypes, values);
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		char	   *output = dp_result_text(i, 1);
		DpColumn   *c = palloc0(sizeof(DpColumn));

		if (current == NULL || strcmp(current->name, output) != 0)
		{
			current = palloc0(sizeof(DpOutput));
			current->name = output;
			outputs = lappend(outputs, current);
		}
		c->name = dp_result_text(i, 2);
		c->type = dp_result_text(i, 3);
		c->not_null = DatumGetBool(dp_result_datum(i, 4));
		c->description = dp_result_text(i, 5);
		current->columns = lappend(current->columns, c);
	}
	return outputs;
}

/*
 * Register this database as a consumer of a major version, or record the
 * release it now imported.  The producer checks the role it is connected as
 * may read the major version, and says so if not.
 */
void
dp_remote_register(ForeignServer *server, DpRemoteMajor *major,
				   const char *local_schema)
{
	Oid			argtypes[8] = {TEXTOID, INT4OID, TEXTOID, TEXTOID, TEXTOID,
	TEXTOID, TEXTOID, TEXTOID};
	Datum		values[8];

	consumer_key(major->product, major->latest.major, server, values);
	values[5] = CStringGetTextDatum(dp_version_string(major->latest));
	values[6] = CStringGetTextDatum(local_schema);
	values[7] = CStringGetTextDatum(GetUserNameFromId(GetUserId(), false));
	dp_execute("INSERT INTO pg_temp.dataproduct_remote_consumers"
				   " (product, major, consumer_system, consumer_database,"
				   "  consumer_server, version, consumer_schema, consumer_role)"
				   " VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
				   8, argtypes, values);
}

/*
 * Remove this database's registration; no error if the producer has none.
 */
void
dp_remote_unregister(ForeignServer *server, const char *product, int32 major)
{
	Oid			argtypes[5] = {TEXTOID, INT4OID, TEXTOID, TEXTOID, TEXTOID};
	Datum		values[5];

	consumer_key(product, major, server, values);
	dp_execute("DELETE FROM pg_temp.dataproduct_remote_consumers"
				   " WHERE product OPERATOR(pg_catalog.=) $1"
				   " AND major OPERATOR(pg_catalog.=) $2"
				   " AND consumer_system OPERATOR(pg_catalog.=) $3"
				   " AND consumer_database OPERATOR(pg_catalog.=) $4"
				   " AND consumer_server OPERATOR(pg_catalog.=) $5",
				   5, argtypes, values);
}

/*
 * $1 .. $5 of a registration: the product and major, and this database as
 * the producer tells its consumers apart: the cluster's system identifier,
 * the database name and the name of the server it subscribed through.
 */
static void
consumer_key(const char *product, int32 major, ForeignServer *server,
			 Datum *values)
{
	char		system[32];

	/* signed, as pg_control_system() shows it */
	snprintf(system, sizeof(system), INT64_FORMAT, (int64) GetSystemIdentifier());
	values[0] = CStringGetTextDatum(product);
	values[1] = Int32GetDatum(major);
	values[2] = CStringGetTextDatum(system);
	values[3] = CStringGetTextDatum(get_database_name(MyDatabaseId));
	values[4] = CStringGetTextDatum(server->servername);
}

/*
 * remote_catalog(server name) RETURNS TABLE (product text, domain text,
 *		owner text, version text, schema name, status text,
 *		published_at timestamptz, sunset date, outputs name[],
 *		consumers bigint)
 */
Datum
dp_remote_catalog(PG_FUNCTION_ARGS)
{
	ForeignServer *server;
	TupleDesc	tupdesc;
	Tuplestorestate *store;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("server must not be null")));
	server = dp_remote_server(NameStr(*PG_GETARG_NAME(0)));
	store = dp_materialized_result(fcinfo, &tupdesc);

	dp_catalog_connect(false);
	dp_remote_open(server);
	dp_execute("SELECT product, domain, owner, version, schema, status,"
				   " published_at, sunset, outputs, consumers"
				   " FROM pg_temp.dataproduct_remote_catalog"
				   " ORDER BY product, schema",
				   0, NULL, NULL);
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		Datum		values[10];
		bool		nulls[10];

		for (int col = 0; col < 10; col++)
			values[col] = SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc,
										col + 1, &nulls[col]);
		tuplestore_putvalues(store, tupdesc, values, nulls);
	}
	dp_remote_close();
	dp_catalog_finish();
	return (Datum) 0;
}
