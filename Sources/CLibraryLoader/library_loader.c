// Loads libcurl and libarchive on first use and defines the functions Hephaestus calls, each forwarding to the
// loaded library (see include/library_loader.h for why). The definitions are checked against the libraries' own
// headers, so a signature mismatch does not compile.

#include "library_loader.h"

#include <archive.h>
#include <archive_entry.h>
#include <curl/curl.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HP_HIDDEN __attribute__((visibility("hidden")))

static const char *const library_files[] = {"libcurl.so.4", "libarchive.so.13"};

typedef struct {
    pthread_once_t once;
    void *handle;
    char error[512];
} loaded_library;

static loaded_library libraries[2] = {{PTHREAD_ONCE_INIT, NULL, ""}, {PTHREAD_ONCE_INIT, NULL, ""}};

static void open_library(hp_library which) {
    loaded_library *library = &libraries[which];
    library->handle = dlopen(library_files[which], RTLD_NOW | RTLD_LOCAL);
    if (library->handle == NULL) {
        const char *reason = dlerror();
        snprintf(library->error, sizeof library->error, "%s", reason ? reason : "dlopen failed");
    }
}

static void open_curl(void) {
    open_library(HP_LIBRARY_CURL);
    if (libraries[HP_LIBRARY_CURL].handle != NULL) {
        CURLcode (*global_init)(long) = (CURLcode (*)(long))dlsym(libraries[HP_LIBRARY_CURL].handle, "curl_global_init");
        if (global_init == NULL || global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
            snprintf(libraries[HP_LIBRARY_CURL].error, sizeof libraries[HP_LIBRARY_CURL].error, "curl_global_init failed");
            libraries[HP_LIBRARY_CURL].handle = NULL;
        }
    }
}

static void open_archive(void) { open_library(HP_LIBRARY_ARCHIVE); }

int hp_library_load(hp_library which, char *message, size_t capacity) {
    pthread_once(&libraries[which].once, which == HP_LIBRARY_CURL ? open_curl : open_archive);
    if (libraries[which].handle != NULL) return 0;
    if (message != NULL && capacity > 0) snprintf(message, capacity, "%s", libraries[which].error);
    return -1;
}

const char *hp_library_name(hp_library which) { return library_files[which]; }

/* The address of `symbol` in `which`, loading it first. Callers check availability before the first call (Swift
   throws a clear error), so a failure here is a broken installation: say so and stop. */
static void *resolve(hp_library which, const char *symbol) {
    char message[512];
    if (hp_library_load(which, message, sizeof message) != 0) {
        fprintf(stderr, "hephaestus: cannot load %s: %s\n", library_files[which], message);
        abort();
    }
    void *address = dlsym(libraries[which].handle, symbol);
    if (address == NULL) {
        fprintf(stderr, "hephaestus: %s has no symbol %s\n", library_files[which], symbol);
        abort();
    }
    return address;
}

/* One forwarding definition: the target is resolved once and cached. */
#define FORWARD(library, result, name, parameters, arguments)                          \
    HP_HIDDEN result name parameters {                                                 \
        static result(*target) parameters = NULL;                                      \
        if (__atomic_load_n(&target, __ATOMIC_ACQUIRE) == NULL) {                      \
            __atomic_store_n(&target, (result(*) parameters)resolve(library, #name),   \
                             __ATOMIC_RELEASE);                                        \
        }                                                                              \
        return target arguments;                                                       \
    }

/* The same for functions returning nothing. */
#define FORWARD_VOID(library, name, parameters, arguments)                             \
    HP_HIDDEN void name parameters {                                                   \
        static void(*target) parameters = NULL;                                        \
        if (__atomic_load_n(&target, __ATOMIC_ACQUIRE) == NULL) {                      \
            __atomic_store_n(&target, (void(*) parameters)resolve(library, #name),     \
                             __ATOMIC_RELEASE);                                        \
        }                                                                              \
        target arguments;                                                              \
    }

#define CURL_FORWARD(result, name, parameters, arguments) FORWARD(HP_LIBRARY_CURL, result, name, parameters, arguments)
#define ARCHIVE_FORWARD(result, name, parameters, arguments) FORWARD(HP_LIBRARY_ARCHIVE, result, name, parameters, arguments)

/* libcurl */
CURL_FORWARD(CURL *, curl_easy_init, (void), ())
FORWARD_VOID(HP_LIBRARY_CURL, curl_easy_cleanup, (CURL * handle), (handle))
FORWARD_VOID(HP_LIBRARY_CURL, curl_easy_reset, (CURL * handle), (handle))
CURL_FORWARD(CURLcode, curl_easy_perform, (CURL * handle), (handle))
CURL_FORWARD(const char *, curl_easy_strerror, (CURLcode code), (code))
CURL_FORWARD(struct curl_slist *, curl_slist_append, (struct curl_slist * list, const char *text), (list, text))
FORWARD_VOID(HP_LIBRARY_CURL, curl_slist_free_all, (struct curl_slist * list), (list))

/* curl_easy_setopt and curl_easy_getinfo are variadic; the shim's typed wrappers (CCurl/shim.h) call them through
   these pointers, so each argument is passed with its real type. */
typedef CURLcode (*hp_curl_setopt_function)(CURL *, CURLoption, ...);
typedef CURLcode (*hp_curl_getinfo_function)(CURL *, CURLINFO, ...);

HP_HIDDEN hp_curl_setopt_function hp_curl_easy_setopt(void) {
    static hp_curl_setopt_function target = NULL;
    if (__atomic_load_n(&target, __ATOMIC_ACQUIRE) == NULL) {
        __atomic_store_n(&target, (hp_curl_setopt_function)resolve(HP_LIBRARY_CURL, "curl_easy_setopt"), __ATOMIC_RELEASE);
    }
    return target;
}

HP_HIDDEN hp_curl_getinfo_function hp_curl_easy_getinfo(void) {
    static hp_curl_getinfo_function target = NULL;
    if (__atomic_load_n(&target, __ATOMIC_ACQUIRE) == NULL) {
        __atomic_store_n(&target, (hp_curl_getinfo_function)resolve(HP_LIBRARY_CURL, "curl_easy_getinfo"), __ATOMIC_RELEASE);
    }
    return target;
}

/* libarchive: reading */
ARCHIVE_FORWARD(struct archive *, archive_read_new, (void), ())
ARCHIVE_FORWARD(int, archive_read_free, (struct archive * a), (a))
ARCHIVE_FORWARD(int, archive_read_support_filter_gzip, (struct archive * a), (a))
ARCHIVE_FORWARD(int, archive_read_support_format_gnutar, (struct archive * a), (a))
ARCHIVE_FORWARD(int, archive_read_support_format_raw, (struct archive * a), (a))
ARCHIVE_FORWARD(int, archive_read_support_format_tar, (struct archive * a), (a))
ARCHIVE_FORWARD(int, archive_read_support_format_zip_seekable, (struct archive * a), (a))
ARCHIVE_FORWARD(int, archive_read_set_format_option, (struct archive * a, const char *m, const char *o, const char *v), (a, m, o, v))
ARCHIVE_FORWARD(int, archive_read_open_filename, (struct archive * a, const char *filename, size_t block_size), (a, filename, block_size))
ARCHIVE_FORWARD(int, archive_read_open,
                (struct archive * a, void *client_data, archive_open_callback *open, archive_read_callback *read, archive_close_callback *close),
                (a, client_data, open, read, close))
ARCHIVE_FORWARD(int, archive_read_next_header, (struct archive * a, struct archive_entry **entry), (a, entry))
ARCHIVE_FORWARD(la_int64_t, archive_read_header_position, (struct archive * a), (a))
ARCHIVE_FORWARD(la_ssize_t, archive_read_data, (struct archive * a, void *buffer, size_t size), (a, buffer, size))
ARCHIVE_FORWARD(int, archive_read_data_block, (struct archive * a, const void **buffer, size_t *size, la_int64_t *offset), (a, buffer, size, offset))
ARCHIVE_FORWARD(const char *, archive_error_string, (struct archive * a), (a))
ARCHIVE_FORWARD(int, archive_format, (struct archive * a), (a))
ARCHIVE_FORWARD(int, archive_filter_count, (struct archive * a), (a))
ARCHIVE_FORWARD(la_int64_t, archive_filter_bytes, (struct archive * a, int filter), (a, filter))

/* libarchive: writing */
ARCHIVE_FORWARD(struct archive *, archive_write_new, (void), ())
ARCHIVE_FORWARD(int, archive_write_free, (struct archive * a), (a))
ARCHIVE_FORWARD(int, archive_write_set_format_pax_restricted, (struct archive * a), (a))
ARCHIVE_FORWARD(int, archive_write_add_filter_gzip, (struct archive * a), (a))
ARCHIVE_FORWARD(int, archive_write_set_options, (struct archive * a, const char *options), (a, options))
ARCHIVE_FORWARD(int, archive_write_open_fd, (struct archive * a, int fd), (a, fd))
ARCHIVE_FORWARD(int, archive_write_header, (struct archive * a, struct archive_entry *entry), (a, entry))
ARCHIVE_FORWARD(la_ssize_t, archive_write_data, (struct archive * a, const void *buffer, size_t size), (a, buffer, size))
ARCHIVE_FORWARD(int, archive_write_close, (struct archive * a), (a))

/* libarchive: entries */
ARCHIVE_FORWARD(struct archive_entry *, archive_entry_new, (void), ())
FORWARD_VOID(HP_LIBRARY_ARCHIVE, archive_entry_free, (struct archive_entry * entry), (entry))
ARCHIVE_FORWARD(mode_t, archive_entry_filetype, (struct archive_entry * entry), (entry))
ARCHIVE_FORWARD(mode_t, archive_entry_perm, (struct archive_entry * entry), (entry))
ARCHIVE_FORWARD(const char *, archive_entry_pathname, (struct archive_entry * entry), (entry))
ARCHIVE_FORWARD(const char *, archive_entry_pathname_utf8, (struct archive_entry * entry), (entry))
ARCHIVE_FORWARD(const char *, archive_entry_hardlink, (struct archive_entry * entry), (entry))
ARCHIVE_FORWARD(const char *, archive_entry_symlink, (struct archive_entry * entry), (entry))
ARCHIVE_FORWARD(la_int64_t, archive_entry_size, (struct archive_entry * entry), (entry))
ARCHIVE_FORWARD(int, archive_entry_size_is_set, (struct archive_entry * entry), (entry))
FORWARD_VOID(HP_LIBRARY_ARCHIVE, archive_entry_set_filetype, (struct archive_entry * entry, unsigned int type), (entry, type))
FORWARD_VOID(HP_LIBRARY_ARCHIVE, archive_entry_set_perm, (struct archive_entry * entry, mode_t perm), (entry, perm))
FORWARD_VOID(HP_LIBRARY_ARCHIVE, archive_entry_set_pathname_utf8, (struct archive_entry * entry, const char *name), (entry, name))
FORWARD_VOID(HP_LIBRARY_ARCHIVE, archive_entry_set_size, (struct archive_entry * entry, la_int64_t size), (entry, size))
FORWARD_VOID(HP_LIBRARY_ARCHIVE, archive_entry_set_uid, (struct archive_entry * entry, la_int64_t uid), (entry, uid))
FORWARD_VOID(HP_LIBRARY_ARCHIVE, archive_entry_set_gid, (struct archive_entry * entry, la_int64_t gid), (entry, gid))
FORWARD_VOID(HP_LIBRARY_ARCHIVE, archive_entry_set_mtime, (struct archive_entry * entry, time_t seconds, long nanoseconds), (entry, seconds, nanoseconds))
