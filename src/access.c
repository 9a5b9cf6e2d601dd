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
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

PG_FUNCTION_INFO_V1(dp_grant_access);
PG_FUNCTION_INFO_V1(dp_revoke_access);

static DpMajor *access_arguments(FunctionCallInfo fcinfo, const char *action,
								 Oid *grantee);
static void change_privileges(DpMajor *major, Oid grantee, bool grant);
static void record_access(DpMajor *major, Oid grantee, bool grant);
static void check_consumers_keep_access(DpMajor *major, Oid grantee,
										bool force);

/*
 * grant_access(product text, major integer, grantee regrole)
 */
Datum
dp_grant_access(PG_FUNCTION_ARGS)
{
	DpMajor    *major;
	Oid			grantee;

	dp_catalog_connect(false);
	major = access_arguments(fcinfo, "grant access to", &grantee);
	change_privileges(major, grantee, true);
	record_access(major, grantee, true);
	dp_catalog_finish();
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
	bool		force = !PG_ARGISNULL(3) && PG_GETARG_BOOL(3);

	dp_catalog_connect(false);
	major = access_arguments(fcinfo, "revoke access to", &grantee);
	dp_lock_major(major->product->name, major->latest.major, true);
	change_privileges(major, grantee, false);
	record_access(major, grantee, false);
	check_consumers_keep_access(major, grantee, force);
	dp_catalog_finish();
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
	/* after a concurrent publish(), to see the views it added */
	dp_lock_product(product->name);
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
 * A live major version of a product whose domain the caller acts for.
 */
DpMajor *
dp_major_for_owner(DpProduct *product, int32 major, const char *action)
{
	DpMajor    *m;

	dp_check_acts_for_domain(product, action);
	m = dp_get_live_major(product, major);
	if (m == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("data product \"%s\" has no live major version %d",
						product->name, major),
				 errhint("The live major versions are listed in dataproduct.catalog.")));
	return m;
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
		dp_catalog_exec("INSERT INTO dataproduct.access (product, major, grantee, granted_by)"
						" VALUES ($1, $2, $3::pg_catalog.regrole, $4)"
						" ON CONFLICT (product, major, grantee) DO NOTHING",
						4, argtypes, values, NULL);
	else
		dp_catalog_exec("DELETE FROM dataproduct.access"
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
	List	   *keys = NIL;
	StringInfoData lost;
	ListCell   *lc;

	values[0] = CStringGetTextDatum(major->product->name);
	values[1] = Int32GetDatum(major->latest.major);
	dp_catalog_exec("SELECT connected_as::pg_catalog.oid, consumer_system,"
					" consumer_database, consumer_server, consumer_role"
					" FROM dataproduct.consumer"
					" WHERE product OPERATOR(pg_catalog.=) $1"
					" AND major OPERATOR(pg_catalog.=) $2"
					" ORDER BY consumer_database, consumer_server",
					2, argtypes, values, NULL);

	initStringInfo(&lost);
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		Oid			role = DatumGetObjectId(dp_result_datum(i, 1));

		/* a role dropped since it registered reads nothing */
		if (GetUserNameFromId(role, true) != NULL &&
			dp_may_read_major(role, major))
			continue;
		appendStringInfo(&lost, "\ndatabase \"%s\" (role \"%s\", server \"%s\") connecting as role \"%s\"",
						 dp_result_text(i, 3), dp_result_text(i, 5),
						 dp_result_text(i, 4), dp_role_name(role));
		keys = lappend(keys, list_make3(dp_result_text(i, 2),
										dp_result_text(i, 3),
										dp_result_text(i, 4)));
	}
	if (keys == NIL)
		return;
	if (!force)
		ereport(ERROR,
				(errcode(ERRCODE_DEPENDENT_OBJECTS_STILL_EXIST),
				 errmsg("cannot revoke access to major version %d of data product \"%s\" from role \"%s\"",
						major->latest.major, major->product->name,
						GetUserNameFromId(grantee, false)),
				 errdetail_plural("%d registered consumer of schema \"%s\" would lose access:%s",
								  "%d registered consumers of schema \"%s\" would lose access:%s",
								  list_length(keys), list_length(keys),
								  major->schema, lost.data),
				 errhint("Ask them to unsubscribe, or pass force => true to cut them off.")));

	foreach(lc, keys)
	{
		List	   *key = lfirst(lc);

		dp_delete_registration(major->product->name, major->latest.major,
							   linitial(key), lsecond(key), lthird(key));
	}
	ereport(WARNING,
			(errmsg_plural("%d consumer of major version %d of data product \"%s\" lost access and was unregistered",
						   "%d consumers of major version %d of data product \"%s\" lost access and were unregistered",
						   list_length(keys), list_length(keys),
						   major->latest.major, major->product->name),
			 errdetail("Their foreign tables remain, and fail when read:%s", lost.data)));
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
	List	   *grantees = NIL;
	ListCell   *lc;

	/* a library newer than the installed extension script has no table */
	if (!OidIsValid(get_relname_relid("access", get_namespace_oid(DP_SCHEMA_NAME, false))))
		return;

	values[0] = CStringGetTextDatum(major->product->name);
	values[1] = Int32GetDatum(major->latest.major);
	dp_catalog_exec("SELECT grantee::pg_catalog.oid FROM dataproduct.access"
					" WHERE product OPERATOR(pg_catalog.=) $1"
					" AND major OPERATOR(pg_catalog.=) $2",
					2, argtypes, values, NULL);
	for (uint64 i = 0; i < SPI_processed; i++)
		grantees = lappend_oid(grantees, DatumGetObjectId(dp_result_datum(i, 1)));
	foreach(lc, grantees)
		change_privileges(major, lfirst_oid(lc), true);
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
