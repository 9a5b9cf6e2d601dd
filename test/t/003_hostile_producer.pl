# A consumer subscribing to a producer that is broken or hostile.  The
# producer's database runs the real extension with a real product, but a
# superuser there has replaced dataproduct.catalog and
# dataproduct.contract_columns by views over plain tables, and fills them
# with NULLs, overlong names, bad versions and statuses, duplicates, huge
# and multi-dimensional arrays, quotes and "'; DROP".  For every bad value,
# remote_catalog(), subscribe() and refresh() end with a clean error that
# names the server, the consumer's database and the producer's
# registrations are as before, and the server never crashes.  The server
# runs with MALLOC_PERTURB_, so that a read of freed memory shows.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

$ENV{MALLOC_PERTURB_} = '165';

my $node = PostgreSQL::Test::Cluster->new('hostile');
$node->init;
$node->start;

my $socket = $node->host;
my $port   = $node->port;

$node->safe_psql('postgres', q{
CREATE ROLE team NOLOGIN;
CREATE DATABASE producer;
CREATE DATABASE consumer;
});

# A real product, then the catalog views replaced by views over tables that
# start as copies of what they showed.
$node->safe_psql('producer', q{
CREATE EXTENSION dataproduct;
CREATE SCHEMA src;
CREATE TABLE src.t (id integer PRIMARY KEY, label text);
INSERT INTO src.t VALUES (1, 'one'), (2, 'two');
GRANT USAGE ON SCHEMA src TO team;
GRANT SELECT ON src.t TO team;
SELECT dataproduct.create_domain('d', 'team');
SELECT dataproduct.create_product('p', 'd');
SELECT dataproduct.publish('p', '1.0.0', '{src.t}');

SET client_min_messages = error;
SET dataproduct.guard = off;
CREATE SCHEMA fake;
CREATE TABLE fake.base_catalog AS
SELECT product, domain, owner::text AS owner, version, schema::text AS schema,
       status, published_at, sunset, outputs::text[] AS outputs, consumers,
       message
  FROM dataproduct.catalog;
CREATE TABLE fake.base_contract AS
SELECT product, version, output::text AS output, position,
       column_name::text AS column_name, type, not_null, description
  FROM dataproduct.contract_columns;
CREATE TABLE fake.catalog AS SELECT * FROM fake.base_catalog;
CREATE TABLE fake.contract AS SELECT * FROM fake.base_contract;
ALTER EXTENSION dataproduct DROP VIEW dataproduct.costs;
DROP VIEW dataproduct.costs;
ALTER EXTENSION dataproduct DROP VIEW dataproduct.catalog;
ALTER EXTENSION dataproduct DROP VIEW dataproduct.contract_columns;
DROP VIEW dataproduct.catalog, dataproduct.contract_columns;
CREATE VIEW dataproduct.catalog AS SELECT * FROM fake.catalog;
CREATE VIEW dataproduct.contract_columns AS SELECT * FROM fake.contract;
GRANT SELECT ON dataproduct.catalog, dataproduct.contract_columns TO PUBLIC;
});

$node->safe_psql('consumer', qq{
CREATE EXTENSION postgres_fdw;
CREATE EXTENSION dataproduct;
CREATE SERVER prod FOREIGN DATA WRAPPER postgres_fdw
    OPTIONS (host '$socket', port '$port', dbname 'producer');
CREATE USER MAPPING FOR CURRENT_USER SERVER prod;
});

# the honest catalog works
is($node->safe_psql('consumer',
	q{SELECT product, version, schema, outputs FROM dataproduct.remote_catalog('prod')}),
	'p|1.0.0|p_v1|{t}', 'remote_catalog reads the faked catalog');

my $restore = q{
TRUNCATE fake.catalog, fake.contract;
INSERT INTO fake.catalog SELECT * FROM fake.base_catalog;
INSERT INTO fake.contract SELECT * FROM fake.base_contract;
};

# Everything a failed call could have changed, on both sides
sub state
{
	my $local = $node->safe_psql('consumer', q{
SELECT (SELECT string_agg(nspname, ',' ORDER BY nspname) FROM pg_namespace
         WHERE nspname NOT LIKE 'pg\_%' AND nspname <> 'information_schema'),
       (SELECT string_agg(format('%s.%s', relnamespace::regnamespace, relname), ','
                          ORDER BY 1)
          FROM pg_class WHERE relnamespace <> ALL (ARRAY['pg_catalog', 'information_schema',
                          'pg_toast', 'dataproduct']::regnamespace[])),
       (SELECT string_agg(format('%s %s %s', product, version, outputs), ',')
          FROM dataproduct.subscription),
       (SELECT string_agg(format('%s.%s', attrelid::regclass, attname), ',' ORDER BY 1)
          FROM pg_attribute a JOIN pg_foreign_table f ON f.ftrelid = a.attrelid
         WHERE attnum > 0)});
	my $remote = $node->safe_psql('producer', q{
SELECT string_agg(format('%s %s %s %s', product, major, version, consumer_schema), ',')
  FROM dataproduct.consumer});
	return "$local / $remote";
}

# One bad producer: for each call, a clean error naming the server, and
# nothing changed.
sub refused
{
	my ($name, $change, @calls) = @_;
	$node->safe_psql('producer', $change);
	foreach my $call (@calls)
	{
		my $before = state();
		my ($ret, $out, $err) = $node->psql('consumer', $call);
		isnt($ret, 0, "$name: $call fails");
		like($err, qr/server "prod"/, "$name: $call names the server");
		unlike($err, qr/terminated|server closed the connection/,
			"$name: $call does not crash");
		is(state(), $before, "$name: $call changes nothing");
	}
	$node->safe_psql('producer', $restore);
}

my $catalog = q{SELECT * FROM dataproduct.remote_catalog('prod')};
my $subscribe = q{SELECT dataproduct.subscribe('prod', 'p', 1, 'sub')};
my $refresh = q{SELECT dataproduct.refresh('prod', 'p', 1)};

my @catalog_cases = (
	[ 'null product',      q{UPDATE fake.catalog SET product = NULL} ],
	[ 'null domain',       q{UPDATE fake.catalog SET domain = NULL} ],
	[ 'null owner',        q{UPDATE fake.catalog SET owner = NULL} ],
	[ 'null version',      q{UPDATE fake.catalog SET version = NULL} ],
	[ 'null schema',       q{UPDATE fake.catalog SET schema = NULL} ],
	[ 'null status',       q{UPDATE fake.catalog SET status = NULL} ],
	[ 'null published_at', q{UPDATE fake.catalog SET published_at = NULL} ],
	[ 'null outputs',      q{UPDATE fake.catalog SET outputs = NULL} ],
	[ 'null consumers',    q{UPDATE fake.catalog SET consumers = NULL} ],
	[ 'empty schema',      q{UPDATE fake.catalog SET schema = ''} ],
	[ 'empty domain',      q{UPDATE fake.catalog SET domain = ''} ],
	[ 'overlong schema',   q{UPDATE fake.catalog SET schema = repeat('s', 64)} ],
	[ 'overlong domain',   q{UPDATE fake.catalog SET domain = repeat('é', 40)} ],
	[ 'version not a number', q{UPDATE fake.catalog SET version = '1.x.0'} ],
	[ 'version two parts',    q{UPDATE fake.catalog SET version = '1.0'} ],
	[ 'version leading zero', q{UPDATE fake.catalog SET version = '01.0.0'} ],
	[ 'version suffix',       q{UPDATE fake.catalog SET version = '1.0.0-rc.1'} ],
	[ 'version overflow',     q{UPDATE fake.catalog SET version = '1.2147483648.0'} ],
	[ 'version negative',     q{UPDATE fake.catalog SET version = '1.-1.0'} ],
	[ 'version empty',        q{UPDATE fake.catalog SET version = ''} ],
	[ 'version injection',    q{UPDATE fake.catalog SET version = '1.0.0''; DROP SCHEMA src; --'} ],
	[ 'status retired',    q{UPDATE fake.catalog SET status = 'retired'} ],
	[ 'status unknown',    q{UPDATE fake.catalog SET status = 'published '} ],
	[ 'negative consumers', q{UPDATE fake.catalog SET consumers = -1} ],
	[ 'major listed twice', q{INSERT INTO fake.catalog SELECT * FROM fake.base_catalog} ],
	[ 'major twice, other minor',
	  q{INSERT INTO fake.catalog SELECT product, domain, owner, '1.7.0', 'p_v1b', status,
	      published_at, sunset, outputs, consumers, message FROM fake.base_catalog} ],
	[ 'null output name',  q{UPDATE fake.catalog SET outputs = '{t,NULL}'} ],
	[ 'empty output name', q{UPDATE fake.catalog SET outputs = '{t,""}'} ],
	[ 'overlong output name',
	  q{UPDATE fake.catalog SET outputs = ARRAY['t', repeat('o', 100)]} ],
	[ 'no outputs',        q{UPDATE fake.catalog SET outputs = '{}'} ],
	[ 'outputs in two dimensions', q{UPDATE fake.catalog SET outputs = '{{t,u},{v,w}}'} ],
	[ 'output listed twice', q{UPDATE fake.catalog SET outputs = '{t,u,t}'} ],
	[ 'huge outputs array',
	  q{UPDATE fake.catalog SET outputs =
	      ARRAY(SELECT 'o' || g FROM generate_series(1, 100000) g)} ],
);
foreach my $case (@catalog_cases)
{
	my ($name, $change) = @$case;
	# a NULL product does not match what subscribe() asks for
	my @calls = $name eq 'null product' ? ($catalog) : ($catalog, $subscribe);
	refused($name, $change, @calls);
}

# A deprecation message is the producer's text: cut to 10,000 bytes, and
# no escape sequence reaches the consumer's terminal.
$node->safe_psql('producer',
	q{UPDATE fake.catalog SET status = 'deprecated', message = E'\\x1b[31mred ' || repeat('é', 20000)});
is($node->safe_psql('consumer',
		q{SELECT octet_length(message), strpos(message, E'\\x1b') FROM dataproduct.remote_catalog('prod')}),
	'9999|0', 'a long message with control characters is cut on a character boundary and cleaned');
$node->safe_psql('producer', $restore);

my @contract_cases = (
	[ 'null output',      q{UPDATE fake.contract SET output = NULL} ],
	[ 'null column_name', q{UPDATE fake.contract SET column_name = NULL WHERE position = 2} ],
	[ 'null type',        q{UPDATE fake.contract SET type = NULL WHERE position = 1} ],
	[ 'null not_null',    q{UPDATE fake.contract SET not_null = NULL} ],
	[ 'null position',    q{UPDATE fake.contract SET position = NULL WHERE position = 2} ],
	[ 'empty column_name', q{UPDATE fake.contract SET column_name = '' WHERE position = 2} ],
	[ 'overlong column_name',
	  q{UPDATE fake.contract SET column_name = repeat('c', 64) WHERE position = 2} ],
	[ 'overlong output',  q{UPDATE fake.contract SET output = repeat('o', 64)} ],
	[ 'empty type',       q{UPDATE fake.contract SET type = '' WHERE position = 1} ],
	[ 'huge type',        q{UPDATE fake.contract SET type = repeat('x', 5000) WHERE position = 1} ],
	[ 'type injection',
	  q{UPDATE fake.contract SET type = 'integer; DROP SCHEMA src; --' WHERE position = 1} ],
	[ 'column listed twice',
	  q{INSERT INTO fake.contract SELECT product, version, output, 3, column_name, type,
	      not_null, description FROM fake.base_contract WHERE position = 1} ],
	[ 'position listed twice',
	  q{INSERT INTO fake.contract SELECT product, version, output, position, 'other', type,
	      not_null, description FROM fake.base_contract WHERE position = 1} ],
	[ 'position gap',     q{UPDATE fake.contract SET position = 3 WHERE position = 2} ],
	[ 'position zero',    q{UPDATE fake.contract SET position = position - 1} ],
	[ 'position too high', q{UPDATE fake.contract SET position = 5000 WHERE position = 2} ],
	[ 'no contract',      q{DELETE FROM fake.contract} ],
	[ 'too many columns',
	  q{INSERT INTO fake.contract SELECT product, version, output, g, 'c' || g, 'integer',
	      false, NULL FROM fake.base_contract, generate_series(3, 1700) g WHERE position = 1} ],
	[ 'quoted names',
	  q{UPDATE fake.contract SET output = 't"; DROP SCHEMA src; --'} ],
	[ 'contract of an output not listed',
	  q{UPDATE fake.contract SET output = 'u'} ],
	[ 'listed output without contract',
	  q{UPDATE fake.catalog SET outputs = '{t,u}'} ],
);
foreach my $case (@contract_cases)
{
	refused(@$case, $subscribe);
}

# The same checks guard refresh(), against a subscription made while the
# producer was honest.
$node->safe_psql('consumer', $subscribe);
is($node->safe_psql('consumer', q{SELECT count(*) FROM sub.t}), '2',
	'subscribed to the honest producer');
foreach my $case (@catalog_cases[3, 4, 5, 7, 11, 13, 24],
	@contract_cases[0, 1, 2, 10, 13, 15])
{
	refused(@$case, $refresh);
}
# a schema the producer names but does not have
refused('schema injection',
	q{UPDATE fake.catalog SET schema = 'p_v1''; DROP SCHEMA src; --'},
	$refresh);
is($node->safe_psql('consumer', $refresh), '1.0.0',
	'refresh works again once the producer is honest');

# The producer's extension version is checked too
refused('extension version',
	q{UPDATE pg_extension SET extversion = 'x.y' WHERE extname = 'dataproduct'},
	$catalog, $refresh);
$node->safe_psql('producer',
	q{UPDATE pg_extension SET extversion = '0.4.0' WHERE extname = 'dataproduct'});

is($node->safe_psql('producer', q{SELECT count(*) FROM src.t}), '2',
	'nothing injected ran on the producer');
ok($node->safe_psql('postgres', 'SELECT 1'), 'the server is up');
my $log = slurp_file($node->logfile);
unlike($log, qr/terminated by signal/, 'no backend crashed');

$node->stop;
done_testing();
