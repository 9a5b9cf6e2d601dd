/* dataproduct--0.4.0--0.5.0.sql */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION dataproduct UPDATE TO '0.5.0'" to load this file. \quit

--
-- 0.5.0: contracts any tool can read and check.  contract() exports a
-- release as an Open Data Contract Standard (ODCS) v3.1.0 document;
-- verify_contract() and attach_contract() let a team write its contract
-- first; check_quality() runs the contract's quality rules in the database.
--

-- [attach]
-- The documents teams attach to a major version: their human and
-- operational parts (description, team, support, SLA, tags, quality rules,
-- custom properties), kept with the major.
CREATE TABLE dataproduct.contract_attachment (
    product     text NOT NULL,
    major       integer NOT NULL,
    document    jsonb NOT NULL
                CHECK (pg_catalog.jsonb_typeof(document) OPERATOR(pg_catalog.=) 'object'),
    attached_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
    attached_by name NOT NULL,
    PRIMARY KEY (product, major),
    FOREIGN KEY (product, major) REFERENCES dataproduct.major_version
);
COMMENT ON TABLE dataproduct.contract_attachment IS
    'ODCS documents attached to major versions: what contract() merges into the catalog''s facts';
SELECT pg_catalog.pg_extension_config_dump('dataproduct.contract_attachment', '');

-- [export]
-- A release as an Open Data Contract Standard v3.1.0 document (src/odcs.c),
-- merged with the document attached to its major.  Readable by anyone, like
-- the catalog it is made of.  The server entry's host and port come from
-- the settings dataproduct.contract_host and dataproduct.contract_port.
CREATE FUNCTION dataproduct.contract(
    product text,
    version text DEFAULT NULL)
RETURNS jsonb
LANGUAGE C STABLE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'dp_contract';
COMMENT ON FUNCTION dataproduct.contract(text, text) IS
    'A release (default: the latest release of the latest live major) as an ODCS v3.1.0 data contract: outputs, columns and types, lifecycle, team, and a postgres server entry naming its version schema; merged with the document attached to its major';

-- [verify-attach]
-- Contract first (src/attach.c): a team's ODCS document, written before
-- the release, checked against what the catalog promises.  Only the
-- document's "schema" is compared; one row per mismatch, none when the
-- release honours it.
CREATE FUNCTION dataproduct.verify_contract(
    product text,
    contract jsonb,
    version text DEFAULT NULL)
RETURNS TABLE (object text, property text, problem text, detail text)
LANGUAGE C STABLE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'dp_verify_contract';
COMMENT ON FUNCTION dataproduct.verify_contract(text, jsonb, text) IS
    'How a published release (default: the latest release of the latest live major) does not honour an ODCS document''s schema: missing output or column, different physical type, required not promised, extra output or column; no rows when it does';

-- before publishing: pass the outputs as a regclass[] (an untyped literal
-- would be read as a version)
CREATE FUNCTION dataproduct.verify_contract(
    product text,
    contract jsonb,
    outputs regclass[])
RETURNS TABLE (object text, property text, problem text, detail text)
LANGUAGE C STABLE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'dp_verify_contract_outputs';
COMMENT ON FUNCTION dataproduct.verify_contract(text, jsonb, regclass[]) IS
    'How publishing these outputs would not honour an ODCS document''s schema; no rows when it would';

CREATE FUNCTION dataproduct.attach_contract(
    product text,
    major integer,
    contract jsonb)
RETURNS void
LANGUAGE C VOLATILE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'dp_attach_contract';
COMMENT ON FUNCTION dataproduct.attach_contract(text, integer, jsonb) IS
    'Keep an ODCS document with a live major version, replacing the one attached before, once the latest release honours its schema; contract() merges its human and operational parts';

-- [quality]
-- The last result of each quality rule of an attached document, written by
-- check_quality() as the catalog owner.  A rule of the object itself has
-- property '' (a column name is never empty).
CREATE TABLE dataproduct.quality_result (
    product    text NOT NULL,
    major      integer NOT NULL,
    object     text NOT NULL,
    property   text NOT NULL,
    rule       text NOT NULL,
    expected   text NOT NULL,
    actual     text,
    passed     boolean,
    checked_at timestamptz NOT NULL,
    PRIMARY KEY (product, major, object, property, rule),
    FOREIGN KEY (product, major) REFERENCES dataproduct.major_version
);
COMMENT ON TABLE dataproduct.quality_result IS
    'The last result of each quality rule of the contracts attached to major versions, as check_quality() found it; property is '''' for a rule of the whole object';
SELECT pg_catalog.pg_extension_config_dump('dataproduct.quality_result', '');

CREATE FUNCTION dataproduct.check_quality(product text, major integer)
RETURNS TABLE (object text, property text, rule text, expected text,
               actual text, passed boolean)
LANGUAGE C VOLATILE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'dp_check_quality';
COMMENT ON FUNCTION dataproduct.check_quality(text, integer) IS
    'Runs the quality rules of the contract attached to a live major version against its views, as the domain''s owner, read-only, each under dataproduct.quality_timeout, and keeps the results (dataproduct.quality); for the domain only';

-- The results show what the rules measured, and an sql rule measures what
-- its query returns, which may be any data its domain's owner reads: only
-- the domain (its owner, members and superusers) sees them.
CREATE VIEW dataproduct.quality WITH (security_barrier) AS
SELECT r.product,
       r.major,
       r.object,
       NULLIF(r.property, '') AS property,
       r.rule,
       r.expected,
       r.actual,
       r.passed,
       r.checked_at
  FROM dataproduct.quality_result r
  JOIN dataproduct.product p ON p.name OPERATOR(pg_catalog.=) r.product
  JOIN dataproduct.domain d ON d.name OPERATOR(pg_catalog.=) p.domain
 WHERE pg_catalog.pg_has_role(d.owner, 'USAGE');
COMMENT ON VIEW dataproduct.quality IS
    'The last result of each quality rule, as check_quality() found it: passed is NULL for a rule the database does not check, false for one that failed, was refused or ran out of time (actual says why); each domain sees its own';
GRANT SELECT ON dataproduct.quality TO PUBLIC;
