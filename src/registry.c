/*-------------------------------------------------------------------------
 *
 * registry.c
 *		  The producer's registry of consumers: dataproduct.consumers
 *
 * A consumer registers by inserting a row into the view dataproduct.consumers
 * and leaves by deleting it.  subscribe() and unsubscribe() in the consumer's
 * database do exactly that through a postgres_fdw foreign table, so the
 * registration travels over the same connection, with the same credentials
 * and in the same remote transaction as the import, and it commits or rolls
 * back with the consumer's transaction.  A consumer in the producer's own
 * database can do the same with plain SQL.
 *
 * The INSTEAD OF trigger here decides what a row may say: the registering
 * role must be able to read the major version (grant_access), and a
 * registration can only be replaced or removed by the role that made it or
 * by the producing domain.  It writes dataproduct.consumer as the catalog
 * owner; the role it connected as, its address and the times are filled in
 * here, not taken from the consumer.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "dataproduct.h"

#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/lsyscache.h"

PG_FUNCTION_INFO_V1(dp_consumers_change);

/* A registration as the view's row gives it */
typedef struct Registration
{
	char	   *product;
	int32		major;
	char	   *version;
	char	   *system;
	char	   *database;
	char	   *server;
	char	   *schema;
	char	   *role;
} Registration;

static Registration *read_registration(TriggerData *trigdata, bool insert);
static bool is_system_identifier(const char *str);
static char *column_value(HeapTuple tuple, TupleDesc tupdesc,
						  const char *column, bool required);
static DpMajor *registered_major(Registration *reg);
static void check_may_register(Registration *reg, DpMajor *major);
static void check_owns_registration(Registration *reg, DpMajor *major,
									Oid registrant);
static Oid	current_registrant(Registration *reg);
static void store_registration(Registration *reg);
static HeapTuple registered_row(TriggerData *trigdata, MemoryContext context);
static void registration_key(Registration *reg, Datum *values);

/*
 * INSTEAD OF INSERT OR UPDATE OR DELETE ON dataproduct.consumers
 */
Datum
dp_consumers_change(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	MemoryContext caller_context = CurrentMemoryContext;
	HeapTuple	result = NULL;
	Registration *reg;
	DpMajor    *major;

	if (!CALLED_AS_TRIGGER(fcinfo) ||
		!TRIGGER_FIRED_INSTEAD(trigdata->tg_event) ||
		!TRIGGER_FIRED_FOR_ROW(trigdata->tg_event) ||
		RelationGetRelid(trigdata->tg_relation) !=
		get_relname_relid("consumers", get_namespace_oid(DP_SCHEMA_NAME, false)))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("function dataproduct.consumers_change() only serves as the INSTEAD OF row trigger of view dataproduct.consumers")));
	if (TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("cannot update registrations of consumers"),
				 errdetail("A consumer registers again with INSERT to record a newer version, and leaves with DELETE."),
				 errhint("dataproduct.refresh() and dataproduct.unsubscribe() do this for subscriptions over postgres_fdw.")));

	reg = read_registration(trigdata,
							TRIGGER_FIRED_BY_INSERT(trigdata->tg_event));
	dp_catalog_connect(false);
	major = registered_major(reg);
	if (TRIGGER_FIRED_BY_INSERT(trigdata->tg_event))
	{
		dp_lock_major(reg->product, reg->major, false);
		check_may_register(reg, major);
		check_owns_registration(reg, major, current_registrant(reg));
		store_registration(reg);
		result = registered_row(trigdata, caller_context);
	}
	else
	{
		/* who registered is what the catalog says, not what the row says */
		Oid			registrant = current_registrant(reg);

		if (!OidIsValid(registrant))
		{
			dp_catalog_finish();
			return PointerGetDatum(NULL);
		}
		check_owns_registration(reg, major, registrant);
		dp_delete_registration(reg->product, reg->major, reg->system,
							   reg->database, reg->server);
		result = trigdata->tg_trigtuple;
	}
	dp_catalog_finish();
	return PointerGetDatum(result);
}

/*
 * The row being inserted or deleted.  What the producer records about the
 * consumer's connection cannot be inserted.
 */
static Registration *
read_registration(TriggerData *trigdata, bool insert)
{
	HeapTuple	tuple = trigdata->tg_trigtuple;
	TupleDesc	tupdesc = trigdata->tg_relation->rd_att;
	Registration *reg = palloc0(sizeof(Registration));
	static const char *const server_set[] = {
		"connected_as", "client_addr", "subscribed_at", "refreshed_at"
	};

	reg->product = column_value(tuple, tupdesc, "product", true);
	reg->major = pg_strtoint32(column_value(tuple, tupdesc, "major", true));
	reg->system = column_value(tuple, tupdesc, "consumer_system", true);
	reg->database = column_value(tuple, tupdesc, "consumer_database", true);
	reg->server = column_value(tuple, tupdesc, "consumer_server", true);
	if (!insert)
		return reg;
	reg->version = column_value(tuple, tupdesc, "version", true);
	reg->schema = column_value(tuple, tupdesc, "consumer_schema", true);
	reg->role = column_value(tuple, tupdesc, "consumer_role", true);

	for (int i = 0; i < lengthof(server_set); i++)
		if (!heap_attisnull(tuple, SPI_fnumber(tupdesc, server_set[i]), tupdesc))
			ereport(ERROR,
					(errcode(ERRCODE_GENERATED_ALWAYS),
					 errmsg("column \"%s\" of dataproduct.consumers is recorded by the producer",
							server_set[i]),
					 errdetail("A consumer gives product, major, version and the consumer_* columns.")));
	if (!is_system_identifier(reg->system))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid consumer_system \"%s\"", reg->system),
				 errdetail("It is the system identifier of the consumer's cluster, as pg_control_system() shows it.")));
	if (dp_parse_version(reg->version).major != reg->major)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("version %s is not a release of major version %d",
						reg->version, reg->major)));
	return reg;
}

/* A bigint in plain digits, as the CHECK on dataproduct.consumer wants */
static bool
is_system_identifier(const char *str)
{
	const char *digits = str + (str[0] == '-');
	size_t		n = strlen(digits);

	return n > 0 && n <= 19 && strspn(digits, "0123456789") == n;
}

static char *
column_value(HeapTuple tuple, TupleDesc tupdesc, const char *column,
			 bool required)
{
	int			attno = SPI_fnumber(tupdesc, column);
	char	   *value;

	if (attno <= 0)
		elog(ERROR, "dataproduct.consumers has no column \"%s\"", column);
	value = SPI_getvalue(tuple, tupdesc, attno);
	if (value == NULL && required)
		ereport(ERROR,
				(errcode(ERRCODE_NOT_NULL_VIOLATION),
				 errmsg("a registration of a consumer needs a value in column \"%s\"",
						column)));
	return value;
}

/*
 * The live major version a registration is for.
 */
static DpMajor *
registered_major(Registration *reg)
{
	DpProduct  *product;
	DpMajor    *major;

	if (!dp_product_exists(reg->product))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("data product \"%s\" does not exist", reg->product),
				 errhint("dataproduct.catalog lists the data products published in this database.")));
	product = dp_get_product(reg->product, false);
	major = dp_get_live_major(product, reg->major);
	if (major == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("data product \"%s\" has no live major version %d",
						reg->product, reg->major),
				 errhint("dataproduct.catalog lists the live major versions.")));
	return major;
}

/*
 * Only a role that can read a major version consumes it, and only releases
 * that exist can be imported.
 */
static void
check_may_register(Registration *reg, DpMajor *major)
{
	DpProduct  *product = major->product;

	if (!dp_may_read_major(GetUserId(), major))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("role \"%s\" has no access to major version %d of data product \"%s\"",
						GetUserNameFromId(GetUserId(), false), reg->major,
						reg->product),
				 errdetail("Schema \"%s\" can be read by the roles the owner of domain \"%s\" grants access to.",
						   major->schema, product->domain),
				 errhint("Ask the owner of domain \"%s\", role \"%s\", to run SELECT dataproduct.grant_access(%s, %d, %s);",
						 product->domain,
						 GetUserNameFromId(product->owner, false),
						 quote_literal_cstr(reg->product), reg->major,
						 quote_literal_cstr(quote_identifier(GetUserNameFromId(GetUserId(), false))))));
	dp_find_release(reg->product, dp_parse_version(reg->version));
}

/*
 * A registration belongs to the role that made it, and to the producing
 * domain.
 */
static void
check_owns_registration(Registration *reg, DpMajor *major, Oid registrant)
{
	if (!OidIsValid(registrant) ||
		has_privs_of_role(GetUserId(), registrant) ||
		has_privs_of_role(GetUserId(), major->product->owner))
		return;
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("consumer database \"%s\" (server \"%s\") of data product \"%s\" is registered by role \"%s\"",
					reg->database, reg->server, reg->product,
					dp_role_name(registrant)),
			 errdetail("Only that role and the owner of domain \"%s\" may change its registration.",
					   major->product->domain)));
}

/*
 * The role an existing registration was made by, or InvalidOid.
 */
static Oid
current_registrant(Registration *reg)
{
	Oid			argtypes[5] = {TEXTOID, INT4OID, TEXTOID, NAMEOID, NAMEOID};
	Datum		values[5];

	registration_key(reg, values);
	dp_catalog_exec("SELECT connected_as::pg_catalog.oid FROM dataproduct.consumer"
					" WHERE product OPERATOR(pg_catalog.=) $1"
					" AND major OPERATOR(pg_catalog.=) $2"
					" AND consumer_system OPERATOR(pg_catalog.=) $3"
					" AND consumer_database OPERATOR(pg_catalog.=) $4"
					" AND consumer_server OPERATOR(pg_catalog.=) $5"
					" FOR UPDATE",
					5, argtypes, values, NULL);
	return SPI_processed == 0 ? InvalidOid :
		DatumGetObjectId(dp_result_datum(0, 1));
}

static void
store_registration(Registration *reg)
{
	Oid			argtypes[9] = {TEXTOID, INT4OID, TEXTOID, NAMEOID, NAMEOID,
	NAMEOID, NAMEOID, TEXTOID, OIDOID};
	Datum		values[9];

	registration_key(reg, values);
	values[5] = dp_name_datum(reg->schema);
	values[6] = dp_name_datum(reg->role);
	values[7] = CStringGetTextDatum(reg->version);
	values[8] = ObjectIdGetDatum(GetUserId());
	dp_catalog_exec("INSERT INTO dataproduct.consumer (product, major,"
					" consumer_system, consumer_database, consumer_server,"
					" consumer_schema, consumer_role, version, connected_as,"
					" client_addr)"
					" VALUES ($1, $2, $3, $4, $5, $6, $7, $8,"
					" $9::pg_catalog.regrole, pg_catalog.inet_client_addr())"
					" ON CONFLICT (product, major, consumer_system,"
					" consumer_database, consumer_server) DO UPDATE"
					" SET consumer_schema = excluded.consumer_schema,"
					" consumer_role = excluded.consumer_role,"
					" version = excluded.version,"
					" connected_as = excluded.connected_as,"
					" client_addr = excluded.client_addr,"
					" refreshed_at = pg_catalog.now()"
					" RETURNING connected_as, client_addr, subscribed_at, refreshed_at",
					9, argtypes, values, NULL);
}

/*
 * The inserted row as the producer recorded it, for INSERT ... RETURNING:
 * the columns store_registration() returned, copied into "context", which
 * outlives SPI.
 */
static HeapTuple
registered_row(TriggerData *trigdata, MemoryContext context)
{
	static const char *const recorded[] = {
		"connected_as", "client_addr", "subscribed_at", "refreshed_at"
	};
	TupleDesc	tupdesc = trigdata->tg_relation->rd_att;
	int			attnums[lengthof(recorded)];
	Datum		values[lengthof(recorded)];
	bool		nulls[lengthof(recorded)];
	MemoryContext old = MemoryContextSwitchTo(context);
	HeapTuple	tuple;

	for (int i = 0; i < lengthof(recorded); i++)
	{
		Form_pg_attribute att;

		attnums[i] = SPI_fnumber(tupdesc, recorded[i]);
		att = TupleDescAttr(tupdesc, attnums[i] - 1);
		values[i] = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc,
								  i + 1, &nulls[i]);
		if (!nulls[i])
			values[i] = datumCopy(values[i], att->attbyval, att->attlen);
	}
	tuple = heap_modify_tuple_by_cols(trigdata->tg_trigtuple, tupdesc,
									  lengthof(recorded), attnums, values, nulls);
	MemoryContextSwitchTo(old);
	return tuple;
}

/*
 * Remove a registration, found by its key.
 */
void
dp_delete_registration(const char *product, int32 major, const char *system,
					   const char *database, const char *server)
{
	Oid			argtypes[5] = {TEXTOID, INT4OID, TEXTOID, NAMEOID, NAMEOID};
	Datum		values[5];

	values[0] = CStringGetTextDatum(product);
	values[1] = Int32GetDatum(major);
	values[2] = CStringGetTextDatum(system);
	values[3] = dp_name_datum(database);
	values[4] = dp_name_datum(server);
	dp_catalog_exec("DELETE FROM dataproduct.consumer"
					" WHERE product OPERATOR(pg_catalog.=) $1"
					" AND major OPERATOR(pg_catalog.=) $2"
					" AND consumer_system OPERATOR(pg_catalog.=) $3"
					" AND consumer_database OPERATOR(pg_catalog.=) $4"
					" AND consumer_server OPERATOR(pg_catalog.=) $5",
					5, argtypes, values, NULL);
}

/* $1 .. $5: product, major, consumer_system, consumer_database, consumer_server */
static void
registration_key(Registration *reg, Datum *values)
{
	values[0] = CStringGetTextDatum(reg->product);
	values[1] = Int32GetDatum(reg->major);
	values[2] = CStringGetTextDatum(reg->system);
	values[3] = dp_name_datum(reg->database);
	values[4] = dp_name_datum(reg->server);
}
