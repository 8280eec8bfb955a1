/* Output files: see include/outfile.h.
 *
 * The "being written" lock is flock(2) on the file itself: SQLite's own
 * locks are POSIX record locks, which Linux keeps apart from flock, so the
 * two never interfere, and the kernel drops ours when numamma dies. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "outfile.h"

/* Files that belong to a SQLite database and move with it. */
static const char *const companions[] = { "-journal", "-wal" };

static bool being_written(const char *path)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	bool locked;

	if (fd < 0)
		return false;
	locked = flock(fd, LOCK_EX | LOCK_NB) < 0 && errno == EWOULDBLOCK;
	close(fd);
	return locked;
}

static bool same_file(const char *a, const char *b)
{
	struct stat sa, sb;

	return stat(a, &sa) == 0 && stat(b, &sb) == 0 &&
	       sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

static int check_directory(const char *path)
{
	char *copy = xstrdup(path);
	int ret = access(dirname(copy), W_OK | X_OK);

	free(copy);
	return ret < 0 ? error_errno("cannot create '%s'", path) : 0;
}

/* A journal with no database beside it (a profile killed, then its file
 * removed): SQLite would apply it to the new database at its first open,
 * and the profile would fail, or hold the older run's rows.  It is the
 * user's to remove, not numamma's. */
static int check_orphan_journals(const char *path)
{
	struct stat st;

	for (size_t i = 0; i < sizeof(companions) / sizeof(companions[0]); i++) {
		char *journal = xasprintf("%s%s", path, companions[i]);
		bool found = lstat(journal, &st) == 0;

		free(journal);
		if (found)
			return error("cannot create '%s': '%s%s' is a journal left without its "
				     "database (a profile killed, then removed?), which SQLite would "
				     "apply to the new one; remove it, or choose another -o",
				     path, path, companions[i]);
	}
	return 0;
}

int outfile_check(const char *path, const char *const *inputs)
{
	struct stat st;

	if (!*path)
		return error("cannot create '': empty file name");
	if (lstat(path, &st) < 0 && check_orphan_journals(path) < 0)
		return -1;
	if (lstat(path, &st) == 0) {
		if (S_ISLNK(st.st_mode))
			return error("cannot create '%s': it is a symbolic link, and numamma "
				     "does not write through links", path);
		if (S_ISDIR(st.st_mode))
			return error("cannot create '%s': %s", path, strerror(EISDIR));
		if (!S_ISREG(st.st_mode))
			return error("cannot create '%s': not a regular file", path);
		if (being_written(path))
			return error("cannot create '%s': another numamma is writing it "
				     "(choose another -o)", path);
	}
	for (; inputs && *inputs; inputs++)
		if (same_file(path, *inputs))
			return error("cannot create '%s': it is also an input of this command", path);
	return check_directory(path);
}

/* to is removed first: renaming over a file makes ext4 write the renamed
 * one's data out at once (auto_da_alloc), and a profile just written
 * has all of it still in memory (7 ms for a small one). */
static int move_aside(const char *from, const char *to)
{
	if (unlink(to) < 0 && errno != ENOENT)
		return error_errno("cannot remove '%s'", to);
	if (rename(from, to) < 0 && errno != ENOENT)
		return error_errno("cannot rename '%s' to '%s'", from, to);
	return 0;
}

/* A journal left next to an older .old must not be applied to the new
 * one: the .old's companions go first. */
static int move_companions(const char *path, const char *old)
{
	int ret = 0;

	for (size_t i = 0; i < sizeof(companions) / sizeof(companions[0]) && !ret; i++) {
		char *from = xasprintf("%s%s", path, companions[i]);
		char *to = xasprintf("%s%s", old, companions[i]);

		ret = move_aside(from, to);
		free(from);
		free(to);
	}
	return ret;
}

static void say_kept(const char *path, const char *old, bool replaced)
{
	fprintf(stderr, "numamma: kept the previous '%s' as '%s'%s\n", path, old,
		replaced ? " (the older one is gone)" : "");
}

int outfile_keep_previous(const char *path, bool quiet)
{
	char *old = xasprintf("%s.old", path);
	struct stat st, st_old;
	bool replaced = lstat(old, &st_old) == 0;
	int ret = 0;

	if (lstat(path, &st) < 0 || !S_ISREG(st.st_mode))
		goto out;
	if (replaced && !S_ISREG(st_old.st_mode))
		ret = error("cannot keep '%s' as '%s': that is not a regular file", path, old);
	else if (!(ret = move_companions(path, old)) && !(ret = move_aside(path, old)) && !quiet)
		say_kept(path, old, replaced);
out:
	free(old);
	return ret;
}

/* Does any journal belong to path or to its .old? */
static bool has_companions(const char *path, const char *old)
{
	struct stat st;
	bool found = false;

	for (size_t i = 0; i < sizeof(companions) / sizeof(companions[0]) && !found; i++) {
		char *a = xasprintf("%s%s", path, companions[i]);
		char *b = xasprintf("%s%s", old, companions[i]);

		found = lstat(a, &st) == 0 || lstat(b, &st) == 0;
		free(a);
		free(b);
	}
	return found;
}

/* The older .old again, from the descriptor held: its bytes, mode, owner
 * and times (its inode is a new one). */
static int put_back_older(const char *old, int fd, const struct stat *st)
{
	int to = open(old, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, st->st_mode & 07777);
	char buf[65536];
	off_t at = 0;
	ssize_t n = 0;

	if (to < 0)
		return error_errno("cannot put '%s' back", old);
	while ((n = pread(fd, buf, sizeof(buf), at)) > 0 && write(to, buf, (size_t)n) == n)
		at += n;
	if (n != 0) {
		error_errno("cannot put '%s' back", old);
		close(to);
		return -1;
	}
	if (fchown(to, st->st_uid, st->st_gid) < 0 && errno != EPERM)
		error_errno("cannot give '%s' back its owner", old);
	futimens(to, (const struct timespec[2]){ st->st_atim, st->st_mtim });
	return close(to);
}

int outfile_keep_undoably(const char *path, struct outfile_keep *k)
{
	char *old = xasprintf("%s.old", path);
	struct stat st, st_old;
	bool replaced = lstat(old, &st_old) == 0;
	int ret = 0;

	k->older_fd = -1;
	k->moved = k->replaced = false;
	if (lstat(path, &st) < 0 || !S_ISREG(st.st_mode) ||
	    (replaced && !S_ISREG(st_old.st_mode)) || has_companions(path, old))
		goto out;
	/* An older .old this user may not read (only remove): kept the
	 * usual way, later. */
	if (replaced && ((k->older_fd = open(old, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0 ||
			 fstat(k->older_fd, &k->older) < 0))
		goto out;
	if ((ret = move_aside(path, old)) < 0) {
		if (k->older_fd >= 0 && lstat(old, &st_old) < 0)
			put_back_older(old, k->older_fd, &k->older);
		goto out;
	}
	k->moved = true;
	k->replaced = replaced;
	ret = 1;
out:
	if (ret <= 0 && k->older_fd >= 0) {
		close(k->older_fd);
		k->older_fd = -1;
	}
	free(old);
	return ret;
}

void outfile_keep_commit(const char *path, struct outfile_keep *k, bool quiet)
{
	char *old = xasprintf("%s.old", path);

	if (k->moved && !quiet)
		say_kept(path, old, k->replaced);
	if (k->older_fd >= 0)
		close(k->older_fd);
	k->older_fd = -1;
	k->moved = false;
	free(old);
}

void outfile_keep_undo(const char *path, struct outfile_keep *k)
{
	char *old = xasprintf("%s.old", path);

	if (k->moved) {
		if (rename(old, path) < 0)
			error_errno("cannot put '%s' back from '%s'", path, old);
		else if (k->older_fd >= 0)
			put_back_older(old, k->older_fd, &k->older);
	}
	if (k->older_fd >= 0)
		close(k->older_fd);
	k->older_fd = -1;
	k->moved = false;
	free(old);
}

int outfile_create(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);

	if (fd < 0) {
		if (errno == EEXIST)
			return error("cannot create '%s': it appeared meanwhile (another "
				     "numamma?)", path);
		return error_errno("cannot create '%s'", path);
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		error_errno("cannot lock '%s'", path);
		close(fd);
		unlink(path);
		return -1;
	}
	return fd;
}
