/* Build step: the empty profile, as the bytes of a SQLite file, for
 * db_create() to copy (src/store/schema_image.S embeds them).  The same
 * SQL (src/store/schema.c) and version (DB_SCHEMA_VERSION) as a profile
 * created statement by statement; test-db checks that they agree.
 *
 * Usage: tools/schema-image FILE */
#include <stdio.h>

#include "db_int.h"

static int fail(sqlite3 *db, const char *what)
{
	fprintf(stderr, "schema-image: %s: %s\n", what, db ? sqlite3_errmsg(db) : "out of memory");
	return 1;
}

int main(int argc, char **argv)
{
	sqlite3 *db = NULL;
	sqlite3_int64 size = 0;
	unsigned char *image;
	char version[64];
	FILE *out;

	if (argc != 2) {
		fprintf(stderr, "usage: schema-image FILE\n");
		return 2;
	}
	snprintf(version, sizeof(version), "PRAGMA user_version = %d", DB_SCHEMA_VERSION);
	if (sqlite3_open(":memory:", &db) != SQLITE_OK)
		return fail(db, "cannot open a database in memory");
	if (sqlite3_exec(db, db_schema_sql, NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_exec(db, version, NULL, NULL, NULL) != SQLITE_OK)
		return fail(db, "cannot create the schema");
	image = sqlite3_serialize(db, "main", &size, 0);
	if (!image)
		return fail(db, "cannot serialize the database");
	/* The header's file format versions (offsets 18 and 19) at 2: the
	 * profile opens in WAL mode, which db_create() would otherwise switch
	 * to through a rollback journal created, written and deleted. */
	image[18] = image[19] = 2;
	out = fopen(argv[1], "wb");
	if (!out || fwrite(image, 1, (size_t)size, out) != (size_t)size || fclose(out)) {
		perror(argv[1]);
		return 1;
	}
	sqlite3_free(image);
	sqlite3_close(db);
	return 0;
}
