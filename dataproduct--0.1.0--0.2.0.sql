/* dataproduct--0.1.0--0.2.0.sql: sharing across domains over postgres_fdw */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION dataproduct UPDATE TO '0.2.0'" to load this file. \quit

--
-- Producer side: who may read a major version, and who does.
--

CREATE TABLE dataproduct.access (
    product     text NOT NULL,
    major       integer NOT NULL,
    grantee     regrole NOT NULL,
    granted_at  timestamptz NOT NULL DEFAULT pg_catalog.now(),
    granted_by  name NOT NULL,
    PRIMARY KEY (product, major, grantee),
    FOREIGN KEY (product, major) REFERENCES dataproduct.major_version
);
COMMENT ON TABLE dataproduct.access IS
    'Roles granted read access to a major version with grant_access(); kept across its minor and patch releases';

CREATE TABLE dataproduct.consumer (
    product           text NOT NULL,
    major             integer NOT NULL,
    consumer_system   text NOT NULL
                      CHECK (consumer_system OPERATOR(pg_catalog.~) '^-?[0-9]{1,19}$'),
    consumer_database name NOT NULL,
    consumer_server   name NOT NULL,
    consumer_schema   name NOT NULL,
    consumer_role     name NOT NULL,
    version           text NOT NULL,
    connected_as      regrole NOT NULL,
    client_addr       inet,
    subscribed_at     timestamptz NOT NULL DEFAULT pg_catalog.now(),
    refreshed_at      timestamptz NOT NULL DEFAULT pg_catalog.now(),
    PRIMARY KEY (product, major, consumer_system, consumer_database,
                 consumer_server),
    FOREIGN KEY (product, major) REFERENCES dataproduct.major_version
);
COMMENT ON TABLE dataproduct.consumer IS
    'Databases that subscribed to a major version, as they registered through the consumers view';

--
-- Consumer side: what this database imported from producers.
--

CREATE TABLE dataproduct.subscription (
    server         name NOT NULL,
    product        text NOT NULL,
    major          integer NOT NULL CHECK (major >= 0),
    local_schema   name NOT NULL UNIQUE,
    created_schema boolean NOT NULL,
    remote_schema  name NOT NULL,
    version        text NOT NULL,
    outputs        name[] NOT NULL,
    subscribed_at  timestamptz NOT NULL DEFAULT pg_catalog.now(),
    subscribed_by  regrole NOT NULL,
    refreshed_at   timestamptz,
    PRIMARY KEY (server, product, major)
);
COMMENT ON TABLE dataproduct.subscription IS
    'Major versions of remote data products imported into this database as foreign tables';

SELECT pg_catalog.pg_extension_config_dump('dataproduct.access', '');
SELECT pg_catalog.pg_extension_config_dump('dataproduct.consumer', '');
SELECT pg_catalog.pg_extension_config_dump('dataproduct.subscription', '');

--
-- Views.
--

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
           AND c.major OPERATOR(pg_catalog.=) m.major) AS consumers
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

-- Rows are visible to the producing domain and to the role that registered
-- them; everyone else sees the count in dataproduct.catalog only.  A
-- security barrier, so that no function in a query sees the others.
CREATE VIEW dataproduct.consumers WITH (security_barrier) AS
SELECT c.product,
       c.major,
       c.version,
       c.consumer_database,
       c.consumer_role,
       c.consumer_schema,
       c.consumer_server,
       c.consumer_system,
       c.connected_as,
       c.client_addr,
       c.subscribed_at,
       c.refreshed_at
  FROM dataproduct.consumer c
  JOIN dataproduct.product p ON p.name = c.product
  JOIN dataproduct.domain d ON d.name = p.domain
 WHERE pg_catalog.pg_has_role(d.owner, 'USAGE')
    OR pg_catalog.pg_has_role(c.connected_as, 'USAGE');
COMMENT ON VIEW dataproduct.consumers IS
    'Databases that consume each major version; consumers register by INSERT and leave by DELETE, as subscribe() and unsubscribe() do over postgres_fdw';

CREATE VIEW dataproduct.subscriptions AS
SELECT s.server,
       s.product,
       s.major,
       s.version,
       s.local_schema AS schema,
       s.remote_schema,
       s.outputs,
       s.subscribed_at,
       s.subscribed_by,
       s.refreshed_at
  FROM dataproduct.subscription s;
COMMENT ON VIEW dataproduct.subscriptions IS
    'Remote data products this database subscribed to, with the version last imported';

GRANT SELECT ON dataproduct.consumers, dataproduct.subscriptions TO PUBLIC;
-- the triggers below decide who may register what
GRANT INSERT, DELETE ON dataproduct.consumers TO PUBLIC;

CREATE FUNCTION dataproduct.consumers_change()
RETURNS trigger
LANGUAGE C
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'dp_consumers_change';
COMMENT ON FUNCTION dataproduct.consumers_change() IS
    'Registers and unregisters consumers of a major version that the calling role may read';
-- nobody else attaches it to a view of their own
REVOKE EXECUTE ON FUNCTION dataproduct.consumers_change() FROM PUBLIC;

CREATE TRIGGER consumers_change
    INSTEAD OF INSERT OR UPDATE OR DELETE ON dataproduct.consumers
    FOR EACH ROW EXECUTE FUNCTION dataproduct.consumers_change();
COMMENT ON TRIGGER consumers_change ON dataproduct.consumers IS
    'A consumer registers (INSERT, again to record a newer version) and unregisters (DELETE) itself';

--
-- Functions.
--

CREATE FUNCTION dataproduct.grant_access(
    product text,
    major integer,
    grantee regrole)
RETURNS void
LANGUAGE C VOLATILE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'dp_grant_access';
COMMENT ON FUNCTION dataproduct.grant_access(text, integer, regrole) IS
    'Let a role read a major version: USAGE on its schema and SELECT on its views, now and after later minor releases';

CREATE FUNCTION dataproduct.revoke_access(
    product text,
    major integer,
    grantee regrole,
    force boolean DEFAULT false)
RETURNS void
LANGUAGE C VOLATILE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'dp_revoke_access';
COMMENT ON FUNCTION dataproduct.revoke_access(text, integer, regrole, boolean) IS
    'End a role''s access to a major version; refused while registered consumers depend on it unless forced';

CREATE FUNCTION dataproduct.subscribe(
    server name,
    product text,
    major integer,
    into_schema name DEFAULT NULL)
RETURNS name
LANGUAGE C VOLATILE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'dp_subscribe';
COMMENT ON FUNCTION dataproduct.subscribe(name, text, integer, name) IS
    'Import a major version of a remote data product as foreign tables and register with its producer; returns the local schema';

CREATE FUNCTION dataproduct.refresh(
    server name,
    product text,
    major integer)
RETURNS text
LANGUAGE C VOLATILE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'dp_refresh';
COMMENT ON FUNCTION dataproduct.refresh(name, text, integer) IS
    'Bring a subscription up to the latest release of its major version: new outputs and columns; returns that version';

CREATE FUNCTION dataproduct.unsubscribe(
    server name,
    product text,
    major integer)
RETURNS void
LANGUAGE C VOLATILE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'dp_unsubscribe';
COMMENT ON FUNCTION dataproduct.unsubscribe(name, text, integer) IS
    'Drop the foreign tables of a subscription and unregister from the producer';

CREATE FUNCTION dataproduct.remote_catalog(server name)
RETURNS TABLE (product text, domain text, owner text, version text,
               schema name, status text, published_at timestamptz,
               sunset date, outputs name[], consumers bigint)
LANGUAGE C VOLATILE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'dp_remote_catalog';
COMMENT ON FUNCTION dataproduct.remote_catalog(name) IS
    'The producer''s dataproduct.catalog, read over a postgres_fdw server';
