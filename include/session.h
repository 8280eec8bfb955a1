/* What profile and run share: the database, the object tracker, the
 * sampler and the tracer, wired together, and the orderly end (the
 * database is complete and closed before numamma mirrors the program's
 * exit status). */
#ifndef NUMAMMA_SESSION_H
#define NUMAMMA_SESSION_H

#include <stdbool.h>

#include "launcher.h"
#include "model.h"
#include "outfile.h"
#include "sampler.h"
#include "tracer.h"

struct statusline;

struct session {
	const char *cmd;            /* "profile", "run": for messages */
	const char *output;         /* database path, NULL for none */
	char *output_name;          /* output, per rank: owned */
	const char *inputs[2];      /* files read (run's policy): never written */
	struct launcher_env launcher;
	bool no_raw, quiet, follow;
	bool letting_go;            /* the profile failed: the program is let go */
	int call_depth;
	enum intercept_mode intercept;
	uint64_t min_object_size;   /* smaller heap/mmap blocks: counted, and a row
	                             * only once a sample hits them */
	double duration;
	struct sampler_opts sopts;  /* name, period, ldlat */
	struct nm_topology topo;
	struct nm_db *db;
	/* The profile made while the launched program execs, db once its
	 * exec's stop comes; early_failed: making it failed (said). */
	struct nm_db *early_db;
	bool early_failed;
	struct outfile_keep kept;   /* the previous profile, kept undoably for it */
	struct objtrack *objs;
	struct recorder *rec;
	struct sampler *sampler;
	const uint64_t *sample_due;      /* sampler_due_ns() */
	struct tracer *tr;
	const char *sampler_name, *sampler_reason;
	uint64_t start_ns, last_flush_ns, last_maps_ns;
	struct statusline *status; /* the live line on the terminal, or NULL */
	char **argv;                /* the program, or NULL when attaching */
	pid_t attach_pid;
	/* run -o: the profile gets the placement table. */
	bool placement_table;
	/* Run mode's placer: every event, after the session's consumers,
	 * and the objects the recorder makes and releases (EV_OBJECT,
	 * EV_RELEASE). */
	void *ext;
	void (*ext_event)(void *ext, const struct nm_event *ev);
	struct sample_sink sample_sink;  /* the sampler's output -> the recorder */
};

/* --intercept's default, and its help (profile's and run's). */
#define INTERCEPT_DEFAULT INTERCEPT_AUTO
#define INTERCEPT_DEFAULT_NAME "auto"
#define INTERCEPT_USAGE \
"      --intercept MODE   how allocator calls are caught: agent (a recorder\n" \
"                         injected into the program), trap (a breakpoint per\n" \
"                         call, slow) or auto (agent, else trap where it\n" \
"                         cannot be injected or under a ulimit -v; default\n" \
"                         " INTERCEPT_DEFAULT_NAME ")\n"
/* profile's --min-object-size default. */
#define MIN_OBJECT_SIZE_DEFAULT (1 << 20)
#define MIN_OBJECT_SIZE_DEFAULT_NAME "1048576, 1 MiB"

void session_init(struct session *s, const char *cmd);
/* Launches argv (attach_pid == 0) or attaches, traces to the end, closes
 * the database.  Returns the program's wait status. */
int session_run(struct session *s, char **argv, pid_t attach_pid);

#endif
