--
-- The compatibility policy: every breaking change refused in a minor or
-- patch release, every compatible change accepted, and diff() and
-- next_version() agreeing with publish()
--
\set SHOW_CONTEXT never
CREATE SCHEMA compat;
CREATE TABLE compat.items (
    id    integer PRIMARY KEY,
    name  text NOT NULL,
    price numeric(8,2),
    tag   varchar(10),
    qty   integer
);
INSERT INTO compat.items VALUES (1, 'bolt', 0.10, 'metal', 100), (2, 'nut', 0.05, NULL, 50);
CREATE VIEW compat.cheap AS SELECT id, name FROM compat.items WHERE price < 1;
-- candidates for the next release are built in schema "next"; the output
-- takes the relation's name, so next.items competes with compat.items
CREATE SCHEMA next;
GRANT USAGE ON SCHEMA compat, next TO regress_dp_owner;
GRANT SELECT ON ALL TABLES IN SCHEMA compat TO regress_dp_owner;
ALTER DEFAULT PRIVILEGES IN SCHEMA next GRANT SELECT ON TABLES TO regress_dp_owner;
SELECT dataproduct.create_product('items', 'commerce');
SELECT dataproduct.publish('items', '1.0.0', '{compat.items,compat.cheap}');

--
-- Breaking changes: each refused as 1.1.0 and shown by diff() as major,
-- with next_version() naming 2.0.0
--

-- 1. a column removed
CREATE VIEW next.items AS SELECT id, name, price, tag FROM compat.items;
SELECT dataproduct.publish('items', '1.1.0', '{next.items,compat.cheap}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM dataproduct.diff('items', '{next.items,compat.cheap}');
SELECT dataproduct.next_version('items', '{next.items,compat.cheap}');
DROP VIEW next.items;

-- 2. a column renamed
CREATE VIEW next.items AS SELECT id, name, price, tag, qty AS quantity FROM compat.items;
SELECT dataproduct.publish('items', '1.1.0', '{next.items,compat.cheap}');
SELECT * FROM dataproduct.diff('items', '{next.items,compat.cheap}');
DROP VIEW next.items;

-- 3. a type changed: integer to bigint, a widening
CREATE VIEW next.items AS SELECT id::bigint AS id, name, price, tag, qty FROM compat.items;
SELECT dataproduct.publish('items', '1.1.0', '{next.items,compat.cheap}');
DROP VIEW next.items;

-- 4. a typmod widened: varchar(10) to varchar(20)
CREATE VIEW next.items AS SELECT id, name, price, tag::varchar(20) AS tag, qty FROM compat.items;
SELECT dataproduct.publish('items', '1.1.0', '{next.items,compat.cheap}');
DROP VIEW next.items;

-- 5. numeric precision changed: numeric(8,2) to numeric(10,2)
CREATE VIEW next.items AS SELECT id, name, price::numeric(10,2) AS price, tag, qty FROM compat.items;
SELECT dataproduct.publish('items', '1.1.0', '{next.items,compat.cheap}');
DROP VIEW next.items;

-- 6. typmod dropped: numeric(8,2) to numeric
CREATE VIEW next.items AS SELECT id, name, price::numeric AS price, tag, qty FROM compat.items;
SELECT dataproduct.publish('items', '1.1.0', '{next.items,compat.cheap}');
DROP VIEW next.items;

-- 7. another type altogether: text to varchar
CREATE VIEW next.items AS SELECT id, name::varchar AS name, price, tag, qty FROM compat.items;
SELECT dataproduct.publish('items', '1.1.0', '{next.items,compat.cheap}');
DROP VIEW next.items;

-- 8. a NOT NULL promise dropped: an expression is no longer a NOT NULL column
CREATE VIEW next.items AS SELECT id, nullif(name, '') AS name, price, tag, qty FROM compat.items;
SELECT dataproduct.publish('items', '1.1.0', '{next.items,compat.cheap}');
SELECT * FROM dataproduct.diff('items', '{next.items,compat.cheap}');
DROP VIEW next.items;

-- 9. a NOT NULL promise dropped: the column is now on the nullable side of an outer join
CREATE TABLE compat.colors (item_id int, color text);
CREATE VIEW next.items AS
SELECT i.id, i.name, i.price, i.tag, i.qty, c.color
  FROM compat.colors c RIGHT JOIN compat.items i ON i.id = c.item_id;
SELECT dataproduct.publish('items', '1.1.0', '{next.items,compat.cheap}');
DROP VIEW next.items;

-- 10. column order changed
CREATE VIEW next.items AS SELECT id, price, name, tag, qty FROM compat.items;
SELECT dataproduct.publish('items', '1.1.0', '{next.items,compat.cheap}');
DROP VIEW next.items;

-- 11. a new column inserted in the middle moves the ones after it
CREATE VIEW next.items AS SELECT id, name, 0 AS rank, price, tag, qty FROM compat.items;
SELECT dataproduct.publish('items', '1.1.0', '{next.items,compat.cheap}');
SELECT * FROM dataproduct.diff('items', '{next.items,compat.cheap}');
DROP VIEW next.items;

-- 12. an output removed
SELECT dataproduct.publish('items', '1.1.0', '{compat.items}');
SELECT * FROM dataproduct.diff('items', '{compat.items}');
SELECT dataproduct.next_version('items', '{compat.items}');

-- 13. a whole-row type change: a column of a composite type loses a field
CREATE TYPE compat.dims AS (w int, h int);
CREATE TYPE compat.dims2 AS (w int);
ALTER TABLE compat.items ADD COLUMN size compat.dims;
SELECT dataproduct.publish('items', '1.1.0', '{compat.items,compat.cheap}');
CREATE VIEW next.items AS
SELECT id, name, price, tag, qty, ROW((size).w)::compat.dims2 AS size FROM compat.items;
SELECT dataproduct.publish('items', '1.2.0', '{next.items,compat.cheap}');
DROP VIEW next.items;

-- 14. several breaking changes at once: all of them are listed
CREATE VIEW next.items AS SELECT id::bigint AS id, price, tag AS label FROM compat.items;
SELECT dataproduct.publish('items', '1.2.0', '{next.items}');
DROP VIEW next.items;

-- a breaking change refused as a patch release too
CREATE VIEW next.items AS SELECT id, name, price, tag FROM compat.items;
SELECT dataproduct.publish('items', '1.1.1', '{next.items,compat.cheap}');
DROP VIEW next.items;

-- every earlier release of the major counts: a column added in 1.1.0
-- cannot go away in 1.2.0 although 1.0.0 did not have it
CREATE VIEW next.items AS SELECT id, name, price, tag, qty FROM compat.items;
SELECT dataproduct.publish('items', '1.2.0', '{next.items,compat.cheap}');
DROP VIEW next.items;

-- nothing of the refused releases was kept
SELECT version FROM dataproduct.versions WHERE product = 'items' ORDER BY 1;
\d items_v1.items

--
-- Compatible changes
--

-- a minor change cannot be a patch release
ALTER TABLE compat.items ADD COLUMN weight real;
SELECT dataproduct.publish('items', '1.1.1', '{compat.items,compat.cheap}');
\echo :LAST_ERROR_SQLSTATE
SELECT dataproduct.next_version('items', '{compat.items,compat.cheap}');

-- a. a new column at the end: minor
SELECT * FROM dataproduct.diff('items', '{compat.items,compat.cheap}');
SELECT dataproduct.publish('items', '1.2.0', '{compat.items,compat.cheap}');

-- b. a new NOT NULL promise: minor
UPDATE compat.items SET qty = 0 WHERE qty IS NULL;
ALTER TABLE compat.items ALTER COLUMN qty SET NOT NULL;
SELECT * FROM dataproduct.diff('items', '{compat.items,compat.cheap}');
SELECT dataproduct.next_version('items', '{compat.items,compat.cheap}');
SELECT dataproduct.publish('items', '1.3.0', '{compat.items,compat.cheap}');

-- c. a new output: minor
CREATE TABLE compat.suppliers (id int PRIMARY KEY, name text);
GRANT SELECT ON compat.suppliers TO regress_dp_owner;
SELECT * FROM dataproduct.diff('items', '{compat.items,compat.cheap,compat.suppliers}');
SELECT dataproduct.publish('items', '1.4.0', '{compat.items,compat.cheap,compat.suppliers}');

-- d. the same columns from a changed query: patch
CREATE OR REPLACE VIEW compat.cheap AS SELECT id, name FROM compat.items WHERE price < 2;
SELECT * FROM dataproduct.diff('items', '{compat.items,compat.cheap,compat.suppliers}');
SELECT dataproduct.next_version('items', '{compat.items,compat.cheap,compat.suppliers}');
SELECT dataproduct.publish('items', '1.4.1', '{compat.items,compat.cheap,compat.suppliers}');
SELECT pg_get_viewdef('items_v1.cheap'::regclass);

-- e. comments changed: patch
COMMENT ON COLUMN compat.items.price IS 'Unit price in EUR';
COMMENT ON TABLE compat.suppliers IS 'Who we buy from';
SELECT * FROM dataproduct.diff('items', '{compat.items,compat.cheap,compat.suppliers}');
SELECT dataproduct.publish('items', '1.4.2', '{compat.items,compat.cheap,compat.suppliers}');
\d+ items_v1.items

-- f. the same output read from another relation with the same columns: patch
CREATE VIEW next.suppliers AS SELECT id, name FROM compat.suppliers;
COMMENT ON VIEW next.suppliers IS 'Who we buy from';
SELECT * FROM dataproduct.diff('items', '{compat.items,compat.cheap,next.suppliers}');
SELECT dataproduct.publish('items', '1.4.3', '{compat.items,compat.cheap,next.suppliers}');

-- g. nothing changed at all: a patch release is allowed, a diff is empty
SELECT * FROM dataproduct.diff('items', '{compat.items,compat.cheap,next.suppliers}');
SELECT dataproduct.next_version('items', '{compat.items,compat.cheap,next.suppliers}');
SELECT dataproduct.publish('items', '1.4.4', '{compat.items,compat.cheap,next.suppliers}');

-- h. a minor release may carry only patch changes
SELECT dataproduct.publish('items', '1.5.0', '{compat.items,compat.cheap,next.suppliers}');

-- i. a base column renamed: the published view keeps its output name
ALTER TABLE compat.items RENAME COLUMN tag TO label;
SELECT id, tag FROM items_v1.items ORDER BY id;
SELECT * FROM dataproduct.diff('items', '{compat.items,compat.cheap,next.suppliers}');

-- a breaking change is a new major: 2.0.0 gets its own schema
CREATE VIEW next.items AS SELECT id::bigint AS id, name, price FROM compat.items;
SELECT dataproduct.next_version('items', '{next.items}');
SELECT dataproduct.publish('items', '2.0.0', '{next.items}');
SELECT * FROM items_v2.items ORDER BY id;
-- a built-in cast of a NOT NULL column keeps the promise
SELECT column_name, type, not_null FROM dataproduct.contract_columns
 WHERE product = 'items' AND version = '2.0.0' ORDER BY position;
SELECT id, name, price, tag, qty FROM items_v1.items ORDER BY id;

-- version 1 keeps taking compatible releases of its own; its breaking
-- changes now point past the latest major
SELECT dataproduct.publish('items', '1.6.0', '{compat.items}');
CREATE SCHEMA next2;
CREATE VIEW next2.items AS
SELECT id, name, price, label AS tag, qty, size, weight FROM compat.items;
GRANT USAGE ON SCHEMA next2 TO regress_dp_owner;
GRANT SELECT ON next2.items TO regress_dp_owner;
SELECT dataproduct.publish('items', '1.6.0', '{next2.items,compat.cheap,next.suppliers}');
SELECT product, version, schema FROM dataproduct.catalog WHERE product = 'items'
 ORDER BY schema;

--
-- diff() between published releases
--
SELECT * FROM dataproduct.diff('items', '1.0.0', '1.4.0');
SELECT * FROM dataproduct.diff('items', '1.4.0', '1.4.3');
SELECT * FROM dataproduct.diff('items', '1.5.0', '2.0.0');
SELECT * FROM dataproduct.diff('items', '2.0.0', '2.0.0');
SELECT * FROM dataproduct.diff('items', '1.0.0', '1.9.9');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM dataproduct.diff('no_such_product', '1.0.0', '1.1.0');
SELECT * FROM dataproduct.diff('no_such_product', '{compat.items}');
SELECT dataproduct.next_version('no_such_product', '{compat.items}');

-- a product with no release yet: everything is new, and 1.0.0 comes next
SELECT dataproduct.create_product('fresh', 'commerce');
SELECT * FROM dataproduct.diff('fresh', '{compat.items}');
SELECT dataproduct.next_version('fresh', '{compat.items}');

--
-- A view's security properties are part of its contract
--
CREATE TABLE compat.secrets (id int PRIMARY KEY, holder text NOT NULL, secret text);
INSERT INTO compat.secrets VALUES (1, 'alice', 'a'), (2, 'bob', 'b');
GRANT SELECT ON compat.secrets TO regress_dp_owner;
CREATE VIEW next.vault WITH (security_barrier) AS
SELECT id, holder FROM compat.secrets WHERE id > 1;
SELECT dataproduct.create_product('vault', 'commerce');
SELECT dataproduct.publish('vault', '1.0.0', '{next.vault}');
SELECT reloptions FROM pg_class WHERE oid = 'vault_v1.vault'::regclass;
SELECT o.name, o.security_barrier, o.security_invoker
  FROM dataproduct.release_output o JOIN dataproduct.release r USING (release_id)
 WHERE r.product = 'vault';
-- the same view without its barrier would let readers' leaky functions see
-- the rows it filters out: not a patch, not a minor release
ALTER VIEW next.vault RESET (security_barrier);
SELECT dataproduct.publish('vault', '1.0.1', '{next.vault}');
\echo :LAST_ERROR_SQLSTATE
SELECT dataproduct.publish('vault', '1.1.0', '{next.vault}');
SELECT * FROM dataproduct.diff('vault', '{next.vault}');
SELECT dataproduct.next_version('vault', '{next.vault}');
SELECT reloptions FROM pg_class WHERE oid = 'vault_v1.vault'::regclass;
-- a barrier added is a minor change: more protection, the same rows
SELECT dataproduct.publish('vault', '2.0.0', '{next.vault}');
SELECT reloptions FROM pg_class WHERE oid = 'vault_v2.vault'::regclass;
ALTER VIEW next.vault SET (security_barrier);
SELECT * FROM dataproduct.diff('vault', '{next.vault}');
SELECT dataproduct.next_version('vault', '{next.vault}');
SELECT dataproduct.publish('vault', '2.0.1', '{next.vault}');
SELECT dataproduct.publish('vault', '2.1.0', '{next.vault}');
SELECT reloptions FROM pg_class WHERE oid = 'vault_v2.vault'::regclass;
-- switching security_invoker changes whose privileges read the sources,
-- either way: major
ALTER VIEW next.vault SET (security_invoker);
SELECT * FROM dataproduct.diff('vault', '{next.vault}');
SELECT dataproduct.publish('vault', '2.2.0', '{next.vault}');
SELECT dataproduct.publish('vault', '3.0.0', '{next.vault}');
ALTER VIEW next.vault RESET (security_invoker);
SELECT dataproduct.publish('vault', '3.0.1', '{next.vault}');
SELECT * FROM dataproduct.diff('vault', '2.1.0', '3.0.0');
SELECT * FROM dataproduct.diff('vault', '1.0.0', '2.0.0');
-- a release replacing a view states its options: an identical patch keeps
-- them, although CREATE OR REPLACE VIEW resets what it is not given
ALTER VIEW next.vault SET (security_invoker);
SELECT dataproduct.publish('vault', '3.0.1', '{next.vault}');
SELECT reloptions FROM pg_class WHERE oid = 'vault_v3.vault'::regclass;
ALTER VIEW next.vault RESET (security_barrier);
ALTER VIEW next.vault RESET (security_invoker);
SELECT dataproduct.publish('vault', '2.1.1', '{next.vault}');
SELECT reloptions FROM pg_class WHERE oid = 'vault_v2.vault'::regclass;

--
-- Version numbers never wrap around: past the largest part there is no
-- next version (22003)
--
CREATE TABLE compat.big (id int);
GRANT SELECT ON compat.big TO regress_dp_owner;
SELECT dataproduct.create_product('big', 'commerce');
SELECT dataproduct.publish('big', '1.2147483647.0', '{compat.big}');
SELECT dataproduct.next_version('big', '{compat.big}');
ALTER TABLE compat.big ADD COLUMN extra int;
SELECT dataproduct.next_version('big', '{compat.big}');
\echo :LAST_ERROR_SQLSTATE
SELECT dataproduct.publish('big', '2.0.2147483647', '{compat.big}');
SELECT dataproduct.next_version('big', '{compat.big}');
\echo :LAST_ERROR_SQLSTATE
SELECT dataproduct.publish('big', '2147483647.0.0', '{compat.big}');
CREATE VIEW next.big AS SELECT id FROM compat.big;
GRANT SELECT ON next.big TO regress_dp_owner;
SELECT dataproduct.next_version('big', '{next.big}');
\echo :LAST_ERROR_SQLSTATE
SELECT version, schema FROM dataproduct.versions WHERE product = 'big'
 ORDER BY major, minor, patch;

--
-- A wide product: each breaking change is listed once, however many
-- releases of the major it breaks
--
DO $$
BEGIN
    EXECUTE (SELECT format('CREATE TABLE compat.wide (%s)',
                           string_agg(format('c%s integer', g), ', ' ORDER BY g))
               FROM generate_series(1, 200) g);
END
$$;
GRANT SELECT ON compat.wide TO regress_dp_owner;
SELECT dataproduct.create_product('wide', 'commerce');
SELECT dataproduct.publish('wide', '1.0.0', '{compat.wide}');
ALTER TABLE compat.wide ADD COLUMN c201 integer;
SELECT dataproduct.publish('wide', '1.1.0', '{compat.wide}');
ALTER TABLE compat.wide ADD COLUMN c202 integer;
SELECT dataproduct.publish('wide', '1.2.0', '{compat.wide}');
DO $$
BEGIN
    EXECUTE (SELECT format('CREATE VIEW next.wide AS SELECT %s FROM compat.wide',
                           string_agg(format('c%s::bigint AS c%s', g, g), ', ' ORDER BY g))
               FROM generate_series(1, 202) g);
END
$$;
GRANT SELECT ON next.wide TO regress_dp_owner;
SELECT dataproduct.next_version('wide', '{next.wide}');
SELECT change, impact, count(*) FROM dataproduct.diff('wide', '{next.wide}')
 GROUP BY 1, 2;
DO $$
DECLARE
    detail text;
    lines text[];
BEGIN
    PERFORM dataproduct.publish('wide', '1.3.0', '{next.wide}');
EXCEPTION WHEN invalid_parameter_value THEN
    GET STACKED DIAGNOSTICS detail = PG_EXCEPTION_DETAIL;
    lines := (string_to_array(detail, E'\n'))[2:];
    RAISE NOTICE '% breaking changes listed, % distinct, first %, last %',
        cardinality(lines), (SELECT count(DISTINCT l) FROM unnest(lines) l),
        lines[1], lines[cardinality(lines)];
END
$$;
