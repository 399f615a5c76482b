// SPDX-License-Identifier: GPL-2.0
/*
 * C side of lvs_ipvs: the kbind helpers, the module parameters (the Rust
 * `module!` of 6.12 has none) and the symbols scheduler modules link to.
 */
#include <linux/module.h>
#include "ipvs_glue.h"
#include "../kbind/helpers.c"

/* As upstream's conn_tab_bits: log2 of the connection table's buckets. */
static int conn_tab_bits = 12;
module_param(conn_tab_bits, int, 0444);
MODULE_PARM_DESC(conn_tab_bits, "Set connections' hash size");

int lvs_ipvs_conn_tab_bits(void)
{
	return conn_tab_bits;
}

/* Defined in Rust (sched.rs), with the types of sched_api.rs. */
extern int lvs_ipvs_register_scheduler(const void *scheduler);
extern void lvs_ipvs_unregister_scheduler(const void *scheduler);
extern u32 lvs_ipvs_random_below(u32 ceil);
EXPORT_SYMBOL_GPL(lvs_ipvs_register_scheduler);
EXPORT_SYMBOL_GPL(lvs_ipvs_unregister_scheduler);
EXPORT_SYMBOL_GPL(lvs_ipvs_random_below);

/*
 * A name C IPVS exports too. Claiming it makes the module loader refuse
 * ip_vs while we are loaded ("exports duplicate symbol ip_vs_proto_name
 * (owned by lvs_ipvs)") before ip_vs's init runs: that init would first
 * create its /proc/net files beside ours (a kernel warning) and only then
 * fail on our netlink family. It keeps upstream's meaning, so a C module
 * that links to it by mistake gets what it expects.
 */
const char *ip_vs_proto_name(unsigned int proto);
const char *ip_vs_proto_name(unsigned int proto)
{
	switch (proto) {
	case IPPROTO_IP:
		return "IP";
	case IPPROTO_TCP:
		return "TCP";
	case IPPROTO_UDP:
		return "UDP";
	case IPPROTO_SCTP:
		return "SCTP";
	case IPPROTO_ICMP:
		return "ICMP";
	case IPPROTO_ICMPV6:
		return "ICMPv6";
	default:
		return "IP_?";
	}
}
EXPORT_SYMBOL(ip_vs_proto_name);
