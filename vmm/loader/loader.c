// SPDX-License-Identifier: GPL-2.0
/* Reading an image and choosing its loader. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmm/loader/loader.h"

/* Larger files are refused before reading them (symbols included). */
#define IMAGE_MAX_FILE (1ULL << 30)

int image_read(const char *path, uint64_t max, struct image *img, char *err,
	       size_t errlen)
{
	struct stat st;
	uint8_t *buf;
	size_t done = 0;
	int fd, r;

	memset(img, 0, sizeof(*img));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		snprintf(err, errlen, "cannot open image '%s': %s", path,
			 strerror(-r));
		return r;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "image '%s' is not a regular file", path);
		close(fd);
		return -EINVAL;
	}
	if ((uint64_t)st.st_size > max) {
		snprintf(err, errlen,
			 "image '%s' is %jd bytes, larger than the %" PRIu64
			 " bytes kvmini can load",
			 path, (intmax_t)st.st_size, max);
		close(fd);
		return -EFBIG;
	}
	if (st.st_size == 0) {
		snprintf(err, errlen, "image '%s' is empty", path);
		close(fd);
		return -EINVAL;
	}
	buf = malloc(st.st_size);
	if (!buf) {
		close(fd);
		snprintf(err, errlen, "image '%s': out of memory", path);
		return -ENOMEM;
	}
	while (done < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + done, st.st_size - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			r = n < 0 ? -errno : -EIO;
			snprintf(err, errlen, "cannot read image '%s': %s",
				 path, strerror(-r));
			free(buf);
			close(fd);
			return r;
		}
		done += n;
	}
	close(fd);
	img->path = path;
	img->data = buf;
	img->size = done;
	return 0;
}

void image_free(struct image *img)
{
	free((void *)img->data);
	memset(img, 0, sizeof(*img));
}

static bool has_suffix(const char *s, const char *suf)
{
	size_t n = strlen(s), m = strlen(suf);

	return n >= m && !strcmp(s + n - m, suf);
}

static bool is_bzimage(const struct image *img)
{
	return img->size > 0x206 && !memcmp(img->data + 0x202, "HdrS", 4);
}

int vmm_load_image(struct guest_mem *gm, const struct load_opts *o,
		   struct boot_state *bs, char *err, size_t errlen)
{
	struct image img;
	long mb;
	int r;

	memset(bs, 0, sizeof(*bs));
	r = image_read(o->path, IMAGE_MAX_FILE, &img, err, errlen);
	if (r < 0)
		return r;
	if (o->flat || has_suffix(o->path, ".bin")) {
		r = load_flat(gm, &img, o, bs, err, errlen);
	} else if (o->load_addr_set) {
		snprintf(err, errlen,
			 "--load-addr applies to flat binaries only (use "
			 "--flat); '%s' is not one",
			 o->path);
		r = -EINVAL;
	} else if ((mb = multiboot_find(&img)) >= 0) {
		r = load_multiboot(gm, &img, mb, o, bs, err, errlen);
	} else if (elf_probe(&img)) {
		r = load_linux(gm, &img, o, bs, err, errlen);
		if (r == -ENOENT)
			r = load_elf(gm, &img, bs, err, errlen);
	} else if (is_bzimage(&img)) {
		r = load_linux(gm, &img, o, bs, err, errlen);
	} else {
		snprintf(err, errlen,
			 "'%s': unknown image format; kvmini "
			 "knows: " LOADER_KNOWN_FORMATS,
			 o->path);
		r = -ENOEXEC;
	}
	if (r >= 0 && o->initrd && bs->mode != BOOT_LINUX) {
		snprintf(err, errlen,
			 "--initrd applies to Linux kernels only; '%s' is a "
			 "%s image",
			 o->path, bs->format);
		r = -EINVAL;
	}
	if (r < 0)
		boot_state_free(bs);
	image_free(&img);
	return r;
}
