/*-------------------------------------------------------------------------
 *
 * dataproduct.h
 *		  Shared declarations of the dataproduct extension
 *
 * A data product is published as semantically versioned schemas of views.
 * The modules share three notions declared here: a version number
 * (semver.c), a contract, i.e. the outputs and columns a release promises
 * (contract.c builds one from live relations, catalog.c loads one from the
 * extension's catalog), and the changes between two contracts with their
 * semantic-versioning impact (compat.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef DATAPRODUCT_H
#define DATAPRODUCT_H

#include "access/htup.h"
#include "access/tupdesc.h"
#include "datatype/timestamp.h"
#include "fmgr.h"
#include "foreign/foreign.h"
#include "nodes/pg_list.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/jsonb.h"
#include "utils/relcache.h"
#include "utils/tuplestore.h"

/* PostgreSQL 16 replaced the per-class ACL checks with object_aclcheck() */
#if PG_VERSION_NUM >= 160000
#include "catalog/pg_database.h"
#include "catalog/pg_foreign_server.h"
#include "catalog/pg_namespace.h"
#define dp_database_aclcheck(dbid, roleid, mode) \
	object_aclcheck(DatabaseRelationId, (dbid), (roleid), (mode))
#define dp_namespace_aclcheck(nspid, roleid, mode) \
	object_aclcheck(NamespaceRelationId, (nspid), (roleid), (mode))
#define dp_foreign_server_aclcheck(srvid, roleid, mode) \
	object_aclcheck(ForeignServerRelationId, (srvid), (roleid), (mode))
#define dp_parse_type_string(str, typid, typmod) \
	parseTypeString((str), (typid), (typmod), NULL)
#else
#define dp_database_aclcheck(dbid, roleid, mode) \
	pg_database_aclcheck((dbid), (roleid), (mode))
#define dp_namespace_aclcheck(nspid, roleid, mode) \
	pg_namespace_aclcheck((nspid), (roleid), (mode))
#define dp_foreign_server_aclcheck(srvid, roleid, mode) \
	pg_foreign_server_aclcheck((srvid), (roleid), (mode))
#define dp_parse_type_string(str, typid, typmod) \
	parseTypeString((str), (typid), (typmod), false)
#endif
#if PG_VERSION_NUM < 150000
#define MarkGUCPrefixReserved(prefix) EmitWarningsOnPlaceholders(prefix)
#endif

/* the extension's schema, fixed by the control file */
#define DP_SCHEMA_NAME	"dataproduct"

/* A MAJOR.MINOR.PATCH version number (semver 2.0.0 core, no suffixes) */
typedef struct DpVersion
{
	int32		major;
	int32		minor;
	int32		patch;
} DpVersion;

/* How far a change reaches, in semantic-versioning terms; ordered */
typedef enum DpImpact
{
	DP_IMPACT_NONE = 0,
	DP_IMPACT_PATCH,
	DP_IMPACT_MINOR,
	DP_IMPACT_MAJOR
} DpImpact;

/* One column of an output as the contract promises it */
typedef struct DpColumn
{
	char	   *name;
	char	   *type;			/* format_type() text, with typmod */
	bool		not_null;		/* NOT NULL promise */
	char	   *description;	/* column comment, or NULL */
} DpColumn;

/* One output (view) of a release */
typedef struct DpOutput
{
	char	   *name;			/* name of the view in the version schema */
	Oid			relid;			/* source relation; invalid when read from
								 * the catalog */
	char	   *source;			/* qualified name of the source relation */
	const char *source_kind;	/* "table", "view", ... */
	char	   *definition;		/* the frozen query of the view */
	bool		security_barrier;	/* the view is a security barrier */
	bool		security_invoker;	/* the view checks its reader's privileges */
	char	   *description;	/* relation comment, or NULL */
	List	   *columns;		/* of DpColumn, in column order */
} DpOutput;

/* One difference between two contracts */
typedef struct DpChange
{
	char	   *output;
	char	   *column;			/* NULL for a change to the whole output */
	const char *change;
	char	   *detail;
	DpImpact	impact;
} DpChange;

/* A published release, as listed by the catalog */
typedef struct DpRelease
{
	int64		id;
	DpVersion	version;
} DpRelease;

/* A product row with its domain's owner */
typedef struct DpProduct
{
	char	   *name;
	char	   *domain;
	Oid			owner;
} DpProduct;

/* A live (published or deprecated) major version with its latest release */
typedef struct DpMajor
{
	DpProduct  *product;
	char	   *schema;
	char	   *status;
	int64		latest_release;
	DpVersion	latest;
	List	   *outputs;		/* names of the latest release's views */
} DpMajor;

/* A live major version of a product in a producer's catalog */
typedef struct DpRemoteMajor
{
	char	   *product;
	char	   *domain;
	DpVersion	latest;			/* its latest release */
	char	   *schema;
	char	   *status;
	char	   *sunset;			/* date as text, or NULL */
	List	   *outputs;		/* names of its latest release's outputs */
	char	   *message;		/* why it is deprecated, or NULL */
} DpRemoteMajor;

/* dataproduct.c */
extern Tuplestorestate *dp_materialized_result(FunctionCallInfo fcinfo,
											   TupleDesc *tupdesc);

/* access.c */
extern void dp_check_acts_for_domain(DpProduct *product, const char *action);
extern void dp_apply_access(DpMajor *major);
extern List *dp_major_grantees(const char *product, int32 major);
extern bool dp_may_read_major(Oid role, DpMajor *major);
extern char *dp_role_name(Oid role);
extern DpMajor *dp_major_for_owner(DpProduct *product, int32 major,
								   const char *action);

/* domain.c */
extern void dp_check_domain_owner_exists(const char *domain, Oid owner);

/* guard.c */
extern bool dp_guard_enabled;
extern void dp_guard_bypass_execute(Oid role, const char *sql);
extern void dp_guard_warn_if_disabled(void);
extern void dp_guard_relcache_callback(Datum arg, Oid relid);

/* semver.c */
extern DpVersion dp_parse_version(const char *str);
extern const char *dp_version_problem(const char *str, DpVersion *v);
extern char *dp_version_string(DpVersion v);
extern int	dp_version_cmp(DpVersion a, DpVersion b);
extern char *dp_version_schema(const char *product, int32 major);

/* contract.c */
extern List *dp_contract_from_relations(ArrayType *outputs);
extern List *dp_relation_columns(Relation rel);

/* compat.c */
extern List *dp_compare_contracts(List *from, List *to);
extern DpImpact dp_max_impact(List *changes);
extern const char *dp_impact_name(DpImpact impact);
extern char *dp_change_line(DpChange *change);
extern DpImpact dp_impact_against_major(const char *product, int32 major,
										List *candidate, List **changes);

/*
 * How a statement run by dp_run_as() sees and may change the database:
 *	DP_READ			read-only, as of the calling statement's snapshot
 *	DP_READ_LATEST	read-only, as of the latest committed state of the
 *					database and what this transaction changed, whatever
 *					the isolation level: what every catalog read decides
 *					from, the guard's above all
 *	DP_WRITE		may write; sees what earlier statements committed
 *					(at READ COMMITTED) and changed
 */
typedef enum DpAccess
{
	DP_READ,
	DP_READ_LATEST,
	DP_WRITE
} DpAccess;

/* The rows a statement returned, copied into the caller's memory context */
typedef struct DpRows
{
	uint64		count;
	TupleDesc	desc;
	HeapTuple  *tuples;
} DpRows;

/* catalog.c */
extern DpRows *dp_run_as(Oid role, DpAccess access, const char *sql,
						 int nargs, Oid *argtypes, Datum *values,
						 const char *nulls);
extern DpRows *dp_catalog_query(DpAccess access, const char *sql, int nargs,
								Oid *argtypes, Datum *values,
								const char *nulls);
extern char *dp_rows_text(DpRows *rows, uint64 row, int col);
extern bool dp_rows_isnull(DpRows *rows, uint64 row, int col);
extern Datum dp_rows_datum(DpRows *rows, uint64 row, int col);
extern Oid	dp_extension_schema(void);
extern Oid	dp_catalog_owner(void);
extern Datum dp_text_or_null(const char *str, char *null);
extern Datum dp_name_datum(const char *str);
extern Datum dp_names_array(List *names);
extern Datum dp_text_array(List *strings);
extern DpMajor *dp_get_live_major(DpProduct *product, int32 major);
extern void dp_lock_major(const char *product, int32 major, bool exclusive);
extern void dp_lock_product(const char *product);
extern DpProduct *dp_get_product(const char *name, bool lock);
extern List *dp_get_releases(const char *product, int32 major);
extern DpRelease *dp_find_release(const char *product, DpVersion version);
extern List *dp_release_contract(int64 release_id);
extern Oid	dp_get_domain_owner(const char *name, bool missing_ok);
extern bool dp_product_exists(const char *name);
extern bool dp_major_exists(const char *product, int32 major);
extern bool dp_is_version_schema(Oid nspid);
extern void dp_insert_domain(const char *name, Oid owner,
							 const char *description);
extern void dp_insert_product(const char *name, const char *domain,
							  const char *description);
extern void dp_insert_major(const char *product, int32 major,
							const char *schema);
extern int64 dp_insert_release(const char *product, DpVersion version,
							   const char *notes);
extern void dp_insert_contract(int64 release_id, List *outputs);
extern bool dp_any_live_major(void);
extern bool dp_find_live_major(const char *schema, char **product,
							   int32 *major, char **version);
extern List *dp_live_major_schemas(void);
extern DpOutput *dp_promised_output(const char *product, int32 major,
									const char *output);

/* remote.c */
extern ForeignServer *dp_remote_server(const char *name);
extern void dp_remote_open(ForeignServer *server);
extern void dp_remote_close(void);
extern DpRemoteMajor *dp_remote_major(ForeignServer *server,
									  const char *product, int32 major);
extern List *dp_remote_contract(ForeignServer *server, DpRemoteMajor *major);
extern void dp_remote_register(ForeignServer *server, DpRemoteMajor *major,
							   const char *local_schema);
extern void dp_remote_unregister(ForeignServer *server, const char *product,
								 int32 major);

/* audit.c */
extern void dp_audit_guard_bypassed(void);

/* lifecycle.c */
extern void dp_check_not_deprecated(DpMajor *major);

/* usage.c */
/*
 * One (version schema, output, role) usage counter, copied out of shared
 * memory
 */
typedef struct DpUsage
{
	char	   *schema;			/* version schema */
	char	   *output;			/* view name */
	Oid			role;			/* reading role (current_user at execution) */
	int64		queries;
	double		total_time_ms;
	TimestampTz first_read;
	TimestampTz last_read;
	List	   *columns;		/* names (char *) of the view's columns ever
								 * read */
} DpUsage;
extern void dp_usage_init(void);
extern bool dp_usage_enabled(void);
extern List *dp_usage_of_schema(const char *schema);
extern TimestampTz dp_usage_complete_since(void);

/* impact.c */
extern char *dp_impact_summary(const char *product, int32 major,
							   List *changes);

/* attach.c */
extern Jsonb *dp_merge_attached(Jsonb *generated, const char *product,
								 int32 major);

/* odcs.c */
extern Jsonb *dp_contract_document(const char *product, const char *version);
extern void dp_odcs_init(void);

/* quality.c */
extern void dp_quality_init(void);

#endif							/* DATAPRODUCT_H */
