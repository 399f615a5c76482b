// SPDX-License-Identifier: GPL-2.0
/*
 * One-line forwards to kernel static inlines (see helpers.h). Included
 * by each module's glue file, so it is built with that module's name.
 */
#include "helpers.h"

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
