# ODCS export: the documents contract() exports, for several products
# covering every type family, a deprecated and a retired major and hostile
# names, are valid against the ODCS v3.1.0 JSON Schema (test/odcs/, with
# its LICENSE), as test/odcs/validate.py checks with Debian's
# python3-jsonschema; and a document broken on purpose is not, so this
# test can fail.  The documents are exported the way README.md says, with
# psql -Atc, to files.
use strict;
use warnings;

use File::Basename qw(dirname);
use File::Spec;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $odcs_dir = File::Spec->rel2abs(File::Spec->catdir(dirname(__FILE__), '..', 'odcs'));
my $schema = "$odcs_dir/odcs-json-schema-v3.1.0.json";
my $validate = "$odcs_dir/validate.py";

my $node = PostgreSQL::Test::Cluster->new('odcs');
$node->init;
$node->start;

$node->safe_psql('postgres', q{
CREATE ROLE sales_team NOLOGIN;
CREATE ROLE "Team ""Ops""" NOLOGIN;
CREATE ROLE reader LOGIN;
CREATE EXTENSION dataproduct;
CREATE SCHEMA src;
CREATE TYPE src.mood AS ENUM ('happy', 'sad');
CREATE TYPE src.point2 AS (x double precision, y double precision);
CREATE DOMAIN src.posint AS integer CHECK (VALUE > 0);
CREATE TABLE src.everything (
    id integer PRIMARY KEY, big bigint NOT NULL, small smallint,
    amount numeric(10,2), plain numeric, ratio double precision, r real,
    name text NOT NULL, code varchar(20), letter char(3), flag boolean,
    day date, at timestamp, at_tz timestamptz, at_ms timestamp(3),
    clock time, clock_tz timetz, uid uuid, doc jsonb, js json,
    tags text[], grid integer[][], spot src.point2, feeling src.mood,
    qty src.posint, span interval, raw bytea, addr inet);
COMMENT ON TABLE src.everything IS 'Every type family';
COMMENT ON COLUMN src.everything.amount IS 'Amount in EUR';
CREATE TABLE src.lines (order_id int, line int, sku text NOT NULL,
    PRIMARY KEY (line, order_id));
CREATE VIEW src.summary AS SELECT id, name FROM src.everything;
CREATE TABLE src."we""ird ""table""" ("col ""quoted""" int PRIMARY KEY,
    "Mixed Case" text);
COMMENT ON TABLE src."we""ird ""table""" IS 'It''s "quoted"';
GRANT USAGE ON SCHEMA src TO sales_team, "Team ""Ops""";
GRANT SELECT ON ALL TABLES IN SCHEMA src TO sales_team, "Team ""Ops""";

SELECT dataproduct.create_domain('sales', 'sales_team', 'The sales team');
SELECT dataproduct.create_product('catalogue', 'sales', 'Everything we sell');
SELECT dataproduct.publish('catalogue', '1.0.0', '{src.everything,src.lines}',
    notes => 'First release');
SELECT dataproduct.publish('catalogue', '1.1.0',
    '{src.everything,src.lines,src.summary}');
SELECT dataproduct.publish('catalogue', '2.0.0', '{src.lines}');
SELECT dataproduct.deprecate('catalogue', 1, '2999-12-31',
    'Use catalogue_v2: "summary" is gone');

SELECT dataproduct.create_product('archive', 'sales');
SELECT dataproduct.publish('archive', '1.0.0', '{src.lines}');
SELECT dataproduct.deprecate('archive', 1, '2000-01-01');
SELECT dataproduct.retire('archive', 1);

SELECT dataproduct.create_domain('ops "domain"', '"Team ""Ops"""');
SELECT dataproduct.create_product('Odd "One"', 'ops "domain"');
SELECT dataproduct.publish('Odd "One"', '1.0.0',
    ARRAY['src."we""ird ""table"""'::regclass]);
});

# export each document to a file, as a reader who is no superuser
my %exports = (
	'catalogue-latest' => q{SELECT dataproduct.contract('catalogue')},
	'catalogue-1.0.0' => q{SELECT dataproduct.contract('catalogue', '1.0.0')},
	'catalogue-deprecated' => q{SELECT dataproduct.contract('catalogue', '1.1.0')},
	'archive-retired' => q{SELECT dataproduct.contract('archive', '1.0.0')},
	'odd-one' => q{SELECT dataproduct.contract('Odd "One"')});
my $dir = PostgreSQL::Test::Utils::tempdir;
my @files;
foreach my $name (sort keys %exports)
{
	my $file = "$dir/$name.odcs.json";
	my $json = $node->safe_psql('postgres', $exports{$name},
		extra_params => [ '-U', 'reader' ]);
	isnt($json, '', "$name: exported");
	append_to_file($file, $json);
	push @files, $file;
}

# the documents say what they should, in a few places
like(slurp_file("$dir/catalogue-deprecated.odcs.json"),
	qr/"status": "deprecated"/, 'the deprecated release says so');
like(slurp_file("$dir/archive-retired.odcs.json"),
	qr/"status": "retired"/, 'the retired release says so');
like(slurp_file("$dir/catalogue-1.0.0.odcs.json"),
	qr/"physicalType": "numeric\(10,2\)"/, 'physical types are format_type\'s');

# every document is valid against the ODCS JSON Schema
my ($stdout, $stderr);
my $valid = IPC::Run::run([ 'python3', $validate, $schema, @files ],
	'>', \$stdout, '2>', \$stderr);
ok($valid, 'every exported document is valid ODCS v3.1.0')
  or diag("stdout:\n$stdout\nstderr:\n$stderr");
is(scalar(() = $stdout =~ /^ok /mg), scalar(@files), 'one "ok" per document');

# a document broken on purpose is not: a server entry without its port, a
# logical type ODCS does not know, and a property it does not define
my $broken = "$dir/broken.odcs.json";
append_to_file($broken, $node->safe_psql('postgres', q{
SELECT jsonb_set(jsonb_set(
         dataproduct.contract('catalogue') #- '{servers,0,port}',
         '{schema,0,properties,0,logicalType}', '"decimal"'),
       '{schema,0,properties,0,nullable}', 'true')}));
$valid = IPC::Run::run([ 'python3', $validate, $schema, $broken ],
	'>', \$stdout, '2>', \$stderr);
ok(!$valid, 'a broken document is invalid');
like($stdout, qr/'port' is a required property/, 'its missing port is found');
like($stdout, qr/'decimal' is not one of/, 'its unknown logical type is found');
like($stdout, qr/nullable/, 'its unknown property is found');

$node->stop;
done_testing();
