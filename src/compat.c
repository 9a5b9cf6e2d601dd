/*-------------------------------------------------------------------------
 *
 * compat.c
 *		  Compatibility of contracts: what changed, and what it means
 *
 * This is the one implementation of the compatibility policy.  publish()
 * uses it to accept or refuse a release, diff() shows its findings and
 * next_version() turns them into a version number.
 *
 * Consumers read a major version live, some through foreign tables imported
 * from an earlier minor release, so a release is compared with every earlier
 * release of its major version, and anything a consumer could have relied on
 * must still hold: every output, every column with its name, position, type
 * and typmod, and every NOT NULL promise.  Additions are minor changes;
 * changes to definitions and comments that keep all that are patches.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "dataproduct.h"

#include "common/hashfn.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"
#include "utils/tuplestore.h"

PG_FUNCTION_INFO_V1(dp_diff_versions);
PG_FUNCTION_INFO_V1(dp_diff_outputs);
PG_FUNCTION_INFO_V1(dp_next_version);

/* A column's position in its output, found by name */
typedef struct ColumnPosition
{
	char		name[NAMEDATALEN];	/* hash key */
	int			index;			/* 0-based */
} ColumnPosition;

/* A breaking change already listed, found by its line */
typedef struct ListedChange
{
	char	   *line;			/* hash key: the pointer, hashed by content */
} ListedChange;

static List *sorted_outputs(List *outputs);
static int	output_name_cmp(const ListCell *a, const ListCell *b);
static void compare_outputs(DpOutput *from, DpOutput *to, List **changes);
static void compare_security(DpOutput *from, DpOutput *to, List **changes);
static void compare_columns(DpOutput *from, DpOutput *to, List **changes);
static HTAB *column_positions(List *columns);
static int	find_column(HTAB *positions, const char *name);
static void add_change(List **changes, const char *output, const char *column,
					   const char *change, DpImpact impact, char *detail);
static DpChange *copy_change(DpChange *change);
static bool equal_strings(const char *a, const char *b);
static HTAB *listed_changes_create(void);
static uint32 listed_line_hash(const void *key, Size keysize);
static int	listed_line_match(const void *key1, const void *key2, Size keysize);
static DpVersion next_version_for(DpVersion latest, DpImpact impact);
static int32 next_number(int32 number, DpVersion latest, const char *part);
static void put_changes(Tuplestorestate *store, TupleDesc tupdesc,
						List *changes);

/*
 * All changes that lead from contract "from" to contract "to": changes to
 * the outputs of "from", in name order, then the outputs "to" adds.  The
 * outputs are paired by a merge of both lists sorted by name, and columns
 * by hash tables, so wide contracts compare in near-linear time.
 */
List *
dp_compare_contracts(List *from, List *to)
{
	List	   *changes = NIL;
	List	   *added = NIL;
	List	   *f = sorted_outputs(from);
	List	   *t = sorted_outputs(to);
	ListCell   *fc = list_head(f);
	ListCell   *tc = list_head(t);

	while (fc != NULL || tc != NULL)
	{
		DpOutput   *fo = fc ? lfirst(fc) : NULL;
		DpOutput   *tout = tc ? lfirst(tc) : NULL;
		int			cmp;

		CHECK_FOR_INTERRUPTS();
		cmp = fo == NULL ? 1 : tout == NULL ? -1 : strcmp(fo->name, tout->name);
		if (cmp < 0)
			add_change(&changes, fo->name, NULL, "output removed", DP_IMPACT_MAJOR,
					   psprintf("view with %d columns", list_length(fo->columns)));
		else if (cmp > 0)
			add_change(&added, tout->name, NULL, "output added", DP_IMPACT_MINOR,
					   psprintf("view with %d columns", list_length(tout->columns)));
		else
			compare_outputs(fo, tout, &changes);
		if (cmp <= 0)
			fc = lnext(f, fc);
		if (cmp >= 0)
			tc = lnext(t, tc);
	}
	return list_concat(changes, added);
}

static int
output_name_cmp(const ListCell *a, const ListCell *b)
{
	return strcmp(((DpOutput *) lfirst(a))->name,
				  ((DpOutput *) lfirst(b))->name);
}

/* A copy of a list of outputs, sorted by name (byte order, like "name") */
static List *
sorted_outputs(List *outputs)
{
	List	   *sorted = list_copy(outputs);

	list_sort(sorted, output_name_cmp);
	return sorted;
}

/*
 * The changes to one output that both contracts have.
 */
static void
compare_outputs(DpOutput *from, DpOutput *to, List **changes)
{
	int			ncolumn_changes = list_length(*changes);

	compare_columns(from, to, changes);
	ncolumn_changes = list_length(*changes) - ncolumn_changes;

	/* a new column list changes the query too; report that only alone */
	if (ncolumn_changes == 0 && strcmp(from->definition, to->definition) != 0)
		add_change(changes, to->name, NULL, "definition changed", DP_IMPACT_PATCH,
				   strcmp(from->source, to->source) == 0 ?
				   psprintf("query of %s %s changed", to->source_kind, to->source) :
				   psprintf("now reads %s %s instead of %s", to->source_kind,
							to->source, from->source));
	compare_security(from, to, changes);
	if (!equal_strings(from->description, to->description))
		add_change(changes, to->name, NULL, "description changed", DP_IMPACT_PATCH,
				   to->description ? pstrdup(to->description) : pstrdup("removed"));
}

/*
 * A view's security properties are part of what its readers rely on.
 *
 * Losing a security barrier is major: readers' functions (a leaky operator,
 * a RAISE NOTICE in a plpgsql function in WHERE) would then see rows the
 * view filters out, which the earlier release kept from them.  Adding one
 * is minor, like a new NOT NULL promise: it only takes possibilities away
 * from readers' functions, and every query that worked still works and
 * returns the same rows.
 *
 * Switching security_invoker is major either way.  On, the base relations
 * are read with the reader's privileges, so consumers granted only the
 * version's views fail with "permission denied".  Off, they are read with
 * the domain owner's privileges, and the row level security policies the
 * readers were subject to stop applying: rows leak.
 */
static void
compare_security(DpOutput *from, DpOutput *to, List **changes)
{
	if (from->security_barrier && !to->security_barrier)
		add_change(changes, to->name, NULL, "security barrier removed",
				   DP_IMPACT_MAJOR,
				   pstrdup("readers' functions could see rows the view filters out"));
	else if (!from->security_barrier && to->security_barrier)
		add_change(changes, to->name, NULL, "security barrier added",
				   DP_IMPACT_MINOR,
				   pstrdup("readers' functions no longer see rows the view filters out"));
	if (from->security_invoker != to->security_invoker)
		add_change(changes, to->name, NULL, "security invoker changed",
				   DP_IMPACT_MAJOR,
				   to->security_invoker ?
				   pstrdup("now reads its sources with the privileges of its reader") :
				   pstrdup("now reads its sources with the privileges of its owner"));
}

/*
 * Every column of "from" must still be there, at the same position, with the
 * same type and at least the same promise.  A column missing where a new
 * name of the same type now stands is reported as renamed.
 */
static void
compare_columns(DpOutput *from, DpOutput *to, List **changes)
{
	int			nto = list_length(to->columns);
	bool	   *matched = palloc0(sizeof(bool) * (nto + 1));
	HTAB	   *from_positions = column_positions(from->columns);
	HTAB	   *to_positions = column_positions(to->columns);
	int			pos = 0;
	ListCell   *lc;

	foreach(lc, from->columns)
	{
		DpColumn   *f = lfirst(lc);
		int			i = find_column(to_positions, f->name);
		DpColumn   *t;

		CHECK_FOR_INTERRUPTS();
		pos++;
		if (i < 0)
		{
			DpColumn   *there = pos <= nto ? list_nth(to->columns, pos - 1) : NULL;

			if (there && find_column(from_positions, there->name) < 0 &&
				strcmp(there->type, f->type) == 0)
			{
				matched[pos - 1] = true;
				add_change(changes, from->name, f->name, "column renamed",
						   DP_IMPACT_MAJOR,
						   psprintf("now \"%s\"", there->name));
			}
			else
				add_change(changes, from->name, f->name, "column removed",
						   DP_IMPACT_MAJOR, psprintf("was %s", f->type));
			continue;
		}

		matched[i] = true;
		t = list_nth(to->columns, i);
		if (i != pos - 1)
			add_change(changes, from->name, f->name, "column moved",
					   DP_IMPACT_MAJOR,
					   psprintf("position %d to %d", pos, i + 1));
		if (strcmp(f->type, t->type) != 0)
			add_change(changes, from->name, f->name, "type changed",
					   DP_IMPACT_MAJOR,
					   psprintf("%s to %s", f->type, t->type));
		if (f->not_null && !t->not_null)
			add_change(changes, from->name, f->name, "not null dropped",
					   DP_IMPACT_MAJOR, pstrdup("NULL values are now possible"));
		else if (!f->not_null && t->not_null)
			add_change(changes, from->name, f->name, "not null added",
					   DP_IMPACT_MINOR, pstrdup("now promised NOT NULL"));
		if (!equal_strings(f->description, t->description))
			add_change(changes, from->name, f->name, "description changed",
					   DP_IMPACT_PATCH,
					   t->description ? pstrdup(t->description) : pstrdup("removed"));
	}

	pos = 0;
	foreach(lc, to->columns)
	{
		DpColumn   *t = lfirst(lc);

		if (!matched[pos++])
			add_change(changes, to->name, t->name, "column added", DP_IMPACT_MINOR,
					   psprintf("%s at position %d", t->type, pos));
	}
	hash_destroy(from_positions);
	hash_destroy(to_positions);
}

/*
 * A hash table from the name of each column to its 0-based position.
 * Column names are identifiers, shorter than NAMEDATALEN.
 */
static HTAB *
column_positions(List *columns)
{
	HASHCTL		ctl;
	HTAB	   *positions;
	ListCell   *lc;

	ctl.keysize = NAMEDATALEN;
	ctl.entrysize = sizeof(ColumnPosition);
	ctl.hcxt = CurrentMemoryContext;
	positions = hash_create("dataproduct column positions",
							Max(list_length(columns), 8), &ctl,
							HASH_ELEM | HASH_STRINGS | HASH_CONTEXT);
	foreach(lc, columns)
	{
		ColumnPosition *entry;

		entry = hash_search(positions, ((DpColumn *) lfirst(lc))->name,
							HASH_ENTER, NULL);
		entry->index = foreach_current_index(lc);
	}
	return positions;
}

/* The 0-based position of a column, or -1 if there is none of that name */
static int
find_column(HTAB *positions, const char *name)
{
	ColumnPosition *entry = hash_search(positions, name, HASH_FIND, NULL);

	return entry ? entry->index : -1;
}

static void
add_change(List **changes, const char *output, const char *column,
		   const char *change, DpImpact impact, char *detail)
{
	DpChange   *c = palloc(sizeof(DpChange));

	c->output = pstrdup(output);
	c->column = column ? pstrdup(column) : NULL;
	c->change = change;
	c->impact = impact;
	c->detail = detail;
	*changes = lappend(*changes, c);
}

/* A copy of a change in the current memory context */
static DpChange *
copy_change(DpChange *change)
{
	DpChange   *c = palloc(sizeof(DpChange));

	c->output = pstrdup(change->output);
	c->column = change->column ? pstrdup(change->column) : NULL;
	c->change = change->change;
	c->impact = change->impact;
	c->detail = pstrdup(change->detail);
	return c;
}

static bool
equal_strings(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

DpImpact
dp_max_impact(List *changes)
{
	DpImpact	impact = DP_IMPACT_NONE;
	ListCell   *lc;

	foreach(lc, changes)
		impact = Max(impact, ((DpChange *) lfirst(lc))->impact);
	return impact;
}

const char *
dp_impact_name(DpImpact impact)
{
	switch (impact)
	{
		case DP_IMPACT_MAJOR:
			return "major";
		case DP_IMPACT_MINOR:
			return "minor";
		case DP_IMPACT_PATCH:
		case DP_IMPACT_NONE:
			break;
	}
	return "patch";
}

/*
 * One line describing a change, for error details:
 *   orders.amount: type changed (integer to bigint)
 */
char *
dp_change_line(DpChange *change)
{
	const char *target = change->column ?
		psprintf("%s.%s", quote_identifier(change->output),
				 quote_identifier(change->column)) :
		quote_identifier(change->output);

	return psprintf("%s: %s (%s)", target, change->change, change->detail);
}

/*
 * Classify a candidate contract against a major version.  Anything that
 * breaks any release of the major makes it a major change, and *changes
 * gets those breaking changes, each once, newest release first.  Otherwise
 * the candidate replaces the latest release, and its impact and *changes
 * are those against that release alone.
 *
 * Each release's contract is loaded and compared in a memory context of
 * its own, emptied before the next one, so memory does not grow with the
 * number of releases; what is kept is copied out.
 */
DpImpact
dp_impact_against_major(const char *product, int32 major, List *candidate,
						List **changes)
{
	List	   *releases = dp_get_releases(product, major);
	List	   *against_latest = NIL;
	List	   *breaking = NIL;
	HTAB	   *listed = listed_changes_create();
	MemoryContext outercxt = CurrentMemoryContext;
	MemoryContext comparecxt;
	DpImpact	impact;
	ListCell   *lc;

	comparecxt = AllocSetContextCreate(CurrentMemoryContext,
									   "dataproduct release comparison",
									   ALLOCSET_DEFAULT_SIZES);
	for (int i = list_length(releases) - 1; i >= 0; i--)
	{
		DpRelease  *r = list_nth(releases, i);
		List	   *found;

		CHECK_FOR_INTERRUPTS();
		MemoryContextSwitchTo(comparecxt);
		found = dp_compare_contracts(dp_release_contract(r->id), candidate);
		foreach(lc, found)
		{
			DpChange   *c = lfirst(lc);
			char	   *line;
			ListedChange *entry;
			bool		seen;

			if (i == list_length(releases) - 1)
			{
				MemoryContextSwitchTo(outercxt);
				against_latest = lappend(against_latest, copy_change(c));
				MemoryContextSwitchTo(comparecxt);
			}
			if (c->impact != DP_IMPACT_MAJOR)
				continue;
			line = dp_change_line(c);
			entry = hash_search(listed, &line, HASH_ENTER, &seen);
			if (seen)
				continue;
			MemoryContextSwitchTo(outercxt);
			entry->line = pstrdup(line);
			breaking = lappend(breaking, copy_change(c));
			MemoryContextSwitchTo(comparecxt);
		}
		MemoryContextSwitchTo(outercxt);
		MemoryContextReset(comparecxt);
	}
	MemoryContextDelete(comparecxt);
	hash_destroy(listed);

	if (breaking != NIL)
	{
		*changes = breaking;
		return DP_IMPACT_MAJOR;
	}

	impact = dp_max_impact(against_latest);
	foreach(lc, against_latest)
	{
		DpChange   *c = lfirst(lc);

		if (c->impact == impact)
			*changes = lappend(*changes, c);
	}
	return impact;
}

/*
 * A set of change lines, so that a breaking change found against several
 * releases is listed once.  The key is a pointer to the line, hashed and
 * compared by the line's text.
 */
static HTAB *
listed_changes_create(void)
{
	HASHCTL		ctl;

	ctl.keysize = sizeof(char *);
	ctl.entrysize = sizeof(ListedChange);
	ctl.hash = listed_line_hash;
	ctl.match = listed_line_match;
	ctl.hcxt = CurrentMemoryContext;
	return hash_create("dataproduct listed changes", 64, &ctl,
					   HASH_ELEM | HASH_FUNCTION | HASH_COMPARE | HASH_CONTEXT);
}

static uint32
listed_line_hash(const void *key, Size keysize)
{
	const char *line = *(char *const *) key;

	return hash_bytes((const unsigned char *) line, strlen(line));
}

static int
listed_line_match(const void *key1, const void *key2, Size keysize)
{
	return strcmp(*(char *const *) key1, *(char *const *) key2);
}

/*
 * The version that follows "latest" for a change of the given impact.
 */
static DpVersion
next_version_for(DpVersion latest, DpImpact impact)
{
	DpVersion	next = latest;

	switch (impact)
	{
		case DP_IMPACT_MAJOR:
			next.major = next_number(latest.major, latest, "major");
			next.minor = next.patch = 0;
			break;
		case DP_IMPACT_MINOR:
			next.minor = next_number(latest.minor, latest, "minor");
			next.patch = 0;
			break;
		case DP_IMPACT_PATCH:
		case DP_IMPACT_NONE:
			next.patch = next_number(latest.patch, latest, "patch");
			break;
	}
	return next;
}

/*
 * A part of a version number plus one, or an error if that does not fit:
 * a version number is never wrapped around.
 */
static int32
next_number(int32 number, DpVersion latest, const char *part)
{
	if (number == PG_INT32_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("no %s version follows version %s",
						part, dp_version_string(latest)),
				 errdetail("Each part of a version number is at most %d.",
						   PG_INT32_MAX),
				 strcmp(part, "major") != 0 && latest.major < PG_INT32_MAX ?
				 errhint("Publish the outputs as a new major version, %d.0.0.",
						 latest.major + 1) : 0));
	return number + 1;
}

/*
 * diff(product, from_version, to_version): what changed between two
 * published releases.
 */
Datum
dp_diff_versions(PG_FUNCTION_ARGS)
{
	char	   *product = text_to_cstring(PG_GETARG_TEXT_PP(0));
	DpVersion	from = dp_parse_version(text_to_cstring(PG_GETARG_TEXT_PP(1)));
	DpVersion	to = dp_parse_version(text_to_cstring(PG_GETARG_TEXT_PP(2)));
	TupleDesc	tupdesc;
	Tuplestorestate *store = dp_materialized_result(fcinfo, &tupdesc);
	List	   *from_contract;
	List	   *to_contract;

	dp_get_product(product, false);
	from_contract = dp_release_contract(dp_find_release(product, from)->id);
	to_contract = dp_release_contract(dp_find_release(product, to)->id);
	put_changes(store, tupdesc, dp_compare_contracts(from_contract, to_contract));
	return (Datum) 0;
}

/*
 * diff(product, outputs): what publishing these outputs would change,
 * compared with the latest release.
 */
Datum
dp_diff_outputs(PG_FUNCTION_ARGS)
{
	char	   *product = text_to_cstring(PG_GETARG_TEXT_PP(0));
	ArrayType  *outputs = PG_GETARG_ARRAYTYPE_P(1);
	TupleDesc	tupdesc;
	Tuplestorestate *store = dp_materialized_result(fcinfo, &tupdesc);
	List	   *releases;
	List	   *latest = NIL;

	dp_get_product(product, false);
	releases = dp_get_releases(product, -1);
	if (releases != NIL)
		latest = dp_release_contract(((DpRelease *) llast(releases))->id);
	put_changes(store, tupdesc,
				dp_compare_contracts(latest, dp_contract_from_relations(outputs)));
	return (Datum) 0;
}

/*
 * next_version(product, outputs): the smallest version under which these
 * outputs could be published.
 */
Datum
dp_next_version(PG_FUNCTION_ARGS)
{
	char	   *product = text_to_cstring(PG_GETARG_TEXT_PP(0));
	ArrayType  *outputs = PG_GETARG_ARRAYTYPE_P(1);
	List	   *candidate;
	List	   *releases;
	List	   *changes = NIL;
	DpVersion	latest;

	dp_get_product(product, false);
	candidate = dp_contract_from_relations(outputs);
	releases = dp_get_releases(product, -1);
	if (releases == NIL)
		PG_RETURN_TEXT_P(cstring_to_text("1.0.0"));

	latest = ((DpRelease *) llast(releases))->version;
	latest = next_version_for(latest,
							  dp_impact_against_major(product, latest.major,
													  candidate, &changes));
	PG_RETURN_TEXT_P(cstring_to_text(dp_version_string(latest)));
}

/*
 * One result row of diff() per change.
 */
static void
put_changes(Tuplestorestate *store, TupleDesc tupdesc, List *changes)
{
	ListCell   *lc;

	foreach(lc, changes)
	{
		DpChange   *c = lfirst(lc);
		Datum		values[5];
		bool		nulls[5] = {false, c->column == NULL, false, false, false};

		values[0] = dp_name_datum(c->output);
		values[1] = c->column ? dp_name_datum(c->column) : (Datum) 0;
		values[2] = CStringGetTextDatum(c->change);
		values[3] = CStringGetTextDatum(c->detail);
		values[4] = CStringGetTextDatum(dp_impact_name(c->impact));
		tuplestore_putvalues(store, tupdesc, values, nulls);
	}
}
