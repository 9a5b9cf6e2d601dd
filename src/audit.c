/*-------------------------------------------------------------------------
 *
 * audit.c
 *		  The audit trail: dataproduct.events
 *
 * Every change dataproduct's functions make to the catalog is an event in
 * dataproduct.event, written in the same transaction as the change, so
 * that it commits or rolls back with it.  Row triggers on the catalog
 * tables write them (the upgrade script says which row change is which
 * action), so no function has to remember to; the contract guard records
 * the changes it lets through because dataproduct.guard is off.
 *
 * An event names two roles: the session user, and the role the change was
 * made as, which is the outer user (the session user, or the role of SET
 * ROLE).  The catalog is written as its owner, so current_user inside the
 * triggers is that owner, and the outer user is the role that called the
 * function: within a SECURITY DEFINER function, the role that called that
 * function, not its owner.
 *
 * Only changes made through dataproduct's functions are events: they write
 * the catalog as its owner in a security restricted operation.  Rows that
 * pg_restore or the owner's own statements write directly are not, so that
 * restoring a dump, which restores the events with the rest of the
 * catalog, does not record the restored rows again.
 *
 * The trail is append-only: nobody but the catalog owner may write it, and
 * a trigger refuses UPDATE, DELETE and TRUNCATE to everyone, its owner
 * included, but an upgrade script of the extension.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "dataproduct.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "commands/trigger.h"
#include "miscadmin.h"
#include "tcop/tcopprot.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

PG_FUNCTION_INFO_V1(dp_audit_catalog_change);
PG_FUNCTION_INFO_V1(dp_audit_append_only);

/*
 * What an event says about a row of a catalog table: SQL expressions over
 * the row ($4, of the table's row type) for the product, major version,
 * version and details of the event.
 */
typedef struct AuditedTable
{
	const char *relname;
	const char *product;
	const char *major;
	const char *version;
	const char *details;
} AuditedTable;

static const AuditedTable audited_tables[] = {
	{
		"domain", "NULL", "NULL", "NULL",
		"pg_catalog.jsonb_build_object('domain', ($4).name,"
		" 'owner', ($4).owner, 'description', ($4).description)"
	},
	{
		"product", "($4).name", "NULL", "NULL",
		"pg_catalog.jsonb_build_object('domain', ($4).domain,"
		" 'description', ($4).description)"
	},
	/* whatever the lifecycle records: status, sunset, message, times */
	{
		"major_version", "($4).product", "($4).major", "NULL",
		"pg_catalog.to_jsonb($4) OPERATOR(pg_catalog.-)"
		" '{product,major}'::pg_catalog.text[]"
	},

	/*
	 * publish() creates or replaces every view of the major version before
	 * it records the release, and records the release's outputs after it:
	 * the outputs of the release are the views of its schema.
	 */
	{
		"release", "($4).product", "($4).major",
		"pg_catalog.format('%s.%s.%s', ($4).major, ($4).minor, ($4).patch)",
		"(SELECT pg_catalog.jsonb_build_object('release_id', ($4).release_id,"
		" 'schema', m.schema_name, 'notes', ($4).notes,"
		" 'outputs', ARRAY(SELECT c.relname FROM pg_catalog.pg_class c"
		"  WHERE c.relnamespace OPERATOR(pg_catalog.=) n.oid"
		"  AND c.relkind OPERATOR(pg_catalog.=) 'v' ORDER BY c.relname))"
		" FROM dataproduct.major_version m"
		" JOIN pg_catalog.pg_namespace n"
		"  ON n.nspname OPERATOR(pg_catalog.=) m.schema_name"
		" WHERE m.product OPERATOR(pg_catalog.=) ($4).product"
		" AND m.major OPERATOR(pg_catalog.=) ($4).major)"
	},
	{
		"access", "($4).product", "($4).major", "NULL",
		"pg_catalog.jsonb_build_object('grantee', ($4).grantee)"
	},
	{
		"consumer", "($4).product", "($4).major", "($4).version",
		"pg_catalog.to_jsonb($4) OPERATOR(pg_catalog.-)"
		" '{product,major,version,subscribed_at,refreshed_at}'::pg_catalog.text[]"
	},
};

/*
 * For an UPDATE, the values the changed columns had before ($5), as a
 * "previous" object; nothing for an INSERT or DELETE.
 */
#define PREVIOUS_VALUES \
	"COALESCE((SELECT pg_catalog.jsonb_build_object('previous'," \
	" pg_catalog.jsonb_object_agg(o.key, o.value))" \
	" FROM pg_catalog.jsonb_each(pg_catalog.to_jsonb($5)) o" \
	" WHERE o.value IS DISTINCT FROM" \
	"  pg_catalog.to_jsonb($4) OPERATOR(pg_catalog.->) o.key" \
	" HAVING pg_catalog.count(*) OPERATOR(pg_catalog.>) 0), '{}')"

static const AuditedTable *audited_table(Relation rel);
static void insert_event(const char *action, const AuditedTable *table,
						 Relation rel, HeapTuple row, HeapTuple old);
static bool in_own_extension_script(void);

/*
 * AFTER INSERT, UPDATE or DELETE FOR EACH ROW on a catalog table, with the
 * action the change is as its argument.
 */
Datum
dp_audit_catalog_change(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	const AuditedTable *table;
	HeapTuple	row;
	HeapTuple	old = NULL;

	if (!CALLED_AS_TRIGGER(fcinfo) ||
		!TRIGGER_FIRED_AFTER(trigdata->tg_event) ||
		!TRIGGER_FIRED_FOR_ROW(trigdata->tg_event) ||
		trigdata->tg_trigger->tgnargs != 1 ||
		(table = audited_table(trigdata->tg_relation)) == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("function dataproduct.audit_catalog_change() only serves as an AFTER row trigger of dataproduct's catalog tables")));

	/* not a change made through dataproduct's functions */
	if (!InSecurityRestrictedOperation())
		return PointerGetDatum(NULL);

	row = trigdata->tg_trigtuple;
	if (TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event))
	{
		old = trigdata->tg_trigtuple;
		row = trigdata->tg_newtuple;
	}
	insert_event(trigdata->tg_trigger->tgargs[0], table,
				 trigdata->tg_relation, row, old);
	return PointerGetDatum(NULL);
}

/*
 * The catalog table a trigger fired on, or NULL if it is not one.
 */
static const AuditedTable *
audited_table(Relation rel)
{
	if (RelationGetNamespace(rel) != dp_extension_schema())
		return NULL;
	for (size_t i = 0; i < lengthof(audited_tables); i++)
	{
		if (strcmp(RelationGetRelationName(rel), audited_tables[i].relname) == 0)
			return &audited_tables[i];
	}
	return NULL;
}

/*
 * Record one event about a row ("old": its previous version, for an
 * UPDATE).
 */
static void
insert_event(const char *action, const AuditedTable *table, Relation rel,
			 HeapTuple row, HeapTuple old)
{
	TupleDesc	tupdesc = RelationGetDescr(rel);
	Oid			rowtype = rel->rd_rel->reltype;
	Oid			argtypes[5] = {NAMEOID, NAMEOID, TEXTOID, rowtype, rowtype};
	Datum		values[5];
	char		nulls[5] = "    ";

	values[0] = dp_name_datum(GetUserNameFromId(GetSessionUserId(), false));
	values[1] = dp_name_datum(GetUserNameFromId(GetOuterUserId(), false));
	values[2] = CStringGetTextDatum(action);
	values[3] = heap_copy_tuple_as_datum(row, tupdesc);
	values[4] = old ? heap_copy_tuple_as_datum(old, tupdesc) : (Datum) 0;
	nulls[4] = old ? ' ' : 'n';
	(void) dp_catalog_query(DP_WRITE,
							psprintf("INSERT INTO dataproduct.event (session_role,"
									 " acting_role, action, product, major, version,"
									 " details)"
									 " VALUES ($1, $2, $3, %s, %s, %s,"
									 " %s OPERATOR(pg_catalog.||) " PREVIOUS_VALUES ")",
									 table->product, table->major,
									 table->version, table->details),
							5, argtypes, values, nulls);
}

/*
 * The guard let a change through because dataproduct.guard is off: record
 * the refusal it reports as a WARNING instead, with the statement.  Called
 * from the guard's ereport() once the WARNING's message and detail are set,
 * so that CopyErrorData() copies it from the top of the error stack.
 * Before ALTER EXTENSION dataproduct UPDATE TO '0.4.0', while the library
 * is already new, there is no trail to write to.
 */
void
dp_audit_guard_bypassed(void)
{
	ErrorData  *refusal;
	Oid			argtypes[5] = {NAMEOID, NAMEOID, TEXTOID, TEXTOID, TEXTOID};
	Datum		values[5];
	char		nulls[5] = "     ";

	if (!OidIsValid(get_extension_oid("dataproduct", true)) ||
		!OidIsValid(get_relname_relid("event", dp_extension_schema())))
		return;
	refusal = CopyErrorData();
	values[0] = dp_name_datum(GetUserNameFromId(GetSessionUserId(), false));
	values[1] = dp_name_datum(GetUserNameFromId(GetOuterUserId(), false));
	values[2] = CStringGetTextDatum(refusal->message);
	values[3] = dp_text_or_null(refusal->detail, &nulls[3]);
	values[4] = dp_text_or_null(debug_query_string, &nulls[4]);
	(void) dp_catalog_query(DP_WRITE,
							"INSERT INTO dataproduct.event (session_role,"
							" acting_role, action, details)"
							" VALUES ($1, $2, 'guard_bypassed',"
							" pg_catalog.jsonb_build_object('message', $3,"
							" 'detail', $4, 'statement', $5))",
							5, argtypes, values, nulls);
	FreeErrorData(refusal);
}

/*
 * BEFORE UPDATE OR DELETE FOR EACH ROW and BEFORE TRUNCATE on
 * dataproduct.event: the trail is append-only.
 */
Datum
dp_audit_append_only(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;

	if (!CALLED_AS_TRIGGER(fcinfo) ||
		!TRIGGER_FIRED_BEFORE(trigdata->tg_event) ||
		TRIGGER_FIRED_BY_INSERT(trigdata->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("function dataproduct.audit_append_only() only serves as a BEFORE UPDATE, DELETE or TRUNCATE trigger")));

	/* an upgrade script may migrate the events */
	if (in_own_extension_script())
		return PointerGetDatum(TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event) ?
							   trigdata->tg_newtuple : trigdata->tg_trigtuple);
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("%s is not allowed on the audit trail",
					TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event) ? "UPDATE" :
					TRIGGER_FIRED_BY_DELETE(trigdata->tg_event) ? "DELETE" :
					"TRUNCATE"),
			 errdetail("Table %s is append-only, for every role, its owner included.",
					   quote_qualified_identifier(get_namespace_name(RelationGetNamespace(trigdata->tg_relation)),
												  RelationGetRelationName(trigdata->tg_relation)))));
}

static bool
in_own_extension_script(void)
{
	return creating_extension &&
		CurrentExtensionObject == get_extension_oid("dataproduct", true);
}
