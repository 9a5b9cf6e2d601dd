/*-------------------------------------------------------------------------
 *
 * attach.c
 *		  Contract first: verify_contract() and attach_contract()
 *
 * A team that writes its Open Data Contract Standard (ODCS) document first
 * asks whether a release honours it.  Only the document's "schema" is
 * compared: each object is an output (a view) matched by name, each of its
 * properties a column matched by name.  A mismatch is an output or column
 * the document names and the release lacks, a physicalType (where the
 * document gives one) that differs once both are spelled as format_type()
 * spells them, a "required" the release does not promise (NOT NULL), and
 * an output or column of the release the document does not mention.  The
 * document's logicalType, physicalName and nested properties are not
 * compared.
 *
 * attach_contract() keeps a document that matches with its major version,
 * in dataproduct.contract_attachment, and dp_merge_attached() lays its
 * human and operational parts over the document contract() generates from
 * the catalog, whose facts win on structure.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "dataproduct.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "parser/parse_type.h"
#include "utils/builtins.h"
#include "utils/resowner.h"

PG_FUNCTION_INFO_V1(dp_verify_contract);
PG_FUNCTION_INFO_V1(dp_verify_contract_outputs);
PG_FUNCTION_INFO_V1(dp_attach_contract);

/* One property of a schema object of the document */
/* more outputs than any release has: a broken document, not a contract */
#define MAX_DOCUMENT_OBJECTS 1000

typedef struct DocProperty
{
	char	   *name;
	char	   *physical_type;	/* NULL when the document gives none */
	bool		required;
} DocProperty;

/* One object of the document's "schema" */
typedef struct DocObject
{
	char	   *name;
	List	   *properties;		/* of DocProperty, in document order */
} DocObject;

/* One way a release does not honour the document */
typedef struct Mismatch
{
	char	   *object;
	char	   *property;		/* NULL for a whole object */
	const char *problem;
	char	   *detail;
} Mismatch;

static List *document_objects(Jsonb *contract);
static DocObject *document_object(JsonbValue *elem, int position);
static DocProperty *document_property(JsonbValue *elem, const char *object,
									  int position);
static bool container_field(JsonbContainer *container, const char *key,
							JsonbValue *value);
static char *string_field(JsonbContainer *container, const char *key,
						  const char *what);
static List *compare_document(List *objects, List *outputs);
static void compare_columns(List **mismatches, DocObject *object,
							DpOutput *output);
static char *type_mismatch(const char *document_type, const char *release_type);
static char *normalized_type(const char *type, char **error);
static Mismatch *mismatch(const char *object, const char *property,
						  const char *problem, char *detail);
static List *contract_of_release(const char *product, const char *version);
static Jsonb *contract_argument(FunctionCallInfo fcinfo, int argno);
static void put_mismatches(FunctionCallInfo fcinfo, List *mismatches);
static void store_attachment(const char *product, int32 major, Jsonb *contract);

/*
 * verify_contract(product text, contract jsonb, version text DEFAULT NULL)
 *		RETURNS TABLE(object text, property text, problem text, detail text)
 *
 * The document against a published release; by default the latest release
 * of the latest live major version.  No rows: the release honours it.
 */
Datum
dp_verify_contract(PG_FUNCTION_ARGS)
{
	List	   *objects;
	char	   *product;
	char	   *version;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("product must not be null")));
	objects = document_objects(contract_argument(fcinfo, 1));
	product = text_to_cstring(PG_GETARG_TEXT_PP(0));
	version = PG_ARGISNULL(2) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(2));
	put_mismatches(fcinfo,
				   compare_document(objects, contract_of_release(product, version)));
	return (Datum) 0;
}

/*
 * verify_contract(product text, contract jsonb, outputs regclass[])
 *		RETURNS TABLE(object text, property text, problem text, detail text)
 *
 * Before publishing: the document against what publishing these outputs
 * would give.
 */
Datum
dp_verify_contract_outputs(PG_FUNCTION_ARGS)
{
	List	   *objects;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("product and outputs must not be null")));
	objects = document_objects(contract_argument(fcinfo, 1));
	(void) dp_get_product(text_to_cstring(PG_GETARG_TEXT_PP(0)), false);
	put_mismatches(fcinfo,
				   compare_document(objects,
									dp_contract_from_relations(PG_GETARG_ARRAYTYPE_P(2))));
	return (Datum) 0;
}

/*
 * attach_contract(product text, major int, contract jsonb) RETURNS void
 *
 * Keeps the document with a live major version, replacing the one attached
 * before, once its schema matches the major's latest release.
 */
Datum
dp_attach_contract(PG_FUNCTION_ARGS)
{
	DpProduct  *product;
	int32		major;
	Jsonb	   *contract;
	List	   *objects;
	DpMajor    *m;
	List	   *mismatches;
	StringInfoData lines;
	ListCell   *lc;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("product and major must not be null")));
	major = PG_GETARG_INT32(1);
	contract = contract_argument(fcinfo, 2);
	product = dp_get_product(text_to_cstring(PG_GETARG_TEXT_PP(0)), false);
	dp_check_acts_for_domain(product, "attach a contract to");
	objects = document_objects(contract);

	/* what is checked stays the latest release until this commits */
	dp_lock_product(product->name);
	m = dp_major_for_owner(product, major, "attach a contract to");
	mismatches = compare_document(objects, dp_release_contract(m->latest_release));
	if (mismatches != NIL)
	{
		initStringInfo(&lines);
		foreach(lc, mismatches)
		{
			Mismatch   *mm = lfirst(lc);

			appendStringInfo(&lines, "\n%s%s%s: %s: %s", mm->object,
							 mm->property ? "." : "",
							 mm->property ? mm->property : "",
							 mm->problem, mm->detail);
		}
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("version %s of data product \"%s\" does not honour the contract",
						dp_version_string(m->latest), product->name),
				 errdetail("The contract's schema and the latest release of major version %d differ:%s",
						   major, lines.data),
				 errhint("Fix the document, or publish a release that honours it; dataproduct.verify_contract() lists the differences as rows.")));
	}
	store_attachment(product->name, major, contract);
	PG_RETURN_VOID();
}

/*
 * The contract argument, which must be a JSON object.
 */
static Jsonb *
contract_argument(FunctionCallInfo fcinfo, int argno)
{
	Jsonb	   *contract;

	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("contract must not be null")));
	contract = PG_GETARG_JSONB_P(argno);
	if (!JB_ROOT_IS_OBJECT(contract))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("contract must be a JSON object"),
				 errdetail("An ODCS document is an object whose \"schema\" array lists the outputs.")));
	return contract;
}

/*
 * The objects of the document's "schema", in document order; an error if
 * it is not an array of objects with names, each with an array of named
 * "properties".
 */
static List *
document_objects(Jsonb *contract)
{
	JsonbValue	schema;
	int			n;
	List	   *objects = NIL;

	if (!container_field(&contract->root, "schema", &schema) ||
		schema.type != jbvBinary || !JsonContainerIsArray(schema.val.binary.data))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("contract has no \"schema\" array"),
				 errdetail("An ODCS document lists the outputs it describes as objects of its \"schema\" array.")));
	n = JsonContainerSize(schema.val.binary.data);
	if (n > MAX_DOCUMENT_OBJECTS)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("contract describes %d schema objects, more than %d",
						n, MAX_DOCUMENT_OBJECTS)));
	for (int i = 0; i < n; i++)
	{
		JsonbValue *elem = getIthJsonbValueFromContainer(schema.val.binary.data, i);
		DocObject  *object = document_object(elem, i + 1);
		ListCell   *lc;

		CHECK_FOR_INTERRUPTS();
		foreach(lc, objects)
			if (strcmp(((DocObject *) lfirst(lc))->name, object->name) == 0)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("schema object \"%s\" appears more than once in the contract",
								object->name)));
		objects = lappend(objects, object);
	}
	return objects;
}

static DocObject *
document_object(JsonbValue *elem, int position)
{
	DocObject  *object = palloc0(sizeof(DocObject));
	JsonbContainer *container;
	JsonbValue	properties;
	int			n;

	if (elem->type != jbvBinary || !JsonContainerIsObject(elem->val.binary.data))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("element %d of the contract's \"schema\" is not an object",
						position)));
	container = elem->val.binary.data;
	object->name = string_field(container, "name",
								psprintf("element %d of the contract's \"schema\"",
										 position));
	if (object->name == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("element %d of the contract's \"schema\" has no \"name\"",
						position)));
	if (!container_field(container, "properties", &properties))
		return object;
	if (properties.type != jbvBinary ||
		!JsonContainerIsArray(properties.val.binary.data))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("\"properties\" of schema object \"%s\" is not an array",
						object->name)));
	n = JsonContainerSize(properties.val.binary.data);
	if (n > MaxHeapAttributeNumber)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("schema object \"%s\" of the contract has %d properties, more than %d",
						object->name, n, MaxHeapAttributeNumber)));
	for (int i = 0; i < n; i++)
	{
		DocProperty *property;
		ListCell   *lc;

		CHECK_FOR_INTERRUPTS();
		property = document_property(getIthJsonbValueFromContainer(properties.val.binary.data, i),
									 object->name, i + 1);
		foreach(lc, object->properties)
			if (strcmp(((DocProperty *) lfirst(lc))->name, property->name) == 0)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("property \"%s\" appears more than once in schema object \"%s\"",
								property->name, object->name)));
		object->properties = lappend(object->properties, property);
	}
	return object;
}

static DocProperty *
document_property(JsonbValue *elem, const char *object, int position)
{
	DocProperty *property = palloc0(sizeof(DocProperty));
	JsonbContainer *container;
	JsonbValue	required;
	char	   *what;

	if (elem->type != jbvBinary || !JsonContainerIsObject(elem->val.binary.data))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("property %d of schema object \"%s\" is not an object",
						position, object)));
	container = elem->val.binary.data;
	property->name = string_field(container, "name",
								  psprintf("property %d of schema object \"%s\"",
										   position, object));
	if (property->name == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("property %d of schema object \"%s\" has no \"name\"",
						position, object)));
	what = psprintf("property \"%s\" of schema object \"%s\"",
					property->name, object);
	property->physical_type = string_field(container, "physicalType", what);
	if (container_field(container, "required", &required))
	{
		if (required.type != jbvBool)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("\"required\" of %s is not a boolean", what)));
		property->required = required.val.boolean;
	}
	return property;
}

/*
 * A key of a JSON object; false if it has none.
 */
static bool
container_field(JsonbContainer *container, const char *key, JsonbValue *value)
{
	return getKeyJsonValueFromContainer(container, key, strlen(key), value) != NULL;
}

/*
 * The string value of a key of a JSON object, NULL if it has none, and an
 * error naming "what" if it is not a string.
 */
static char *
string_field(JsonbContainer *container, const char *key, const char *what)
{
	JsonbValue	value;

	if (!container_field(container, key, &value))
		return NULL;
	if (value.type != jbvString)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("\"%s\" of %s is not a string", key, what)));
	return pnstrdup(value.val.string.val, value.val.string.len);
}

/*
 * The mismatches between the document's objects and a contract's outputs:
 * the document's objects in its order, each followed by the columns of its
 * output that it does not mention, then the outputs it does not mention.
 */
static List *
compare_document(List *objects, List *outputs)
{
	List	   *mismatches = NIL;
	ListCell   *lc;
	ListCell   *lc2;

	foreach(lc, objects)
	{
		DocObject  *object = lfirst(lc);
		DpOutput   *output = NULL;

		CHECK_FOR_INTERRUPTS();
		foreach(lc2, outputs)
			if (strcmp(((DpOutput *) lfirst(lc2))->name, object->name) == 0)
				output = lfirst(lc2);
		if (output == NULL)
			mismatches = lappend(mismatches,
								 mismatch(object->name, NULL, "missing output",
										  pstrdup("The release has no output of this name.")));
		else
			compare_columns(&mismatches, object, output);
	}
	foreach(lc2, outputs)
	{
		DpOutput   *output = lfirst(lc2);
		bool		mentioned = false;

		CHECK_FOR_INTERRUPTS();
		foreach(lc, objects)
			mentioned |= strcmp(((DocObject *) lfirst(lc))->name, output->name) == 0;
		if (!mentioned)
			mismatches = lappend(mismatches,
								 mismatch(output->name, NULL, "extra output",
										  pstrdup("The contract does not mention this output of the release.")));
	}
	return mismatches;
}

/*
 * The mismatches between the properties of one object and the columns of
 * its output.
 */
static void
compare_columns(List **mismatches, DocObject *object, DpOutput *output)
{
	ListCell   *lc;
	ListCell   *lc2;

	foreach(lc, object->properties)
	{
		DocProperty *property = lfirst(lc);
		DpColumn   *column = NULL;
		char	   *detail;

		CHECK_FOR_INTERRUPTS();
		foreach(lc2, output->columns)
			if (strcmp(((DpColumn *) lfirst(lc2))->name, property->name) == 0)
				column = lfirst(lc2);
		if (column == NULL)
		{
			*mismatches = lappend(*mismatches,
								  mismatch(object->name, property->name, "missing column",
										   pstrdup("The output has no column of this name.")));
			continue;
		}
		if (property->physical_type != NULL &&
			(detail = type_mismatch(property->physical_type, column->type)) != NULL)
			*mismatches = lappend(*mismatches,
								  mismatch(object->name, property->name,
										   "different physical type", detail));
		if (property->required && !column->not_null)
			*mismatches = lappend(*mismatches,
								  mismatch(object->name, property->name, "not required",
										   pstrdup("The contract requires a value, and the release does not promise the column NOT NULL.")));
	}
	foreach(lc2, output->columns)
	{
		DpColumn   *column = lfirst(lc2);
		bool		mentioned = false;

		CHECK_FOR_INTERRUPTS();
		foreach(lc, object->properties)
			mentioned |= strcmp(((DocProperty *) lfirst(lc))->name, column->name) == 0;
		if (!mentioned)
			*mismatches = lappend(*mismatches,
								  mismatch(object->name, column->name, "extra column",
										   psprintf("The contract does not mention this column of type %s.",
													column->type)));
	}
}

/*
 * Why a type of the document is not the type a release promises, or NULL
 * if it is, however it is spelled ("varchar(20)" is "character varying(20)").
 */
static char *
type_mismatch(const char *document_type, const char *release_type)
{
	char	   *normalized;
	char	   *error;

	if (strcmp(document_type, release_type) == 0)
		return NULL;
	normalized = normalized_type(document_type, &error);
	if (normalized == NULL)
		return psprintf("The contract's type \"%s\" is not a type of this database (%s); the release has %s.",
						document_type, error, release_type);
	if (strcmp(normalized, release_type) == 0)
		return NULL;
	return psprintf("The contract says %s, the release has %s.",
					normalized, release_type);
}

/*
 * A type name as format_type() spells it, or NULL with the reason in
 * "error" if it names no type.  Parsing a type name can fail in many ways
 * (syntax, unknown names, typmods a type refuses), so it runs in a
 * subtransaction; errors other than those a bad type name raises, such as
 * a query cancel, are thrown.
 */
static char *
normalized_type(const char *type, char **error)
{
	MemoryContext cxt = CurrentMemoryContext;
	ResourceOwner owner = CurrentResourceOwner;
	char	   *volatile result = NULL;

	*error = NULL;
	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(cxt);
	PG_TRY();
	{
		Oid			typid;
		int32		typmod;

		dp_parse_type_string(type, &typid, &typmod);
		result = format_type_with_typemod(typid, typmod);
		ReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(cxt);
		CurrentResourceOwner = owner;
	}
	PG_CATCH();
	{
		ErrorData  *edata;
		int			category;

		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(cxt);
		CurrentResourceOwner = owner;
		category = ERRCODE_TO_CATEGORY(edata->sqlerrcode);
		if (category != ERRCODE_SYNTAX_ERROR_OR_ACCESS_RULE_VIOLATION &&
			category != ERRCODE_DATA_EXCEPTION)
			ReThrowError(edata);
		*error = edata->message;
	}
	PG_END_TRY();
	return result;
}

static Mismatch *
mismatch(const char *object, const char *property, const char *problem,
		 char *detail)
{
	Mismatch   *m = palloc(sizeof(Mismatch));

	m->object = pstrdup(object);
	m->property = property ? pstrdup(property) : NULL;
	m->problem = problem;
	m->detail = detail;
	return m;
}

/*
 * The contract of a release of a product: "version", or when NULL, the
 * latest release of its latest live major version.
 */
static List *
contract_of_release(const char *product, const char *version)
{
	DpRows	   *rows;
	Oid			argtypes[1] = {TEXTOID};
	Datum		values[1];

	product = dp_get_product(product, false)->name;
	if (version != NULL)
		return dp_release_contract(dp_find_release(product,
												   dp_parse_version(version))->id);

	values[0] = CStringGetTextDatum(product);
	rows = dp_catalog_query(DP_READ_LATEST,
							"SELECT r.release_id FROM dataproduct.release r"
							" JOIN dataproduct.major_version m"
							"   ON m.product OPERATOR(pg_catalog.=) r.product"
							"  AND m.major OPERATOR(pg_catalog.=) r.major"
							" WHERE r.product OPERATOR(pg_catalog.=) $1"
							" AND m.status OPERATOR(pg_catalog.<>) 'retired'"
							" ORDER BY r.major DESC, r.minor DESC, r.patch DESC LIMIT 1",
							1, argtypes, values, NULL);
	if (rows->count == 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("data product \"%s\" has no live major version", product),
				 errhint("Name a published version, or verify against outputs before publishing them.")));
	return dp_release_contract(DatumGetInt64(dp_rows_datum(rows, 0, 1)));
}

/*
 * One result row of verify_contract() per mismatch.
 */
static void
put_mismatches(FunctionCallInfo fcinfo, List *mismatches)
{
	TupleDesc	tupdesc;
	Tuplestorestate *store = dp_materialized_result(fcinfo, &tupdesc);
	ListCell   *lc;

	foreach(lc, mismatches)
	{
		Mismatch   *m = lfirst(lc);
		Datum		values[4];
		bool		nulls[4] = {false, m->property == NULL, false, false};

		values[0] = CStringGetTextDatum(m->object);
		values[1] = m->property ? CStringGetTextDatum(m->property) : (Datum) 0;
		values[2] = CStringGetTextDatum(m->problem);
		values[3] = CStringGetTextDatum(m->detail);
		tuplestore_putvalues(store, tupdesc, values, nulls);
	}
}

/*
 * Keep the document with the major version, replacing an earlier one.
 */
static void
store_attachment(const char *product, int32 major, Jsonb *contract)
{
	Oid			argtypes[4] = {TEXTOID, INT4OID, JSONBOID, NAMEOID};
	Datum		values[4];

	values[0] = CStringGetTextDatum(product);
	values[1] = Int32GetDatum(major);
	values[2] = JsonbPGetDatum(contract);
	values[3] = dp_name_datum(GetUserNameFromId(GetUserId(), false));
	(void) dp_catalog_query(DP_WRITE,
							"INSERT INTO dataproduct.contract_attachment"
							" (product, major, document, attached_by)"
							" VALUES ($1, $2, $3, $4)"
							" ON CONFLICT (product, major) DO UPDATE"
							" SET document = excluded.document,"
							" attached_at = pg_catalog.now(),"
							" attached_by = excluded.attached_by",
							4, argtypes, values, NULL);
}

/*
 * The generated document of a release of a major version with the document
 * attached to that major laid under it, or "generated" itself when none is
 * attached.  The catalog's facts win: every top-level key the generated
 * document has, except the human and operational parts the attachment
 * gives (team, support, slaProperties, slaDefaultElement, tags, price,
 * roles, authoritativeDefinitions; the keys of its "description" object;
 * its "customProperties" whose property the generated document does not
 * set).  In "schema", the generated objects and properties, in their order,
 * each over the attached one of the same name minus its structural keys:
 * what the attachment adds is its description where the catalog has none,
 * tags, quality rules, business names, custom properties, examples...
 * The statement runs as the catalog owner with search_path pg_catalog,
 * pg_temp (dp_run_as()).
 */
Jsonb *
dp_merge_attached(Jsonb *generated, const char *product, int32 major)
{
	Oid			argtypes[3] = {TEXTOID, INT4OID, JSONBOID};
	Datum		values[3];
	DpRows	   *rows;

	values[0] = CStringGetTextDatum(product);
	values[1] = Int32GetDatum(major);
	values[2] = JsonbPGetDatum(generated);
	rows = dp_catalog_query(DP_READ_LATEST,
		"WITH doc AS ("
		" SELECT a.document AS ad, $3 AS gd"
		"   FROM dataproduct.contract_attachment a"
		"  WHERE a.product OPERATOR(pg_catalog.=) $1"
		"    AND a.major OPERATOR(pg_catalog.=) $2)"
		" SELECT (doc.ad OPERATOR(pg_catalog.-) '{apiVersion,kind,id,name,version,status,"
		"domain,dataProduct,contractCreatedTs,servers,schema}'::pg_catalog.text[])"
		" OPERATOR(pg_catalog.||) doc.gd"
		/* the human parts of the attachment */
		" OPERATOR(pg_catalog.||) COALESCE((SELECT pg_catalog.jsonb_object_agg(e.key, e.value)"
		"   FROM pg_catalog.jsonb_each(doc.ad) e"
		"  WHERE e.key OPERATOR(pg_catalog.=) ANY ('{team,support,slaProperties,"
		"slaDefaultElement,tags,price,roles,authoritativeDefinitions}'::pg_catalog.text[])),"
		"  '{}')"
		/* the keys of its description over the generated ones */
		" OPERATOR(pg_catalog.||) CASE WHEN pg_catalog.jsonb_typeof(doc.ad -> 'description')"
		"   OPERATOR(pg_catalog.=) 'object'"
		"  THEN pg_catalog.jsonb_build_object('description',"
		"   CASE WHEN pg_catalog.jsonb_typeof(doc.gd -> 'description') OPERATOR(pg_catalog.=) 'object'"
		"    THEN doc.gd -> 'description' ELSE '{}' END"
		"   OPERATOR(pg_catalog.||) (doc.ad -> 'description'))"
		"  ELSE '{}' END"
		/* its custom properties the generated document does not set */
		" OPERATOR(pg_catalog.||) CASE WHEN pg_catalog.jsonb_typeof(doc.ad -> 'customProperties')"
		"   OPERATOR(pg_catalog.=) 'array'"
		"  THEN pg_catalog.jsonb_build_object('customProperties',"
		"   COALESCE(CASE WHEN pg_catalog.jsonb_typeof(doc.gd -> 'customProperties')"
		"     OPERATOR(pg_catalog.=) 'array' THEN doc.gd -> 'customProperties' END, '[]')"
		"   OPERATOR(pg_catalog.||) COALESCE((SELECT pg_catalog.jsonb_agg(c.value ORDER BY c.n)"
		"     FROM pg_catalog.jsonb_array_elements(doc.ad -> 'customProperties')"
		"          WITH ORDINALITY c(value, n)"
		"    WHERE NOT pg_catalog.jsonb_path_exists(doc.gd,"
		"     '$.customProperties[*] ? (@.property == $p)',"
		"     pg_catalog.jsonb_build_object('p', c.value -> 'property'))), '[]'))"
		"  ELSE '{}' END"
		/* the generated schema over the attached one */
		" OPERATOR(pg_catalog.||) CASE WHEN pg_catalog.jsonb_typeof(doc.gd -> 'schema')"
		"   OPERATOR(pg_catalog.=) 'array'"
		"  THEN pg_catalog.jsonb_build_object('schema', COALESCE((SELECT pg_catalog.jsonb_agg("
		"   (COALESCE(ao.value, '{}') OPERATOR(pg_catalog.-) '{name,physicalName,physicalType,"
		"logicalType,properties}'::pg_catalog.text[])"
		"   OPERATOR(pg_catalog.||) g.value"
		"   OPERATOR(pg_catalog.||) CASE WHEN pg_catalog.jsonb_typeof(g.value -> 'properties')"
		"     OPERATOR(pg_catalog.=) 'array'"
		"    THEN pg_catalog.jsonb_build_object('properties', COALESCE((SELECT pg_catalog.jsonb_agg("
		"     (COALESCE(ap.value, '{}') OPERATOR(pg_catalog.-) '{name,logicalType,physicalType,"
		"required,primaryKey,primaryKeyPosition}'::pg_catalog.text[])"
		"     OPERATOR(pg_catalog.||) gp.value ORDER BY gp.n)"
		"      FROM pg_catalog.jsonb_array_elements(g.value -> 'properties')"
		"           WITH ORDINALITY gp(value, n)"
		"      LEFT JOIN LATERAL (SELECT x.value"
		"        FROM pg_catalog.jsonb_path_query(ao.value,"
		"         '$.properties[*] ? (@.name == $n)',"
		"         pg_catalog.jsonb_build_object('n', gp.value -> 'name')) x(value)"
		"       LIMIT 1) ap ON true), '[]'))"
		"    ELSE '{}' END"
		"   ORDER BY g.n)"
		"   FROM pg_catalog.jsonb_array_elements(doc.gd -> 'schema') WITH ORDINALITY g(value, n)"
		"   LEFT JOIN LATERAL (SELECT x.value"
		"     FROM pg_catalog.jsonb_path_query(doc.ad,"
		"      '$.schema[*] ? (@.name == $n)',"
		"      pg_catalog.jsonb_build_object('n', g.value -> 'name')) x(value)"
		"    LIMIT 1) ao ON true), '[]'))"
		"  ELSE '{}' END"
		" FROM doc",
		3, argtypes, values, NULL);
	if (rows->count == 0)
		return generated;
	return DatumGetJsonbP(dp_rows_datum(rows, 0, 1));
}
