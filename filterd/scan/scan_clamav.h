#ifndef FILTERD_SCAN_CLAMAV_H
#define FILTERD_SCAN_CLAMAV_H

/*++
/* NAME
/*	scan_clamav 3h
/* SUMMARY
/*	libclamav in process: one engine, compiled in the master
/* DESCRIPTION
/*	scan_clamav_load() initialises libclamav, loads the signature
/*	directory clamav.database, sets the scan limits and compiles the
/*	engine; the master does this before it forks, so every child shares
/*	the engine's memory copy-on-write. It returns NULL with the reason
/*	in errbuf. scan_clamav_free() releases an engine (the master, after
/*	a reload has built its successor).
/*
/*	scan_clamav() scans the spooled message from its descriptor, with
/*	every parser on (mail, archives, documents), as clamscan would. It
/*	returns SCAN_INFECTED with the signature name in *virname (static
/*	engine memory), SCAN_CLEAN, SCAN_UNCHECKED when a scan limit was
/*	reached (libclamav's Heuristics.Limits.Exceeded), or SCAN_ERROR with
/*	errbuf set.
/* PROCESS
/*	master (load), children and milter (scan).
/*--*/

#include <stddef.h>

#include "scan_result.h"

struct cl_engine;
struct conf;

struct cl_engine *scan_clamav_load(const struct conf *c, unsigned *sigs,
				   char *errbuf, size_t errsize);
void scan_clamav_free(struct cl_engine **ep);
enum scan_verdict scan_clamav(const struct cl_engine *e, int fd,
			      const char **virname, char *errbuf,
			      size_t errsize);

#endif
