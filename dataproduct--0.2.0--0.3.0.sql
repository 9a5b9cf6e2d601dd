/* dataproduct--0.2.0--0.3.0.sql */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION dataproduct UPDATE TO '0.3.0'" to load this file. \quit

--
-- 0.3.0: trustworthy under attack.  The guard keeps working whatever the
-- session's session_replication_role, contracts promise a view's security
-- properties, and product names are checked where they are created.
--

-- [catalog]

-- A view's security properties are part of its contract: a release that
-- loses a security barrier would let readers' leaky functions see rows the
-- view filters out.  Earlier releases promised what their live view has.
ALTER TABLE dataproduct.release_output
    ADD COLUMN security_barrier boolean NOT NULL DEFAULT false,
    ADD COLUMN security_invoker boolean NOT NULL DEFAULT false;
COMMENT ON COLUMN dataproduct.release_output.security_barrier IS
    'The output is a security barrier view: readers'' functions never see rows it filters out';
COMMENT ON COLUMN dataproduct.release_output.security_invoker IS
    'The output checks the privileges of its reader, not of its owner, on what it reads';
UPDATE dataproduct.release_output o
   SET security_barrier = COALESCE(v.barrier, false),
       security_invoker = COALESCE(v.invoker, false)
  FROM dataproduct.release r
  JOIN dataproduct.major_version m USING (product, major),
       LATERAL (SELECT pg_catalog.bool_or(opt IN ('security_barrier=true', 'security_barrier=on')) AS barrier,
                       pg_catalog.bool_or(opt IN ('security_invoker=true', 'security_invoker=on')) AS invoker
                  FROM pg_catalog.pg_class c
                  JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace,
                       pg_catalog.unnest(c.reloptions) AS opt
                 WHERE n.nspname OPERATOR(pg_catalog.=) m.schema_name
                   AND c.relname OPERATOR(pg_catalog.=) o.name) v
 WHERE o.release_id OPERATOR(pg_catalog.=) r.release_id;

-- [guard]

-- [contract]

-- [publish]

-- [sharing]
