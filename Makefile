# Makefile for the dataproduct extension (PGXS)

EXTENSION = dataproduct
EXTVERSION = $(shell sed -n "s/^default_version = '\(.*\)'/\1/p" $(EXTENSION).control)

MODULE_big = dataproduct
OBJS = \
	src/access.o \
	src/attach.o \
	src/audit.o \
	src/catalog.o \
	src/compat.o \
	src/contract.o \
	src/dataproduct.o \
	src/domain.o \
	src/guard.o \
	src/guard_cache.o \
	src/guard_deps.o \
	src/impact.o \
	src/lifecycle.o \
	src/odcs.o \
	src/publish.o \
	src/quality.o \
	src/registry.o \
	src/remote.o \
	src/semver.o \
	src/subscribe.o \
	src/usage.o
PGFILEDESC = "dataproduct - semantically versioned data products"

DATA = $(EXTENSION)--0.1.0.sql $(EXTENSION)--0.1.0--0.2.0.sql $(EXTENSION)--0.2.0--0.3.0.sql $(EXTENSION)--0.3.0--0.4.0.sql $(EXTENSION)--0.4.0--0.5.0.sql

REGRESS = setup domain semver publish compat plans security guard guard_deep access sharing upgrade hostile lifecycle impact audit odcs contract_first quality teardown

ISOLATION = concurrent_publish guard_sessions guard_snapshots access_registry lifecycle
ISOLATION_OPTS = --inputdir=test

TAP_TESTS = 1
PROVE_TESTS = $(wildcard test/t/*.pl)

# every warning, as an error, but the one PostgreSQL's own headers trigger
# (-Wunused-parameter, in lib/ilist.h and storage/bufpage.h)
PG_CFLAGS = -Wall -Wextra -Wno-unused-parameter -Werror

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# every module includes the shared header
$(OBJS): src/dataproduct.h
src/guard.o src/guard_cache.o src/guard_deps.o: src/guard.h
