// SPDX-License-Identifier: GPL-2.0
/*
 * apsim: module entry of apctl's simulated AP bus. The bus, its devices,
 * the default driver and the control interface are filled in by the
 * simulated AP bus work; for now this only proves the build and the VM
 * harness load and unload a module on both architectures.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>

static int __init apsim_init(void)
{
	pr_info("simulated AP bus loaded\n");
	return 0;
}

static void __exit apsim_exit(void)
{
	pr_info("simulated AP bus unloaded\n");
}

module_init(apsim_init);
module_exit(apsim_exit);
MODULE_DESCRIPTION("apctl simulated s390 AP bus");
MODULE_LICENSE("GPL");
