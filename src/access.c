/*-------------------------------------------------------------------------
 *
 * access.c
 *		  grant_access() and revoke_access(): who may read a major version
 *
 * Reading a major version means USAGE on its schema and SELECT on its
 * views, nothing else: the views read the domain's internal relations with
 * the domain owner's privileges, so a grantee never needs, nor gets, any
 * privilege on them.  Grants are made by the domain owner, recorded in
 * dataproduct.access, and re-applied by every later release of the major,
 * so that outputs added by a minor release are readable too.  The guard
 * refuses REVOKE on version schemas; revoke_access() is the way to end
 * access, and it will not silently cut off registered consumers.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "dataproduct.h"

#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"

PG_FUNCTION_INFO_V1(dp_grant_access);
PG_FUNCTION_INFO_V1(dp_revoke_access);

static DpMajor *access_arguments(FunctionCallInfo fcinfo, const char *action,
								 Oid *grantee);
static void change_privileges(DpMajor *major, Oid grantee, bool grant);
static void record_access(DpMajor *major, Oid grantee, bool grant);
static void check_consumers_keep_access(DpMajor *major, Oid grantee,
										bool force);
static void unregister_roles(DpMajor *major, List *roles);
static void check_not_retired(DpProduct *product, int32 major);
static char *major_status(const char *product, int32 major, int32 *highest);

/*
 * grant_access(product text, major integer, grantee regrole)
 */
Datum
dp_grant_access(PG_FUNCTION_ARGS)
{
	DpMajor    *major;
	Oid			grantee;

	major = access_arguments(fcinfo, "grant access to", &grantee);
	change_privileges(major, grantee, true);
	record_access(major, grantee, true);
	PG_RETURN_VOID();
}

/*
 * revoke_access(product text, major integer, grantee regrole, force boolean)
 *
 * Consumers registered through a role that loses access would fail at their
 * next query: without "force" that is refused, with it their registrations
 * go too.
 */
Datum
dp_revoke_access(PG_FUNCTION_ARGS)
{
	DpMajor    *major;
	Oid			grantee;
	bool		force;

	if (PG_ARGISNULL(3) && !PG_ARGISNULL(0) && !PG_ARGISNULL(1) &&
		!PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("product, major, grantee and force must not be null")));
	major = access_arguments(fcinfo, "revoke access to", &grantee);
	force = PG_GETARG_BOOL(3);
	/* wait for registrations in progress, and see what they committed */
	dp_lock_major(major->product->name, major->latest.major, true);
	AcceptInvalidationMessages();
	change_privileges(major, grantee, false);
	record_access(major, grantee, false);
	check_consumers_keep_access(major, grantee, force);
	PG_RETURN_VOID();
}

/*
 * The major version the first two arguments name, once the caller is known
 * to act for its domain; the grantee from the third.
 */
static DpMajor *
access_arguments(FunctionCallInfo fcinfo, const char *action, Oid *grantee)
{
	DpProduct  *product;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("product, major and grantee must not be null")));
	*grantee = PG_GETARG_OID(2);
	/* a dropped role, given by OID */
	if (GetUserNameFromId(*grantee, true) == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("role with OID %u does not exist", *grantee)));
	product = dp_get_product(text_to_cstring(PG_GETARG_TEXT_PP(0)), false);
	/*
	 * Wait for a concurrent publish(), to see the views it added.  The row
	 * lock wait processes no invalidation messages: catch up with what the
	 * transaction we waited for changed before checking anything.
	 */
	dp_lock_product(product->name);
	AcceptInvalidationMessages();
	if (*grantee == product->owner)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_GRANT_OPERATION),
				 errmsg("role \"%s\" owns the versions of data product \"%s\"",
						GetUserNameFromId(*grantee, false), product->name),
				 errdetail("The owner of domain \"%s\" always reads its products.",
						   product->domain)));
	return dp_major_for_owner(product, PG_GETARG_INT32(1), action);
}

/*
 * Only the owner of the product's domain, its members and superusers may
 * publish its products or give access to them.
 */
void
dp_check_acts_for_domain(DpProduct *product, const char *action)
{
	if (!has_privs_of_role(GetUserId(), product->owner))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to %s data product \"%s\"",
						action, product->name),
				 errdetail("Only the owner of domain \"%s\", role \"%s\", and its members may %s its products.",
						   product->domain,
						   GetUserNameFromId(product->owner, false), action)));
}

/*
 * A live major version of a product, or an error saying why there is none:
 * the product never had it (42704), or it is retired (55000).  "action"
 * says what the caller does for the product's domain, which it must act
 * for (dp_check_acts_for_domain()); NULL for a consumer, who acts for none.
 */
DpMajor *
dp_major_for_owner(DpProduct *product, int32 major, const char *action)
{
	DpMajor    *m;

	if (action != NULL)
		dp_check_acts_for_domain(product, action);
	m = dp_get_live_major(product, major);
	if (m != NULL)
		return m;
	check_not_retired(product, major);
	ereport(ERROR,
			(errcode(ERRCODE_UNDEFINED_OBJECT),
			 errmsg("data product \"%s\" has no major version %d",
					product->name, major),
			 errhint("The live major versions are listed in dataproduct.catalog.")));
	return NULL;				/* keep compiler quiet */
}

/*
 * An error if major version "major" of a product is retired.  A retired
 * major version serves nothing, and its number is never used again: a
 * consumer that still knows it must not find something else under it.
 */
static void
check_not_retired(DpProduct *product, int32 major)
{
	int32		highest;
	char	   *status = major_status(product->name, major, &highest);

	if (status == NULL || strcmp(status, "retired") != 0)
		return;
	ereport(ERROR,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("major version %d of data product \"%s\" is retired",
					major, product->name),
			 errdetail("A retired major version serves no one, and its number is never used again."),
			 errhint("Publish the outputs as version " INT64_FORMAT ".0.0, a new major version, or use one of the live major versions listed in dataproduct.catalog.",
					 (int64) highest + 1)));
}

/*
 * The status of a major version of a product, or NULL if it has none; and
 * the product's highest major version number.
 */
static char *
major_status(const char *product, int32 major, int32 *highest)
{
	Oid			argtypes[2] = {TEXTOID, INT4OID};
	Datum		values[2] = {CStringGetTextDatum(product), Int32GetDatum(major)};
	DpRows	   *rows;

	rows = dp_catalog_query(DP_READ_LATEST,
							"SELECT (SELECT status FROM dataproduct.major_version"
							"         WHERE product OPERATOR(pg_catalog.=) $1"
							"           AND major OPERATOR(pg_catalog.=) $2),"
							" (SELECT pg_catalog.max(major) FROM dataproduct.major_version"
							"   WHERE product OPERATOR(pg_catalog.=) $1)",
							2, argtypes, values, NULL);
	*highest = dp_rows_isnull(rows, 0, 2) ? -1 :
		DatumGetInt32(dp_rows_datum(rows, 0, 2));
	return dp_rows_text(rows, 0, 1);
}

/*
 * GRANT or REVOKE, as the domain owner who owns schema and views.
 */
static void
change_privileges(DpMajor *major, Oid grantee, bool grant)
{
	const char *schema = quote_identifier(major->schema);
	const char *role = quote_identifier(GetUserNameFromId(grantee, false));
	Oid			owner = major->product->owner;

	if (grant)
	{
		dp_guard_bypass_execute(owner, psprintf("GRANT USAGE ON SCHEMA %s TO %s",
												schema, role));
		dp_guard_bypass_execute(owner, psprintf("GRANT SELECT ON ALL TABLES IN SCHEMA %s TO %s",
												schema, role));
	}
	else
	{
		dp_guard_bypass_execute(owner, psprintf("REVOKE SELECT ON ALL TABLES IN SCHEMA %s FROM %s",
												schema, role));
		dp_guard_bypass_execute(owner, psprintf("REVOKE USAGE ON SCHEMA %s FROM %s",
												schema, role));
	}
}

static void
record_access(DpMajor *major, Oid grantee, bool grant)
{
	Oid			argtypes[4] = {TEXTOID, INT4OID, OIDOID, NAMEOID};
	Datum		values[4];

	values[0] = CStringGetTextDatum(major->product->name);
	values[1] = Int32GetDatum(major->latest.major);
	values[2] = ObjectIdGetDatum(grantee);
	values[3] = dp_name_datum(GetUserNameFromId(GetUserId(), false));
	if (grant)
		(void) dp_catalog_query(DP_WRITE,
								"INSERT INTO dataproduct.access (product, major, grantee, granted_by)"
								" VALUES ($1, $2, $3::pg_catalog.regrole, $4)"
								" ON CONFLICT (product, major, grantee) DO NOTHING",
								4, argtypes, values, NULL);
	else
		(void) dp_catalog_query(DP_WRITE,
								"DELETE FROM dataproduct.access"
								" WHERE product OPERATOR(pg_catalog.=) $1"
								" AND major OPERATOR(pg_catalog.=) $2"
								" AND grantee OPERATOR(pg_catalog.=) $3::pg_catalog.regrole",
								3, argtypes, values, NULL);
}

/*
 * After a REVOKE: every registered consumer must still be able to read the
 * major version, unless "force", which unregisters those who cannot.
 */
static void
check_consumers_keep_access(DpMajor *major, Oid grantee, bool force)
{
	Oid			argtypes[2] = {TEXTOID, INT4OID};
	Datum		values[2];
	DpRows	   *rows;
	List	   *roles = NIL;
	int			nlost = 0;
	StringInfoData lost;

	values[0] = CStringGetTextDatum(major->product->name);
	values[1] = Int32GetDatum(major->latest.major);
	rows = dp_catalog_query(DP_READ_LATEST,
							"SELECT connected_as::pg_catalog.oid, consumer_database,"
							" consumer_server, consumer_role"
							" FROM dataproduct.consumer"
							" WHERE product OPERATOR(pg_catalog.=) $1"
							" AND major OPERATOR(pg_catalog.=) $2"
							" ORDER BY consumer_database, consumer_server,"
							" connected_as::pg_catalog.oid",
							2, argtypes, values, NULL);

	initStringInfo(&lost);
	for (uint64 i = 0; i < rows->count; i++)
	{
		Oid			role = DatumGetObjectId(dp_rows_datum(rows, i, 1));

		/* a role dropped since it registered reads nothing */
		if (GetUserNameFromId(role, true) != NULL &&
			dp_may_read_major(role, major))
			continue;
		appendStringInfo(&lost, "\ndatabase \"%s\" (role \"%s\", server \"%s\") connecting as role \"%s\"",
						 dp_rows_text(rows, i, 2), dp_rows_text(rows, i, 4),
						 dp_rows_text(rows, i, 3), dp_role_name(role));
		roles = list_append_unique_oid(roles, role);
		nlost++;
	}
	if (nlost == 0)
		return;
	if (!force)
		ereport(ERROR,
				(errcode(ERRCODE_DEPENDENT_OBJECTS_STILL_EXIST),
				 errmsg("cannot revoke access to major version %d of data product \"%s\" from role \"%s\"",
						major->latest.major, major->product->name,
						GetUserNameFromId(grantee, false)),
				 errdetail_plural("%d registered consumer of schema \"%s\" would lose access:%s",
								  "%d registered consumers of schema \"%s\" would lose access:%s",
								  nlost, nlost, major->schema, lost.data),
				 errhint("Ask them to unsubscribe, or pass force => true to cut them off.")));

	unregister_roles(major, roles);
	ereport(WARNING,
			(errmsg_plural("%d consumer of major version %d of data product \"%s\" lost access and was unregistered",
						   "%d consumers of major version %d of data product \"%s\" lost access and were unregistered",
						   nlost, nlost, major->latest.major, major->product->name),
			 errdetail("Their foreign tables remain, and fail when read:%s", lost.data)));
}

/*
 * Remove every registration for a major version made by one of "roles":
 * a registration is its role's (registry.c), so a role that can no longer
 * read the major version has none left.
 */
static void
unregister_roles(DpMajor *major, List *roles)
{
	Oid			argtypes[3] = {TEXTOID, INT4OID, OIDARRAYOID};
	Datum		values[3];
	Datum	   *oids = palloc(sizeof(Datum) * list_length(roles));
	int			n = 0;
	ListCell   *lc;

	foreach(lc, roles)
		oids[n++] = ObjectIdGetDatum(lfirst_oid(lc));
	values[0] = CStringGetTextDatum(major->product->name);
	values[1] = Int32GetDatum(major->latest.major);
	values[2] = PointerGetDatum(construct_array(oids, n, OIDOID, sizeof(Oid),
												true, TYPALIGN_INT));
	(void) dp_catalog_query(DP_WRITE,
							"DELETE FROM dataproduct.consumer"
							" WHERE product OPERATOR(pg_catalog.=) $1"
							" AND major OPERATOR(pg_catalog.=) $2"
							" AND connected_as::pg_catalog.oid OPERATOR(pg_catalog.=) ANY ($3)",
							3, argtypes, values, NULL);
}

/*
 * May "role" read the latest release of a major version: USAGE on its
 * schema and SELECT on every view?
 */
bool
dp_may_read_major(Oid role, DpMajor *major)
{
	Oid			nspoid = get_namespace_oid(major->schema, true);
	ListCell   *lc;

	if (!OidIsValid(nspoid) ||
		dp_namespace_aclcheck(nspoid, role, ACL_USAGE) != ACLCHECK_OK)
		return false;
	foreach(lc, major->outputs)
	{
		Oid			relid = get_relname_relid(lfirst(lc), nspoid);

		if (!OidIsValid(relid) ||
			pg_class_aclcheck(relid, role, ACL_SELECT) != ACLCHECK_OK)
			return false;
	}
	return true;
}

/*
 * A new release of a major version: roles granted access to it may read
 * the outputs it added.  (Replaced views keep their privileges.)
 */
void
dp_apply_access(DpMajor *major)
{
	Oid			argtypes[2] = {TEXTOID, INT4OID};
	Datum		values[2];
	ListCell   *lc;

	/* a library newer than the installed extension script has no table */
	if (!OidIsValid(get_relname_relid("access", dp_extension_schema())))
		return;

	values[0] = CStringGetTextDatum(major->product->name);
	values[1] = Int32GetDatum(major->latest.major);
	/* a role dropped since it was granted access has nothing to keep */
	(void) dp_catalog_query(DP_WRITE,
							"DELETE FROM dataproduct.access a"
							" WHERE product OPERATOR(pg_catalog.=) $1"
							" AND major OPERATOR(pg_catalog.=) $2"
							" AND NOT EXISTS (SELECT FROM pg_catalog.pg_roles r"
							"  WHERE r.oid OPERATOR(pg_catalog.=) a.grantee::pg_catalog.oid)",
							2, argtypes, values, NULL);
	foreach(lc, dp_major_grantees(major->product->name, major->latest.major))
		change_privileges(major, lfirst_oid(lc), true);
}

/*
 * The roles grant_access() let read a major version, those that still
 * exist; none on a catalog from before sharing, which has no access table.
 */
List *
dp_major_grantees(const char *product, int32 major)
{
	Oid			argtypes[2] = {TEXTOID, INT4OID};
	Datum		values[2] = {CStringGetTextDatum(product), Int32GetDatum(major)};
	DpRows	   *rows;
	List	   *grantees = NIL;

	if (!OidIsValid(get_relname_relid("access", dp_extension_schema())))
		return NIL;
	rows = dp_catalog_query(DP_READ_LATEST,
							"SELECT grantee::pg_catalog.oid FROM dataproduct.access"
							" WHERE product OPERATOR(pg_catalog.=) $1"
							" AND major OPERATOR(pg_catalog.=) $2",
							2, argtypes, values, NULL);
	for (uint64 i = 0; i < rows->count; i++)
	{
		Oid			role = DatumGetObjectId(dp_rows_datum(rows, i, 1));

		if (SearchSysCacheExists1(AUTHOID, ObjectIdGetDatum(role)))
			grantees = lappend_oid(grantees, role);
	}
	return grantees;
}

/*
 * A role's name for a message; roles recorded in the catalog as regrole may
 * have been dropped since.
 */
char *
dp_role_name(Oid role)
{
	char	   *name = GetUserNameFromId(role, true);

	return name ? name : psprintf("%u", role);
}
