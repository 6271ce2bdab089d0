#!/bin/sh
# Regenerates password_vectors.txt from the real tools, so auth_test checks our verifier against their output.
# Needs dovecot-core (doveadm) and whois (mkpasswd); the tests themselves need neither.
# Usage: tests/unit/auth/make_password_vectors.sh > tests/unit/auth/password_vectors.txt
set -eu

# No tab or newline in a password: the file is "password<TAB>stored", one per line.
# Spaces, non-ASCII UTF-8, '{', '}', '$' and ':' are there because they trip naive parsers;
# the long one passes bcrypt's 72-byte and DES's 8-byte truncation.
passwords() {
  printf '%s\n' \
    'secret' \
    'correct horse battery staple' \
    'pässwörd-日本語' \
    'p@ss{w0rd}$1:x' \
    'Tr0ub4dor&3 is a long password that runs past the 72 bytes bcrypt reads, on purpose'
}

dovecot_version=$(dpkg-query -W -f='${Version}' dovecot-core)
whois_version=$(dpkg-query -W -f='${Version}' whois)
xcrypt_version=$(dpkg-query -W -f='${Version}' libcrypt1)

cat <<HEADER
# Password hashes made by real tools, checked by auth_test (tests/unit/auth/password_test.cpp).
# Format: one "password<TAB>stored" per line; '#' starts a comment line.
# Made by tests/unit/auth/make_password_vectors.sh with Dovecot $dovecot_version (doveadm pw),
# whois $whois_version (mkpasswd) and libxcrypt $xcrypt_version on Debian 12.
# Each section below names the command that made its lines; PASSWORD is the first column.
HEADER

# doveadm pw prints "{SCHEME}hash", as Dovecot's passdb files hold it.
for args in "-s SHA512-CRYPT" "-s SHA512-CRYPT -r 10000" "-s SHA256-CRYPT" "-s BLF-CRYPT" \
            "-s CRYPT" "-s MD5-CRYPT" "-s DES-CRYPT" "-s PLAIN" "-s CLEARTEXT"; do
  printf '\n# doveadm pw %s -p PASSWORD\n' "$args"
  passwords | while IFS= read -r pw; do
    # shellcheck disable=SC2086 # $args is a word list on purpose
    printf '%s\t%s\n' "$pw" "$(doveadm pw $args -p "$pw")"
  done
done

# mkpasswd prints a bare crypt(3) hash, as /etc/shadow holds it; the password goes on stdin
# (-s) so that no argument parsing touches it.
for args in "-m sha-512" "-m sha-512 -R 10000" "-m sha-256" "-m bcrypt" "-m bcrypt-a" \
            "-m yescrypt" "-m gost-yescrypt" "-m scrypt" "-m md5crypt"; do
  printf '\n# printf %%s PASSWORD | mkpasswd -s %s\n' "$args"
  passwords | while IFS= read -r pw; do
    # shellcheck disable=SC2086
    printf '%s\t%s\n' "$pw" "$(printf '%s' "$pw" | mkpasswd -s $args)"
  done
done

# A DES hash has no "$id$" prefix, so it is only recognised behind {CRYPT}.
printf '\n# {CRYPT} followed by: printf %%s PASSWORD | mkpasswd -s -m descrypt\n'
passwords | while IFS= read -r pw; do
  printf '%s\t{CRYPT}%s\n' "$pw" "$(printf '%s' "$pw" | mkpasswd -s -m descrypt)"
done
