// mime_dump FILE...: the ENVELOPE, BODYSTRUCTURE and BODY mail/codec gives each message, in the form of tests/unit/codec/corpus/*.imap.
//
// For trying a message shape by hand and for compare_dovecot.py on
// messages outside the corpus; "-" reads standard input.
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>

#include "mail/codec/imap_render.hpp"
#include "mail/codec/mime.hpp"

int main(int argc, char** argv) {
    using namespace mxlab::codec;
    if (argc < 2) {
        std::cerr << "usage: mime_dump FILE...\n";
        return 2;
    }
    for (int i = 1; i < argc; ++i) {
        const std::string name = argv[i];
        std::ifstream file;
        if (name != "-") file.open(name, std::ios::binary);
        std::istream& in = name == "-" ? std::cin : file;
        if (!in) {
            std::cerr << "mime_dump: cannot read " << name << "\n";
            return 1;
        }
        const std::string message{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
        const auto s = parse_mime(message);
        std::cout << "ENVELOPE " << render_envelope(s) << "\nBODYSTRUCTURE " << render_bodystructure(s, true)
                  << "\nBODY " << render_bodystructure(s, false) << "\n";
    }
    return 0;
}
