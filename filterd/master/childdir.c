/*++
/* NAME
/*	childdir 3
/* SUMMARY
/*	the private directory of each child under tmp_dir
/* DESCRIPTION
/*	See childdir.h. unlinkat(2) without AT_REMOVEDIR removes a file or
/*	a symbolic link and fails with EISDIR on a directory, which is then
/*	opened with O_NOFOLLOW (a link swapped in meanwhile is not entered)
/*	and emptied first.
/*--*/

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "childdir.h"
#include "util/xalloc.h"

/* The longest "child.PID". */
#define CHILDDIR_NAME_MAX (sizeof(CHILDDIR_PREFIX) + 24)

/* childdir_name - "child.PID", the one place that spells it */
static void
childdir_name(char *name, size_t size, pid_t pid)
{
	snprintf(name, size, "%s%ld", CHILDDIR_PREFIX, (long)pid);
}

/* childdir_path - "parent/child.PID" */
char *
childdir_path(const char *parent, pid_t pid)
{
	size_t size = strlen(parent) + 1 + CHILDDIR_NAME_MAX;
	char name[CHILDDIR_NAME_MAX], *path = xmalloc(size);

	childdir_name(name, sizeof(name), pid);
	snprintf(path, size, "%s/%s", parent, name);
	return path;
}

/* childdir_rm_at - remove name in dir_fd and all below it; 0 or -1 */
static int
childdir_rm_at(int dir_fd, const char *name, int depth, char *errbuf,
	       size_t errsize)
{
	struct dirent *e;
	DIR *d;
	int fd, rc = 0;

	if (unlinkat(dir_fd, name, 0) == 0 || errno == ENOENT)
		return 0;
	if (errno != EISDIR) {
		snprintf(errbuf, errsize, "unlink %s: %s", name,
			 strerror(errno));
		return -1;
	}
	if (depth >= CHILDDIR_MAX_DEPTH) {
		snprintf(errbuf, errsize, "%s: more than %d levels deep", name,
			 CHILDDIR_MAX_DEPTH);
		return -1;
	}
	fd = openat(dir_fd, name,
		    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		snprintf(errbuf, errsize, "open %s: %s", name, strerror(errno));
		return -1;
	}
	if ((d = fdopendir(fd)) == NULL) {
		snprintf(errbuf, errsize, "fdopendir %s: %s", name,
			 strerror(errno));
		close(fd);
		return -1;
	}
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (childdir_rm_at(fd, e->d_name, depth + 1, errbuf, errsize) <
		    0)
			rc = -1;
	}
	closedir(d);
	if (rc == 0 && unlinkat(dir_fd, name, AT_REMOVEDIR) < 0 &&
	    errno != ENOENT) {
		snprintf(errbuf, errsize, "rmdir %s: %s", name,
			 strerror(errno));
		rc = -1;
	}
	return rc;
}

/* childdir_remove - remove parent/child.PID and all in it */
int
childdir_remove(const char *parent, pid_t pid, char *errbuf, size_t errsize)
{
	char name[CHILDDIR_NAME_MAX], why[512];
	int fd, rc;

	childdir_name(name, sizeof(name), pid);
	fd = open(parent, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		snprintf(errbuf, errsize, "open %s: %s", parent,
			 strerror(errno));
		return -1;
	}
	if ((rc = childdir_rm_at(fd, name, 0, why, sizeof(why))) < 0)
		snprintf(errbuf, errsize, "remove %s/%s: %s", parent, name,
			 why);
	close(fd);
	return rc;
}

/* childdir_clean - remove every child.* entry of parent_fd */
int
childdir_clean(int parent_fd, char *errbuf, size_t errsize)
{
	struct dirent *e;
	char why[512];
	int fd, n = 0, failed = 0;
	DIR *d;

	/* A descriptor of its own: the caller's keeps its offset. */
	if ((fd = openat(parent_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) <
		    0 ||
	    (d = fdopendir(fd)) == NULL) {
		snprintf(errbuf, errsize, "open: %s", strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	while ((e = readdir(d)) != NULL) {
		if (strncmp(e->d_name, CHILDDIR_PREFIX,
			    sizeof(CHILDDIR_PREFIX) - 1) != 0)
			continue;
		if (childdir_rm_at(fd, e->d_name, 0, why, sizeof(why)) < 0) {
			if (!failed)
				snprintf(errbuf, errsize, "remove %s: %s",
					 e->d_name, why);
			failed = 1;
		} else {
			n++;
		}
	}
	closedir(d);
	return failed ? -1 : n;
}
