--
-- The guard at any depth: through views in between, through types that
-- contain contract types, through extensions, and what readers of a version
-- need to keep reading it (privileges at every hop, functions, populated
-- materialized views, user mappings, row-level security).  Every refusal
-- leaves the version answering as before.
--
\set SHOW_CONTEXT never
CREATE ROLE regress_gd_owner;
CREATE ROLE regress_gd_mid;
CREATE ROLE regress_gd_other;
GRANT CREATE ON DATABASE :"DBNAME" TO regress_gd_owner;

CREATE SCHEMA gd;
CREATE SCHEMA gdtypes;
GRANT USAGE ON SCHEMA gd, gdtypes TO regress_gd_owner, regress_gd_mid;
CREATE DOMAIN gdtypes.d1 AS int CHECK (VALUE > 0);
CREATE DOMAIN gdtypes.d2 AS gdtypes.d1;
CREATE TYPE gdtypes.pair AS (a int, b int);
CREATE TYPE gdtypes.span AS RANGE (subtype = gdtypes.d1);
CREATE TABLE gd.base (
    id      int NOT NULL,
    qty     gdtypes.d2,
    pairs   gdtypes.pair[],
    during  gdtypes.span,
    secret  text
);
INSERT INTO gd.base VALUES (1, 5, ARRAY[ROW(1, 2)::gdtypes.pair], '[1,3)', 'x');
CREATE FUNCTION gd.twice(int) RETURNS int LANGUAGE sql IMMUTABLE
    AS 'SELECT $1 * 2';
-- an intermediate view, owned by another role, between the base table and
-- the published view
CREATE VIEW gd.mid AS SELECT id, qty, pairs, during, gd.twice(id) AS twice
  FROM gd.base;
ALTER VIEW gd.mid OWNER TO regress_gd_mid;
GRANT SELECT ON gd.base TO regress_gd_mid;
GRANT SELECT ON gd.mid TO regress_gd_owner;
CREATE VIEW gd.top AS SELECT * FROM gd.mid;
GRANT SELECT ON gd.top TO regress_gd_owner;
CREATE MATERIALIZED VIEW gd.snap AS SELECT id FROM gd.base;
GRANT SELECT ON gd.snap TO regress_gd_owner;

SELECT dataproduct.create_domain('deep', 'regress_gd_owner');
SELECT dataproduct.create_product('depth', 'deep');
SELECT dataproduct.publish('depth', '1.0.0', '{gd.top,gd.snap}');
SELECT column_name, type, not_null FROM dataproduct.contract_columns
 WHERE product = 'depth' AND output = 'top' ORDER BY position;
CREATE FUNCTION gd.verify() RETURNS text LANGUAGE sql AS $$
    SELECT format('%s rows, id %s', count(*), min(id)) FROM depth_v1.top
$$;
\set verify 'SELECT gd.verify();'
:verify

--
-- Through a view in between (item 6)
--
ALTER TABLE gd.base ALTER COLUMN id DROP NOT NULL;
:verify
CREATE OR REPLACE RULE "_RETURN" AS ON SELECT TO gd.mid DO INSTEAD
    SELECT NULL::int AS id, qty, pairs, during, gd.twice(id) AS twice FROM gd.base;
:verify
ALTER VIEW gd.mid SET (security_invoker = true);
:verify
ALTER VIEW gd.mid OWNER TO regress_gd_other;
:verify
REVOKE SELECT ON gd.base FROM regress_gd_mid;
:verify
REVOKE SELECT (id) ON gd.base FROM regress_gd_mid;
:verify
-- a function the published view calls through the view in between
REVOKE EXECUTE ON FUNCTION gd.twice(int) FROM PUBLIC;
:verify
-- compatible changes one level down still pass
ALTER TABLE gd.base ADD COLUMN extra int;
COMMENT ON VIEW gd.mid IS 'in between';
GRANT SELECT ON gd.base TO regress_gd_other;
REVOKE SELECT ON gd.base FROM regress_gd_other;
:verify

--
-- Types used indirectly: domain over domain, array of composite, range
-- over a domain, and the schema the types live in (item 7)
--
ALTER DOMAIN gdtypes.d1 DROP CONSTRAINT d1_check;
:verify
ALTER TYPE gdtypes.pair ADD ATTRIBUTE c int;
ALTER TYPE gdtypes.pair RENAME TO couple;
ALTER TYPE gdtypes.pair RENAME ATTRIBUTE a TO x;
ALTER SCHEMA gdtypes RENAME TO gdtypes2;
:verify
-- harmless changes of those types pass
COMMENT ON TYPE gdtypes.pair IS 'two ints';
ALTER DOMAIN gdtypes.d2 SET DEFAULT 1;
-- a later patch release still matches its contract
SELECT dataproduct.publish('depth', '1.0.1', '{gd.top,gd.snap}');

--
-- Extensions may not live in, nor take members from, version schemas
-- (item 8)
--
CREATE EXTENSION IF NOT EXISTS plpgsql;
CREATE EXTENSION seg SCHEMA depth_v1;
CREATE EXTENSION seg SCHEMA gd;
ALTER EXTENSION seg ADD VIEW depth_v1.top;
ALTER EXTENSION seg ADD SCHEMA depth_v1;
ALTER EXTENSION seg SET SCHEMA depth_v1;
DROP EXTENSION seg;
:verify

--
-- Readers must not silently lose rows or access (item 9)
--
ALTER TABLE gd.base ENABLE ROW LEVEL SECURITY;
ALTER TABLE gd.base FORCE ROW LEVEL SECURITY;
:verify
REFRESH MATERIALIZED VIEW gd.snap WITH NO DATA;
REFRESH MATERIALIZED VIEW gd.snap;
SELECT count(*) FROM depth_v1.snap;

-- a foreign table output: its options and its user mapping
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS postgres_fdw;
RESET client_min_messages;
SELECT split_part(current_setting('unix_socket_directories'), ',', 1) AS socket_dir,
       current_setting('port') AS port \gset
CREATE SERVER gd_loop FOREIGN DATA WRAPPER postgres_fdw
    OPTIONS (host :'socket_dir', port :'port', dbname :'DBNAME');
CREATE USER MAPPING FOR regress_gd_owner SERVER gd_loop;
CREATE FOREIGN TABLE gd.remote_base (id int NOT NULL)
    SERVER gd_loop OPTIONS (schema_name 'gd', table_name 'base');
GRANT SELECT ON gd.remote_base TO regress_gd_owner;
CREATE VIEW gd.remote AS SELECT id FROM gd.remote_base;
GRANT SELECT ON gd.remote TO regress_gd_owner;
SELECT dataproduct.create_product('far', 'deep');
SELECT dataproduct.publish('far', '1.0.0', '{gd.remote}');
-- a NOT NULL declared on a foreign table is no promise (item 10)
SELECT column_name, not_null FROM dataproduct.contract_columns
 WHERE product = 'far' ORDER BY position;
ALTER FOREIGN TABLE gd.remote_base OPTIONS (SET table_name 'snap');
ALTER FOREIGN TABLE gd.remote_base ALTER COLUMN id OPTIONS (ADD column_name 'x');
DROP USER MAPPING FOR regress_gd_owner SERVER gd_loop;
-- a mapping for PUBLIC serves the owner too
CREATE USER MAPPING FOR PUBLIC SERVER gd_loop;
DROP USER MAPPING FOR regress_gd_owner SERVER gd_loop;
DROP USER MAPPING FOR PUBLIC SERVER gd_loop;

--
-- The extension's own schema and objects, and the switches that would
-- turn the guard off silently (items 14 and 17)
--
ALTER SCHEMA dataproduct RENAME TO dp;
ALTER SCHEMA dataproduct OWNER TO regress_gd_other;
ALTER TABLE dataproduct.major_version DISABLE TRIGGER guard_catalog_changed;
ALTER EXTENSION dataproduct DROP EVENT TRIGGER dataproduct_guard_sql_drop;
ALTER EXTENSION dataproduct DROP FUNCTION dataproduct.publish(text, text, regclass[], text);
-- its catalog and audit trail take no write grant, rename, rule or trigger
GRANT INSERT ON dataproduct.event TO regress_gd_other;
GRANT SELECT ON dataproduct.event TO regress_gd_other;
REVOKE SELECT ON dataproduct.event FROM regress_gd_other;
ALTER TABLE dataproduct.event RENAME TO event_old;
ALTER TABLE dataproduct.major_version RENAME COLUMN status TO state;
CREATE RULE hide AS ON INSERT TO dataproduct.event DO INSTEAD NOTHING;
-- privileges on the extension's objects stay the administrator's
REVOKE EXECUTE ON FUNCTION dataproduct.next_version(text, regclass[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION dataproduct.next_version(text, regclass[]) TO PUBLIC;
-- the guard fires in replica mode too
SELECT evtname, evtenabled FROM pg_event_trigger
 WHERE evtname LIKE 'dataproduct%' ORDER BY 1;
SET session_replication_role = replica;
DROP VIEW depth_v1.top;
RESET session_replication_role;
-- messages name what the command does
CREATE USER MAPPING FOR CURRENT_USER SERVER gd_loop;
IMPORT FOREIGN SCHEMA gd LIMIT TO (base) FROM SERVER gd_loop INTO depth_v1;
CREATE CONVERSION depth_v1.myconv FOR 'LATIN1' TO 'UTF8' FROM iso8859_1_to_utf8;
:verify

--
-- More of the same classes: a table's row type as a contract type, an
-- extension's types moved with it, a table turned into a view, default
-- privileges in a version schema, policies under row-level security, and
-- the triggers of the extension's own catalog
--
CREATE SCHEMA gdext;
CREATE EXTENSION seg SCHEMA gdext;
CREATE TABLE gd.rowy (id int NOT NULL, s gdext.seg);
CREATE VIEW gd.whole AS SELECT r AS entry, r.id FROM gd.rowy r;
CREATE TABLE gd.empt (id int NOT NULL, t text);
CREATE TABLE gd.rls (id int NOT NULL);
INSERT INTO gd.rls VALUES (1), (2);
ALTER TABLE gd.rls ENABLE ROW LEVEL SECURITY;
CREATE POLICY everything ON gd.rls TO regress_gd_owner USING (true);
GRANT SELECT ON gd.rowy, gd.whole, gd.empt, gd.rls TO regress_gd_owner;
SELECT dataproduct.create_product('more', 'deep');
SELECT dataproduct.publish('more', '1.0.0', '{gd.whole,gd.empt,gd.rls}');
SELECT output, column_name, type FROM dataproduct.contract_columns
 WHERE product = 'more' ORDER BY output, position;
ALTER TABLE gd.rowy ADD COLUMN extra int;
ALTER TABLE gd.rowy RENAME TO rowz;
ALTER EXTENSION seg SET SCHEMA gd;
CREATE RULE "_RETURN" AS ON SELECT TO gd.empt DO INSTEAD
    SELECT id, 'x'::text AS t FROM gd.rls;
ALTER DEFAULT PRIVILEGES IN SCHEMA more_v1 GRANT SELECT ON TABLES TO PUBLIC;
ALTER POLICY everything ON gd.rls USING (id = 1);
CREATE POLICY nothing ON gd.rls AS RESTRICTIVE TO regress_gd_owner USING (false);
DROP POLICY everything ON gd.rls;
SELECT count(*) FROM more_v1.rls;
-- a policy for other roles changes nothing the version reads
CREATE POLICY others ON gd.rls TO regress_gd_other USING (true);
DROP POLICY others ON gd.rls;
DROP TRIGGER guard_catalog_changed ON dataproduct.major_version;
ALTER TABLE dataproduct.release DISABLE TRIGGER guard_catalog_changed;

--
-- Table hierarchies: a version reading a parent reads its children
--
CREATE TABLE gd.par (a int NOT NULL);
CREATE TABLE gd.kid () INHERITS (gd.par);
CREATE TABLE gd.parts (a int NOT NULL) PARTITION BY RANGE (a);
CREATE TABLE gd.parts1 PARTITION OF gd.parts FOR VALUES FROM (0) TO (100);
INSERT INTO gd.kid VALUES (1);
INSERT INTO gd.parts VALUES (1);
GRANT SELECT ON gd.par, gd.parts TO regress_gd_owner;
SELECT dataproduct.create_product('tree', 'deep');
SELECT dataproduct.publish('tree', '1.0.0', '{gd.par,gd.parts}');
ALTER TABLE gd.kid NO INHERIT gd.par;
ALTER TABLE gd.parts DETACH PARTITION gd.parts1;
ALTER TABLE gd.kid ALTER COLUMN a DROP NOT NULL;
CREATE FOREIGN TABLE gd.fkid () INHERITS (gd.par) SERVER gd_loop;
CREATE FOREIGN TABLE gd.fparts2 PARTITION OF gd.parts FOR VALUES FROM (100) TO (200)
    SERVER gd_loop;
ALTER FOREIGN TABLE gd.remote_base ADD CONSTRAINT big CHECK (id > 5);
SELECT (SELECT count(*) FROM tree_v1.par) AS par, (SELECT count(*) FROM tree_v1.parts) AS parts;
-- a new plain child or partition adds rows, and passes
CREATE TABLE gd.kid2 () INHERITS (gd.par);
CREATE TABLE gd.parts2 PARTITION OF gd.parts FOR VALUES FROM (100) TO (200);

--
-- The guard's own functions, and the emergency switch outside a
-- superuser's session
--
CREATE OR REPLACE FUNCTION dataproduct.guard_ddl_command_end()
    RETURNS event_trigger LANGUAGE plpgsql AS 'BEGIN END';
ALTER FUNCTION dataproduct.guard_sql_drop() SET dataproduct.guard = off;
ALTER FUNCTION dataproduct.publish(text, text, regclass[], text) SECURITY DEFINER;
CREATE FUNCTION dataproduct.mine() RETURNS int LANGUAGE sql AS 'SELECT 1';
-- the one switch no event trigger sees is said by publish()
ALTER EVENT TRIGGER dataproduct_guard_sql_drop DISABLE;
CREATE TABLE gd.tiny (id int);
GRANT SELECT ON gd.tiny TO regress_gd_owner;
SELECT dataproduct.create_product('tiny', 'deep');
SELECT dataproduct.publish('tiny', '1.0.0', '{gd.tiny}');
ALTER EVENT TRIGGER dataproduct_guard_sql_drop ENABLE ALWAYS;
ALTER DATABASE :"DBNAME" SET dataproduct.guard = off;
\c
SHOW dataproduct.guard;
SET ROLE regress_gd_owner;
DROP VIEW depth_v1.top;
RESET ROLE;
ALTER DATABASE :"DBNAME" RESET dataproduct.guard;
\c
\set verify 'SELECT gd.verify();'
:verify

--
-- Readers read: no other privilege on a version, now or by default; the
-- identity a called function runs as stays
--
GRANT INSERT, UPDATE ON depth_v1.top TO regress_gd_other;
GRANT ALL ON depth_v1.top TO regress_gd_other;
GRANT CREATE ON SCHEMA depth_v1 TO regress_gd_other;
GRANT SELECT ON depth_v1.top TO regress_gd_other;
REVOKE SELECT ON depth_v1.top FROM regress_gd_other;
SET dataproduct.guard = off;
GRANT UPDATE ON depth_v1.top TO regress_gd_other;
RESET dataproduct.guard;
REVOKE UPDATE ON depth_v1.top FROM regress_gd_other;
-- DROP OWNED revokes privileges too: the hint says what ends access
SELECT dataproduct.grant_access('depth', 1, 'regress_gd_other');
DROP OWNED BY regress_gd_other;
SELECT dataproduct.revoke_access('depth', 1, 'regress_gd_other');
ALTER DEFAULT PRIVILEGES FOR ROLE regress_gd_owner GRANT INSERT ON TABLES TO regress_gd_other;
ALTER DEFAULT PRIVILEGES FOR ROLE regress_gd_owner GRANT ALL ON TABLES TO regress_gd_other;
ALTER DEFAULT PRIVILEGES FOR ROLE regress_gd_owner GRANT SELECT ON TABLES TO regress_gd_other;
ALTER DEFAULT PRIVILEGES FOR ROLE regress_gd_owner REVOKE SELECT ON TABLES FROM regress_gd_other;
-- defaults set before (with the switch off) do not reach the views
SET dataproduct.guard = off;
ALTER DEFAULT PRIVILEGES FOR ROLE regress_gd_owner GRANT INSERT, SELECT ON TABLES TO regress_gd_other;
RESET dataproduct.guard;
CREATE FUNCTION gd.secret_count() RETURNS bigint LANGUAGE sql STABLE
    SECURITY DEFINER BEGIN ATOMIC SELECT count(*) FROM gd.base; END;
ALTER FUNCTION gd.secret_count() OWNER TO regress_gd_mid;
CREATE VIEW gd.counted AS SELECT gd.secret_count() AS n;
GRANT SELECT ON gd.counted TO regress_gd_owner;
SELECT dataproduct.create_product('calls', 'deep');
SELECT dataproduct.publish('calls', '1.0.0', '{gd.counted}');
SELECT grantee::regrole, privilege_type
  FROM pg_class c, aclexplode(c.relacl) a
 WHERE c.oid = 'calls_v1.counted'::regclass ORDER BY 1, 2;
ALTER DEFAULT PRIVILEGES FOR ROLE regress_gd_owner REVOKE INSERT, SELECT ON TABLES FROM regress_gd_other;
ALTER FUNCTION gd.secret_count() SECURITY INVOKER;
ALTER FUNCTION gd.secret_count() OWNER TO regress_gd_other;
ALTER FUNCTION gd.secret_count() STABLE;
-- what a function's BEGIN ATOMIC body reads is read as its owner
REVOKE SELECT ON gd.base FROM regress_gd_mid;
SELECT n FROM calls_v1.counted;

-- clean up, with the switch off; the versions end as retired ones would
SET dataproduct.guard = off;
DROP SCHEMA depth_v1, far_v1, more_v1, tree_v1, calls_v1, tiny_v1 CASCADE;
UPDATE dataproduct.major_version SET status = 'retired'
 WHERE product IN ('depth', 'far', 'more', 'tree', 'calls', 'tiny');
DROP SCHEMA gd, gdtypes, gdext CASCADE;
DROP SERVER gd_loop CASCADE;
RESET dataproduct.guard;
DROP OWNED BY regress_gd_owner, regress_gd_mid, regress_gd_other;
DROP ROLE regress_gd_owner, regress_gd_mid, regress_gd_other;
