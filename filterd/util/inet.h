#ifndef FILTERD_INET_H
#define FILTERD_INET_H

/*++
/* NAME
/*	inet 3h
/* SUMMARY
/*	addresses, networks, listening and connecting sockets
/* DESCRIPTION
/*	inet_split_hostport() splits "host:port", "[v6addr]:port" (an
/*	optional "smtp:" prefix, as amavis writes next hops, is skipped)
/*	into host and port, written to caller buffers. Returns 0 or -1.
/*
/*	A struct cidr is a network: cidr_parse() reads "addr" or
/*	"addr/bits" (IPv4 or IPv6), returning 0 or -1 with *error_r set to
/*	a static description. cidr_match() tells whether a textual address
/*	(IPv4, IPv6, or IPv4-mapped IPv6, with an optional "IPv6:" prefix as
/*	in XFORWARD) lies in the network.
/*
/*	inet_listen() binds and listens with the given backlog, returning
/*	the descriptor or -1 with the reason in errbuf.
/*	inet_listen_check() tells, without taking the port, whether
/*	inet_listen() could bind host:port in this process: host resolves
/*	to an address of this machine (a bind to it with port 0), and a
/*	port below ip_unprivileged_port_start is bound only by root or with
/*	CAP_NET_BIND_SERVICE. A port in use passes (filterd -t runs beside
/*	the instance that holds it). 0, or -1 with the reason in errbuf.
/*	unix_listen() makes a listening unix stream socket at path, mode
/*	0660, owned by uid:gid unless uid is (uid_t)-1. It is bound and
/*	owned under a name of its own and renamed to path when ready, so
/*	a client finds no socket or one that takes connections; a socket
/*	left at path that nobody accepts on (a dead run's) is replaced; one
/*	that a live server accepts on (another instance's: "in use", as a
/*	port in use) and a file of another kind are errors.
/*	Returns the descriptor or -1 with the reason in errbuf.
/*	inet_connect()
/*	connects with a timeout to each address of host in turn, sets
/*	TCP_NODELAY and returns the descriptor, non-blocking, or -1 with the
/*	reason in errbuf. inet_peer() gives the peer's numeric address and
/*	port.
/*--*/

#include <stddef.h>
#include <sys/types.h>

struct cidr {
	int family;
	unsigned char addr[16];
	int bits;
};

int inet_split_hostport(const char *spec, char *host, size_t hsize, char *port,
			size_t psize);
int cidr_parse(const char *text, struct cidr *net, const char **error_r);
int cidr_match(const struct cidr *net, const char *addr);
int cidr_list_match(const struct cidr *nets, size_t n, const char *addr);

int inet_listen(const char *host, const char *port, int backlog, char *errbuf,
		size_t errsize);
int unix_listen(const char *path, int backlog, uid_t uid, gid_t gid,
		char *errbuf, size_t errsize);
int inet_listen_check(const char *host, const char *port, char *errbuf,
		      size_t errsize);
int inet_connect(const char *host, const char *port, int timeout, char *errbuf,
		 size_t errsize);
void inet_peer(int fd, char *addr, size_t asize, int *port);

#endif
