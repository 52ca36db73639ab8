#ifndef FILTERD_LE_H
#define FILTERD_LE_H

/*++
/* NAME
/*	le 3h
/* SUMMARY
/*	little-endian numbers in bytes of a file
/* SYNOPSIS
/*	#include "util/le.h"
/*
/*	unsigned le16(const unsigned char *p);
/*	uint32_t le32(const unsigned char *p);
/*	uint64_t le64(const unsigned char *p);
/* DESCRIPTION
/*	The number stored least significant byte first at p (2, 4 or 8
/*	bytes, which the caller has checked are there): zip, TNEF, PE and
/*	gzip headers store theirs so.
/*--*/

#include <stdint.h>

static inline unsigned
le16(const unsigned char *p)
{
	return (unsigned)p[0] | (unsigned)p[1] << 8;
}

static inline uint32_t
le32(const unsigned char *p)
{
	return (uint32_t)le16(p) | (uint32_t)le16(p + 2) << 16;
}

static inline uint64_t
le64(const unsigned char *p)
{
	return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

#endif
