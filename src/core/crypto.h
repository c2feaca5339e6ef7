// crypto.h — random tokens, hashes and password hashing (libsodium).
//
// Passwords are hashed with argon2id (libsodium's crypto_pwhash_str, 64 MiB, 2 passes),
// above the OWASP minimum of 19 MiB / 2 passes. Session tokens are 256-bit random
// values; only their SHA-256 is stored, so a copy of the database grants no session.
#pragma once
#include <string>
#include <string_view>

namespace dangan::crypto {

// Must be called once before any other function here (idempotent).
void init();
std::string random_hex(std::size_t bytes);
std::string sha256_hex(std::string_view data);
std::string hash_password(std::string_view password);
bool verify_password(std::string_view hash, std::string_view password);
// Constant-time comparison of two strings of any length.
bool equal(std::string_view a, std::string_view b);

}  // namespace dangan::crypto
