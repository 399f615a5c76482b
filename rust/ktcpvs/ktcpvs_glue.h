/* SPDX-License-Identifier: GPL-2.0 */
/* C side of lvs_ktcpvs: only the kbind helpers (see ktcpvs_glue.c). */
#ifndef LVS_KTCPVS_GLUE_H
#define LVS_KTCPVS_GLUE_H
#endif
