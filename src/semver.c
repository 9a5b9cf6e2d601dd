/*-------------------------------------------------------------------------
 *
 * semver.c
 *		  Version numbers: parsing, printing, ordering and schema names
 *
 * Versions are the MAJOR.MINOR.PATCH core of Semantic Versioning 2.0.0:
 * three decimal numbers without leading zeros.  Pre-release and build
 * suffixes are refused, because a published version is a live contract and
 * a "1.0.0-rc.1" contract would be replaced in place like any other.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "dataproduct.h"

#include "utils/builtins.h"

static bool parse_version_number(const char **p, int32 *result,
								 bool *overflow);
static void report_bad_version(const char *str, const char *detail);

/* What can be wrong with a version number, as errdetail sentences */
static const char syntax_problem[] =
gettext_noop("A version must be three numbers separated by dots, such as 1.4.2, without leading zeros.");
static const char suffix_problem[] =
gettext_noop("Pre-release and build suffixes are not supported.");
static const char overflow_problem[] =
gettext_noop("Each part of a version number is at most 2147483647.");

/*
 * Parse a MAJOR.MINOR.PATCH string into *v: NULL, or an untranslated
 * errdetail sentence saying what is wrong with it.  Raises no error, for
 * callers that report bad versions their own way (a remote producer's).
 */
const char *
dp_version_problem(const char *str, DpVersion *v)
{
	const char *p = str;
	bool		overflow = false;

	if (!parse_version_number(&p, &v->major, &overflow) || *p++ != '.' ||
		!parse_version_number(&p, &v->minor, &overflow) || *p++ != '.' ||
		!parse_version_number(&p, &v->patch, &overflow))
		return syntax_problem;
	if (*p == '-' || *p == '+')
		return suffix_problem;
	if (*p != '\0')
		return syntax_problem;
	if (overflow)
		return overflow_problem;
	return NULL;
}

/*
 * A version number, or an error: 22P02 for bad syntax, 22003 for a part
 * out of range.
 */
DpVersion
dp_parse_version(const char *str)
{
	DpVersion	v;
	const char *problem = dp_version_problem(str, &v);

	if (problem == overflow_problem)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("version number \"%s\" is out of range", str),
				 errdetail_internal("%s", _(problem))));
	if (problem != NULL)
		report_bad_version(str, problem);
	return v;
}

/*
 * Read one number at *p; false if there is none or it has a leading zero.
 * A number that does not fit in an int32 is read whole, and sets *overflow.
 */
static bool
parse_version_number(const char **p, int32 *result, bool *overflow)
{
	const char *s = *p;
	int64		value = 0;

	if (!isdigit((unsigned char) *s))
		return false;
	if (*s == '0' && isdigit((unsigned char) s[1]))
		return false;
	for (; isdigit((unsigned char) *s); s++)
	{
		if (value <= PG_INT32_MAX)
			value = value * 10 + (*s - '0');
	}
	if (value > PG_INT32_MAX)
		*overflow = true;
	*p = s;
	*result = (int32) Min(value, PG_INT32_MAX);
	return true;
}

static void
report_bad_version(const char *str, const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
			 errmsg("invalid version number \"%s\"", str),
			 errdetail_internal("%s", _(detail))));
}

char *
dp_version_string(DpVersion v)
{
	return psprintf("%d.%d.%d", v.major, v.minor, v.patch);
}

int
dp_version_cmp(DpVersion a, DpVersion b)
{
	if (a.major != b.major)
		return a.major < b.major ? -1 : 1;
	if (a.minor != b.minor)
		return a.minor < b.minor ? -1 : 1;
	if (a.patch != b.patch)
		return a.patch < b.patch ? -1 : 1;
	return 0;
}

/*
 * The schema that serves major version "major" of a product: <product>_v<N>.
 * A negative major can only come from arithmetic that went wrong, and must
 * not become a schema name.
 */
char *
dp_version_schema(const char *product, int32 major)
{
	char	   *schema;

	if (major < 0)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("major version %d of data product \"%s\" is out of range",
						major, product),
				 errdetail("Major versions are numbered from 0 to %d.",
						   PG_INT32_MAX)));
	schema = psprintf("%s_v%d", product, major);

	if (strlen(schema) >= NAMEDATALEN)
		ereport(ERROR,
				(errcode(ERRCODE_NAME_TOO_LONG),
				 errmsg("schema name \"%s\" is too long", schema),
				 errdetail("Major version %d of data product \"%s\" needs a schema name of at most %d bytes.",
						   major, product, NAMEDATALEN - 1)));
	return schema;
}
