/*-------------------------------------------------------------------------
 *
 * domain.c
 *		  create_domain(), alter_domain() and create_product(): who owns what
 *
 * A domain is a team of the data mesh, represented by the role that owns
 * it; a product belongs to one domain.  The domain's owner role owns the
 * version schemas and views of its products, and it and its members are the
 * ones who may publish them.
 *
 * A product's major version N is served from schema <product>_vN, so a
 * product name is checked here, once, for every schema name it will need:
 * every major version up to the largest, 2147483647, must fit in an
 * identifier, and none may be a name reserved for the system.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "dataproduct.h"

#include "catalog/pg_authid.h"
#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/syscache.h"

PG_FUNCTION_INFO_V1(dp_create_domain);
PG_FUNCTION_INFO_V1(dp_alter_domain);
PG_FUNCTION_INFO_V1(dp_create_product);

/* what a product name needs beyond itself: "_v2147483647" */
#define LONGEST_VERSION_SUFFIX	12

static void check_may_own_domain(const char *name, Oid owner,
								 const char *action);
static void check_versions_owned_by(const char *domain, Oid owner);
static void check_product_name(const char *name);
static Oid	regrole_argument(FunctionCallInfo fcinfo, int argno);
static char *name_argument(FunctionCallInfo fcinfo, int argno,
						   const char *what, int reserve);
static char *optional_text_argument(FunctionCallInfo fcinfo, int argno);

/*
 * create_domain(name text, owner regrole, description text)
 *
 * Creating a domain lets its owner create schemas through publish(), so
 * the caller needs the CREATE privilege on the database, as for CREATE
 * SCHEMA, and must be able to act as the owner, as for CREATE SCHEMA
 * AUTHORIZATION.  Of two sessions creating one domain, the second gets a
 * clean "already exists" once the first commits.
 */
Datum
dp_create_domain(PG_FUNCTION_ARGS)
{
	char	   *name = name_argument(fcinfo, 0, "domain", 0);
	Oid			owner = regrole_argument(fcinfo, 1);
	char	   *description = optional_text_argument(fcinfo, 2);
	Oid			argtypes[4] = {TEXTOID, OIDOID, TEXTOID, NAMEOID};
	Datum		values[4];
	char		nulls[4] = "   ";
	DpRows	   *rows;

	check_may_own_domain(name, owner, "create");

	values[0] = CStringGetTextDatum(name);
	values[1] = ObjectIdGetDatum(owner);
	values[2] = dp_text_or_null(description, &nulls[2]);
	values[3] = dp_name_datum(GetUserNameFromId(GetUserId(), false));
	rows = dp_catalog_query(DP_WRITE,
							"INSERT INTO dataproduct.domain (name, owner, description, created_by)"
							" VALUES ($1, $2::pg_catalog.regrole, $3, $4)"
							" ON CONFLICT (name) DO NOTHING RETURNING 1",
							4, argtypes, values, nulls);
	if (rows->count == 0)
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_OBJECT),
				 errmsg("domain \"%s\" already exists", name)));
	PG_RETURN_VOID();
}

/*
 * alter_domain(name text, owner regrole)
 *
 * Record a new owner for a domain: after its owner was dropped (which
 * PostgreSQL allows while the role owns no version schema yet, or after
 * REASSIGN OWNED), or to hand a domain to another team.  The version
 * schemas and views must already belong to the new owner (REASSIGN OWNED
 * BY old TO new moves them), because they read their sources with their
 * owner's privileges and this function does not change what they read.
 *
 * The caller needs what create_domain() needs for the new owner and must be
 * a member of the current owner; an orphaned domain, whose owner no longer
 * exists, can only be re-owned by a superuser.
 */
Datum
dp_alter_domain(PG_FUNCTION_ARGS)
{
	char	   *name = name_argument(fcinfo, 0, "domain", 0);
	Oid			owner = regrole_argument(fcinfo, 1);
	Oid			argtypes[2] = {TEXTOID, OIDOID};
	Datum		values[2];
	DpRows	   *rows;
	Oid			current;

	values[0] = CStringGetTextDatum(name);
	values[1] = ObjectIdGetDatum(owner);
	rows = dp_catalog_query(DP_WRITE,
							"SELECT owner::pg_catalog.oid FROM dataproduct.domain"
							" WHERE name OPERATOR(pg_catalog.=) $1 FOR UPDATE",
							1, argtypes, values, NULL);
	if (rows->count == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("domain \"%s\" does not exist", name),
				 errhint("Create it with dataproduct.create_domain().")));
	current = dp_rows_isnull(rows, 0, 1) ? InvalidOid :
		DatumGetObjectId(dp_rows_datum(rows, 0, 1));

	if (!superuser())
	{
		if (!OidIsValid(current) ||
			!SearchSysCacheExists1(AUTHOID, ObjectIdGetDatum(current)))
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("permission denied to alter domain \"%s\"", name),
					 errdetail("The role that owned domain \"%s\" was dropped; only a superuser can give the domain a new owner.",
							   name)));
		if (!is_member_of_role(GetUserId(), current))
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("permission denied to alter domain \"%s\"", name),
					 errdetail("Only members of role \"%s\", the owner of domain \"%s\", may give it a new owner.",
							   GetUserNameFromId(current, false), name)));
	}
	check_may_own_domain(name, owner, "alter");
	check_versions_owned_by(name, owner);

	(void) dp_catalog_query(DP_WRITE,
							"UPDATE dataproduct.domain SET owner = $2::pg_catalog.regrole"
							" WHERE name OPERATOR(pg_catalog.=) $1",
							2, argtypes, values, NULL);
	PG_RETURN_VOID();
}

/*
 * create_product(name text, domain text, description text)
 *
 * Of two sessions creating one product, the second gets a clean "already
 * exists" once the first commits.
 */
Datum
dp_create_product(PG_FUNCTION_ARGS)
{
	char	   *name = name_argument(fcinfo, 0, "product", LONGEST_VERSION_SUFFIX);
	char	   *domain = name_argument(fcinfo, 1, "domain", 0);
	char	   *description = optional_text_argument(fcinfo, 2);
	Oid			argtypes[4] = {TEXTOID, TEXTOID, TEXTOID, NAMEOID};
	Datum		values[4];
	char		nulls[4] = "   ";
	DpRows	   *rows;
	Oid			owner;

	check_product_name(name);
	owner = dp_get_domain_owner(domain, false);
	dp_check_domain_owner_exists(domain, owner);
	if (!has_privs_of_role(GetUserId(), owner))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to create a product in domain \"%s\"",
						domain),
				 errdetail("Only the owner of domain \"%s\", role \"%s\", and its members may create its products.",
						   domain, GetUserNameFromId(owner, false))));

	values[0] = CStringGetTextDatum(name);
	values[1] = CStringGetTextDatum(domain);
	values[2] = dp_text_or_null(description, &nulls[2]);
	values[3] = dp_name_datum(GetUserNameFromId(GetUserId(), false));
	rows = dp_catalog_query(DP_WRITE,
							"INSERT INTO dataproduct.product (name, domain, description, created_by)"
							" VALUES ($1, $2, $3, $4)"
							" ON CONFLICT (name) DO NOTHING RETURNING 1",
							4, argtypes, values, nulls);
	if (rows->count == 0)
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_OBJECT),
				 errmsg("data product \"%s\" already exists", name)));
	PG_RETURN_VOID();
}

/*
 * May the caller make "owner" the owner of a domain?  The owner creates
 * schemas through publish(), so the caller needs the CREATE privilege on
 * the database, as for CREATE SCHEMA, and must be able to act as the
 * owner, as for CREATE SCHEMA AUTHORIZATION.
 */
static void
check_may_own_domain(const char *name, Oid owner, const char *action)
{
	if (dp_database_aclcheck(MyDatabaseId, GetUserId(), ACL_CREATE) != ACLCHECK_OK)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to %s domain \"%s\"", action, name),
				 errdetail("Publishing creates schemas, which needs the CREATE privilege on the database.")));
	if (!is_member_of_role(GetUserId(), owner))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to %s domain \"%s\"", action, name),
				 strcmp(action, "create") == 0 ?
				 errdetail("Only members of role \"%s\" may create a domain owned by it.",
						   GetUserNameFromId(owner, false)) :
				 errdetail("Only members of role \"%s\" may make it the owner of a domain.",
						   GetUserNameFromId(owner, false))));
}

/*
 * A domain whose owner was dropped can do nothing until it has a new one.
 */
void
dp_check_domain_owner_exists(const char *domain, Oid owner)
{
	if (!SearchSysCacheExists1(AUTHOID, ObjectIdGetDatum(owner)))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("owner of domain \"%s\" no longer exists", domain),
				 errdetail("The role that owned domain \"%s\" was dropped.",
						   domain),
				 errhint("A superuser can give the domain a new owner with dataproduct.alter_domain().")));
}

/*
 * Every version schema of the domain's products, and everything in it,
 * must already belong to "owner".
 */
static void
check_versions_owned_by(const char *domain, Oid owner)
{
	Oid			argtypes[2] = {TEXTOID, OIDOID};
	Datum		values[2] = {CStringGetTextDatum(domain), ObjectIdGetDatum(owner)};
	DpRows	   *rows;

	rows = dp_catalog_query(DP_READ_LATEST,
							"SELECT m.schema_name, m.product"
							" FROM dataproduct.major_version m"
							" JOIN dataproduct.product p ON p.name OPERATOR(pg_catalog.=) m.product"
							" JOIN pg_catalog.pg_namespace n ON n.nspname OPERATOR(pg_catalog.=) m.schema_name"
							" WHERE p.domain OPERATOR(pg_catalog.=) $1"
							" AND (n.nspowner OPERATOR(pg_catalog.<>) $2"
							"      OR EXISTS (SELECT FROM pg_catalog.pg_class c"
							"                  WHERE c.relnamespace OPERATOR(pg_catalog.=) n.oid"
							"                    AND c.relowner OPERATOR(pg_catalog.<>) $2))"
							" ORDER BY m.schema_name LIMIT 1",
							2, argtypes, values, NULL);
	if (rows->count > 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("version schema \"%s\" of data product \"%s\" does not belong to role \"%s\"",
						dp_rows_text(rows, 0, 1), dp_rows_text(rows, 0, 2),
						GetUserNameFromId(owner, false)),
				 errdetail("The version schemas and views of domain \"%s\" belong to its owner, and read their sources with its privileges.",
						   domain),
				 errhint("Give them to role \"%s\" first, for example with REASSIGN OWNED BY the old owner.",
						 GetUserNameFromId(owner, false))));
}

/*
 * A product name must give a valid, unreserved schema name for every major
 * version; name_argument() checked the length.
 */
static void
check_product_name(const char *name)
{
	if (strncmp(name, "pg_", 3) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_RESERVED_NAME),
				 errmsg("product name \"%s\" is reserved", name),
				 errdetail("Product names beginning with \"pg_\" would give schema names reserved for the system, such as \"%s_v1\".",
						   name)));
}

/* A role argument that must not be NULL */
static Oid
regrole_argument(FunctionCallInfo fcinfo, int argno)
{
	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("domain owner must not be null")));
	return PG_GETARG_OID(argno);
}

/*
 * A non-empty name argument that, with "reserve" more bytes, fits in an
 * identifier.
 */
static char *
name_argument(FunctionCallInfo fcinfo, int argno, const char *what,
			  int reserve)
{
	char	   *name;

	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s name must not be null", what)));
	name = text_to_cstring(PG_GETARG_TEXT_PP(argno));
	if (name[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s name must not be empty", what)));
	if (strlen(name) + reserve >= NAMEDATALEN)
		ereport(ERROR,
				(errcode(ERRCODE_NAME_TOO_LONG),
				 errmsg("%s name \"%s\" is too long", what, name),
				 reserve > 0 ?
				 errdetail("A product name can have at most %d bytes, so that the schema names of all its major versions, up to <product>_v%d, fit in %d bytes.",
						   NAMEDATALEN - 1 - reserve, PG_INT32_MAX,
						   NAMEDATALEN - 1) :
				 errdetail("A %s name can have at most %d bytes.",
						   what, NAMEDATALEN - 1)));
	return name;
}

static char *
optional_text_argument(FunctionCallInfo fcinfo, int argno)
{
	return PG_ARGISNULL(argno) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(argno));
}
