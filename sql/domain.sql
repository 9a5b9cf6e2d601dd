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
SELECT dataproduct.create_product(repeat('p', 61), 'commerce');
\echo :LAST_ERROR_SQLSTATE
SELECT dataproduct.create_product(repeat('p', 60), 'commerce');
SELECT dataproduct.create_product(NULL, 'commerce');
\echo :LAST_ERROR_SQLSTATE
SELECT dataproduct.create_product('refunds', NULL);
\echo :LAST_ERROR_SQLSTATE

-- the catalog is only written through these functions
SET ROLE regress_dp_owner;
INSERT INTO dataproduct.domain (name, owner, created_by) VALUES ('x', 'regress_dp_owner', 'x');
UPDATE dataproduct.product SET domain = 'marketing';
SELECT count(*) FROM dataproduct.product;
RESET ROLE;
