#ifndef FILTERD_BASE64_H
#define FILTERD_BASE64_H

/*++
/* NAME
/*	base64 3h
/* SUMMARY
/*	the base64 alphabet's values
/* SYNOPSIS
/*	#include "util/base64.h"
/*
/*	extern const signed char base64_value[256];
/* DESCRIPTION
/*	base64_value[c] is the value (0..63) of octet c in the base64
/*	alphabet (RFC 4648), -2 for the padding "=", and -1 for an octet
/*	outside it. Shared by the readers of base64 (MIME parts, files
/*	embedded in text), each of which decides what -1 means to it.
/*--*/

extern const signed char base64_value[256];

#endif
