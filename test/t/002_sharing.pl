# Sharing across domains over postgres_fdw, as production would run it:
# three servers that authenticate each other with passwords
# (scram-sha-256), two producer domains (sales, marketing) and a consumer
# whose analyst is an ordinary login role, not a superuser.  The analyst
# subscribes to a product of each producer and joins them in one query;
# filters, aggregates and same-server joins run on the producer.  The sales
# producer publishes 1.1.0 (refresh brings the new column and output, a
# local view on the old foreign table survives) and then a breaking 2.0.0,
# while the consumer keeps reading version 1 unchanged.  revoke_access is
# refused while the consumer is registered; unsubscribe removes the foreign
# tables, the subscription and the producer's registration.  Every error
# case names what is missing and how to fix it, and changes nothing, on
# either side.  Passwords stay in postgres_fdw's user mappings: never in
# dataproduct's tables, a dump of them, an error or a server log.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my %password = (
	analyst          => 'analyst-secret-5Mp1',
	sales_reader     => 'sales-secret-7Hq2',
	marketing_reader => 'mkt-secret-9Xw4',
	marketing_intern => 'intern-secret-3Kd8',
	wrong            => 'not-the-sales-secret-0Zz9');
my $any_password = join('|', map { quotemeta } values %password);

# A server that asks every role but the bootstrap superuser (the OS user
# running the test, whom the harness connects as) for a scram-sha-256
# password, and logs how each connection authenticated.
sub scram_node
{
	my ($name) = @_;
	my $node = PostgreSQL::Test::Cluster->new($name);
	$node->init;
	$node->append_conf('postgresql.conf', q{
password_encryption = 'scram-sha-256'
log_connections = on
});
	$node->start;
	my $superuser = $node->safe_psql('postgres', 'SELECT current_user');
	open my $hba, '>', $node->data_dir . '/pg_hba.conf'
	  or die "could not write pg_hba.conf: $!";
	print $hba "local all $superuser trust\n";
	print $hba "local all all scram-sha-256\n";
	print $hba "host all all 127.0.0.1/32 scram-sha-256\n";
	close $hba;
	# a restart, not a reload: the next connection must see the new rules
	$node->restart;
	return $node;
}

my $sales     = scram_node('sales');
my $marketing = scram_node('marketing');
my $consumer  = scram_node('consumer');

# The statements below that carry a password are not logged, so that the
# server logs can be checked for passwords at the end.

#
# Producers
#
$sales->safe_psql('postgres', qq{
SET log_statement = 'none';
CREATE ROLE sales_team NOLOGIN;
CREATE ROLE sales_reader LOGIN PASSWORD '$password{sales_reader}';
CREATE DATABASE sales;
CREATE DATABASE plain;
REVOKE CONNECT ON DATABASE plain FROM PUBLIC;
GRANT CONNECT ON DATABASE plain TO sales_reader;
});
$sales->safe_psql('sales', q{
CREATE EXTENSION dataproduct;
CREATE SCHEMA sales_private;
CREATE TABLE sales_private.orders (
    order_id    integer PRIMARY KEY,
    customer_id integer NOT NULL,
    amount      numeric(10,2) NOT NULL
);
COMMENT ON COLUMN sales_private.orders.amount IS 'Order total in EUR';
INSERT INTO sales_private.orders VALUES
    (1, 10, 120.00), (2, 10, 80.00), (3, 20, 200.00),
    (4, 30, 50.00), (5, 20, 30.00), (6, 40, 10.00);
CREATE TABLE sales_private.order_lines (
    order_id integer NOT NULL REFERENCES sales_private.orders,
    line_no  integer NOT NULL,
    sku      text NOT NULL,
    qty      integer NOT NULL,
    PRIMARY KEY (order_id, line_no)
);
INSERT INTO sales_private.order_lines VALUES
    (1, 1, 'A', 1), (1, 2, 'B', 2), (2, 1, 'A', 1), (3, 1, 'C', 5),
    (4, 1, 'B', 1), (5, 1, 'A', 3), (6, 1, 'C', 1);
GRANT USAGE ON SCHEMA sales_private TO sales_team;
GRANT SELECT ON ALL TABLES IN SCHEMA sales_private TO sales_team;
SELECT dataproduct.create_domain('sales', 'sales_team', 'Orders of the web shop');
SELECT dataproduct.create_product('orders', 'sales', 'Every order, with its lines');
SELECT dataproduct.publish('orders', '1.0.0',
    '{sales_private.orders,sales_private.order_lines}');
SELECT dataproduct.grant_access('orders', 1, 'sales_reader');
});

$marketing->safe_psql('postgres', qq{
SET log_statement = 'none';
CREATE ROLE marketing_team NOLOGIN;
CREATE ROLE marketing_reader LOGIN PASSWORD '$password{marketing_reader}';
CREATE ROLE marketing_intern LOGIN PASSWORD '$password{marketing_intern}';
CREATE DATABASE marketing;
});
$marketing->safe_psql('marketing', q{
CREATE EXTENSION dataproduct;
CREATE SCHEMA mkt_private;
CREATE TABLE mkt_private.customers (
    customer_id integer PRIMARY KEY,
    segment     text NOT NULL,
    email       text
);
INSERT INTO mkt_private.customers VALUES
    (10, 'retail', 'a@example.com'), (20, 'wholesale', 'b@example.com'),
    (30, 'retail', 'c@example.com'), (50, 'retail', 'e@example.com');
-- what is shared: no e-mail addresses (a version view is a frozen copy of
-- this view's query, read with the domain owner's rights)
CREATE SCHEMA mkt_share;
CREATE VIEW mkt_share.customers AS
SELECT customer_id, segment FROM mkt_private.customers;
GRANT USAGE ON SCHEMA mkt_private, mkt_share TO marketing_team;
GRANT SELECT (customer_id, segment) ON mkt_private.customers TO marketing_team;
GRANT SELECT ON mkt_share.customers TO marketing_team;
SELECT dataproduct.create_domain('marketing', 'marketing_team');
SELECT dataproduct.create_product('customers', 'marketing', 'Customer segments');
SELECT dataproduct.publish('customers', '1.0.0', '{mkt_share.customers}');
SELECT dataproduct.grant_access('customers', 1, 'marketing_reader');
});

# The roles' passwords are stored as scram-sha-256 verifiers.
is($sales->safe_psql('postgres', q{
SELECT string_agg(rolname || ' ' || split_part(rolpassword, '$', 1), ',')
  FROM pg_authid WHERE rolname = 'sales_reader'}),
	'sales_reader SCRAM-SHA-256', 'the reader role has a scram-sha-256 password');

# What the reader role can do on the producer, logging in with its password.
my $sales_reader_connstr =
  $sales->connstr('sales') . " user=sales_reader password=$password{sales_reader}";
$sales->connect_fails($sales->connstr('sales') . ' user=sales_reader',
	'the reader role cannot log in without its password',
	expected_stderr => qr/no password supplied/);
is($sales->safe_psql('sales',
		'SELECT current_user, count(*), sum(amount) FROM orders_v1.orders',
		connstr => $sales_reader_connstr),
	'sales_reader|6|490.00',
	'the reader role logs in with its password and reads the version schema');
my ($ret, $stdout, $stderr) = $sales->psql('sales',
	'SELECT count(*) FROM sales_private.orders',
	connstr => $sales_reader_connstr);
isnt($ret, 0, 'the reader role cannot read the internal table');
like($stderr, qr/permission denied for schema sales_private/,
	'... permission denied');
my $marketing_reader_connstr = $marketing->connstr('marketing')
  . " user=marketing_reader password=$password{marketing_reader}";
is($marketing->safe_psql('marketing', 'SELECT count(*) FROM customers_v1.customers',
		connstr => $marketing_reader_connstr),
	'4', 'the marketing reader reads its version schema');
($ret, $stdout, $stderr) = $marketing->psql('marketing',
	'SELECT email FROM mkt_private.customers',
	connstr => $marketing_reader_connstr);
like($stderr, qr/permission denied for schema mkt_private/,
	'... but not the e-mail addresses in the internal table');

#
# Consumer: the superuser installs the extensions and makes the analyst
#
$consumer->safe_psql('postgres', qq{
SET log_statement = 'none';
CREATE ROLE analyst LOGIN PASSWORD '$password{analyst}';
-- the analyst's statements carry the passwords of its user mappings
ALTER ROLE analyst SET log_statement = 'none';
CREATE DATABASE analytics;
GRANT CREATE ON DATABASE analytics TO analyst;
});
my ($sales_host, $sales_port) = ($sales->host, $sales->port);
my ($mkt_host,   $mkt_port)   = ($marketing->host, $marketing->port);
$consumer->safe_psql('analytics', qq{
CREATE EXTENSION postgres_fdw;
CREATE EXTENSION dataproduct;
GRANT USAGE ON FOREIGN DATA WRAPPER postgres_fdw TO analyst;
-- servers the analyst may not use for sharing
CREATE FOREIGN DATA WRAPPER dummy;
CREATE SERVER dummy_srv FOREIGN DATA WRAPPER dummy;
GRANT USAGE ON FOREIGN SERVER dummy_srv TO analyst;
CREATE SERVER hidden_srv FOREIGN DATA WRAPPER postgres_fdw
    OPTIONS (host '$sales_host', port '$sales_port', dbname 'sales');
});

my $analyst_connstr =
  $consumer->connstr('analytics') . " user=analyst password=$password{analyst}";

# The analyst's session: a real login with its password.
sub as_analyst
{
	my ($sql) = @_;
	return $consumer->safe_psql('analytics', $sql, connstr => $analyst_connstr);
}

is(as_analyst('SELECT current_user, rolsuper FROM pg_roles WHERE rolname = current_user'),
	'analyst|f', 'the analyst logs in with its password and is no superuser');

as_analyst(qq{
CREATE SERVER sales_srv FOREIGN DATA WRAPPER postgres_fdw
    OPTIONS (host '$sales_host', port '$sales_port', dbname 'sales');
CREATE USER MAPPING FOR analyst SERVER sales_srv
    OPTIONS (user 'sales_reader', password '$password{sales_reader}');
CREATE SERVER marketing_srv FOREIGN DATA WRAPPER postgres_fdw
    OPTIONS (host '$mkt_host', port '$mkt_port', dbname 'marketing');
CREATE USER MAPPING FOR analyst SERVER marketing_srv
    OPTIONS (user 'marketing_reader', password '$password{marketing_reader}');
-- for the error cases
CREATE SERVER marketing_intern_srv FOREIGN DATA WRAPPER postgres_fdw
    OPTIONS (host '$mkt_host', port '$mkt_port', dbname 'marketing');
CREATE USER MAPPING FOR analyst SERVER marketing_intern_srv
    OPTIONS (user 'marketing_intern', password '$password{marketing_intern}');
CREATE SERVER sales_plain_srv FOREIGN DATA WRAPPER postgres_fdw
    OPTIONS (host '$sales_host', port '$sales_port', dbname 'plain');
CREATE USER MAPPING FOR analyst SERVER sales_plain_srv
    OPTIONS (user 'sales_reader', password '$password{sales_reader}');
CREATE SERVER sales_badpw_srv FOREIGN DATA WRAPPER postgres_fdw
    OPTIONS (host '$sales_host', port '$sales_port', dbname 'sales');
CREATE USER MAPPING FOR analyst SERVER sales_badpw_srv
    OPTIONS (user 'sales_reader', password '$password{wrong}');
CREATE SERVER nomap_srv FOREIGN DATA WRAPPER postgres_fdw
    OPTIONS (host '$sales_host', port '$sales_port', dbname 'sales');
});

#
# Discover and subscribe
#
# where the producers' logs are before the consumer connects
my %log_offset = (sales => -s $sales->logfile, marketing => -s $marketing->logfile);
is(as_analyst(q{
SELECT product, domain, owner, version, schema, status, outputs, consumers
  FROM dataproduct.remote_catalog('sales_srv')}),
	'orders|sales|sales_team|1.0.0|orders_v1|published|{order_lines,orders}|0',
	'remote_catalog reads the sales catalog over postgres_fdw');
is(as_analyst(q{
SELECT dataproduct.subscribe('sales_srv', 'orders', 1);
SELECT dataproduct.subscribe('marketing_srv', 'customers', 1);
}),
	"orders_v1\ncustomers_v1", 'the analyst subscribes to both producers');

ok($sales->log_contains(
		qr/connection authenticated: identity="sales_reader" method=scram-sha-256/,
		$log_offset{sales}),
	'the sales producer authenticated the consumer with scram-sha-256');
ok($sales->log_contains(
		qr/connection authorized: user=sales_reader database=sales application_name=postgres_fdw/,
		$log_offset{sales}),
	'... on a postgres_fdw connection');
ok($marketing->log_contains(
		qr/connection authenticated: identity="marketing_reader" method=scram-sha-256/,
		$log_offset{marketing}),
	'the marketing producer authenticated the consumer with scram-sha-256');

is(as_analyst(q{
SELECT format('%s.%s %s', n.nspname, c.relname,
              (SELECT string_agg(attname || ' ' || format_type(atttypid, atttypmod), ', ' ORDER BY attnum)
                 FROM pg_attribute WHERE attrelid = c.oid AND attnum > 0))
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind = 'f' AND pg_get_userbyid(c.relowner) = 'analyst'
 ORDER BY 1}),
	"customers_v1.customers customer_id integer, segment text\n"
	  . "orders_v1.order_lines order_id integer, line_no integer, sku text, qty integer\n"
	  . "orders_v1.orders order_id integer, customer_id integer, amount numeric(10,2)",
	'the outputs are foreign tables owned by the analyst, with the promised columns');
is(as_analyst(q{
SELECT obj_description('orders_v1.orders'::regclass, 'pg_class') || E'\n'
       || col_description('orders_v1.orders'::regclass, 3)}),
	"Output \"orders\" of data product \"orders\" version 1.0.0 (domain \"sales\"), imported from schema \"orders_v1\" of server \"sales_srv\"\n"
	  . 'Order total in EUR',
	'foreign tables say what they are, and keep the column descriptions');

is(as_analyst('SELECT * FROM orders_v1.orders ORDER BY order_id'),
	"1|10|120.00\n2|10|80.00\n3|20|200.00\n4|30|50.00\n5|20|30.00\n6|40|10.00",
	'the consumer reads the sales product');
is(as_analyst('SELECT * FROM customers_v1.customers ORDER BY customer_id'),
	"10|retail\n20|wholesale\n30|retail\n50|retail",
	'the consumer reads the marketing product');

my $join_query = q{
SELECT c.segment, count(*), sum(o.amount)
  FROM orders_v1.orders o JOIN customers_v1.customers c USING (customer_id)
 GROUP BY c.segment ORDER BY c.segment};
is(as_analyst($join_query), "retail|3|250.00\nwholesale|2|230.00",
	'one query joins the products of both producers');

# The work goes to the producer.
like(as_analyst(q{
EXPLAIN (VERBOSE, COSTS OFF)
SELECT order_id FROM orders_v1.orders WHERE amount > 100}),
	qr/Remote SQL: SELECT order_id FROM orders_v1\.orders WHERE \(\(amount > 100/,
	'a filter is pushed down to the producer');
like(as_analyst(q{
EXPLAIN (VERBOSE, COSTS OFF)
SELECT customer_id, sum(amount) FROM orders_v1.orders GROUP BY customer_id}),
	qr/Remote SQL: SELECT customer_id, sum\(amount\) FROM orders_v1\.orders GROUP BY 1/,
	'an aggregate is pushed down to the producer');
# Without statistics on the foreign tables the planner guesses 1000s of rows
# and joins locally; as postgres_fdw advises, the analyst analyzes them.
as_analyst('ANALYZE orders_v1.orders, orders_v1.order_lines');
my $plan = as_analyst(q{
EXPLAIN (VERBOSE, COSTS OFF)
SELECT o.order_id, l.sku
  FROM orders_v1.orders o JOIN orders_v1.order_lines l ON l.order_id = o.order_id});
like($plan, qr/Relations: \(orders_v1\.orders o\) INNER JOIN \(orders_v1\.order_lines l\)/,
	'a join of two outputs of one product is pushed down');
like($plan, qr/Remote SQL: .* FROM \(orders_v1\.orders r1 INNER JOIN orders_v1\.order_lines r2/,
	'... as one remote query');
is(as_analyst(q{
SELECT string_agg(o.order_id || l.sku, ',' ORDER BY o.order_id, l.line_no)
  FROM orders_v1.orders o JOIN orders_v1.order_lines l ON l.order_id = o.order_id}),
	'1A,1B,2A,3C,4B,5A,6C', '... with the right rows');

# The producers know their consumer.
my $consumer_system = $consumer->safe_psql('postgres',
	'SELECT system_identifier FROM pg_control_system()');
my $registrations = q{
SELECT product, major, version, consumer_database, consumer_role,
       consumer_schema, consumer_server, connected_as, consumer_system
  FROM dataproduct.consumers ORDER BY product, major};
is($sales->safe_psql('sales', $registrations),
	"orders|1|1.0.0|analytics|analyst|orders_v1|sales_srv|sales_reader|$consumer_system",
	'the sales producer lists the consumer database, role and the role it connected as');
is($marketing->safe_psql('marketing', $registrations),
	"customers|1|1.0.0|analytics|analyst|customers_v1|marketing_srv|marketing_reader|$consumer_system",
	'so does the marketing producer');
is($sales->safe_psql('sales',
		q{SELECT consumers FROM dataproduct.catalog WHERE product = 'orders'}),
	'1', 'the sales catalog counts one consumer');
is($sales->safe_psql('sales', $registrations, connstr => $sales_reader_connstr),
	"orders|1|1.0.0|analytics|analyst|orders_v1|sales_srv|sales_reader|$consumer_system",
	'the reader role sees its own registration');

my $subscriptions = q{
SELECT server, product, major, version, schema, remote_schema, outputs, subscribed_by
  FROM dataproduct.subscriptions ORDER BY server, product, major};
is(as_analyst($subscriptions),
	"marketing_srv|customers|1|1.0.0|customers_v1|customers_v1|{customers}|analyst\n"
	  . "sales_srv|orders|1|1.0.0|orders_v1|orders_v1|{order_lines,orders}|analyst",
	'the consumer lists its subscriptions');

#
# Errors: each names what is missing and how to fix it, prints no
# password, and changes nothing on either side.
#
my $state_query = q{
SELECT format('%s %s %s %s %s %s %s', server, product, major, version,
              local_schema, array_to_string(outputs, ','), subscribed_by)
  FROM dataproduct.subscription ORDER BY 1;
SELECT format('%s.%s(%s)', n.nspname, c.relname,
              (SELECT string_agg(attname, ',' ORDER BY attnum)
                 FROM pg_attribute WHERE attrelid = c.oid AND attnum > 0))
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind = 'f' ORDER BY 1;
SELECT string_agg(nspname, ',' ORDER BY nspname) FROM pg_namespace
 WHERE nspname !~ '^(pg_|information_schema$)'};
my $registry_query = q{
SELECT format('%s %s %s %s %s %s %s', product, major, version,
              consumer_database, consumer_server, consumer_schema, refreshed_at)
  FROM dataproduct.consumer ORDER BY 1;
SELECT format('%s %s %s', product, major, grantee)
  FROM dataproduct.access ORDER BY 1};

sub sharing_state
{
	return join("\n--\n",
		$consumer->safe_psql('analytics', $state_query),
		$sales->safe_psql('sales', $registry_query),
		$marketing->safe_psql('marketing', $registry_query));
}

my @error_outputs;

# Run SQL that must fail; check the error's lines against patterns.
sub fails_like
{
	my ($node, $dbname, $connstr, $sql, $name, @patterns) = @_;
	local $Test::Builder::Level = $Test::Builder::Level + 1;
	my $before = sharing_state();
	my ($ret, $stdout, $stderr) = $node->psql($dbname,
		"\\set VERBOSITY verbose\n$sql",
		$connstr ? (connstr => $connstr) : ());
	push @error_outputs, $stderr;
	isnt($ret, 0, "$name: fails");
	like($stderr, $_, "$name: $_") foreach @patterns;
	unlike($stderr, qr/$any_password/, "$name: no password in the error");
	is(sharing_state(), $before, "$name: nothing changed");
	return $stderr;
}

sub analyst_fails
{
	my ($sql, $name, @patterns) = @_;
	local $Test::Builder::Level = $Test::Builder::Level + 1;
	return fails_like($consumer, 'analytics', $analyst_connstr, $sql, $name,
		@patterns);
}

analyst_fails(q{SELECT dataproduct.subscribe('nosuch_srv', 'orders', 1)},
	'server missing',
	qr/ERROR:  42704: server "nosuch_srv" does not exist/,
	qr/HINT:  Create a postgres_fdw server for the producer's database with CREATE SERVER nosuch_srv FOREIGN DATA WRAPPER postgres_fdw OPTIONS \(host '\.\.\.', dbname '\.\.\.'\)\./);
analyst_fails(q{SELECT * FROM dataproduct.remote_catalog('nosuch_srv')},
	'remote_catalog of a missing server',
	qr/ERROR:  42704: server "nosuch_srv" does not exist/);
analyst_fails(q{SELECT dataproduct.subscribe('dummy_srv', 'orders', 1)},
	'not a postgres_fdw server',
	qr/ERROR:  42809: server "dummy_srv" is not a postgres_fdw server/,
	qr/DETAIL:  It uses foreign-data wrapper "dummy"; data products are shared over postgres_fdw\./,
	qr/HINT:  Create a server with FOREIGN DATA WRAPPER postgres_fdw for the producer's database\./);
analyst_fails(q{SELECT dataproduct.subscribe('hidden_srv', 'orders', 1)},
	'no USAGE on the server',
	qr/ERROR:  42501: permission denied for foreign server hidden_srv/,
	qr/HINT:  The owner of server "hidden_srv" can GRANT USAGE ON FOREIGN SERVER hidden_srv TO analyst\./);
analyst_fails(q{SELECT dataproduct.subscribe('nomap_srv', 'orders', 1)},
	'no user mapping',
	qr/ERROR:  42704: user mapping for role "analyst" on server "nomap_srv" does not exist/,
	qr/DETAIL:  postgres_fdw logs in to the producer with the user name and password in the user mapping of the calling role\./,
	qr/HINT:  Create one with CREATE USER MAPPING FOR CURRENT_USER SERVER nomap_srv OPTIONS \(user '\.\.\.', password '\.\.\.'\)\./);
analyst_fails(q{SELECT dataproduct.subscribe('sales_badpw_srv', 'orders', 1, 'trial')},
	'wrong password',
	qr/ERROR:  08001: could not connect to server "sales_badpw_srv"/,
	qr/DETAIL:  .*password authentication failed for user "sales_reader"/);
analyst_fails(q{SELECT dataproduct.subscribe('sales_plain_srv', 'orders', 1, 'trial')},
	'producer without the extension',
	qr/ERROR:  42704: extension "dataproduct" is not installed in the database of server "sales_plain_srv"/,
	qr/DETAIL:  Server "sales_plain_srv" must lead to the producer's database, where data products are published\./,
	qr/HINT:  Check the server's dbname option, or CREATE EXTENSION dataproduct in that database\./);
analyst_fails(q{SELECT dataproduct.subscribe('sales_srv', 'invoices', 1)},
	'product not published',
	qr/ERROR:  42704: data product "invoices" is not published in the database of server "sales_srv"/,
	qr/HINT:  SELECT \* FROM dataproduct\.remote_catalog\('sales_srv'\) lists the data products published there\./);
analyst_fails(q{SELECT dataproduct.subscribe('marketing_intern_srv', 'customers', 1, 'trial')},
	'access not granted',
	qr/ERROR:  42501: role "marketing_intern" has no access to major version 1 of data product "customers"/,
	qr/DETAIL:  Schema "customers_v1" can be read by the roles the owner of domain "marketing" grants access to\./,
	qr/HINT:  Ask the owner of domain "marketing", role "marketing_team", to run SELECT dataproduct\.grant_access\('customers', 1, 'marketing_intern'\);/,
	qr/CONTEXT:  remote SQL command: INSERT INTO dataproduct\.consumers\b/);
analyst_fails(q{SELECT dataproduct.subscribe('sales_srv', 'orders', 1, 'orders_again')},
	'a second subscription to the same major',
	qr/ERROR:  42710: this database already subscribes to major version 1 of data product "orders" over server "sales_srv"/,
	qr/DETAIL:  Its foreign tables are in schema "orders_v1"\./,
	qr/HINT:  Use dataproduct\.refresh\(\) to import a newer release of the major version\./);
analyst_fails(q{SELECT dataproduct.refresh('marketing_srv', 'orders', 1)},
	'refresh of no subscription',
	qr/ERROR:  42704: this database does not subscribe to major version 1 of data product "orders" over server "marketing_srv"/,
	qr/HINT:  dataproduct\.subscriptions lists the subscriptions of this database\./);

#
# sales publishes 1.1.0: a new column and a new output
#
$sales->safe_psql('sales', q{
ALTER TABLE sales_private.orders ADD COLUMN channel text NOT NULL DEFAULT 'web';
UPDATE sales_private.orders SET channel = 'store' WHERE order_id IN (2, 5);
CREATE TABLE sales_private.returns (
    order_id    integer NOT NULL REFERENCES sales_private.orders,
    returned_on date NOT NULL
);
INSERT INTO sales_private.returns VALUES (3, '2024-02-01');
GRANT SELECT ON sales_private.returns TO sales_team;
SELECT dataproduct.publish('orders', '1.1.0',
    '{sales_private.orders,sales_private.order_lines,sales_private.returns}');
});

as_analyst(q{
CREATE SCHEMA reports;
CREATE VIEW reports.big_orders AS
SELECT order_id, amount FROM orders_v1.orders WHERE amount >= 100;
});
is(as_analyst('SELECT * FROM orders_v1.orders ORDER BY order_id'),
	"1|10|120.00\n2|10|80.00\n3|20|200.00\n4|30|50.00\n5|20|30.00\n6|40|10.00",
	'before refresh the consumer reads the columns it imported');
is(as_analyst(q{SELECT to_regclass('orders_v1.returns') IS NULL}),
	't', '... and has no foreign table for the new output');

is(as_analyst(q{SELECT dataproduct.refresh('sales_srv', 'orders', 1)}),
	'1.1.0', 'refresh brings the subscription to 1.1.0');
is(as_analyst('SELECT order_id, amount, channel FROM orders_v1.orders WHERE order_id <= 2 ORDER BY 1'),
	"1|120.00|web\n2|80.00|store", 'the new column is there');
is(as_analyst('SELECT * FROM orders_v1.returns'),
	'3|2024-02-01', 'the new output is there, and readable');
is(as_analyst('SELECT * FROM reports.big_orders ORDER BY 1'),
	"1|120.00\n3|200.00", 'a local view on the old foreign table survived the refresh');
like(as_analyst(q{SELECT obj_description('orders_v1.orders'::regclass, 'pg_class')}),
	qr/version 1\.1\.0/, 'the foreign table comment names the new version');
is(as_analyst($subscriptions),
	"marketing_srv|customers|1|1.0.0|customers_v1|customers_v1|{customers}|analyst\n"
	  . "sales_srv|orders|1|1.1.0|orders_v1|orders_v1|{order_lines,orders,returns}|analyst",
	'the subscription records 1.1.0 and the new output');
is($sales->safe_psql('sales', q{
SELECT version, refreshed_at > subscribed_at FROM dataproduct.consumers}),
	'1.1.0|t', 'the producer records that the consumer imported 1.1.0');

#
# sales publishes 2.0.0, a breaking change; version 1 keeps serving
#
my $v1_query = 'SELECT * FROM orders_v1.orders ORDER BY order_id';
my %v1_before = (
	orders => as_analyst($v1_query),
	join   => as_analyst($join_query),
	lines  => as_analyst('SELECT * FROM orders_v1.order_lines ORDER BY 1, 2'));

$sales->safe_psql('sales', q{
-- renaming an internal column is allowed: version 1 keeps its names
ALTER TABLE sales_private.orders RENAME COLUMN amount TO amount_eur;
CREATE SCHEMA sales_v2src;
CREATE VIEW sales_v2src.orders AS
SELECT order_id::bigint AS order_id, customer_id,
       (amount_eur * 100)::bigint AS amount_cents, channel
  FROM sales_private.orders;
GRANT USAGE ON SCHEMA sales_v2src TO sales_team;
GRANT SELECT ON sales_v2src.orders TO sales_team;
SELECT dataproduct.publish('orders', '2.0.0', '{sales_v2src.orders}');
});

is(as_analyst($v1_query), $v1_before{orders},
	'after 2.0.0 version 1 returns exactly the same rows');
is(as_analyst($join_query), $v1_before{join}, '... and so does the join');
is(as_analyst('SELECT * FROM orders_v1.order_lines ORDER BY 1, 2'),
	$v1_before{lines}, '... and the output 2.0.0 dropped');
is(as_analyst(q{SELECT dataproduct.refresh('sales_srv', 'orders', 1)}),
	'1.1.0', 'refresh of version 1 stays on 1.1.0');
is(as_analyst($v1_query), $v1_before{orders}, '... and reads the same');

analyst_fails(q{SELECT dataproduct.subscribe('sales_srv', 'orders', 3)},
	'major not published',
	qr/ERROR:  42704: major version 3 of data product "orders" is not published in the database of server "sales_srv"/,
	qr/DETAIL:  Its live major versions there: 1, 2\./,
	qr/HINT:  Subscribe to one of them\./);
analyst_fails(q{SELECT dataproduct.subscribe('sales_srv', 'orders', 2, 'orders_next')},
	'major 2 before access to it is granted',
	qr/ERROR:  42501: role "sales_reader" has no access to major version 2 of data product "orders"/,
	qr/HINT:  Ask the owner of domain "sales", role "sales_team", to run SELECT dataproduct\.grant_access\('orders', 2, 'sales_reader'\);/);

$sales->safe_psql('sales', q{SELECT dataproduct.grant_access('orders', 2, 'sales_reader')});
as_analyst(q{
CREATE SCHEMA mine;
CREATE TABLE mine.orders (note text);
});

# A name taken in the target schema is refused before anything is done.
analyst_fails(q{SELECT dataproduct.subscribe('sales_srv', 'orders', 2, 'mine')},
	'an output name taken in the target schema',
	qr/ERROR:  42P07: relation "orders" already exists in schema "mine"/,
	qr/HINT:  Pass another schema as into_schema\./);

# The registration goes with the consumer's transaction: a subscription
# rolled back after the producer registered it leaves nothing there.
as_analyst(q{
BEGIN;
SELECT dataproduct.subscribe('sales_srv', 'orders', 2, 'orders_tmp');
SELECT count(*) FROM orders_tmp.orders;
ROLLBACK;
});
is($sales->safe_psql('sales', 'SELECT count(*) FROM dataproduct.consumer WHERE major = 2'),
	'0', 'a rolled-back subscribe leaves no registration on the producer');
is(as_analyst(q{SELECT to_regnamespace('orders_tmp') IS NULL}), 't',
	'... nor a schema on the consumer');

is(as_analyst(q{SELECT dataproduct.subscribe('sales_srv', 'orders', 2, 'orders_next')}),
	'orders_next', 'subscribe to major version 2 into another schema');
is(as_analyst(q{
SELECT order_id, pg_typeof(order_id), amount_cents, channel
  FROM orders_next.orders WHERE order_id <= 2 ORDER BY 1}),
	"1|bigint|12000|web\n2|bigint|8000|store", 'major version 2 has the new shape');
is(as_analyst($v1_query), $v1_before{orders}, 'version 1 still reads the same');
is($sales->safe_psql('sales', $registrations),
	"orders|1|1.1.0|analytics|analyst|orders_v1|sales_srv|sales_reader|$consumer_system\n"
	  . "orders|2|2.0.0|analytics|analyst|orders_next|sales_srv|sales_reader|$consumer_system",
	'the producer lists the consumer of each major');

#
# Secrets stay in the user mappings
#
my @catalog_rows = (
	$consumer->safe_psql('analytics', q{
SELECT row_to_json(s) FROM dataproduct.subscription s;
SELECT obj_description(c.oid, 'pg_class') || ' ' || array_to_string(ft.ftoptions, ' ')
  FROM pg_foreign_table ft JOIN pg_class c ON c.oid = ft.ftrelid;
SELECT obj_description(oid, 'pg_namespace') FROM pg_namespace
 WHERE nspname IN ('orders_v1', 'orders_next', 'customers_v1')}),
	$sales->safe_psql('sales', q{
SELECT row_to_json(c) FROM dataproduct.consumer c;
SELECT row_to_json(a) FROM dataproduct.access a}),
	$marketing->safe_psql('marketing', q{
SELECT row_to_json(c) FROM dataproduct.consumer c}));
like($catalog_rows[0], qr/"server":"sales_srv".*"server":"marketing_srv"|"server":"marketing_srv".*"server":"sales_srv"/s,
	'the consumer catalog holds the subscriptions');
like($catalog_rows[1], qr/"consumer_server":"sales_srv"/,
	'the producer catalog holds the registrations');
unlike(join("\n", @catalog_rows), qr/$any_password/,
	'no password in the catalogs, comments or foreign table options');

# The rows of a table in a plain-format dump
sub copy_data
{
	my ($dump, $table) = @_;
	return $dump =~ /^COPY \Q$table\E .*?\n(.*?)^\\\.$/ms ? $1 : '';
}

my $tmp = PostgreSQL::Test::Utils::tempdir;
$consumer->command_ok(
	[ 'pg_dump', '-p', $consumer->port, '-d', 'analytics', '-f', "$tmp/analytics.sql" ],
	'pg_dump of the consumer database');
my $dump = slurp_file("$tmp/analytics.sql");
like(copy_data($dump, 'dataproduct.subscription'),
	qr/\bsales_srv\b.*\n.*\bmarketing_srv\b|\bmarketing_srv\b.*\n.*\bsales_srv\b/,
	'the dump holds the subscriptions');
# statements, without their comments
my @secret_statements = grep { /$any_password/ }
  map { join("\n", grep { !/^--/ && /\S/ } split /\n/) } split /;\n/, $dump;
is(scalar(@secret_statements), 5, 'five statements of the dump have a password');
is(scalar(grep { /^CREATE USER MAPPING FOR analyst SERVER \w+ OPTIONS/ } @secret_statements),
	5, '... all of them user mappings, where postgres_fdw keeps passwords');
$sales->command_ok(
	[ 'pg_dump', '-p', $sales->port, '-d', 'sales', '-f', "$tmp/sales.sql" ],
	'pg_dump of the producer database');
$dump = slurp_file("$tmp/sales.sql");
like(copy_data($dump, 'dataproduct.consumer'), qr/\banalytics\b/,
	'the producer dump holds the registrations');
unlike($dump, qr/$any_password/, 'the producer dump holds no password');

#
# revoke_access and unsubscribe
#
fails_like($sales, 'sales', undef,
	q{SELECT dataproduct.revoke_access('orders', 1, 'sales_reader')},
	'revoke_access from a registered consumer',
	qr/ERROR:  2BP01: cannot revoke access to major version 1 of data product "orders" from role "sales_reader"/,
	qr/DETAIL:  1 registered consumer of schema "orders_v1" would lose access:\ndatabase "analytics" \(role "analyst", server "sales_srv"\) connecting as role "sales_reader"/,
	qr/HINT:  Ask them to unsubscribe, or pass force => true to cut them off\./);
is(as_analyst('SELECT count(*) FROM orders_v1.orders'), '6',
	'the consumer still reads version 1');

# A local view on a foreign table stops unsubscribe, on both sides.
fails_like($consumer, 'analytics', $analyst_connstr,
	q{SELECT dataproduct.unsubscribe('sales_srv', 'orders', 1)},
	'unsubscribe while a local view depends on a foreign table',
	qr/ERROR:  2BP01: cannot unsubscribe from major version 1 of data product "orders" because other objects depend on its foreign tables/,
	qr/DETAIL:  view reports\.big_orders depends on foreign table orders_v1\.orders/,
	qr/HINT:  Drop those objects, or change them to read something else, first\./);

as_analyst(q{
DROP VIEW reports.big_orders;
SELECT dataproduct.unsubscribe('sales_srv', 'orders', 1);
});
is(as_analyst(q{
SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = 'orders_v1';
SELECT to_regnamespace('orders_v1') IS NULL;
SELECT count(*) FROM dataproduct.subscriptions WHERE major = 1 AND server = 'sales_srv'}),
	"0\nt\n0",
	'unsubscribe drops the foreign tables, the schema it created and the subscription');
is($sales->safe_psql('sales', q{
SELECT string_agg(major || ' ' || consumer_schema, ',') FROM dataproduct.consumers;
SELECT string_agg(schema || ' ' || consumers, ',' ORDER BY schema) FROM dataproduct.catalog}),
	"2 orders_next\norders_v1 0,orders_v2 1",
	'the producer no longer lists the consumer of version 1');
is(as_analyst('SELECT count(*) FROM orders_next.orders'), '6',
	'the subscription to version 2 is untouched');
analyst_fails(q{SELECT dataproduct.unsubscribe('sales_srv', 'orders', 1)},
	'unsubscribe twice',
	qr/ERROR:  42704: this database does not subscribe to major version 1 of data product "orders" over server "sales_srv"/);

$sales->safe_psql('sales',
	q{SELECT dataproduct.revoke_access('orders', 1, 'sales_reader')});
($ret, $stdout, $stderr) = $sales->psql('sales',
	'SELECT count(*) FROM orders_v1.orders', connstr => $sales_reader_connstr);
like($stderr, qr/permission denied for schema orders_v1/,
	'without consumers, revoke_access ends the access');

as_analyst(q{
SELECT dataproduct.unsubscribe('marketing_srv', 'customers', 1);
});
is(as_analyst(q{
SELECT to_regnamespace('customers_v1') IS NULL, count(*) FROM dataproduct.subscriptions}),
	't|1', 'the marketing subscription is gone');
is($marketing->safe_psql('marketing', 'SELECT count(*) FROM dataproduct.consumer'),
	'0', 'and so is its registration');

#
# No error printed a password, nor did any server log one
#
ok(scalar(@error_outputs) >= 15, 'errors were collected');
unlike(join("\n", @error_outputs), qr/$any_password/,
	'no error output holds a password');
foreach my $node ($sales, $marketing, $consumer)
{
	unlike(slurp_file($node->logfile), qr/$any_password/,
		'no password in the server log of ' . $node->name);
}

$sales->stop;
$marketing->stop;
$consumer->stop;
done_testing();
