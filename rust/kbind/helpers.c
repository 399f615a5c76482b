// SPDX-License-Identifier: GPL-2.0
/*
 * One-line forwards to kernel static inlines (see helpers.h). Included
 * by each module's glue file, so it is built with that module's name.
 */
#include "helpers.h"
#include <linux/capability.h>
#include <linux/kmod.h>
#include <linux/mm.h>
#include <linux/netfilter_ipv4.h>
#include <linux/netfilter_ipv6.h>
#include <net/ip.h>
#include <net/icmp.h>
#include <net/ip6_route.h>
#include <net/ipv6.h>
#include <net/addrconf.h>
#include <linux/icmpv6.h>
#include <net/ip_tunnels.h>
#include <net/gre.h>
#include <net/udp.h>
#include <net/ip6_checksum.h>
#include <net/sctp/checksum.h>
#include <net/udp_tunnel.h>
#include <linux/inetdevice.h>
#include <net/sock.h>
#include <net/inet_sock.h>
#include <net/ipv6.h>
#include <net/route.h>
#include <net/netfilter/nf_conntrack.h>
#include <net/netfilter/nf_conntrack_core.h>
#include <linux/tcp.h>
#include <net/tcp_states.h>

void *lvs_net_generic(const struct net *net, unsigned int id)
{
	return net_generic(net, id);
}

struct proc_dir_entry *lvs_net_proc_dir(struct net *net)
{
	return net->proc_net;
}

struct net *lvs_seq_file_net(struct seq_file *seq)
{
	return seq_file_single_net(seq);
}

struct net *lvs_proc_file_net(struct file *file)
{
	return seq_file_single_net(file->private_data);
}

bool lvs_file_net_admin(struct file *file, struct net *net)
{
	/* As netlink's GENL_ADMIN_PERM: the network admin of the init namespace. */
	return file_ns_capable(file, &init_user_ns, CAP_NET_ADMIN);
}

bool lvs_pskb_may_pull(struct sk_buff *skb, unsigned int len)
{
	return pskb_may_pull(skb, len);
}

unsigned char *lvs_skb_network_header(const struct sk_buff *skb)
{
	return skb_network_header(skb);
}

struct sk_buff *lvs_genlmsg_new(size_t payload)
{
	return genlmsg_new(payload, GFP_KERNEL);
}

void *lvs_genlmsg_put_reply(struct sk_buff *skb, struct genl_info *info, u8 cmd)
{
	return genlmsg_put_reply(skb, info, info->family, 0, cmd);
}

int lvs_nla_put_u32(struct sk_buff *skb, int attrtype, u32 value)
{
	return nla_put_u32(skb, attrtype, value);
}

void lvs_genlmsg_end(struct sk_buff *skb, void *hdr)
{
	genlmsg_end(skb, hdr);
}

int lvs_genlmsg_reply(struct sk_buff *skb, struct genl_info *info)
{
	return genlmsg_reply(skb, info);
}

void lvs_nlmsg_free(struct sk_buff *skb)
{
	nlmsg_free(skb);
}

struct net *lvs_genl_info_net(const struct genl_info *info)
{
	return genl_info_net(info);
}

void lvs_rcu_read_lock(void)
{
	rcu_read_lock();
}

void lvs_rcu_read_unlock(void)
{
	rcu_read_unlock();
}

unsigned long lvs_totalram_pages(void)
{
	return totalram_pages();
}

long lvs_available_pages(void)
{
	struct sysinfo i;

	/* What upstream's defences count as available: free and buffers. */
	si_meminfo(&i);
	return i.freeram + i.bufferram;
}

struct module *lvs_this_module(void)
{
	return THIS_MODULE;
}

/* The attribute stream of a request, after the genetlink header. */
static const void *lvs_genl_attrs(const struct nlmsghdr *nlh, unsigned int hdrsize, int *len)
{
	int off = GENL_HDRLEN + hdrsize;

	*len = max_t(int, nlmsg_len(nlh) - off, 0);
	return (const u8 *)nlmsg_data(nlh) + off;
}

const void *lvs_genl_info_attrs(const struct genl_info *info, int *len)
{
	return lvs_genl_attrs(info->nlhdr, info->family->hdrsize, len);
}

const void *lvs_genl_dump_attrs(struct netlink_callback *cb, int *len)
{
	return lvs_genl_attrs(cb->nlh, genl_info_dump(cb)->family->hdrsize, len);
}

struct net *lvs_genl_dump_net(struct netlink_callback *cb)
{
	return sock_net(cb->skb->sk);
}

u8 lvs_genl_dump_cmd(struct netlink_callback *cb)
{
	return genl_info_dump(cb)->genlhdr->cmd;
}

void *lvs_genl_dump_put(struct sk_buff *skb, struct netlink_callback *cb, u8 cmd)
{
	return genlmsg_put(skb, NETLINK_CB(cb->skb).portid, cb->nlh->nlmsg_seq,
			   genl_info_dump(cb)->family, NLM_F_MULTI, cmd);
}

void lvs_genlmsg_cancel(struct sk_buff *skb, void *hdr)
{
	genlmsg_cancel(skb, hdr);
}

struct nlattr *lvs_nla_nest_start(struct sk_buff *skb, int attrtype)
{
	return nla_nest_start_noflag(skb, attrtype);
}

void lvs_nla_nest_end(struct sk_buff *skb, struct nlattr *nest)
{
	nla_nest_end(skb, nest);
}

void lvs_nla_nest_cancel(struct sk_buff *skb, struct nlattr *nest)
{
	nla_nest_cancel(skb, nest);
}

void lvs_local_bh_disable(void)
{
	local_bh_disable();
}

void lvs_local_bh_enable(void)
{
	local_bh_enable();
}

/*
 * Computes anew the CRC32c of the SCTP packet whose header is @l4 bytes
 * past the network header (upstream's sctp_nat_csum): the whole packet
 * is summed, fragments included; the header is linear and writable.
 */
void lvs_skb_sctp_csum(struct sk_buff *skb, unsigned int l4)
{
	unsigned int off = skb_network_offset(skb) + l4;
	struct sctphdr *sh = (struct sctphdr *)(skb->data + off);

	sh->checksum = sctp_compute_cksum(skb, off);
	skb->ip_summed = CHECKSUM_UNNECESSARY;
}

bool lvs_skb_csum_partial(const struct sk_buff *skb)
{
	return skb->ip_summed == CHECKSUM_PARTIAL;
}

/* A sum over the packet's old bytes no longer holds: let it be verified. */
void lvs_skb_csum_rewritten(struct sk_buff *skb)
{
	if (skb->ip_summed == CHECKSUM_COMPLETE)
		skb->ip_summed = CHECKSUM_NONE;
}

/*
 * The route from @net to @daddr, in @dst (a
 * reference), with the source address it picks in @saddr and whether it
 * leads to this host in @local. With @known_nh, @daddr is the next hop
 * even for packets to elsewhere.
 */
int lvs_route_output_v4(struct net *net, __be32 daddr, bool known_nh,
			struct dst_entry **dst, __be32 *saddr, bool *local)
{
	struct flowi4 fl4 = {
		.daddr = daddr,
		.flowi4_flags = known_nh ? FLOWI_FLAG_KNOWN_NH : 0,
	};
	struct rtable *rt = ip_route_output_key(net, &fl4);

	if (IS_ERR(rt))
		return PTR_ERR(rt);
	*dst = &rt->dst;
	*saddr = fl4.saddr;
	*local = rt->rt_type == RTN_LOCAL;
	return 0;
}

/* As lvs_route_output_v4, for IPv6. */
int lvs_route_output_v6(struct net *net, const struct in6_addr *daddr, bool known_nh,
			struct dst_entry **dst, struct in6_addr *saddr,
			bool *local)
{
	struct flowi6 fl6 = {
		.daddr = *daddr,
		.flowi6_flags = known_nh ? FLOWI_FLAG_KNOWN_NH : 0,
	};
	struct dst_entry *d = ip6_route_output(net, NULL, &fl6);
	int err = d->error;

	if (!err && ipv6_addr_any(&fl6.saddr) &&
	    ipv6_dev_get_saddr(net, ip6_dst_idev(d)->dev, &fl6.daddr, 0, &fl6.saddr) < 0)
		err = -EHOSTUNREACH;
	if (err) {
		dst_release(d);
		return err;
	}
	*dst = d;
	*saddr = fl6.saddr;
	*local = d->dev && (d->dev->flags & IFF_LOOPBACK);
	return 0;
}

void lvs_dst_release(struct dst_entry *dst)
{
	dst_release(dst);
}

void lvs_dst_hold(struct dst_entry *dst)
{
	dst_hold(dst);
}

/* What tells a cached IPv6 route from a stale one (0 for IPv4). */
u32 lvs_dst_cookie(struct dst_entry *dst, bool v6)
{
	return v6 ? rt6_get_cookie(dst_rt6_info(dst)) : 0;
}

/*
 * Takes a reference to cached route @dst if it is still valid; inside an
 * RCU read-side section, as @dst may be on its way to being freed.
 */
bool lvs_dst_check_hold(struct dst_entry *dst, u32 cookie)
{
	return dst_check(dst, cookie) && dst_hold_safe(dst);
}

struct net_device *lvs_netdev_notifier_dev(void *info)
{
	return netdev_notifier_info_to_dev(info);
}

struct net *lvs_dev_net(const struct net_device *dev)
{
	return dev_net(dev);
}

unsigned int lvs_dst_mtu(struct dst_entry *dst)
{
	return dst_mtu(dst);
}

/* Gives @skb route @dst (and its reference), replacing the one it had. */
void lvs_skb_set_dst(struct sk_buff *skb, struct dst_entry *dst)
{
	skb_dst_drop(skb);
	skb_dst_set(skb, dst);
}

u32 lvs_skb_mark(const struct sk_buff *skb)
{
	return skb->mark;
}

/* Serializes writers of the sysctls with a rule of ours (kbind/sysctl.rs). */
static DEFINE_MUTEX(lvs_sysctl_mutex);

void lvs_sysctl_lock(void)
{
	mutex_lock(&lvs_sysctl_mutex);
}

void lvs_sysctl_unlock(void)
{
	mutex_unlock(&lvs_sysctl_mutex);
}

/*
 * The mark IPVS puts on packets it sent or means to leave alone (none
 * in a kernel without IPVS support, which has no such field).
 */
bool lvs_skb_ipvs_property(const struct sk_buff *skb)
{
#if IS_ENABLED(CONFIG_IP_VS)
	return skb->ipvs_property;
#else
	return false;
#endif
}

void lvs_skb_set_ipvs_property(struct sk_buff *skb)
{
#if IS_ENABLED(CONFIG_IP_VS)
	skb->ipvs_property = 1;
#endif
}

bool lvs_port_requires_bind_service(struct net *net, u16 port)
{
	return inet_port_requires_bind_service(net, port);
}

bool lvs_real_server_addr_ok(struct net *net, bool v6, const void *addr)
{
	struct flowi6 fl6 = {};
	struct dst_entry *d;
	bool on_loopback;
	int type;

	if (!v6) {
		/* Unicast, or one of ours; not broadcast, multicast, 0/8. */
		type = inet_addr_type(net, *(const __be32 *)addr);
		return type == RTN_UNICAST || type == RTN_LOCAL;
	}
	type = ipv6_addr_type(addr);
	if ((type & IPV6_ADDR_UNICAST) && !(type & IPV6_ADDR_LINKLOCAL))
		return true;
	/* Otherwise only if it routes to the loopback device (ours). */
	fl6.daddr = *(const struct in6_addr *)addr;
	d = ip6_route_output(net, NULL, &fl6);
	on_loopback = !d->error && d->dev && (d->dev->flags & IFF_LOOPBACK);
	dst_release(d);
	return on_loopback;
}

bool lvs_addr_is_unicast(struct net *net, bool v6, const void *addr)
{
	if (v6)
		return ipv6_addr_type(addr) & IPV6_ADDR_UNICAST;
	/* The local table's view: not ours, not broadcast or multicast. */
	return inet_addr_type_table(net, *(const __be32 *)addr, RT_TABLE_LOCAL) == RTN_UNICAST;
}

bool lvs_skb_is_gso(const struct sk_buff *skb)
{
	return skb_is_gso(skb);
}

/*
 * Makes @skb, routed already, the payload of a tunnel packet whose outer
 * header is IPv4 (IPv6 if @v6; its bytes the caller fills) and carries
 * the packet, of IP-in-IP protocol @inner_proto (IPIP or IPV6), directly
 * or in @encap_proto: UDP (@encap_len bytes of @encap: the UDP header,
 * checksum zero, and the GUE header) or GRE (a header of @encap_len
 * bytes built here). @csum checksums the encapsulation, from @saddr to
 * @daddr; @remcsum leaves the packet's own checksum to the receiver (GUE
 * remote checksum offload). GSO and checksum offload are told about the
 * encapsulation; the network header moves to the outer one. Fragmenting
 * the outer packet is allowed, as upstream does.
 */
int lvs_skb_push_tunnel(struct sk_buff *skb, bool v6, u8 inner_proto, u8 encap_proto,
			const u8 *encap, unsigned int encap_len, bool csum, bool remcsum,
			const void *saddr, const void *daddr)
{
	struct net_device *dev = skb_dst(skb)->dev;
	unsigned int len = v6 ? sizeof(struct ipv6hdr) : sizeof(struct iphdr);
	/* GSO segments by the outer header's family (upstream's __tun_gso_type_mask). */
	int gso_type = v6 ? SKB_GSO_IPXIP6 : SKB_GSO_IPXIP4;
	int err;

	if (encap_proto == IPPROTO_UDP)
		gso_type |= (csum ? SKB_GSO_UDP_TUNNEL_CSUM : SKB_GSO_UDP_TUNNEL) |
			    (remcsum ? SKB_GSO_TUNNEL_REMCSUM : 0);
	else if (encap_proto == IPPROTO_GRE)
		gso_type |= csum ? SKB_GSO_GRE_CSUM : SKB_GSO_GRE;
	err = skb_cow_head(skb, LL_RESERVED_SPACE(dev) + len + encap_len);
	if (err)
		return err;
	err = iptunnel_handle_offloads(skb, gso_type);
	if (err)
		return err;
	skb->transport_header = skb->network_header;
	skb_set_inner_ipproto(skb, inner_proto);
	skb_set_inner_mac_header(skb, skb_inner_network_offset(skb));
	if (encap_proto == IPPROTO_UDP) {
		if (remcsum && !skb_is_gso(skb)) {
			skb->ip_summed = CHECKSUM_NONE;
			skb->encapsulation = 0;
		}
		memcpy(skb_push(skb, encap_len), encap, encap_len);
		skb_reset_transport_header(skb);
		if (v6)
			udp6_set_csum(!csum, skb, saddr, daddr, skb->len);
		else
			udp_set_csum(!csum, skb, *(const __be32 *)saddr, *(const __be32 *)daddr, skb->len);
	} else if (encap_proto == IPPROTO_GRE) {
		IP_TUNNEL_DECLARE_FLAGS(flags) = { };

		if (csum)
			__set_bit(IP_TUNNEL_CSUM_BIT, flags);
		gre_build_header(skb, encap_len, flags,
				 inner_proto == IPPROTO_IPIP ? htons(ETH_P_IP) : htons(ETH_P_IPV6), 0, 0);
	}
	skb_push(skb, len);
	skb_reset_network_header(skb);
	if (v6) {
		memset(IP6CB(skb), 0, sizeof(*IP6CB(skb)));
		skb->protocol = htons(ETH_P_IPV6);
	} else {
		memset(IPCB(skb), 0, sizeof(*IPCB(skb)));
		skb->protocol = htons(ETH_P_IP);
	}
	skb->ignore_df = 1;
	return 0;
}

/*
 * The UDP source port a tunnel packet carrying @skb takes: from the
 * inner flow's hash, so a flow keeps one and flows spread.
 */
u16 lvs_udp_flow_src_port(struct net *net, struct sk_buff *skb)
{
	return ntohs(udp_flow_src_port(net, skb, 0, 0, false));
}

/*
 * Where the transport checksum of @skb, to be finished (CHECKSUM_PARTIAL),
 * starts from its data and goes from there: false if it is not partial.
 */
bool lvs_skb_partial_csum(const struct sk_buff *skb, u16 *start, u16 *offset)
{
	if (skb->ip_summed != CHECKSUM_PARTIAL)
		return false;
	*start = skb_checksum_start_offset(skb);
	*offset = skb->csum_offset;
	return true;
}

/*
 * Adds IPv4 fragment @skb to its queue: 0 when it completed the packet,
 * which @skb now is; else @skb is kept (or freed) by the queue.
 */
int lvs_ip_defrag(struct net *net, struct sk_buff *skb, u32 user)
{
	int err;

	local_bh_disable();
	err = ip_defrag(net, skb, user);
	local_bh_enable();
	if (!err)
		ip_send_check(ip_hdr(skb));
	return err;
}

void lvs_ip_select_ident(struct net *net, struct sk_buff *skb)
{
	ip_select_ident(net, skb, NULL);
}

/*
 * Tells the sender of @skb (still on its input route) to fit in @mtu:
 * ICMP "fragmentation needed", or ICMPv6 "packet too big".
 */
void lvs_icmp_too_big(struct sk_buff *skb, unsigned int mtu, bool v6)
{
	if (v6)
		icmpv6_send(skb, ICMPV6_PKT_TOOBIG, 0, mtu);
	else
		icmp_send(skb, ICMP_DEST_UNREACH, ICMP_FRAG_NEEDED, htonl(mtu));
}

/*
 * Routes a forwarded packet again by its (rewritten) source, as if sent
 * from this host: policy routing by source then applies to VS/NAT
 * replies coming from the virtual address. A packet routed to a local
 * (v4) or loopback (v6) destination keeps its route. Non-zero: no route.
 */
int lvs_reroute_by_source(struct net *net, struct sk_buff *skb, bool v6)
{
	if (v6) {
#if IS_ENABLED(CONFIG_IPV6)
		struct dst_entry *dst = skb_dst(skb);

		if (dst->dev && !(dst->dev->flags & IFF_LOOPBACK))
			return ip6_route_me_harder(net, skb->sk, skb);
#endif
		return 0;
	}
	if (skb_rtable(skb)->rt_flags & RTCF_LOCAL)
		return 0;
	return ip_route_me_harder(net, skb->sk, skb, RTN_LOCAL);
}

/* Tells the sender of @skb that nothing serves the port it sent to. */
void lvs_icmp_port_unreachable(struct sk_buff *skb, bool v6)
{
	if (v6)
		icmpv6_send(skb, ICMPV6_DEST_UNREACH, ICMPV6_PORT_UNREACH, 0);
	else
		icmp_send(skb, ICMP_DEST_UNREACH, ICMP_PORT_UNREACH, 0);
}

/* Tells the sender of @skb that it ran out of hops. */
void lvs_icmp_time_exceeded(struct sk_buff *skb, bool v6)
{
	if (v6)
		icmpv6_send(skb, ICMPV6_TIME_EXCEED, ICMPV6_EXC_HOPLIMIT, 0);
	else
		icmp_send(skb, ICMP_TIME_EXCEEDED, ICMP_EXC_TTL, 0);
}

/*
 * Conntrack forgets a packet it had seen and leaves it alone from here
 * on; a packet it had not seen stays unseen.
 */
void lvs_untrack(struct sk_buff *skb)
{
#if IS_ENABLED(CONFIG_NF_CONNTRACK)
	if (skb_nfct(skb)) {
		nf_reset_ct(skb);
		nf_ct_set(skb, NULL, IP_CT_UNTRACKED);
	}
#endif
}

/*
 * The conntrack entry of a VS/NAT connection's first packet, not yet
 * confirmed: its reply side is made what the other end will send, so
 * that the one entry covers both sides of the rewrite. `source`: replies
 * come from `addr`:`port` (the real server, for a client's packet);
 * else they go to it (the virtual service, for a real server's packet
 * that opened the entry). Ports stay for ICMP. Confirmed entries, and
 * packets of the reply direction, are left as they are.
 */
void lvs_ct_nat_reply(struct sk_buff *skb, const u8 *addr, __be16 port, bool source)
{
#if IS_ENABLED(CONFIG_NF_CONNTRACK)
	enum ip_conntrack_info ctinfo;
	struct nf_conn *ct = nf_ct_get(skb, &ctinfo);
	struct nf_conntrack_tuple reply;
	bool ports;

	if (!ct || nf_ct_is_confirmed(ct) || nf_ct_is_dying(ct) || CTINFO2DIR(ctinfo) != IP_CT_DIR_ORIGINAL)
		return;
	reply = ct->tuplehash[IP_CT_DIR_REPLY].tuple;
	ports = reply.dst.protonum != IPPROTO_ICMP && reply.dst.protonum != IPPROTO_ICMPV6;
	if (source) {
		memcpy(&reply.src.u3, addr, sizeof(reply.src.u3));
		if (ports)
			reply.src.u.all = port;
	} else {
		memcpy(&reply.dst.u3, addr, sizeof(reply.dst.u3));
		if (ports)
			reply.dst.u.all = port;
	}
	nf_conntrack_alter_reply(ct, &reply);
#endif
}

/*
 * Ends the packet's conntrack entry if it is a confirmed one (a packet
 * that conntrack took for one of an old connection): whether it did.
 */
bool lvs_ct_kill_confirmed(struct sk_buff *skb)
{
#if IS_ENABLED(CONFIG_NF_CONNTRACK)
	enum ip_conntrack_info ctinfo;
	struct nf_conn *ct = nf_ct_get(skb, &ctinfo);

	if (ct && nf_ct_is_confirmed(ct)) {
		nf_ct_kill(ct);
		return true;
	}
#endif
	return false;
}

/*
 * Confirms the packet's conntrack entry now (before it goes inside a
 * tunnel, whose packet conntrack sees afresh); false if conntrack
 * refuses it.
 */
bool lvs_ct_confirm(struct sk_buff *skb)
{
#if IS_ENABLED(CONFIG_NF_CONNTRACK)
	return nf_conntrack_confirm(skb) == NF_ACCEPT;
#else
	return true;
#endif
}

/*
 * Sends a packet taken at LOCAL_IN out again, as a locally generated
 * one: it drops its socket reference and input-path state, then goes
 * through LOCAL_OUT and the route set on it; conntrack as `ct` says.
 */
void lvs_local_out(struct net *net, struct sk_buff *skb, bool v6, enum lvs_ct ct)
{
	skb_orphan(skb);
	if (ct == LVS_CT_UNTRACK)
		lvs_untrack(skb);
	else if (ct == LVS_CT_FRESH)
		nf_reset_ct(skb);
	skb_forward_csum(skb);
#if IS_ENABLED(CONFIG_IP_VS)
	skb->ipvs_property = 1;
#endif
	if (v6) {
		memset(IP6CB(skb), 0, sizeof(*IP6CB(skb)));
		ip6_local_out(net, NULL, skb);
	} else {
		memset(IPCB(skb), 0, sizeof(*IPCB(skb)));
		ip_local_out(net, NULL, skb);
	}
}

u32 lvs_random_u32_below(u32 ceil)
{
	return ceil ? get_random_u32_below(ceil) : 0;
}

void lvs_timer_setup(struct timer_list *timer, void (*fn)(struct timer_list *))
{
	timer_setup(timer, fn, 0);
}

void lvs_delayed_work_init(struct delayed_work *dwork, void (*fn)(struct work_struct *))
{
	INIT_DELAYED_WORK(dwork, fn);
}

void lvs_delayed_work_queue(struct delayed_work *dwork, unsigned long delay)
{
	/* The long-running queue, as upstream's periodic IPVS work uses. */
	queue_delayed_work(system_long_wq, dwork, delay);
}

void __percpu *lvs_alloc_percpu(size_t size, size_t align)
{
	return __alloc_percpu_gfp(size, align, GFP_KERNEL);
}

void *lvs_raw_cpu_ptr(void __percpu *ptr)
{
	return raw_cpu_ptr(ptr);
}

void *lvs_per_cpu_ptr(void __percpu *ptr, int cpu)
{
	return per_cpu_ptr(ptr, cpu);
}

/* The possible CPU after @cpu (-1: the first), or -1 after the last. */
int lvs_next_possible_cpu(int cpu)
{
	unsigned int next = cpumask_next(cpu, cpu_possible_mask);

	return next < nr_cpu_ids ? next : -1;
}

unsigned long lvs_jiffies(void)
{
	return jiffies;
}

unsigned long lvs_hz(void)
{
	return HZ;
}

bool lvs_try_module_get(struct module *module)
{
	return try_module_get(module);
}

void lvs_module_put(struct module *module)
{
	module_put(module);
}

int lvs_request_module(const char *name)
{
	return request_module("%s", name);
}

struct task_struct *lvs_kthread_run(int (*fn)(void *), void *data, const char *name)
{
	struct task_struct *task = kthread_run(fn, data, "%s", name);

	/* Held until lvs_put_task: kthread_stop needs it, exited or not. */
	if (!IS_ERR(task))
		get_task_struct(task);
	return task;
}

void lvs_put_task(struct task_struct *task)
{
	put_task_struct(task);
}

struct sock *lvs_socket_sk(struct socket *sock)
{
	return sock->sk;
}

void lvs_sk_mcast_out(struct sock *sk, int ifindex, u8 ttl)
{
	lock_sock(sk);
	inet_sk(sk)->mc_index = ifindex;
	WRITE_ONCE(inet_sk(sk)->mc_ttl, ttl);
	WRITE_ONCE(inet_sk(sk)->pmtudisc, IP_PMTUDISC_DONT);
	inet_assign_bit(MC_LOOP, sk, 0);
	if (sk->sk_family == AF_INET6) {
		WRITE_ONCE(inet6_sk(sk)->mcast_oif, ifindex);
		WRITE_ONCE(inet6_sk(sk)->mcast_hops, ttl);
		WRITE_ONCE(inet6_sk(sk)->pmtudisc, IPV6_PMTUDISC_DONT);
		inet6_assign_bit(MC6_LOOP, sk, 0);
	}
	release_sock(sk);
}

void lvs_sk_set_buffer(struct sock *sk, bool send, int bytes)
{
	/* As SO_SNDBUF / SO_RCVBUF: twice the size asked, within the
	 * kernel's bounds, and no longer tuned by the kernel. */
	lock_sock(sk);
	if (send) {
		bytes = clamp_t(int, bytes, (SOCK_MIN_SNDBUF + 1) / 2,
				min_t(u32, READ_ONCE(sysctl_wmem_max), INT_MAX / 2));
		WRITE_ONCE(sk->sk_sndbuf, bytes * 2);
		sk->sk_userlocks |= SOCK_SNDBUF_LOCK;
	} else {
		bytes = clamp_t(int, bytes, (SOCK_MIN_RCVBUF + 1) / 2,
				min_t(u32, READ_ONCE(sysctl_rmem_max), INT_MAX / 2));
		WRITE_ONCE(sk->sk_rcvbuf, bytes * 2);
		sk->sk_userlocks |= SOCK_RCVBUF_LOCK;
	}
	release_sock(sk);
}

void lvs_sk_bind_dev_reuse(struct sock *sk, int ifindex)
{
	sk->sk_reuse = SK_CAN_REUSE;
	sk->sk_bound_dev_if = ifindex;
}

int lvs_sk_join_group(struct sock *sk, bool v6, const void *group, int ifindex)
{
	struct ip_mreqn mreq = { .imr_ifindex = ifindex };
	int err;

	/* Joining takes RTNL, before the socket's lock. */
	rtnl_lock();
	lock_sock(sk);
	if (v6) {
		err = ipv6_sock_mc_join(sk, ifindex, group);
	} else {
		memcpy(&mreq.imr_multiaddr, group, sizeof(mreq.imr_multiaddr));
		err = ip_mc_join_group(sk, &mreq);
	}
	release_sock(sk);
	rtnl_unlock();
	return err;
}

int lvs_sock_wait_data(struct socket *sock)
{
	struct sock *sk = sock->sk;

	return wait_event_interruptible(*sk_sleep(sk),
		!skb_queue_empty_lockless(&sk->sk_receive_queue) || kthread_should_stop());
}

int lvs_dev_index(struct net *net, const char *name)
{
	struct net_device *dev;
	int ifindex = 0;

	rcu_read_lock();
	dev = dev_get_by_name_rcu(net, name);
	if (dev)
		ifindex = dev->ifindex;
	rcu_read_unlock();
	return ifindex;
}

__be32 lvs_dev_ipv4_addr(struct net *net, int ifindex)
{
	struct net_device *dev;
	__be32 addr = 0;

	rcu_read_lock();
	dev = dev_get_by_index_rcu(net, ifindex);
	if (dev)
		addr = inet_select_addr(dev, 0, RT_SCOPE_UNIVERSE);
	rcu_read_unlock();
	return addr;
}

unsigned int lvs_dev_mtu(struct net *net, int ifindex)
{
	struct net_device *dev;
	unsigned int mtu = 0;

	rcu_read_lock();
	dev = dev_get_by_index_rcu(net, ifindex);
	if (dev)
		mtu = READ_ONCE(dev->mtu);
	rcu_read_unlock();
	return mtu;
}

/*
 * TCP streams for an event loop: non-blocking calls, and a wait-queue
 * entry per socket (as epoll hangs on a socket's wait queue) that marks
 * the socket's slot in its thread's event bitmap and wakes the thread.
 */
struct lvs_events {
	struct task_struct *task;
	unsigned int slots;
	unsigned long ready[];
};

struct lvs_watch {
	wait_queue_entry_t entry;
	wait_queue_head_t *head;
	struct lvs_events *events;
	unsigned int slot;
};

static void lvs_tcp_sockaddr(struct sockaddr_in *sin, __be32 addr, __be16 port)
{
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = addr;
	sin->sin_port = port;
}

int lvs_tcp_listen(struct net *net, __be32 addr, __be16 port, int backlog, struct socket **out)
{
	struct sockaddr_in sin;
	struct socket *sock;
	int err;

	err = sock_create_kern(net, AF_INET, SOCK_STREAM, IPPROTO_TCP, &sock);
	if (err)
		return err;
	sock_set_reuseaddr(sock->sk);
	lvs_tcp_sockaddr(&sin, addr, port);
	err = kernel_bind(sock, (struct sockaddr *)&sin, sizeof(sin));
	if (!err)
		err = kernel_listen(sock, backlog);
	if (err) {
		sock_release(sock);
		return err;
	}
	*out = sock;
	return 0;
}

int lvs_tcp_accept(struct socket *listener, struct socket **out)
{
	int err = kernel_accept(listener, out, O_NONBLOCK);

	if (!err)
		tcp_sock_set_nodelay((*out)->sk);
	return err;
}

int lvs_tcp_connect(struct net *net, __be32 addr, __be16 port, struct socket **out)
{
	struct sockaddr_in sin;
	struct socket *sock;
	int err;

	err = sock_create_kern(net, AF_INET, SOCK_STREAM, IPPROTO_TCP, &sock);
	if (err)
		return err;
	tcp_sock_set_nodelay(sock->sk);
	lvs_tcp_sockaddr(&sin, addr, port);
	err = kernel_connect(sock, (struct sockaddr *)&sin, sizeof(sin), O_NONBLOCK);
	if (err && err != -EINPROGRESS) {
		sock_release(sock);
		return err;
	}
	*out = sock;
	return 0;
}

int lvs_tcp_status(struct socket *sock)
{
	struct sock *sk = sock->sk;
	int err = sock_error(sk);

	if (err)
		return err;
	switch (READ_ONCE(sk->sk_state)) {
	case TCP_SYN_SENT:
	case TCP_SYN_RECV:
		return 0;
	case TCP_CLOSE:
		return -ECONNRESET;
	default:
		return 1;
	}
}

/*
 * Established, without error, and nothing received: a connection that
 * can carry a request (a FIN from the peer leaves ESTABLISHED). A look
 * without the socket's lock, as poll's.
 */
bool lvs_tcp_quiet(struct socket *sock)
{
	struct sock *sk = sock->sk;

	return READ_ONCE(sk->sk_state) == TCP_ESTABLISHED && !READ_ONCE(sk->sk_err) &&
	       skb_queue_empty_lockless(&sk->sk_receive_queue);
}

/*
 * Whether a read would not block: bytes, the end of the stream or an
 * error (poll's look, without the socket's lock).
 */
bool lvs_tcp_readable(struct socket *sock)
{
	return sock->ops->poll(NULL, sock, NULL) & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR);
}

int lvs_tcp_send(struct socket *sock, const void *buf, size_t len, bool more)
{
	struct kvec vec = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr msg = { .msg_flags = MSG_DONTWAIT | MSG_NOSIGNAL | (more ? MSG_MORE : 0) };

	return kernel_sendmsg(sock, &msg, &vec, 1, len);
}

int lvs_tcp_recv(struct socket *sock, void *buf, size_t len)
{
	struct kvec vec = { .iov_base = buf, .iov_len = len };
	struct msghdr msg = { .msg_flags = MSG_DONTWAIT };

	return kernel_recvmsg(sock, &msg, &vec, 1, len, MSG_DONTWAIT);
}

void lvs_tcp_shutdown_write(struct socket *sock)
{
	kernel_sock_shutdown(sock, SHUT_WR);
}

void lvs_tcp_abort(struct socket *sock)
{
	/* Linger 0: closing resets the connection instead of a FIN. */
	sock_no_linger(sock->sk);
}

void lvs_tcp_peer(struct socket *sock, __be32 *addr, __be16 *port)
{
	struct inet_sock *inet = inet_sk(sock->sk);

	*addr = inet->inet_daddr;
	*port = inet->inet_dport;
}

struct lvs_events *lvs_events_new(unsigned int slots)
{
	struct lvs_events *events;

	events = kzalloc(struct_size(events, ready, BITS_TO_LONGS(slots)), GFP_KERNEL);
	if (!events)
		return NULL;
	events->task = current;
	events->slots = slots;
	return events;
}

void lvs_events_free(struct lvs_events *events)
{
	kfree(events);
}

void lvs_events_wait(struct lvs_events *events, long timeout)
{
	set_current_state(TASK_INTERRUPTIBLE);
	if (find_first_bit(events->ready, events->slots) >= events->slots && !kthread_should_stop())
		schedule_timeout(timeout);
	__set_current_state(TASK_RUNNING);
}

int lvs_events_next(struct lvs_events *events, unsigned int from)
{
	unsigned int slot = from;

	for (;;) {
		slot = find_next_bit(events->ready, events->slots, slot);
		if (slot >= events->slots)
			return -1;
		if (test_and_clear_bit(slot, events->ready))
			return slot;
	}
}

static int lvs_watch_wake(wait_queue_entry_t *entry, unsigned int mode, int sync, void *key)
{
	struct lvs_watch *watch = container_of(entry, struct lvs_watch, entry);

	set_bit(watch->slot, watch->events->ready);
	wake_up_process(watch->events->task);
	return 0;
}

/*
 * A watch of a socket that several threads watch, a listener they all
 * accept from: each wake-up goes to one of them, in turn, as with
 * EPOLLEXCLUSIVE but rotating. A thread whose slot is marked already will
 * look anyway: it passes (0), and the wake-up goes on to the next one.
 * The chosen entry goes to the back of the queue (under the queue's lock,
 * held while waking); the iteration is over for it (1 ends a wake-one),
 * and in a wake-all it meets the entry again, marked, and passes.
 */
static int lvs_watch_wake_turn(wait_queue_entry_t *entry, unsigned int mode, int sync, void *key)
{
	struct lvs_watch *watch = container_of(entry, struct lvs_watch, entry);

	if (test_and_set_bit(watch->slot, watch->events->ready))
		return 0;
	list_move_tail(&entry->entry, &watch->head->head);
	wake_up_process(watch->events->task);
	return 1;
}

struct lvs_watch *lvs_watch_add(struct socket *sock, struct lvs_events *events, unsigned int slot, bool in_turn)
{
	struct lvs_watch *watch;

	if (slot >= events->slots)
		return NULL;
	watch = kmalloc(sizeof(*watch), GFP_KERNEL);
	if (!watch)
		return NULL;
	init_waitqueue_func_entry(&watch->entry, in_turn ? lvs_watch_wake_turn : lvs_watch_wake);
	watch->head = sk_sleep(sock->sk);
	watch->events = events;
	watch->slot = slot;
	if (in_turn)
		add_wait_queue_exclusive(watch->head, &watch->entry);
	else
		add_wait_queue(watch->head, &watch->entry);
	/* Whatever happened before the watch counts: look once. */
	set_bit(slot, events->ready);
	return watch;
}

void lvs_watch_del(struct lvs_watch *watch)
{
	remove_wait_queue(watch->head, &watch->entry);
	kfree(watch);
}
