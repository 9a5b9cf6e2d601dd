/* dataproduct--0.3.0--0.4.0.sql */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION dataproduct UPDATE TO '0.4.0'" to load this file. \quit

--
-- 0.4.0: the lifecycle of a major version.  Majors are deprecated and
-- retired once nobody uses them; usage tracking (with dataproduct in
-- shared_preload_libraries) tells who reads what; impact() says who a
-- breaking change would hit; costs says what live versions cost; events is
-- the audit trail of every catalog change.
--

-- [audit]

-- The audit trail: one event per change dataproduct's functions make to
-- the catalog, written by the triggers below in the same transaction
-- (src/audit.c), and one per change the guard lets through because
-- dataproduct.guard is off.  Roles are names: an event outlives them.
CREATE TABLE dataproduct.event (
    event_id     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at           timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
    session_role name NOT NULL,
    acting_role  name NOT NULL,
    action       text NOT NULL
                 CHECK (action IN ('create_domain', 'alter_domain',
                                   'create_product', 'publish', 'deprecate',
                                   'undeprecate', 'retire', 'grant', 'revoke',
                                   'register', 'unregister', 'guard_bypassed')),
    product      text,
    major        integer,
    version      text,
    details      jsonb NOT NULL
);
COMMENT ON TABLE dataproduct.event IS
    'The audit trail of the catalog: append-only, written by dataproduct''s functions in the transaction of each change';
COMMENT ON COLUMN dataproduct.event.at IS
    'When the change was made, within its transaction';
COMMENT ON COLUMN dataproduct.event.session_role IS
    'The session user';
COMMENT ON COLUMN dataproduct.event.acting_role IS
    'The role that made the change: the session user, or the role of SET ROLE; in a SECURITY DEFINER function, the role that called it';
COMMENT ON COLUMN dataproduct.event.details IS
    'What changed: the catalog row''s columns, and for an update their previous values; for guard_bypassed, the refusal and the statement';
SELECT pg_catalog.pg_extension_config_dump('dataproduct.event', '');
SELECT pg_catalog.pg_extension_config_dump('dataproduct.event_event_id_seq', '');

-- Nobody but the catalog owner may write the trail, and nobody, its owner
-- included, may change or remove an event: only a later upgrade script of
-- the extension may migrate them.  Retention is not the trail's to decide.
CREATE FUNCTION dataproduct.audit_append_only()
RETURNS trigger
LANGUAGE C
AS 'MODULE_PATHNAME', 'dp_audit_append_only';
COMMENT ON FUNCTION dataproduct.audit_append_only() IS
    'Refuses to update, delete or truncate the events of the audit trail';
REVOKE EXECUTE ON FUNCTION dataproduct.audit_append_only() FROM PUBLIC;

CREATE TRIGGER audit_append_only
    BEFORE UPDATE OR DELETE ON dataproduct.event
    FOR EACH ROW EXECUTE FUNCTION dataproduct.audit_append_only();
COMMENT ON TRIGGER audit_append_only ON dataproduct.event IS
    'Events are never changed nor removed';
CREATE TRIGGER audit_append_only_truncate
    BEFORE TRUNCATE ON dataproduct.event
    FOR EACH STATEMENT EXECUTE FUNCTION dataproduct.audit_append_only();
COMMENT ON TRIGGER audit_append_only_truncate ON dataproduct.event IS
    'Events are never removed';
ALTER TABLE dataproduct.event ENABLE ALWAYS TRIGGER audit_append_only;
ALTER TABLE dataproduct.event ENABLE ALWAYS TRIGGER audit_append_only_truncate;

-- Which change of a catalog row is which action: the argument of each
-- trigger.  ENABLE ALWAYS, so that session_replication_role skips none.
CREATE FUNCTION dataproduct.audit_catalog_change()
RETURNS trigger
LANGUAGE C
AS 'MODULE_PATHNAME', 'dp_audit_catalog_change';
COMMENT ON FUNCTION dataproduct.audit_catalog_change() IS
    'Records a change that dataproduct''s functions made to a catalog row as an event of the audit trail';
-- nobody else attaches it to a table of their own
REVOKE EXECUTE ON FUNCTION dataproduct.audit_catalog_change() FROM PUBLIC;

CREATE TRIGGER audit_create_domain
    AFTER INSERT ON dataproduct.domain
    FOR EACH ROW EXECUTE FUNCTION dataproduct.audit_catalog_change('create_domain');
COMMENT ON TRIGGER audit_create_domain ON dataproduct.domain IS
    'create_domain() is an event';
CREATE TRIGGER audit_alter_domain
    AFTER UPDATE OF owner ON dataproduct.domain
    FOR EACH ROW WHEN (OLD.owner IS DISTINCT FROM NEW.owner)
    EXECUTE FUNCTION dataproduct.audit_catalog_change('alter_domain');
COMMENT ON TRIGGER audit_alter_domain ON dataproduct.domain IS
    'alter_domain() giving a domain a new owner is an event';
CREATE TRIGGER audit_create_product
    AFTER INSERT ON dataproduct.product
    FOR EACH ROW EXECUTE FUNCTION dataproduct.audit_catalog_change('create_product');
COMMENT ON TRIGGER audit_create_product ON dataproduct.product IS
    'create_product() is an event';
CREATE TRIGGER audit_publish
    AFTER INSERT ON dataproduct.release
    FOR EACH ROW EXECUTE FUNCTION dataproduct.audit_catalog_change('publish');
COMMENT ON TRIGGER audit_publish ON dataproduct.release IS
    'Every release publish() records is an event';
-- deprecate() again, with another sunset date or message, is one too
CREATE TRIGGER audit_deprecate
    AFTER UPDATE ON dataproduct.major_version
    FOR EACH ROW WHEN (NEW.status = 'deprecated' AND OLD.* IS DISTINCT FROM NEW.*)
    EXECUTE FUNCTION dataproduct.audit_catalog_change('deprecate');
COMMENT ON TRIGGER audit_deprecate ON dataproduct.major_version IS
    'deprecate() changing the deprecation of a major version is an event';
CREATE TRIGGER audit_undeprecate
    AFTER UPDATE ON dataproduct.major_version
    FOR EACH ROW WHEN (OLD.status = 'deprecated' AND NEW.status = 'published')
    EXECUTE FUNCTION dataproduct.audit_catalog_change('undeprecate');
COMMENT ON TRIGGER audit_undeprecate ON dataproduct.major_version IS
    'undeprecate() is an event';
CREATE TRIGGER audit_retire
    AFTER UPDATE ON dataproduct.major_version
    FOR EACH ROW WHEN (OLD.status <> 'retired' AND NEW.status = 'retired')
    EXECUTE FUNCTION dataproduct.audit_catalog_change('retire');
COMMENT ON TRIGGER audit_retire ON dataproduct.major_version IS
    'retire() is an event';
CREATE TRIGGER audit_grant
    AFTER INSERT ON dataproduct.access
    FOR EACH ROW EXECUTE FUNCTION dataproduct.audit_catalog_change('grant');
COMMENT ON TRIGGER audit_grant ON dataproduct.access IS
    'grant_access() to a role without access is an event';
CREATE TRIGGER audit_revoke
    AFTER DELETE ON dataproduct.access
    FOR EACH ROW EXECUTE FUNCTION dataproduct.audit_catalog_change('revoke');
COMMENT ON TRIGGER audit_revoke ON dataproduct.access IS
    'revoke_access(), and retire() for each grant, is an event';
CREATE TRIGGER audit_register
    AFTER INSERT ON dataproduct.consumer
    FOR EACH ROW EXECUTE FUNCTION dataproduct.audit_catalog_change('register');
COMMENT ON TRIGGER audit_register ON dataproduct.consumer IS
    'A new registration of a consumer is an event; registering again to record a newer version is not';
CREATE TRIGGER audit_unregister
    AFTER DELETE ON dataproduct.consumer
    FOR EACH ROW EXECUTE FUNCTION dataproduct.audit_catalog_change('unregister');
COMMENT ON TRIGGER audit_unregister ON dataproduct.consumer IS
    'A registration removed, by its consumer, a forced revoke_access() or retire(), is an event';
ALTER TABLE dataproduct.domain ENABLE ALWAYS TRIGGER audit_create_domain;
ALTER TABLE dataproduct.domain ENABLE ALWAYS TRIGGER audit_alter_domain;
ALTER TABLE dataproduct.product ENABLE ALWAYS TRIGGER audit_create_product;
ALTER TABLE dataproduct.release ENABLE ALWAYS TRIGGER audit_publish;
ALTER TABLE dataproduct.major_version ENABLE ALWAYS TRIGGER audit_deprecate;
ALTER TABLE dataproduct.major_version ENABLE ALWAYS TRIGGER audit_undeprecate;
ALTER TABLE dataproduct.major_version ENABLE ALWAYS TRIGGER audit_retire;
ALTER TABLE dataproduct.access ENABLE ALWAYS TRIGGER audit_grant;
ALTER TABLE dataproduct.access ENABLE ALWAYS TRIGGER audit_revoke;
ALTER TABLE dataproduct.consumer ENABLE ALWAYS TRIGGER audit_register;
ALTER TABLE dataproduct.consumer ENABLE ALWAYS TRIGGER audit_unregister;

-- Who sees which events: the domain (its owner, members and superusers)
-- those about its products and itself, every role the changes it made;
-- guard_bypassed events, which concern no product, only superusers.  A
-- security barrier, like consumers, whose registrations events repeat.
CREATE VIEW dataproduct.events WITH (security_barrier) AS
SELECT e.event_id,
       e.at,
       e.session_role,
       e.acting_role,
       e.action,
       e.product,
       e.major,
       e.version,
       e.details
  FROM dataproduct.event e
  LEFT JOIN dataproduct.product p ON p.name = e.product
  LEFT JOIN dataproduct.domain d
    ON d.name = COALESCE(p.domain, e.details ->> 'domain')
 WHERE pg_catalog.pg_has_role(d.owner, 'USAGE')
    OR e.acting_role = CURRENT_USER
    OR (SELECT r.rolsuper FROM pg_catalog.pg_roles r
         WHERE r.rolname = CURRENT_USER);
COMMENT ON VIEW dataproduct.events IS
    'The audit trail: who changed what in the catalog and when, including changes let through with the guard off; each domain sees its own';
GRANT SELECT ON dataproduct.events TO PUBLIC;

-- [lifecycle]

-- A major version is deprecated (deprecate(), with a sunset date and a
-- message for its consumers), then retired (retire()) once nobody uses
-- it: its schema goes, its releases and contracts stay in the catalog.
ALTER TABLE dataproduct.major_version
    ADD COLUMN deprecated_at timestamptz,
    ADD COLUMN message text,
    ADD COLUMN retired_at timestamptz;
COMMENT ON COLUMN dataproduct.major_version.deprecated_at IS
    'When deprecate() first marked the major version deprecated; NULL while it is published';
COMMENT ON COLUMN dataproduct.major_version.message IS
    'What the domain tells the consumers of a deprecated major version, typically which version to move to';
COMMENT ON COLUMN dataproduct.major_version.retired_at IS
    'When retire() dropped the schema of the major version';

-- the same columns as before, in the same order, and the message of a
-- deprecated major version and when it was deprecated
CREATE OR REPLACE VIEW dataproduct.catalog AS
SELECT p.name AS product,
       p.domain,
       d.owner,
       v.version,
       m.schema_name AS schema,
       m.status,
       v.published_at,
       m.sunset,
       v.outputs,
       (SELECT pg_catalog.count(*)
          FROM dataproduct.consumer c
         WHERE c.product OPERATOR(pg_catalog.=) m.product
           AND c.major OPERATOR(pg_catalog.=) m.major) AS consumers,
       m.message,
       m.deprecated_at
  FROM dataproduct.major_version m
  JOIN dataproduct.product p ON p.name = m.product
  JOIN dataproduct.domain d ON d.name = p.domain
  CROSS JOIN LATERAL (
        SELECT vv.version, vv.published_at, vv.outputs
          FROM dataproduct.versions vv
         WHERE vv.product = m.product AND vv.major = m.major
         ORDER BY vv.minor DESC, vv.patch DESC
         LIMIT 1) v
 WHERE m.status <> 'retired';

-- the contracts of retired releases stay; the status tells them apart
CREATE OR REPLACE VIEW dataproduct.contract_columns AS
SELECT r.product,
       pg_catalog.format('%s.%s.%s', r.major, r.minor, r.patch) AS version,
       m.schema_name AS schema,
       c.output,
       c.position,
       c.name AS column_name,
       c.type,
       c.not_null,
       c.description,
       m.status
  FROM dataproduct.release_column c
  JOIN dataproduct.release r USING (release_id)
  JOIN dataproduct.major_version m USING (product, major);

CREATE FUNCTION dataproduct.deprecate(
    product text,
    major integer,
    sunset date DEFAULT NULL,
    message text DEFAULT NULL)
RETURNS void
LANGUAGE C VOLATILE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'dp_deprecate';
COMMENT ON FUNCTION dataproduct.deprecate(text, integer, date, text) IS
    'Mark a major version deprecated, with the date after which it may be retired and a message for its consumers; again, to change them';

CREATE FUNCTION dataproduct.undeprecate(
    product text,
    major integer)
RETURNS void
LANGUAGE C VOLATILE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'dp_undeprecate';
COMMENT ON FUNCTION dataproduct.undeprecate(text, integer) IS
    'Take the deprecation of a major version back: it is published again, without sunset date or message';

CREATE FUNCTION dataproduct.retire(
    product text,
    major integer,
    force boolean DEFAULT false)
RETURNS void
LANGUAGE C VOLATILE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'dp_retire';
COMMENT ON FUNCTION dataproduct.retire(text, integer, boolean) IS
    'Drop the schema of a deprecated major version past its sunset date that nobody uses any more, keeping its contracts; force cuts its users off';

-- [usage]

CREATE FUNCTION dataproduct.usage_counters(
    OUT product text, OUT major integer, OUT schema name, OUT output name,
    OUT role oid, OUT queries bigint, OUT total_time_ms double precision,
    OUT columns_read name[], OUT first_read timestamptz,
    OUT last_read timestamptz)
RETURNS SETOF record
LANGUAGE C VOLATILE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'dp_usage_counters';
COMMENT ON FUNCTION dataproduct.usage_counters() IS
    'Usage counters of version views in this database that the caller may see: its own roles'' and those of its domains'' products; no rows, and a notice, unless dataproduct is in shared_preload_libraries';

CREATE FUNCTION dataproduct.usage_reset()
RETURNS void
LANGUAGE C VOLATILE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'dp_usage_reset';
COMMENT ON FUNCTION dataproduct.usage_reset() IS
    'Forgets every usage counter, of every database';
REVOKE EXECUTE ON FUNCTION dataproduct.usage_reset() FROM PUBLIC;

-- usage_counters() returns only the rows the caller may see; a consumer's
-- registrations are visible to the same roles as in dataproduct.consumers
-- (the product's domain and the role it connects as).
CREATE VIEW dataproduct.usage AS
SELECT u.product,
       u.major,
       u.output,
       u.role::pg_catalog.regrole AS role,
       (SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                   'database', c.consumer_database,
                   'server', c.consumer_server,
                   'schema', c.consumer_schema,
                   'role', c.consumer_role,
                   'system', c.consumer_system,
                   'version', c.version)
                 ORDER BY c.consumer_system, c.consumer_database,
                          c.consumer_server)
          FROM dataproduct.consumer c
         WHERE c.product OPERATOR(pg_catalog.=) u.product
           AND c.major OPERATOR(pg_catalog.=) u.major
           AND c.connected_as::pg_catalog.oid OPERATOR(pg_catalog.=) u.role)
         AS consumers,
       u.queries,
       u.total_time_ms,
       u.columns_read,
       u.first_read,
       u.last_read
  FROM dataproduct.usage_counters() u;
COMMENT ON VIEW dataproduct.usage IS
    'Who reads which version view: per output and reading role (over postgres_fdw, the role of the consumer''s user mapping, with its registrations), statements, time, columns read, first and last read; counted with dataproduct in shared_preload_libraries, since the counters were last reset';
COMMENT ON COLUMN dataproduct.usage.role IS
    'The current user of the reading statements';
COMMENT ON COLUMN dataproduct.usage.consumers IS
    'Registrations of consumers (dataproduct.consumers) that connect as this role, or NULL';
COMMENT ON COLUMN dataproduct.usage.queries IS
    'Statements that read the view and ended without error, at any nesting level';
COMMENT ON COLUMN dataproduct.usage.total_time_ms IS
    'Execution time of those statements, in milliseconds; a statement that reads several version views counts in full for each';
COMMENT ON COLUMN dataproduct.usage.columns_read IS
    'Columns of the view that any of those statements read, in column order';
COMMENT ON COLUMN dataproduct.usage.first_read IS
    'Start of the first statement counted';
COMMENT ON COLUMN dataproduct.usage.last_read IS
    'Start of the last statement counted';
GRANT SELECT ON dataproduct.usage TO PUBLIC;

-- [impact-costs]

-- impact(): who a breaking change would hit (src/impact.c).  It runs with
-- the caller's privileges and lets only the product's domain (its owner,
-- members, superusers) see who uses the product.
CREATE FUNCTION dataproduct.impact(
    product text,
    outputs regclass[])
RETURNS TABLE (output name, column_name name, change text, detail text,
               kind text, who text, queries bigint, last_read timestamptz)
LANGUAGE C STABLE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'dp_impact';
COMMENT ON FUNCTION dataproduct.impact(text, regclass[]) IS
    'For each change publishing these outputs would make that breaks the latest live major version: the registered consumers it hits (all of them) and the roles whose recorded reads it hits (usage tracking)';

-- costs: what the live versions read and what reading them costs.  Rows
-- are visible to the domain of the product (its owner, members,
-- superusers) and to members of pg_read_all_stats, the platform team's
-- role; a security barrier, so that no function in a query sees the
-- others.  Which relations another domain's products read shows only as
-- a count (shared_relations).
-- The query runs in a function so that it can set jit = off: its estimated
-- cost (recursive walks of the catalogs) would have JIT compile it for far
-- longer than it runs.  It reads what anyone may read (dataproduct.catalog,
-- the counters the caller may see); the view shows each caller its
-- domains' rows.
CREATE FUNCTION dataproduct.cost_rows(
    OUT domain text, OUT product text, OUT relations integer,
    OUT storage_bytes bigint, OUT rows_estimate bigint,
    OUT shared_relations integer, OUT reads bigint,
    OUT read_time_ms double precision, OUT reads_by_domain jsonb)
RETURNS SETOF record
LANGUAGE sql STABLE
SET jit = off
SET search_path = pg_catalog, pg_temp
AS $cost_rows$
WITH RECURSIVE live AS (
    SELECT c.domain, c.product, c.owner,
           pg_catalog.split_part(c.version, '.', 1)::integer AS major,
           c.schema AS schema_name
      FROM dataproduct.catalog c
), reads (product, relid, relkind) AS (
    -- the views of the live version schemas
    SELECT l.product, c.oid, c.relkind
      FROM live l
      JOIN pg_catalog.pg_namespace n
        ON n.nspname OPERATOR(pg_catalog.=) l.schema_name
      JOIN pg_catalog.pg_class c
        ON c.relnamespace OPERATOR(pg_catalog.=) n.oid
     WHERE c.relkind OPERATOR(pg_catalog.=) 'v'
    UNION
    -- what a view's query reads, and a table's partitions and inheritance
    -- children; a materialized view is read, not what it was made from
    SELECT r.product, c.oid, c.relkind
      FROM reads r
     CROSS JOIN LATERAL (
            SELECT dep.refobjid AS relid
              FROM pg_catalog.pg_rewrite w
              JOIN pg_catalog.pg_depend dep
                ON dep.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_rewrite'::pg_catalog.regclass
               AND dep.objid OPERATOR(pg_catalog.=) w.oid
               AND dep.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass
             WHERE r.relkind OPERATOR(pg_catalog.=) 'v'
               AND w.ev_class OPERATOR(pg_catalog.=) r.relid
               AND dep.refobjid OPERATOR(pg_catalog.<>) r.relid
            UNION
            SELECT i.inhrelid
              FROM pg_catalog.pg_inherits i
             WHERE i.inhparent OPERATOR(pg_catalog.=) r.relid) e
      JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) e.relid
     WHERE c.relkind OPERATOR(pg_catalog.=) ANY ('{r,p,m,f,v}'::"char"[])
), base AS (
    -- relations that hold the rows: tables (each partition and child),
    -- materialized views, foreign tables, each once per product
    SELECT DISTINCT l.domain, r.product, r.relid,
           CASE WHEN r.relkind OPERATOR(pg_catalog.=) 'f' THEN 0
                ELSE pg_catalog.pg_total_relation_size(r.relid) END AS bytes,
           CASE WHEN c.reltuples OPERATOR(pg_catalog.>) 0
                THEN pg_catalog.int8(c.reltuples) ELSE 0 END AS row_estimate
      FROM reads r
      JOIN (SELECT DISTINCT domain, product FROM live) l
        ON l.product OPERATOR(pg_catalog.=) r.product
      JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) r.relid
     WHERE r.relkind OPERATOR(pg_catalog.=) ANY ('{r,m,f}'::"char"[])
), counters AS (
    -- reads of live versions recorded by usage tracking
    SELECT l.domain, u.product, u.role::pg_catalog.oid AS role,
           u.queries, u.total_time_ms
      FROM dataproduct.usage_counters() u
      JOIN live l ON l.product OPERATOR(pg_catalog.=) u.product
                 AND l.major OPERATOR(pg_catalog.=) u.major
), role_domains (role, member_of) AS (
    -- the roles each reading role is a member of, itself included
    SELECT DISTINCT c.role, c.role FROM counters c
    UNION
    SELECT rd.role, am.roleid
      FROM role_domains rd
      JOIN pg_catalog.pg_auth_members am
        ON am.member OPERATOR(pg_catalog.=) rd.member_of
), reading AS (
    -- reads by product and domain of the reading role (NULL: a role of no
    -- domain); a role of several domains counts for each of them
    SELECT c.domain, c.product, rdom.name AS reader_domain,
           pg_catalog.sum(c.queries)::bigint AS reads,
           pg_catalog.sum(c.total_time_ms)::double precision AS read_time_ms
      FROM counters c
      LEFT JOIN LATERAL (
            SELECT DISTINCT d.name
              FROM role_domains rd
              JOIN (SELECT DISTINCT l.domain AS name, l.owner FROM live l) d
                ON d.owner::pg_catalog.oid OPERATOR(pg_catalog.=) rd.member_of
             WHERE rd.role OPERATOR(pg_catalog.=) c.role) rdom
        ON true
     GROUP BY 1, 2, 3
), shared AS (
    -- each relation of each product, and whether another product or a
    -- product of another domain reads it too
    SELECT b.*,
           pg_catalog.count(*) OVER w OPERATOR(pg_catalog.>) 1 AS by_product,
           pg_catalog.min(b.domain) OVER w OPERATOR(pg_catalog.<>)
               pg_catalog.max(b.domain) OVER w AS by_domain
      FROM base b
    WINDOW w AS (PARTITION BY b.relid)
), product_relations AS (
    SELECT s.product,
           pg_catalog.count(*)::integer AS relations,
           pg_catalog.sum(s.bytes)::bigint AS storage_bytes,
           pg_catalog.sum(s.row_estimate)::bigint AS rows_estimate,
           pg_catalog.count(*) FILTER (WHERE s.by_product)::integer AS shared_relations
      FROM shared s
     GROUP BY s.product
), domain_relations AS (
    SELECT x.domain,
           pg_catalog.count(*)::integer AS relations,
           pg_catalog.sum(x.bytes)::bigint AS storage_bytes,
           pg_catalog.sum(x.row_estimate)::bigint AS rows_estimate,
           pg_catalog.count(*) FILTER (WHERE x.by_domain)::integer AS shared_relations
      FROM (SELECT DISTINCT s.domain, s.relid, s.bytes, s.row_estimate, s.by_domain
              FROM shared s) x
     GROUP BY x.domain
), product_reads AS (
    SELECT c.product,
           pg_catalog.sum(c.queries)::bigint AS reads,
           pg_catalog.sum(c.total_time_ms)::double precision AS read_time_ms
      FROM counters c
     GROUP BY c.product
), domain_reads AS (
    SELECT c.domain,
           pg_catalog.sum(c.queries)::bigint AS reads,
           pg_catalog.sum(c.total_time_ms)::double precision AS read_time_ms
      FROM counters c
     GROUP BY c.domain
), product_split AS (
    SELECT r.product,
           pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
               'domain', r.reader_domain, 'reads', r.reads,
               'read_time_ms', r.read_time_ms)
             ORDER BY r.reader_domain NULLS LAST) AS reads_by_domain
      FROM reading r
     GROUP BY r.product
), domain_split AS (
    SELECT x.domain,
           pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
               'domain', x.reader_domain, 'reads', x.reads,
               'read_time_ms', x.read_time_ms)
             ORDER BY x.reader_domain NULLS LAST) AS reads_by_domain
      FROM (SELECT r.domain, r.reader_domain,
                   pg_catalog.sum(r.reads)::bigint AS reads,
                   pg_catalog.sum(r.read_time_ms)::double precision AS read_time_ms
              FROM reading r
             GROUP BY 1, 2) x
     GROUP BY x.domain
), totals AS (
    -- one row per live product
    SELECT l.domain, l.product, pr.relations, pr.storage_bytes,
           pr.rows_estimate, pr.shared_relations, rd.reads, rd.read_time_ms,
           sp.reads_by_domain
      FROM (SELECT DISTINCT domain, product FROM live) l
      LEFT JOIN product_relations pr ON pr.product OPERATOR(pg_catalog.=) l.product
      LEFT JOIN product_reads rd ON rd.product OPERATOR(pg_catalog.=) l.product
      LEFT JOIN product_split sp ON sp.product OPERATOR(pg_catalog.=) l.product
    UNION ALL
    -- one row per domain with a live product: its relations counted once
    SELECT l.domain, NULL, dr.relations, dr.storage_bytes, dr.rows_estimate,
           dr.shared_relations, rd.reads, rd.read_time_ms, sp.reads_by_domain
      FROM (SELECT DISTINCT domain FROM live) l
      LEFT JOIN domain_relations dr ON dr.domain OPERATOR(pg_catalog.=) l.domain
      LEFT JOIN domain_reads rd ON rd.domain OPERATOR(pg_catalog.=) l.domain
      LEFT JOIN domain_split sp ON sp.domain OPERATOR(pg_catalog.=) l.domain
)
SELECT t.domain,
       t.product,
       COALESCE(t.relations, 0) AS relations,
       COALESCE(t.storage_bytes, 0) AS storage_bytes,
       COALESCE(t.rows_estimate, 0) AS rows_estimate,
       COALESCE(t.shared_relations, 0) AS shared_relations,
       COALESCE(t.reads, 0) AS reads,
       COALESCE(t.read_time_ms, 0) AS read_time_ms,
       COALESCE(t.reads_by_domain, '[]'::pg_catalog.jsonb) AS reads_by_domain
  FROM totals t
$cost_rows$;
COMMENT ON FUNCTION dataproduct.cost_rows() IS
    'The rows of dataproduct.costs, from what anyone may read of the catalog';
-- pg_has_role() checks the role that queries the view
CREATE VIEW dataproduct.costs WITH (security_barrier) AS
SELECT c.domain, c.product, c.relations, c.storage_bytes, c.rows_estimate,
       c.shared_relations, c.reads, c.read_time_ms, c.reads_by_domain
  FROM dataproduct.cost_rows() c
  JOIN (SELECT DISTINCT domain, owner FROM dataproduct.catalog) d
    ON d.domain OPERATOR(pg_catalog.=) c.domain
 WHERE pg_catalog.pg_has_role(d.owner, 'USAGE')
    OR pg_catalog.pg_has_role('pg_read_all_stats', 'USAGE')
 ORDER BY c.domain, c.product NULLS LAST;
COMMENT ON VIEW dataproduct.costs IS
    'What the live versions of each data product read and what reading them costs: one row per live product, and one per domain (product NULL) counting each relation once.  Relations are found through pg_depend from the version views, through views in between, down to tables (every partition and inheritance child), materialized views and foreign tables; not counted: what functions and materialized views'' queries read, and the remote side of foreign tables (0 bytes here).  A relation two products read counts for both (shared_relations).  Reads come from usage tracking and are 0 without it.  Visible to the product''s domain and to members of pg_read_all_stats';
COMMENT ON COLUMN dataproduct.costs.domain IS
    'The domain of the product';
COMMENT ON COLUMN dataproduct.costs.product IS
    'The data product; NULL on the row of the domain''s total';
COMMENT ON COLUMN dataproduct.costs.relations IS
    'Tables, partitions, inheritance children, materialized views and foreign tables the live versions read, each counted once (per product; on a domain''s row, once per domain)';
COMMENT ON COLUMN dataproduct.costs.storage_bytes IS
    'pg_total_relation_size() of those relations (with indexes and TOAST); foreign tables count 0';
COMMENT ON COLUMN dataproduct.costs.rows_estimate IS
    'The planner''s row estimates of those relations (pg_class.reltuples; never analyzed counts 0)';
COMMENT ON COLUMN dataproduct.costs.shared_relations IS
    'How many of those relations another live product also reads (on a domain''s row: a product of another domain); they count in full for each product';
COMMENT ON COLUMN dataproduct.costs.reads IS
    'Queries that read the live versions, as counted by usage tracking since its counters were last reset; 0 when tracking is off';
COMMENT ON COLUMN dataproduct.costs.read_time_ms IS
    'Time spent in those queries, in milliseconds';
COMMENT ON COLUMN dataproduct.costs.reads_by_domain IS
    'Reads and read time split by the domain of the reading role (the domain whose owner it is or is a member of; "domain": null for roles of no domain): a role of several domains counts for each';
GRANT SELECT ON dataproduct.costs TO PUBLIC;

-- [remote]

-- remote_catalog() shows why a producer deprecated a major
DROP FUNCTION dataproduct.remote_catalog(name);
CREATE FUNCTION dataproduct.remote_catalog(server name)
RETURNS TABLE (product text, domain text, owner text, version text,
               schema name, status text, published_at timestamptz,
               sunset date, outputs name[], consumers bigint, message text)
LANGUAGE C VOLATILE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'dp_remote_catalog';
COMMENT ON FUNCTION dataproduct.remote_catalog(name) IS
    'The producer''s dataproduct.catalog, read over a postgres_fdw server';
