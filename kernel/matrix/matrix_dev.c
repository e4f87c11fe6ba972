// SPDX-License-Identifier: GPL-2.0
/*
 * vfio_ap_sim: the matrix device /sys/devices/vfio_ap/matrix (also
 * /sys/bus/matrix/devices/matrix), bound to a driver named "vfio_ap" on
 * bus "matrix" so that the mdev type directory is called
 * vfio_ap-passthrough, as upstream. It is the mdev parent and carries the
 * `features` attribute.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "vap.h"

struct vap_matrix_dev vap;

static struct bus_type vap_matrix_bus = {
	.name = "matrix",
};

static int vap_matrix_drv_probe(struct device *dev)
{
	return 0;
}

static struct device_driver vap_matrix_driver = {
	.name = VAP_DRV_NAME,
	.bus = &vap_matrix_bus,
	.owner = THIS_MODULE,
	.probe = vap_matrix_drv_probe,
	.suppress_bind_attrs = true,
};

static ssize_t features_show(struct device *dev, struct device_attribute *attr,
			     char *buf)
{
	return sysfs_emit(buf, "guest_matrix hotplug ap_config\n");
}
static DEVICE_ATTR_RO(features);

static struct attribute *vap_matrix_attrs[] = {
	&dev_attr_features.attr,
	NULL,
};
ATTRIBUTE_GROUPS(vap_matrix);

static void vap_matrix_dev_release(struct device *dev)
{
	/* static object: nothing to free */
}

static void vap_matrix_dev_init_limits(void)
{
	/* Without APXA the architecture limits ids to 63 adapters, 15 domains. */
	vap.apm_max = vap.info.apxa ? vap.info.na : 63;
	vap.aqm_max = vap.info.apxa ? vap.info.nd : 15;
	vap.adm_max = vap.aqm_max;
	if (vap.apm_max >= AP_DEVICES)
		vap.apm_max = AP_DEVICES - 1;
	if (vap.aqm_max >= AP_DOMAINS)
		vap.aqm_max = vap.adm_max = AP_DOMAINS - 1;
}

int vap_matrix_dev_register(void)
{
	int ret;

	mutex_init(&vap.guests_lock);
	mutex_init(&vap.mdevs_lock);
	init_rwsem(&vap.pqap_hook_rwsem);
	INIT_LIST_HEAD(&vap.mdev_list);
	INIT_LIST_HEAD(&vap.guest_list);

	ret = ap_qci(&vap.info);
	if (ret)
		return ret;
	vap_matrix_dev_init_limits();

	vap.owner = vzalloc(array_size(VAP_NUM_APQNS, sizeof(*vap.owner)));
	vap.queues = vzalloc(array_size(VAP_NUM_APQNS, sizeof(*vap.queues)));
	if (!vap.owner || !vap.queues) {
		ret = -ENOMEM;
		goto err_free;
	}

	vap.root = root_device_register(VAP_DRV_NAME);
	if (IS_ERR(vap.root)) {
		ret = PTR_ERR(vap.root);
		goto err_free;
	}
	ret = bus_register(&vap_matrix_bus);
	if (ret)
		goto err_root;
	ret = driver_register(&vap_matrix_driver);
	if (ret)
		goto err_bus;

	device_initialize(&vap.device);
	vap.device.parent = vap.root;
	vap.device.bus = &vap_matrix_bus;
	vap.device.groups = vap_matrix_groups;
	vap.device.release = vap_matrix_dev_release;
	dev_set_name(&vap.device, "matrix");
	ret = device_add(&vap.device);
	if (ret) {
		put_device(&vap.device);
		goto err_drv;
	}
	vap.device_registered = true;
	return 0;

err_drv:
	driver_unregister(&vap_matrix_driver);
err_bus:
	bus_unregister(&vap_matrix_bus);
err_root:
	root_device_unregister(vap.root);
err_free:
	vfree(vap.owner);
	vfree(vap.queues);
	vap.owner = NULL;
	vap.queues = NULL;
	return ret;
}

void vap_matrix_dev_unregister(void)
{
	if (!vap.device_registered)
		return;
	device_unregister(&vap.device);
	driver_unregister(&vap_matrix_driver);
	bus_unregister(&vap_matrix_bus);
	root_device_unregister(vap.root);
	vfree(vap.owner);
	vfree(vap.queues);
	vap.owner = NULL;
	vap.queues = NULL;
	vap.device_registered = false;
}
