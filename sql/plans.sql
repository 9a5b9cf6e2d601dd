--
-- A version view costs what a hand-written view costs: the planner
-- flattens it, and the plan is the base table's plan
--
CREATE SCHEMA perf;
CREATE TABLE perf.events (
    id      bigint PRIMARY KEY,
    kind    text NOT NULL,
    payload jsonb,
    at      timestamptz NOT NULL
);
CREATE INDEX ON perf.events (kind, at);
INSERT INTO perf.events
SELECT g, 'kind' || (g % 10), jsonb_build_object('n', g), '2026-01-01'::timestamptz + g * interval '1 minute'
  FROM generate_series(1, 10000) g;
ANALYZE perf.events;
CREATE VIEW perf.events_by_hand AS SELECT id, kind, payload, at FROM perf.events;
GRANT USAGE ON SCHEMA perf TO regress_dp_owner;
GRANT SELECT ON perf.events TO regress_dp_owner;
SELECT dataproduct.create_product('events', 'commerce');
SELECT dataproduct.publish('events', '1.0.0', '{perf.events}');

-- Plan texts, costs included, compared line by line.  The version view's
-- plan must equal the hand-written view's plan down to the output columns
-- (VERBOSE).  It must equal the base table's plan too, once the column
-- qualifications that EXPLAIN adds for a query with more than one range
-- table entry are taken out.
CREATE FUNCTION perf.plan(query text, with_columns boolean) RETURNS SETOF text
LANGUAGE plpgsql AS $$
BEGIN
    RETURN QUERY EXECUTE format('EXPLAIN (VERBOSE %s) %s', with_columns::text, query);
END
$$;
CREATE FUNCTION perf.same_plan_as_view(query text) RETURNS boolean
LANGUAGE sql AS $$
    SELECT array(SELECT perf.plan(format(query, 'events_v1.events'), true))
         = array(SELECT perf.plan(format(query, 'perf.events_by_hand'), true))
$$;
CREATE FUNCTION perf.same_plan_as_table(query text) RETURNS boolean
LANGUAGE sql AS $$
    SELECT array(SELECT regexp_replace(p, '\m[a-z_][a-z0-9_]*\.', '', 'g')
                   FROM perf.plan(format(query, 'events_v1.events'), false) p)
         = array(SELECT regexp_replace(p, '\m[a-z_][a-z0-9_]*\.', '', 'g')
                   FROM perf.plan(format(query, 'perf.events'), false) p)
$$;

-- point lookup
EXPLAIN (COSTS OFF) SELECT * FROM events_v1.events WHERE id = 42;
EXPLAIN (COSTS OFF) SELECT * FROM perf.events WHERE id = 42;
SELECT perf.same_plan_as_view('SELECT * FROM %s WHERE id = 42'),
       perf.same_plan_as_table('SELECT * FROM %s WHERE id = 42');
-- scan with a filter on an indexed column
EXPLAIN (COSTS OFF) SELECT count(*) FROM events_v1.events WHERE kind = 'kind3' AND at > '2026-01-03';
SELECT perf.same_plan_as_view($q$SELECT count(*) FROM %s WHERE kind = 'kind3' AND at > '2026-01-03'$q$),
       perf.same_plan_as_table($q$SELECT count(*) FROM %s WHERE kind = 'kind3' AND at > '2026-01-03'$q$);
-- full scan and aggregate
EXPLAIN (COSTS OFF) SELECT kind, count(*) FROM events_v1.events GROUP BY kind;
SELECT perf.same_plan_as_view('SELECT kind, count(*) FROM %s GROUP BY kind'),
       perf.same_plan_as_table('SELECT kind, count(*) FROM %s GROUP BY kind');
-- only the columns asked for are read
SELECT perf.same_plan_as_view('SELECT id FROM %s ORDER BY id LIMIT 5'),
       perf.same_plan_as_table('SELECT id FROM %s ORDER BY id LIMIT 5');
-- joins and sorts use the base table's indexes
SELECT perf.same_plan_as_view('SELECT a.id FROM %1$s a JOIN %1$s b ON b.id = a.id + 1 WHERE a.kind = ''kind1'' ORDER BY a.id LIMIT 3');

-- prepared statements get the same generic plan
PREPARE lookup(bigint) AS SELECT kind, at FROM events_v1.events WHERE id = $1;
SET plan_cache_mode = force_generic_plan;
EXPLAIN (COSTS OFF) EXECUTE lookup(7);
EXECUTE lookup(7);
RESET plan_cache_mode;
