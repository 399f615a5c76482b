// SPDX-License-Identifier: GPL-2.0
/* C side of lvs_ktcpvs: the kbind helpers its Rust code calls. */
#include <linux/module.h>
#include "ktcpvs_glue.h"
#include "../kbind/helpers.c"
