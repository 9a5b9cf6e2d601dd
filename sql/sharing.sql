--
-- subscribe(), refresh(), unsubscribe() and remote_catalog(): the
-- consumer's side, over a postgres_fdw server that loops back to this
-- database (test/t/002_sharing.pl does it across three servers, with
-- passwords and a non-superuser consumer)
--
\set SHOW_CONTEXT never
-- (postgres_fdw was created by publish.sql)
SELECT split_part(current_setting('unix_socket_directories'), ',', 1) AS socket_dir,
       current_setting('port') AS port \gset
CREATE SERVER loopback FOREIGN DATA WRAPPER postgres_fdw
    OPTIONS (host :'socket_dir', port :'port', dbname :'DBNAME');
CREATE USER MAPPING FOR CURRENT_USER SERVER loopback;

-- the producer: two outputs that join, published and granted
CREATE SCHEMA fleet;
CREATE TABLE fleet.trucks (id int PRIMARY KEY, depot text NOT NULL, capacity numeric(8,1));
CREATE TABLE fleet.depots (name text PRIMARY KEY, city text NOT NULL);
INSERT INTO fleet.depots VALUES ('north', 'Lille'), ('south', 'Nice');
INSERT INTO fleet.trucks SELECT g, CASE WHEN g % 3 = 0 THEN 'south' ELSE 'north' END, g * 1.5
  FROM generate_series(1, 30) g;
GRANT USAGE ON SCHEMA fleet TO regress_dp_owner;
GRANT SELECT ON ALL TABLES IN SCHEMA fleet TO regress_dp_owner;
COMMENT ON COLUMN fleet.trucks.capacity IS 'Payload in tonnes';
SELECT dataproduct.create_product('fleet', 'commerce', 'Trucks and depots');
SELECT dataproduct.publish('fleet', '1.0.0', '{fleet.trucks,fleet.depots}');

-- what the producer publishes, read over the server
SELECT product, domain, owner, version, schema, status, outputs, consumers
  FROM dataproduct.remote_catalog('loopback') WHERE product IN ('fleet', 'ledger')
 ORDER BY product, schema;

--
-- Errors name what is missing and how to fix it
--
SELECT dataproduct.subscribe('no_such_server', 'fleet', 1);
\echo :LAST_ERROR_SQLSTATE
CREATE FOREIGN DATA WRAPPER regress_dummy_fdw;
CREATE SERVER dummy FOREIGN DATA WRAPPER regress_dummy_fdw;
SELECT dataproduct.subscribe('dummy', 'fleet', 1);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM dataproduct.remote_catalog('dummy');
CREATE SERVER unmapped FOREIGN DATA WRAPPER postgres_fdw
    OPTIONS (host :'socket_dir', port :'port', dbname :'DBNAME');
-- template1 is a database without dataproduct
CREATE SERVER plain FOREIGN DATA WRAPPER postgres_fdw
    OPTIONS (host :'socket_dir', port :'port', dbname 'template1');
GRANT USAGE ON FOREIGN SERVER unmapped TO regress_dp_consumer;
SET ROLE regress_dp_consumer;
SELECT dataproduct.subscribe('unmapped', 'fleet', 1);
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
CREATE USER MAPPING FOR CURRENT_USER SERVER plain;
SELECT dataproduct.subscribe('plain', 'fleet', 1);
\echo :LAST_ERROR_SQLSTATE
SELECT dataproduct.subscribe('loopback', 'trucks', 1);
\echo :LAST_ERROR_SQLSTATE
SELECT dataproduct.subscribe('loopback', 'ledger', 3);
SELECT dataproduct.subscribe('loopback', 'fleet', -1);
SELECT dataproduct.subscribe(NULL, 'fleet', 1);
-- a role that may not use the server
SET ROLE regress_dp_consumer;
SELECT dataproduct.subscribe('loopback', 'fleet', 1);
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
-- the channel to the producer is made of temporary foreign tables
GRANT USAGE ON FOREIGN SERVER loopback TO regress_dp_consumer;
CREATE USER MAPPING FOR regress_dp_consumer SERVER loopback;
REVOKE TEMPORARY ON DATABASE :"DBNAME" FROM PUBLIC;
SET ROLE regress_dp_consumer;
SELECT * FROM dataproduct.remote_catalog('loopback');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
GRANT TEMPORARY ON DATABASE :"DBNAME" TO PUBLIC;
-- postgres_fdw's own rules hold: a non-superuser needs a password
SET ROLE regress_dp_consumer;
\set SHOW_CONTEXT errors
SELECT * FROM dataproduct.remote_catalog('loopback');
\set SHOW_CONTEXT never
RESET ROLE;
DROP USER MAPPING FOR regress_dp_consumer SERVER loopback;
REVOKE USAGE ON FOREIGN SERVER loopback FROM regress_dp_consumer;
-- the default schema is the remote one, fleet_v1: here, the producer's own,
-- which another role owns: a schema's owner could replace the foreign
-- tables, so subscribe never moves into a schema the caller does not own,
-- superuser or not
SELECT dataproduct.subscribe('loopback', 'fleet', 1);
\echo :LAST_ERROR_SQLSTATE
-- the same for a schema another role created under the name asked for
GRANT CREATE ON DATABASE :"DBNAME" TO regress_dp_stranger;
SET ROLE regress_dp_stranger;
CREATE SCHEMA fleet_squatted;
RESET ROLE;
SELECT dataproduct.subscribe('loopback', 'fleet', 1, 'fleet_squatted');
\echo :LAST_ERROR_SQLSTATE
DROP SCHEMA fleet_squatted;
REVOKE CREATE ON DATABASE :"DBNAME" FROM regress_dp_stranger;
-- another role of this session cannot slip a relation of its own into the
-- channel's temporary tables: creating them fails
SET ROLE regress_dp_stranger;
CREATE TEMP VIEW dataproduct_remote_catalog AS
SELECT 'fleet'::text AS product, 'forged'::text AS domain;
RESET ROLE;
SELECT product FROM dataproduct.remote_catalog('loopback');
\echo :LAST_ERROR_SQLSTATE
DROP VIEW pg_temp.dataproduct_remote_catalog;
-- nothing was left behind by any of these
SELECT count(*) AS subscriptions FROM dataproduct.subscriptions;
SELECT count(*) AS consumers FROM dataproduct.consumers;
SELECT count(*) AS temporary_tables FROM pg_class WHERE relpersistence = 't';

--
-- Subscribe: foreign tables, commented, recorded on both sides
--
SELECT dataproduct.subscribe('loopback', 'fleet', 1, 'fleet_remote');
SELECT c.relname, c.relkind, obj_description(c.oid, 'pg_class') AS comment,
       ft.ftoptions
  FROM pg_class c JOIN pg_foreign_table ft ON ft.ftrelid = c.oid
 WHERE c.relnamespace = 'fleet_remote'::regnamespace ORDER BY 1;
-- with the producer's types, NOT NULL promises and column comments
SELECT attname, format_type(atttypid, atttypmod), attnotnull,
       col_description(attrelid, attnum)
  FROM pg_attribute
 WHERE attrelid = 'fleet_remote.trucks'::regclass AND attnum > 0 ORDER BY attnum;
SELECT obj_description('fleet_remote'::regnamespace, 'pg_namespace');
SELECT server, product, major, version, schema, remote_schema, outputs,
       subscribed_by = current_user::regrole AS by_me, refreshed_at
  FROM dataproduct.subscriptions;
SELECT product, major, version, consumer_database, consumer_server,
       consumer_schema, consumer_role = current_user AS by_me,
       connected_as = current_user::regrole AS as_me,
       consumer_system = (SELECT system_identifier::text FROM pg_control_system()) AS this_cluster
  FROM dataproduct.consumers;
SELECT product, version, consumers FROM dataproduct.catalog WHERE product = 'fleet';

SELECT dataproduct.subscribe('loopback', 'fleet', 1, 'fleet_again');
\echo :LAST_ERROR_SQLSTATE
SELECT dataproduct.subscribe('loopback', 'ledger', 1, 'fleet_remote');
\echo :LAST_ERROR_SQLSTATE

-- queries go to the producer: filters, joins and aggregates in Remote SQL
SELECT count(*), sum(capacity) FROM fleet_remote.trucks;
EXPLAIN (VERBOSE, COSTS OFF)
SELECT id, capacity FROM fleet_remote.trucks WHERE id = 7;
EXPLAIN (VERBOSE, COSTS OFF)
SELECT depot, count(*), sum(capacity) FROM fleet_remote.trucks
 WHERE capacity > 10 GROUP BY depot;
EXPLAIN (VERBOSE, COSTS OFF)
SELECT d.city, count(*) FROM fleet_remote.trucks t
  JOIN fleet_remote.depots d ON d.name = t.depot
 WHERE d.city = 'Nice' GROUP BY d.city;
SELECT d.city, count(*) FROM fleet_remote.trucks t
  JOIN fleet_remote.depots d ON d.name = t.depot
 GROUP BY d.city ORDER BY 1;

--
-- Refresh after a minor release: new columns and outputs, nothing dropped
--
CREATE VIEW fleet_report AS SELECT depot, sum(capacity) AS capacity
  FROM fleet_remote.trucks GROUP BY depot;
ALTER TABLE fleet.trucks ADD COLUMN plate text;
UPDATE fleet.trucks SET plate = 'AB-' || id;
CREATE VIEW fleet.big_trucks AS SELECT id, capacity FROM fleet.trucks WHERE capacity > 40;
GRANT SELECT ON fleet.big_trucks TO regress_dp_owner;
SELECT dataproduct.publish('fleet', '1.1.0', '{fleet.trucks,fleet.depots,fleet.big_trucks}');
-- until the consumer refreshes, it reads what it imported
SELECT * FROM fleet_remote.trucks WHERE id = 1;
-- a relation that has the name of the new output is not the producer's:
-- refresh does not adopt it
CREATE VIEW fleet_remote.big_trucks AS SELECT 1 AS id, 99.0 AS capacity;
SELECT dataproduct.refresh('loopback', 'fleet', 1);
\echo :LAST_ERROR_SQLSTATE
DROP VIEW fleet_remote.big_trucks;
COMMENT ON COLUMN fleet_remote.trucks.depot IS 'Where the truck sleeps';
COMMENT ON FOREIGN TABLE fleet_remote.depots IS 'Our depots';
SELECT dataproduct.refresh('loopback', 'fleet', 1);
-- the consumer's own comments stay
SELECT col_description('fleet_remote.trucks'::regclass, 2),
       obj_description('fleet_remote.depots'::regclass, 'pg_class');
SELECT * FROM fleet_remote.trucks WHERE id = 1;
SELECT count(*) FROM fleet_remote.big_trucks;
SELECT * FROM fleet_report ORDER BY 1;
SELECT obj_description('fleet_remote.trucks'::regclass, 'pg_class');
SELECT version, outputs, refreshed_at IS NOT NULL AS refreshed FROM dataproduct.subscriptions;
SELECT version FROM dataproduct.consumers WHERE product = 'fleet';
-- refreshing again finds nothing new
SELECT dataproduct.refresh('loopback', 'fleet', 1);

-- a foreign table changed here no longer matches the contract: refused
ALTER FOREIGN TABLE fleet_remote.depots ALTER COLUMN city TYPE varchar(10);
SELECT dataproduct.refresh('loopback', 'fleet', 1);
\echo :LAST_ERROR_SQLSTATE
ALTER FOREIGN TABLE fleet_remote.depots ALTER COLUMN city TYPE text;
-- nor one that reads another remote relation, or column, with the same
-- columns
ALTER FOREIGN TABLE fleet_remote.depots OPTIONS (SET table_name 'big_trucks');
SELECT dataproduct.refresh('loopback', 'fleet', 1);
\echo :LAST_ERROR_SQLSTATE
ALTER FOREIGN TABLE fleet_remote.depots OPTIONS (SET table_name 'depots');
ALTER FOREIGN TABLE fleet_remote.depots ALTER COLUMN city OPTIONS (SET column_name 'name');
SELECT dataproduct.refresh('loopback', 'fleet', 1);
\echo :LAST_ERROR_SQLSTATE
ALTER FOREIGN TABLE fleet_remote.depots ALTER COLUMN city OPTIONS (SET column_name 'city');

-- a deprecated major: remote_catalog() shows why, refresh() warns with it
SELECT dataproduct.deprecate('fleet', 1, sunset => '2031-01-31',
                             message => 'Use fleet_v2; depots move to "sites"');
SELECT product, status, sunset, message
  FROM dataproduct.remote_catalog('loopback') WHERE product = 'fleet';
SELECT dataproduct.refresh('loopback', 'fleet', 1);
SELECT dataproduct.undeprecate('fleet', 1);

-- only the role that subscribed (and its members) manages the subscription
SET ROLE regress_dp_stranger;
SELECT dataproduct.refresh('loopback', 'fleet', 1);
\set VERBOSITY terse
SELECT dataproduct.unsubscribe('loopback', 'fleet', 1);
\set VERBOSITY default
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
SELECT dataproduct.refresh('loopback', 'fleet', 2);
\echo :LAST_ERROR_SQLSTATE

--
-- Unsubscribe: local objects that depend on the foreign tables stop it, as
-- DROP would; then both sides forget the subscription
--
SELECT dataproduct.unsubscribe('loopback', 'fleet', 1);
DROP VIEW fleet_report;
SELECT dataproduct.unsubscribe('loopback', 'fleet', 1);
SELECT to_regnamespace('fleet_remote') AS schema_left;
SELECT count(*) AS subscriptions FROM dataproduct.subscriptions;
SELECT count(*) AS consumers FROM dataproduct.consumers WHERE product = 'fleet';
SELECT dataproduct.unsubscribe('loopback', 'fleet', 1);
\echo :LAST_ERROR_SQLSTATE

-- everything is one transaction, on both sides
BEGIN;
SELECT dataproduct.subscribe('loopback', 'fleet', 1, 'fleet_remote');
SELECT count(*) FROM fleet_remote.trucks;
ROLLBACK;
SELECT to_regnamespace('fleet_remote') AS schema_left;
SELECT count(*) AS consumers FROM dataproduct.consumers WHERE product = 'fleet';

-- into an existing schema, which stays
CREATE SCHEMA "Fleet ""Remote""; DROP SCHEMA fleet; --";
SELECT dataproduct.subscribe('loopback', 'fleet', 1, 'Fleet "Remote"; DROP SCHEMA fleet; --');
SELECT count(*) FROM "Fleet ""Remote""; DROP SCHEMA fleet; --".trucks;
SELECT consumer_schema FROM dataproduct.consumers WHERE product = 'fleet';
SELECT dataproduct.unsubscribe('loopback', 'fleet', 1);
SELECT count(*) FROM pg_class WHERE relnamespace = '"Fleet ""Remote""; DROP SCHEMA fleet; --"'::regnamespace;
DROP SCHEMA "Fleet ""Remote""; DROP SCHEMA fleet; --";

SET client_min_messages = warning;
DROP SERVER loopback, unmapped, plain, dummy CASCADE;
RESET client_min_messages;
DROP FOREIGN DATA WRAPPER regress_dummy_fdw;
