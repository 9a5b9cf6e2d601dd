--
-- Who may do what, and hostile names
--
\set SHOW_CONTEXT never
CREATE SCHEMA sec;
CREATE TABLE sec.accounts (id int PRIMARY KEY, holder text NOT NULL, balance numeric);
INSERT INTO sec.accounts VALUES (1, 'alice', 100), (2, 'bob', 50);
SELECT dataproduct.create_product('accounts', 'commerce');

-- the domain owner cannot read the table yet: publishing would create a
-- view nobody can read, so it is refused
SELECT dataproduct.publish('accounts', '1.0.0', '{sec.accounts}');
\echo :LAST_ERROR_SQLSTATE
GRANT USAGE ON SCHEMA sec TO regress_dp_owner;
SELECT dataproduct.publish('accounts', '1.0.0', '{sec.accounts}');
-- column privileges on every column are enough
GRANT SELECT (id, holder, balance) ON sec.accounts TO regress_dp_owner;

-- a privilege the view needs beyond its source: checked at publish time too
CREATE FUNCTION sec.mask(text) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT left($1, 1) || '***' $$;
REVOKE EXECUTE ON FUNCTION sec.mask(text) FROM PUBLIC;
CREATE VIEW sec.masked AS SELECT id, sec.mask(holder) AS holder FROM sec.accounts;
GRANT SELECT ON sec.masked TO regress_dp_owner;
SELECT dataproduct.publish('accounts', '1.0.0', '{sec.accounts,sec.masked}');
\echo :LAST_ERROR_SQLSTATE
SELECT to_regnamespace('accounts_v1') AS left_behind;
GRANT EXECUTE ON FUNCTION sec.mask(text) TO regress_dp_owner;

-- neither a stranger nor a consumer may publish; a member of the owner may
GRANT USAGE ON SCHEMA sec TO regress_dp_stranger, regress_dp_consumer;
SET ROLE regress_dp_stranger;
SELECT dataproduct.publish('accounts', '1.0.0', '{sec.accounts,sec.masked}');
\echo :LAST_ERROR_SQLSTATE
SET ROLE regress_dp_consumer;
SELECT dataproduct.publish('accounts', '1.0.0', '{sec.accounts,sec.masked}');
SET ROLE regress_dp_member;
SELECT dataproduct.publish('accounts', '1.0.0', '{sec.accounts,sec.masked}');
SELECT published_by FROM dataproduct.versions WHERE product = 'accounts';
RESET ROLE;

-- the views are owned by the domain owner and readable by it
SELECT relname, relowner::regrole FROM pg_class
 WHERE relnamespace = 'accounts_v1'::regnamespace ORDER BY 1;
SET ROLE regress_dp_owner;
SELECT * FROM accounts_v1.masked ORDER BY id;

-- a consumer sees the catalog, but neither the base tables nor, until it
-- is granted access, the version schema
SET ROLE regress_dp_consumer;
SELECT product, version, schema FROM dataproduct.catalog WHERE product = 'accounts';
SELECT * FROM sec.accounts;
SELECT * FROM accounts_v1.accounts;
SELECT * FROM dataproduct.release;
-- diff and next_version need SELECT on what they compare: a role that may
-- not read a table learns nothing of its columns, and locks nothing
SELECT * FROM dataproduct.diff('accounts', '{sec.accounts,sec.masked}');
SELECT dataproduct.next_version('accounts', '{sec.accounts,sec.masked}');
RESET ROLE;

-- a security barrier view stays one: a leaky function of the reader sees
-- only the rows the view lets through
CREATE VIEW sec.small_accounts WITH (security_barrier) AS
SELECT id, holder FROM sec.accounts WHERE balance < 60;
GRANT SELECT ON sec.small_accounts TO regress_dp_owner;
SET ROLE regress_dp_member;
SELECT dataproduct.publish('accounts', '1.1.0', '{sec.accounts,sec.masked,sec.small_accounts}');
RESET ROLE;
SELECT relname, reloptions FROM pg_class
 WHERE relnamespace = 'accounts_v1'::regnamespace ORDER BY 1;
GRANT USAGE ON SCHEMA accounts_v1 TO regress_dp_consumer;
GRANT SELECT ON accounts_v1.small_accounts TO regress_dp_consumer;
SET ROLE regress_dp_consumer;
CREATE FUNCTION pg_temp.leak(text) RETURNS boolean LANGUAGE plpgsql
    COST 0.0000001 AS $$ BEGIN RAISE NOTICE 'saw %', $1; RETURN true; END $$;
SELECT * FROM accounts_v1.small_accounts WHERE pg_temp.leak(holder);
RESET ROLE;

-- the consumer's search_path cannot redirect the extension's queries
CREATE SCHEMA evil;
CREATE FUNCTION evil.texteq_always(text, text) RETURNS boolean
    LANGUAGE sql AS 'SELECT true';
CREATE OPERATOR evil.= (LEFTARG = text, RIGHTARG = text, FUNCTION = evil.texteq_always);
CREATE TABLE evil.product (name text, domain text);
SET search_path = evil, pg_catalog;
SELECT dataproduct.publish('no_such_product', '1.0.0', '{sec.accounts}');
SELECT dataproduct.next_version('accounts', '{sec.accounts,sec.masked,sec.small_accounts}');
RESET search_path;

--
-- Hostile names: quotes, mixed case, spaces and SQL in names of domains,
-- products, schemas, tables, columns and comments
--
CREATE ROLE "regress_dp_Team ""Ops""";
GRANT CREATE ON DATABASE :"DBNAME" TO "regress_dp_Team ""Ops""";
CREATE SCHEMA "Base; DROP TABLE sec.accounts; --";
CREATE TABLE "Base; DROP TABLE sec.accounts; --"."Order""s" (
    "ID" int PRIMARY KEY,
    "it's; DROP TABLE sec.accounts" text NOT NULL,
    "Mixed Case" numeric(5,1)
);
COMMENT ON TABLE "Base; DROP TABLE sec.accounts; --"."Order""s" IS 'Robert''); DROP TABLE sec.accounts; --';
COMMENT ON COLUMN "Base; DROP TABLE sec.accounts; --"."Order""s"."ID" IS E'back\\slash and ''quote''';
INSERT INTO "Base; DROP TABLE sec.accounts; --"."Order""s" VALUES (1, 'x', 2.5);
GRANT USAGE ON SCHEMA "Base; DROP TABLE sec.accounts; --" TO "regress_dp_Team ""Ops""";
GRANT SELECT ON "Base; DROP TABLE sec.accounts; --"."Order""s" TO "regress_dp_Team ""Ops""";
SET ROLE "regress_dp_Team ""Ops""";
SELECT dataproduct.create_domain('Ops"; DROP TABLE sec.accounts; --');
SELECT dataproduct.create_product('It''s "Mixed"; DROP TABLE sec.accounts; --',
                                  'Ops"; DROP TABLE sec.accounts; --');
SELECT dataproduct.publish('It''s "Mixed"; DROP TABLE sec.accounts; --', '1.0.0',
    ARRAY['"Base; DROP TABLE sec.accounts; --"."Order""s"']::regclass[]);
RESET ROLE;
SELECT * FROM "It's ""Mixed""; DROP TABLE sec.accounts; --_v1"."Order""s";
SELECT nspname, nspowner::regrole, obj_description(oid, 'pg_namespace')
  FROM pg_namespace WHERE nspname LIKE 'It''s%';
SELECT output, column_name, type, not_null, description
  FROM dataproduct.contract_columns WHERE product LIKE 'It''s%' ORDER BY position;
SELECT obj_description('"It''s ""Mixed""; DROP TABLE sec.accounts; --_v1"."Order""s"'::regclass, 'pg_class');
SELECT * FROM dataproduct.diff('It''s "Mixed"; DROP TABLE sec.accounts; --',
    ARRAY['"Base; DROP TABLE sec.accounts; --"."Order""s"']::regclass[]);
-- still there
SELECT count(*) FROM sec.accounts;
