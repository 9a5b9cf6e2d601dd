--
-- ALTER EXTENSION dataproduct UPDATE from 0.1.0, with data in the catalog
--
\set SHOW_CONTEXT never
SET client_min_messages = error;
SET dataproduct.guard = off;
DROP EXTENSION dataproduct;
RESET dataproduct.guard;
RESET client_min_messages;

CREATE EXTENSION dataproduct VERSION '0.1.0';
CREATE SCHEMA upg;
CREATE TABLE upg.parts (id int PRIMARY KEY, name text NOT NULL);
INSERT INTO upg.parts VALUES (1, 'bolt'), (2, 'nut');
GRANT USAGE ON SCHEMA upg TO regress_dp_owner;
GRANT SELECT ON upg.parts TO regress_dp_owner;
SELECT dataproduct.create_domain('upgrades', 'regress_dp_owner');
SELECT dataproduct.create_product('parts', 'upgrades');
SELECT dataproduct.publish('parts', '1.0.0', '{upg.parts}');
-- the library is newer than the installed script: publishing still works
ALTER TABLE upg.parts ADD COLUMN weight numeric;
SELECT dataproduct.publish('parts', '1.1.0', '{upg.parts}');
SELECT product, domain, owner, version, schema, status, outputs FROM dataproduct.catalog;

ALTER EXTENSION dataproduct UPDATE;
SELECT extversion FROM pg_extension WHERE extname = 'dataproduct';

-- the catalog kept its data, and gained the sharing objects
SELECT product, version, schema, consumers FROM dataproduct.catalog;
SELECT product, version, outputs FROM dataproduct.versions ORDER BY version;
SELECT unnest(extconfig)::regclass AS dumped
  FROM pg_extension WHERE extname = 'dataproduct' ORDER BY 1;
SELECT count(*) AS uncommented
  FROM pg_depend d
 WHERE refclassid = 'pg_extension'::regclass
   AND refobjid = (SELECT oid FROM pg_extension WHERE extname = 'dataproduct')
   AND deptype = 'e'
   AND obj_description(objid, classid::regclass::name) IS NULL
   AND NOT EXISTS (SELECT FROM pg_class c
                    WHERE classid = 'pg_class'::regclass AND c.oid = objid
                      AND c.relkind = 'S');

-- and the versions published before the update can be shared
SELECT dataproduct.grant_access('parts', 1, 'regress_dp_consumer');
ALTER TABLE upg.parts ADD COLUMN supplier text;
SELECT dataproduct.publish('parts', '1.2.0', '{upg.parts}');
SET ROLE regress_dp_consumer;
SELECT * FROM parts_v1.parts ORDER BY id;
RESET ROLE;
SELECT dataproduct.revoke_access('parts', 1, 'regress_dp_consumer');
