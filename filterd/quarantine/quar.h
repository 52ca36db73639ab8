#ifndef FILTERD_QUAR_H
#define FILTERD_QUAR_H

/*++
/* NAME
/*	quar 3h
/* SUMMARY
/*	keeping blocked mail: local files or SQL, and the log records
/* SYNOPSIS
/*	#include "quarantine/quar.h"
/* DESCRIPTION
/*	quar_record() is the RECORD stage, run after the decision and
/*	before forwarding (amavis' order: quarantine before forwarding, so
/*	that a failed quarantine is a 4xx and nothing has been delivered):
/*
/*	- When the message is blocked for some recipient and the bank's
/*	  *_quarantine method for its category is local, the message goes
/*	  to quarantine_dir/X/KIND-MAIL_ID (X: the first character of the
/*	  mail_id), written and fsynced; with sql, it goes in 16 KiB chunks
/*	  into the quarantine table. Either way with amavis' header fields
/*	  in front (X-Envelope-From, X-Envelope-To, X-Envelope-To-Blocked,
/*	  X-Quarantine-ID), so amavisd-release style tools read it back.
/*	- When sql.storage is set, the msgs, msgrcpt and maddr rows (and
/*	  the SQL quarantine) are written in one transaction, failing over
/*	  to the next DSN when a server is gone.
/*
/*	A quarantine that cannot be written fails the stage (TXN_ERR_RECORD,
/*	451): mail meant to be quarantined never gets a 250. When only the
/*	log rows fail, sql.log_failure decides: tempfail (the default) or
/*	pass with a loud warning.
/*
/*	quar_outcome() updates the rows after forwarding with what each
/*	recipient got (msgrcpt.ds and smtp_resp); a failure there is logged
/*	only, since the mail has been delivered.
/*
/*	A local quarantine file gets its name only when it is whole and on
/*	disk: it is written unnamed (O_TMPFILE) and linked into place, or,
/*	on a file system without O_TMPFILE (NFS, for one), written as
/*	X/.tmp.MAIL_ID.PID and renamed; then the directory is fsynced. A
/*	process killed while writing leaves no file under a quarantine name.
/*
/*	quar_text() writes what a quarantine holds for t into out, without
/*	the message itself (the X-Envelope-* fields), for tests.
/*
/*	quar_local_leftover() is for the master, when it reaps a child
/*	that had mail_id in hand (from its scoreboard slot: "" for none):
/*	it removes quarantine_dir/X/.tmp.MAIL_ID.PID, the copy the child
/*	may have been writing without O_TMPFILE. It follows no symbolic
/*	link (the directories are the children's) and refuses a mail_id
/*	that is not 12 base64url characters. Returns 1 when it removed
/*	the file, 0 when there was none, -1 with the reason in errbuf.
/* PROCESS
/*	quar_record(), quar_outcome(), quar_text(): children, milter
/*	process. quar_local_leftover(): master.
/*--*/

#include <stddef.h>
#include <sys/types.h>

#define QUAR_TMP_PREFIX ".tmp."

struct txn;
struct buf;

int quar_record(struct txn *t);
void quar_outcome(struct txn *t);
void quar_text(const struct txn *t, struct buf *out);
int quar_local_leftover(const char *quarantine_dir, const char *mail_id,
			pid_t pid, char *errbuf, size_t errsize);

#endif
