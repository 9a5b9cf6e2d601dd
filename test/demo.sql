-- The dataproduct demo: a domain team publishes its orders as a data product,
-- evolves it compatibly, is stopped from breaking its consumers, ships the
-- breaking change as a new major version next to the old one, and another
-- team's database subscribes to it over postgres_fdw.
--
-- Run it with test/demo.sh, which starts a throw-away server.  By hand:
--   psql -X -e -v ON_ERROR_STOP=1 -f test/demo.sql   (in an empty database)

\set ON_ERROR_STOP on
\set VERBOSITY default
\set QUIET on
\pset null '(null)'
\pset pager off
\set QUIET off

\echo
\echo '=== dataproduct demo ==============================================='
\echo

\echo '--- 1. The commerce team, and the internal table it works on'
\echo
CREATE EXTENSION dataproduct;
CREATE ROLE commerce_team NOLOGIN;

CREATE SCHEMA shop;
CREATE TABLE shop.orders (
    id       int PRIMARY KEY,
    customer text NOT NULL,
    amount   numeric(10,2)
);
COMMENT ON COLUMN shop.orders.id IS 'Order number';
COMMENT ON COLUMN shop.orders.customer IS 'Customer who placed the order';
COMMENT ON COLUMN shop.orders.amount IS 'Order total';
INSERT INTO shop.orders VALUES
    (1, 'alice', 19.99),
    (2, 'bob', 5.00),
    (3, 'carol', 120.50);
GRANT USAGE ON SCHEMA shop TO commerce_team;
GRANT SELECT ON shop.orders TO commerce_team;

\echo
\echo '--- 2. A domain owned by the team, and a data product in it'
\echo
SELECT dataproduct.create_domain('commerce', 'commerce_team',
                                 'Orders, carts and payments of the web shop');
SELECT dataproduct.create_product('orders', 'commerce',
                                  'Every order placed in the web shop');

\echo
\echo '--- 3. Publish version 1.0.0: schema orders_v1 gets a frozen view of shop.orders'
\echo
SELECT dataproduct.publish('orders', '1.0.0', ARRAY['shop.orders']::regclass[],
                           notes => 'First release');
SELECT * FROM orders_v1.orders ORDER BY id;

\echo 'The view in orders_v1, with the column comments it carries over:'
\echo '\\d+ orders_v1.orders'
\d+ orders_v1.orders

\echo
\echo '--- 4. The team evolves its table: orders get a currency'
\echo
ALTER TABLE shop.orders ADD COLUMN currency text NOT NULL DEFAULT 'EUR';
COMMENT ON COLUMN shop.orders.currency IS 'ISO 4217 code of the amount''s currency';
INSERT INTO shop.orders VALUES (4, 'dave', 42.00, 'USD');

\echo 'Version 1.0.0 still answers with exactly the columns it promised:'
SELECT * FROM orders_v1.orders ORDER BY id;

\echo 'What publishing shop.orders now would change, and the version it needs:'
SELECT * FROM dataproduct.diff('orders', ARRAY['shop.orders']::regclass[]);
SELECT dataproduct.next_version('orders', ARRAY['shop.orders']::regclass[]);

\echo
\echo '--- 5. Publish 1.1.0: a compatible (minor) release updates orders_v1 in place'
\echo
SELECT dataproduct.publish('orders', '1.1.0', ARRAY['shop.orders']::regclass[],
                           notes => 'Adds the currency of each order');
SELECT * FROM orders_v1.orders ORDER BY id;

\echo
\echo '--- 6. A breaking change: the team reshapes orders for its new API'
\echo '       (bigint ids, amounts up to 10 billion), staged as view shop_next.orders'
\echo
CREATE SCHEMA shop_next;
CREATE VIEW shop_next.orders AS
SELECT id::bigint AS id, customer, amount::numeric(12,2) AS amount, currency
  FROM shop.orders;
COMMENT ON COLUMN shop_next.orders.id IS 'Order number';
COMMENT ON COLUMN shop_next.orders.customer IS 'Customer who placed the order';
COMMENT ON COLUMN shop_next.orders.amount IS 'Order total';
COMMENT ON COLUMN shop_next.orders.currency IS 'ISO 4217 code of the amount''s currency';
GRANT USAGE ON SCHEMA shop_next TO commerce_team;
GRANT SELECT ON shop_next.orders TO commerce_team;

SELECT * FROM dataproduct.diff('orders', ARRAY['shop_next.orders']::regclass[]);
SELECT dataproduct.next_version('orders', ARRAY['shop_next.orders']::regclass[]);

\echo 'Publishing it as minor version 1.2.0 is refused, because consumers of'
\echo 'orders_v1 rely on the old types (this error is expected):'
\echo
\set ON_ERROR_STOP off
SELECT dataproduct.publish('orders', '1.2.0', ARRAY['shop_next.orders']::regclass[]);
\set ON_ERROR_STOP on
\if :ERROR
\echo
\echo '... refused, as it should be; orders_v1 is unchanged.'
\else
DO $$ BEGIN RAISE EXCEPTION 'demo failed: a breaking change was published as 1.2.0'; END $$;
\endif

\echo
\echo '--- 7. The breaking change as major version 2.0.0: a new schema, orders_v2,'
\echo '       while orders_v1 keeps serving its consumers'
\echo
SELECT dataproduct.publish('orders', '2.0.0', ARRAY['shop_next.orders']::regclass[],
                           notes => 'bigint ids and numeric(12,2) amounts');

SELECT * FROM orders_v1.orders ORDER BY id;
SELECT * FROM orders_v2.orders ORDER BY id;

\echo 'Same rows, two contracts:'
SELECT schema, column_name, type, not_null
  FROM dataproduct.contract_columns
 WHERE version IN ('1.1.0', '2.0.0') AND output = 'orders'
 ORDER BY schema, position;

\echo
\echo '--- 8. The catalog: what is published, in which versions, promising what'
\echo
\set QUIET on
\x on
\set QUIET off
SELECT * FROM dataproduct.catalog ORDER BY product, schema;
\set QUIET on
\x off
\set QUIET off
SELECT product, version, schema, status, published_by, notes, outputs
  FROM dataproduct.versions
 ORDER BY product, major, minor, patch;
SELECT * FROM dataproduct.contract_columns
 ORDER BY product, version, output, position;

\echo
\echo '--- 9. The guard: DDL that would break a live version fails, in any session'
\echo
\echo 'Dropping the NOT NULL that orders_v1 promises for customer (expected to fail):'
\set ON_ERROR_STOP off
ALTER TABLE shop.orders ALTER COLUMN customer DROP NOT NULL;
\set ON_ERROR_STOP on
\if :ERROR
\else
DO $$ BEGIN RAISE EXCEPTION 'demo failed: the guard let a breaking ALTER through'; END $$;
\endif
\echo 'Dropping the table both versions read (expected to fail):'
\set ON_ERROR_STOP off
DROP TABLE shop.orders CASCADE;
\set ON_ERROR_STOP on
\if :ERROR
\else
DO $$ BEGIN RAISE EXCEPTION 'demo failed: the guard let DROP TABLE CASCADE through'; END $$;
\endif
\echo 'Compatible changes pass untouched:'
ALTER TABLE shop.orders ADD COLUMN shipped_at timestamptz;
CREATE INDEX ON shop.orders (customer);
SELECT count(*) AS still_answering FROM orders_v1.orders;

\echo
\echo '--- 10. Sharing across domains: the analytics team subscribes from its own'
\echo '        database, over postgres_fdw, with a password, as a non-superuser'
\echo
\set QUIET on
SELECT current_database() AS shop_db, current_setting('port') AS shop_port \gset
\set QUIET off
-- the producer creates a login role for the analytics team and grants it
-- major version 1: USAGE on orders_v1 and SELECT on its views, nothing else
CREATE ROLE analytics_reader LOGIN PASSWORD 'demo-only-secret';
SELECT dataproduct.grant_access('orders', 1, 'analytics_reader');

CREATE DATABASE analytics;
CREATE ROLE analyst NOLOGIN;
\c analytics
CREATE EXTENSION postgres_fdw;
CREATE EXTENSION dataproduct;
GRANT USAGE ON FOREIGN DATA WRAPPER postgres_fdw TO analyst;
GRANT CREATE ON DATABASE analytics TO analyst;

\echo 'From here on, the analyst (not a superuser) works in database analytics:'
SET ROLE analyst;
CREATE SERVER shop FOREIGN DATA WRAPPER postgres_fdw
    OPTIONS (host '127.0.0.1', port :'shop_port', dbname :'shop_db');
CREATE USER MAPPING FOR analyst SERVER shop
    OPTIONS (user 'analytics_reader', password 'demo-only-secret');

SELECT product, version, schema, status, outputs, consumers
  FROM dataproduct.remote_catalog('shop');
SELECT dataproduct.subscribe('shop', 'orders', 1);
SELECT * FROM orders_v1.orders ORDER BY id;

\echo 'Filters and aggregates run on the producer (see Remote SQL):'
EXPLAIN (VERBOSE, COSTS OFF)
SELECT currency, count(*), sum(amount) FROM orders_v1.orders
 WHERE amount > 10 GROUP BY currency;

\echo 'Major version 2 was not granted to analytics_reader (expected to fail):'
\set ON_ERROR_STOP off
SELECT dataproduct.subscribe('shop', 'orders', 2);
\set ON_ERROR_STOP on
\if :ERROR
\else
DO $$ BEGIN RAISE EXCEPTION 'demo failed: a major version was subscribed without access'; END $$;
\endif
RESET ROLE;

\echo
\echo 'The producer knows who consumes what:'
\c :shop_db
SELECT product, major, version, consumer_database, consumer_role, connected_as
  FROM dataproduct.consumers;
SELECT product, version, schema, consumers FROM dataproduct.catalog ORDER BY schema;

\echo 'The team adds a column and releases 1.2.0; the analyst refreshes:'
ALTER TABLE shop.orders ADD COLUMN channel text NOT NULL DEFAULT 'web';
SELECT dataproduct.publish('orders', '1.2.0', ARRAY['shop.orders']::regclass[],
                           notes => 'Adds the sales channel');
\c analytics
SET ROLE analyst;
SELECT dataproduct.refresh('shop', 'orders', 1);
SELECT * FROM orders_v1.orders ORDER BY id;
SELECT server, product, major, version, schema, outputs FROM dataproduct.subscriptions;

\echo 'Unsubscribing drops the foreign tables and tells the producer:'
SELECT dataproduct.unsubscribe('shop', 'orders', 1);
RESET ROLE;
\c :shop_db
SELECT count(*) AS consumers_left FROM dataproduct.consumers;
DROP DATABASE analytics;

\echo
\echo '=== end of the demo ================================================'
