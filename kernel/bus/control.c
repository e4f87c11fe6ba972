// SPDX-License-Identifier: GPL-2.0
/*
 * apsim: the root-only control interface, /sys/kernel/debug/apsim/control
 * (0600). Each write is one command that changes the simulated machine
 * as an SE/HMC action would (the bus sees it at its next scan) or injects
 * a fault; a read prints the machine. Commands and errors are documented
 * in kernel/README.md. Every command is validated completely before
 * anything changes; a refused command changes nothing and logs why.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/kernel.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>

#include "apsim.h"

#define CONTROL_WRITE_MAX 256           /* one command line */
#define CONTROL_ARGS_MAX 4
#define CONTROL_READ_MAX (64 * 1024)

static struct dentry *control_dir;      /* owned */

struct control_cmd {
	const char *name;
	unsigned int nargs;
	const char *usage;
	int (*run)(char **argv, const char **why);
};

static int parse_range(const char *s, unsigned int *ret_first, unsigned int *ret_last,
		       const char **why)
{
	int r = apsim_id_range_parse(s, ret_first, ret_last);

	if (r == -ERANGE)
		*why = "id above 255";
	else if (r)
		*why = "not an id or range N-M with N <= M";
	return r;
}

static int parse_id(const char *s, unsigned int *ret_id, const char **why)
{
	unsigned int v;

	if (kstrtouint(s, 0, &v)) {
		*why = "not a number";
		return -EINVAL;
	}
	if (v > AP_DEVICES - 1) {
		*why = "id above 255";
		return -ERANGE;
	}
	*ret_id = v;
	return 0;
}

static int parse_bool01(const char *s, bool *ret, const char **why)
{
	if (!strcmp(s, "0") || !strcmp(s, "1")) {
		*ret = s[0] == '1';
		return 0;
	}
	*why = "expected 0 or 1";
	return -EINVAL;
}

/* "XX.YYYY" in hex, as lszcrypt prints an APQN. */
static int parse_apqn(const char *s, ap_qid_t *ret_qid, const char **why)
{
	char buf[16];
	char *dot;
	unsigned int card, dom;

	if (strscpy(buf, s, sizeof(buf)) < 0)
		goto bad;
	dot = strchr(buf, '.');
	if (!dot)
		goto bad;
	*dot = '\0';
	if (kstrtouint(buf, 16, &card) || kstrtouint(dot + 1, 16, &dom))
		goto bad;
	if (card > AP_DEVICES - 1 || dom > AP_DOMAINS - 1) {
		*why = "APQN id above 255";
		return -ERANGE;
	}
	*ret_qid = AP_MKQID(card, dom);
	return 0;
bad:
	*why = "not an APQN XX.YYYY (hex)";
	return -EINVAL;
}

static int parse_ms(const char *s, unsigned int *ret_ms, const char **why)
{
	unsigned int v;

	if (kstrtouint(s, 0, &v)) {
		*why = "not a number of milliseconds";
		return -EINVAL;
	}
	if (v > APSIM_DELAY_MAX_MS) {
		*why = "delay above 60000 ms";
		return -ERANGE;
	}
	*ret_ms = v;
	return 0;
}

static int cmd_add_adapter(char **argv, const char **why)
{
	unsigned int first, last;
	enum apsim_mode mode;
	int hwtype, r;

	r = parse_range(argv[0], &first, &last, why);
	if (r)
		return r;
	if (apsim_hw_type_parse(argv[1], &hwtype)) {
		*why = "unknown type (cex3c, cex4 .. cex8)";
		return -EINVAL;
	}
	if (apsim_hw_mode_parse(argv[2], &mode)) {
		*why = "unknown mode (accel, cca, ep11)";
		return -EINVAL;
	}
	r = apsim_hw_adapters_add(first, last, hwtype, mode);
	if (r == -EINVAL)
		*why = "this type has no such mode (cex3c is cca only)";
	else if (r == -ERANGE)
		*why = "adapter id above max-adapter-id";
	else if (r == -EEXIST)
		*why = "adapter already installed";
	return r;
}

static int cmd_remove_adapter(char **argv, const char **why)
{
	unsigned int first, last;
	int r;

	r = parse_range(argv[0], &first, &last, why);
	if (r)
		return r;
	r = apsim_hw_adapters_remove(first, last);
	if (r == -ENOENT)
		*why = "adapter not installed";
	return r;
}

static int domains(char **argv, const char **why, bool usage, bool add)
{
	unsigned int first, last;
	int r;

	r = parse_range(argv[0], &first, &last, why);
	if (r)
		return r;
	r = apsim_hw_domains_set(first, last, usage, add);
	if (r == -ERANGE)
		*why = "domain id above max-domain-id";
	else if (r == -EEXIST)
		*why = "domain already configured";
	else if (r == -ENOENT)
		*why = "domain not configured";
	return r;
}

static int cmd_add_usage(char **argv, const char **why)
{
	return domains(argv, why, true, true);
}

static int cmd_remove_usage(char **argv, const char **why)
{
	return domains(argv, why, true, false);
}

static int cmd_add_control(char **argv, const char **why)
{
	return domains(argv, why, false, true);
}

static int cmd_remove_control(char **argv, const char **why)
{
	return domains(argv, why, false, false);
}

static int adapter_flag(char **argv, const char **why, bool chkstop)
{
	unsigned int id;
	bool on;
	int r;

	r = parse_id(argv[0], &id, why);
	if (!r)
		r = parse_bool01(argv[1], &on, why);
	if (r)
		return r;
	r = chkstop ? apsim_hw_adapter_set_chkstop(id, on) :
		      apsim_hw_adapter_set_config(id, on);
	if (r == -ENODEV)
		*why = "adapter not installed";
	return r;
}

static int cmd_set_config(char **argv, const char **why)
{
	return adapter_flag(argv, why, false);
}

static int cmd_set_chkstop(char **argv, const char **why)
{
	return adapter_flag(argv, why, true);
}

static int cmd_reset_fail(char **argv, const char **why)
{
	unsigned int rc;
	ap_qid_t qid;
	int r;

	r = parse_apqn(argv[0], &qid, why);
	if (r)
		return r;
	if (kstrtouint(argv[1], 0, &rc) || rc > 0xff) {
		*why = "response code must be 0 (clear) .. 0xff";
		return -EINVAL;
	}
	return apsim_hw_set_reset_fail(qid, rc);
}

static int cmd_reset_delay(char **argv, const char **why)
{
	unsigned int ms;
	int r = parse_ms(argv[0], &ms, why);

	if (!r)
		apsim_hw_set_reset_delay(ms);
	return r;
}

static int cmd_scan_delay(char **argv, const char **why)
{
	unsigned int ms;
	int r = parse_ms(argv[0], &ms, why);

	if (!r)
		apsim_hw_set_scan_delay(ms);
	return r;
}

static int cmd_raise_irq(char **argv, const char **why)
{
	ap_qid_t qid;
	int r;

	r = parse_apqn(argv[0], &qid, why);
	if (r)
		return r;
	r = apsim_hw_raise_irq(qid);
	if (r == -ENXIO)
		*why = "interrupts are not enabled on this queue (AQIC)";
	return r;
}

static const struct control_cmd control_cmds[] = {
	{ "add-adapter", 3, "RANGE TYPE MODE", cmd_add_adapter },
	{ "remove-adapter", 1, "RANGE", cmd_remove_adapter },
	{ "add-usage-domain", 1, "RANGE", cmd_add_usage },
	{ "remove-usage-domain", 1, "RANGE", cmd_remove_usage },
	{ "add-control-domain", 1, "RANGE", cmd_add_control },
	{ "remove-control-domain", 1, "RANGE", cmd_remove_control },
	{ "set-config", 2, "ID 0|1", cmd_set_config },
	{ "set-chkstop", 2, "ID 0|1", cmd_set_chkstop },
	{ "reset-fail", 2, "XX.YYYY RC", cmd_reset_fail },
	{ "reset-delay-ms", 1, "MS", cmd_reset_delay },
	{ "scan-delay-ms", 1, "MS", cmd_scan_delay },
	{ "raise-irq", 1, "XX.YYYY", cmd_raise_irq },
};

/* Split on single spaces; empty words (double spaces) are refused. */
static int control_split(char *line, char **argv, unsigned int *ret_argc)
{
	unsigned int argc = 0;
	char *w;

	while ((w = strsep(&line, " ")) != NULL) {
		if (!*w || argc == CONTROL_ARGS_MAX)
			return -EINVAL;
		argv[argc++] = w;
	}
	*ret_argc = argc;
	return 0;
}

static int control_run(char *line)
{
	char *argv[CONTROL_ARGS_MAX];
	const struct control_cmd *cmd = NULL;
	const char *why = "invalid value";
	unsigned int argc, i;
	int r;

	if (control_split(line, argv, &argc) || argc == 0) {
		pr_info("control: expected one command: WORD ARG... separated by single spaces\n");
		return -EINVAL;
	}
	for (i = 0; i < ARRAY_SIZE(control_cmds); i++)
		if (!strcmp(argv[0], control_cmds[i].name))
			cmd = &control_cmds[i];
	if (!cmd) {
		pr_info("control: unknown command \"%s\"\n", argv[0]);
		return -EINVAL;
	}
	if (argc - 1 != cmd->nargs) {
		pr_info("control: usage: %s %s\n", cmd->name, cmd->usage);
		return -EINVAL;
	}
	r = cmd->run(argv + 1, &why);
	if (r)
		pr_info("control: %s: %s\n", cmd->name, why);
	return r;
}

static ssize_t control_write(struct file *file, const char __user *ubuf, size_t count,
			     loff_t *ppos)
{
	char *line;
	size_t len = count;
	int r;

	if (count == 0 || count > CONTROL_WRITE_MAX)
		return -EINVAL;
	line = memdup_user_nul(ubuf, count);
	if (IS_ERR(line))
		return PTR_ERR(line);
	if (strlen(line) != count) {    /* an embedded NUL */
		kfree(line);
		return -EINVAL;
	}
	if (line[len - 1] == '\n')
		line[--len] = '\0';
	r = control_run(line);
	kfree(line);
	return r < 0 ? r : count;
}

static ssize_t control_read(struct file *file, char __user *ubuf, size_t count,
			    loff_t *ppos)
{
	char *buf;
	ssize_t r;
	int n;

	buf = kvmalloc(CONTROL_READ_MAX, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	n = apsim_hw_show(buf, CONTROL_READ_MAX);
	if (n >= 0)
		n += scnprintf(buf + n, CONTROL_READ_MAX - n, "scanning %d\n",
			       apsim_scan_in_progress());
	if (n < 0)
		r = n;
	else
		r = simple_read_from_buffer(ubuf, count, ppos, buf, n);
	kvfree(buf);
	return r;
}

static const struct file_operations control_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.read = control_read,
	.write = control_write,
	.llseek = default_llseek,
};

int apsim_control_init(void)
{
	control_dir = debugfs_create_dir("apsim", NULL);
	if (IS_ERR(control_dir))
		return PTR_ERR(control_dir);
	debugfs_create_file("control", 0600, control_dir, NULL, &control_fops);
	return 0;
}

void apsim_control_exit(void)
{
	debugfs_remove_recursive(control_dir);
	control_dir = NULL;
}
