/*-------------------------------------------------------------------------
 *
 * guard.h
 *		  Declarations shared by the files of the contract guard
 *
 * guard.c has the event triggers' entry points and their messages,
 * guard_cache.c the per-backend knowledge of which schemas serve live
 * versions, guard_deps.c the walk from a changed object to the version
 * views that depend on it, at any depth, and the check that a version view
 * can still be read.
 *
 *-------------------------------------------------------------------------
 */
#ifndef DATAPRODUCT_GUARD_H
#define DATAPRODUCT_GUARD_H

#include "dataproduct.h"

#include "catalog/objectaddress.h"

/* A live version schema, keyed by name */
typedef struct DpVersionSchema
{
	NameData	schema;
	char		product[NAMEDATALEN];
	int32		major;
	char		version[36];	/* its latest release */
	bool		live;			/* false: looked up, not a live version */
} DpVersionSchema;

/* A version view a change reaches */
typedef struct DpReachedView
{
	Oid			viewid;
	DpVersionSchema *vs;
} DpReachedView;

/* guard_cache.c */
extern bool dp_guard_prepare(void);
extern Oid	dp_guard_extension_schema(void);
extern DpVersionSchema *dp_version_schema_by_name(const char *name);
extern DpVersionSchema *dp_version_schema_of(Oid nspid);
extern char *dp_version_label(DpVersionSchema *vs);

/* guard_deps.c */
extern List *dp_views_reading(Oid classid, Oid objid);
extern List *dp_contract_columns_of_type(Oid typid);
extern void dp_check_view_readable(DpReachedView *reached, int elevel,
								   bool check_rls, List *policy_roles);
extern Oid	dp_rule_relation(Oid ruleid);

/* guard.c */
extern int	dp_guard_off_hint(void);

#endif							/* DATAPRODUCT_GUARD_H */
