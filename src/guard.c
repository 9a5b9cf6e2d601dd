/*-------------------------------------------------------------------------
 *
 * guard.c
 *		  The contract guard: DDL that would break a live version fails
 *
 * Event triggers created by the extension script call the functions here
 * in every session of the database, with no shared_preload_libraries:
 *
 *	ddl_command_end		every command that created or altered objects:
 *						nothing in a version schema may change but through
 *						dataproduct's own functions; a base relation that a
 *						live version view reads must still give that view its
 *						promised columns, types and NOT NULL promises, and its
 *						owner the privileges it reads with; a type a contract
 *						column has may not change its shape or name
 *	sql_drop			nothing in a version schema may be dropped, directly
 *						or by a CASCADE from the objects it reads
 *	ddl_command_start	(only DROP EXTENSION, DROP SCHEMA, DROP OWNED) the
 *						extension, which the other triggers belong to, stays
 *						while live versions exist
 *
 * Most DDL has nothing to do with data products, so the checks start from
 * the objects a command touched and look only at what depends on them
 * (pg_depend, by index) and at a per-backend set of the live version
 * schemas, rebuilt after any change to dataproduct.major_version.  The cost
 * of a command does not grow with the number of products.
 *
 * The superuser-only setting dataproduct.guard = off turns refusals into
 * warnings, for emergencies.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "dataproduct.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/relation.h"
#include "access/table.h"
#include "catalog/dependency.h"
#include "catalog/indexing.h"
#include "catalog/namespace.h"
#include "catalog/objectaddress.h"
#include "catalog/pg_authid.h"
#include "catalog/pg_class.h"
#include "catalog/pg_depend.h"
#include "catalog/pg_inherits.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_rewrite.h"
#include "catalog/pg_trigger.h"
#include "catalog/pg_type.h"
#include "commands/event_trigger.h"
#include "commands/extension.h"
#include "commands/trigger.h"
#include "executor/executor.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "tcop/deparse_utility.h"
#include "utils/acl.h"
#include "utils/aclchk_internal.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
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

/* A live version schema, keyed by name */
typedef struct VersionSchema
{
	NameData	schema;
	char		product[NAMEDATALEN];
	int32		major;
	char		version[36];	/* its latest release */
	bool		live;			/* false: looked up, not a live version */
} VersionSchema;

/*
 * The schemas looked up so far, live version schemas or not, and whether
 * any version is live at all.  Each schema is looked up once, by index, so
 * that the cost does not grow with the number of versions.  An
 * invalidation only marks the cache stale, since it can arrive while a
 * check holds entries; the next guard call starts afresh.
 */
static HTAB *version_schemas = NULL;
static bool version_schemas_stale = true;
static bool any_live_version = false;
static Oid	major_version_relid = InvalidOid;
static Oid	release_relid = InvalidOid;

/* A row of pg_event_trigger_dropped_objects() */
typedef struct DroppedObject
{
	Oid			classid;
	bool		original;
	char	   *object_type;
	char	   *schema_name;
	char	   *object_name;
	char	   *object_identity;
} DroppedObject;

/* A version view a change reaches, and the columns of its source it reads */
typedef struct ReachedView
{
	Oid			viewid;
	List	   *attnums;		/* of int; 0 for the whole row */
} ReachedView;

static bool guard_inactive(void);
static bool checked_by_parsetree(Node *parsetree);
static Tuplestorestate *event_trigger_rows(Oid funcid, TupleDesc *desc);
static char *slot_text(TupleTableSlot *slot, int attnum);
static List *collected_commands(void);
static List *dropped_objects(void);
static Oid	object_relation(Oid classid, AttrNumber oidcol,
							AttrNumber relcol, Oid objid);
static Oid	rule_relation(Oid ruleid);
static Oid	trigger_relation(Oid trigid);
static Oid	relation_owner(Oid relid);
static char *relation_description(Oid relid, AttrNumber attnum);
static bool is_privilege_command(Node *parsetree);
static void prepare_version_schemas(void);
static VersionSchema *version_schema_by_name(const char *name);
static VersionSchema *version_schema_of(Oid nspid);
static void check_collected_command(CollectedCommand *cmd, Node *parsetree);
static void check_version_schema_itself(const ObjectAddress *object,
										Node *parsetree);
static void refuse_version_schema_change(const ObjectAddress *object,
										 VersionSchema *vs, Node *parsetree);
static void check_in_version_schema(const ObjectAddress *object,
									Oid nspid, Node *parsetree);
static const char *command_verb(Node *parsetree);
static char *object_description(const ObjectAddress *object, Node *parsetree);
static char *type_description(Oid typid, Node *parsetree);
static void check_relation_readers(Oid relid, Node *parsetree);
static SysScanDesc dependents_scan(Relation depend, Oid classid, Oid objid);
static List *reached_views(Oid relid);
static void check_view_contract(Oid relid, Oid viewid, VersionSchema *vs);
static void check_view_privileges(Oid relid, ReachedView *reached,
								  VersionSchema *vs);
static void check_type_users(Oid typid, Node *parsetree);
static void check_grant(InternalGrant *istmt, Node *grant);
static bool type_change_is_harmless(Node *parsetree);
static Oid	namespace_of(const ObjectAddress *object);
static int	refusal_level(void);
static int	guard_off_hint(void);
static char *version_label(VersionSchema *vs);

/*
 * The guard stays out of the way of dataproduct's own functions, of
 * extension scripts, of pg_upgrade and of the emergency switch.
 */
static bool
guard_inactive(void)
{
	return guard_bypass > 0 || creating_extension || IsBinaryUpgrade;
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
		dp_execute_as(role, sql);
	}
	PG_FINALLY();
	{
		guard_bypass--;
	}
	PG_END_TRY();
}

/*
 * Relcache callback: a change to dataproduct.major_version or release (see
 * dp_guard_catalog_changed) or a reset of all caches makes the set of live
 * version schemas stale.
 */
void
dp_guard_relcache_callback(Datum arg, Oid relid)
{
	if (relid == InvalidOid || relid == major_version_relid ||
		relid == release_relid)
		version_schemas_stale = true;
}

/*
 * Start a guard call with a fresh cache if the catalog changed.
 */
static void
prepare_version_schemas(void)
{
	HASHCTL		ctl;
	Oid			nspid;

	if (!version_schemas_stale && version_schemas != NULL)
		return;
	if (version_schemas != NULL)
		hash_destroy(version_schemas);
	version_schemas = NULL;
	/* an invalidation during the reads below makes it stale again */
	version_schemas_stale = false;

	nspid = get_namespace_oid(DP_SCHEMA_NAME, false);
	major_version_relid = get_relname_relid("major_version", nspid);
	release_relid = get_relname_relid("release", nspid);
	dp_catalog_connect_nested();
	any_live_version = dp_any_live_major();
	dp_catalog_finish_nested();

	ctl.keysize = NAMEDATALEN;
	ctl.entrysize = sizeof(VersionSchema);
	ctl.hcxt = CacheMemoryContext;
	version_schemas = hash_create("dataproduct version schemas", 16, &ctl,
								  HASH_ELEM | HASH_STRINGS | HASH_CONTEXT);
}

/*
 * The live version a schema serves, or NULL.
 */
static VersionSchema *
version_schema_by_name(const char *name)
{
	VersionSchema *vs;
	bool		found;

	if (name == NULL || strlen(name) >= NAMEDATALEN || !any_live_version)
		return NULL;
	vs = hash_search(version_schemas, name, HASH_ENTER, &found);
	if (!found)
	{
		char	   *product;
		char	   *version;

		vs->live = false;		/* until the lookup says otherwise */
		dp_catalog_connect_nested();
		vs->live = dp_find_live_major(name, &product, &vs->major, &version);
		if (vs->live)
		{
			strlcpy(vs->product, product, NAMEDATALEN);
			strlcpy(vs->version, version, sizeof(vs->version));
		}
		dp_catalog_finish_nested();
	}
	return vs->live ? vs : NULL;
}

static VersionSchema *
version_schema_of(Oid nspid)
{
	char	   *name = get_namespace_name(nspid);

	return name ? version_schema_by_name(name) : NULL;
}

/*
 * ddl_command_end
 */
Datum
dp_guard_ddl_command_end(PG_FUNCTION_ARGS)
{
	EventTriggerData *trigdata = (EventTriggerData *) fcinfo->context;
	List	   *commands;
	ListCell   *lc;

	if (!CALLED_AS_EVENT_TRIGGER(fcinfo))
		elog(ERROR, "not fired by event trigger manager");
	if (guard_inactive())
		PG_RETURN_NULL();

	prepare_version_schemas();
	if (!any_live_version || checked_by_parsetree(trigdata->parsetree))
		PG_RETURN_NULL();

	commands = collected_commands();
	foreach(lc, commands)
		check_collected_command(lfirst(lc), trigdata->parsetree);
	PG_RETURN_NULL();
}

/*
 * The most common DDL names its one target in the parse tree; checking it
 * from there spares listing the collected commands, which computes every
 * object's identity.  Returns false to have the command checked from the
 * collected commands.
 */
static bool
checked_by_parsetree(Node *parsetree)
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
	if (get_rel_relkind(relid) == RELKIND_COMPOSITE_TYPE)
		check_type_users(get_rel_type_id(relid), parsetree);
	else if (IsA(parsetree, AlterTableStmt))
		check_relation_readers(relid, parsetree);
	return true;
}

static void
check_collected_command(CollectedCommand *cmd, Node *parsetree)
{
	ObjectAddress object;

	switch (cmd->type)
	{
		case SCT_Simple:
			object = cmd->d.simple.address;
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
		default:
			return;
	}
	if (!OidIsValid(object.objectId))
		return;

	if (object.classId == NamespaceRelationId)
		check_version_schema_itself(&object, parsetree);
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
		check_relation_readers(object.objectId, parsetree);
	else if (object.classId == TypeRelationId)
		check_type_users(object.objectId, parsetree);
}

/*
 * The schema an object lives in: its own, or for a rule or trigger, its
 * relation's; InvalidOid for objects outside schemas.
 */
static Oid
namespace_of(const ObjectAddress *object)
{
	if (object->classId == RewriteRelationId)
		return get_rel_namespace(rule_relation(object->objectId));
	if (object->classId == TriggerRelationId)
		return get_rel_namespace(trigger_relation(object->objectId));
	return get_object_namespace(object);
}

/*
 * A version schema itself, under its name before an ALTER SCHEMA RENAME
 * too, changes only through dataproduct's functions.
 */
static void
check_version_schema_itself(const ObjectAddress *object, Node *parsetree)
{
	VersionSchema *vs = version_schema_of(object->objectId);

	if (vs == NULL && IsA(parsetree, RenameStmt) &&
		((RenameStmt *) parsetree)->renameType == OBJECT_SCHEMA)
		vs = version_schema_by_name(((RenameStmt *) parsetree)->subname);
	if (vs == NULL)
		return;
	refuse_version_schema_change(object, vs, parsetree);
}

/*
 * Nothing in a version schema, nor the schema itself, may change but
 * through dataproduct's functions.
 */
static void
check_in_version_schema(const ObjectAddress *object, Oid nspid,
						Node *parsetree)
{
	VersionSchema *vs = version_schema_of(nspid);

	if (vs != NULL)
		refuse_version_schema_change(object, vs, parsetree);
}

static void
refuse_version_schema_change(const ObjectAddress *object, VersionSchema *vs,
							 Node *parsetree)
{
	bool		privileges = is_privilege_command(parsetree);
	bool		revoke = parsetree != NULL && IsA(parsetree, GrantStmt);

	ereport(refusal_level(),
			(errcode(privileges ? ERRCODE_INSUFFICIENT_PRIVILEGE :
					 ERRCODE_DEPENDENT_OBJECTS_STILL_EXIST),
			 errmsg("cannot %s %s", command_verb(parsetree),
					object_description(object, parsetree)),
			 errdetail("It is part of %s; only dataproduct's functions may change that schema.",
					   version_label(vs)),
			 guard_off_hint() ? 0 :
			 revoke ?
			 errhint("Use dataproduct.revoke_access() to end a role's access to a major version.") :
			 errhint("Publish a new version with dataproduct.publish() instead.")));
}

/*
 * A relation that live version views read was altered: each view must
 * still have its promised contract, and after a change of privileges or
 * ownership, its owner the privileges it reads with.  (Other commands leave
 * privileges alone, and pg_restore runs them before it restores privileges.)
 */
static void
check_relation_readers(Oid relid, Node *parsetree)
{
	List	   *relids = list_make1_oid(relid);
	ListCell   *lc;
	ListCell   *lc2;

	/* ALTER TABLE recurses to inheritance children and partitions */
	if (has_subclass(relid))
		relids = find_all_inheritors(relid, NoLock, NULL);
	foreach(lc, relids)
	{
		foreach(lc2, reached_views(lfirst_oid(lc)))
		{
			ReachedView *reached = lfirst(lc2);
			VersionSchema *vs = version_schema_of(get_rel_namespace(reached->viewid));

			check_view_contract(lfirst_oid(lc), reached->viewid, vs);
			if (is_privilege_command(parsetree))
				check_view_privileges(lfirst_oid(lc), reached, vs);
		}
	}
}

/*
 * An index scan of the pg_depend rows of the objects that depend on one.
 */
static SysScanDesc
dependents_scan(Relation depend, Oid classid, Oid objid)
{
	ScanKeyData key[2];

	ScanKeyInit(&key[0], Anum_pg_depend_refclassid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(classid));
	ScanKeyInit(&key[1], Anum_pg_depend_refobjid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(objid));
	return systable_beginscan(depend, DependReferenceIndexId, true, NULL, 2, key);
}

/*
 * The views in live version schemas whose queries read this relation, with
 * the columns they read.  One index scan of pg_depend.
 */
static List *
reached_views(Oid relid)
{
	Relation	depend = table_open(DependRelationId, AccessShareLock);
	SysScanDesc scan = dependents_scan(depend, RelationRelationId, relid);
	HeapTuple	tuple;
	List	   *views = NIL;

	while (HeapTupleIsValid(tuple = systable_getnext(scan)))
	{
		Form_pg_depend dep = (Form_pg_depend) GETSTRUCT(tuple);
		Oid			viewid;
		ReachedView *reached = NULL;
		ListCell   *lc;

		if (dep->classid != RewriteRelationId)
			continue;
		viewid = rule_relation(dep->objid);
		if (!OidIsValid(viewid) || viewid == relid ||
			version_schema_of(get_rel_namespace(viewid)) == NULL)
			continue;
		foreach(lc, views)
		{
			if (((ReachedView *) lfirst(lc))->viewid == viewid)
				reached = lfirst(lc);
		}
		if (reached == NULL)
		{
			reached = palloc0(sizeof(ReachedView));
			reached->viewid = viewid;
			views = lappend(views, reached);
		}
		reached->attnums = lappend_int(reached->attnums, dep->refobjsubid);
	}
	systable_endscan(scan);
	table_close(depend, AccessShareLock);
	return views;
}

/*
 * The columns, types and NOT NULL promises of a version view, as its
 * sources now give them, against the latest release of its major.
 */
static void
check_view_contract(Oid relid, Oid viewid, VersionSchema *vs)
{
	Relation	view = relation_open(viewid, AccessShareLock);
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
	relation_close(view, NoLock);
	AtEOXact_GUC(true, save_nestlevel);

	dp_catalog_connect_nested();
	promised = dp_promised_output(vs->product, vs->major, now->name);
	if (promised == NULL)
	{
		dp_catalog_finish_nested();
		return;
	}

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
	{
		dp_catalog_finish_nested();
		return;
	}

	initStringInfo(&lines);
	foreach(lc, breaking)
		appendStringInfo(&lines, "\n%s", dp_change_line(lfirst(lc)));
	ereport(refusal_level(),
			(errcode(ERRCODE_DEPENDENT_OBJECTS_STILL_EXIST),
			 errmsg("cannot alter %s", relation_description(relid, 0)),
			 errdetail("View %s, which serves %s, reads it, and the change breaks its contract:%s",
					   quote_qualified_identifier(NameStr(vs->schema), now->name),
					   version_label(vs), lines.data),
			 guard_off_hint() ? 0 :
			 errhint("Publish the change as a new major version, and retire major version %d once its consumers have moved.",
					 vs->major)));
	dp_catalog_finish_nested();
}

/*
 * A view reads its sources with its owner's privileges: the owner must
 * keep SELECT on every column the view reads.
 */
static void
check_view_privileges(Oid relid, ReachedView *reached, VersionSchema *vs)
{
	Oid			owner = relation_owner(reached->viewid);
	ListCell   *lc;

	if (pg_class_aclcheck(relid, owner, ACL_SELECT) == ACLCHECK_OK)
		return;
	foreach(lc, reached->attnums)
	{
		AttrNumber	attnum = lfirst_int(lc);

		if (attnum == 0 ?
			pg_attribute_aclcheck_all(relid, owner, ACL_SELECT, ACLMASK_ALL) == ACLCHECK_OK :
			pg_attribute_aclcheck(relid, attnum, owner, ACL_SELECT) == ACLCHECK_OK)
			continue;
		ereport(refusal_level(),
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("role \"%s\" must keep reading %s",
						GetUserNameFromId(owner, false),
						relation_description(relid, attnum)),
				 errdetail("View %s, which serves %s, reads it with the privileges of its owner.",
						   quote_qualified_identifier(NameStr(vs->schema),
													  get_rel_name(reached->viewid)),
						   version_label(vs)),
				 guard_off_hint() ? 0 :
				 errhint("Keep SELECT granted to role \"%s\", or publish a new major version that does not read it.",
						 GetUserNameFromId(owner, false))));
	}
}

/*
 * A type that contract columns have keeps its name, schema and shape.
 */
static void
check_type_users(Oid typid, Node *parsetree)
{
	Relation	depend;
	SysScanDesc scan;
	HeapTuple	tuple;

	if (type_change_is_harmless(parsetree))
		return;

	depend = table_open(DependRelationId, AccessShareLock);
	scan = dependents_scan(depend, TypeRelationId, typid);
	while (HeapTupleIsValid(tuple = systable_getnext(scan)))
	{
		Form_pg_depend dep = (Form_pg_depend) GETSTRUCT(tuple);
		VersionSchema *vs;
		ObjectAddress column;

		if (dep->classid != RelationRelationId || dep->objsubid <= 0)
			continue;
		vs = version_schema_of(get_rel_namespace(dep->objid));
		if (vs == NULL)
			continue;
		ObjectAddressSubSet(column, RelationRelationId, dep->objid, dep->objsubid);
		ereport(refusal_level(),
				(errcode(ERRCODE_DEPENDENT_OBJECTS_STILL_EXIST),
				 errmsg("cannot alter type %s", type_description(typid, parsetree)),
				 errdetail("The contract of %s promises %s with this type.",
						   version_label(vs), getObjectDescription(&column, false)),
				 guard_off_hint() ? 0 :
				 errhint("Create a new type for a new major version, and retire major version %d once its consumers have moved.",
						 vs->major)));
	}
	systable_endscan(scan);
	table_close(depend, AccessShareLock);
}

/*
 * Changes of a type that leave its contract columns as they were: owner,
 * comment, new domain constraints and defaults, base type options.
 */
static bool
type_change_is_harmless(Node *parsetree)
{
	if (IsA(parsetree, AlterOwnerStmt) || IsA(parsetree, CommentStmt) ||
		IsA(parsetree, AlterTypeStmt))
		return true;
	if (IsA(parsetree, AlterDomainStmt))
	{
		char		subtype = ((AlterDomainStmt *) parsetree)->subtype;

		return subtype == 'T' || subtype == 'O' || subtype == 'C' || subtype == 'V';
	}
	return false;
}

/*
 * GRANT never breaks anything.  REVOKE must not take access away from the
 * consumers of a version schema, nor from the owner of a version view on
 * what the view reads.
 */
static void
check_grant(InternalGrant *istmt, Node *grant)
{
	List	   *objects;
	ListCell   *lc;

	if (istmt->is_grant)
		return;
	/* in OID order, not in the order a scan of pg_class found them */
	objects = list_copy(istmt->objects);
	list_sort(objects, list_oid_cmp);
	foreach(lc, objects)
	{
		Oid			objid = lfirst_oid(lc);
		ObjectAddress object;

		switch (istmt->objtype)
		{
			case OBJECT_TABLE:
			case OBJECT_SEQUENCE:
				ObjectAddressSet(object, RelationRelationId, objid);
				check_in_version_schema(&object, get_rel_namespace(objid), grant);
				check_relation_readers(objid, grant);
				break;
			case OBJECT_SCHEMA:
				ObjectAddressSet(object, NamespaceRelationId, objid);
				check_in_version_schema(&object, objid, grant);
				break;
			default:
				break;
		}
	}
}

/*
 * sql_drop: nothing in a live version schema may go, whatever the command
 * that dropped it.
 */
Datum
dp_guard_sql_drop(PG_FUNCTION_ARGS)
{
	List	   *dropped;
	ListCell   *lc;
	DroppedObject *original = NULL;

	if (!CALLED_AS_EVENT_TRIGGER(fcinfo))
		elog(ERROR, "not fired by event trigger manager");
	if (guard_inactive())
		PG_RETURN_NULL();

	prepare_version_schemas();
	if (!any_live_version)
		PG_RETURN_NULL();

	dropped = dropped_objects();
	foreach(lc, dropped)
	{
		DroppedObject *d = lfirst(lc);

		if (original == NULL && (d->original || lnext(dropped, lc) == NULL))
			original = d;
	}
	foreach(lc, dropped)
	{
		DroppedObject *d = lfirst(lc);
		VersionSchema *vs;

		vs = version_schema_by_name(d->classid == NamespaceRelationId ?
									d->object_name : d->schema_name);
		if (vs == NULL)
			continue;
		ereport(refusal_level(),
				(errcode(ERRCODE_DEPENDENT_OBJECTS_STILL_EXIST),
				 errmsg("cannot drop %s %s", original->object_type,
						original->object_identity),
				 d == original ?
				 errdetail("It is part of %s.", version_label(vs)) :
				 errdetail("Dropping it would drop %s %s, part of %s.",
						   d->object_type, d->object_identity,
						   version_label(vs)),
				 guard_off_hint() ? 0 :
				 errhint("Publish a new major version that does not need it, and retire major version %d once its consumers have moved.",
						 vs->major)));
		if (!dp_guard_enabled)
			break;
	}
	PG_RETURN_NULL();
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

	if (IsA(parsetree, DropStmt))
	{
		DropStmt   *stmt = (DropStmt *) parsetree;

		foreach(lc, stmt->objects)
		{
			if ((stmt->removeType == OBJECT_EXTENSION &&
				 strcmp(strVal(lfirst(lc)), "dataproduct") == 0) ||
				(stmt->removeType == OBJECT_SCHEMA &&
				 strcmp(strVal(lfirst(lc)), DP_SCHEMA_NAME) == 0))
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

	dp_catalog_connect_nested();
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
				 guard_off_hint() ? 0 :
				 errhint("Retire the live versions first.  To drop the extension anyway and keep the version schemas as ordinary schemas, a superuser can set dataproduct.guard to off.")));
	}
	dp_catalog_finish_nested();
	PG_RETURN_NULL();
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
	int			original = SPI_fnumber(desc, "original");
	int			object_type = SPI_fnumber(desc, "object_type");
	int			schema_name = SPI_fnumber(desc, "schema_name");
	int			object_name = SPI_fnumber(desc, "object_name");
	int			object_identity = SPI_fnumber(desc, "object_identity");
	List	   *dropped = NIL;

	while (tuplestore_gettupleslot(rows, true, false, slot))
	{
		DroppedObject *d = palloc(sizeof(DroppedObject));

		slot_getallattrs(slot);
		d->classid = DatumGetObjectId(slot->tts_values[classid - 1]);
		d->original = DatumGetBool(slot->tts_values[original - 1]);
		d->object_type = slot_text(slot, object_type);
		d->schema_name = slot_text(slot, schema_name);
		d->object_name = slot_text(slot, object_name);
		d->object_identity = slot_text(slot, object_identity);
		dropped = lappend(dropped, d);
	}
	ExecDropSingleTupleTableSlot(slot);
	return dropped;
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
rule_relation(Oid ruleid)
{
	return object_relation(RewriteRelationId, Anum_pg_rewrite_oid,
						   Anum_pg_rewrite_ev_class, ruleid);
}

static Oid
trigger_relation(Oid trigid)
{
	return object_relation(TriggerRelationId, Anum_pg_trigger_oid,
						   Anum_pg_trigger_tgrelid, trigid);
}

static Oid
relation_owner(Oid relid)
{
	HeapTuple	tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	Oid			owner;

	if (!HeapTupleIsValid(tuple))
		elog(ERROR, "cache lookup failed for relation %u", relid);
	owner = ((Form_pg_class) GETSTRUCT(tuple))->relowner;
	ReleaseSysCache(tuple);
	return owner;
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
	ListCell   *lc;

	if (parsetree == NULL)
		return false;
	if (IsA(parsetree, AlterOwnerStmt) || IsA(parsetree, GrantStmt))
		return true;
	if (IsA(parsetree, AlterTableStmt))
	{
		foreach(lc, ((AlterTableStmt *) parsetree)->cmds)
		{
			if (((AlterTableCmd *) lfirst(lc))->subtype == AT_ChangeOwner)
				return true;
		}
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
		default:
			return "alter";
	}
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
 * ERROR, or WARNING when the guard is switched off: then the change goes
 * through, and the server log says so.
 */
static int
refusal_level(void)
{
	return dp_guard_enabled ? ERROR : WARNING;
}

/*
 * With the guard off, the hint says why the change went through; returns
 * whether it did so.
 */
static int
guard_off_hint(void)
{
	if (dp_guard_enabled)
		return 0;
	errhint("The change was allowed because dataproduct.guard is off.");
	return 1;
}

static char *
version_label(VersionSchema *vs)
{
	return psprintf("data product \"%s\" version %s from schema \"%s\"",
					vs->product, vs->version, NameStr(vs->schema));
}
