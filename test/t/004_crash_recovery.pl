# Nothing half-made survives a crash: kill the server (an immediate stop,
# no shutdown checkpoint) in the middle of publishes, grants and
# subscriptions, some still in an open transaction, some just committed,
# some in the middle of their statement, and after every restart check
# that the catalog and the schemas agree both ways and that the guard
# still protects every live version.
#
# One server holds the producer ("prod") and a consumer database ("cons")
# that subscribes to it over a postgres_fdw server looping back to it, so
# one kill interrupts both sides.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(usleep);

my $rounds = 8;

my $node = PostgreSQL::Test::Cluster->new('crash');
$node->init;
$node->start;

# The harness (test/run-tests.sh) fills freed memory with a pattern; its
# setting must reach this server too.
if ($ENV{MALLOC_PERTURB_})
{
	open my $fh, '<', '/proc/' . $node->{_pid} . '/environ'
	  or die "could not read the postmaster's environment: $!";
	my %env = map { split /=/, $_, 2 } grep { /=/ } split /\0/, do { local $/; <$fh> };
	close $fh;
	is($env{MALLOC_PERTURB_}, $ENV{MALLOC_PERTURB_},
		'the postmaster runs with the harness\'s MALLOC_PERTURB_');
}

$node->safe_psql('postgres', q{
CREATE ROLE shop_team;
CREATE ROLE reader;
CREATE DATABASE prod;
CREATE DATABASE cons;
});
$node->safe_psql('prod', q{
CREATE EXTENSION dataproduct;
CREATE SCHEMA src;
CREATE TABLE src.orders (id int PRIMARY KEY, customer text NOT NULL, amount numeric(10,2));
INSERT INTO src.orders SELECT g, 'c' || g, g FROM generate_series(1, 50) g;
CREATE TABLE src.customers (name text PRIMARY KEY, city text);
GRANT USAGE ON SCHEMA src TO shop_team;
GRANT SELECT ON ALL TABLES IN SCHEMA src TO shop_team;
ALTER DEFAULT PRIVILEGES IN SCHEMA src GRANT SELECT ON TABLES TO shop_team;
SELECT dataproduct.create_domain('shop', 'shop_team');
SELECT dataproduct.create_product('orders', 'shop');
SELECT dataproduct.publish('orders', '1.0.0', '{src.orders,src.customers}');
});
my $connstr_host = $node->host;
my $port = $node->port;
$node->safe_psql('cons', qq{
CREATE EXTENSION postgres_fdw;
CREATE EXTENSION dataproduct;
CREATE SERVER prod FOREIGN DATA WRAPPER postgres_fdw
    OPTIONS (host '$connstr_host', port '$port', dbname 'prod');
CREATE USER MAPPING FOR CURRENT_USER SERVER prod;
});

# Catalog and schemas agree: every live major has its schema, holding
# exactly the views of its latest release with the columns that release
# promises, and no schema of a product's name pattern lacks its entry.
my $live_without_schema = q{
SELECT string_agg(m.schema_name, ',' ORDER BY m.schema_name)
  FROM dataproduct.major_version m
 WHERE m.status <> 'retired'
   AND NOT EXISTS (SELECT FROM pg_namespace n WHERE n.nspname = m.schema_name)};
my $views_unlike_contract = q{
WITH latest AS (
    SELECT DISTINCT ON (r.product, r.major) r.release_id, m.schema_name
      FROM dataproduct.release r
      JOIN dataproduct.major_version m USING (product, major)
     WHERE m.status <> 'retired'
     ORDER BY r.product, r.major, r.minor DESC, r.patch DESC),
promised AS (
    SELECT l.schema_name, c.output, c.position, c.name
      FROM latest l JOIN dataproduct.release_column c USING (release_id)),
present AS (
    SELECT n.nspname AS schema_name, cl.relname AS output, a.attnum AS position, a.attname AS name
      FROM pg_class cl
      JOIN pg_namespace n ON n.oid = cl.relnamespace
      JOIN pg_attribute a ON a.attrelid = cl.oid AND a.attnum > 0 AND NOT a.attisdropped
     WHERE n.nspname IN (SELECT schema_name FROM latest))
SELECT string_agg(format('%s.%s.%s', schema_name, output, name), ',' ORDER BY 1)
  FROM ((TABLE promised EXCEPT TABLE present) UNION (TABLE present EXCEPT TABLE promised)) d};
my $schema_without_entry = q{
SELECT string_agg(n.nspname, ',' ORDER BY n.nspname)
  FROM pg_namespace n
 WHERE EXISTS (SELECT FROM dataproduct.product p
                WHERE n.nspname ~ ('^' || p.name || '_v[0-9]+$'))
   AND NOT EXISTS (SELECT FROM dataproduct.major_version m
                    WHERE m.schema_name = n.nspname)};
my $release_without_contract = q{
SELECT string_agg(format('%s %s.%s.%s', r.product, r.major, r.minor, r.patch), ',')
  FROM dataproduct.release r
 WHERE NOT EXISTS (SELECT FROM dataproduct.release_output o WHERE o.release_id = r.release_id)
    OR EXISTS (SELECT FROM dataproduct.release_output o
                WHERE o.release_id = r.release_id
                  AND NOT EXISTS (SELECT FROM dataproduct.release_column c
                                   WHERE c.release_id = o.release_id AND c.output = o.name))};
my $access_without_privilege = q{
SELECT string_agg(format('%s %s %s', a.product, a.major, a.grantee), ',')
  FROM dataproduct.access a
  JOIN dataproduct.major_version m USING (product, major)
 WHERE NOT has_schema_privilege(a.grantee, m.schema_name, 'USAGE')};
# the consumer: every subscription has its schema and one foreign table
# per output, and the producer knows it
my $subscription_incomplete = q{
SELECT string_agg(s.local_schema, ',')
  FROM dataproduct.subscription s
 WHERE NOT EXISTS (SELECT FROM pg_namespace n WHERE n.nspname = s.local_schema)
    OR (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = s.local_schema AND c.relkind = 'f') <> cardinality(s.outputs)};

sub consistent
{
	my ($when) = @_;
	is($node->safe_psql('prod', $live_without_schema), '',
		"$when: every live major has its schema");
	is($node->safe_psql('prod', $views_unlike_contract), '',
		"$when: the views of every live major are those its latest release promises");
	is($node->safe_psql('prod', $schema_without_entry), '',
		"$when: no version schema without its catalog entry");
	is($node->safe_psql('prod', $release_without_contract), '',
		"$when: every release has its outputs and columns");
	is($node->safe_psql('prod', $access_without_privilege), '',
		"$when: every recorded grant is a privilege");
	is($node->safe_psql('cons', $subscription_incomplete), '',
		"$when: every subscription has its schema and foreign tables");

	# the guard refuses to drop any live version's view (in a transaction
	# rolled back, so a guard that let it pass breaks nothing later)
	my @views = split /\n/, $node->safe_psql('prod', q{
SELECT DISTINCT ON (m.schema_name) format('%I.%I', m.schema_name, o.name)
  FROM dataproduct.major_version m
  JOIN dataproduct.release r USING (product, major)
  JOIN dataproduct.release_output o USING (release_id)
 WHERE m.status <> 'retired'
 ORDER BY m.schema_name, r.minor DESC, r.patch DESC, o.name});
	foreach my $view (@views)
	{
		my ($ret, $out, $err) =
		  $node->psql('prod', "BEGIN; DROP VIEW $view; ROLLBACK;",
			on_error_stop => 1);
		like($err, qr/ERROR:  cannot drop view \Q$view\E/,
			"$when: the guard refuses DROP VIEW $view");
	}
	return;
}

# How many releases, grants and subscriptions there are, to tell what a
# kill kept.
sub counts
{
	return $node->safe_psql('prod', q{
SELECT (SELECT count(*) FROM dataproduct.release) || ' '
    || (SELECT count(*) FROM dataproduct.access)}) . ' '
	  . $node->safe_psql('cons', 'SELECT count(*) FROM dataproduct.subscription');
}

sub crash_and_restart
{
	my (@sessions) = @_;
	$node->stop('immediate');
	eval { $_->quit } foreach @sessions;
	$node->start;
	return;
}

consistent('before any crash');

# Each round changes the source compatibly (a minor release) or, every
# third round, breakingly (a new major, from a view), then runs one kind of
# interrupted operation.  A fixed seed keeps the mid-statement delays
# reproducible.
srand(8);
my $major = 1;
my $minor = 0;
my @added;    # columns added to src.orders since the current major

# A compatible change to the current major's sources: a new column in
# src.orders, shown by the major's view from major 2 on.
sub add_column
{
	my ($column) = @_;
	$node->safe_psql('prod', "ALTER TABLE src.orders ADD COLUMN $column int");
	push @added, $column;
	$node->safe_psql('prod', "CREATE OR REPLACE VIEW src.orders_m$major AS "
		  . "SELECT id::bigint AS id, customer AS buyer"
		  . join('', map { ", $_" } @added)
		  . " FROM src.orders")
	  if $major > 1;
	$minor++;
	return;
}

sub publish_call
{
	my $outputs = $major == 1 ? '{src.orders,src.customers}' : "{src.orders_m$major}";
	return "SELECT dataproduct.publish('orders', '$major.$minor.0', '$outputs');";
}

sub published
{
	return $node->safe_psql('prod', qq{
SELECT count(*) FROM dataproduct.versions WHERE product = 'orders' AND version = '$major.$minor.0'});
}

for my $round (1 .. $rounds)
{
	if ($round % 3 == 0)
	{
		$major++;
		$minor = 0;
		@added = ();
		$node->safe_psql('prod', qq{
CREATE VIEW src.orders_m$major AS SELECT id::bigint AS id, customer AS buyer FROM src.orders;});
	}
	else
	{
		add_column("c$round");
	}
	my $publish = publish_call();
	my $before = counts();
	my $kind = $round % 4;

	if ($kind == 1)
	{
		# publish and grant in one transaction, killed before COMMIT
		my $s = $node->background_psql('prod');
		$s->query_safe('BEGIN');
		$s->query_safe($publish);
		$s->query_safe("SELECT dataproduct.grant_access('orders', $major, 'reader')");
		crash_and_restart($s);
		is(counts(), $before, "round $round: an uncommitted publish and grant leave nothing");
		consistent("round $round, killed before COMMIT");
		# do it for real, so the next rounds build on it
		$node->safe_psql('prod', $publish);
	}
	elsif ($kind == 2)
	{
		# publish and grant committed, killed right after
		my $s = $node->background_psql('prod');
		$s->query_safe('BEGIN');
		$s->query_safe($publish);
		$s->query_safe("SELECT dataproduct.grant_access('orders', $major, 'reader')");
		$s->query_safe('COMMIT');
		crash_and_restart($s);
		is(published(), '1', "round $round: a committed publish survives");
		consistent("round $round, killed after COMMIT");
	}
	elsif ($kind == 3)
	{
		# killed in the middle of a publish statement, while another
		# session waits for the major's lock with a grant
		my $s = $node->background_psql('prod');
		my $g = $node->background_psql('prod');
		$s->query_until(qr/go/, "\\echo go\n$publish\n");
		$g->query_until(qr/go/,
			"\\echo go\nSELECT dataproduct.grant_access('orders', $major, 'reader');\n");
		usleep(int(rand(150_000)));
		crash_and_restart($s, $g);
		note("round $round: the interrupted publish was "
			  . (published() eq '1' ? 'committed' : 'rolled back'));
		consistent("round $round, killed during a publish");
		$node->safe_psql('prod', $publish) unless published() eq '1';
	}
	else
	{
		# subscribe and refresh on the consumer: one left open, one
		# committed, one killed mid-statement
		$node->safe_psql('prod', $publish);
		my $subscribed = $node->safe_psql('cons', qq{
SELECT count(*) FROM dataproduct.subscription WHERE product = 'orders' AND major = $major});
		my $call = $subscribed
		  ? "SELECT dataproduct.refresh('prod', 'orders', $major);"
		  : "SELECT dataproduct.subscribe('prod', 'orders', $major);";
		my $s = $node->background_psql('cons');
		$s->query_safe('BEGIN');
		$s->query_safe($call);
		crash_and_restart($s);
		consistent("round $round, consumer killed before COMMIT");
		$node->safe_psql('cons', $call);
		is($node->safe_psql('cons', qq{
SELECT version FROM dataproduct.subscription WHERE product = 'orders' AND major = $major}),
			"$major.$minor.0", "round $round: subscribed after the crash");
		add_column("n$round");
		$node->safe_psql('prod', publish_call());
		$s = $node->background_psql('cons');
		$s->query_until(qr/go/, "\\echo go\nSELECT dataproduct.refresh('prod', 'orders', $major);\n");
		usleep(int(rand(150_000)));
		crash_and_restart($s);
		consistent("round $round, consumer killed during refresh");
	}
}

# after all that, work goes on
$node->safe_psql('prod', 'ALTER TABLE src.orders ADD COLUMN last int');
like($node->safe_psql('prod', q{
SELECT dataproduct.next_version('orders', '{src.orders,src.customers}')}),
	qr/^[0-9]+\.[0-9]+\.[0-9]+$/, 'next_version answers after the crashes');

$node->stop;
done_testing();
