// SPDX-License-Identifier: GPL-2.0
/*
 * One-line forwards to kernel static inlines (see helpers.h). Included
 * by each module's glue file, so it is built with that module's name.
 */
#include "helpers.h"
#include <linux/kmod.h>
#include <net/ip.h>
#include <net/route.h>
#include <net/netfilter/nf_conntrack.h>

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

bool lvs_skb_csum_partial(const struct sk_buff *skb)
{
	return skb->ip_summed == CHECKSUM_PARTIAL;
}

/* Routes @skb to @daddr, replacing the route it arrived with. */
int lvs_skb_route_v4(struct net *net, struct sk_buff *skb, __be32 daddr)
{
	struct flowi4 fl4 = { .daddr = daddr, .flowi4_mark = skb->mark };
	struct rtable *rt = ip_route_output_key(net, &fl4);

	if (IS_ERR(rt))
		return PTR_ERR(rt);
	skb_dst_drop(skb);
	skb_dst_set(skb, &rt->dst);
	return 0;
}

/*
 * Sends a packet taken at LOCAL_IN out again, as a locally generated
 * one: it drops its socket and conntrack references and input-path
 * state, then goes through LOCAL_OUT and the route set on it.
 */
void lvs_ip_local_out(struct net *net, struct sk_buff *skb)
{
	skb_orphan(skb);
	nf_reset_ct(skb);
	skb_forward_csum(skb);
	memset(IPCB(skb), 0, sizeof(*IPCB(skb)));
#if IS_ENABLED(CONFIG_IP_VS)
	skb->ipvs_property = 1;
#endif
	ip_local_out(net, NULL, skb);
}

void lvs_timer_setup(struct timer_list *timer, void (*fn)(struct timer_list *))
{
	timer_setup(timer, fn, 0);
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
