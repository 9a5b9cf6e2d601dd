/*-------------------------------------------------------------------------
 *
 * contract.c
 *		  Building the contract a set of source relations would publish
 *
 * publish(), diff() and next_version() all start from the same thing: the
 * outputs the caller names, turned into the contract they would become.
 * Each output is the frozen query of its source (for a view, its
 * definition; for a table, materialized view or foreign table, a SELECT of
 * its columns), with the column names, types with typmod, NOT NULL promises
 * and comments of the source.
 *
 * A view column is promised NOT NULL when it is a reference to a NOT NULL
 * column of a table, possibly under casts that cannot produce NULL,
 * followed through views and subqueries, and nothing in between can turn it
 * NULL (outer joins, set operations, grouping sets).  Anything else is not
 * promised.  Only declarations PostgreSQL enforces count: a NOT NULL that a
 * foreign table declares (itself, or as a partition or inheritance child of
 * the table read) is the remote server's business and promises nothing,
 * and a table promises NOT NULL only when all its inheritance children
 * declare it too.  Views are followed MAX_NOT_NULL_DEPTH levels deep; a
 * deeper column promises nothing.
 * (A CHECK (col IS NOT NULL) constraint, which may be NOT VALID, is never
 * used.)
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "dataproduct.h"

#include "access/relation.h"
#include "access/transam.h"
#include "catalog/catalog.h"
#include "catalog/namespace.h"
#include "catalog/objectaddress.h"
#include "catalog/pg_attribute.h"
#include "catalog/pg_class.h"
#include "catalog/pg_inherits.h"
#include "catalog/pg_type.h"
#include "commands/comment.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "parser/parsetree.h"
#include "rewrite/rewriteHandler.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/syscache.h"

/* Views nest; a promise is not followed deeper than this */
#define MAX_NOT_NULL_DEPTH 32

static DpOutput *output_from_relation(Oid relid);
static void check_publishable(Relation rel);
static const char *source_kind_name(char relkind);
static char *frozen_definition(Relation rel, List *columns);
static bool column_not_null(Relation rel, AttrNumber attnum, int depth);
static bool members_enforce_not_null(Relation rel, AttrNumber attnum);
static bool query_column_not_null(Query *query, AttrNumber resno, int depth);
static Var *column_reference(Expr *expr);
static bool is_builtin_strict_cast(FuncExpr *func);
static bool has_outer_join(Node *jtnode);
static int	output_name_cmp(const ListCell *a, const ListCell *b);

/*
 * The contract that the given relations would publish, outputs in name
 * order.  The relations stay locked until the end of the transaction, so
 * that what is checked is what gets published.
 */
List *
dp_contract_from_relations(ArrayType *outputs)
{
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	List	   *contract = NIL;
	ListCell   *lc;

	if (ARR_NDIM(outputs) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("outputs must be a one-dimensional array")));
	deconstruct_array(outputs, REGCLASSOID, sizeof(Oid), true, TYPALIGN_INT,
					  &elems, &nulls, &n);
	if (n == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("outputs must not be empty"),
				 errhint("Name at least one table or view to publish.")));

	for (int i = 0; i < n; i++)
	{
		DpOutput   *output;

		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("outputs must not contain null values")));
		output = output_from_relation(DatumGetObjectId(elems[i]));

		foreach(lc, contract)
		{
			DpOutput   *other = lfirst(lc);

			if (strcmp(other->name, output->name) == 0)
				ereport(ERROR,
						(errcode(ERRCODE_DUPLICATE_OBJECT),
						 errmsg("output \"%s\" is listed more than once",
								output->name),
						 errdetail("Relations %s and %s would both be published as view \"%s\".",
								   other->source, output->source, output->name)));
		}
		contract = lappend(contract, output);
	}
	list_sort(contract, output_name_cmp);
	return contract;
}

static DpOutput *
output_from_relation(Oid relid)
{
	Relation	rel;
	DpOutput   *output = palloc0(sizeof(DpOutput));

	/*
	 * Before taking a lock, as core commands do: a role that may not read a
	 * relation neither learns its columns nor holds up DDL on it.
	 */
	if (SearchSysCacheExists1(RELOID, ObjectIdGetDatum(relid)) &&
		pg_class_aclcheck(relid, GetUserId(), ACL_SELECT) != ACLCHECK_OK &&
		pg_attribute_aclcheck_all(relid, GetUserId(), ACL_SELECT,
								  ACLMASK_ANY) != ACLCHECK_OK)
		aclcheck_error(ACLCHECK_NO_PRIV, get_relkind_objtype(get_rel_relkind(relid)),
					   get_rel_name(relid));
	rel = try_relation_open(relid, AccessShareLock);

	if (rel == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation with OID %u does not exist", relid)));
	check_publishable(rel);

	output->name = pstrdup(RelationGetRelationName(rel));
	output->relid = relid;
	output->source = quote_qualified_identifier(get_namespace_name(RelationGetNamespace(rel)),
												RelationGetRelationName(rel));
	output->source_kind = source_kind_name(rel->rd_rel->relkind);
	output->description = GetComment(relid, RelationRelationId, 0);

	output->columns = dp_relation_columns(rel);
	if (output->columns == NIL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s %s has no columns to publish",
						output->source_kind, output->source)));

	output->definition = frozen_definition(rel, output->columns);
	/* both are part of the contract, and are given to the published view */
	output->security_barrier = rel->rd_rel->relkind == RELKIND_VIEW &&
		RelationIsSecurityView(rel);
	output->security_invoker = rel->rd_rel->relkind == RELKIND_VIEW &&
		RelationHasSecurityInvoker(rel);
	relation_close(rel, NoLock);
	return output;
}

/*
 * The columns a relation gives: names, types with typmod, NOT NULL
 * promises and comments.  Also what the guard compares a live version
 * view with.
 */
List *
dp_relation_columns(Relation rel)
{
	TupleDesc	tupdesc = RelationGetDescr(rel);
	List	   *columns = NIL;

	for (int i = 0; i < tupdesc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(tupdesc, i);
		DpColumn   *column;

		CHECK_FOR_INTERRUPTS();
		if (att->attisdropped)
			continue;
		column = palloc(sizeof(DpColumn));
		column->name = pstrdup(NameStr(att->attname));
		column->type = format_type_with_typemod(att->atttypid, att->atttypmod);
		column->not_null = column_not_null(rel, att->attnum, 0);
		column->description = GetComment(RelationGetRelid(rel),
										 RelationRelationId, att->attnum);
		columns = lappend(columns, column);
	}
	return columns;
}

/*
 * Only permanent tables, views, materialized views and foreign tables of
 * the database's own schemas that are not themselves part of a published
 * version can be outputs.  The system catalogs and information_schema
 * change with PostgreSQL upgrades, which no contract can survive, and a
 * temporary relation ends with its session.
 */
static void
check_publishable(Relation rel)
{
	const char *relname = RelationGetRelationName(rel);
	Oid			nspid = RelationGetNamespace(rel);
	char	   *nspname = get_namespace_name(nspid);

	if (source_kind_name(rel->rd_rel->relkind) == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("cannot publish relation \"%s\"", relname),
				 errdetail("Only tables, views, materialized views and foreign tables can be outputs of a data product.")));
	if (rel->rd_rel->relpersistence == RELPERSISTENCE_TEMP ||
		isAnyTempNamespace(nspid))
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("cannot publish temporary relation \"%s\"", relname),
				 errdetail("A published version outlives the session that created a temporary relation.")));
	if (IsCatalogNamespace(nspid) || IsToastNamespace(nspid) ||
		strcmp(nspname, "information_schema") == 0)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("cannot publish system relation %s",
						quote_qualified_identifier(nspname, relname)),
				 errdetail("Relations of schema \"%s\" change with PostgreSQL versions, and a contract must not.",
						   nspname),
				 errhint("Publish a view of the columns you need, in a schema of your own.")));
	if (nspid == dp_extension_schema())
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("cannot publish relation %s",
						quote_qualified_identifier(nspname, relname)),
				 errdetail("Schema \"%s\" holds the catalog of extension \"dataproduct\", which changes with the extension's versions.",
						   nspname),
				 errhint("Publish a view of the columns you need, in a schema of your own.")));
	if (dp_is_version_schema(nspid))
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("cannot publish relation \"%s\"", relname),
				 errdetail("Relation \"%s\" belongs to version schema \"%s\" of a data product.",
						   relname, nspname),
				 errhint("Publish the relations that version reads instead.")));
}

static const char *
source_kind_name(char relkind)
{
	switch (relkind)
	{
		case RELKIND_RELATION:
			return "table";
		case RELKIND_PARTITIONED_TABLE:
			return "partitioned table";
		case RELKIND_VIEW:
			return "view";
		case RELKIND_MATVIEW:
			return "materialized view";
		case RELKIND_FOREIGN_TABLE:
			return "foreign table";
	}
	return NULL;
}

/*
 * The query the published view runs.  A view's definition is deparsed with
 * the function's search_path (pg_catalog, pg_temp), so every object outside
 * pg_catalog comes out schema-qualified and parses back to the same objects.
 */
static char *
frozen_definition(Relation rel, List *columns)
{
	StringInfoData buf;
	ListCell   *lc;

	if (rel->rd_rel->relkind == RELKIND_VIEW)
	{
		char	   *def;
		int			len;

		def = TextDatumGetCString(DirectFunctionCall1(pg_get_viewdef,
													  ObjectIdGetDatum(RelationGetRelid(rel))));
		len = strlen(def);
		while (len > 0 && (def[len - 1] == ';' || isspace((unsigned char) def[len - 1])))
			def[--len] = '\0';
		while (isspace((unsigned char) *def))
			def++;
		return def;
	}

	initStringInfo(&buf);
	appendStringInfoString(&buf, "SELECT ");
	foreach(lc, columns)
	{
		DpColumn   *column = lfirst(lc);

		if (lc != list_head(columns))
			appendStringInfoString(&buf, ", ");
		appendStringInfoString(&buf, quote_identifier(column->name));
	}
	appendStringInfo(&buf, " FROM %s",
					 quote_qualified_identifier(get_namespace_name(RelationGetNamespace(rel)),
												RelationGetRelationName(rel)));
	return buf.data;
}

/*
 * Does the relation promise that column "attnum" is never NULL?
 */
static bool
column_not_null(Relation rel, AttrNumber attnum, int depth)
{
	if (depth > MAX_NOT_NULL_DEPTH)
		return false;
	if (rel->rd_rel->relkind == RELKIND_VIEW)
		return query_column_not_null(get_view_query(rel), attnum, depth + 1);
	if (!TupleDescAttr(RelationGetDescr(rel), attnum - 1)->attnotnull)
		return false;
	return members_enforce_not_null(rel, attnum);
}

/*
 * Reading a relation reads its partitions and inheritance children at any
 * depth: each must enforce NOT NULL on the column too.  A foreign table's
 * NOT NULL is declared, not enforced, and an inheritance child's can be
 * dropped on its own.
 */
static bool
members_enforce_not_null(Relation rel, AttrNumber attnum)
{
	char	   *attname = NameStr(TupleDescAttr(RelationGetDescr(rel), attnum - 1)->attname);
	List	   *members;
	ListCell   *lc;

	if (rel->rd_rel->relkind == RELKIND_FOREIGN_TABLE)
		return false;
	if (!rel->rd_rel->relhassubclass)
		return true;
	members = find_all_inheritors(RelationGetRelid(rel), AccessShareLock, NULL);
	foreach(lc, members)
	{
		Oid			member = lfirst_oid(lc);
		HeapTuple	tuple;
		bool		not_null;

		CHECK_FOR_INTERRUPTS();
		if (get_rel_relkind(member) == RELKIND_FOREIGN_TABLE)
			return false;
		tuple = SearchSysCacheAttName(member, attname);
		if (!HeapTupleIsValid(tuple))
			return false;
		not_null = ((Form_pg_attribute) GETSTRUCT(tuple))->attnotnull;
		ReleaseSysCache(tuple);
		if (!not_null)
			return false;
	}
	return true;
}

static bool
query_column_not_null(Query *query, AttrNumber resno, int depth)
{
	TargetEntry *tle = get_tle_by_resno(query->targetList, resno);
	Var		   *var;
	RangeTblEntry *rte;
	Relation	rel;
	bool		result;

	if (tle == NULL || query->setOperations != NULL ||
		query->groupingSets != NIL || has_outer_join((Node *) query->jointree))
		return false;
	var = column_reference(tle->expr);
	if (var == NULL || var->varlevelsup != 0 || var->varattno <= 0)
		return false;

	rte = rt_fetch(var->varno, query->rtable);
	if (rte->rtekind == RTE_SUBQUERY)
		return query_column_not_null(rte->subquery, var->varattno, depth + 1);
	if (rte->rtekind != RTE_RELATION)
		return false;

	rel = relation_open(rte->relid, AccessShareLock);
	result = column_not_null(rel, var->varattno, depth + 1);
	relation_close(rel, NoLock);
	return result;
}

/*
 * The column an expression passes through unchanged in nullness: a plain
 * column reference, or one under binary-compatible relabelings and casts by
 * built-in strict functions (int4 to int8, numeric(10,2) to numeric(12,2)),
 * which return no NULL for a non-NULL input.  NULL for anything else.
 */
static Var *
column_reference(Expr *expr)
{
	for (;;)
	{
		if (IsA(expr, Var))
			return (Var *) expr;
		if (IsA(expr, RelabelType))
			expr = ((RelabelType *) expr)->arg;
		else if (IsA(expr, FuncExpr) && is_builtin_strict_cast((FuncExpr *) expr))
			expr = linitial(((FuncExpr *) expr)->args);
		else
			return NULL;
	}
}

static bool
is_builtin_strict_cast(FuncExpr *func)
{
	return (func->funcformat == COERCE_EXPLICIT_CAST ||
			func->funcformat == COERCE_IMPLICIT_CAST) &&
		func->funcid < FirstNormalObjectId &&
		func_strict(func->funcid);
}

/*
 * Is there a join anywhere in this join tree that can null-extend a side?
 */
static bool
has_outer_join(Node *jtnode)
{
	if (jtnode == NULL || IsA(jtnode, RangeTblRef))
		return false;
	if (IsA(jtnode, FromExpr))
	{
		ListCell   *lc;

		foreach(lc, ((FromExpr *) jtnode)->fromlist)
		{
			if (has_outer_join(lfirst(lc)))
				return true;
		}
		return false;
	}
	if (IsA(jtnode, JoinExpr))
	{
		JoinExpr   *join = (JoinExpr *) jtnode;

		return join->jointype != JOIN_INNER ||
			has_outer_join(join->larg) || has_outer_join(join->rarg);
	}
	return true;
}

static int
output_name_cmp(const ListCell *a, const ListCell *b)
{
	return strcmp(((DpOutput *) lfirst(a))->name,
				  ((DpOutput *) lfirst(b))->name);
}
