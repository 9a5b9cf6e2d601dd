--
-- The contract guard: DDL that would break a live version fails with the
-- object, the product, version and schema, and what to do instead; every
-- compatible change passes.  After each statement, every live version must
-- still answer with the columns and types its latest release promises.
--
\set SHOW_CONTEXT never
CREATE ROLE regress_g_owner;
CREATE ROLE regress_g_other;
CREATE ROLE regress_g_consumer;
GRANT CREATE ON DATABASE :"DBNAME" TO regress_g_owner;

CREATE SCHEMA g;
GRANT USAGE ON SCHEMA g TO regress_g_owner;
CREATE TYPE g.tier AS ENUM ('gold', 'silver');
CREATE DOMAIN g.money_eur AS numeric(10,2) CHECK (VALUE >= 0);
CREATE TYPE g.pair AS (a int, b int);
CREATE TABLE g.customers (
    id      int PRIMARY KEY,
    name    text NOT NULL,
    email   varchar(100),
    tier    g.tier,
    note    text
);
CREATE TABLE g.orders (
    id          int PRIMARY KEY,
    customer_id int NOT NULL REFERENCES g.customers,
    amount      g.money_eur NOT NULL,
    placed_at   timestamptz NOT NULL DEFAULT now(),
    status      text
);
ALTER TABLE g.orders OWNER TO regress_g_owner;
CREATE FUNCTION g.net(numeric) RETURNS numeric LANGUAGE sql IMMUTABLE
    AS 'SELECT round($1 / 1.2, 2)';
CREATE VIEW g.order_totals AS
SELECT o.id, o.customer_id, g.net(o.amount) AS net, c.name,
       ROW(o.id, o.customer_id)::g.pair AS ids
  FROM g.orders o JOIN g.customers c ON c.id = o.customer_id;
CREATE TABLE g.unrelated (id int, x text);
INSERT INTO g.customers VALUES (1, 'ann', 'ann@example.org', 'gold', NULL),
                               (2, 'bob', NULL, 'silver', 'vip');
INSERT INTO g.orders VALUES (10, 1, 12.00, '2026-01-01', 'new'),
                            (11, 2, 30.00, '2026-01-02', NULL);
GRANT SELECT ON g.customers, g.order_totals TO regress_g_owner;

SELECT dataproduct.create_domain('guarded', 'regress_g_owner');
SELECT dataproduct.create_product('shop', 'guarded');
SELECT dataproduct.publish('shop', '1.0.0', '{g.customers,g.orders,g.order_totals}');
CREATE VIEW g.customers_v2 AS SELECT id, name FROM g.customers;
CREATE SCHEMA g2;
CREATE VIEW g2.customers AS SELECT id::bigint AS id, name FROM g.customers;
GRANT USAGE ON SCHEMA g2 TO regress_g_owner;
GRANT SELECT ON g2.customers TO regress_g_owner;
SELECT dataproduct.publish('shop', '2.0.0', '{g2.customers}');
GRANT USAGE ON SCHEMA shop_v1 TO regress_g_consumer;
GRANT SELECT ON ALL TABLES IN SCHEMA shop_v1 TO regress_g_consumer;

-- every live version of the product answers with what its latest release
-- promises
CREATE SCHEMA gt;
CREATE FUNCTION gt.verify() RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    r record;
    problems text[] := '{}';
BEGIN
    FOR r IN
        SELECT c.schema, c.output, c.position, c.column_name, c.type
          FROM dataproduct.contract_columns c
          JOIN dataproduct.catalog k USING (product, schema, version)
         WHERE product = 'shop'
    LOOP
        IF NOT EXISTS (
            SELECT FROM pg_attribute a
             WHERE a.attrelid = to_regclass(format('%I.%I', r.schema, r.output))
               AND a.attnum = r.position AND a.attname = r.column_name
               AND format_type(a.atttypid, a.atttypmod) = r.type) THEN
            problems := problems || format('%s.%s.%s', r.schema, r.output, r.column_name);
        END IF;
    END LOOP;
    FOR r IN SELECT DISTINCT c.schema, c.output
               FROM dataproduct.contract_columns c
               JOIN dataproduct.catalog k USING (product, schema, version)
              WHERE product = 'shop'
    LOOP
        EXECUTE format('SELECT * FROM %I.%I LIMIT 0', r.schema, r.output);
    END LOOP;
    RETURN CASE WHEN problems = '{}' THEN 'ok' ELSE array_to_string(problems, ', ') END;
END
$$;
\set verify 'SELECT gt.verify();'
:verify

--
-- Refused: the version schemas and their views
--
DROP VIEW shop_v1.customers;
\echo :LAST_ERROR_SQLSTATE
:verify
DROP VIEW shop_v1.customers CASCADE;
:verify
DROP VIEW shop_v2.customers;
:verify
DROP SCHEMA shop_v1 CASCADE;
\echo :LAST_ERROR_SQLSTATE
:verify
ALTER VIEW shop_v1.customers RENAME TO clients;
\echo :LAST_ERROR_SQLSTATE
:verify
ALTER VIEW shop_v1.customers RENAME COLUMN email TO mail;
:verify
ALTER VIEW shop_v1.customers SET SCHEMA public;
:verify
ALTER TABLE shop_v1.orders SET SCHEMA public;
:verify
ALTER SCHEMA shop_v1 RENAME TO shop_v1_old;
:verify
ALTER SCHEMA shop_v1 OWNER TO regress_g_other;
\echo :LAST_ERROR_SQLSTATE
:verify
ALTER VIEW shop_v1.customers OWNER TO regress_g_other;
\echo :LAST_ERROR_SQLSTATE
:verify
CREATE OR REPLACE VIEW shop_v1.customers AS
SELECT id, name, email, tier, note FROM g.customers WHERE id > 1;
:verify
CREATE OR REPLACE VIEW shop_v1.customers AS
SELECT id, name, email, tier, note, 1 AS extra FROM g.customers;
:verify
ALTER VIEW shop_v1.customers ALTER COLUMN tier SET DEFAULT 'gold';
:verify
ALTER VIEW shop_v1.customers SET (security_barrier = true);
:verify
COMMENT ON VIEW shop_v1.customers IS 'mine now';
:verify
COMMENT ON COLUMN shop_v1.customers.name IS 'mine now';
:verify
COMMENT ON SCHEMA shop_v1 IS 'mine now';
:verify
CREATE TABLE shop_v1.extra (a int);
:verify
CREATE VIEW shop_v1.extra AS SELECT 1 AS a;
:verify
CREATE FUNCTION shop_v1.f() RETURNS int LANGUAGE sql AS 'SELECT 1';
:verify
CREATE RULE no_insert AS ON INSERT TO shop_v1.customers DO INSTEAD NOTHING;
:verify
CREATE FUNCTION g.trg() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$;
CREATE TRIGGER t INSTEAD OF INSERT ON shop_v1.customers FOR EACH ROW EXECUTE FUNCTION g.trg();
:verify
REVOKE SELECT ON shop_v1.customers FROM regress_g_consumer;
\echo :LAST_ERROR_SQLSTATE
:verify
REVOKE USAGE ON SCHEMA shop_v1 FROM regress_g_consumer;
:verify
REVOKE ALL ON ALL TABLES IN SCHEMA shop_v1 FROM regress_g_consumer;
:verify
-- the owner of the views is refused like anyone
SET ROLE regress_g_owner;
DROP VIEW shop_v1.orders;
ALTER VIEW shop_v1.orders RENAME TO orders_old;
RESET ROLE;
:verify

--
-- Refused: what live versions read
--
DROP TABLE g.customers CASCADE;
\echo :LAST_ERROR_SQLSTATE
:verify
DROP TABLE g.orders CASCADE;
:verify
ALTER TABLE g.customers DROP COLUMN email CASCADE;
:verify
ALTER TABLE g.orders DROP COLUMN customer_id CASCADE;
:verify
ALTER TABLE g.customers ALTER COLUMN name DROP NOT NULL;
\echo :LAST_ERROR_SQLSTATE
:verify
ALTER TABLE g.orders ALTER COLUMN placed_at DROP NOT NULL;
:verify
ALTER TABLE g.orders ALTER COLUMN amount DROP NOT NULL;
:verify
-- (PostgreSQL itself refuses to retype a column a view reads)
ALTER TABLE g.customers ALTER COLUMN email TYPE varchar(200);
:verify
DROP FUNCTION g.net(numeric) CASCADE;
:verify
DROP TYPE g.tier CASCADE;
:verify
DROP DOMAIN g.money_eur CASCADE;
:verify
DROP TYPE g.pair CASCADE;
:verify
DROP SCHEMA g CASCADE;
:verify
ALTER TYPE g.pair DROP ATTRIBUTE b;
\echo :LAST_ERROR_SQLSTATE
:verify
ALTER TYPE g.pair ADD ATTRIBUTE c int;
:verify
ALTER TYPE g.pair RENAME ATTRIBUTE a TO x;
:verify
ALTER TYPE g.pair ALTER ATTRIBUTE b TYPE bigint;
:verify
ALTER TYPE g.pair RENAME TO couple;
:verify
ALTER TYPE g.pair SET SCHEMA public;
:verify
ALTER TYPE g.tier ADD VALUE 'bronze';
:verify
ALTER TYPE g.tier RENAME VALUE 'gold' TO 'golden';
:verify
ALTER TYPE g.tier RENAME TO level;
:verify
ALTER DOMAIN g.money_eur DROP CONSTRAINT money_eur_check;
:verify
ALTER DOMAIN g.money_eur RENAME TO money;
:verify
-- ALTER TABLE on a partitioned table reaches the partitions a version reads
CREATE TABLE g.events (id int NOT NULL, kind text) PARTITION BY LIST (kind);
CREATE TABLE g.events_a PARTITION OF g.events FOR VALUES IN ('a');
GRANT SELECT ON g.events_a TO regress_g_owner;
SELECT dataproduct.create_product('parts', 'guarded');
SELECT dataproduct.publish('parts', '1.0.0', '{g.events_a}');
ALTER TABLE g.events ALTER COLUMN id DROP NOT NULL;
:verify
-- privileges the views read with
REVOKE SELECT ON g.customers FROM regress_g_owner;
\echo :LAST_ERROR_SQLSTATE
:verify
REVOKE ALL ON ALL TABLES IN SCHEMA g FROM regress_g_owner;
:verify
ALTER TABLE g.orders OWNER TO regress_g_other;
\echo :LAST_ERROR_SQLSTATE
:verify
DROP OWNED BY regress_g_owner CASCADE;
:verify
-- the extension and its schema stay while versions are live
DROP EXTENSION dataproduct;
\echo :LAST_ERROR_SQLSTATE
DROP SCHEMA dataproduct CASCADE;
:verify

-- a refused statement changes nothing, and takes its transaction with it
BEGIN;
ALTER TABLE g.customers ADD COLUMN doomed int;
ALTER TABLE g.customers ALTER COLUMN name DROP NOT NULL;
ROLLBACK;
SELECT count(*) FROM pg_attribute WHERE attrelid = 'g.customers'::regclass AND attname = 'doomed';

-- a new session that never called dataproduct is guarded all the same
\c
\set verify 'SELECT gt.verify();'
DROP VIEW shop_v1.customers;
:verify

--
-- Accepted: everything that keeps the contracts
--
ALTER TABLE g.customers ADD COLUMN phone text;
:verify
-- dataproduct's own functions still change version schemas
SELECT dataproduct.publish('shop', '1.1.0', '{g.customers,g.orders,g.order_totals}');
SELECT column_name FROM dataproduct.contract_columns
 WHERE version = '1.1.0' AND output = 'customers' ORDER BY position;
:verify
CREATE TABLE g.new_table (a int);
:verify
CREATE INDEX ON g.customers (email);
:verify
ALTER TABLE g.customers ADD CONSTRAINT email_has_at CHECK (email LIKE '%@%');
:verify
ALTER TABLE g.customers RENAME COLUMN note TO remark;
SELECT id, note FROM shop_v1.customers ORDER BY id;
:verify
ALTER TABLE g.customers RENAME TO clients;
:verify
ALTER TABLE g.clients RENAME TO customers;
ALTER TABLE g.orders ALTER COLUMN status SET DEFAULT 'new';
:verify
UPDATE g.orders SET status = 'new' WHERE status IS NULL;
ALTER TABLE g.orders ALTER COLUMN status SET NOT NULL;
:verify
COMMENT ON COLUMN g.customers.email IS 'Contact address';
:verify
DROP VIEW g.order_totals;
:verify
CREATE OR REPLACE FUNCTION g.net(numeric) RETURNS numeric LANGUAGE sql IMMUTABLE
    AS 'SELECT round($1 / 1.19, 2)';
:verify
ALTER FUNCTION g.net(numeric) RENAME TO net_amount;
:verify
ALTER TABLE g.unrelated DROP COLUMN x;
:verify
DROP TABLE g.unrelated;
:verify
ALTER TYPE g.tier OWNER TO regress_g_other;
:verify
COMMENT ON TYPE g.pair IS 'two ids';
:verify
ALTER DOMAIN g.money_eur ADD CONSTRAINT below_a_million CHECK (VALUE < 1000000);
:verify
GRANT SELECT ON shop_v2.customers TO regress_g_consumer;
:verify
GRANT USAGE ON SCHEMA shop_v2 TO regress_g_consumer;
:verify
ALTER TABLE g.customers SET (fillfactor = 90);
:verify
ALTER TABLE g.customers ALTER COLUMN email SET STATISTICS 200;
:verify
ALTER TABLE g.orders DROP CONSTRAINT orders_pkey;
:verify
REVOKE SELECT ON g.customers FROM regress_g_consumer;
:verify
CREATE SCHEMA g3;
ALTER TABLE g.new_table SET SCHEMA g3;
:verify
ALTER TABLE g.customers SET SCHEMA g3;
SELECT count(*) FROM shop_v1.customers;
:verify
ALTER TABLE g3.customers SET SCHEMA g;
:verify
ALTER TABLE g.customers_v2 RENAME TO customers_next;
:verify
CREATE TRIGGER audit AFTER UPDATE ON g.customers FOR EACH ROW EXECUTE FUNCTION g.trg();
:verify
DROP SCHEMA g3 CASCADE;
:verify

--
-- The emergency switch: superusers only, logged, and then changes pass
--
SET ROLE regress_g_owner;
SET dataproduct.guard = off;
RESET ROLE;
SET dataproduct.guard = off;
COMMENT ON VIEW shop_v1.customers IS 'changed in an emergency';
RESET dataproduct.guard;
SELECT obj_description('shop_v1.customers'::regclass, 'pg_class');
:verify

-- clean up, with the switch off
SET dataproduct.guard = off;
DROP SCHEMA shop_v1, shop_v2, parts_v1 CASCADE;
DROP SCHEMA g, g2, gt CASCADE;
RESET dataproduct.guard;
DROP OWNED BY regress_g_owner, regress_g_other, regress_g_consumer;
DROP ROLE regress_g_owner, regress_g_other, regress_g_consumer;
