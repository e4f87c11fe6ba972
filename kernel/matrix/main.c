// SPDX-License-Identifier: GPL-2.0
/*
 * vfio_ap_sim: module entry of the vfio_ap-compatible matrix driver. Brings
 * up, in order, the matrix device, the control interface, the netlink
 * family, the mdev type and the AP queue driver "vfio_ap" (whose probes
 * can start at once), and takes them down in reverse.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>

#include "vap.h"

/* Control-interface guests let go at unload; VFIO users hold the module. */
static void vap_detach_control_guests(void)
{
	struct vap_guest *guest;

	vap_lock_guests();
	list_for_each_entry(guest, &vap.guest_list, node)
		if (guest->mdev && !guest->mdev->attached_by_vfio)
			vap_guest_detach(guest);
	vap_unlock_guests();
}

static int __init vap_init(void)
{
	int ret;

	ret = vap_matrix_dev_register();
	if (ret)
		goto err;
	ret = vap_control_init();
	if (ret)
		goto err_matrix;
	ret = vap_netlink_init();
	if (ret)
		goto err_control;
	ret = vap_mdev_backend_register();
	if (ret)
		goto err_netlink;
	ret = vap_queue_driver_register();
	if (ret)
		goto err_backend;
	return 0;

err_backend:
	vap_mdev_backend_unregister();
err_netlink:
	vap_netlink_exit();
err_control:
	vap_guests_destroy_all();
	vap_control_exit();
err_matrix:
	vap_matrix_dev_unregister();
err:
	pr_err("cannot load: %d\n", ret);
	return ret;
}

static void __exit vap_exit(void)
{
	vap_detach_control_guests();
	vap_mdev_backend_unregister();
	vap_queue_driver_unregister();
	vap_netlink_exit();
	vap_guests_destroy_all();
	vap_control_exit();
	vap_matrix_dev_unregister();
}

module_init(vap_init);
module_exit(vap_exit);
MODULE_DESCRIPTION("apctl vfio_ap-compatible AP matrix driver on the simulated AP bus");
MODULE_LICENSE("GPL");
#if IS_ENABLED(CONFIG_VFIO_MDEV)
MODULE_SOFTDEP("pre: mdev vfio_iommu_type1");
#endif
