/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What our modules need from the kernel beyond the `kernel` crate: the
 * headers bindgen reads (gen-bindings.sh) and, in helpers.h, C wrappers
 * for the static inlines and macros Rust cannot call directly.
 */
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/net.h>
#include <linux/netfilter.h>
#include <linux/netfilter_ipv4.h>
#include <linux/netfilter_ipv6.h>
#include <net/netfilter/ipv6/nf_defrag_ipv6.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <linux/skbuff.h>
#include <linux/swap.h>
#include <linux/sysctl.h>
#include <linux/timer.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/ip_vs.h>
#include <linux/random.h>
#include <linux/rcupdate.h>
#include <linux/in.h>
#include <net/genetlink.h>
#include <net/ip6_route.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>
#include <net/route.h>
#include <net/sock.h>

#include "helpers.h"
