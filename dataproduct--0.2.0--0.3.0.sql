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
   SET security_barrier = v.barrier, security_invoker = v.invoker
  FROM (SELECT r.release_id, c.relname,
               EXISTS (SELECT FROM pg_catalog.pg_options_to_table(c.reloptions) opt
                        WHERE opt.option_name OPERATOR(pg_catalog.=) 'security_barrier'
                          AND opt.option_value::pg_catalog.bool) AS barrier,
               EXISTS (SELECT FROM pg_catalog.pg_options_to_table(c.reloptions) opt
                        WHERE opt.option_name OPERATOR(pg_catalog.=) 'security_invoker'
                          AND opt.option_value::pg_catalog.bool) AS invoker
          FROM dataproduct.release r
          JOIN dataproduct.major_version m USING (product, major)
          JOIN pg_catalog.pg_namespace n
            ON n.nspname OPERATOR(pg_catalog.=) m.schema_name
          JOIN pg_catalog.pg_class c
            ON c.relnamespace OPERATOR(pg_catalog.=) n.oid) v
 WHERE o.release_id OPERATOR(pg_catalog.=) v.release_id
   AND o.name OPERATOR(pg_catalog.=) v.relname;

-- [guard]

-- The guard fires whatever the session's session_replication_role: with
-- the default ENABLE, "SET session_replication_role = replica" would switch
-- it off silently.  DDL is not replicated by logical replication, so
-- firing in replica mode changes nothing for appliers.
ALTER EVENT TRIGGER dataproduct_guard_ddl_command_end ENABLE ALWAYS;
ALTER EVENT TRIGGER dataproduct_guard_sql_drop ENABLE ALWAYS;
-- The ddl_command_start trigger also keeps the extension's functions, the
-- guard's own among them, from being replaced or altered: once replaced, or
-- given SET dataproduct.guard = off, a trigger function would judge its own
-- change at ddl_command_end.
DROP EVENT TRIGGER dataproduct_guard_drop_extension;
CREATE EVENT TRIGGER dataproduct_guard_ddl_command_start
    ON ddl_command_start
    WHEN TAG IN ('DROP EXTENSION', 'DROP SCHEMA', 'DROP OWNED',
                 'CREATE FUNCTION', 'ALTER FUNCTION', 'CREATE PROCEDURE',
                 'ALTER PROCEDURE', 'ALTER ROUTINE')
    EXECUTE FUNCTION dataproduct.guard_ddl_command_start();
COMMENT ON EVENT TRIGGER dataproduct_guard_ddl_command_start IS
    'dataproduct contract guard: the extension and its functions stay while versions are live';
ALTER EVENT TRIGGER dataproduct_guard_ddl_command_start ENABLE ALWAYS;
COMMENT ON FUNCTION dataproduct.guard_ddl_command_start() IS
    'Refuses to drop the extension while data products have live versions, and to replace or alter its functions';
ALTER TABLE dataproduct.major_version ENABLE ALWAYS TRIGGER guard_catalog_changed;
ALTER TABLE dataproduct.release ENABLE ALWAYS TRIGGER guard_catalog_changed;

-- [contract]

-- A domain whose owner role was dropped (PostgreSQL allows it while the
-- role owns no version schema yet) is repaired by giving it a new owner.
-- Like the other functions, it runs with the caller's privileges and checks
-- them (src/domain.c): a member of the current owner, or a superuser when
-- the owner no longer exists, who may also create a domain for the new one.
CREATE FUNCTION dataproduct.alter_domain(
    name text,
    owner regrole)
RETURNS void
LANGUAGE C VOLATILE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'dp_alter_domain';
COMMENT ON FUNCTION dataproduct.alter_domain(text, regrole) IS
    'Give a domain a new owner role, which must already own its version schemas and views';

-- [publish]

-- A registration of a consumer is the registering role's: the role it
-- connected as is part of the key, so that a role with access can neither
-- take over another role's registration nor register another consumer's
-- database ahead of it to block its subscribe().
ALTER TABLE dataproduct.consumer
    DROP CONSTRAINT consumer_pkey,
    ADD PRIMARY KEY (product, major, consumer_system, consumer_database,
                     consumer_server, connected_as);
COMMENT ON TABLE dataproduct.consumer IS
    'Databases that subscribed to a major version, as they registered through the consumers view: one registration per database and role it connected as';

-- [sharing]
