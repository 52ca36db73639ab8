/*++
/* NAME
/*	inet 3
/* SUMMARY
/*	addresses, networks, listening and connecting sockets
/*--*/

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include "inet.h"

#define INET_UNPRIV_START "/proc/sys/net/ipv4/ip_unprivileged_port_start"

/* inet_split_hostport - "host:port" or "[host]:port" into its parts */
int
inet_split_hostport(const char *spec, char *host, size_t hsize, char *port,
		    size_t psize)
{
	const char *p = spec, *end, *colon;
	size_t hlen;

	if (strncasecmp(p, "smtp:", 5) == 0)
		p += 5;
	if (*p == '[') {
		end = strchr(p, ']');
		if (end == NULL || end[1] != ':')
			return -1;
		p++;
		hlen = (size_t)(end - p);
		colon = end + 1;
	} else {
		colon = strrchr(p, ':');
		if (colon == NULL || memchr(p, ':', (size_t)(colon - p)))
			return -1;
		hlen = (size_t)(colon - p);
	}
	if (hlen == 0 || hlen >= hsize || colon[1] == 0 ||
	    strlen(colon + 1) >= psize ||
	    strspn(colon + 1, "0123456789") != strlen(colon + 1))
		return -1;
	memcpy(host, p, hlen);
	host[hlen] = 0;
	strcpy(port, colon + 1);
	return 0;
}

/* cidr_addr - textual address to family and bytes; 0 or -1 */
static int
cidr_addr(const char *text, int *family, unsigned char *addr)
{
	if (strncasecmp(text, "IPv6:", 5) == 0)
		text += 5;
	if (inet_pton(AF_INET, text, addr) == 1) {
		*family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, text, addr) == 1) {
		static const unsigned char mapped[12] = {
			0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

		if (memcmp(addr, mapped, 12) == 0) {
			memmove(addr, addr + 12, 4);
			*family = AF_INET;
		} else {
			*family = AF_INET6;
		}
		return 0;
	}
	return -1;
}

/* cidr_parse - "addr[/bits]" into a network */
int
cidr_parse(const char *text, struct cidr *net, const char **error_r)
{
	char tmp[INET6_ADDRSTRLEN + 8];
	const char *slash = strchr(text, '/');
	size_t alen = slash ? (size_t)(slash - text) : strlen(text);
	int max;

	memset(net, 0, sizeof(*net));
	if (alen >= sizeof(tmp) || (memcpy(tmp, text, alen), tmp[alen] = 0,
				    cidr_addr(tmp, &net->family, net->addr))) {
		*error_r = "not an IPv4 or IPv6 address";
		return -1;
	}
	max = net->family == AF_INET ? 32 : 128;
	net->bits = max;
	if (slash) {
		char *end;
		long bits = strtol(slash + 1, &end, 10);

		if (slash[1] == 0 || *end || bits < 0 || bits > max) {
			*error_r = "bad network mask length";
			return -1;
		}
		net->bits = (int)bits;
	}
	return 0;
}

/* cidr_match - is addr inside net? */
int
cidr_match(const struct cidr *net, const char *addr)
{
	unsigned char a[16];
	int family, full, rest;

	if (cidr_addr(addr, &family, a) < 0 || family != net->family)
		return 0;
	full = net->bits / 8;
	rest = net->bits % 8;
	if (memcmp(a, net->addr, (size_t)full) != 0)
		return 0;
	if (rest) {
		unsigned char mask = (unsigned char)(0xff << (8 - rest));

		if ((a[full] & mask) != (net->addr[full] & mask))
			return 0;
	}
	return 1;
}

/* cidr_list_match - is addr inside any of n networks? */
int
cidr_list_match(const struct cidr *nets, size_t n, const char *addr)
{
	for (size_t i = 0; i < n; i++)
		if (cidr_match(nets + i, addr))
			return 1;
	return 0;
}

/* inet_listen - bind and listen on host:port */
int
inet_listen(const char *host, const char *port, int backlog, char *errbuf,
	    size_t errsize)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM,
				 .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
	struct addrinfo *res;
	int fd, on = 1, off = 0, rc;

	if ((rc = getaddrinfo(host, port, &hints, &res)) != 0) {
		snprintf(errbuf, errsize, "%s: %s", host, gai_strerror(rc));
		return -1;
	}
	fd = socket(res->ai_family, res->ai_socktype | SOCK_CLOEXEC, 0);
	/* [::] takes IPv4 too, whatever net.ipv6.bindv6only says: the
	 * rule conf.c checks listeners' collisions by. */
	if (fd < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) < 0 ||
	    (res->ai_family == AF_INET6 &&
	     setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off)) <
		     0) ||
	    bind(fd, res->ai_addr, res->ai_addrlen) < 0 ||
	    listen(fd, backlog) < 0) {
		snprintf(errbuf, errsize, "%s:%s: %s", host, port,
			 strerror(errno));
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	return fd;
}

/*
 * unix_alive - does a server accept connections on the socket at path?
 * A socket file nobody listens on (a dead run's) refuses at once; a live
 * server accepts, or has its backlog full (EAGAIN).
 */
static int
unix_alive(const char *path)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	int fd, rc;

	if (strlen(path) >= sizeof(sun.sun_path))
		return 0;
	memcpy(sun.sun_path, path, strlen(path));
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	rc = connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0 ||
	     errno == EAGAIN || errno == EINPROGRESS;
	(void)close(fd);
	return rc;
}

/*
 * unix_listen - a listening unix socket at path, owned by uid:gid
 * ((uid_t)-1: as created), mode 0660, that appears there only whole;
 * never over a socket a live server accepts on (another instance's)
 */
int
unix_listen(const char *path, int backlog, uid_t uid, gid_t gid, char *errbuf,
	    size_t errsize)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	struct stat st;
	mode_t old;
	int fd, rc;

	/* Bound and made ready under a name of its own, then renamed over
	 * path: a client never finds a socket that refuses it or has the
	 * wrong owner, and a stale socket is replaced in one step. */
	if ((size_t)snprintf(sun.sun_path, sizeof(sun.sun_path), "%s.%ld", path,
			     (long)getpid()) >= sizeof(sun.sun_path)) {
		snprintf(errbuf, errsize, "%s: path too long", path);
		return -1;
	}
	if (lstat(path, &st) == 0 && !S_ISSOCK(st.st_mode)) {
		snprintf(errbuf, errsize, "%s: exists and is not a socket",
			 path);
		return -1;
	}
	/* As a port in use: a second instance must not take it over. */
	if (lstat(path, &st) == 0 && unix_alive(path)) {
		snprintf(errbuf, errsize,
			 "%s: in use: a running server accepts on it", path);
		return -1;
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0) {
		snprintf(errbuf, errsize, "%s: %s", path, strerror(errno));
		return -1;
	}
	(void)unlink(sun.sun_path);
	old = umask(0117);
	rc = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
	(void)umask(old);
	if (rc < 0 || listen(fd, backlog) < 0 ||
	    (uid != (uid_t)-1 && chown(sun.sun_path, uid, gid) < 0) ||
	    rename(sun.sun_path, path) < 0) {
		snprintf(errbuf, errsize, "%s: %s",
			 rc < 0 ? path : sun.sun_path, strerror(errno));
		if (rc == 0)
			(void)unlink(sun.sun_path);
		(void)close(fd);
		return -1;
	}
	return fd;
}

/* inet_may_bind_low - may this process bind a port below
 * ip_unprivileged_port_start (1024 unless the sysctl says otherwise)? */
static int
inet_may_bind_low(void)
{
	struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct data[2] = {{0}};

	/* Being uid 0 is not enough: a unit's CapabilityBoundingSet or a
	 * container may have taken the capability away. */
	if (syscall(SYS_capget, &hdr, data) < 0)
		return 0;
	return (data[0].effective & (1u << CAP_NET_BIND_SERVICE)) != 0;
}

/* inet_unpriv_start - the first port anyone may bind (1024 if unknown) */
static long
inet_unpriv_start(void)
{
	FILE *fp = fopen(INET_UNPRIV_START, "r");
	long start = 1024;

	if (fp) {
		if (fscanf(fp, "%ld", &start) != 1)
			start = 1024;
		fclose(fp);
	}
	return start;
}

/* inet_listen_check - could this process listen on host:port? */
int
inet_listen_check(const char *host, const char *port, char *errbuf,
		  size_t errsize)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM,
				 .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
	struct addrinfo *res;
	struct sockaddr_storage any;
	long num = strtol(port, NULL, 10), start;
	int fd, rc, ret = 0;

	if ((rc = getaddrinfo(host, port, &hints, &res)) != 0) {
		snprintf(errbuf, errsize, "%s: %s", host, gai_strerror(rc));
		return -1;
	}
	/* Port 0: no conflict with an instance that holds the real one. */
	memcpy(&any, res->ai_addr, res->ai_addrlen);
	if (any.ss_family == AF_INET6)
		((struct sockaddr_in6 *)&any)->sin6_port = 0;
	else
		((struct sockaddr_in *)&any)->sin_port = 0;
	fd = socket(res->ai_family, res->ai_socktype | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&any, res->ai_addrlen) < 0) {
		if (errno == EADDRNOTAVAIL)
			snprintf(errbuf, errsize,
				 "%s is not an address of this machine", host);
		else
			snprintf(errbuf, errsize, "%s: %s", host,
				 strerror(errno));
		ret = -1;
	}
	if (fd >= 0)
		close(fd);
	freeaddrinfo(res);
	if (ret == 0 && num > 0 && num < (start = inet_unpriv_start()) &&
	    !inet_may_bind_low()) {
		snprintf(errbuf, errsize,
			 "port %ld is below %ld (" INET_UNPRIV_START
			 "): binding it needs CAP_NET_BIND_SERVICE, which this "
			 "process lacks",
			 num, start);
		ret = -1;
	}
	return ret;
}

/* inet_connect_one - connect one address with a timeout */
static int
inet_connect_one(const struct addrinfo *ai, int timeout, int *err)
{
	struct pollfd pfd;
	socklen_t len = sizeof(*err);
	int fd, on = 1;

	fd = socket(ai->ai_family,
		    ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		*err = errno;
		return -1;
	}
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
		if (errno != EINPROGRESS) {
			*err = errno;
			close(fd);
			return -1;
		}
		pfd.fd = fd;
		pfd.events = POLLOUT;
		if (poll(&pfd, 1, timeout > 0 ? timeout * 1000 : -1) <= 0) {
			*err = ETIMEDOUT;
			close(fd);
			return -1;
		}
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, err, &len) < 0 ||
		    *err != 0) {
			close(fd);
			return -1;
		}
	}
	/* The final dot must not wait for a delayed ACK (DESIGN.md). */
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
	return fd;
}

/* inet_connect - connect to host:port, each address in turn */
int
inet_connect(const char *host, const char *port, int timeout, char *errbuf,
	     size_t errsize)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM,
				 .ai_flags = AI_NUMERICSERV};
	struct addrinfo *res, *ai;
	int fd = -1, err = 0, rc;

	if ((rc = getaddrinfo(host, port, &hints, &res)) != 0) {
		snprintf(errbuf, errsize, "%s: %s", host, gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai && fd < 0; ai = ai->ai_next)
		fd = inet_connect_one(ai, timeout, &err);
	freeaddrinfo(res);
	if (fd < 0)
		snprintf(errbuf, errsize, "connect to [%s]:%s: %s", host, port,
			 strerror(err));
	return fd;
}

/* inet_peer - numeric address and port of the other end */
void
inet_peer(int fd, char *addr, size_t asize, int *port)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	snprintf(addr, asize, "0.0.0.0");
	*port = 0;
	if (getpeername(fd, (struct sockaddr *)&ss, &len) < 0)
		return;
	if (getnameinfo((struct sockaddr *)&ss, len, addr, (socklen_t)asize,
			NULL, 0, NI_NUMERICHOST) != 0)
		snprintf(addr, asize, "0.0.0.0");
	if (ss.ss_family == AF_INET)
		*port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	else if (ss.ss_family == AF_INET6)
		*port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	/* Report IPv4-mapped IPv6 peers as plain IPv4. */
	if (strncmp(addr, "::ffff:", 7) == 0 && strchr(addr + 7, '.'))
		memmove(addr, addr + 7, strlen(addr + 7) + 1);
}
