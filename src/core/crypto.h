/* Secrets at rest (libsodium secretbox with a key from a file), password hashes (argon2id),
 * random tokens and digests. */
#ifndef CORE_CRYPTO_H
#define CORE_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#define CRYPTO_KEY_BYTES 32

/* Initialise libsodium; returns 0 or -1. Safe to call more than once. */
int crypto_init(void);

/* Read the 32-byte key from path; with create set, make it (mode 0600) if missing.
 * Returns 0 or -1 with err set. */
int crypto_key_load(const char *path, int create, uint8_t key[CRYPTO_KEY_BYTES], char *err,
    size_t errlen);

/* Encrypt plain into a malloc'd blob (nonce + MAC + cipher) of *outlen bytes; NULL on failure. */
uint8_t *crypto_seal(const uint8_t key[CRYPTO_KEY_BYTES], const char *plain, size_t len,
    size_t *outlen);
/* Decrypt a blob into a malloc'd NUL-terminated string; NULL if forged or damaged. */
char *crypto_open(const uint8_t key[CRYPTO_KEY_BYTES], const uint8_t *blob, size_t len);

/* argon2id hash string of password into out (crypto_pwhash_STRBYTES = 128). Returns 0 or -1. */
int crypto_password_hash(const char *password, char out[128]);
/* 1 if password matches the stored hash, 0 if not. */
int crypto_password_verify(const char *hash, const char *password);

/* nbytes of randomness as URL-safe base64 without padding into out (size >= 2*nbytes). */
void crypto_token(char *out, size_t outsize, size_t nbytes);
/* SHA-256 of data as 64 lowercase hex chars + NUL. */
void crypto_sha256_hex(const void *data, size_t len, char out[65]);
/* Base64url (no padding) of data into out; returns out or NULL if too small. */
char *crypto_b64url(const uint8_t *data, size_t len, char *out, size_t outsize);
/* HMAC-SHA-256 of msg under key as base64url (43 chars + NUL) into out (size >= 44); returns
 * out, or NULL when out is too small. */
char *crypto_hmac_b64url(const uint8_t key[CRYPTO_KEY_BYTES], const char *msg, char *out,
    size_t outsize);
/* Constant-time string comparison: 1 if equal. */
int crypto_streq(const char *a, const char *b);

#endif
