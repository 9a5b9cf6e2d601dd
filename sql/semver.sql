--
-- Version numbers: MAJOR.MINOR.PATCH, nothing else, only going up
--
\set SHOW_CONTEXT never
CREATE SCHEMA semver;
CREATE TABLE semver.t (id int PRIMARY KEY);
GRANT USAGE ON SCHEMA semver TO regress_dp_owner;
GRANT SELECT ON semver.t TO regress_dp_owner;
SELECT dataproduct.create_product('semver', 'commerce');

-- invalid strings, each refused before anything is looked up
SELECT dataproduct.publish('semver', '1.0', '{semver.t}');
\echo :LAST_ERROR_SQLSTATE
SELECT dataproduct.publish('semver', '1.0.0.0', '{semver.t}');
SELECT dataproduct.publish('semver', 'v1.0.0', '{semver.t}');
SELECT dataproduct.publish('semver', '01.0.0', '{semver.t}');
SELECT dataproduct.publish('semver', '1.00.0', '{semver.t}');
SELECT dataproduct.publish('semver', '1.0.0-rc.1', '{semver.t}');
SELECT dataproduct.publish('semver', '1.0.0+build.5', '{semver.t}');
SELECT dataproduct.publish('semver', '', '{semver.t}');
SELECT dataproduct.publish('semver', ' 1.0.0', '{semver.t}');
SELECT dataproduct.publish('semver', '1.0.0 ', '{semver.t}');
SELECT dataproduct.publish('semver', '1..0', '{semver.t}');
SELECT dataproduct.publish('semver', '-1.0.0', '{semver.t}');
-- too large a number is out of range (22003), whichever part it is
SELECT dataproduct.publish('semver', '2147483648.0.0', '{semver.t}');
\echo :LAST_ERROR_SQLSTATE
SELECT dataproduct.publish('semver', '1.99999999999999999999999.0', '{semver.t}');
SELECT dataproduct.publish('semver', '1.0.4294967296', '{semver.t}');
SELECT * FROM dataproduct.diff('semver', '1.0.0', '9223372036854775808.0.0');
-- but a malformed string is reported as such, even with a large number
SELECT dataproduct.publish('semver', '99999999999.0', '{semver.t}');
SELECT dataproduct.publish('semver', 'one.two.three', '{semver.t}');
SELECT dataproduct.publish('semver', NULL, '{semver.t}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM dataproduct.diff('semver', '1.0', '1.0.0');
SELECT * FROM dataproduct.diff('semver', '1.0.0', '1.0.0-beta');

-- the largest major still fits a schema name
SELECT dataproduct.publish('semver', '2147483647.0.0', '{semver.t}');
SELECT version, schema FROM dataproduct.versions WHERE product = 'semver';

-- nothing may come after it but newer versions of its own major
SELECT dataproduct.publish('semver', '2147483647.0.0', '{semver.t}');
\echo :LAST_ERROR_SQLSTATE
SELECT dataproduct.publish('semver', '1.0.0', '{semver.t}');
SELECT dataproduct.publish('semver', '2147483647.0.1', '{semver.t}');

-- version numbers compare as numbers, not as text
SELECT dataproduct.create_product('semver2', 'commerce');
SELECT dataproduct.publish('semver2', '1.9.0', '{semver.t}');
SELECT dataproduct.publish('semver2', '1.10.0', '{semver.t}');
SELECT dataproduct.publish('semver2', '1.9.1', '{semver.t}');
SELECT dataproduct.publish('semver2', '1.10.0', '{semver.t}');
SELECT dataproduct.publish('semver2', '1.10.1', '{semver.t}');
-- a new major must be newer than every release
SELECT dataproduct.publish('semver2', '0.5.0', '{semver.t}');
SELECT dataproduct.publish('semver2', '3.0.0', '{semver.t}');
SELECT dataproduct.publish('semver2', '2.0.0', '{semver.t}');
-- but an older major keeps getting compatible releases
SELECT dataproduct.publish('semver2', '1.10.2', '{semver.t}');
SELECT version FROM dataproduct.versions WHERE product = 'semver2'
 ORDER BY major, minor, patch;
SELECT product, version, schema FROM dataproduct.catalog WHERE product = 'semver2'
 ORDER BY schema;
