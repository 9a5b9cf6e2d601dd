/*-------------------------------------------------------------------------
 *
 * odcs.c
 *		  contract(): a release as an Open Data Contract Standard document
 *
 * contract() exports a release (by default the latest release of the
 * latest live major version) as an ODCS v3.1.0 document, valid against
 * the standard's JSON Schema (test/odcs/), so that data catalogs and
 * contract tools read it without knowing PostgreSQL.  What it says comes
 * from the catalog: the release's outputs and columns, its major version's
 * lifecycle, the product and its domain.  Two facts the catalog does not
 * keep are read from the live database at export time: the logical type
 * of a column (from its type, resolved through the live version view) and
 * whether a source table's primary key reaches an output.  A retired
 * release still exports, from the catalog alone.
 *
 * The document is built with jsonb in one catalog query, whose text output
 * is stable (jsonb orders keys itself).  Attached documents (attach.c) are
 * merged into it last.
 *
 * The documents are meant to pass the reference tool, datacontract-cli
 * (github.com/datacontract/datacontract-cli), as its source reads them:
 *	- lint validates against the same ODCS v3.1.0 JSON Schema
 *	  (datacontract/lint/resolve.py, fastjsonschema), which JSON documents
 *	  pass as YAML;
 *	- "datacontract test" connects to a server of type "postgres" (not
 *	  "postgresql": datacontract/engines/ibis/native_type.py only reads
 *	  native types for "postgres") with host, port, database and schema as
 *	  the search path (engines/ibis/connections/connect.py), and looks each
 *	  schema object up by its physicalName, unqualified, in that schema
 *	  (engines/checks/create_checks.py, to_schema_name), as its own
 *	  postgres fixtures do (tests/fixtures/postgres/odcs.yaml);
 *	- it compares physicalType with information_schema.columns parsed by
 *	  sqlglot (engines/checks/physical_type_match.py): format_type's
 *	  spellings ("character varying(20)", "numeric(10,2)", "timestamp with
 *	  time zone", "integer[]") match; a column of an enum or composite
 *	  type, which information_schema reports as "USER-DEFINED", cannot
 *	  match any type name there, a limitation of the tool;
 *	- "required: true" makes it count NULLs, which NOT NULL promises none.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "dataproduct.h"

#include "catalog/pg_type.h"
#include "common/cryptohash.h"
#include "common/sha2.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "postmaster/postmaster.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"

PG_FUNCTION_INFO_V1(dp_contract);

/* The release a document describes */
typedef struct ExportRelease
{
	char	   *product;
	int64		release_id;
	DpVersion	version;
} ExportRelease;

/* The columns of a release, with what the document adds to the catalog */
typedef struct ExportColumns
{
	List	   *outputs;		/* output names */
	List	   *positions;		/* int: column positions */
	List	   *logical_types;	/* ODCS logicalType names */
	List	   *key_positions;	/* int: position in the primary key, 0 if
								 * none */
} ExportColumns;

/* Settings: how consumers reach this server (empty/0: derived) */
static char *contract_host = NULL;
static int	contract_port = 0;

static ExportRelease *find_release(const char *product, const char *version);
static ExportRelease *latest_live_release(const char *product);
static void unknown_product(const char *product);
static char *versions_list(List *releases);
static ExportColumns *release_columns(int64 release_id);
static const char *logical_type(Oid typid);
static char *contract_id(ExportRelease *release);
static char *server_host(void);
static Jsonb *build_document(ExportRelease *release);
static Datum int_array(List *ints);

/*
 * The settings of the document's server entry, from _PG_init().
 */
void
dp_odcs_init(void)
{
	DefineCustomStringVariable("dataproduct.contract_host",
							   "Host name consumers use to reach this server, for the server entry of exported contracts.",
							   "Empty: the first entry of listen_addresses, or localhost when that is a wildcard or empty.",
							   &contract_host,
							   "",
							   PGC_USERSET,
							   0,
							   NULL,
							   NULL,
							   NULL);
	DefineCustomIntVariable("dataproduct.contract_port",
							"Port consumers use to reach this server, for the server entry of exported contracts.",
							"0: the port this server listens on.",
							&contract_port,
							0,
							0,
							65535,
							PGC_USERSET,
							0,
							NULL,
							NULL,
							NULL);
}

/*
 * contract(product text, version text DEFAULT NULL) RETURNS jsonb
 *
 * The release as an ODCS document, merged with the document attached to
 * its major version.  Anyone may read it: the catalog is public.
 */
Datum
dp_contract(PG_FUNCTION_ARGS)
{
	ExportRelease *release;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("product must not be null")));
	release = find_release(text_to_cstring(PG_GETARG_TEXT_PP(0)),
						   PG_ARGISNULL(1) ? NULL :
						   text_to_cstring(PG_GETARG_TEXT_PP(1)));
	PG_RETURN_JSONB_P(dp_merge_attached(build_document(release),
										release->product,
										release->version.major));
}

/*
 * The generated document of a release (NULL version: the latest release
 * of the latest live major version), without any attached document.
 */
Jsonb *
dp_contract_document(const char *product, const char *version)
{
	return build_document(find_release(product, version));
}

/*
 * The release to export, or an error naming what exists.
 */
static ExportRelease *
find_release(const char *product, const char *version)
{
	ExportRelease *release;
	DpVersion	wanted;
	List	   *releases;
	ListCell   *lc;

	if (!dp_product_exists(product))
		unknown_product(product);
	if (version == NULL)
		return latest_live_release(product);

	wanted = dp_parse_version(version);
	releases = dp_get_releases(product, -1);
	foreach(lc, releases)
	{
		DpRelease  *r = lfirst(lc);

		if (dp_version_cmp(r->version, wanted) != 0)
			continue;
		release = palloc(sizeof(ExportRelease));
		release->product = pstrdup(product);
		release->release_id = r->id;
		release->version = r->version;
		return release;
	}
	ereport(ERROR,
			(errcode(ERRCODE_UNDEFINED_OBJECT),
			 errmsg("version %s of data product \"%s\" does not exist",
					dp_version_string(wanted), product),
			 releases == NIL ?
			 errdetail("Data product \"%s\" has no release.", product) :
			 errdetail("Its releases are %s.", versions_list(releases)),
			 errhint("Every release of every data product is listed in dataproduct.versions.")));
	return NULL;				/* keep compiler quiet */
}

/*
 * The latest release of the latest major version that is not retired.
 */
static ExportRelease *
latest_live_release(const char *product)
{
	Oid			argtypes[1] = {TEXTOID};
	Datum		values[1] = {CStringGetTextDatum(product)};
	DpRows	   *rows;
	ExportRelease *release;
	List	   *releases;

	rows = dp_catalog_query(DP_READ_LATEST,
							"SELECT r.release_id, r.major, r.minor, r.patch"
							" FROM dataproduct.release r"
							" JOIN dataproduct.major_version m"
							" ON m.product OPERATOR(pg_catalog.=) r.product"
							" AND m.major OPERATOR(pg_catalog.=) r.major"
							" WHERE r.product OPERATOR(pg_catalog.=) $1"
							" AND m.status OPERATOR(pg_catalog.<>) 'retired'"
							" ORDER BY r.major DESC, r.minor DESC, r.patch DESC"
							" LIMIT 1",
							1, argtypes, values, NULL);
	if (rows->count == 0)
	{
		releases = dp_get_releases(product, -1);
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("data product \"%s\" has no live major version", product),
				 releases == NIL ?
				 errdetail("Data product \"%s\" has no release.", product) :
				 errdetail("Its releases, all of retired major versions, are %s.",
						   versions_list(releases)),
				 errhint("Name the version to export a release of a retired major version.")));
	}
	release = palloc(sizeof(ExportRelease));
	release->product = pstrdup(product);
	release->release_id = DatumGetInt64(dp_rows_datum(rows, 0, 1));
	release->version.major = DatumGetInt32(dp_rows_datum(rows, 0, 2));
	release->version.minor = DatumGetInt32(dp_rows_datum(rows, 0, 3));
	release->version.patch = DatumGetInt32(dp_rows_datum(rows, 0, 4));
	return release;
}

/*
 * Error: no such product; the detail names the first existing ones.
 */
static void
unknown_product(const char *product)
{
	DpRows	   *rows;

	rows = dp_catalog_query(DP_READ_LATEST,
							"SELECT pg_catalog.count(*),"
							" pg_catalog.string_agg(pg_catalog.format('\"%s\"', name), ', '"
							"  ORDER BY name) FILTER (WHERE n OPERATOR(pg_catalog.<=) 20)"
							" FROM (SELECT name, pg_catalog.row_number() OVER (ORDER BY name) AS n"
							"  FROM dataproduct.product) p",
							0, NULL, NULL, NULL);
	ereport(ERROR,
			(errcode(ERRCODE_UNDEFINED_OBJECT),
			 errmsg("data product \"%s\" does not exist", product),
			 DatumGetInt64(dp_rows_datum(rows, 0, 1)) == 0 ?
			 errdetail("There is no data product.") :
			 DatumGetInt64(dp_rows_datum(rows, 0, 1)) <= 20 ?
			 errdetail("The data products are %s.", dp_rows_text(rows, 0, 2)) :
			 errdetail("The data products include %s (" INT64_FORMAT " in all).",
					   dp_rows_text(rows, 0, 2),
					   DatumGetInt64(dp_rows_datum(rows, 0, 1))),
			 errhint("Every data product is listed in dataproduct.versions, with its releases.")));
}

/* "1.0.0, 1.1.0, 2.0.0" */
static char *
versions_list(List *releases)
{
	StringInfoData buf;
	ListCell   *lc;

	initStringInfo(&buf);
	foreach(lc, releases)
	{
		DpRelease  *r = lfirst(lc);

		appendStringInfo(&buf, "%s%s", lc == list_head(releases) ? "" : ", ",
						 dp_version_string(r->version));
	}
	return buf.data;
}

/*
 * The columns of a release with their logical types and primary key
 * positions.
 *
 * A column's type is resolved through the live version view, where its
 * type text (format_type's, as the search path at publish time qualified
 * it) does not need resolving; a retired release's, from the text (so an
 * unqualified user-defined type of a retired release maps to "string").
 *
 * A column is part of a primary key when its output is a live version view
 * of a table (which selects the table's columns under their names) whose
 * primary key's columns are all in the release.  The table is the one the
 * view reads (pg_depend), whatever it is called now; this is computed at
 * export, from the live table, so a key added or dropped after the release
 * shows.  Outputs of views, and retired releases, have no primary key.
 */
static ExportColumns *
release_columns(int64 release_id)
{
	Oid			argtypes[1] = {INT8OID};
	Datum		values[1] = {Int64GetDatum(release_id)};
	DpRows	   *rows;
	ExportColumns *columns = palloc0(sizeof(ExportColumns));

	rows = dp_catalog_query(DP_READ_LATEST,
							"WITH col AS ("
							" SELECT c.output, c.position, c.name, c.type, o.source_kind,"
							"  CASE WHEN m.status OPERATOR(pg_catalog.<>) 'retired' THEN"
							"   pg_catalog.to_regclass(pg_catalog.quote_ident(m.schema_name)"
							"   OPERATOR(pg_catalog.||) '.'"
							"   OPERATOR(pg_catalog.||) pg_catalog.quote_ident(c.output)) END AS view"
							" FROM dataproduct.release_column c"
							" JOIN dataproduct.release_output o"
							"  ON o.release_id OPERATOR(pg_catalog.=) c.release_id"
							"  AND o.name OPERATOR(pg_catalog.=) c.output"
							" JOIN dataproduct.release r"
							"  ON r.release_id OPERATOR(pg_catalog.=) c.release_id"
							" JOIN dataproduct.major_version m"
							"  ON m.product OPERATOR(pg_catalog.=) r.product"
							"  AND m.major OPERATOR(pg_catalog.=) r.major"
							" WHERE c.release_id OPERATOR(pg_catalog.=) $1),"
							/* the table each live version view of a table reads */
							"source AS ("
							" SELECT DISTINCT col.output, d.refobjid AS relid"
							" FROM col"
							" JOIN pg_catalog.pg_rewrite rw ON rw.ev_class OPERATOR(pg_catalog.=) col.view"
							" JOIN pg_catalog.pg_depend d"
							"  ON d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_rewrite'::pg_catalog.regclass"
							"  AND d.objid OPERATOR(pg_catalog.=) rw.oid"
							"  AND d.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass"
							"  AND d.refobjid OPERATOR(pg_catalog.<>) col.view"
							" WHERE col.source_kind OPERATOR(pg_catalog.=) ANY ('{table,partitioned table}')),"
							/* its primary key's columns, by name, with their positions */
							"key AS ("
							" SELECT s.output, a.attname, k.n::pg_catalog.int4 AS n,"
							"  pg_catalog.cardinality(con.conkey) AS size"
							" FROM source s"
							" JOIN pg_catalog.pg_constraint con"
							"  ON con.conrelid OPERATOR(pg_catalog.=) s.relid"
							"  AND con.contype OPERATOR(pg_catalog.=) 'p'"
							" CROSS JOIN LATERAL pg_catalog.unnest(con.conkey) WITH ORDINALITY k(attnum, n)"
							" JOIN pg_catalog.pg_attribute a"
							"  ON a.attrelid OPERATOR(pg_catalog.=) con.conrelid"
							"  AND a.attnum OPERATOR(pg_catalog.=) k.attnum),"
							/* the outputs whose release has every key column */
							"whole AS ("
							" SELECT key.output FROM key"
							" JOIN col ON col.output OPERATOR(pg_catalog.=) key.output"
							"  AND col.name OPERATOR(pg_catalog.=) key.attname"
							" GROUP BY key.output, key.size"
							" HAVING pg_catalog.count(*) OPERATOR(pg_catalog.=) key.size)"
							"SELECT col.output, col.position,"
							" COALESCE(a.atttypid, pg_catalog.to_regtype(col.type)::pg_catalog.oid,"
							"  0::pg_catalog.oid),"
							" COALESCE(key.n, 0)"
							" FROM col"
							" LEFT JOIN pg_catalog.pg_attribute a"
							"  ON a.attrelid OPERATOR(pg_catalog.=) col.view"
							"  AND a.attname OPERATOR(pg_catalog.=) col.name"
							"  AND NOT a.attisdropped"
							" LEFT JOIN key ON key.output OPERATOR(pg_catalog.=) col.output"
							"  AND key.attname OPERATOR(pg_catalog.=) col.name"
							"  AND key.output IN (SELECT output FROM whole)"
							" ORDER BY col.output, col.position",
							1, argtypes, values, NULL);
	for (uint64 i = 0; i < rows->count; i++)
	{
		columns->outputs = lappend(columns->outputs, dp_rows_text(rows, i, 1));
		columns->positions = lappend_int(columns->positions,
										 DatumGetInt32(dp_rows_datum(rows, i, 2)));
		columns->logical_types =
			lappend(columns->logical_types,
					(void *) logical_type(DatumGetObjectId(dp_rows_datum(rows, i, 3))));
		columns->key_positions = lappend_int(columns->key_positions,
											 DatumGetInt32(dp_rows_datum(rows, i, 4)));
	}
	return columns;
}

/*
 * The ODCS logicalType of a PostgreSQL type: domains as their base type,
 * arrays "array", composite types and json "object", the integer, exact
 * and floating-point numbers, boolean, date, timestamp and time types as
 * themselves, and everything else (text, uuid, enums, intervals, ...,
 * and a type that no longer resolves) "string".
 */
static const char *
logical_type(Oid typid)
{
	Oid			base;

	if (!OidIsValid(typid))
		return "string";
	base = getBaseType(typid);
	if (OidIsValid(get_element_type(base)))
		return "array";
	switch (base)
	{
		case INT2OID:
		case INT4OID:
		case INT8OID:
			return "integer";
		case NUMERICOID:
		case FLOAT4OID:
		case FLOAT8OID:
			return "number";
		case BOOLOID:
			return "boolean";
		case DATEOID:
			return "date";
		case TIMESTAMPOID:
		case TIMESTAMPTZOID:
			return "timestamp";
		case TIMEOID:
		case TIMETZOID:
			return "time";
		case JSONOID:
		case JSONBOID:
			return "object";
		default:
			return get_typtype(base) == TYPTYPE_COMPOSITE ? "object" : "string";
	}
}

/*
 * The document's id: a name-based UUID (RFC 9562 version 8, SHA-256) of
 * the product's name and the version, the same on every server the catalog
 * is restored to and for every export of the release.
 */
static char *
contract_id(ExportRelease *release)
{
	char	   *name = psprintf("dataproduct:%s:%s", release->product,
								dp_version_string(release->version));
	char	   *utf8 = pg_server_to_any(name, strlen(name), PG_UTF8);
	uint8		hash[PG_SHA256_DIGEST_LENGTH];
	pg_cryptohash_ctx *ctx = pg_cryptohash_create(PG_SHA256);

	if (pg_cryptohash_init(ctx) < 0 ||
		pg_cryptohash_update(ctx, (uint8 *) utf8, strlen(utf8)) < 0 ||
		pg_cryptohash_final(ctx, hash, sizeof(hash)) < 0)
		elog(ERROR, "could not compute the id of a contract: %s",
			 pg_cryptohash_error(ctx));
	pg_cryptohash_free(ctx);

	hash[6] = (hash[6] & 0x0f) | 0x80;	/* version 8 */
	hash[8] = (hash[8] & 0x3f) | 0x80;	/* variant 10 */
	return psprintf("%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
					hash[0], hash[1], hash[2], hash[3], hash[4], hash[5],
					hash[6], hash[7], hash[8], hash[9], hash[10], hash[11],
					hash[12], hash[13], hash[14], hash[15]);
}

/*
 * The host of the server entry: dataproduct.contract_host, else the first
 * address the server listens on, else (a wildcard, or none) localhost.
 */
static char *
server_host(void)
{
	char	   *first;
	size_t		len;

	if (contract_host != NULL && contract_host[0] != '\0')
		return contract_host;
	first = pstrdup(ListenAddresses != NULL ? ListenAddresses : "");
	first[strcspn(first, ",")] = '\0';
	while (isspace((unsigned char) *first))
		first++;
	len = strlen(first);
	while (len > 0 && isspace((unsigned char) first[len - 1]))
		first[--len] = '\0';
	if (len == 0 || strcmp(first, "*") == 0 ||
		strcmp(first, "0.0.0.0") == 0 || strcmp(first, "::") == 0)
		return "localhost";
	return first;
}

/*
 * The document of a release, built in one catalog query.  What ODCS has no
 * field for (release notes, the dates and message of a deprecation, the
 * retirement date) goes into customProperties; absent values are left out
 * (jsonb_strip_nulls), and timestamps are ISO 8601 in UTC.
 */
static Jsonb *
build_document(ExportRelease *release)
{
	ExportColumns *columns = release_columns(release->release_id);
	Oid			argtypes[8] = {INT8OID, TEXTOID, TEXTOID, INT4OID,
	NAMEARRAYOID, INT4ARRAYOID, TEXTARRAYOID, INT4ARRAYOID};
	Datum		values[8];
	DpRows	   *rows;

	values[0] = Int64GetDatum(release->release_id);
	values[1] = CStringGetTextDatum(contract_id(release));
	values[2] = CStringGetTextDatum(server_host());
	values[3] = Int32GetDatum(contract_port > 0 ? contract_port : PostPortNumber);
	values[4] = dp_names_array(columns->outputs);
	values[5] = int_array(columns->positions);
	values[6] = dp_text_array(columns->logical_types);
	values[7] = int_array(columns->key_positions);

	rows = dp_catalog_query(DP_READ_LATEST,
							"WITH col AS ("
							" SELECT * FROM ROWS FROM (pg_catalog.unnest($5), pg_catalog.unnest($6),"
							"  pg_catalog.unnest($7), pg_catalog.unnest($8))"
							"  AS l(output, position, logical, key)),"
							"property AS ("
							" SELECT c.output, pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object("
							"  'name', c.name,"
							"  'logicalType', l.logical,"
							"  'physicalType', c.type,"
							"  'required', c.not_null,"
							"  'description', c.description,"
							"  'primaryKey', CASE WHEN l.key OPERATOR(pg_catalog.>) 0 THEN true END,"
							"  'primaryKeyPosition', NULLIF(l.key, 0))"
							"  ORDER BY c.position) AS properties"
							" FROM dataproduct.release_column c"
							" JOIN col l ON l.output OPERATOR(pg_catalog.=) c.output"
							"  AND l.position OPERATOR(pg_catalog.=) c.position"
							" WHERE c.release_id OPERATOR(pg_catalog.=) $1"
							" GROUP BY c.output),"
							"custom AS ("
							" SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object("
							"  'property', x.property, 'value', x.value) ORDER BY x.ord)"
							"  AS properties"
							" FROM dataproduct.release r"
							" JOIN dataproduct.major_version m"
							"  ON m.product OPERATOR(pg_catalog.=) r.product"
							"  AND m.major OPERATOR(pg_catalog.=) r.major,"
							" LATERAL (VALUES"
							"  (1, 'releaseNotes', pg_catalog.to_jsonb(r.notes)),"
							"  (2, 'deprecatedAt', pg_catalog.to_jsonb(pg_catalog.to_char("
							"   m.deprecated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'))),"
							"  (3, 'sunset', pg_catalog.to_jsonb(pg_catalog.to_char(m.sunset, 'YYYY-MM-DD'))),"
							"  (4, 'deprecationMessage', pg_catalog.to_jsonb(m.message)),"
							"  (5, 'retiredAt', pg_catalog.to_jsonb(pg_catalog.to_char("
							"   m.retired_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')))"
							" ) x(ord, property, value)"
							" WHERE r.release_id OPERATOR(pg_catalog.=) $1"
							" AND x.value IS NOT NULL)"
							"SELECT pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object("
							" 'apiVersion', 'v3.1.0',"
							" 'kind', 'DataContract',"
							" 'id', $2,"
							" 'name', r.product,"
							" 'version', pg_catalog.format('%s.%s.%s', r.major, r.minor, r.patch),"
							" 'status', CASE m.status WHEN 'published' THEN 'active' ELSE m.status END,"
							" 'domain', p.domain,"
							" 'dataProduct', r.product,"
							" 'description', pg_catalog.jsonb_build_object("
							"  'purpose', p.description,"
							"  'usage', pg_catalog.format('Read-only views in schema %s;"
							" the owner of domain \"%s\" grants access to them.',"
							"   pg_catalog.quote_ident(m.schema_name), p.domain),"
							"  'limitations', CASE m.status"
							"   WHEN 'deprecated' THEN pg_catalog.concat('Deprecated',"
							"    ' (sunset ' OPERATOR(pg_catalog.||)"
							"    pg_catalog.to_char(m.sunset, 'YYYY-MM-DD') OPERATOR(pg_catalog.||) ')',"
							"    ': ' OPERATOR(pg_catalog.||) m.message)"
							"   WHEN 'retired' THEN pg_catalog.format('Retired: schema %s no longer exists.',"
							"    pg_catalog.quote_ident(m.schema_name))"
							"   END),"
							" 'contractCreatedTs', pg_catalog.to_char(r.published_at AT TIME ZONE 'UTC',"
							"  'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'),"
							" 'team', pg_catalog.jsonb_build_object("
							"  'name', d.name,"
							"  'description', d.description,"
							"  'members', pg_catalog.jsonb_build_array(pg_catalog.jsonb_build_object("
							"   'username', pg_catalog.pg_get_userbyid(d.owner::pg_catalog.oid),"
							"   'role', 'owner'))),"
							" 'servers', pg_catalog.jsonb_build_array(pg_catalog.jsonb_build_object("
							"  'server', m.schema_name,"
							"  'type', 'postgres',"
							"  'host', $3,"
							"  'port', $4,"
							"  'database', pg_catalog.current_database(),"
							"  'schema', m.schema_name)),"
							" 'schema', (SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object("
							"   'name', o.name,"
							"   'physicalName', o.name,"
							"   'logicalType', 'object',"
							"   'physicalType', 'view',"
							"   'description', o.description,"
							"   'properties', property.properties) ORDER BY o.name)"
							"  FROM dataproduct.release_output o"
							"  JOIN property ON property.output OPERATOR(pg_catalog.=) o.name"
							"  WHERE o.release_id OPERATOR(pg_catalog.=) $1),"
							" 'customProperties', (SELECT properties FROM custom)))"
							" FROM dataproduct.release r"
							" JOIN dataproduct.major_version m"
							"  ON m.product OPERATOR(pg_catalog.=) r.product"
							"  AND m.major OPERATOR(pg_catalog.=) r.major"
							" JOIN dataproduct.product p ON p.name OPERATOR(pg_catalog.=) r.product"
							" JOIN dataproduct.domain d ON d.name OPERATOR(pg_catalog.=) p.domain"
							" WHERE r.release_id OPERATOR(pg_catalog.=) $1",
							8, argtypes, values, NULL);
	if (rows->count != 1)
		elog(ERROR, "release " INT64_FORMAT " of data product \"%s\" is missing from the catalog",
			 release->release_id, release->product);
	return DatumGetJsonbP(dp_rows_datum(rows, 0, 1));
}

/* An int4[] of a list of ints */
static Datum
int_array(List *ints)
{
	Datum	   *elems = palloc(sizeof(Datum) * Max(list_length(ints), 1));
	int			i = 0;
	ListCell   *lc;

	foreach(lc, ints)
		elems[i++] = Int32GetDatum(lfirst_int(lc));
	return PointerGetDatum(construct_array(elems, i, INT4OID, sizeof(int32),
										   true, TYPALIGN_INT));
}
