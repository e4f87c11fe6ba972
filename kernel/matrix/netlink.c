// SPDX-License-Identifier: GPL-2.0
/*
 * vfio_ap_sim: the generic netlink family "vfio_ap_sim" (uapi/vfio_ap_sim.h,
 * kernel/README.md): a dump of every mdev, and multicast events on group
 * "events" for guest configuration changes, queue resets, in_use
 * refusals, host configuration changes and bindings complete. Requests are validated
 * strictly: unknown attributes and malformed values are refused.
 *
 * Lock order (kernel/LOCKING.md): the dump takes guests_lock ->
 * guest->lock -> mdevs_lock per mdev; events are sent by callers holding
 * any of those locks (allocations are GFP_KERNEL: every caller sleeps).
 *
 * The family is netns-aware (.netnsok) and events go to every network
 * namespace: apctld runs in a private one under systemd (PrivateNetwork=),
 * and the dump reads only global state, so it answers the same anywhere.
 * Upstream vfio_ap has no netlink family at all.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <net/genetlink.h>

#include "vap.h"
#include "uapi/vfio_ap_sim.h"

#define VAP_MASK_STRLEN 67

static const struct nla_policy vap_get_policy[VAP_ATTR_UUID + 1] = {
	[VAP_ATTR_UUID] = { .type = NLA_NUL_STRING, .len = UUID_STRING_LEN },
};

static struct genl_family vap_nl_family;

static int vap_nl_put_mask(struct sk_buff *skb, int attr,
			   const unsigned long *mask)
{
	char buf[VAP_MASK_STRLEN];

	vap_mask_format(buf, sizeof(buf), mask, AP_DEVICES);
	return nla_put_string(skb, attr, buf);
}

static int vap_nl_put_matrix(struct sk_buff *skb, int first,
			     const struct vap_matrix *m)
{
	if (vap_nl_put_mask(skb, first, m->apm) ||
	    vap_nl_put_mask(skb, first + 1, m->aqm) ||
	    vap_nl_put_mask(skb, first + 2, m->adm))
		return -EMSGSIZE;
	return 0;
}

/* One mdev, with guests_lock, its guest's lock and mdevs_lock held. */
static int vap_nl_fill_mdev(struct sk_buff *skb, struct vap_mdev *mdev,
			    u32 portid, u32 seq, int flags)
{
	void *hdr;

	lockdep_assert_held(&vap.mdevs_lock);
	hdr = genlmsg_put(skb, portid, seq, &vap_nl_family, flags,
			  VAP_CMD_GET_MDEV);
	if (!hdr)
		return -EMSGSIZE;
	if (nla_put_string(skb, VAP_ATTR_UUID, mdev->uuid_str) ||
	    vap_nl_put_matrix(skb, VAP_ATTR_APM, &mdev->matrix) ||
	    vap_nl_put_matrix(skb, VAP_ATTR_SHADOW_APM, &mdev->shadow))
		goto cancel;
	if (mdev->guest &&
	    (nla_put_string(skb, VAP_ATTR_GUEST, mdev->guest->name) ||
	     vap_nl_put_matrix(skb, VAP_ATTR_GUEST_APM, &mdev->guest->apcb)))
		goto cancel;
	genlmsg_end(skb, hdr);
	return 0;
cancel:
	genlmsg_cancel(skb, hdr);
	return -EMSGSIZE;
}

/*
 * cb->args[0]: how many mdevs were sent. The list can change between two
 * parts of a dump, as with any netlink dump; one part is consistent.
 */
static int vap_nl_dump_mdevs(struct sk_buff *skb, struct netlink_callback *cb)
{
	const struct genl_dumpit_info *info = genl_dumpit_info(cb);
	struct nlattr *uuid_attr = info->attrs[VAP_ATTR_UUID];
	struct vap_mdev *mdev;
	guid_t uuid;
	long idx = 0;
	int ret = 0;

	if (uuid_attr && guid_parse(nla_data(uuid_attr), &uuid)) {
		NL_SET_ERR_MSG_ATTR(cb->extack, uuid_attr, "not an mdev uuid");
		return -EINVAL;
	}
	vap_lock_guests();
	list_for_each_entry(mdev, &vap.mdev_list, node) {
		struct vap_guest *guest;

		if (uuid_attr && !guid_equal(&mdev->uuid, &uuid))
			continue;
		if (idx++ < cb->args[0])
			continue;
		guest = vap_lock_mdev_locked(mdev);
		ret = vap_nl_fill_mdev(skb, mdev, NETLINK_CB(cb->skb).portid,
				       cb->nlh->nlmsg_seq, NLM_F_MULTI);
		vap_unlock_mdev_locked(guest);
		if (ret) {
			idx--;
			break;
		}
	}
	vap_unlock_guests();
	cb->args[0] = idx;
	/* A message too small for one mdev is the caller's error. */
	if (ret && skb->len == 0)
		return ret;
	return skb->len;
}

static const struct genl_ops vap_nl_ops[] = {
	{
		.cmd = VAP_CMD_GET_MDEV,
		.dumpit = vap_nl_dump_mdevs,
		.policy = vap_get_policy,
		.maxattr = VAP_ATTR_UUID,
		.flags = GENL_ADMIN_PERM,
	},
};

static const struct genl_multicast_group vap_nl_mcgrps[] = {
	{ .name = VAP_GENL_MCGRP_EVENTS },
};

static struct genl_family vap_nl_family = {
	.name = VAP_GENL_NAME,
	.version = VAP_GENL_VERSION,
	.maxattr = VAP_ATTR_MAX,
	.module = THIS_MODULE,
	.netnsok = true,
	.ops = vap_nl_ops,
	.n_ops = ARRAY_SIZE(vap_nl_ops),
	.mcgrps = vap_nl_mcgrps,
	.n_mcgrps = ARRAY_SIZE(vap_nl_mcgrps),
};

/*
 * Start an event, or NULL when memory is short. genl_has_listeners() asks
 * one namespace only; a listener may be in any, and the multicast below
 * skips the namespaces without one, so an event is always built.
 */
static struct sk_buff *vap_nl_event_new(u8 cmd, void **ret_hdr)
{
	struct sk_buff *skb;

	skb = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!skb)
		return NULL;
	*ret_hdr = genlmsg_put(skb, 0, 0, &vap_nl_family, 0, cmd);
	if (!*ret_hdr) {
		nlmsg_free(skb);
		return NULL;
	}
	return skb;
}

static void vap_nl_event_send(struct sk_buff *skb, void *hdr, bool failed)
{
	if (failed) {
		nlmsg_free(skb);
		return;
	}
	genlmsg_end(skb, hdr);
	/*
	 * 6.1's genlmsg_multicast_allns() takes the RCU read lock itself and
	 * allocates atomically (no gfp argument since the stable fix).
	 */
	genlmsg_multicast_allns(&vap_nl_family, skb, 0, 0);
}

void vap_nl_guest_config(struct vap_mdev *mdev, const struct vap_matrix *m)
{
	struct sk_buff *skb;
	void *hdr;

	skb = vap_nl_event_new(VAP_CMD_EVT_GUEST_CONFIG, &hdr);
	if (!skb)
		return;
	vap_nl_event_send(skb, hdr,
			  nla_put_string(skb, VAP_ATTR_UUID, mdev->uuid_str) ||
			  (mdev->guest &&
			   nla_put_string(skb, VAP_ATTR_GUEST, mdev->guest->name)) ||
			  vap_nl_put_matrix(skb, VAP_ATTR_GUEST_APM, m));
}

void vap_nl_queue_reset(ap_qid_t apqn, int rc)
{
	bool ok = rc == AP_RESPONSE_NORMAL || rc == AP_RESPONSE_Q_NOT_AVAIL ||
		  rc == AP_RESPONSE_DECONFIGURED || rc == AP_RESPONSE_CHECKSTOPPED;
	struct sk_buff *skb;
	void *hdr;

	skb = vap_nl_event_new(ok ? VAP_CMD_EVT_RESET_DONE :
				    VAP_CMD_EVT_RESET_FAILED, &hdr);
	if (!skb)
		return;
	vap_nl_event_send(skb, hdr, nla_put_u16(skb, VAP_ATTR_APQN, apqn) ||
			  nla_put_s32(skb, VAP_ATTR_RESET_RC, rc));
}

void vap_nl_in_use(struct vap_mdev *mdev, ap_qid_t apqn)
{
	struct sk_buff *skb;
	void *hdr;

	skb = vap_nl_event_new(VAP_CMD_EVT_IN_USE, &hdr);
	if (!skb)
		return;
	vap_nl_event_send(skb, hdr,
			  nla_put_string(skb, VAP_ATTR_UUID, mdev->uuid_str) ||
			  nla_put_u16(skb, VAP_ATTR_APQN, apqn));
}

void vap_nl_host_config(const struct ap_config_info *info)
{
	struct sk_buff *skb;
	void *hdr;

	skb = vap_nl_event_new(VAP_CMD_EVT_HOST_CONFIG, &hdr);
	if (!skb)
		return;
	vap_nl_event_send(skb, hdr,
			  vap_nl_put_mask(skb, VAP_ATTR_APM, info->apm) ||
			  vap_nl_put_mask(skb, VAP_ATTR_AQM, info->aqm) ||
			  vap_nl_put_mask(skb, VAP_ATTR_ADM, info->adm));
}

/* From the bus, with no lock of ours held (kernel/LOCKING.md). */
void vap_nl_bindings_complete(u64 complete_count)
{
	struct sk_buff *skb;
	void *hdr;

	skb = vap_nl_event_new(VAP_CMD_EVT_BINDINGS_COMPLETE, &hdr);
	if (!skb)
		return;
	vap_nl_event_send(skb, hdr,
			  nla_put_u64_64bit(skb, VAP_ATTR_COMPLETE_COUNT,
					    complete_count, VAP_ATTR_PAD));
}

int vap_netlink_init(void)
{
	return genl_register_family(&vap_nl_family);
}

void vap_netlink_exit(void)
{
	genl_unregister_family(&vap_nl_family);
}
