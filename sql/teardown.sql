--
-- Drop what the tests created outside the test database
--
DROP EXTENSION dataproduct;
DROP OWNED BY regress_dp_owner, regress_dp_member, regress_dp_stranger,
    "regress_dp_Team ""Ops""",
    regress_dp_consumer CASCADE;
DROP ROLE regress_dp_owner, regress_dp_member, regress_dp_stranger,
    "regress_dp_Team ""Ops""",
    regress_dp_consumer;
