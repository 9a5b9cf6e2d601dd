--
-- Drop what the tests created outside the test database
--
-- live versions keep the extension (see guard.sql); the emergency switch
-- lets it go, with a warning, and leaves the version schemas behind
SET dataproduct.guard = off;
DROP EXTENSION dataproduct;
RESET dataproduct.guard;
DROP OWNED BY regress_dp_owner, regress_dp_member, regress_dp_stranger,
    "regress_dp_Team ""Ops""",
    regress_dp_consumer CASCADE;
DROP ROLE regress_dp_owner, regress_dp_member, regress_dp_stranger,
    "regress_dp_Team ""Ops""",
    regress_dp_consumer;
