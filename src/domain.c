/*-------------------------------------------------------------------------
 *
 * domain.c
 *		  create_domain() and create_product(): who owns what
 *
 * A domain is a team of the data mesh, represented by the role that owns
 * it; a product belongs to one domain.  The domain's owner role owns the
 * version schemas and views of its products, and it and its members are the
 * ones who may publish them.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "dataproduct.h"

#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"

PG_FUNCTION_INFO_V1(dp_create_domain);
PG_FUNCTION_INFO_V1(dp_create_product);

static char *name_argument(FunctionCallInfo fcinfo, int argno,
						   const char *what, int reserve);
static char *optional_text_argument(FunctionCallInfo fcinfo, int argno);

/*
 * create_domain(name text, owner regrole, description text)
 *
 * Creating a domain lets its owner create schemas through publish(), so
 * the caller needs the CREATE privilege on the database, as for CREATE
 * SCHEMA, and must be able to act as the owner, as for CREATE SCHEMA
 * AUTHORIZATION.
 */
Datum
dp_create_domain(PG_FUNCTION_ARGS)
{
	char	   *name = name_argument(fcinfo, 0, "domain", 0);
	char	   *description = optional_text_argument(fcinfo, 2);
	Oid			owner;

	if (PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("domain owner must not be null")));
	owner = PG_GETARG_OID(1);

	if (dp_database_aclcheck(MyDatabaseId, GetUserId(), ACL_CREATE) != ACLCHECK_OK)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to create domain \"%s\"", name),
				 errdetail("Publishing creates schemas, which needs the CREATE privilege on the database.")));
	if (!is_member_of_role(GetUserId(), owner))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to create domain \"%s\"", name),
				 errdetail("Only members of role \"%s\" may create a domain owned by it.",
						   GetUserNameFromId(owner, false))));

	dp_catalog_connect(false);
	if (OidIsValid(dp_get_domain_owner(name, true)))
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_OBJECT),
				 errmsg("domain \"%s\" already exists", name)));
	dp_insert_domain(name, owner, description);
	dp_catalog_finish();
	PG_RETURN_VOID();
}

/*
 * create_product(name text, domain text, description text)
 */
Datum
dp_create_product(PG_FUNCTION_ARGS)
{
	/* room for the "_v1" of its first schema name */
	char	   *name = name_argument(fcinfo, 0, "product", 3);
	char	   *domain = name_argument(fcinfo, 1, "domain", 0);
	char	   *description = optional_text_argument(fcinfo, 2);
	Oid			owner;

	dp_catalog_connect(false);
	owner = dp_get_domain_owner(domain, false);
	if (!has_privs_of_role(GetUserId(), owner))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to create a product in domain \"%s\"",
						domain),
				 errdetail("Only the owner of domain \"%s\", role \"%s\", and its members may create its products.",
						   domain, GetUserNameFromId(owner, false))));
	if (dp_product_exists(name))
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_OBJECT),
				 errmsg("data product \"%s\" already exists", name)));
	dp_insert_product(name, domain, description);
	dp_catalog_finish();
	PG_RETURN_VOID();
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
				 errdetail("A product name can have at most %d bytes, so that its schema names <product>_v<major> fit in %d bytes.",
						   NAMEDATALEN - 1 - reserve, NAMEDATALEN - 1) :
				 errdetail("A %s name can have at most %d bytes.",
						   what, NAMEDATALEN - 1)));
	return name;
}

static char *
optional_text_argument(FunctionCallInfo fcinfo, int argno)
{
	return PG_ARGISNULL(argno) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(argno));
}
