/*-------------------------------------------------------------------------
 *
 * quality.c
 *		  check_quality(): the ODCS quality rules of a major version, run in
 *		  the database
 *
 * The ODCS document attached to a major version (contract_attachment) may
 * carry quality rules: schema[].quality[] about an output and
 * schema[].properties[].quality[] about one of its columns.  check_quality()
 * runs them against the live version views, keeps the last result of each
 * rule in dataproduct.quality_result and returns them.  Rules of type
 * "library" (metrics rowCount, nullValues, missingValues, invalidValues,
 * duplicateValues; unit rows or percent) are queries built here, with
 * quoted names and the rule's values as parameters; rules of type "sql" are
 * the producer's own query, with {object} replaced by the quoted,
 * schema-qualified view and {property} by the quoted column.  Rules of type
 * "text" and "custom" are reported, not checked.
 *
 * Only the domain may run the rules, and they never run as the caller: each
 * runs as the domain's owner (dp_run_as(), a security restricted operation,
 * so no SET ROLE or SET SESSION AUTHORIZATION), as a single SELECT (the
 * query alone must parse as one SELECT statement; it is then run as
 * SELECT * FROM (<query>) q, so SPI, which would run every statement of a
 * string, gets one), through read-only SPI (which refuses a data-modifying
 * statement) with the transaction marked read-only for the time of the
 * rule (so that a volatile function the query calls cannot write either:
 * "cannot execute INSERT in a read-only transaction", and cannot turn
 * read-write mode back on), under a timer of dataproduct.quality_timeout
 * (a statement_timeout would only start with the next top-level
 * statement), inside a subtransaction that is always rolled back: what a
 * rule could still change, its own temporary tables, settings and
 * notifications, is undone.  What a rollback cannot undo stays possible
 * within the owner's privileges: session advisory locks, and functions
 * that reach outside the database (dblink, files), which the owner must
 * have been granted.  A rule that fails, is refused or times out is a row
 * with passed false and actual "error: <message>"; a cancel that is not
 * the rule's timeout cancels check_quality().
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "dataproduct.h"

#include <limits.h>

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "parser/parser.h"
#include "parser/scansup.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/numeric.h"
#include "utils/resowner.h"
#include "utils/timeout.h"
#include "utils/timestamp.h"

PG_FUNCTION_INFO_V1(dp_check_quality);

/* dataproduct.quality_timeout: how long one rule may run, in milliseconds */
static int	quality_timeout = 30000;

/* One quality rule of the attached document, as rules_of() reads it */
typedef struct QualityRule
{
	char	   *object;			/* schema object (output) name */
	char	   *property;		/* column name; NULL for the object */
	char	   *rule;			/* name, or a description; unique per column */
	char	   *type;			/* library, sql, text, custom, ... */
	char	   *metric;			/* library metric, or NULL */
	char	   *unit;			/* rows, percent, or NULL */
	char	   *query;			/* sql rule's query, or NULL */
	int			operators;		/* how many mustXxx keys the rule has */
	char	   *op;				/* the operator, when it has one */
	char	   *expected;		/* operator and value, as text */
	Datum		number;			/* the operator's number, or 0 */
	char	   *string;			/* the operator's string, or NULL */
	Datum		low;			/* the operator's [low, high], or 0 */
	Datum		high;
	Datum		valid;			/* arguments.validValues, text[], or 0 */
	Datum		missing;		/* arguments.missingValues, text[], or 0 */
	char	   *pattern;		/* arguments.pattern, or NULL */
	/* the result */
	char	   *actual;
	bool		passed;
	bool		passed_null;
} QualityRule;

/* The timer of one rule, and the statement timeout it stands in front of */
typedef struct RuleTimer
{
	bool		outer_active;
	TimestampTz outer_finish;
	TimestampTz finish;
	bool		ours;			/* it is the rule's timeout that fires */
} RuleTimer;

static List *rules_of(DpProduct *product, int32 major);
static QualityRule *rule_from_row(DpRows *rows, uint64 row);
static const char *rule_problem(DpMajor *major, QualityRule *rule);
static const char *operator_problem(QualityRule *rule);
static void run_rule(DpMajor *major, QualityRule *rule);
static char *measure(DpMajor *major, QualityRule *rule);
static char *library_query(DpMajor *major, QualityRule *rule);
static char *sql_query(DpMajor *major, QualityRule *rule);
static void check_single_select(const char *query);
static bool compare(QualityRule *rule, const char *actual);
static void arm_timer(RuleTimer *timer);
static void disarm_timer(RuleTimer *timer);
static void keep_results(DpMajor *major, List *rules);

/*
 * Module load: the setting of the rules' timeout.
 */
void
dp_quality_init(void)
{
	DefineCustomIntVariable("dataproduct.quality_timeout",
							"Sets the longest time one quality rule may run.",
							"check_quality() reports a rule that runs longer as failed.",
							&quality_timeout,
							30000,
							1,
							INT_MAX,
							PGC_USERSET,
							GUC_UNIT_MS,
							NULL,
							NULL,
							NULL);
}

/*
 * check_quality(product text, major int): run the quality rules of the
 * document attached to a live major version, keep and return the results.
 */
Datum
dp_check_quality(PG_FUNCTION_ARGS)
{
	DpProduct  *product;
	DpMajor    *major;
	List	   *rules;
	ListCell   *lc;
	TupleDesc	tupdesc;
	Tuplestorestate *store;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("product and major must not be null")));
	product = dp_get_product(text_to_cstring(PG_GETARG_TEXT_PP(0)), false);
	major = dp_major_for_owner(product, PG_GETARG_INT32(1),
							   "check the quality of");
	rules = rules_of(product, major->latest.major);
	foreach(lc, rules)
	{
		QualityRule *rule = lfirst(lc);
		const char *problem = rule_problem(major, rule);

		if (problem != NULL)
		{
			rule->actual = psprintf("not checked: %s", problem);
			rule->passed_null = true;
		}
		else
			run_rule(major, rule);
	}
	keep_results(major, rules);

	store = dp_materialized_result(fcinfo, &tupdesc);
	foreach(lc, rules)
	{
		QualityRule *rule = lfirst(lc);
		Datum		values[6];
		bool		nulls[6] = {false, rule->property == NULL, false, false,
		rule->actual == NULL, rule->passed_null};

		values[0] = CStringGetTextDatum(rule->object);
		values[1] = rule->property ? CStringGetTextDatum(rule->property) : 0;
		values[2] = CStringGetTextDatum(rule->rule);
		values[3] = CStringGetTextDatum(rule->expected);
		values[4] = rule->actual ? CStringGetTextDatum(rule->actual) : 0;
		values[5] = BoolGetDatum(rule->passed);
		tuplestore_putvalues(store, tupdesc, values, nulls);
	}
	return (Datum) 0;
}

/*
 * The quality rules of the document attached to a major version, in
 * document order: each object's rules, then its properties' rules.  Objects
 * and properties without a name (invalid ODCS) have none.  A rule without a
 * name is named by its metric (or type) and expectation, numbered when
 * several are alike.
 */
static List *
rules_of(DpProduct *product, int32 major)
{
	Oid			argtypes[2] = {TEXTOID, INT4OID};
	Datum		values[2] = {CStringGetTextDatum(product->name), Int32GetDatum(major)};
	DpRows	   *rows;
	List	   *rules = NIL;

	rows = dp_catalog_query(DP_READ_LATEST,
							"SELECT document FROM dataproduct.contract_attachment"
							" WHERE product OPERATOR(pg_catalog.=) $1"
							" AND major OPERATOR(pg_catalog.=) $2",
							2, argtypes, values, NULL);
	if (rows->count == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("major version %d of data product \"%s\" has no attached contract",
						major, product->name),
				 errhint("Attach an ODCS document with its quality rules with dataproduct.attach_contract().")));

	rows = dp_catalog_query(DP_READ_LATEST,
							"WITH objects AS ("
							" SELECT o.value AS obj, o.ordinality AS opos"
							" FROM dataproduct.contract_attachment a,"
							" pg_catalog.jsonb_array_elements(CASE pg_catalog.jsonb_typeof(a.document -> 'schema')"
							"  WHEN 'array' THEN a.document -> 'schema' ELSE '[]' END) WITH ORDINALITY o"
							" WHERE a.product OPERATOR(pg_catalog.=) $1"
							" AND a.major OPERATOR(pg_catalog.=) $2),"
							" rules AS ("
							" SELECT obj ->> 'name' AS object, NULL::pg_catalog.text AS property,"
							"  q.value AS q, opos, 0::pg_catalog.int8 AS ppos, q.ordinality AS qpos"
							" FROM objects, pg_catalog.jsonb_array_elements(CASE pg_catalog.jsonb_typeof(obj -> 'quality')"
							"  WHEN 'array' THEN obj -> 'quality' ELSE '[]' END) WITH ORDINALITY q"
							" UNION ALL"
							" SELECT obj ->> 'name', p.value ->> 'name', q.value, opos, p.ordinality, q.ordinality"
							" FROM objects,"
							" pg_catalog.jsonb_array_elements(CASE pg_catalog.jsonb_typeof(obj -> 'properties')"
							"  WHEN 'array' THEN obj -> 'properties' ELSE '[]' END) WITH ORDINALITY p,"
							" pg_catalog.jsonb_array_elements(CASE pg_catalog.jsonb_typeof(p.value -> 'quality')"
							"  WHEN 'array' THEN p.value -> 'quality' ELSE '[]' END) WITH ORDINALITY q),"
							" operators AS ("
							" SELECT r.*, ARRAY(SELECT k FROM pg_catalog.jsonb_object_keys(CASE pg_catalog.jsonb_typeof(q)"
							"  WHEN 'object' THEN q ELSE '{}' END) k"
							"  WHERE k OPERATOR(pg_catalog.=) ANY ('{mustBe,mustNotBe,mustBeGreaterThan,"
							"mustBeGreaterOrEqualTo,mustBeLessThan,mustBeLessOrEqualTo,mustBeBetween,"
							"mustNotBeBetween}') ORDER BY k) AS ops"
							" FROM rules r WHERE object IS NOT NULL AND (ppos OPERATOR(pg_catalog.=) 0 OR property IS NOT NULL)),"
							" described AS ("
							" SELECT o.*, q -> ops[1] AS v,"
							"  pg_catalog.concat_ws(' ', ops[1], q -> ops[1], q ->> 'unit') AS expected"
							" FROM operators o),"
							" named AS ("
							" SELECT d.*, COALESCE(q ->> 'name', pg_catalog.concat_ws(' ',"
							"  COALESCE(q ->> 'metric', q ->> 'rule', q ->> 'type', 'library'), expected)) AS name"
							" FROM described d)"
							" SELECT object, property,"
							" name OPERATOR(pg_catalog.||) CASE WHEN pg_catalog.row_number() OVER w OPERATOR(pg_catalog.>) 1"
							"  THEN pg_catalog.format(' (%s)', pg_catalog.row_number() OVER w) ELSE '' END,"
							" COALESCE(q ->> 'type', 'library'), COALESCE(q ->> 'metric', q ->> 'rule'),"
							" q ->> 'unit', q ->> 'query', pg_catalog.cardinality(ops), ops[1], expected,"
							" CASE pg_catalog.jsonb_typeof(v) WHEN 'number' THEN (v #>> '{}')::pg_catalog.numeric END,"
							" CASE pg_catalog.jsonb_typeof(v) WHEN 'string' THEN v #>> '{}' END,"
							" CASE WHEN pg_catalog.jsonb_typeof(v) OPERATOR(pg_catalog.=) 'array'"
							"  AND pg_catalog.jsonb_array_length(v) OPERATOR(pg_catalog.=) 2"
							"  AND pg_catalog.jsonb_typeof(v -> 0) OPERATOR(pg_catalog.=) 'number'"
							"  AND pg_catalog.jsonb_typeof(v -> 1) OPERATOR(pg_catalog.=) 'number'"
							"  THEN (v ->> 0)::pg_catalog.numeric END,"
							" CASE WHEN pg_catalog.jsonb_typeof(v) OPERATOR(pg_catalog.=) 'array'"
							"  AND pg_catalog.jsonb_array_length(v) OPERATOR(pg_catalog.=) 2"
							"  AND pg_catalog.jsonb_typeof(v -> 0) OPERATOR(pg_catalog.=) 'number'"
							"  AND pg_catalog.jsonb_typeof(v -> 1) OPERATOR(pg_catalog.=) 'number'"
							"  THEN (v ->> 1)::pg_catalog.numeric END,"
							" CASE pg_catalog.jsonb_typeof(q #> '{arguments,validValues}') WHEN 'array'"
							"  THEN ARRAY(SELECT e FROM pg_catalog.jsonb_array_elements_text(q #> '{arguments,validValues}') e"
							"   WHERE e IS NOT NULL) END,"
							" CASE pg_catalog.jsonb_typeof(q #> '{arguments,missingValues}') WHEN 'array'"
							"  THEN ARRAY(SELECT e FROM pg_catalog.jsonb_array_elements_text(q #> '{arguments,missingValues}') e"
							"   WHERE e IS NOT NULL) END,"
							" q #>> '{arguments,pattern}'"
							" FROM named"
							" WINDOW w AS (PARTITION BY object, property, name ORDER BY opos, ppos, qpos)"
							" ORDER BY opos, ppos, qpos",
							2, argtypes, values, NULL);
	for (uint64 i = 0; i < rows->count; i++)
		rules = lappend(rules, rule_from_row(rows, i));
	return rules;
}

/* Datum of a column of rules_of()'s rows, or 0 when NULL */
static Datum
datum_or_zero(DpRows *rows, uint64 row, int col)
{
	return dp_rows_isnull(rows, row, col) ? (Datum) 0 :
		dp_rows_datum(rows, row, col);
}

static QualityRule *
rule_from_row(DpRows *rows, uint64 row)
{
	QualityRule *rule = palloc0(sizeof(QualityRule));

	rule->object = dp_rows_text(rows, row, 1);
	rule->property = dp_rows_text(rows, row, 2);
	rule->rule = dp_rows_text(rows, row, 3);
	rule->type = dp_rows_text(rows, row, 4);
	rule->metric = dp_rows_text(rows, row, 5);
	rule->unit = dp_rows_text(rows, row, 6);
	rule->query = dp_rows_text(rows, row, 7);
	rule->operators = DatumGetInt32(dp_rows_datum(rows, row, 8));
	rule->op = dp_rows_text(rows, row, 9);
	rule->expected = dp_rows_text(rows, row, 10);
	rule->number = datum_or_zero(rows, row, 11);
	rule->string = dp_rows_text(rows, row, 12);
	rule->low = datum_or_zero(rows, row, 13);
	rule->high = datum_or_zero(rows, row, 14);
	rule->valid = datum_or_zero(rows, row, 15);
	rule->missing = datum_or_zero(rows, row, 16);
	rule->pattern = dp_rows_text(rows, row, 17);
	return rule;
}

/*
 * Why a rule is not checked, or NULL if it is: a type the database does not
 * run, an unknown metric or unit, a missing or unusable operator, an object
 * that is not an output of the major version, a sql rule that would run
 * with a superuser's privileges.
 */
static const char *
rule_problem(DpMajor *major, QualityRule *rule)
{
	ListCell   *lc;
	bool		output = false;

	if (strcmp(rule->type, "text") == 0 || strcmp(rule->type, "custom") == 0)
		return psprintf("rules of type %s are not run by the database",
						rule->type);
	if (strcmp(rule->type, "library") != 0 && strcmp(rule->type, "sql") != 0)
		return psprintf("unknown rule type \"%s\"", rule->type);
	foreach(lc, major->outputs)
		output = output || strcmp(lfirst(lc), rule->object) == 0;
	if (!output)
		return psprintf("\"%s\" is not an output of major version %d",
						rule->object, major->latest.major);
	/* the sandbox of a sql rule is its owner's privileges: not a superuser's */
	if (strcmp(rule->type, "sql") == 0 && superuser_arg(major->product->owner))
		return "sql rules are not run for a domain whose owner is a superuser";
	if (strcmp(rule->type, "sql") == 0)
		return rule->query == NULL ? "the rule has no query" :
			operator_problem(rule);
	if (rule->metric == NULL)
		return "the rule has no metric";
	if (strcmp(rule->metric, "rowCount") != 0 &&
		strcmp(rule->metric, "nullValues") != 0 &&
		strcmp(rule->metric, "missingValues") != 0 &&
		strcmp(rule->metric, "invalidValues") != 0 &&
		strcmp(rule->metric, "duplicateValues") != 0)
		return psprintf("unknown metric \"%s\"", rule->metric);
	if (strcmp(rule->metric, "rowCount") != 0 && rule->property == NULL)
		return psprintf("metric %s applies to a property", rule->metric);
	if (strcmp(rule->metric, "invalidValues") == 0 &&
		rule->valid == (Datum) 0 && rule->pattern == NULL)
		return "metric invalidValues needs arguments.validValues or arguments.pattern";
	if (rule->unit != NULL && strcmp(rule->unit, "rows") != 0 &&
		(strcmp(rule->unit, "percent") != 0 ||
		 strcmp(rule->metric, "rowCount") == 0))
		return psprintf("unit \"%s\" is not supported for metric %s",
						rule->unit, rule->metric);
	if (rule->string != NULL)
		return psprintf("%s of metric %s takes a number", rule->op,
						rule->metric);
	return operator_problem(rule);
}

/* Why a rule's operator is unusable, or NULL */
static const char *
operator_problem(QualityRule *rule)
{
	if (rule->operators == 0)
		return "the rule has no operator such as mustBe";
	if (rule->operators > 1)
		return "the rule has more than one operator";
	if (strcmp(rule->op, "mustBeBetween") == 0 ||
		strcmp(rule->op, "mustNotBeBetween") == 0)
	{
		if (rule->low == (Datum) 0 ||
			DatumGetInt32(DirectFunctionCall2(numeric_cmp, rule->low,
											  rule->high)) > 0)
			return psprintf("%s takes two numbers, the smallest first",
							rule->op);
		return NULL;
	}
	if (strcmp(rule->op, "mustBe") == 0 || strcmp(rule->op, "mustNotBe") == 0)
		return rule->number == (Datum) 0 && rule->string == NULL ?
			psprintf("%s takes a number or a string", rule->op) : NULL;
	return rule->number == (Datum) 0 ?
		psprintf("%s takes a number", rule->op) : NULL;
}

/*
 * Run a rule as the domain's owner, read-only, under its timer, in a
 * subtransaction that is rolled back whatever happens; set its result.
 */
static void
run_rule(DpMajor *major, QualityRule *rule)
{
	MemoryContext cxt = CurrentMemoryContext;
	ResourceOwner owner = CurrentResourceOwner;
	bool		read_only = XactReadOnly;
	RuleTimer	timer;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(cxt);
	arm_timer(&timer);
	XactReadOnly = true;
	PG_TRY();
	{
		rule->actual = measure(major, rule);
		rule->passed = rule->actual != NULL && compare(rule, rule->actual);
		/* stop the timer, keeping whether it fired: then that is the rule's */
		disable_timeout(STATEMENT_TIMEOUT, true);
		CHECK_FOR_INTERRUPTS();
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		disarm_timer(&timer);
		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		/* after the rollback, which restores what the rule set */
		XactReadOnly = read_only;
		MemoryContextSwitchTo(cxt);
		CurrentResourceOwner = owner;
		/* a cancel, or a statement timeout that ends first, cancels all */
		if (edata->sqlerrcode == ERRCODE_QUERY_CANCELED &&
			!(timer.ours && GetCurrentTimestamp() >= timer.finish))
			ReThrowError(edata);
		rule->actual = psprintf("error: %s", edata->message);
		rule->passed = false;
		FreeErrorData(edata);
		return;
	}
	PG_END_TRY();
	disarm_timer(&timer);
	RollbackAndReleaseCurrentSubTransaction();
	XactReadOnly = read_only;
	MemoryContextSwitchTo(cxt);
	CurrentResourceOwner = owner;
}

/*
 * The value a rule measures, as text (NULL for SQL NULL or no row), read
 * as the domain's owner.
 */
static char *
measure(DpMajor *major, QualityRule *rule)
{
	Oid			argtypes[2] = {TEXTARRAYOID, TEXTOID};
	Datum		values[2];
	char		nulls[2] = {' ', ' '};
	bool		library = strcmp(rule->type, "library") == 0;
	char	   *sql = library ? library_query(major, rule) :
		sql_query(major, rule);
	DpRows	   *rows;

	/* invalidValues: validValues and pattern; missingValues: missingValues */
	values[0] = library && strcmp(rule->metric, "missingValues") == 0 ?
		rule->missing : rule->valid;
	nulls[0] = values[0] == (Datum) 0 ? 'n' : ' ';
	values[1] = rule->pattern ? CStringGetTextDatum(rule->pattern) : 0;
	nulls[1] = rule->pattern ? ' ' : 'n';
	rows = dp_run_as(major->product->owner, DP_READ, sql,
					 library ? 2 : 0, argtypes, values, nulls);
	if (rows->desc == NULL || rows->desc->natts != 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the query of a quality rule must return one column")));
	if (rows->count > 1)
		ereport(ERROR,
				(errcode(ERRCODE_CARDINALITY_VIOLATION),
				 errmsg("the query of a quality rule must return one row")));
	return rows->count == 0 ? NULL : dp_rows_text(rows, 0, 1);
}

/*
 * The query of a library metric: a count over the view, or its percentage
 * of the rows (0 for no rows), rounded to two decimals.  $1 is the list of
 * valid (invalidValues) or missing (missingValues) values, $2 the pattern of
 * valid values, each NULL when the rule has none (and a NULL comparison
 * counts no row); values compare as text.
 */
static char *
library_query(DpMajor *major, QualityRule *rule)
{
	const char *view = quote_qualified_identifier(major->schema, rule->object);
	const char *column = rule->property ? quote_identifier(rule->property) : NULL;
	const char *metric = rule->metric;
	char	   *count;

	if (strcmp(metric, "rowCount") == 0)
		count = "pg_catalog.count(*)";
	else if (strcmp(metric, "nullValues") == 0)
		count = psprintf("pg_catalog.count(*) FILTER (WHERE %s IS NULL)", column);
	else if (strcmp(metric, "missingValues") == 0)
		count = psprintf("pg_catalog.count(*) FILTER (WHERE %s IS NULL"
						 " OR %s::pg_catalog.text OPERATOR(pg_catalog.=) ANY ($1))",
						 column, column);
	else if (strcmp(metric, "invalidValues") == 0)
		count = psprintf("pg_catalog.count(*) FILTER (WHERE %s IS NOT NULL"
						 " AND (%s::pg_catalog.text OPERATOR(pg_catalog.<>) ALL ($1)"
						 " OR %s::pg_catalog.text OPERATOR(pg_catalog.!~) $2))",
						 column, column, column);
	else
		count = psprintf("pg_catalog.count(%s) OPERATOR(pg_catalog.-) pg_catalog.count(DISTINCT %s)",
						 column, column);
	if (rule->unit != NULL && strcmp(rule->unit, "percent") == 0)
		return psprintf("SELECT COALESCE(pg_catalog.round(100 OPERATOR(pg_catalog.*) n::pg_catalog.numeric"
						" OPERATOR(pg_catalog./) NULLIF(total, 0), 2), 0)"
						" FROM (SELECT %s AS n, pg_catalog.count(*) AS total FROM %s) s",
						count, view);
	return psprintf("SELECT %s FROM %s", count, view);
}

/*
 * The query of an sql rule: its placeholders replaced by quoted names, a
 * single SELECT, run as a subquery that returns at most two rows.
 */
static char *
sql_query(DpMajor *major, QualityRule *rule)
{
	const char *view = quote_qualified_identifier(major->schema, rule->object);
	const char *column = rule->property ? quote_identifier(rule->property) : NULL;
	char	   *template = pstrdup(rule->query);
	size_t		len = strlen(template);
	StringInfoData query;

	/* a trailing semicolon ends the statement; the subquery would not parse */
	while (len > 0 && (template[len - 1] == ';' ||
					   scanner_isspace(template[len - 1])))
		template[--len] = '\0';
	initStringInfo(&query);
	for (const char *p = template; *p != '\0'; p++)
	{
		if (strncmp(p, "{object}", 8) == 0)
		{
			appendStringInfoString(&query, view);
			p += 7;
		}
		else if (column != NULL && strncmp(p, "{property}", 10) == 0)
		{
			appendStringInfoString(&query, column);
			p += 9;
		}
		else
			appendStringInfoChar(&query, *p);
	}
	check_single_select(query.data);
	return psprintf("SELECT * FROM (\n%s\n) q LIMIT 2", query.data);
}

/*
 * An error unless a query is a single SELECT (or VALUES, TABLE, WITH ...
 * SELECT): SPI would run every statement of a string.
 */
static void
check_single_select(const char *query)
{
	List	   *statements = raw_parser(query, RAW_PARSE_DEFAULT);
	Node	   *statement;

	statement = list_length(statements) == 1 ?
		linitial_node(RawStmt, statements)->stmt : NULL;
	if (statement == NULL || !IsA(statement, SelectStmt) ||
		((SelectStmt *) statement)->intoClause != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the query of a quality rule must be a single SELECT statement")));
}

/* Whether a measured value satisfies the rule's operator */
static bool
compare(QualityRule *rule, const char *actual)
{
	const char *op = rule->op;
	Datum		value;
	int			cmp;

	if (rule->string != NULL)
		return (strcmp(actual, rule->string) == 0) == (strcmp(op, "mustBe") == 0);
	value = DirectFunctionCall3(numeric_in, CStringGetDatum(actual),
								ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1));
	if (strcmp(op, "mustBeBetween") == 0 || strcmp(op, "mustNotBeBetween") == 0)
	{
		bool		inside;

		inside = DatumGetInt32(DirectFunctionCall2(numeric_cmp, value, rule->low)) >= 0 &&
			DatumGetInt32(DirectFunctionCall2(numeric_cmp, value, rule->high)) <= 0;
		return inside == (strcmp(op, "mustBeBetween") == 0);
	}
	cmp = DatumGetInt32(DirectFunctionCall2(numeric_cmp, value, rule->number));
	if (strcmp(op, "mustBe") == 0)
		return cmp == 0;
	if (strcmp(op, "mustNotBe") == 0)
		return cmp != 0;
	if (strcmp(op, "mustBeGreaterThan") == 0)
		return cmp > 0;
	if (strcmp(op, "mustBeGreaterOrEqualTo") == 0)
		return cmp >= 0;
	if (strcmp(op, "mustBeLessThan") == 0)
		return cmp < 0;
	return cmp <= 0;			/* mustBeLessOrEqualTo */
}

/*
 * Start a rule's timer: dataproduct.quality_timeout from now, or the
 * statement timeout already running if that comes first.  A
 * statement_timeout set now would only start with the next statement.
 */
static void
arm_timer(RuleTimer *timer)
{
	timer->finish = TimestampTzPlusMilliseconds(GetCurrentTimestamp(),
												quality_timeout);
	timer->outer_active = get_timeout_active(STATEMENT_TIMEOUT);
	timer->outer_finish = timer->outer_active ?
		get_timeout_finish_time(STATEMENT_TIMEOUT) : 0;
	timer->ours = !timer->outer_active || timer->finish < timer->outer_finish;
	enable_timeout_at(STATEMENT_TIMEOUT,
					  timer->ours ? timer->finish : timer->outer_finish);
}

/* Stop a rule's timer, and give the statement timeout back its time */
static void
disarm_timer(RuleTimer *timer)
{
	if (timer->outer_active)
		enable_timeout_at(STATEMENT_TIMEOUT, timer->outer_finish);
	else
		disable_timeout(STATEMENT_TIMEOUT, false);
}

/*
 * Keep the results as the last of each rule of the major version, in place
 * of those of an earlier check.  Locking the major version's row makes
 * concurrent checks keep their results one after the other.
 */
static void
keep_results(DpMajor *major, List *rules)
{
	Oid			argtypes[8] = {TEXTOID, INT4OID, TEXTOID, TEXTOID, TEXTOID,
	TEXTOID, TEXTOID, BOOLOID};
	Datum		values[8];
	char		nulls[8] = {' ', ' ', ' ', ' ', ' ', ' ', ' ', ' '};
	ListCell   *lc;

	dp_lock_major(major->product->name, major->latest.major, true);
	values[0] = CStringGetTextDatum(major->product->name);
	values[1] = Int32GetDatum(major->latest.major);
	(void) dp_catalog_query(DP_WRITE,
							"DELETE FROM dataproduct.quality_result"
							" WHERE product OPERATOR(pg_catalog.=) $1"
							" AND major OPERATOR(pg_catalog.=) $2",
							2, argtypes, values, NULL);
	foreach(lc, rules)
	{
		QualityRule *rule = lfirst(lc);

		values[2] = CStringGetTextDatum(rule->object);
		/* the rules of the object itself have property '' */
		values[3] = CStringGetTextDatum(rule->property ? rule->property : "");
		values[4] = CStringGetTextDatum(rule->rule);
		values[5] = CStringGetTextDatum(rule->expected);
		values[6] = dp_text_or_null(rule->actual, &nulls[6]);
		values[7] = BoolGetDatum(rule->passed);
		nulls[7] = rule->passed_null ? 'n' : ' ';
		(void) dp_catalog_query(DP_WRITE,
								"INSERT INTO dataproduct.quality_result"
								" (product, major, object, property, rule, expected, actual, passed, checked_at)"
								" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, pg_catalog.now())",
								8, argtypes, values, nulls);
	}
}
