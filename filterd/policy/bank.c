/*++
/* NAME
/*	bank 3
/* SUMMARY
/*	choose a message's policy banks and overlay them
/*--*/

#include <stdio.h>
#include <string.h>

#include "bank.h"

/* bank_overlay - let the keys b sets replace those in view */
static void
bank_overlay(struct bank_view *view, const struct conf_bank *b)
{
	for (unsigned i = 0; conf_bank_key_defs[i].name; i++) {
		const struct conf_bank_key_def *k = conf_bank_key_defs + i;
		static const size_t sizes[] = {
			[CONF_BANK_HOPS] = sizeof(struct conf_strlist),
			[CONF_BANK_BOOL] = sizeof(int),
			[CONF_BANK_FLOAT] = sizeof(double),
			[CONF_BANK_STR] = sizeof(char *),
			[CONF_BANK_DESTINY] = sizeof(int),
			[CONF_BANK_REGEXES] = sizeof(struct conf_relist),
			[CONF_BANK_QUARANTINE] = sizeof(int),
		};

		/* A key is copied as a whole value: lists stay borrowed. */
		if (b->set & CONF_BANK_BIT(i))
			memcpy((char *)&view->v + k->offset,
			       (const char *)&b->v + k->offset, sizes[k->type]);
	}
	if (strcmp(b->name, "default") != 0) {
		size_t len = strlen(view->path);

		snprintf(view->path + len, sizeof(view->path) - len, "%s%s",
			 len ? "/" : "", b->name);
	}
}

/*
 * bank_select_banks - the overlaid banks for one message: default, then
 * each of banks[0..n) in order (a front end's choices: the listener's
 * bank, and for the milter front end the daemon's and the authenticated
 * client's), then the first bank whose client_networks holds the client
 */
void
bank_select_banks(const struct conf *c, const struct conf_bank *const *banks,
		  size_t n, const char *client_addr, struct bank_view *view)
{
	const struct conf_bank *def = c->banks;
	const struct conf_bank *last = NULL;

	memset(view, 0, sizeof(*view));
	bank_overlay(view, def);
	for (size_t k = 0; k < n; k++)
		if (banks[k] && banks[k] != def && banks[k] != last) {
			bank_overlay(view, banks[k]);
			last = banks[k];
		}
	for (size_t i = 1; client_addr && i < c->n_banks; i++) {
		const struct conf_bank *b = c->banks + i;

		if (b->n_client_networks &&
		    cidr_list_match(b->client_networks, b->n_client_networks,
				    client_addr)) {
			if (b != last)
				bank_overlay(view, b);
			break;
		}
	}
	if (view->path[0] == 0)
		snprintf(view->path, sizeof(view->path), "default");
}

/* bank_select - the overlaid banks for one message */
void
bank_select(const struct conf *c, const struct conf_bank *listener_bank,
	    const char *client_addr, struct bank_view *view)
{
	bank_select_banks(c, &listener_bank, 1, client_addr, view);
}
