/* SPDX-License-Identifier: GPL-2.0 */
/* C side of lvs_ipvs that its Rust code calls (see ipvs_glue.c). */
#ifndef LVS_IPVS_GLUE_H
#define LVS_IPVS_GLUE_H

int lvs_ipvs_conn_tab_bits(void);

#endif
