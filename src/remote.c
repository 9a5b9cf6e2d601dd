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
#include "access/xact.h"
#include "access/xlog.h"
#include "catalog/namespace.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "commands/dbcommands.h"
#include "foreign/foreign.h"
#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"

PG_FUNCTION_INFO_V1(dp_remote_catalog);

/* the oldest producer that can share: it has dataproduct.consumers */
#define DP_SHARING_VERSION "0.2.0"

/*
 * Bounds on what a producer may send: more outputs in a release, more
 * columns in an output or in all, or longer descriptions than any producer
 * publishes are a broken catalog, not a contract to import.  They also
 * bound the memory a hostile producer can make the consumer use.
 */
#define DP_MAX_REMOTE_OUTPUTS	1000
#define DP_MAX_REMOTE_COLUMNS	MaxHeapAttributeNumber
#define DP_MAX_TYPE_LENGTH		1024
#define DP_MAX_REMOTE_CONTRACT_COLUMNS	100000
#define DP_MAX_DESCRIPTION_LENGTH	10000

/* A row of the producer's dataproduct.catalog, validated */
typedef struct RemoteCatalogRow
{
	char	   *product;
	char	   *domain;
	char	   *owner;
	DpVersion	version;
	char	   *schema;
	char	   *status;
	Datum		published_at;
	bool		sunset_null;
	Datum		sunset;
	char	   *sunset_text;
	List	   *outputs;		/* of char *, each a valid name, no repeats */
	int64		consumers;
	char	   *message;		/* deprecation message, or NULL */
} RemoteCatalogRow;

/* A row of the producer's dataproduct.contract_columns, validated */
typedef struct RemoteContractRow
{
	char	   *output;
	int32		position;
	DpColumn   *column;
} RemoteContractRow;

/* The columns of the catalog rows this reads, as remote_catalog() shows them */
#define REMOTE_CATALOG_COLUMNS \
	"product, domain, owner, version, schema, status, published_at," \
	" sunset, outputs, consumers"

/* Producers from this version on say why a major is deprecated */
#define DP_MESSAGE_VERSION "0.4.0"

static bool is_postgres_fdw(ForeignDataWrapper *fdw);
static bool user_mapping_exists(Oid userid, Oid serverid);
static void check_remote_extension(ForeignServer *server);
static void connection_context(void *arg);
static void remote_context(void *arg);
static DpRows *remote_query(ForeignServer *server, const char *sql, int nargs,
							Oid *argtypes, Datum *values);
static DpRows *remote_catalog_rows(ForeignServer *server, const char *product);
static RemoteCatalogRow *remote_catalog_row(ForeignServer *server,
											DpRows *rows, uint64 row);
static RemoteContractRow *remote_contract_row(ForeignServer *server,
											  DpRows *rows, uint64 row,
											  const char *product,
											  const char *version);
static List *remote_outputs(ForeignServer *server, const char *kind,
							ArrayType *array);
static void remote_present(ForeignServer *server, const char *kind,
						   DpRows *rows, uint64 row, int col);
static char *remote_text(ForeignServer *server, const char *kind,
						 DpRows *rows, uint64 row, int col);
static char *remote_name(ForeignServer *server, const char *kind,
						 const char *column, const char *value);
static DpVersion remote_version(ForeignServer *server, const char *kind,
								const char *column, const char *value);
static void check_same(ForeignServer *server, const char *kind,
					   const char *column, const char *value,
					   const char *expected);
static void check_no_repeat(ForeignServer *server, const char *kind,
							const char *what, List *sorted);
static int	name_cmp(const ListCell *a, const ListCell *b);
static int	catalog_row_cmp(const ListCell *a, const ListCell *b);
static int	contract_row_cmp(const ListCell *a, const ListCell *b);
static List *contract_outputs(ForeignServer *server, List *rows);
static void check_listed_outputs(ForeignServer *server, DpRemoteMajor *major,
								 List *outputs);
static int	list_name_cmp(const ListCell *a, const ListCell *b);
static void check_output_columns(ForeignServer *server, DpOutput *output);
static char *shown(const char *value);
static char *iso_date(DateADT date);
static char *remote_message(char *message);
static void invalid_row(ForeignServer *server, const char *kind,
						const char *detail) pg_attribute_noreturn();
static void remote_catalog_put(Tuplestorestate *store, TupleDesc tupdesc,
							   RemoteCatalogRow *r);
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
 * producer exposes, created as the caller, then a first remote query that
 * checks the producer runs dataproduct.  Every name and type is qualified,
 * and names the producer sends arrive as text, not name, so that an
 * overlong one is seen and refused rather than silently cut to
 * NAMEDATALEN.  Names the consumer sends are text too: postgres_fdw does
 * not ship conditions on a Param of type name (its collation is "C"), and
 * unregistering needs the whole DELETE shipped, since a view has no ctid.
 * dp_remote_close() drops the tables; an error drops them with the
 * transaction.  Another role of this session cannot have put objects of
 * these names in pg_temp for us to use: CREATE fails if they exist.
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
	(void) dp_run_as(InvalidOid, DP_WRITE,
					 psprintf("CREATE FOREIGN TABLE pg_temp.dataproduct_remote_extension"
							  " (extname pg_catalog.text, extversion pg_catalog.text) SERVER %s"
							  " OPTIONS (schema_name 'pg_catalog', table_name 'pg_extension');"
							  "CREATE FOREIGN TABLE pg_temp.dataproduct_remote_catalog"
							  " (product pg_catalog.text, domain pg_catalog.text,"
							  "  owner pg_catalog.text, version pg_catalog.text,"
							  "  schema pg_catalog.text, status pg_catalog.text,"
							  "  published_at pg_catalog.timestamptz, sunset pg_catalog.date,"
							  "  outputs pg_catalog.text[], consumers pg_catalog.int8) SERVER %s"
							  " OPTIONS (schema_name 'dataproduct', table_name 'catalog');"
							  "CREATE FOREIGN TABLE pg_temp.dataproduct_remote_contract"
							  " (product pg_catalog.text, version pg_catalog.text,"
							  "  output pg_catalog.text, position pg_catalog.int4,"
							  "  column_name pg_catalog.text, type pg_catalog.text,"
							  "  not_null pg_catalog.bool, description pg_catalog.text) SERVER %s"
							  " OPTIONS (schema_name 'dataproduct', table_name 'contract_columns');"
							  "CREATE FOREIGN TABLE pg_temp.dataproduct_remote_consumers"
							  " (product pg_catalog.text, major pg_catalog.int4,"
							  "  version pg_catalog.text, consumer_system pg_catalog.text,"
							  "  consumer_database pg_catalog.text, consumer_server pg_catalog.text,"
							  "  consumer_schema pg_catalog.text, consumer_role pg_catalog.text) SERVER %s"
							  " OPTIONS (schema_name 'dataproduct', table_name 'consumers',"
							  "          updatable 'true')",
							  srv, srv, srv, srv),
					 0, NULL, NULL, NULL);
	check_remote_extension(server);
}

void
dp_remote_close(void)
{
	(void) dp_run_as(InvalidOid, DP_WRITE,
					 "DROP FOREIGN TABLE pg_temp.dataproduct_remote_extension,"
					 " pg_temp.dataproduct_remote_catalog,"
					 " pg_temp.dataproduct_remote_contract,"
					 " pg_temp.dataproduct_remote_consumers",
					 0, NULL, NULL, NULL);
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
	DpRows	   *rows;
	char	   *text;
	DpVersion	version;

	callback.callback = connection_context;
	callback.arg = server;
	callback.previous = error_context_stack;
	error_context_stack = &callback;
	rows = dp_run_as(InvalidOid, DP_WRITE,
					 "SELECT extname, extversion"
					 " FROM pg_temp.dataproduct_remote_extension"
					 " WHERE extname OPERATOR(pg_catalog.=) 'dataproduct'",
					 0, NULL, NULL, NULL);
	error_context_stack = callback.previous;
	if (rows->count == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("extension \"dataproduct\" is not installed in the database of server \"%s\"",
						server->servername),
				 errdetail("Server \"%s\" must lead to the producer's database, where data products are published.",
						   server->servername),
				 errhint("Check the server's dbname option, or CREATE EXTENSION dataproduct in that database.")));
	if (rows->count > 1)
		invalid_row(server, "extension",
					psprintf("pg_extension has %llu rows for extension \"dataproduct\".",
							 (unsigned long long) rows->count));
	check_same(server, "extension", "extname",
			   remote_text(server, "extension", rows, 0, 1), "dataproduct");
	text = remote_text(server, "extension", rows, 0, 2);
	version = remote_version(server, "extension", "extversion", text);
	if (dp_version_cmp(version, dp_parse_version(DP_SHARING_VERSION)) < 0)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("the database of server \"%s\" runs dataproduct %s, which cannot share data products",
						server->servername, dp_version_string(version)),
				 errhint("Update it there with ALTER EXTENSION dataproduct UPDATE; sharing needs version %s.",
						 DP_SHARING_VERSION)));
	if (dp_version_cmp(version, dp_parse_version(DP_MESSAGE_VERSION)) >= 0)
		(void) dp_run_as(InvalidOid, DP_WRITE,
						 "ALTER FOREIGN TABLE pg_temp.dataproduct_remote_catalog"
						 " ADD COLUMN message pg_catalog.text",
						 0, NULL, NULL, NULL);
}

/*
 * Does the producer's catalog have deprecation messages?  Its channel's
 * foreign table has the column only then (see check_remote_extension()).
 */
static bool
catalog_has_message(void)
{
	Oid			relid = get_relname_relid("dataproduct_remote_catalog",
										  LookupExplicitNamespace("pg_temp", false));

	return OidIsValid(relid) && get_attnum(relid, "message") != InvalidAttrNumber;
}

/* Where a connection error comes from, and what to check */
static void
connection_context(void *arg)
{
	ForeignServer *server = arg;

	errcontext("connecting to the producer through server \"%s\" with the user mapping of role \"%s\"",
			   server->servername, GetUserNameFromId(GetUserId(), false));
}

/* Which producer a value that does not convert came from */
static void
remote_context(void *arg)
{
	ForeignServer *server = arg;

	errcontext("reading the dataproduct catalog of server \"%s\"",
			   server->servername);
}

/*
 * Run a query on the temporary foreign tables as the caller.  DP_WRITE,
 * because the tables were created by earlier statements of this call: each
 * statement must see what the one before it did.  A value postgres_fdw
 * cannot convert (a date that is no date) fails here, and the error says
 * which server sent it.
 */
static DpRows *
remote_query(ForeignServer *server, const char *sql, int nargs,
			 Oid *argtypes, Datum *values)
{
	ErrorContextCallback callback;
	DpRows	   *rows;

	callback.callback = remote_context;
	callback.arg = server;
	callback.previous = error_context_stack;
	error_context_stack = &callback;
	rows = dp_run_as(InvalidOid, DP_WRITE, sql, nargs, argtypes, values, NULL);
	error_context_stack = callback.previous;
	return rows;
}

/*
 * The producer's catalog rows: of one product, or all of them when
 * "product" is NULL.
 */
static DpRows *
remote_catalog_rows(ForeignServer *server, const char *product)
{
	Oid			argtypes[1] = {TEXTOID};
	Datum		values[1];
	const char *message = catalog_has_message() ?
		psprintf(", pg_catalog.left(message, %d)", DP_MAX_DESCRIPTION_LENGTH + 1) :
		", NULL::pg_catalog.text";

	if (product == NULL)
		return remote_query(server,
							psprintf("SELECT " REMOTE_CATALOG_COLUMNS "%s"
									 " FROM pg_temp.dataproduct_remote_catalog",
									 message),
							0, NULL, NULL);
	values[0] = CStringGetTextDatum(product);
	return remote_query(server,
						psprintf("SELECT " REMOTE_CATALOG_COLUMNS "%s"
								 " FROM pg_temp.dataproduct_remote_catalog"
								 " WHERE product OPERATOR(pg_catalog.=) $1",
								 message),
						1, argtypes, values);
}

/*
 * A row of the producer's catalog, checked once, here: every value the
 * consumer uses is present, names fit in a name, the version is one,
 * the status one that a live major version has, and the outputs a list of
 * distinct names.  An error names the server and the value.
 */
static RemoteCatalogRow *
remote_catalog_row(ForeignServer *server, DpRows *rows, uint64 row)
{
	const char *kind = "catalog";
	RemoteCatalogRow *r = palloc0(sizeof(RemoteCatalogRow));

	r->product = remote_name(server, kind, "product",
							 remote_text(server, kind, rows, row, 1));
	r->domain = remote_name(server, kind, "domain",
							remote_text(server, kind, rows, row, 2));
	r->owner = remote_name(server, kind, "owner",
						   remote_text(server, kind, rows, row, 3));
	r->version = remote_version(server, kind, "version",
								remote_text(server, kind, rows, row, 4));
	r->schema = remote_name(server, kind, "schema",
							remote_text(server, kind, rows, row, 5));
	r->status = remote_text(server, kind, rows, row, 6);
	if (strcmp(r->status, "published") != 0 &&
		strcmp(r->status, "deprecated") != 0)
		invalid_row(server, kind,
					psprintf("Column \"status\" is %s, not \"published\" or \"deprecated\".",
							 shown(r->status)));
	remote_present(server, kind, rows, row, 7);
	r->published_at = dp_rows_datum(rows, row, 7);
	r->sunset_null = dp_rows_isnull(rows, row, 8);
	if (!r->sunset_null)
	{
		r->sunset = dp_rows_datum(rows, row, 8);
		r->sunset_text = iso_date(DatumGetDateADT(r->sunset));
	}
	remote_present(server, kind, rows, row, 9);
	r->outputs = remote_outputs(server, kind,
								DatumGetArrayTypeP(dp_rows_datum(rows, row, 9)));
	remote_present(server, kind, rows, row, 10);
	r->consumers = DatumGetInt64(dp_rows_datum(rows, row, 10));
	if (r->consumers < 0)
		invalid_row(server, kind,
					psprintf("Column \"consumers\" is " INT64_FORMAT ".",
							 r->consumers));
	r->message = remote_message(dp_rows_text(rows, row, 11));
	return r;
}

/*
 * A row of the producer's contract_columns for one release, checked once,
 * here: it is of that release, its output and column are names, its
 * position one a column can have, its type present and of a sane length
 * (the type parser reads it where it is used, never SQL).
 */
static RemoteContractRow *
remote_contract_row(ForeignServer *server, DpRows *rows, uint64 row,
					const char *product, const char *version)
{
	const char *kind = "contract";
	RemoteContractRow *r = palloc0(sizeof(RemoteContractRow));
	DpColumn   *c = palloc0(sizeof(DpColumn));

	check_same(server, kind, "product",
			   remote_text(server, kind, rows, row, 1), product);
	check_same(server, kind, "version",
			   remote_text(server, kind, rows, row, 2), version);
	r->output = remote_name(server, kind, "output",
							remote_text(server, kind, rows, row, 3));
	remote_present(server, kind, rows, row, 4);
	r->position = DatumGetInt32(dp_rows_datum(rows, row, 4));
	if (r->position < 1 || r->position > DP_MAX_REMOTE_COLUMNS)
		invalid_row(server, kind,
					psprintf("Column \"position\" of output \"%s\" is %d, not between 1 and %d.",
							 r->output, r->position, DP_MAX_REMOTE_COLUMNS));
	c->name = remote_name(server, kind, "column_name",
						  remote_text(server, kind, rows, row, 5));
	c->type = remote_text(server, kind, rows, row, 6);
	if (c->type[0] == '\0' || strlen(c->type) > DP_MAX_TYPE_LENGTH)
		invalid_row(server, kind,
					psprintf("Column \"type\" of column \"%s\" is %s, which is no type.",
							 c->name, shown(c->type)));
	remote_present(server, kind, rows, row, 7);
	c->not_null = DatumGetBool(dp_rows_datum(rows, row, 7));
	c->description = dp_rows_text(rows, row, 8);
	if (c->description != NULL && strlen(c->description) > DP_MAX_DESCRIPTION_LENGTH)
		invalid_row(server, kind,
					psprintf("The description of column \"%s\" has more than %d bytes.",
							 c->name, DP_MAX_DESCRIPTION_LENGTH));
	r->column = c;
	return r;
}

/*
 * The outputs array of a catalog row: one dimension, at least one and at
 * most DP_MAX_REMOTE_OUTPUTS elements, each a name, none twice.
 */
static List *
remote_outputs(ForeignServer *server, const char *kind, ArrayType *array)
{
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	List	   *outputs = NIL;

	if (ARR_NDIM(array) > 1)
		invalid_row(server, kind,
					psprintf("Column \"outputs\" has %d dimensions.", ARR_NDIM(array)));
	deconstruct_array(array, TEXTOID, -1, false, TYPALIGN_INT,
					  &elems, &nulls, &n);
	if (n < 1 || n > DP_MAX_REMOTE_OUTPUTS)
		invalid_row(server, kind,
					psprintf("Column \"outputs\" has %d elements; a release has 1 to %d outputs.",
							 n, DP_MAX_REMOTE_OUTPUTS));
	for (int i = 0; i < n; i++)
	{
		if (nulls[i])
			invalid_row(server, kind,
						psprintf("Element %d of column \"outputs\" is null.", i + 1));
		outputs = lappend(outputs,
						  remote_name(server, kind, "outputs",
									  TextDatumGetCString(elems[i])));
	}
	check_no_repeat(server, kind, "output", outputs);
	return outputs;
}

/* A value that must be present */
static void
remote_present(ForeignServer *server, const char *kind, DpRows *rows,
			   uint64 row, int col)
{
	if (dp_rows_isnull(rows, row, col))
		invalid_row(server, kind,
					psprintf("Column \"%s\" is null.",
							 NameStr(TupleDescAttr(rows->desc, col - 1)->attname)));
}

/* A value that must be present, as text */
static char *
remote_text(ForeignServer *server, const char *kind, DpRows *rows,
			uint64 row, int col)
{
	remote_present(server, kind, rows, row, col);
	return dp_rows_text(rows, row, col);
}

/* A value that names an object: not empty, and no longer than a name */
static char *
remote_name(ForeignServer *server, const char *kind, const char *column,
			const char *value)
{
	if (value[0] == '\0')
		invalid_row(server, kind,
					psprintf("Column \"%s\" is empty.", column));
	if (strlen(value) >= NAMEDATALEN)
		invalid_row(server, kind,
					psprintf("Column \"%s\" is %s, which has %zu bytes; a name has at most %d.",
							 column, shown(value), strlen(value), NAMEDATALEN - 1));
	return pstrdup(value);
}

/*
 * A version number, or an error naming the server that says what is wrong
 * with it.
 */
static DpVersion
remote_version(ForeignServer *server, const char *kind, const char *column,
			   const char *value)
{
	DpVersion	version;
	const char *problem = dp_version_problem(value, &version);

	if (problem != NULL)
		invalid_row(server, kind,
					psprintf("Column \"%s\" is %s, which is no version number: %s",
							 column, shown(value), _(problem)));
	return version;
}

/* A value that must be the one the consumer asked for */
static void
check_same(ForeignServer *server, const char *kind, const char *column,
		   const char *value, const char *expected)
{
	if (strcmp(value, expected) != 0)
		invalid_row(server, kind,
					psprintf("Column \"%s\" is %s where %s was asked for.",
							 column, shown(value), shown(expected)));
}

/* No name twice in a list of names; it is sorted in passing */
static void
check_no_repeat(ForeignServer *server, const char *kind, const char *what,
				List *names)
{
	ListCell   *lc;
	const char *previous = NULL;

	list_sort(names, name_cmp);
	foreach(lc, names)
	{
		if (previous != NULL && strcmp(previous, lfirst(lc)) == 0)
			invalid_row(server, kind,
						psprintf("It lists %s \"%s\" twice.", what, previous));
		previous = lfirst(lc);
	}
}

static int
name_cmp(const ListCell *a, const ListCell *b)
{
	return strcmp(lfirst(a), lfirst(b));
}

/* Catalog rows by product and major version */
static int
catalog_row_cmp(const ListCell *a, const ListCell *b)
{
	RemoteCatalogRow *ra = lfirst(a);
	RemoteCatalogRow *rb = lfirst(b);
	int			cmp = strcmp(ra->product, rb->product);

	if (cmp != 0)
		return cmp;
	if (ra->version.major != rb->version.major)
		return ra->version.major < rb->version.major ? -1 : 1;
	return strcmp(ra->schema, rb->schema);
}

/* Contract rows by output and position */
static int
contract_row_cmp(const ListCell *a, const ListCell *b)
{
	RemoteContractRow *ra = lfirst(a);
	RemoteContractRow *rb = lfirst(b);
	int			cmp = strcmp(ra->output, rb->output);

	if (cmp != 0)
		return cmp;
	return ra->position < rb->position ? -1 : ra->position > rb->position;
}

/*
 * A live major version of a product in the producer's catalog, or an
 * error that says what is published instead.  Every row of the product is
 * checked, and the producer must list each major version once.
 */
DpRemoteMajor *
dp_remote_major(ForeignServer *server, const char *product, int32 major)
{
	DpRows	   *rows = remote_catalog_rows(server, product);
	List	   *majors = NIL;
	RemoteCatalogRow *found = NULL;
	DpRemoteMajor *m;

	for (uint64 i = 0; i < rows->count; i++)
	{
		RemoteCatalogRow *r = remote_catalog_row(server, rows, i);

		check_same(server, "catalog", "product", r->product, product);
		if (list_member_int(majors, r->version.major) ||
			(found != NULL && r->version.major == major))
			invalid_row(server, "catalog",
						psprintf("It lists major version %d of data product \"%s\" twice.",
								 r->version.major, product));
		if (r->version.major == major)
			found = r;
		else
			majors = lappend_int(majors, r->version.major);
	}
	if (found == NULL)
		no_remote_major(server, product, major, majors);

	m = palloc(sizeof(DpRemoteMajor));
	m->product = found->product;
	m->domain = found->domain;
	m->latest = found->version;
	m->schema = found->schema;
	m->status = found->status;
	m->sunset = found->sunset_text;
	m->message = found->message;
	m->outputs = found->outputs;
	return m;
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
 * formatted them), NOT NULL promises and descriptions.  Read from the
 * server of the open channel; every row is checked, and together they must
 * be a contract: at least one output, each with columns at positions 1, 2,
 * ... and no column name twice.
 */
List *
dp_remote_contract(ForeignServer *server, DpRemoteMajor *major)
{
	const char *product = major->product;
	char	   *vstr = dp_version_string(major->latest);
	List	   *outputs;
	Oid			argtypes[2] = {TEXTOID, TEXTOID};
	Datum		values[2];
	DpRows	   *rows;
	List	   *contract_rows = NIL;

	Assert(server != NULL);
	values[0] = CStringGetTextDatum(product);
	values[1] = CStringGetTextDatum(vstr);
	rows = remote_query(server,
						psprintf("SELECT product, version, output, position,"
								 " column_name, pg_catalog.left(type, %d),"
								 " not_null, pg_catalog.left(description, %d)"
								 " FROM pg_temp.dataproduct_remote_contract"
								 " WHERE product OPERATOR(pg_catalog.=) $1"
								 " AND version OPERATOR(pg_catalog.=) $2"
								 " LIMIT %d",
								 DP_MAX_TYPE_LENGTH + 1,
								 DP_MAX_DESCRIPTION_LENGTH + 1,
								 DP_MAX_REMOTE_CONTRACT_COLUMNS + 1),
						2, argtypes, values);
	if (rows->count == 0 ||
		rows->count > DP_MAX_REMOTE_CONTRACT_COLUMNS)
		invalid_row(server, "contract",
					psprintf("Release %s of data product \"%s\" has %llu contract columns.",
							 vstr, product, (unsigned long long) rows->count));
	for (uint64 i = 0; i < rows->count; i++)
	{
		CHECK_FOR_INTERRUPTS();
		contract_rows = lappend(contract_rows,
								remote_contract_row(server, rows, i, product, vstr));
	}
	outputs = contract_outputs(server, contract_rows);
	check_listed_outputs(server, major, outputs);
	return outputs;
}

/*
 * The contract describes exactly the outputs the catalog row listed.
 */
static void
check_listed_outputs(ForeignServer *server, DpRemoteMajor *major,
					 List *outputs)
{
	List	   *listed = list_copy(major->outputs);
	ListCell   *lc;
	ListCell   *lc2;

	list_sort(listed, list_name_cmp);
	if (list_length(listed) == list_length(outputs))
	{
		forboth(lc, listed, lc2, outputs)
		{
			if (strcmp(lfirst(lc), ((DpOutput *) lfirst(lc2))->name) != 0)
				break;
		}
		if (lc == NULL)
			return;
	}
	invalid_row(server, "contract",
				psprintf("The contract of release %s of data product \"%s\" does not describe the %d outputs its catalog row lists.",
						 dp_version_string(major->latest), major->product,
						 list_length(listed)));
}

/* list_sort() comparator of C strings */
static int
list_name_cmp(const ListCell *a, const ListCell *b)
{
	return strcmp(lfirst(a), lfirst(b));
}

/*
 * Checked contract rows, grouped into outputs: sorted by output and
 * position, each output's positions must run 1, 2, ... and its column
 * names differ.
 */
static List *
contract_outputs(ForeignServer *server, List *rows)
{
	List	   *outputs = NIL;
	DpOutput   *current = NULL;
	ListCell   *lc;

	list_sort(rows, contract_row_cmp);
	foreach(lc, rows)
	{
		RemoteContractRow *r = lfirst(lc);

		if (current == NULL || strcmp(current->name, r->output) != 0)
		{
			if (current != NULL)
				check_output_columns(server, current);
			current = palloc0(sizeof(DpOutput));
			current->name = r->output;
			outputs = lappend(outputs, current);
			if (list_length(outputs) > DP_MAX_REMOTE_OUTPUTS)
				invalid_row(server, "contract",
							psprintf("The release has more than %d outputs.",
									 DP_MAX_REMOTE_OUTPUTS));
		}
		if (r->position != list_length(current->columns) + 1)
			invalid_row(server, "contract",
						psprintf("Output \"%s\" has a column at position %d after %d columns.",
								 r->output, r->position,
								 list_length(current->columns)));
		current->columns = lappend(current->columns, r->column);
	}
	check_output_columns(server, current);
	return outputs;
}

/* No column name twice in an output */
static void
check_output_columns(ForeignServer *server, DpOutput *output)
{
	List	   *names = NIL;
	ListCell   *lc;

	foreach(lc, output->columns)
		names = lappend(names, ((DpColumn *) lfirst(lc))->name);
	check_no_repeat(server, "contract",
					psprintf("in output \"%s\" column", output->name), names);
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
	(void) remote_query(server,
						"INSERT INTO pg_temp.dataproduct_remote_consumers"
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
	(void) remote_query(server,
						"DELETE FROM pg_temp.dataproduct_remote_consumers"
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
	DpRows	   *rows;
	List	   *catalog = NIL;
	RemoteCatalogRow *previous = NULL;
	ListCell   *lc;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("server must not be null")));
	server = dp_remote_server(NameStr(*PG_GETARG_NAME(0)));
	store = dp_materialized_result(fcinfo, &tupdesc);

	dp_remote_open(server);
	rows = remote_catalog_rows(server, NULL);
	for (uint64 i = 0; i < rows->count; i++)
	{
		CHECK_FOR_INTERRUPTS();
		catalog = lappend(catalog, remote_catalog_row(server, rows, i));
	}
	dp_remote_close();

	list_sort(catalog, catalog_row_cmp);
	foreach(lc, catalog)
	{
		RemoteCatalogRow *r = lfirst(lc);

		if (previous != NULL && strcmp(previous->product, r->product) == 0 &&
			previous->version.major == r->version.major)
			invalid_row(server, "catalog",
						psprintf("It lists major version %d of data product \"%s\" twice.",
								 r->version.major, r->product));
		remote_catalog_put(store, tupdesc, r);
		previous = r;
	}
	return (Datum) 0;
}

/* A checked catalog row as a row of remote_catalog() */
static void
remote_catalog_put(Tuplestorestate *store, TupleDesc tupdesc,
				   RemoteCatalogRow *r)
{
	Datum		values[11];
	bool		nulls[11] = {false};

	values[0] = CStringGetTextDatum(r->product);
	values[1] = CStringGetTextDatum(r->domain);
	values[2] = CStringGetTextDatum(r->owner);
	values[3] = CStringGetTextDatum(dp_version_string(r->version));
	values[4] = dp_name_datum(r->schema);
	values[5] = CStringGetTextDatum(r->status);
	values[6] = r->published_at;
	values[7] = r->sunset;
	nulls[7] = r->sunset_null;
	values[8] = dp_names_array(r->outputs);
	values[9] = Int64GetDatum(r->consumers);
	nulls[10] = r->message == NULL;
	values[10] = r->message ? CStringGetTextDatum(r->message) : (Datum) 0;
	tuplestore_putvalues(store, tupdesc, values, nulls);
}

/*
 * A producer's deprecation message, as this server shows it: cut to
 * DP_MAX_DESCRIPTION_LENGTH bytes on a character boundary, with control
 * characters (a terminal's escape sequences) replaced by spaces.
 */
static char *
remote_message(char *message)
{
	int			len;

	if (message == NULL)
		return NULL;
	len = pg_mbcliplen(message, strlen(message), DP_MAX_DESCRIPTION_LENGTH);
	message[len] = '\0';
	for (char *p = message; *p; p++)
	{
		if ((unsigned char) *p < 0x20 || *p == 0x7f)
			*p = ' ';
	}
	return message;
}

/* A date as messages show it, YYYY-MM-DD, whatever the DateStyle */
static char *
iso_date(DateADT date)
{
	int			year;
	int			month;
	int			day;

	if (DATE_NOT_FINITE(date))
		return pstrdup(DATE_IS_NOBEGIN(date) ? "-infinity" : "infinity");
	j2date(date + POSTGRES_EPOCH_JDATE, &year, &month, &day);
	return psprintf("%04d-%02d-%02d", year, month, day);
}

/* A remote value in a message: quoted, and cut if long */
static char *
shown(const char *value)
{
	int			len = strlen(value);
	int			cut = pg_mbcliplen(value, len, 64);

	return psprintf("\"%.*s\"%s", cut, value, cut < len ? " (cut)" : "");
}

/*
 * What a producer sent is not what a dataproduct catalog holds: the caller
 * did nothing wrong, the foreign server did, hence an FDW error class
 * (HV000) rather than a data exception the caller could fix in its
 * arguments.
 */
static void
invalid_row(ForeignServer *server, const char *kind, const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_FDW_ERROR),
			 errmsg("server \"%s\" returned an invalid %s row",
					server->servername, kind),
			 errdetail_internal("%s", detail),
			 errhint("The database of server \"%s\" does not hold a valid dataproduct catalog; its administrators can check dataproduct.catalog and dataproduct.contract_columns there.",
					 server->servername)));
}
