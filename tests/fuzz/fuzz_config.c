/* libFuzzer target: the config reader (config_load) on any file text, read from a memfd. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int fd = memfd_create("crm.conf", 0);
	if (fd < 0)
		return 0;
	if (write(fd, data, size) == (ssize_t)size) {
		char path[64], err[512];
		struct config cfg;
		snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
		if (config_load(path, &cfg, err, sizeof err) == 0)
			config_free(&cfg);
	}
	close(fd);
	return 0;
}
