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
EXPORT_SYMBOL_GPL(lvs_ipvs_register_scheduler);
EXPORT_SYMBOL_GPL(lvs_ipvs_unregister_scheduler);
