# Usage tracking: with dataproduct in shared_preload_libraries, who reads
# which version view, and which of its columns.  Two roles read at the same
# time from concurrent sessions; each is counted with the columns it read.
# A reader on a second server, subscribed over postgres_fdw, is counted as
# the role of its user mapping and shown with its registration.  Catalog
# reads and statements that read no version view count nothing.  Counters
# survive a clean restart and an immediate stop; after a crash they are
# those saved when the server last stopped; usage_reset() clears them.
# Reads beyond dataproduct.max_usage_entries counters are not counted, and
# the usage view says how many.
# A reader of a deprecated major is warned once per session; impact() says
# whom a breaking change would hit; retire() waits until nobody reads.
# Without the library preloaded, dataproduct.usage has no rows and says
# why, once.
use strict;
use warnings;

use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $producer = PostgreSQL::Test::Cluster->new('producer');
$producer->init;
$producer->append_conf('postgresql.conf', q{
shared_preload_libraries = 'dataproduct'
restart_after_crash = on
});
$producer->start;

$producer->safe_psql('postgres', q{
CREATE ROLE shop_team NOLOGIN;
CREATE ROLE alice LOGIN;
CREATE ROLE bob LOGIN;
CREATE ROLE remote_reader LOGIN;
CREATE DATABASE shop;
});
$producer->safe_psql('shop', q{
CREATE EXTENSION dataproduct;
CREATE SCHEMA src;
CREATE TABLE src.orders (id int PRIMARY KEY, customer text NOT NULL, amount numeric(10,2));
INSERT INTO src.orders SELECT g, 'c' || g, g FROM generate_series(1, 50) g;
CREATE TABLE src.notes (id int PRIMARY KEY, note text);
GRANT USAGE ON SCHEMA src TO shop_team;
GRANT SELECT ON ALL TABLES IN SCHEMA src TO shop_team;
SELECT dataproduct.create_domain('shop', 'shop_team');
SELECT dataproduct.create_product('orders', 'shop');
SELECT dataproduct.publish('orders', '1.0.0', '{src.orders,src.notes}');
SELECT dataproduct.grant_access('orders', 1, 'alice');
SELECT dataproduct.grant_access('orders', 1, 'bob');
SELECT dataproduct.grant_access('orders', 1, 'remote_reader');
});

my $usage = q{
SELECT output, role, queries, columns_read, consumers IS NULL,
       total_time_ms > 0, first_read <= last_read
  FROM dataproduct.usage ORDER BY output, role::text};

is($producer->safe_psql('shop', $usage), '',
	'publishing and granting count no read');

# Two sessions at the same time, 200 statements each: alice reads id and
# amount of orders; bob id and customer once, then notes as a whole row.
my %script = (
	alice => "SELECT id, amount FROM orders_v1.orders WHERE id = 7;\n" x 200,
	bob => "SELECT customer FROM orders_v1.orders WHERE id = 3;\n"
	  . "SELECT n FROM orders_v1.notes n;\n" x 199);
my %session;
for my $role (sort keys %script)
{
	my ($out, $err) = ('', '');
	$session{$role} = IPC::Run::start(
		[
			'psql', '-XAtq', '-v', 'ON_ERROR_STOP=1',
			'-d', $producer->connstr('shop') . " user=$role"
		],
		'<', \$script{$role}, '>', \$out, '2>', \$err);
}
for my $role (sort keys %session)
{
	ok($session{$role}->finish, "the session of $role read 200 times");
}

is($producer->safe_psql('shop', $usage),
	"notes|bob|199|{id,note}|t|t|t\n"
	  . "orders|alice|200|{id,amount}|t|t|t\n"
	  . "orders|bob|1|{id,customer}|t|t|t",
	'each role is counted with the columns it read (a whole row: all of them)');

# The catalog, the extension's functions and statements that read no
# version view count nothing; EXPLAIN without ANALYZE reads nothing.
$producer->safe_psql('shop', q{
SELECT * FROM dataproduct.catalog;
SELECT * FROM dataproduct.contract_columns;
SELECT dataproduct.publish('orders', '1.0.1', '{src.orders,src.notes}');
SELECT count(*) FROM src.orders;
EXPLAIN SELECT * FROM orders_v1.orders;
});
is($producer->safe_psql('shop', 'SELECT sum(queries) FROM dataproduct.usage'),
	'400', 'catalog reads and other statements are not counted');

# What each role sees: its own rows; the domain and superusers: all.
is($producer->safe_psql('shop',
		'SELECT string_agg(role::text, \',\' ORDER BY role::text) FROM dataproduct.usage',
		connstr => $producer->connstr('shop') . ' user=alice'),
	'alice', 'a reader sees its own counters only');
$producer->safe_psql('postgres', 'GRANT shop_team TO bob');
is($producer->safe_psql('shop',
		'SELECT count(*) FROM dataproduct.usage',
		connstr => $producer->connstr('shop') . ' user=bob'),
	'3', 'a member of the domain sees every reader of its products');
$producer->safe_psql('postgres', 'REVOKE shop_team FROM bob');

#
# A consumer on another server, subscribed over postgres_fdw as
# remote_reader.  It has no preload: there, usage says tracking is off.
#
my $consumer = PostgreSQL::Test::Cluster->new('consumer');
$consumer->init;
$consumer->start;
my ($host, $port) = ($producer->host, $producer->port);
$consumer->safe_psql('postgres', qq{
CREATE EXTENSION postgres_fdw;
CREATE EXTENSION dataproduct;
CREATE SERVER shop_srv FOREIGN DATA WRAPPER postgres_fdw
    OPTIONS (host '$host', port '$port', dbname 'shop');
CREATE USER MAPPING FOR CURRENT_USER SERVER shop_srv
    OPTIONS (user 'remote_reader');
SELECT dataproduct.subscribe('shop_srv', 'orders', 1);
});
my ($ret, $stdout, $stderr) = $consumer->psql('postgres', q{
SELECT count(*) FROM orders_v1.orders WHERE amount > 10;
SELECT sum(amount) FROM orders_v1.orders;
SELECT count(*) FROM dataproduct.usage;
SELECT count(*) FROM dataproduct.usage;
});
is($stdout, "40\n1275.00\n0\n0", 'the consumer reads; its own usage view is empty');
is(scalar(() = $stderr =~ /NOTICE:  usage tracking is off/g), 1,
	'... and says once per session that tracking is off');
like($stderr,
	qr/HINT:  Add dataproduct to shared_preload_libraries and restart the server\./,
	'... and how to turn it on');

is($producer->safe_psql('shop', q{
SELECT u.queries, u.columns_read, c.value->>'database', c.value->>'server'
  FROM dataproduct.usage u, jsonb_array_elements(u.consumers) c
 WHERE u.role = 'remote_reader'::regrole}),
	'2|{amount}|postgres|shop_srv',
	'reads over postgres_fdw count for the mapped role, with its registration');

#
# Restart, immediate stop, reset
#
my $totals = 'SELECT string_agg(format(\'%s:%s\', role, queries), \',\' ORDER BY role::text, output) FROM dataproduct.usage';
my $before = $producer->safe_psql('shop', $totals);
$producer->restart;
is($producer->safe_psql('shop', $totals), $before,
	'the counters survive a clean restart');
ok(-f $producer->data_dir . '/pg_stat/dataproduct_usage.stat',
	'... through their file in pg_stat');

$producer->safe_psql('shop', 'SELECT id FROM orders_v1.orders WHERE id = 1',
	connstr => $producer->connstr('shop') . ' user=alice');
$producer->stop('immediate');
$producer->start;
is($producer->safe_psql('shop',
		"SELECT queries FROM dataproduct.usage WHERE role = 'alice'::regrole AND output = 'orders'"),
	'201', 'the counters survive an immediate stop: the postmaster saves them as it exits');

# A crash: the postmaster reinitializes shared memory and reads the file
# again, so the reads since the last start are lost.
$producer->safe_psql('shop', 'SELECT id FROM orders_v1.orders WHERE id = 1',
	connstr => $producer->connstr('shop') . ' user=alice');
my ($victim_in, $victim_out) = ("SELECT pg_backend_pid();\n", '');
my $victim = IPC::Run::start(
	[ 'psql', '-XAtq', '-d', $producer->connstr('shop') ],
	'<', \$victim_in, '>', \$victim_out, '2>', \my $victim_err);
$victim->pump until $victim_out =~ /^(\d+)$/m;
kill 'KILL', $1;
$victim->finish;
$producer->poll_query_until('shop', 'SELECT true')
  or die 'the server did not come back after the crash';
is($producer->safe_psql('shop',
		"SELECT queries FROM dataproduct.usage WHERE role = 'alice'::regrole AND output = 'orders'"),
	'201', 'after a crash, the counters are those saved when the server last stopped');

($ret, $stdout, $stderr) = $producer->psql('shop',
	'SELECT dataproduct.usage_reset()',
	connstr => $producer->connstr('shop') . ' user=alice');
like($stderr, qr/permission denied for function usage_reset/,
	'only superusers reset the counters');
$producer->safe_psql('shop', 'SELECT dataproduct.usage_reset()');
is($producer->safe_psql('shop', 'SELECT count(*) FROM dataproduct.usage'),
	'0', 'usage_reset() forgets every counter');
ok(!-f $producer->data_dir . '/pg_stat/dataproduct_usage.stat',
	'... and the file of the last shutdown');

#
# Deprecation: a warning to readers, once per session and major
#
$producer->safe_psql('shop', q{
SELECT dataproduct.deprecate('orders', 1, sunset => '2031-06-30',
                             message => 'use orders_v2');
});
($ret, $stdout, $stderr) = $producer->psql('shop', q{
SELECT count(*) FROM orders_v1.orders;
SELECT count(*) FROM orders_v1.notes;
SELECT count(*) FROM orders_v1.orders;
}, connstr => $producer->connstr('shop') . ' user=alice');
is($stdout, "50\n0\n50", 'a deprecated major is still read');
is($stderr,
	"psql:<stdin>:2: WARNING:  major version 1 of data product \"orders\" is deprecated\n"
	  . "DETAIL:  It will be retired on or after 2031-06-30.\n"
	  . "HINT:  The producing domain says: use orders_v2",
	'its reader is warned once per session, with the sunset date and the message');
($ret, $stdout, $stderr) = $producer->psql('shop', q{
SET dataproduct.warn_deprecated = off;
SELECT count(*) FROM orders_v1.orders;
}, connstr => $producer->connstr('shop') . ' user=alice');
is($stderr, '', 'dataproduct.warn_deprecated = off silences it');

#
# Full: reads that would need a counter beyond dataproduct.max_usage_entries
# are not counted, and the usage view says how many.
#
$producer->append_conf('postgresql.conf', "dataproduct.max_usage_entries = 100\n");
$producer->restart;
$producer->safe_psql('shop', q{
SELECT dataproduct.usage_reset();
DO $$
BEGIN
    FOR i IN 1..102 LOOP
        EXECUTE format('CREATE ROLE %I IN ROLE alice', 'many_' || i);
        EXECUTE format('SET LOCAL ROLE %I', 'many_' || i);
        PERFORM FROM orders_v1.orders WHERE id = i;
        RESET ROLE;
    END LOOP;
END
$$;
});
($ret, $stdout, $stderr) = $producer->psql('shop',
	'SELECT count(*) FROM dataproduct.usage');
is($stdout, '100', 'no more counters than dataproduct.max_usage_entries');
like($stderr,
	qr/NOTICE:  2 reads were not counted: all 100 usage counters are in use\n.*HINT:  Raise dataproduct.max_usage_entries, or reset the counters with dataproduct.usage_reset\(\)\./s,
	'... and the usage view says how many reads went uncounted');

#
# Impact: who a breaking change would hit, from the recorded column reads
#
$producer->safe_psql('shop', 'SELECT dataproduct.usage_reset()');
$consumer->safe_psql('postgres', 'SELECT sum(amount) FROM orders_v1.orders');
$producer->safe_psql('shop', 'SELECT count(id) FROM orders_v1.orders',
	connstr => $producer->connstr('shop') . ' user=alice');
$producer->safe_psql('shop', q{
CREATE SCHEMA src2;
CREATE TABLE src2.orders (id int PRIMARY KEY, customer text NOT NULL);
});
is($producer->safe_psql('shop', q{
SELECT kind, who FROM dataproduct.impact('orders', '{src2.orders,src.notes}')
 WHERE column_name = 'amount' ORDER BY kind, who}),
	"consumer|database postgres, server shop_srv, role postgres, connected as remote_reader\n"
	  . "reader|remote_reader",
	'impact: dropping amount hits the registered consumer and the role that read it, not alice');

#
# Retire: refused while the major has users, allowed once nobody uses it
#
my $retire = q{SELECT dataproduct.retire('orders', 1)};
($ret, $stdout, $stderr) = $producer->psql('shop', $retire);
like($stderr, qr/the sunset date of major version 1 of data product "orders" is 2031-06-30/,
	'retire waits for the sunset');
$producer->safe_psql('shop',
	q{SELECT dataproduct.deprecate('orders', 1, sunset => '2020-01-01')});
($ret, $stdout, $stderr) = $producer->psql('shop', $retire);
like($stderr,
	qr/ERROR:  cannot retire major version 1 of data product "orders" while it has users.*connecting as role "remote_reader".*role "alice" read it/s,
	'retire is refused while a remote consumer is registered and roles read it');
$consumer->safe_psql('postgres', q{SELECT dataproduct.unsubscribe('shop_srv', 'orders', 1)});
($ret, $stdout, $stderr) = $producer->psql('shop', $retire);
like($stderr, qr/role "remote_reader" read it.*role "alice" read it|role "alice" read it.*role "remote_reader" read it/s,
	'after unsubscribe, the roles that read it since its deprecation still hold it');
$producer->safe_psql('shop', q{
SELECT dataproduct.undeprecate('orders', 1);
SELECT dataproduct.deprecate('orders', 1, sunset => '2020-01-01');
});
$producer->safe_psql('shop', $retire);
is($producer->safe_psql('shop', q{
SELECT status, (SELECT count(*) FROM pg_namespace WHERE nspname = 'orders_v1')
  FROM dataproduct.major_version WHERE product = 'orders' AND major = 1}),
	'retired|0', 'nobody read it since it was deprecated again: retired, schema gone');

$producer->stop;
$consumer->stop;
done_testing();
