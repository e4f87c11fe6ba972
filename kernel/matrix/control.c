// SPDX-License-Identifier: GPL-2.0
/*
 * vfio_ap_sim: the root-only control interface, in debugfs (0600 files,
 * netdevsim style) at /sys/kernel/debug/vfio_ap_sim/:
 *   guest_create, guest_destroy          write a guest name
 *   lockorder_inversion                  debug builds: break the order once
 *   guests/<name>/attach                 write an mdev uuid
 *   guests/<name>/detach                 write anything
 *   guests/<name>/aqic                   write "XX.YYYY 1|0 [isc]" (PQAP AQIC)
 *   guests/<name>/se_protected, nib_shared   0/1
 *   guests/<name>/apcb, history, notifications, requests, interrupts,
 *     aqic_rc, mdev                      read-only views for tests
 * Documented in kernel/README.md. Every write is validated; a refused
 * write changes nothing.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/module.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/uaccess.h>
#include <linux/uuid.h>

#include "vap.h"

/* The longest line any control file accepts. */
#define VAP_CONTROL_WRITE_MAX 64

static struct dentry *vap_guests_dir;   /* owned by vap.debugfs */

/* Copy a short user write into @buf as a string without its newline. */
static int vap_control_read_line(const char __user *ubuf, size_t count,
				 char *buf, size_t size)
{
	if (count == 0 || count >= size)
		return -EINVAL;
	if (copy_from_user(buf, ubuf, count))
		return -EFAULT;
	buf[count] = '\0';
	if (buf[count - 1] == '\n')
		buf[count - 1] = '\0';
	return 0;
}

typedef int (*vap_control_fn)(struct vap_guest *guest, char *arg);

/* One write handler per file, dispatched through the file's private data. */
struct vap_control_op {
	const char *name;
	vap_control_fn fn;
};

static ssize_t vap_control_write(struct file *file, const char __user *ubuf,
				 size_t count, loff_t *ppos)
{
	const struct vap_control_op *op = file->f_inode->i_private;
	char buf[VAP_CONTROL_WRITE_MAX];
	int ret;

	ret = vap_control_read_line(ubuf, count, buf, sizeof(buf));
	if (ret)
		return ret;
	ret = op->fn(NULL, buf);
	return ret ? ret : count;
}

static const struct file_operations vap_control_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.write = vap_control_write,
	.llseek = noop_llseek,
};

static int vap_control_guest_create(struct vap_guest *unused, char *arg)
{
	/* The writer "runs" the guest: its VFIO opens attach this guest. */
	return vap_guest_create(arg, current->tgid);
}

static int vap_control_guest_destroy(struct vap_guest *unused, char *arg)
{
	return vap_guest_destroy(arg);
}

#ifdef APSIM_LOCKORDER
/*
 * Take mdevs_lock, then guests_lock: the wrong order, on purpose, so that
 * a test can see the run-time checker WARN naming both locks. The inner
 * mutex is only tried, so the test itself can never deadlock.
 */
static int vap_control_lockorder_inversion(struct vap_guest *unused, char *arg)
{
	vap_lock_mdevs();
	apsim_lockorder_acquire(APSIM_LOCK_GUESTS, "guests_lock");
	if (mutex_trylock(&vap.guests_lock))
		mutex_unlock(&vap.guests_lock);
	apsim_lockorder_release(APSIM_LOCK_GUESTS, "guests_lock");
	vap_unlock_mdevs();
	return 0;
}
#endif

static const struct vap_control_op vap_control_ops[] = {
	{ "guest_create", vap_control_guest_create },
	{ "guest_destroy", vap_control_guest_destroy },
#ifdef APSIM_LOCKORDER
	{ "lockorder_inversion", vap_control_lockorder_inversion },
#endif
};

/* ---- per-guest files ---- */

static ssize_t vap_guest_file_write(struct file *file, const char __user *ubuf,
				    size_t count, loff_t *ppos)
{
	struct vap_guest *guest = file->f_inode->i_private;
	vap_control_fn fn = file->private_data;
	char buf[VAP_CONTROL_WRITE_MAX];
	int ret;

	ret = vap_control_read_line(ubuf, count, buf, sizeof(buf));
	if (ret)
		return ret;
	ret = fn(guest, buf);
	return ret ? ret : count;
}

static int vap_guest_attach_op(struct vap_guest *guest, char *arg)
{
	struct vap_mdev *mdev;
	guid_t uuid;
	int ret;

	if (strlen(arg) != UUID_STRING_LEN || guid_parse(arg, &uuid))
		return -EINVAL;
	vap_lock_guests();
	mdev = vap_mdev_find(&uuid);
	ret = mdev ? vap_guest_attach(guest, mdev, false) : -ENODEV;
	vap_unlock_guests();
	return ret;
}

static int vap_guest_detach_op(struct vap_guest *guest, char *arg)
{
	int ret = 0;

	vap_lock_guests();
	if (!guest->mdev)
		ret = -ENODEV;
	else if (guest->mdev->attached_by_vfio)
		ret = -EBUSY;   /* its VFIO user detaches by closing */
	else
		vap_guest_detach(guest);
	vap_unlock_guests();
	return ret;
}

static int vap_parse_bool_flag(const char *arg, bool *ret_val)
{
	return kstrtobool(arg, ret_val) ? -EINVAL : 0;
}

static int vap_guest_se_protected_op(struct vap_guest *guest, char *arg)
{
	bool val;
	int ret = vap_parse_bool_flag(arg, &val);

	if (ret)
		return ret;
	vap_lock_mdevs();
	guest->se_protected = val;
	vap_unlock_mdevs();
	return 0;
}

static int vap_guest_nib_shared_op(struct vap_guest *guest, char *arg)
{
	bool val;
	int ret = vap_parse_bool_flag(arg, &val);

	if (ret)
		return ret;
	vap_lock_mdevs();
	guest->nib_shared = val;
	vap_unlock_mdevs();
	return 0;
}

/* "XX.YYYY 1|0 [isc]": hex APQN as sysfs prints it, enable, subclass. */
static int vap_guest_aqic_op(struct vap_guest *guest, char *arg)
{
	unsigned int apid, apqi, enable, isc = 0;
	char tail;
	int n, rc;

	n = sscanf(arg, "%2x.%4x %u %u%c", &apid, &apqi, &enable, &isc, &tail);
	if ((n != 3 && n != 4) || apid >= AP_DEVICES || apqi >= AP_DOMAINS ||
	    enable > 1 || isc > 7)
		return -EINVAL;
	return vap_pqap_aqic(guest, AP_MKQID(apid, apqi), enable, isc, &rc);
}

static int vap_guest_apcb_show(struct seq_file *s, void *unused)
{
	struct vap_guest *guest = s->private;
	char apm[67], aqm[67], adm[67];

	vap_guest_lock(guest);
	vap_mask_format(apm, sizeof(apm), guest->apcb.apm, AP_DEVICES);
	vap_mask_format(aqm, sizeof(aqm), guest->apcb.aqm, AP_DOMAINS);
	vap_mask_format(adm, sizeof(adm), guest->apcb.adm, AP_DOMAINS);
	vap_guest_unlock(guest);
	seq_printf(s, "%s,%s,%s\n", apm, aqm, adm);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(vap_guest_apcb);

/* Oldest retained update first: "<seq> <apm>,<aqm>,<adm>". */
static int vap_guest_history_show(struct seq_file *s, void *unused)
{
	struct vap_guest *guest = s->private;
	char apm[67], aqm[67], adm[67];
	u64 seq, first;

	vap_guest_lock(guest);
	first = guest->nr_updates > VAP_GUEST_HISTORY ?
		guest->nr_updates - VAP_GUEST_HISTORY : 0;
	for (seq = first; seq < guest->nr_updates; seq++) {
		const struct vap_guest_update *u =
			&guest->history[seq % VAP_GUEST_HISTORY];

		vap_mask_format(apm, sizeof(apm), u->apcb.apm, AP_DEVICES);
		vap_mask_format(aqm, sizeof(aqm), u->apcb.aqm, AP_DOMAINS);
		vap_mask_format(adm, sizeof(adm), u->apcb.adm, AP_DOMAINS);
		seq_printf(s, "%llu %s,%s,%s\n", u->seq, apm, aqm, adm);
	}
	vap_guest_unlock(guest);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(vap_guest_history);

/* The counters and flags, one small file each. */
enum vap_guest_value {
	VAP_GV_NOTIFICATIONS,
	VAP_GV_REQUESTS,
	VAP_GV_INTERRUPTS,
	VAP_GV_AQIC_RC,
	VAP_GV_SE_PROTECTED,
	VAP_GV_NIB_SHARED,
	VAP_GV_MDEV,
};

struct vap_guest_value_file {
	const char *name;
	enum vap_guest_value value;
	vap_control_fn write;
};

static const struct vap_guest_value_file vap_guest_values[] = {
	{ "notifications", VAP_GV_NOTIFICATIONS, NULL },
	{ "requests", VAP_GV_REQUESTS, NULL },
	{ "interrupts", VAP_GV_INTERRUPTS, NULL },
	{ "aqic_rc", VAP_GV_AQIC_RC, NULL },
	{ "se_protected", VAP_GV_SE_PROTECTED, vap_guest_se_protected_op },
	{ "nib_shared", VAP_GV_NIB_SHARED, vap_guest_nib_shared_op },
	{ "mdev", VAP_GV_MDEV, NULL },
};

static void vap_guest_print_value(struct seq_file *s, struct vap_guest *guest,
				  enum vap_guest_value v)
{
	if (v == VAP_GV_MDEV) {
		vap_lock_guests();
		seq_printf(s, "%s\n", guest->mdev ? guest->mdev->uuid_str : "");
		vap_unlock_guests();
	} else if (v == VAP_GV_INTERRUPTS) {
		seq_printf(s, "%lld\n", (long long)atomic64_read(&guest->interrupts));
	} else if (v == VAP_GV_SE_PROTECTED || v == VAP_GV_NIB_SHARED ||
		   v == VAP_GV_AQIC_RC) {
		int val;

		vap_lock_mdevs();
		val = v == VAP_GV_SE_PROTECTED ? guest->se_protected :
		      v == VAP_GV_NIB_SHARED ? guest->nib_shared :
		      guest->aqic_rc;
		vap_unlock_mdevs();
		seq_printf(s, v == VAP_GV_AQIC_RC ? "0x%02x\n" : "%d\n", val);
	} else {
		u64 val;

		vap_guest_lock(guest);
		val = v == VAP_GV_NOTIFICATIONS ? guest->cfg_notifications :
		      guest->requests;
		vap_guest_unlock(guest);
		seq_printf(s, "%llu\n", val);
	}
}

/* inode->i_private is the guest; the dentry name picks the value. */
static int vap_guest_value_show(struct seq_file *s, void *unused)
{
	const struct vap_guest_value_file *f = NULL;
	const char *name = s->file->f_path.dentry->d_name.name;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(vap_guest_values); i++)
		if (!strcmp(vap_guest_values[i].name, name))
			f = &vap_guest_values[i];
	if (!f)
		return -ENOENT;
	vap_guest_print_value(s, s->private, f->value);
	return 0;
}

static int vap_guest_value_open(struct inode *inode, struct file *file)
{
	return single_open(file, vap_guest_value_show, inode->i_private);
}

static ssize_t vap_guest_value_write(struct file *file, const char __user *ubuf,
				     size_t count, loff_t *ppos)
{
	struct seq_file *s = file->private_data;
	const char *name = file->f_path.dentry->d_name.name;
	char buf[VAP_CONTROL_WRITE_MAX];
	unsigned int i;
	int ret;

	ret = vap_control_read_line(ubuf, count, buf, sizeof(buf));
	if (ret)
		return ret;
	for (i = 0; i < ARRAY_SIZE(vap_guest_values); i++)
		if (!strcmp(vap_guest_values[i].name, name) &&
		    vap_guest_values[i].write) {
			ret = vap_guest_values[i].write(s->private, buf);
			return ret ? ret : count;
		}
	return -EPERM;
}

static const struct file_operations vap_guest_value_fops = {
	.owner = THIS_MODULE,
	.open = vap_guest_value_open,
	.read = seq_read,
	.write = vap_guest_value_write,
	.llseek = seq_lseek,
	.release = single_release,
};

/* Write-only action files: attach, detach, aqic. */
struct vap_guest_action_file {
	const char *name;
	vap_control_fn fn;
};

static const struct vap_guest_action_file vap_guest_actions[] = {
	{ "attach", vap_guest_attach_op },
	{ "detach", vap_guest_detach_op },
	{ "aqic", vap_guest_aqic_op },
};

static int vap_guest_action_open(struct inode *inode, struct file *file)
{
	const char *name = file->f_path.dentry->d_name.name;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(vap_guest_actions); i++)
		if (!strcmp(vap_guest_actions[i].name, name)) {
			file->private_data = vap_guest_actions[i].fn;
			return 0;
		}
	return -ENOENT;
}

static const struct file_operations vap_guest_action_fops = {
	.owner = THIS_MODULE,
	.open = vap_guest_action_open,
	.write = vap_guest_file_write,
	.llseek = noop_llseek,
};

int vap_control_guest_add(struct vap_guest *guest)
{
	struct dentry *dir;
	unsigned int i;

	dir = debugfs_create_dir(guest->name, vap_guests_dir);
	if (IS_ERR(dir))
		return PTR_ERR(dir);
	guest->debugfs = dir;
	for (i = 0; i < ARRAY_SIZE(vap_guest_actions); i++)
		debugfs_create_file(vap_guest_actions[i].name, 0200, dir, guest,
				    &vap_guest_action_fops);
	for (i = 0; i < ARRAY_SIZE(vap_guest_values); i++)
		debugfs_create_file(vap_guest_values[i].name,
				    vap_guest_values[i].write ? 0600 : 0400,
				    dir, guest, &vap_guest_value_fops);
	debugfs_create_file("apcb", 0400, dir, guest,
			    &vap_guest_apcb_fops);
	debugfs_create_file("history", 0400, dir, guest,
			    &vap_guest_history_fops);
	return 0;
}

int vap_control_init(void)
{
	unsigned int i;

	vap.debugfs = debugfs_create_dir(KBUILD_MODNAME, NULL);
	if (IS_ERR(vap.debugfs))
		return PTR_ERR(vap.debugfs);
	vap_guests_dir = debugfs_create_dir("guests", vap.debugfs);
	for (i = 0; i < ARRAY_SIZE(vap_control_ops); i++)
		debugfs_create_file(vap_control_ops[i].name, 0200, vap.debugfs,
				    (void *)&vap_control_ops[i],
				    &vap_control_fops);
	return 0;
}

void vap_control_exit(void)
{
	debugfs_remove_recursive(vap.debugfs);
	vap.debugfs = NULL;
}
