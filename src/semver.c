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

static bool parse_version_number(const char **p, int32 *result);
static void report_bad_version(const char *str, const char *detail);

/*
 * Parse a MAJOR.MINOR.PATCH string, or raise an error saying what is wrong.
 */
DpVersion
dp_parse_version(const char *str)
{
	DpVersion	v;
	const char *p = str;

	if (!parse_version_number(&p, &v.major) || *p++ != '.' ||
		!parse_version_number(&p, &v.minor) || *p++ != '.' ||
		!parse_version_number(&p, &v.patch))
		report_bad_version(str,
						   "A version must be three numbers separated by dots, such as 1.4.2, without leading zeros.");
	if (*p == '-' || *p == '+')
		report_bad_version(str,
						   "Pre-release and build suffixes are not supported.");
	if (*p != '\0')
		report_bad_version(str,
						   "A version must be three numbers separated by dots, such as 1.4.2, without leading zeros.");
	return v;
}

/*
 * Read one number at *p; false if there is none, it has a leading zero, or
 * it does not fit in an int32.
 */
static bool
parse_version_number(const char **p, int32 *result)
{
	const char *s = *p;
	int64		value = 0;

	if (!isdigit((unsigned char) *s))
		return false;
	if (*s == '0' && isdigit((unsigned char) s[1]))
		return false;
	while (isdigit((unsigned char) *s))
	{
		value = value * 10 + (*s - '0');
		if (value > PG_INT32_MAX)
			return false;
		s++;
	}
	*p = s;
	*result = (int32) value;
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
 */
char *
dp_version_schema(const char *product, int32 major)
{
	char	   *schema = psprintf("%s_v%d", product, major);

	if (strlen(schema) >= NAMEDATALEN)
		ereport(ERROR,
				(errcode(ERRCODE_NAME_TOO_LONG),
				 errmsg("schema name \"%s\" is too long", schema),
				 errdetail("Major version %d of data product \"%s\" needs a schema name of at most %d bytes.",
						   major, product, NAMEDATALEN - 1)));
	return schema;
}
