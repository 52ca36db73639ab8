#ifndef FILTERD_QUAR_READ_H
#define FILTERD_QUAR_READ_H

/*++
/* NAME
/*	quar_read 3h
/* SUMMARY
/*	the one reader of a quarantined copy: SQL chunks or a local file
/* SYNOPSIS
/*	#include "quarantine/quar_read.h"
/*
/*	int quar_read_where(MYSQL *c, const char *mail_id, int partition,
/*			    struct quar_where *w, char *err, size_t errsize);
/*	int quar_read_sql(MYSQL *c, const char *mail_id, int partition,
/*			  quar_read_sink sink, void *ctx,
/*			  unsigned long *chunks_r, char *err, size_t errsize);
/*	int quar_read_path_ok(const char *mail_file);
/*	int quar_read_find(const char *dir, const char *mail_id,
/*			   char *mail_file, size_t size, char *quar_type_r);
/*	int quar_read_file(const char *dir, const char *mail_file,
/*			   quar_read_sink sink, void *ctx,
/*			   char *err, size_t errsize);
/* DESCRIPTION
/*	The release (pdp/pdp_release.c) and filterd-release --show read a
/*	quarantined copy through these functions, so that both find the
/*	same copy with the same checks.
/*
/*	quar_read_where() reads the msgs rows of mail_id (in partition, or
/*	any when partition < 0) into w: how many rows, and the partition,
/*	quar_type and quar_loc of the first. Returns 0 (also for no row),
/*	or -1 with the SQL error in err.
/*
/*	quar_read_sql() hands the quarantine table's chunks of mail_id in
/*	partition to sink in chunk_ind order, bytes as stored (read as
/*	HEX(), since a row value here is a C string); *chunks_r counts
/*	them. Returns 0, or -1 with the SQL error in err.
/*
/*	quar_read_path_ok() says whether mail_file may name a file under
/*	quarantine_dir: relative, of [A-Za-z0-9._+=-/], no empty, "." or
/*	".." component, at most 200 bytes.
/*
/*	quar_read_find() looks for the local file of mail_id by name:
/*	dir/X/KIND-MAIL_ID or dir/X/KIND-MAIL_ID.gz (X the first character
/*	of the mail_id), as quar.c names them. Returns 1 with its name
/*	relative to dir in mail_file and 'F' or 'Z' in *quar_type_r, else
/*	0.
/*
/*	quar_read_file() hands the content of dir/mail_file to sink, gzip
/*	decompressed (zlib reads a plain file as it is). It refuses a
/*	mail_file that quar_read_path_ok() refuses, follows no symbolic
/*	link below dir, in the file's name or in a directory of mail_file
/*	(O_NOFOLLOW on each component: the children may write in
/*	quarantine_dir, the reader may be an admin; dir itself may be a
/*	link) and reads only a regular file. Returns 0,
/*	or -1 with the reason in err.
/*
/*	sink(ctx, data, len) gets each piece in order; data is valid only
/*	during the call.
/* PROCESS
/*	children, filterd-release.
/*--*/

#include <mysql.h>
#include <stddef.h>

/* The msgs rows of a mail_id. */
struct quar_where {
	int rows;	    /* how many msgs rows hold the mail_id */
	int partition;	    /* of the first row */
	char quar_type;	    /* of the first row, 0 when empty */
	char quar_loc[256]; /* of the first row */
};

typedef void (*quar_read_sink)(void *ctx, const char *data, size_t len);

int quar_read_where(MYSQL *c, const char *mail_id, int partition,
		    struct quar_where *w, char *err, size_t errsize);
int quar_read_sql(MYSQL *c, const char *mail_id, int partition,
		  quar_read_sink sink, void *ctx, unsigned long *chunks_r,
		  char *err, size_t errsize);
int quar_read_path_ok(const char *mail_file);
int quar_read_find(const char *dir, const char *mail_id, char *mail_file,
		   size_t size, char *quar_type_r);
int quar_read_file(const char *dir, const char *mail_file, quar_read_sink sink,
		   void *ctx, char *err, size_t errsize);

#endif
