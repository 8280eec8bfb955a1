/* See include/demangle.h.  Rust's v0 scheme is read by the grammar of
 * its RFC (2603), printed as rustc-demangle's alternate form prints it
 * (no crate hashes); C++ goes to the demangler every C++ program links
 * (libsupc++'s __cxa_demangle), which also names gcc's clones. */
#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "demangle.h"
#include "error.h"

char *__cxa_demangle(const char *mangled, char *buf, size_t *len, int *status);

/* Longer names are refused: backreferences can make an exponentially
 * long one of a short symbol, and no one reads 4,000 characters. */
#define MAX_OUT 4096
#define MAX_DEPTH 256
/* Parsing steps: what an impl path's backreferences (parsed, not
 * printed, so not bounded by MAX_OUT) may cost at most. */
#define MAX_STEPS 100000

/* ---- Rust v0 ---- */

struct v0 {
	const char *sym;             /* after "_R": backreferences count from here */
	size_t len, pos;
	unsigned depth, steps;
	unsigned quiet;              /* parsing what is not printed (impl paths) */
	uint64_t bound_lifetimes;    /* of the binders around this point */
	bool bad;
	size_t n;
	char out[MAX_OUT + 1];
};

static void put(struct v0 *d, const char *s, size_t n)
{
	if (d->quiet || d->bad)
		return;
	if (n > MAX_OUT - d->n) {
		d->bad = true;
		return;
	}
	memcpy(d->out + d->n, s, n);
	d->n += n;
	d->out[d->n] = '\0';
}

static void puts_(struct v0 *d, const char *s)
{
	put(d, s, strlen(s));
}

__attribute__((format(printf, 2, 3)))
static void putf(struct v0 *d, const char *fmt, ...)
{
	char buf[32];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	put(d, buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
}

/* What follows a symbol after a '.': a part of a split static (".0"),
 * kept; LLVM's ".llvm.<number>" of a symbol made local by LTO, which
 * tells a person nothing, left out. */
static void put_suffix(struct v0 *d, const char *suffix)
{
	const char *llvm = strstr(suffix, ".llvm.");

	put(d, suffix, llvm ? (size_t)(llvm - suffix) : strlen(suffix));
}

static char peek(const struct v0 *d)
{
	return d->pos < d->len && !d->bad ? d->sym[d->pos] : '\0';
}

static bool eat(struct v0 *d, char c)
{
	if (peek(d) != c)
		return false;
	d->pos++;
	return true;
}

static char next(struct v0 *d)
{
	if (d->bad || d->pos >= d->len) {
		d->bad = true;
		return '\0';
	}
	return d->sym[d->pos++];
}

static int digit62(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'Z')
		return c - 'A' + 36;
	return -1;
}

/* base-62-number: "_" is 0; digits then "_" are their value + 1. */
static uint64_t base62(struct v0 *d)
{
	uint64_t x = 0;
	char c;

	if (eat(d, '_'))
		return 0;
	while ((c = next(d)) != '_' && !d->bad) {
		int v = digit62(c);

		if (v < 0 || x > (UINT64_MAX - 1 - (uint64_t)v) / 62) {
			d->bad = true;
			return 0;
		}
		x = x * 62 + (uint64_t)v;
	}
	return x + 1;
}

static uint64_t decimal(struct v0 *d)
{
	uint64_t x = 0;

	if (!isdigit((unsigned char)peek(d))) {
		d->bad = true;
		return 0;
	}
	if (eat(d, '0'))
		return 0;
	while (isdigit((unsigned char)peek(d))) {
		if (x > (UINT64_MAX - 9) / 10) {
			d->bad = true;
			return 0;
		}
		x = x * 10 + (uint64_t)(next(d) - '0');
	}
	return x;
}

static uint64_t disambiguator(struct v0 *d)
{
	return eat(d, 's') ? base62(d) + 1 : 0;
}

/* An undisambiguated identifier: its bytes in the symbol.  Punycode
 * ("u", non-ASCII names) is refused. */
static const char *identifier(struct v0 *d, size_t *n)
{
	const char *s;
	uint64_t len;

	*n = 0;
	if (eat(d, 'u')) {
		d->bad = true;
		return "";
	}
	len = decimal(d);
	eat(d, '_');          /* separates bytes that begin with a digit or _ */
	if (d->bad || len > d->len - d->pos) {
		d->bad = true;
		return "";
	}
	s = d->sym + d->pos;
	d->pos += len;
	*n = len;
	return s;
}

static bool enter(struct v0 *d)
{
	if (++d->depth > MAX_DEPTH || ++d->steps > MAX_STEPS)
		d->bad = true;
	return !d->bad;
}

/* A backreference's target: an earlier position (the 'B' was read). */
static size_t backref(struct v0 *d)
{
	size_t at = d->pos - 1;
	uint64_t target = base62(d);

	if (target >= at)
		d->bad = true;
	return d->bad ? d->pos : (size_t)target;
}

static void print_path(struct v0 *d, bool in_value);
static void print_type(struct v0 *d);
static void print_const(struct v0 *d);

typedef void (*print_fn)(struct v0 *d, bool flag);

/* Prints what the backreference just read points to, then reads on. */
static void at_backref(struct v0 *d, print_fn fn, bool flag)
{
	size_t target = backref(d), back = d->pos;

	if (d->bad)
		return;
	d->pos = target;
	fn(d, flag);
	d->pos = back;
}

static void print_lifetime(struct v0 *d, uint64_t lt)
{
	uint64_t depth;

	if (lt == 0) {
		puts_(d, "'_");
		return;
	}
	if (lt > d->bound_lifetimes) {
		d->bad = true;
		return;
	}
	depth = d->bound_lifetimes - lt;
	if (depth < 26) {
		char name[3] = { '\'', (char)('a' + depth), '\0' };

		puts_(d, name);
	} else {
		putf(d, "'_%" PRIu64, depth);
	}
}

/* A binder's lifetimes, "for<'a, 'b> ": returns how many it bound. */
static uint64_t open_binder(struct v0 *d)
{
	uint64_t count = eat(d, 'G') ? base62(d) + 1 : 0;

	if (count > 1000)
		d->bad = true;
	if (!count || d->bad)
		return 0;
	puts_(d, "for<");
	for (uint64_t i = 0; i < count; i++) {
		if (i)
			puts_(d, ", ");
		d->bound_lifetimes++;
		print_lifetime(d, 1);
	}
	puts_(d, "> ");
	return count;
}

static void print_generic_arg(struct v0 *d)
{
	if (eat(d, 'L'))
		print_lifetime(d, base62(d));
	else if (eat(d, 'K'))
		print_const(d);
	else
		print_type(d);
}

/* Generic arguments up to their 'E', after a '<' already printed. */
static void print_generic_args(struct v0 *d)
{
	for (int i = 0; !eat(d, 'E') && !d->bad; i++) {
		if (i)
			puts_(d, ", ");
		print_generic_arg(d);
	}
}

static void print_path_flag(struct v0 *d, bool in_value)
{
	print_path(d, in_value);
}

static void print_path(struct v0 *d, bool in_value)
{
	const char *name;
	size_t n;
	uint64_t dis;
	char ns;

	if (!enter(d))
		return;
	switch (next(d)) {
	case 'C':                    /* crate root */
		disambiguator(d);
		name = identifier(d, &n);
		put(d, name, n);
		break;
	case 'N':                    /* path::name in a namespace */
		ns = next(d);
		if (!isalpha((unsigned char)ns)) {
			d->bad = true;
			break;
		}
		print_path(d, in_value);
		dis = disambiguator(d);
		name = identifier(d, &n);
		if (isupper((unsigned char)ns)) {
			puts_(d, "::{");
			puts_(d, ns == 'C' ? "closure" : ns == 'S' ? "shim" : (char[]){ ns, '\0' });
			if (n) {
				puts_(d, ":");
				put(d, name, n);
			}
			putf(d, "#%" PRIu64 "}", dis);
		} else if (n) {
			puts_(d, "::");
			put(d, name, n);
		}
		break;
	case 'M':                    /* <T>: an inherent impl */
	case 'X':                    /* <T as Trait>: a trait impl */
		ns = d->sym[d->pos - 1];
		disambiguator(d);
		d->quiet++;          /* the impl's own path: where it was written */
		print_path(d, false);
		d->quiet--;
		puts_(d, "<");
		print_type(d);
		if (ns == 'X') {
			puts_(d, " as ");
			print_path(d, false);
		}
		puts_(d, ">");
		break;
	case 'Y':                    /* <T as Trait>: the trait's own item */
		puts_(d, "<");
		print_type(d);
		puts_(d, " as ");
		print_path(d, false);
		puts_(d, ">");
		break;
	case 'I':                    /* path<args>, path::<args> in a value */
		print_path(d, in_value);
		puts_(d, in_value ? "::<" : "<");
		print_generic_args(d);
		puts_(d, ">");
		break;
	case 'B':
		at_backref(d, print_path_flag, in_value);
		break;
	default:
		d->bad = true;
	}
	d->depth--;
}

static const char *basic_type(char c)
{
	static const char *const names[26] = {
		['a' - 'a'] = "i8",   ['b' - 'a'] = "bool",  ['c' - 'a'] = "char", ['d' - 'a'] = "f64",
		['e' - 'a'] = "str",  ['f' - 'a'] = "f32",   ['h' - 'a'] = "u8",   ['i' - 'a'] = "isize",
		['j' - 'a'] = "usize", ['l' - 'a'] = "i32",  ['m' - 'a'] = "u32",  ['n' - 'a'] = "i128",
		['o' - 'a'] = "u128", ['p' - 'a'] = "_",     ['s' - 'a'] = "i16",  ['t' - 'a'] = "u16",
		['u' - 'a'] = "()",   ['v' - 'a'] = "...",   ['x' - 'a'] = "i64",  ['y' - 'a'] = "u64",
		['z' - 'a'] = "!",
	};

	return c >= 'a' && c <= 'z' ? names[c - 'a'] : NULL;
}

/* A trait path whose generic list stays open for associated types
 * (dyn Iterator<Item = u8>): true when it printed "<..." unclosed. */
static bool print_path_open(struct v0 *d)
{
	size_t back;
	bool open;

	if (!enter(d))
		return false;
	if (eat(d, 'B')) {
		size_t target = backref(d);

		back = d->pos;
		if (d->bad)
			return false;
		d->pos = target;
		open = print_path_open(d);
		d->pos = back;
	} else if (eat(d, 'I')) {
		print_path(d, false);
		puts_(d, "<");
		print_generic_args(d);
		open = true;
	} else {
		print_path(d, false);
		open = false;
	}
	d->depth--;
	return open;
}

static void print_dyn_trait(struct v0 *d)
{
	bool open = print_path_open(d);
	const char *name;
	size_t n;

	while (eat(d, 'p')) {
		puts_(d, open ? ", " : "<");
		open = true;
		name = identifier(d, &n);
		put(d, name, n);
		puts_(d, " = ");
		print_type(d);
	}
	if (open)
		puts_(d, ">");
}

static void print_fn_sig(struct v0 *d)
{
	uint64_t bound = open_binder(d);
	const char *abi;
	size_t n;

	if (eat(d, 'U'))
		puts_(d, "unsafe ");
	if (eat(d, 'K')) {
		puts_(d, "extern \"");
		if (eat(d, 'C')) {
			puts_(d, "C");
		} else {
			abi = identifier(d, &n);
			for (size_t i = 0; i < n; i++)
				put(d, abi[i] == '_' ? "-" : &abi[i], 1);
		}
		puts_(d, "\" ");
	}
	puts_(d, "fn(");
	print_generic_args(d);     /* the parameters: types up to 'E' */
	puts_(d, ")");
	if (!eat(d, 'u')) {        /* a return type other than () */
		puts_(d, " -> ");
		print_type(d);
	}
	d->bound_lifetimes -= bound;
}

static void print_dyn(struct v0 *d)
{
	uint64_t bound;

	puts_(d, "dyn ");
	bound = open_binder(d);
	for (int i = 0; !eat(d, 'E') && !d->bad; i++) {
		if (i)
			puts_(d, " + ");
		print_dyn_trait(d);
	}
	d->bound_lifetimes -= bound;
	if (!eat(d, 'L')) {
		d->bad = true;
		return;
	}
	bound = base62(d);
	if (bound) {
		puts_(d, " + ");
		print_lifetime(d, bound);
	}
}

static void print_type_flag(struct v0 *d, bool unused)
{
	print_type(d);
}

static void print_type(struct v0 *d)
{
	const char *basic;
	char c;
	int n;

	if (!enter(d))
		return;
	c = next(d);
	if ((basic = basic_type(c))) {
		puts_(d, basic);
	} else {
		switch (c) {
		case 'R':
		case 'Q':
			puts_(d, "&");
			if (eat(d, 'L')) {
				uint64_t lt = base62(d);

				if (lt) {
					print_lifetime(d, lt);
					puts_(d, " ");
				}
			}
			if (c == 'Q')
				puts_(d, "mut ");
			print_type(d);
			break;
		case 'P':
		case 'O':
			puts_(d, c == 'P' ? "*const " : "*mut ");
			print_type(d);
			break;
		case 'A':
		case 'S':
			puts_(d, "[");
			print_type(d);
			if (c == 'A') {
				puts_(d, "; ");
				print_const(d);
			}
			puts_(d, "]");
			break;
		case 'T':
			puts_(d, "(");
			for (n = 0; !eat(d, 'E') && !d->bad; n++) {
				if (n)
					puts_(d, ", ");
				print_type(d);
			}
			puts_(d, n == 1 ? ",)" : ")");
			break;
		case 'F':
			print_fn_sig(d);
			break;
		case 'D':
			print_dyn(d);
			break;
		case 'B':
			at_backref(d, print_type_flag, false);
			break;
		default:
			d->pos--;
			print_path(d, false);
		}
	}
	d->depth--;
}

/* A constant's hex digits up to their '_'; *value when they fit. */
static bool const_hex(struct v0 *d, uint64_t *value)
{
	bool fits = true;
	int v;

	*value = 0;
	while (!eat(d, '_')) {
		char c = next(d);

		if (d->bad || !isxdigit((unsigned char)c) || isupper((unsigned char)c)) {
			d->bad = true;
			return false;
		}
		v = isdigit((unsigned char)c) ? c - '0' : c - 'a' + 10;
		if (*value >> 60)
			fits = false;
		*value = *value << 4 | (uint64_t)v;
	}
	return fits;
}

static void print_char_const(struct v0 *d, uint64_t c)
{
	if (c == '\'' || c == '\\') {
		char esc[3] = { '\\', (char)c, '\0' };

		puts_(d, "'");
		puts_(d, esc);
		puts_(d, "'");
	} else if (c >= 0x20 && c < 0x7f) {
		char ch[4] = { '\'', (char)c, '\'', '\0' };

		puts_(d, ch);
	} else {
		putf(d, "'\\u{%" PRIx64 "}'", c);
	}
}

static void print_const_flag(struct v0 *d, bool unused)
{
	print_const(d);
}

static void print_const(struct v0 *d)
{
	uint64_t value;
	bool negative;
	char c;

	if (!enter(d))
		return;
	c = next(d);
	switch (c) {
	case 'p':
		puts_(d, "_");
		break;
	case 'B':
		at_backref(d, print_const_flag, false);
		break;
	case 'a': case 's': case 'l': case 'x': case 'n': case 'i':
	case 'h': case 't': case 'm': case 'y': case 'o': case 'j':
		negative = strchr("aslxni", c) && eat(d, 'n');
		if (const_hex(d, &value))
			putf(d, "%s%" PRIu64, negative ? "-" : "", value);
		else
			puts_(d, negative ? "-{big}" : "{big}");
		break;
	case 'b':
		if (const_hex(d, &value) && value <= 1)
			puts_(d, value ? "true" : "false");
		else
			d->bad = true;
		break;
	case 'c':
		if (const_hex(d, &value) && value <= 0x10ffff)
			print_char_const(d, value);
		else
			d->bad = true;
		break;
	default:                     /* str, arrays, tuples, ADTs: rare, refused */
		d->bad = true;
	}
	d->depth--;
}

static char *demangle_rust_v0(const char *sym)
{
	struct v0 *d = xcalloc(1, sizeof(*d));
	char *out = NULL;

	d->sym = sym;
	d->len = strlen(sym);
	if (!isdigit((unsigned char)peek(d))) {     /* an encoding version: unknown */
		print_path(d, true);
		if (isupper((unsigned char)peek(d))) {  /* the instantiating crate */
			d->quiet++;
			print_path(d, false);
			d->quiet--;
		}
		if (d->pos < d->len && d->sym[d->pos] == '.')
			put_suffix(d, d->sym + d->pos);
		else if (d->pos != d->len)
			d->bad = true;
		if (!d->bad)
			out = xstrdup(d->out);
	}
	free(d);
	return out;
}

/* ---- Rust legacy: _ZN...17h<16 hex digits>E ---- */

static bool is_rust_hash(const char *s, size_t n)
{
	if (n != 17 || s[0] != 'h')
		return false;
	for (size_t i = 1; i < n; i++)
		if (!isxdigit((unsigned char)s[i]))
			return false;
	return true;
}

/* The $...$ escapes of a legacy identifier. */
static const char *legacy_escape(const char *s, size_t n, char *ch)
{
	static const struct { const char *code; char ch; } codes[] = {
		{ "SP", '@' }, { "BP", '*' }, { "RF", '&' }, { "LT", '<' }, { "GT", '>' },
		{ "LP", '(' }, { "RP", ')' }, { "C", ',' },
	};

	for (size_t i = 0; i < sizeof(codes) / sizeof(*codes); i++)
		if (strlen(codes[i].code) == n && !memcmp(codes[i].code, s, n)) {
			*ch = codes[i].ch;
			return ch;
		}
	if (n == 3 && s[0] == 'u' && isxdigit((unsigned char)s[1]) && isxdigit((unsigned char)s[2])) {
		*ch = (char)strtol((char[]){ s[1], s[2], '\0' }, NULL, 16);
		return *ch >= 0x20 && *ch < 0x7f ? ch : NULL;
	}
	return NULL;
}

/* Appends identifier s (n bytes) to out unescaped; false: not Rust's. */
static bool legacy_ident(struct v0 *out, const char *s, size_t n)
{
	char ch;

	if (n >= 2 && s[0] == '_' && s[1] == '$') {
		s++;
		n--;
	}
	for (size_t i = 0; i < n;) {
		if (s[i] == '$') {
			const char *end = memchr(s + i + 1, '$', n - i - 1);

			if (!end || !legacy_escape(s + i + 1, (size_t)(end - s - i - 1), &ch))
				return false;
			put(out, &ch, 1);
			i = (size_t)(end - s) + 1;
		} else if (s[i] == '.' && i + 1 < n && s[i + 1] == '.') {
			puts_(out, "::");
			i += 2;
		} else {
			put(out, &s[i++], 1);
		}
	}
	return !out->bad;
}

static char *demangle_rust_legacy(const char *sym)
{
	struct v0 *d = xcalloc(1, sizeof(*d));
	const char *last = NULL;
	size_t last_n = 0, parts = 0;
	char *out = NULL;

	d->sym = sym;
	d->len = strlen(sym);
	d->pos = 3;                 /* after "_ZN" */
	/* A first pass finds the last part, which must be the hash. */
	while (isdigit((unsigned char)peek(d))) {
		uint64_t n = decimal(d);

		if (d->bad || n > d->len - d->pos)
			break;
		last = d->sym + d->pos;
		last_n = (size_t)n;
		d->pos += (size_t)n;
		parts++;
	}
	if (!d->bad && parts >= 2 && eat(d, 'E') && is_rust_hash(last, last_n)) {
		const char *suffix = d->sym + d->pos;
		bool ok = true;

		d->pos = 3;
		for (size_t i = 0; ok && i + 1 < parts; i++) {
			uint64_t n = decimal(d);

			if (i)
				puts_(d, "::");
			ok = legacy_ident(d, d->sym + d->pos, (size_t)n);
			d->pos += (size_t)n;
		}
		if (ok && (!*suffix || *suffix == '.')) {
			put_suffix(d, suffix);
			if (!d->bad)
				out = xstrdup(d->out);
		}
	}
	free(d);
	return out;
}

/* A gfortran identifier: lowercased (the case it was written in is
 * lost), a letter first. */
static bool fortran_identifier(const char *s, size_t n)
{
	if (!n || !islower((unsigned char)s[0]))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!islower((unsigned char)s[i]) && !isdigit((unsigned char)s[i]) && s[i] != '_')
			return false;
	return true;
}

/* gfortran's module entities, "__<module>_MOD_<name>", read as gdb
 * reads them, "module::name": the upper-case separator is never part of
 * an identifier. */
static char *demangle_fortran_module(const char *symbol)
{
	const char *module = symbol + 2, *sep = strstr(module, "_MOD_");

	if (!sep || !fortran_identifier(module, (size_t)(sep - module)) ||
	    !fortran_identifier(sep + 5, strlen(sep + 5)))
		return NULL;
	return xasprintf("%.*s::%s", (int)(sep - module), module, sep + 5);
}

char *demangle(const char *symbol)
{
	char *name;
	int status = -1;

	if (!symbol)
		return NULL;
	if (!strncmp(symbol, "__", 2))
		return demangle_fortran_module(symbol);
	if (!strncmp(symbol, "_R", 2))
		return demangle_rust_v0(symbol + 2);
	if (strncmp(symbol, "_Z", 2))
		return NULL;
	if (!strncmp(symbol, "_ZN", 3) && (name = demangle_rust_legacy(symbol)))
		return name;
	name = __cxa_demangle(symbol, NULL, NULL, &status);
	if (status) {
		free(name);
		return NULL;
	}
	return name;
}
