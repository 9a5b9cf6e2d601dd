--
-- publish(): frozen copies of tables, views, materialized views and foreign
-- tables in a schema per major version
--
\set SHOW_CONTEXT never
CREATE SCHEMA shop;
CREATE TABLE shop.orders (
    id       integer PRIMARY KEY,
    customer text NOT NULL,
    amount   numeric(10,2),
    note     varchar(20)
);
COMMENT ON TABLE shop.orders IS 'Orders placed in the web shop';
COMMENT ON COLUMN shop.orders.amount IS 'Order total in EUR';
INSERT INTO shop.orders
SELECT g, 'customer ' || g, g * 10.5, CASE WHEN g % 2 = 0 THEN 'gift' END
  FROM generate_series(1, 5) g;
-- a view, a materialized view and a foreign table as sources
CREATE VIEW shop.big_orders AS
SELECT o.id, o.customer, o.amount * 1.2 AS gross
  FROM shop.orders o WHERE o.amount > 20;
CREATE MATERIALIZED VIEW shop.daily AS
SELECT count(*)::int AS orders, sum(amount) AS total FROM shop.orders;
CREATE EXTENSION postgres_fdw;
CREATE SERVER elsewhere FOREIGN DATA WRAPPER postgres_fdw
    OPTIONS (dbname 'no_such_database');
CREATE FOREIGN TABLE shop.remote_stock (sku text NOT NULL, quantity int)
    SERVER elsewhere;
GRANT USAGE ON SCHEMA shop TO regress_dp_owner;
GRANT SELECT ON ALL TABLES IN SCHEMA shop TO regress_dp_owner;
CREATE USER MAPPING FOR regress_dp_owner SERVER elsewhere;

SELECT dataproduct.publish('orders', '1.0.0',
    ARRAY['shop.orders', 'shop.big_orders', 'shop.daily', 'shop.remote_stock']::regclass[],
    notes => 'First release');

-- the version schema and its views belong to the domain owner
\dn+ orders_v1
SELECT c.relname, c.relkind, c.relowner::regrole,
       obj_description(c.oid, 'pg_class') AS comment
  FROM pg_class c WHERE c.relnamespace = 'orders_v1'::regnamespace
 ORDER BY 1;
-- frozen copies: a column list of the table, the definition of the view
\d+ orders_v1.orders
\d+ orders_v1.big_orders
SELECT pg_get_viewdef('orders_v1.daily'::regclass);
SELECT pg_get_viewdef('orders_v1.remote_stock'::regclass);
SELECT * FROM orders_v1.orders ORDER BY id;
SELECT * FROM orders_v1.big_orders ORDER BY id;
SELECT * FROM orders_v1.daily;

-- the catalog
SELECT product, domain, owner, version, schema, status, sunset, outputs
  FROM dataproduct.catalog WHERE product = 'orders';
SELECT product, version, major, minor, patch, schema, status,
       published_by = current_user AS by_me, notes, outputs
  FROM dataproduct.versions WHERE product = 'orders';
SELECT * FROM dataproduct.contract_columns WHERE product = 'orders'
 ORDER BY output, position;
SELECT name, source, source_kind, definition, description
  FROM dataproduct.release_output
 WHERE release_id IN (SELECT release_id FROM dataproduct.release
                       WHERE product = 'orders')
 ORDER BY release_id, name;

-- the views depend on their sources like any view
DROP TABLE shop.orders;

-- the base table evolves; the published view does not follow by itself
ALTER TABLE shop.orders ADD COLUMN currency char(3) NOT NULL DEFAULT 'EUR';
SELECT * FROM orders_v1.orders WHERE id = 1;

-- a minor release replaces the views in place, keeping the schema
SELECT dataproduct.publish('orders', '1.1.0',
    ARRAY['shop.orders', 'shop.big_orders', 'shop.daily', 'shop.remote_stock']::regclass[]);
SELECT * FROM orders_v1.orders WHERE id = 1;
\dn+ orders_v1
SELECT obj_description('orders_v1.orders'::regclass, 'pg_class');

-- a new major creates a new schema; the old one keeps serving unchanged
ALTER TABLE shop.orders ADD COLUMN amount_cents bigint;
UPDATE shop.orders SET amount_cents = amount * 100;
CREATE VIEW shop.orders_v2_source AS
SELECT id, customer, amount_cents, currency FROM shop.orders;
-- the view's name is the output's name, so a new major reads it under
-- the name the consumers know
CREATE SCHEMA shop2;
CREATE VIEW shop2.orders AS SELECT * FROM shop.orders_v2_source;
GRANT USAGE ON SCHEMA shop2 TO regress_dp_owner;
GRANT SELECT ON shop2.orders, shop.orders_v2_source TO regress_dp_owner;
SELECT dataproduct.publish('orders', '2.0.0', ARRAY['shop2.orders']::regclass[]);
SELECT * FROM orders_v1.orders WHERE id = 2;
SELECT * FROM orders_v2.orders WHERE id = 2;
SELECT product, version, schema, outputs FROM dataproduct.catalog
 WHERE product = 'orders' ORDER BY schema;

-- failures: wrong outputs
SELECT dataproduct.publish('orders', '2.1.0', '{}');
\echo :LAST_ERROR_SQLSTATE
SELECT dataproduct.publish('orders', '2.1.0', ARRAY[NULL]::regclass[]);
\echo :LAST_ERROR_SQLSTATE
SELECT dataproduct.publish('orders', '2.1.0', ARRAY['shop2.orders', 'shop2.orders']::regclass[]);
\echo :LAST_ERROR_SQLSTATE
SELECT dataproduct.publish('orders', '2.1.0', ARRAY['shop2.orders', 'shop.orders']::regclass[]);
SELECT dataproduct.publish('orders', '2.1.0', ARRAY['shop.orders_pkey']::regclass[]);
\echo :LAST_ERROR_SQLSTATE
CREATE SEQUENCE shop.seq;
SELECT dataproduct.publish('orders', '2.1.0', ARRAY['shop.seq']::regclass[]);
CREATE TEMP TABLE scratch (id int);
SELECT dataproduct.publish('orders', '2.1.0', ARRAY['scratch']::regclass[]);
SELECT dataproduct.publish('orders', '2.1.0', ARRAY['orders_v1.orders']::regclass[]);
CREATE TABLE shop.empty ();
SELECT dataproduct.publish('orders', '2.1.0', ARRAY['shop.empty']::regclass[]);
SELECT dataproduct.publish('orders', '2.1.0', ARRAY['shop.no_such_table']::regclass[]);
SELECT dataproduct.publish('orders', '2.1.0', ARRAY[12345]::regclass[]);
SELECT dataproduct.publish('orders', '2.1.0', ARRAY[['shop2.orders']]::regclass[]);
SELECT dataproduct.publish('orders', '2.1.0', NULL);
-- system relations change with PostgreSQL versions, the extension's with
-- its versions: no contract can promise them
SELECT dataproduct.publish('orders', '2.1.0', ARRAY['pg_catalog.pg_class']::regclass[]);
\echo :LAST_ERROR_SQLSTATE
SELECT dataproduct.publish('orders', '2.1.0', ARRAY['pg_catalog.pg_roles']::regclass[]);
SELECT dataproduct.publish('orders', '2.1.0', ARRAY['information_schema.tables']::regclass[]);
SELECT dataproduct.publish('orders', '2.1.0', ARRAY['pg_toast.pg_toast_1262']::regclass[]);
SELECT dataproduct.publish('orders', '2.1.0', ARRAY['dataproduct.versions']::regclass[]);
-- a temporary view, like a temporary table
CREATE TEMP VIEW scratch_view AS SELECT 1 AS one;
SELECT dataproduct.publish('orders', '2.1.0', ARRAY['scratch_view']::regclass[]);
-- unknown product
SELECT dataproduct.publish('no_such_product', '1.0.0', ARRAY['shop.orders']::regclass[]);
\echo :LAST_ERROR_SQLSTATE
-- the schema a new major needs is taken
SELECT dataproduct.create_product('stock', 'commerce');
CREATE SCHEMA stock_v1;
SELECT dataproduct.publish('stock', '1.0.0', ARRAY['shop.remote_stock']::regclass[]);
\echo :LAST_ERROR_SQLSTATE
-- none of these left anything behind (stock_v1 is the user's own schema)
SELECT count(*) FROM dataproduct.versions WHERE product IN ('orders', 'stock');
SELECT nspname FROM pg_namespace WHERE nspname LIKE 'orders_v%' OR nspname LIKE 'stock_v%'
 ORDER BY 1;

-- a publish rolled back leaves nothing either
DROP SCHEMA stock_v1;
BEGIN;
SELECT dataproduct.publish('stock', '1.0.0', ARRAY['shop.remote_stock']::regclass[]);
ROLLBACK;
SELECT to_regnamespace('stock_v1'), count(*) FROM dataproduct.versions WHERE product = 'stock';

--
-- NOT NULL is promised only where PostgreSQL enforces it: a foreign table
-- declares it for the remote server, which nothing checks, whether it is
-- read directly, as a partition, as an inheritance child or through views
--
CREATE TABLE shop.parts (sku text NOT NULL, region text NOT NULL)
    PARTITION BY LIST (region);
CREATE TABLE shop.parts_eu PARTITION OF shop.parts FOR VALUES IN ('eu');
CREATE FOREIGN TABLE shop.parts_us PARTITION OF shop.parts FOR VALUES IN ('us')
    SERVER elsewhere;
CREATE TABLE shop.all_parts (sku text NOT NULL);
CREATE FOREIGN TABLE shop.more_parts () INHERITS (shop.all_parts) SERVER elsewhere;
CREATE TABLE shop.plain_parts (sku text NOT NULL);
CREATE VIEW shop.parts_view AS SELECT p.sku AS part_sku FROM shop.parts p;
CREATE VIEW shop.stock_view AS SELECT sku, quantity FROM shop.remote_stock;
CREATE VIEW shop.stock_view2 AS SELECT s.sku FROM shop.stock_view s;
GRANT SELECT ON ALL TABLES IN SCHEMA shop TO regress_dp_owner;
SELECT dataproduct.create_product('fparts', 'commerce');
SELECT dataproduct.publish('fparts', '1.0.0',
    ARRAY['shop.parts', 'shop.parts_view', 'shop.all_parts', 'shop.plain_parts',
          'shop.stock_view2']::regclass[]);
SELECT output, column_name, not_null FROM dataproduct.contract_columns
 WHERE product = 'fparts' ORDER BY output, position;
SELECT column_name, not_null FROM dataproduct.contract_columns
 WHERE product = 'orders' AND output = 'remote_stock' AND version = '1.0.0'
 ORDER BY position;

-- a domain's version schemas and views belong to its owner: a new owner
-- must already own them
SELECT dataproduct.alter_domain('commerce', 'regress_dp_member');
\echo :LAST_ERROR_SQLSTATE
SELECT name, owner FROM dataproduct.domain WHERE name = 'commerce';
