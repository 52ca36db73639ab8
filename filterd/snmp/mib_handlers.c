/*++
/* NAME
/*	mib_handlers 3
/* SUMMARY
/*	net-snmp handler for FILTERD-MIB, fed from the scoreboard
/* DESCRIPTION
/*	See mib_handlers.h. One handler for the subtree rather than one
/*	registration per scalar and a table helper per table: the instances
/*	are a sorted list (mib_view), so GET is a lookup and GETNEXT is the
/*	following entry, and every varbind of one PDU (a GETBULK reply in
/*	particular) comes from the same snapshot.
/*
/*	For GETNEXT, a varbind left ASN_NULL tells the agent that this
/*	subtree has nothing after the OID, and it goes on with the next
/*	registration.
/*--*/

/* net-snmp wants its config header first: keep these three in order. */
#include <net-snmp/net-snmp-config.h>

#include <net-snmp/net-snmp-includes.h>

#include <net-snmp/agent/net-snmp-agent-includes.h>

#include <stdint.h>
#include <string.h>

#include "master/sb_view.h"
#include "mib_handlers.h"
#include "mib_view.h"
#include "util/msg.h"
#include "util/xalloc.h"

/* How long one snapshot may serve the varbinds of one PDU at most. */
#define MIB_HANDLERS_MAX_AGE_MS 1000

struct mib_handlers {
	struct sb_view_reader *reader;
	struct mib_view view;
	int64_t taken_ms;
	const void *asp; /* the PDU the snapshot was taken for */
	long reqid;
	long transid;
	char last_error[512];
};

/* mib_handlers_refresh - a new snapshot unless this PDU has one */
static void
mib_handlers_refresh(struct mib_handlers *mh,
		     const netsnmp_agent_request_info *reqinfo)
{
	const netsnmp_agent_session *asp = reqinfo->asp;
	long reqid = asp && asp->pdu ? asp->pdu->reqid : -1;
	long transid = asp && asp->pdu ? asp->pdu->transid : -1;
	int64_t now = sb_now_ms();
	struct scoreboard *sb;
	char err[512];

	if (mh->taken_ms && asp && mh->asp == asp && mh->reqid == reqid &&
	    mh->transid == transid && now - mh->taken_ms >= 0 &&
	    now - mh->taken_ms < MIB_HANDLERS_MAX_AGE_MS)
		return;
	mib_view_release(&mh->view);
	mh->asp = asp;
	mh->reqid = reqid;
	mh->transid = transid;
	mh->taken_ms = now;
	if ((sb = sb_view_reader_get(mh->reader, err, sizeof(err))) == NULL) {
		if (strcmp(err, mh->last_error) != 0)
			msg_warn("%s: answering without instances", err);
		snprintf(mh->last_error, sizeof(mh->last_error), "%s", err);
		return;
	}
	if (mh->last_error[0])
		msg_info("scoreboard readable again");
	mh->last_error[0] = 0;
	{
		struct sb_view v;

		sb_view_take(sb, now, &v);
		mib_view_build(&mh->view, &v);
		sb_view_release(&v);
	}
}

/* mib_handlers_value - put one instance's value into a varbind */
static void
mib_handlers_value(netsnmp_variable_list *vb, const struct mib_view_var *var)
{
	struct counter64 c64;
	u_long u = (u_long)var->num;
	long l = (long)var->inum;

	switch (var->type) {
	case MIB_VIEW_COUNTER64:
		c64.high = (u_long)(var->num >> 32);
		c64.low = (u_long)(var->num & 0xffffffffu);
		snmp_set_var_typed_value(vb, ASN_COUNTER64, &c64, sizeof(c64));
		break;
	case MIB_VIEW_GAUGE32:
		snmp_set_var_typed_value(vb, ASN_GAUGE, &u, sizeof(u));
		break;
	case MIB_VIEW_UNSIGNED32:
		snmp_set_var_typed_value(vb, ASN_UNSIGNED, &u, sizeof(u));
		break;
	case MIB_VIEW_TIMETICKS:
		snmp_set_var_typed_value(vb, ASN_TIMETICKS, &u, sizeof(u));
		break;
	case MIB_VIEW_INTEGER:
		snmp_set_var_typed_value(vb, ASN_INTEGER, &l, sizeof(l));
		break;
	case MIB_VIEW_STRING:
		snmp_set_var_typed_value(vb, ASN_OCTET_STR, var->str,
					 strlen(var->str));
		break;
	}
}

/* mib_handlers_handler - answer the varbinds of one PDU in our subtree */
static int
mib_handlers_handler(netsnmp_mib_handler *handler,
		     netsnmp_handler_registration *reginfo,
		     netsnmp_agent_request_info *reqinfo,
		     netsnmp_request_info *requests)
{
	struct mib_handlers *mh = handler->myvoid;

	if (reqinfo->mode != MODE_GET && reqinfo->mode != MODE_GETNEXT)
		return SNMP_ERR_NOERROR; /* read-only: the agent refuses SETs */
	mib_handlers_refresh(mh, reqinfo);
	for (netsnmp_request_info *r = requests; r; r = r->next) {
		netsnmp_variable_list *vb = r->requestvb;
		uint32_t name[MAX_OID_LEN];
		size_t len = vb->name_length;
		const struct mib_view_var *var;
		enum mib_view_mode mode;
		oid out[MIB_VIEW_OID_MAX];

		if (r->processed)
			continue;
		if (len > MAX_OID_LEN)
			len = MAX_OID_LEN;
		for (size_t i = 0; i < len; i++)
			name[i] = vb->name[i] > UINT32_MAX
					  ? UINT32_MAX
					  : (uint32_t)vb->name[i];
		if (reqinfo->mode == MODE_GET)
			mode = MIB_VIEW_EXACT;
		else
			mode = r->inclusive ? MIB_VIEW_NEXT_INCLUSIVE
					    : MIB_VIEW_NEXT;
		if ((var = mib_view_find(&mh->view, name, len, mode)) == NULL)
			continue; /* GET: noSuchInstance; GETNEXT: go on */
		if (mode != MIB_VIEW_EXACT) {
			for (size_t i = 0; i < var->len; i++)
				out[i] = var->oid[i];
			snmp_set_var_objid(vb, out, var->len);
		}
		mib_handlers_value(vb, var);
	}
	return SNMP_ERR_NOERROR;
}

/* mib_handlers_register - serve FILTERD-MIB from the scoreboard */
struct mib_handlers *
mib_handlers_register(const char *sb_path)
{
	static const oid root[] = {MIB_VIEW_ROOT};
	struct mib_handlers *mh = xcalloc(1, sizeof(*mh));
	netsnmp_handler_registration *reg;

	mh->reader = sb_view_reader_open(sb_path, 0);
	reg = netsnmp_create_handler_registration(
		"filterd", mib_handlers_handler, root, OID_LENGTH(root),
		HANDLER_CAN_RONLY);
	if (reg == NULL)
		return NULL;
	reg->handler->myvoid = mh;
	if (netsnmp_register_handler(reg) != MIB_REGISTERED_OK)
		return NULL;
	return mh;
}
