/* The one event type.  Producers: the tracer's ptrace loop (processes,
 * threads, exec), the interception layer (modules hooked, allocator
 * calls from the trap path and from the agent's rings).  They hand each
 * event to the tracer's one callback (tracer_config.on_event); the
 * session passes it on to its consumers: the recorder, the only one that
 * writes rows (src/record/recorder.c), the sampler, and run mode's
 * placer (src/place/apply.c), which also hears of the objects the
 * recorder makes and releases (EV_OBJECT, EV_RELEASE). */
#ifndef NUMAMMA_TRACE_EVENT_H
#define NUMAMMA_TRACE_EVENT_H

#include <stdint.h>
#include <sys/types.h>

#include "alloc_event.h"
#include "model.h"

struct tcb;

enum nm_event_kind {
	EV_ALLOC,               /* an allocator call: alloc */
	EV_PROCESS_START,       /* a traced process to record: ppid, exe (NULL at fork) */
	EV_FORK,                /* pid, a copy of ppid's address space, objects and all */
	EV_REGION,              /* object: memory nobody allocated (a thread's stack,
				 * whose thread's sp is sp; a static; a mapping) */
	EV_STATICS,             /* statics: a module's, loaded at bias in pid */
	EV_EXEC,                /* pid exec'd: its objects are gone; exe */
	EV_PROCESS_END,         /* exit_status (-1: none), term_signal (0: none) */
	EV_THREAD_START,        /* tid, rank: its first stop */
	EV_THREAD_END,
	EV_MODULE,              /* a module mapped and hooked: module */
	EV_MODULES_HOOKED,      /* the modules loaded so far are hooked (exec, dlopen) */
	EV_AGENT_REGION,        /* numamma's agent is mapped in pid over object's
				 * range: not the program's memory */
	EV_MODULES_KNOWN,       /* the statics of every module pid had mapped at
				 * known_ns are recorded */
	EV_EXIT_CALL,           /* the program called exit(): its memory is all there */
	EV_SAMPLE,              /* the sampler attributed sample */
	EV_SAMPLER_COUNT,       /* the sampler's count_name of tid is count */
	EV_OBJECT,              /* the recorder made object (with its frames) */
	EV_PLACE_STOP,          /* t stopped after its call that made the block at
				 * addr (config.place_blocks), its records read;
				 * object: its kind, frames: its stack (if known) */
	EV_RELEASE,             /* the recorder ended object_id */
	EV_TLS,                 /* object: tid's copy of a module's thread-local
				 * storage (kind tls), one event per module;
				 * statics: its variables, by their offset in it */
	EV_PAGES_CHECKED,       /* check: where the pages of the block at addr
				 * that the agent placed were at its free, which
				 * follows */
};

/* A block's whole pages at its free, counted by the agent (a placed
 * block it placed), as verify.c counts them from outside. */
#define NM_CHECK_NODES 64
struct nm_page_check {
	uint64_t pages, present, on_intended;
	uint64_t per_node[NM_CHECK_NODES];
};

struct nm_module_event {
	const char *identity;   /* "buildid:..." or the path */
	const char *path;
	uint64_t start, end, bias;
};

struct nm_event {
	enum nm_event_kind kind;
	/* The thread stopped for it; NULL for calls the agent recorded in the
	 * program. */
	struct tcb *t;
	pid_t pid, ppid, tid;
	int rank;
	uint64_t ns, sp;
	const char *exe;
	int exit_status, term_signal;
	const struct alloc_event *alloc;
	const struct nm_module_event *module;
	const struct nm_object *object;
	const struct nm_static_table *statics;
	uint64_t bias;
	uint64_t since_ns;      /* EV_STATICS: their module was mapped after it */
	uint64_t known_ns;      /* EV_MODULES_KNOWN */
	const struct nm_sample *sample;
	const char *count_name;
	uint64_t count;
	const struct nm_frame *frames;
	int nframes;
	int64_t object_id;
	uint64_t addr;          /* EV_PLACE_STOP, EV_PAGES_CHECKED */
	int placed;             /* EV_OBJECT: alloc_event's */
	const struct nm_page_check *check;
};

#endif
