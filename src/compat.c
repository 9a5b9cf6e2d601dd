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

#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/tuplestore.h"

PG_FUNCTION_INFO_V1(dp_diff_versions);
PG_FUNCTION_INFO_V1(dp_diff_outputs);
PG_FUNCTION_INFO_V1(dp_next_version);

static void compare_outputs(DpOutput *from, DpOutput *to, List **changes);
static void compare_columns(DpOutput *from, DpOutput *to, List **changes);
static int	find_column(List *columns, const char *name);
static void add_change(List **changes, const char *output, const char *column,
					   const char *change, DpImpact impact, char *detail);
static bool equal_strings(const char *a, const char *b);
static bool change_listed(List *changes, DpChange *change);
static void put_changes(Tuplestorestate *store, TupleDesc tupdesc,
						List *changes);

/*
 * All changes that lead from contract "from" to contract "to".  Both lists
 * hold DpOutput in name order.
 */
List *
dp_compare_contracts(List *from, List *to)
{
	List	   *changes = NIL;
	ListCell   *lc;

	foreach(lc, from)
	{
		DpOutput   *f = lfirst(lc);
		DpOutput   *t = NULL;
		ListCell   *lc2;

		foreach(lc2, to)
		{
			if (strcmp(((DpOutput *) lfirst(lc2))->name, f->name) == 0)
				t = lfirst(lc2);
		}
		if (t == NULL)
			add_change(&changes, f->name, NULL, "output removed", DP_IMPACT_MAJOR,
					   psprintf("view with %d columns", list_length(f->columns)));
		else
			compare_outputs(f, t, &changes);
	}
	foreach(lc, to)
	{
		DpOutput   *t = lfirst(lc);
		bool		found = false;
		ListCell   *lc2;

		foreach(lc2, from)
		{
			if (strcmp(((DpOutput *) lfirst(lc2))->name, t->name) == 0)
				found = true;
		}
		if (!found)
			add_change(&changes, t->name, NULL, "output added", DP_IMPACT_MINOR,
					   psprintf("view with %d columns", list_length(t->columns)));
	}
	return changes;
}

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
	if (!equal_strings(from->description, to->description))
		add_change(changes, to->name, NULL, "description changed", DP_IMPACT_PATCH,
				   to->description ? pstrdup(to->description) : pstrdup("removed"));
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
	int			pos = 0;
	ListCell   *lc;

	foreach(lc, from->columns)
	{
		DpColumn   *f = lfirst(lc);
		int			i = find_column(to->columns, f->name);
		DpColumn   *t;

		pos++;
		if (i < 0)
		{
			DpColumn   *there = pos <= nto ? list_nth(to->columns, pos - 1) : NULL;

			if (there && find_column(from->columns, there->name) < 0 &&
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
}

static int
find_column(List *columns, const char *name)
{
	ListCell   *lc;

	foreach(lc, columns)
	{
		if (strcmp(((DpColumn *) lfirst(lc))->name, name) == 0)
			return foreach_current_index(lc);
	}
	return -1;
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
 */
DpImpact
dp_impact_against_major(const char *product, int32 major, List *candidate,
						List **changes)
{
	List	   *releases = dp_get_releases(product, major);
	List	   *against_latest = NIL;
	List	   *breaking = NIL;
	DpImpact	impact;
	ListCell   *lc;

	for (int i = list_length(releases) - 1; i >= 0; i--)
	{
		DpRelease  *r = list_nth(releases, i);
		List	   *found = dp_compare_contracts(dp_release_contract(r->id),
												 candidate);

		if (i == list_length(releases) - 1)
			against_latest = found;
		foreach(lc, found)
		{
			DpChange   *c = lfirst(lc);

			if (c->impact == DP_IMPACT_MAJOR && !change_listed(breaking, c))
				breaking = lappend(breaking, c);
		}
	}
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

static bool
change_listed(List *changes, DpChange *change)
{
	char	   *line = dp_change_line(change);
	ListCell   *lc;

	foreach(lc, changes)
	{
		if (strcmp(dp_change_line(lfirst(lc)), line) == 0)
			return true;
	}
	return false;
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

	dp_catalog_connect(true);
	dp_get_product(product, false);
	from_contract = dp_release_contract(dp_find_release(product, from)->id);
	to_contract = dp_release_contract(dp_find_release(product, to)->id);
	put_changes(store, tupdesc, dp_compare_contracts(from_contract, to_contract));
	dp_catalog_finish();
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

	dp_catalog_connect(true);
	dp_get_product(product, false);
	releases = dp_get_releases(product, -1);
	if (releases != NIL)
		latest = dp_release_contract(((DpRelease *) llast(releases))->id);
	put_changes(store, tupdesc,
				dp_compare_contracts(latest, dp_contract_from_relations(outputs)));
	dp_catalog_finish();
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
	List	   *releases;
	List	   *changes = NIL;
	DpVersion	next = {1, 0, 0};
	char	   *result;

	dp_catalog_connect(true);
	dp_get_product(product, false);
	releases = dp_get_releases(product, -1);
	if (releases != NIL)
	{
		DpVersion	latest = ((DpRelease *) llast(releases))->version;
		List	   *candidate = dp_contract_from_relations(outputs);

		next = latest;
		switch (dp_impact_against_major(product, latest.major, candidate, &changes))
		{
			case DP_IMPACT_MAJOR:
				next.major++;
				next.minor = next.patch = 0;
				break;
			case DP_IMPACT_MINOR:
				next.minor++;
				next.patch = 0;
				break;
			case DP_IMPACT_PATCH:
			case DP_IMPACT_NONE:
				next.patch++;
				break;
		}
	}
	else
		dp_contract_from_relations(outputs);
	result = dp_version_string(next);
	dp_catalog_finish();
	PG_RETURN_TEXT_P(cstring_to_text(result));
}

static void
put_changes(Tuplestorestate *store, TupleDesc tupdesc, List *changes)
{
	ListCell   *lc;

	foreach(lc, changes)
	{
		DpChange   *c = lfirst(lc);
		Datum		values[5];
		bool		nulls[5] = {false, c->column == NULL, false, false, false};

		values[0] = DirectFunctionCall1(namein, CStringGetDatum(c->output));
		values[1] = c->column ?
			DirectFunctionCall1(namein, CStringGetDatum(c->column)) : (Datum) 0;
		values[2] = CStringGetTextDatum(c->change);
		values[3] = CStringGetTextDatum(c->detail);
		values[4] = CStringGetTextDatum(dp_impact_name(c->impact));
		tuplestore_putvalues(store, tupdesc, values, nulls);
	}
}
