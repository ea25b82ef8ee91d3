#ifndef HEPHAESTUS_COPENSSL_SHIM_H
#define HEPHAESTUS_COPENSSL_SHIM_H

/* Only the OpenSSL 3 API: the deprecated pre-3.0 interfaces stay hidden. */
#define OPENSSL_API_COMPAT 30000
#define OPENSSL_NO_DEPRECATED 1

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/core_names.h>
#include <openssl/objects.h>
#include <openssl/params.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/ts.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

/* Macros that Swift cannot import, as typed inline functions and constants. */

static inline long hp_BIO_get_mem_data(BIO *bio, char **data) {
    return BIO_get_mem_data(bio, data);
}

static inline void hp_OPENSSL_free(void *pointer) {
    OPENSSL_free(pointer);
}

static inline STACK_OF(X509) *hp_sk_X509_new_null(void) {
    return sk_X509_new_null();
}

static inline int hp_sk_X509_push(STACK_OF(X509) *stack, X509 *certificate) {
    return sk_X509_push(stack, certificate);
}

static inline int hp_sk_X509_num(const STACK_OF(X509) *stack) {
    return sk_X509_num(stack);
}

static inline X509 *hp_sk_X509_value(const STACK_OF(X509) *stack, int index) {
    return sk_X509_value(stack, index);
}

/* Frees the stack and drops one reference of every certificate in it. */
static inline void hp_sk_X509_pop_free(STACK_OF(X509) *stack) {
    sk_X509_pop_free(stack, X509_free);
}

/* Frees the stack only; the certificates stay owned elsewhere. */
static inline void hp_sk_X509_free(STACK_OF(X509) *stack) {
    sk_X509_free(stack);
}

static const unsigned long hp_XN_FLAG_RFC2253 = XN_FLAG_RFC2253;
static const int hp_RSA_PSS_SALTLEN_AUTO = RSA_PSS_SALTLEN_AUTO;
static const int hp_RSA_PSS_SALTLEN_DIGEST = RSA_PSS_SALTLEN_DIGEST;
static const int hp_RSA_PKCS1_PADDING = RSA_PKCS1_PADDING;
static const int hp_RSA_PKCS1_PSS_PADDING = RSA_PKCS1_PSS_PADDING;
static const int hp_EVP_PKEY_EC = EVP_PKEY_EC;
static const int hp_EVP_PKEY_ED25519 = EVP_PKEY_ED25519;
static const int hp_EVP_PKEY_RSA = EVP_PKEY_RSA;
static const int hp_EVP_PKEY_RSA_PSS = EVP_PKEY_RSA_PSS;
static const unsigned long hp_X509_V_FLAG_PARTIAL_CHAIN = X509_V_FLAG_PARTIAL_CHAIN;
static const unsigned long hp_X509_V_FLAG_X509_STRICT = X509_V_FLAG_X509_STRICT;

static const int hp_MBSTRING_UTF8 = MBSTRING_UTF8;
static const int hp_V_ASN1_NULL = V_ASN1_NULL;
static const int hp_NID_sha256 = NID_sha256;
static const int hp_NID_sha384 = NID_sha384;
static const int hp_NID_sha512 = NID_sha512;
static const int hp_TS_ESS_CERT_ID_CHAIN = TS_ESS_CERT_ID_CHAIN;
static const int hp_TS_VFY_SIGNATURE = TS_VFY_SIGNATURE;
static const int hp_TS_VFY_VERSION = TS_VFY_VERSION;

/* An EC public key from its group name ("P-256", "P-384", "P-521") and encoded point, through the provider's key
   management: OpenSSL 3.0's DER decoders (d2i_PUBKEY, d2i_X509) cost ~90 us per key in decoder set-up alone, this
   ~15 us. The point is decoded and checked to be on the curve; NULL when it is not. */
static inline EVP_PKEY *hp_ec_public_key_from_point(const char *group, const unsigned char *point, size_t length) {
    EVP_PKEY_CTX *context = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
    if (context == NULL) return NULL;
    EVP_PKEY *key = NULL;
    OSSL_PARAM parameters[3];
    parameters[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)group, 0);
    parameters[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, (void *)point, length);
    parameters[2] = OSSL_PARAM_construct_end();
    if (EVP_PKEY_fromdata_init(context) != 1 || EVP_PKEY_fromdata(context, &key, EVP_PKEY_PUBLIC_KEY, parameters) != 1) {
        EVP_PKEY_free(key);
        key = NULL;
    }
    EVP_PKEY_CTX_free(context);
    return key;
}

#endif
