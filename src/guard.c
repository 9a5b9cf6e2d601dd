/*-------------------------------------------------------------------------
 *
 * guard.c
 *		  The contract guard: DDL that would break a live version fails
 *
 * Event triggers created by the extension script call the functions here
 * in every session of the database, with no shared_preload_libraries, and
 * whatever session_replication_role says (they are ENABLE ALWAYS):
 *
 *	ddl_command_end		every command that created or altered objects:
 *						nothing in a version schema may change but through
 *						dataproduct's own functions, nor be put there by an
 *						extension; a relation or function that a live version
 *						view reads, at any depth, must still give that view
 *						its promised columns, types and NOT NULL promises,
 *						and every hop of the view's query the privileges,
 *						user mappings and populated data it reads with; a
 *						type that contract columns have or contain may not
 *						change its shape or name; the extension's own schema
 *						and objects change only by ALTER EXTENSION UPDATE
 *	sql_drop			nothing in a version schema may be dropped, directly
 *						or by a CASCADE, nor the user mapping a version view
 *						reads a foreign table through
 *	ddl_command_start	(only DROP EXTENSION, DROP SCHEMA, DROP OWNED) the
 *						extension, which the other triggers belong to, stays
 *						while live versions exist
 *
 * Which schemas serve live versions is guard_cache.c's concern, walking the
 * dependencies guard_deps.c's; this file decides what a command touched
 * and says why it is refused.
 *
 * The superuser-only setting dataproduct.guard = off turns refusals into
 * warnings, for emergencies: each change it lets through is a WARNING to
 * the client and a line in the server log.
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
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_depend.h"
#include "catalog/pg_event_trigger.h"
#include "catalog/pg_extension.h"
#include "catalog/pg_foreign_server.h"
#include "catalog/pg_inherits.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_policy.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_rewrite.h"
#include "catalog/pg_trigger.h"
#include "catalog/pg_type.h"
#include "catalog/pg_user_mapping.h"
#include "commands/event_trigger.h"
#include "commands/extension.h"
#include "commands/trigger.h"
#include "executor/executor.h"
#include "executor/spi.h"
#include "foreign/foreign.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "parser/parse_func.h"
#include "tcop/deparse_utility.h"
#include "tcop/cmdtag.h"
#include "tcop/utility.h"
#include "utils/acl.h"
#include "utils/aclchk_internal.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/regproc.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"
#include "utils/tuplestore.h"

PG_FUNCTION_INFO_V1(dp_guard_ddl_command_end);
PG_FUNCTION_INFO_V1(dp_guard_sql_drop);
PG_FUNCTION_INFO_V1(dp_guard_ddl_command_start);
PG_FUNCTION_INFO_V1(dp_guard_catalog_changed);

/* dataproduct.guard */
bool		dp_guard_enabled = true;

/* while > 0, dataproduct's own functions are changing version schemas */
static int	guard_bypass = 0;

/* A row of pg_event_trigger_dropped_objects() */
typedef struct DroppedObject
{
	Oid			classid;
	Oid			objid;
	bool		original;
	char	   *object_type;
	char	   *schema_name;
	char	   *object_name;
	char	   *object_identity;
	char	   *server_name;	/* of a user mapping */
	char	   *parent_schema;	/* of a trigger's, rule's or policy's relation */
} DroppedObject;

static bool guard_inactive(void);
static bool is_own_extension_command(Node *parsetree);
static void check_extension_schema_rename(Node *parsetree);
static bool guards_extension(Node *parsetree);
static bool checked_by_parsetree(Node *parsetree, bool any_live);
static bool changes_row_type(Node *parsetree);
static Tuplestorestate *event_trigger_rows(Oid funcid, TupleDesc *desc);
static char *slot_text(TupleTableSlot *slot, int attnum);
static char *array_text(Datum array, int i);
static List *collected_commands(void);
static List *dropped_objects(void);
static Oid	trigger_relation(Oid trigid);
static char *relation_description(Oid relid, AttrNumber attnum);
static bool is_privilege_command(Node *parsetree);
static bool has_subcommand(Node *parsetree, AlterTableType subtype);
static void check_collected_command(CollectedCommand *cmd, Node *parsetree);
static void check_extension(const ObjectAddress *extension,
							const ObjectAddress *member, Node *parsetree);
static void check_version_schema_itself(const ObjectAddress *object,
										Node *parsetree);
static void refuse_version_schema_change(const ObjectAddress *object,
										 DpVersionSchema *vs, Node *parsetree,
										 bool revoke);
static void check_in_version_schema(const ObjectAddress *object,
									Oid nspid, Node *parsetree);
static void check_extension_object(const ObjectAddress *object, Oid nspid,
								   Node *parsetree);
static const char *command_verb(Node *parsetree);
static char *object_description(const ObjectAddress *object, Node *parsetree);
static char *type_description(Oid typid, Node *parsetree);
static void check_relation_readers(Oid relid, Node *parsetree);
static void check_readers_of(Oid classid, Oid objid, Oid named,
							 Node *parsetree);
static List *relation_ancestors(Oid relid);
static void check_hierarchy_change(Oid relid, Node *parsetree);
static void refuse_fewer_rows(Oid relid, const char *what);
static bool changes_readers(Node *parsetree);
static void check_foreign_options(Oid relid, DpReachedView *reached,
								  Node *parsetree);
static void check_view_contract(Oid named, Oid relid, DpReachedView *reached,
								Node *parsetree);
static void check_type_users(Oid typid, Node *parsetree);
static void check_schema_types(Oid nspid, Node *parsetree);
static void check_grant(InternalGrant *istmt, Node *parsetree);
static void check_catalog_grant(const ObjectAddress *object,
								InternalGrant *istmt);
static void check_version_grant(const ObjectAddress *object,
								DpVersionSchema *vs, InternalGrant *istmt,
								AclMode reads, Node *parsetree);
static void check_default_privileges(Node *parsetree);
static bool grants_more_than_select(GrantStmt *action);
static void check_domain_owner_defaults(List *roles, Node *parsetree);
static void check_rule(Oid ruleid, Node *parsetree);
static void check_function_identity(Oid funcid, Node *parsetree);
static bool function_is_security_definer(Oid funcid);
static char relkind_before_command(Oid relid);
static Oid	policy_relation(Oid policyid, Snapshot snapshot, List **roles);
static void check_policy_readers(Oid relid, List *roles);
static void check_user_mapping_readers(const char *server);
static void check_extension_drops(List *dropped);
static void check_own_function_change(Node *parsetree);
static bool type_change_is_harmless(Node *parsetree);
static Oid	namespace_of(const ObjectAddress *object);
static void check_member_types(Oid extid, Node *parsetree);
static List *types_depending_on(Oid classid, Oid objid);
static int	refusal_level(void);
static bool guard_switched_off(void);

/*
 * The guard stays out of the way of dataproduct's own functions, of its
 * own extension scripts and of pg_upgrade; another extension's script is
 * guarded like any other DDL.
 */
static bool
guard_inactive(void)
{
	return guard_bypass > 0 || IsBinaryUpgrade ||
		(creating_extension &&
		 CurrentExtensionObject == get_extension_oid("dataproduct", true));
}

/*
 * Is this statement CREATE, ALTER or DROP EXTENSION dataproduct, which may
 * change the extension's own objects?
 */
static bool
is_own_extension_command(Node *parsetree)
{
	ListCell   *lc;

	if (IsA(parsetree, CreateExtensionStmt))
		return strcmp(((CreateExtensionStmt *) parsetree)->extname, "dataproduct") == 0;
	if (IsA(parsetree, AlterExtensionStmt))
		return strcmp(((AlterExtensionStmt *) parsetree)->extname, "dataproduct") == 0;
	if (!IsA(parsetree, DropStmt) ||
		((DropStmt *) parsetree)->removeType != OBJECT_EXTENSION)
		return false;
	foreach(lc, ((DropStmt *) parsetree)->objects)
	{
		if (strcmp(strVal(lfirst(lc)), "dataproduct") == 0)
			return true;
	}
	return false;
}

/*
 * Run DDL that changes version schemas, as dataproduct's functions do.
 */
void
dp_guard_bypass_execute(Oid role, const char *sql)
{
	guard_bypass++;
	PG_TRY();
	{
		(void) dp_run_as(role, DP_WRITE, sql, 0, NULL, NULL, NULL);
	}
	PG_FINALLY();
	{
		guard_bypass--;
	}
	PG_END_TRY();
}

/*
 * ddl_command_end
 */
Datum
dp_guard_ddl_command_end(PG_FUNCTION_ARGS)
{
	EventTriggerData *trigdata = (EventTriggerData *) fcinfo->context;
	bool		any_live;
	ListCell   *lc;

	if (!CALLED_AS_EVENT_TRIGGER(fcinfo))
		elog(ERROR, "not fired by event trigger manager");
	if (guard_inactive())
		PG_RETURN_NULL();

	check_extension_schema_rename(trigdata->parsetree);
	any_live = dp_guard_prepare();
	if (checked_by_parsetree(trigdata->parsetree, any_live))
		PG_RETURN_NULL();
	if (!any_live && !guards_extension(trigdata->parsetree))
		PG_RETURN_NULL();

	foreach(lc, collected_commands())
		check_collected_command(lfirst(lc), trigdata->parsetree);
	PG_RETURN_NULL();
}

/*
 * The extension's schema keeps its name: the catalog statements name it,
 * and so do the users' queries.  Checked before anything reads the catalog
 * under its old name.
 */
static void
check_extension_schema_rename(Node *parsetree)
{
	RenameStmt *stmt = (RenameStmt *) parsetree;
	RangeVar   *moved = NULL;
	Oid			nspid;

	/* a relation of the extension renamed or moved away */
	if (IsA(parsetree, RenameStmt))
		moved = stmt->relation;
	else if (IsA(parsetree, AlterObjectSchemaStmt))
		moved = ((AlterObjectSchemaStmt *) parsetree)->relation;
	if (moved != NULL && moved->schemaname != NULL &&
		strcmp(moved->schemaname, get_namespace_name(dp_extension_schema())) == 0)
		ereport(refusal_level(),
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("cannot %s %s", command_verb(parsetree),
						quote_qualified_identifier(moved->schemaname, moved->relname)),
				 errdetail("It belongs to extension \"dataproduct\", whose contract guard relies on it."),
				 dp_guard_off_hint() ? 0 :
				 errhint("Use ALTER EXTENSION dataproduct UPDATE to change the extension.")));

	if (!IsA(parsetree, RenameStmt) || stmt->renameType != OBJECT_SCHEMA)
		return;
	nspid = get_namespace_oid(stmt->newname, true);
	if (!OidIsValid(nspid) || nspid != dp_extension_schema())
		return;
	ereport(refusal_level(),
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			 errmsg("cannot rename schema %s", quote_identifier(stmt->subname)),
			 errdetail("It belongs to extension \"dataproduct\", whose contract guard relies on its name."),
			 dp_guard_off_hint() ? 0 :
			 errhint("Keep the schema's name; the extension is not relocatable.")));
}

/*
 * Commands that can change the extension's own schema or members, which
 * the guard relies on, or what later versions will be: checked even while
 * no version is live.
 */
static bool
guards_extension(Node *parsetree)
{
	return IsA(parsetree, AlterExtensionContentsStmt) ||
		IsA(parsetree, AlterDefaultPrivilegesStmt) ||
		IsA(parsetree, AlterObjectSchemaStmt) ||
		IsA(parsetree, AlterOwnerStmt) ||
		IsA(parsetree, RenameStmt) ||
		IsA(parsetree, RuleStmt) ||
		IsA(parsetree, CreateTrigStmt) ||
		IsA(parsetree, CreatePolicyStmt) ||
		IsA(parsetree, GrantStmt);
}

/*
 * The most common DDL names its one target in the parse tree; checking it
 * from there spares listing the collected commands, which computes every
 * object's identity.  Returns false to have the command checked from the
 * collected commands.
 */
static bool
checked_by_parsetree(Node *parsetree, bool any_live)
{
	RangeVar   *target;
	Oid			relid;
	ObjectAddress object;

	switch (nodeTag(parsetree))
	{
		case T_DropStmt:
			/* drops are not collected here; sql_drop checks them */
			return true;
		case T_CreateStmt:
			target = ((CreateStmt *) parsetree)->relation;
			break;
		case T_AlterTableStmt:
			target = ((AlterTableStmt *) parsetree)->relation;
			break;
		default:
			return false;
	}
	relid = RangeVarGetRelid(target, NoLock, true);
	if (!OidIsValid(relid))
		return false;

	ObjectAddressSet(object, RelationRelationId, relid);
	check_in_version_schema(&object, get_rel_namespace(relid), parsetree);
	if (!any_live)
		return true;
	if (get_rel_relkind(relid) == RELKIND_COMPOSITE_TYPE)
		check_type_users(get_rel_type_id(relid), parsetree);
	else if (IsA(parsetree, AlterTableStmt))
	{
		check_relation_readers(relid, parsetree);
		check_hierarchy_change(relid, parsetree);
		if (changes_row_type(parsetree))
			check_type_users(get_rel_type_id(relid), parsetree);
	}
	else if (((CreateStmt *) parsetree)->inhRelations != NIL ||
			 ((CreateStmt *) parsetree)->partbound != NULL)
		check_relation_readers(relid, parsetree);
	return true;
}

/*
 * Commands that change a relation's row type, which a contract column can
 * have: its columns, its name, its schema.
 */
static bool
changes_row_type(Node *parsetree)
{
	return has_subcommand(parsetree, AT_AddColumn) ||
		has_subcommand(parsetree, AT_DropColumn) ||
		has_subcommand(parsetree, AT_AlterColumnType) ||
		IsA(parsetree, RenameStmt) || IsA(parsetree, AlterObjectSchemaStmt);
}

static void
check_collected_command(CollectedCommand *cmd, Node *parsetree)
{
	ObjectAddress object;

	switch (cmd->type)
	{
		case SCT_Simple:
			object = cmd->d.simple.address;
			if (object.classId == ExtensionRelationId)
			{
				check_extension(&object, &cmd->d.simple.secondaryObject,
								parsetree);
				return;
			}
			/* ALTER ... SET SCHEMA: the schema it left counts too */
			if (cmd->d.simple.secondaryObject.classId == NamespaceRelationId)
				check_in_version_schema(&object,
										cmd->d.simple.secondaryObject.objectId,
										parsetree);
			break;
		case SCT_AlterTable:
			ObjectAddressSet(object, cmd->d.alterTable.classId,
							 cmd->d.alterTable.objectId);
			break;
		case SCT_Grant:
			check_grant(cmd->d.grant.istmt, parsetree);
			return;
		case SCT_CreateOpClass:
			object = cmd->d.createopc.address;
			break;
		case SCT_AlterOpFamily:
			object = cmd->d.opfam.address;
			break;
		case SCT_AlterTSConfig:
			object = cmd->d.atscfg.address;
			break;
		case SCT_AlterDefaultPrivileges:
			check_default_privileges(parsetree);
			return;
		default:
			return;
	}
	if (!OidIsValid(object.objectId))
		return;

	if (object.classId == NamespaceRelationId)
	{
		check_version_schema_itself(&object, parsetree);
		if (IsA(parsetree, RenameStmt))
			check_schema_types(object.objectId, parsetree);
	}
	else
	{
		Oid			nspid = namespace_of(&object);

		if (OidIsValid(nspid))
			check_in_version_schema(&object, nspid, parsetree);
	}

	if (object.classId == RelationRelationId &&
		get_rel_relkind(object.objectId) == RELKIND_COMPOSITE_TYPE)
		check_type_users(get_rel_type_id(object.objectId), parsetree);
	else if (object.classId == RelationRelationId)
	{
		check_relation_readers(object.objectId, parsetree);
		if (changes_row_type(parsetree))
			check_type_users(get_rel_type_id(object.objectId), parsetree);
	}
	else if (object.classId == RewriteRelationId)
		check_rule(object.objectId, parsetree);
	else if (object.classId == TypeRelationId)
		check_type_users(object.objectId, parsetree);
	else if (object.classId == ProcedureRelationId)
	{
		check_function_identity(object.objectId, parsetree);
		check_readers_of(ProcedureRelationId, object.objectId, object.objectId,
						 parsetree);
	}
	else if (object.classId == PolicyRelationId)
	{
		List	   *roles;
		Oid			relid = policy_relation(object.objectId, NULL, &roles);

		check_policy_readers(relid, roles);
	}
}

/*
 * ALTER DEFAULT PRIVILEGES IN SCHEMA of a version schema would give the
 * views of later releases privileges nobody granted through
 * grant_access(), or take them away.
 */
static void
check_default_privileges(Node *parsetree)
{
	AlterDefaultPrivilegesStmt *stmt = (AlterDefaultPrivilegesStmt *) parsetree;
	List	   *roles = NIL;
	bool		in_schemas = false;
	ListCell   *lc;

	if (!IsA(parsetree, AlterDefaultPrivilegesStmt))
		return;
	foreach(lc, stmt->options)
	{
		DefElem    *option = lfirst(lc);
		ListCell   *lc2;

		if (strcmp(option->defname, "roles") == 0)
			roles = (List *) option->arg;
		if (strcmp(option->defname, "schemas") != 0)
			continue;
		in_schemas = true;
		foreach(lc2, (List *) option->arg)
		{
			char	   *schema = strVal(lfirst(lc2));
			DpVersionSchema *vs = dp_version_schema_by_name(schema);
			ObjectAddress object;

			if (vs == NULL)
				continue;
			ObjectAddressSet(object, NamespaceRelationId,
							 get_namespace_oid(schema, false));
			refuse_version_schema_change(&object, vs, parsetree, false);
		}
	}
	if (!in_schemas && grants_more_than_select(stmt->action))
		check_domain_owner_defaults(roles, parsetree);
}

/*
 * Would these default privileges give, on tables and views created later,
 * more than SELECT?
 */
static bool
grants_more_than_select(GrantStmt *action)
{
	ListCell   *lc;

	if (!action->is_grant || action->objtype != OBJECT_TABLE)
		return false;
	if (action->privileges == NIL)
		return true;			/* ALL */
	foreach(lc, action->privileges)
	{
		AccessPriv *priv = lfirst(lc);

		if (priv->priv_name == NULL || strcmp(priv->priv_name, "select") != 0)
			return true;
	}
	return false;
}

/*
 * Default privileges for all the tables a domain's owner creates would
 * reach the views publish() creates for it: readers could write through
 * them.  "roles" are the FOR ROLE roles, NIL for the current one.
 */
static void
check_domain_owner_defaults(List *roles, Node *parsetree)
{
	List	   *oids = NIL;
	ListCell   *lc;

	if (roles == NIL)
		oids = list_make1_oid(GetUserId());
	foreach(lc, roles)
		oids = lappend_oid(oids, get_rolespec_oid(lfirst(lc), false));
	foreach(lc, oids)
	{
		Oid			argtypes[1] = {OIDOID};
		Datum		values[1] = {ObjectIdGetDatum(lfirst_oid(lc))};
		DpRows	   *rows;

		rows = dp_catalog_query(DP_READ_LATEST,
								"SELECT name FROM dataproduct.domain"
								" WHERE owner::pg_catalog.oid OPERATOR(pg_catalog.=) $1"
								" ORDER BY name LIMIT 1",
								1, argtypes, values, NULL);
		if (rows->count == 0)
			continue;
		ereport(refusal_level(),
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("cannot grant default privileges other than SELECT on the tables of role \"%s\"",
						GetUserNameFromId(lfirst_oid(lc), false)),
				 errdetail("Role \"%s\" owns domain \"%s\", and the views of its versions would get them: their readers could write through them.",
						   GetUserNameFromId(lfirst_oid(lc), false),
						   dp_rows_text(rows, 0, 1)),
				 dp_guard_off_hint() ? 0 :
				 errhint("Grant default privileges IN SCHEMA the schemas of the domain's own tables instead.")));
	}
}

/*
 * A function a version view calls runs as its reader, or for SECURITY
 * DEFINER, as its owner: what it may read inside depends on that identity,
 * which the guard cannot follow into a function body.  So neither the
 * security mode nor the owner of a SECURITY DEFINER function changes under
 * a live version.
 */
static void
check_function_identity(Oid funcid, Node *parsetree)
{
	bool		changes = false;
	List	   *reached;
	DpReachedView *r;
	ListCell   *lc;

	if (IsA(parsetree, AlterOwnerStmt))
		changes = function_is_security_definer(funcid);
	else if (IsA(parsetree, AlterFunctionStmt))
	{
		foreach(lc, ((AlterFunctionStmt *) parsetree)->actions)
		{
			if (strcmp(((DefElem *) lfirst(lc))->defname, "security") == 0)
				changes = true;
		}
	}
	if (!changes)
		return;
	reached = dp_views_reading(ProcedureRelationId, funcid);
	if (reached == NIL)
		return;
	r = linitial(reached);
	ereport(refusal_level(),
			(errcode(ERRCODE_DEPENDENT_OBJECTS_STILL_EXIST),
			 errmsg("cannot change the identity %s runs as",
					format_procedure_qualified(funcid)),
			 errdetail("View %s, which serves %s, calls it, and what it may read depends on that identity.",
					   quote_qualified_identifier(NameStr(r->vs->schema),
												  get_rel_name(r->viewid)),
					   dp_version_label(r->vs)),
			 dp_guard_off_hint() ? 0 :
			 errhint("Create another function for a new major version.")));
}

static bool
function_is_security_definer(Oid funcid)
{
	HeapTuple	tuple = SearchSysCache1(PROCOID, ObjectIdGetDatum(funcid));
	bool		secdef = false;

	if (HeapTupleIsValid(tuple))
	{
		secdef = ((Form_pg_proc) GETSTRUCT(tuple))->prosecdef;
		ReleaseSysCache(tuple);
	}
	return secdef;
}

/*
 * A rule on a relation that version views read: a new or replaced SELECT
 * rule must keep their contracts, and CREATE RULE "_RETURN" on a table,
 * which turns it into a view, would replace the rows they read.
 */
static void
check_rule(Oid ruleid, Node *parsetree)
{
	Oid			relid = dp_rule_relation(ruleid);
	RuleStmt   *stmt = (RuleStmt *) parsetree;
	List	   *reached;

	if (!OidIsValid(relid))
		return;
	check_relation_readers(relid, parsetree);
	if (!IsA(parsetree, RuleStmt) || stmt->event != CMD_SELECT ||
		relkind_before_command(relid) == RELKIND_VIEW)
		return;
	reached = dp_views_reading(RelationRelationId, relid);
	if (reached != NIL)
	{
		DpReachedView *r = linitial(reached);

		ereport(refusal_level(),
				(errcode(ERRCODE_DEPENDENT_OBJECTS_STILL_EXIST),
				 errmsg("cannot turn table %s into a view",
						quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)),
												   get_rel_name(relid))),
				 errdetail("View %s, which serves %s, reads its rows.",
						   quote_qualified_identifier(NameStr(r->vs->schema),
													  get_rel_name(r->viewid)),
						   dp_version_label(r->vs)),
				 dp_guard_off_hint() ? 0 :
				 errhint("Publish the view as a new version instead.")));
	}
}

/*
 * A relation's kind as the current command found it: CREATE [OR REPLACE]
 * RULE "_RETURN" turns an empty table into a view, and the statement's
 * snapshot still sees the table.
 */
static char
relkind_before_command(Oid relid)
{
	Relation	rel = table_open(RelationRelationId, AccessShareLock);
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tuple;
	char		relkind = RELKIND_VIEW;

	ScanKeyInit(&key, Anum_pg_class_oid, BTEqualStrategyNumber, F_OIDEQ,
				ObjectIdGetDatum(relid));
	scan = systable_beginscan(rel, ClassOidIndexId, true,
							  ActiveSnapshotSet() ? GetActiveSnapshot() : NULL,
							  1, &key);
	tuple = systable_getnext(scan);
	if (HeapTupleIsValid(tuple))
		relkind = ((Form_pg_class) GETSTRUCT(tuple))->relkind;
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return relkind;
}

/*
 * The relation a row-level security policy belongs to, and the roles it
 * applies to (InvalidOid for PUBLIC), as "snapshot" sees it: a dropped
 * policy's row is still visible to the snapshot of the DROP statement.
 */
static Oid
policy_relation(Oid policyid, Snapshot snapshot, List **roles)
{
	Relation	rel = table_open(PolicyRelationId, AccessShareLock);
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tuple;
	Oid			relid = InvalidOid;

	*roles = NIL;
	ScanKeyInit(&key, Anum_pg_policy_oid, BTEqualStrategyNumber, F_OIDEQ,
				ObjectIdGetDatum(policyid));
	scan = systable_beginscan(rel, PolicyOidIndexId, true, snapshot, 1, &key);
	tuple = systable_getnext(scan);
	if (HeapTupleIsValid(tuple))
	{
		bool		isnull;
		Datum		value = heap_getattr(tuple, Anum_pg_policy_polroles,
										 RelationGetDescr(rel), &isnull);
		Datum	   *oids;
		int			n;

		relid = ((Form_pg_policy) GETSTRUCT(tuple))->polrelid;
		deconstruct_array(DatumGetArrayTypeP(value), OIDOID, sizeof(Oid), true,
						  TYPALIGN_INT, &oids, NULL, &n);
		for (int i = 0; i < n; i++)
			*roles = lappend_oid(*roles, DatumGetObjectId(oids[i]));
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return relid;
}

/*
 * A policy of a relation that version views read was created, altered or
 * dropped: where row-level security applies to what a view reads, and the
 * policy to the role it reads with, that changes which rows its readers
 * get.
 */
static void
check_policy_readers(Oid relid, List *roles)
{
	ListCell   *lc;

	if (!OidIsValid(relid))
		return;
	foreach(lc, dp_views_reading(RelationRelationId, relid))
		dp_check_view_readable(lfirst(lc), refusal_level(), true, roles);
}

/*
 * An extension may not live in a version schema (its objects would be
 * left out of pg_dump's output with the schema's views, or shadow them),
 * nor take an object of a version schema as its member (pg_dump would
 * leave the object out).  dataproduct's own members leave the extension
 * only with the guard off: they are the guard.
 */
static void
check_extension(const ObjectAddress *extension, const ObjectAddress *member,
				Node *parsetree)
{
	Relation	rel = table_open(ExtensionRelationId, AccessShareLock);
	HeapTuple	tuple = get_catalog_object_by_oid(rel, Anum_pg_extension_oid,
												  extension->objectId);
	Oid			nspid = InvalidOid;
	char	   *name = NULL;
	DpVersionSchema *vs;

	if (HeapTupleIsValid(tuple))
	{
		nspid = ((Form_pg_extension) GETSTRUCT(tuple))->extnamespace;
		name = pstrdup(NameStr(((Form_pg_extension) GETSTRUCT(tuple))->extname));
	}
	table_close(rel, AccessShareLock);
	if (name == NULL)
		return;

	if (IsA(parsetree, AlterExtensionContentsStmt) &&
		strcmp(name, "dataproduct") == 0 && OidIsValid(member->objectId))
		ereport(refusal_level(),
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("cannot change the members of extension \"dataproduct\""),
				 errdetail("Its members are the contract guard and its catalog; without %s, live versions would be unguarded.",
						   getObjectDescription(member, false)),
				 dp_guard_off_hint() ? 0 :
				 errhint("Use ALTER EXTENSION dataproduct UPDATE to change the extension.")));

	if (IsA(parsetree, AlterObjectSchemaStmt))
		check_member_types(extension->objectId, parsetree);

	vs = dp_version_schema_of(nspid);
	if (vs != NULL)
		ereport(refusal_level(),
				(errcode(ERRCODE_DEPENDENT_OBJECTS_STILL_EXIST),
				 errmsg("cannot put extension \"%s\" in schema \"%s\"",
						name, NameStr(vs->schema)),
				 errdetail("The schema serves %s; only dataproduct's functions may change it.",
						   dp_version_label(vs)),
				 dp_guard_off_hint() ? 0 :
				 errhint("Install the extension in another schema.")));

	if (IsA(parsetree, AlterExtensionContentsStmt) && OidIsValid(member->objectId))
	{
		vs = dp_version_schema_of(namespace_of(member));
		if (vs == NULL && member->classId == NamespaceRelationId)
			vs = dp_version_schema_of(member->objectId);
		if (vs != NULL)
			ereport(refusal_level(),
					(errcode(ERRCODE_DEPENDENT_OBJECTS_STILL_EXIST),
					 errmsg("cannot make %s a member of extension \"%s\"",
							getObjectDescription(member, false), name),
					 errdetail("It is part of %s; pg_dump leaves an extension's members out of its output.",
							   dp_version_label(vs)),
					 dp_guard_off_hint() ? 0 :
					 errhint("Leave the objects of version schemas to dataproduct.")));
	}
}

/*
 * ALTER EXTENSION ... SET SCHEMA moves its types, and so renames them as
 * contracts name them.
 */
static void
check_member_types(Oid extid, Node *parsetree)
{
	ListCell   *lc;

	foreach(lc, types_depending_on(ExtensionRelationId, extid))
		check_type_users(lfirst_oid(lc), parsetree);
}

/*
 * The types, and row types of relations, that depend on an object: the
 * types in a schema, the types of an extension.
 */
static List *
types_depending_on(Oid classid, Oid objid)
{
	Relation	depend = table_open(DependRelationId, AccessShareLock);
	ScanKeyData key[2];
	SysScanDesc scan;
	HeapTuple	tuple;
	List	   *types = NIL;

	ScanKeyInit(&key[0], Anum_pg_depend_refclassid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(classid));
	ScanKeyInit(&key[1], Anum_pg_depend_refobjid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(objid));
	scan = systable_beginscan(depend, DependReferenceIndexId, true, NULL, 2, key);
	while (HeapTupleIsValid(tuple = systable_getnext(scan)))
	{
		Form_pg_depend dep = (Form_pg_depend) GETSTRUCT(tuple);
		Oid			typid = InvalidOid;

		if (dep->classid == TypeRelationId)
			typid = dep->objid;
		else if (dep->classid == RelationRelationId && dep->objsubid == 0)
			typid = get_rel_type_id(dep->objid);
		if (OidIsValid(typid))
			types = lappend_oid(types, typid);
	}
	systable_endscan(scan);
	table_close(depend, AccessShareLock);
	return types;
}

/*
 * The schema an object lives in: its own, or for a rule or trigger, its
 * relation's; InvalidOid for objects outside schemas.
 */
static Oid
namespace_of(const ObjectAddress *object)
{
	if (object->classId == RewriteRelationId)
		return get_rel_namespace(dp_rule_relation(object->objectId));
	if (object->classId == TriggerRelationId)
		return get_rel_namespace(trigger_relation(object->objectId));
	return get_object_namespace(object);
}

/*
 * A version schema itself, under its name before an ALTER SCHEMA RENAME
 * too, changes only through dataproduct's functions; so does the
 * extension's own schema.
 */
static void
check_version_schema_itself(const ObjectAddress *object, Node *parsetree)
{
	DpVersionSchema *vs = dp_version_schema_of(object->objectId);

	check_extension_object(object, object->objectId, parsetree);
	if (vs == NULL && IsA(parsetree, RenameStmt) &&
		((RenameStmt *) parsetree)->renameType == OBJECT_SCHEMA)
		vs = dp_version_schema_by_name(((RenameStmt *) parsetree)->subname);
	if (vs == NULL)
		return;
	refuse_version_schema_change(object, vs, parsetree, false);
}

/*
 * Nothing in a version schema, nor the schema itself, may change but
 * through dataproduct's functions.
 */
static void
check_in_version_schema(const ObjectAddress *object, Oid nspid,
						Node *parsetree)
{
	DpVersionSchema *vs = dp_version_schema_of(nspid);

	check_extension_object(object, nspid, parsetree);
	if (vs != NULL)
		refuse_version_schema_change(object, vs, parsetree, false);
}

/*
 * The extension's schema and what is in it (its catalog, its triggers,
 * its functions) change only through ALTER EXTENSION UPDATE: a renamed
 * schema or a disabled catalog trigger would leave the guard blind.
 * Privileges on them stay the administrator's to grant and revoke.
 */
static void
check_extension_object(const ObjectAddress *object, Oid nspid,
					   Node *parsetree)
{
	if (nspid != dp_guard_extension_schema() || IsA(parsetree, GrantStmt) ||
		IsA(parsetree, CommentStmt))
		return;
	ereport(refusal_level(),
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			 errmsg("cannot %s %s", command_verb(parsetree),
					object_description(object, parsetree)),
			 errdetail("It belongs to extension \"dataproduct\", whose contract guard relies on it."),
			 dp_guard_off_hint() ? 0 :
			 errhint("Use ALTER EXTENSION dataproduct UPDATE to change the extension.")));
}

static void
refuse_version_schema_change(const ObjectAddress *object, DpVersionSchema *vs,
							 Node *parsetree, bool revoke)
{
	bool		privileges = revoke || is_privilege_command(parsetree);

	ereport(refusal_level(),
			(errcode(privileges ? ERRCODE_INSUFFICIENT_PRIVILEGE :
					 ERRCODE_DEPENDENT_OBJECTS_STILL_EXIST),
			 errmsg("cannot %s %s", revoke ? "revoke privileges on" :
					command_verb(parsetree),
					object_description(object, parsetree)),
			 errdetail("It is part of %s; only dataproduct's functions may change that schema.",
					   dp_version_label(vs)),
			 dp_guard_off_hint() ? 0 :
			 revoke ?
			 errhint("Use dataproduct.revoke_access() to end a role's access to a major version.") :
			 errhint("Publish a new version with dataproduct.publish() instead.")));
}

/*
 * A relation that live version views read, at any depth, was altered: see
 * check_readers_of().  ALTER TABLE recurses to inheritance children and
 * partitions, and so does this.
 */
static void
check_relation_readers(Oid relid, Node *parsetree)
{
	List	   *relids = list_make1_oid(relid);
	ListCell   *lc;

	if (!OidIsValid(relid))
		return;
	if (has_subclass(relid))
		relids = find_all_inheritors(relid, NoLock, NULL);
	/* a scan of a parent reads its children: their changes reach it */
	relids = list_concat_unique_oid(relids, relation_ancestors(relid));
	foreach(lc, relids)
		check_readers_of(RelationRelationId, lfirst_oid(lc), relid, parsetree);
}

/*
 * The inheritance parents of a relation, and theirs, up to the roots.
 */
static List *
relation_ancestors(Oid relid)
{
	Relation	inherits = table_open(InheritsRelationId, AccessShareLock);
	List	   *ancestors = NIL;
	Oid			current = relid;

	for (int i = -1; i < list_length(ancestors); i++)
	{
		ScanKeyData key;
		SysScanDesc scan;
		HeapTuple	tuple;

		if (i >= 0)
			current = list_nth_oid(ancestors, i);
		ScanKeyInit(&key, Anum_pg_inherits_inhrelid, BTEqualStrategyNumber,
					F_OIDEQ, ObjectIdGetDatum(current));
		scan = systable_beginscan(inherits, InheritsRelidSeqnoIndexId, true,
								  NULL, 1, &key);
		while (HeapTupleIsValid(tuple = systable_getnext(scan)))
		{
			Oid			parent = ((Form_pg_inherits) GETSTRUCT(tuple))->inhparent;

			if (parent != relid && !list_member_oid(ancestors, parent))
				ancestors = lappend_oid(ancestors, parent);
		}
		systable_endscan(scan);
	}
	table_close(inherits, AccessShareLock);
	return ancestors;
}

/*
 * Changes of a table hierarchy after which a version view reading a parent
 * would silently get fewer rows: DETACH PARTITION, NO INHERIT.  And
 * constraints on foreign tables, which nothing checks against the remote
 * data but the planner trusts to skip it.
 */
static void
check_hierarchy_change(Oid relid, Node *parsetree)
{
	ListCell   *lc;

	foreach(lc, ((AlterTableStmt *) parsetree)->cmds)
	{
		AlterTableCmd *cmd = lfirst(lc);
		Oid			parent = InvalidOid;
		const char *what = NULL;

		if (cmd->subtype == AT_DetachPartition)
		{
			parent = relid;
			what = "detach a partition of";
		}
		else if (cmd->subtype == AT_DropInherit)
		{
			parent = RangeVarGetRelid((RangeVar *) cmd->def, NoLock, true);
			what = "remove a child of";
		}
		else if (cmd->subtype == AT_AddConstraint &&
				 get_rel_relkind(relid) == RELKIND_FOREIGN_TABLE)
		{
			parent = relid;
			what = "add a constraint nothing checks to";
		}
		if (OidIsValid(parent))
			refuse_fewer_rows(parent, what);
	}
}

/*
 * Refuse a change to "relid", or to one of its ancestors' hierarchy, that
 * version views read rows through.
 */
static void
refuse_fewer_rows(Oid relid, const char *what)
{
	List	   *relids = lappend_oid(relation_ancestors(relid), relid);
	ListCell   *lc;

	foreach(lc, relids)
	{
		List	   *reached = dp_views_reading(RelationRelationId, lfirst_oid(lc));
		DpReachedView *r;

		if (reached == NIL)
			continue;
		r = linitial(reached);
		ereport(refusal_level(),
				(errcode(ERRCODE_DEPENDENT_OBJECTS_STILL_EXIST),
				 errmsg("cannot %s %s", what, relation_description(relid, 0)),
				 errdetail("View %s, which serves %s, reads %s, and its readers would silently get fewer rows.",
						   quote_qualified_identifier(NameStr(r->vs->schema),
													  get_rel_name(r->viewid)),
						   dp_version_label(r->vs),
						   relation_description(lfirst_oid(lc), 0)),
				 dp_guard_off_hint() ? 0 :
				 errhint("Publish a new major version that reads what you want it to read.")));
	}
}

/*
 * An object (relation or function) that live version views read, directly
 * or through views, changed: each view must still have its promised
 * contract, and be readable as published.  "named" is what the command
 * named, for the message: a parent or child of the object checked.
 */
static void
check_readers_of(Oid classid, Oid objid, Oid named, Node *parsetree)
{
	bool		rls = has_subcommand(parsetree, AT_EnableRowSecurity) ||
		has_subcommand(parsetree, AT_ForceRowSecurity) ||
		has_subcommand(parsetree, AT_ChangeOwner) ||
		IsA(parsetree, AlterOwnerStmt);
	ListCell   *lc;

	foreach(lc, dp_views_reading(classid, objid))
	{
		DpReachedView *reached = lfirst(lc);

		if (classid == RelationRelationId)
		{
			check_view_contract(named, objid, reached, parsetree);
			check_foreign_options(objid, reached, parsetree);
		}
		if (changes_readers(parsetree))
			dp_check_view_readable(reached, refusal_level(), rls, NIL);
	}
}

/*
 * Commands that can change whether a version view can read what it reads:
 * privileges and owners, view options (security_invoker), row-level
 * security, view rules, materialized view contents.  Other commands leave
 * readers alone, and pg_restore runs them (constraints, indexes) before it
 * restores privileges.
 */
static bool
changes_readers(Node *parsetree)
{
	static const AlterTableType subtypes[] = {
		AT_ChangeOwner, AT_SetRelOptions, AT_ResetRelOptions,
		AT_ReplaceRelOptions, AT_EnableRowSecurity, AT_ForceRowSecurity
	};

	if (is_privilege_command(parsetree) || IsA(parsetree, RefreshMatViewStmt) ||
		IsA(parsetree, RuleStmt) || IsA(parsetree, ViewStmt) ||
		IsA(parsetree, AlterFunctionStmt))
		return true;
	for (size_t i = 0; i < lengthof(subtypes); i++)
	{
		if (has_subcommand(parsetree, subtypes[i]))
			return true;
	}
	return false;
}

/*
 * A foreign table's options say which remote table and columns it reads:
 * changing them under a version view changes what it returns.
 */
static void
check_foreign_options(Oid relid, DpReachedView *reached, Node *parsetree)
{
	if (get_rel_relkind(relid) != RELKIND_FOREIGN_TABLE ||
		(!has_subcommand(parsetree, AT_GenericOptions) &&
		 !has_subcommand(parsetree, AT_AlterColumnGenericOptions)))
		return;
	ereport(refusal_level(),
			(errcode(ERRCODE_DEPENDENT_OBJECTS_STILL_EXIST),
			 errmsg("cannot alter the options of %s", relation_description(relid, 0)),
			 errdetail("View %s, which serves %s, reads it, and its options say what remote data it reads.",
					   quote_qualified_identifier(NameStr(reached->vs->schema),
												  get_rel_name(reached->viewid)),
					   dp_version_label(reached->vs)),
			 dp_guard_off_hint() ? 0 :
			 errhint("Create another foreign table for a new major version.")));
}

/*
 * The columns, types and NOT NULL promises of a version view, as its
 * sources now give them, against the latest release of its major: after a
 * change to "named", which reached the view through relation "relid".
 */
static void
check_view_contract(Oid named, Oid relid, DpReachedView *reached,
					Node *parsetree)
{
	ObjectAddress command_object;
	DpVersionSchema *vs = reached->vs;
	Relation	view = relation_open(reached->viewid, AccessShareLock);
	DpOutput   *now = palloc0(sizeof(DpOutput));
	DpOutput   *promised;
	List	   *breaking = NIL;
	ListCell   *lc;
	StringInfoData lines;
	int			save_nestlevel;

	/* types print as the catalog stored them, whatever the search_path */
	save_nestlevel = NewGUCNestLevel();
	(void) set_config_option("search_path", "pg_catalog, pg_temp",
							 PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE,
							 true, 0, false);
	now->name = pstrdup(RelationGetRelationName(view));
	now->columns = dp_relation_columns(view);
	now->security_barrier = RelationIsSecurityView(view);
	now->security_invoker = RelationHasSecurityInvoker(view);
	relation_close(view, NoLock);
	AtEOXact_GUC(true, save_nestlevel);

	promised = dp_promised_output(vs->product, vs->major, now->name);
	if (promised == NULL)
		return;

	/* definitions and comments are not what is checked here */
	now->definition = promised->definition;
	now->source = promised->source;
	foreach(lc, dp_compare_contracts(list_make1(promised), list_make1(now)))
	{
		DpChange   *change = lfirst(lc);

		if (change->impact == DP_IMPACT_MAJOR)
			breaking = lappend(breaking, change);
	}
	if (breaking == NIL)
		return;

	initStringInfo(&lines);
	foreach(lc, breaking)
		appendStringInfo(&lines, "\n%s", dp_change_line(lfirst(lc)));
	ObjectAddressSet(command_object, RelationRelationId, named);
	ereport(refusal_level(),
			(errcode(ERRCODE_DEPENDENT_OBJECTS_STILL_EXIST),
			 errmsg("cannot %s %s",
					IsA(parsetree, RuleStmt) ? "alter" : command_verb(parsetree),
					object_description(&command_object, parsetree)),
			 named == relid ?
			 errdetail("View %s, which serves %s, reads it, and the change breaks its contract:%s",
					   quote_qualified_identifier(NameStr(vs->schema), now->name),
					   dp_version_label(vs), lines.data) :
			 errdetail("View %s, which serves %s, reads %s, and the change breaks its contract:%s",
					   quote_qualified_identifier(NameStr(vs->schema), now->name),
					   dp_version_label(vs), relation_description(relid, 0),
					   lines.data),
			 dp_guard_off_hint() ? 0 :
			 errhint("Publish the change as a new major version, and move consumers of major version %d to it.",
					 vs->major)));
}

/*
 * A type that contract columns have, or contain, keeps its name, schema
 * and shape.
 */
static void
check_type_users(Oid typid, Node *parsetree)
{
	ListCell   *lc;

	if (type_change_is_harmless(parsetree))
		return;
	foreach(lc, dp_contract_columns_of_type(typid))
	{
		ObjectAddress *column = lfirst(lc);
		DpVersionSchema *vs = dp_version_schema_of(get_rel_namespace(column->objectId));
		Oid			coltype = get_atttype(column->objectId, column->objectSubId);

		if (vs == NULL)
			continue;			/* its schema went meanwhile */
		ereport(refusal_level(),
				(errcode(ERRCODE_DEPENDENT_OBJECTS_STILL_EXIST),
				 errmsg("cannot alter type %s", type_description(typid, parsetree)),
				 coltype == typid ?
				 errdetail("The contract of %s promises %s with this type.",
						   dp_version_label(vs), getObjectDescription(column, false)) :
				 errdetail("The contract of %s promises %s with type %s, which contains it.",
						   dp_version_label(vs), getObjectDescription(column, false),
						   format_type_be_qualified(coltype)),
				 dp_guard_off_hint() ? 0 :
				 errhint("Create a new type for a new major version, and move consumers of major version %d to it.",
						 vs->major)));
	}
}

/*
 * Renaming a schema renames the types in it, as contracts name them.
 */
static void
check_schema_types(Oid nspid, Node *parsetree)
{
	ListCell   *lc;

	foreach(lc, types_depending_on(NamespaceRelationId, nspid))
		check_type_users(lfirst_oid(lc), parsetree);
}

/*
 * Changes of a type that leave its contract columns as they were: owner,
 * comment, new domain constraints and defaults, base type options.
 */
static bool
type_change_is_harmless(Node *parsetree)
{
	if (IsA(parsetree, AlterOwnerStmt) || IsA(parsetree, CommentStmt) ||
		IsA(parsetree, AlterTypeStmt) || IsA(parsetree, GrantStmt))
		return true;
	if (IsA(parsetree, RenameStmt) &&
		((RenameStmt *) parsetree)->renameType == OBJECT_SCHEMA)
		return false;
	if (IsA(parsetree, AlterDomainStmt))
	{
		char		subtype = ((AlterDomainStmt *) parsetree)->subtype;

		return subtype == 'T' || subtype == 'O' || subtype == 'C' || subtype == 'V';
	}
	return false;
}

/*
 * GRANT never breaks anything.  REVOKE (or DROP OWNED) must not take
 * access away from the consumers of a version schema, nor from any role a
 * version view reads with, on relations and functions.
 */
static void
check_grant(InternalGrant *istmt, Node *parsetree)
{
	List	   *objects;
	ListCell   *lc;

	/* in OID order, not in the order a scan of pg_class found them */
	objects = list_copy(istmt->objects);
	list_sort(objects, list_oid_cmp);
	foreach(lc, objects)
	{
		Oid			objid = lfirst_oid(lc);
		ObjectAddress object;
		DpVersionSchema *vs;

		switch (istmt->objtype)
		{
			case OBJECT_TABLE:
			case OBJECT_SEQUENCE:
				ObjectAddressSet(object, RelationRelationId, objid);
				vs = dp_version_schema_of(get_rel_namespace(objid));
				if (vs != NULL)
					check_version_grant(&object, vs, istmt, ACL_SELECT, parsetree);
				if (get_rel_namespace(objid) == dp_guard_extension_schema())
					check_catalog_grant(&object, istmt);
				if (!istmt->is_grant)
					check_relation_readers(objid, parsetree);
				break;
			case OBJECT_SCHEMA:
				ObjectAddressSet(object, NamespaceRelationId, objid);
				vs = dp_version_schema_of(objid);
				if (vs != NULL)
					check_version_grant(&object, vs, istmt, ACL_USAGE, parsetree);
				break;
			case OBJECT_FUNCTION:
			case OBJECT_PROCEDURE:
			case OBJECT_ROUTINE:
				if (!istmt->is_grant)
					check_readers_of(ProcedureRelationId, objid, objid, parsetree);
				break;
			default:
				break;
		}
	}
}

/*
 * The extension's catalog is written only by its functions, and its audit
 * trail only by its triggers: nobody else may be granted more than SELECT.
 */
static void
check_catalog_grant(const ObjectAddress *object, InternalGrant *istmt)
{
	AclMode		privileges = istmt->all_privs ? ACL_ALL_RIGHTS_RELATION :
		istmt->privileges;

	if (!istmt->is_grant || (privileges & ~ACL_SELECT) == 0)
		return;
	ereport(refusal_level(),
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("cannot grant privileges other than SELECT on %s",
					getObjectDescription(object, false)),
			 errdetail("It belongs to extension \"dataproduct\", whose functions alone write its catalog and audit trail."),
			 dp_guard_off_hint() ? 0 :
			 errhint("Grant SELECT, or use the extension's functions.")));
}

/*
 * A version schema and its views give their readers USAGE and SELECT, and
 * nothing else: granting more (writing through a view, creating objects in
 * the schema) is refused, revoking it again allowed; USAGE and SELECT go
 * through grant_access() and revoke_access().
 */
static void
check_version_grant(const ObjectAddress *object, DpVersionSchema *vs,
					InternalGrant *istmt, AclMode reads, Node *parsetree)
{
	AclMode		privileges = istmt->all_privs ? ACL_ALL_RIGHTS_RELATION | ACL_ALL_RIGHTS_SCHEMA :
		istmt->privileges;

	if (!istmt->is_grant)
	{
		if ((privileges & reads) != 0)
			refuse_version_schema_change(object, vs, parsetree, true);
		return;
	}
	if ((privileges & ~reads) == 0)
		return;
	ereport(refusal_level(),
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("cannot grant privileges other than %s on %s",
					reads == ACL_USAGE ? "USAGE" : "SELECT",
					getObjectDescription(object, false)),
			 errdetail("It is part of %s, which its readers only read.",
					   dp_version_label(vs)),
			 dp_guard_off_hint() ? 0 :
			 errhint("Use dataproduct.grant_access() to let a role read a major version.")));
}

/*
 * sql_drop: nothing in a live version schema may go, whatever the command
 * that dropped it.
 */
Datum
dp_guard_sql_drop(PG_FUNCTION_ARGS)
{
	EventTriggerData *trigdata = (EventTriggerData *) fcinfo->context;
	bool		any_live;
	List	   *dropped;
	ListCell   *lc;
	DroppedObject *original = NULL;

	if (!CALLED_AS_EVENT_TRIGGER(fcinfo))
		elog(ERROR, "not fired by event trigger manager");
	if (guard_inactive())
		PG_RETURN_NULL();

	any_live = dp_guard_prepare();
	dropped = dropped_objects();
	if (!is_own_extension_command(trigdata->parsetree))
		check_extension_drops(dropped);
	if (!any_live)
		PG_RETURN_NULL();

	foreach(lc, dropped)
	{
		DroppedObject *d = lfirst(lc);

		if (original == NULL && (d->original || lnext(dropped, lc) == NULL))
			original = d;
	}
	foreach(lc, dropped)
	{
		DroppedObject *d = lfirst(lc);
		DpVersionSchema *vs;

		if (d->classid == UserMappingRelationId && d->server_name != NULL)
			check_user_mapping_readers(d->server_name);
		if (d->classid == PolicyRelationId && ActiveSnapshotSet())
		{
			List	   *roles;
			Oid			relid = policy_relation(d->objid, GetActiveSnapshot(), &roles);

			check_policy_readers(relid, roles);
		}
		vs = dp_version_schema_by_name(d->classid == NamespaceRelationId ?
									d->object_name :
									d->schema_name ? d->schema_name :
									d->parent_schema);
		if (vs == NULL)
			continue;
		ereport(refusal_level(),
				(errcode(ERRCODE_DEPENDENT_OBJECTS_STILL_EXIST),
				 errmsg("cannot drop %s %s", original->object_type,
						original->object_identity),
				 d == original ?
				 errdetail("It is part of %s.", dp_version_label(vs)) :
				 errdetail("Dropping it would drop %s %s, part of %s.",
						   d->object_type, d->object_identity,
						   dp_version_label(vs)),
				 dp_guard_off_hint() ? 0 :
				 errhint("Publish a new major version that does not need it, and move consumers of major version %d to it.",
						 vs->major)));
		if (guard_switched_off())
			break;
	}
	PG_RETURN_NULL();
}

/*
 * Nothing of the extension's own schema goes but with the extension: not
 * the triggers on its catalog that tell every session of a new version,
 * nor a table or function the guard reads.
 */
static void
check_extension_drops(List *dropped)
{
	char	   *extschema = get_namespace_name(dp_guard_extension_schema());
	ListCell   *lc;

	foreach(lc, dropped)
	{
		DroppedObject *d = lfirst(lc);
		const char *schema = d->parent_schema ? d->parent_schema : d->schema_name;

		if ((schema == NULL || strcmp(schema, extschema) != 0) &&
			!(d->classid == NamespaceRelationId &&
			  strcmp(d->object_name, extschema) == 0))
			continue;
		ereport(refusal_level(),
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("cannot drop %s %s", d->object_type, d->object_identity),
				 errdetail("It belongs to extension \"dataproduct\", whose contract guard relies on it."),
				 dp_guard_off_hint() ? 0 :
				 errhint("Use ALTER EXTENSION dataproduct UPDATE to change the extension, or DROP EXTENSION to remove it.")));
		if (guard_switched_off())
			break;
	}
}

/*
 * A user mapping for a server was dropped: the version views that read
 * the server's foreign tables must still find one for the role they read
 * with.
 */
static void
check_user_mapping_readers(const char *server)
{
	ForeignServer *srv = GetForeignServerByName(server, true);
	Relation	depend;
	ScanKeyData key[2];
	SysScanDesc scan;
	HeapTuple	tuple;
	List	   *tables = NIL;
	ListCell   *lc;

	if (srv == NULL)
		return;
	depend = table_open(DependRelationId, AccessShareLock);
	ScanKeyInit(&key[0], Anum_pg_depend_refclassid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(ForeignServerRelationId));
	ScanKeyInit(&key[1], Anum_pg_depend_refobjid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(srv->serverid));
	scan = systable_beginscan(depend, DependReferenceIndexId, true, NULL, 2, key);
	while (HeapTupleIsValid(tuple = systable_getnext(scan)))
	{
		Form_pg_depend dep = (Form_pg_depend) GETSTRUCT(tuple);

		if (dep->classid == RelationRelationId)
			tables = lappend_oid(tables, dep->objid);
	}
	systable_endscan(scan);
	table_close(depend, AccessShareLock);

	foreach(lc, tables)
	{
		ListCell   *lc2;

		foreach(lc2, dp_views_reading(RelationRelationId, lfirst_oid(lc)))
			dp_check_view_readable(lfirst(lc2), refusal_level(), false, NIL);
	}
}

/*
 * ddl_command_start for DROP EXTENSION, DROP SCHEMA and DROP OWNED: the
 * extension, and with it the guard and the catalog, stays while any
 * version is live.  The version schemas are not members of the extension
 * and would stay behind unguarded and undocumented.
 */
Datum
dp_guard_ddl_command_start(PG_FUNCTION_ARGS)
{
	EventTriggerData *trigdata = (EventTriggerData *) fcinfo->context;
	Node	   *parsetree;
	bool		drops_extension = false;
	List	   *schemas;
	ListCell   *lc;

	if (!CALLED_AS_EVENT_TRIGGER(fcinfo))
		elog(ERROR, "not fired by event trigger manager");
	if (guard_inactive())
		PG_RETURN_NULL();
	parsetree = trigdata->parsetree;

	if (IsA(parsetree, CreateFunctionStmt) || IsA(parsetree, AlterFunctionStmt))
	{
		check_own_function_change(parsetree);
		PG_RETURN_NULL();
	}
	if (IsA(parsetree, DropStmt))
	{
		DropStmt   *stmt = (DropStmt *) parsetree;

		foreach(lc, stmt->objects)
		{
			if ((stmt->removeType == OBJECT_EXTENSION &&
				 strcmp(strVal(lfirst(lc)), "dataproduct") == 0) ||
				(stmt->removeType == OBJECT_SCHEMA &&
				 strcmp(strVal(lfirst(lc)),
						get_namespace_name(dp_extension_schema())) == 0))
				drops_extension = true;
		}
	}
	else if (IsA(parsetree, DropOwnedStmt))
	{
		Oid			extowner = dp_catalog_owner();

		foreach(lc, ((DropOwnedStmt *) parsetree)->roles)
		{
			if (get_rolespec_oid(lfirst(lc), true) == extowner)
				drops_extension = true;
		}
	}
	if (!drops_extension)
		PG_RETURN_NULL();

	schemas = dp_live_major_schemas();
	if (schemas != NIL)
	{
		StringInfoData names;

		initStringInfo(&names);
		foreach(lc, schemas)
			appendStringInfo(&names, "%s%s", names.len > 0 ? ", " : "",
							 quote_identifier(lfirst(lc)));
		ereport(refusal_level(),
				(errcode(ERRCODE_DEPENDENT_OBJECTS_STILL_EXIST),
				 errmsg("cannot drop extension dataproduct while data products have live versions"),
				 errdetail_plural("Live version schema: %s.",
								  "Live version schemas: %s.",
								  list_length(schemas),
								  names.data),
				 dp_guard_off_hint() ? 0 :
				 errhint("Drop the extension once no version is live.  To drop the extension anyway and keep the version schemas as ordinary schemas, a superuser can set dataproduct.guard to off.")));
	}
	PG_RETURN_NULL();
}

/*
 * The extension's functions, its event triggers' among them, change only
 * through ALTER EXTENSION UPDATE.  Checked before the command runs: once
 * replaced, or given SET dataproduct.guard = off, a trigger function
 * would judge its own change.
 */
static void
check_own_function_change(Node *parsetree)
{
	Oid			nspid;
	char	   *name;

	if (IsA(parsetree, CreateFunctionStmt))
	{
		CreateFunctionStmt *stmt = (CreateFunctionStmt *) parsetree;

		nspid = QualifiedNameGetCreationNamespace(stmt->funcname, &name);
	}
	else
	{
		AlterFunctionStmt *stmt = (AlterFunctionStmt *) parsetree;
		Oid			funcid = LookupFuncWithArgs(stmt->objtype, stmt->func, true);

		if (!OidIsValid(funcid))
			return;
		nspid = get_func_namespace(funcid);
		name = get_func_name(funcid);
	}
	if (nspid != dp_extension_schema())
		return;
	ereport(refusal_level(),
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			 errmsg("cannot %s function %s", command_verb(parsetree),
					quote_qualified_identifier(get_namespace_name(nspid), name)),
			 errdetail("Schema \"%s\" belongs to extension \"dataproduct\", whose functions are its contract guard.",
					   get_namespace_name(nspid)),
			 dp_guard_off_hint() ? 0 :
			 errhint("Use ALTER EXTENSION dataproduct UPDATE to change the extension.")));
}

/*
 * The one switch no event trigger sees is ALTER EVENT TRIGGER ... DISABLE:
 * dataproduct's functions that change what the guard protects say so, in
 * a WARNING that also goes to the server log.
 */
void
dp_guard_warn_if_disabled(void)
{
	Oid			extschema = dp_extension_schema();
	Relation	rel = table_open(EventTriggerRelationId, AccessShareLock);
	SysScanDesc scan = systable_beginscan(rel, InvalidOid, false, NULL, 0, NULL);
	HeapTuple	tuple;
	int			found = 0;

	while (HeapTupleIsValid(tuple = systable_getnext(scan)))
	{
		Form_pg_event_trigger evt = (Form_pg_event_trigger) GETSTRUCT(tuple);

		if (get_func_namespace(evt->evtfoid) != extschema)
			continue;
		found++;
		if (evt->evtenabled == TRIGGER_DISABLED)
			ereport(WARNING,
					(errmsg("the contract guard is off: event trigger %s is disabled",
							quote_identifier(NameStr(evt->evtname))),
					 errdetail("DDL that breaks live versions of data products is not refused."),
					 errhint("A superuser can switch it on again with ALTER EVENT TRIGGER %s ENABLE ALWAYS.",
							 quote_identifier(NameStr(evt->evtname)))));
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	if (found < 3)
		ereport(WARNING,
				(errmsg("the contract guard is off: an event trigger of extension \"dataproduct\" is missing"),
				 errdetail("DDL that breaks live versions of data products is not refused."),
				 errhint("Reinstall the extension to restore its event triggers.")));
}

/*
 * Statement trigger on dataproduct.major_version: every backend's set of
 * live version schemas is stale once this transaction commits.
 */
Datum
dp_guard_catalog_changed(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;

	if (!CALLED_AS_TRIGGER(fcinfo))
		elog(ERROR, "not fired by trigger manager");
	CacheInvalidateRelcacheByRelid(RelationGetRelid(trigdata->tg_relation));
	return PointerGetDatum(NULL);
}

/*
 * The rows of one of PostgreSQL's event trigger functions, called directly:
 * SPI would plan and run a query around it for every DDL statement.
 */
static Tuplestorestate *
event_trigger_rows(Oid funcid, TupleDesc *desc)
{
	LOCAL_FCINFO(fcinfo, 0);
	FmgrInfo	flinfo;
	ReturnSetInfo rsinfo;

	fmgr_info(funcid, &flinfo);
	InitFunctionCallInfoData(*fcinfo, &flinfo, 0, InvalidOid, NULL,
							 (Node *) &rsinfo);
	memset(&rsinfo, 0, sizeof(rsinfo));
	rsinfo.type = T_ReturnSetInfo;
	rsinfo.econtext = CreateStandaloneExprContext();
	rsinfo.allowedModes = SFRM_Materialize;
	rsinfo.returnMode = SFRM_ValuePerCall;
	(void) FunctionCallInvoke(fcinfo);
	/* the result lives in the per-query memory, which this does not free */
	FreeExprContext(rsinfo.econtext, true);
	if (rsinfo.returnMode != SFRM_Materialize || rsinfo.setResult == NULL)
		elog(ERROR, "function %u did not return a materialized set", funcid);
	*desc = rsinfo.setDesc;
	return rsinfo.setResult;
}

/*
 * The commands the current DDL statement collected.
 */
static List *
collected_commands(void)
{
	TupleDesc	desc;
	Tuplestorestate *rows = event_trigger_rows(F_PG_EVENT_TRIGGER_DDL_COMMANDS, &desc);
	TupleTableSlot *slot = MakeSingleTupleTableSlot(desc, &TTSOpsMinimalTuple);
	int			command = SPI_fnumber(desc, "command");
	List	   *commands = NIL;

	while (tuplestore_gettupleslot(rows, true, false, slot))
	{
		bool		isnull;
		Datum		value = slot_getattr(slot, command, &isnull);

		if (!isnull)
			commands = lappend(commands, DatumGetPointer(value));
	}
	ExecDropSingleTupleTableSlot(slot);
	tuplestore_end(rows);
	return commands;
}

/*
 * The objects the current DDL statement dropped.
 */
static List *
dropped_objects(void)
{
	TupleDesc	desc;
	Tuplestorestate *rows = event_trigger_rows(F_PG_EVENT_TRIGGER_DROPPED_OBJECTS, &desc);
	TupleTableSlot *slot = MakeSingleTupleTableSlot(desc, &TTSOpsMinimalTuple);
	int			classid = SPI_fnumber(desc, "classid");
	int			objid = SPI_fnumber(desc, "objid");
	int			original = SPI_fnumber(desc, "original");
	int			object_type = SPI_fnumber(desc, "object_type");
	int			schema_name = SPI_fnumber(desc, "schema_name");
	int			object_name = SPI_fnumber(desc, "object_name");
	int			object_identity = SPI_fnumber(desc, "object_identity");
	int			address_args = SPI_fnumber(desc, "address_args");
	int			address_names = SPI_fnumber(desc, "address_names");
	List	   *dropped = NIL;

	while (tuplestore_gettupleslot(rows, true, false, slot))
	{
		DroppedObject *d = palloc(sizeof(DroppedObject));

		slot_getallattrs(slot);
		d->classid = DatumGetObjectId(slot->tts_values[classid - 1]);
		d->objid = DatumGetObjectId(slot->tts_values[objid - 1]);
		d->original = DatumGetBool(slot->tts_values[original - 1]);
		d->object_type = slot_text(slot, object_type);
		d->schema_name = slot_text(slot, schema_name);
		d->object_name = slot_text(slot, object_name);
		d->object_identity = slot_text(slot, object_identity);
		d->server_name = NULL;
		if (d->classid == UserMappingRelationId &&
			!slot->tts_isnull[address_args - 1])
			d->server_name = array_text(slot->tts_values[address_args - 1], 0);
		d->parent_schema = NULL;
		if ((d->classid == TriggerRelationId || d->classid == RewriteRelationId ||
			 d->classid == PolicyRelationId) &&
			!slot->tts_isnull[address_names - 1])
			d->parent_schema = array_text(slot->tts_values[address_names - 1], 0);
		dropped = lappend(dropped, d);
	}
	ExecDropSingleTupleTableSlot(slot);
	tuplestore_end(rows);
	return dropped;
}

/* An element of a text array, counting from 0, or NULL */
static char *
array_text(Datum array, int i)
{
	Datum	   *elems;
	bool	   *nulls;
	int			n;

	deconstruct_array(DatumGetArrayTypeP(array), TEXTOID, -1, false,
					  TYPALIGN_INT, &elems, &nulls, &n);
	return i < n && !nulls[i] ? TextDatumGetCString(elems[i]) : NULL;
}

static char *
slot_text(TupleTableSlot *slot, int attnum)
{
	if (slot->tts_isnull[attnum - 1])
		return NULL;
	return TextDatumGetCString(slot->tts_values[attnum - 1]);
}

/*
 * The relation a rule or trigger belongs to.
 */
static Oid
object_relation(Oid classid, AttrNumber oidcol, AttrNumber relcol, Oid objid)
{
	Relation	catalog = table_open(classid, AccessShareLock);
	HeapTuple	tuple = get_catalog_object_by_oid(catalog, oidcol, objid);
	Oid			relid = InvalidOid;
	bool		isnull;

	if (HeapTupleIsValid(tuple))
		relid = DatumGetObjectId(heap_getattr(tuple, relcol,
											  RelationGetDescr(catalog), &isnull));
	table_close(catalog, AccessShareLock);
	return relid;
}

static Oid
trigger_relation(Oid trigid)
{
	return object_relation(TriggerRelationId, Anum_pg_trigger_oid,
						   Anum_pg_trigger_tgrelid, trigid);
}

/* "table shop.orders", "column id of table shop.orders" */
static char *
relation_description(Oid relid, AttrNumber attnum)
{
	ObjectAddress object;

	ObjectAddressSubSet(object, RelationRelationId, relid, attnum);
	return getObjectDescription(&object, false);
}

/*
 * Commands about who may do what: their refusals are privilege errors.
 */
static bool
is_privilege_command(Node *parsetree)
{
	if (parsetree == NULL)
		return false;
	return IsA(parsetree, AlterOwnerStmt) || IsA(parsetree, GrantStmt) ||
		IsA(parsetree, DropOwnedStmt) ||
		has_subcommand(parsetree, AT_ChangeOwner);
}

/*
 * Is this an ALTER TABLE with a subcommand of this type?
 */
static bool
has_subcommand(Node *parsetree, AlterTableType subtype)
{
	ListCell   *lc;

	if (parsetree == NULL || !IsA(parsetree, AlterTableStmt))
		return false;
	foreach(lc, ((AlterTableStmt *) parsetree)->cmds)
	{
		if (((AlterTableCmd *) lfirst(lc))->subtype == subtype)
			return true;
	}
	return false;
}

/*
 * What a refused command was doing, for its error message.
 */
static const char *
command_verb(Node *parsetree)
{
	if (parsetree == NULL)
		return "change";
	switch (nodeTag(parsetree))
	{
		case T_GrantStmt:
			return "revoke privileges on";
		case T_CreateStmt:
		case T_CreateTableAsStmt:
		case T_CreateSeqStmt:
		case T_CreateTrigStmt:
		case T_RuleStmt:
		case T_CompositeTypeStmt:
		case T_CreateEnumStmt:
		case T_CreateDomainStmt:
		case T_DefineStmt:
			return "create";
		case T_ViewStmt:
			return ((ViewStmt *) parsetree)->replace ? "replace" : "create";
		case T_CreateFunctionStmt:
			return ((CreateFunctionStmt *) parsetree)->replace ? "replace" : "create";
		case T_RenameStmt:
			return "rename";
		case T_AlterObjectSchemaStmt:
			return "move";
		case T_CommentStmt:
			return "comment on";
		case T_ImportForeignSchemaStmt:
			return "import";
		case T_DropOwnedStmt:
			return "revoke privileges on";
		default:
			break;
	}
	/* CREATE CONVERSION, CREATE STATISTICS, ...: the command's own verb */
	if (strncmp(CreateCommandName(parsetree), "CREATE ", 7) == 0)
		return "create";
	return "alter";
}

/*
 * An object as the command named it: renamed and moved objects under the
 * name they had.
 */
static char *
object_description(const ObjectAddress *object, Node *parsetree)
{
	if (parsetree != NULL && IsA(parsetree, RenameStmt))
	{
		RenameStmt *stmt = (RenameStmt *) parsetree;

		if (stmt->renameType == OBJECT_SCHEMA)
			return psprintf("schema %s", quote_identifier(stmt->subname));
		if (stmt->relation != NULL)
		{
			ObjectAddress relation;
			char	   *name;

			ObjectAddressSet(relation, object->classId, object->objectId);
			name = psprintf("%s %s", getObjectTypeDescription(&relation, false),
							quote_qualified_identifier(get_namespace_name(namespace_of(object)),
													   stmt->relation->relname));
			if (object->objectSubId == 0)
				return name;
			return psprintf("column %s of %s", quote_identifier(stmt->subname), name);
		}
	}
	if (parsetree != NULL && IsA(parsetree, AlterObjectSchemaStmt) &&
		((AlterObjectSchemaStmt *) parsetree)->relation != NULL)
	{
		RangeVar   *rel = ((AlterObjectSchemaStmt *) parsetree)->relation;

		return psprintf("%s %s", getObjectTypeDescription(object, false),
						rel->schemaname ?
						quote_qualified_identifier(rel->schemaname, rel->relname) :
						quote_identifier(rel->relname));
	}
	return getObjectDescription(object, false);
}

/*
 * A type as the command named it: a renamed or moved type under the name
 * it had.
 */
static char *
type_description(Oid typid, Node *parsetree)
{
	if (IsA(parsetree, RenameStmt) &&
		(((RenameStmt *) parsetree)->renameType == OBJECT_TYPE ||
		 ((RenameStmt *) parsetree)->renameType == OBJECT_DOMAIN))
		return NameListToString(castNode(List, ((RenameStmt *) parsetree)->object));
	if (IsA(parsetree, AlterObjectSchemaStmt) &&
		(((AlterObjectSchemaStmt *) parsetree)->objectType == OBJECT_TYPE ||
		 ((AlterObjectSchemaStmt *) parsetree)->objectType == OBJECT_DOMAIN))
		return NameListToString(castNode(List, ((AlterObjectSchemaStmt *) parsetree)->object));
	return format_type_be_qualified(typid);
}

/*
 * dataproduct.guard = off lets a superuser's DDL through.  The setting is
 * a superuser's, but ALTER DATABASE/ROLE ... SET or a function's SET
 * clause can carry it into other sessions: there it changes nothing.
 */
static bool
guard_switched_off(void)
{
	/*
	 * A change let through is a WARNING and an event (see
	 * dp_audit_guard_bypassed()): with client_min_messages and
	 * log_min_messages both above WARNING, neither would be written, so the
	 * change is refused instead.
	 */
	return !dp_guard_enabled && superuser() &&
		message_level_is_interesting(WARNING);
}

/*
 * ERROR, or WARNING when the guard is switched off: then the change goes
 * through, and the server log says so.
 */
static int
refusal_level(void)
{
	return guard_switched_off() ? WARNING : ERROR;
}

/*
 * With the guard off, the hint says why the change went through; returns
 * whether it did so.
 */
int
dp_guard_off_hint(void)
{
	if (!guard_switched_off())
		return 0;
	errhint("The change was allowed because dataproduct.guard is off.");
	dp_audit_guard_bypassed();
	return 1;
}
