// TLS for the mail services: the lab CA and the pair it issues, which files mxlab writes and never writes, and real handshakes.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "appliance/cert_names.hpp"
#include "appliance/check.hpp"
#include "appliance/lab_ca.hpp"
#include "appliance/openssl_handles.hpp"
#include "appliance/certificates.hpp"
#include "appliance/service.hpp"
#include "appliance/tls_context.hpp"
#include "config/config.hpp"
#include "core/log.hpp"

namespace mxlab::appliance {
namespace {

namespace fs = std::filesystem;
using asio::ip::tcp;

// --- helpers ---------------------------------------------------------------

using namespace ossl;

X509Ptr parse_cert(const std::string& pem) {
    Bio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    return X509Ptr(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
}

PKey parse_key(const std::string& pem) {
    Bio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    return PKey(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
}

std::string common_name(X509* x) {
    char buf[256] = {};
    X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, buf, sizeof buf);
    return buf;
}

std::vector<std::string> san_dns(X509* x) {
    std::vector<std::string> out;
    GeneralNames gens(static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(x, NID_subject_alt_name, nullptr, nullptr)));
    for (int i = 0; gens && i < sk_GENERAL_NAME_num(gens.get()); ++i) {
        const GENERAL_NAME* g = sk_GENERAL_NAME_value(gens.get(), i);
        if (g->type == GEN_DNS)
            out.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(g->d.dNSName)),
                             static_cast<std::size_t>(ASN1_STRING_length(g->d.dNSName)));
    }
    return out;
}

std::string read(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

void write(const fs::path& p, const std::string& text) {
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << text;
}

unsigned mode_of(const fs::path& p) {
    struct stat st{};
    EXPECT_EQ(::stat(p.c_str(), &st), 0) << p;
    return st.st_mode & 0777;
}

// The output of a shell command, or nullopt when it fails.
std::optional<std::string> run(const std::string& cmd) {
    std::FILE* p = ::popen(cmd.c_str(), "r");
    if (!p) return std::nullopt;
    std::string out;
    char buf[4096];
    while (std::size_t n = std::fread(buf, 1, sizeof buf, p)) out.append(buf, n);
    if (::pclose(p) != 0) return std::nullopt;
    return out;
}

// A Logger whose lines the test can read.
class LogCapture {
public:
    LogCapture() : file_(::open_memstream(&buf_, &size_)), log_(file_, LogLevel::debug) {}
    ~LogCapture() {
        std::fclose(file_);
        std::free(buf_);
    }
    Logger& log() { return log_; }
    std::string text() {
        std::fflush(file_);
        return std::string(buf_, size_);
    }
    int count(std::string_view needle) {
        std::string t = text();
        int n = 0;
        for (auto pos = t.find(needle); pos != std::string::npos; pos = t.find(needle, pos + 1)) ++n;
        return n;
    }

private:
    char* buf_ = nullptr;
    std::size_t size_ = 0;
    std::FILE* file_;
    Logger log_;
};

// Each test gets a data_dir of its own.
class TlsTest : public ::testing::Test {
protected:
    void SetUp() override {
        std::string tmpl = (fs::path(::testing::TempDir()) / "mxlab-tls-XXXXXX").string();
        ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
        dir_ = tmpl;
    }
    void TearDown() override { fs::remove_all(dir_); }

    fs::path data() const { return dir_ / "data"; }
    fs::path cert_path() const { return data() / "tls" / "cert.pem"; }
    fs::path key_path() const { return data() / "tls" / "key.pem"; }
    fs::path ca_path() const { return data() / "tls" / "ca.pem"; }
    fs::path ca_key_path() const { return data() / "tls" / "ca.key"; }
    static std::vector<std::string> names_of(const config::Config& cfg) { return certificate_names(cfg, nullptr).names.dns; }

    // sina.com's mx defaults to the hostname; bigsky.com has its own; lab.test has no mail.
    config::Config make_config(const std::string& hostname = "mail.sina.com", const std::string& tls = "") {
        std::string toml = "[appliance]\nhostname = \"" + hostname +
                           "\"\naddresses = [\"10.0.1.10\"]\n"
                           "data_dir = \"" + data().string() + "\"\n" + tls +
                           "\n[[domain]]\nname = \"sina.com\"\n"
                           "\n[[domain]]\nname = \"bigsky.com\"\nmx = \"mx.bigsky.com\"\n"
                           "\n[[domain]]\nname = \"lab.test\"\nmail = false\n";
        auto r = config::load_string(toml, dir_ / "mxlab.toml");
        std::string errors;
        for (const auto& d : r.diagnostics) errors += config::format("mxlab.toml", d) + "\n";
        EXPECT_TRUE(r.ok()) << errors;
        return r.ok() ? *r.config : config::Config{};
    }

    std::string start_error(const config::Config& cfg) {
        try {
            make_tls_context(cfg, logs_.log());
        } catch (const StartError& e) {
            return e.what();
        }
        return "(no StartError)";
    }

    fs::path dir_;
    LogCapture logs_;
};

// --- make_self_signed -------------------------------------------------------

TEST(SelfSigned, CertificateHasCnSansAndTheServerProfile) {
    const PemPair pair = make_self_signed({"Mail.Sina.com.", "mx.bigsky.com", "mail.sina.com", ""});
    X509Ptr x = parse_cert(pair.cert);
    PKey key = parse_key(pair.key);
    ASSERT_TRUE(x && key);

    // RFC 6125: clients match the subjectAltName dNSNames; the CN is the first name.
    EXPECT_EQ(common_name(x.get()), "mail.sina.com");
    EXPECT_EQ(san_dns(x.get()), (std::vector<std::string>{"mail.sina.com", "mx.bigsky.com"}));
    EXPECT_EQ(X509_check_host(x.get(), "mx.bigsky.com", 0, 0, nullptr), 1);
    EXPECT_EQ(X509_check_host(x.get(), "MAIL.SINA.COM", 0, 0, nullptr), 1);
    EXPECT_NE(X509_check_host(x.get(), "www.sina.com", 0, 0, nullptr), 1);

    // Valid now (from an hour ago), for about ten years.
    EXPECT_LT(X509_cmp_current_time(X509_get0_notBefore(x.get())), 0);
    std::time_t in_9_years = std::time(nullptr) + 9L * 365 * 86400;
    std::time_t in_11_years = std::time(nullptr) + 11L * 365 * 86400;
    EXPECT_GT(X509_cmp_time(X509_get0_notAfter(x.get()), &in_9_years), 0);
    EXPECT_LT(X509_cmp_time(X509_get0_notAfter(x.get()), &in_11_years), 0);

    // RFC 5280 profile of a server's own certificate.
    EXPECT_EQ(X509_get_version(x.get()), X509_VERSION_3);
    EXPECT_EQ(X509_check_ca(x.get()), 0);  // CA:FALSE
    EXPECT_EQ(X509_get_key_usage(x.get()), static_cast<uint32_t>(KU_DIGITAL_SIGNATURE | KU_KEY_ENCIPHERMENT));
    EXPECT_TRUE(X509_get_extended_key_usage(x.get()) & XKU_SSL_SERVER);
    EXPECT_EQ(X509_check_purpose(x.get(), X509_PURPOSE_SSL_SERVER, 0), 1);

    // Self-signed by the key that comes with it.
    // (Not X509_check_issued: it wants keyCertSign, which RFC 5280 allows only with CA:TRUE.)
    EXPECT_EQ(X509_NAME_cmp(X509_get_subject_name(x.get()), X509_get_issuer_name(x.get())), 0);
    EXPECT_EQ(X509_verify(x.get(), key.get()), 1);
    EXPECT_EQ(X509_check_private_key(x.get(), key.get()), 1);
    EXPECT_EQ(EVP_PKEY_get_base_id(key.get()), EVP_PKEY_RSA);
    EXPECT_EQ(EVP_PKEY_get_bits(key.get()), 2048);
    EXPECT_NE(pair.key.find("-----BEGIN PRIVATE KEY-----"), std::string::npos);  // PKCS#8, not encrypted
}

TEST(SelfSigned, EachPairIsNewWithARandomSerial) {
    const PemPair a = make_self_signed({"mail.sina.com"});
    const PemPair b = make_self_signed({"mail.sina.com"});
    X509Ptr xa = parse_cert(a.cert), xb = parse_cert(b.cert);
    ASSERT_TRUE(xa && xb);
    // NSS refuses a second certificate with the same issuer and serial.
    EXPECT_NE(ASN1_INTEGER_cmp(X509_get0_serialNumber(xa.get()), X509_get0_serialNumber(xb.get())), 0);
    EXPECT_NE(a.key, b.key);
    EXPECT_TRUE(key_matches(a.cert, a.key));
    EXPECT_FALSE(key_matches(a.cert, b.key));
    EXPECT_FALSE(key_matches("not pem", a.key));
}

TEST(SelfSigned, InspectReadsWhatWasWritten) {
    const PemPair pair = make_self_signed({"mail.sina.com", "mx.bigsky.com"}, std::chrono::days(30));
    // Text before the PEM block (RFC 7468 section 2) is skipped.
    const CertInfo info = inspect_certificate("# a comment line\n" + pair.cert);
    EXPECT_EQ(info.subject, "CN=mail.sina.com");
    EXPECT_EQ(info.issuer, "CN=mail.sina.com");
    EXPECT_EQ(info.dns_names, (std::vector<std::string>{"mail.sina.com", "mx.bigsky.com"}));
    EXPECT_TRUE(info.covers({"MX.bigsky.com.", "mail.sina.com"}));
    EXPECT_FALSE(info.covers({"mail.sina.com", "mail2.sina.com"}));
    const auto now = std::chrono::system_clock::now();
    EXPECT_TRUE(info.valid_at(now));
    EXPECT_FALSE(info.valid_at(now + std::chrono::days(31)));
    EXPECT_EQ(info.sha256.size(), 32u * 3 - 1);  // "AB:CD:...": 32 bytes
    EXPECT_THROW(inspect_certificate("no certificate here"), OpenSslError);
}

TEST(SelfSigned, RefusesNoNamesAndNonNames) {
    EXPECT_THROW(make_self_signed({}), std::invalid_argument);
    EXPECT_THROW(make_self_signed({"", "."}), std::invalid_argument);
    EXPECT_THROW(make_self_signed({"two words"}), std::invalid_argument);
    EXPECT_THROW(make_self_signed({"a.example,DNS:b.example"}), std::invalid_argument);
}

TEST(SelfSigned, LongFirstNameGoesOnlyInTheSan) {
    const std::string name = std::string(70, 'a') + ".example";  // over the 64-character CN limit
    const PemPair pair = make_self_signed({name});
    X509Ptr x = parse_cert(pair.cert);
    ASSERT_TRUE(x);
    EXPECT_EQ(common_name(x.get()), "");
    EXPECT_EQ(san_dns(x.get()), std::vector<std::string>{name});
    // With an empty subject the SAN must be critical (RFC 5280 section 4.2.1.6).
    const int idx = X509_get_ext_by_NID(x.get(), NID_subject_alt_name, -1);
    ASSERT_GE(idx, 0);
    EXPECT_EQ(X509_EXTENSION_get_critical(X509_get_ext(x.get(), idx)), 1);
}

// --- ensure_tls_files / make_tls_context: the files ----------------------------

TEST_F(TlsTest, NamesAreHostnameThenEachMailDomainsMxAndTheAddresses) {
    const auto names = certificate_names(make_config(), nullptr).names;
    EXPECT_EQ(names.dns, (std::vector<std::string>{"mail.sina.com", "mx.bigsky.com"}));
    ASSERT_EQ(names.addresses.size(), 1u);
    EXPECT_EQ(names.addresses[0].str(), "10.0.1.10");
}

TEST_F(TlsTest, BothMissingMakesTheLabCaAndAPrivatePairItIssued) {
    auto cfg = make_config();
    auto ctx = make_tls_context(cfg, logs_.log());
    ASSERT_TRUE(ctx);

    ASSERT_TRUE(fs::exists(cert_path()));
    ASSERT_TRUE(fs::exists(key_path()));
    EXPECT_EQ(mode_of(key_path()), 0600u);
    EXPECT_EQ(mode_of(cert_path()), 0644u);
    EXPECT_EQ(mode_of(ca_key_path()), 0600u);
    EXPECT_EQ(mode_of(ca_path()), 0644u);
    // Only these files: no temporary file left behind.
    std::vector<std::string> files;
    for (const auto& e : fs::directory_iterator(cert_path().parent_path())) files.push_back(e.path().filename());
    std::sort(files.begin(), files.end());
    EXPECT_EQ(files, (std::vector<std::string>{".ca.lock", "ca.key", "ca.pem", "cert.pem", "key.pem"}));

    const std::string cert = read(cert_path()), key = read(key_path());
    EXPECT_TRUE(cert.starts_with("# mxlab lab CA")) << cert;
    EXPECT_TRUE(key.starts_with("# mxlab lab CA")) << key;
    EXPECT_TRUE(issued_by(cert, read(ca_path())));
    EXPECT_FALSE(issued_by(read(ca_path()), cert));
    X509Ptr x = parse_cert(cert);
    PKey k = parse_key(key);
    ASSERT_TRUE(x && k);
    EXPECT_EQ(common_name(x.get()), "mail.sina.com");
    EXPECT_EQ(san_dns(x.get()), (std::vector<std::string>{"mail.sina.com", "mx.bigsky.com"}));
    EXPECT_EQ(X509_check_private_key(x.get(), k.get()), 1);

    const CertInfo info = certificate_info(*ctx);
    EXPECT_EQ(info.sha256, inspect_certificate(cert).sha256);
    EXPECT_EQ(logs_.count("event=tls.issued"), 1) << logs_.text();
    EXPECT_EQ(logs_.count("event=tls.ca_made"), 1) << logs_.text();
    EXPECT_NE(logs_.text().find("names=mail.sina.com,mx.bigsky.com addresses=10.0.1.10 reason=missing"), std::string::npos)
        << logs_.text();
    EXPECT_NE(logs_.text().find("key=" + key_path().string()), std::string::npos) << logs_.text();
    EXPECT_NE(logs_.text().find("event=tls.loaded"), std::string::npos) << logs_.text();
    EXPECT_NE(logs_.text().find("source=mxlab-lab-ca"), std::string::npos) << logs_.text();
}

TEST_F(TlsTest, SecondStartReusesThePair) {
    auto cfg = make_config();
    const std::string first = certificate_info(*make_tls_context(cfg, logs_.log())).sha256;
    const std::string key = read(key_path());
    const std::string second = certificate_info(*make_tls_context(cfg, logs_.log())).sha256;
    EXPECT_EQ(first, second);
    EXPECT_EQ(read(key_path()), key);
    EXPECT_EQ(logs_.count("event=tls.issued"), 1) << logs_.text();
    EXPECT_EQ(logs_.count("event=tls.loaded"), 2) << logs_.text();
}

TEST_F(TlsTest, HostnameChangeReissuesOurPairFromTheSameCa) {
    const std::string before = certificate_info(*make_tls_context(make_config(), logs_.log())).sha256;
    const std::string ca = read(ca_path()), ca_key = read(ca_key_path());
    auto cfg = make_config("mail2.sina.com");
    auto ctx = make_tls_context(cfg, logs_.log());
    const CertInfo info = certificate_info(*ctx);
    EXPECT_NE(info.sha256, before);
    EXPECT_EQ(info.subject, "CN=mail2.sina.com");
    // sina.com's mx follows the hostname.
    EXPECT_EQ(info.dns_names, (std::vector<std::string>{"mail2.sina.com", "mx.bigsky.com"}));
    EXPECT_NE(logs_.text().find("reason=names_changed"), std::string::npos) << logs_.text();
    EXPECT_EQ(mode_of(key_path()), 0600u);
    // The CA a client was told to trust is the one that issued the new pair.
    EXPECT_EQ(read(ca_path()), ca);
    EXPECT_EQ(read(ca_key_path()), ca_key);
    EXPECT_TRUE(issued_by(read(cert_path()), ca));
    EXPECT_EQ(logs_.count("event=tls.ca_made"), 1) << logs_.text();
}

TEST_F(TlsTest, FewerNamesReissueOurPair) {
    // Clients trust the CA, not the pair: a certificate naming a host the
    // appliance no longer serves is replaced at no cost to them.
    const std::string before = certificate_info(*make_tls_context(make_config(), logs_.log())).sha256;
    const std::string ca = read(ca_path());
    auto r = config::load_string("[appliance]\nhostname = \"mail.sina.com\"\naddresses = [\"10.0.1.10\"]\n"
                                 "data_dir = \"" + data().string() + "\"\n[[domain]]\nname = \"sina.com\"\n",
                                 dir_ / "mxlab.toml");
    ASSERT_TRUE(r.ok());
    const CertInfo info = certificate_info(*make_tls_context(*r.config, logs_.log()));
    EXPECT_NE(info.sha256, before);
    EXPECT_EQ(info.dns_names, (std::vector<std::string>{"mail.sina.com"}));
    EXPECT_EQ(read(ca_path()), ca);
}

TEST_F(TlsTest, AddressChangeReissuesOurPair) {
    make_tls_context(make_config(), logs_.log());
    auto r = config::load_string("[appliance]\nhostname = \"mail.sina.com\"\naddresses = [\"10.0.1.11\", \"fd00::10\"]\n"
                                 "data_dir = \"" + data().string() + "\"\n[[domain]]\nname = \"sina.com\"\n"
                                 "\n[[domain]]\nname = \"bigsky.com\"\nmx = \"mx.bigsky.com\"\n",
                                 dir_ / "mxlab.toml");
    ASSERT_TRUE(r.ok());
    const CertInfo info = certificate_info(*make_tls_context(*r.config, logs_.log()));
    EXPECT_EQ(info.addresses, (std::vector<std::string>{"10.0.1.11", "fd00::10"}));
    EXPECT_NE(logs_.text().find("reason=names_changed"), std::string::npos) << logs_.text();
}

TEST_F(TlsTest, SelfSignedPairFromBeforeTheLabCaIsReplaced) {
    auto cfg = make_config();
    const PemPair old = make_self_signed(names_of(cfg));
    write(key_path(), "# mxlab self-signed key\n" + old.key);
    write(cert_path(), "# mxlab self-signed certificate\n" + old.cert);
    make_tls_context(cfg, logs_.log());
    EXPECT_NE(logs_.text().find("reason=not_from_lab_ca"), std::string::npos) << logs_.text();
    EXPECT_TRUE(issued_by(read(cert_path()), read(ca_path())));
    EXPECT_TRUE(key_matches(read(cert_path()), read(key_path())));
}

TEST_F(TlsTest, LostCaKeyMakesANewCaAndWarns) {
    auto cfg = make_config();
    make_tls_context(cfg, logs_.log());
    const std::string old_ca = read(ca_path());
    fs::remove(ca_key_path());
    make_tls_context(cfg, logs_.log());
    EXPECT_NE(read(ca_path()), old_ca);
    EXPECT_NE(logs_.text().find("level=warn event=tls.ca_made"), std::string::npos) << logs_.text();
    EXPECT_NE(logs_.text().find("reason=incomplete"), std::string::npos) << logs_.text();
    // The pair the old CA issued is reissued by the new one.
    EXPECT_NE(logs_.text().find("reason=not_from_lab_ca"), std::string::npos) << logs_.text();
    EXPECT_TRUE(issued_by(read(cert_path()), read(ca_path())));
}

TEST_F(TlsTest, UnreadableCaIsAnErrorNotANewCa) {
    auto cfg = make_config();
    const PemPair ca = ensure_lab_ca(cfg, logs_.log());
    fs::remove(ca_key_path());
    fs::create_directory(ca_key_path());  // there, but read() fails (EISDIR), also for root
    try {
        ensure_lab_ca(cfg, logs_.log());
        ADD_FAILURE() << "no StartError";
    } catch (const StartError& e) {
        EXPECT_NE(std::string(e.what()).find(ca_key_path().string() + " cannot be read"), std::string::npos) << e.what();
    }
    EXPECT_EQ(read(ca_path()), ca.cert);
    EXPECT_EQ(logs_.count("event=tls.ca_made"), 1) << logs_.text();
}

TEST_F(TlsTest, LabCaProfile) {
    auto cfg = make_config();
    const PemPair ca = ensure_lab_ca(cfg, logs_.log());
    EXPECT_EQ(read(ca_path()), ca.cert);
    EXPECT_TRUE(ca.cert.starts_with("-----BEGIN CERTIFICATE-----"));  // bare PEM: what trust stores import
    EXPECT_EQ(mode_of(ca_key_path()), 0600u);
    const CertInfo info = inspect_certificate(ca.cert);
    EXPECT_TRUE(info.ca);
    EXPECT_TRUE(info.subject.starts_with("CN=mxlab lab CA mail.sina.com 20")) << info.subject;
    EXPECT_EQ(info.subject, info.issuer);
    EXPECT_GT(info.not_after, std::chrono::system_clock::now() + std::chrono::days(3640));
    X509Ptr x = parse_cert(ca.cert);
    ASSERT_TRUE(x);
    int crit = -1;
    auto* bc = static_cast<BASIC_CONSTRAINTS*>(X509_get_ext_d2i(x.get(), NID_basic_constraints, &crit, nullptr));
    ASSERT_NE(bc, nullptr);
    EXPECT_TRUE(bc->ca);
    EXPECT_EQ(crit, 1);
    BASIC_CONSTRAINTS_free(bc);
    EXPECT_EQ(X509_get_key_usage(x.get()), static_cast<std::uint32_t>(KU_KEY_CERT_SIGN | KU_CRL_SIGN));
    EXPECT_NE(X509_get0_subject_key_id(x.get()), nullptr);
    // A second call, as a restart or `mxlab tls ca` makes, reads the same CA.
    EXPECT_EQ(ensure_lab_ca(cfg, logs_.log()).cert, ca.cert);
    EXPECT_EQ(logs_.count("event=tls.ca_made"), 1) << logs_.text();
}

TEST_F(TlsTest, LongHostnameIsCutToFitTheCaName) {
    const std::string host = std::string(60, 'a') + ".sina.com";
    const CertInfo info = inspect_certificate(make_lab_ca(host).cert);
    EXPECT_EQ(info.subject.size(), std::string("CN=").size() + 64) << info.subject;
}

TEST_F(TlsTest, IssuedPairProfile) {
    const PemPair ca = make_lab_ca("mail.sina.com");
    ServerNames names;
    names.dns = {"Mail.Sina.com.", "pop3.sina.com"};
    names.addresses = {*config::IpAddr::parse("10.0.1.10"), *config::IpAddr::parse("fd00::1")};
    const PemPair pair = issue_server_certificate(ca, names);
    const CertInfo info = inspect_certificate(pair.cert);
    EXPECT_EQ(info.subject, "CN=mail.sina.com");
    EXPECT_EQ(info.issuer, inspect_certificate(ca.cert).issuer);
    EXPECT_EQ(info.dns_names, (std::vector<std::string>{"mail.sina.com", "pop3.sina.com"}));
    EXPECT_EQ(info.addresses, (std::vector<std::string>{"10.0.1.10", "fd00::1"}));
    EXPECT_FALSE(info.ca);
    // Apple's clients refuse a server certificate valid for more than 825 days.
    EXPECT_LE(info.not_after - info.not_before, std::chrono::days(825));
    EXPECT_GT(info.not_after, std::chrono::system_clock::now() + std::chrono::days(800));
    X509Ptr x = parse_cert(pair.cert);
    ASSERT_TRUE(x);
    EXPECT_EQ(X509_get_extended_key_usage(x.get()), static_cast<std::uint32_t>(XKU_SSL_SERVER));
    EXPECT_NE(X509_get0_authority_key_id(x.get()), nullptr);
    EXPECT_TRUE(key_matches(pair.cert, pair.key));
    EXPECT_TRUE(issued_by(pair.cert, ca.cert));
    EXPECT_FALSE(issued_by(pair.cert, make_lab_ca("mail.sina.com").cert));
}

TEST_F(TlsTest, LabCaUnusedWhenTheConfigOrTheUserGivesTheCertificate) {
    EXPECT_EQ(lab_ca_unused(make_config()), std::nullopt);
    const auto explicit_cfg = make_config("mail.sina.com", "[tls]\ncert = \"/etc/ssl/mail.pem\"\nkey = \"/etc/ssl/mail.key\"\n");
    ASSERT_TRUE(lab_ca_unused(explicit_cfg));
    EXPECT_NE(lab_ca_unused(explicit_cfg)->find("the config gives its own certificate (tls.cert = /etc/ssl/mail.pem)"),
              std::string::npos);
    write(cert_path(), make_self_signed({"mail.sina.com"}).cert);
    ASSERT_TRUE(lab_ca_unused(make_config()));
    EXPECT_NE(lab_ca_unused(make_config())->find("is not a certificate mxlab issued"), std::string::npos);
}

TEST_F(TlsTest, OurExpiringPairIsRemade) {
    auto cfg = make_config();
    const PemPair pair = issue_server_certificate(ensure_lab_ca(cfg, logs_.log()),
                                                  certificate_names(cfg, nullptr).names, std::chrono::days(10));
    write(key_path(), "# mxlab lab CA key\n" + pair.key);
    write(cert_path(), "# mxlab lab CA certificate\n" + pair.cert);
    const CertInfo info = certificate_info(*make_tls_context(cfg, logs_.log()));
    EXPECT_NE(info.sha256, inspect_certificate(pair.cert).sha256);
    EXPECT_GT(info.not_after, std::chrono::system_clock::now() + std::chrono::days(365));
    EXPECT_NE(logs_.text().find("reason=expiring"), std::string::npos) << logs_.text();
}

TEST_F(TlsTest, OurHalfWrittenPairIsRemade) {
    auto cfg = make_config();
    make_tls_context(cfg, logs_.log());
    // A crash between the two renames: the new key next to the old certificate...
    const PemPair other = make_self_signed(names_of(cfg));
    write(key_path(), "# mxlab self-signed key\n" + other.key);
    make_tls_context(cfg, logs_.log());
    EXPECT_NE(logs_.text().find("reason=mismatched"), std::string::npos) << logs_.text();
    EXPECT_TRUE(key_matches(read(cert_path()), read(key_path())));
    // ...or only the key of a first write.
    fs::remove(cert_path());
    make_tls_context(cfg, logs_.log());
    EXPECT_NE(logs_.text().find("reason=incomplete"), std::string::npos) << logs_.text();
    EXPECT_TRUE(key_matches(read(cert_path()), read(key_path())));
}

TEST_F(TlsTest, UsersOwnPairIsLoadedAndNeverWritten) {
    // A user's pair for other names (no mxlab marker), which an mxlab pair for these names would replace.
    const PemPair user = make_self_signed({"smtp.example.org"});
    write(cert_path(), user.cert);
    write(key_path(), user.key);
    ::chmod(key_path().c_str(), 0640);
    auto cfg = make_config("mail2.sina.com");
    auto ctx = make_tls_context(cfg, logs_.log());
    EXPECT_EQ(certificate_info(*ctx).sha256, inspect_certificate(user.cert).sha256);
    EXPECT_EQ(read(cert_path()), user.cert);
    EXPECT_EQ(read(key_path()), user.key);
    EXPECT_EQ(mode_of(key_path()), 0640u);  // not even its mode is touched
    EXPECT_EQ(logs_.count("event=tls.issued"), 0) << logs_.text();
    EXPECT_FALSE(fs::exists(ca_path()));  // no lab CA: nothing it issued is in use
    EXPECT_NE(logs_.text().find("source=user"), std::string::npos) << logs_.text();
    EXPECT_NE(logs_.text().find("event=tls.names_not_covered"), std::string::npos) << logs_.text();
    EXPECT_NE(logs_.text().find("missing=mail2.sina.com,mx.bigsky.com"), std::string::npos) << logs_.text();
}

TEST_F(TlsTest, UsersChainFileIsLoaded) {
    // A CA-issued file: the server's certificate, then the chain (here any second certificate).
    const PemPair user = make_self_signed({"mail.sina.com", "mx.bigsky.com"});
    const PemPair ca = make_self_signed({"ca.example"});
    write(cert_path(), user.cert + ca.cert);
    write(key_path(), user.key);
    auto ctx = make_tls_context(make_config(), logs_.log());
    EXPECT_EQ(certificate_info(*ctx).sha256, inspect_certificate(user.cert).sha256);
    STACK_OF(X509)* chain = nullptr;
    ASSERT_EQ(SSL_CTX_get0_chain_certs(ctx->native_handle(), &chain), 1);
    ASSERT_NE(chain, nullptr);
    EXPECT_EQ(sk_X509_num(chain), 1);
    EXPECT_EQ(logs_.count("event=tls.names_not_covered"), 0) << logs_.text();
}

TEST_F(TlsTest, OnlyTheCertificateIsAnError) {
    write(cert_path(), make_self_signed({"mail.sina.com"}).cert);
    const std::string err = start_error(make_config());
    EXPECT_NE(err.find("tls.key " + key_path().string() + " is missing"), std::string::npos) << err;
    EXPECT_NE(err.find("tls.cert " + cert_path().string() + " exists"), std::string::npos) << err;
    EXPECT_FALSE(fs::exists(key_path()));
}

TEST_F(TlsTest, OnlyTheKeyIsAnError) {
    write(key_path(), make_self_signed({"mail.sina.com"}).key);
    const std::string err = start_error(make_config());
    EXPECT_NE(err.find("tls.cert " + cert_path().string() + " is missing"), std::string::npos) << err;
    EXPECT_FALSE(fs::exists(cert_path()));
}

TEST_F(TlsTest, KeyOfAnotherCertificateIsAnError) {
    const PemPair a = make_self_signed({"mail.sina.com", "mx.bigsky.com"});
    const PemPair b = make_self_signed({"mail.sina.com", "mx.bigsky.com"});
    write(cert_path(), a.cert);
    write(key_path(), b.key);
    const std::string err = start_error(make_config());
    EXPECT_NE(err.find("tls.key " + key_path().string() + " does not match tls.cert " + cert_path().string()),
              std::string::npos)
        << err;
    EXPECT_EQ(read(key_path()), b.key);  // the user's files are left as they are
    EXPECT_EQ(read(cert_path()), a.cert);
}

TEST_F(TlsTest, UnreadableFilesAreNamed) {
    const PemPair a = make_self_signed({"mail.sina.com"});
    write(cert_path(), "not a certificate\n");
    write(key_path(), a.key);
    std::string err = start_error(make_config());
    EXPECT_NE(err.find("tls.cert " + cert_path().string() + " holds no PEM certificate"), std::string::npos) << err;

    // An encrypted key would make OpenSSL ask for a passphrase on the terminal.
    write(cert_path(), a.cert);
    PKey k = parse_key(a.key);
    Bio bio(BIO_new(BIO_s_mem()));
    ASSERT_EQ(PEM_write_bio_PKCS8PrivateKey(bio.get(), k.get(), EVP_aes_256_cbc(), nullptr, 0, nullptr,
                                            const_cast<char*>("secret")),
              1);
    char* data = nullptr;
    long len = BIO_get_mem_data(bio.get(), &data);
    write(key_path(), std::string(data, static_cast<std::size_t>(len)));
    err = start_error(make_config());
    EXPECT_NE(err.find("tls.key " + key_path().string() + " is encrypted"), std::string::npos) << err;
}

TEST_F(TlsTest, DanglingSymlinksAreTheUsersNotMissingFiles) {
    fs::create_directories(cert_path().parent_path());
    fs::create_symlink(dir_ / "elsewhere" / "fullchain.pem", cert_path());
    fs::create_symlink(dir_ / "elsewhere" / "privkey.pem", key_path());
    const std::string err = start_error(make_config());
    EXPECT_NE(err.find("tls.cert " + cert_path().string() + " cannot be read"), std::string::npos) << err;
    EXPECT_TRUE(fs::is_symlink(cert_path()));
    EXPECT_TRUE(fs::is_symlink(key_path()));
}

TEST_F(TlsTest, OneFileForCertAndKey) {
    const PemPair user = make_self_signed({"mail.sina.com", "mx.bigsky.com"});
    const fs::path both = data() / "tls" / "both.pem";
    write(both, user.cert + user.key);
    ::chmod(both.c_str(), 0640);
    auto cfg = make_config("mail.sina.com", "[tls]\ncert = \"tls/both.pem\"\nkey = \"tls/both.pem\"\n");
    auto ctx = make_tls_context(cfg, logs_.log());
    EXPECT_EQ(certificate_info(*ctx).sha256, inspect_certificate(user.cert).sha256);
    EXPECT_EQ(read(both), user.cert + user.key);
    EXPECT_EQ(mode_of(both), 0640u);
    EXPECT_EQ(logs_.count("event=tls.issued"), 0) << logs_.text();
}

// --- an explicit tls.cert/tls.key: used as given, never made (DESIGN.md section 2) ---

TEST_F(TlsTest, ExplicitPairThatIsMissingIsAnErrorAndNothingIsWritten) {
    // A typo in a path outside data_dir, one inside it, and a link to nowhere:
    // each would have been filled with a self-signed pair, folders and all.
    const fs::path elsewhere = dir_ / "etc" / "letsencrypt" / "live" / "mail";
    fs::create_directories(data() / "tls");
    fs::create_symlink(dir_ / "nowhere.pem", data() / "tls" / "link.pem");
    const struct {
        std::string toml;
        fs::path cert;
        std::string why;
    } cases[] = {
        {"cert = \"" + (elsewhere / "fullchain.pem").string() + "\"\nkey = \"" + (elsewhere / "privkey.pem").string() + "\"\n",
         elsewhere / "fullchain.pem", "does not exist"},
        {"cert = \"certs/mail.pem\"\nkey = \"certs/mail.key\"\n", data() / "certs" / "mail.pem", "does not exist"},
        {"cert = \"tls/link.pem\"\nkey = \"tls/link.pem\"\n", data() / "tls" / "link.pem",
         "is a symlink to " + (dir_ / "nowhere.pem").string() + ", which does not exist"},
    };
    for (const auto& c : cases) {
        const auto cfg = make_config("mail.sina.com", "[tls]\n" + c.toml);
        EXPECT_TRUE(explicit_tls(cfg));
        const std::string err = start_error(cfg);
        EXPECT_NE(err.find("tls.cert " + c.cert.string() + " " + c.why + ": fix the path, or remove tls.cert and tls.key"),
                  std::string::npos)
            << err;
        const auto diags = missing_tls_files(cfg);
        ASSERT_FALSE(diags.empty()) << c.toml;
        EXPECT_EQ(diags.front().severity, config::Diagnostic::Severity::error);
        EXPECT_EQ(diags.front().key, "tls.cert");
    }
    EXPECT_FALSE(fs::exists(dir_ / "etc"));
    EXPECT_FALSE(fs::exists(data() / "certs"));
    EXPECT_FALSE(fs::exists(dir_ / "nowhere.pem"));
    EXPECT_FALSE(fs::exists(cert_path()));
    EXPECT_EQ(logs_.count("event=tls.issued"), 0) << logs_.text();
}

TEST_F(TlsTest, ExplicitCertWithoutKeyNamesTheDefaultKey) {
    const fs::path cert = dir_ / "mail.pem";
    write(cert, make_self_signed({"mail.sina.com"}).cert);
    const auto cfg = make_config("mail.sina.com", "[tls]\ncert = \"" + cert.string() + "\"\n");
    const std::string err = start_error(cfg);
    EXPECT_NE(err.find("tls.key " + key_path().string() + " (the default) does not exist: with tls.cert set, set tls.key"),
              std::string::npos)
        << err;
    EXPECT_FALSE(fs::exists(key_path()));
}

TEST_F(TlsTest, ExplicitPairIsNeverRemade) {
    // mxlab's own pair for other names, named in the TOML: read as it is, like any user's pair.
    const PemPair old = make_self_signed({"old.sina.com"});
    const fs::path cert = dir_ / "keep" / "cert.pem", key = dir_ / "keep" / "key.pem";
    write(cert, "# mxlab self-signed certificate\n" + old.cert);
    write(key, "# mxlab self-signed key\n" + old.key);
    const auto cfg = make_config("mail.sina.com", "[tls]\ncert = \"" + cert.string() + "\"\nkey = \"" + key.string() + "\"\n");
    auto ctx = make_tls_context(cfg, logs_.log());
    EXPECT_EQ(certificate_info(*ctx).sha256, inspect_certificate(old.cert).sha256);
    EXPECT_EQ(read(cert), "# mxlab self-signed certificate\n" + old.cert);
    EXPECT_EQ(logs_.count("event=tls.issued"), 0) << logs_.text();
    EXPECT_FALSE(fs::exists(ca_path()));
}

TEST_F(TlsTest, DefaultsWrittenOutAreDefaults) {
    // DESIGN.md section 3's sample [tls] block, copied as it is: a pair is made as when it is left out.
    const auto cfg = make_config("mail.sina.com", "[tls]\ncert = \"tls/cert.pem\"\nkey = \"tls/key.pem\"\n");
    EXPECT_FALSE(explicit_tls(cfg));
    EXPECT_TRUE(missing_tls_files(cfg).empty());
    make_tls_context(cfg, logs_.log());
    EXPECT_TRUE(key_matches(read(cert_path()), read(key_path())));
    EXPECT_EQ(logs_.count("event=tls.issued"), 1) << logs_.text();
}

TEST_F(TlsTest, OpenSslCommandLineReadsTheWrittenFiles) {
    if (std::system("command -v openssl >/dev/null 2>&1") != 0) GTEST_SKIP() << "no openssl command";
    auto ctx = make_tls_context(make_config(), logs_.log());
    // What a student would type: the comment lines mxlab writes must not get in the way.
    auto text = run("openssl x509 -noout -text -in '" + cert_path().string() + "'");
    ASSERT_TRUE(text);
    EXPECT_NE(text->find("Subject: CN = mail.sina.com"), std::string::npos) << *text;
    EXPECT_NE(text->find("DNS:mail.sina.com, DNS:mx.bigsky.com"), std::string::npos) << *text;
    EXPECT_NE(text->find("CA:FALSE"), std::string::npos) << *text;
    EXPECT_NE(text->find("Digital Signature, Key Encipherment"), std::string::npos) << *text;
    EXPECT_NE(text->find("TLS Web Server Authentication"), std::string::npos) << *text;
    EXPECT_NE(text->find("Public-Key: (2048 bit)"), std::string::npos) << *text;
    auto fp = run("openssl x509 -noout -fingerprint -sha256 -in '" + cert_path().string() + "'");
    ASSERT_TRUE(fp);
    EXPECT_NE(fp->find(certificate_info(*ctx).sha256), std::string::npos) << *fp;
    auto key = run("openssl pkey -noout -in '" + key_path().string() + "' 2>&1");
    EXPECT_TRUE(key);
}

// --- handshakes over 127.0.0.1 --------------------------------------------------

struct ServerSide {
    boost::system::error_code handshake;
    std::string line;     // what the client sent after the handshake
    int version = 0;
    bool compression = true;
};

// Accepts one connection on `acceptor`, handshakes as the server, and echoes one line.
ServerSide serve_one(tcp::acceptor& acceptor, asio::ssl::context& ctx) {
    ServerSide out;
    asio::ssl::stream<tcp::socket> stream(acceptor.accept(), ctx);
    stream.handshake(asio::ssl::stream_base::server, out.handshake);
    if (out.handshake) return out;
    out.version = SSL_version(stream.native_handle());
    out.compression = SSL_get_current_compression(stream.native_handle()) != nullptr;
    boost::system::error_code ec;
    asio::streambuf buf;
    asio::read_until(stream, buf, '\n', ec);
    out.line.assign(asio::buffers_begin(buf.data()), asio::buffers_end(buf.data()));
    asio::write(stream, asio::buffer(out.line), ec);
    stream.shutdown(ec);
    return out;
}

struct ClientSide {
    boost::system::error_code handshake;
    int version = 0;
    long verify = -1;
    std::string cipher;  // OpenSSL's name of the suite agreed on
    int kx_bits = 0;     // size of the server's ephemeral key (DHE: the group's)
    std::string reply;
};

// A client that trusts the CA it is given and checks the name it connects to,
// as a mail client does once the user accepted the certificate.
ClientSide connect(std::uint16_t port, asio::ssl::context& client_ctx, const std::string& host) {
    ClientSide out;
    asio::io_context io;
    tcp::socket sock(io);
    sock.connect({asio::ip::make_address("127.0.0.1"), port});
    asio::ssl::stream<tcp::socket> stream(std::move(sock), client_ctx);
    SSL_set_tlsext_host_name(stream.native_handle(), host.c_str());
    SSL_set1_host(stream.native_handle(), host.c_str());
    stream.handshake(asio::ssl::stream_base::client, out.handshake);
    out.verify = SSL_get_verify_result(stream.native_handle());
    if (out.handshake) return out;
    out.version = SSL_version(stream.native_handle());
    out.cipher = SSL_get_cipher_name(stream.native_handle());
    EVP_PKEY* kx = nullptr;
    if (SSL_get_peer_tmp_key(stream.native_handle(), &kx) == 1) {
        out.kx_bits = EVP_PKEY_get_bits(kx);
        EVP_PKEY_free(kx);
    }
    boost::system::error_code ec;
    asio::write(stream, asio::buffer(std::string("EHLO client.example\n")), ec);
    asio::streambuf buf;
    asio::read_until(stream, buf, '\n', ec);
    out.reply.assign(asio::buffers_begin(buf.data()), asio::buffers_end(buf.data()));
    stream.shutdown(ec);
    return out;
}

std::unique_ptr<asio::ssl::context> trusting_client(const std::string& cert_pem) {
    auto ctx = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_client);
    ctx->set_verify_mode(asio::ssl::verify_peer);
    ctx->add_certificate_authority(asio::buffer(cert_pem));
    return ctx;
}

class Handshake : public TlsTest {
protected:
    void SetUp() override {
        TlsTest::SetUp();
        server_ctx_ = make_tls_context(make_config(), logs_.log());
        acceptor_.open(tcp::v4());
        acceptor_.bind({asio::ip::make_address("127.0.0.1"), 0});  // a free port
        acceptor_.listen();
    }
    std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
    // What a client told to trust the lab CA (`mxlab tls ca`) trusts.
    std::string ca_pem() { return read(ca_path()); }

    // Runs the server for one connection on its own thread and `client` here.
    std::pair<ServerSide, ClientSide> exchange(asio::ssl::context& client_ctx, const std::string& host) {
        ServerSide server;
        std::thread t([&] { server = serve_one(acceptor_, *server_ctx_); });
        ClientSide client = connect(port(), client_ctx, host);
        t.join();
        return {server, client};
    }

    asio::io_context io_;
    tcp::acceptor acceptor_{io_};
    std::shared_ptr<asio::ssl::context> server_ctx_;
};

TEST_F(Handshake, ClientThatTrustsTheCertificateConnects) {
    auto client_ctx = trusting_client(ca_pem());
    for (const std::string host : {"mail.sina.com", "mx.bigsky.com"}) {
        auto [server, client] = exchange(*client_ctx, host);
        ASSERT_FALSE(client.handshake) << host << ": " << client.handshake.message();
        ASSERT_FALSE(server.handshake) << server.handshake.message();
        EXPECT_EQ(client.verify, X509_V_OK);
        EXPECT_GE(client.version, TLS1_2_VERSION);
        EXPECT_EQ(server.version, client.version);
        EXPECT_FALSE(server.compression);
        EXPECT_EQ(server.line, "EHLO client.example\n");
        EXPECT_EQ(client.reply, "EHLO client.example\n");
    }
}

TEST_F(Handshake, NameNotInTheCertificateFailsVerification) {
    auto client_ctx = trusting_client(ca_pem());
    auto [server, client] = exchange(*client_ctx, "www.sina.com");
    EXPECT_TRUE(client.handshake);
    EXPECT_EQ(client.verify, X509_V_ERR_HOSTNAME_MISMATCH);
}

TEST_F(Handshake, Tls12OnlyClientConnects) {
    // An older client that stops at TLS 1.2 still gets in.
    auto client_ctx = trusting_client(ca_pem());
    SSL_CTX_set_max_proto_version(client_ctx->native_handle(), TLS1_2_VERSION);
    auto [server, client] = exchange(*client_ctx, "mail.sina.com");
    ASSERT_FALSE(client.handshake) << client.handshake.message();
    EXPECT_EQ(client.version, TLS1_2_VERSION);
    EXPECT_EQ(client.reply, "EHLO client.example\n");
}

TEST_F(Handshake, Tls11ClientIsRefusedByTheServer) {
    auto client_ctx = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_client);
    SSL_CTX* h = client_ctx->native_handle();
    // A legacy client: TLS 1.0-1.1 at security level 0, which OpenSSL 3 needs
    // to offer those versions at all, so the refusal can only come from the server.
    SSL_CTX_set_security_level(h, 0);
    ASSERT_EQ(SSL_CTX_set_cipher_list(h, "DEFAULT:@SECLEVEL=0"), 1);
    ASSERT_EQ(SSL_CTX_set_min_proto_version(h, TLS1_VERSION), 1);
    ASSERT_EQ(SSL_CTX_set_max_proto_version(h, TLS1_1_VERSION), 1);
    client_ctx->set_verify_mode(asio::ssl::verify_none);
    auto [server, client] = exchange(*client_ctx, "mail.sina.com");
    EXPECT_TRUE(client.handshake);
    ASSERT_TRUE(server.handshake);
    ASSERT_EQ(server.handshake.category(), asio::error::get_ssl_category()) << server.handshake.message();
    EXPECT_EQ(ERR_GET_REASON(static_cast<unsigned long>(server.handshake.value())), SSL_R_UNSUPPORTED_PROTOCOL)
        << server.handshake.message();
}

// A TLS 1.2 client offering only `suite`, at security level 0 so that a
// refusal can only come from the server.
std::unique_ptr<asio::ssl::context> tls12_client(const std::string& suite) {
    auto ctx = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_client);
    SSL_CTX* h = ctx->native_handle();
    SSL_CTX_set_security_level(h, 0);
    EXPECT_EQ(SSL_CTX_set_cipher_list(h, (suite + ":@SECLEVEL=0").c_str()), 1) << suite;
    EXPECT_EQ(SSL_CTX_set_max_proto_version(h, TLS1_2_VERSION), 1);
    ctx->set_verify_mode(asio::ssl::verify_none);
    return ctx;
}

// Mozilla's "intermediate" profile: TLS 1.2 with forward-secret AEAD suites only.
TEST_F(Handshake, Tls12RefusesRsaKeyExchangeAndCbcSuites) {
    for (const std::string suite : {"AES128-SHA", "AES256-GCM-SHA384", "AES128-GCM-SHA256", "ECDHE-RSA-AES128-SHA",
                                    "ECDHE-RSA-AES256-SHA384", "DHE-RSA-AES128-SHA", "DHE-RSA-AES256-SHA256"}) {
        auto client_ctx = tls12_client(suite);
        auto [server, client] = exchange(*client_ctx, "mail.sina.com");
        EXPECT_TRUE(client.handshake) << suite << " was accepted: " << client.cipher;
        ASSERT_TRUE(server.handshake) << suite;
        ASSERT_EQ(server.handshake.category(), asio::error::get_ssl_category()) << server.handshake.message();
        EXPECT_EQ(ERR_GET_REASON(static_cast<unsigned long>(server.handshake.value())), SSL_R_NO_SHARED_CIPHER)
            << suite << ": " << server.handshake.message();
    }
}

TEST_F(Handshake, Tls12ForwardSecretAeadSuitesConnect) {
    for (const std::string suite : {"ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-RSA-AES256-GCM-SHA384",
                                    "ECDHE-RSA-CHACHA20-POLY1305", "DHE-RSA-AES128-GCM-SHA256",
                                    "DHE-RSA-AES256-GCM-SHA384", "DHE-RSA-CHACHA20-POLY1305"}) {
        auto client_ctx = tls12_client(suite);
        auto [server, client] = exchange(*client_ctx, "mail.sina.com");
        ASSERT_FALSE(client.handshake) << suite << ": " << client.handshake.message();
        EXPECT_EQ(client.version, TLS1_2_VERSION);
        EXPECT_EQ(client.cipher, suite);
        // DHE gets a group as strong as the 2048-bit RSA key, not OpenSSL's "no DH parameters".
        if (suite.starts_with("DHE")) {
            EXPECT_GE(client.kx_bits, 2048) << suite;
        }
        EXPECT_EQ(client.reply, "EHLO client.example\n");
    }
}

TEST_F(Handshake, Tls13KeepsItsDefaults) {
    auto client_ctx = trusting_client(ca_pem());
    for (const char* suite : {"TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"}) {
        ASSERT_EQ(SSL_CTX_set_ciphersuites(client_ctx->native_handle(), suite), 1);
        auto [server, client] = exchange(*client_ctx, "mail.sina.com");
        ASSERT_FALSE(client.handshake) << suite << ": " << client.handshake.message();
        EXPECT_EQ(client.version, TLS1_3_VERSION);
        EXPECT_EQ(client.cipher, suite);
    }
}

}  // namespace
}  // namespace mxlab::appliance
