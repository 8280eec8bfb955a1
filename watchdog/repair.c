/* The repair of what a dead tracer left in its tracees: see
 * include/watchdog_table.h.  Pure: unit-tested in tests/unit/test-watchdog.c. */
#include "watchdog_table.h"

int watchdog_repair(const struct watchdog_table *wt, const struct watchdog_mem *mem)
{
	int fixed = 0;
	const uint32_t off = 0;

	/* The agents first: they stop waiting for a tracer that is gone. */
	for (int p = 0; p < WD_MAX_PROCS; p++)
		for (int i = 0; wt->proc_pid[p] && i < wt->procs[p].nagents; i++)
			fixed += mem->write(mem->ctx, wt->proc_pid[p], wt->procs[p].agents[i], &off,
					    sizeof(off)) == 0;
	/* Return addresses then: threads run meanwhile, and a return lands
	 * on the trampoline sooner than a new call on a breakpoint. */
	for (int i = 0; i < WD_MAX_THREADS; i++) {
		const struct wd_thread *w = &wt->threads[i];

		for (int k = 0; w->tid && k < w->n; k++) {
			uint64_t now;

			/* Only where the slot still holds the trampoline: the
			 * stack has moved on otherwise. */
			if (mem->read(mem->ctx, w->pid, w->r[k].sp, &now, 8) == 0 && now == w->tramp &&
			    mem->write(mem->ctx, w->pid, w->r[k].sp, &w->r[k].ret, 8) == 0)
				fixed++;
		}
	}
	for (int p = 0; p < WD_MAX_PROCS; p++) {
		const struct wd_proc *wp = &wt->procs[p];
		pid_t pid = wt->proc_pid[p];

		for (int i = 0; pid && i < wp->nbps; i++) {
			uint8_t now;

			if (mem->read(mem->ctx, pid, wp->bps[i].addr, &now, 1) == 0 && now == 0xcc &&
			    mem->write(mem->ctx, pid, wp->bps[i].addr, &wp->bps[i].orig, 1) == 0)
				fixed++;
		}
	}
	return fixed;
}
