/* SPDX-License-Identifier: GPL-2.0 */
/*
 * C wrappers for kernel static inlines and macros, so the Rust side can
 * call them. Compiled into every module that uses rust/kbind (its glue
 * .c includes helpers.c). Most are one-line forwards; the rest only
 * reach into kernel structures Rust cannot see (socket options, device
 * lookups under RCU, route checks), with no logic of ours.
 */
#ifndef LVS_KBIND_HELPERS_H
#define LVS_KBIND_HELPERS_H

#include <linux/skbuff.h>
#include <linux/seq_file.h>
#include <net/genetlink.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>
#include <linux/rcupdate.h>
#include <linux/mm.h>
#include <linux/timer.h>
#include <linux/workqueue.h>
#include <linux/module.h>
#include <net/route.h>
#include <linux/percpu.h>
#include <linux/kthread.h>
#include <linux/net.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/igmp.h>

/* per-CPU memory */
void __percpu *lvs_alloc_percpu(size_t size, size_t align);
void *lvs_raw_cpu_ptr(void __percpu *ptr);
void *lvs_per_cpu_ptr(void __percpu *ptr, int cpu);
int lvs_next_possible_cpu(int cpu);

/* network namespaces */
void *lvs_net_generic(const struct net *net, unsigned int id);
struct proc_dir_entry *lvs_net_proc_dir(struct net *net);
struct net *lvs_seq_file_net(struct seq_file *seq);
struct net *lvs_proc_file_net(struct file *file);
bool lvs_file_net_admin(struct file *file, struct net *net);

/* packets */
bool lvs_pskb_may_pull(struct sk_buff *skb, unsigned int len);
unsigned char *lvs_skb_network_header(const struct sk_buff *skb);

/* generic netlink replies */
struct sk_buff *lvs_genlmsg_new(size_t payload);
void *lvs_genlmsg_put_reply(struct sk_buff *skb, struct genl_info *info, u8 cmd);
int lvs_nla_put_u32(struct sk_buff *skb, int attrtype, u32 value);
void lvs_genlmsg_end(struct sk_buff *skb, void *hdr);
int lvs_genlmsg_reply(struct sk_buff *skb, struct genl_info *info);
void lvs_nlmsg_free(struct sk_buff *skb);

/* generic netlink requests and dumps */
struct net *lvs_genl_info_net(const struct genl_info *info);
const void *lvs_genl_info_attrs(const struct genl_info *info, int *len);
const void *lvs_genl_dump_attrs(struct netlink_callback *cb, int *len);
struct net *lvs_genl_dump_net(struct netlink_callback *cb);
u8 lvs_genl_dump_cmd(struct netlink_callback *cb);
void *lvs_genl_dump_put(struct sk_buff *skb, struct netlink_callback *cb, u8 cmd);
void lvs_genlmsg_cancel(struct sk_buff *skb, void *hdr);
struct nlattr *lvs_nla_nest_start(struct sk_buff *skb, int attrtype);
void lvs_nla_nest_end(struct sk_buff *skb, struct nlattr *nest);
void lvs_nla_nest_cancel(struct sk_buff *skb, struct nlattr *nest);

/* softirqs */
void lvs_local_bh_disable(void);
void lvs_local_bh_enable(void);

/* packets on their way out */
bool lvs_skb_csum_partial(const struct sk_buff *skb);
void lvs_skb_csum_rewritten(struct sk_buff *skb);
void lvs_skb_sctp_csum(struct sk_buff *skb, unsigned int l4);
int lvs_route_output_v4(struct net *net, __be32 daddr, bool known_nh,
			struct dst_entry **dst, __be32 *saddr, bool *local);
int lvs_route_output_v6(struct net *net, const struct in6_addr *daddr, bool known_nh,
			struct dst_entry **dst, struct in6_addr *saddr,
			bool *local);
void lvs_dst_release(struct dst_entry *dst);
void lvs_dst_hold(struct dst_entry *dst);
u32 lvs_dst_cookie(struct dst_entry *dst, bool v6);
bool lvs_dst_check_hold(struct dst_entry *dst, u32 cookie);
struct net_device *lvs_netdev_notifier_dev(void *info);
struct net *lvs_dev_net(const struct net_device *dev);
unsigned int lvs_dst_mtu(struct dst_entry *dst);
void lvs_skb_set_dst(struct sk_buff *skb, struct dst_entry *dst);
u32 lvs_skb_mark(const struct sk_buff *skb);
void lvs_sysctl_lock(void);
void lvs_sysctl_unlock(void);
bool lvs_skb_ipvs_property(const struct sk_buff *skb);
void lvs_skb_set_ipvs_property(struct sk_buff *skb);
bool lvs_port_requires_bind_service(struct net *net, u16 port);
bool lvs_real_server_addr_ok(struct net *net, bool v6, const void *addr);
bool lvs_addr_is_unicast(struct net *net, bool v6, const void *addr);
bool lvs_skb_is_gso(const struct sk_buff *skb);
int lvs_skb_push_tunnel(struct sk_buff *skb, bool v6, u8 inner_proto, u8 encap_proto,
			const u8 *encap, unsigned int encap_len, bool csum, bool remcsum,
			const void *saddr, const void *daddr);
u16 lvs_udp_flow_src_port(struct net *net, struct sk_buff *skb);
bool lvs_skb_partial_csum(const struct sk_buff *skb, u16 *start, u16 *offset);
int lvs_ip_defrag(struct net *net, struct sk_buff *skb, u32 user);
void lvs_ip_select_ident(struct net *net, struct sk_buff *skb);
void lvs_icmp_too_big(struct sk_buff *skb, unsigned int mtu, bool v6);
void lvs_icmp_time_exceeded(struct sk_buff *skb, bool v6);
void lvs_icmp_port_unreachable(struct sk_buff *skb, bool v6);
int lvs_reroute_by_source(struct net *net, struct sk_buff *skb, bool v6);
/* What conntrack makes of a packet lvs_local_out sends. */
enum lvs_ct {
	LVS_CT_UNTRACK,	/* not seen (forgotten if it had been) */
	LVS_CT_KEEP,	/* its entry goes with it */
	LVS_CT_FRESH,	/* seen afresh, as a packet sent from here */
};
void lvs_local_out(struct net *net, struct sk_buff *skb, bool v6, enum lvs_ct ct);
void lvs_untrack(struct sk_buff *skb);
void lvs_ct_nat_reply(struct sk_buff *skb, const u8 *addr, __be16 port, bool source);
bool lvs_ct_confirm(struct sk_buff *skb);
bool lvs_ct_kill_confirmed(struct sk_buff *skb);

/* timers */
void lvs_timer_setup(struct timer_list *timer, void (*fn)(struct timer_list *));
void lvs_delayed_work_init(struct delayed_work *dwork, void (*fn)(struct work_struct *));
void lvs_delayed_work_queue(struct delayed_work *dwork, unsigned long delay);
unsigned long lvs_jiffies(void);
unsigned long lvs_hz(void);

/* modules */
bool lvs_try_module_get(struct module *module);
void lvs_module_put(struct module *module);
int lvs_request_module(const char *name);

/* RCU */
void lvs_rcu_read_lock(void);
void lvs_rcu_read_unlock(void);

/* randomness */
u32 lvs_random_u32_below(u32 ceil);

/* memory */
unsigned long lvs_totalram_pages(void);
long lvs_available_pages(void);

/* modules */
struct module *lvs_this_module(void);

/* kernel threads */
struct task_struct *lvs_kthread_run(int (*fn)(void *), void *data, const char *name);
void lvs_put_task(struct task_struct *task);

/* kernel sockets */
struct sock *lvs_socket_sk(struct socket *sock);
void lvs_sk_mcast_out(struct sock *sk, int ifindex, u8 ttl);
void lvs_sk_set_buffer(struct sock *sk, bool send, int bytes);
void lvs_sk_bind_dev_reuse(struct sock *sk, int ifindex);
int lvs_sk_join_group(struct sock *sk, bool v6, const void *group, int ifindex);
int lvs_sock_wait_data(struct socket *sock);
int lvs_dev_index(struct net *net, const char *name);
__be32 lvs_dev_ipv4_addr(struct net *net, int ifindex);
unsigned int lvs_dev_mtu(struct net *net, int ifindex);

/* TCP streams driven by an event loop (tcp.rs) */
struct lvs_events;
struct lvs_watch;
int lvs_tcp_listen(struct net *net, __be32 addr, __be16 port, int backlog, struct socket **out);
int lvs_tcp_accept(struct socket *listener, struct socket **out);
int lvs_tcp_connect(struct net *net, __be32 addr, __be16 port, struct socket **out);
int lvs_tcp_status(struct socket *sock);
bool lvs_tcp_quiet(struct socket *sock);
bool lvs_tcp_readable(struct socket *sock);
int lvs_tcp_send(struct socket *sock, const void *buf, size_t len, bool more);
int lvs_tcp_recv(struct socket *sock, void *buf, size_t len);
void lvs_tcp_shutdown_write(struct socket *sock);
void lvs_tcp_abort(struct socket *sock);
void lvs_tcp_peer(struct socket *sock, __be32 *addr, __be16 *port);
struct lvs_events *lvs_events_new(unsigned int slots);
void lvs_events_free(struct lvs_events *events);
void lvs_events_wait(struct lvs_events *events, long timeout);
int lvs_events_next(struct lvs_events *events, unsigned int from);
struct lvs_watch *lvs_watch_add(struct socket *sock, struct lvs_events *events, unsigned int slot, bool in_turn);
void lvs_watch_del(struct lvs_watch *watch);

#endif

