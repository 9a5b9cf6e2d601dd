--
-- contract(): a release as an Open Data Contract Standard v3.1.0 document.
-- Timestamps and the default host and port vary between runs: they are
-- checked, not shown.  test/t/006_odcs.pl validates documents against the
-- ODCS JSON Schema.
--
\set SHOW_CONTEXT never
CREATE SCHEMA odcs;
CREATE TYPE odcs.mood AS ENUM ('happy', 'sad');
CREATE TYPE odcs.point2 AS (x double precision, y double precision);
CREATE DOMAIN odcs.posint AS integer CHECK (VALUE > 0);
CREATE DOMAIN odcs.posints AS odcs.posint[];
CREATE DOMAIN odcs.small_posint AS odcs.posint CHECK (VALUE < 100);
-- every type family
CREATE TABLE odcs.everything (
    id integer PRIMARY KEY,
    big bigint NOT NULL,
    small smallint,
    amount numeric(10,2),
    plain_numeric numeric,
    ratio double precision,
    name text NOT NULL,
    code varchar(20),
    letter character(1),
    flag boolean,
    day date,
    at timestamp,
    at_tz timestamptz,
    at_ms timestamp(3) with time zone,
    clock time,
    clock_tz time with time zone,
    uid uuid,
    doc jsonb,
    js json,
    tags text[],
    grid integer[][],
    spot odcs.point2,
    feeling odcs.mood,
    qty odcs.posint,
    qtys odcs.posints,
    little odcs.small_posint,
    span interval,
    raw bytea
);
COMMENT ON TABLE odcs.everything IS 'One row per thing, every type family';
COMMENT ON COLUMN odcs.everything.id IS 'Identifier of the thing';
COMMENT ON COLUMN odcs.everything.amount IS 'Amount in EUR';
-- a composite key, declared in another order than its columns
CREATE TABLE odcs.lines (
    order_id integer,
    line integer,
    sku text NOT NULL,
    PRIMARY KEY (line, order_id)
);
-- a view: no primary key, NOT NULL followed through it
CREATE VIEW odcs.summary AS SELECT id, name, amount FROM odcs.everything;
COMMENT ON VIEW odcs.summary IS 'Names and amounts';
GRANT USAGE ON SCHEMA odcs TO regress_dp_owner;
GRANT SELECT ON ALL TABLES IN SCHEMA odcs TO regress_dp_owner;
SELECT dataproduct.create_domain('odcs', 'regress_dp_owner', 'The contracts team');
SELECT dataproduct.create_product('catalogue', 'odcs', 'Everything we sell');
SELECT dataproduct.publish('catalogue', '1.0.0', '{odcs.everything,odcs.lines}',
    notes => 'First release');
SELECT dataproduct.publish('catalogue', '1.1.0',
    '{odcs.everything,odcs.lines,odcs.summary}');

-- the function: stable, run as the caller, commented
SELECT oid::regprocedure, provolatile, prosecdef, proconfig,
       obj_description(oid, 'pg_proc') IS NOT NULL AS commented
  FROM pg_proc
 WHERE proname = 'contract' AND pronamespace = 'dataproduct'::regnamespace;
-- its settings
SELECT name, setting, context, vartype, min_val, max_val
  FROM pg_settings WHERE name LIKE 'dataproduct.contract\_%' ORDER BY 1;

--
-- The document of the latest release (its creation time aside, its schema
-- below), with the server entry's settings set
--
SET dataproduct.contract_host = 'db.example.com';
SET dataproduct.contract_port = 6432;
SELECT jsonb_pretty(dataproduct.contract('catalogue') - 'contractCreatedTs' - 'schema');
-- one object per output
SELECT jsonb_pretty(s - 'properties')
  FROM jsonb_array_elements(dataproduct.contract('catalogue')->'schema') s;

-- every column: logical type from the type (domains as their base type),
-- physical type exactly as format_type prints it, required from NOT NULL,
-- primary key where the source table's reaches the output
SELECT s->>'name' AS object, p->>'name' AS property,
       p->>'physicalType' AS physical, p->>'logicalType' AS logical,
       p->'required' AS required, p->'primaryKey' AS pk,
       p->'primaryKeyPosition' AS pk_position
  FROM jsonb_array_elements(dataproduct.contract('catalogue')->'schema')
         WITH ORDINALITY s(s, i),
       jsonb_array_elements(s->'properties') WITH ORDINALITY p(p, j)
 ORDER BY i, j;

-- contractCreatedTs is the release's publish time, in UTC
SELECT (dataproduct.contract('catalogue', '1.0.0')->>'contractCreatedTs')::timestamptz
         = published_at AS created_is_published,
       dataproduct.contract('catalogue', '1.0.0')->>'contractCreatedTs'
         ~ '^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$' AS iso_utc
  FROM dataproduct.versions WHERE product = 'catalogue' AND version = '1.0.0';

-- the id: a name-based UUID of product and version, the same every time
-- (and on every server: it depends on nothing else), different per release
SELECT dataproduct.contract('catalogue', '1.0.0')->>'id' AS id_1_0_0,
       dataproduct.contract('catalogue')->>'id' AS id_latest;
SELECT dataproduct.contract('catalogue', '1.1.0')->'id'
         = dataproduct.contract('catalogue')->'id' AS same_release_same_id;

-- an older release: what it promised then
SELECT dataproduct.contract('catalogue', '1.0.0')->>'version' AS version,
       jsonb_path_query_array(dataproduct.contract('catalogue', '1.0.0'),
                              '$.schema[*].name') AS objects,
       dataproduct.contract('catalogue', '1.0.0')->'customProperties' AS custom;

-- the server entry by default: localhost or the first listen address, and
-- the server's port
RESET dataproduct.contract_host;
RESET dataproduct.contract_port;
SELECT s->>'type' AS type, s->>'server' AS server,
       s->>'host' IN ('localhost',
                      btrim(split_part(current_setting('listen_addresses'), ',', 1)))
         AS host_default,
       (s->>'port')::int = current_setting('port')::int AS port_default,
       s->>'database' = current_database() AS database, s->>'schema' AS schema
  FROM jsonb_array_elements(dataproduct.contract('catalogue')->'servers') s;
-- a port is a port
SET dataproduct.contract_port = 70000;

--
-- Lifecycle: a deprecated major says so, with its sunset and message; the
-- default is the latest live major
--
SELECT dataproduct.publish('catalogue', '2.0.0', '{odcs.lines}');
SELECT dataproduct.deprecate('catalogue', 1, sunset => '2999-12-31',
    message => 'Use catalogue_v2: "summary" is gone');
SELECT dataproduct.contract('catalogue')->>'version' AS latest,
       dataproduct.contract('catalogue')->>'status' AS status;
SELECT d->>'version' AS version, d->>'status' AS status,
       d->'description'->>'limitations' AS limitations,
       jsonb_path_query_array(d, '$.customProperties[*] ? (@.property != "deprecatedAt")') AS custom,
       jsonb_path_exists(d, '$.customProperties[*] ? (@.property == "deprecatedAt" && @.value like_regex "^\\d{4}-\\d\\d-\\d\\dT.*Z$")') AS deprecated_at
  FROM dataproduct.contract('catalogue', '1.1.0') d;

-- a retired major still exports, as retired, from the catalog alone (no
-- primary key: its views are gone); the default is then the latest live
-- major, and with none, an error that names the releases
SELECT dataproduct.create_product('gone', 'odcs');
SELECT dataproduct.publish('gone', '1.0.0', '{odcs.lines}');
SELECT dataproduct.deprecate('gone', 1, sunset => '2000-01-01');
SELECT dataproduct.retire('gone', 1);
SELECT d->>'status' AS status, d->'description'->>'limitations' AS limitations,
       d->'servers'->0->>'schema' AS schema,
       jsonb_path_query_array(d, '$.customProperties[*].property') AS custom,
       jsonb_path_query_array(d, '$.schema[*].properties[*].primaryKey') AS keys,
       jsonb_path_query_array(d, '$.schema[*].properties[*].logicalType') AS logical
  FROM dataproduct.contract('gone', '1.0.0') d;
SELECT dataproduct.contract('gone');

--
-- Hostile names: quotes in the product, domain, output and column names
-- and comments; a product name that needs quoting in SQL
--
CREATE TABLE odcs."we""ird ""table""" ("col ""quoted""" int PRIMARY KEY, "Mixed Case" text);
COMMENT ON TABLE odcs."we""ird ""table""" IS 'It''s "quoted"';
COMMENT ON COLUMN odcs."we""ird ""table"""."col ""quoted""" IS 'A "quoted" column';
GRANT SELECT ON odcs."we""ird ""table""" TO regress_dp_owner;
SELECT dataproduct.create_domain('odd "domain"', 'regress_dp_owner', 'It''s odd');
SELECT dataproduct.create_product('Odd "One"', 'odd "domain"', 'A "hostile" product');
SELECT dataproduct.publish('Odd "One"', '1.0.0', ARRAY['odcs."we""ird ""table"""'::regclass]);
SET dataproduct.contract_host = 'db.example.com';
SET dataproduct.contract_port = 6432;
SELECT jsonb_pretty(dataproduct.contract('Odd "One"') - 'contractCreatedTs');
RESET dataproduct.contract_host;
RESET dataproduct.contract_port;

--
-- Errors: unknown product, unknown version (naming what exists), a version
-- that is no version, NULL
--
SELECT dataproduct.contract('catalogue', '1.2.0');
\echo :LAST_ERROR_SQLSTATE
SELECT dataproduct.contract('catalogue', 'one');
SELECT dataproduct.contract(NULL);
-- the products listed depend on what other tests created: check the names
-- of this test's are among them
DO $$
DECLARE
    state text;
    msg text;
    detail text;
    hint text;
BEGIN
    PERFORM dataproduct.contract('no such product');
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, msg = MESSAGE_TEXT,
        detail = PG_EXCEPTION_DETAIL, hint = PG_EXCEPTION_HINT;
    RAISE NOTICE 'sqlstate %: %', state, msg;
    RAISE NOTICE 'detail names "catalogue": %, "gone": %',
        strpos(detail, '"catalogue"') > 0, strpos(detail, '"gone"') > 0;
    RAISE NOTICE 'hint: %', hint;
END $$;

--
-- Anyone reads contracts: the catalog is public
--
SET ROLE regress_dp_stranger;
SELECT d->>'name' AS name, d->>'version' AS version, d->>'status' AS status,
       d->'team' AS team
  FROM dataproduct.contract('catalogue') d;
SELECT dataproduct.contract('gone', '1.0.0')->>'status' AS status;
RESET ROLE;

-- clean up
SELECT dataproduct.deprecate('catalogue', 1, sunset => '2000-01-01');
SELECT dataproduct.retire('catalogue', 1);
SELECT dataproduct.deprecate('catalogue', 2, sunset => '2000-01-01');
SELECT dataproduct.retire('catalogue', 2);
SELECT dataproduct.deprecate('Odd "One"', 1, sunset => '2000-01-01');
SELECT dataproduct.retire('Odd "One"', 1);
DROP SCHEMA odcs CASCADE;
