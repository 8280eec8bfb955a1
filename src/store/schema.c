/* The profile's schema, as SQL.  Column meanings and units: doc/schema.md.
 * Times are CLOCK_MONOTONIC nanoseconds; addresses and sizes bytes; NULL
 * means unknown.
 *
 * The build runs it once (tools/schema-image.c) into the empty profile
 * that db_create() copies (schema_image.S): run at each profile's
 * creation, SQLite's 30 statements kept the program waiting 1.2 ms at its
 * exec. */
#include "db_int.h"

const char db_schema_sql[] =
	"CREATE TABLE runs(id INTEGER PRIMARY KEY, command TEXT, mode TEXT, host TEXT,"
	"  kernel TEXT, start_ns INTEGER, end_ns INTEGER, start_epoch INTEGER,"
	"  exit_status INTEGER, term_signal INTEGER, sampler TEXT, sampler_reason TEXT,"
	"  call_depth INTEGER, nr_nodes INTEGER, nr_cpus INTEGER, cpu_nodes TEXT,"
	"  distances TEXT, launcher_rank INTEGER, launcher_size INTEGER, job_id TEXT,"
	"  intercept TEXT, cpus_allowed TEXT, mems_allowed TEXT, calls_lost INTEGER,"
	"  samples_dropped INTEGER);"
	"CREATE TABLE nodes(node INTEGER PRIMARY KEY, cpus TEXT);"
	"CREATE TABLE node_distance(from_node INTEGER, to_node INTEGER, distance INTEGER,"
	"  PRIMARY KEY(from_node, to_node));"
	"CREATE TABLE processes(pid INTEGER, ppid INTEGER, exe TEXT, start_ns INTEGER,"
	"  end_ns INTEGER, exit_status INTEGER, term_signal INTEGER);"
	"CREATE INDEX processes_pid ON processes(pid);"
	"CREATE TABLE threads(pid INTEGER, tid INTEGER, rank INTEGER, start_ns INTEGER,"
	"  end_ns INTEGER, allocations INTEGER, frees INTEGER, bytes INTEGER);"
	"CREATE INDEX threads_tid ON threads(tid);"
	"CREATE TABLE modules(pid INTEGER, module TEXT, path TEXT, start INTEGER,"
	"  end INTEGER, bias INTEGER);"
	"CREATE INDEX modules_module ON modules(module);"
	"CREATE TABLE callsites(id INTEGER PRIMARY KEY, hash INTEGER, frames TEXT);"
	"CREATE TABLE locations(id INTEGER PRIMARY KEY, module TEXT, offset INTEGER,"
	"  function TEXT, func_offset INTEGER, file TEXT, line INTEGER, call_file TEXT,"
	"  call_line INTEGER);"
	"CREATE VIEW callsite_frames AS SELECT c.id AS callsite_id, j.key AS depth,"
	"  j.value AS location_id FROM callsites c, json_each(c.frames) j;"
	"CREATE VIEW frames AS SELECT f.callsite_id, f.depth, l.module, l.offset, l.function,"
	"  l.func_offset, l.file, l.line, l.call_file, l.call_line"
	"  FROM callsite_frames f JOIN locations l ON l.id = f.location_id;"
	"CREATE TABLE objects(id INTEGER PRIMARY KEY, pid INTEGER, tid INTEGER, kind TEXT,"
	"  address INTEGER, size INTEGER, alloc_ns INTEGER, free_ns INTEGER,"
	"  callsite_id INTEGER, name TEXT);"
	"CREATE TABLE samples(time_ns INTEGER, pid INTEGER, tid INTEGER, cpu INTEGER,"
	"  node INTEGER, address INTEGER, ip INTEGER, access TEXT, weight INTEGER,"
	"  level TEXT, hops INTEGER, snoop_hitm INTEGER, tlb_miss INTEGER,"
	"  object_id INTEGER, page_node INTEGER, phys_addr INTEGER, resolution TEXT,"
	"  forward_steps INTEGER);"
	"CREATE TABLE sampler_stats(tid INTEGER, name TEXT, value INTEGER);"
	"CREATE TABLE callsite_totals(callsite_id INTEGER, pid INTEGER, allocations INTEGER,"
	"  frees INTEGER, bytes INTEGER, peak_live_bytes INTEGER, max_bytes INTEGER,"
	"  live_bytes INTEGER);"
	"CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT);"
	DB_AGGREGATE_SCHEMA;
