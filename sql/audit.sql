--
-- The audit trail, dataproduct.events: one event per change made through
-- dataproduct's functions, written in the transaction of the change, and
-- one per change the guard let through because it was off
--
\set SHOW_CONTEXT never

-- the catalog table and its sequence are dumped with the catalog
SELECT c::regclass AS dumped, cond
  FROM pg_extension e, unnest(e.extconfig, e.extcondition) AS x(c, cond)
 WHERE e.extname = 'dataproduct' AND c::regclass::text LIKE 'dataproduct.event%'
 ORDER BY 1;
-- its triggers, and those of the catalog tables, fire whatever
-- session_replication_role says
SELECT tgrelid::regclass AS table_name, tgname, tgenabled
  FROM pg_trigger
 WHERE tgname LIKE 'audit%' AND NOT tgisinternal
 ORDER BY 1, 2;
-- readable through the view, by everyone; the table by nobody else
SELECT c.oid::regclass AS relation,
       ARRAY(SELECT privilege_type FROM aclexplode(c.relacl)
              WHERE grantee = 0 ORDER BY 1) AS public_privileges
  FROM pg_class c
 WHERE c.oid IN ('dataproduct.event'::regclass, 'dataproduct.events'::regclass)
 ORDER BY 1;

-- what this test adds to the trail, in order; the session user shows as
-- "me", times and release ids are left out
CREATE TEMP TABLE seen (event_id bigint);
INSERT INTO seen SELECT coalesce(max(event_id), 0) FROM dataproduct.event;
CREATE TEMP VIEW new_events AS
SELECT e.action,
       CASE e.session_role WHEN session_user THEN 'me' ELSE e.session_role::text END AS session_role,
       CASE e.acting_role WHEN session_user THEN 'me' ELSE e.acting_role::text END AS acting_role,
       e.product, e.major, e.version,
       e.details - '{release_id,client_addr,deprecated_at,retired_at}'::text[]
                 #- '{previous,deprecated_at}' #- '{previous,retired_at}' AS details
  FROM dataproduct.events e
 WHERE e.event_id > (SELECT event_id FROM seen)
 ORDER BY e.event_id;
CREATE TEMP VIEW timeline AS
SELECT e.action,
       e.at > now() AS after_transaction_start,
       e.at > lag(e.at) OVER (ORDER BY e.event_id) AS after_previous_event
  FROM dataproduct.event e
 WHERE e.event_id > (SELECT event_id FROM seen)
 ORDER BY e.event_id;

-- create_domain(), by a superuser for a team
SELECT dataproduct.create_domain('audit_dom', 'regress_dp_owner', 'Audited team');
SELECT * FROM new_events;
UPDATE seen SET event_id = (SELECT max(event_id) FROM dataproduct.event);

-- create_product(), by a member of the domain's owner
CREATE SCHEMA aud;
CREATE TABLE aud.orders (id int PRIMARY KEY, customer text NOT NULL);
CREATE TABLE aud.customers (name text PRIMARY KEY);
GRANT USAGE ON SCHEMA aud TO regress_dp_owner;
GRANT SELECT ON ALL TABLES IN SCHEMA aud TO regress_dp_owner;
SET ROLE regress_dp_member;
SELECT dataproduct.create_product('audited', 'audit_dom', 'Orders, audited');
RESET ROLE;
SELECT * FROM new_events;
UPDATE seen SET event_id = (SELECT max(event_id) FROM dataproduct.event);

-- publish(): the version and the outputs of each release
SET ROLE regress_dp_owner;
SELECT dataproduct.publish('audited', '1.0.0', '{aud.orders}', 'First');
SELECT dataproduct.publish('audited', '1.1.0', '{aud.orders,aud.customers}');
RESET ROLE;
SELECT * FROM new_events;
UPDATE seen SET event_id = (SELECT max(event_id) FROM dataproduct.event);

-- a refused publish() and a rolled-back one leave no event
SET ROLE regress_dp_owner;
SELECT dataproduct.publish('audited', '1.0.1', '{aud.orders}');
RESET ROLE;
BEGIN;
SELECT dataproduct.publish('audited', '1.2.0', '{aud.orders,aud.customers}');
SELECT action, version FROM new_events;
ROLLBACK;
SELECT count(*) AS events FROM new_events;

-- grant_access(); granting again changes nothing, and is no event
SET ROLE regress_dp_member;
SELECT dataproduct.grant_access('audited', 1, 'regress_dp_consumer');
SELECT dataproduct.grant_access('audited', 1, 'regress_dp_consumer');
RESET ROLE;
SELECT * FROM new_events;
UPDATE seen SET event_id = (SELECT max(event_id) FROM dataproduct.event);

-- a consumer registers, registers again with a newer version (no event),
-- and leaves; what it says about itself is data, whatever it contains
SET ROLE regress_dp_consumer;
INSERT INTO dataproduct.consumers (product, major, version, consumer_system,
    consumer_database, consumer_server, consumer_schema, consumer_role)
VALUES ('audited', 1, '1.0.0', '42', 'x"; DROP TABLE aud.orders; --', 'Srv''s', 'S"ch', 'R;ole');
INSERT INTO dataproduct.consumers (product, major, version, consumer_system,
    consumer_database, consumer_server, consumer_schema, consumer_role)
VALUES ('audited', 1, '1.1.0', '42', 'x"; DROP TABLE aud.orders; --', 'Srv''s', 'S"ch', 'R;ole');
DELETE FROM dataproduct.consumers WHERE product = 'audited';
RESET ROLE;
SELECT * FROM new_events;
UPDATE seen SET event_id = (SELECT max(event_id) FROM dataproduct.event);

-- revoke_access()
SET ROLE regress_dp_owner;
SELECT dataproduct.revoke_access('audited', 1, 'regress_dp_consumer');
RESET ROLE;
SELECT * FROM new_events;
UPDATE seen SET event_id = (SELECT max(event_id) FROM dataproduct.event);

-- alter_domain(): a new owner
SELECT dataproduct.create_domain('audit_empty', 'regress_dp_owner');
SELECT dataproduct.alter_domain('audit_empty', 'regress_dp_member');
SELECT * FROM new_events;
UPDATE seen SET event_id = (SELECT max(event_id) FROM dataproduct.event);

-- the events of one transaction keep their order; each has its own time
BEGIN;
SET ROLE regress_dp_member;
SELECT dataproduct.grant_access('audited', 1, 'regress_dp_stranger');
SELECT dataproduct.revoke_access('audited', 1, 'regress_dp_stranger');
RESET ROLE;
SELECT * FROM timeline;
COMMIT;
SELECT action, acting_role, details FROM new_events;
UPDATE seen SET event_id = (SELECT max(event_id) FROM dataproduct.event);

-- the guard, switched off by a superuser, lets a version view be dropped:
-- an event says what it would have refused, and the statement
SET dataproduct.guard = off;
DROP VIEW audited_v1.customers;
RESET dataproduct.guard;
SELECT action, session_role, acting_role, product, major, version,
       details->>'message' AS message, details->>'detail' AS detail,
       details->>'statement' AS statement
  FROM new_events;
UPDATE seen SET event_id = (SELECT max(event_id) FROM dataproduct.event);
-- refused with the guard on: no event
DROP VIEW audited_v1.orders;
SELECT count(*) AS events FROM new_events;

-- the lifecycle: deprecate(), again with a new message (again with nothing
-- new is no event), undeprecate(), retire(), which revokes the grants it
-- removes
SET ROLE regress_dp_member;
SELECT dataproduct.grant_access('audited', 1, 'regress_dp_stranger');
SELECT dataproduct.deprecate('audited', 1, '2000-01-01', 'Use audited_v2');
SELECT dataproduct.deprecate('audited', 1, message => 'Use audited_v2 now');
SELECT dataproduct.deprecate('audited', 1, message => 'Use audited_v2 now');
SELECT dataproduct.undeprecate('audited', 1);
SELECT dataproduct.deprecate('audited', 1, '2000-01-01', 'Use audited_v2');
SELECT dataproduct.retire('audited', 1);
RESET ROLE;
SELECT action, acting_role, major, version, details FROM new_events;
UPDATE seen SET event_id = (SELECT max(event_id) FROM dataproduct.event);

-- each domain sees its own events, each role those it made, superusers
-- all; guard_bypassed concerns no domain
CREATE VIEW aud.seen_actions AS
SELECT array_agg(DISTINCT action ORDER BY action) AS actions
  FROM dataproduct.events
 WHERE product = 'audited' OR details->>'domain' LIKE 'audit\_%'
    OR action = 'guard_bypassed';
GRANT USAGE ON SCHEMA aud TO regress_dp_member, regress_dp_consumer,
    regress_dp_stranger;
GRANT SELECT ON aud.seen_actions TO regress_dp_owner, regress_dp_member,
    regress_dp_consumer, regress_dp_stranger;
SET ROLE regress_dp_owner;
SELECT current_user, actions FROM aud.seen_actions;
SET ROLE regress_dp_member;
SELECT current_user, actions FROM aud.seen_actions;
SET ROLE regress_dp_consumer;
SELECT current_user, actions FROM aud.seen_actions;
SET ROLE regress_dp_stranger;
SELECT current_user, actions FROM aud.seen_actions;
RESET ROLE;
SELECT actions AS superuser_sees FROM aud.seen_actions;

-- append-only: for other roles, neither the table nor the view
SET ROLE regress_dp_owner;
UPDATE dataproduct.event SET action = 'grant';
DELETE FROM dataproduct.event;
TRUNCATE dataproduct.event;
INSERT INTO dataproduct.event (session_role, acting_role, action, details)
VALUES ('x', 'x', 'grant', '{}');
UPDATE dataproduct.events SET action = 'grant';
DELETE FROM dataproduct.events;
RESET ROLE;
-- nor for the extension's owner, in any session_replication_role
UPDATE dataproduct.event SET action = 'grant';
\echo :LAST_ERROR_SQLSTATE
DELETE FROM dataproduct.event;
TRUNCATE dataproduct.event;
SET session_replication_role = replica;
DELETE FROM dataproduct.event;
RESET session_replication_role;
-- nor can its triggers be switched off, but with the guard off, which
-- is an event too
ALTER TABLE dataproduct.event DISABLE TRIGGER audit_append_only;
ALTER TABLE dataproduct.access DISABLE TRIGGER audit_grant;
SELECT count(*) AS events FROM new_events;
BEGIN;
SET LOCAL dataproduct.guard = off;
ALTER TABLE dataproduct.event DISABLE TRIGGER audit_append_only;
SELECT action, details->>'message' AS message, details->>'statement' AS statement
  FROM new_events;
ROLLBACK;

-- a domain whose owner role was dropped hides its events from everyone
-- but superusers, and shows the others
CREATE ROLE regress_dp_gone;
SELECT dataproduct.create_domain('audit_gone', 'regress_dp_gone');
DROP ROLE regress_dp_gone;
SET ROLE regress_dp_member;
SELECT action, details->>'domain' AS domain FROM dataproduct.events
 WHERE details->>'domain' LIKE 'audit\_%' ORDER BY event_id;
RESET ROLE;
SELECT action, details->>'domain' AS domain FROM dataproduct.events
 WHERE details->>'domain' LIKE 'audit\_%' ORDER BY event_id;

-- the function serves as the catalog's triggers only
CREATE TABLE aud.other (id int);
CREATE TRIGGER t AFTER INSERT ON aud.other
    FOR EACH ROW EXECUTE FUNCTION dataproduct.audit_catalog_change('grant');
INSERT INTO aud.other VALUES (1);
DROP TABLE aud.other;
-- nor may a role attach it to a table of its own
CREATE SCHEMA aud_owner AUTHORIZATION regress_dp_owner;
SET ROLE regress_dp_owner;
CREATE TABLE aud_owner.mine (id int);
CREATE TRIGGER t AFTER INSERT ON aud_owner.mine
    FOR EACH ROW EXECUTE FUNCTION dataproduct.audit_catalog_change('grant');
CREATE TRIGGER t BEFORE DELETE ON aud_owner.mine
    FOR EACH ROW EXECUTE FUNCTION dataproduct.audit_append_only();
RESET ROLE;
DROP SCHEMA aud_owner CASCADE;
DROP VIEW aud.seen_actions;
