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
 * registration can only be removed by the role that made it or by the
 * producing domain.  It writes dataproduct.consumer as the catalog owner;
 * the role it connected as, its address and the times are filled in here,
 * not taken from the consumer.
 *
 * A registration is its role's.  What a consumer says about itself (its
 * cluster's system identifier, database, server, schema, role) is a claim
 * nobody can verify; the role it connected as is the one fact the producer
 * knows.  So that role is part of the key: each role that registers a
 * consumer database has its own registration of it.  A hostile role with
 * access can thus only ever register in its own name: it cannot take over,
 * replace or remove another role's registration, nor register another
 * consumer's key ahead of it to block its subscribe(); what it claims is
 * listed as its claim, under connected_as, and revoke_access() from it
 * removes it.  The producer learns who consumes as pairs of an
 * authenticated role and the database it says it serves.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "dataproduct.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/inval.h"
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
	Oid			registrant;		/* connected_as: who registered it */
} Registration;

static Registration *read_registration(TriggerData *trigdata, bool insert);
static bool is_system_identifier(const char *str);
static char *column_value(HeapTuple tuple, TupleDesc tupdesc,
						  const char *column, bool required);
static HeapTuple register_consumer(TriggerData *trigdata, Registration *reg);
static HeapTuple unregister_consumer(TriggerData *trigdata,
									 Registration *reg);
static void check_may_register(Registration *reg, DpMajor *major);
static void check_owns_registration(Registration *reg, DpProduct *product);
static DpRows *store_registration(Registration *reg);
static bool delete_registration(Registration *reg);
static HeapTuple registered_row(TriggerData *trigdata, DpRows *recorded);
static void registration_key(Registration *reg, Datum *values);

/*
 * INSTEAD OF INSERT OR UPDATE OR DELETE ON dataproduct.consumers
 *
 * The row it returns is allocated in the memory context it is called in,
 * which the executor keeps for the row's RETURNING clause.
 */
Datum
dp_consumers_change(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	Registration *reg;

	if (!CALLED_AS_TRIGGER(fcinfo) ||
		!TRIGGER_FIRED_INSTEAD(trigdata->tg_event) ||
		!TRIGGER_FIRED_FOR_ROW(trigdata->tg_event) ||
		RelationGetRelid(trigdata->tg_relation) !=
		get_relname_relid("consumers", dp_extension_schema()))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("function dataproduct.consumers_change() only serves as the INSTEAD OF row trigger of view dataproduct.consumers")));
	if (TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("cannot update registrations of consumers"),
				 errdetail("A consumer registers again with INSERT to record a newer version, and leaves with DELETE."),
				 errhint("dataproduct.refresh() and dataproduct.unsubscribe() do this for subscriptions over postgres_fdw.")));

	if (TRIGGER_FIRED_BY_INSERT(trigdata->tg_event))
	{
		reg = read_registration(trigdata, true);
		return PointerGetDatum(register_consumer(trigdata, reg));
	}
	reg = read_registration(trigdata, false);
	return PointerGetDatum(unregister_consumer(trigdata, reg));
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
	{
		bool		isnull;

		/* the view shows the registrant as the catalog keeps it: a regrole */
		reg->registrant = DatumGetObjectId(heap_getattr(tuple,
														SPI_fnumber(tupdesc, "connected_as"),
														tupdesc, &isnull));
		if (isnull)
			elog(ERROR, "registration without connected_as in dataproduct.consumers");
		return reg;
	}
	reg->registrant = GetUserId();
	reg->version = column_value(tuple, tupdesc, "version", true);
	reg->schema = column_value(tuple, tupdesc, "consumer_schema", true);
	reg->role = column_value(tuple, tupdesc, "consumer_role", true);

	for (size_t i = 0; i < lengthof(server_set); i++)
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
 * INSERT: register the calling role's consumer, or record the release it
 * imported now.  Registrations share a lock on the major version's row,
 * which revoke_access() takes exclusively, so a registration waits for a
 * revoke in progress and is then checked against the privileges it left.
 */
static HeapTuple
register_consumer(TriggerData *trigdata, Registration *reg)
{
	DpProduct  *product;
	DpMajor    *major;

	if (!dp_product_exists(reg->product))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("data product \"%s\" does not exist", reg->product),
				 errhint("dataproduct.catalog lists the data products published in this database.")));
	dp_lock_major(reg->product, reg->major, false);

	/*
	 * A row lock wait processes no invalidation messages: without this, the
	 * privilege checks below would read catalog caches that still show the
	 * privileges the revoke we waited for removed.
	 */
	AcceptInvalidationMessages();
	product = dp_get_product(reg->product, false);
	major = dp_major_for_owner(product, reg->major, NULL);
	check_may_register(reg, major);
	return registered_row(trigdata, store_registration(reg));
}

/*
 * DELETE: remove a registration, for its role or the producing domain.
 * Registrations of a retired major version can be removed too.  Returns
 * NULL, so that the row does not count as deleted, if it was gone already.
 */
static HeapTuple
unregister_consumer(TriggerData *trigdata, Registration *reg)
{
	DpProduct  *product = dp_get_product(reg->product, false);

	check_owns_registration(reg, product);
	if (!delete_registration(reg))
		return NULL;
	return trigdata->tg_trigtuple;
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
 * domain.  (The view shows nobody else the row; this holds whatever the
 * view shows.)
 */
static void
check_owns_registration(Registration *reg, DpProduct *product)
{
	if (has_privs_of_role(GetUserId(), reg->registrant) ||
		has_privs_of_role(GetUserId(), product->owner))
		return;
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("consumer database \"%s\" (server \"%s\") of data product \"%s\" is registered by role \"%s\"",
					reg->database, reg->server, reg->product,
					dp_role_name(reg->registrant)),
			 errdetail("Only that role and the owner of domain \"%s\" may remove its registration.",
					   product->domain)));
}

/*
 * Insert or update the calling role's registration; returns what the
 * producer recorded.
 */
static DpRows *
store_registration(Registration *reg)
{
	Oid			argtypes[9] = {TEXTOID, INT4OID, TEXTOID, NAMEOID, NAMEOID,
	OIDOID, NAMEOID, NAMEOID, TEXTOID};
	Datum		values[9];

	registration_key(reg, values);
	values[6] = dp_name_datum(reg->schema);
	values[7] = dp_name_datum(reg->role);
	values[8] = CStringGetTextDatum(reg->version);
	return dp_catalog_query(DP_WRITE,
							"INSERT INTO dataproduct.consumer (product, major,"
							" consumer_system, consumer_database, consumer_server,"
							" connected_as, consumer_schema, consumer_role, version,"
							" client_addr)"
							" VALUES ($1, $2, $3, $4, $5, $6::pg_catalog.regrole,"
							" $7, $8, $9, pg_catalog.inet_client_addr())"
							" ON CONFLICT (product, major, consumer_system,"
							" consumer_database, consumer_server, connected_as)"
							" DO UPDATE"
							" SET consumer_schema = excluded.consumer_schema,"
							" consumer_role = excluded.consumer_role,"
							" version = excluded.version,"
							" client_addr = excluded.client_addr,"
							" refreshed_at = pg_catalog.now()"
							" RETURNING connected_as, client_addr, subscribed_at, refreshed_at",
							9, argtypes, values, NULL);
}

/*
 * Remove one registration, found by its key; false if there was none.
 */
static bool
delete_registration(Registration *reg)
{
	Oid			argtypes[6] = {TEXTOID, INT4OID, TEXTOID, NAMEOID, NAMEOID,
	OIDOID};
	Datum		values[6];

	registration_key(reg, values);
	return dp_catalog_query(DP_WRITE,
							"DELETE FROM dataproduct.consumer"
							" WHERE product OPERATOR(pg_catalog.=) $1"
							" AND major OPERATOR(pg_catalog.=) $2"
							" AND consumer_system OPERATOR(pg_catalog.=) $3"
							" AND consumer_database OPERATOR(pg_catalog.=) $4"
							" AND consumer_server OPERATOR(pg_catalog.=) $5"
							" AND connected_as OPERATOR(pg_catalog.=) $6::pg_catalog.regrole"
							" RETURNING 1",
							6, argtypes, values, NULL)->count > 0;
}

/*
 * The inserted row as the producer recorded it, for INSERT ... RETURNING:
 * the columns store_registration() returned, in the trigger's memory
 * context, like the rows themselves.
 */
static HeapTuple
registered_row(TriggerData *trigdata, DpRows *recorded)
{
	static const char *const columns[] = {
		"connected_as", "client_addr", "subscribed_at", "refreshed_at"
	};
	TupleDesc	tupdesc = trigdata->tg_relation->rd_att;
	int			attnums[lengthof(columns)];
	Datum		values[lengthof(columns)];
	bool		nulls[lengthof(columns)];

	Assert(recorded->count == 1);
	for (size_t i = 0; i < lengthof(columns); i++)
	{
		attnums[i] = SPI_fnumber(tupdesc, columns[i]);
		if (attnums[i] <= 0)
			elog(ERROR, "dataproduct.consumers has no column \"%s\"", columns[i]);
		nulls[i] = dp_rows_isnull(recorded, 0, i + 1);
		values[i] = nulls[i] ? (Datum) 0 : dp_rows_datum(recorded, 0, i + 1);
	}
	return heap_modify_tuple_by_cols(trigdata->tg_trigtuple, tupdesc,
									 lengthof(columns), attnums, values, nulls);
}

/*
 * $1 .. $6: product, major, consumer_system, consumer_database,
 * consumer_server, and the role that registered
 */
static void
registration_key(Registration *reg, Datum *values)
{
	values[0] = CStringGetTextDatum(reg->product);
	values[1] = Int32GetDatum(reg->major);
	values[2] = CStringGetTextDatum(reg->system);
	values[3] = dp_name_datum(reg->database);
	values[4] = dp_name_datum(reg->server);
	values[5] = ObjectIdGetDatum(reg->registrant);
}
