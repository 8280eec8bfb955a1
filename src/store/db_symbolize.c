/* Post-run symbolisation of the code locations.  Kept apart from db.c so
 * that the database does not depend on the ELF/DWARF readers. */
#include <stdlib.h>
#include <string.h>

#include "db_int.h"
#include "error.h"
#include "symbolize.h"

/* A code location still without a function name. */
struct unknown_frame {
	int64_t id;             /* locations.id */
	char *path, *module;    /* the module's file, and its build */
	int64_t offset;
};

struct unknown_frames {
	struct unknown_frame *v;
	size_t n, cap;
};

static char *column_strdup(sqlite3_stmt *st, int col)
{
	const char *s = (const char *)sqlite3_column_text(st, col);

	return s ? xstrdup(s) : NULL;
}

/* A module's file: modules.path, one per module. */
struct module_file {
	char *module, *path;
};

struct module_files {
	struct module_file *v;
	size_t n, last;         /* last: the previous answer (rows come by module) */
};

static void read_module_files(struct nm_db *db, struct module_files *out)
{
	sqlite3_stmt *st = db_prepare(db, "SELECT module, min(path) FROM modules GROUP BY module");

	while (sqlite3_step(st) == SQLITE_ROW) {
		if (sqlite3_column_type(st, 1) == SQLITE_NULL)
			continue;
		out->v = xrealloc(out->v, (out->n + 1) * sizeof(*out->v));
		out->v[out->n++] = (struct module_file){ column_strdup(st, 0), column_strdup(st, 1) };
	}
	sqlite3_finalize(st);
}

/* The file of module, or NULL; a module named by its path (no build-id)
 * is its own file. */
static const char *file_of(struct module_files *f, const char *module)
{
	for (size_t k = 0; k < f->n; k++) {
		size_t i = (f->last + k) % f->n;

		if (!strcmp(f->v[i].module, module)) {
			f->last = i;
			return f->v[i].path;
		}
	}
	return strncmp(module, "buildid:", 8) ? module : NULL;
}

static void free_module_files(struct module_files *f)
{
	for (size_t i = 0; i < f->n; i++) {
		free(f->v[i].module);
		free(f->v[i].path);
	}
	free(f->v);
}

/* Collected before updating: locations must not change under the query
 * that walks them.  The modules' files are read first and matched here:
 * a join with them cost gcc's 2,000 locations 1.5 ms of the 2 after the
 * program ended.  A read error ends the list with a warning:
 * symbolisation is best effort, and what was read can still be named. */
static void collect_unknown(struct nm_db *db, struct unknown_frames *out)
{
	sqlite3_stmt *st = db_prepare(db, "SELECT id, offset, module FROM locations"
				      " WHERE function IS NULL AND module IS NOT NULL");
	struct module_files files = { 0 };
	int rc;

	read_module_files(db, &files);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *module = (const char *)sqlite3_column_text(st, 2);
		const char *path = file_of(&files, module);
		struct unknown_frame *u;

		/* Read while the program ran, with no name for it. */
		if (!path || db_location_nameless(db, sqlite3_column_int64(st, 0)))
			continue;
		if (out->n == out->cap) {
			out->cap = out->cap ? 2 * out->cap : 256;
			out->v = xrealloc(out->v, out->cap * sizeof(*out->v));
		}
		u = &out->v[out->n++];
		u->id = sqlite3_column_int64(st, 0);
		u->offset = sqlite3_column_int64(st, 1);
		u->path = xstrdup(path);
		u->module = xstrdup(module);
	}
	if (rc != SQLITE_DONE)
		warning("%s: cannot read the frames to symbolise: %s", db_path(db),
			sqlite3_errmsg(db_sqlite(db)));
	sqlite3_finalize(st);
	free_module_files(&files);
}

static void update_location(struct nm_db *db, sqlite3_stmt *st, const struct unknown_frame *u,
			    const struct sym_info *si)
{
	if (si->function)
		sqlite3_bind_text(st, 1, si->function, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, si->func_offset);
	if (si->file) {
		sqlite3_bind_text(st, 3, si->file, -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 4, si->line);
	}
	if (si->call_file) {
		sqlite3_bind_text(st, 5, si->call_file, -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 6, si->call_line);
	}
	sqlite3_bind_int64(st, 7, u->id);
	if (sqlite3_step(st) != SQLITE_DONE)
		die("cannot name code locations: %s", sqlite3_errmsg(db_sqlite(db)));
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

static void symbolize_locations(struct nm_db *db, void *unused)
{
	struct unknown_frames unknown = { 0 };
	struct symbolizer *sym;
	sqlite3_stmt *st;

	sym = db_new_module_arg(db);
	collect_unknown(db, &unknown);
	if (!unknown.n) {
		symbolizer_free(sym);
		return;
	}
	debug("%zu code locations left to name", unknown.n);
	if (!sym)
		sym = symbolizer_new();
	st = db_prepare(db, "UPDATE locations SET function = ?, func_offset = ?, file = ?, line = ?,"
			" call_file = ?, call_line = ? WHERE id = ?");
	for (size_t i = 0; i < unknown.n; i++) {
		struct unknown_frame *u = &unknown.v[i];
		struct sym_info si = { 0 };

		if (symbolize(sym, u->path, u->module, u->offset, &si) == 0 && (si.function || si.file))
			update_location(db, st, u, &si);
		sym_info_free(&si);
		free(u->path);
		free(u->module);
	}
	sqlite3_finalize(st);
	symbolizer_free(sym);
	free(unknown.v);
}

static void prefetch(void *symbolizer, const char *path, const char *module)
{
	symbolizer_prefetch(symbolizer, path, module);
}

static void warm(void *symbolizer, const char *path, const char *module, uint64_t offset)
{
	symbolizer_warm(symbolizer, path, module, offset);
}

static void name_if_read(void *symbolizer, const char *path, const char *module, uint64_t offset,
			 struct db_location_name *out)
{
	struct sym_info si;
	int rc = symbolize_if_read(symbolizer, path, module, offset, &si);

	if (rc == 0)
		*out = (struct db_location_name){ si.function, si.func_offset, si.file, si.line,
						  si.call_file, si.call_line, false };
	else
		sym_info_free(&si);
	out->nameless = rc == 1;
}

static void free_symbolizer(void *symbolizer)
{
	symbolizer_free(symbolizer);
}

void db_symbolize_early(struct nm_db *db, bool speculate)
{
	static const struct db_module_hooks hooks = {
		.opened = prefetch, .seen = warm, .name = name_if_read, .free = free_symbolizer,
	};

	struct symbolizer *symbolizer = symbolizer_new();

	if (speculate)
		symbolizer_prefetch_libc(symbolizer);
	db_on_new_module(db, &hooks, symbolizer, speculate);
}

/* One transaction: a name per code location, which every stack through
 * it shows (a profile whose numamma died has none). */
void db_symbolize(struct nm_db *db)
{
	db_transaction(db, symbolize_locations, NULL);
}
