--
-- Installation: what CREATE EXTENSION creates, and the roles the other
-- tests share.
--
CREATE EXTENSION dataproduct;

-- non-relocatable, in its own schema, needing a superuser
SELECT extname, extversion, extrelocatable, extnamespace::regnamespace
  FROM pg_extension WHERE extname = 'dataproduct';

-- every object of the extension
SELECT pg_describe_object(classid, objid, objsubid) AS object
  FROM pg_depend
 WHERE refclassid = 'pg_extension'::regclass
   AND refobjid = (SELECT oid FROM pg_extension WHERE extname = 'dataproduct')
   AND deptype = 'e'
 ORDER BY 1;

-- every one of them has a comment (sequences and the schema aside)
SELECT pg_describe_object(classid, objid, objsubid) AS uncommented
  FROM pg_depend d
 WHERE refclassid = 'pg_extension'::regclass
   AND refobjid = (SELECT oid FROM pg_extension WHERE extname = 'dataproduct')
   AND deptype = 'e'
   AND obj_description(objid, classid::regclass::name) IS NULL
   AND NOT EXISTS (SELECT FROM pg_class c
                    WHERE classid = 'pg_class'::regclass AND c.oid = objid
                      AND c.relkind = 'S');

-- catalog tables and their sequence are dumped by pg_dump
SELECT unnest(extconfig)::regclass AS dumped
  FROM pg_extension WHERE extname = 'dataproduct' ORDER BY 1;

-- every function callable from SQL pins its search_path, and none is
-- SECURITY DEFINER (the guard's trigger functions pin it where it matters)
SELECT p.oid::regprocedure AS function, p.proconfig, p.prosecdef
  FROM pg_proc p
 WHERE p.pronamespace = 'dataproduct'::regnamespace
   AND p.prorettype NOT IN ('trigger'::regtype, 'event_trigger'::regtype)
 ORDER BY 1;

-- the guard: event triggers, and the triggers that keep its cache fresh
SELECT evtname, evtevent, evttags, evtenabled FROM pg_event_trigger ORDER BY 1;
SELECT tgname, tgrelid::regclass FROM pg_trigger
 WHERE tgrelid::regclass::text LIKE 'dataproduct.%' AND NOT tgisinternal ORDER BY 2;

-- the views are readable by everyone, the tables by nobody else
SELECT c.relname, c.relkind,
       ARRAY(SELECT privilege_type FROM aclexplode(c.relacl)
              WHERE grantee = 0) AS public_privileges
  FROM pg_class c
 WHERE c.relnamespace = 'dataproduct'::regnamespace AND c.relkind IN ('r', 'v')
 ORDER BY 1;

-- roles shared by the tests
CREATE ROLE regress_dp_owner;			-- owns domain "commerce"
CREATE ROLE regress_dp_member IN ROLE regress_dp_owner;
CREATE ROLE regress_dp_stranger;
CREATE ROLE regress_dp_consumer;
