// Owning handles for OpenSSL objects: one owner per handle, so every early
// return or exception frees it.
#pragma once

#include <memory>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

namespace mxlab::appliance::ossl {

template <auto Free>
struct Deleter {
    template <class T>
    void operator()(T* p) const {
        Free(p);
    }
};

template <class T, auto Free>
using Handle = std::unique_ptr<T, Deleter<Free>>;

using Bio = Handle<BIO, BIO_free>;
using PKey = Handle<EVP_PKEY, EVP_PKEY_free>;
using X509Ptr = Handle<X509, X509_free>;
using GeneralNames = Handle<GENERAL_NAMES, GENERAL_NAMES_free>;

}  // namespace mxlab::appliance::ossl
