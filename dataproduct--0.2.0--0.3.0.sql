/* dataproduct--0.2.0--0.3.0.sql */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION dataproduct UPDATE TO '0.3.0'" to load this file. \quit

--
-- 0.3.0: trustworthy under attack.  The guard keeps working whatever the
-- session's session_replication_role, contracts promise a view's security
-- properties, and product names are checked where they are created.
--

-- [guard]

-- [contract]

-- [publish]

-- [sharing]
