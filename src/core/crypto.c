/* libsodium wrappers: sealed secrets, argon2id passwords, tokens, SHA-256. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sodium.h>

#include "core/crypto.h"

int crypto_init(void)
{
	return sodium_init() < 0 ? -1 : 0;
}

static int crypto_key_create(const char *path, uint8_t key[CRYPTO_KEY_BYTES], char *err,
    size_t errlen)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	randombytes_buf(key, CRYPTO_KEY_BYTES);
	ssize_t n = write(fd, key, CRYPTO_KEY_BYTES);
	if (close(fd) != 0 || n != CRYPTO_KEY_BYTES) {
		snprintf(err, errlen, "%s: cannot write key", path);
		unlink(path);
		return -1;
	}
	return 0;
}

int crypto_key_load(const char *path, int create, uint8_t key[CRYPTO_KEY_BYTES], char *err,
    size_t errlen)
{
	if (crypto_init() != 0) {
		snprintf(err, errlen, "libsodium failed to start");
		return -1;
	}
	int fd = open(path, O_RDONLY);
	if (fd < 0) {
		if (errno == ENOENT && create)
			return crypto_key_create(path, key, err, errlen);
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	ssize_t n = read(fd, key, CRYPTO_KEY_BYTES);
	close(fd);
	if (n != CRYPTO_KEY_BYTES) {
		snprintf(err, errlen, "%s: key file must hold %d bytes", path, CRYPTO_KEY_BYTES);
		return -1;
	}
	return 0;
}

uint8_t *crypto_seal(const uint8_t key[CRYPTO_KEY_BYTES], const char *plain, size_t len,
    size_t *outlen)
{
	size_t n = crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + len;
	uint8_t *out = malloc(n);
	if (!out)
		return NULL;
	randombytes_buf(out, crypto_secretbox_NONCEBYTES);
	crypto_secretbox_easy(out + crypto_secretbox_NONCEBYTES, (const uint8_t *)plain, len, out,
	    key);
	*outlen = n;
	return out;
}

char *crypto_open(const uint8_t key[CRYPTO_KEY_BYTES], const uint8_t *blob, size_t len)
{
	if (!blob || len < crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES)
		return NULL;
	size_t plen = len - crypto_secretbox_NONCEBYTES - crypto_secretbox_MACBYTES;
	char *out = malloc(plen + 1);
	if (!out)
		return NULL;
	if (crypto_secretbox_open_easy((uint8_t *)out, blob + crypto_secretbox_NONCEBYTES,
	    len - crypto_secretbox_NONCEBYTES, blob, key) != 0) {
		free(out);
		return NULL;
	}
	out[plen] = '\0';
	return out;
}

/* argon2id at OWASP's recommended floor (19 MiB, 2 passes), one hash at a time per process:
 * the web app's memory stays bounded however many people log in at once, and a burst of
 * guesses queues instead of multiplying. Older hashes with other parameters still verify. */
#define PW_OPSLIMIT 2
#define PW_MEMLIMIT (19u * 1024 * 1024)
static pthread_mutex_t pw_lock = PTHREAD_MUTEX_INITIALIZER;

int crypto_password_hash(const char *password, char out[128])
{
	_Static_assert(crypto_pwhash_STRBYTES == 128, "argon2id string size");
	pthread_mutex_lock(&pw_lock);
	int rc = crypto_pwhash_str_alg(out, password, strlen(password), PW_OPSLIMIT, PW_MEMLIMIT,
	    crypto_pwhash_ALG_ARGON2ID13);
	pthread_mutex_unlock(&pw_lock);
	return rc == 0 ? 0 : -1;
}

int crypto_password_verify(const char *hash, const char *password)
{
	pthread_mutex_lock(&pw_lock);
	int rc = crypto_pwhash_str_verify(hash, password, strlen(password));
	pthread_mutex_unlock(&pw_lock);
	return rc == 0;
}

char *crypto_b64url(const uint8_t *data, size_t len, char *out, size_t outsize)
{
	if (outsize < sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_URLSAFE_NO_PADDING))
		return NULL;
	return sodium_bin2base64(out, outsize, data, len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

void crypto_token(char *out, size_t outsize, size_t nbytes)
{
	uint8_t buf[64];
	if (nbytes > sizeof buf)
		nbytes = sizeof buf;
	randombytes_buf(buf, nbytes);
	if (!crypto_b64url(buf, nbytes, out, outsize) && outsize)
		out[0] = '\0';
}

void crypto_sha256_hex(const void *data, size_t len, char out[65])
{
	uint8_t h[crypto_hash_sha256_BYTES];
	crypto_hash_sha256(h, data, len);
	sodium_bin2hex(out, 65, h, sizeof h);
}

char *crypto_hmac_b64url(const uint8_t key[CRYPTO_KEY_BYTES], const char *msg, char *out,
    size_t outsize)
{
	uint8_t mac[crypto_auth_hmacsha256_BYTES];
	crypto_auth_hmacsha256_state st;
	crypto_auth_hmacsha256_init(&st, key, CRYPTO_KEY_BYTES);
	crypto_auth_hmacsha256_update(&st, (const uint8_t *)msg, strlen(msg));
	crypto_auth_hmacsha256_final(&st, mac);
	return crypto_b64url(mac, sizeof mac, out, outsize);
}

int crypto_streq(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la != lb)
		return 0;
	return sodium_memcmp(a, b, la) == 0;
}
