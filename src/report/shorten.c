/* See report_shorten_name() in include/report.h: a demangled C++
 * template instance can take 500 characters (std::map's
 * _M_emplace_hint_unique), which no terminal table survives. */
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "report.h"

#define DOTS "..."

/* Where the name ends: before a trailing " (file:line)". */
static size_t name_length(const char *where)
{
	size_t n = strlen(where);
	int depth = 0;

	if (!n || where[n - 1] != ')')
		return n;
	for (size_t i = n; i-- > 0;) {
		depth += where[i] == ')';
		depth -= where[i] == '(';
		if (!depth)
			return i > 0 && where[i - 1] == ' ' && memchr(where + i, ':', n - i) ? i - 1 : n;
	}
	return n;
}

/* An operator's name ("operator<<", "operator()"): its length at s, 0
 * when s is no operator.  Its brackets are no argument list. */
static size_t operator_length(const char *s, const char *end)
{
	const char *p = s + 8;

	if (end - s < 8 || strncmp(s, "operator", 8))
		return 0;
	if (end - p >= 2 && !strncmp(p, "()", 2))
		return 10;
	while (p < end && strchr("<>=!-+*/%&|^~[]", *p))
		p++;
	return (size_t)(p - s);
}

/* The index of the bracket closing the one opened at s[i], or n. */
static size_t closing(const char *s, size_t n, size_t i)
{
	char open = s[i], close = open == '<' ? '>' : ')';
	int depth = 0;

	for (; i < n; i++) {
		size_t op = operator_length(s + i, s + n);

		if (op) {
			i += op - 1;
			continue;
		}
		if (s[i] == open)
			depth++;
		else if (s[i] == close && !--depth)
			return i;
	}
	return n;
}

/* name[0..n) with the argument lists that open at depth (1: outermost)
 * written "<...>" (not one opening the name: Rust's impl bracket,
 * <Type as Trait>); with parens, only the last list at the top level
 * (the parameters). */
static char *collapse(const char *name, size_t n, char open, int want)
{
	char *out = xmalloc(n + 1), *o = out;
	size_t last_paren = n;
	int depth = 0;

	if (open == '(')
		for (size_t i = 0; i < n; i++) {
			size_t op = operator_length(name + i, name + n);

			if (op)
				i += op - 1;
			else if (name[i] == '<')
				i = closing(name, n, i);
			else if (name[i] == '(')
				last_paren = i, i = closing(name, n, i);
		}
	for (size_t i = 0; i < n; i++) {
		size_t op = operator_length(name + i, name + n), j;

		if (op) {
			memcpy(o, name + i, op);
			o += op;
			i += op - 1;
			continue;
		}
		if (name[i] == open && (open == '<' ? ++depth == want && i > 0 : i == last_paren)) {
			j = closing(name, n, i);
			if (j < n && j - i > 1 + strlen(DOTS)) {
				*o++ = open;
				memcpy(o, DOTS, strlen(DOTS));
				o += strlen(DOTS);
				*o++ = name[j];
				i = j;
				depth -= open == '<';
				continue;
			}
		} else if (open == '<' && name[i] == '>' && depth > 0) {
			depth--;
		}
		*o++ = name[i];
	}
	*o = '\0';
	return out;
}

static int max_depth(const char *name, size_t n)
{
	int depth = 0, most = 0;

	for (size_t i = 0; i < n; i++) {
		size_t op = operator_length(name + i, name + n);

		if (op)
			i += op - 1;
		else if (name[i] == '<' && ++depth > most)
			most = depth;
		else if (name[i] == '>' && depth > 0)
			depth--;
	}
	return most;
}

/* *name with its lists collapsed (collapse()): name and suffix joined
 * when that fits in limit, else NULL. */
static char *step(char **name, const char *suffix, size_t limit, char open, int depth)
{
	char *next = collapse(*name, strlen(*name), open, depth);

	free(*name);
	*name = next;
	return strlen(next) + strlen(suffix) <= limit ? xasprintf("%s%s", next, suffix) : NULL;
}

char *report_shorten_name(const char *where, size_t limit)
{
	size_t n = name_length(where);
	const char *suffix = where + n;
	char *name, *out = NULL;
	int d;

	if (strlen(where) <= limit)
		return xstrdup(where);
	name = xasprintf("%.*s", (int)n, where);
	/* Innermost arguments first; the parameters before the outermost
	 * list (its name: std::_Rb_tree<...>). */
	for (d = max_depth(name, n); d >= 2 && !out; d--)
		out = step(&name, suffix, limit, '<', d);
	if (!out)
		out = step(&name, suffix, limit, '(', 0);
	if (!out && d >= 1)
		out = step(&name, suffix, limit, '<', 1);
	if (!out)
		out = xasprintf("%s%s", name, suffix);
	free(name);
	return out;
}
