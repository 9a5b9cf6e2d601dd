/*-------------------------------------------------------------------------
 *
 * guard_deps.c
 *		  From a changed object to the version views that depend on it
 *
 * A version view reads its sources directly or through views in between,
 * at any depth, and its columns have types that may contain other types
 * (arrays, domains, ranges, composite attributes).  The contract of a view
 * depends on all of that, so the guard walks PostgreSQL's own dependency
 * records (pg_depend, by index) from a changed object up to every version
 * view it reaches, and from a version view down to everything its query
 * reads, to check that the view can still be read as it was published:
 * each hop with the privileges it runs with (the owner of the view above
 * it, or for a security_invoker view, that view's own reader), populated
 * materialized views, user mappings of foreign tables, functions it may
 * execute, and row-level security when a command can switch it on.
 *
 * The walks visit each object once, so they end on any dependency graph;
 * they look only at what depends on the changed object, so their cost does
 * not grow with the number of products.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "guard.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/relation.h"
#include "access/table.h"
#include "catalog/dependency.h"
#include "catalog/indexing.h"
#include "catalog/pg_class.h"
#include "catalog/pg_depend.h"
#include "catalog/pg_foreign_table.h"
#include "catalog/pg_operator.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_rewrite.h"
#include "catalog/pg_type.h"
#include "catalog/pg_user_mapping.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/rls.h"
#include "utils/syscache.h"

#if PG_VERSION_NUM >= 160000
#define dp_proc_aclcheck(procid, roleid, mode) \
	object_aclcheck(ProcedureRelationId, (procid), (roleid), (mode))
#else
#define dp_proc_aclcheck(procid, roleid, mode) \
	pg_proc_aclcheck((procid), (roleid), (mode))
#endif

/* What a downward walk from a version view checks, and for whom */
typedef struct ReadCheck
{
	DpReachedView *reached;
	int			elevel;
	bool		check_rls;
	List	   *policy_roles;	/* roles a changed policy applies to; NIL:
								 * any role */
	List	   *visited;		/* views walked so far */
	List	   *callers;		/* who calls the functions: its readers */
	List	   *functions;		/* functions checked so far */
} ReadCheck;

static Oid	rule_relation(Oid ruleid, bool *select);
static List *version_readers(DpReachedView *reached, Oid owner);
static void check_callers(ReadCheck *check, Oid funcid, Oid through);
static void check_function_reads(ReadCheck *check, Oid funcid, Oid through);
static SysScanDesc depend_scan(Relation depend, bool dependents,
							   Oid classid, Oid objid);
static List *view_rules(Oid viewid);
static void check_reads_of(ReadCheck *check, Oid viewid, Oid reader,
						   Oid through);
static void check_source(ReadCheck *check, Oid relid, List *attnums,
						 Oid reader, Oid through);
static int	list_oid_index(List *list, Oid oid);
static bool policy_applies(List *roles, Oid role);
static bool may_select(Oid relid, AttrNumber attnum, Oid role);
static bool has_user_mapping(Oid relid, Oid role);
static void refuse_read(ReadCheck *check, Oid through, const char *what,
						const char *why, Oid role);
static char *reader_detail(ReadCheck *check, Oid through, const char *verb);

/*
 * An index scan of pg_depend: the objects that depend on one
 * ("dependents"), or the objects one depends on.
 */
static SysScanDesc
depend_scan(Relation depend, bool dependents, Oid classid, Oid objid)
{
	ScanKeyData key[2];

	ScanKeyInit(&key[0],
				dependents ? Anum_pg_depend_refclassid : Anum_pg_depend_classid,
				BTEqualStrategyNumber, F_OIDEQ, ObjectIdGetDatum(classid));
	ScanKeyInit(&key[1],
				dependents ? Anum_pg_depend_refobjid : Anum_pg_depend_objid,
				BTEqualStrategyNumber, F_OIDEQ, ObjectIdGetDatum(objid));
	return systable_beginscan(depend,
							  dependents ? DependReferenceIndexId : DependDependerIndexId,
							  true, NULL, 2, key);
}

/*
 * The relation a rule belongs to, and whether it is a SELECT rule.
 */
static Oid
rule_relation(Oid ruleid, bool *select)
{
	Relation	rewrite = table_open(RewriteRelationId, AccessShareLock);
	HeapTuple	tuple = get_catalog_object_by_oid(rewrite, Anum_pg_rewrite_oid,
												  ruleid);
	Oid			relid = InvalidOid;

	*select = false;
	if (HeapTupleIsValid(tuple))
	{
		Form_pg_rewrite rule = (Form_pg_rewrite) GETSTRUCT(tuple);

		relid = rule->ev_class;
		*select = rule->ev_type == '1';
	}
	table_close(rewrite, AccessShareLock);
	return relid;
}

Oid
dp_rule_relation(Oid ruleid)
{
	bool		select;

	return rule_relation(ruleid, &select);
}

/*
 * The version views in live version schemas whose queries read an object
 * (a relation, a function), directly or through views, materialized views,
 * operators and SQL functions with BEGIN ATOMIC bodies in between.  Only SELECT rules
 * read: a table's ON INSERT rules do not make it a reader.
 */
List *
dp_views_reading(Oid classid, Oid objid)
{
	Relation	depend = table_open(DependRelationId, AccessShareLock);
	List	   *queue = list_make1_oid(objid);
	List	   *queue_classes = list_make1_oid(classid);
	List	   *relations = classid == RelationRelationId ? list_make1_oid(objid) : NIL;
	List	   *functions = classid == ProcedureRelationId ? list_make1_oid(objid) : NIL;
	List	   *operators = NIL;
	List	   *reached = NIL;

	for (int i = 0; i < list_length(queue); i++)
	{
		SysScanDesc scan;
		HeapTuple	tuple;

		CHECK_FOR_INTERRUPTS();
		scan = depend_scan(depend, true, list_nth_oid(queue_classes, i),
						   list_nth_oid(queue, i));
		while (HeapTupleIsValid(tuple = systable_getnext(scan)))
		{
			Form_pg_depend dep = (Form_pg_depend) GETSTRUCT(tuple);
			Oid			relid;
			bool		select;
			DpVersionSchema *vs;

			if ((dep->classid == ProcedureRelationId &&
				 !list_member_oid(functions, dep->objid)) ||
				(dep->classid == OperatorRelationId &&
				 !list_member_oid(operators, dep->objid)))
			{
				if (dep->classid == ProcedureRelationId)
					functions = lappend_oid(functions, dep->objid);
				else
					operators = lappend_oid(operators, dep->objid);
				queue = lappend_oid(queue, dep->objid);
				queue_classes = lappend_oid(queue_classes, dep->classid);
				continue;
			}
			if (dep->classid != RewriteRelationId)
				continue;
			relid = rule_relation(dep->objid, &select);
			if (!select || !OidIsValid(relid) || list_member_oid(relations, relid))
				continue;
			relations = lappend_oid(relations, relid);
			vs = dp_version_schema_of(get_rel_namespace(relid));
			if (vs != NULL)
			{
				DpReachedView *view = palloc(sizeof(DpReachedView));

				view->viewid = relid;
				view->vs = vs;
				reached = lappend(reached, view);
			}
			else
			{
				queue = lappend_oid(queue, relid);
				queue_classes = lappend_oid(queue_classes, RelationRelationId);
			}
		}
		systable_endscan(scan);
	}
	table_close(depend, AccessShareLock);
	return reached;
}

/*
 * The columns of version views whose type is, or contains, a type: as an
 * array element, as the base of a domain (of a domain...), as the subtype
 * of a range, or as an attribute of a composite type or row type.  Each
 * as an ObjectAddress of the column.
 */
List *
dp_contract_columns_of_type(Oid typid)
{
	Relation	depend = table_open(DependRelationId, AccessShareLock);
	List	   *types = list_make1_oid(typid);
	List	   *columns = NIL;
	ListCell   *lc;

	foreach(lc, types)
	{
		SysScanDesc scan;
		HeapTuple	tuple;

		CHECK_FOR_INTERRUPTS();
		scan = depend_scan(depend, true, TypeRelationId, lfirst_oid(lc));
		while (HeapTupleIsValid(tuple = systable_getnext(scan)))
		{
			Form_pg_depend dep = (Form_pg_depend) GETSTRUCT(tuple);
			Oid			container = InvalidOid;

			if (dep->classid == TypeRelationId)
				container = dep->objid;
			else if (dep->classid == RelationRelationId && dep->objsubid > 0)
			{
				if (dp_version_schema_of(get_rel_namespace(dep->objid)) != NULL)
				{
					ObjectAddress *column = palloc(sizeof(ObjectAddress));

					ObjectAddressSubSet(*column, RelationRelationId,
										dep->objid, dep->objsubid);
					columns = lappend(columns, column);
					continue;
				}
				container = get_rel_type_id(dep->objid);
			}
			if (OidIsValid(container) && !list_member_oid(types, container))
				types = lappend_oid(types, container);
		}
		systable_endscan(scan);
	}
	table_close(depend, AccessShareLock);
	return columns;
}

/*
 * A version view must remain readable as published: check everything its
 * query reads, through views in between, with the privileges each hop
 * runs with.  A security_invoker version view runs with its consumers'
 * privileges, which are theirs to keep.  With "check_rls", row-level
 * security that would filter what a hop reads is refused too.
 */
void
dp_check_view_readable(DpReachedView *reached, int elevel, bool check_rls,
					   List *policy_roles)
{
	ReadCheck	check;
	Relation	view = relation_open(reached->viewid, AccessShareLock);
	bool		invoker = RelationHasSecurityInvoker(view);
	Oid			owner = view->rd_rel->relowner;

	relation_close(view, AccessShareLock);
	if (invoker)
		return;
	check.reached = reached;
	check.elevel = elevel;
	check.check_rls = check_rls;
	check.policy_roles = policy_roles;
	check.visited = list_make1_oid(reached->viewid);
	check.callers = version_readers(reached, owner);
	check.functions = NIL;
	check_reads_of(&check, reached->viewid, owner, InvalidOid);
}

/*
 * The roles that read a version: the owner of its views, and the roles
 * grant_access() let in.  A function a view calls, at any depth, runs with
 * the privileges of the role that reads the view, not of the view's owner.
 */
static List *
version_readers(DpReachedView *reached, Oid owner)
{
	return list_concat_unique_oid(list_make1_oid(owner),
								  dp_major_grantees(reached->vs->product,
													reached->vs->major));
}

/*
 * Every reader of the version may still execute a function that one of
 * its views calls, directly or through an operator.
 */
static void
check_callers(ReadCheck *check, Oid funcid, Oid through)
{
	ListCell   *lc;

	foreach(lc, check->callers)
	{
		ObjectAddress proc;

		if (dp_proc_aclcheck(funcid, lfirst_oid(lc), ACL_EXECUTE) == ACLCHECK_OK)
			continue;
		ObjectAddressSet(proc, ProcedureRelationId, funcid);
		refuse_read(check, through, getObjectDescription(&proc, false),
					"execute", lfirst_oid(lc));
	}
	if (!list_member_oid(check->functions, funcid))
	{
		check->functions = lappend_oid(check->functions, funcid);
		check_function_reads(check, funcid, through);
	}
}

/*
 * The relations a function's body reads, where PostgreSQL records them
 * (SQL functions with BEGIN ATOMIC bodies): read as the function's owner
 * for SECURITY DEFINER, else as each reader of the version.  Bodies kept
 * as text record nothing, and are not checked.
 */
static void
check_function_reads(ReadCheck *check, Oid funcid, Oid through)
{
	HeapTuple	tuple = SearchSysCache1(PROCOID, ObjectIdGetDatum(funcid));
	List	   *roles;
	Relation	depend;
	SysScanDesc scan;
	List	   *relids = NIL;
	ListCell   *lc;

	if (!HeapTupleIsValid(tuple))
		return;
	roles = ((Form_pg_proc) GETSTRUCT(tuple))->prosecdef ?
		list_make1_oid(((Form_pg_proc) GETSTRUCT(tuple))->proowner) :
		check->callers;
	ReleaseSysCache(tuple);

	depend = table_open(DependRelationId, AccessShareLock);
	scan = depend_scan(depend, false, ProcedureRelationId, funcid);
	while (HeapTupleIsValid(tuple = systable_getnext(scan)))
	{
		Form_pg_depend dep = (Form_pg_depend) GETSTRUCT(tuple);

		if (dep->refclassid == RelationRelationId)
			relids = list_append_unique_oid(relids, dep->refobjid);
		else if (dep->refclassid == ProcedureRelationId && dep->refobjid != funcid)
			check_callers(check, dep->refobjid, through);
	}
	systable_endscan(scan);
	table_close(depend, AccessShareLock);

	foreach(lc, relids)
	{
		ListCell   *lc2;

		foreach(lc2, roles)
			check_source(check, lfirst_oid(lc), list_make1_int(0),
						 lfirst_oid(lc2), through);
	}
}

/*
 * The SELECT rule of a view, its _RETURN rule (the one rule that depends
 * on its view internally).
 */
static List *
view_rules(Oid viewid)
{
	Relation	depend = table_open(DependRelationId, AccessShareLock);
	SysScanDesc scan = depend_scan(depend, true, RelationRelationId, viewid);
	HeapTuple	tuple;
	List	   *rules = NIL;

	while (HeapTupleIsValid(tuple = systable_getnext(scan)))
	{
		Form_pg_depend dep = (Form_pg_depend) GETSTRUCT(tuple);

		if (dep->classid == RewriteRelationId && dep->deptype == DEPENDENCY_INTERNAL &&
			!list_member_oid(rules, dep->objid))
			rules = lappend_oid(rules, dep->objid);
	}
	systable_endscan(scan);
	table_close(depend, AccessShareLock);
	return rules;
}

/*
 * Check what one view's query reads, as "reader".  "through" is the
 * intermediate view being walked, InvalidOid for the version view itself.
 */
static void
check_reads_of(ReadCheck *check, Oid viewid, Oid reader, Oid through)
{
	ListCell   *lc;

	check_stack_depth();
	CHECK_FOR_INTERRUPTS();
	foreach(lc, view_rules(viewid))
	{
		Relation	depend = table_open(DependRelationId, AccessShareLock);
		SysScanDesc scan = depend_scan(depend, false, RewriteRelationId,
									   lfirst_oid(lc));
		HeapTuple	tuple;
		List	   *sources = NIL;
		List	   *attnums = NIL;	/* of List of int, per source */
		ListCell   *lc2;
		ListCell   *lc3;

		while (HeapTupleIsValid(tuple = systable_getnext(scan)))
		{
			Form_pg_depend dep = (Form_pg_depend) GETSTRUCT(tuple);

			if (dep->refclassid == RelationRelationId && dep->refobjid != viewid)
			{
				int			i = list_oid_index(sources, dep->refobjid);

				if (i < 0)
				{
					sources = lappend_oid(sources, dep->refobjid);
					attnums = lappend(attnums, NIL);
					i = list_length(sources) - 1;
				}
				list_nth_cell(attnums, i)->ptr_value =
					lappend_int(list_nth(attnums, i), dep->refobjsubid);
			}
			else if (dep->refclassid == ProcedureRelationId)
				check_callers(check, dep->refobjid, through);
			else if (dep->refclassid == OperatorRelationId)
				check_callers(check, get_opcode(dep->refobjid), through);
		}
		systable_endscan(scan);
		table_close(depend, AccessShareLock);

		forboth(lc2, sources, lc3, attnums)
			check_source(check, lfirst_oid(lc2), lfirst(lc3), reader, through);
	}
}

/*
 * The position of an OID in a list of OIDs.
 */
static int
list_oid_index(List *list, Oid oid)
{
	ListCell   *lc;

	foreach(lc, list)
	{
		if (lfirst_oid(lc) == oid)
			return foreach_current_index(lc);
	}
	return -1;
}

/*
 * One relation a view reads, the columns it reads of it, and for a view,
 * what it reads in turn.
 */
static void
check_source(ReadCheck *check, Oid relid, List *attnums, Oid reader,
			 Oid through)
{
	Relation	rel;
	ObjectAddress object;
	char		relkind;
	Oid			next_reader;
	ListCell   *lc;

	foreach(lc, attnums)
	{
		AttrNumber	attnum = lfirst_int(lc);

		if (may_select(relid, attnum, reader))
			continue;
		ObjectAddressSubSet(object, RelationRelationId, relid, attnum);
		refuse_read(check, through, getObjectDescription(&object, false),
					"read", reader);
	}

	rel = relation_open(relid, AccessShareLock);
	relkind = rel->rd_rel->relkind;
	ObjectAddressSet(object, RelationRelationId, relid);
	if (relkind == RELKIND_MATVIEW && !RelationIsPopulated(rel))
		refuse_read(check, through, getObjectDescription(&object, false),
					"populated", reader);
	if (relkind == RELKIND_FOREIGN_TABLE && !has_user_mapping(relid, reader))
		refuse_read(check, through, getObjectDescription(&object, false),
					"mapping", reader);
	if (check->check_rls && policy_applies(check->policy_roles, reader) &&
		check_enable_rls(relid, reader, true) == RLS_ENABLED)
		refuse_read(check, through, getObjectDescription(&object, false),
					"rls", reader);
	/*
	 * A security_invoker view checks what it reads against the session's
	 * user, not the view above it: the version's consumers, who hold no
	 * privileges on what lies under the version.
	 */
	if (relkind == RELKIND_VIEW && RelationHasSecurityInvoker(rel))
		refuse_read(check, through, getObjectDescription(&object, false),
					"invoker", reader);
	next_reader = rel->rd_rel->relowner;
	relation_close(rel, AccessShareLock);

	if (relkind == RELKIND_VIEW && !list_member_oid(check->visited, relid) &&
		dp_version_schema_of(get_rel_namespace(relid)) == NULL)
	{
		check->visited = lappend_oid(check->visited, relid);
		check_reads_of(check, relid, next_reader, relid);
	}
}

/*
 * Does a policy for these roles (NIL: for any role; InvalidOid: PUBLIC)
 * apply to "role"?
 */
static bool
policy_applies(List *roles, Oid role)
{
	ListCell   *lc;

	if (roles == NIL)
		return true;
	foreach(lc, roles)
	{
		if (!OidIsValid(lfirst_oid(lc)) || has_privs_of_role(role, lfirst_oid(lc)))
			return true;
	}
	return false;
}

/*
 * SELECT on a column, or for the whole relation (attnum 0), on the table
 * or on any of its columns, as a query that reads none of them needs.
 */
static bool
may_select(Oid relid, AttrNumber attnum, Oid role)
{
	if (pg_class_aclcheck(relid, role, ACL_SELECT) == ACLCHECK_OK)
		return true;
	if (attnum > 0)
		return pg_attribute_aclcheck(relid, attnum, role, ACL_SELECT) == ACLCHECK_OK;
	return pg_attribute_aclcheck_all(relid, role, ACL_SELECT, ACLMASK_ANY) == ACLCHECK_OK;
}

/*
 * A foreign table is read through the user mapping of its reader, or the
 * public one, for its server.
 */
static bool
has_user_mapping(Oid relid, Oid role)
{
	HeapTuple	tuple = SearchSysCache1(FOREIGNTABLEREL, ObjectIdGetDatum(relid));
	Oid			serverid;

	if (!HeapTupleIsValid(tuple))
		return true;
	serverid = ((Form_pg_foreign_table) GETSTRUCT(tuple))->ftserver;
	ReleaseSysCache(tuple);
	return SearchSysCacheExists2(USERMAPPINGUSERSERVER, ObjectIdGetDatum(role),
								 ObjectIdGetDatum(serverid)) ||
		SearchSysCacheExists2(USERMAPPINGUSERSERVER, ObjectIdGetDatum(InvalidOid),
							  ObjectIdGetDatum(serverid));
}

/*
 * A version view would no longer read "what" as published.
 */
static void
refuse_read(ReadCheck *check, Oid through, const char *what, const char *why,
			Oid role)
{
	char	   *rolename = GetUserNameFromId(role, false);
	char	   *detail = reader_detail(check, through,
										  strcmp(why, "execute") == 0 ? "calls" : "reads");

	if (strcmp(why, "execute") == 0)
		ereport(check->elevel,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("role \"%s\" must keep the privilege to execute %s",
						rolename, what),
				 errdetail("%s, and a function runs with the privileges of the role that reads the view, here role \"%s\".",
						   detail, rolename),
				 dp_guard_off_hint() ? 0 :
				 errhint("Keep EXECUTE granted to the readers of the version, or publish a new major version that does not call it.")));
	else if (strcmp(why, "read") == 0)
		ereport(check->elevel,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("role \"%s\" must keep the privilege to %s %s",
						rolename, why, what),
				 errdetail("%s with the privileges of role \"%s\".", detail, rolename),
				 dp_guard_off_hint() ? 0 :
				 errhint("Keep the privilege granted to role \"%s\", or publish a new major version that does not need it.",
						 rolename)));
	else if (strcmp(why, "invoker") == 0)
		ereport(check->elevel,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("%s must not check the privileges of its invoker", what),
				 errdetail("%s, and its consumers would need privileges on everything under it.",
						   detail),
				 dp_guard_off_hint() ? 0 :
				 errhint("Leave security_invoker off on views that versions read.")));
	else if (strcmp(why, "populated") == 0)
		ereport(check->elevel,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("%s must stay populated", what),
				 errdetail("%s, and could not read it unpopulated.", detail),
				 dp_guard_off_hint() ? 0 :
				 errhint("Refresh it with data instead.")));
	else if (strcmp(why, "mapping") == 0)
		ereport(check->elevel,
				(errcode(ERRCODE_DEPENDENT_OBJECTS_STILL_EXIST),
				 errmsg("role \"%s\" must keep a user mapping to read %s",
						rolename, what),
				 errdetail("%s as role \"%s\".", detail, rolename),
				 dp_guard_off_hint() ? 0 :
				 errhint("Keep a user mapping for role \"%s\" or for PUBLIC on the server of the foreign table.",
						 rolename)));
	else
		ereport(check->elevel,
				(errcode(ERRCODE_DEPENDENT_OBJECTS_STILL_EXIST),
				 errmsg("row-level security on %s would filter what role \"%s\" reads",
						what, rolename),
				 errdetail("%s as role \"%s\", and readers would silently get fewer rows.",
						   detail, rolename),
				 dp_guard_off_hint() ? 0 :
				 errhint("Publish a new major version that reads a relation without row-level security, or read it as its owner.")));
}

/*
 * "View "orders_v1"."orders", which serves data product ..., reads (or
 * calls) it [through view "shop"."mid"]"
 */
static char *
reader_detail(ReadCheck *check, Oid through, const char *verb)
{
	DpReachedView *r = check->reached;
	char	   *view = quote_qualified_identifier(NameStr(r->vs->schema),
												  get_rel_name(r->viewid));

	if (!OidIsValid(through))
		return psprintf("View %s, which serves %s, %s it",
						view, dp_version_label(r->vs), verb);
	return psprintf("View %s, which serves %s, %s it through view %s",
					view, dp_version_label(r->vs), verb,
					quote_qualified_identifier(get_namespace_name(get_rel_namespace(through)),
											   get_rel_name(through)));
}
