--
-- check_quality(): the ODCS quality rules of an attached contract, run in
-- the database as the domain's owner, read-only, under a timeout; the last
-- result of each rule is kept (dataproduct.quality_result) and shown
-- (dataproduct.quality) to the domain.
--
\set SHOW_CONTEXT never
CREATE SCHEMA qa;
CREATE TABLE qa.orders (id int PRIMARY KEY, status text, amount numeric(10,2),
                        email text);
INSERT INTO qa.orders VALUES
    (1, 'new', 10, 'a@example.com'), (2, 'paid', 20, 'b@example.com'),
    (3, 'paid', 30, ''), (4, 'shipped', 40, 'n/a'), (5, 'bogus', 50, NULL),
    (6, NULL, 60, 'a@example.com');
-- a name with quotes, a space and the placeholders in it
CREATE TABLE qa."odd ""name"" {property}" ("x"" {object}" int);
INSERT INTO qa."odd ""name"" {property}" VALUES (1), (2), (NULL);
-- what a rule must not be able to write to
CREATE TABLE qa.sink (n int);
CREATE FUNCTION qa.sneak() RETURNS int LANGUAGE plpgsql VOLATILE AS
$$BEGIN INSERT INTO qa.sink VALUES (1); RETURN 1; END$$;
CREATE FUNCTION qa.read_write() RETURNS int LANGUAGE plpgsql VOLATILE AS
$$BEGIN SET LOCAL transaction_read_only = off; INSERT INTO qa.sink VALUES (2); RETURN 1; END$$;
GRANT USAGE ON SCHEMA qa TO regress_dp_owner;
GRANT SELECT ON ALL TABLES IN SCHEMA qa TO regress_dp_owner;
GRANT INSERT, DELETE ON qa.sink TO regress_dp_owner;
SELECT dataproduct.create_domain('quality', 'regress_dp_owner');
SELECT dataproduct.create_product('shop', 'quality');
SELECT dataproduct.publish('shop', '1.0.0', '{qa.orders,"qa.\"odd \"\"name\"\" {property}\""}');
SELECT outputs FROM dataproduct.catalog WHERE product = 'shop';

-- what 0.5.0 adds for quality rules
\d dataproduct.quality_result
SELECT oid::regprocedure, provolatile, prosecdef, proconfig,
       obj_description(oid, 'pg_proc') IS NOT NULL AS commented
  FROM pg_proc
 WHERE proname = 'check_quality' AND pronamespace = 'dataproduct'::regnamespace;
SELECT attname FROM pg_attribute
 WHERE attrelid = 'dataproduct.quality'::regclass AND attnum > 0 ORDER BY attnum;
SHOW dataproduct.quality_timeout;

-- no attached contract: nothing to check
SELECT * FROM dataproduct.check_quality('shop', 1);
-- not a product, not a live major
SELECT * FROM dataproduct.check_quality('nosuch', 1);
SELECT * FROM dataproduct.check_quality('shop', 2);
SELECT * FROM dataproduct.check_quality(NULL, 1);

-- the contract, attached directly (attach_contract() checks its schema)
INSERT INTO dataproduct.contract_attachment (product, major, document, attached_by)
VALUES ('shop', 1, $${
  "apiVersion": "v3.1.0", "kind": "DataContract", "id": "shop", "version": "1.0.0",
  "status": "active",
  "schema": [
    {"name": "orders", "quality": [
      {"metric": "rowCount", "mustBe": 6},
      {"name": "enough rows", "metric": "rowCount", "mustBeGreaterThan": 10},
      {"metric": "rowCount", "mustBeGreaterOrEqualTo": 6},
      {"metric": "rowCount", "mustBeLessThan": 6},
      {"metric": "rowCount", "mustBeLessOrEqualTo": 6},
      {"metric": "rowCount", "mustNotBe": 6},
      {"metric": "rowCount", "mustBeBetween": [1, 10]},
      {"metric": "rowCount", "mustNotBeBetween": [1, 10]},
      {"metric": "rowCount", "mustNotBeBetween": [7, 10]},
      {"metric": "rowCount", "mustBe": 6},
      {"type": "sql", "name": "paid total",
       "query": "SELECT sum(amount) FROM {object} WHERE status = 'paid';",
       "mustBeGreaterOrEqualTo": 50},
      {"type": "sql", "name": "first status",
       "query": "SELECT status FROM {object} WHERE id = 1", "mustBe": "new"},
      {"type": "sql", "name": "first status again",
       "query": "SELECT status FROM {object} WHERE id = 1", "mustNotBe": "new"},
      {"type": "sql", "name": "run as",
       "query": "SELECT current_user", "mustBe": "regress_dp_owner"},
      {"type": "sql", "name": "read-only",
       "query": "SELECT current_setting('transaction_read_only')", "mustBe": "on"},
      {"type": "sql", "name": "no row",
       "query": "SELECT id FROM {object} WHERE id > 100", "mustBe": 1},
      {"type": "sql", "name": "null", "query": "SELECT NULL::int", "mustBe": 1},
      {"type": "sql", "name": "two columns", "query": "SELECT 1, 2", "mustBe": 1},
      {"type": "sql", "name": "many rows", "query": "SELECT id FROM {object}", "mustBe": 1},
      {"type": "sql", "name": "not a number", "query": "SELECT 'x'", "mustBeLessThan": 1},
      {"type": "sql", "name": "insert in a CTE",
       "query": "WITH x AS (INSERT INTO qa.sink VALUES (1) RETURNING 1) SELECT count(*) FROM x",
       "mustBe": 1},
      {"type": "sql", "name": "volatile writer", "query": "SELECT qa.sneak()", "mustBe": 1},
      {"type": "sql", "name": "read-write again", "query": "SELECT qa.read_write()", "mustBe": 1},
      {"type": "sql", "name": "set role",
       "query": "SELECT set_config('role', 'regress_dp_stranger', false)", "mustBe": 1},
      {"type": "sql", "name": "two statements",
       "query": "SELECT 1; DELETE FROM qa.sink", "mustBe": 1},
      {"type": "sql", "name": "break out",
       "query": "SELECT 1) q; DELETE FROM qa.sink; SELECT * FROM (SELECT 1", "mustBe": 1},
      {"type": "sql", "name": "not a select", "query": "DELETE FROM qa.sink", "mustBe": 0},
      {"type": "sql", "name": "select into", "query": "SELECT 1 INTO qa.made", "mustBe": 1},
      {"type": "sql", "name": "slow", "query": "SELECT 1 FROM pg_sleep(10)", "mustBe": 1},
      {"type": "text", "description": "Orders are complete."},
      {"type": "custom", "engine": "soda", "implementation": "row_count > 0"},
      {"type": "magic", "mustBe": 1},
      {"metric": "bogus", "mustBe": 0},
      {"metric": "rowCount"},
      {"metric": "rowCount", "mustBe": 1, "mustNotBe": 2},
      {"metric": "rowCount", "mustBe": "six"},
      {"metric": "rowCount", "mustBeBetween": [10, 1]},
      {"metric": "rowCount", "mustBe": 6, "unit": "percent"},
      {"metric": "nullValues", "mustBe": 0},
      {"type": "sql", "mustBe": 0}
    ],
    "properties": [
      {"name": "id", "quality": [
        {"metric": "duplicateValues", "mustBe": 0}]},
      {"name": "status", "quality": [
        {"metric": "nullValues", "mustBe": 0},
        {"metric": "nullValues", "mustBeLessOrEqualTo": 20, "unit": "percent"},
        {"metric": "invalidValues", "arguments": {"validValues": ["new", "paid", "shipped"]},
         "mustBe": 0},
        {"metric": "invalidValues", "arguments": {"pattern": "^[a-z]+$"}, "mustBeLessThan": 1},
        {"metric": "invalidValues", "arguments": {"validValues": ["new", "paid", "shipped"],
         "pattern": "^s"}, "mustBe": 4},
        {"metric": "invalidValues", "mustBe": 0},
        {"metric": "duplicateValues", "mustNotBe": 0},
        {"metric": "duplicateValues", "mustBe": 0, "unit": "rows"},
        {"type": "sql", "name": "paid",
         "query": "SELECT count(*) FROM {object} WHERE {property} = 'paid'", "mustBe": 2}]},
      {"name": "email", "quality": [
        {"metric": "missingValues", "mustBe": 1},
        {"metric": "missingValues", "arguments": {"missingValues": ["", "n/a"]}, "mustBe": 3},
        {"metric": "missingValues", "arguments": {"missingValues": ["", "n/a"]},
         "mustBeLessThan": 50, "unit": "percent"},
        {"metric": "missingValues", "mustBe": 1, "unit": "bytes"}]},
      {"name": "nosuch", "quality": [
        {"metric": "nullValues", "mustBe": 0}]},
      {"quality": [{"metric": "nullValues", "mustBe": 0}]}
    ]},
    {"name": "odd \"name\" {property}", "quality": [
      {"metric": "rowCount", "mustBe": 3},
      {"type": "sql", "name": "{object}", "query": "SELECT count(*) FROM {object}", "mustBe": 3}],
     "properties": [
      {"name": "x\" {object}", "quality": [
        {"metric": "nullValues", "mustBe": 1},
        {"metric": "duplicateValues", "mustBe": 0},
        {"type": "sql", "query": "SELECT count({property}) FROM {object}", "mustBe": 2},
        {"type": "sql", "query": "SELECT count({property}) FROM {object}", "mustBe": 2}]}]},
    {"name": "nosuch", "quality": [{"metric": "rowCount", "mustBe": 0}]},
    {"quality": [{"metric": "rowCount", "mustBe": 0}]}
  ]}$$, current_user);

-- only the domain runs the rules: not a stranger, not a consumer
SET ROLE regress_dp_stranger;
SELECT * FROM dataproduct.check_quality('shop', 1);
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;

-- a member of the domain's owner does; the rules run as the owner, each
-- for dataproduct.quality_timeout at most
SET dataproduct.quality_timeout = '1s';
SET ROLE regress_dp_member;
SELECT * FROM dataproduct.check_quality('shop', 1);
RESET ROLE;
-- nothing was written, nothing created
SELECT count(*) AS sink_rows FROM qa.sink;
SELECT to_regclass('qa.made') AS made;
-- the caller's settings are back
SHOW transaction_read_only;
SHOW statement_timeout;
SHOW search_path;

-- a superuser runs them as the owner too, never as itself
SELECT object, rule, actual, passed FROM dataproduct.check_quality('shop', 1)
 WHERE rule = 'run as';

-- in a transaction block, the rules' subtransactions leave it usable
BEGIN;
SELECT count(*) AS rules, count(*) FILTER (WHERE passed) AS passed
  FROM dataproduct.check_quality('shop', 1);
SELECT count(*) AS sink_rows FROM qa.sink;
COMMIT;

-- a statement timeout of the caller that ends first cancels the check
SET dataproduct.quality_timeout = '10s';
SET statement_timeout = '300ms';
SELECT count(*) FROM dataproduct.check_quality('shop', 1);
RESET statement_timeout;
SET dataproduct.quality_timeout = '1s';

-- the results are kept: the domain sees them, a stranger does not
SET ROLE regress_dp_owner;
SELECT product, major, object, property, rule, expected, actual, passed,
       checked_at IS NOT NULL AS checked
  FROM dataproduct.quality WHERE product = 'shop'
 ORDER BY object, property NULLS FIRST, rule;
SET ROLE regress_dp_stranger;
SELECT count(*) FROM dataproduct.quality;
SELECT count(*) FROM dataproduct.quality_result;
RESET ROLE;

-- a new document: the results of rules it no longer has go
UPDATE dataproduct.contract_attachment
   SET document = '{"schema": [{"name": "orders", "quality": [
                      {"metric": "rowCount", "mustBe": 6}]}]}'
 WHERE product = 'shop' AND major = 1;
SELECT * FROM dataproduct.check_quality('shop', 1);
SELECT object, property, rule, passed FROM dataproduct.quality WHERE product = 'shop';
-- no rules, no results
UPDATE dataproduct.contract_attachment SET document = '{}'
 WHERE product = 'shop' AND major = 1;
SELECT * FROM dataproduct.check_quality('shop', 1);
SELECT count(*) FROM dataproduct.quality WHERE product = 'shop';

-- a domain owned by a superuser: its sql rules are not run, library ones are
SELECT dataproduct.create_domain('qa_admin', CURRENT_USER::regrole);
SELECT dataproduct.create_product('qa_admin_shop', 'qa_admin');
SELECT dataproduct.publish('qa_admin_shop', '1.0.0', '{qa.orders}');
INSERT INTO dataproduct.contract_attachment (product, major, document, attached_by)
VALUES ('qa_admin_shop', 1, '{"schema": [{"name": "orders", "quality": [
          {"type": "sql", "query": "SELECT pg_catalog.length(pg_catalog.pg_read_file(''postgresql.conf''))", "mustBeGreaterThan": 0},
          {"metric": "rowCount", "mustBeGreaterThan": 0}]}]}', CURRENT_USER);
SELECT object, rule, actual, passed FROM dataproduct.check_quality('qa_admin_shop', 1);
DELETE FROM dataproduct.contract_attachment WHERE product = 'qa_admin_shop';
SELECT dataproduct.retire('qa_admin_shop', 1, force => true);

-- clean up
RESET dataproduct.quality_timeout;
DELETE FROM dataproduct.contract_attachment WHERE product = 'shop';
SELECT dataproduct.retire('shop', 1, force => true);
DROP SCHEMA qa CASCADE;
