/*-------------------------------------------------------------------------
 *
 * lifecycle.c
 *		  deprecate(), undeprecate() and retire(): the end of a major version
 *
 * A major version is supported for as long as it has users.  The domain
 * marks it deprecated, with a sunset date and a message for its consumers
 * (catalog, the version schema's COMMENT, remote_catalog and subscribe()
 * show them), and retires it once nobody uses it: its schema is dropped,
 * its grants and access rows go, and its releases and contracts stay in
 * the catalog for history.  A deprecated major takes no new release; a
 * retired major's number is never used again (access.c).
 *
 * Who uses a major: the consumers registered for it (registry.c) and, when
 * usage tracking is loaded (usage.c), the roles outside the domain that
 * read it since it was deprecated.  retire() refuses while there are any,
 * and while the sunset date is ahead, unless forced; it never drops objects
 * outside the version schema that depend on its views.
 *
 * Each function locks the product's row, as publish() and grant_access()
 * do, and then the major version's row, as revoke_access() does: so a
 * deprecation and a release, or a retirement and a consumer registering,
 * happen one after the other, each checking what the other committed.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "dataproduct.h"

#include "catalog/pg_type.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/inval.h"
#include "utils/timestamp.h"

PG_FUNCTION_INFO_V1(dp_deprecate);
PG_FUNCTION_INFO_V1(dp_undeprecate);
PG_FUNCTION_INFO_V1(dp_retire);

/* What the catalog says about the lifecycle of a major version */
/* the longest deprecation message, in characters */
#define MAX_MESSAGE_LENGTH 1000

typedef struct Lifecycle
{
	bool		deprecated;
	char	   *sunset;			/* YYYY-MM-DD, or NULL */
	bool		sunset_ahead;	/* the sunset date is after today */
	char	   *message;		/* or NULL */
	bool		since_known;	/* deprecated_at is set */
	TimestampTz since;			/* deprecated_at */
} Lifecycle;

static DpMajor *lifecycle_major(FunctionCallInfo fcinfo, const char *action);
static Lifecycle *read_lifecycle(DpMajor *major);
static void comment_major(DpMajor *major, Lifecycle *state);
static void check_retirable(DpMajor *major, Lifecycle *state, bool force);
static void check_message(const char *message);
static void check_no_dependents(DpMajor *major);
static void drop_version_schema(DpMajor *major);
static void warn_if_early(DpMajor *major, Lifecycle *state);
static int	registered_consumers(DpMajor *major, StringInfo lines);
static int	recent_readers(DpMajor *major, Lifecycle *state,
						   StringInfo lines);
static void record_retirement(DpMajor *major);
static void major_key(DpMajor *major, Datum *values);

/*
 * A deprecation message goes to every reader and consumer, in the schema's
 * comment, in WARNINGs and to other servers: a sentence or two of text,
 * no control characters (escape sequences would reach their terminals).
 */
static void
check_message(const char *message)
{
	if (pg_mbstrlen(message) > MAX_MESSAGE_LENGTH)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("deprecation message is too long"),
				 errdetail("A deprecation message has at most %d characters.",
						   MAX_MESSAGE_LENGTH)));
	for (const char *p = message; *p; p++)
	{
		if ((unsigned char) *p < 0x20 || *p == 0x7f)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("deprecation message contains a control character"),
					 errdetail("Readers see the message in warnings and comments: write it on one line of plain text.")));
	}
}

/*
 * deprecate(product text, major integer, sunset date, message text)
 *
 * Again on a deprecated major, it keeps the time it was first deprecated
 * and changes the sunset date and message it is given (a NULL keeps the
 * one set before).  A sunset date already past is accepted: the major may
 * then be retired as soon as nobody uses it.
 */
Datum
dp_deprecate(PG_FUNCTION_ARGS)
{
	DpMajor    *major = lifecycle_major(fcinfo, "deprecate");
	Oid			argtypes[4] = {TEXTOID, INT4OID, DATEOID, TEXTOID};
	Datum		values[4];
	char		nulls[4] = "   ";
	Lifecycle  *state;

	if (!PG_ARGISNULL(3))
		check_message(text_to_cstring(PG_GETARG_TEXT_PP(3)));
	major_key(major, values);
	nulls[2] = PG_ARGISNULL(2) ? 'n' : ' ';
	values[2] = PG_ARGISNULL(2) ? (Datum) 0 : PG_GETARG_DATUM(2);
	nulls[3] = PG_ARGISNULL(3) ? 'n' : ' ';
	values[3] = PG_ARGISNULL(3) ? (Datum) 0 : PG_GETARG_DATUM(3);
	(void) dp_catalog_query(DP_WRITE,
							"UPDATE dataproduct.major_version"
							" SET deprecated_at = CASE WHEN status OPERATOR(pg_catalog.=) 'deprecated'"
							"  THEN deprecated_at ELSE pg_catalog.now() END,"
							" status = 'deprecated',"
							" sunset = COALESCE($3, sunset),"
							" message = COALESCE($4, message)"
							" WHERE product OPERATOR(pg_catalog.=) $1"
							" AND major OPERATOR(pg_catalog.=) $2",
							4, argtypes, values, nulls);
	state = read_lifecycle(major);
	comment_major(major, state);
	if (!PG_ARGISNULL(2) && PG_GETARG_DATEADT(2) < GetSQLCurrentDate())
		ereport(NOTICE,
				(errmsg("the sunset date of major version %d of data product \"%s\", %s, is past",
						major->latest.major, major->product->name,
						state->sunset),
				 errdetail("It can be retired as soon as nobody uses it.")));
	PG_RETURN_VOID();
}

/*
 * undeprecate(product text, major integer)
 *
 * Takes a deprecation back: the major is published again, without sunset
 * date or message.
 */
Datum
dp_undeprecate(PG_FUNCTION_ARGS)
{
	DpMajor    *major = lifecycle_major(fcinfo, "undeprecate");
	Oid			argtypes[2] = {TEXTOID, INT4OID};
	Datum		values[2];

	if (strcmp(major->status, "deprecated") != 0)
	{
		ereport(NOTICE,
				(errmsg("major version %d of data product \"%s\" is not deprecated, skipping",
						major->latest.major, major->product->name)));
		PG_RETURN_VOID();
	}
	major_key(major, values);
	(void) dp_catalog_query(DP_WRITE,
							"UPDATE dataproduct.major_version"
							" SET status = 'published', deprecated_at = NULL,"
							" sunset = NULL, message = NULL"
							" WHERE product OPERATOR(pg_catalog.=) $1"
							" AND major OPERATOR(pg_catalog.=) $2",
							2, argtypes, values, NULL);
	comment_major(major, read_lifecycle(major));
	PG_RETURN_VOID();
}

/*
 * retire(product text, major integer, force boolean)
 */
Datum
dp_retire(PG_FUNCTION_ARGS)
{
	DpMajor    *major;
	Lifecycle  *state;
	bool		force;
	StringInfoData users;
	int			nusers;

	if (PG_ARGISNULL(2) && !PG_ARGISNULL(0) && !PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("product, major and force must not be null")));
	major = lifecycle_major(fcinfo, "retire");
	force = PG_GETARG_BOOL(2);
	state = read_lifecycle(major);
	check_retirable(major, state, force);
	check_no_dependents(major);

	initStringInfo(&users);
	nusers = registered_consumers(major, &users) +
		recent_readers(major, state, &users);
	if (nusers > 0 && !force)
		ereport(ERROR,
				(errcode(ERRCODE_DEPENDENT_OBJECTS_STILL_EXIST),
				 errmsg("cannot retire major version %d of data product \"%s\" while it has users",
						major->latest.major, major->product->name),
				 errdetail_plural("Schema \"%s\" has %d user:%s",
								  "Schema \"%s\" has %d users:%s",
								  nusers, major->schema, nusers, users.data),
				 errhint("Ask them to move to a newer major version and unsubscribe, or pass force => true to cut them off.")));

	drop_version_schema(major);
	record_retirement(major);
	warn_if_early(major, state);
	if (nusers > 0)
		ereport(WARNING,
				(errmsg("major version %d of data product \"%s\" was retired while it had users",
						major->latest.major, major->product->name),
				 errdetail_plural("%d user lost schema \"%s\", and any registration was removed:%s",
								  "%d users lost schema \"%s\", and their registrations were removed:%s",
								  nusers, nusers, major->schema, users.data)));
	PG_RETURN_VOID();
}

/*
 * A publish() into a deprecated major version is refused: its consumers
 * are being moved off it, and a new release would keep them on it.
 */
void
dp_check_not_deprecated(DpMajor *major)
{
	Oid			argtypes[1] = {TEXTOID};
	Datum		values[1] = {CStringGetTextDatum(major->product->name)};
	DpRows	   *rows;
	int64		next;

	if (strcmp(major->status, "deprecated") != 0)
		return;
	rows = dp_catalog_query(DP_READ_LATEST,
							"SELECT pg_catalog.max(major) FROM dataproduct.major_version"
							" WHERE product OPERATOR(pg_catalog.=) $1",
							1, argtypes, values, NULL);
	next = (int64) DatumGetInt32(dp_rows_datum(rows, 0, 1)) + 1;
	ereport(ERROR,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("major version %d of data product \"%s\" is deprecated",
					major->latest.major, major->product->name),
			 errdetail("A deprecated major version takes no new release: its consumers are moving to a newer one."),
			 errhint("Publish the outputs as version " INT64_FORMAT ".0.0, a new major version, or take the deprecation back with SELECT dataproduct.undeprecate(%s, %d);",
					 next, quote_literal_cstr(major->product->name),
					 major->latest.major)));
}

/*
 * The live major version the first two arguments name, once the caller is
 * known to act for its domain, with the rows of its product and of itself
 * locked.  The row lock waits process no invalidation messages: catch up
 * with what the transactions waited for changed before checking anything.
 */
static DpMajor *
lifecycle_major(FunctionCallInfo fcinfo, const char *action)
{
	char	   *name;
	int32		major;
	DpProduct  *product;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("product and major must not be null")));
	name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	major = PG_GETARG_INT32(1);
	/* nobody but the domain makes others wait on its rows */
	dp_check_acts_for_domain(dp_get_product(name, false), action);
	dp_lock_product(name);
	dp_lock_major(name, major, true);
	AcceptInvalidationMessages();
	product = dp_get_product(name, false);
	return dp_major_for_owner(product, major, action);
}

static Lifecycle *
read_lifecycle(DpMajor *major)
{
	Oid			argtypes[2] = {TEXTOID, INT4OID};
	Datum		values[2];
	DpRows	   *rows;
	Lifecycle  *state = palloc0(sizeof(Lifecycle));

	major_key(major, values);
	rows = dp_catalog_query(DP_READ_LATEST,
							"SELECT status OPERATOR(pg_catalog.=) 'deprecated',"
							" pg_catalog.to_char(sunset, 'YYYY-MM-DD'),"
							" COALESCE(sunset OPERATOR(pg_catalog.>) CURRENT_DATE, false),"
							" message, deprecated_at"
							" FROM dataproduct.major_version"
							" WHERE product OPERATOR(pg_catalog.=) $1"
							" AND major OPERATOR(pg_catalog.=) $2",
							2, argtypes, values, NULL);
	Assert(rows->count == 1);
	state->deprecated = DatumGetBool(dp_rows_datum(rows, 0, 1));
	state->sunset = dp_rows_text(rows, 0, 2);
	state->sunset_ahead = DatumGetBool(dp_rows_datum(rows, 0, 3));
	state->message = dp_rows_text(rows, 0, 4);
	state->since_known = !dp_rows_isnull(rows, 0, 5);
	if (state->since_known)
		state->since = DatumGetTimestampTz(dp_rows_datum(rows, 0, 5));
	return state;
}

/*
 * The version schema's COMMENT: what publish() writes, and for a deprecated
 * major its sunset date and message.
 */
static void
comment_major(DpMajor *major, Lifecycle *state)
{
	StringInfoData comment;

	initStringInfo(&comment);
	appendStringInfo(&comment, "Major version %d of data product \"%s\" (latest release %s, domain \"%s\")",
					 major->latest.major, major->product->name,
					 dp_version_string(major->latest), major->product->domain);
	if (state->deprecated)
	{
		appendStringInfoString(&comment, ". Deprecated");
		if (state->sunset != NULL)
			appendStringInfo(&comment, ", sunset %s", state->sunset);
		if (state->message != NULL)
			appendStringInfo(&comment, ": %s", state->message);
	}
	dp_guard_bypass_execute(major->product->owner,
							psprintf("COMMENT ON SCHEMA %s IS %s",
									 quote_identifier(major->schema),
									 quote_literal_cstr(comment.data)));
}

/*
 * Only a deprecated major whose sunset date is not ahead is retired, so
 * that its consumers were told, and had the time they were promised;
 * "force" overrides both.
 */
static void
check_retirable(DpMajor *major, Lifecycle *state, bool force)
{
	if (force)
		return;
	if (!state->deprecated)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("major version %d of data product \"%s\" is not deprecated",
						major->latest.major, major->product->name),
				 errdetail("A major version is retired once its consumers were told, by its deprecation, to move to a newer one."),
				 errhint("Deprecate it first, with a sunset date and a message for its consumers: SELECT dataproduct.deprecate(%s, %d, sunset => date '...', message => '...');",
						 quote_literal_cstr(major->product->name),
						 major->latest.major)));
	if (state->sunset_ahead)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("the sunset date of major version %d of data product \"%s\" is %s",
						major->latest.major, major->product->name,
						state->sunset),
				 errdetail("Its consumers were promised it until then."),
				 errhint("Wait until %s, or pass force => true.",
						 state->sunset)));
}

/*
 * A forced retirement of a major version that was never deprecated, or
 * before its sunset date, broke a promise to its consumers: say which.
 */
static void
warn_if_early(DpMajor *major, Lifecycle *state)
{
	if (!state->deprecated)
		ereport(WARNING,
				(errmsg("major version %d of data product \"%s\" was retired without being deprecated first",
						major->latest.major, major->product->name),
				 errdetail("Its consumers were never told, by a deprecation, to move to a newer major version.")));
	else if (state->sunset_ahead)
		ereport(WARNING,
				(errmsg("major version %d of data product \"%s\" was retired before its sunset date, %s",
						major->latest.major, major->product->name,
						state->sunset),
				 errdetail("Its consumers were promised it until then.")));
}

/*
 * Dropping the version schema would drop whatever outside it depends on
 * its views or their row types (a view of a consumer in this database,
 * another product's version, a column or function of a view's row type):
 * retire() never does that, forced or not.
 */
static void
check_no_dependents(DpMajor *major)
{
	Oid			argtypes[1] = {NAMEOID};
	Datum		values[1] = {dp_name_datum(major->schema)};
	DpRows	   *rows;
	StringInfoData list;

	rows = dp_run_as(InvalidOid, DP_READ_LATEST,
					 "WITH nsp AS (SELECT n.oid FROM pg_catalog.pg_namespace n"
					 "              WHERE n.nspname OPERATOR(pg_catalog.=) $1)"
					 " SELECT DISTINCT pg_catalog.pg_describe_object(o.classid, o.objid, o.objsubid)"
					 " FROM pg_catalog.pg_depend d"
					 " LEFT JOIN pg_catalog.pg_rewrite w"
					 "   ON d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_rewrite'::pg_catalog.regclass"
					 "  AND w.oid OPERATOR(pg_catalog.=) d.objid"
					 " CROSS JOIN LATERAL (SELECT"
					 "   CASE WHEN w.oid IS NULL THEN d.classid"
					 "   ELSE 'pg_catalog.pg_class'::pg_catalog.regclass END AS classid,"
					 "   COALESCE(w.ev_class, d.objid) AS objid,"
					 "   CASE WHEN w.oid IS NULL THEN d.objsubid ELSE 0 END AS objsubid) o"
					 " WHERE d.deptype OPERATOR(pg_catalog.=) 'n'"
					 " AND ((d.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass"
					 "       AND d.refobjid IN (SELECT c.oid FROM pg_catalog.pg_class c"
					 "        WHERE c.relnamespace OPERATOR(pg_catalog.=) (SELECT oid FROM nsp)))"
					 "   OR (d.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_type'::pg_catalog.regclass"
					 "       AND d.refobjid IN (SELECT t.oid FROM pg_catalog.pg_type t"
					 "        WHERE t.typnamespace OPERATOR(pg_catalog.=) (SELECT oid FROM nsp))))"
					 " AND (pg_catalog.pg_identify_object(o.classid, o.objid, 0)).schema"
					 "   IS DISTINCT FROM pg_catalog.quote_ident($1)"
					 " ORDER BY 1",
					 1, argtypes, values, NULL);
	if (rows->count == 0)
		return;
	initStringInfo(&list);
	for (uint64 i = 0; i < rows->count; i++)
		appendStringInfo(&list, "\n%s", dp_rows_text(rows, i, 1));
	ereport(ERROR,
			(errcode(ERRCODE_DEPENDENT_OBJECTS_STILL_EXIST),
			 errmsg("cannot retire major version %d of data product \"%s\" while objects outside schema \"%s\" depend on it",
					major->latest.major, major->product->name, major->schema),
			 errdetail("Dropping the schema would drop them too:%s", list.data),
			 errhint("Drop them, or have them read a newer major version, first; retire() drops nothing outside the version schema, even when forced.")));
}

/*
 * Drop the version schema's views, then the schema, without CASCADE: if
 * anything outside depends on them that check_no_dependents() did not
 * list, PostgreSQL refuses and lists it, and nothing is dropped.
 */
static void
drop_version_schema(DpMajor *major)
{
	Oid			argtypes[1] = {NAMEOID};
	Datum		values[1] = {dp_name_datum(major->schema)};
	DpRows	   *rows;
	StringInfoData sql;

	rows = dp_run_as(InvalidOid, DP_READ_LATEST,
					 "SELECT c.relname FROM pg_catalog.pg_class c"
					 " JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace"
					 " WHERE n.nspname OPERATOR(pg_catalog.=) $1"
					 " AND c.relkind OPERATOR(pg_catalog.=) 'v'"
					 " ORDER BY 1",
					 1, argtypes, values, NULL);
	initStringInfo(&sql);
	if (rows->count > 0)
	{
		appendStringInfoString(&sql, "DROP VIEW ");
		for (uint64 i = 0; i < rows->count; i++)
			appendStringInfo(&sql, "%s%s", i > 0 ? ", " : "",
							 quote_qualified_identifier(major->schema,
														dp_rows_text(rows, i, 1)));
		appendStringInfoString(&sql, " RESTRICT; ");
	}
	appendStringInfo(&sql, "DROP SCHEMA IF EXISTS %s RESTRICT",
					 quote_identifier(major->schema));
	dp_guard_bypass_execute(major->product->owner, sql.data);
}

/*
 * The consumers registered for the major version, one line each; their
 * number.
 */
static int
registered_consumers(DpMajor *major, StringInfo lines)
{
	Oid			argtypes[2] = {TEXTOID, INT4OID};
	Datum		values[2];
	DpRows	   *rows;

	major_key(major, values);
	rows = dp_catalog_query(DP_READ_LATEST,
							"SELECT consumer_database, consumer_role, consumer_server,"
							" connected_as::pg_catalog.oid, version"
							" FROM dataproduct.consumer"
							" WHERE product OPERATOR(pg_catalog.=) $1"
							" AND major OPERATOR(pg_catalog.=) $2"
							" ORDER BY consumer_database, consumer_server,"
							" connected_as::pg_catalog.text",
							2, argtypes, values, NULL);
	for (uint64 i = 0; i < rows->count; i++)
		appendStringInfo(lines, "\nconsumer database \"%s\" (role \"%s\", server \"%s\") connecting as role \"%s\", registered for version %s",
						 dp_rows_text(rows, i, 1), dp_rows_text(rows, i, 2),
						 dp_rows_text(rows, i, 3),
						 dp_role_name(DatumGetObjectId(dp_rows_datum(rows, i, 4))),
						 dp_rows_text(rows, i, 5));
	return (int) rows->count;
}

/*
 * The roles outside the domain (neither its owner, nor a member, nor a
 * superuser) that read the major version since it was deprecated (ever,
 * if it never was), one line each; their number.  Without usage tracking
 * nobody is known to read it, and a NOTICE says so.
 */
static int
recent_readers(DpMajor *major, Lifecycle *state, StringInfo lines)
{
	List	   *readers = NIL;
	ListCell   *lc;
	ListCell   *lc2;
	TimestampTz complete;

	if (!dp_usage_enabled())
	{
		ereport(NOTICE,
				(errmsg("usage tracking is off: only registered consumers count as users of major version %d of data product \"%s\"",
						major->latest.major, major->product->name),
				 errhint("Add dataproduct to shared_preload_libraries and restart the server to know who reads version schemas.")));
		return 0;
	}
	/* one entry per role: the first of its counters, summed up with the rest */
	foreach(lc, dp_usage_of_schema(major->schema))
	{
		DpUsage    *u = lfirst(lc);
		DpUsage    *sum = NULL;

		if (has_privs_of_role(u->role, major->product->owner) ||
			(state->since_known && u->last_read < state->since))
			continue;
		foreach(lc2, readers)
			if (((DpUsage *) lfirst(lc2))->role == u->role)
				sum = lfirst(lc2);
		if (sum == NULL)
		{
			readers = lappend(readers, u);
			continue;
		}
		sum->queries += u->queries;
		sum->last_read = Max(sum->last_read, u->last_read);
	}
	foreach(lc, readers)
	{
		DpUsage    *u = lfirst(lc);

		appendStringInfo(lines, "\nrole \"%s\" read it in " INT64_FORMAT " queries, last at %s",
						 dp_role_name(u->role), u->queries,
						 timestamptz_to_str(u->last_read));
	}
	/* no counter is no proof of no reader while counters were missing */
	complete = dp_usage_complete_since();
	if (!state->since_known || complete > state->since)
	{
		appendStringInfo(lines, "\nreaders usage tracking may have missed: it has counted every read only since %s",
						 timestamptz_to_str(complete));
		return list_length(readers) + 1;
	}
	return list_length(readers);
}

/*
 * The major version is retired: its releases and contracts stay, for
 * history; who was granted it and who registered for it go.
 */
static void
record_retirement(DpMajor *major)
{
	Oid			argtypes[2] = {TEXTOID, INT4OID};
	Datum		values[2];

	major_key(major, values);
	(void) dp_catalog_query(DP_WRITE,
							"WITH retired AS ("
							" UPDATE dataproduct.major_version"
							" SET status = 'retired', retired_at = pg_catalog.now()"
							" WHERE product OPERATOR(pg_catalog.=) $1"
							" AND major OPERATOR(pg_catalog.=) $2),"
							" unregistered AS ("
							" DELETE FROM dataproduct.consumer"
							" WHERE product OPERATOR(pg_catalog.=) $1"
							" AND major OPERATOR(pg_catalog.=) $2)"
							" DELETE FROM dataproduct.access"
							" WHERE product OPERATOR(pg_catalog.=) $1"
							" AND major OPERATOR(pg_catalog.=) $2",
							2, argtypes, values, NULL);
}

/* $1 and $2: the product and the major version number */
static void
major_key(DpMajor *major, Datum *values)
{
	values[0] = CStringGetTextDatum(major->product->name);
	values[1] = Int32GetDatum(major->latest.major);
}
