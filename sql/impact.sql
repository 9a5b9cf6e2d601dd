--
-- impact(): who a breaking change would hit; dataproduct.costs: what the
-- live versions read and what reading them costs
--
\set SHOW_CONTEXT never
CREATE SCHEMA imp;
CREATE TABLE imp.parcels (id int PRIMARY KEY, weight numeric(8,1) NOT NULL, note text);
INSERT INTO imp.parcels SELECT g, g * 0.5, 'n' || g FROM generate_series(1, 100) g;
CREATE TABLE imp.depots (name text PRIMARY KEY, city text);
INSERT INTO imp.depots VALUES ('north', 'Lille');
GRANT USAGE ON SCHEMA imp TO regress_dp_owner;
GRANT SELECT ON ALL TABLES IN SCHEMA imp TO regress_dp_owner;
SELECT dataproduct.create_domain('imp', 'regress_dp_owner');
SELECT dataproduct.create_product('imp_parcels', 'imp');
SELECT dataproduct.publish('imp_parcels', '1.0.0', '{imp.parcels,imp.depots}');
SELECT dataproduct.grant_access('imp_parcels', 1, 'regress_dp_consumer');

-- two consumers register, one of them with names made to mislead
SET ROLE regress_dp_consumer;
INSERT INTO dataproduct.consumers (product, major, version, consumer_system,
    consumer_database, consumer_server, consumer_schema, consumer_role)
VALUES ('imp_parcels', 1, '1.0.0', '42', 'analytics', 'sales_srv', 'imp_parcels_v1', 'analyst'),
       ('imp_parcels', 1, '1.0.0', '43', 'x, server y', 'Srv''s "q"', 'S', 'R;ole');
RESET ROLE;

-- what publishing these outputs would change: a column dropped, a type
-- changed, an output removed
CREATE SCHEMA imp_next;
CREATE VIEW imp_next.parcels AS SELECT id, weight::numeric(10,3) AS weight FROM imp.parcels;
GRANT USAGE ON SCHEMA imp_next TO PUBLIC;
GRANT SELECT ON ALL TABLES IN SCHEMA imp_next TO regress_dp_owner;
SELECT output, column_name, change, impact
  FROM dataproduct.diff('imp_parcels', '{imp_next.parcels}');

-- each breaking change, once per registered consumer (a subscription
-- imports every output with all its columns); without usage tracking, a
-- NOTICE says that readers are not known
SELECT output, column_name, change, detail, kind, who, queries, last_read
  FROM dataproduct.impact('imp_parcels', '{imp_next.parcels}');

-- a minor release refused says how many it would break
SELECT dataproduct.publish('imp_parcels', '1.1.0', '{imp_next.parcels}');

-- what breaks nothing hits nobody: no rows
ALTER TABLE imp.parcels ADD COLUMN shipped date;
SELECT * FROM dataproduct.impact('imp_parcels', '{imp.parcels,imp.depots}');
ALTER TABLE imp.parcels DROP COLUMN shipped;

-- a breaking change of a major nobody registered for is listed with no party
SELECT dataproduct.create_product('imp_lonely', 'imp');
SELECT dataproduct.publish('imp_lonely', '1.0.0', '{imp.depots}');
CREATE VIEW imp_next.depots AS SELECT name FROM imp.depots;
GRANT SELECT ON imp_next.depots TO regress_dp_owner;
SELECT output, column_name, change, kind, who
  FROM dataproduct.impact('imp_lonely', '{imp_next.depots}');
SELECT dataproduct.publish('imp_lonely', '1.1.0', '{imp_next.depots}');

-- the latest live major is the one compared: a new major has its own
-- consumers (none yet)
SELECT dataproduct.publish('imp_parcels', '2.0.0', '{imp_next.parcels}');
SELECT output, column_name, change, kind, who
  FROM dataproduct.impact('imp_parcels', '{imp.parcels}');

-- a product never published has nobody to hit
SELECT dataproduct.create_product('imp_draft', 'imp');
SELECT * FROM dataproduct.impact('imp_draft', '{imp.parcels}');

-- hostile names are data, quoted where they are shown
CREATE SCHEMA "imp ""odd""";
CREATE TABLE "imp ""odd"""."Par;cels" ("no""te" text, id int);
GRANT USAGE ON SCHEMA "imp ""odd""" TO regress_dp_owner;
GRANT SELECT ON ALL TABLES IN SCHEMA "imp ""odd""" TO regress_dp_owner;
SELECT dataproduct.create_product('imp"; DROP TABLE imp.parcels; --', 'imp');
SELECT dataproduct.publish('imp"; DROP TABLE imp.parcels; --', '1.0.0',
    '{"\"imp \"\"odd\"\"\".\"Par;cels\""}');
CREATE VIEW imp_next."Par;cels" AS SELECT id FROM "imp ""odd"""."Par;cels";
GRANT SELECT ON imp_next."Par;cels" TO regress_dp_owner;
SELECT output, column_name, change, detail, kind
  FROM dataproduct.impact('imp"; DROP TABLE imp.parcels; --', '{"imp_next.\"Par;cels\""}');
SELECT dataproduct.publish('imp"; DROP TABLE imp.parcels; --', '1.1.0', '{"imp_next.\"Par;cels\""}');
SELECT count(*) FROM imp.parcels;

-- who may ask: the domain (owner, members, superusers), nobody else
SET ROLE regress_dp_member;
SELECT output, column_name, change, kind
  FROM dataproduct.impact('imp_lonely', '{imp_next.depots}');
SET ROLE regress_dp_stranger;
SELECT * FROM dataproduct.impact('imp_parcels', '{imp_next.parcels}');
\echo :LAST_ERROR_SQLSTATE
SET ROLE regress_dp_consumer;
SELECT * FROM dataproduct.impact('imp_parcels', '{imp_next.parcels}');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;

-- arguments
SELECT * FROM dataproduct.impact(NULL, '{imp.parcels}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM dataproduct.impact('imp_parcels', NULL);
SELECT * FROM dataproduct.impact('imp_nosuch', '{imp.parcels}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM dataproduct.impact('imp_parcels', '{}');
SELECT * FROM dataproduct.impact('imp_parcels', '{imp.nosuch}');

--
-- costs
--
-- a second product of the domain reads imp.parcels too, through a view
CREATE VIEW imp.heavy AS
    SELECT p.id, p.weight, d.city FROM imp.parcels p CROSS JOIN imp.depots d
     WHERE p.weight > 10;
GRANT SELECT ON imp.heavy TO regress_dp_owner;
SELECT dataproduct.create_product('imp_heavy', 'imp');
SELECT dataproduct.publish('imp_heavy', '1.0.0', '{imp.heavy}');

-- a product of another domain that reads a materialized view, a
-- partitioned table, a foreign table (over a server that loops back), and
-- a table a product of domain imp reads too
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS postgres_fdw;
RESET client_min_messages;
SELECT split_part(current_setting('unix_socket_directories'), ',', 1) AS socket_dir,
       current_setting('port') AS port \gset
CREATE SERVER imp_loopback FOREIGN DATA WRAPPER postgres_fdw
    OPTIONS (host :'socket_dir', port :'port', dbname :'DBNAME');
CREATE FOREIGN TABLE imp.remote_parcels (id int, weight numeric(8,1))
    SERVER imp_loopback OPTIONS (schema_name 'imp', table_name 'parcels');
CREATE MATERIALIZED VIEW imp.weights AS
    SELECT weight, count(*) AS n FROM imp.parcels GROUP BY weight;
CREATE TABLE imp.scans (at date NOT NULL, parcel int) PARTITION BY RANGE (at);
CREATE TABLE imp.scans_2024 PARTITION OF imp.scans FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE imp.scans_2025 PARTITION OF imp.scans FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
INSERT INTO imp.scans SELECT date '2024-06-01' + g, g FROM generate_series(1, 300) g;
ANALYZE imp.parcels, imp.depots, imp.weights, imp.scans;
GRANT SELECT ON ALL TABLES IN SCHEMA imp TO regress_dp_stranger;
GRANT USAGE ON SCHEMA imp TO regress_dp_stranger;
SELECT dataproduct.create_domain('imp_ops', 'regress_dp_stranger');
SELECT dataproduct.create_product('imp_ops_mix', 'imp_ops');
SELECT dataproduct.publish('imp_ops_mix', '1.0.0',
    '{imp.remote_parcels,imp.weights,imp.scans,imp.depots}');

-- one row per live product, and one per domain (product NULL); sizes vary
-- between machines, so only whether there are any is shown
SELECT domain, product, relations, shared_relations, storage_bytes > 0 AS stored,
       rows_estimate, reads, read_time_ms, reads_by_domain
  FROM dataproduct.costs WHERE domain LIKE 'imp%';
-- a domain's total counts a relation once, its size too
SELECT t.storage_bytes = (SELECT sum(pg_total_relation_size(r))
                            FROM unnest('{imp.parcels,imp.depots,"\"imp \"\"odd\"\"\".\"Par;cels\""}'::regclass[]) r) AS exact
  FROM dataproduct.costs t WHERE domain = 'imp' AND product IS NULL;
-- a foreign table counts 0 bytes; a matview and partitions their own
SELECT storage_bytes = (SELECT sum(pg_total_relation_size(r))
                          FROM unnest('{imp.weights,imp.scans_2024,imp.scans_2025,imp.depots}'::regclass[]) r) AS exact
  FROM dataproduct.costs WHERE product = 'imp_ops_mix';

-- each domain sees its rows; members of pg_read_all_stats see all
SET ROLE regress_dp_member;
SELECT domain, product FROM dataproduct.costs WHERE domain LIKE 'imp%';
SET ROLE regress_dp_stranger;
SELECT domain, product FROM dataproduct.costs WHERE domain LIKE 'imp%';
SET ROLE regress_dp_consumer;
SELECT domain, product FROM dataproduct.costs WHERE domain LIKE 'imp%';
RESET ROLE;
GRANT pg_read_all_stats TO regress_dp_consumer;
SET ROLE regress_dp_consumer;
SELECT domain, product FROM dataproduct.costs WHERE domain LIKE 'imp%';
RESET ROLE;
REVOKE pg_read_all_stats FROM regress_dp_consumer;

-- every major of these products ends retired, as later tests expect
SET client_min_messages = error;
SELECT count(dataproduct.retire(m.product, m.major, force => true))
  FROM dataproduct.major_version m
 WHERE m.product LIKE 'imp%' AND m.status <> 'retired';
RESET client_min_messages;
SELECT count(*) AS live FROM dataproduct.catalog WHERE product LIKE 'imp%';
