/*++
/* NAME
/*	status 3
/* SUMMARY
/*	child to master status messages
/*--*/

#include <errno.h>
#include <unistd.h>

#include "status.h"

/* status_send - tell the master our state */
void
status_send(int fd, pid_t pid, enum status_state state)
{
	struct status_msg m = {pid, (int)state};

	while (write(fd, &m, sizeof(m)) < 0 && errno == EINTR)
		;
}

/* status_recv - read waiting records (the read end is non-blocking) */
int
status_recv(int fd, struct status_msg *out, int max)
{
	ssize_t n;

	do
		n = read(fd, out, sizeof(*out) * (size_t)max);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == EAGAIN ? 0 : -1;
	if (n == 0)
		return -1;
	return (int)((size_t)n / sizeof(*out));
}
