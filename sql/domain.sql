--
-- create_domain() and create_product()
--
\set SHOW_CONTEXT never

-- a superuser creates a domain for a team role
SELECT dataproduct.create_domain('commerce', 'regress_dp_owner', 'Orders, payments and refunds');
SELECT name, owner, description, created_by = current_user AS by_me FROM dataproduct.domain;

-- the owner defaults to the calling role
SET ROLE regress_dp_owner;
SELECT dataproduct.create_domain('marketing');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
GRANT CREATE ON DATABASE :"DBNAME" TO regress_dp_owner, regress_dp_stranger;
SET ROLE regress_dp_owner;
SELECT dataproduct.create_domain('marketing');
RESET ROLE;
SELECT name, owner FROM dataproduct.domain ORDER BY name;

-- only members of the owner role may create a domain owned by it
SET ROLE regress_dp_stranger;
SELECT dataproduct.create_domain('finance', 'regress_dp_owner');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;

-- bad arguments
SELECT dataproduct.create_domain('commerce', 'regress_dp_owner');
\echo :LAST_ERROR_SQLSTATE
SELECT dataproduct.create_domain(NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT dataproduct.create_domain('');
\echo :LAST_ERROR_SQLSTATE
SELECT dataproduct.create_domain(repeat('d', 64));
\echo :LAST_ERROR_SQLSTATE
SELECT dataproduct.create_domain('finance', NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT dataproduct.create_domain('finance', 'regress_dp_no_such_role');

-- products
SELECT dataproduct.create_product('orders', 'commerce', 'Every order placed in the web shop');
SET ROLE regress_dp_member;			-- members of the owner may too
SELECT dataproduct.create_product('payments', 'commerce');
RESET ROLE;
SELECT name, domain, description, created_by FROM dataproduct.product
 WHERE created_by <> current_user ORDER BY name;

-- not the domain's owner
SET ROLE regress_dp_stranger;
SELECT dataproduct.create_product('refunds', 'commerce');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;

-- bad arguments
SELECT dataproduct.create_product('refunds', 'no_such_domain');
\echo :LAST_ERROR_SQLSTATE
SELECT dataproduct.create_product('orders', 'commerce');
\echo :LAST_ERROR_SQLSTATE
SELECT dataproduct.create_product('', 'commerce');
\echo :LAST_ERROR_SQLSTATE
-- every major version's schema <product>_v<major>, up to _v2147483647,
-- must fit in 63 bytes
SELECT dataproduct.create_product(repeat('p', 52), 'commerce');
\echo :LAST_ERROR_SQLSTATE
SELECT dataproduct.create_product(repeat('p', 51), 'commerce');
SELECT dataproduct.create_product(repeat('é', 26), 'commerce');
SELECT dataproduct.create_product(repeat('é', 25), 'commerce');
-- schema names beginning with pg_ are reserved for the system
SELECT dataproduct.create_product('pg_x', 'commerce');
\echo :LAST_ERROR_SQLSTATE
SELECT dataproduct.create_product('pg_', 'commerce');
SELECT dataproduct.create_product('Pg_x', 'commerce');
SELECT dataproduct.create_product(NULL, 'commerce');
\echo :LAST_ERROR_SQLSTATE
SELECT dataproduct.create_product('refunds', NULL);
\echo :LAST_ERROR_SQLSTATE

-- alter_domain(): a member of the owner may give the domain to a role it
-- belongs to, and take it back
SET ROLE regress_dp_member;
SELECT dataproduct.alter_domain('marketing', 'regress_dp_member');
RESET ROLE;
SELECT name, owner FROM dataproduct.domain WHERE name = 'marketing';
SET ROLE regress_dp_member;
SELECT dataproduct.alter_domain('marketing', 'regress_dp_owner');
RESET ROLE;
SET ROLE regress_dp_stranger;
SELECT dataproduct.alter_domain('marketing', 'regress_dp_stranger');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
SET ROLE regress_dp_owner;
SELECT dataproduct.alter_domain('marketing', 'regress_dp_stranger');
RESET ROLE;
SELECT dataproduct.alter_domain('no_such_domain', 'regress_dp_owner');
\echo :LAST_ERROR_SQLSTATE
SELECT dataproduct.alter_domain('marketing', NULL);
SELECT dataproduct.alter_domain(NULL, 'regress_dp_owner');
SELECT name, owner FROM dataproduct.domain WHERE name = 'marketing';

-- a domain whose owner was dropped before its first release: a clear
-- error, and a superuser can give it a new owner
CREATE ROLE regress_dp_gone;
SELECT dataproduct.create_domain('orphans', 'regress_dp_gone');
DROP ROLE regress_dp_gone;
SELECT dataproduct.create_product('lost', 'orphans');
\echo :LAST_ERROR_SQLSTATE
SET ROLE regress_dp_owner;
SELECT dataproduct.alter_domain('orphans', 'regress_dp_owner');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
SELECT dataproduct.alter_domain('orphans', 'regress_dp_owner');
SELECT dataproduct.create_product('lost', 'orphans');
SELECT p.name, p.domain, d.owner FROM dataproduct.product p
  JOIN dataproduct.domain d ON d.name = p.domain WHERE p.name = 'lost';

-- the catalog is only written through these functions
SET ROLE regress_dp_owner;
INSERT INTO dataproduct.domain (name, owner, created_by) VALUES ('x', 'regress_dp_owner', 'x');
UPDATE dataproduct.product SET domain = 'marketing';
SELECT count(*) FROM dataproduct.product;
RESET ROLE;
