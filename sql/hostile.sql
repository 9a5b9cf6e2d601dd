--
-- Hostile input: every argument of every function NULL, malformed and
-- overflowing versions, reserved, too long and injected names, system
-- catalogs, temporary tables and other domains' relations as outputs,
-- callers without the right privileges.  Each call fails with a clear
-- error (or, for the STRICT functions, answers nothing) and changes
-- nothing: the catalog and the schemas are compared before and after.
--
-- Everything runs in one transaction rolled back at the end (psql's
-- ON_ERROR_ROLLBACK puts each statement in a savepoint), so this file
-- leaves no role, domain or version schema behind.
--
\set SHOW_CONTEXT never
\set VERBOSITY default
\set ON_ERROR_ROLLBACK on
BEGIN;

-- a domain with a published product, and another domain
CREATE SCHEMA hostile;
CREATE TABLE hostile.t (id int PRIMARY KEY, name text NOT NULL);
INSERT INTO hostile.t VALUES (1, 'one');
CREATE SEQUENCE hostile.seq;
CREATE TYPE hostile.pair AS (a int, b int);
CREATE SCHEMA hostile_b;
CREATE TABLE hostile_b.t (id int);
GRANT USAGE ON SCHEMA hostile, hostile_b TO regress_dp_owner;
GRANT SELECT ON ALL TABLES IN SCHEMA hostile, hostile_b TO regress_dp_owner;
GRANT SELECT ON hostile.seq TO regress_dp_owner;
-- a stranger who can read the source, but is no member of the domain
GRANT USAGE ON SCHEMA hostile TO regress_dp_stranger;
GRANT SELECT ON hostile.t TO regress_dp_stranger;
SELECT dataproduct.create_domain('hostile', 'regress_dp_owner');
SELECT dataproduct.create_product('target', 'hostile');
SELECT dataproduct.publish('target', '1.0.0', '{hostile.t}');
CREATE SCHEMA hostile_other;
CREATE TABLE hostile_other.secret (id int PRIMARY KEY);
GRANT USAGE ON SCHEMA hostile_other TO regress_dp_stranger;
ALTER TABLE hostile_other.secret OWNER TO regress_dp_stranger;
SELECT dataproduct.create_domain('hostile_other', 'regress_dp_stranger');
CREATE TEMP TABLE tmp_t (id int);
GRANT SELECT ON tmp_t TO regress_dp_owner;
CREATE FOREIGN DATA WRAPPER hostile_fdw;
CREATE SERVER hostile_srv FOREIGN DATA WRAPPER hostile_fdw;
-- (postgres_fdw was created by publish.sql) a server that leads nowhere
CREATE SERVER hostile_pg FOREIGN DATA WRAPPER postgres_fdw
    OPTIONS (dbname 'regress_dp_no_such_database');
CREATE USER MAPPING FOR CURRENT_USER SERVER hostile_pg;

--
-- Names that look hostile but are allowed: any characters, quoted
-- wherever they are used
--
SELECT dataproduct.create_product(E'x''; DROP TABLE hostile.t; --', 'hostile');
SELECT dataproduct.publish(E'x''; DROP TABLE hostile.t; --', '1.0.0', '{hostile.t}');
SELECT dataproduct.create_product('Mixed Case "q"', 'hostile');
SELECT dataproduct.publish('Mixed Case "q"', '1.0.0', '{hostile.t}');
SELECT dataproduct.create_product('prodüct €', 'hostile');
SELECT dataproduct.publish('prodüct €', '1.0.0', '{hostile.t}');
SELECT product, version, schema, outputs FROM dataproduct.versions
 WHERE product IN (SELECT name FROM dataproduct.product WHERE domain = 'hostile')
 ORDER BY product;
SELECT n.nspname, to_regclass(format('%I.t', n.nspname)) IS NOT NULL AS has_view
  FROM pg_namespace n
 WHERE n.nspname IN (SELECT schema FROM dataproduct.catalog WHERE domain = 'hostile')
 ORDER BY 1;
SELECT count(*) AS rows_still_there FROM hostile.t;

-- what everything below must leave as it is
CREATE FUNCTION pg_temp.catalog_state()
RETURNS TABLE (what text, n bigint, digest text)
LANGUAGE sql AS $$
SELECT 'domain', count(*), md5(string_agg(t::text, '|' ORDER BY t::text)) FROM dataproduct.domain t
UNION ALL
SELECT 'product', count(*), md5(string_agg(t::text, '|' ORDER BY t::text)) FROM dataproduct.product t
UNION ALL
SELECT 'major_version', count(*), md5(string_agg(t::text, '|' ORDER BY t::text)) FROM dataproduct.major_version t
UNION ALL
SELECT 'release', count(*), md5(string_agg(t::text, '|' ORDER BY t::text)) FROM dataproduct.release t
UNION ALL
SELECT 'release_output', count(*), md5(string_agg(t::text, '|' ORDER BY t::text)) FROM dataproduct.release_output t
UNION ALL
SELECT 'release_column', count(*), md5(string_agg(t::text, '|' ORDER BY t::text)) FROM dataproduct.release_column t
UNION ALL
SELECT 'access', count(*), md5(string_agg(t::text, '|' ORDER BY t::text)) FROM dataproduct.access t
UNION ALL
SELECT 'consumer', count(*), md5(string_agg(t::text, '|' ORDER BY t::text)) FROM dataproduct.consumer t
UNION ALL
SELECT 'subscription', count(*), md5(string_agg(t::text, '|' ORDER BY t::text)) FROM dataproduct.subscription t
UNION ALL
SELECT 'schemas', count(*), md5(string_agg(nspname, '|' ORDER BY nspname)) FROM pg_namespace
UNION ALL
SELECT 'relations', count(*), md5(string_agg(oid::text || relname || coalesce(relacl::text, ''), '|' ORDER BY oid))
  FROM pg_class WHERE relkind IN ('r', 'v', 'm', 'f', 'p')
$$;
CREATE TEMP TABLE catalog_before AS SELECT * FROM pg_temp.catalog_state();

--
-- Every argument of every function NULL, one at a time
--
SELECT dataproduct.create_domain(NULL, 'regress_dp_owner');
\echo :LAST_ERROR_SQLSTATE
SELECT dataproduct.create_domain('hostile2', NULL);
SELECT dataproduct.alter_domain(NULL, 'regress_dp_owner');
SELECT dataproduct.alter_domain('hostile', NULL);
SELECT dataproduct.create_product(NULL, 'hostile');
SELECT dataproduct.create_product('target2', NULL);
SELECT dataproduct.publish(NULL, '1.1.0', '{hostile.t}');
SELECT dataproduct.publish('target', NULL, '{hostile.t}');
SELECT dataproduct.publish('target', '1.1.0', NULL);
SELECT dataproduct.publish('target', '1.1.0', '{NULL}');
\echo :LAST_ERROR_SQLSTATE
SELECT dataproduct.publish('target', '1.1.0', '{hostile.t,NULL}');
-- diff and next_version are STRICT: no answer, no error
SELECT * FROM dataproduct.diff(NULL, '1.0.0', '1.0.0');
SELECT * FROM dataproduct.diff('target', NULL, '1.0.0');
SELECT * FROM dataproduct.diff('target', '1.0.0', NULL);
SELECT * FROM dataproduct.diff(NULL, '{hostile.t}'::regclass[]);
SELECT * FROM dataproduct.diff('target', NULL::regclass[]);
SELECT dataproduct.next_version(NULL, '{hostile.t}') IS NULL AS no_answer;
SELECT dataproduct.next_version('target', NULL) IS NULL AS no_answer;
-- but a NULL inside the array is an error
SELECT * FROM dataproduct.diff('target', '{NULL}'::regclass[]);
SELECT dataproduct.next_version('target', '{NULL}');
SELECT dataproduct.grant_access(NULL, 1, 'regress_dp_consumer');
SELECT dataproduct.grant_access('target', NULL, 'regress_dp_consumer');
SELECT dataproduct.grant_access('target', 1, NULL);
SELECT dataproduct.revoke_access(NULL, 1, 'regress_dp_consumer');
SELECT dataproduct.revoke_access('target', NULL, 'regress_dp_consumer');
SELECT dataproduct.revoke_access('target', 1, NULL);
SELECT dataproduct.revoke_access('target', 1, 'regress_dp_consumer', NULL);
SELECT dataproduct.subscribe(NULL, 'target', 1);
SELECT dataproduct.subscribe('hostile_srv', NULL, 1);
SELECT dataproduct.subscribe('hostile_srv', 'target', NULL);
SELECT dataproduct.refresh(NULL, 'target', 1);
SELECT dataproduct.refresh('hostile_srv', NULL, 1);
SELECT dataproduct.refresh('hostile_srv', 'target', NULL);
SELECT dataproduct.unsubscribe(NULL, 'target', 1);
SELECT dataproduct.unsubscribe('hostile_srv', NULL, 1);
SELECT dataproduct.unsubscribe('hostile_srv', 'target', NULL);
SELECT * FROM dataproduct.remote_catalog(NULL);
-- the trigger functions are not for calling
SELECT dataproduct.guard_ddl_command_end();
SELECT dataproduct.guard_catalog_changed();

--
-- Malformed and overflowing versions
--
SELECT dataproduct.publish('target', '1', '{hostile.t}');
\echo :LAST_ERROR_SQLSTATE
SELECT dataproduct.publish('target', '1.2', '{hostile.t}');
SELECT dataproduct.publish('target', '1.2.3.4', '{hostile.t}');
SELECT dataproduct.publish('target', 'v1.0.0', '{hostile.t}');
SELECT dataproduct.publish('target', '01.0.0', '{hostile.t}');
SELECT dataproduct.publish('target', '-1.0.0', '{hostile.t}');
SELECT dataproduct.publish('target', '1.0.0-rc1', '{hostile.t}');
SELECT dataproduct.publish('target', '99999999999.0.0', '{hostile.t}');
SELECT dataproduct.publish('target', '1.2147483648.0', '{hostile.t}');
SELECT dataproduct.publish('target', ' 1.0.0', '{hostile.t}');
SELECT dataproduct.publish('target', '', '{hostile.t}');
SELECT dataproduct.publish('target', '１.1.0', '{hostile.t}');
SELECT dataproduct.publish('target', E'1.1.0\n', '{hostile.t}');
SELECT dataproduct.publish('target', E'1.1.0''; DROP TABLE hostile.t; --', '{hostile.t}');
SELECT * FROM dataproduct.diff('target', '1', '1.0.0');
SELECT * FROM dataproduct.diff('target', '1.0.0', '2147483648.0.0');
-- versions that are well formed but not allowed
SELECT dataproduct.publish('target', '1.0.0', '{hostile.t}');
\echo :LAST_ERROR_SQLSTATE
SELECT dataproduct.publish('target', '0.9.0', '{hostile.t}');
SELECT * FROM dataproduct.diff('target', '1.0.0', '7.0.0');

--
-- Negative, absent and overflowing majors
--
SELECT dataproduct.grant_access('target', -1, 'regress_dp_consumer');
\echo :LAST_ERROR_SQLSTATE
SELECT dataproduct.grant_access('target', 2147483647, 'regress_dp_consumer');
SELECT dataproduct.revoke_access('target', -1, 'regress_dp_consumer');
SELECT dataproduct.subscribe('hostile_pg', 'target', -1);
SELECT dataproduct.refresh('hostile_pg', 'target', -1);
SELECT dataproduct.unsubscribe('hostile_pg', 'target', -1);

--
-- Names: empty, too long, reserved, taken, unknown
--
SELECT dataproduct.create_domain('', 'regress_dp_owner');
\echo :LAST_ERROR_SQLSTATE
SELECT dataproduct.create_domain(repeat('d', 64), 'regress_dp_owner');
SELECT dataproduct.create_domain(repeat('ü', 32), 'regress_dp_owner');
SELECT dataproduct.create_domain('hostile', 'regress_dp_owner');
SELECT dataproduct.create_product('', 'hostile');
SELECT dataproduct.create_product(repeat('p', 52), 'hostile');
SELECT dataproduct.create_product(repeat('€', 18), 'hostile');
-- pg_x_v1 would be a reserved schema name
SELECT dataproduct.create_product('pg_x', 'hostile');
\echo :LAST_ERROR_SQLSTATE
SELECT dataproduct.create_product('target', 'hostile');
SELECT dataproduct.create_product('elsewhere', 'no_such_domain');
SELECT dataproduct.create_product('elsewhere', E'hostile''; DROP TABLE hostile.t; --');
SELECT dataproduct.publish('no_such_product', '1.0.0', '{hostile.t}');
SELECT dataproduct.grant_access(E'x''; DROP TABLE hostile.t; --', 5, 'regress_dp_consumer');
SELECT dataproduct.grant_access('target', 1, 99999::oid::regrole);
SELECT dataproduct.grant_access('target', 1, 'regress_dp_owner');
SELECT * FROM dataproduct.remote_catalog('no_such_server');
SELECT * FROM dataproduct.remote_catalog('hostile_srv');
SELECT dataproduct.subscribe('hostile_srv', 'target', 1);

--
-- Outputs that cannot be part of a contract
--
-- system catalogs and the information schema change with PostgreSQL
SELECT dataproduct.publish('target', '2.0.0', '{pg_catalog.pg_class}');
\echo :LAST_ERROR_SQLSTATE
SELECT dataproduct.publish('target', '2.0.0', '{information_schema.tables}');
SELECT dataproduct.next_version('target', '{pg_catalog.pg_class}');
SELECT * FROM dataproduct.diff('target', '{information_schema.tables}');
-- nor the extension's own catalog
SELECT dataproduct.publish('target', '2.0.0', '{dataproduct.access}');
-- a temporary table is gone at the end of the session
SELECT dataproduct.publish('target', '2.0.0', '{pg_temp.tmp_t}');
-- neither a sequence, an index nor a composite type is a relation to read
SELECT dataproduct.publish('target', '2.0.0', '{hostile.seq}');
SELECT dataproduct.publish('target', '2.0.0', '{hostile.t_pkey}');
SELECT dataproduct.publish('target', '2.0.0', '{hostile.pair}');
-- an OID that is no relation
SELECT dataproduct.publish('target', '2.0.0', '{999999}');
-- no output, the same output twice, two outputs of one name
SELECT dataproduct.publish('target', '1.1.0', '{}');
SELECT dataproduct.publish('target', '1.1.0', '{hostile.t,hostile.t}');
SELECT dataproduct.publish('target', '2.0.0', '{hostile.t,hostile_b.t}');
-- a relation of another domain, which this domain's owner cannot read
SELECT dataproduct.publish('target', '2.0.0', '{hostile_other.secret}');
\echo :LAST_ERROR_SQLSTATE

--
-- Callers without the right privileges
--
SET ROLE regress_dp_stranger;
SELECT dataproduct.publish('target', '1.1.0', '{hostile.t}');
\echo :LAST_ERROR_SQLSTATE
SELECT dataproduct.create_product('intruder', 'hostile');
SELECT dataproduct.grant_access('target', 1, 'regress_dp_stranger');
SELECT dataproduct.revoke_access('target', 1, 'regress_dp_consumer', true);
SELECT dataproduct.create_domain('stolen', 'regress_dp_owner');
-- the catalog is read-only to everyone but through the functions
INSERT INTO dataproduct.access (product, major, grantee, granted_by)
VALUES ('target', 1, 'regress_dp_stranger', 'regress_dp_stranger');
DELETE FROM dataproduct.release;
RESET ROLE;
SET ROLE regress_dp_owner;
UPDATE dataproduct.major_version SET status = 'retired';
RESET ROLE;

-- nothing changed: no row of the catalog, no schema, no relation
SELECT * FROM pg_temp.catalog_state() EXCEPT SELECT * FROM catalog_before;
SELECT * FROM catalog_before EXCEPT SELECT * FROM pg_temp.catalog_state();
SELECT count(*) AS rows_still_there FROM hostile.t;

ROLLBACK;
