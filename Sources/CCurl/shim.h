#ifndef HEPHAESTUS_CCURL_SHIM_H
#define HEPHAESTUS_CCURL_SHIM_H

#include <curl/curl.h>

/* curl_easy_setopt and curl_easy_getinfo are variadic: one typed wrapper per argument type. libcurl is loaded on
   first use (Sources/CLibraryLoader): the wrappers call the library's functions through these pointers. */
typedef CURLcode (*hp_curl_setopt_function)(CURL *, CURLoption, ...);
typedef CURLcode (*hp_curl_getinfo_function)(CURL *, CURLINFO, ...);
hp_curl_setopt_function hp_curl_easy_setopt(void);
hp_curl_getinfo_function hp_curl_easy_getinfo(void);

typedef size_t (*hp_curl_data_callback)(char *buffer, size_t size, size_t count, void *userdata);
typedef int (*hp_curl_seek_callback)(void *userdata, curl_off_t offset, int origin);
typedef int (*hp_curl_progress_callback)(void *userdata, curl_off_t dltotal, curl_off_t dlnow,
                                         curl_off_t ultotal, curl_off_t ulnow);

static inline CURLcode hp_curl_setopt_long(CURL *handle, CURLoption option, long value) {
    return hp_curl_easy_setopt()(handle, option, value);
}

static inline CURLcode hp_curl_setopt_string(CURL *handle, CURLoption option, const char *value) {
    return hp_curl_easy_setopt()(handle, option, value);
}

static inline CURLcode hp_curl_setopt_pointer(CURL *handle, CURLoption option, void *value) {
    return hp_curl_easy_setopt()(handle, option, value);
}

static inline CURLcode hp_curl_setopt_slist(CURL *handle, CURLoption option, struct curl_slist *value) {
    return hp_curl_easy_setopt()(handle, option, value);
}

static inline CURLcode hp_curl_setopt_off_t(CURL *handle, CURLoption option, curl_off_t value) {
    return hp_curl_easy_setopt()(handle, option, value);
}

static inline CURLcode hp_curl_setopt_data_callback(CURL *handle, CURLoption option, hp_curl_data_callback value) {
    return hp_curl_easy_setopt()(handle, option, value);
}

static inline CURLcode hp_curl_setopt_seek_callback(CURL *handle, CURLoption option, hp_curl_seek_callback value) {
    return hp_curl_easy_setopt()(handle, option, value);
}

static inline CURLcode hp_curl_setopt_progress_callback(CURL *handle, CURLoption option,
                                                        hp_curl_progress_callback value) {
    return hp_curl_easy_setopt()(handle, option, value);
}

static inline CURLcode hp_curl_getinfo_long(CURL *handle, CURLINFO info, long *value) {
    return hp_curl_easy_getinfo()(handle, info, value);
}

static inline CURLcode hp_curl_getinfo_string(CURL *handle, CURLINFO info, char **value) {
    return hp_curl_easy_getinfo()(handle, info, value);
}

static inline CURLcode hp_curl_getinfo_off_t(CURL *handle, CURLINFO info, curl_off_t *value) {
    return hp_curl_easy_getinfo()(handle, info, value);
}

#endif
