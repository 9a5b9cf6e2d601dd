--
-- The lifecycle of a major version: deprecate(), undeprecate(), retire().
-- Usage tracking is not loaded here: retire() counts registered consumers
-- only, and says so (the TAP tests cover readers counted by usage).
--
\set SHOW_CONTEXT never
CREATE SCHEMA lc;
CREATE TABLE lc.orders (id int PRIMARY KEY, amount numeric(10,2));
CREATE TABLE lc.items (id int PRIMARY KEY, sku text NOT NULL);
INSERT INTO lc.orders VALUES (1, 10), (2, 20);
GRANT USAGE ON SCHEMA lc TO regress_dp_owner;
GRANT SELECT ON ALL TABLES IN SCHEMA lc TO regress_dp_owner;
SELECT dataproduct.create_domain('lifecycle', 'regress_dp_owner');
SELECT dataproduct.create_product('billing', 'lifecycle');
SELECT dataproduct.publish('billing', '1.0.0', '{lc.orders}');
SELECT dataproduct.publish('billing', '1.1.0', '{lc.orders,lc.items}');
SELECT dataproduct.publish('billing', '2.0.0', '{lc.items}');
SELECT dataproduct.grant_access('billing', 1, 'regress_dp_consumer');

-- what 0.4.0 adds to the catalog
\d dataproduct.major_version
SELECT attname FROM pg_attribute
 WHERE attrelid = 'dataproduct.catalog'::regclass AND attnum > 0 ORDER BY attnum;
SELECT attname FROM pg_attribute
 WHERE attrelid = 'dataproduct.contract_columns'::regclass AND attnum > 0 ORDER BY attnum;
SELECT oid::regprocedure, provolatile, prosecdef, proconfig,
       obj_description(oid, 'pg_proc') IS NOT NULL AS commented
  FROM pg_proc
 WHERE proname IN ('deprecate', 'undeprecate', 'retire')
   AND pronamespace = 'dataproduct'::regnamespace ORDER BY 1;

--
-- deprecate()
--
-- only the domain deprecates: not a stranger, not a consumer of the major
SET ROLE regress_dp_stranger;
SELECT dataproduct.deprecate('billing', 1);
\echo :LAST_ERROR_SQLSTATE
SET ROLE regress_dp_consumer;
SELECT dataproduct.deprecate('billing', 1);
SELECT dataproduct.undeprecate('billing', 1);
SELECT dataproduct.retire('billing', 1, force => true);
RESET ROLE;
SELECT status FROM dataproduct.major_version WHERE product = 'billing' ORDER BY major;
-- a member of the domain's owner does
SET ROLE regress_dp_member;
SELECT dataproduct.deprecate('billing', 1, sunset => '2999-12-31',
    message => 'Use billing_v2: items moved there');
RESET ROLE;
SELECT product, version, schema, status, sunset, message,
       deprecated_at IS NOT NULL AS deprecated
  FROM dataproduct.catalog WHERE product = 'billing' ORDER BY schema;
-- the schema says so too
SELECT nspname, obj_description(oid, 'pg_namespace')
  FROM pg_namespace WHERE nspname LIKE 'billing\_v%' ORDER BY 1;
-- the views serve their readers as before
SET ROLE regress_dp_consumer;
SELECT * FROM billing_v1.orders ORDER BY id;
RESET ROLE;

-- again: the sunset date and message change, the time of the deprecation
-- stays; a NULL keeps what was set
SELECT deprecated_at AS first_deprecated FROM dataproduct.major_version
 WHERE product = 'billing' AND major = 1 \gset
SELECT dataproduct.deprecate('billing', 1, message => 'Use billing_v2');
SELECT sunset, message, deprecated_at = :'first_deprecated' AS since_first
  FROM dataproduct.major_version WHERE product = 'billing' AND major = 1;
SELECT dataproduct.deprecate('billing', 1, '2999-06-30');
SELECT sunset, message, deprecated_at = :'first_deprecated' AS since_first
  FROM dataproduct.major_version WHERE product = 'billing' AND major = 1;
SELECT obj_description('billing_v1'::regnamespace, 'pg_namespace');

--
-- undeprecate(): a mistake taken back
--
SELECT dataproduct.undeprecate('billing', 1);
SELECT status, sunset, message, deprecated_at
  FROM dataproduct.major_version WHERE product = 'billing' AND major = 1;
SELECT status, sunset, message, deprecated_at
  FROM dataproduct.catalog WHERE product = 'billing' AND schema = 'billing_v1';
SELECT obj_description('billing_v1'::regnamespace, 'pg_namespace');
-- on a published major it changes nothing
SELECT dataproduct.undeprecate('billing', 1);
-- deprecated again, it is deprecated since now
SELECT dataproduct.deprecate('billing', 1, '2999-12-31', 'Use billing_v2');
SELECT deprecated_at > :'first_deprecated' AS deprecated_anew
  FROM dataproduct.major_version WHERE product = 'billing' AND major = 1;

--
-- arguments
--
SELECT dataproduct.deprecate(NULL, 1);
\echo :LAST_ERROR_SQLSTATE
SELECT dataproduct.deprecate('billing', NULL);
SELECT dataproduct.undeprecate(NULL, 1);
SELECT dataproduct.undeprecate('billing', NULL);
SELECT dataproduct.retire(NULL, 1);
SELECT dataproduct.retire('billing', NULL);
SELECT dataproduct.retire('billing', 1, NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT dataproduct.deprecate('nosuch', 1);
\echo :LAST_ERROR_SQLSTATE
SELECT dataproduct.undeprecate('nosuch', 1);
SELECT dataproduct.retire('nosuch', 1);
SELECT dataproduct.deprecate('billing', 7);
\echo :LAST_ERROR_SQLSTATE
SELECT dataproduct.undeprecate('billing', 7);
SELECT dataproduct.retire('billing', 7);
SELECT dataproduct.deprecate('billing', -1);

--
-- publish() into a deprecated major version is refused
--
SELECT dataproduct.publish('billing', '1.2.0', '{lc.orders,lc.items}');
\echo :LAST_ERROR_SQLSTATE
SELECT dataproduct.publish('billing', '1.1.1', '{lc.orders,lc.items}');
-- into the live one, and a new major, it goes on
SELECT dataproduct.publish('billing', '2.0.1', '{lc.items}');
SELECT version, status FROM dataproduct.versions
 WHERE product = 'billing' ORDER BY major, minor, patch;

--
-- retire() refused
--
-- a major never deprecated
SELECT dataproduct.retire('billing', 2);
\echo :LAST_ERROR_SQLSTATE
-- a sunset date ahead
SELECT dataproduct.retire('billing', 1);
\echo :LAST_ERROR_SQLSTATE
-- a sunset date already past is accepted, and said
SELECT dataproduct.deprecate('billing', 1, '2000-01-01');
-- a registered consumer
SET ROLE regress_dp_consumer;
INSERT INTO dataproduct.consumers (product, major, version, consumer_system,
    consumer_database, consumer_server, consumer_schema, consumer_role)
VALUES ('billing', 1, '1.1.0', '42', 'analytics', 'billing_srv', 'billing_v1', 'analyst');
RESET ROLE;
SELECT product, schema, status, consumers FROM dataproduct.catalog
 WHERE product = 'billing' ORDER BY schema;
SELECT dataproduct.retire('billing', 1);
\echo :LAST_ERROR_SQLSTATE
-- an object outside the schema that reads its views: refused even forced,
-- for DROP SCHEMA ... CASCADE would drop it
CREATE VIEW lc.report AS SELECT count(*) AS orders FROM billing_v1.orders;
SELECT dataproduct.retire('billing', 1, force => true);
\echo :LAST_ERROR_SQLSTATE
DROP VIEW lc.report;
-- nor what uses the row type of a view: a column, a function, a type
CREATE TABLE lc.kept (id int, row billing_v1.orders);
CREATE FUNCTION lc.uses(billing_v1.orders) RETURNS int LANGUAGE sql AS 'SELECT 1';
CREATE TYPE lc.pair AS (o billing_v1.orders);
SELECT dataproduct.retire('billing', 1, force => true);
\echo :LAST_ERROR_SQLSTATE
DROP TABLE lc.kept;
DROP FUNCTION lc.uses(billing_v1.orders);
DROP TYPE lc.pair;
-- a deprecation message is a line of plain text of at most 1000 characters
SELECT dataproduct.deprecate('billing', 1, message => repeat('x', 1001));
SELECT dataproduct.deprecate('billing', 1, message => E'use v2\x1b[31m');
SELECT dataproduct.deprecate('billing', 1, message => E'use\nv2');
SELECT message FROM dataproduct.major_version WHERE product = 'billing' AND major = 1;
-- the guard still refuses to drop a deprecated major's schema
SET ROLE regress_dp_owner;
DROP SCHEMA billing_v1 CASCADE;
RESET ROLE;
SELECT to_regnamespace('billing_v1') IS NOT NULL AS schema_exists;

--
-- retire(), forced: its consumers are cut off, and told about
--
SELECT dataproduct.retire('billing', 1, force => true);
SELECT to_regnamespace('billing_v1') IS NOT NULL AS schema_exists;
SELECT status, sunset, message, deprecated_at IS NOT NULL AS was_deprecated,
       retired_at IS NOT NULL AS retired
  FROM dataproduct.major_version WHERE product = 'billing' AND major = 1;
-- the catalog lists live majors only; the releases and their contracts stay
SELECT product, version, schema, status FROM dataproduct.catalog
 WHERE product = 'billing';
SELECT version, schema, status, outputs FROM dataproduct.versions
 WHERE product = 'billing' ORDER BY major, minor, patch;
SELECT version, output, column_name, type, status FROM dataproduct.contract_columns
 WHERE product = 'billing' AND version LIKE '1.%' ORDER BY version, output, position;
SELECT * FROM dataproduct.diff('billing', '1.0.0', '1.1.0');
-- no access rows, no registrations, no grants left
SELECT count(*) AS access_rows FROM dataproduct.access
 WHERE product = 'billing' AND major = 1;
SELECT count(*) AS registrations FROM dataproduct.consumer
 WHERE product = 'billing' AND major = 1;

-- a retired major is done with: nothing changes it, nobody registers for
-- it, and its number is never used again
SELECT dataproduct.retire('billing', 1, force => true);
\echo :LAST_ERROR_SQLSTATE
SELECT dataproduct.deprecate('billing', 1);
SELECT dataproduct.undeprecate('billing', 1);
SELECT dataproduct.grant_access('billing', 1, 'regress_dp_stranger');
SET ROLE regress_dp_consumer;
INSERT INTO dataproduct.consumers (product, major, version, consumer_system,
    consumer_database, consumer_server, consumer_schema, consumer_role)
VALUES ('billing', 1, '1.1.0', '42', 'analytics', 'billing_srv', 'billing_v1', 'analyst');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
SELECT dataproduct.publish('billing', '1.2.0', '{lc.orders}');
\echo :LAST_ERROR_SQLSTATE
SELECT dataproduct.publish('billing', '1.0.0', '{lc.orders}');

--
-- the whole way, unforced, with hostile names and message
--
SELECT dataproduct.create_product(E'Bill''s "q"', 'lifecycle');
SELECT dataproduct.publish(E'Bill''s "q"', '1.0.0', '{lc.orders}');
SELECT dataproduct.grant_access(E'Bill''s "q"', 1, 'regress_dp_consumer');
SELECT dataproduct.deprecate(E'Bill''s "q"', 1, current_date,
    E'it''s "over"; DROP SCHEMA lc; --');
SELECT replace(obj_description(E'"Bill''s ""q""_v1"'::regnamespace, 'pg_namespace'),
               to_char(current_date, 'YYYY-MM-DD'), '<today>');
SELECT schema, status, message = E'it''s "over"; DROP SCHEMA lc; --' AS message_kept
  FROM dataproduct.catalog WHERE product = E'Bill''s "q"';
SELECT dataproduct.publish(E'Bill''s "q"', '1.0.1', '{lc.orders}');
SET ROLE regress_dp_member;
SELECT dataproduct.retire(E'Bill''s "q"', 1);
RESET ROLE;
SELECT to_regnamespace(E'"Bill''s ""q""_v1"') IS NOT NULL AS schema_exists;
SELECT version, status FROM dataproduct.versions WHERE product = E'Bill''s "q"';
SELECT count(*) AS access_rows FROM dataproduct.access WHERE product = E'Bill''s "q"';
SELECT count(*) AS lc_tables FROM pg_tables WHERE schemaname = 'lc';

-- forced before its sunset date: said, as a broken promise
SELECT dataproduct.create_product('early', 'lifecycle');
SELECT dataproduct.publish('early', '1.0.0', '{lc.items}');
SELECT dataproduct.deprecate('early', 1, '2999-12-31');
SELECT dataproduct.retire('early', 1, force => true);
SELECT status FROM dataproduct.major_version WHERE product = 'early';

--
-- clean up: the last live major, retired without a deprecation, forced
--
SELECT dataproduct.retire('billing', 2, force => true);
SELECT count(*) AS live_majors FROM dataproduct.catalog WHERE product IN ('billing', E'Bill''s "q"');
DROP SCHEMA lc CASCADE;
