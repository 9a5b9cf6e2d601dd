/*-------------------------------------------------------------------------
 *
 * subscribe.c
 *		  subscribe(), refresh() and unsubscribe(): the consumer's side
 *
 * A subscription is a major version of a remote data product imported into
 * a local schema as postgres_fdw foreign tables, one per output, recorded
 * in dataproduct.subscription and registered with the producer (remote.c).
 * Queries on the foreign tables are ordinary postgres_fdw queries: filters,
 * joins and aggregates go to the producer.
 *
 * refresh() follows the major version to its latest release without
 * dropping anything: new outputs are imported and new columns added to the
 * existing foreign tables, so local views, grants and comments on them
 * survive.  Before and after, each foreign table must match what the
 * producer promises for it: the producer's compatibility rules guarantee a
 * release of the major only adds, and if that ever fails (a producer that
 * turned its guard off), refresh() refuses instead of importing it.
 *
 * Local DDL runs as the caller, who owns the schema and foreign tables;
 * only the subscription row is written as the catalog owner.  Nothing is
 * reused that another role could have put in place: a schema that exists
 * already must belong to the caller, and a foreign table refresh() keeps
 * must belong to the subscriber or the schema's owner and still read the
 * producer's view of its name.  Every statement runs through dp_run_as()
 * with DP_WRITE, so that each sees what the one before it did, and the
 * functions run with search_path pg_catalog, pg_temp, so that nothing the
 * producer or a local role names resolves to another schema's object.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "dataproduct.h"

#include "access/relation.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_foreign_table.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_type.h"
#include "commands/comment.h"
#include "commands/defrem.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "parser/parse_type.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/syscache.h"

PG_FUNCTION_INFO_V1(dp_subscribe);
PG_FUNCTION_INFO_V1(dp_refresh);
PG_FUNCTION_INFO_V1(dp_unsubscribe);

/* A row of dataproduct.subscription */
typedef struct Subscription
{
	char	   *product;
	int32		major;
	char	   *local_schema;
	bool		created_schema;
	List	   *outputs;		/* of char *, output names */
	Oid			subscribed_by;
} Subscription;

static void subscription_arguments(FunctionCallInfo fcinfo, char **server,
								   char **product, int32 *major);
static Subscription *get_subscription(const char *server,
									  const char *product, int32 major);
static void lock_subscription(const char *server, const char *product,
							  int32 major, const char *local_schema);
static void check_not_subscribed(const char *server, const char *product,
								 int32 major, const char *local_schema);
static void check_may_manage(Subscription *sub);
static void check_names_free(const char *schema, List *names);
static void check_schema_owner(const char *schema);
static void check_no_dependents(Subscription *sub);
static bool create_local_schema(const char *schema, DpRemoteMajor *major,
								ForeignServer *server);
static void import_outputs(ForeignServer *server, DpRemoteMajor *major,
						   const char *local_schema, List *names);
static List *outputs_to_import(Subscription *sub, List *contract);
static void add_new_columns(ForeignServer *server, const char *local_schema,
							DpOutput *output);
static void check_matches_contract(ForeignServer *server,
								   DpRemoteMajor *major,
								   const char *local_schema, DpOutput *output,
								   Oid subscriber, bool exactly);
static char *foreign_table_problem(Relation rel, DpRemoteMajor *major,
								   DpOutput *output, Oid subscriber);
static char *option_value(List *options, const char *name);
static void describe_foreign_table(ForeignServer *server, DpRemoteMajor *major,
								   const char *local_schema, DpOutput *output,
								   bool imported);
static void comment_column(const char *table, DpColumn *column);
static void drop_local_objects(Subscription *sub);
static void run_as_caller(const char *sql);
static List *output_names(List *contract);
static bool list_member_name(List *names, const char *name);
static void warn_if_deprecated(DpRemoteMajor *major);
static void finish_foreign_tables(ForeignServer *server, DpRemoteMajor *major,
								  const char *local_schema, List *contract,
								  List *imported, Oid subscriber);
static void type_context(void *arg);
static void record_subscription(ForeignServer *server, DpRemoteMajor *major,
								const char *local_schema, bool created_schema,
								List *outputs, bool insert);

/*
 * subscribe(server name, product text, major integer, into_schema name)
 *		RETURNS name
 */
Datum
dp_subscribe(PG_FUNCTION_ARGS)
{
	char	   *server_name;
	char	   *product;
	int32		major;
	char	   *local_schema;
	ForeignServer *server;
	DpRemoteMajor *remote;
	List	   *contract;
	bool		created;
	Name		result;

	subscription_arguments(fcinfo, &server_name, &product, &major);
	local_schema = PG_ARGISNULL(3) ? dp_version_schema(product, major) :
		pstrdup(NameStr(*PG_GETARG_NAME(3)));
	server = dp_remote_server(server_name);

	lock_subscription(server_name, product, major, local_schema);
	check_not_subscribed(server_name, product, major, local_schema);
	dp_remote_open(server);
	remote = dp_remote_major(server, product, major);
	warn_if_deprecated(remote);
	contract = dp_remote_contract(server, remote);
	check_schema_owner(local_schema);
	check_names_free(local_schema, output_names(contract));
	dp_remote_register(server, remote, local_schema);

	created = create_local_schema(local_schema, remote, server);
	import_outputs(server, remote, local_schema, output_names(contract));
	finish_foreign_tables(server, remote, local_schema, contract,
						  output_names(contract), GetUserId());
	dp_remote_close();
	record_subscription(server, remote, local_schema, created,
						output_names(contract), true);

	result = (Name) palloc0(NAMEDATALEN);
	namestrcpy(result, local_schema);
	PG_RETURN_NAME(result);
}

/*
 * One subscribe at a time per subscription and per local schema, each
 * seeing what the one before committed; subscriptions of other products
 * or into other schemas go on in parallel.  Transaction-level advisory
 * locks, in one order, so that two calls cannot wait for each other.
 */
static void
lock_subscription(const char *server, const char *product, int32 major,
				  const char *local_schema)
{
	Oid			argtypes[2] = {TEXTOID, TEXTOID};
	Datum		values[2];

	values[0] = CStringGetTextDatum(psprintf("%s\n%s\n%d", server, product, major));
	values[1] = CStringGetTextDatum(local_schema);
	(void) dp_run_as(InvalidOid, DP_WRITE,
					 "SELECT pg_catalog.pg_advisory_xact_lock("
					 "  pg_catalog.hashtext('dataproduct subscription'),"
					 "  pg_catalog.hashtext($1)),"
					 " pg_catalog.pg_advisory_xact_lock("
					 "  pg_catalog.hashtext('dataproduct local schema'),"
					 "  pg_catalog.hashtext($2))",
					 2, argtypes, values, NULL);
}

/*
 * refresh(server name, product text, major integer) RETURNS text
 */
Datum
dp_refresh(PG_FUNCTION_ARGS)
{
	char	   *server_name;
	char	   *product;
	int32		major;
	Subscription *sub;
	ForeignServer *server;
	DpRemoteMajor *remote;
	List	   *contract;
	List	   *new_outputs;
	ListCell   *lc;

	subscription_arguments(fcinfo, &server_name, &product, &major);
	server = dp_remote_server(server_name);

	sub = get_subscription(server_name, product, major);
	check_may_manage(sub);
	dp_remote_open(server);
	remote = dp_remote_major(server, product, major);
	warn_if_deprecated(remote);
	contract = dp_remote_contract(server, remote);

	new_outputs = outputs_to_import(sub, contract);
	foreach(lc, contract)
	{
		DpOutput   *output = lfirst(lc);

		if (list_member_name(new_outputs, output->name))
			continue;
		check_matches_contract(server, remote, sub->local_schema, output,
							   sub->subscribed_by, false);
		add_new_columns(server, sub->local_schema, output);
	}
	import_outputs(server, remote, sub->local_schema, new_outputs);
	finish_foreign_tables(server, remote, sub->local_schema, contract,
						  new_outputs, sub->subscribed_by);
	dp_remote_register(server, remote, sub->local_schema);
	dp_remote_close();
	record_subscription(server, remote, sub->local_schema, sub->created_schema,
						output_names(contract), false);
	PG_RETURN_TEXT_P(cstring_to_text(dp_version_string(remote->latest)));
}

/*
 * unsubscribe(server name, product text, major integer)
 *
 * If the server is gone, so are the foreign tables (DROP SERVER CASCADE):
 * the subscription is removed here, and the producer, which cannot be told,
 * keeps listing this database until it deletes the registration.
 */
Datum
dp_unsubscribe(PG_FUNCTION_ARGS)
{
	char	   *server_name;
	char	   *product;
	int32		major;
	Subscription *sub;
	Oid			argtypes[3] = {NAMEOID, TEXTOID, INT4OID};
	Datum		values[3];

	subscription_arguments(fcinfo, &server_name, &product, &major);

	sub = get_subscription(server_name, product, major);
	check_may_manage(sub);
	if (GetForeignServerByName(server_name, true) != NULL)
	{
		ForeignServer *server = dp_remote_server(server_name);

		dp_remote_open(server);
		dp_remote_unregister(server, product, major);
		dp_remote_close();
	}
	else
		ereport(WARNING,
				(errmsg("server \"%s\" no longer exists, so its producer still lists this database as a consumer",
						server_name),
				 errhint("Ask the producer to delete the registration from dataproduct.consumers.")));
	drop_local_objects(sub);

	values[0] = dp_name_datum(server_name);
	values[1] = CStringGetTextDatum(product);
	values[2] = Int32GetDatum(major);
	(void) dp_catalog_query(DP_WRITE,
							"DELETE FROM dataproduct.subscription"
							" WHERE server OPERATOR(pg_catalog.=) $1"
							" AND product OPERATOR(pg_catalog.=) $2"
							" AND major OPERATOR(pg_catalog.=) $3",
							3, argtypes, values, NULL);
	PG_RETURN_VOID();
}

static void
subscription_arguments(FunctionCallInfo fcinfo, char **server,
					   char **product, int32 *major)
{
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("server, product and major must not be null")));
	*server = pstrdup(NameStr(*PG_GETARG_NAME(0)));
	*product = text_to_cstring(PG_GETARG_TEXT_PP(1));
	*major = PG_GETARG_INT32(2);
	if (*major < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("major version must not be negative")));
}

/*
 * The subscription to a major version over a server, locked for the rest
 * of the transaction, or an error.
 */
static Subscription *
get_subscription(const char *server, const char *product, int32 major)
{
	Oid			argtypes[3] = {NAMEOID, TEXTOID, INT4OID};
	Datum		values[3];
	Subscription *sub;
	DpRows	   *rows;

	values[0] = dp_name_datum(server);
	values[1] = CStringGetTextDatum(product);
	values[2] = Int32GetDatum(major);
	rows = dp_catalog_query(DP_WRITE,
							"SELECT local_schema, created_schema,"
							" subscribed_by::pg_catalog.oid, s.output"
							" FROM dataproduct.subscription,"
							" LATERAL pg_catalog.unnest(outputs) s(output)"
							" WHERE server OPERATOR(pg_catalog.=) $1"
							" AND product OPERATOR(pg_catalog.=) $2"
							" AND major OPERATOR(pg_catalog.=) $3"
							" FOR UPDATE OF subscription",
							3, argtypes, values, NULL);
	if (rows->count == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("this database does not subscribe to major version %d of data product \"%s\" over server \"%s\"",
						major, product, server),
				 errhint("dataproduct.subscriptions lists the subscriptions of this database.")));

	sub = palloc0(sizeof(Subscription));
	sub->product = pstrdup(product);
	sub->major = major;
	sub->local_schema = dp_rows_text(rows, 0, 1);
	sub->created_schema = DatumGetBool(dp_rows_datum(rows, 0, 2));
	sub->subscribed_by = DatumGetObjectId(dp_rows_datum(rows, 0, 3));
	for (uint64 i = 0; i < rows->count; i++)
		sub->outputs = lappend(sub->outputs, dp_rows_text(rows, i, 4));
	return sub;
}

static void
check_not_subscribed(const char *server, const char *product, int32 major,
					 const char *local_schema)
{
	Oid			argtypes[4] = {NAMEOID, TEXTOID, INT4OID, NAMEOID};
	Datum		values[4];
	DpRows	   *rows;

	values[0] = dp_name_datum(server);
	values[1] = CStringGetTextDatum(product);
	values[2] = Int32GetDatum(major);
	values[3] = dp_name_datum(local_schema);
	rows = dp_catalog_query(DP_READ_LATEST,
							"SELECT server, product, major, local_schema"
							" FROM dataproduct.subscription"
							" WHERE (server OPERATOR(pg_catalog.=) $1"
							"        AND product OPERATOR(pg_catalog.=) $2"
							"        AND major OPERATOR(pg_catalog.=) $3)"
							" OR local_schema OPERATOR(pg_catalog.=) $4",
							4, argtypes, values, NULL);
	if (rows->count == 0)
		return;
	if (strcmp(dp_rows_text(rows, 0, 4), local_schema) != 0 ||
		(strcmp(dp_rows_text(rows, 0, 1), server) == 0 &&
		 strcmp(dp_rows_text(rows, 0, 2), product) == 0 &&
		 DatumGetInt32(dp_rows_datum(rows, 0, 3)) == major))
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_OBJECT),
				 errmsg("this database already subscribes to major version %d of data product \"%s\" over server \"%s\"",
						major, product, server),
				 errdetail("Its foreign tables are in schema \"%s\".",
						   dp_rows_text(rows, 0, 4)),
				 errhint("Use dataproduct.refresh() to import a newer release of the major version.")));
	ereport(ERROR,
			(errcode(ERRCODE_DUPLICATE_SCHEMA),
			 errmsg("schema \"%s\" already holds a subscription", local_schema),
			 errdetail("It holds major version %s of data product \"%s\" from server \"%s\".",
					   dp_rows_text(rows, 0, 3), dp_rows_text(rows, 0, 2),
					   dp_rows_text(rows, 0, 1)),
			 errhint("Pass another schema as into_schema.")));
}

/*
 * The role that subscribed, and whoever owns the schema of the foreign
 * tables now (after REASSIGN OWNED, say), with their members and
 * superusers, manage a subscription.
 */
static void
check_may_manage(Subscription *sub)
{
	Oid			nspoid = get_namespace_oid(sub->local_schema, true);
	HeapTuple	tuple;

	if (has_privs_of_role(GetUserId(), sub->subscribed_by))
		return;
	tuple = SearchSysCache1(NAMESPACEOID, ObjectIdGetDatum(nspoid));
	if (HeapTupleIsValid(tuple))
	{
		Oid			owner = ((Form_pg_namespace) GETSTRUCT(tuple))->nspowner;

		ReleaseSysCache(tuple);
		if (has_privs_of_role(GetUserId(), owner))
			return;
	}
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("permission denied to change the subscription to major version %d of data product \"%s\"",
					sub->major, sub->product),
			 errdetail("Only role \"%s\", which subscribed, the owner of schema \"%s\", and their members may change it.",
					   dp_role_name(sub->subscribed_by), sub->local_schema)));
}

/*
 * In an existing schema, no relation may have the name of an output about
 * to be imported.
 */
static void
check_names_free(const char *schema, List *names)
{
	Oid			nspoid = get_namespace_oid(schema, true);
	ListCell   *lc;

	if (!OidIsValid(nspoid))
		return;
	foreach(lc, names)
	{
		char	   *name = lfirst(lc);

		if (OidIsValid(get_relname_relid(name, nspoid)))
			ereport(ERROR,
					(errcode(ERRCODE_DUPLICATE_TABLE),
					 errmsg("relation \"%s\" already exists in schema \"%s\"",
							name, schema),
					 errdetail("Each output is imported as a foreign table of its own name."),
					 errhint("Pass another schema as into_schema.")));
	}
}

/*
 * A schema that exists already, the default-named one included, receives
 * the foreign tables only if the caller owns it, itself or as a member of
 * the owning role; being a superuser does not count.  Its owner can drop
 * what is in it and put relations of its own under the same names, which
 * the caller would then read as the producer's data.
 */
static void
check_schema_owner(const char *schema)
{
	Oid			nspoid = get_namespace_oid(schema, true);
	HeapTuple	tuple;
	Oid			owner;

	if (!OidIsValid(nspoid))
		return;
	tuple = SearchSysCache1(NAMESPACEOID, ObjectIdGetDatum(nspoid));
	if (!HeapTupleIsValid(tuple))
		elog(ERROR, "cache lookup failed for namespace %u", nspoid);
	owner = ((Form_pg_namespace) GETSTRUCT(tuple))->nspowner;
	ReleaseSysCache(tuple);
	if (is_member_of_role_nosuper(GetUserId(), owner))
		return;
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("schema \"%s\" already exists and belongs to role \"%s\"",
					schema, dp_role_name(owner)),
			 errdetail("The owner of a schema can replace the foreign tables of a subscription in it with relations of its own."),
			 errhint("Pass a schema you own, or one that does not exist yet, as into_schema.")));
}

/*
 * The schema the foreign tables go into: created, and so later dropped,
 * here if it does not exist.
 */
static bool
create_local_schema(const char *schema, DpRemoteMajor *major,
					ForeignServer *server)
{
	if (OidIsValid(get_namespace_oid(schema, true)))
		return false;
	run_as_caller(psprintf("CREATE SCHEMA %s", quote_identifier(schema)));
	run_as_caller(psprintf("COMMENT ON SCHEMA %s IS %s", quote_identifier(schema),
						   quote_literal_cstr(psprintf("Major version %d of data product \"%s\" (domain \"%s\"), imported from server \"%s\"",
													   major->latest.major,
													   major->product,
													   major->domain,
													   server->servername))));
	return true;
}

static void
import_outputs(ForeignServer *server, DpRemoteMajor *major,
			   const char *local_schema, List *names)
{
	StringInfoData sql;
	ListCell   *lc;

	if (names == NIL)
		return;
	initStringInfo(&sql);
	appendStringInfo(&sql, "IMPORT FOREIGN SCHEMA %s LIMIT TO (",
					 quote_identifier(major->schema));
	foreach(lc, names)
		appendStringInfo(&sql, "%s%s", lc == list_head(names) ? "" : ", ",
						 quote_identifier(lfirst(lc)));
	appendStringInfo(&sql, ") FROM SERVER %s INTO %s",
					 quote_identifier(server->servername),
					 quote_identifier(local_schema));
	run_as_caller(sql.data);
}

/*
 * Outputs of the producer's latest release that the subscription does not
 * have yet, whose names must be free in its schema (a relation found
 * there is not one subscribe() or refresh() made); an error if the
 * release lacks an output the subscription has.
 */
static List *
outputs_to_import(Subscription *sub, List *contract)
{
	List	   *names = output_names(contract);
	List	   *result = NIL;
	ListCell   *lc;

	foreach(lc, sub->outputs)
	{
		char	   *name = lfirst(lc);

		if (!list_member_name(names, name))
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("output \"%s\" of data product \"%s\" is missing from its latest release on the producer",
							name, sub->product),
					 errdetail("Major version %d of the product no longer has an output the subscription imported into \"%s\".",
							   sub->major, sub->local_schema),
					 errhint("The producer broke its contract; ask it to publish a new major version instead.")));
	}
	foreach(lc, names)
		if (!list_member_name(sub->outputs, lfirst(lc)))
			result = lappend(result, lfirst(lc));
	check_names_free(sub->local_schema, result);
	return result;
}

/*
 * Columns the latest release added at the end of an output.
 */
static void
add_new_columns(ForeignServer *server, const char *local_schema,
				DpOutput *output)
{
	char	   *table = quote_qualified_identifier(local_schema, output->name);
	Relation	rel = relation_openrv(makeRangeVar(pstrdup(local_schema),
												   output->name, -1),
									  AccessShareLock);
	int			natts = 0;
	int			position = 0;
	ErrorContextCallback callback;
	ListCell   *lc;

	for (int i = 0; i < RelationGetDescr(rel)->natts; i++)
		if (!TupleDescAttr(RelationGetDescr(rel), i)->attisdropped)
			natts++;
	relation_close(rel, NoLock);

	foreach(lc, output->columns)
	{
		DpColumn   *column = lfirst(lc);
		Oid			typid;
		int32		typmod;

		if (++position <= natts)
			continue;
		/* the producer's text goes through the type parser, never into SQL */
		callback.callback = type_context;
		callback.arg = server;
		callback.previous = error_context_stack;
		error_context_stack = &callback;
		dp_parse_type_string(column->type, &typid, &typmod);
		error_context_stack = callback.previous;
		run_as_caller(psprintf("ALTER FOREIGN TABLE %s ADD COLUMN %s %s OPTIONS (column_name %s)",
							   table, quote_identifier(column->name),
							   format_type_with_typemod(typid, typmod),
							   quote_literal_cstr(column->name)));
		comment_column(table, column);
	}
}

/* Which producer a type that does not parse came from */
static void
type_context(void *arg)
{
	ForeignServer *server = arg;

	errcontext("reading a type of the contract that server \"%s\" returned",
			   server->servername);
}

/*
 * The foreign table of an output must be a foreign table of this server,
 * owned by the subscriber or the schema's owner, reading the producer's
 * view of its name, with the columns the producer promises: all of them
 * ("exactly"), or a leading part of them before new columns are added.
 */
static void
check_matches_contract(ForeignServer *server, DpRemoteMajor *major,
					   const char *local_schema, DpOutput *output,
					   Oid subscriber, bool exactly)
{
	Oid			relid = get_relname_relid(output->name,
										  get_namespace_oid(local_schema, false));
	Relation	rel;
	TupleDesc	tupdesc;
	ListCell   *lc;
	int			position = 0;
	char	   *problem = NULL;

	if (!OidIsValid(relid) || get_rel_relkind(relid) != RELKIND_FOREIGN_TABLE ||
		GetForeignTable(relid)->serverid != server->serverid)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("\"%s.%s\" is not a foreign table of server \"%s\"",
						local_schema, output->name, server->servername),
				 errdetail("Output \"%s\" of data product \"%s\" version %s is imported as that foreign table.",
						   output->name, major->product,
						   dp_version_string(major->latest))));

	rel = relation_open(relid, AccessShareLock);
	tupdesc = RelationGetDescr(rel);
	problem = foreign_table_problem(rel, major, output, subscriber);
	foreach(lc, output->columns)
	{
		DpColumn   *column = lfirst(lc);
		Form_pg_attribute att = NULL;
		char	   *remote_name;

		if (problem != NULL)
			break;
		while (position < tupdesc->natts &&
			   TupleDescAttr(tupdesc, position)->attisdropped)
			position++;
		if (position < tupdesc->natts)
			att = TupleDescAttr(tupdesc, position++);
		if (att == NULL)
		{
			if (exactly)
				problem = psprintf("column \"%s\" (%s) is missing", column->name,
								   column->type);
			break;
		}
		if (strcmp(NameStr(att->attname), column->name) != 0 ||
			strcmp(format_type_with_typemod(att->atttypid, att->atttypmod),
				   column->type) != 0)
		{
			problem = psprintf("column %d is \"%s\" %s where the producer promises \"%s\" %s",
							   position, NameStr(att->attname),
							   format_type_with_typemod(att->atttypid, att->atttypmod),
							   column->name, column->type);
			break;
		}
		remote_name = option_value(GetForeignColumnOptions(relid, att->attnum),
								   "column_name");
		if (remote_name != NULL && strcmp(remote_name, column->name) != 0)
			problem = psprintf("column \"%s\" reads remote column \"%s\"",
							   column->name, remote_name);
	}
	/* and nothing more */
	while (exactly && problem == NULL && position < tupdesc->natts)
	{
		Form_pg_attribute att = TupleDescAttr(tupdesc, position++);

		if (!att->attisdropped)
			problem = psprintf("column \"%s\" is not in the contract",
							   NameStr(att->attname));
	}
	relation_close(rel, NoLock);
	if (problem != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("foreign table \"%s.%s\" does not match output \"%s\" of data product \"%s\" version %s on server \"%s\"",
						local_schema, output->name, output->name,
						major->product, dp_version_string(major->latest),
						server->servername),
				 errdetail("In the foreign table, %s.", problem),
				 errhint("Consumers rely on every release of a major version keeping the columns of the earlier ones; if the foreign table was changed here, unsubscribe and subscribe again.")));
}

/*
 * What the producer says of an output, on its foreign table: comments, and
 * the NOT NULL promises (imported views have none; a minor release may add
 * one, and none is ever dropped within a major version).  On a table
 * imported earlier, the consumer's own comments stay: the table's comment
 * is brought up to date only if it is still the one written here, and
 * columns added by this refresh got theirs in add_new_columns().
 */
static void
describe_foreign_table(ForeignServer *server, DpRemoteMajor *major,
					   const char *local_schema, DpOutput *output,
					   bool imported)
{
	char	   *table = quote_qualified_identifier(local_schema, output->name);
	char	   *ours = psprintf("Output \"%s\" of data product \"%s\" version ",
								output->name, major->product);
	char	   *comment = GetComment(get_relname_relid(output->name,
													   get_namespace_oid(local_schema, false)),
									 RelationRelationId, 0);
	ListCell   *lc;

	if (imported || (comment != NULL && strncmp(comment, ours, strlen(ours)) == 0))
		run_as_caller(psprintf("COMMENT ON FOREIGN TABLE %s IS %s", table,
							   quote_literal_cstr(psprintf("%s%s (domain \"%s\"), imported from schema \"%s\" of server \"%s\"",
														   ours,
														   dp_version_string(major->latest),
														   major->domain, major->schema,
														   server->servername))));
	foreach(lc, output->columns)
	{
		DpColumn   *column = lfirst(lc);

		if (imported)
			comment_column(table, column);
		/* declared, as on any foreign table, not checked here */
		if (column->not_null)
			run_as_caller(psprintf("ALTER FOREIGN TABLE %s ALTER COLUMN %s SET NOT NULL",
								   table, quote_identifier(column->name)));
	}
}

/*
 * What makes a foreign table other than the one subscribe() or refresh()
 * made, whatever its columns: an owner that is neither the subscriber nor
 * the schema's owner, or options that read another remote relation; NULL
 * if none.
 */
static char *
foreign_table_problem(Relation rel, DpRemoteMajor *major, DpOutput *output,
					  Oid subscriber)
{
	Oid			owner = rel->rd_rel->relowner;
	HeapTuple	tuple;
	Oid			nspowner;
	List	   *options = GetForeignTable(RelationGetRelid(rel))->options;
	char	   *schema = option_value(options, "schema_name");
	char	   *table = option_value(options, "table_name");

	tuple = SearchSysCache1(NAMESPACEOID,
							ObjectIdGetDatum(RelationGetNamespace(rel)));
	if (!HeapTupleIsValid(tuple))
		elog(ERROR, "cache lookup failed for namespace %u",
			 RelationGetNamespace(rel));
	nspowner = ((Form_pg_namespace) GETSTRUCT(tuple))->nspowner;
	ReleaseSysCache(tuple);
	if (owner != subscriber && owner != nspowner)
		return psprintf("the owner is role \"%s\", neither the subscriber \"%s\" nor the owner of the schema",
						dp_role_name(owner), dp_role_name(subscriber));
	if (schema == NULL || strcmp(schema, major->schema) != 0 ||
		table == NULL || strcmp(table, output->name) != 0)
		return psprintf("the options read %s.%s instead of %s.%s",
						schema ? quote_identifier(schema) : "(no schema_name)",
						table ? quote_identifier(table) : "(no table_name)",
						quote_identifier(major->schema),
						quote_identifier(output->name));
	return NULL;
}

/* The value of a foreign-data option, or NULL */
static char *
option_value(List *options, const char *name)
{
	ListCell   *lc;

	foreach(lc, options)
	{
		DefElem    *option = lfirst(lc);

		if (strcmp(option->defname, name) == 0)
			return defGetString(option);
	}
	return NULL;
}

static void
comment_column(const char *table, DpColumn *column)
{
	if (column->description != NULL)
		run_as_caller(psprintf("COMMENT ON COLUMN %s.%s IS %s", table,
							   quote_identifier(column->name),
							   quote_literal_cstr(column->description)));
}

/* Run a statement as the caller, who owns what it creates */
static void
run_as_caller(const char *sql)
{
	(void) dp_run_as(InvalidOid, DP_WRITE, sql, 0, NULL, NULL, NULL);
}

/*
 * The foreign tables of a subscription, and its schema if subscribe()
 * created it and nothing else is in it now.  Objects that depend on the
 * foreign tables stop the drop, as for DROP FOREIGN TABLE.
 */
static void
drop_local_objects(Subscription *sub)
{
	Oid			nspoid = get_namespace_oid(sub->local_schema, true);
	ListCell   *lc;

	if (!OidIsValid(nspoid))
		return;
	check_no_dependents(sub);
	foreach(lc, sub->outputs)
		run_as_caller(psprintf("DROP FOREIGN TABLE IF EXISTS %s",
							   quote_qualified_identifier(sub->local_schema,
														  lfirst(lc))));
	if (!sub->created_schema)
		return;
	if (dp_run_as(InvalidOid, DP_READ_LATEST,
				  psprintf("SELECT 1 FROM pg_catalog.pg_depend"
						   " WHERE refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_namespace'::pg_catalog.regclass"
						   " AND refobjid OPERATOR(pg_catalog.=) %u LIMIT 1",
						   nspoid), 0, NULL, NULL, NULL)->count > 0)
		ereport(NOTICE,
				(errmsg("schema \"%s\" was kept because it holds other objects",
						sub->local_schema)));
	else
		run_as_caller(psprintf("DROP SCHEMA %s", quote_identifier(sub->local_schema)));
}

/*
 * Objects that depend on the foreign tables (views, mostly) stop an
 * unsubscribe, which, unlike DROP, has no CASCADE to offer.
 */
static void
check_no_dependents(Subscription *sub)
{
	Oid			nspoid = get_namespace_oid(sub->local_schema, false);
	Datum	   *relids = palloc(sizeof(Datum) * list_length(sub->outputs));
	int			n = 0;
	Oid			argtypes[1] = {OIDARRAYOID};
	Datum		values[1];
	StringInfoData lines;
	DpRows	   *rows;
	ListCell   *lc;

	foreach(lc, sub->outputs)
		relids[n++] = ObjectIdGetDatum(get_relname_relid(lfirst(lc), nspoid));
	values[0] = PointerGetDatum(construct_array(relids, n, OIDOID, sizeof(Oid),
												true, TYPALIGN_INT));
	rows = dp_run_as(InvalidOid, DP_READ_LATEST,
			   "SELECT DISTINCT pg_catalog.format('%s depends on %s',"
			   "  CASE WHEN r.oid IS NULL"
			   "   THEN pg_catalog.pg_describe_object(d.classid, d.objid, 0)"
			   "   ELSE pg_catalog.pg_describe_object('pg_catalog.pg_class'::pg_catalog.regclass, r.ev_class, 0) END,"
			   "  pg_catalog.pg_describe_object(d.refclassid, d.refobjid, 0))"
			   " FROM pg_catalog.pg_depend d"
			   " LEFT JOIN pg_catalog.pg_rewrite r"
			   "   ON d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_rewrite'::pg_catalog.regclass"
			   "  AND r.oid OPERATOR(pg_catalog.=) d.objid"
			   " WHERE d.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass"
			   " AND d.refobjid OPERATOR(pg_catalog.=) ANY ($1)"
			   " AND d.deptype OPERATOR(pg_catalog.=) 'n'"
			   " ORDER BY 1",
			   1, argtypes, values, NULL);
	if (rows->count == 0)
		return;
	initStringInfo(&lines);
	for (uint64 i = 0; i < rows->count; i++)
		appendStringInfo(&lines, "%s%s", i > 0 ? "\n" : "", dp_rows_text(rows, i, 1));
	ereport(ERROR,
			(errcode(ERRCODE_DEPENDENT_OBJECTS_STILL_EXIST),
			 errmsg("cannot unsubscribe from major version %d of data product \"%s\" because other objects depend on its foreign tables",
					sub->major, sub->product),
			 errdetail("%s", lines.data),
			 errhint("Drop those objects, or change them to read something else, first.")));
}

static List *
output_names(List *contract)
{
	List	   *names = NIL;
	ListCell   *lc;

	foreach(lc, contract)
		names = lappend(names, ((DpOutput *) lfirst(lc))->name);
	return names;
}

static bool
list_member_name(List *names, const char *name)
{
	ListCell   *lc;

	foreach(lc, names)
		if (strcmp(lfirst(lc), name) == 0)
			return true;
	return false;
}

static void
warn_if_deprecated(DpRemoteMajor *major)
{
	if (strcmp(major->status, "deprecated") != 0)
		return;
	ereport(WARNING,
			(errmsg("major version %d of data product \"%s\" is deprecated",
					major->latest.major, major->product),
			 major->sunset && major->message ?
			 errdetail("Its producer plans to stop serving it after %s, and says: %s",
					   major->sunset, major->message) :
			 major->sunset ?
			 errdetail("Its producer plans to stop serving it after %s.", major->sunset) :
			 major->message ?
			 errdetail("Its producer says: %s", major->message) : 0,
			 errhint("Subscribe to a newer major version, listed by dataproduct.remote_catalog().")));
}

/*
 * Every foreign table of the release, once imported or extended, must be
 * what the producer promises, and say so.
 */
static void
finish_foreign_tables(ForeignServer *server, DpRemoteMajor *major,
					  const char *local_schema, List *contract,
					  List *imported, Oid subscriber)
{
	ListCell   *lc;

	foreach(lc, contract)
	{
		DpOutput   *output = lfirst(lc);

		check_matches_contract(server, major, local_schema, output,
							   subscriber, true);
		describe_foreign_table(server, major, local_schema, output,
							   list_member_name(imported, output->name));
	}
}

static void
record_subscription(ForeignServer *server, DpRemoteMajor *major,
					const char *local_schema, bool created_schema,
					List *outputs, bool insert)
{
	Oid			argtypes[9] = {NAMEOID, TEXTOID, INT4OID, NAMEOID, BOOLOID,
	NAMEOID, TEXTOID, NAMEARRAYOID, OIDOID};
	Datum		values[9];

	values[0] = dp_name_datum(server->servername);
	values[1] = CStringGetTextDatum(major->product);
	values[2] = Int32GetDatum(major->latest.major);
	values[3] = dp_name_datum(local_schema);
	values[4] = BoolGetDatum(created_schema);
	values[5] = dp_name_datum(major->schema);
	values[6] = CStringGetTextDatum(dp_version_string(major->latest));
	values[7] = dp_names_array(outputs);
	values[8] = ObjectIdGetDatum(GetUserId());
	if (insert)
		(void) dp_catalog_query(DP_WRITE,
								"INSERT INTO dataproduct.subscription (server, product,"
								" major, local_schema, created_schema, remote_schema,"
								" version, outputs, subscribed_by)"
								" VALUES ($1, $2, $3, $4, $5, $6, $7, $8,"
								" $9::pg_catalog.regrole)",
								9, argtypes, values, NULL);
	else
		(void) dp_catalog_query(DP_WRITE,
								"UPDATE dataproduct.subscription"
								" SET remote_schema = $6, version = $7, outputs = $8,"
								" refreshed_at = pg_catalog.now()"
								" WHERE server OPERATOR(pg_catalog.=) $1"
								" AND product OPERATOR(pg_catalog.=) $2"
								" AND major OPERATOR(pg_catalog.=) $3",
								9, argtypes, values, NULL);
}
