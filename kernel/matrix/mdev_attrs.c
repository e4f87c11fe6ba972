// SPDX-License-Identifier: GPL-2.0
/*
 * vfio_ap_sim: the per-mdev sysfs attributes of kernel-abi.md §4.2, with
 * upstream's formats and errnos: assign_/unassign_ adapter, domain and
 * control_domain, matrix, guest_matrix, control_domains, ap_config. A
 * refused write leaves the mdev exactly as it was. Once a remove started,
 * writes get -ENODEV (upstream's files are gone by then), so nothing can
 * give an mdev APQNs after its remove gave them back.
 *
 * Lock order (kernel/LOCKING.md): ap_perms_mutex -> guests_lock ->
 * guest->lock -> mdevs_lock. Writes that can add APQNs take ap_perms_mutex
 * first, so that in_use (which runs under it) and an assignment are
 * ordered, never crossed.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "vap.h"

/* "0x" + 64 digits, three times, two commas and a newline. */
#define VAP_AP_CONFIG_STRLEN (3 * 66 + 3)

/* The three kinds of resource an mdev is assigned. */
enum vap_res {
	VAP_RES_ADAPTER,
	VAP_RES_DOMAIN,
	VAP_RES_CONTROL_DOMAIN,
};

struct vap_res_kind {
	size_t mask_offset;             /* which mask of struct vap_matrix */
	unsigned int *max;              /* highest id the host allows */
	bool usage;                     /* forms APQNs: reserve/sharing checks, reset */
};

static const struct vap_res_kind vap_res_kinds[] = {
	[VAP_RES_ADAPTER] = {
		.mask_offset = offsetof(struct vap_matrix, apm),
		.max = &vap.apm_max,
		.usage = true,
	},
	[VAP_RES_DOMAIN] = {
		.mask_offset = offsetof(struct vap_matrix, aqm),
		.max = &vap.aqm_max,
		.usage = true,
	},
	[VAP_RES_CONTROL_DOMAIN] = {
		.mask_offset = offsetof(struct vap_matrix, adm),
		.max = &vap.adm_max,
		.usage = false,
	},
};

static unsigned long *vap_res_mask(struct vap_matrix *m, enum vap_res res)
{
	return (unsigned long *)((char *)m + vap_res_kinds[res].mask_offset);
}

static struct vap_mdev *vap_mdev_of(struct device *dev)
{
	return dev_get_drvdata(dev);
}

/*
 * May @mdev have @apm x @aqm? -EADDRNOTAVAIL if the host still reserves
 * one of the APQNs, -EADDRINUSE if another mdev has one.
 */
static int vap_mdev_validate(struct vap_mdev *mdev, unsigned long *apm,
			     unsigned long *aqm)
{
	unsigned long apid, apqi;
	int ret = 0;

	lockdep_assert_held(&ap_perms_mutex);
	lockdep_assert_held(&vap.mdevs_lock);
	if (ap_apqn_in_matrix_owned_by_def_drv(apm, aqm))
		return -EADDRNOTAVAIL;
	for_each_set_bit(apid, apm, AP_DEVICES)
		for_each_set_bit(apqi, aqm, AP_DOMAINS) {
			struct vap_mdev *owner = vap.owner[VAP_APQN(apid, apqi)];

			if (!owner || owner == mdev)
				continue;
			pr_warn_ratelimited("Userspace may not assign queue %02lx.%04lx to mdev: already assigned to %s\n",
					    apid, apqi, owner->uuid_str);
			ret = -EADDRINUSE;
		}
	return ret;
}

static int vap_parse_id(const char *buf, enum vap_res res,
			unsigned long *ret_id)
{
	unsigned long id;
	int ret;

	/* Base 0 as upstream: a leading 0 means octal (kernel-abi.md §7.12). */
	ret = kstrtoul(buf, 0, &id);
	if (ret)
		return ret;
	if (id > *vap_res_kinds[res].max)
		return -ENODEV;
	*ret_id = id;
	return 0;
}

static ssize_t vap_assign(struct device *dev, const char *buf, size_t count,
			  enum vap_res res)
{
	struct vap_mdev *mdev = vap_mdev_of(dev);
	DECLARE_BITMAP(one, AP_DEVICES);
	struct vap_guest *guest;
	unsigned long id;
	ssize_t ret;

	ret = vap_parse_id(buf, res, &id);
	if (ret)
		return ret;
	bitmap_zero(one, AP_DEVICES);
	__set_bit(id, one);

	if (vap_res_kinds[res].usage)
		vap_lock_perms();
	guest = vap_lock_for_mdev(mdev);
	if (mdev->removing) {
		ret = -ENODEV;
		goto out;
	}
	if (test_bit(id, vap_res_mask(&mdev->matrix, res)))
		goto done;      /* re-assigning is a no-op, as upstream */
	if (res == VAP_RES_ADAPTER)
		ret = vap_mdev_validate(mdev, one, mdev->matrix.aqm);
	else if (res == VAP_RES_DOMAIN)
		ret = vap_mdev_validate(mdev, mdev->matrix.apm, one);
	if (ret)
		goto out;
	__set_bit(id, vap_res_mask(&mdev->matrix, res));
	if (res == VAP_RES_ADAPTER)
		vap_mdev_set_owner(mdev, one, mdev->matrix.aqm, mdev);
	else if (res == VAP_RES_DOMAIN)
		vap_mdev_set_owner(mdev, mdev->matrix.apm, one, mdev);
	vap_mdev_update_guest(mdev);
done:
	ret = count;
out:
	vap_unlock_for_mdev(guest);
	if (vap_res_kinds[res].usage)
		vap_unlock_perms();
	return ret;
}

/*
 * Unassign: hot unplug from the guest, then reset the queues that left the
 * mdev (usage resources only), then forget the ownership.
 */
static ssize_t vap_unassign(struct device *dev, const char *buf, size_t count,
			    enum vap_res res)
{
	struct vap_mdev *mdev = vap_mdev_of(dev);
	DECLARE_BITMAP(apm, AP_DEVICES);
	DECLARE_BITMAP(aqm, AP_DOMAINS);
	struct vap_guest *guest;
	unsigned long id;
	int ret;

	ret = vap_parse_id(buf, res, &id);
	if (ret)
		return ret;

	guest = vap_lock_for_mdev(mdev);
	if (mdev->removing) {
		vap_unlock_for_mdev(guest);
		return -ENODEV;
	}
	if (!test_bit(id, vap_res_mask(&mdev->matrix, res)))
		goto out;       /* unassigning a non-assigned id is a no-op */
	bitmap_copy(apm, mdev->matrix.apm, AP_DEVICES);
	bitmap_copy(aqm, mdev->matrix.aqm, AP_DOMAINS);
	if (res == VAP_RES_ADAPTER) {
		bitmap_zero(apm, AP_DEVICES);
		__set_bit(id, apm);
	} else if (res == VAP_RES_DOMAIN) {
		bitmap_zero(aqm, AP_DOMAINS);
		__set_bit(id, aqm);
	}
	__clear_bit(id, vap_res_mask(&mdev->matrix, res));
	vap_mdev_update_guest(mdev);
	if (vap_res_kinds[res].usage) {
		vap_mdev_reset_apqns(mdev, apm, aqm);
		vap_mdev_set_owner(mdev, apm, aqm, NULL);
	}
out:
	vap_unlock_for_mdev(guest);
	return count;
}

#define VAP_ASSIGN_ATTRS(_name, _res)					\
static ssize_t assign_##_name##_store(struct device *dev,		\
				      struct device_attribute *attr,	\
				      const char *buf, size_t count)	\
{									\
	return vap_assign(dev, buf, count, _res);			\
}									\
static DEVICE_ATTR_WO(assign_##_name);					\
static ssize_t unassign_##_name##_store(struct device *dev,		\
					struct device_attribute *attr,	\
					const char *buf, size_t count)	\
{									\
	return vap_unassign(dev, buf, count, _res);			\
}									\
static DEVICE_ATTR_WO(unassign_##_name)

VAP_ASSIGN_ATTRS(adapter, VAP_RES_ADAPTER);
VAP_ASSIGN_ATTRS(domain, VAP_RES_DOMAIN);
VAP_ASSIGN_ATTRS(control_domain, VAP_RES_CONTROL_DOMAIN);

static ssize_t control_domains_show(struct device *dev,
				    struct device_attribute *attr, char *buf)
{
	struct vap_mdev *mdev = vap_mdev_of(dev);
	unsigned long id;
	int n = 0;

	vap_lock_mdevs();
	for_each_set_bit(id, mdev->matrix.adm, AP_DOMAINS)
		n += sysfs_emit_at(buf, n, "%04lx\n", id);
	vap_unlock_mdevs();
	return n;
}
static DEVICE_ATTR_RO(control_domains);

/*
 * One line per APQN; only adapters: "XX."; only domains: ".YYYY". A matrix
 * larger than a page is cut at the page, where upstream would overflow.
 */
static int vap_matrix_emit(char *buf, const struct vap_matrix *m)
{
	unsigned long apid, apqi;
	int n = 0;

	if (bitmap_empty(m->aqm, AP_DOMAINS)) {
		for_each_set_bit(apid, m->apm, AP_DEVICES)
			n += sysfs_emit_at(buf, n, "%02lx.\n", apid);
		return n;
	}
	if (bitmap_empty(m->apm, AP_DEVICES)) {
		for_each_set_bit(apqi, m->aqm, AP_DOMAINS)
			n += sysfs_emit_at(buf, n, ".%04lx\n", apqi);
		return n;
	}
	for_each_set_bit(apid, m->apm, AP_DEVICES)
		for_each_set_bit(apqi, m->aqm, AP_DOMAINS)
			n += sysfs_emit_at(buf, n, "%02lx.%04lx\n", apid, apqi);
	return n;
}

static ssize_t matrix_show(struct device *dev, struct device_attribute *attr,
			   char *buf)
{
	struct vap_mdev *mdev = vap_mdev_of(dev);
	int n;

	vap_lock_mdevs();
	n = vap_matrix_emit(buf, &mdev->matrix);
	vap_unlock_mdevs();
	return n;
}
static DEVICE_ATTR_RO(matrix);

static ssize_t guest_matrix_show(struct device *dev,
				 struct device_attribute *attr, char *buf)
{
	struct vap_mdev *mdev = vap_mdev_of(dev);
	int n;

	vap_lock_mdevs();
	n = vap_matrix_emit(buf, &mdev->shadow);
	vap_unlock_mdevs();
	return n;
}
static DEVICE_ATTR_RO(guest_matrix);

static ssize_t ap_config_show(struct device *dev, struct device_attribute *attr,
			      char *buf)
{
	struct vap_mdev *mdev = vap_mdev_of(dev);
	char apm[67], aqm[67], adm[67];

	vap_lock_mdevs();
	vap_mask_format(apm, sizeof(apm), mdev->matrix.apm, AP_DEVICES);
	vap_mask_format(aqm, sizeof(aqm), mdev->matrix.aqm, AP_DOMAINS);
	vap_mask_format(adm, sizeof(adm), mdev->matrix.adm, AP_DOMAINS);
	vap_unlock_mdevs();
	return sysfs_emit(buf, "%s,%s,%s\n", apm, aqm, adm);
}

/*
 * "apm,aqm,adm" split on ',' and '\n' as upstream (so "a,d\n" is accepted
 * with no control domains); anything after the third mask but a newline
 * is refused.
 */
static int vap_ap_config_parse(const char *buf, size_t count,
			       struct vap_matrix *ret)
{
	static const enum vap_res order[] = {
		VAP_RES_ADAPTER, VAP_RES_DOMAIN, VAP_RES_CONTROL_DOMAIN,
	};
	struct vap_matrix m;
	char *str, *rest, *tok;
	unsigned int i;
	int r = 0;

	if (count > VAP_AP_CONFIG_STRLEN)
		return -EINVAL;
	str = kstrndup(buf, count, GFP_KERNEL);
	if (!str)
		return -ENOMEM;
	rest = str;
	memset(&m, 0, sizeof(m));
	for (i = 0; i < ARRAY_SIZE(order) && !r; i++) {
		unsigned long *mask = vap_res_mask(&m, order[i]);

		tok = strsep(&rest, ",\n");
		if (!tok) {
			r = -EINVAL;
			break;
		}
		r = vap_mask_parse(tok, strlen(tok), mask, AP_DEVICES);
		if (!r && find_last_bit(mask, AP_DEVICES) != AP_DEVICES &&
		    find_last_bit(mask, AP_DEVICES) > *vap_res_kinds[order[i]].max)
			r = -ENODEV;
	}
	if (!r && rest && *rest)
		r = -EINVAL;
	kfree(str);
	if (!r)
		*ret = m;
	return r;
}

static ssize_t ap_config_store(struct device *dev,
			       struct device_attribute *attr,
			       const char *buf, size_t count)
{
	struct vap_mdev *mdev = vap_mdev_of(dev);
	DECLARE_BITMAP(removed_apm, AP_DEVICES);
	DECLARE_BITMAP(removed_aqm, AP_DOMAINS);
	DECLARE_BITMAP(kept_apm, AP_DEVICES);
	struct vap_matrix m, old;
	struct vap_guest *guest;
	int ret;

	ret = vap_ap_config_parse(buf, count, &m);
	if (ret)
		return ret;

	vap_lock_perms();
	guest = vap_lock_for_mdev(mdev);
	ret = mdev->removing ? -ENODEV : vap_mdev_validate(mdev, m.apm, m.aqm);
	if (ret)
		goto out;
	old = mdev->matrix;
	mdev->matrix = m;
	/* Unplug and plug in one guest update, then reset what left. */
	vap_mdev_update_guest(mdev);
	bitmap_andnot(removed_apm, old.apm, m.apm, AP_DEVICES);
	bitmap_andnot(removed_aqm, old.aqm, m.aqm, AP_DOMAINS);
	bitmap_and(kept_apm, old.apm, m.apm, AP_DEVICES);
	vap_mdev_reset_apqns(mdev, removed_apm, old.aqm);
	vap_mdev_reset_apqns(mdev, kept_apm, removed_aqm);
	vap_mdev_set_owner(mdev, old.apm, old.aqm, NULL);
	vap_mdev_set_owner(mdev, m.apm, m.aqm, mdev);
	ret = count;
out:
	vap_unlock_for_mdev(guest);
	vap_unlock_perms();
	return ret;
}
static DEVICE_ATTR_RW(ap_config);

static struct attribute *vap_mdev_attrs[] = {
	&dev_attr_assign_adapter.attr,
	&dev_attr_unassign_adapter.attr,
	&dev_attr_assign_domain.attr,
	&dev_attr_unassign_domain.attr,
	&dev_attr_assign_control_domain.attr,
	&dev_attr_unassign_control_domain.attr,
	&dev_attr_control_domains.attr,
	&dev_attr_matrix.attr,
	&dev_attr_guest_matrix.attr,
	&dev_attr_ap_config.attr,
	NULL,
};

static const struct attribute_group vap_mdev_attr_group = {
	.attrs = vap_mdev_attrs,
};

const struct attribute_group *vap_mdev_attr_groups[] = {
	&vap_mdev_attr_group,
	NULL,
};
