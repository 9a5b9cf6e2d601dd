/*-------------------------------------------------------------------------
 *
 * publish.c
 *		  publish(): releasing a version of a data product
 *
 * A release of major version N lives in schema <product>_v<N>, one view per
 * output, each a frozen copy of its source's query.  The first release of a
 * major creates the schema; later minor and patch releases replace its views
 * in place, which they may only do when the compatibility policy (compat.c)
 * finds nothing that breaks an earlier release of that major.
 *
 * Schema and views belong to the owner of the product's domain: consumers
 * read the base relations with that role's privileges, and that role can
 * only expose what it can read itself.  Everything happens in the caller's
 * transaction, so a failure anywhere leaves catalog and schemas untouched.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "dataproduct.h"

#include "catalog/namespace.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"

PG_FUNCTION_INFO_V1(dp_publish);

static void check_version_order(DpProduct *product, DpVersion version,
								bool major_exists);
static void check_compatible(DpProduct *product, DpVersion version,
							 List *candidate);
static void check_owner_can_read(DpProduct *product, List *candidate);
static void create_version_schema(DpProduct *product, DpVersion version,
								  const char *schema);
static void create_output_view(DpProduct *product, DpVersion version,
							   const char *schema, DpOutput *output,
							   bool replace);
static void revoke_default_writes(DpProduct *product, const char *view);
static char *literal_or_null(const char *str);
static void comment_version_schema(DpProduct *product, DpVersion version,
								   const char *schema);

/*
 * publish(product text, version text, outputs regclass[], notes text)
 *		RETURNS name
 */
Datum
dp_publish(PG_FUNCTION_ARGS)
{
	char	   *product_name;
	DpVersion	version;
	char	   *notes;
	char	   *schema;
	Name		result;
	DpProduct  *product;
	List	   *candidate;
	bool		major_exists;
	ListCell   *lc;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("product, version and outputs must not be null")));
	product_name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	version = dp_parse_version(text_to_cstring(PG_GETARG_TEXT_PP(1)));
	notes = PG_ARGISNULL(3) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(3));
	schema = dp_version_schema(product_name, version.major);
	result = (Name) palloc0(NAMEDATALEN);
	namestrcpy(result, schema);

	/*
	 * Locking the product's row waits for releases and access changes in
	 * progress; the wait processes no invalidation messages, so catch up
	 * with what they changed before checking anything.
	 */
	product = dp_get_product(product_name, true);
	AcceptInvalidationMessages();
	dp_check_acts_for_domain(product, "publish");
	dp_guard_warn_if_disabled();
	major_exists = dp_major_exists(product->name, version.major);
	/* a release goes into a published major, not a deprecated or retired one */
	if (major_exists)
		dp_check_not_deprecated(dp_major_for_owner(product, version.major,
												   "publish"));
	check_version_order(product, version, major_exists);

	candidate = dp_contract_from_relations(PG_GETARG_ARRAYTYPE_P(2));
	if (major_exists)
		check_compatible(product, version, candidate);
	check_owner_can_read(product, candidate);

	if (!major_exists)
	{
		create_version_schema(product, version, schema);
		dp_insert_major(product->name, version.major, schema);
	}
	else
		comment_version_schema(product, version, schema);

	foreach(lc, candidate)
		create_output_view(product, version, schema, lfirst(lc), major_exists);

	dp_insert_contract(dp_insert_release(product->name, version, notes),
					   candidate);
	if (major_exists)
		dp_apply_access(dp_major_for_owner(product, version.major, "publish"));
	PG_RETURN_NAME(result);
}

/*
 * Versions only go up: a release must be newer than the latest release of
 * its major version, and a new major version newer than every release.
 */
static void
check_version_order(DpProduct *product, DpVersion version, bool major_exists)
{
	List	   *releases = dp_get_releases(product->name,
										   major_exists ? version.major : -1);
	DpVersion	latest;

	if (releases == NIL)
		return;
	latest = ((DpRelease *) llast(releases))->version;
	if (dp_version_cmp(version, latest) <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("version %s of data product \"%s\" is not newer than version %s",
						dp_version_string(version), product->name,
						dp_version_string(latest)),
				 errdetail(major_exists ?
						   "Version %s is the latest release of major version %d, in schema \"%s\"." :
						   "Version %s is the latest release of the product; a new major version must be newer.",
						   dp_version_string(latest), latest.major,
						   dp_version_schema(product->name, latest.major)),
				 errhint("Use dataproduct.next_version() to find the version these outputs need.")));
}

/*
 * A minor or patch release must keep every earlier release of its major
 * version working, and a patch release must not add anything.
 */
static void
check_compatible(DpProduct *product, DpVersion version, List *candidate)
{
	List	   *changes = NIL;
	List	   *releases = dp_get_releases(product->name, version.major);
	DpVersion	latest = ((DpRelease *) llast(releases))->version;
	DpImpact	impact;
	StringInfoData lines;
	ListCell   *lc;

	impact = dp_impact_against_major(product->name, version.major, candidate,
									 &changes);
	if (impact < DP_IMPACT_MINOR ||
		(impact == DP_IMPACT_MINOR && version.minor > latest.minor))
		return;

	initStringInfo(&lines);
	foreach(lc, changes)
		appendStringInfo(&lines, "\n%s", dp_change_line(lfirst(lc)));

	if (impact == DP_IMPACT_MAJOR)
	{
		List	   *all = dp_get_releases(product->name, -1);
		int32		last = ((DpRelease *) llast(all))->version.major;
		DpVersion	next = {last < PG_INT32_MAX ? last + 1 : last, 0, 0};
		char	   *broken = dp_impact_summary(product->name, version.major,
											   changes);

		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("version %s of data product \"%s\" would break major version %d",
						dp_version_string(version), product->name, version.major),
				 errdetail("These changes remove or alter what consumers of schema \"%s\" rely on, and would break %s:%s",
						   dp_version_schema(product->name, version.major),
						   broken, lines.data),
				 last == PG_INT32_MAX ?
				 errhint("No major version number is left after %d; publish the outputs as a new data product.",
						 last) :
				 errhint("Publish the outputs as version %s, a new major version in schema \"%s\"; version %d keeps serving its consumers.",
						 dp_version_string(next), dp_version_schema(product->name, next.major),
						 version.major)));
	}
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("version %s of data product \"%s\" adds to the contract, which a patch release cannot do",
					dp_version_string(version), product->name),
			 errdetail("These changes need a minor release:%s", lines.data),
			 latest.minor == PG_INT32_MAX ?
			 errhint("No minor version number is left in major version %d; publish the outputs as a new major version.",
					 version.major) :
			 errhint("Publish the outputs as version %d.%d.0.",
					 version.major, latest.minor + 1)));
}

/*
 * The published views read their sources with the domain owner's
 * privileges, so that role must be able to read every source.
 */
static void
check_owner_can_read(DpProduct *product, List *candidate)
{
	ListCell   *lc;

	foreach(lc, candidate)
	{
		DpOutput   *output = lfirst(lc);

		if (dp_namespace_aclcheck(get_rel_namespace(output->relid),
								  product->owner, ACL_USAGE) != ACLCHECK_OK ||
			(pg_class_aclcheck(output->relid, product->owner, ACL_SELECT) != ACLCHECK_OK &&
			 pg_attribute_aclcheck_all(output->relid, product->owner, ACL_SELECT,
									   ACLMASK_ALL) != ACLCHECK_OK))
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("role \"%s\" cannot read %s %s",
							GetUserNameFromId(product->owner, false),
							output->source_kind, output->source),
					 errdetail("The views of data product \"%s\" read their sources with the privileges of role \"%s\", the owner of domain \"%s\".",
							   product->name,
							   GetUserNameFromId(product->owner, false),
							   product->domain),
					 errhint("Grant USAGE on its schema and SELECT on %s to role \"%s\".",
							 output->source,
							 GetUserNameFromId(product->owner, false))));
	}
}

/*
 * The schema of a new major version, owned by the domain owner.  It is
 * created by the catalog owner because the domain owner need not have the
 * CREATE privilege on the database; create_domain() checked that its
 * creator did.
 */
static void
create_version_schema(DpProduct *product, DpVersion version,
					  const char *schema)
{
	if (OidIsValid(get_namespace_oid(schema, true)))
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_SCHEMA),
				 errmsg("schema \"%s\" already exists", schema),
				 errdetail("Major version %d of data product \"%s\" is served from schema \"%s\".",
						   version.major, product->name, schema),
				 errhint("Rename or drop the existing schema, or publish under another product name.")));

	dp_guard_bypass_execute(dp_catalog_owner(),
				  psprintf("CREATE SCHEMA %s AUTHORIZATION %s",
						   quote_identifier(schema),
						   quote_identifier(GetUserNameFromId(product->owner, false))));
	comment_version_schema(product, version, schema);
}

static void
comment_version_schema(DpProduct *product, DpVersion version,
					   const char *schema)
{
	char	   *comment = psprintf("Major version %d of data product \"%s\" (latest release %s, domain \"%s\")",
								   version.major, product->name,
								   dp_version_string(version), product->domain);

	dp_guard_bypass_execute(product->owner,
				  psprintf("COMMENT ON SCHEMA %s IS %s",
						   quote_identifier(schema), quote_literal_cstr(comment)));
}

/*
 * Create or replace one output's view, with comments on it and its columns.
 * The view is created as the domain owner, so that the names in its query
 * are resolved with that role's privileges.
 */
static void
create_output_view(DpProduct *product, DpVersion version, const char *schema,
				   DpOutput *output, bool replace)
{
	char	   *view = quote_qualified_identifier(schema, output->name);
	StringInfoData sql;
	ListCell   *lc;

	initStringInfo(&sql);
	appendStringInfo(&sql, "CREATE %sVIEW %s (", replace ? "OR REPLACE " : "", view);
	foreach(lc, output->columns)
		appendStringInfo(&sql, "%s%s", lc == list_head(output->columns) ? "" : ", ",
						 quote_identifier(((DpColumn *) lfirst(lc))->name));

	/*
	 * The view's security properties are part of the contract.  CREATE OR
	 * REPLACE VIEW replaces all of the view's options with those it is
	 * given, so the options named here, or none, are the view's whole set:
	 * an option left out is off, whatever the view had before.
	 */
	appendStringInfoChar(&sql, ')');
	if (output->security_barrier || output->security_invoker)
		appendStringInfo(&sql, " WITH (%s%s%s)",
						 output->security_barrier ? "security_barrier" : "",
						 output->security_barrier && output->security_invoker ? ", " : "",
						 output->security_invoker ? "security_invoker" : "");
	appendStringInfo(&sql, " AS %s", output->definition);
	dp_guard_bypass_execute(product->owner, sql.data);
	revoke_default_writes(product, view);

	dp_guard_bypass_execute(product->owner,
				  psprintf("COMMENT ON VIEW %s IS %s", view,
						   quote_literal_cstr(psprintf("Output \"%s\" of data product \"%s\" version %s (domain \"%s\")%s%s",
													   output->name, product->name,
													   dp_version_string(version),
													   product->domain,
													   output->description ? ": " : "",
													   output->description ? output->description : ""))));
	foreach(lc, output->columns)
	{
		DpColumn   *column = lfirst(lc);

		dp_guard_bypass_execute(product->owner,
					  psprintf("COMMENT ON COLUMN %s.%s IS %s", view,
							   quote_identifier(column->name),
							   literal_or_null(column->description)));
	}

	/*
	 * Fail now, not at a consumer's first query, if the owner lacks a
	 * privilege the view needs.  Planning and executor startup check them
	 * all without reading a row or connecting to a foreign server.
	 */
	(void) dp_run_as(product->owner, DP_WRITE,
					 psprintf("EXPLAIN SELECT * FROM %s", view), 0, NULL, NULL, NULL);
}

/*
 * A version view is read, never written: privileges other than SELECT that
 * the owner's default privileges gave the new view are revoked again.
 */
static void
revoke_default_writes(DpProduct *product, const char *view)
{
	Oid			argtypes[1] = {TEXTOID};
	Datum		values[1] = {CStringGetTextDatum(view)};
	DpRows	   *rows;

	rows = dp_run_as(InvalidOid, DP_READ_LATEST,
					 "SELECT DISTINCT a.grantee FROM pg_catalog.pg_class c,"
					 " pg_catalog.aclexplode(c.relacl) a"
					 " WHERE c.oid OPERATOR(pg_catalog.=) $1::pg_catalog.regclass"
					 " AND a.privilege_type OPERATOR(pg_catalog.<>) 'SELECT'"
					 " AND a.grantee OPERATOR(pg_catalog.<>) c.relowner"
					 " ORDER BY 1",
					 1, argtypes, values, NULL);
	for (uint64 i = 0; i < rows->count; i++)
	{
		Oid			grantee = DatumGetObjectId(dp_rows_datum(rows, i, 1));

		dp_guard_bypass_execute(product->owner,
								psprintf("REVOKE INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER"
										 " ON %s FROM %s", view,
										 OidIsValid(grantee) ?
										 quote_identifier(GetUserNameFromId(grantee, false)) :
										 "PUBLIC"));
	}
}

static char *
literal_or_null(const char *str)
{
	return str ? quote_literal_cstr(str) : "NULL";
}
