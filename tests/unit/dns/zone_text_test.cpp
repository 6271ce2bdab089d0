// `mxlab zone` text: parses back with ldns (and named-checkzone when installed) to the same records.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>

#include <unistd.h>

#include "core/ldns.hpp"
#include "dns_test_util.hpp"

namespace mxlab::dns::test {
namespace {

TEST(ZoneText, RoundTripsThroughLdns) {
    const auto b = build(lab_config());
    ASSERT_TRUE(b.errors.empty());
    for (const auto& info : b.zones->zone_infos()) {
        const std::string text = zone_text(*b.zones, info.name);
        ASSERT_FALSE(text.empty()) << info.name;
        FILE* f = fmemopen(const_cast<char*>(text.data()), text.size(), "r");
        ASSERT_NE(f, nullptr);
        ldns_zone* z = nullptr;
        int line = 0;
        const ldns_status st = ldns_zone_new_frm_fp_l(&z, f, nullptr, 0, LDNS_RR_CLASS_IN, &line);
        std::fclose(f);
        LdnsZone zone(z);
        ASSERT_EQ(st, LDNS_STATUS_OK) << info.name << " line " << line << ": " << ldns_get_errorstr_by_id(st) << "\n"
                                      << text;
        ASSERT_NE(ldns_zone_soa(zone.get()), nullptr);
        EXPECT_EQ(ldns_zone_rr_count(zone.get()) + 1, info.records) << text;  // + the SOA
        EXPECT_EQ(ldns_rdf2native_int32(ldns_rr_rdf(ldns_zone_soa(zone.get()), 2)), info.serial);
        // Every record of the text is served.
        for (std::size_t i = 0; i < ldns_zone_rr_count(zone.get()); ++i) {
            const ldns_rr* rr = ldns_rr_list_rr(ldns_zone_rrs(zone.get()), i);
            LdnsString owner(ldns_rdf2str(ldns_rr_owner(rr)));
            const auto r = b.zones->lookup(owner.get(), ldns_rr_get_type(rr));
            if (r.status == LookupStatus::delegated) continue;  // glue and the cut's NS
            EXPECT_EQ(r.status, LookupStatus::ok) << owner.get() << " " << ldns_rr_get_type(rr);
        }
    }
    EXPECT_EQ(zone_text(*b.zones, "example.org"), "");
}

TEST(ZoneText, Layout) {
    const auto b = build(lab_config());
    const std::string text = zone_text(*b.zones, "sina.com.");
    EXPECT_NE(text.find("$ORIGIN sina.com.\n$TTL 3600\nsina.com.\t3600\tIN\tSOA\tmail.sina.com. hostmaster.sina.com. "
                        "2025010100 3600 900 604800 300\n"),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("*.wild.sina.com.\t3600\tIN\tA\t10.0.1.99\n"), std::string::npos);
}

TEST(ZoneText, NamedCheckzoneAcceptsIt) {
    const char* tool = "/usr/bin/named-checkzone";
    if (!std::ifstream(tool)) GTEST_SKIP() << "named-checkzone not installed";
    const auto b = build(lab_config());
    char path[] = "/tmp/mxlab-zone-XXXXXX";
    const int fd = ::mkstemp(path);
    ASSERT_GE(fd, 0);
    for (const auto& info : b.zones->zone_infos()) {
        std::ofstream(path) << zone_text(*b.zones, info.name);
        const std::string cmd = std::string(tool) + " -q " + info.name + " " + path;
        EXPECT_EQ(std::system(cmd.c_str()), 0) << info.name;
    }
    ::close(fd);
    std::remove(path);
}

}  // namespace
}  // namespace mxlab::dns::test
