#ifndef FILTERD_HEX_H
#define FILTERD_HEX_H

/*++
/* NAME
/*	hex 3h
/* SUMMARY
/*	the value of a hexadecimal digit
/* SYNOPSIS
/*	#include "util/hex.h"
/*
/*	int hex_value(int c);
/* DESCRIPTION
/*	hex_value() is the value (0 to 15) of the digit c, either case,
/*	or -1 when c is not one. The one reader of hex digits for the
/*	%XX of AM.PDP, RFC 2231 and SQL DSNs, SMTP's xtext +XX and
/*	SQL's HEX().
/*--*/

static inline int
hex_value(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

#endif
