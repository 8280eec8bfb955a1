/* The cpus and nodes a process may use: see include/allowed.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "allowed.h"
#include "error.h"

/* The value of "key:\t..." at the start of a line of status, trimmed;
 * NULL when no line has it. */
static char *status_field(const char *status, const char *key)
{
	size_t klen = strlen(key);

	for (const char *line = status; line && *line; line = strchr(line, '\n'), line += !!line) {
		const char *v, *end;

		if (strncmp(line, key, klen) || line[klen] != ':')
			continue;
		v = line + klen + 1;
		v += strspn(v, " \t");
		end = v + strcspn(v, "\n");
		while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
			end--;
		return xasprintf("%.*s", (int)(end - v), v);
	}
	return NULL;
}

void allowed_parse_status(const char *status, struct allowed *a)
{
	a->cpus = status_field(status, "Cpus_allowed_list");
	a->mems = status_field(status, "Mems_allowed_list");
}

int allowed_read(pid_t pid, struct allowed *a)
{
	char path[64], *buf = NULL;
	size_t cap = 0;
	FILE *f;

	a->cpus = a->mems = NULL;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	/* The whole file: its masks grow with the machine's cpus. */
	if (getdelim(&buf, &cap, 0, f) > 0)
		allowed_parse_status(buf, a);
	free(buf);
	fclose(f);
	return a->cpus || a->mems ? 0 : -1;
}

void allowed_free(struct allowed *a)
{
	free(a->cpus);
	free(a->mems);
	a->cpus = a->mems = NULL;
}
