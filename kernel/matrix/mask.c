// SPDX-License-Identifier: GPL-2.0
/*
 * vfio_ap_sim: parsing and printing of the 256-bit masks in the kernel's
 * format: "0x" and 64 hex digits, the leftmost bit is id 0. Parsing
 * follows the absolute apmask form (kernel-abi.md §1.2), which is also what
 * each of ap_config's three fields uses.
 */
#include <linux/bitmap.h>
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/string.h>

#include "vap.h"

/*
 * Parse @len characters of @s: optional "0x" (or "x"), up to nbits/4 hex
 * digits filling the mask from the left, one optional trailing newline.
 * An empty string is the empty mask. @ret_mask is written only on success.
 */
int vap_mask_parse(const char *s, size_t len, unsigned long *ret_mask,
		   unsigned int nbits)
{
	DECLARE_BITMAP(mask, AP_DEVICES);
	unsigned int bit = 0;
	size_t i = 0;

	if (nbits > AP_DEVICES)
		return -EINVAL;
	if (len > 0 && s[len - 1] == '\n')
		len--;
	if (len >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		i = 2;
	else if (len >= 1 && (s[0] == 'x' || s[0] == 'X'))
		i = 1;
	bitmap_zero(mask, AP_DEVICES);
	for (; i < len; i++) {
		int v = hex_to_bin(s[i]);
		int b;

		if (v < 0 || bit + 4 > nbits)
			return -EINVAL;
		for (b = 0; b < 4; b++)
			if (v & (8 >> b))
				__set_bit(bit + b, mask);
		bit += 4;
	}
	bitmap_copy(ret_mask, mask, nbits);
	return 0;
}

/* "0x" + nbits/4 hex digits, id 0 leftmost; returns the length written. */
int vap_mask_format(char *buf, size_t size, const unsigned long *mask,
		    unsigned int nbits)
{
	unsigned int bit;
	int n = 0;

	if (size < nbits / 4 + 3)
		return -ENOSPC;
	buf[n++] = '0';
	buf[n++] = 'x';
	for (bit = 0; bit < nbits; bit += 4) {
		unsigned int v = 0, b;

		for (b = 0; b < 4; b++)
			if (test_bit(bit + b, mask))
				v |= 8 >> b;
		buf[n++] = hex_asc[v];
	}
	buf[n] = '\0';
	return n;
}
