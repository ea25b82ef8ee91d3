#ifndef HEPHAESTUS_LIBRARY_LOADER_H
#define HEPHAESTUS_LIBRARY_LOADER_H

#include <stddef.h>

/*
 * libcurl and libarchive are loaded on first use (dlopen), not when the program starts: together with their
 * dependencies (GnuTLS, Kerberos, LDAP, ICU through libxml2, ...) they cost about 7 ms of start-up in the dynamic
 * loader, which every `hephaestus verify bundle` would pay without needing either. This target defines the functions
 * of both libraries that the code calls, each forwarding to the loaded library.
 */

typedef enum {
    HP_LIBRARY_CURL = 0,
    HP_LIBRARY_ARCHIVE = 1,
} hp_library;

/* Loads `library` once (thread-safe). Returns 0, or -1 with a one-line reason copied into `message`. */
int hp_library_load(hp_library library, char *message, size_t capacity);

/* The shared object's file name (e.g. "libcurl.so.4"), for messages. */
const char *hp_library_name(hp_library library);

#endif
