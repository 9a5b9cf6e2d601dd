# The catalog is the truth, and survives: publish on one server, move the
# database with pg_dumpall --globals-only and pg_dump to a second server,
# and check that every version still answers, the catalog is whole, and
# publishing goes on without reusing ids.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $old = PostgreSQL::Test::Cluster->new('old');
$old->init;
$old->start;

$old->safe_psql('postgres', q{
CREATE ROLE commerce_team;
CREATE DATABASE shopdb;
});
$old->safe_psql('shopdb', q{
CREATE EXTENSION dataproduct;
CREATE SCHEMA shop;
CREATE TABLE shop.orders (id int PRIMARY KEY, customer text NOT NULL, amount numeric(10,2));
COMMENT ON COLUMN shop.orders.amount IS 'Order total in EUR';
INSERT INTO shop.orders SELECT g, 'c' || g, g FROM generate_series(1, 100) g;
GRANT USAGE ON SCHEMA shop TO commerce_team;
GRANT SELECT ON shop.orders TO commerce_team;
SELECT dataproduct.create_domain('commerce', 'commerce_team', 'The shop');
SELECT dataproduct.create_product('orders', 'commerce');
SELECT dataproduct.publish('orders', '1.0.0', '{shop.orders}', 'first');
ALTER TABLE shop.orders ADD COLUMN currency char(3) NOT NULL DEFAULT 'EUR';
SELECT dataproduct.publish('orders', '1.1.0', '{shop.orders}');
CREATE SCHEMA shop2;
CREATE VIEW shop2.orders AS SELECT id::bigint AS id, customer FROM shop.orders;
GRANT USAGE ON SCHEMA shop2 TO commerce_team;
GRANT SELECT ON shop2.orders TO commerce_team;
SELECT dataproduct.publish('orders', '2.0.0', '{shop2.orders}');
});

my $catalog_query = q{
SELECT string_agg(format('%s %s %s %s %s', product, version, schema, status,
                         array_to_string(outputs, ',')), E'\n'
                  ORDER BY product, version)
  FROM dataproduct.versions};
my $contract_query = q{
SELECT string_agg(format('%s %s %s %s %s %s %s', product, version, output,
                         position, column_name, type, not_null), E'\n'
                  ORDER BY product, version, output, position)
  FROM dataproduct.contract_columns};
my $views_query = q{
SELECT (SELECT count(*) || ' ' || sum(amount) FROM orders_v1.orders)
       || ' ' || (SELECT count(*) FROM orders_v2.orders)
       || ' ' || (SELECT string_agg(currency, ',') FROM orders_v1.orders WHERE id < 3)};

my %before = (
	catalog  => $old->safe_psql('shopdb', $catalog_query),
	contract => $old->safe_psql('shopdb', $contract_query),
	views    => $old->safe_psql('shopdb', $views_query));

# move it
my $tmp = PostgreSQL::Test::Utils::tempdir;
$old->command_ok(
	[ 'pg_dumpall', '--globals-only', '-p', $old->port, '-f', "$tmp/globals.sql" ],
	'pg_dumpall --globals-only');
$old->command_ok(
	[ 'pg_dump', '-Fc', '-p', $old->port, '-d', 'shopdb', '-f', "$tmp/shopdb.dump" ],
	'pg_dump of a database with data products');

my $new = PostgreSQL::Test::Cluster->new('new');
$new->init;
$new->start;
$new->command_ok([ 'psql', '-X', '-q', '-p', $new->port, '-d', 'postgres',
		'-f', "$tmp/globals.sql" ], 'restore roles');
$new->safe_psql('postgres', 'CREATE DATABASE shopdb');
$new->command_ok(
	[ 'pg_restore', '-p', $new->port, '-d', 'shopdb', '--exit-on-error', "$tmp/shopdb.dump" ],
	'pg_restore of a database with data products');

is($new->safe_psql('shopdb', $catalog_query), $before{catalog},
	'versions survive dump and restore');
is($new->safe_psql('shopdb', $contract_query), $before{contract},
	'contracts survive dump and restore');
is($new->safe_psql('shopdb', $views_query), $before{views},
	'both majors answer the same after restore');
is($new->safe_psql('shopdb', q{
SELECT string_agg(nspname || ' ' || nspowner::regrole || ' ' || obj_description(oid, 'pg_namespace'), E'\n' ORDER BY nspname)
  FROM pg_namespace WHERE nspname LIKE 'orders_v%'}),
	"orders_v1 commerce_team Major version 1 of data product \"orders\" (latest release 1.1.0, domain \"commerce\")\n"
	  . "orders_v2 commerce_team Major version 2 of data product \"orders\" (latest release 2.0.0, domain \"commerce\")",
	'version schemas keep their owner and comment');

# the restored catalog still drives the compatibility checks
my ($ret, $stdout, $stderr) = $new->psql('shopdb',
	q{SELECT dataproduct.publish('orders', '2.1.0', '{shop.orders}')});
isnt($ret, 0, 'a breaking minor is still refused after restore');
like($stderr, qr/would break major version 2/, 'with the same error');

is($new->safe_psql('shopdb', q{
ALTER TABLE shop.orders ADD COLUMN note text;
CREATE OR REPLACE VIEW shop2.orders AS
SELECT id::bigint AS id, customer, note FROM shop.orders;
SELECT dataproduct.publish('orders', '2.1.0', '{shop2.orders}');
SELECT string_agg(version, ',' ORDER BY major, minor, patch) FROM dataproduct.versions}),
	"orders_v2\n1.0.0,1.1.0,2.0.0,2.1.0",
	'publishing goes on after restore');

is($new->safe_psql('shopdb', q{
SELECT count(DISTINCT release_id) = count(*) AND max(release_id) = 4
  FROM dataproduct.release}),
	't', 'release ids continue where the dumped sequence stopped');

is($new->safe_psql('shopdb', q{
SELECT string_agg(format('%s %s %s', output, column_name, change), ',')
  FROM dataproduct.diff('orders', '2.0.0', '2.1.0')}),
	'orders note column added', 'diff works across the restore');

$old->stop;
$new->stop;
done_testing();
