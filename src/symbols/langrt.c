/* See include/langrt.h. */
#include <string.h>

#include "langrt.h"

/* The first character of the function's qualified name: after a C++
 * template instance's return type ("std::vector<int> app::make<int>()"
 * names app::make), before Rust's impl bracket.  Operator names
 * ("operator<<") are skipped whole so that their brackets count for
 * nothing. */
static const char *qualified_name(const char *function)
{
	const char *start = function;
	int angle = 0, paren = 0;

	for (const char *p = function; *p; p++) {
		if (!strncmp(p, "operator", 8)) {
			p += 8;
			while (*p && strchr("<>=!-+*/%&|^~[]", *p))
				p++;
			if (*p == ' ' && p[1] == '<')    /* "operator< <int>" */
				p++;
			if (!*p)
				break;
			p--;
			continue;
		}
		switch (*p) {
		case '<':
			angle++;
			break;
		case '>':
			angle -= angle > 0;
			break;
		case '(':
			if (!angle && !paren)
				return start;     /* the parameters: the name is before */
			paren++;
			break;
		case ')':
			paren -= paren > 0;
			break;
		case ' ':
			if (!angle && !paren)
				start = p + 1;
			break;
		}
	}
	return start;
}

/* Namespaces of the runtimes, and Rust's allocator shims (__rust_alloc,
 * __rdl_alloc, __rg_alloc). */
static bool langrt_path(const char *name)
{
	static const char *const prefixes[] = {
		"std::", "__gnu_cxx::", "__cxxabiv1::",
		"core::", "alloc::", "hashbrown::", "__rust_", "__rdl_", "__rg_",
	};

	for (size_t i = 0; i < sizeof(prefixes) / sizeof(*prefixes); i++)
		if (!strncmp(name, prefixes[i], strlen(prefixes[i])))
			return true;
	return false;
}

/* A Rust type [t, end) in an impl's brackets: the runtime's when its
 * path is, or when it has none: a primitive (u64, str), a slice, a
 * reference, a pointer, a tuple, whose impls only core and std have
 * (and a legacy symbol's generic parameter, T). */
static bool langrt_type(const char *t, const char *end)
{
	const char *colons = NULL, *generic = NULL;

	if (t == end)
		return false;
	if (strchr("[&*(", *t))
		return true;
	for (const char *p = t; p + 1 < end && !colons; p++) {
		if (*p == '<' && !generic)
			generic = p;
		if (p[0] == ':' && p[1] == ':')
			colons = p;
	}
	return !colons || (generic && generic < colons) || langrt_path(t);
}

/* Rust's <Type>::f (an inherent impl: the type's owner wrote it) and
 * <Type as Trait>::f (the runtime's when both are: a program's own type
 * or trait makes the impl the program's). */
static bool langrt_impl(const char *name)
{
	const char *as = NULL, *p;
	int depth = 0;

	for (p = name; *p; p++) {
		if (*p == '<')
			depth++;
		else if (*p == '>' && --depth == 0)
			break;
		else if (depth == 1 && !as && !strncmp(p, " as ", 4))
			as = p;
	}
	if (!*p)
		return false;
	if (!as)
		return langrt_type(name + 1, p);
	return langrt_type(name + 1, as) && langrt_type(as + 4, p);
}

bool langrt_function(const char *function)
{
	const char *name;

	if (!function)
		return false;
	name = qualified_name(function);
	return *name == '<' ? langrt_impl(name) : langrt_path(name);
}
