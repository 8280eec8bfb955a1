/* The text form of a placement policy (doc/policy.md): one directive per
 * line, '#' comments, modules and symbols %-escaped so that a token never
 * holds whitespace. */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "placement.h"

/* Version 2 added the cyclic action, version 3 launcher-rank sections
 * and the cyclic action's start (`from`), version 4 pin-child and the
 * tiles action.  A file is written with the
 * lowest version that holds its rules, so that older readers take every
 * file that does not use what they lack; every version up to ours is
 * read. */
#define POLICY_VERSION 4
#define POLICY_CYCLIC_VERSION 2
#define POLICY_RANKS_VERSION 3
#define POLICY_CYCLIC_FROM_VERSION 3
#define POLICY_CHILD_PIN_VERSION 4
#define POLICY_TILES_VERSION 4

struct parser {
	const char *name;
	int line;
	int version;             /* the file's header */
	int launcher_rank;       /* the section being read, -1 common */
	struct policy *pol;
};

/* The policy's own bytes, quoted in a message, must not drive the
 * terminal: control bytes are shown as \xNN. */
static void escape_controls(const char *in, char *out, size_t len)
{
	size_t o = 0;

	for (; *in && o + 5 < len; in++) {
		unsigned char c = (unsigned char)*in;

		if (c < 0x20 || c == 0x7f)
			o += snprintf(out + o, len - o, "\\x%02x", c);
		else
			out[o++] = (char)c;
	}
	out[o] = '\0';
}

static int NM_PRINTF(2, 3) parse_error(const struct parser *p, const char *fmt, ...)
{
	char buf[512], shown[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	escape_controls(buf, shown, sizeof(shown));
	return error("policy '%s' line %d: %s", p->name, p->line, shown);
}

/* ---- escaping ---- */

static int needs_escape(unsigned char c)
{
	return c <= ' ' || c == '%' || c == '#' || c >= 0x7f;
}

static void write_escaped(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (needs_escape(*s))
			fprintf(f, "%%%02X", (unsigned char)*s);
		else
			fputc(*s, f);
	}
}

static int hex_digit(int c)
{
	return isdigit(c) ? c - '0' : isxdigit(c) ? tolower(c) - 'a' + 10 : -1;
}

/* Decodes %XX in place; -1 on a malformed escape. */
static int unescape(char *s)
{
	char *out = s;

	for (; *s; s++) {
		if (*s == '%') {
			int hi = hex_digit(s[1]), lo = hi < 0 ? -1 : hex_digit(s[2]);

			if (lo < 0 || (hi == 0 && lo == 0))
				return -1;
			*out++ = (char)(hi << 4 | lo);
			s += 2;
		} else {
			*out++ = *s;
		}
	}
	*out = 0;
	return 0;
}

/* ---- writing ---- */

static void write_percent(FILE *f, uint32_t ppm)
{
	char frac[8];
	int len;

	fprintf(f, "%u", ppm / 10000);
	len = snprintf(frac, sizeof(frac), "%04u", ppm % 10000);
	while (len > 0 && frac[len - 1] == '0')
		frac[--len] = 0;
	if (len)
		fprintf(f, ".%s", frac);
}

static void write_nodelist(FILE *f, uint64_t mask)
{
	char buf[NODELIST_TEXT];

	policy_nodelist_text(mask, buf, sizeof(buf));
	fputs(buf, f);
}

static void write_node_or_leave(FILE *f, int node)
{
	if (node < 0)
		fputc('-', f);
	else
		fprintf(f, "%d", node);
}

static void write_range(FILE *f, const struct policy_segment *s)
{
	fputc(':', f);
	write_percent(f, s->start);
	fputc('-', f);
	write_percent(f, s->end);
	fputc('%', f);
}

/* tiles BYTES NODE,NODE...:START-END% ... */
static void write_tiles(FILE *f, const struct policy_rule *r)
{
	fprintf(f, " %" PRIu64, r->chunk);
	for (int i = 0; i < r->nseg; i++) {
		for (int k = 0; k < r->seg[i].count; k++) {
			fputc(k ? ',' : ' ', f);
			write_node_or_leave(f, r->each[r->seg[i].first + k]);
		}
		write_range(f, &r->seg[i]);
	}
}

static void write_action(FILE *f, const struct policy_rule *r)
{
	fputs(policy_action_name(r->action), f);
	switch (r->action) {
	case ACT_BIND:
	case ACT_INTERLEAVE:
		fputc(' ', f);
		write_nodelist(f, r->nodemask);
		break;
	case ACT_BLOCK:
	case ACT_PAGEMAP:
		for (int i = 0; i < r->nseg; i++) {
			fprintf(f, " %d", r->seg[i].node);
			write_range(f, &r->seg[i]);
		}
		break;
	case ACT_TILES:
		write_tiles(f, r);
		break;
	case ACT_CYCLIC:
		fprintf(f, " %" PRIu64, r->chunk);
		if (r->chunk_from)
			fprintf(f, " from %" PRIu64, r->chunk_from);
		/* then the node of each chunk, as each's */
		__attribute__((fallthrough));
	case ACT_EACH:
		for (int i = 0; i < r->neach; i++) {
			fputc(' ', f);
			write_node_or_leave(f, r->each[i]);
		}
		break;
	case ACT_LEAVE:
		break;
	}
}

static void write_site(FILE *f, const struct policy_rule *r)
{
	switch (r->site) {
	case SITE_DEFAULT:
		fputs("default", f);
		break;
	case SITE_STATIC:
		fprintf(f, "%s symbol ", obj_kind_name(r->kind));
		write_escaped(f, r->module);
		fputc(' ', f);
		write_escaped(f, r->symbol);
		break;
	case SITE_CALLSITE:
		fprintf(f, "%s callsite", obj_kind_name(r->kind));
		for (int i = 0; i < r->nframes; i++) {
			fputs(i ? " <- " : " ", f);
			write_escaped(f, r->frames[i].module);
			fprintf(f, "+0x%" PRIx64, r->frames[i].offset);
		}
		break;
	}
}

void policy_rule_format(struct policy_rule *rule)
{
	size_t len;
	FILE *f;

	free(rule->text);
	f = open_memstream(&rule->text, &len);
	write_site(f, rule);
	fputc(' ', f);
	write_action(f, rule);
	fclose(f);
}

static void write_comment(FILE *f, const char *text)
{
	while (*text) {
		size_t n = strcspn(text, "\n");

		fprintf(f, "# %.*s\n", (int)n, text);
		text += n + (text[n] == '\n');
	}
}

static int lowest_version(const struct policy *pol)
{
	int version = 1;

	for (int i = 0; i < pol->npins; i++)
		if (pol->pins[i].child)
			return POLICY_CHILD_PIN_VERSION;
	for (int i = 0; i < pol->nrules; i++)
		if (pol->rules[i].action == ACT_TILES)
			return POLICY_TILES_VERSION;
	if (pol->ranked)
		return POLICY_RANKS_VERSION;
	for (int i = 0; i < pol->nrules; i++)
		if (pol->rules[i].action == ACT_CYCLIC && pol->rules[i].chunk_from)
			return POLICY_CYCLIC_FROM_VERSION;
		else if (pol->rules[i].action == ACT_CYCLIC)
			version = POLICY_CYCLIC_VERSION;
	return version;
}

static void write_pin(FILE *f, const struct policy_pin *p)
{
	if (p->child)
		fprintf(f, "pin-child %d ", p->child);
	else
		fprintf(f, "pin %d ", p->rank);
	if (p->cpu >= 0)
		fprintf(f, "%d\n", p->cpu);
	else
		fprintf(f, "node %d\n", p->node);
}

/* The pins and rules of one launcher rank (-1: every process's). */
static void write_section(FILE *f, const struct policy *pol, int rank)
{
	int npins = 0, nchildren = 0;

	for (int i = 0; i < pol->npins; i++) {
		npins += pol->pins[i].launcher_rank == rank && !pol->pins[i].child;
		nchildren += pol->pins[i].launcher_rank == rank && pol->pins[i].child;
	}
	if (npins)
		fputs("\n# thread pinning: pin RANK CPU, or pin RANK node NODE\n", f);
	for (int child = 0; child < 2; child++) {
		if (child && nchildren)
			fputs("\n# forked worker processes, by fork order: pin-child K CPU, or "
			      "pin-child K node NODE\n", f);
		for (int i = 0; i < pol->npins; i++)
			if (pol->pins[i].launcher_rank == rank && !pol->pins[i].child == !child)
				write_pin(f, &pol->pins[i]);
	}
	for (int i = 0; i < pol->nrules; i++) {
		if (pol->rules[i].launcher_rank != rank)
			continue;
		fputc('\n', f);
		if (pol->rules[i].comment)
			write_comment(f, pol->rules[i].comment);
		fprintf(f, "%s\n", pol->rules[i].text);
	}
}

/* The launcher rank after `after` with rules or pins, -1 when none. */
static int next_rank(const struct policy *pol, int after)
{
	int next = -1;

	for (int i = 0; i < pol->nrules; i++)
		if (pol->rules[i].launcher_rank > after &&
		    (next < 0 || pol->rules[i].launcher_rank < next))
			next = pol->rules[i].launcher_rank;
	for (int i = 0; i < pol->npins; i++)
		if (pol->pins[i].launcher_rank > after &&
		    (next < 0 || pol->pins[i].launcher_rank < next))
			next = pol->pins[i].launcher_rank;
	return next;
}

void policy_write(FILE *f, const struct policy *pol)
{
	fprintf(f, "numamma-policy %d\n", lowest_version(pol));
	for (int i = 0; i < pol->nbinaries; i++) {
		fputs("binary ", f);
		write_escaped(f, pol->binaries[i]);
		fputc('\n', f);
	}
	write_section(f, pol, -1);
	for (int r = next_rank(pol, -1); r >= 0; r = next_rank(pol, r)) {
		fprintf(f, "\n# only for the process of launcher rank %d (its MPI rank)\nlauncher-rank %d\n",
			r, r);
		write_section(f, pol, r);
	}
}

/* ---- parsing ---- */

/* A directive newer than the file's header: the error naming the
 * version it needs, else 0. */
static int need_version(const struct parser *p, int version, const char *what)
{
	if (p->version >= version)
		return 0;
	return parse_error(p, "%s needs 'numamma-policy %d' (this file is version %d)", what, version,
			   p->version);
}

/* "12", "12.5", "33.3333": a percentage in [0, 100] as millionths. */
static int parse_percent(const char *s, const char **end, uint32_t *ppm)
{
	uint32_t whole = 0, frac = 0, scale = 10000;
	const char *start = s;

	while (isdigit((unsigned char)*s) && whole <= 100)
		whole = whole * 10 + (*s++ - '0');
	if (s == start)
		return -1;
	if (*s == '.') {
		s++;
		if (!isdigit((unsigned char)*s))
			return -1;
		for (; isdigit((unsigned char)*s); s++) {
			if (scale == 1)
				return -1;     /* finer than a millionth */
			scale /= 10;
			frac += (*s - '0') * scale;
		}
	}
	if (whole > 100 || (whole == 100 && frac))
		return -1;
	*ppm = whole * 10000 + frac;
	*end = s;
	return 0;
}

/* NODE:START-END% */
/* START-END%, after the colon. */
static int parse_range(const char *s, struct policy_segment *seg)
{
	if (parse_percent(s, &s, &seg->start) < 0 || *s != '-')
		return -1;
	if (parse_percent(s + 1, &s, &seg->end) < 0 || strcmp(s, "%"))
		return -1;
	return seg->start < seg->end ? 0 : -1;
}

/* NODE (a block's, a pagemap's) or NODE|-,NODE|-... (a tiles slice's,
 * appended to r->each) before the colon: the colon, or NULL. */
static const char *parse_slice_nodes(const char *tok, struct policy_rule *r,
				     struct policy_segment *seg)
{
	char *end;
	long node;

	if (r->action != ACT_TILES) {
		node = strtol(tok, &end, 10);
		if (end == tok || node < 0 || node >= POLICY_MAX_NODES || *end != ':')
			return NULL;
		seg->node = (int)node;
		return end;
	}
	seg->first = r->neach;
	for (;;) {
		if (*tok == '-') {
			node = -1;
			end = (char *)tok + 1;
		} else {
			node = strtol(tok, &end, 10);
			if (end == tok || node < 0 || node >= POLICY_MAX_NODES)
				return NULL;
		}
		r->each = xrealloc(r->each, (r->neach + 1) * sizeof(*r->each));
		r->each[r->neach++] = (int)node;
		seg->count++;
		if (*end == ':')
			break;
		if (*end != ',')
			return NULL;
		tok = end + 1;
	}
	seg->node = r->each[seg->first];
	return end;
}

static int parse_segments(const struct parser *p, char **tok, int ntok, struct policy_rule *r)
{
	const char *want = r->action == ACT_TILES ? "NODE,NODE...:START-END%, e.g. 1,2:0-50%"
						 : "NODE:START-END%, e.g. 1:25-50%";

	if (!ntok)
		return parse_error(p, "%s wants ranges %s", policy_action_name(r->action), want);
	r->seg = xcalloc(ntok, sizeof(*r->seg));
	for (int i = 0; i < ntok; i++) {
		const char *colon = parse_slice_nodes(tok[i], r, &r->seg[i]);

		if (!colon || parse_range(colon + 1, &r->seg[i]) < 0)
			return parse_error(p, "malformed range '%s' (want %s)", tok[i], want);
		if (i && r->seg[i].start < r->seg[i - 1].end)
			return parse_error(p, "range '%s' overlaps or precedes the one before it", tok[i]);
		r->nseg = i + 1;
	}
	return 0;
}

/* NODE or '-' (leave) for each object in allocation order, or for each
 * chunk of a cyclic rule. */
static int parse_each(const struct parser *p, char **tok, int ntok, struct policy_rule *r)
{
	if (!ntok && r->action == ACT_CYCLIC)
		return parse_error(p, "cyclic wants the chunk's node (or '-') in turn, e.g. "
				   "'cyclic 65536 1 2 3 0'");
	if (!ntok)
		return parse_error(p, "each wants one node (or '-') per object, e.g. 'each 1 2 - 0'");
	r->each = xcalloc(ntok, sizeof(*r->each));
	for (int i = 0; i < ntok; i++) {
		char *end;
		long node = strtol(tok[i], &end, 10);

		if (!strcmp(tok[i], "-"))
			node = -1;
		else if (end == tok[i] || *end || node < 0 || node >= POLICY_MAX_NODES)
			return parse_error(p, "%s: '%s' is not a node number or '-'",
					   policy_action_name(r->action), tok[i]);
		r->each[r->neach++] = (int)node;
	}
	return 0;
}

/* A byte count: digits only, no sign, no overflow. */
static int parse_bytes(const char *tok, uint64_t *v)
{
	char *end;

	errno = 0;
	*v = strtoull(tok, &end, 10);
	return end == tok || *end || errno || !isdigit((unsigned char)*tok) ? -1 : 0;
}

/* The chunk size that starts the chunked actions (cyclic, tiles, from
 * version): at least a page, or chunks share pages.  then: what follows
 * it, with an example, for the error. */
static int parse_chunk(const struct parser *p, char **tok, int ntok, struct policy_rule *r,
		       int version, const char *then)
{
	const char *action = policy_action_name(r->action);

	if (need_version(p, version, action) < 0)
		return -1;
	if (!ntok || parse_bytes(tok[0], &r->chunk) < 0 || r->chunk < PLACE_PAGE_SIZE)
		return parse_error(p, "%s wants a chunk size in bytes of at least %llu, then %s", action,
				   PLACE_PAGE_SIZE, then);
	return 0;
}

/* tiles BYTES NODES:START-END%...: a slice's chunks dealt to its nodes. */
static int parse_tiles(const struct parser *p, char **tok, int ntok, struct policy_rule *r)
{
	if (parse_chunk(p, tok, ntok, r, POLICY_TILES_VERSION,
			"ranges, e.g. 'tiles 8192 1,2:0-50% 3,0:50-100%'") < 0)
		return -1;
	return parse_segments(p, tok + 1, ntok - 1, r);
}

/* cyclic BYTES [from OFFSET] NODE|-...: chunks of at least a page, or
 * they share pages; from (version 3) where chunk 0 starts. */
static int parse_cyclic(const struct parser *p, char **tok, int ntok, struct policy_rule *r)
{
	if (parse_chunk(p, tok, ntok, r, POLICY_CYCLIC_VERSION,
			"nodes, e.g. 'cyclic 65536 1 2 3 0'") < 0)
		return -1;
	if (ntok < 2 || strcmp(tok[1], "from"))
		return parse_each(p, tok + 1, ntok - 1, r);
	if (need_version(p, POLICY_CYCLIC_FROM_VERSION, "cyclic ... from") < 0)
		return -1;
	if (ntok < 3 || parse_bytes(tok[2], &r->chunk_from) < 0)
		return parse_error(p, "cyclic's from wants where chunk 0 starts, in bytes from the "
				   "object's start, e.g. 'cyclic 65536 from 4096 1 2 3 0'");
	return parse_each(p, tok + 3, ntok - 3, r);
}

static int parse_action(const struct parser *p, char **tok, int ntok, struct policy_rule *r)
{
	static const enum policy_action actions[] = {
		ACT_LEAVE, ACT_BIND, ACT_INTERLEAVE, ACT_BLOCK, ACT_PAGEMAP, ACT_EACH, ACT_CYCLIC,
		ACT_TILES,
	};
	size_t i;

	if (!ntok)
		return parse_error(p, "missing action (bind, interleave, block, pagemap, each, cyclic, "
				   "tiles or leave)");
	for (i = 0; i < sizeof(actions) / sizeof(actions[0]); i++)
		if (!strcmp(tok[0], policy_action_name(actions[i])))
			break;
	if (i == sizeof(actions) / sizeof(actions[0]))
		return parse_error(p, "unknown action '%s' (want bind, interleave, block, pagemap, each, "
				   "cyclic, tiles or leave)",
				   tok[0]);
	r->action = actions[i];
	switch (r->action) {
	case ACT_LEAVE:
		if (ntok > 1)
			return parse_error(p, "unexpected '%s' after leave", tok[1]);
		return 0;
	case ACT_BIND:
	case ACT_INTERLEAVE:
		if (ntok == 2 && policy_parse_nodelist(tok[1], NULL, &r->nodemask) == NODELIST_TOO_BIG)
			return parse_error(p, "node %llu does not exist (numamma places on nodes 0-%d)",
					   (unsigned long long)r->nodemask, POLICY_MAX_NODES - 1);
		if (ntok != 2 || policy_parse_nodelist(tok[1], NULL, &r->nodemask) < 0)
			return parse_error(p, "%s wants a node list, e.g. %s", tok[0],
					   r->action == ACT_BIND ? "'bind 2'" : "'interleave 0-3'");
		if (r->action == ACT_BIND && (r->nodemask & (r->nodemask - 1)))
			return parse_error(p, "bind wants one node, not '%s'", tok[1]);
		return 0;
	case ACT_BLOCK:
	case ACT_PAGEMAP:
		return parse_segments(p, tok + 1, ntok - 1, r);
	case ACT_EACH:
		return parse_each(p, tok + 1, ntok - 1, r);
	case ACT_CYCLIC:
		return parse_cyclic(p, tok + 1, ntok - 1, r);
	case ACT_TILES:
		return parse_tiles(p, tok + 1, ntok - 1, r);
	}
	return 0;
}

/* MODULE+0xOFFSET, split at the last '+': paths may hold '+'. */
static int parse_frame(char *tok, struct policy_frame *f)
{
	char *plus = strrchr(tok, '+'), *end;

	if (!plus || plus == tok || strncmp(plus + 1, "0x", 2) || !plus[3])
		return -1;
	errno = 0;
	f->offset = strtoull(plus + 3, &end, 16);
	if (*end || errno)
		return -1;
	*plus = 0;
	if (unescape(tok) < 0)
		return -1;
	f->module = xstrdup(tok);
	return 0;
}

/* FRAME [<- FRAME]...; returns the number of tokens used, -1 on error. */
static int parse_callsite(const struct parser *p, char **tok, int ntok, struct policy_rule *r)
{
	int used = 0;

	r->frames = xcalloc(ntok + 1, sizeof(*r->frames));
	do {
		if (used >= ntok || parse_frame(tok[used], &r->frames[r->nframes]) < 0)
			return parse_error(p, "malformed frame '%s' (want MODULE+0xOFFSET)",
					   used < ntok ? tok[used] : "");
		r->nframes++;
		used++;
	} while (used + 1 < ntok && !strcmp(tok[used], "<-") && used++);
	return used;
}

static int parse_kind(const char *s, enum obj_kind *kind)
{
	static const enum obj_kind kinds[] = { OBJ_HEAP, OBJ_MMAP, OBJ_STATIC };

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (!strcmp(s, obj_kind_name(kinds[i]))) {
			*kind = kinds[i];
			return 0;
		}
	return -1;
}

/* KIND callsite FRAMES ACTION | static symbol MODULE NAME ACTION | default ACTION */
static int parse_rule(struct parser *p, char **tok, int ntok)
{
	struct policy_rule *r = policy_add_rule(p->pol);
	int used;

	r->line = p->line;
	r->launcher_rank = p->launcher_rank;
	if (!strcmp(tok[0], "default")) {
		r->site = SITE_DEFAULT;
		used = 1;
	} else if (parse_kind(tok[0], &r->kind) < 0) {
		return parse_error(p, "unknown directive '%s'", tok[0]);
	} else if (r->kind == OBJ_STATIC) {
		r->site = SITE_STATIC;
		if (ntok < 4 || strcmp(tok[1], "symbol"))
			return parse_error(p, "want 'static symbol MODULE NAME ACTION'");
		if (unescape(tok[2]) < 0 || unescape(tok[3]) < 0)
			return parse_error(p, "malformed %%-escape in '%s %s'", tok[2], tok[3]);
		r->module = xstrdup(tok[2]);
		r->symbol = xstrdup(tok[3]);
		used = 4;
	} else {
		r->site = SITE_CALLSITE;
		if (ntok < 2 || strcmp(tok[1], "callsite"))
			return parse_error(p, "want '%s callsite FRAME [<- FRAME]... ACTION'", tok[0]);
		used = parse_callsite(p, tok + 2, ntok - 2, r);
		if (used < 0)
			return -1;
		used += 2;
	}
	if (parse_action(p, tok + used, ntok - used, r) < 0)
		return -1;
	policy_rule_format(r);
	return 0;
}

static int parse_int(const char *s, int *v)
{
	char *end;
	long l = strtol(s, &end, 10);

	if (end == s || *end || l < 0 || l > 1 << 20)
		return -1;
	*v = (int)l;
	return 0;
}

/* pin RANK CPU|node NODE, or (child) pin-child K CPU|node NODE. */
static int parse_pin(struct parser *p, char **tok, int ntok, int child)
{
	const char *what = child ? "pin-child K" : "pin RANK", *whose = child ? "child" : "thread rank";
	int n, cpu = -1, node = -1;

	if (child && need_version(p, POLICY_CHILD_PIN_VERSION, "pin-child") < 0)
		return -1;
	if (ntok == 3 && !parse_int(tok[1], &n) && !parse_int(tok[2], &cpu))
		;
	else if (ntok == 4 && !parse_int(tok[1], &n) && !strcmp(tok[2], "node") &&
		 !parse_int(tok[3], &node) && node < POLICY_MAX_NODES)
		;
	else
		return parse_error(p, "want '%s CPU' or '%s node NODE'", what, what);
	if (child && n < 1)
		return parse_error(p, "pin-child counts forks from 1 (the first process's first child)");
	for (int i = 0; i < p->pol->npins; i++) {
		const struct policy_pin *o = &p->pol->pins[i];

		/* Every process's pin and a rank's would both apply. */
		if ((child ? o->child == n : !o->child && o->rank == n) &&
		    (o->launcher_rank == p->launcher_rank || o->launcher_rank < 0 || p->launcher_rank < 0))
			return parse_error(p, "%s %d is already pinned on line %d", whose, n, o->line);
	}
	policy_add_pin(p->pol, child ? n : 0, child ? 0 : n, cpu, node, p->line);
	p->pol->pins[p->pol->npins - 1].launcher_rank = p->launcher_rank;
	return 0;
}

/* launcher-rank R: what follows is for the process of launcher rank R. */
static int parse_section(struct parser *p, char **tok, int ntok)
{
	int rank;

	if (need_version(p, POLICY_RANKS_VERSION, "launcher-rank") < 0)
		return -1;
	if (ntok != 2 || parse_int(tok[1], &rank) < 0)
		return parse_error(p, "want 'launcher-rank RANK' (the MPI rank, from 0)");
	p->launcher_rank = rank;
	p->pol->ranked = 1;
	return 0;
}

static int parse_header(struct parser *p, char **tok, int ntok)
{
	if (strcmp(tok[0], "numamma-policy") || ntok != 2 || parse_int(tok[1], &p->version) < 0)
		return parse_error(p, "not a numamma policy: the first line must be 'numamma-policy 1'");
	if (p->version < 1 || p->version > POLICY_VERSION)
		return parse_error(p, "policy format version %d, this numamma reads versions 1 to %d",
				   p->version, POLICY_VERSION);
	return 0;
}

static int parse_directive(struct parser *p, char **tok, int ntok, int first)
{
	if (first)
		return parse_header(p, tok, ntok);
	if (!strcmp(tok[0], "binary")) {
		if (ntok != 2 || unescape(tok[1]) < 0)
			return parse_error(p, "want 'binary MODULE' (buildid:HEX or a path)");
		policy_add_binary(p->pol, tok[1]);
		return 0;
	}
	if (!strcmp(tok[0], "pin") || !strcmp(tok[0], "pin-child"))
		return parse_pin(p, tok, ntok, !strcmp(tok[0], "pin-child"));
	if (!strcmp(tok[0], "launcher-rank"))
		return parse_section(p, tok, ntok);
	return parse_rule(p, tok, ntok);
}

/* Splits line in place at whitespace, dropping a '#' comment. */
static int tokenize(char *line, char ***tok, int *cap)
{
	int n = 0;

	line[strcspn(line, "#")] = 0;
	for (char *s = strtok(line, " \t\r\v\f"); s; s = strtok(NULL, " \t\r\v\f")) {
		if (n == *cap) {
			*cap = *cap ? *cap * 2 : 16;
			*tok = xrealloc(*tok, *cap * sizeof(char *));
		}
		(*tok)[n++] = s;
	}
	return n;
}

struct policy *policy_parse(const char *text, const char *name)
{
	struct parser p = { .name = name, .launcher_rank = -1, .pol = policy_new(name) };
	char *copy = xstrdup(text), *line = copy, **tok = NULL;
	int cap = 0, seen_header = 0, failed = 0;

	while (line && !failed) {
		char *next = strchr(line, '\n');
		int ntok;

		if (next)
			*next++ = 0;
		p.line++;
		ntok = tokenize(line, &tok, &cap);
		if (ntok) {
			failed = parse_directive(&p, tok, ntok, !seen_header) < 0;
			seen_header = 1;
		}
		line = next;
	}
	if (!failed && !seen_header)
		failed = parse_error(&p, "empty policy: the first line must be 'numamma-policy 1'") < 0;
	free(tok);
	free(copy);
	if (failed) {
		policy_free(p.pol);
		return NULL;
	}
	return p.pol;
}

/* A NUL would end the text early and the rest of the file would be
 * dropped unseen: it is an error, where it is. */
static void refuse_nul(const char *text, size_t len, const char *path)
{
	const char *nul = memchr(text, 0, len), *line_start = text;
	int line = 1;

	for (const char *c = text; c < nul; c++)
		if (*c == '\n') {
			line++;
			line_start = c + 1;
		}
	error("policy '%s' line %d column %d: a NUL byte (not a text file?)", path, line,
	      (int)(nul - line_start) + 1);
}

struct policy *policy_read_file(const char *path)
{
	FILE *f = fopen(path, "r");
	char *text = NULL;
	size_t cap = 0, len = 0, got;
	struct policy *pol;

	if (!f) {
		error_errno("cannot open policy '%s'", path);
		return NULL;
	}
	do {
		if (len + 4096 + 1 > cap) {
			cap = (cap + 4096) * 2;
			text = xrealloc(text, cap);
		}
		got = fread(text + len, 1, cap - len - 1, f);
		len += got;
	} while (got);
	if (ferror(f)) {
		error_errno("cannot read policy '%s'", path);
		fclose(f);
		free(text);
		return NULL;
	}
	fclose(f);
	text[len] = 0;
	if (memchr(text, 0, len)) {
		refuse_nul(text, len, path);
		free(text);
		return NULL;
	}
	pol = policy_parse(text, path);
	free(text);
	return pol;
}
