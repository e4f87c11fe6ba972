// SPDX-License-Identifier: GPL-2.0
/*
 * apsim: module entry of apctl's simulated AP bus. Parameters describe
 * the simulated machine at load time and the initial reservations (as
 * upstream's ap.apmask=/ap.aqmask=/ap.domain=); init brings up the
 * hardware, the bus, the default drivers and the control interface and
 * queues the first scan; exit takes everything down in reverse.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/moduleparam.h>

#include "apsim.h"

static char *adapters = "0-3:cex8:cca,4-5:cex8:ep11,6:cex7:accel,7:cex6:cca";
module_param(adapters, charp, 0444);
MODULE_PARM_DESC(adapters,
		 "installed adapters: RANGE:TYPE:MODE[,...], TYPE cex3c|cex4..cex8, MODE accel|cca|ep11");

static char *usage_domains = "0-15";
module_param(usage_domains, charp, 0444);
MODULE_PARM_DESC(usage_domains, "usage domains (QCI AQM), e.g. 0-15,20");

static char *control_domains;
module_param(control_domains, charp, 0444);
MODULE_PARM_DESC(control_domains, "control domains (QCI ADM); default: the usage domains");

static unsigned int max_adapter_id = 255;
module_param(max_adapter_id, uint, 0444);
MODULE_PARM_DESC(max_adapter_id, "QCI Na, the highest adapter id (with APXA)");

static unsigned int max_domain_id = 255;
module_param(max_domain_id, uint, 0444);
MODULE_PARM_DESC(max_domain_id, "QCI Nd, the highest domain id (with APXA)");

static bool apxa = true;
module_param(apxa, bool, 0444);
MODULE_PARM_DESC(apxa, "APXA facility; without it the max ids are 63 and 15");

static char *apm_str;
module_param_named(apmask, apm_str, charp, 0440);
MODULE_PARM_DESC(apmask, "AP bus adapter mask, as /sys/bus/ap/apmask accepts it");

static char *aqm_str;
module_param_named(aqmask, aqm_str, charp, 0440);
MODULE_PARM_DESC(aqmask, "AP bus domain mask, as /sys/bus/ap/aqmask accepts it");

static int domain_param = -1;
module_param_named(domain, domain_param, int, 0440);
MODULE_PARM_DESC(domain, "default domain index; -1 picks the first usable");

static int __init apsim_init(void)
{
	int r;

	if (domain_param < -1 || domain_param > AP_DOMAINS - 1) {
		pr_err("domain=%d: must be -1..255\n", domain_param);
		return -EINVAL;
	}
	r = apsim_hw_init();
	if (r)
		return r;
	r = apsim_hw_load_config(adapters, usage_domains, control_domains,
				 max_adapter_id, max_domain_id, apxa);
	if (r)
		goto err_hw;
	r = apsim_perms_init(apm_str, aqm_str);
	if (r)
		goto err_hw;
	apsim_domain_index = domain_param;
	r = apsim_scan_init();
	if (r)
		goto err_hw;
	r = apsim_bus_init();
	if (r)
		goto err_scan;
	r = apsim_defdrv_init();
	if (r)
		goto err_bus;
	r = apsim_control_init();
	if (r)
		goto err_defdrv;
	apsim_scan_start();
	return 0;

err_defdrv:
	apsim_defdrv_exit();
err_bus:
	apsim_bus_exit();
err_scan:
	apsim_scan_exit();
err_hw:
	apsim_hw_exit();
	return r;
}

static void __exit apsim_exit(void)
{
	apsim_control_exit();
	apsim_scan_exit();
	apsim_defdrv_exit();
	apsim_bus_exit();
	apsim_hw_exit();
}

module_init(apsim_init);
module_exit(apsim_exit);
MODULE_DESCRIPTION("apctl simulated s390 AP bus");
MODULE_LICENSE("GPL");
