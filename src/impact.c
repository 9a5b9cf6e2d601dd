/*-------------------------------------------------------------------------
 *
 * impact.c
 *		  Who a breaking change would hit, before it is published
 *
 * impact(product, outputs) takes the breaking changes that publishing the
 * outputs would make to the product's latest live major version, the
 * changes diff() lists and publish() refuses in a minor release, and names
 * for each one the parties it hits:
 *
 *	consumer	every database registered as a consumer of the major
 *				(dataproduct.consumer).  A subscription imports every
 *				output of the major with all its columns as foreign tables,
 *				so every breaking change hits every registration, whether
 *				or not the consumer's queries use what changes.
 *	reader		every role whose reads of the major's views usage tracking
 *				recorded (dp_usage_of_schema()), when the change touches
 *				what it read: a change to a whole output (removed, its
 *				security barrier or security mode changed) hits every role
 *				that read the output; a change to a column (removed,
 *				renamed, moved, retyped, no longer NOT NULL) hits the roles
 *				whose recorded reads include that column.  A role that read
 *				with SELECT * read every column.  Consumers' reads arrive as
 *				the role their user mapping connects as, so a consumer's
 *				queries show up as reader rows of that role too.
 *
 * A breaking change that hits nobody is listed once, with no party.
 * Without usage tracking only the consumers are listed, and a NOTICE says
 * so.  publish() uses dp_impact_summary() to say, in its refusal of a
 * breaking minor release, how many parties the release would break.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "dataproduct.h"

#include "catalog/pg_type.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

PG_FUNCTION_INFO_V1(dp_impact);

/* A registered consumer of a major version, as impact() shows it */
typedef struct ImpactConsumer
{
	char	   *who;			/* database, server, role, connected as */
} ImpactConsumer;

/* What a breaking change does to whom */
typedef struct ImpactParties
{
	List	   *consumers;		/* of ImpactConsumer, hit by every change */
	List	   *usage;			/* of DpUsage, of the major's version schema */
} ImpactParties;

#define IMPACT_COLUMNS 8

static bool latest_live_major(const char *product, int32 *major,
							  char **schema);
static List *breaking_changes(const char *product, int32 major,
							  ArrayType *outputs);
static List *major_consumers(const char *product, int32 major);
static bool reader_hit(DpUsage *usage, DpChange *change);
static int	usage_cmp(const ListCell *a, const ListCell *b);
static void put_change(Tuplestorestate *store, TupleDesc tupdesc,
					   DpChange *change, ImpactParties *parties);
static void put_party(Tuplestorestate *store, TupleDesc tupdesc,
					  DpChange *change, const char *kind, const char *who,
					  DpUsage *usage);

/*
 * impact(product text, outputs regclass[]) RETURNS TABLE (output name,
 *		column_name name, change text, detail text, kind text, who text,
 *		queries bigint, last_read timestamptz)
 */
Datum
dp_impact(PG_FUNCTION_ARGS)
{
	DpProduct  *product;
	TupleDesc	tupdesc;
	Tuplestorestate *store;
	int32		major;
	char	   *schema;
	List	   *changes;
	ImpactParties parties;
	ListCell   *lc;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("product and outputs must not be null")));
	product = dp_get_product(text_to_cstring(PG_GETARG_TEXT_PP(0)), false);
	dp_check_acts_for_domain(product, "see who uses");
	store = dp_materialized_result(fcinfo, &tupdesc);
	if (!latest_live_major(product->name, &major, &schema))
		return (Datum) 0;

	changes = breaking_changes(product->name, major, PG_GETARG_ARRAYTYPE_P(1));
	if (changes == NIL)
		return (Datum) 0;
	parties.consumers = major_consumers(product->name, major);
	parties.usage = dp_usage_of_schema(schema);
	list_sort(parties.usage, usage_cmp);
	if (!dp_usage_enabled())
		ereport(NOTICE,
				(errmsg("usage tracking is off, so only registered consumers are listed"),
				 errdetail("Roles that read schema \"%s\" in this database are not known.",
						   schema),
				 errhint("Add dataproduct to shared_preload_libraries and restart the server to record who reads which columns.")));
	foreach(lc, changes)
		put_change(store, tupdesc, lfirst(lc), &parties);
	return (Datum) 0;
}

/*
 * How many parties publishing "changes" into major version "major" would
 * break, as a phrase for an error detail: "2 registered consumers and 1 role
 * that read what it changes".
 */
char *
dp_impact_summary(const char *product, int32 major, List *changes)
{
	int			consumers = list_length(major_consumers(product, major));
	List	   *readers = NIL;
	ListCell   *uc;
	ListCell   *cc;

	foreach(uc, dp_usage_of_schema(dp_version_schema(product, major)))
	{
		DpUsage    *u = lfirst(uc);

		foreach(cc, changes)
		{
			if (reader_hit(u, lfirst(cc)))
			{
				readers = list_append_unique_oid(readers, u->role);
				break;
			}
		}
	}

	if (!dp_usage_enabled())
		return psprintf("%d registered consumer%s", consumers,
						consumers == 1 ? "" : "s");
	return psprintf("%d registered consumer%s and %d role%s that read what it changes",
					consumers, consumers == 1 ? "" : "s",
					list_length(readers), list_length(readers) == 1 ? "" : "s");
}

/*
 * The product's newest major version that is not retired, and its schema;
 * false if there is none.
 */
static bool
latest_live_major(const char *product, int32 *major, char **schema)
{
	DpRows	   *rows;
	Oid			argtypes[1] = {TEXTOID};
	Datum		values[1] = {CStringGetTextDatum(product)};

	rows = dp_catalog_query(DP_READ_LATEST,
							"SELECT major, schema_name FROM dataproduct.major_version"
							" WHERE product OPERATOR(pg_catalog.=) $1"
							" AND status OPERATOR(pg_catalog.<>) 'retired'"
							" ORDER BY major DESC LIMIT 1",
							1, argtypes, values, NULL);
	if (rows->count == 0)
		return false;
	*major = DatumGetInt32(dp_rows_datum(rows, 0, 1));
	*schema = dp_rows_text(rows, 0, 2);
	return true;
}

/*
 * The changes that publishing "outputs" would make to major version
 * "major" and that break one of its releases; NIL if a minor or patch
 * release could take them.
 */
static List *
breaking_changes(const char *product, int32 major, ArrayType *outputs)
{
	List	   *changes = NIL;

	if (dp_impact_against_major(product, major,
								dp_contract_from_relations(outputs),
								&changes) != DP_IMPACT_MAJOR)
		return NIL;
	return changes;
}

/*
 * The registered consumers of a major version, in the order of their
 * database, server and the role they connected as.  Their names are the
 * consumer's data: each is quoted like an identifier, so that none can
 * pass for another.
 */
static List *
major_consumers(const char *product, int32 major)
{
	DpRows	   *rows;
	Oid			argtypes[2] = {TEXTOID, INT4OID};
	Datum		values[2] = {CStringGetTextDatum(product), Int32GetDatum(major)};
	List	   *consumers = NIL;

	rows = dp_catalog_query(DP_READ_LATEST,
							"SELECT consumer_database, consumer_server, consumer_role,"
							" connected_as::pg_catalog.oid"
							" FROM dataproduct.consumer"
							" WHERE product OPERATOR(pg_catalog.=) $1"
							" AND major OPERATOR(pg_catalog.=) $2"
							" ORDER BY 1, 2, 3, 4",
							2, argtypes, values, NULL);
	for (uint64 i = 0; i < rows->count; i++)
	{
		ImpactConsumer *c = palloc(sizeof(ImpactConsumer));

		c->who = psprintf("database %s, server %s, role %s, connected as %s",
						  quote_identifier(dp_rows_text(rows, i, 1)),
						  quote_identifier(dp_rows_text(rows, i, 2)),
						  quote_identifier(dp_rows_text(rows, i, 3)),
						  quote_identifier(dp_role_name(DatumGetObjectId(dp_rows_datum(rows, i, 4)))));
		consumers = lappend(consumers, c);
	}
	return consumers;
}

/*
 * Whether a change hits the role whose reads of one output "usage"
 * records: a change to the whole output hits every reader of it, a change
 * to a column those who read that column.
 */
static bool
reader_hit(DpUsage *usage, DpChange *change)
{
	ListCell   *lc;

	if (strcmp(usage->output, change->output) != 0)
		return false;
	if (change->column == NULL)
		return true;
	foreach(lc, usage->columns)
	{
		if (strcmp(lfirst(lc), change->column) == 0)
			return true;
	}
	return false;
}

/* Usage counters in the order of their output, then their role's name */
static int
usage_cmp(const ListCell *a, const ListCell *b)
{
	DpUsage    *ua = lfirst(a);
	DpUsage    *ub = lfirst(b);
	int			cmp = strcmp(ua->output, ub->output);

	return cmp != 0 ? cmp : strcmp(dp_role_name(ua->role), dp_role_name(ub->role));
}

/*
 * The rows of one change: one per consumer, then one per reader it hits,
 * or a single row with no party.
 */
static void
put_change(Tuplestorestate *store, TupleDesc tupdesc, DpChange *change,
		   ImpactParties *parties)
{
	bool		hit = false;
	ListCell   *lc;

	foreach(lc, parties->consumers)
	{
		put_party(store, tupdesc, change, "consumer",
				  ((ImpactConsumer *) lfirst(lc))->who, NULL);
		hit = true;
	}
	foreach(lc, parties->usage)
	{
		DpUsage    *u = lfirst(lc);

		if (!reader_hit(u, change))
			continue;
		put_party(store, tupdesc, change, "reader",
				  quote_identifier(dp_role_name(u->role)), u);
		hit = true;
	}
	if (!hit)
		put_party(store, tupdesc, change, NULL, NULL, NULL);
}

static void
put_party(Tuplestorestate *store, TupleDesc tupdesc, DpChange *change,
		  const char *kind, const char *who, DpUsage *usage)
{
	Datum		values[IMPACT_COLUMNS];
	bool		nulls[IMPACT_COLUMNS] = {false, change->column == NULL,
	false, false, kind == NULL, who == NULL, usage == NULL, usage == NULL};

	values[0] = dp_name_datum(change->output);
	values[1] = change->column ? dp_name_datum(change->column) : (Datum) 0;
	values[2] = CStringGetTextDatum(change->change);
	values[3] = CStringGetTextDatum(change->detail);
	values[4] = kind ? CStringGetTextDatum(kind) : (Datum) 0;
	values[5] = who ? CStringGetTextDatum(who) : (Datum) 0;
	values[6] = usage ? Int64GetDatum(usage->queries) : (Datum) 0;
	values[7] = usage ? TimestampTzGetDatum(usage->last_read) : (Datum) 0;
	tuplestore_putvalues(store, tupdesc, values, nulls);
}
