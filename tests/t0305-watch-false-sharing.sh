#!/bin/bash
# Two threads writing neighbouring words of one cache line (rank 1 word 0,
# rank 2 word 1).  The watch sampler sees each write where it happened:
# every sample on the line is a write by the thread that owns that word,
# and line_writers names the line with the threads seen writing it.  (The
# watch sampler picks one word in four by object, so a 64-byte object is
# watched often enough; two writers are not always both caught in a short
# run, so that count is printed, not asserted.)
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/access-lib.sh"
sampler_available watch

db=$TMPD/fs.db
access_profile "$db" watch access-false-sharing 4
assert_eq "program output" "ok" "$(cat "$TMPD/out")"

line="SELECT s.address - o.address AS off, t.rank, s.access FROM samples s
      JOIN objects o ON o.id = s.object_id JOIN threads t ON t.tid = s.tid
      WHERE o.kind = 'heap' AND o.size = 64"
total=$(sql "$db" "SELECT count(*) FROM ($line)")
((total > 0)) || fail "no sample on the shared line in 4 s"
wrong=$(sql "$db" "SELECT count(*) FROM ($line) WHERE off / 8 != rank - 1 OR access != 'W'")
assert_eq "samples on the line that are not the owner's write" 0 "$wrong"
writers=$(sql "$db" "SELECT max(writers) FROM line_writers l JOIN objects o ON o.id = l.object_id
		     WHERE o.size = 64")
echo "line samples: $total, writers seen on the line: $writers"
((writers >= 1 && writers <= 2)) || fail "line_writers says $writers writers"
