/* policy files: write -> parse round trip, escapes, and one error line
 * naming the file and line for each kind of mistake. */
#include <stdlib.h>
#include <unistd.h>

#include "placement.h"
#include "unit.h"

static int cpu_node4[8] = { 0, 0, 1, 1, 2, 2, 3, 3 };
static const struct nm_topology topo4 = { .nr_nodes = 4, .nr_cpus = 8, .cpu_node = cpu_node4 };

/* Runs fn with stderr going to a buffer; returns what it printed. */
static char *capture_stderr(void (*fn)(void *arg), void *arg)
{
	static char buf[4096];
	FILE *tmp = tmpfile();
	int saved = dup(2);
	size_t n;

	fflush(stderr);
	dup2(fileno(tmp), 2);
	fn(arg);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	rewind(tmp);
	n = fread(buf, 1, sizeof(buf) - 1, tmp);
	buf[n] = 0;
	fclose(tmp);
	return buf;
}

static const char full[] =
	"numamma-policy 1\n"
	"binary buildid:0123abcd\n"
	"binary /opt/my%20prog\n"
	"pin 1 1\n"
	"pin 2 node 3\n"
	"\n"
	"# alloc_blocks() main.c:42: block: 4 threads each touch a disjoint 1/4\n"
	"heap callsite buildid:0123abcd+0x1234 <- /usr/lib/lib+x.so+0x5678 block 1:0-25% 2:25-50% 3:50-75% 0:75-100%\n"
	"mmap   callsite  buildid:0123abcd+0x99   interleave 0-2,3   # trailing comment\n"
	"static symbol buildid:0123abcd counters bind 2\n"
	"heap callsite buildid:0123abcd+0x40 pagemap 1:0.5-33.3333% 2:33.3333-100%\n"
	"heap callsite buildid:0123abcd+0x44 leave\n"
	"heap callsite buildid:0123abcd+0x48 each 1 -  3 0\n"
	"default interleave 0,2\n";

static char *written(const struct policy *pol)
{
	char *text = NULL;
	size_t len;
	FILE *f = open_memstream(&text, &len);

	policy_write(f, pol);
	fclose(f);
	return text;
}

static void test_round_trip(void)
{
	struct policy *pol = policy_parse(full, "full.policy"), *again;
	const struct policy_rule *r;
	char *text, *text2;

	CHECK(pol != NULL);
	if (!pol)
		return;
	CHECK_INT(pol->nbinaries, 2);
	CHECK_STR(pol->binaries[1], "/opt/my prog");
	CHECK_INT(pol->npins, 2);
	CHECK_INT(pol->pins[0].cpu, 1);
	CHECK_INT(pol->pins[1].cpu, -1);
	CHECK_INT(pol->pins[1].node, 3);
	CHECK_INT(pol->nrules, 7);

	r = &pol->rules[0];
	CHECK_INT(r->site, SITE_CALLSITE);
	CHECK_INT(r->kind, OBJ_HEAP);
	CHECK_INT(r->nframes, 2);
	CHECK_STR(r->frames[1].module, "/usr/lib/lib+x.so");
	CHECK_INT(r->frames[1].offset, 0x5678);
	CHECK_INT(r->action, ACT_BLOCK);
	CHECK_INT(r->nseg, 4);
	CHECK_INT(r->seg[0].node, 1);
	CHECK_INT(r->seg[3].start, 750000);
	CHECK_INT(r->seg[3].end, POLICY_PPM);
	CHECK_INT(r->line, 8);
	CHECK_INT(pol->rules[1].kind, OBJ_MMAP);
	CHECK_INT(pol->rules[1].nodemask, 0xf);
	CHECK_STR(pol->rules[1].text, "mmap callsite buildid:0123abcd+0x99 interleave 0-3");
	CHECK_INT(pol->rules[2].site, SITE_STATIC);
	CHECK_STR(pol->rules[2].symbol, "counters");
	CHECK_INT(pol->rules[2].nodemask, 4);
	CHECK_INT(pol->rules[3].seg[0].start, 5000);
	CHECK_INT(pol->rules[3].seg[0].end, 333333);
	CHECK_INT(pol->rules[4].action, ACT_LEAVE);
	CHECK_INT(pol->rules[5].action, ACT_EACH);
	CHECK_INT(pol->rules[5].neach, 4);
	CHECK_INT(pol->rules[5].each[1], -1);
	CHECK_INT(pol->rules[5].each[2], 3);
	CHECK_INT(pol->rules[6].site, SITE_DEFAULT);
	CHECK_INT(pol->rules[6].nodemask, 5);
	CHECK_INT(policy_validate(pol, &topo4), 0);

	pol->rules[0].comment = strdup("why\non two lines");
	text = written(pol);
	CHECK(strstr(text, "binary /opt/my%20prog\n") != NULL);
	CHECK(strstr(text, "# why\n# on two lines\nheap callsite buildid:0123abcd+0x1234"
			   " <- /usr/lib/lib+x.so+0x5678 block 1:0-25% 2:25-50% 3:50-75% 0:75-100%\n"));
	CHECK(strstr(text, "pagemap 1:0.5-33.3333% 2:33.3333-100%\n") != NULL);
	CHECK(strstr(text, "pin 2 node 3\n") != NULL);
	CHECK(strstr(text, "+0x48 each 1 - 3 0\n") != NULL);
	again = policy_parse(text, "written.policy");
	CHECK(again != NULL);
	if (again) {
		text2 = written(again);
		/* Comments aside (only the first rule has one), identical. */
		CHECK_STR(strstr(text2, "heap callsite"), strstr(text, "heap callsite"));
		CHECK_INT(again->nrules, pol->nrules);
		free(text2);
		policy_free(again);
	}
	free(text);
	policy_free(pol);
}

struct bad {
	const char *text;
	const char *message;      /* the whole expected error line */
};

static const struct bad bad[] = {
	{ "", "numamma: policy 'bad' line 1: empty policy: the first line must be 'numamma-policy 1'\n" },
	{ "# only a comment\n\nbind 2\n",
	  "numamma: policy 'bad' line 3: not a numamma policy: the first line must be 'numamma-policy 1'\n" },
	{ "numamma-policy 5\n", "numamma: policy 'bad' line 1: policy format version 5, this numamma reads versions 1 to 4\n" },
	{ "numamma-policy 3\nheap callsite m+0x1 tiles 8192 1,2:0-50%\n",
	  "numamma: policy 'bad' line 2: tiles needs 'numamma-policy 4' (this file is version 3)\n" },
	{ "numamma-policy 4\nheap callsite m+0x1 tiles 100 1,2:0-50%\n",
	  "numamma: policy 'bad' line 2: tiles wants a chunk size in bytes of at least 4096, then "
	  "ranges, e.g. 'tiles 8192 1,2:0-50% 3,0:50-100%'\n" },
	{ "numamma-policy 4\nheap callsite m+0x1 tiles 8192 1,,2:0-50%\n",
	  "numamma: policy 'bad' line 2: malformed range '1,,2:0-50%' (want NODE,NODE...:START-END%, "
	  "e.g. 1,2:0-50%)\n" },
	{ "numamma-policy 4\nheap callsite m+0x1 tiles 8192 1,2:0-60% 3:50-100%\n",
	  "numamma: policy 'bad' line 2: range '3:50-100%' overlaps or precedes the one before it\n" },
	{ "numamma-policy 3\npin-child 1 2\n",
	  "numamma: policy 'bad' line 2: pin-child needs 'numamma-policy 4' (this file is version 3)\n" },
	{ "numamma-policy 4\npin-child 0 2\n",
	  "numamma: policy 'bad' line 2: pin-child counts forks from 1 (the first process's first child)\n" },
	{ "numamma-policy 4\npin-child 1 node\n",
	  "numamma: policy 'bad' line 2: want 'pin-child K CPU' or 'pin-child K node NODE'\n" },
	{ "numamma-policy 4\npin-child 2 1\npin 2 3\npin-child 2 node 1\n",
	  "numamma: policy 'bad' line 4: child 2 is already pinned on line 2\n" },
	{ "numamma-policy 2\nlauncher-rank 1\n",
	  "numamma: policy 'bad' line 2: launcher-rank needs 'numamma-policy 3' (this file is version 2)\n" },
	{ "numamma-policy 3\nlauncher-rank one\n",
	  "numamma: policy 'bad' line 2: want 'launcher-rank RANK' (the MPI rank, from 0)\n" },
	{ "numamma-policy 3\nlauncher-rank 1\npin 1 2\nlauncher-rank 1\npin 1 3\n",
	  "numamma: policy 'bad' line 5: thread rank 1 is already pinned on line 3\n" },
	/* A pin for every process and a rank's would both apply. */
	{ "numamma-policy 3\npin 1 2\nlauncher-rank 0\npin 1 3\n",
	  "numamma: policy 'bad' line 4: thread rank 1 is already pinned on line 2\n" },
	{ "numamma-policy 1\n\nfrobnicate 3\n", "numamma: policy 'bad' line 3: unknown directive 'frobnicate'\n" },
	{ "numamma-policy 1\nheap callsite foo+1234 bind 1\n",
	  "numamma: policy 'bad' line 2: malformed frame 'foo+1234' (want MODULE+0xOFFSET)\n" },
	{ "numamma-policy 1\nheap callsite m+0x1 <- bind 1\n",
	  "numamma: policy 'bad' line 2: malformed frame 'bind' (want MODULE+0xOFFSET)\n" },
	{ "numamma-policy 1\nheap callsite m+0x1\n",
	  "numamma: policy 'bad' line 2: missing action (bind, interleave, block, pagemap, each, cyclic, tiles or leave)\n" },
	{ "numamma-policy 1\nheap callsite m+0x1 spread 1\n",
	  "numamma: policy 'bad' line 2: unknown action 'spread' (want bind, interleave, block, pagemap, each, cyclic, tiles or leave)\n" },
	{ "numamma-policy 1\nheap callsite m+0x1 bind 1-2\n",
	  "numamma: policy 'bad' line 2: bind wants one node, not '1-2'\n" },
	{ "numamma-policy 1\nheap callsite m+0x1 interleave\n",
	  "numamma: policy 'bad' line 2: interleave wants a node list, e.g. 'interleave 0-3'\n" },
	{ "numamma-policy 1\nheap callsite m+0x1 block 0:0-50% 1:40-100%\n",
	  "numamma: policy 'bad' line 2: range '1:40-100%' overlaps or precedes the one before it\n" },
	{ "numamma-policy 1\nheap callsite m+0x1 block 0:0-101%\n",
	  "numamma: policy 'bad' line 2: malformed range '0:0-101%' (want NODE:START-END%, e.g. 1:25-50%)\n" },
	{ "numamma-policy 1\nheap callsite m+0x1 block 0:50-50%\n",
	  "numamma: policy 'bad' line 2: malformed range '0:50-50%' (want NODE:START-END%, e.g. 1:25-50%)\n" },
	{ "numamma-policy 1\nheap callsite m+0x1 each\n",
	  "numamma: policy 'bad' line 2: each wants one node (or '-') per object, e.g. 'each 1 2 - 0'\n" },
	{ "numamma-policy 1\nheap callsite m+0x1 each 1 x\n",
	  "numamma: policy 'bad' line 2: each: 'x' is not a node number or '-'\n" },
	{ "numamma-policy 1\nheap callsite m+0x1 cyclic 65536 1 2\n",
	  "numamma: policy 'bad' line 2: cyclic needs 'numamma-policy 2' (this file is version 1)\n" },
	{ "numamma-policy 2\nheap callsite m+0x1 cyclic 2048 1 2\n",
	  "numamma: policy 'bad' line 2: cyclic wants a chunk size in bytes of at least 4096, then "
	  "nodes, e.g. 'cyclic 65536 1 2 3 0'\n" },
	{ "numamma-policy 2\nheap callsite m+0x1 cyclic -65536 1\n",
	  "numamma: policy 'bad' line 2: cyclic wants a chunk size in bytes of at least 4096, then "
	  "nodes, e.g. 'cyclic 65536 1 2 3 0'\n" },
	{ "numamma-policy 2\nheap callsite m+0x1 cyclic 65536\n",
	  "numamma: policy 'bad' line 2: cyclic wants the chunk's node (or '-') in turn, e.g. "
	  "'cyclic 65536 1 2 3 0'\n" },
	{ "numamma-policy 2\nheap callsite m+0x1 cyclic 65536 1 x\n",
	  "numamma: policy 'bad' line 2: cyclic: 'x' is not a node number or '-'\n" },
	{ "numamma-policy 2\nheap callsite m+0x1 cyclic 65536 from 4096 1 2\n",
	  "numamma: policy 'bad' line 2: cyclic ... from needs 'numamma-policy 3' (this file is "
	  "version 2)\n" },
	{ "numamma-policy 3\nheap callsite m+0x1 cyclic 65536 from\n",
	  "numamma: policy 'bad' line 2: cyclic's from wants where chunk 0 starts, in bytes from the "
	  "object's start, e.g. 'cyclic 65536 from 4096 1 2 3 0'\n" },
	{ "numamma-policy 3\nheap callsite m+0x1 cyclic 65536 from -4096 1 2\n",
	  "numamma: policy 'bad' line 2: cyclic's from wants where chunk 0 starts, in bytes from the "
	  "object's start, e.g. 'cyclic 65536 from 4096 1 2 3 0'\n" },
	{ "numamma-policy 3\nheap callsite m+0x1 cyclic 65536 from 4096\n",
	  "numamma: policy 'bad' line 2: cyclic wants the chunk's node (or '-') in turn, e.g. "
	  "'cyclic 65536 1 2 3 0'\n" },
	{ "numamma-policy 1\nheap callsite m+0x1 leave now\n",
	  "numamma: policy 'bad' line 2: unexpected 'now' after leave\n" },
	{ "numamma-policy 1\nstatic symbol m\n",
	  "numamma: policy 'bad' line 2: want 'static symbol MODULE NAME ACTION'\n" },
	{ "numamma-policy 1\npin 1\n", "numamma: policy 'bad' line 2: want 'pin RANK CPU' or 'pin RANK node NODE'\n" },
	{ "numamma-policy 1\npin 1 2\npin 1 3\n",
	  "numamma: policy 'bad' line 3: thread rank 1 is already pinned on line 2\n" },
};

static void parse_bad(void *arg)
{
	const struct bad *b = arg;

	CHECK(policy_parse(b->text, "bad") == NULL);
}

/* Version 2 files read, and a policy is written with the lowest version
 * that holds it: 1 without cyclic rules, so older numammas read it. */
static void test_cyclic_version(void)
{
	struct policy *pol = policy_parse("numamma-policy 2\n"
					  "heap callsite m+0x1 cyclic 65536 1 - 3 0\n", "v2");
	char *text;

	CHECK(pol != NULL);
	if (!pol)
		return;
	CHECK_INT(pol->rules[0].action, ACT_CYCLIC);
	CHECK_INT(pol->rules[0].chunk, 65536);
	CHECK_INT(pol->rules[0].neach, 4);
	CHECK_INT(pol->rules[0].each[1], -1);
	policy_rule_format(&pol->rules[0]);
	CHECK_STR(pol->rules[0].text, "heap callsite m+0x1 cyclic 65536 1 - 3 0");
	text = written(pol);
	CHECK(!strncmp(text, "numamma-policy 2\n", 17));
	free(text);
	pol->rules[0].action = ACT_LEAVE;
	text = written(pol);
	CHECK(!strncmp(text, "numamma-policy 1\n", 17));
	free(text);
	policy_free(pol);
}

/* An MPI job's policy: sections per launcher rank, written in rank
 * order after what every rank shares (format 3), read back, and each
 * process keeps its own. */
static void test_rank_sections(void)
{
	struct policy *one = policy_parse("numamma-policy 1\nbinary buildid:ab\npin 1 2\n"
					  "heap callsite m+0x1 bind 1\n", "one");
	struct policy *job = policy_new("job"), *back;
	char *text;

	CHECK(one != NULL);
	if (!one)
		return;
	policy_add_rank(job, one, 1);
	one->rules[0].nodemask = 1;
	one->pins[0].cpu = 0;
	policy_rule_format(&one->rules[0]);
	policy_add_rank(job, one, 0);
	text = written(job);
	CHECK_STR(text, "numamma-policy 3\nbinary buildid:ab\n"
			"\n# only for the process of launcher rank 0 (its MPI rank)\nlauncher-rank 0\n"
			"\n# thread pinning: pin RANK CPU, or pin RANK node NODE\npin 1 0\n"
			"\nheap callsite m+0x1 bind 0\n"
			"\n# only for the process of launcher rank 1 (its MPI rank)\nlauncher-rank 1\n"
			"\n# thread pinning: pin RANK CPU, or pin RANK node NODE\npin 1 2\n"
			"\nheap callsite m+0x1 bind 1\n");
	back = policy_parse(text, "back");
	CHECK(back && back->ranked && back->nrules == 2 && back->npins == 2);
	if (back) {
		CHECK_INT(policy_select_rank(back, 1), 2);
		CHECK_INT(back->nrules, 1);
		CHECK(back->nrules == 1 && back->rules[0].nodemask == 2);
		CHECK_INT(policy_thread_cpu(back, 1), 2);
		policy_free(back);
	}
	/* A rank without a section, or no rank: only the common part. */
	back = policy_parse(text, "back");
	if (back) {
		CHECK_INT(policy_select_rank(back, 5), 0);
		CHECK_INT(back->nrules + back->npins, 0);
		policy_free(back);
	}
	free(text);
	policy_free(job);
	policy_free(one);
}

/* A cyclic rule's start (version 3): read, written back, and the file
 * versioned 3 only when a rule has one. */
static void test_cyclic_from(void)
{
	struct policy *pol = policy_parse("numamma-policy 3\n"
					  "heap callsite m+0x1 cyclic 65536 from 24576 1 - 3 0\n"
					  "heap callsite m+0x2 cyclic 8192 2 3\n", "v3");
	char *text;

	CHECK(pol != NULL);
	if (!pol)
		return;
	CHECK_INT(pol->rules[0].chunk, 65536);
	CHECK_INT(pol->rules[0].chunk_from, 24576);
	CHECK_INT(pol->rules[0].neach, 4);
	CHECK_INT(pol->rules[1].chunk_from, 0);
	policy_rule_format(&pol->rules[0]);
	CHECK_STR(pol->rules[0].text, "heap callsite m+0x1 cyclic 65536 from 24576 1 - 3 0");
	text = written(pol);
	CHECK(!strncmp(text, "numamma-policy 3\n", 17));
	free(text);
	pol->rules[0].chunk_from = 0;
	text = written(pol);
	CHECK(!strncmp(text, "numamma-policy 2\n", 17));
	free(text);
	policy_free(pol);
}

/* tiles (version 4): read and written back alike. */
static void test_tiles(void)
{
	struct policy *pol = policy_parse("numamma-policy 4\n"
					  "heap callsite m+0x1 tiles 16384 1,2:0-33.3333% 3,-,0:33.3333-100%\n",
					  "v4");
	const struct policy_rule *r;
	char *text;

	CHECK(pol != NULL);
	if (!pol)
		return;
	r = &pol->rules[0];
	CHECK_INT(r->action, ACT_TILES);
	CHECK_INT(r->chunk, 16384);
	CHECK_INT(r->nseg, 2);
	CHECK_INT(r->neach, 5);
	CHECK(r->nseg == 2 && r->seg[1].first == 2 && r->seg[1].count == 3 && r->seg[1].end == POLICY_PPM);
	CHECK(r->neach == 5 && r->each[3] == -1 && r->each[4] == 0);
	policy_rule_format(&pol->rules[0]);
	CHECK_STR(pol->rules[0].text, "heap callsite m+0x1 tiles 16384 1,2:0-33.3333% 3,-,0:33.3333-100%");
	text = written(pol);
	CHECK(!strncmp(text, "numamma-policy 4\n", 17));
	free(text);
	policy_free(pol);
}

/* pin-child (version 4): apart from the thread pins of the same number,
 * written back after them, and the file versioned 4 only with one. */
static void test_child_pins(void)
{
	struct policy *pol = policy_parse("numamma-policy 4\npin-child 2 node 1\npin 1 5\n"
					  "pin-child 1 3\n", "v4");
	char *text;

	CHECK(pol != NULL);
	if (!pol)
		return;
	CHECK_INT(pol->npins, 3);
	CHECK_INT(policy_child_cpu(pol, 1), 3);
	CHECK_INT(policy_child_cpu(pol, 2), -1);       /* a node: resolved at load */
	CHECK_INT(policy_child_cpu(pol, 0), -1);
	CHECK_INT(policy_thread_cpu(pol, 1), 5);
	CHECK_INT(policy_thread_cpu(pol, 2), -1);
	text = written(pol);
	CHECK_STR(text, "numamma-policy 4\n"
			"\n# thread pinning: pin RANK CPU, or pin RANK node NODE\npin 1 5\n"
			"\n# forked worker processes, by fork order: pin-child K CPU, or "
			"pin-child K node NODE\npin-child 2 node 1\npin-child 1 3\n");
	free(text);
	pol->npins = 1;              /* a thread pin only */
	pol->pins[0] = (struct policy_pin){ .rank = 1, .cpu = 5, .node = -1, .launcher_rank = -1 };
	text = written(pol);
	CHECK(!strncmp(text, "numamma-policy 1\n", 17));
	free(text);
	policy_free(pol);
}

static void test_errors(void)
{
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK_STR(capture_stderr(parse_bad, (void *)&bad[i]), bad[i].message);
}

static void validate_unknown_node(void *arg)
{
	struct policy *pol = policy_parse(arg, "nodes.policy");

	CHECK(pol != NULL);
	if (pol) {
		CHECK_INT(policy_validate(pol, &topo4), -1);
		policy_free(pol);
	}
}

static void test_unknown_node(void)
{
	CHECK_STR(capture_stderr(validate_unknown_node,
				 "numamma-policy 1\n\nheap callsite m+0x1 block 0:0-50% 4:50-100%\n"),
		  "numamma: policy 'nodes.policy' line 3: node 4 does not exist on this machine\n");
	CHECK_STR(capture_stderr(validate_unknown_node, "numamma-policy 1\nheap callsite m+0x1 each 1 - 5\n"),
		  "numamma: policy 'nodes.policy' line 2: node 5 does not exist on this machine\n");
	CHECK_STR(capture_stderr(validate_unknown_node, "numamma-policy 1\npin 3 node 7\n"),
		  "numamma: policy 'nodes.policy' line 2: node 7 does not exist on this machine\n");
}

static void load_file(void *arg)
{
	struct policy *pol = policy_load(arg, &topo4, 0, -1);

	CHECK(pol == NULL);
}

static void test_load_file(void)
{
	char path[] = "/tmp/numamma-policy-XXXXXX", want[256];
	int fd = mkstemp(path);
	struct policy *pol;
	FILE *f = fdopen(fd, "w");

	fputs("numamma-policy 1\nbinary buildid:aa\npin 1 node 2\npin 2 node 2\npin 3 node 2\n", f);
	fclose(f);
	pol = policy_load(path, &topo4, 1, -1);
	CHECK(pol != NULL);
	if (pol) {
		/* Node 2's cpus in turn. */
		CHECK_INT(policy_thread_cpu(pol, 1), 4);
		CHECK_INT(policy_thread_cpu(pol, 2), 5);
		CHECK_INT(policy_thread_cpu(pol, 3), 4);
		CHECK_INT(pol->strict, 1);
		policy_free(pol);
	}
	f = fopen(path, "w");
	fputs("numamma-policy 1\ndefault bind 9\n", f);
	fclose(f);
	snprintf(want, sizeof(want), "numamma: policy '%s' line 2: node 9 does not exist on this machine\n",
		 path);
	CHECK_STR(capture_stderr(load_file, path), want);
	unlink(path);
	CHECK_STR(capture_stderr(load_file, "/nonexistent/x.policy"),
		  "numamma: cannot open policy '/nonexistent/x.policy': No such file or directory\n");
}

int main(void)
{
	test_rank_sections();
	test_cyclic_version();
	test_cyclic_from();
	test_child_pins();
	test_tiles();
	test_round_trip();
	test_errors();
	test_unknown_node();
	test_load_file();
	return unit_done();
}
