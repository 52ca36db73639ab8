/*++
/* NAME
/*	rundirs 3
/* SUMMARY
/*	the directories filterd runs in: made at start, checked by -t
/* DESCRIPTION
/*	See rundirs.h.
/*--*/

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "conf/conf.h"
#include "rundirs.h"
#include "util/msg.h"

/*
 * rundirs_error - why open(dir, O_DIRECTORY | O_NOFOLLOW) failed with
 * errno: a symbolic link gives ELOOP or ENOTDIR, and is named as such.
 */
static const char *
rundirs_error(const char *dir, int err)
{
	struct stat st;

	if (err == ELOOP ||
	    (err == ENOTDIR && lstat(dir, &st) == 0 && S_ISLNK(st.st_mode)))
		return "a symbolic link, not a directory";
	return strerror(err);
}

/*
 * rundirs_open - open dir as a directory, never through a symbolic
 * link, and stat it: the descriptor, or -1 with the reason in err
 */
int
rundirs_open(const char *dir, struct stat *st, char *err, size_t errsize)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd >= 0 && fstat(fd, st) == 0)
		return fd;
	snprintf(err, errsize, "%s: %s", dir, rundirs_error(dir, errno));
	if (fd >= 0)
		close(fd);
	return -1;
}

/* Who owns a directory the master makes. */
enum rundirs_owner {
	RUNDIRS_OWNER_MASTER,	/* run_dir: children write nothing there */
	RUNDIRS_OWNER_CHILDREN, /* tmp_dir, quarantine_dir */
};

/*
 * rundirs_one - make dir (and its parents) with mode, owned as who says.
 * The owner is set through a descriptor opened with O_NOFOLLOW: a
 * symbolic link in place of dir (put there by whoever can write its
 * parent) is refused, not followed to give away what it points to. 0, or
 * -1 with the reason in err.
 */
static int
rundirs_one(const struct conf *c, const char *dir, mode_t mode,
	    enum rundirs_owner who, char *err, size_t errsize)
{
	struct passwd *pw;
	struct stat st;
	char path[4096];
	int fd, rc = 0;

	snprintf(path, sizeof(path), "%s", dir);
	for (char *p = path + 1; *p; p++)
		if (*p == '/') {
			*p = 0;
			(void)mkdir(path, 0755);
			*p = '/';
		}
	if (mkdir(path, mode) < 0 && errno != EEXIST) {
		snprintf(err, errsize, "mkdir %s: %s", dir, strerror(errno));
		return -1;
	}
	if ((fd = rundirs_open(dir, &st, err, errsize)) < 0)
		return -1;
	/* Its mode and owner are about to change: never those of a
	 * directory others share (/tmp, /run/lock), set here by mistake. */
	if (st.st_mode & S_ISVTX) {
		snprintf(err, errsize,
			 "%s: a shared directory (sticky bit): give filterd "
			 "one of its own",
			 dir);
		close(fd);
		return -1;
	}
	/* Nothing of ours is open to others, whatever made the directory
	 * (systemd's RuntimeDirectoryMode, an old package, an admin). */
	if ((st.st_uid == geteuid() || geteuid() == 0) &&
	    (st.st_mode & 07777) != (who == RUNDIRS_OWNER_MASTER
					     ? mode
					     : (st.st_mode & 07770)) &&
	    fchmod(fd,
		   who == RUNDIRS_OWNER_MASTER ? mode : (st.st_mode & 07770)) <
		    0) {
		snprintf(err, errsize, "chmod %s: %s", dir, strerror(errno));
		close(fd);
		return -1;
	}
	if (who == RUNDIRS_OWNER_MASTER) {
		gid_t gid;

		if (rundirs_group(c, &gid, err, errsize) < 0)
			rc = -1;
		else if (gid != (gid_t)-1 &&
			 (st.st_uid != 0 || st.st_gid != gid) &&
			 fchown(fd, 0, gid) < 0) {
			snprintf(err, errsize, "chown %s: %s", dir,
				 strerror(errno));
			rc = -1;
		}
	} else if (geteuid() == 0 && c->user[0]) {
		if ((pw = getpwnam(c->user)) == NULL) {
			snprintf(err, errsize,
				 "parameter user: unknown user \"%s\"",
				 c->user);
			rc = -1;
		} else if ((st.st_uid != pw->pw_uid ||
			    st.st_gid != pw->pw_gid) &&
			   fchown(fd, pw->pw_uid, pw->pw_gid) < 0) {
			snprintf(err, errsize, "chown %s: %s", dir,
				 strerror(errno));
			rc = -1;
		}
	}
	close(fd);
	return rc;
}

/*
 * rundirs_group - the group of run_dir, the scoreboard and the pid file:
 * pdp_group, else user's group; (gid_t)-1 (leave it) when not root or
 * no user. 0, or -1 with the reason in err.
 */
int
rundirs_group(const struct conf *c, gid_t *gid, char *err, size_t errsize)
{
	struct passwd *pw;
	struct group *gr;

	*gid = (gid_t)-1;
	if (geteuid() != 0 || c->user[0] == 0)
		return 0;
	if (c->pdp_group[0]) {
		if ((gr = getgrnam(c->pdp_group)) == NULL) {
			snprintf(err, errsize,
				 "parameter pdp_group: unknown group \"%s\"",
				 c->pdp_group);
			return -1;
		}
		*gid = gr->gr_gid;
	} else if ((pw = getpwnam(c->user)) == NULL) {
		snprintf(err, errsize, "parameter user: unknown user \"%s\"",
			 c->user);
		return -1;
	} else {
		*gid = pw->pw_gid;
	}
	return 0;
}

/*
 * rundirs_make - run_dir, the master's (the children write nothing there:
 * the scoreboard is made by the master, they use its mapping), tmp_dir
 * and quarantine_dir, the children's. 0, or -1 with the reason in err.
 */
int
rundirs_make(const struct conf *c, char *err, size_t errsize)
{
	if (rundirs_one(c, c->run_dir, 0750, RUNDIRS_OWNER_MASTER, err,
			errsize) < 0)
		return -1;
	if (rundirs_one(c, c->tmp_dir, 0700, RUNDIRS_OWNER_CHILDREN, err,
			errsize) < 0)
		return -1;
	return rundirs_one(c, c->quarantine_dir, 0750, RUNDIRS_OWNER_CHILDREN,
			   err, errsize);
}

/*
 * rundirs_check_one - what rundirs_one() meets with dir, nothing made:
 * every existing component is a directory, dir itself is not a symbolic
 * link (rundirs_open(), as the start), and the first missing component
 * can be made in its parent. 0, or -1 with the reason in err.
 */
static int
rundirs_check_one(const char *dir, char *err, size_t errsize)
{
	struct stat st;
	char path[4096];
	int fd;

	snprintf(path, sizeof(path), "%s", dir);
	for (char *p = path + 1;; p++) {
		char c = *p;

		if (c != '/' && c != 0)
			continue;
		*p = 0;
		if (stat(path, &st) < 0) {
			char *slash = strrchr(path, '/');

			if (errno != ENOENT) {
				snprintf(err, errsize, "mkdir %s: %s", dir,
					 strerror(errno));
				return -1;
			}
			/* The start makes it here: the parent must allow. */
			if (slash == path)
				slash[1] = 0;
			else
				*slash = 0;
			if (faccessat(AT_FDCWD, path, W_OK | X_OK, AT_EACCESS) <
			    0) {
				snprintf(err, errsize, "mkdir %s: %s", dir,
					 strerror(errno));
				return -1;
			}
			return 0;
		}
		if (c == 0)
			break;
		if (!S_ISDIR(st.st_mode)) {
			snprintf(err, errsize, "mkdir %s: %s", dir,
				 strerror(ENOTDIR));
			return -1;
		}
		*p = c;
	}
	if ((fd = rundirs_open(dir, &st, err, errsize)) < 0)
		return -1;
	close(fd);
	if (st.st_mode & S_ISVTX) {
		snprintf(err, errsize,
			 "%s: a shared directory (sticky bit): give filterd "
			 "one of its own",
			 dir);
		return -1;
	}
	return 0;
}

/*
 * rundirs_parents - every existing parent of dir can be entered by
 * this process (dir itself is given to the children by the master).
 * 0, or -1 with the reason in err.
 */
static int
rundirs_parents(const char *name, const char *dir, const char *user, char *err,
		size_t errsize)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s", dir);
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (faccessat(AT_FDCWD, path, X_OK, AT_EACCESS) < 0) {
			if (errno == ENOENT)
				return 0; /* made by the master, 0755
					   (umask 022, master_run()) */
			snprintf(
				err, errsize,
				"%s %.300s: user %.64s cannot enter %.300s: %s",
				name, dir, user, path, strerror(errno));
			return -1;
		}
		*p = '/';
	}
	return 0;
}

/* rundirs_add - append the problem why to err, one a line */
static void
rundirs_add(char *err, size_t errsize, const char *why)
{
	size_t len = strlen(err);

	if (len + 1 < errsize)
		snprintf(err + len, errsize - len, "%s%s", len ? "\n" : "",
			 why);
}

/*
 * rundirs_user - the children can reach tmp_dir and quarantine_dir:
 * a process that became the user, as a child does, checks the parents.
 * 0, or -1 with the reason in err.
 */
static int
rundirs_user(const struct conf *c, const struct passwd *pw, char *err,
	     size_t errsize)
{
	size_t got = 0;
	ssize_t n;
	int p[2], status;
	pid_t pid;

	if (pipe(p) < 0) {
		snprintf(err, errsize, "pipe: %s", strerror(errno));
		return -1;
	}
	if ((pid = fork()) < 0) {
		snprintf(err, errsize, "fork: %s", strerror(errno));
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (pid == 0) {
		char why[1024] = "";

		close(p[0]);
		if (setgroups(1, &pw->pw_gid) < 0 ||
		    setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) < 0 ||
		    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) < 0)
			snprintf(why, sizeof(why), "cannot become user %s: %s",
				 c->user, strerror(errno));
		else {
			char q[1024] = "";

			(void)rundirs_parents("tmp_dir", c->tmp_dir, c->user,
					      why, sizeof(why));
			if (rundirs_parents("quarantine_dir", c->quarantine_dir,
					    c->user, q, sizeof(q)) < 0)
				rundirs_add(why, sizeof(why), q);
		}
		if (why[0] && write(p[1], why, strlen(why)) < 0)
			_exit(2);
		_exit(why[0] ? 1 : 0);
	}
	close(p[1]);
	while (got + 1 < errsize &&
	       (n = read(p[0], err + got, errsize - 1 - got)) > 0)
		got += (size_t)n;
	close(p[0]);
	if (errsize)
		err[got < errsize ? got : errsize - 1] = 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (got == 0)
		snprintf(err, errsize,
			 "cannot check the directories as user %s", c->user);
	return -1;
}

/*
 * rundirs_check - what the start needs, checked and nothing made (-t);
 * every problem found is said, one a line
 */
int
rundirs_check(const struct conf *c, char *err, size_t errsize)
{
	const char *const dirs[] = {c->run_dir, c->tmp_dir, c->quarantine_dir};
	struct passwd *pw = NULL;
	char why[1024];
	int rc = 0;

	if (errsize)
		err[0] = 0;
	if (geteuid() == 0 && c->user[0] && (pw = getpwnam(c->user)) == NULL) {
		snprintf(why, sizeof(why),
			 "parameter user: unknown user \"%s\"", c->user);
		rundirs_add(err, errsize, why);
		rc = -1;
	}
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		if (rundirs_check_one(dirs[i], why, sizeof(why)) < 0) {
			rundirs_add(err, errsize, why);
			rc = -1;
		}
	}
	if (pw && pw->pw_uid != 0 &&
	    rundirs_user(c, pw, why, sizeof(why)) < 0) {
		rundirs_add(err, errsize, why);
		rc = -1;
	}
	return rc;
}
