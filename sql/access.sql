--
-- grant_access() and revoke_access(), and the registry of consumers
-- (dataproduct.consumers): the producer's side of sharing
--
\set SHOW_CONTEXT never
CREATE SCHEMA acc;
CREATE TABLE acc.orders (id int PRIMARY KEY, customer text NOT NULL, amount numeric(10,2));
CREATE TABLE acc.customers (name text PRIMARY KEY, country text);
INSERT INTO acc.orders VALUES (1, 'alice', 10), (2, 'bob', 20);
INSERT INTO acc.customers VALUES ('alice', 'FR'), ('bob', 'DE');
GRANT USAGE ON SCHEMA acc TO regress_dp_owner;
GRANT SELECT ON ALL TABLES IN SCHEMA acc TO regress_dp_owner;
SELECT dataproduct.create_product('ledger', 'commerce');
SELECT dataproduct.publish('ledger', '1.0.0', '{acc.orders}');

-- a consumer role, even one that may use the internal schema, reads
-- neither the internal table nor, before it is granted access, the version
GRANT USAGE ON SCHEMA acc TO regress_dp_consumer;
SET ROLE regress_dp_consumer;
SELECT * FROM ledger_v1.orders;
SELECT * FROM acc.orders;
RESET ROLE;

-- only the domain (its owner, members, superusers) grants access
SET ROLE regress_dp_stranger;
SELECT dataproduct.grant_access('ledger', 1, 'regress_dp_consumer');
\echo :LAST_ERROR_SQLSTATE
SET ROLE regress_dp_consumer;
SELECT dataproduct.grant_access('ledger', 1, 'regress_dp_consumer');
SET ROLE regress_dp_member;
SELECT dataproduct.grant_access('ledger', 1, 'regress_dp_consumer');
-- granting again changes nothing
SELECT dataproduct.grant_access('ledger', 1, 'regress_dp_consumer');
RESET ROLE;

-- arguments
SELECT dataproduct.grant_access('ledger', 2, 'regress_dp_consumer');
\echo :LAST_ERROR_SQLSTATE
SELECT dataproduct.grant_access('nosuch', 1, 'regress_dp_consumer');
SELECT dataproduct.grant_access('ledger', 1, 'regress_dp_no_such_role');
SELECT dataproduct.grant_access('ledger', NULL, 'regress_dp_consumer');
SELECT dataproduct.grant_access('ledger', 1, 99999::oid::regrole);
SELECT dataproduct.grant_access('ledger', 1, 'regress_dp_owner');
\echo :LAST_ERROR_SQLSTATE

-- USAGE on the schema and SELECT on its views, granted by the owner,
-- nothing else
SELECT n.nspname, a.grantor::regrole, a.grantee::regrole, a.privilege_type
  FROM pg_namespace n, aclexplode(n.nspacl) a
 WHERE n.nspname = 'ledger_v1' AND a.grantee <> n.nspowner;
SELECT c.relname, a.grantor::regrole, a.grantee::regrole, a.privilege_type
  FROM pg_class c, aclexplode(c.relacl) a
 WHERE c.relnamespace = 'ledger_v1'::regnamespace AND a.grantee <> c.relowner
 ORDER BY 1, 4;
SELECT has_table_privilege('regress_dp_consumer', 'acc.orders', 'SELECT') AS reads_internal_table;
SELECT product, major, grantee, granted_by FROM dataproduct.access;
SET ROLE regress_dp_consumer;
SELECT * FROM ledger_v1.orders ORDER BY id;
SELECT * FROM acc.orders;
RESET ROLE;

-- a minor release keeps access, also to the outputs it adds
ALTER TABLE acc.orders ADD COLUMN currency char(3) NOT NULL DEFAULT 'EUR';
SELECT dataproduct.publish('ledger', '1.1.0', '{acc.orders,acc.customers}');
SET ROLE regress_dp_consumer;
SELECT * FROM ledger_v1.orders ORDER BY id;
SELECT * FROM ledger_v1.customers ORDER BY name;
RESET ROLE;

-- and so does a patch release
COMMENT ON COLUMN acc.orders.amount IS 'Order total';
SELECT dataproduct.publish('ledger', '1.1.1', '{acc.orders,acc.customers}');
SET ROLE regress_dp_consumer;
SELECT id, amount FROM ledger_v1.orders ORDER BY id;
RESET ROLE;

-- a new major version is a new contract: access is granted anew
CREATE VIEW acc.orders_v2 AS SELECT id::bigint AS id, customer FROM acc.orders;
GRANT SELECT ON acc.orders_v2 TO regress_dp_owner;
SELECT dataproduct.publish('ledger', '2.0.0', '{acc.orders_v2}');
SET ROLE regress_dp_consumer;
SELECT * FROM ledger_v2.orders_v2;
RESET ROLE;

-- a hostile role name is quoted
SELECT dataproduct.grant_access('ledger', 2, '"regress_dp_Team ""Ops"""');
SELECT a.grantee::regrole, a.privilege_type
  FROM pg_class c, aclexplode(c.relacl) a
 WHERE c.relnamespace = 'ledger_v2'::regnamespace AND a.grantee <> c.relowner;

--
-- The registry.  A consumer registers by INSERT (subscribe() does it over
-- postgres_fdw); the producer records who it connected as.
--
SET ROLE regress_dp_consumer;
INSERT INTO dataproduct.consumers (product, major, version, consumer_system,
    consumer_database, consumer_server, consumer_schema, consumer_role)
VALUES ('ledger', 1, '1.1.0', '42', 'analytics', 'sales_srv', 'ledger_v1', 'analyst');
SELECT product, major, version, consumer_database, consumer_server,
       consumer_schema, consumer_role, consumer_system, connected_as,
       subscribed_at = refreshed_at AS new
  FROM dataproduct.consumers;
-- registering again records the release imported now; RETURNING shows
-- what the producer recorded
INSERT INTO dataproduct.consumers (product, major, version, consumer_system,
    consumer_database, consumer_server, consumer_schema, consumer_role)
VALUES ('ledger', 1, '1.0.0', '42', 'analytics', 'sales_srv', 'ledger_v1', 'analyst')
RETURNING version, connected_as, client_addr IS NOT DISTINCT FROM inet_client_addr() AS from_here,
          subscribed_at < refreshed_at AS refreshed;
SELECT version, subscribed_at < refreshed_at AS refreshed FROM dataproduct.consumers;
-- a name is data, whatever it contains
INSERT INTO dataproduct.consumers (product, major, version, consumer_system,
    consumer_database, consumer_server, consumer_schema, consumer_role)
VALUES ('ledger', 1, '1.1.0', '42', 'x"; DROP TABLE acc.orders; --', 'Srv''s', 'S"ch', 'R;ole');
SELECT consumer_database, consumer_server, consumer_schema, consumer_role
  FROM dataproduct.consumers ORDER BY 1;

-- what the consumer cannot say
UPDATE dataproduct.consumers SET version = '1.0.0';
\echo :LAST_ERROR_SQLSTATE
INSERT INTO dataproduct.consumers (product, major, version, consumer_system,
    consumer_database, consumer_server, consumer_schema, consumer_role, connected_as)
VALUES ('ledger', 1, '1.1.0', '43', 'db', 'srv', 'ledger_v1', 'analyst', 'regress_dp_owner');
\echo :LAST_ERROR_SQLSTATE
INSERT INTO dataproduct.consumers (product, major, version, consumer_system,
    consumer_database, consumer_server, consumer_schema, consumer_role)
VALUES ('ledger', 1, '2.0.0', '43', 'db', 'srv', 'ledger_v1', 'analyst');
INSERT INTO dataproduct.consumers (product, major, version, consumer_system,
    consumer_database, consumer_server, consumer_schema, consumer_role)
VALUES ('ledger', 1, '1.7.0', '43', 'db', 'srv', 'ledger_v1', 'analyst');
INSERT INTO dataproduct.consumers (product, major, version, consumer_system,
    consumer_database, consumer_server, consumer_schema, consumer_role)
VALUES ('ledger', 3, '3.0.0', '43', 'db', 'srv', 'ledger_v3', 'analyst');
INSERT INTO dataproduct.consumers (product, major, version, consumer_system,
    consumer_database, consumer_server, consumer_schema, consumer_role)
VALUES ('ledger', 1, '1.1.0', NULL, 'db', 'srv', 'ledger_v1', 'analyst');
INSERT INTO dataproduct.consumers (product, major, version, consumer_system,
    consumer_database, consumer_server, consumer_schema, consumer_role)
VALUES ('ledger', 1, '1.1.0', 'not a number', 'db', 'srv', 'ledger_v1', 'analyst');
-- a role without access cannot register, and is told how to get it
INSERT INTO dataproduct.consumers (product, major, version, consumer_system,
    consumer_database, consumer_server, consumer_schema, consumer_role)
VALUES ('ledger', 2, '2.0.0', '42', 'analytics', 'sales_srv', 'ledger_v2', 'analyst');
\echo :LAST_ERROR_SQLSTATE

-- others see how many consume a version, not who
SET ROLE regress_dp_stranger;
SELECT product, version, consumers FROM dataproduct.catalog WHERE product = 'ledger' ORDER BY 2;
SELECT count(*) FROM dataproduct.consumers;
DELETE FROM dataproduct.consumers;
-- not even through a function that leaks what it is given
CREATE FUNCTION pg_temp.leak(text) RETURNS boolean LANGUAGE plpgsql COST 0.0000001
    AS $$ BEGIN RAISE NOTICE 'leaked: %', $1; RETURN true; END $$;
SELECT count(*) FROM dataproduct.consumers WHERE pg_temp.leak(consumer_database);
-- nor by putting the registry's trigger on a view of their own
CREATE VIEW pg_temp.fake AS
SELECT 'ledger'::text AS product, 1 AS major, '42'::text AS consumer_system,
       'analytics'::name AS consumer_database, 'sales_srv'::name AS consumer_server;
CREATE TRIGGER fake INSTEAD OF DELETE ON pg_temp.fake
    FOR EACH ROW EXECUTE FUNCTION dataproduct.consumers_change();
\echo :LAST_ERROR_SQLSTATE
-- a registration is its role's: a hostile role with access that registers
-- another consumer's database ahead of it gets a registration of its own,
-- and can neither take over, block nor remove the consumer's
RESET ROLE;
CREATE ROLE regress_dp_mallory;
SELECT dataproduct.grant_access('ledger', 1, 'regress_dp_mallory');
SET ROLE regress_dp_mallory;
INSERT INTO dataproduct.consumers (product, major, version, consumer_system,
    consumer_database, consumer_server, consumer_schema, consumer_role)
VALUES ('ledger', 1, '1.0.0', '42', 'analytics', 'sales_srv', 'mine', 'thief')
RETURNING consumer_database, consumer_schema, connected_as;
INSERT INTO dataproduct.consumers (product, major, version, consumer_system,
    consumer_database, consumer_server, consumer_schema, consumer_role)
VALUES ('ledger', 1, '1.0.0', '42', 'reports', 'sales_srv', 'mine', 'thief');
SELECT consumer_database, consumer_schema, consumer_role, connected_as
  FROM dataproduct.consumers ORDER BY 1;
DELETE FROM dataproduct.consumers WHERE connected_as <> current_user::regrole;
-- the consumer registers as before, and its registration says what it said
SET ROLE regress_dp_consumer;
INSERT INTO dataproduct.consumers (product, major, version, consumer_system,
    consumer_database, consumer_server, consumer_schema, consumer_role)
VALUES ('ledger', 1, '1.1.0', '42', 'analytics', 'sales_srv', 'ledger_v1', 'analyst')
RETURNING version, consumer_schema, connected_as;
SELECT consumer_database, consumer_schema, consumer_role, connected_as
  FROM dataproduct.consumers ORDER BY 1;
-- a database the hostile role registered first is no obstacle either
INSERT INTO dataproduct.consumers (product, major, version, consumer_system,
    consumer_database, consumer_server, consumer_schema, consumer_role)
VALUES ('ledger', 1, '1.1.0', '42', 'reports', 'sales_srv', 'ledger_v1', 'analyst');
DELETE FROM dataproduct.consumers WHERE consumer_database = 'reports';
-- the domain sees them all, each under the role that registered it, and
-- may remove any
SET ROLE regress_dp_owner;
SELECT consumer_database, consumer_schema, consumer_role, connected_as
  FROM dataproduct.consumers ORDER BY 1, 4;
DELETE FROM dataproduct.consumers
 WHERE connected_as = 'regress_dp_mallory'::regrole AND consumer_database = 'reports';
RESET ROLE;
-- revoking the hostile role's access takes its registrations with it, and
-- only them
SELECT dataproduct.revoke_access('ledger', 1, 'regress_dp_mallory');
SELECT dataproduct.revoke_access('ledger', 1, 'regress_dp_mallory', force => true);
SELECT consumer_database, consumer_schema, connected_as
  FROM dataproduct.consumers ORDER BY 1;
DROP ROLE regress_dp_mallory;

--
-- revoke_access(): refused while registered consumers would lose access
--
SELECT dataproduct.revoke_access('ledger', 1, 'regress_dp_consumer');
\echo :LAST_ERROR_SQLSTATE
SET ROLE regress_dp_consumer;
SELECT count(*) FROM ledger_v1.orders;
RESET ROLE;
-- a role without consumers loses access at once
SELECT dataproduct.revoke_access('ledger', 1, 'regress_dp_stranger');
SET ROLE regress_dp_stranger;
SELECT count(*) FROM ledger_v1.orders;
RESET ROLE;
-- forced: the consumers that lost access are unregistered, with a warning
SELECT dataproduct.revoke_access('ledger', 1, 'regress_dp_consumer', force => true);
SELECT count(*) FROM dataproduct.consumers;
SELECT product, major, grantee FROM dataproduct.access ORDER BY 1, 2, 3;
SET ROLE regress_dp_consumer;
SELECT count(*) FROM ledger_v1.orders;
SELECT count(*) FROM ledger_v1.customers;
RESET ROLE;
-- a consumer unregisters itself with DELETE
SELECT dataproduct.grant_access('ledger', 1, 'regress_dp_consumer');
SET ROLE regress_dp_consumer;
INSERT INTO dataproduct.consumers (product, major, version, consumer_system,
    consumer_database, consumer_server, consumer_schema, consumer_role)
VALUES ('ledger', 1, '1.1.0', '42', 'analytics', 'sales_srv', 'ledger_v1', 'analyst');
DELETE FROM dataproduct.consumers WHERE consumer_database = 'analytics';
SELECT count(*) FROM dataproduct.consumers;
RESET ROLE;
SELECT dataproduct.revoke_access('ledger', 1, 'regress_dp_consumer');
SELECT dataproduct.revoke_access('ledger', 2, '"regress_dp_Team ""Ops"""');
SELECT product, major, grantee FROM dataproduct.access;

-- the guard refuses a plain REVOKE, and points to revoke_access()
SELECT dataproduct.grant_access('ledger', 1, 'regress_dp_consumer');
SET ROLE regress_dp_owner;
REVOKE SELECT ON ledger_v1.orders FROM regress_dp_consumer;
RESET ROLE;
SELECT dataproduct.revoke_access('ledger', 1, 'regress_dp_consumer');

--
-- A retired major version serves nothing, and its number is never used
-- again.  (retire() comes with the lifecycle of versions; a superuser
-- retires one by hand here, first keeping its schema, then dropping it.)
--
CREATE TABLE acc.stock (sku text PRIMARY KEY, quantity int NOT NULL);
GRANT SELECT ON acc.stock TO regress_dp_owner;
SELECT dataproduct.create_product('warehouse', 'commerce');
SELECT dataproduct.publish('warehouse', '1.0.0', '{acc.stock}');
SELECT dataproduct.publish('warehouse', '2.0.0', '{acc.customers}');
SELECT dataproduct.grant_access('warehouse', 1, 'regress_dp_consumer');
SET ROLE regress_dp_consumer;
INSERT INTO dataproduct.consumers (product, major, version, consumer_system,
    consumer_database, consumer_server, consumer_schema, consumer_role)
VALUES ('warehouse', 1, '1.0.0', '42', 'analytics', 'sales_srv', 'warehouse_v1', 'analyst');
RESET ROLE;
UPDATE dataproduct.major_version SET status = 'retired'
 WHERE product = 'warehouse' AND major = 1;
-- no release goes into it, and nothing changes
SELECT dataproduct.publish('warehouse', '1.0.1', '{acc.stock}');
\echo :LAST_ERROR_SQLSTATE
SET ROLE regress_dp_member;
SELECT dataproduct.publish('warehouse', '1.1.0', '{acc.stock}');
RESET ROLE;
SELECT version FROM dataproduct.versions WHERE product = 'warehouse' ORDER BY 1;
SELECT relname FROM pg_class WHERE relnamespace = 'warehouse_v1'::regnamespace;
-- access to it does not change, and nobody registers for it
SELECT dataproduct.grant_access('warehouse', 1, 'regress_dp_stranger');
\echo :LAST_ERROR_SQLSTATE
SELECT dataproduct.revoke_access('warehouse', 1, 'regress_dp_consumer');
SET ROLE regress_dp_consumer;
INSERT INTO dataproduct.consumers (product, major, version, consumer_system,
    consumer_database, consumer_server, consumer_schema, consumer_role)
VALUES ('warehouse', 1, '1.0.0', '42', 'analytics', 'sales_srv', 'warehouse_v1', 'analyst');
\echo :LAST_ERROR_SQLSTATE
-- but its consumers can leave
DELETE FROM dataproduct.consumers WHERE product = 'warehouse';
RESET ROLE;
-- with its schema gone, the same
SET client_min_messages = error;
SET dataproduct.guard = off;
DROP SCHEMA warehouse_v1 CASCADE;
RESET dataproduct.guard;
RESET client_min_messages;
SELECT dataproduct.publish('warehouse', '1.0.1', '{acc.stock}');
\echo :LAST_ERROR_SQLSTATE
SELECT dataproduct.grant_access('warehouse', 1, 'regress_dp_stranger');
-- a major version that never existed is another error
SELECT dataproduct.grant_access('warehouse', 7, 'regress_dp_stranger');
\echo :LAST_ERROR_SQLSTATE
-- the version the hint names can be published
SELECT dataproduct.publish('warehouse', '3.0.0', '{acc.stock}');
SELECT product, version, schema, status FROM dataproduct.catalog
 WHERE product = 'warehouse' ORDER BY 2;
SELECT count(*) AS consumers FROM dataproduct.consumers;
