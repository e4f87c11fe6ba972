// SPDX-License-Identifier: GPL-2.0
/*
 * apsim: the simulated AP hardware. The machine configuration (what QCI
 * reports: adapters, usage and control domains, the highest ids), each
 * adapter's type, mode, SCLP config and checkstop state, each queue's
 * reset and interrupt state, the AP instructions drivers use (TAPQ, ZAPQ,
 * AQIC) and the injected faults. The bus only learns about changes here
 * through its scans, as the real bus learns about an SE/HMC change.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitmap.h>
#include <linux/kernel.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/vmalloc.h>

#include "apsim.h"

const char *const apsim_mode_names[APSIM_MODE_COUNT] = {
	[APSIM_MODE_ACCEL] = "accel",
	[APSIM_MODE_CCA] = "cca",
	[APSIM_MODE_EP11] = "ep11",
};

/* Type names accepted by the control interface, and the modes each has. */
struct apsim_hw_type {
	const char *name;
	int hwtype;
	unsigned int modes;     /* BIT(enum apsim_mode) */
	const char *prefix;     /* zcrypt's type string without the mode letter */
};

static const struct apsim_hw_type hw_types[] = {
	{ "cex3c", AP_DEVICE_TYPE_CEX3C, BIT(APSIM_MODE_CCA), "CEX3" },
	{ "cex4", AP_DEVICE_TYPE_CEX4, 0x7, "CEX4" },
	{ "cex5", AP_DEVICE_TYPE_CEX5, 0x7, "CEX5" },
	{ "cex6", AP_DEVICE_TYPE_CEX6, 0x7, "CEX6" },
	{ "cex7", AP_DEVICE_TYPE_CEX7, 0x7, "CEX7" },
	{ "cex8", AP_DEVICE_TYPE_CEX8, 0x7, "CEX8" },
};

/* zcrypt's mode letters: accelerator, CCA coprocessor, EP11 coprocessor. */
static const char mode_letters[APSIM_MODE_COUNT] = { 'A', 'C', 'P' };

/*
 * ap_functions per mode, MSB = bit 0: MEX4K, CRT4K, RNG (CCA), then the
 * mode bit (COPRO, ACCEL, EP11) and APXA.
 */
static const unsigned int mode_functions[APSIM_MODE_COUNT] = {
	[APSIM_MODE_ACCEL] = 0xc0000000 | (0x80000000 >> AP_FUNC_ACCEL),
	[APSIM_MODE_CCA] = 0xe0000000 | (0x80000000 >> AP_FUNC_COPRO),
	[APSIM_MODE_EP11] = 0x20000000 | (0x80000000 >> AP_FUNC_EP11),
};

struct apsim_hw_queue {
	ktime_t reset_done;     /* a reset is in progress until then */
	u8 reset_fail_rc;       /* injected: ZAPQ answers this, 0 = none */
	bool irq_enabled;
	struct apsim_airq_target *airq; /* borrowed: valid until AQIC off or ZAPQ */
};

/*
 * The machine. Lock order inside the bus: airq_lock -> lock; neither is
 * held while calling out, except airq_lock around airq->raise().
 */
static struct {
	spinlock_t lock;        /* protects every field below but airq_lock */
	spinlock_t airq_lock;   /* protects queue[].airq and queue[].irq_enabled writes */
	struct ap_config_info qci;
	struct apsim_hw_adapter_info adapter[AP_DEVICES];
	struct apsim_hw_queue *queue;   /* owned: AP_DEVICES * AP_DOMAINS, by qid */
	unsigned int reset_delay_ms;
	unsigned int scan_delay_ms;
} hw;

static const struct apsim_hw_type *hw_type_find(int hwtype)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(hw_types); i++)
		if (hw_types[i].hwtype == hwtype)
			return &hw_types[i];
	return NULL;
}

int apsim_hw_type_parse(const char *s, int *ret_hwtype)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(hw_types); i++)
		if (!strcmp(s, hw_types[i].name)) {
			*ret_hwtype = hw_types[i].hwtype;
			return 0;
		}
	return -EINVAL;
}

int apsim_hw_mode_parse(const char *s, enum apsim_mode *ret_mode)
{
	int i;

	for (i = 0; i < APSIM_MODE_COUNT; i++)
		if (!strcmp(s, apsim_mode_names[i])) {
			*ret_mode = i;
			return 0;
		}
	return -EINVAL;
}

unsigned int apsim_hw_functions(int hwtype, enum apsim_mode mode)
{
	unsigned int f = mode_functions[mode];

	if (hwtype >= AP_DEVICE_TYPE_CEX4)
		f |= 0x80000000 >> AP_FUNC_APXA;
	return f;
}

int apsim_hw_type_string(int hwtype, enum apsim_mode mode, char *buf, size_t len)
{
	const struct apsim_hw_type *t = hw_type_find(hwtype);

	if (!t)
		return -EINVAL;
	return snprintf(buf, len, "%s%c", t->prefix, mode_letters[mode]);
}

int apsim_hw_init(void)
{
	spin_lock_init(&hw.lock);
	spin_lock_init(&hw.airq_lock);
	hw.queue = vzalloc(array_size(AP_DEVICES * AP_DOMAINS, sizeof(*hw.queue)));
	if (!hw.queue)
		return -ENOMEM;
	return 0;
}

void apsim_hw_exit(void)
{
	vfree(hw.queue);
	hw.queue = NULL;
}

/*
 * The load-time configuration. @adapters: "RANGE:TYPE:MODE[,...]";
 * @usage/@control: id lists ("" = none; @control NULL = same as @usage).
 */
/* "RANGE:TYPE:MODE[,...]" into @info and @apm (both zeroed by the caller). */
static int hw_parse_adapters(const char *spec, unsigned int na,
			     struct apsim_hw_adapter_info *info, unsigned long *apm)
{
	char *copy, *cur, *entry, *range, *type, *mode;
	unsigned int first, last, id;
	enum apsim_mode m;
	int hwtype, r = 0;

	copy = kstrdup(spec, GFP_KERNEL);
	if (!copy)
		return -ENOMEM;
	cur = copy;
	while (cur && *cur) {
		entry = strsep(&cur, ",");
		range = strsep(&entry, ":");
		type = strsep(&entry, ":");
		mode = entry;
		if (!type || !mode || strchr(mode, ':')) {
			pr_err("adapters: \"%s\" is not RANGE:TYPE:MODE\n", range);
			r = -EINVAL;
			break;
		}
		r = apsim_id_range_parse(range, &first, &last);
		if (r == 0 && last > na)
			r = -ERANGE;
		if (r < 0) {
			pr_err("adapters: bad adapter id or range \"%s\" (max %u)\n", range, na);
			break;
		}
		if (apsim_hw_type_parse(type, &hwtype) < 0 ||
		    apsim_hw_mode_parse(mode, &m) < 0 ||
		    !(hw_type_find(hwtype)->modes & BIT(m))) {
			pr_err("adapters: bad type or mode \"%s:%s\"\n", type, mode);
			r = -EINVAL;
			break;
		}
		for (id = first; id <= last; id++) {
			info[id] = (struct apsim_hw_adapter_info) {
				.hwtype = hwtype, .mode = m, .config = true,
			};
			set_bit(id, apm);
		}
	}
	kfree(copy);
	return r;
}

int apsim_hw_load_config(const char *adapters, const char *usage,
			 const char *control, unsigned int max_adapter_id,
			 unsigned int max_domain_id, bool apxa)
{
	struct apsim_hw_adapter_info *info;
	unsigned int na, nd;
	int r;
	DECLARE_BITMAP(aqm, AP_DOMAINS);
	DECLARE_BITMAP(adm, AP_DOMAINS);
	DECLARE_BITMAP(apm, AP_DEVICES);

	if (max_adapter_id > AP_DEVICES - 1 || max_domain_id > AP_DOMAINS - 1) {
		pr_err("max_adapter_id and max_domain_id must be 0..255\n");
		return -EINVAL;
	}
	na = apxa ? max_adapter_id : 63;
	nd = apxa ? max_domain_id : 15;

	info = kcalloc(AP_DEVICES, sizeof(*info), GFP_KERNEL);
	if (!info)
		return -ENOMEM;
	bitmap_zero(apm, AP_DEVICES);
	r = hw_parse_adapters(adapters ? adapters : "", na, info, apm);
	if (r < 0)
		goto out;
	r = apsim_id_list_parse(usage ? usage : "", nd, aqm);
	if (r < 0) {
		pr_err("usage_domains: bad domain list \"%s\" (max %u)\n", usage, nd);
		goto out;
	}
	if (control) {
		r = apsim_id_list_parse(control, nd, adm);
		if (r < 0) {
			pr_err("control_domains: bad domain list \"%s\" (max %u)\n",
			       control, nd);
			goto out;
		}
	} else {
		bitmap_copy(adm, aqm, AP_DOMAINS);
	}

	spin_lock(&hw.lock);
	memcpy(hw.adapter, info, sizeof(hw.adapter));
	bitmap_copy(hw.qci.apm, apm, AP_DEVICES);
	bitmap_copy(hw.qci.aqm, aqm, AP_DOMAINS);
	bitmap_copy(hw.qci.adm, adm, AP_DOMAINS);
	hw.qci.na = na;
	hw.qci.nd = nd;
	hw.qci.apxa = apxa;
	spin_unlock(&hw.lock);
out:
	kfree(info);
	return r;
}

void apsim_hw_snapshot(struct apsim_hw_snapshot *snap)
{
	spin_lock(&hw.lock);
	snap->qci = hw.qci;
	memcpy(snap->adapter, hw.adapter, sizeof(snap->adapter));
	spin_unlock(&hw.lock);
}

/*
 * A queue that leaves the machine loses its reset and interrupt state, so
 * that no stale interrupt target survives into a later configuration.
 * Caller holds airq_lock and hw.lock.
 */
static void hw_queue_forget(ap_qid_t qid)
{
	lockdep_assert_held(&hw.airq_lock);
	lockdep_assert_held(&hw.lock);
	hw.queue[qid].irq_enabled = false;
	hw.queue[qid].airq = NULL;
	hw.queue[qid].reset_done = 0;
}

/* ---- control interface operations ---- */

int apsim_hw_adapters_add(unsigned int first, unsigned int last, int hwtype,
			  enum apsim_mode mode)
{
	const struct apsim_hw_type *t = hw_type_find(hwtype);
	unsigned int id;
	int r = 0;

	if (!t || !(t->modes & BIT(mode)))
		return -EINVAL;
	spin_lock(&hw.lock);
	if (last > hw.qci.na) {
		r = -ERANGE;
		goto out;
	}
	for (id = first; id <= last; id++)
		if (test_bit(id, hw.qci.apm)) {
			r = -EEXIST;
			goto out;
		}
	for (id = first; id <= last; id++) {
		hw.adapter[id] = (struct apsim_hw_adapter_info) {
			.hwtype = hwtype, .mode = mode, .config = true,
		};
		set_bit(id, hw.qci.apm);
	}
out:
	spin_unlock(&hw.lock);
	return r;
}

int apsim_hw_adapters_remove(unsigned int first, unsigned int last)
{
	unsigned int id;
	unsigned int dom;
	int r = 0;

	spin_lock(&hw.airq_lock);
	spin_lock(&hw.lock);
	for (id = first; id <= last; id++)
		if (!test_bit(id, hw.qci.apm)) {
			r = -ENOENT;
			goto out;
		}
	for (id = first; id <= last; id++) {
		clear_bit(id, hw.qci.apm);
		memset(&hw.adapter[id], 0, sizeof(hw.adapter[id]));
		for (dom = 0; dom < AP_DOMAINS; dom++)
			hw_queue_forget(AP_MKQID(id, dom));
	}
out:
	spin_unlock(&hw.lock);
	spin_unlock(&hw.airq_lock);
	return r;
}

int apsim_hw_domains_set(unsigned int first, unsigned int last, bool usage,
			 bool add)
{
	unsigned long *m;
	unsigned int id, ap;
	int r = 0;

	spin_lock(&hw.airq_lock);
	spin_lock(&hw.lock);
	m = usage ? hw.qci.aqm : hw.qci.adm;
	if (last > hw.qci.nd) {
		r = -ERANGE;
		goto out;
	}
	for (id = first; id <= last; id++)
		if (!!test_bit(id, m) == add) {
			r = add ? -EEXIST : -ENOENT;
			goto out;
		}
	if (add) {
		bitmap_set(m, first, last - first + 1);
	} else {
		bitmap_clear(m, first, last - first + 1);
		if (usage)
			for (ap = 0; ap < AP_DEVICES; ap++)
				for (id = first; id <= last; id++)
					hw_queue_forget(AP_MKQID(ap, id));
	}
out:
	spin_unlock(&hw.lock);
	spin_unlock(&hw.airq_lock);
	return r;
}

/* What sclp_ap_configure()/deconfigure() do to the machine. */
int apsim_hw_adapter_set_config(unsigned int id, bool config)
{
	int r = 0;

	spin_lock(&hw.lock);
	if (id >= AP_DEVICES || !test_bit(id, hw.qci.apm))
		r = -ENODEV;
	else
		hw.adapter[id].config = config;
	spin_unlock(&hw.lock);
	return r;
}

int apsim_hw_adapter_set_chkstop(unsigned int id, bool chkstop)
{
	int r = 0;

	spin_lock(&hw.lock);
	if (id >= AP_DEVICES || !test_bit(id, hw.qci.apm))
		r = -ENODEV;
	else
		hw.adapter[id].chkstop = chkstop;
	spin_unlock(&hw.lock);
	return r;
}

int apsim_hw_set_reset_fail(ap_qid_t qid, u8 rc)
{
	spin_lock(&hw.lock);
	hw.queue[qid].reset_fail_rc = rc;
	spin_unlock(&hw.lock);
	return 0;
}

void apsim_hw_set_reset_delay(unsigned int ms)
{
	spin_lock(&hw.lock);
	hw.reset_delay_ms = ms;
	spin_unlock(&hw.lock);
}

void apsim_hw_set_scan_delay(unsigned int ms)
{
	spin_lock(&hw.lock);
	hw.scan_delay_ms = ms;
	spin_unlock(&hw.lock);
}

unsigned int apsim_hw_scan_delay(void)
{
	unsigned int ms;

	spin_lock(&hw.lock);
	ms = hw.scan_delay_ms;
	spin_unlock(&hw.lock);
	return ms;
}

/* ---- the AP instructions ---- */

/* Response code of a queue that exists, or why it cannot answer. Caller holds hw.lock. */
static u8 hw_queue_rc(ap_qid_t qid)
{
	int card = AP_QID_CARD(qid), dom = AP_QID_QUEUE(qid);
	const struct apsim_hw_adapter_info *a = &hw.adapter[card];

	lockdep_assert_held(&hw.lock);
	if (!test_bit(card, hw.qci.apm) || !test_bit(dom, hw.qci.aqm) ||
	    card > hw.qci.na || dom > hw.qci.nd)
		return AP_RESPONSE_Q_NOT_AVAIL;
	if (a->chkstop)
		return AP_RESPONSE_CHECKSTOPPED;
	if (!a->config)
		return AP_RESPONSE_DECONFIGURED;
	if (ktime_before(ktime_get(), hw.queue[qid].reset_done))
		return AP_RESPONSE_RESET_IN_PROGRESS;
	return AP_RESPONSE_NORMAL;
}

/*
 * TAPQ's GR2 as the older ap_test_queue() returned it: facilities in bits
 * 32..63, type in bits 24..31, decfg bit 23, cstop bit 22, depth in 0..7.
 */
struct ap_queue_status apsim_tapq(ap_qid_t qid, unsigned long *info)
{
	struct ap_queue_status st = { .queue_empty = 1 };
	const struct apsim_hw_adapter_info *a;
	u8 rc;

	qid &= 0xffff;
	spin_lock(&hw.lock);
	rc = hw_queue_rc(qid);
	st.response_code = rc;
	st.irq_enabled = hw.queue[qid].irq_enabled;
	a = &hw.adapter[AP_QID_CARD(qid)];
	if (info && rc != AP_RESPONSE_Q_NOT_AVAIL)
		*info = (unsigned long)apsim_hw_functions(a->hwtype, a->mode) << 32 |
			(unsigned long)(a->hwtype & 0xff) << 24 |
			(a->config ? 0 : 1UL << 23) | (a->chkstop ? 1UL << 22 : 0) |
			7;
	spin_unlock(&hw.lock);
	return st;
}
EXPORT_SYMBOL_GPL(apsim_tapq);

/* Caller holds airq_lock and hw.lock. */
static void hw_queue_irq_off(ap_qid_t qid)
{
	lockdep_assert_held(&hw.airq_lock);
	lockdep_assert_held(&hw.lock);
	hw.queue[qid].irq_enabled = false;
	hw.queue[qid].airq = NULL;
}

struct ap_queue_status apsim_zapq(ap_qid_t qid, int fbit)
{
	struct ap_queue_status st = { .queue_empty = 1 };
	struct apsim_hw_queue *q;
	u8 rc;

	qid &= 0xffff;
	spin_lock(&hw.airq_lock);
	spin_lock(&hw.lock);
	q = &hw.queue[qid];
	rc = hw_queue_rc(qid);
	if (rc == AP_RESPONSE_NORMAL || rc == AP_RESPONSE_RESET_IN_PROGRESS) {
		if (q->reset_fail_rc) {
			rc = q->reset_fail_rc;
		} else {
			/* a reset disables interruptions, as ZAPQ does */
			hw_queue_irq_off(qid);
			q->reset_done = ktime_add_ms(ktime_get(), hw.reset_delay_ms);
			rc = AP_RESPONSE_NORMAL;
		}
	}
	st.response_code = rc;
	st.irq_enabled = q->irq_enabled;
	spin_unlock(&hw.lock);
	spin_unlock(&hw.airq_lock);
	return st;
}
EXPORT_SYMBOL_GPL(apsim_zapq);

struct ap_queue_status apsim_aqic(ap_qid_t qid, struct ap_qirq_ctrl qirqctrl,
				  struct apsim_airq_target *target)
{
	struct ap_queue_status st = { .queue_empty = 1 };
	struct apsim_hw_queue *q;
	u8 rc;

	qid &= 0xffff;
	spin_lock(&hw.airq_lock);
	spin_lock(&hw.lock);
	q = &hw.queue[qid];
	rc = hw_queue_rc(qid);
	if (rc == AP_RESPONSE_NORMAL) {
		if (qirqctrl.ir && !target) {
			rc = AP_RESPONSE_INVALID_ADDRESS;
		} else if (qirqctrl.ir) {
			q->irq_enabled = true;
			q->airq = target;
		} else {
			hw_queue_irq_off(qid);
		}
	}
	st.response_code = rc;
	st.irq_enabled = q->irq_enabled;
	spin_unlock(&hw.lock);
	spin_unlock(&hw.airq_lock);
	return st;
}
EXPORT_SYMBOL_GPL(apsim_aqic);

/* Start a reset from the queue's own `reset` attribute. */
bool apsim_hw_reset_in_progress(ap_qid_t qid)
{
	bool r;

	spin_lock(&hw.lock);
	r = ktime_before(ktime_get(), hw.queue[qid].reset_done);
	spin_unlock(&hw.lock);
	return r;
}

bool apsim_hw_irq_enabled(ap_qid_t qid)
{
	bool r;

	spin_lock(&hw.lock);
	r = hw.queue[qid].irq_enabled;
	spin_unlock(&hw.lock);
	return r;
}

/* Deliver a simulated adapter interrupt for @qid to whoever enabled them. */
int apsim_hw_raise_irq(ap_qid_t qid)
{
	struct apsim_airq_target *t;
	int r = 0;

	spin_lock(&hw.airq_lock);
	spin_lock(&hw.lock);
	t = hw.queue[qid].irq_enabled ? hw.queue[qid].airq : NULL;
	spin_unlock(&hw.lock);
	if (t)
		t->raise(t, qid);
	else
		r = -ENXIO;
	spin_unlock(&hw.airq_lock);
	return r;
}

/* ---- the control file's read side ---- */

static int show_ids(char *buf, size_t len, const unsigned long *m)
{
	unsigned int rs, re;
	int n = 0;
	bool first = true;

	for_each_set_bitrange(rs, re, m, AP_DEVICES) {
		n += scnprintf(buf + n, len - n, "%s%u", first ? "" : ",", rs);
		if (re - 1 > rs)
			n += scnprintf(buf + n, len - n, "-%u", re - 1);
		first = false;
	}
	return n;
}

int apsim_hw_show(char *buf, size_t len)
{
	struct apsim_hw_snapshot *s;
	const struct apsim_hw_type *t;
	unsigned int id, rdelay, sdelay;
	int n = 0;

	s = kmalloc(sizeof(*s), GFP_KERNEL);
	if (!s)
		return -ENOMEM;
	apsim_hw_snapshot(s);
	spin_lock(&hw.lock);
	rdelay = hw.reset_delay_ms;
	sdelay = hw.scan_delay_ms;
	spin_unlock(&hw.lock);

	n += scnprintf(buf + n, len - n, "max-adapter-id %u\nmax-domain-id %u\napxa %d\n",
		       s->qci.na, s->qci.nd, s->qci.apxa);
	for_each_set_bit(id, s->qci.apm, AP_DEVICES) {
		t = hw_type_find(s->adapter[id].hwtype);
		n += scnprintf(buf + n, len - n, "adapter %u %s %s config %d chkstop %d\n",
			       id, t ? t->name : "?", apsim_mode_names[s->adapter[id].mode],
			       s->adapter[id].config, s->adapter[id].chkstop);
	}
	n += scnprintf(buf + n, len - n, "usage-domains ");
	n += show_ids(buf + n, len - n, s->qci.aqm);
	n += scnprintf(buf + n, len - n, "\ncontrol-domains ");
	n += show_ids(buf + n, len - n, s->qci.adm);
	n += scnprintf(buf + n, len - n, "\nreset-delay-ms %u\nscan-delay-ms %u\n",
		       rdelay, sdelay);
	spin_lock(&hw.lock);
	for (id = 0; id < AP_DEVICES * AP_DOMAINS; id++)
		if (hw.queue[id].reset_fail_rc)
			n += scnprintf(buf + n, len - n, "reset-fail %02x.%04x 0x%02x\n",
				       AP_QID_CARD(id), AP_QID_QUEUE(id),
				       hw.queue[id].reset_fail_rc);
	spin_unlock(&hw.lock);
	kfree(s);
	return n;
}

/* apsim_qci: the live QCI, as the instruction answers it now. */
int apsim_qci(struct ap_config_info *info)
{
	spin_lock(&hw.lock);
	*info = hw.qci;
	spin_unlock(&hw.lock);
	return 0;
}
EXPORT_SYMBOL_GPL(apsim_qci);
