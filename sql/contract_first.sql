--
-- Contract first: verify_contract() and attach_contract() check a team's
-- ODCS document against what a release promises
--
\set SHOW_CONTEXT never
CREATE SCHEMA cf;
CREATE TABLE cf.orders (id int PRIMARY KEY, customer varchar(20) NOT NULL,
                        amount numeric(10,2), placed timestamptz NOT NULL);
CREATE TABLE cf.lines (order_id int NOT NULL, sku text);
COMMENT ON COLUMN cf.orders.amount IS 'total, in euros';
GRANT USAGE ON SCHEMA cf TO regress_dp_owner;
GRANT SELECT ON ALL TABLES IN SCHEMA cf TO regress_dp_owner;
SELECT dataproduct.create_domain('cf', 'regress_dp_owner');
SELECT dataproduct.create_product('cf_orders', 'cf');
SELECT dataproduct.publish('cf_orders', '1.0.0', '{cf.orders,cf.lines}');

-- the document as the team wrote it, types spelled their way
\set doc '{"apiVersion": "v3.1.0", "kind": "DataContract", "id": "orders", "version": "1.0.0", "status": "active", "schema": [{"name": "lines", "properties": [{"name": "order_id", "physicalType": "int4", "required": true}, {"name": "sku", "physicalType": "TEXT"}]}, {"name": "orders", "description": "one row per order", "tags": ["sales"], "quality": [{"type": "library", "metric": "rowCount", "mustBeGreaterThan": 0}], "properties": [{"name": "id", "physicalType": "integer", "required": true, "businessName": "order number"}, {"name": "customer", "physicalType": "varchar(20)", "required": true}, {"name": "amount", "physicalType": "numeric(10, 2)"}, {"name": "placed", "physicalType": "timestamp with time zone", "required": false}]}]}'

-- honoured: no rows, against the latest release and a named one
SELECT * FROM dataproduct.verify_contract('cf_orders', :'doc');
SELECT * FROM dataproduct.verify_contract('cf_orders', :'doc', '1.0.0');

-- every kind of mismatch, in document order, then what it does not mention
SELECT * FROM dataproduct.verify_contract('cf_orders',
 '{"schema": [
   {"name": "orders", "properties": [
     {"name": "id", "physicalType": "bigint"},
     {"name": "customer", "physicalType": "varchar(30)"},
     {"name": "amount", "physicalType": "numeric(10,2)", "required": true},
     {"name": "placed", "physicalType": "no_such_type"},
     {"name": "discount", "physicalType": "numeric"}]},
   {"name": "refunds", "properties": [{"name": "id"}]}]}');

-- a type name that does not parse is a mismatch too, not an error
SELECT property, problem, detail FROM dataproduct.verify_contract('cf_orders',
 '{"schema": [{"name": "lines", "properties": [
     {"name": "order_id", "physicalType": "int; DROP TABLE cf.orders"},
     {"name": "sku", "physicalType": "varchar(-1)"}]}]}')
 WHERE object = 'lines';

-- before publishing: what these outputs would give
CREATE VIEW cf.orders_next AS SELECT id, customer::text AS customer, amount FROM cf.orders;
SELECT * FROM dataproduct.verify_contract('cf_orders',
 '{"schema": [{"name": "orders_next", "properties": [
     {"name": "id", "physicalType": "integer", "required": true},
     {"name": "customer", "physicalType": "varchar(20)", "required": true},
     {"name": "amount", "physicalType": "numeric(10,2)"}]}]}',
 ARRAY['cf.orders_next']::regclass[]);
SELECT * FROM dataproduct.verify_contract('cf_orders',
 '{"schema": [{"name": "orders_next", "properties": [
     {"name": "id", "physicalType": "integer", "required": true},
     {"name": "customer", "physicalType": "text"},
     {"name": "amount", "physicalType": "numeric(10,2)"}]}]}',
 ARRAY['cf.orders_next']::regclass[]);

-- invalid documents are refused, saying what is wrong
SELECT * FROM dataproduct.verify_contract('cf_orders', '[]');
SELECT * FROM dataproduct.verify_contract('cf_orders', '{"kind": "DataContract"}');
SELECT * FROM dataproduct.verify_contract('cf_orders', '{"schema": {"name": "orders"}}');
SELECT * FROM dataproduct.verify_contract('cf_orders', '{"schema": ["orders"]}');
SELECT * FROM dataproduct.verify_contract('cf_orders', '{"schema": [{"properties": []}]}');
SELECT * FROM dataproduct.verify_contract('cf_orders', '{"schema": [{"name": 7}]}');
SELECT * FROM dataproduct.verify_contract('cf_orders', '{"schema": [{"name": "orders", "properties": {}}]}');
SELECT * FROM dataproduct.verify_contract('cf_orders', '{"schema": [{"name": "orders", "properties": [{"physicalType": "int"}]}]}');
SELECT * FROM dataproduct.verify_contract('cf_orders', '{"schema": [{"name": "orders", "properties": [{"name": "id", "physicalType": 4}]}]}');
SELECT * FROM dataproduct.verify_contract('cf_orders', '{"schema": [{"name": "orders", "properties": [{"name": "id", "required": "yes"}]}]}');
SELECT * FROM dataproduct.verify_contract('cf_orders', '{"schema": [{"name": "orders"}, {"name": "orders"}]}');
SELECT * FROM dataproduct.verify_contract('cf_orders', '{"schema": [{"name": "orders", "properties": [{"name": "id"}, {"name": "id"}]}]}');
SELECT * FROM dataproduct.verify_contract('cf_orders', NULL);
SELECT * FROM dataproduct.verify_contract('cf_nothing', :'doc');
SELECT * FROM dataproduct.verify_contract('cf_orders', :'doc', '9.0.0');
SELECT * FROM dataproduct.verify_contract('cf_orders', :'doc', 'latest');
SELECT dataproduct.create_product('cf_draft', 'cf');
SELECT * FROM dataproduct.verify_contract('cf_draft', :'doc');

-- hostile names are compared as text, and shown as they are
CREATE SCHEMA "cf ""odd""";
CREATE TABLE "cf ""odd"""."Or;ders" ("no""te" text NOT NULL, "id)" int);
GRANT USAGE ON SCHEMA "cf ""odd""" TO regress_dp_owner;
GRANT SELECT ON ALL TABLES IN SCHEMA "cf ""odd""" TO regress_dp_owner;
SELECT dataproduct.create_product('cf"; DROP TABLE cf.orders; --', 'cf');
SELECT dataproduct.publish('cf"; DROP TABLE cf.orders; --', '1.0.0',
    '{"\"cf \"\"odd\"\"\".\"Or;ders\""}');
SELECT * FROM dataproduct.verify_contract('cf"; DROP TABLE cf.orders; --',
 '{"schema": [{"name": "Or;ders", "properties": [
     {"name": "no\"te", "physicalType": "text", "required": true},
     {"name": "id)", "physicalType": "integer"}]}]}');
SELECT * FROM dataproduct.verify_contract('cf"; DROP TABLE cf.orders; --',
 '{"schema": [{"name": "or;ders"}, {"name": "Or;ders\"; --", "properties": [
     {"name": "x'' OR ''1''=''1", "physicalType": "text"}]}]}');

-- attach: only the domain may, and only a document the release honours
SET ROLE regress_dp_stranger;
SELECT * FROM dataproduct.verify_contract('cf_orders', :'doc');
SELECT dataproduct.attach_contract('cf_orders', 1, :'doc');
SET ROLE regress_dp_member;
SELECT dataproduct.attach_contract('cf_orders', 1,
 '{"schema": [{"name": "orders", "properties": [{"name": "id", "physicalType": "bigint"}]}]}');
SELECT dataproduct.attach_contract('cf_orders', 2, :'doc');
SELECT dataproduct.attach_contract('cf_orders', 1, '{"schema": 1}');
SELECT dataproduct.attach_contract('cf_orders', 1, :'doc');
RESET ROLE;
SELECT product, major, document -> 'schema' -> 1 -> 'tags' AS tags, attached_by
  FROM dataproduct.contract_attachment;

-- the table is the catalog owner's: nobody else reads or writes it
SET ROLE regress_dp_member;
SELECT count(*) FROM dataproduct.contract_attachment;
UPDATE dataproduct.contract_attachment SET document = '{}';
RESET ROLE;

-- a second attach replaces the first
SET ROLE regress_dp_owner;
SELECT dataproduct.attach_contract('cf_orders', 1,
    jsonb_set(:'doc', '{description}', '{"usage": "monthly reports"}'));
RESET ROLE;
SELECT product, major, document -> 'description' AS description,
       document -> 'schema' -> 1 -> 'tags' AS tags, attached_by
  FROM dataproduct.contract_attachment;

-- contract() merges the attached document: the catalog's facts win on
-- structure, the team's words and rules are kept
SELECT dataproduct.attach_contract('cf_orders', 1,
    jsonb_set(jsonb_set(jsonb_set(:'doc', '{description}',
        '{"usage": "monthly reports", "purpose": "the team''s own words"}'),
        '{team}', '{"name": "sales", "members": [{"username": "ann", "role": "owner"}]}'),
        '{customProperties}', '[{"property": "releaseNotes", "value": "overridden?"}, {"property": "costCenter", "value": "CC-7"}]'));
SELECT c -> 'id' = to_jsonb('orders'::text) AS attached_id_kept,
       c ->> 'version' AS version, c ->> 'status' AS status,
       c -> 'description' AS description, c -> 'team' AS team,
       c -> 'customProperties' AS custom
  FROM dataproduct.contract('cf_orders', '1.0.0') c;
SELECT o ->> 'name' AS object, o -> 'tags' AS tags, o -> 'quality' AS quality,
       o ->> 'physicalType' AS physical_type
  FROM dataproduct.contract('cf_orders', '1.0.0') c,
       jsonb_array_elements(c -> 'schema') o ORDER BY 1;
SELECT p ->> 'name' AS property, p ->> 'physicalType' AS physical_type,
       p ->> 'required' AS required, p ->> 'businessName' AS business_name,
       p ->> 'description' AS description
  FROM dataproduct.contract('cf_orders', '1.0.0') c,
       jsonb_array_elements(c -> 'schema') o,
       jsonb_array_elements(o -> 'properties') p
 WHERE o ->> 'name' = 'orders';

-- a deprecated major is live and takes one; a retired major keeps its
-- attachment and takes no other
SELECT dataproduct.publish('cf_orders', '2.0.0', '{cf.orders}');
SELECT dataproduct.deprecate('cf_orders', 1, message => 'moved to version 2');
SELECT dataproduct.attach_contract('cf_orders', 1, :'doc');
SELECT dataproduct.retire('cf_orders', 1, force => true);
SELECT dataproduct.attach_contract('cf_orders', 1, :'doc');
SELECT product, major FROM dataproduct.contract_attachment;

-- the default version is now 2.0.0, which has no lines
SELECT * FROM dataproduct.verify_contract('cf_orders', :'doc');

-- every major of these products ends retired, as later tests expect
SET client_min_messages = error;
SELECT count(dataproduct.retire(m.product, m.major, force => true))
  FROM dataproduct.major_version m
 WHERE m.product LIKE 'cf%' AND m.status <> 'retired';
RESET client_min_messages;
SELECT count(*) AS live FROM dataproduct.catalog WHERE product LIKE 'cf%';
DROP SCHEMA cf, "cf ""odd""" CASCADE;
