// SPDX-License-Identifier: GPL-2.0
/*
 * apsim: the text forms of AP masks. The sysfs form (id 0 leftmost, "0x" +
 * 64 hex digits), the two apmask/aqmask write syntaxes of the real AP bus
 * (absolute hex, relative +N/-N[-M] terms; kernel-abi.md §1.2), and the
 * strict id lists ("0-15,20") of the control interface and module
 * parameters.
 *
 * The relative parser reads numbers the way simple_strtoul(str, &end, 0)
 * does, so that every input is accepted or refused exactly as upstream
 * does since 6.10, when "s390/ap: Fix crash in AP internal function
 * modify_bitmap()" (CVE-2024-38661) made the ids unsigned. One deliberate
 * difference: a number too large for unsigned long is refused here, where
 * upstream silently wraps it (2^64 would set bit 0).
 */
#include <linux/bitmap.h>
#include <linux/ctype.h>
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/limits.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "apsim.h"

void apsim_mask_format(const unsigned long *mask, char *buf)
{
	int nibble, bit, v;

	buf[0] = '0';
	buf[1] = 'x';
	for (nibble = 0; nibble < AP_DEVICES / 4; nibble++) {
		v = 0;
		for (bit = 0; bit < 4; bit++)
			if (test_bit(nibble * 4 + bit, mask))
				v |= 0x8 >> bit;
		buf[2 + nibble] = hex_asc[v];
	}
	buf[2 + AP_DEVICES / 4] = '\0';
}

/*
 * Read an unsigned number with base 0 like simple_strtoul(): "0x" + hex
 * digit means hex, a leading 0 octal, else decimal. *ret_end is where the
 * digits stop (== s when there are none); overflow saturates at ULONG_MAX.
 */
static unsigned long parse_ul_base0(const char *s, const char **ret_end)
{
	unsigned int base = 10;
	unsigned long v = 0;
	bool overflow = false;
	int d;

	if (s[0] == '0') {
		if (tolower(s[1]) == 'x' && isxdigit(s[2])) {
			base = 16;
			s += 2;
		} else {
			base = 8;
		}
	}
	for (;; s++) {
		if (isdigit(*s))
			d = *s - '0';
		else if (*s >= 'a' && *s <= 'f')
			d = *s - 'a' + 10;
		else if (*s >= 'A' && *s <= 'F')
			d = *s - 'A' + 10;
		else
			break;
		if (d >= base)
			break;
		if (v > (ULONG_MAX - d) / base)
			overflow = true;
		v = v * base + d;
	}
	*ret_end = s;
	return overflow ? ULONG_MAX : v;
}

/* The relative form: terms applied left to right onto a copy of the mask. */
static int mask_modify(const char *str, unsigned long *mask)
{
	unsigned long a, z, i;
	const char *end;
	char sign;

	while (*str) {
		sign = *str++;
		if (sign != '+' && sign != '-')
			return -EINVAL;
		a = parse_ul_base0(str, &end);
		if (end == str || a >= AP_DEVICES)
			return -EINVAL;
		z = a;
		str = end;
		if (*str == '-') {
			str++;
			z = parse_ul_base0(str, &end);
			if (end == str || a > z || z >= AP_DEVICES)
				return -EINVAL;
			str = end;
		}
		for (i = a; i <= z; i++) {
			if (sign == '+')
				set_bit(i, mask);
			else
				clear_bit(i, mask);
		}
		while (*str == ',' || *str == '\n')
			str++;
	}
	return 0;
}

/* The absolute form: hex digits fill the mask from the left. */
static int mask_from_hex(const char *str, unsigned long *mask)
{
	int i, n, b;

	if (str[0] == '0' && str[1] == 'x')
		str++;
	if (*str == 'x')
		str++;
	for (i = 0; isxdigit(*str) && i < AP_DEVICES; str++, i += 4) {
		b = hex_to_bin(*str);
		for (n = 0; n < 4; n++)
			if (b & (0x8 >> n))
				set_bit(i + n, mask);
	}
	if (*str == '\n')
		str++;
	if (*str)
		return -EINVAL;
	return 0;
}

/*
 * Parse an apmask/aqmask write against the current mask @cur. On success
 * the new mask is stored in @ret_mask; on failure @ret_mask is untouched.
 */
int apsim_mask_parse(const char *str, const unsigned long *cur,
		     unsigned long *ret_mask)
{
	DECLARE_BITMAP(m, AP_DEVICES);
	int r;

	if (*str == '+' || *str == '-') {
		bitmap_copy(m, cur, AP_DEVICES);
		r = mask_modify(str, m);
	} else {
		bitmap_zero(m, AP_DEVICES);
		r = mask_from_hex(str, m);
	}
	if (r < 0)
		return r;
	bitmap_copy(ret_mask, m, AP_DEVICES);
	return 0;
}

/* "N" or "N-M", each number with kstrtouint base 0, N <= M <= 255. */
int apsim_id_range_parse(const char *str, unsigned int *ret_first,
			 unsigned int *ret_last)
{
	char buf[24];
	char *dash;
	unsigned int a, z;
	int r;

	if (strscpy(buf, str, sizeof(buf)) < 0)
		return -EINVAL;
	dash = strchr(buf, '-');
	if (dash)
		*dash = '\0';
	r = kstrtouint(buf, 0, &a);
	if (r < 0)
		return -EINVAL;
	z = a;
	if (dash) {
		r = kstrtouint(dash + 1, 0, &z);
		if (r < 0)
			return -EINVAL;
	}
	if (a > z)
		return -EINVAL;
	if (z > AP_DEVICES - 1)
		return -ERANGE;
	*ret_first = a;
	*ret_last = z;
	return 0;
}

/* A comma separated list of ranges, e.g. "0-15,20"; "" is the empty set. */
int apsim_id_list_parse(const char *str, unsigned int max_id,
			unsigned long *ret_mask)
{
	DECLARE_BITMAP(m, AP_DEVICES);
	char *copy, *cur, *tok;
	unsigned int a, z;
	int r = 0;

	bitmap_zero(m, AP_DEVICES);
	copy = kstrdup(str, GFP_KERNEL);
	if (!copy)
		return -ENOMEM;
	cur = copy;
	while (*cur && (tok = strsep(&cur, ",")) != NULL) {
		r = apsim_id_range_parse(tok, &a, &z);
		if (r < 0)
			break;
		if (z > max_id) {
			r = -ERANGE;
			break;
		}
		bitmap_set(m, a, z - a + 1);
		if (!cur)
			break;
		if (!*cur) {    /* trailing comma */
			r = -EINVAL;
			break;
		}
	}
	kfree(copy);
	if (r < 0)
		return r;
	bitmap_copy(ret_mask, m, AP_DEVICES);
	return 0;
}
